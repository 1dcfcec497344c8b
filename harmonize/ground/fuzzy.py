"""Fuzzy matcher: rapidfuzz similarity against every name of a facet.

Short strings are treacherous (``"t cell"`` vs ``"b cell"``), so the scorer is a plain
normalized Levenshtein ratio on whole names with a high cut-off, and values shorter than
``MIN_LENGTH`` characters are never fuzzy-matched. Cell lines are not fuzzy-matched at all:
their names are short codes where one character changes the line.
"""

from __future__ import annotations

from collections.abc import Sequence

from harmonize.ground.lexicon import KIND_RANK, Lexicon
from harmonize.ground.normalize import normalize, strip_noise
from harmonize.models import Candidate

MIN_LENGTH = 5
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

    def match(self, facet: str, text: str, limit: int = 5,
              cutoff: float = CUTOFF) -> list[Candidate]:
        """Best fuzzy candidates (one per term) with a similarity of at least ``cutoff``."""
        if facet in NO_FUZZY:
            return []
        from rapidfuzz import fuzz, process

        query = strip_noise(normalize(text))
        if len(query) < MIN_LENGTH:
            return []
        hits = process.extract(query, self.choices(facet), scorer=fuzz.ratio,
                               limit=limit * 3, score_cutoff=cutoff)
        out: dict[str, Candidate] = {}
        for name, score, _ in hits:
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
