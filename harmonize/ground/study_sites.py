"""One study, one reading of a body site (rule ``site_in_study``).

Rule ``skin_of_site`` reads a body site beside a skin disorder as the skin there ('body site:
forearm' beside systemic sclerosis is the skin of forearm), and leaves a healthy person's
site the site. In a study, though, the controls are sampled as the patients are: a control
whose site is written under the same key in the same words as a patient's that was read as
the skin there is that skin too. Nothing is taken across studies, and a sample whose own
tissue is not the site the patient's reading started from keeps its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harmonize.ground.compose import rules_that_took, taken_by
from harmonize.ground.rules import enabled
from harmonize.models import Annotation

#: The rule's switch, read once.
ON = enabled("site_in_study")
#: The rule whose readings a study's other samples share.
SHARED_RULE = "skin_of_site"


def with_study_sites(annotations: Sequence[list[Annotation]],
                     studies: Sequence[str | None]) -> list[list[Annotation]]:
    """``annotations`` (one list per sample) with a body site read as the skin there where
    another sample of the study wrote the same site under the same key and was read so."""
    out = [list(a) for a in annotations]
    if not ON:
        return out
    read: dict[tuple[str, str, str], Annotation] = {}
    for anns, study in zip(out, studies):
        for a in anns:
            if study and _skin_read(a):
                read.setdefault((study, a.source_key, a.source_text.casefold()), a)
    if not read:
        return out
    for anns, study in zip(out, studies):
        for j, a in enumerate(anns):
            if not study or a.facet != "tissue" or a.term_id is None:
                continue
            skin = read.get((study, a.source_key, a.source_text.casefold()))
            if (skin is None or skin.term_id == a.term_id
                    or a.term_id not in {c.term_id for c in skin.candidates[1:]}):
                continue
            anns[j] = replace(skin, candidates=(taken_by(skin.candidates[0], "site_in_study"),
                                                *skin.candidates[1:]))
    return out


def _skin_read(a: Annotation) -> bool:
    """Whether ``a`` is a tissue read as the skin at a body site (rule ``skin_of_site``)."""
    return (a.facet == "tissue" and a.term_id is not None and a.status == "accepted"
            and bool(a.candidates) and SHARED_RULE in rules_that_took(a.candidates[0]))
