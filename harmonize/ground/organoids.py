"""An organoid's tissue is the organ it models (rule ``organ_of_organoid``).

An organoid is grown from an organ's epithelium, and its samples name both ('colonic
epithelial organoids from sigmoid colon biopsies'). CELLxGENE's tissue of an organoid is the
organ it models, so where the tissue read is an epithelium and another candidate of the same
reading is the organ that epithelium lines, or a part of it, that organ is the tissue: the
deepest term both lie under must be the epithelium's own organ (one level above it), so that
an organ elsewhere in the body ('colonic epithelium' beside 'lung') is no rival.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from harmonize.ground.compose import taken_by
from harmonize.ground.lexicon import Lexicon
from harmonize.ground.normalize import tokens
from harmonize.ground.rules import enabled
from harmonize.models import Annotation

#: The rule's switch, read once.
ON = enabled("organ_of_organoid")
#: UBERON's epithelium: a tissue below it is a lining, not an organ.
EPITHELIUM = "UBERON:0000483"


def says_organoid(texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` has a word for organoids ('organoid', 'colonoids' is not)."""
    return any(t.startswith("organoid") for text in texts for t in tokens(text))


def organ_of_organoid(annotations: list[Annotation], lexicon: Lexicon,
                      texts: Iterable[str]) -> list[Annotation]:
    """``annotations`` with an epithelium read as an organoid's tissue replaced by the organ
    it lines that the same reading also names (see the module's docstring)."""
    if not ON:
        return annotations
    at = next((i for i, a in enumerate(annotations) if a.facet == "tissue" and a.term_id), None)
    if at is None:
        return annotations
    tissue = annotations[at]
    top = tissue.term_id or ""
    info = lexicon.term(top)
    if (info is None or EPITHELIUM not in lexicon.ancestors.get(top, ())
            or not says_organoid(texts)):
        return annotations
    for c in tissue.candidates[1:]:
        if EPITHELIUM in lexicon.ancestors.get(c.term_id, ()) or c.term_id == EPITHELIUM:
            continue
        if _lines(lexicon, top, c.term_id, info.depth):
            out = list(annotations)
            rest = tuple(x for x in tissue.candidates if x.term_id != c.term_id)
            out[at] = replace(tissue, term_id=c.term_id, term_label=c.term_label,
                              candidates=(taken_by(c, "organ_of_organoid"), *rest))
            return out
    return annotations


def _lines(lexicon: Lexicon, epithelium: str, organ: str, depth: int) -> bool:
    """Whether ``organ`` is the organ ``epithelium`` lines or a part of it: the deepest term
    both lie under (``organ`` itself included) is one level above the epithelium."""
    above = lexicon.ancestors.get(epithelium, frozenset())
    shared = [a for a in above if a == organ or a in lexicon.ancestors.get(organ, ())]
    deepest = max((t.depth for a in shared if (t := lexicon.term(a)) is not None), default=-1)
    return deepest >= depth - 1
