"""Life stages from ages: gestational weeks, embryonic/postnatal days and ages in years.

The rules (used only for values of a dedicated developmental-stage or age key):

=======================================  ==================================================
value                                    stage
=======================================  ==================================================
``N weeks gestation`` / ``GW N`` (GA)    N < 10: embryo stage, else late embryonic (fetal)
``N gestational weeks``                  (the same)
``N pcw`` / ``N weeks post-conception``  N < 8: embryo stage, else late embryonic (fetal)
``E12.5`` / ``embryonic day 12``         embryo stage (mouse/rat embryonic days)
``P0``/``P1`` (postnatal day)            neonate stage
``P2`` .. ``P41``                        juvenile stage
``P42`` and later                        adult stage
``N years`` (also ``45 y``, ``45yo``)    < 1 infant, 1-18 juvenile, >= 19 adult
=======================================  ==================================================

Gestational age counts from the last menstrual period, two weeks before conception, so the
embryonic period (to 8 weeks post-conception) ends at 10 weeks of gestation. Ages in years are
read as human ages (a mouse age in years is adult under the same rule). Bare numbers and ages
in weeks or months of life are left alone: the stage they mean depends on the species.
"""

from __future__ import annotations

import re

from harmonize.ground.rules import enabled, words

EMBRYO = "UBERON:0000068"
FETAL = "UBERON:0007220"  # late embryonic stage: the fetal period, to birth
NEONATE = "UBERON:0007221"
INFANT = "UBERON:0034920"
JUVENILE = "UBERON:0034919"
ADULT = "UBERON:0000113"

_NUM = r"(\d+(?:\.\d+)?)"
_GA = re.compile(rf"^(?:gw|gestational week|ga)\s*{_NUM}\b|{_NUM}\s*(?:\+\d\s*)?"
                 rf"(?:weeks?|wks?|w)\s*(?:of\s+)?(?:gestation|gestational age|ga)\b"
                 rf"|{_NUM}\s*gestational\s+weeks?\b")
_PCW = re.compile(rf"{_NUM}\s*(?:pcw|weeks?\s+post[\s-]?conception|post[\s-]?conception\s+weeks?)\b")
_EDAY = re.compile(rf"^(?:e|embryonic day\s*){_NUM}$")
_PDAY = re.compile(r"^(?:p|pnd|postnatal day\s*)(\d+)$")
_YEARS = re.compile(rf"^(?:age\s*)?{_NUM}\s*(?:years?(?:\s+old)?|yrs?|y|yo|y\.o\.?)$")


#: Life-stage words an age field may hold instead of a number ("age: adult"); the
#: developmental-stage lexicon grounds them.
STAGE_WORDS = words("stage_words") if enabled("stage_words") else frozenset()
#: Rule ``age_stage`` (off: :func:`stage_of` reads nothing).
_AGE_RULE = enabled("age_stage")


def names_a_stage(value: str) -> bool:
    """Whether an age value is a life-stage word ("adult", "Newborn") rather than a number."""
    return re.sub(r"\s+", " ", value.strip().lower()) in STAGE_WORDS


def stage_of(value: str) -> tuple[str, str] | None:
    """``(term_id, rule)`` for an age or stage value, or ``None`` when no rule applies.

    >>> stage_of("21.3 weeks gestation"), stage_of("E14.5"), stage_of("45 years")
    (('UBERON:0007220', 'gestational week >= 10'), ('UBERON:0000068', 'embryonic day'), \
('UBERON:0000113', 'age >= 19 years'))
    """
    if not _AGE_RULE:
        return None
    v = re.sub(r"\s+", " ", value.strip().lower())
    m = _PCW.search(v)
    if m:
        weeks = float(m.group(1))
        return (EMBRYO, "post-conception week < 8") if weeks < 8 else (
            FETAL, "post-conception week >= 8")
    m = _GA.search(v)
    if m:
        weeks = float(next(g for g in m.groups() if g))
        return (EMBRYO, "gestational week < 10") if weeks < 10 else (
            FETAL, "gestational week >= 10")
    if _EDAY.match(v):
        return EMBRYO, "embryonic day"
    m = _PDAY.match(v)
    if m:
        day = int(m.group(1))
        if day <= 1:
            return NEONATE, "postnatal day <= 1"
        return (JUVENILE, "postnatal day 2-41") if day < 42 else (ADULT, "postnatal day >= 42")
    m = _YEARS.match(v)
    if m:
        years = float(m.group(1))
        if years < 1:
            return INFANT, "age < 1 year"
        if years < 19:  # UBERON has no child or adolescent stage
            return JUVENILE, "age 1-18 years"
        return ADULT, "age >= 19 years"
    return None
