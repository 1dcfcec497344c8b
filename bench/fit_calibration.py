"""Fit ``ontologies/calibration.json`` from the dev gold files in ../shared/eval.

    python bench/fit_calibration.py [--eval-dir DIR] [--out ontologies/calibration.json]

For each facet with gold (tissue, cell_type: txt2onto1; disease: t2o2 series, labels applied to
member samples; cell_line: bsllmner, including samples whose gold is empty), every pooled
candidate of a sample becomes a row (features of score.py, label = candidate is a gold id):

1. ranking weights: L2 logistic regression over all candidate rows (per facet);
2. Platt step: the top candidate's logit and margin -> probability (per facet), fitted on
   out-of-fold logits: each series is scored by a ranker fitted without it (5 folds), so the
   step learns how far logits of unseen samples can be trusted;
3. emit threshold: the confidence that maximises F1 of the top choices (per facet; for
   series-level gold, hierarchical F1 of the union of the members' choices); the Platt step
   is then refitted on the emitted choices, the population the confidence is judged on;
4. the cautious prior of evidence no dev file holds, per facet: the share right of the fit's
   annotations on the read blind sets (``bench/blind/sets.tsv``), which fit nothing else
   (:class:`HeldOutJudge`).

The figures printed are in-sample. Held-out figures (the same fit on 4/5 of the series,
scored on the rest through ``harmonize map``): ``bench/cv_eval.py``. Skips cleanly when the
eval folder is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import blind_eval

from harmonize.ground import Grounder, load_lexicon, load_overrides
from harmonize.ground.calibrate import (
    CALIBRATION_PATH,
    MARGIN_CAP,
    Calibration,
    as_weights,
    closeness,
    expected_calibration_error,
    fit_logistic,
    matcher_fingerprint,
)
from harmonize.ground.evidence import evidence_kind
from harmonize.ground.fields import field_values, key_class
from harmonize.ground.score import DEFAULT_WEIGHTS, FEATURES

FILES = {"txt2onto1_dev.jsonl": ("tissue", "cell_type"),
         "t2o2_series_disease_dev.jsonl": ("disease",),
         "bsllmner_cellline_dev.jsonl": ("cell_line",)}
RANK_L2 = 10.0
#: Series-level gold gives ~50 (series, term) items; their out-of-fold accuracy is 0.42-0.54
#: between inner fold draws, so the Platt step pools the items of this many draws.
SERIES_DRAWS = 8
DEDICATED = FEATURES.index("key_dedicated")
PLATT_L2 = 1.0
INNER_FOLDS = 5
HELDOUT_FIT_N = 3000
#: Series-level gold gives ~50 (series, term) items: a strong penalty keeps the Platt step
#: near the base rate instead of chasing noise (held-out ECE 0.18 -> 0.13, bench/cv_eval.py).
SERIES_PLATT_L2 = 100.0


def fold_of(group: str, folds: int, seed: int | str = 0) -> int:
    """Stable fold number of a group name (``seed`` draws another split)."""
    salt = f"{seed}:" if seed else ""
    return int(hashlib.sha1(f"{salt}{group}".encode()).hexdigest(), 16) % folds


def record_group(name: str, rec: dict) -> str:
    """The group a gold record belongs to: its GEO series, else its BioSample submitter group."""
    group = rec.get("series") or (rec.get("extra") or {}).get("group") or rec["accession"]
    return f"{name}:{group}"


def load_samples(eval_dir: Path) -> list[dict]:
    """``{facet, group, gold, values}`` per sample and gold facet."""
    samples = []
    for name, facets in FILES.items():
        path = eval_dir / name
        if not path.exists():
            continue
        recs = [json.loads(line) for line in path.open() if line.strip()]
        series_gold = {r["accession"]: r["gold"] for r in recs if r.get("members")}
        for r in recs:
            if r.get("members"):
                continue
            gold = r.get("gold") or {}
            if r.get("series") in series_gold and not gold:
                gold = series_gold[r["series"]]
            values = field_values({k: v for k, v in (r.get("attributes") or {}).items()
                                   if isinstance(v, str)}, r.get("text"))
            for facet in facets:
                if facet not in gold:
                    continue
                samples.append({"facet": facet, "group": record_group(name, r),
                                "series_level": r.get("series") in series_gold,
                                "gold": set(gold[facet]),
                                "values": [v for v in values if v.facet == facet]})
    return samples


#: Facets whose emitted annotations on the read blind sets are judged.
BLIND_FACETS = ("tissue", "cell_type", "disease", "cell_line")


def read_blind_records(folder: Path = blind_eval.BLIND) -> list[dict]:
    """The records of the keyed blind sets already read (``sets.tsv``: SRA and GEO sets, not
    series sets), each with its gold."""
    import gzip

    if not (folder / "sets.tsv").is_file():
        return []
    recs = []
    for row in blind_eval.manifest(folder):
        if row["status"] == "read" and row["kind"] in ("SRA", "GEO"):
            with gzip.open(folder / f"{row['set']}.jsonl.gz", "rt", encoding="utf-8") as fh:
                recs += [json.loads(line) for line in fh if line.strip()]
    return recs


class HeldOutJudge:
    """How often a fit's annotations are right on data it never saw: the read blind sets,
    written and annotated by others, each record annotated under the fit on its own
    (:meth:`Grounder.annotate`: without the study view ``harmonize map`` adds). They
    never fit a ranking weight or a Platt step; ``[n, right]`` of their annotations per facet
    is the prior of that facet's evidence the dev files never held
    (:meth:`Calibration.facet_prior`). Per kind of evidence the shares did not transfer
    between sets (a 16-sample kind right half the time on one set): the facet's share does."""

    def __init__(self, grounder: Grounder, records: list[dict]) -> None:
        self.grounder, self.records = grounder, records

    def __call__(self, cal: Calibration) -> dict[str, list[int]]:
        before, self.grounder.calibration = self.grounder.calibration, cal
        held: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        try:
            for r in self.records:
                gold = r.get("gold") or {}
                attrs = {k: v for k, v in (r.get("attributes") or {}).items()
                         if isinstance(v, str)}
                for a in self.grounder.annotate(attrs, r.get("text")):
                    if a.facet in BLIND_FACETS and a.facet in gold and a.term_id \
                            and a.status != "unmapped":
                        held[a.facet][0] += 1
                        held[a.facet][1] += int(a.term_id in gold[a.facet])
        finally:
            self.grounder.calibration = before
        return dict(sorted(held.items()))


def rows_of(grounder: Grounder, samples: list[dict]) -> list[dict]:
    """Ranked candidates of each sample with features (computed once, weights-free), and the
    kind of evidence each would rest on as the top choice (:func:`evidence_kind`)."""
    out = []
    for s in samples:
        ranked, _ = grounder.rank(s["facet"], s["values"])
        cands = [([feats[f] for f in FEATURES], int(c.term_id in s["gold"]))
                 for _, c, _, feats in ranked]
        ev = [evidence_kind(c, key_class(v)) for _, c, v, _ in ranked]
        out.append({**s, "cands": cands, "ids": [c.term_id for _, c, _, _ in ranked],
                    "ev": ev, "dataset": s["group"].split(":", 1)[0]})
    return out


def fit(rows: list[dict], folds: int = INNER_FOLDS,
        judge: HeldOutJudge | None = None) -> Calibration:
    """Fit every part from the candidate rows of whichever dev files they come from.

    1. per facet with gold: ranking weights, the Platt step and the emit threshold
       (:func:`fit_per_facet`); a facet without gold keeps the hand-set weights and step and
       emits everything it finds (its confidence says how sure);
    2. the cautious prior: every out-of-fold top choice counts as held-out support for its
       kind of evidence (facet, key class, method, match kind); the prior is the share of
       those tops that were right (each dataset weighing the same). At run time a kind seen
       ``n`` times held out gets ``w * p + (1 - w) * prior``, ``w = n / (n + m)``: evidence
       the fit never saw (a tissue under a dedicated key, when the dev gold has only free
       text) is as confident as the grounder is right on average, whatever the fit would
       extrapolate.
    """
    cal = fit_per_facet(rows, folds)
    cal.familiar = {facet: familiar_terms([r for r in rows if r["facet"] == facet])
                    for facet in cal.rank_weights}
    support: dict[str, int] = defaultdict(int)
    tops_all: list[tuple[dict, int]] = []
    for facet in sorted({r["facet"] for r in rows}):
        mine = [r for r in rows if r["facet"] == facet]
        if cal.weights(facet) is None:
            continue
        for t in out_of_fold_tops(mine, folds):
            row = mine[t[3]]
            support[f"{facet}/{row['ev'][t[5]]}"] += 1
            tops_all.append((row, t[2]))
    if not tops_all:
        return cal
    w = balanced_weights([row for row, _ in tops_all])
    prior = sum(wi * ok for wi, (_, ok) in zip(w, tops_all)) / sum(w)
    cal.evidence = {"support": dict(sorted(support.items())), "prior": round(prior, 4),
                    "pseudo": CAUTIOUS_PSEUDO}
    held = judge(cal) if judge is not None else {}
    if held:
        cal.evidence["held_out"] = held
    return cal


#: A kind of evidence seen n times held out moves from the prior to p as n outgrows this.
CAUTIOUS_PSEUDO = 30.0


def balanced_weights(rows: list[dict]) -> list[float]:
    """Row weights: size(group)^-1/2, scaled so that every dataset weighs the same."""
    size: dict[str, int] = defaultdict(int)
    for r in rows:
        size[r["group"]] += 1
    raw = [size[r["group"]] ** -0.5 for r in rows]
    total: dict[str, float] = defaultdict(float)
    for r, v in zip(rows, raw):
        total[r["dataset"]] += v
    n = len(total)
    return [v * len(rows) / (n * total[r["dataset"]]) for r, v in zip(rows, raw)]


def top_confidence(cal: Calibration, row: dict, top: tuple) -> float:
    """The confidence ``cal`` gives a held-out top choice (Platt step, then the cautious
    prior of its kind of evidence)."""
    p = cal.confidence(row["facet"], top[0], top[1], bool(top[4]), bool(top[6]))
    return cal.cautious(p, f"{row['facet']}/{row['ev'][top[5]]}")[0]  # rules follow at run time


def fit_per_facet(rows: list[dict], folds: int = INNER_FOLDS) -> Calibration:
    """The former fit (kept for comparison): ranking weights, Platt parameters and emit
    thresholds per facet, each from that facet's own rows only.

    The ranking weights are fitted on every row. The Platt step and the emit threshold are
    fitted on out-of-fold logits (each group scored by a ranker fitted without it), so the
    confidence is learnt from logits as over- or under-confident as those of unseen samples.
    """
    cal = Calibration(version="unversioned")
    for facet in sorted({r["facet"] for r in rows}):
        mine = [r for r in rows if r["facet"] == facet]
        beta = fit_ranker(mine)
        if beta is None:
            continue
        cal.rank_weights[facet] = as_weights(FEATURES, beta)
        tops = (out_of_fold_tops(mine, folds) if folds > 1
                else top_choices(mine, beta, familiar_terms(mine)))
        if mine[0].get("series_level"):
            # ~50 items: one fold draw is noise (item accuracy 0.42-0.54 between draws), so
            # the step is fitted on the items of several draws together
            items = series_items(mine, tops) + [  # `tops` is the first draw ("inner")
                it for d in range(1, SERIES_DRAWS)
                for it in series_items(mine, out_of_fold_tops(mine, folds, seed=f"inner{d}"))]
            px = [[1.0, lg, min(mg, MARGIN_CAP), 0.0, nv] for lg, mg, _, nv in items]
            py = [ok for _, _, ok, _ in items]
        else:
            px = [[1.0, t[0], min(t[1], MARGIN_CAP), t[4], t[6]] for t in tops]
            py = [t[2] for t in tops]
        l2 = SERIES_PLATT_L2 if mine[0].get("series_level") else PLATT_L2
        if len(set(py)) == 2:
            cal.platt[facet] = [round(b, 4) for b in monotone_platt(px, py, l2=l2)]
        confs = [cal.confidence(facet, t[0], t[1], bool(t[4]), bool(t[6])) for t in tops]
        thr = best_threshold(mine, tops, confs, SERIES_THRESHOLD_TOLERANCE
                             if mine[0].get("series_level") else SAMPLE_THRESHOLD_TOLERANCE)
        kept = [i for i, c in enumerate(confs) if c >= thr]
        if not mine[0].get("series_level") and thr > 0 and len({py[i] for i in kept}) == 2:
            # refit the Platt step on what is actually emitted, keeping the same set
            cal.platt[facet] = [round(b, 4) for b in monotone_platt([px[i] for i in kept],
                                                                    [py[i] for i in kept])]
            confs = [cal.confidence(facet, t[0], t[1], bool(t[4]), bool(t[6])) for t in tops]
            thr = best_threshold(mine, tops, confs, SAMPLE_THRESHOLD_TOLERANCE)
        cal.emit_min[facet] = round(max(thr, 0.0), 4)
    return cal


def content_version(cal: Calibration) -> str:
    """``fit-<digest of the parameters>``: a refit that changes nothing keeps the version, so
    it does not make the next run re-annotate every sample."""
    body = {k: v for k, v in cal.to_json().items() if k not in ("version", "fitted_on")}
    return "fit-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def fit_ranker(rows: list[dict]) -> list[float] | None:
    """Ranking weights from candidate rows (``None`` when the labels do not vary)."""
    x = [f for r in rows for f, _ in r["cands"]]
    y = [ok for r in rows for _, ok in r["cands"]]
    if len(set(y)) < 2:
        return None
    size: dict[str, int] = defaultdict(int)
    for r in rows:
        size[r["group"]] += 1
    sw = [size[r["group"]] ** -0.5 for r in rows for _ in r["cands"]]
    return with_priors(fit_logistic(x, y, l2=RANK_L2, weights=sw), x)


def out_of_fold_tops(rows: list[dict], folds: int, seed: str = "inner") -> list[tuple]:
    """:func:`top_choices` of each row under a ranker fitted without the row's group."""
    fold = [fold_of(r["group"], folds, seed=seed) for r in rows]
    tops: list[tuple] = []
    for k in range(folds):
        beta = fit_ranker([r for r, f in zip(rows, fold) if f != k])
        if beta is None:
            continue
        held = [i for i, f in enumerate(fold) if f == k]
        known = familiar_terms([r for r, f in zip(rows, fold) if f != k])
        for t in top_choices([rows[i] for i in held], beta, known):
            tops.append((*t[:3], held[t[3]], *t[4:]))
    return sorted(tops, key=lambda t: t[3])


def fit_similarity_steps(lexicon, ranking: Calibration,
                         n: int = HELDOUT_FIT_N) -> dict[str, dict[str, list[float]]]:
    """Fuzzy and embedding steps ``[bias, closeness]`` from held-out synonyms (half 0).

    The closeness weight is kept >= 0 (a closer match never lowers the confidence).

    Each synonym is grounded under its facet's key with only one matcher's candidates (see
    ``bench_heldout.py``, which scores the other half); label = the chosen term is right.
    """
    import bench_heldout as bh

    # the choice among a matcher's candidates is made by the fitted ranking weights, as at
    # run time; the steps themselves must not be in place yet
    grounder = Grounder(lexicon, use_embeddings=True,
                        calibration=replace(ranking, similarity_steps={}))
    trials = {"embedding": bh.embedding_trials(grounder, n, 11, bh.FIT_PART),
              "fuzzy": [t for facet in bh.FUZZY_FACETS
                        for t in bh.fuzzy_trials(grounder, facet, n, 11, bh.FIT_PART)]}
    steps = {}
    for method, rows in trials.items():
        made = [t for t in rows if t[1] is not None]
        steps[method] = {"*": [round(b, 4) for b in monotone_platt(
            [[1.0, closeness(t[0])] for t in made], [int(t[1]) for t in made])]}
    return steps


#: Column of the novel-term flag in a Platt row.
NOVEL = 4


def monotone_platt(px: list[list[float]], py: list[int], l2: float = PLATT_L2) -> list[float]:
    """Platt step whose confidence never falls as the logit or the margin rises.

    Columns: bias, logit, margin, dedicated-key flag and novel-term flag (each dropped when
    constant). A logit or margin coefficient fitted below zero, or a novel-term one above it
    (a term the fit never saw right is no surer for that), is fixed at zero and the rest
    refitted. (Dropping the novel flag first instead when the logit turns negative beside it
    kept cell types' logit but left grouped-CV ECE no better and two blind sets' worse.)
    """
    keep = [j for j in range(len(px[0])) if j < 3 or len({row[j] for row in px}) > 1]
    while True:
        w = fit_logistic([[row[j] for j in keep] for row in px], py, l2=l2)
        full = [0.0] * len(px[0])
        for j, b in zip(keep, w):
            full[j] = b
        bad = [j for j in keep if (j in (1, 2) and full[j] < 0) or (j == NOVEL and full[j] > 0)]
        if not bad:
            return full
        keep.remove(bad[0])


def with_priors(beta: list[float], x: list[list[float]]) -> list[float]:
    """Features that never vary in the training rows keep their hand-set weight.

    The bias absorbs the change, so training logits stay the same; other data (e.g. a
    dedicated key where the dev file only has free text) is ranked by the prior's judgement.
    Its confidence is not: the cautious prior (:func:`fit`) lowers evidence the fit never saw.
    """
    beta = list(beta)
    for j, name in enumerate(FEATURES[1:], 1):
        col = {row[j] for row in x}
        if len(col) == 1:
            const = col.pop()
            beta[0] -= (DEFAULT_WEIGHTS[name] - beta[j]) * const
            beta[j] = DEFAULT_WEIGHTS[name]
    return beta


def familiar_terms(rows: list[dict]) -> frozenset[str]:
    """The terms the gold of ``rows`` holds: a top outside them is novel to a fit on them."""
    return frozenset(t for r in rows for t in r["gold"])


def top_choices(rows: list[dict], beta: list[float],
                familiar: frozenset[str] | None = None) -> list[tuple]:
    """``(logit, margin, correct, row index, dedicated, candidate index, novel)`` of each
    sample's top candidate; novel: its term is not in ``familiar`` (never, without one)."""
    out = []
    for i, r in enumerate(rows):
        if not r["cands"]:
            continue
        scored = sorted(((sum(b * v for b, v in zip(beta, f)), ok, tid, f[DEDICATED], j)
                         for j, ((f, ok), tid) in enumerate(zip(r["cands"], r["ids"]))),
                        key=lambda t: -t[0])
        r["top_id"] = scored[0][2]
        margin = scored[0][0] - scored[1][0] if len(scored) > 1 else MARGIN_CAP
        novel = familiar is not None and scored[0][2] not in familiar
        out.append((scored[0][0], margin, scored[0][1], i, scored[0][3], scored[0][4],
                    int(novel)))
    return out


def series_items(rows, tops) -> list[tuple[float, float, int, int]]:
    """Series-level gold: one item per (series, predicted term), best logit/margin of members,
    whether it is right and whether it is novel."""
    best: dict[tuple[str, str], list] = {}
    for t in tops:
        r = rows[t[3]]
        key = (r["group"], r["top_id"])
        item = best.setdefault(key, [t[0], t[1], t[2], t[6]])
        if t[0] > item[0]:
            item[0], item[1] = t[0], t[1]
    return [tuple(v) for v in best.values()]


ANCESTORS: dict[str, frozenset[str]] = {}


def _closure(ids: set) -> set:
    out = set()
    for t in ids:
        out |= {t} | set(ANCESTORS.get(t, ()))
    return out


def f1_at(rows, tops, confs, thr) -> float:
    """F1 of the top choices kept at ``thr``; series-level rows are scored as a union."""
    if rows and rows[0].get("series_level"):
        pred: dict[str, set] = defaultdict(set)
        gold: dict[str, set] = {}
        for r in rows:
            gold[r["group"]] = r["gold"]
        for t, c in zip(tops, confs):
            if c >= thr:
                pred[rows[t[3]]["group"]].add(rows[t[3]]["top_id"])
        tp = fp = fn = 0
        for g in gold:  # hierarchical: both sides expanded with their ancestors
            p, t = _closure(pred[g]), _closure(gold[g])
            tp, fp, fn = tp + len(p & t), fp + len(p - t), fn + len(t - p)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    n_gold = sum(1 for r in rows if r["gold"])
    tp = sum(1 for t, c in zip(tops, confs) if c >= thr and t[2])
    fp = sum(1 for t, c in zip(tops, confs) if c >= thr and not t[2])
    return 2 * tp / (2 * tp + fp + (n_gold - tp)) if n_gold else 0.0


#: F1 a higher emit threshold must gain, on series-level gold, to be taken. ~36 series give
#: a noisy F1 curve, and the map applies evidence priors the fit does not see: a disease
#: cut-off of 0.44 that gained 0.004 here lost 0.03 of hierarchical F1 in ``harmonize map``.
#: Sample-level facets (thousands of samples) take the plain maximum: a tolerance there
#: emitted more low-confidence choices and doubled the held-out ECE (cv_eval).
SERIES_THRESHOLD_TOLERANCE = 0.01
#: Sample-level facets take the lowest cut-off within this F1 of the best: the plain maximum
#: sat on a flat F1 curve and swung between folds (cell type emitted 46 % of samples in one
#: grouped-CV run against 55 % in-sample: -0.065 strict F1, ``bench/cross_eval.py``).
SAMPLE_THRESHOLD_TOLERANCE = 0.005


def best_threshold(rows, tops, confs, tolerance: float = 0.0) -> float:
    """The lowest confidence cut-off whose F1 of the top choices is within ``tolerance`` of
    the best."""
    grid = [i / 100 for i in range(0, 91, 2)]
    f1s = [f1_at(rows, tops, confs, thr) for thr in grid]
    best = max(f1s)
    return next(thr for thr, f1 in zip(grid, f1s) if f1 >= best - tolerance - 1e-9)


def evaluate(cal: Calibration, rows: list[dict]) -> dict:
    """ECE, accuracy and F1 (above the emit threshold) of the top choices per facet."""
    report = {}
    for facet in sorted({r["facet"] for r in rows}):
        mine = [r for r in rows if r["facet"] == facet]
        w = cal.weights(facet)
        if not w:
            continue
        beta = [w[f] for f in FEATURES]
        tops = top_choices(mine, beta, cal.familiar.get(facet))
        confs = [top_confidence(cal, mine[t[3]], t) for t in tops]
        thr = cal.emit_threshold(facet)
        kept = [(c, t[2]) for t, c in zip(tops, confs) if c >= thr]
        tp = sum(ok for _, ok in kept)
        f1 = f1_at(mine, tops, confs, thr)
        report[facet] = {"n": len(kept), "ece": round(expected_calibration_error(
            [c for c, _ in kept], [ok for _, ok in kept]), 4),
            "accuracy": round(tp / len(kept), 4) if kept else None, "f1_top": round(f1, 4),
            "threshold": thr}
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", default=os.environ.get("HARMONIZE_EVAL_DIR", "../shared/eval"))
    ap.add_argument("--out", default=str(CALIBRATION_PATH))
    a = ap.parse_args()
    eval_dir = Path(a.eval_dir)
    if not eval_dir.is_dir():
        print(f"skip: no eval folder at {eval_dir}", file=sys.stderr)
        return 0
    lexicon = load_lexicon()
    ANCESTORS.update(lexicon.ancestors)
    grounder = Grounder(lexicon, overrides=load_overrides(), use_embeddings=False,
                        calibration=Calibration())
    rows = rows_of(grounder, load_samples(eval_dir))
    final = fit(rows, judge=HeldOutJudge(grounder, read_blind_records()))
    final.similarity_steps = fit_similarity_steps(lexicon, final)
    final.version = content_version(final)
    final.fitted_on = {"lexicon": lexicon.version, "matchers": matcher_fingerprint()}
    Path(a.out).write_text(json.dumps(final.to_json(), indent=1) + "\n")
    print(json.dumps({"in_sample": evaluate(final, rows)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
