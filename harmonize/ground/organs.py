"""The organs a disease afflicts, as MONDO files it: the classes of one organ's diseases above
it ('kidney disorder', 'lung cancer') name the organ in the words before their last
(``ontologies/words/organ_class_heads.tsv``). Read by the rules that choose by a study's organs
(``group_abbreviation``) and that find a part of the organ a sample's disease afflicts
(``part_of_disease_organ``)."""

from __future__ import annotations

from harmonize.ground.lexicon import Lexicon
from harmonize.ground.rules import words

#: Last words of MONDO's classes of the diseases of one organ ('kidney disorder').
ORGAN_CLASS_HEADS = words("organ_class_heads")


def disease_organs(lexicon: Lexicon, disease: str, memo: dict[str, frozenset[str]]
                   ) -> frozenset[str]:
    """The UBERON terms MONDO's organ classes above ``disease`` name ('lung disorder'), the
    narrowest of each line: not 'respiratory system' beside 'lung' (a system holds many
    organs; gastric cancer is a disease of the stomach, not of every organ of the digestive
    system). ``memo``: the caller's, per lexicon."""
    known = memo.get(disease)
    if known is None:
        found: set[str] = set()
        for tid in lexicon.ancestors.get(disease, frozenset()) | {disease}:
            info = lexicon.term(tid)
            ws = info.label.lower().split() if info else []
            if len(ws) >= 2 and ws[-1] in ORGAN_CLASS_HEADS:
                found.update(t for t, _ in lexicon.lookup("tissue", " ".join(ws[:-1])))
        known = memo[disease] = frozenset(
            o for o in found if not any(lexicon.is_ancestor(o, x) for x in found))
    return known
