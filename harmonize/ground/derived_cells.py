"""Cells named by the stem cells they were made from: 'iPSC-CM', 'hESC-MNs', 'iPS-derived HLCs'
(rule ``derived_cells``).

Labs write the cells they differentiated as an abbreviation after the stem cells' own
('<stem cells>-<cells>'). Read word by word such a value names the stem cells, which the sample
no longer is; the abbreviation names what it is. The stem-cell words are the one-word ones of
``ontologies/sample_type_words.tsv`` (groups esc, ipsc, pluripotent), the abbreviations
``ontologies/words/derived_cells.tsv``; alone an abbreviation is not read so ('CM' is as often
conditioned medium).
"""

from __future__ import annotations

from harmonize.ground.normalize import tokens
from harmonize.ground.rules import enabled, table
from harmonize.ground.sample_type_features import load_words

ON = enabled("derived_cells")
#: Abbreviation -> CL id of the cells made.
MADE: dict[str, str] = {r["abbreviation"]: r["term_id"] for r in table("derived_cells")} if ON \
    else {}
#: The one-word names of the stem cells they are made from ('ipsc', 'hesc', 'ips').
STEM = frozenset(w.phrase for w in load_words() if w.scope == "value"
                 and w.group in ("esc", "ipsc", "pluripotent") and " " not in w.phrase)
#: A longer value says more than what the cells are.
MAX_WORDS = 6
#: Words that may stand between the two ('iPSC-derived CMs').
_BETWEEN = frozenset({"derived"})


def derived_cell(text: str) -> str | None:
    """The CL id of the cells a '<stem cells>-<cells>' value names, or ``None``.

    >>> derived_cell("hESC-CMs"), derived_cell("iPSC derived MN"), derived_cell("CM")
    ('CL:0000746', 'CL:0000100', None)
    >>> derived_cell("iPSC-CM, day 30"), derived_cell("iPSC clone 3")
    ('CL:0000746', None)
    >>> derived_cell("iPSC-MSC-derived chondrocytes") is None  # made from cells made from iPSCs
    True
    """
    if not MADE:
        return None
    words = tokens(text)
    toks = [t for t in words if t not in _BETWEEN]
    if len(toks) < 2 or len(toks) > MAX_WORDS or toks[0] not in STEM:
        return None
    at = words.index(toks[1])
    if at + 1 < len(words) and words[at + 1] in _BETWEEN:
        return None  # 'iPSC-MSC-derived chondrocytes': the MSCs are an origin too
    return MADE.get(toks[1])
