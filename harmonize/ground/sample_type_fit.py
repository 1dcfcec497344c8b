"""Fitting the sample-type model: grouped folds, logistic regression, temperature scaling.

The model is multinomial logistic regression over :data:`FEATURE_NAMES`; its probabilities are
then tempered by one temperature fitted on out-of-fold predictions of the training data (grouped
folds inside the training data), so that the fitted confidence is what the model earns on
samples of studies it did not see. Used by ``bench/fit_sample_type.py`` (writes
``ontologies/sample_type_model.json``) and ``bench/bench_sample_type.py`` (cross-validation).
scikit-learn is needed here only, never at run time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harmonize.errors import ParseError
from harmonize.ground.fields import norm_key
from harmonize.ground.sample_type_features import FEATURE_NAMES, classes_digest

#: Classes with labelled examples get a fitted row; the others come from knowledge rules.
MODEL_VERSION = "sample-type-2"
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
T_GRID = tuple(np.round(np.arange(0.5, 3.01, 0.05), 2))
_STEM_DROP = re.compile(r"\b(rep|replicate|sample|biological|technical|batch|donor|patient|"
                        r"control|treated|untreated)\b|[^a-z ]")


def source_stem(attributes: Mapping[str, str]) -> str:
    """The source name without digits, punctuation and replicate words ('' when none)."""
    src = next((v for k, v in attributes.items() if norm_key(k) in ("source name", "source")), "")
    return " ".join(_STEM_DROP.sub(" ", str(src).lower()).split())


def study_groups(samples: Sequence[Mapping[str, str]]) -> list[int]:
    """A group id per sample: samples sharing their sorted attribute keys (the submitter's
    template) or their source-name stem are one group (union-find), so near-identical samples
    of one study never straddle folds."""
    parent = list(range(len(samples)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, attrs in enumerate(samples):
        keys = "|".join(sorted(norm_key(k) for k in attrs))
        for tag in (f"keys:{hashlib.sha1(keys.encode()).hexdigest()}",
                    f"stem:{source_stem(attrs)}" if source_stem(attrs) else ""):
            if not tag:
                continue
            if tag in first:
                parent[find(i)] = find(first[tag])
            else:
                first[tag] = i
    roots = [find(i) for i in range(len(samples))]
    ids = {r: n for n, r in enumerate(dict.fromkeys(roots))}
    return [ids[r] for r in roots]


def grouped_folds(groups: Sequence[int], k: int = 5, seed: int = 0) -> list[np.ndarray]:
    """Test indices of ``k`` folds; whole groups are dealt (largest first) to the smallest fold."""
    rng = np.random.default_rng(seed)
    by: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        by.setdefault(g, []).append(i)
    order = list(by)
    rng.shuffle(order)
    order.sort(key=lambda g: -len(by[g]))
    folds: list[list[int]] = [[] for _ in range(k)]
    for g in order:
        min(folds, key=len).extend(by[g])
    return [np.array(sorted(f)) for f in folds]


def matrix(features: Sequence[Mapping[str, float]]) -> np.ndarray:
    """Rows of :data:`FEATURE_NAMES` values."""
    return np.array([[float(f.get(n, 0.0)) for n in FEATURE_NAMES] for f in features])


def _fit_lr(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000).fit(X, y)


def _rows(lr) -> tuple[np.ndarray, np.ndarray]:
    """``(coef, intercept)`` with one row per class (a binary fit has one row: its softmax
    equivalent puts zeros on the first class)."""
    if len(lr.classes_) == 2 and lr.coef_.shape[0] == 1:
        return (np.vstack([np.zeros_like(lr.coef_[0]), lr.coef_[0]]),
                np.array([0.0, lr.intercept_[0]]))
    return lr.coef_, lr.intercept_


def _logits(lr, X: np.ndarray) -> np.ndarray:
    coef, intercept = _rows(lr)
    return X @ coef.T + intercept


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _nll(p: np.ndarray, y_idx: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y_idx)), y_idx], 1e-12, 1.0))))


def _oof_logits(X: np.ndarray, y: np.ndarray, groups: Sequence[int], C: float, classes,
                k: int = 4) -> np.ndarray:
    """Out-of-fold logits over ``classes`` (a class a training fold lacks gets -inf-ish)."""
    out = np.full((len(y), len(classes)), -30.0)
    for test in grouped_folds(groups, k, seed=1):
        train = np.setdiff1d(np.arange(len(y)), test)
        lr = _fit_lr(X[train], y[train], C)
        cols = [list(classes).index(c) for c in lr.classes_]
        out[np.ix_(test, cols)] = _logits(lr, X[test])
    return out


def fit_model(X: np.ndarray, y: Sequence[str], groups: Sequence[int]) -> dict[str, Any]:
    """Choose C and a temperature by grouped out-of-fold log loss, fit on all rows, and
    return the JSON-ready model (classes, features, coef, intercept, temperature)."""
    y = np.asarray(y)
    classes = sorted(set(y))
    y_idx = np.array([classes.index(c) for c in y])
    best = None
    for C in C_GRID:
        z = _oof_logits(X, y, groups, C, classes)
        for T in T_GRID:
            loss = _nll(_softmax(z / T), y_idx)
            if best is None or loss < best[0]:
                best = (loss, C, T)
    assert best is not None
    _, C, T = best
    lr = _fit_lr(X, y, C)
    return {"version": MODEL_VERSION, "classes": [str(c) for c in lr.classes_],
            "features": list(FEATURE_NAMES), "classes_digest": classes_digest(),
            "C": C, "temperature": float(T),
            "coef": np.round(_rows(lr)[0], 5).tolist(),
            "intercept": np.round(_rows(lr)[1], 5).tolist(),
            "n_train": len(y)}


def cross_validate(X: np.ndarray, y: Sequence[str], groups: Sequence[int], k: int = 5,
                   seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold probabilities (rows in input order, columns = sorted classes): every fitted
    part (C, temperature, coefficients) is refitted without the fold."""
    y = np.asarray(y)
    classes = sorted(set(y))
    proba = np.zeros((len(y), len(classes)))
    for test in grouped_folds(groups, k, seed):
        train = np.setdiff1d(np.arange(len(y)), test)
        model = fit_model(X[train], y[train], [groups[i] for i in train])
        z = X[test] @ np.array(model["coef"]).T + np.array(model["intercept"])
        p = _softmax(z / model["temperature"])
        cols = [classes.index(c) for c in model["classes"]]
        proba[np.ix_(test, cols)] = p
    return proba, classes


def read_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Labelled samples of a JSONL file (``attributes``, ``text``, ``gold.sample_type``).

    Raises:
        ParseError: a line that is not JSON, naming the file and line.
    """
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ParseError(f"line {n}: invalid json: {exc.msg}", origin=str(path)) from exc
            types = (rec.get("gold") or {}).get("sample_type") or []
            if types and isinstance(rec.get("attributes"), dict):
                out.append(rec)
    if not out:
        raise ParseError("no samples with a gold sample_type", origin=str(path))
    return out


def ground_records(records: Sequence[Mapping[str, Any]], grounder) -> list[list[Any]]:
    """The grounder's annotations of each record (the grounder must be built with
    ``sample_type=False``: the features read the facets before the type)."""
    return grounder.annotate_many(_inputs(records))


def sample_feature_rows(records: Sequence[Mapping[str, Any]], grounder,
                        annotations: Sequence[Sequence[Any]] | None = None
                        ) -> list[dict[str, float]]:
    """The features of each record, from the grounder's other annotations of it
    (:func:`ground_records`; computed here when not given)."""
    from harmonize.ground.sample_type_features import sample_features

    inputs = _inputs(records)
    anns = annotations if annotations is not None else grounder.annotate_many(inputs)
    return [sample_features(a, t, ann, grounder.lexicon)[0]
            for (a, t, _), ann in zip(inputs, anns)]


def labelled_matrix(records: Sequence[Mapping[str, Any]], grounder
                    ) -> tuple[np.ndarray, list[str], list[int], list[list[Any]]]:
    """What every fit and benchmark of the model reads from labelled records: the feature
    matrix, the gold types, the study groups (the CV folds) and the grounder's annotations
    the features came from (the grounder built with ``sample_type=False``)."""
    anns = ground_records(records, grounder)
    X = matrix(sample_feature_rows(records, grounder, anns))
    y = [r["gold"]["sample_type"][0] for r in records]
    return X, y, study_groups([r["attributes"] for r in records]), anns


def _inputs(records: Sequence[Mapping[str, Any]]) -> list[tuple[dict[str, str], str | None, None]]:
    return [({str(k): v for k, v in r["attributes"].items() if isinstance(v, str)},
             r.get("text") if isinstance(r.get("text"), str) else None, None) for r in records]
