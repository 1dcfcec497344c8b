"""Evidence priors applied after calibration, for evidence the dev data cannot fit.

The dev gold holds free text for disease, tissue and cell type, so the fitted Platt step
(:mod:`harmonize.ground.calibrate`) has no say about a dedicated key or a short scanned value.
Three documented priors, in logit space, fill that gap:

* ``DEDICATED_PRIOR``: an exact name (label, synonym, curated word, rule) under the facet's own
  key ("disease state: Crohn's disease") - applied only when the facet's fitted Platt step has
  no dedicated-key coefficient of its own.
* ``FULL_NAME_PRIOR``: a multi-word label or synonym (or a name narrowed by its organ) inside
  a short scanned value
  ("source_name: Clear cell renal cell carcinoma cells"; known sample keys only), or a label that is the whole value
  but for words such as 'cells' or 'sample' ("source_name: Leiomyosarcoma").
* ``OTHER_KEY_PRIOR``: a tissue or cell type found under a key that describes something else
  (an unknown key, a genotype, strain or treatment: "cause of death: sudden cardiac death",
  "collagen matrix concentration: rat tail collagen") is the sample's own term less often than
  one in ``source_name``: 5 of the 7 such annotations on the real BioSample and SRA records of
  the dev kit and the fixtures were right, where the fitted step said 0.96. (Diseases there
  were 6 of 6 right and keep their confidence.) The same prior orders the values of a sample:
  a source_name term outranks one found under such a key (:func:`key_prior`).
* ``WEAK_CAP``: any term named inside a longer scanned value only by an ontology abbreviation
  ("MMP inhibitor GM6001": migratory muscle precursor), and a disease named in a scanned
  value only by an abbreviation, an adjective, a
  composed phrase ("NPC", "renal tubular" + disease) or a one-word synonym ("condition",
  "infection") with no word of disease context around it cannot be accepted; it goes to
  review. A curated abbreviation (``synonyms.tsv``) that is the whole value ("NSCLC") is not
  weak.
"""

from __future__ import annotations

import math
from functools import lru_cache

from harmonize.ground.calibrate import sigmoid
from harmonize.ground.mentions import has_disease_context
from harmonize.ground.normalize import tokens
from harmonize.models import Candidate, FieldValue

DEDICATED_PRIOR = 2.0
FULL_NAME_PRIOR = 1.5
OTHER_KEY_PRIOR = -1.5
WEAK_CAP = 0.4
STRONG_KINDS = frozenset({"label", "synonym", "curated", "healthy", "former", "variant"})
WEAK_KINDS = frozenset({"abbreviation", "curated_abbreviation", "adjective", "composed"})
#: Kinds of a full disease name: a label, a synonym, or one narrowed by an organ named beside it.
FULL_KINDS = frozenset({"label", "synonym", "narrowed"})
#: Keys known to describe the sample itself (unknown keys may describe the study: a study
#: name about a disease says little about one sample).
SHORT_VALUE_CLASSES = frozenset({"scan", "title"})


def key_prior(facet: str, kclass: str) -> float:
    """The logit shift a value's key class gets when values of one sample compete."""
    return OTHER_KEY_PRIOR if kclass == "other" and facet in ("tissue", "cell_type") else 0.0


def adjust_confidence(facet: str, top: Candidate, value: FieldValue, kclass: str,
                      conf: float, fitted_dedicated: bool) -> float:
    """The calibrated confidence of ``top`` moved by the priors above (pure)."""
    if kclass == "dedicated":
        if (not fitted_dedicated and top.method in ("exact", "rule")
                and top.match_kind in STRONG_KINDS):
            return _shift(conf, DEDICATED_PRIOR)
        return conf
    conf = _shift(conf, key_prior(facet, kclass)) if key_prior(facet, kclass) else conf
    if facet != "disease":
        # an ontology abbreviation inside a longer scanned value ("MMP inhibitor GM6001")
        if top.match_kind == "abbreviation" and not _whole(value.text, top.matched_text):
            return min(conf, WEAK_CAP)
        return conf
    weak = top.match_kind in WEAK_KINDS or (
        top.match_kind == "synonym" and len(top.matched_text.split()) == 1)
    if top.match_kind == "curated_abbreviation" and _whole(value.text, top.matched_text):
        weak = False  # a curated (unambiguous) abbreviation that is the whole value: "NSCLC"
    if weak and not has_disease_context(value.text, top.matched_text):
        return min(conf, WEAK_CAP)
    if kclass in SHORT_VALUE_CLASSES and top.match_kind in FULL_KINDS and (
            len(top.matched_text.split()) >= 2 or _whole(value.text, top.matched_text)):
        return _shift(conf, FULL_NAME_PRIOR)
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
