"""One person, one sex: a sample's sex read from its donor's other samples in the study
(rule ``donor_sex_in_study``).

A study often states a donor's sex once (a description, a title) and names the donor on every
sample: the fibroblasts, the iPSCs reprogrammed from them and the neurons made from those, or a
patient's tumour and its xenografts. Samples of one study under the same donor (the value of a
key naming the person sampled: 'individual', 'patient', 'donor id') that state no sex take the
sex the donor's other samples state, when they all state the same one, at the surest of
their confidences. Nothing is taken across studies: 'P1' in two studies is two people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

from harmonize.ground.compose import taken_by
from harmonize.ground.fields import key_role, key_words
from harmonize.ground.normalize import is_null
from harmonize.ground.organ_sex import agreed_sex, states_sex
from harmonize.ground.rules import enabled, words
from harmonize.models import Annotation

#: The rule's switch, read once.
ON = enabled("donor_sex_in_study")
#: Nouns naming the person sampled ('donor', 'patient'...): '<noun> id' names that person.
PERSON = words("donor_nouns") if ON else frozenset()
#: A donor id is one short value, not a sentence about the donor.
MAX_ID_CHARS = 40
_ID_TAIL = re.compile(r"\s(?:id|ids|identifier|number|no|code|name)$")


@lru_cache(maxsize=65_536)
def donor_key(key: str) -> bool:
    """Whether ``key`` names the person sampled ('individual', 'participant id', 'donor_ID').

    >>> donor_key("individual"), donor_key("participant id"), donor_key("sample id")
    (True, True, False)
    """
    if key_role(key) == "donor":
        return True
    said = key_words(key)
    head = _ID_TAIL.sub("", said).split()
    return bool(_ID_TAIL.search(said)) and bool(head) and head[-1] in PERSON


def donor_of(attributes: Mapping[str, str]) -> tuple[str, str] | None:
    """``(key, value)`` naming the sample's donor, or None."""
    for key, value in attributes.items():
        if (isinstance(value, str) and value.strip() and not is_null(value)
                and len(value.strip()) <= MAX_ID_CHARS and donor_key(key)):
            return key, value.strip()
    return None


def with_donor_sex(annotations: Sequence[list[Annotation]],
                   attributes: Sequence[Mapping[str, str]],
                   studies: Sequence[str | None]) -> list[list[Annotation]]:
    """``annotations`` (one list per sample) with the sex of each sample's donor added where
    the sample states none and the donor's other samples in its study state one."""
    out = [list(a) for a in annotations]
    if not ON:
        return out
    donors: dict[tuple[str, str, str], list[int]] = {}
    for i, (attrs, study) in enumerate(zip(attributes, studies)):
        who = donor_of(attrs) if study else None
        if who is not None:
            donors.setdefault((study or "", who[0], who[1].casefold()), []).append(i)
    for (_, key, _), members in donors.items():
        surest = agreed_sex(out, members) if len(members) > 1 else None
        if surest is None:
            continue
        for i in members:
            if states_sex(out[i]):
                continue
            value = attributes[i][key]
            cands = tuple(taken_by(c, "donor_sex_in_study") for c in surest.candidates[:1])
            out[i] = [a for a in out[i] if a.facet != "sex"] + [replace(
                surest, method="rule", source_key=key, source_text=value,
                source_length=None, candidates=cands)]
    return out
