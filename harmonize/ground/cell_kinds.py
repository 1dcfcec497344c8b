"""Kinds of a cell found by the words CL writes into their names (rules ``kind_by_words``,
``meet_of_names``).

CL names a kind of a cell with its lineage as well as what sets it apart: 'naive
thymus-derived CD8-positive, alpha-beta T cell', 'CD8-positive, alpha-beta memory T cell'. A
value writes the state word before the cell's name ('naive CD8-positive T cells', 'memory CD8+
T cells'), which is no name of the kind word for word. So a kind is found by its name's words:
the one nearest term below the cell whose name holds the state words and every word of a name
of the cell, in any order, and adds no marker, negation or place the value does not name. And
a value naming two cells, neither a kind of the other ('CD4-positive Tregs': a CD4-positive
alpha-beta T cell, a regulatory T cell), is the one nearest term below both, unless it lists
them ('T cells, NK cells').
"""

from __future__ import annotations

import re
from dataclasses import replace

from harmonize.ground.compose import taken_by
from harmonize.ground.lexicon import KIND_RANK, Lexicon
from harmonize.ground.memo import Memo
from harmonize.ground.mentions import is_anatomy_adjective
from harmonize.ground.rules import enabled
from harmonize.models import Candidate

#: The rule's switch, read once.
MEET = enabled("meet_of_names")
#: A value listing things ('T cells and NK cells', 'B, T'): its names are several cells.
LISTING = re.compile(r"[,;/&]|\b(?:and|or|plus|with|vs)\b", re.IGNORECASE)
#: Words by which a kind's name says it is not what the modifier says ('non-activated').
NEGATING = frozenset({"non", "not", "no", "without"})


def is_marker(word: str) -> bool:
    """Whether a normalized word is a marker or a marker's level ('cd38+', 'igd-', 'cd4').

    >>> is_marker("cd38+"), is_marker("cd4"), is_marker("naive")
    (True, True, False)
    """
    return word[-1:] in "+-" or any(ch.isdigit() for ch in word)


class CellKinds:
    """The two searches, memoized (bounded like the grounder's other memos)."""

    def __init__(self, lexicon: Lexicon, memo_limit: int) -> None:
        self.lexicon = lexicon
        self._kinds: Memo[tuple[str, frozenset[str], frozenset[str]], str | None] = Memo(
            memo_limit)
        self._meets: Memo[tuple[str, frozenset[str]], str | None] = Memo(memo_limit)
        self._terms_of: dict[str, tuple[str, ...]] = {}

    def kind_by_words(self, facet: str, c: Candidate, bases: frozenset[str],
                      mods: frozenset[str]) -> list[Candidate]:
        """Candidate ``c`` made the one nearest term below ``bases`` whose name holds the
        modifier words ``mods`` and every word of a name of a base, in any order and with
        others, but no marker or place the value does not name ('resident memory' is no lung
        resident memory T cell); none when there is no such term or two are as near."""
        key = (facet, bases, mods)
        if key not in self._kinds:
            lex = self.lexicon
            own = [frozenset(n.split()) for b in bases for n in lex.names_for(facet, b)]
            below = [t for t in self._facet_terms(facet)
                     if t not in bases and any(lex.is_ancestor(b, t) for b in bases)
                     and any(mods | o <= frozenset(n.split())
                             and not self._says_more(n.split(), mods | o)
                             for n in lex.names_for(facet, t) for o in own)]
            self._kinds[key] = self._nearest(below)
        tid = self._kinds[key]
        return [] if tid is None else [self._as_term(c, tid, "kind_by_words")]

    def meet(self, facet: str, found: list[Candidate], text: str) -> list[Candidate]:
        """The two unrelated cells ``found`` in ``text`` made the one nearest term below both,
        when the text lists nothing and there is one such term; else ``found`` as it was."""
        a, b = (c.term_id for c in found)
        lex = self.lexicon
        if (not MEET or LISTING.search(text) or a == b or lex.is_ancestor(a, b)
                or lex.is_ancestor(b, a)):
            return found
        key = (facet, frozenset((a, b)))
        if key not in self._meets:
            self._meets[key] = self._nearest([t for t in self._facet_terms(facet)
                                              if lex.is_ancestor(a, t) and lex.is_ancestor(b, t)])
        tid = self._meets[key]
        if tid is None:
            return found
        best = max(found, key=lambda c: KIND_RANK.get(c.match_kind, 0))
        return [self._as_term(best, tid, "meet_of_names")]

    def place(self, words: list[str]) -> bool:
        """Whether words name a place: an UBERON name, or an anatomical adjective."""
        return (bool(self.lexicon.names.get("tissue", {}).get(" ".join(words)))
                or (len(words) == 1 and is_anatomy_adjective(words[0])))

    def _as_term(self, c: Candidate, term_id: str, rule: str) -> Candidate:
        """Candidate ``c`` made term ``term_id``, marked as taken by ``rule``."""
        info = self.lexicon.term(term_id)
        return taken_by(replace(c, term_id=term_id, term_label=info.label if info else term_id),
                        rule)

    def _nearest(self, terms: list[str]) -> str | None:
        """The one term of ``terms`` with the fewest ancestors, ``None`` when none or tied."""
        depth = {t: len(self.lexicon.ancestors.get(t, ())) for t in terms}
        near = [t for t in terms if depth[t] == min(depth.values())] if terms else []
        return near[0] if len(near) == 1 else None

    def _says_more(self, name: list[str], said: frozenset[str]) -> bool:
        """Whether a kind's name adds to the words ``said`` a marker, a negation or a place
        ('lung resident memory T cell', 'CD11c-negative dendritic cell'); a place the lineage
        is named by ('thymus-derived') is no place."""
        extra = [i for i, w in enumerate(name) if w not in said]
        return any(is_marker(name[i]) or name[i] in NEGATING for i in extra) or any(
            self.place(name[i:j]) and name[j:j + 1] != ["derived"]
            for i in extra for j in range(i + 1, min(i + 3, len(name)) + 1))

    def _facet_terms(self, facet: str) -> tuple[str, ...]:
        """The ids of the terms that have names in ``facet`` (listed once)."""
        if facet not in self._terms_of:
            self._terms_of[facet] = tuple({t for entries in self.lexicon.names.get(facet, {})
                                           .values() for t, _ in entries})
        return self._terms_of[facet]
