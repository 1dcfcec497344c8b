"""The ``sample_type`` facet: what kind of biological material a sample is, and what that means
for its tissue.

:func:`classify` turns the features of :mod:`harmonize.ground.sample_type_features` into a
calibrated probability per type with the fitted model ``ontologies/sample_type_model.json``
(multinomial logistic regression plus a temperature; plain numbers, no pickle). Organoids have
no labelled examples: a sample whose values name an organoid is an organoid with the model
file's ``organoid.confidence`` (a knowledge rule, shown as such). :func:`with_sample_type`
is the one hook of the grounder: it adds the annotation and, for a cultured sample, turns the
tissue annotation into ``origin_tissue`` (the organ the culture came from), unless the tissue
value itself says the sample is tissue ('tumor tissue', 'biopsy') or a key says the sample is
post-mortem material (a cause of death, a post-mortem interval).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

import numpy as np

from harmonize.errors import ConfigError
from harmonize.ground.fields import MAX_VALUE_CHARS, bounded, key_role
from harmonize.ground.memo import Memo
from harmonize.ground.normalize import is_null, normalize
from harmonize.ground.overrides import REJECT, override_key
from harmonize.ground.rules import enabled, words
from harmonize.ground.sample_type_features import (
    CULTURED,
    FEATURE_NAMES,
    SAMPLE_TYPE_LABELS,
    SAMPLE_TYPES,
    LexiconLike,
    classes_digest,
    key_hits,
    sample_features,
    word_hits,
)
from harmonize.models import Annotation, Candidate
from harmonize.resources import ONTOLOGIES_DIR

MODEL_PATH = ONTOLOGIES_DIR / "sample_type_model.json"
FACET = "sample_type"
ORIGIN_FACET = "origin_tissue"
METHOD = "classifier"


@dataclass(frozen=True, slots=True)
class SampleTypeModel:
    """Fitted parameters: one coefficient row per class over :data:`FEATURE_NAMES`."""

    version: str
    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    organoid_confidence: float
    accept: float
    centered: np.ndarray  # coef minus its mean row: parts of a type's score vs. the mean type

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Class scores of one feature vector (before the temperature)."""
        return self.coef @ x + self.intercept

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities of one feature vector."""
        z = self.logits(x) / self.temperature
        e = np.exp(z - z.max())
        return e / e.sum()


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> SampleTypeModel:
    """Read the model file.

    Raises:
        ConfigError: the file is missing, unreadable, or fitted over other features.
    """
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the sample-type model ({exc}); refit it with "
                          "bench/fit_sample_type.py") from exc
    if list(raw.get("features", ())) != list(FEATURE_NAMES):
        raise ConfigError(f"{path}: fitted over other features than sample_type_features.py "
                          "computes; refit it with bench/fit_sample_type.py")
    fitted_with = raw.get("classes_digest")
    if fitted_with is not None and fitted_with != classes_digest():
        raise ConfigError(f"{path}: fitted with another sample_type_classes.tsv; refit it with "
                          "bench/fit_sample_type.py")
    classes = tuple(raw["classes"])
    if not set(classes) <= set(SAMPLE_TYPES):
        raise ConfigError(f"{path}: unknown classes {sorted(set(classes) - set(SAMPLE_TYPES))}")
    return model_of(raw)


def model_of(raw: Mapping) -> SampleTypeModel:
    """A model from its JSON form (the shipped file, or a fit held out in a benchmark)."""
    coef = np.array(raw["coef"], dtype=float)
    return SampleTypeModel(raw["version"], tuple(raw["classes"]), coef,
                           np.array(raw["intercept"], dtype=float), float(raw["temperature"]),
                           float(raw.get("organoid", {}).get("confidence", 0.7)),
                           float(raw.get("accept", 0.5)), coef - coef.mean(axis=0))


@dataclass(frozen=True, slots=True)
class Decision:
    """A sample's type with every probability and the evidence behind it."""

    type: str
    confidence: float
    method: str  # classifier | rule (organoid) | curated
    proba: dict[str, float]
    contributions: dict[str, float]  # feature -> its part of the chosen class's logit
    evidence: dict[str, tuple[str, str]]  # feature -> (key, value) that fired it
    source: tuple[str, str]  # the (key, value) of the strongest positive evidence


def classify(attributes: Mapping[str, str], text: str | None,
             annotations: Sequence[Annotation], lexicon: LexiconLike | None,
             model: SampleTypeModel | None = None, explain: bool = False) -> Decision:
    """The type of one sample from its attributes, free text and other annotations
    (``explain`` fills :attr:`Decision.contributions`, the parts of the chosen type's score)."""
    model = model or load_model()
    feats, ev = sample_features(attributes, text, annotations, lexicon)
    x = _vector(feats)
    scored = _scoring(model, x)
    contrib = ({n: round(float(p), 4)
                for n, p, v in zip(FEATURE_NAMES, _parts(model, scored.best, x), x) if v}
               if explain else {})
    source = _strongest(scored.leading, ev) or _first(attributes, text)
    return Decision(scored.best, scored.proba[scored.best], scored.method, dict(scored.proba),
                    contrib, ev, source)


_FEATURE_VALUES = itemgetter(*FEATURE_NAMES)


def _vector(feats: Mapping[str, float]) -> tuple[float, ...]:
    """A feature dict's values in :data:`FEATURE_NAMES` order."""
    return _FEATURE_VALUES(feats)


@dataclass(frozen=True, slots=True)
class _Scoring:
    """What a model makes of one feature vector: the probabilities (after the organoid rule),
    the type chosen, and the features with a positive part of its score, largest first."""

    proba: dict[str, float]
    method: str
    best: str
    leading: tuple[int, ...]


#: Feature vectors scored per model (samples of one study often share every feature).
SCORING_LIMIT = 20_000
#: ``id(model)`` -> the model and its scorings; the model is kept beside them so that its id
#: is not reused while they live (a benchmark scores held-out fits).
_SCORINGS: dict[int, tuple[SampleTypeModel, Memo[tuple[float, ...], _Scoring]]] = {}


def _scoring(model: SampleTypeModel, x: tuple[float, ...]) -> _Scoring:
    """:func:`_score`, memoized per model and feature vector."""
    entry = _SCORINGS.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_SCORINGS) >= 8:
            _SCORINGS.clear()
        entry = _SCORINGS[id(model)] = (model, Memo(SCORING_LIMIT))
    memo = entry[1]
    hit = memo.get(x)
    if hit is None:
        memo[x] = hit = _score(model, x)
    return hit


def _score(model: SampleTypeModel, x: tuple[float, ...]) -> _Scoring:
    """The model's reading of feature vector ``x`` (in :data:`FEATURE_NAMES` order)."""
    p = model.proba(np.array(x))
    proba = {c: float(v) for c, v in zip(model.classes, p)}
    proba, method = organoid_rule(proba, bool(x[_ORGANOID]), model.organoid_confidence)
    best = max(proba, key=lambda c: proba[c])
    parts = _parts(model, best, x)
    leading = []
    for i in np.argsort(-parts):
        if parts[i] <= 0:
            break
        leading.append(int(i))
    return _Scoring(proba, method, best, tuple(leading))


_ORGANOID = FEATURE_NAMES.index("word:organoid")


def _parts(model: SampleTypeModel, best: str, x: tuple[float, ...]) -> np.ndarray:
    """Each feature's part of type ``best``'s score against the mean type's (an organoid, a
    rule's type: the organoid words alone)."""
    if best == "organoid":
        return np.array([1.0 if n == "word:organoid" else 0.0 for n in FEATURE_NAMES])
    return model.centered[model.classes.index(best)] * np.array(x)


def organoid_rule(proba: Mapping[str, float], fired: bool, confidence: float
                  ) -> tuple[dict[str, float], str]:
    """No labelled organoids exist to fit: when organoid words fired, the sample is an organoid
    with the prior ``confidence`` and the model's classes share the rest."""
    if not fired:
        return dict(proba), METHOD
    out = {c: v * (1.0 - confidence) for c, v in proba.items()}
    out["organoid"] = confidence
    return out, "rule"


def _strongest(leading: Sequence[int], ev: Mapping[str, tuple[str, str]]
               ) -> tuple[str, str] | None:
    """The (key, value) of the feature with the largest positive part (``leading``: the
    features with a positive part, largest first) that names one."""
    return next((ev[FEATURE_NAMES[i]] for i in leading if FEATURE_NAMES[i] in ev), None)


def _first(attributes: Mapping[str, str], text: str | None) -> tuple[str, str]:
    for k, v in attributes.items():
        if isinstance(v, str) and v.strip():
            return k, v
    return ("text", text) if text else ("", "")


def annotation(decision: Decision, lexicon_version: str | None = None,
               model: SampleTypeModel | None = None) -> Annotation:
    """The ``sample_type`` annotation of a decision; candidates are the types, best first,
    each with its probability (``similarity`` and ``score``)."""
    model = model or load_model()
    ranked = tuple((c, round(p, 4)) for c, p in sorted(decision.proba.items(),
                                                         key=lambda kv: -kv[1]))
    cands = _type_candidates(decision.method, ranked)
    status = "accepted" if decision.confidence >= model.accept else "needs_review"
    key, value = decision.source
    value, full = bounded(value)  # a long value is named by the part read, like every facet
    return Annotation(FACET, decision.type, SAMPLE_TYPE_LABELS[decision.type],
                      decision.confidence, decision.method, status, key, value, cands,
                      lexicon_version, source_length=full)


@lru_cache(maxsize=8192)
def _type_candidates(method: str, ranked: tuple[tuple[str, float], ...]
                     ) -> tuple[Candidate, ...]:
    """The types as candidates, best first (samples of one study often share every feature,
    so their probabilities repeat)."""
    return tuple(Candidate(term_id=c, term_label=SAMPLE_TYPE_LABELS[c], method=method,
                           matched_text="", match_kind="sample_type", similarity=p, score=p)
                 for c, p in ranked)


def curated(attributes: Mapping[str, str], text: str | None,
            overrides: Mapping[tuple[str, str], str]) -> tuple[str, str, str] | None:
    """``(key, value, type)`` of the first value a curator decided the sample type of
    (``overrides`` rows with facet ``sample_type``; a rejected value counts as no decision)."""
    items = list(attributes.items()) + ([("text", text)] if text else [])
    for k, v in items:
        if isinstance(v, str):
            t = overrides.get(override_key(FACET, v))
            if t and t != REJECT and t in SAMPLE_TYPES:
                return k, v, t
    return None


def names_tissue(value: str) -> bool:
    """Whether a value says the sample *is* tissue ('tumor tissue', 'skin biopsy')."""
    hits = word_hits(value)
    return "is_tissue" in hits and "line" not in hits


def post_mortem(attributes: Mapping[str, str]) -> bool:
    """Whether a key with a value says the sample is post-mortem material (a cause of death, a
    post-mortem interval: the ``post_mortem`` key words)."""
    return any(isinstance(v, str) and not is_null(v) and "post_mortem" in word_hits(k, "key")
               for k, v in attributes.items())


def with_sample_type(annotations: list[Annotation], attributes: Mapping[str, str],
                     text: str | None, lexicon: LexiconLike | None,
                     overrides: Mapping[tuple[str, str], str] | None = None,
                     lexicon_version: str | None = None,
                     model: SampleTypeModel | None = None) -> list[Annotation]:
    """``annotations`` plus the sample's ``sample_type``; a cultured sample's tissue becomes
    its ``origin_tissue`` unless the tissue value names a tissue the sample is, the type is
    not sure enough to be accepted (a weak guess never rewrites another facet) or the sample has
    free text only (outside what the model was validated on: such a type is only
    ``needs_review``). A sample with
    no value at all (every attribute empty or a placeholder, no text) gets no type."""
    # the model reads what the grounder reads: at most MAX_VALUE_CHARS of each value (a 50 MB
    # value is never normalized whole, for an override lookup or a placeholder test)
    read = {k: bounded(v)[0] if isinstance(v, str) else v for k, v in attributes.items()}
    whole_text, text = text, (bounded(text)[0] if text else text)
    if not any(isinstance(v, str) and not is_null(v) for v in read.values()) and (
            not text or is_null(text)):
        return annotations
    decided = curated(read, text, overrides) if overrides else None
    if decided:
        key, value, t = decided
        st = Annotation(FACET, t, SAMPLE_TYPE_LABELS[t], 1.0, "curated", "accepted", key, value,
                        lexicon_version=lexicon_version)
    else:
        st = annotation(classify(read, text, annotations, lexicon, model), lexicon_version,
                        model)
        whole = whole_text if st.source_key == "text" else attributes.get(st.source_key)
        if (st.source_length is None and isinstance(whole, str)
                and len(whole) > MAX_VALUE_CHARS):
            st = replace(st, source_length=len(whole))
    # the model was fitted and cross-validated on key-value attributes; on free text alone (a
    # GEO description, bag-of-words) it still types the sample, for review only, and rewrites
    # no other facet: there it moved 620 tissues of the GEO-text dev gold, 527 of them the
    # gold's own tissue (bench/cross_eval.py: tissue strict F1 0.906 -> 0.792), and it calls
    # most of that file's blood cells (cell-type gold: mononuclear cells, T cells,
    # monocytes) in vitro differentiated
    keyed = any(isinstance(v, str) and not is_null(v) for v in read.values())
    if not keyed and st.method != "curated" and st.status == "accepted":
        st = replace(st, status="needs_review")  # a type the model was never judged on
    dead = post_mortem(read)
    # a curator's type is taken as said; the model's needs the sample's word for it
    said = SAID_MADE | {"cell_line"} if _LINE_SAID else SAID_MADE
    made = (st.method == "curated" or st.term_id not in said
            or made_in_dish(read, annotations, grown=st.term_id == "organoid"))
    out = [replace(a, facet=ORIGIN_FACET)
           if keyed and made and moves_to_origin(a, st.term_id, st.status, dead) else a
           for a in annotations]
    out.append(st)
    return out


#: Types that also name cells isolated as they are (sorted blood cells are labelled 'in vitro
#: differentiated' in MetaSRA's training labels, primary blood stem cells 'stem cells'): their
#: tissue is an origin only when the sample says the cells were made or grown in a dish.
#: An organoid grown from a biopsy models the organ it came from, which stays its tissue (as
#: CELLxGENE's tissue of an organoid is the organ it models); one made from stem cells or a line
#: has that organ as its origin only.
SAID_MADE = frozenset({"in_vitro_differentiated_cells", "stem_cells", "organoid"})
#: Rule line_said: a sample the model types a cell line by its cells' kind alone ('HUVEC',
#: 'hepatic stellate cells', as often primary cells) keeps its tissue unless it names a line
#: (a line named, a value under a cell-line key, a word saying it is one).
_LINE_SAID = enabled("line_said")
#: Word groups (``ontologies/sample_type_words.tsv``) that say so; not the ``culture`` words:
#: primary cells are stimulated, treated and transfected too ('LPS 4h', 'anti-CD3/CD28').
MADE_GROUPS = frozenset({"differentiation", "esc", "ipsc", "line", "organoid", "pluripotent"})
#: Groups whose words in a key name what the sample came from ('hESC line: H1', 'iPSC clone').
SOURCE_GROUPS = frozenset({"esc", "ipsc", "pluripotent", "line"})
_MADE_IN_DISH = enabled("made_in_dish")
#: Words an organoid is '<word>-derived' from that a donor gave (``words/grown_from.tsv``).
GROWN_FROM = words("grown_from") if _MADE_IN_DISH else frozenset()
_DERIVED = re.compile(r"\b([a-z]+) derived\b")


def made_in_dish(attributes: Mapping[str, str], annotations: Sequence[Annotation] = (),
                 grown: bool = False) -> bool:
    """Whether the sample says its cells were grown, differentiated or derived in vitro: a key
    or value with such words, a key naming a line or stem cells ('hESC line: H1'), a value
    under a cell-line key or a cell line named (rule ``made_in_dish``; always true with the rule
    off). ``grown``: the sample is an organoid, whose own word says nothing of where its cells
    came from."""
    if not _MADE_IN_DISH:
        return True
    groups = MADE_GROUPS - {"organoid"} if grown else MADE_GROUPS
    if any(a.facet == "cell_line" and a.term_id for a in annotations):
        return True
    return any(isinstance(v, str) and not is_null(v)
               and (key_role(k) == "cell_line"
                    or (word_hits(_grown_from_donor(v) if grown else v) | key_hits(k, v)
                        | (word_hits(k) & SOURCE_GROUPS)) & groups)
               for k, v in attributes.items())


def _grown_from_donor(value: str) -> str:
    """An organoid's value without the '<word>-derived' that says what a donor gave it was grown
    from ('ileal biopsy-derived organoids', 'patient-derived tumour organoid': ``grown_from``
    words), which is no differentiation in a dish.

    >>> _grown_from_donor("ileal biopsy-derived organoids"), _grown_from_donor("hESC-derived")
    ('ileal organoid', 'hesc derived')
    """
    return " ".join(_DERIVED.sub(lambda m: "" if m.group(1) in GROWN_FROM else m.group(0),
                                 normalize(value)).split())


def moves_to_origin(a: Annotation, sample_type: str | None, status: str,
                    post_mortem_sample: bool = False) -> bool:
    """Whether tissue annotation ``a`` becomes ``origin_tissue`` on a sample of this type: the
    type is cultured and accepted, and neither the value names a tissue the sample is ('tumor
    tissue', 'biopsy'), nor the sample is post-mortem material (:func:`post_mortem`), nor a
    curator decided the tissue."""
    return (a.facet == "tissue" and bool(a.term_id) and sample_type in CULTURED
            and status == "accepted" and not names_tissue(a.source_text)
            and not post_mortem_sample and a.method != "curated")



def explain_sample(grounder, attributes: Mapping[str, str], text: str | None = None
                   ) -> dict[str, object]:
    """Why a sample got its type: the annotation, every type's probability, each feature's part
    of the chosen type's score with the (key, value) that fired it, and the tissue annotations
    read as origin. The decision is the one :meth:`Grounder.annotate` makes (same code path)."""
    anns = grounder.annotate(attributes, text)
    st = next(a for a in anns if a.facet == FACET)
    out: dict[str, object] = {"annotation": st.to_json(),
                              "probabilities": {c.term_id: c.similarity for c in st.candidates},
                              "origin_tissue": [a.to_json() for a in anns
                                                if a.facet == ORIGIN_FACET]}
    if st.method != "curated":
        base = [a for a in anns if a.facet not in (FACET, ORIGIN_FACET)]
        base += [replace(a, facet="tissue") for a in anns if a.facet == ORIGIN_FACET]
        decision = classify(attributes, text, base, grounder.lexicon, explain=True)
        out["parts"] = [{"feature": k, "part": v, "key": decision.evidence.get(k, ("", ""))[0],
                         "value": decision.evidence.get(k, ("", ""))[1]}
                        for k, v in sorted(decision.contributions.items(),
                                           key=lambda kv: -abs(kv[1]))]
    return out
