"""Interpretable features of a sample's type (tissue, cell line, primary cells...).

Three kinds, all from general knowledge rather than from any one dataset:

* ``key:*``   which keys the sample has (a cell-line key, a tissue key, donor keys such as age or
  sex, a passage key...), read with :func:`harmonize.ground.fields.key_role` and the key words
  of ``ontologies/sample_type_words.tsv``;
* ``ground:*`` what the grounder found: a Cellosaurus line, a tissue, a cell type, and the Cell
  Ontology category of that cell type (a stem cell, a pluripotent stem cell); ``ground:under:*``
  the ontology classes the grounded cell type or tissue falls under (CELLxGENE's cell
  subclasses: neuron, T cell, macrophage, fibroblast...; UBERON's embryonic structures), listed
  in ``ontologies/sample_type_classes.tsv``;
* ``word:*``  words of culture, differentiation, sorting, organoids, iPSCs, biopsies... in the
  values (``ontologies/sample_type_words.tsv``, each word with its reason).

:func:`sample_features` returns the feature values and, for each feature that fired, the
attribute (key, value) that fired it, so an annotation can name its evidence.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.ground.fields import key_role, norm_key
from harmonize.ground.lexicon import HEALTHY
from harmonize.ground.line_disease import from_line
from harmonize.ground.normalize import is_null, normalize
from harmonize.ground.rules import enabled
from harmonize.models import Annotation
from harmonize.resources import ONTOLOGIES_DIR

WORDS_PATH = ONTOLOGIES_DIR / "sample_type_words.tsv"
CLASSES_PATH = ONTOLOGIES_DIR / "sample_type_classes.tsv"

#: The closed vocabulary (MetaSRA's six classes plus organoid, as CELLxGENE's tissue_type).
SAMPLE_TYPES: tuple[str, ...] = ("tissue", "cell_line", "primary_cells",
                                 "in_vitro_differentiated_cells", "stem_cells",
                                 "induced_pluripotent_stem_cells", "organoid")
SAMPLE_TYPE_LABELS: dict[str, str] = {
    "tissue": "tissue", "cell_line": "cell line", "primary_cells": "primary cells",
    "in_vitro_differentiated_cells": "in vitro differentiated cells",
    "stem_cells": "stem cells", "induced_pluripotent_stem_cells": "induced pluripotent stem cells",
    "organoid": "organoid"}
#: Types grown in a dish: their organ is where they came from, not what they are.
CULTURED: frozenset[str] = frozenset({"cell_line", "in_vitro_differentiated_cells", "stem_cells",
                                      "induced_pluripotent_stem_cells", "organoid"})

#: Cell Ontology classes whose descendants mark a cell type's category.
CL_STEM = "CL:0000034"  # stem cell
CL_PLURIPOTENT = ("CL:0002248", "CL:0002322")  # pluripotent stem cell, embryonic stem cell
CL_BLOOD = ("CL:0000988",)  # hematopoietic cell: blood and immune cells, mostly isolated as is
#: Key roles (ontologies/field_keys.tsv) whose presence is a feature.
KEY_ROLES = ("cell_line", "cell_type", "tissue", "disease")
SOURCE_NAME_KEYS = frozenset({"source name", "source"})
GROUPS_VALUE = ("line", "culture", "differentiation", "esc", "ipsc", "pluripotent", "stem",
                "primary", "tissue", "organoid", "xenograft", "marker", "cells")
#: Word groups also counted by the key role they are found under ('cell line: primary
#: fibroblasts' is no line; 'cell type: iPSC-derived neurons' is a made cell).
AT_ROLE_GROUPS = ("primary", "differentiation", "stem", "ipsc", "esc", "tissue", "culture")
#: Word groups read by rules, not by the model ('is_tissue': a tissue value saying the sample
#: is tissue keeps its tissue annotation on a cultured-looking sample).
RULE_GROUPS = ("is_tissue", "not_differentiated")
#: Rule organoid_keys: a key naming organoids says, with any value, the sample is one.
ORGANOID_KEYS = enabled("organoid_keys")
#: Key word groups read by rules ('post_mortem': a cause of death or post-mortem interval key
#: says the sample is post-mortem material, whose organ stays its tissue).
RULE_GROUPS_KEY = ("post_mortem",)
GROUPS_KEY = ("culture", "differentiation", "tissue", "donor")


@dataclass(frozen=True, slots=True)
class OntologyClass:
    """A class whose descendants are a feature: ``ground:under:<label>``."""

    facet: str  # the annotation facet read: cell_type | tissue
    term_id: str
    label: str
    reason: str

    @property
    def feature(self) -> str:
        return f"ground:under:{self.label}"


def load_classes(path: Path = CLASSES_PATH) -> tuple[OntologyClass, ...]:
    """The classes of ``sample_type_classes.tsv`` (read once, at import: they name features).

    Raises:
        ConfigError: a row with an unknown facet, without an id, label or reason, or a label
            given twice (labels name the features).
    """
    out: list[OntologyClass] = []
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the sample-type classes ({exc})") from exc
    with fh:
        rows = (line for line in fh if line.strip() and not line.startswith("#"))
        for i, row in enumerate(csv.DictReader(rows, delimiter="\t"), 2):
            c = OntologyClass(*((row.get(k) or "").strip()
                                for k in ("facet", "term_id", "label", "reason")))
            if c.facet not in ("cell_type", "tissue") or not (c.term_id and c.label and c.reason):
                raise ConfigError(f"{path}: row {i}: needs facet cell_type or tissue, a term id, "
                                  f"a label and a reason, got {c.facet!r} {c.term_id!r}")
            if any(o.label == c.label for o in out):
                raise ConfigError(f"{path}: row {i}: label {c.label!r} given twice")
            out.append(c)
    return tuple(out)


CLASSES: tuple[OntologyClass, ...] = load_classes()


def classes_digest(path: Path = CLASSES_PATH) -> str:
    """Digest of the classes file: a model records the one it was fitted with (a class that
    points at another term under the same label changes no feature name, only what fires)."""
    from harmonize.ground.versions import data_digest

    return data_digest([path])

#: Feature order of the model (a model file lists its own and is checked against this).
FEATURE_NAMES: tuple[str, ...] = (
    *(f"key:{r}" for r in KEY_ROLES), "key:source_name",
    *(f"keyword:{g}" for g in GROUPS_KEY),
    "ground:cell_line", "ground:cell_line_own_key", "ground:tissue", "ground:tissue_own_key",
    "ground:cell_type", "ground:cell_type_own_key", "ground:cl_stem", "ground:cl_pluripotent", "ground:cl_differentiated",
    *(f"word:{g}" for g in GROUPS_VALUE),
    *(f"word:{g}@{r}" for g in AT_ROLE_GROUPS for r in ("cell_line", "cell_type")),
    "word:line_in_cell_line_key", "word:stem_or_pluripotent_and_differentiation",
    "word:ipsc_and_differentiation", "ground:cell_line_and_tissue_word",
    "ground:cell_line_and_other_cell_type", "ground:cl_blood", "ground:disease",
    "ground:tissue_only", "ground:cell_type_only", "ground:cell_line_and_differentiation",
    "log_attributes",
    *(c.feature for c in CLASSES),
)


@dataclass(frozen=True, slots=True)
class Word:
    """One vocabulary entry."""

    group: str
    scope: str  # value | key | pattern (a regular expression matched in values)
    phrase: str  # normalized (a pattern: as written, matched in normalized text)
    reason: str


@lru_cache(maxsize=4)
def load_words(path: Path = WORDS_PATH) -> tuple[Word, ...]:
    """The vocabulary of ``sample_type_words.tsv``.

    Raises:
        ConfigError: a row with an unknown group or scope, or without a phrase or reason.
    """
    out = []
    allowed = {"value": {*GROUPS_VALUE, *RULE_GROUPS}, "key": {*GROUPS_KEY, *RULE_GROUPS_KEY},
               "pattern": {*GROUPS_VALUE, *RULE_GROUPS}}
    with path.open(newline="", encoding="utf-8") as fh:
        rows = (line for line in fh if line.strip() and not line.startswith("#"))
        for i, row in enumerate(csv.DictReader(rows, delimiter="\t"), 2):
            group, scope = (row.get("group") or "").strip(), (row.get("scope") or "").strip()
            phrase, reason = (row.get("phrase") or "").strip(), (row.get("reason") or "").strip()
            if scope not in allowed or group not in allowed[scope] or not phrase or not reason:
                raise ConfigError(f"{path}: row {i}: needs a known group and scope, a phrase and "
                                  f"a reason, got group={group!r} scope={scope!r} "
                                  f"phrase={phrase!r}")
            if scope == "pattern":
                try:
                    re.compile(phrase)
                except re.error as exc:
                    raise ConfigError(f"{path}: row {i}: pattern {phrase!r} is not a regular "
                                      f"expression ({exc})") from exc
            out.append(Word(group, scope, phrase if scope == "pattern" else normalize(phrase),
                            reason))
    return tuple(out)


@lru_cache(maxsize=4)
def _patterns(path: Path = WORDS_PATH) -> dict[tuple[str, str], re.Pattern[str]]:
    """One regex per (scope, group): its phrases (and a value group's patterns) as whole words."""
    by: dict[tuple[str, str], list[str]] = {}
    for w in load_words(path):
        if w.scope == "pattern":
            by.setdefault(("value", w.group), []).append(f"(?:{w.phrase})")
        else:
            by.setdefault((w.scope, w.group), []).append(re.escape(w.phrase))
    return {k: re.compile(r"(?<![0-9a-z])(?:" + "|".join(sorted(v, key=len, reverse=True))
                          + r")(?![0-9a-z])") for k, v in by.items()}


@lru_cache(maxsize=200_000)
def _norm(text: str) -> str:
    # '-derived', 'iPSC-derived': split on hyphens and slashes as well
    return normalize(re.sub(r"[-/_]", " ", text))


@lru_cache(maxsize=200_000)
def word_hits(text: str, scope: str = "value") -> frozenset[str]:
    """The groups whose words ``text`` holds (memoized: values recur across samples).

    >>> sorted(word_hits("iPSC-derived cardiomyocytes, day 30"))
    ['differentiation', 'ipsc']
    """
    norm = _norm(text)
    return frozenset(g for (s, g), pat in _patterns().items() if s == scope and pat.search(norm))


def key_hits(key: str, value: str) -> frozenset[str]:
    """The groups whose words a key holds, read with its value: a differentiation key whose
    value says the cells are not differentiated yet ('days of differentiation: d0', or
    'undifferentiated') says nothing of a differentiation.

    >>> sorted(key_hits("days of differentiation", "d0"))
    []
    >>> sorted(key_hits("days of differentiation", "12"))
    ['differentiation']
    """
    hits = word_hits(key, "key")
    if "differentiation" in hits and "not_differentiated" in word_hits(value):
        return hits - {"differentiation"}
    return hits


@lru_cache(maxsize=100_000)
def _source_name_key(key: str) -> bool:
    return norm_key(key) in SOURCE_NAME_KEYS


class LexiconLike:  # pragma: no cover - typing aid
    def is_ancestor(self, ancestor: str, term_id: str) -> bool: ...


def sample_features(attributes: Mapping[str, str], text: str | None,
                    annotations: Iterable[Annotation], lexicon: LexiconLike | None
                    ) -> tuple[dict[str, float], dict[str, tuple[str, str]]]:
    """``(features, evidence)`` of one sample: feature values (0/1 unless named otherwise) and,
    per feature that fired, the ``(key, value)`` that fired it."""
    f: dict[str, float] = dict.fromkeys(FEATURE_NAMES, 0.0)
    ev: dict[str, tuple[str, str]] = {}

    def fire(name: str, key: str, value: str, amount: float = 1.0) -> None:
        f[name] = max(f[name], amount)
        ev.setdefault(name, (key, value))

    values = [(k, v) for k, v in attributes.items() if isinstance(v, str) and not is_null(v)]
    for k, v in values:
        for name in _attribute_features(k, v):
            fire(name, k, v)
    if text and not is_null(text):
        for g in word_hits(text) - set(RULE_GROUPS):
            fire(f"word:{g}", "text", text)
    f["log_attributes"] = math.log1p(len(values))
    _grounded(f, ev, fire, annotations, lexicon)
    if (f["word:stem"] or f["word:esc"] or f["word:ipsc"] or f["word:pluripotent"]
            or f["ground:cl_stem"]) and f["word:differentiation"]:
        fire("word:stem_or_pluripotent_and_differentiation", *ev["word:differentiation"])
    if f["word:ipsc"] and f["word:differentiation"]:
        fire("word:ipsc_and_differentiation", *ev["word:ipsc"])
    line = ev.get("ground:cell_line", ("", ""))[1]
    kind = ev.get("ground:cl_differentiated", ("", ""))[1]
    if f["ground:cell_line"] and kind and _norm(kind) != _norm(line):
        # a line and, in another value, a differentiated cell type: cells made from the line
        fire("ground:cell_line_and_other_cell_type", *ev["ground:cl_differentiated"])
    if f["ground:tissue"] and not f["ground:cell_type"] and not f["ground:cell_line"]:
        fire("ground:tissue_only", *ev["ground:tissue"])
    if f["ground:cell_type"] and not f["ground:tissue"] and not f["ground:cell_line"]:
        fire("ground:cell_type_only", *ev["ground:cell_type"])
    if f["ground:cell_line"] and f["word:differentiation"]:
        fire("ground:cell_line_and_differentiation", *ev["word:differentiation"])
    if f["ground:cell_line"] and f["word:tissue"]:
        fire("ground:cell_line_and_tissue_word", *ev["word:tissue"])
    return f, ev


@lru_cache(maxsize=65_536)
def _attribute_features(key: str, value: str) -> tuple[str, ...]:
    """The features one attribute fires, each once (memoized: keys and values recur across
    samples)."""
    role = key_role(key)
    out = [f"key:{role}"] if role in KEY_ROLES else []
    if _source_name_key(key):
        out.append("key:source_name")
    out += [f"keyword:{g}" for g in key_hits(key, value) - set(RULE_GROUPS_KEY)]
    hits = word_hits(value) - set(RULE_GROUPS)
    if ORGANOID_KEYS and "organoid" in word_hits(key):  # 'organoid type: tumour (PDO)'
        hits = hits | {"organoid"}
    out += [f"word:{g}" for g in hits]
    if role in ("cell_line", "cell_type"):
        out += [f"word:{g}@{role}" for g in hits & set(AT_ROLE_GROUPS)]
    if role == "cell_line" and "line" in hits:
        out.append("word:line_in_cell_line_key")
    return tuple(out)


def _grounded(f: dict[str, float], ev: dict[str, tuple[str, str]], fire,
              annotations: Iterable[Annotation], lexicon: LexiconLike | None) -> None:
    """The ``ground:*`` features from the sample's other annotations."""
    for a in annotations:
        if a.term_id is None or a.facet not in ("cell_line", "tissue", "cell_type", "disease"):
            continue
        if a.facet == "disease":
            if a.term_id != HEALTHY and not from_line(a):  # a line's disease says no type
                fire("ground:disease", a.source_key, a.source_text, a.confidence)
            continue
        for name in _term_features(lexicon, a.facet, a.term_id):
            fire(name, a.source_key, a.source_text)
        own = key_role(a.source_key) == a.facet
        if a.facet == "cell_line":
            fire("ground:cell_line", a.source_key, a.source_text, a.confidence)
            if own:
                fire("ground:cell_line_own_key", a.source_key, a.source_text, a.confidence)
        elif a.facet == "tissue":
            fire("ground:tissue", a.source_key, a.source_text, a.confidence)
            if own:
                fire("ground:tissue_own_key", a.source_key, a.source_text, a.confidence)
        else:
            fire("ground:cell_type", a.source_key, a.source_text, a.confidence)
            if own:
                fire("ground:cell_type_own_key", a.source_key, a.source_text, a.confidence)


#: (lexicon, facet, term) -> the ontology features a term fires: the same few thousand terms
#: recur in every batch, and each asks the hierarchy about ~80 classes.
_TERM_FEATURES: dict[tuple[int, str, str, str], tuple[str, ...]] = {}


def _term_features(lexicon: LexiconLike | None, facet: str, term_id: str) -> tuple[str, ...]:
    """The ``ground:under:*`` classes a grounded term falls under, and for a cell type whether
    it is a stem, pluripotent, differentiated or blood cell (memoized per lexicon)."""
    key = (id(lexicon), str(getattr(lexicon, "version", "")), facet, term_id)
    hit = _TERM_FEATURES.get(key)
    if hit is not None:
        return hit
    out = [c.feature for c in CLASSES
           if c.facet == facet and _under(lexicon, term_id, (c.term_id,))]
    if facet == "cell_type":
        stem = _under(lexicon, term_id, (CL_STEM,))
        out += ["ground:cl_stem"] if stem else ["ground:cl_differentiated"]
        if _under(lexicon, term_id, CL_PLURIPOTENT):
            out.append("ground:cl_pluripotent")
        if _under(lexicon, term_id, CL_BLOOD):
            out.append("ground:cl_blood")
    if len(_TERM_FEATURES) > 100_000:
        _TERM_FEATURES.clear()
    _TERM_FEATURES[key] = hit = tuple(out)
    return hit


def _under(lexicon: LexiconLike | None, term_id: str, roots: tuple[str, ...]) -> bool:
    if lexicon is None:
        return False
    return any(term_id == r or lexicon.is_ancestor(r, term_id) for r in roots)
