"""Evidence: the kind of evidence a top candidate rests on, and the cautious rules that lower
a confidence the fit cannot judge.

:func:`evidence_kind` names the kind (key class, method, match kind) whose held-out support the
cautious prior of :mod:`harmonize.ground.calibrate` counts. Two rules only ever lower a
confidence (a rule that raised one would be evidence the dev data did not earn):

* ``OTHER_KEY_PRIOR``: a tissue or cell type found under a key that describes something else
  (an unknown key, a genotype, strain or treatment: "cause of death: sudden cardiac death",
  "collagen matrix concentration: rat tail collagen") is the sample's own term less often than
  one in ``source_name``. The same prior orders the values of a sample: a source_name term
  outranks one found under such a key (:func:`key_prior`).
* ``WEAK_CAP``: any term named inside a longer scanned value only by an ontology abbreviation
  ("MMP inhibitor batimastat": migratory muscle precursor), and a disease named in a scanned
  value only by an abbreviation, an adjective, a composed phrase ("NPC", "renal tubular" +
  disease) or a one-word synonym ("condition", "infection") with no word of disease context
  around it cannot be accepted; it goes to review. A curated abbreviation (``synonyms.tsv``)
  that is the whole value ("NSCLC") is not weak.

The former boosts (a dedicated key +2 logits, a full disease name in a short value +1.5) were
removed: they made evidence the dev gold never holds the most confident of all.
"""

from __future__ import annotations

import math
from functools import lru_cache

from harmonize.ground.calibrate import sigmoid
from harmonize.ground.mentions import ABBREVIATION_KINDS, has_disease_context
from harmonize.ground.normalize import tokens
from harmonize.models import Candidate, FieldValue

OTHER_KEY_PRIOR = -1.5
WEAK_CAP = 0.4
#: Name kinds that are abbreviations (two letters of one name no whole scanned value trusts).
SHORT_KINDS = ABBREVIATION_KINDS
WEAK_KINDS = ABBREVIATION_KINDS | {"adjective", "composed"}
#: Methods that guess a term from a similar name rather than find one.
GUESS_METHODS = frozenset({"fuzzy", "embedding"})


def key_prior(facet: str, kclass: str) -> float:
    """The logit shift a value's key class gets when values of one sample compete."""
    return OTHER_KEY_PRIOR if kclass == "other" and facet in ("tissue", "cell_type") else 0.0


def adjust_confidence(facet: str, top: Candidate, value: FieldValue, kclass: str,
                      conf: float) -> float:
    """The calibrated confidence of ``top`` lowered by the cautious rules above (pure)."""
    if kclass == "dedicated":
        return conf
    conf = _shift(conf, key_prior(facet, kclass)) if key_prior(facet, kclass) else conf
    if facet != "disease":
        # an ontology abbreviation inside a longer scanned value ("MMP inhibitor batimastat")
        if top.match_kind == "abbreviation" and not _whole(value.text, top.matched_text):
            return min(conf, WEAK_CAP)
        return conf
    weak = kind_group(top) == "weak"
    if top.match_kind == "curated_abbreviation" and _whole(value.text, top.matched_text):
        weak = False  # a curated (unambiguous) abbreviation that is the whole value: "NSCLC"
    if weak and not has_disease_context(value.text, top.matched_text):
        return min(conf, WEAK_CAP)
    return conf


#: Words that may surround a name that is otherwise the whole value.
_FILLER = frozenset({"cell", "line", "sample", "tissue", "primary", "human", "patient", "of",
                     "from", "biopsy", "specimen", "tumor", "tumour"})


@lru_cache(maxsize=65_536)
def _whole(text: str, matched: str) -> bool:
    rest = [t for t in tokens(text) if t not in _FILLER]
    return bool(rest) and " ".join(rest) == matched


def _shift(p: float, delta: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return sigmoid(math.log(p / (1 - p)) + delta)


def kind_group(c: Candidate) -> str:
    """``label`` | ``synonym`` | ``weak`` | ``other``: the match kind, coarsely."""
    if c.match_kind in ("label", "healthy", "former", "variant", "narrowed"):
        return "label"
    if c.match_kind in WEAK_KINDS or (
            c.match_kind == "synonym" and len(c.matched_text.split()) == 1):
        return "weak"
    if c.match_kind in ("synonym", "curated", "exact_synonym", "related_synonym"):
        return "synonym"
    return "other"


def evidence_kind(top: Candidate, kclass: str) -> str:
    """The kind of evidence whose held-out support the cautious prior counts:
    ``<key class>/<method>/<match kind group>``."""
    return f"{'other' if kclass == 'whole' else kclass}/{top.method}/{kind_group(top)}"
