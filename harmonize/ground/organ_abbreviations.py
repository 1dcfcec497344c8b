"""An abbreviation of several diseases read by the sample's own organ (rule
``organ_abbreviation``).

One abbreviation stands for many diseases: 'AD' is Alzheimer disease to a neurologist and
atopic dermatitis to a dermatologist; 'BPD' a mood disorder in a brain bank and a lung
disease of preterm infants. Ranked alone, the expansions tie, or the one the ontologies list
wins wherever it is written. A sample whose tissue is read says which is meant: MONDO files
each disease under the classes of the organs it afflicts ('skin disorder', 'lung disorder'),
UBERON each tissue under the organs it is part of
(:class:`harmonize.ground.group_words.GroupWords`, which reads a study's group words so). The
disease a sample reads from an abbreviation becomes the one expansion that afflicts an organ
of the sample's tissue, when exactly one does and it is no broader or narrower form of the
disease read; with none or several, the reading stays as ranked.

The expansions include the abbreviations a field uses for a disease of its own organ that MONDO
does not list (``words/organ_abbreviations.tsv``: 'AD', atopic dermatitis): they are read only
so, beside that organ, and never where no organ is read ('AD' beside blood stays Alzheimer
disease).
"""

from __future__ import annotations

from dataclasses import replace

from harmonize.ground.compose import taken_by
from harmonize.ground.group_words import GroupWords
from harmonize.ground.mentions import ABBREVIATION_KINDS
from harmonize.ground.rules import enabled
from harmonize.models import Annotation

#: The rule's switch, read once.
ON = enabled("organ_abbreviation")


def with_organ_abbreviation(annotations: list[Annotation], reader: GroupWords,
                            accept: float) -> list[Annotation]:
    """``annotations`` with a disease read from an abbreviation of several diseases made
    the one of them that afflicts an organ of the sample's tissue (confidence: as if the
    abbreviation were of that disease alone; accepted from ``accept`` up)."""
    if not ON:
        return annotations
    tissue = next((a for a in annotations if a.facet == "tissue" and a.term_id), None)
    if tissue is None:
        return annotations
    out = list(annotations)
    for i, ann in enumerate(out):
        if ann.facet != "disease" or not ann.term_id or not ann.candidates:
            continue
        top = ann.candidates[0]
        if top.match_kind not in ABBREVIATION_KINDS or len(reader.all_expansions(
                top.matched_text)) < 2:
            continue
        lex = reader.lexicon
        chosen = reader.organ_disease(top.matched_text, reader.places([tissue.term_id]))
        info = lex.term(chosen or "")
        tied = top.features.get("conf:tied", 1.0)
        if chosen is None or info is None or (chosen == ann.term_id and tied == 1.0):
            continue
        if chosen != ann.term_id and (lex.is_ancestor(chosen, ann.term_id)
                                      or lex.is_ancestor(ann.term_id, chosen)):
            continue  # one lineage: the form ranked first stays ('RCC', clear cell or not)
        # the tie the ranking divided the confidence by is broken
        conf = round(min(ann.confidence * tied, 1.0), 4)
        cand = taken_by(replace(top, term_id=chosen, term_label=info.label,
                                features={**top.features, "conf:final": conf}),
                        "organ_abbreviation")
        out[i] = replace(ann, term_id=chosen, term_label=info.label, confidence=conf,
                         status="accepted" if conf >= accept else "needs_review",
                         candidates=(cand,) + tuple(c for c in ann.candidates[1:]
                                                    if c.term_id != chosen))
    return out
