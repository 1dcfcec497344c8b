"""Keys that ask about one disease: 'diabetes status', 'asthma status'.

A key the field table does not know, made of a disease's name and a status word
(``ontologies/words/status_words.tsv``), is a disease key: its value says whether the donor
has that disease ('diabetes status: T2D', 'asthma status: non-asthmatic', 'diabetes status:
ND (control)'). The name must be a MONDO label or synonym, not an abbreviation ('ER status' is
a receptor's), nor a class word of tumours (``words/disease_heads.tsv``: 'cancer status:
primary' or 'metastatic' tells of the tumour, not whether there is one); 'vital status' names
no disease and stays an unknown key.
"""

from __future__ import annotations

from collections.abc import Mapping

from harmonize.ground.fields import key_role, key_words
from harmonize.ground.lexicon import Lexicon
from harmonize.ground.mentions import DISEASE_HEADS
from harmonize.ground.rules import enabled, words

STATUS_WORDS = words("status_words") if enabled("disease_status_keys") else frozenset()
#: Kinds of name that are a disease's own (not an abbreviation or a curated short form).
NAME_KINDS = frozenset({"label", "synonym", "exact_synonym"})


class StatusKeys:
    """Which keys of a sample ask about one disease (memoized per key)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._seen: dict[str, bool] = {}

    def roles(self, attributes: Mapping[str, str]) -> dict[str, str]:
        """``{key: "disease"}`` for the keys of ``attributes`` that ask about a disease (the
        ``harmonized`` argument of :func:`harmonize.ground.fields.field_values`)."""
        if not STATUS_WORDS:
            return {}
        return {k: "disease" for k in attributes if self.asks(k)}

    def asks(self, key: str) -> bool:
        """Whether ``key`` is '<disease name> <status word>' and no key the table knows."""
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = self._asks(key)
        return hit

    def _asks(self, key: str) -> bool:
        parts = key_words(key).split()
        if len(parts) < 2 or parts[-1] not in STATUS_WORDS or key_role(key) != "other":
            return False
        name = " ".join(parts[:-1])
        return name not in DISEASE_HEADS and any(
            kind in NAME_KINDS for _, kind in self.lexicon.lookup("disease", name))
