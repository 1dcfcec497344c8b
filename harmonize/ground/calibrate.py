"""Calibrated confidence: a small logistic model fitted on the dev gold, applied in numpy.

``ontologies/calibration.json``::

    {"version": "...", "accept": 0.5,
     "rank_weights": {facet: {feature: weight}},        # candidate ranking (score.py)
     "platt": {facet: [w_bias, w_logit, w_margin, w_dedicated?, w_novel?]},  # top -> probability
     "familiar": {facet: [term ids]},                   # the terms the fit's gold holds
     "emit_min": {facet: threshold},                    # below: reported as unmapped
     "similarity_steps": {method: {facet|"*": [w_bias, w_closeness]}},  # fuzzy, embedding
     "evidence": {"support": {kind: n}, "prior": p0, "pseudo": m,   # the cautious prior
                  "held_out": {facet: [n, right]}},      # each facet's prior (read blind sets)
     "fitted_on": {"lexicon": version, "matchers": digest}}   # what the fit saw

The cautious prior (``evidence``): every out-of-fold top choice of the fit counts as held-out
support for its kind of evidence (facet, key class, method, match kind:
:func:`harmonize.ground.evidence.evidence_kind`); ``prior`` is the share of those tops that
were right. A kind seen ``n`` times held out gets ``w * p + (1 - w) * prior`` with
``w = n / (n + m)``: the fitted probability of evidence the fit never saw is an extrapolation
either way, so it is shrunk to what the grounder is right on average held out — no more
confident, and no less. (``w * p + (1 - w) * min(p, prior)``, which only lowered, left
extrapolated lows in place: a 237-sample series whose cell-type evidence no other fold held
got 0.14 and was all right; grouped-CV ECE tissue 0.033 -> 0.023, cell type 0.110 -> 0.070,
leave-one-dataset-out tissue 0.132 -> 0.093, F1 unchanged. A discount ``p * prior`` made
unseen kinds under-confident by 0.2 leave-one-dataset-out, ``bench/cross_eval.py``.)

The prior of evidence the dev files never held is not one figure for every facet: the fit
annotates the blind sets already read (``bench/blind/``: records written and annotated by others,
never used for a ranking weight or a Platt step) as ``harmonize map`` would, and each facet's share
right there (``held_out``: ``[n, right]``), shrunk to ``prior`` by ``m``, is that facet's prior
(:meth:`Calibration.facet_prior`). The dev gold of diseases is series-level (a series' labels, right
half the time), while a disease under a sample's own key is right about nine times in ten; with
one prior for all, disease confidences were 0.05–0.15 under their accuracy on every blind set.

A term the fit's gold never holds (``familiar``) is novel, and the Platt step's fifth
coefficient (never above zero) says how much less often such a choice is right: fitted on
out-of-fold tops, where a top is novel when no other fold's gold holds its term. On the GEO-text
dev file a held-out series' novel cell types were right 0.82 of the time against 0.98 for
familiar ones, at the same fitted confidence; a new series is mostly novel terms.

A fit is only as good as the candidates it saw: :func:`calibration_drift` says when the
lexicon or the grounding code changed since (``bench/eval_dev.py`` prints it; rerun
``bench/fit_calibration.py``).

A similarity step judges a choice that only the fuzzy or the embedding matcher found, from its
similarity as ``closeness = -log(1 - similarity)``: accuracy climbs steeply near 1 (embedding:
about 0.2 at a cosine of 0.80, 0.45 at 0.90, 0.95 at 0.98), which a line in the similarity
itself cannot follow. The dev gold never reaches those stages (they run for a value under the
facet's own key that nothing exact matched), so the steps are fitted on held-out ontology
synonyms: half of them fit, ``bench/bench_heldout.py`` scores the other half.

:func:`fit_logistic` (Newton's method with an L2 penalty) is what ``bench/fit_calibration.py``
uses to produce the file; at run time only :meth:`Calibration.confidence` runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.resources import ONTOLOGIES_DIR

CALIBRATION_PATH = ONTOLOGIES_DIR / "calibration.json"
DEFAULT_PLATT = (0.0, 1.0, 0.3)
MARGIN_CAP = 6.0


def sigmoid(x: float) -> float:
    """Numerically safe logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(slots=True)
class Calibration:
    """Fitted parameters; an empty instance falls back to the hand-set defaults."""

    version: str = "default"
    accept: float = 0.5
    rank_weights: dict[str, dict[str, float]] = field(default_factory=dict)
    platt: dict[str, list[float]] = field(default_factory=dict)
    emit_min: dict[str, float] = field(default_factory=dict)
    similarity_steps: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    fitted_on: dict[str, str] = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    familiar: dict[str, frozenset[str]] = field(default_factory=dict)

    def novel(self, facet: str, term_id: str) -> bool:
        """Whether the fit's gold for ``facet`` never holds ``term_id`` (``False`` for a
        facet the fit had no gold for: there everything is equally unfamiliar)."""
        known = self.familiar.get(facet)
        return bool(known) and term_id not in known

    def cautious(self, p: float, kind: str) -> tuple[float, dict[str, float]]:
        """``p`` shrunk towards the cautious prior (its facet's, :meth:`facet_prior`) by how
        rarely its kind of evidence was seen held out, and the parts (``support``, ``prior``,
        ``facet_prior``, result); ``p`` itself without a fitted prior."""
        if "prior" not in self.evidence:
            return p, {}
        n = float(self.evidence.get("support", {}).get(kind, 0))
        m = float(self.evidence.get("pseudo", 0))
        p0 = float(self.evidence["prior"])
        pk = self.facet_prior(kind.split("/", 1)[0], p0, m)
        w = n / (n + m) if n + m else 1.0
        out = w * p + (1 - w) * pk
        parts = {"support": n, "prior": p0, **({} if pk == p0 else {"facet_prior": pk}),
                 "cautious": out}
        return out, parts

    def facet_prior(self, facet: str, p0: float, m: float) -> float:
        """The prior of ``facet``'s evidence: the share right of the facet's annotations on
        data written by others that the fit never saw (``evidence.held_out``: ``[n,
        right]``), shrunk to ``p0`` by ``m``; ``p0`` without any."""
        n, right = (self.evidence.get("held_out") or {}).get(facet, (0, 0))
        return (right + m * p0) / (n + m) if n + m else p0

    def weights(self, facet: str) -> dict[str, float] | None:
        """The fitted ranking weights of a facet, or ``None`` for the defaults."""
        return self.rank_weights.get(facet) or self.rank_weights.get("*")

    def confidence(self, facet: str, logit: float, margin: float,
                   dedicated: bool = False, novel: bool = False) -> float:
        """Probability that the top candidate is right, from its logit, its margin over the
        runner-up, whether it came from a dedicated key (4th coefficient, optional) and
        whether its term is novel to the fit (5th, optional)."""
        w = self.platt.get(facet) or self.platt.get("*") or DEFAULT_PLATT
        x = w[0] + w[1] * logit + w[2] * min(margin, MARGIN_CAP)
        if len(w) > 3 and dedicated:
            x += w[3]
        if len(w) > 4 and novel:
            x += w[4]
        return sigmoid(x)

    def similarity_confidence(self, method: str, facet: str, similarity: float) -> float | None:
        """Probability that a fuzzy or embedding choice is right (``None``: no fitted step)."""
        steps = self.similarity_steps.get(method) or {}
        w = steps.get(facet) or steps.get("*")
        if not w:
            return None
        return sigmoid(w[0] + w[1] * closeness(similarity))

    def emit_threshold(self, facet: str) -> float:
        """Confidence under which an annotation is written as unmapped."""
        return self.emit_min.get(facet, self.emit_min.get("*", 0.0))

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"version": self.version, "accept": self.accept,
                "rank_weights": self.rank_weights, "platt": self.platt,
                "emit_min": self.emit_min, "similarity_steps": self.similarity_steps,
                "familiar": {k: sorted(v) for k, v in sorted(self.familiar.items())},
                "evidence": self.evidence, "fitted_on": self.fitted_on}


def matcher_fingerprint(keys_path: Path = ONTOLOGIES_DIR / "field_keys.tsv") -> str:
    """``m<MATCHER_VERSION>-<digest of the key and facet tables>``: what makes the candidates a
    fit sees (names and synonyms are covered by the lexicon version). An explicit constant, not
    a digest of the code: bump :data:`harmonize.ground.versions.MATCHER_VERSION` on purpose."""
    from harmonize.facets import FACETS_PATH
    from harmonize.ground.versions import MATCHER_VERSION, data_digest

    return f"m{MATCHER_VERSION}-{data_digest([keys_path, FACETS_PATH])}"


def calibration_drift(cal: Calibration, lexicon_version: str,
                      fingerprint: str | None = None) -> str | None:
    """Why ``cal`` may not fit the current candidates, or ``None`` when it was fitted on them.

    >>> cal = Calibration(fitted_on={"lexicon": "abc", "matchers": "123"})
    >>> calibration_drift(cal, "abc", "123") is None, calibration_drift(cal, "abd", "123")
    (True, 'calibration fitted on lexicon abc, now abd: rerun bench/fit_calibration.py')
    """
    fingerprint = matcher_fingerprint() if fingerprint is None else fingerprint
    seen = cal.fitted_on
    if not seen:
        return "calibration records no fit inputs: rerun bench/fit_calibration.py"
    changed = [f"{what} {seen.get(what)}, now {now}" for what, now in
               (("lexicon", lexicon_version), ("matchers", fingerprint))
               if seen.get(what) != now]
    if not changed:
        return None
    return "calibration fitted on " + "; ".join(changed) + ": rerun bench/fit_calibration.py"


def closeness(similarity: float) -> float:
    """``-log(1 - cosine similarity)``: spreads out the near-duplicates close to 1."""
    return -math.log(1.0 - min(max(similarity, 0.0), 0.9999))


def load_calibration(path: Path | None = None) -> Calibration:
    """Read ``calibration.json``; a missing default file gives the hand-set defaults."""
    path = CALIBRATION_PATH if path is None else Path(path)
    if not path.exists():
        return Calibration()
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"calibration file {path} is not valid JSON: {exc}") from exc
    for facet, pair in ((raw.get("evidence") or {}).get("held_out") or {}).items():
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(x, int) and x >= 0 for x in pair) and pair[1] <= pair[0]):
            raise ConfigError(f"calibration file {path}: evidence.held_out[{facet!r}] is "
                              f"{pair!r}, not [n, right] with 0 <= right <= n; refit it with "
                              f"bench/fit_calibration.py")
    return Calibration(version=str(raw.get("version", "unknown")),
                       accept=float(raw.get("accept", 0.5)),
                       rank_weights=raw.get("rank_weights") or {},
                       platt={k: list(v) for k, v in (raw.get("platt") or {}).items()},
                       emit_min=raw.get("emit_min") or {},
                       similarity_steps={m: {k: list(v) for k, v in steps.items()} for m, steps
                                         in (raw.get("similarity_steps") or {}).items()},
                       fitted_on=dict(raw.get("fitted_on") or {}),
                       evidence=dict(raw.get("evidence") or {}),
                       familiar={k: frozenset(v) for k, v
                                 in (raw.get("familiar") or {}).items()})


def fit_logistic(rows: Sequence[Sequence[float]], labels: Sequence[int], *, l2: float = 1.0,
                 iterations: int = 50, weights: Sequence[float] | None = None,
                 penalties: Sequence[float] | None = None) -> list[float]:
    """L2-penalised logistic regression by Newton's method (first column = bias, unpenalised).

    >>> w = fit_logistic([[1, 0], [1, 1], [1, 2], [1, 3]], [0, 0, 1, 1], l2=0.1)
    >>> w[1] > 0
    True
    """
    import numpy as np

    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(x.shape[1])
    pen = np.full(x.shape[1], l2) if penalties is None else np.asarray(penalties, dtype=float)
    pen[0] = 1e-6
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        grad = x.T @ (sw * (p - y)) + pen * beta
        hess = (x.T * (sw * p * (1 - p))) @ x + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return [float(b) for b in beta]


def as_weights(names: Sequence[str], beta: Sequence[float]) -> dict[str, float]:
    """Pair fitted coefficients with their feature names (rounded for a readable file)."""
    if len(names) != len(beta):
        raise ConfigError(f"{len(beta)} coefficients for {len(names)} features")
    return {n: round(b, 4) for n, b in zip(names, beta)}


def expected_calibration_error(conf: Sequence[float], correct: Sequence[int],
                               bins: int = 10) -> float:
    """ECE with equal-width bins (the eval kit's definition)."""
    n = len(conf)
    if not n:
        return 0.0
    acc: dict[int, list[float]] = {}
    for c, ok in zip(conf, correct):
        b = min(int(c * bins), bins - 1)
        slot = acc.setdefault(b, [0, 0.0, 0])
        slot[0] += 1
        slot[1] += c
        slot[2] += ok
    return sum(abs(s[2] / s[0] - s[1] / s[0]) * s[0] / n for s in acc.values())


