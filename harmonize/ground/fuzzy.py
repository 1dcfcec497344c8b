"""Fuzzy matcher: rapidfuzz similarity against every name of a facet, spelling only.

The scorer is a plain normalized Levenshtein ratio on whole names with a high cut-off, and
values shorter than ``MIN_LENGTH`` characters are never fuzzy-matched. Cell lines are not
fuzzy-matched at all: their names are short codes where one character changes the line.

A high ratio is not enough: ontologies are full of near-identical names of *other* terms
("type 1" / "type 2", "larynx" / "pharynx", "mucosa" / "submucosa", "ascending" /
"descending"). On held-out UBERON, CL and MONDO synonyms (``bench/bench_heldout.py``) a bare
ratio >= 88 picked the right term less than half the time. So a hit must also be a
:func:`spelling_variant` of the value: the same words in the same order, each differing word
only respelt ("tumour", "localised", "zygomatici"), or the same text but for spaces
("centro acinar"); roman numerals count as their digits ("type i" = "type 1").
"""

from __future__ import annotations

from collections.abc import Sequence

from harmonize.ground.lexicon import KIND_RANK, Lexicon
from harmonize.ground.normalize import normalize, strip_noise
from harmonize.models import Candidate

MIN_LENGTH = 5
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10"}
_ARTICLES = frozenset({"the", "a", "an"})
#: A respelt word keeps its first letters and most of the rest.
SAME_START = 3
WORD_RATIO = 80.0
CUTOFF = 88.0
SUGGEST_CUTOFF = 70.0  # for the suggestions kept with an unmapped value
NO_FUZZY = frozenset({"cell_line", "sex"})


class FuzzyIndex:
    """Per-facet name lists, built on first use."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        self._choices: dict[str, Sequence[str]] = {}

    def choices(self, facet: str) -> Sequence[str]:
        """The names of one facet (cached)."""
        if facet not in self._choices:
            self._choices[facet] = self.lex.names_of(facet)
        return self._choices[facet]

    def match(self, facet: str, text: str, limit: int = 5, cutoff: float = CUTOFF,
              exclude: frozenset[str] = frozenset(), spelling_only: bool = True
              ) -> list[Candidate]:
        """Best fuzzy candidates (one per term) with a similarity of at least ``cutoff``.

        ``exclude``: lexicon names to leave out (the held-out benchmark hides a synonym).
        ``spelling_only=False`` keeps near names that are not :func:`spelling_variant` s
        (suggestions shown to a curator next to an unmapped value).
        """
        if facet in NO_FUZZY:
            return []
        from rapidfuzz import fuzz, process

        query = strip_noise(normalize(text))
        if len(query) < MIN_LENGTH:
            return []
        hits = process.extract(query, self.choices(facet), scorer=fuzz.ratio,
                               limit=limit * 3 + len(exclude), score_cutoff=cutoff)
        out: dict[str, Candidate] = {}
        for name, score, _ in hits:
            if name in exclude or (spelling_only
                                   and not spelling_variant(query, strip_noise(name))):
                continue
            entries = self.lex.lookup(facet, name)
            for tid, kind in entries:
                info = self.lex.term(tid)
                if info is None or tid in out:
                    continue
                out[tid] = Candidate(
                    term_id=tid, term_label=info.label, method="fuzzy", matched_text=name,
                    match_kind=kind, similarity=score / 100.0,
                    features={"n_same_name": float(len(entries)),
                              "kind_rank": float(KIND_RANK.get(kind, 0))})
        return sorted(out.values(), key=lambda c: -c.similarity)[:limit]


def spelling_variant(query: str, name: str) -> bool:
    """Whether two normalized names differ only in spelling, spacing or numeral style.

    >>> spelling_variant("benign tumor of glottis", "benign tumour of glottis")
    True
    >>> spelling_variant("type i pneumocyte", "type 1 pneumocyte")
    True
    >>> spelling_variant("pancreatic centroacinar cell", "pancreatic centro acinar cell")
    True
    >>> spelling_variant("sma type 2", "sma type 1"), spelling_variant("larynx", "pharynx")
    (False, False)
    >>> spelling_variant("main bronchial submucosa", "bronchial submucosa")
    False
    """
    from rapidfuzz import fuzz

    a, b = _words(query), _words(name)
    if "".join(a) == "".join(b):
        return True
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if (min(len(x), len(y)) <= SAME_START or any(ch.isdigit() for ch in x + y)
                or x[:SAME_START] != y[:SAME_START] or fuzz.ratio(x, y) < WORD_RATIO):
            return False
    return True


def _words(norm: str) -> list[str]:
    return [_ROMAN.get(w, w) for w in norm.split() if w not in _ARTICLES]
