"""A sample's sex read from an organ only one sex has (rule ``sex_of_organ``).

A prostate, a testis or a foreskin is a male's; a uterus, an ovary or a cervix a female's.
UBERON says so itself: such organs lie in its 'male organism' or 'female organism' (part_of),
so no list of organs is kept here. A sample that states no sex but whose tissue (or, for a
cultured sample, the organ it came from) is one of them is of that sex, as surely as the
tissue was read right: the annotation takes the tissue's confidence. A sex the sample states
is never overridden, and an organ that holds the fetus's cells as well as the mother's
(the placenta; ``ontologies/words/shared_organs.tsv``) says neither.
"""

from __future__ import annotations

from dataclasses import replace

from harmonize.ground.compose import taken_by
from harmonize.ground.lexicon import Lexicon
from harmonize.ground.rules import enabled, words
from harmonize.models import Annotation, Candidate

FEMALE, MALE = "PATO:0000383", "PATO:0000384"
#: UBERON's organisms of one sex, and the sex each is.
ORGANISM_SEX = {"UBERON:0003100": FEMALE, "UBERON:0003101": MALE}
#: The rule's switch, read once.
ON = enabled("sex_of_organ")
#: Organs of a pregnancy that hold the fetus's cells too: no sex of the sample's.
SHARED = words("shared_organs") if ON else frozenset()
#: Facets whose term may be an organ of one sex.
PLACES = ("tissue", "origin_tissue")


def organ_sex(lex: Lexicon, term_id: str) -> str | None:
    """The sex whose organism ``term_id`` lies in, or None (both, neither, or shared)."""
    ancestors = lex.ancestors.get(term_id, frozenset())
    if term_id in SHARED or any(a in SHARED for a in ancestors):
        return None
    found = {sex for organism, sex in ORGANISM_SEX.items() if organism in ancestors}
    return next(iter(found)) if len(found) == 1 else None


def with_organ_sex(annotations: list[Annotation], lex: Lexicon) -> list[Annotation]:
    """``annotations`` with the sex of the organ sampled added when none is stated."""
    if not ON or any(a.facet == "sex" and a.term_id for a in annotations):
        return annotations
    place = next((a for f in PLACES for a in annotations
                  if a.facet == f and a.term_id and a.status == "accepted"), None)
    sex = organ_sex(lex, place.term_id) if place and place.term_id else None
    if place is None or sex is None:
        return annotations
    info = lex.term(sex)
    label = info.label if info else ("female" if sex == FEMALE else "male")
    cand = taken_by(Candidate(term_id=sex, term_label=label, method="rule",
                              matched_text=place.term_label or "", match_kind="organ_sex",
                              similarity=1.0, features={"conf:organ": place.confidence}),
                    "sex_of_organ")
    return [*(a for a in annotations if a.facet != "sex"),
            replace(place, facet="sex", term_id=sex, term_label=label, method="rule",
                    candidates=(cand,))]
