"""A sample's sex read from an organ or a disease only one sex has (rules ``sex_of_organ``,
``sex_of_disease``).

A prostate, a testis or a foreskin is a male's; a uterus, an ovary or a cervix a female's.
UBERON says so itself: such organs lie in its 'male organism' or 'female organism' (part_of),
so no list of organs is kept here. MONDO likewise files endometriosis and ovarian cancer under
'female reproductive system disorder', preeclampsia under 'pregnancy disorder' and prostate
cancer under 'male reproductive system disorder' (``ontologies/words/sex_classes.tsv``). A
sample that states no sex but whose tissue (or, for a cultured sample, the organ it came from)
or disease is one of them is of that sex, as surely as the tissue or the disease was read
right: the annotation takes its confidence. A sex the sample states is never overridden; an
organ and a disease of two sexes say none; and an organ that holds the fetus's cells (the
placenta, the umbilical cord: ``ontologies/words/shared_organs.tsv``) says neither, nor does a
pregnancy's disease of a sample taken from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from harmonize.ground.compose import taken_by
from harmonize.ground.lexicon import Lexicon
from harmonize.ground.rules import choices, enabled, words
from harmonize.models import Annotation, Candidate

FEMALE, MALE = "PATO:0000383", "PATO:0000384"
#: The rules' switches, read once.
ON = enabled("sex_of_organ")
BY_DISEASE = enabled("sex_of_disease")
#: Ontology classes whose members one sex has, and the sex each is (UBERON organisms, MONDO
#: disease classes).
SEX_CLASSES = {r["term"]: r["sex"] for r in choices("sex_classes", "sex", frozenset({FEMALE, MALE}))
               } if ON or BY_DISEASE else {}
#: Organs of a pregnancy that hold the fetus's cells: no sex of the sample's.
SHARED = words("shared_organs") if ON or BY_DISEASE else frozenset()
#: Facets whose term may be an organ of one sex.
PLACES = ("tissue", "origin_tissue")


def class_sex(lex: Lexicon, term_id: str) -> str | None:
    """The sex whose class (``SEX_CLASSES``: an organism of one sex, a disease class of one
    sex) ``term_id`` lies in, or None (both or neither)."""
    ancestors = lex.ancestors.get(term_id, frozenset())
    found = {sex for cls, sex in SEX_CLASSES.items() if cls in ancestors or cls == term_id}
    return next(iter(found)) if len(found) == 1 else None


def fetal(lex: Lexicon, term_id: str) -> bool:
    """Whether ``term_id`` is, or lies in, an organ that holds the fetus's cells."""
    return term_id in SHARED or any(a in SHARED for a in lex.ancestors.get(term_id, ()))


def with_organ_sex(annotations: list[Annotation], lex: Lexicon) -> list[Annotation]:
    """``annotations`` with the sex of the organ sampled, or of the sample's disease, added
    when none is stated."""
    if not (ON or BY_DISEASE) or states_sex(annotations):
        return annotations
    sure = [a for a in annotations if a.term_id and a.status == "accepted"]
    places = [a for f in PLACES for a in sure if a.facet == f] if ON else []
    if any(fetal(lex, a.term_id) for a in places):
        return annotations  # the fetus's organ: neither it nor a pregnancy's disease says
    said = [(a, class_sex(lex, a.term_id)) for a in places[:1]]
    if BY_DISEASE:
        said += [(a, class_sex(lex, a.term_id)) for a in sure if a.facet == "disease"]
    sexes = {sex for _, sex in said if sex}
    if len(sexes) != 1:
        return annotations
    sex = sexes.pop()
    source = next(a for a, s in said if s == sex)
    rule = "sex_of_organ" if source.facet in PLACES else "sex_of_disease"
    return with_sex_of(annotations, lex, source, sex, rule, f"{source.facet}_sex")


def with_sex_of(annotations: list[Annotation], lex: Lexicon, source: Annotation, sex: str,
                rule: str, match_kind: str) -> list[Annotation]:
    """``annotations`` with ``sex`` as the sample's sex, read by ``rule`` from the annotation
    ``source`` (an organ, a disease, a cell line), at its confidence and from its value."""
    info = lex.term(sex)
    label = info.label if info else ("female" if sex == FEMALE else "male")
    cand = taken_by(Candidate(term_id=sex, term_label=label, method="rule",
                              matched_text=source.term_label or "", match_kind=match_kind,
                              similarity=1.0, features={"conf:" + source.facet: source.confidence}),
                    rule)
    return [*(a for a in annotations if a.facet != "sex"),
            replace(source, facet="sex", term_id=sex, term_label=label, method="rule",
                    candidates=(cand,))]


def agreed_sex(annotations: Sequence[list[Annotation]], members: Sequence[int],
               counts: Callable[[Annotation], bool] = lambda a: True) -> Annotation | None:
    """The surest accepted sex annotation among the samples ``members`` (those ``counts``
    lets speak) when every one of them states the same sex; ``None`` when none states one or
    they disagree (rules ``donor_sex_in_study``, ``stated_line_sex``)."""
    stated = [a for i in members for a in annotations[i]
              if a.facet == "sex" and a.term_id and a.status == "accepted" and counts(a)]
    if not stated or len({a.term_id for a in stated}) != 1:
        return None
    return max(stated, key=lambda a: a.confidence)


def states_sex(annotations: list[Annotation]) -> bool:
    """Whether a sample's annotations name a sex."""
    return any(a.facet == "sex" and a.term_id for a in annotations)

