"""Infections done in a dish: the experiment, not the donor's disease (rule ``dish_infection``).

A cell line has no donor whose disease an infection could be, and a sample whose keys or values
give a multiplicity of infection, hours or days post infection, or a mock control was infected
in vitro: there a value under an infection key ('infection: SARS-CoV-2', 'infection: none
(mock)') or one carrying such a marker names what the cells were given. Such values are not
read for the disease; the line's own cancer, or the donor's state said elsewhere, still is.
On a sample of a named line no value names an infectious disease of the sample at all
('A-431 + SARS-CoV-2 24h' is the line's experiment): MONDO's infectious diseases are no
candidates there (:func:`infectious`).
Vocabulary: ``ontologies/words/dish_infection.tsv``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from harmonize.ground.fields import key_class
from harmonize.ground.rules import choices, enabled
from harmonize.models import Annotation, FieldValue, accepted

if TYPE_CHECKING:
    from harmonize.ground.lexicon import Lexicon

_ROWS = choices("dish_infection", "scope", frozenset({"marker", "key", "class"}))
_ON = enabled("dish_infection")
#: MONDO classes whose diseases are infections (scope ``class``).
INFECTION_CLASSES = frozenset(r["word"] for r in _ROWS if r["scope"] == "class")


def _pattern(scope: str) -> re.Pattern[str]:
    words = sorted((r["word"] for r in _ROWS if r["scope"] == scope), key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in words)
                      + r")(?![a-z0-9])")


_MARKER = _pattern("marker")
_INFECTION_KEY = _pattern("key")


@lru_cache(maxsize=100_000)
def marks_infection(text: str) -> bool:
    """Whether a key or value says an infection was done in vitro.

    >>> marks_infection("Mtb H37Rv, MOI 5"), marks_infection("24 hpi"), marks_infection("HIV+")
    (True, True, False)
    """
    return bool(_MARKER.search(text.lower()))


@lru_cache(maxsize=10_000)
def infection_key(key: str) -> bool:
    """Whether a key names the infection a sample was given ('infection', 'virus').

    >>> infection_key("Infection status"), infection_key("disease")
    (True, False)
    """
    return bool(_INFECTION_KEY.search(key.lower()))


def in_dish(values: Iterable[FieldValue], decided: Iterable[Annotation]) -> bool:
    """Whether the sample's infection, if any, was done in vitro: a cell line is named, or a
    key or value carries an in-vitro infection marker."""
    if not _ON:
        return False
    if accepted(decided, "cell_line") is not None:
        return True
    return any(marks_infection(v.source_key) or marks_infection(v.text) for v in values)


def given_infection(value: FieldValue) -> bool:
    """Whether a disease value names the infection given in a dish (under an infection key, or
    carrying an in-vitro marker); only asked of samples :func:`in_dish`. Free text, a title or
    a description is never set aside whole: it says more than the infection."""
    return ((infection_key(value.source_key) or marks_infection(value.text))
            and key_class(value) not in ("text", "title"))


def infectious(lex: Lexicon, term_id: str) -> bool:
    """Whether ``term_id`` is an infection (:data:`INFECTION_CLASSES` or below one)."""
    return any(term_id == c or lex.is_ancestor(c, term_id) for c in INFECTION_CLASSES)
