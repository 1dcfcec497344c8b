"""Sample-type benchmark: grouped cross-validation of the whole fit, beside a keyword rule.

    .venv/bin/python bench/bench_sample_type.py            # writes bench/results/sample_type.md
    .venv/bin/python bench/bench_sample_type.py --folds 5 --seeds 5

The labelled file has no series column, so folds are study groups: samples sharing their sorted
attribute keys (a submitter's template) or their source-name stem stay in one fold
(:func:`harmonize.ground.sample_type_fit.study_groups`). Inside every training part the
regularization and the temperature are chosen by an inner grouped CV, so no fitted number has
seen the fold it is scored on. The keyword rule (:func:`keyword_rule`, ten lines over the same
word list) needs no fit and is scored on the same samples. Reports accuracy, per-class
precision/recall (mean over the fold shuffles), ECE (10 equal-width bins), the confusion
matrix, a reliability diagram (``bench/results/sample_type_reliability.png``) and what the
held-out types do to the tissue facet (:func:`tissue_after_move`: a cultured sample's tissue
becomes its origin); the shipped model's in-sample accuracy is given for contrast only.
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
from fit_sample_type import ORGANOID_CONFIDENCE, grounder_for_features

from harmonize.errors import ConfigError
from harmonize.ground.fields import key_role
from harmonize.ground.sample_type import load_model, moves_to_origin, organoid_rule, post_mortem
from harmonize.ground.sample_type_features import CULTURED, FEATURE_NAMES, SAMPLE_TYPES, word_hits
from harmonize.ground.sample_type_fit import (
    cross_validate,
    labelled_matrix,
    read_labelled,
)

#: A type below this confidence is needs_review and moves no tissue (the model file's accept).
ACCEPT = 0.5

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
    conf_prior = ORGANOID_CONFIDENCE  # what fit_sample_type.py writes into the model
    pred, conf = [], []
    for row, x in zip(proba, X):
        p, _ = organoid_rule(dict(zip(classes, row)), bool(x[col]), conf_prior)
        best = max(p, key=lambda c: p[c])
        pred.append(best)
        conf.append(p[best])
    return pred, np.array(conf)


def tissue_after_move(y: list[str], pred: list[str], conf: np.ndarray,
                      annotations: list[list], attributes: list[dict[str, str]]
                      ) -> dict[str, int]:
    """What held-out types do to the tissue facet, counted by gold type: samples carrying a
    tissue annotation before the move and after it (:func:`moves_to_origin`, as at run time),
    and, of the gold-cultured samples still carrying one, how many keep it because the value
    names a tissue the sample is or is post-mortem (the others were typed wrongly or not surely
    enough)."""
    out = Counter()
    for g, p, c, anns, attrs in zip(y, pred, conf, annotations, attributes):
        kind = "cultured" if g in CULTURED else g
        tissues = [a for a in anns if a.facet == "tissue" and a.term_id]
        status = "accepted" if c >= ACCEPT else "needs_review"
        kept = [a for a in tissues if not moves_to_origin(a, p, status, post_mortem(attrs))]
        out[f"{kind}:before"] += bool(tissues)
        out[f"{kind}:after"] += bool(kept)
        if kind == "cultured" and kept:
            named = p in CULTURED and status == "accepted"  # kept only by the value's words
            out["cultured:kept_named_tissue" if named else "cultured:kept_mistyped"] += 1
    return dict(out)


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=None, help="labelled JSONL (default: dev file)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", "--repeats", dest="repeats", type=int, default=5,
                    help="fold shuffles (seeds 0..N-1) to average (default 5)")
    args = ap.parse_args(argv)
    path = Path(args.path) if args.path else eval_dir() / "metasra_sampletype_dev.jsonl"
    if not path.exists():
        print(f"{path}: not found; skipping (pass a labelled JSONL file)", file=sys.stderr)
        return 0
    recs = read_labelled(path)
    print(f"grounding {len(recs)} samples for their features...", file=sys.stderr)
    X, y, groups, anns = labelled_matrix(recs, grounder_for_features())
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
    try:
        shipped = load_model()
        in_pred, _ = _with_organoids(np.array([shipped.proba(x) for x in X]),
                                     list(shipped.classes), X)
        in_acc: float | None = float(np.mean([a == b for a, b in zip(in_pred, y)]))
    except ConfigError as exc:  # features changed and the model is not refitted yet
        print(f"in-sample figure skipped: {exc}", file=sys.stderr)
        in_acc = None
    moved = [tissue_after_move(y, p, cf, anns, [r["attributes"] for r in recs])
             for p, cf, _ in runs]
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
        (f"| model, grouped CV (mean ± sd of {args.repeats} shuffles; range) | "
         f"**{np.mean(accs):.3f}** ± {np.std(accs):.3f} ({min(accs):.3f}–{max(accs):.3f}) | "
         f"**{np.mean(eces):.3f}** ± {np.std(eces):.3f} ({min(eces):.3f}–{max(eces):.3f}) |"),
        f"| keyword rule (no fit) | {base_acc:.3f} | – |",
        f"| majority class ({majority[0]}) | {majority[1] / len(y):.3f} | – |",
        f"| shipped model, in-sample (not a figure to quote) | {_f(in_acc)} | – |", "",
        f"Per class (grouped CV, mean over {args.repeats} shuffles; keyword rule beside):", "",
        "| class | n | precision | recall | rule precision | rule recall |",
        "|---|---:|---:|---:|---:|---:|"]
    pcs, pb = [per_class(y, p) for p, _, _ in runs], per_class(y, base)
    for c in SAMPLE_TYPES:
        prec = [p[c][0] for p in pcs if p[c][0] is not None]
        rec = [p[c][1] for p in pcs if p[c][1] is not None]
        lines.append(f"| {c} | {pcs[0][c][2]} | {_f(float(np.mean(prec)) if prec else None)} | "
                     f"{_f(float(np.mean(rec)) if rec else None)} | {_f(pb[c][0])} | "
                     f"{_f(pb[c][1])} |")
    n_kind = Counter("cultured" if g in CULTURED else g for g in y)
    lines += ["", (f"Tissue annotations after the move, held-out types (mean over {args.repeats} "
                   "shuffles; a cultured sample's tissue becomes its origin_tissue):"), "",
              "| gold type | n | with a tissue before | with a tissue after |", "|---|---:|---:|---:|"]
    for kind in ("tissue", "primary_cells", "cultured"):
        b = np.mean([m.get(f"{kind}:before", 0) for m in moved])
        a = np.mean([m.get(f"{kind}:after", 0) for m in moved])
        lines.append(f"| {kind} | {n_kind[kind]} | {b:.0f} | {a:.1f} |")
    named = np.mean([m.get("cultured:kept_named_tissue", 0) for m in moved])
    mistyped = np.mean([m.get("cultured:kept_mistyped", 0) for m in moved])
    lines += ["", (f"Of the cultured samples still carrying a tissue: {named:.1f} because the "
                   "value names a tissue the sample is (`is_tissue` words) or a key says "
                   f"post-mortem, {mistyped:.1f} because their type was not cultured or not "
                   "accepted.")]
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
        "majority": majority[1] / len(y), "in_sample_accuracy": in_acc,
        "tissue_after_move": moved}, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
