"""Sample-type benchmark: grouped cross-validation of the whole fit, beside a keyword rule.

    .venv/bin/python bench/bench_sample_type.py            # writes bench/results/sample_type.md
    .venv/bin/python bench/bench_sample_type.py --folds 5 --repeats 3

The labelled file has no series column, so folds are study groups: samples sharing their sorted
attribute keys (a submitter's template) or their source-name stem stay in one fold
(:func:`harmonize.ground.sample_type_fit.study_groups`). Inside every training part the
regularization and the temperature are chosen by an inner grouped CV, so no fitted number has
seen the fold it is scored on. The keyword rule (:func:`keyword_rule`, ten lines over the same
word list) needs no fit and is scored on the same samples. Reports accuracy, per-class
precision/recall, ECE (10 equal-width bins), the confusion matrix and a reliability diagram
(``bench/results/sample_type_reliability.png``); the shipped model's in-sample accuracy is
given for contrast only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_dev import eval_dir
from fit_sample_type import grounder_for_features

from harmonize.ground.fields import key_role
from harmonize.ground.sample_type import load_model, organoid_rule
from harmonize.ground.sample_type_features import FEATURE_NAMES, SAMPLE_TYPES, word_hits
from harmonize.ground.sample_type_fit import (
    cross_validate,
    matrix,
    read_labelled,
    sample_feature_rows,
    study_groups,
)

RESULTS = Path(__file__).resolve().parent / "results"


def keyword_rule(attributes: dict[str, str], text: str | None) -> str:
    """A ten-line keyword baseline over the same word list (no fitted number)."""
    vals = [v for v in attributes.values() if isinstance(v, str)] + ([text] if text else [])
    hits = set().union(*(word_hits(v) for v in vals)) if vals else set()
    roles = {key_role(k) for k, v in attributes.items() if isinstance(v, str) and v.strip()}
    if "organoid" in hits:
        return "organoid"
    if hits & {"ipsc", "esc", "stem", "pluripotent"} and "differentiation" in hits:
        return "in_vitro_differentiated_cells"
    if "ipsc" in hits:
        return "induced_pluripotent_stem_cells"
    if hits & {"esc", "stem", "pluripotent"}:
        return "stem_cells"
    if "cell_line" in roles or "line" in hits:
        return "cell_line"
    if "primary" in hits or "cell_type" in roles:
        return "primary_cells"
    return "tissue"


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error, equal-width bins."""
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(conf[idx == b].mean() - correct[idx == b].mean()) * (idx == b).sum()
                     for b in range(bins) if (idx == b).any()) / len(conf))


def per_class(y: list[str], pred: list[str]) -> dict[str, tuple[float | None, float | None, int]]:
    """``{class: (precision, recall, n_gold)}``."""
    out = {}
    for c in SAMPLE_TYPES:
        tp = sum(a == b == c for a, b in zip(y, pred))
        n_pred, n_gold = pred.count(c), y.count(c)
        out[c] = (tp / n_pred if n_pred else None, tp / n_gold if n_gold else None, n_gold)
    return out


def reliability_png(conf: np.ndarray, correct: np.ndarray, path: Path, title: str) -> None:
    """Reliability diagram: accuracy per confidence bin against the diagonal, with counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.linspace(0, 1, 11)
    idx = np.minimum((conf * 10).astype(int), 9)
    mids, accs, ns = [], [], []
    for b in range(10):
        m = idx == b
        if m.any():
            mids.append(conf[m].mean())
            accs.append(correct[m].mean())
            ns.append(int(m.sum()))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="perfect calibration")
    ax.bar(edges[:-1], [0] * 10, width=0.1)
    ax.plot(mids, accs, marker="o", label="cross-validated model")
    for x, a, n in zip(mids, accs, ns):
        ax.annotate(str(n), (x, a), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xlabel("confidence (max class probability)")
    ax.set_ylabel("share right")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _with_organoids(proba: np.ndarray, classes: list[str], X: np.ndarray
                    ) -> tuple[list[str], np.ndarray]:
    """Predictions and confidences after the organoid rule, exactly as at run time."""
    col = FEATURE_NAMES.index("word:organoid")
    conf_prior = load_model().organoid_confidence
    pred, conf = [], []
    for row, x in zip(proba, X):
        p, _ = organoid_rule(dict(zip(classes, row)), bool(x[col]), conf_prior)
        best = max(p, key=lambda c: p[c])
        pred.append(best)
        conf.append(p[best])
    return pred, np.array(conf)


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=None, help="labelled JSONL (default: dev file)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3, help="fold shuffles (seeds) to average")
    args = ap.parse_args(argv)
    path = Path(args.path) if args.path else eval_dir() / "metasra_sampletype_dev.jsonl"
    if not path.exists():
        print(f"{path}: not found; skipping (pass a labelled JSONL file)", file=sys.stderr)
        return 0
    recs = read_labelled(path)
    y = [r["gold"]["sample_type"][0] for r in recs]
    groups = study_groups([r["attributes"] for r in recs])
    print(f"grounding {len(recs)} samples for their features...", file=sys.stderr)
    X = matrix(sample_feature_rows(recs, grounder_for_features()))
    runs = []
    for seed in range(args.repeats):
        proba, classes = cross_validate(X, y, groups, k=args.folds, seed=seed)
        pred, conf = _with_organoids(proba, classes, X)
        correct = np.array([a == b for a, b in zip(pred, y)], dtype=float)
        runs.append((pred, conf, correct))
        print(f"seed {seed}: accuracy {correct.mean():.3f} ECE {ece(conf, correct):.3f}",
              file=sys.stderr)
    accs = [c.mean() for _, _, c in runs]
    eces = [ece(cf, c) for _, cf, c in runs]
    pred, conf, correct = runs[0]
    base = [keyword_rule(r["attributes"], r.get("text")) for r in recs]
    base_acc = float(np.mean([a == b for a, b in zip(base, y)]))
    majority = Counter(y).most_common(1)[0]
    shipped = load_model()
    in_pred, _ = _with_organoids(np.array([shipped.proba(x) for x in X]),
                                 list(shipped.classes), X)
    in_acc = float(np.mean([a == b for a, b in zip(in_pred, y)]))
    RESULTS.mkdir(exist_ok=True)
    png = RESULTS / "sample_type_reliability.png"
    reliability_png(conf, correct, png, f"sample type, grouped {args.folds}-fold CV "
                    f"({len(y)} SRA samples)")
    cm = Counter(zip(y, pred))
    present = [c for c in SAMPLE_TYPES if c in y or c in pred]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Sample type: grouped cross-validation ({stamp})", "",
        (f"`{path.name}`: {len(y)} samples, {len(set(groups))} study groups, "
         f"{args.folds} folds x {args.repeats} shuffles; {len(FEATURE_NAMES)} features."), "",
        "| method | accuracy | ECE |", "|---|---:|---:|",
        (f"| model, grouped CV (mean of {args.repeats}; range) | **{np.mean(accs):.3f}** "
         f"({min(accs):.3f}–{max(accs):.3f}) | **{np.mean(eces):.3f}** "
         f"({min(eces):.3f}–{max(eces):.3f}) |"),
        f"| keyword rule (no fit) | {base_acc:.3f} | – |",
        f"| majority class ({majority[0]}) | {majority[1] / len(y):.3f} | – |",
        f"| shipped model, in-sample (not a figure to quote) | {in_acc:.3f} | – |", "",
        "Per class (grouped CV, first shuffle; keyword rule beside):", "",
        "| class | n | precision | recall | rule precision | rule recall |",
        "|---|---:|---:|---:|---:|---:|"]
    pc, pb = per_class(y, pred), per_class(y, base)
    for c in SAMPLE_TYPES:
        lines.append(f"| {c} | {pc[c][2]} | {_f(pc[c][0])} | {_f(pc[c][1])} | {_f(pb[c][0])} | "
                     f"{_f(pb[c][1])} |")
    lines += ["", "Confusion matrix (rows gold, columns predicted; grouped CV, first shuffle):",
              "", "| gold \\ predicted | " + " | ".join(present) + " |",
              "|---|" + "---:|" * len(present)]
    for g in present:
        lines.append(f"| {g} | " + " | ".join(str(cm.get((g, p), 0)) for p in present) + " |")
    lines += ["", f"Reliability diagram: [{png.name}]({png.name})", ""]
    (RESULTS / "sample_type.md").write_text("\n".join(lines))
    (RESULTS / "sample_type.json").write_text(json.dumps({
        "n": len(y), "groups": len(set(groups)), "folds": args.folds,
        "cv_accuracy": accs, "cv_ece": eces, "keyword_rule_accuracy": base_acc,
        "majority": majority[1] / len(y), "in_sample_accuracy": in_acc}, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
