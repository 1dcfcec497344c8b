"""The yardstick that cannot be fitted: in-sample, grouped CV and leave-one-dataset-out.

For every dev file of ``../shared/eval`` and every facet it has gold for, three figures side by
side, each scored by the kit's own ``score.py`` on ``harmonize map`` output
(:func:`harmonize.mapping.map_batch`, a study's samples together):

* ``in``   in-sample: every fitted part (ranking weights, confidence model, emit thresholds,
  the sample-type model) fitted on all dev files, then the dev files mapped with it. What a dev table shows;
  never the figure to quote.
* ``cv``   grouped cross-validation: folds by GEO series or BioSample submitter group; each
  record is mapped with parts fitted without its fold (all files pooled).
* ``lodo`` leave-one-dataset-out: each file is mapped with parts fitted on the *other* files
  only. A facet only that file covers is then scored with what the other files taught: the test
  of whether the evidence model transfers to a kind of data it never saw.

Nothing here is tuned: the fit is ``bench/fit_calibration.py``'s :func:`fit`, the same code that
writes the shipped ``ontologies/calibration.json``. Embeddings are off (the similarity steps are
fitted on held-out ontology synonyms, not on dev records: ``bench_heldout.py``).

    .venv/bin/python bench/cross_eval.py                       # all regimes, 5 folds, 1 split
    .venv/bin/python bench/cross_eval.py --regimes cv,lodo --seeds 3 --json out.json

Writes ``bench/results/cross_eval.md`` and one reliability diagram per dataset
(``bench/results/reliability_<file>.png``, held-out regimes). ``--json`` writes
``{file: {facet: {regime: {strict_f1, hier_f1, ece, coverage, n_gold, ...}}}}``
(``bench/rule_ablation.py`` reads it). Skips cleanly when ``../shared/eval`` is absent.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_dev
import fit_calibration as fc
import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
REGIMES = ("in", "cv", "lodo")
#: Every dev file is mapped; those without ontology gold (the sample-type file) are still
#: described: what the grounder emits on raw SRA attributes, how confident.
SAMPLE_TYPE_FILE = "metasra_sampletype_dev.jsonl"
MAPPED_FILES = tuple(fc.FILES) + (SAMPLE_TYPE_FILE,)


def read_records(path: Path) -> list[dict]:
    """The gold records of one dev file (series-level records included)."""
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def map_file(grounder, recs: list[dict], cal_of: Callable[[dict], object], pred: Path,
             map_batch, type_of: Callable[[dict], object] | None = None) -> None:
    """Write ``harmonize map`` output for ``recs``, each mapped with the calibration
    ``cal_of(record)`` and the sample-type model ``type_of(record)`` (default: the shipped
    one; series-level records are scored through their members). The records mapped with the
    same parts are mapped together, as ``harmonize map`` maps a file (``map_batch``: a study's
    samples read together); a grouped fold holds whole studies, so no study is split."""
    samples = [r for r in recs if not r.get("members")]
    batches: dict[tuple[int, int], tuple[object, object, list[dict]]] = {}
    for r in samples:
        cal, model = cal_of(r), (type_of(r) if type_of else None)
        batches.setdefault((id(cal), id(model)), (cal, model, []))[2].append(r)
    mapped: dict[int, dict] = {}
    for cal, model, batch in batches.values():
        grounder.calibration = cal
        grounder.sample_type_model = model
        inputs = [{k: r[k] for k in eval_dev.INPUT_FIELDS if k in r} for r in batch]
        mapped.update(zip(map(id, batch), map_batch(inputs, grounder)))
    with pred.open("w", encoding="utf-8") as out:
        for r in samples:
            out.write(json.dumps(mapped[id(r)]) + "\n")


def regime_runs(regime: str, rows: list[dict], names: Iterable[str], folds: int,
                seeds: int, judge: fc.HeldOutJudge | None = None
                ) -> list[dict[str, Callable[[dict], object]]]:
    """For one regime, one ``{file: record -> Calibration}`` per split (one split unless CV);
    every fit's facets judged on the read blind sets (``judge``: each facet's prior), as the
    shipped one's are."""
    names = list(names)
    if regime == "in":
        cal = fc.fit(rows, judge=judge)
        return [{n: (lambda r, c=cal: c) for n in names}]
    if regime == "lodo":
        out = {}
        for n in names:
            cal = fc.fit([r for r in rows if not r["group"].startswith(f"{n}:")], judge=judge)
            out[n] = (lambda r, c=cal: c)
        return [out]
    runs = []
    for seed in range(seeds):
        cals = [fc.fit([r for r in rows if fc.fold_of(r["group"], folds, seed) != k],
                       judge=judge) for k in range(folds)]
        runs.append({n: (lambda r, n=n, s=seed, c=cals: cals_of(c, n, r, folds, s))
                     for n in names})
    return runs


def sample_type_runs(regime: str, folder: Path, lexicon, folds: int, seeds: int
                     ) -> list[Callable[[dict], object] | None]:
    """For one regime, one ``record -> sample-type model`` per split, refitted like the shipped
    one (:func:`harmonize.ground.sample_type_fit.fit_model`) without the record's study group
    (``cv``: grouped folds of ``bench_sample_type.py``), on every labelled sample (``in``). No
    other file has sample-type gold, so ``lodo`` has no model to fit (``None``: the file is
    mapped with the shipped model and its sample-type figures are not reported)."""
    from harmonize.ground import Grounder, load_overrides
    from harmonize.ground.sample_type import model_of
    from harmonize.ground.sample_type_fit import (
        fit_model,
        grouped_folds,
        labelled_matrix,
        read_labelled,
    )

    path = folder / SAMPLE_TYPE_FILE
    if regime == "lodo" or not path.is_file():
        return [None] * (seeds if regime == "cv" else 1)
    recs = read_labelled(path)
    plain = Grounder(lexicon, overrides=load_overrides(), use_embeddings=False,
                     sample_type=False)  # the features read the other facets
    X, gold, groups, _ = labelled_matrix(recs, plain)
    y = np.array(gold)
    if regime == "in":
        model = model_of(fit_model(X, y, groups))
        return [lambda r, m=model: m]
    out = []
    for seed in range(seeds):
        by_acc: dict[str, object] = {}
        for test in grouped_folds(groups, folds, seed):
            train = np.setdiff1d(np.arange(len(y)), test)
            model = model_of(fit_model(X[train], y[train], [groups[i] for i in train]))
            by_acc.update({recs[i]["accession"]: model for i in test})
        out.append(lambda r, m=by_acc: m.get(r.get("accession")))
    return out


def cals_of(cals: list, name: str, rec: dict, folds: int, seed: int):
    """The calibration fitted without ``rec``'s group."""
    return cals[fc.fold_of(fc.record_group(name, rec), folds, seed)]


def summarize(result: dict) -> dict[str, dict]:
    """``score.py`` output -> ``{facet: figures}`` (facets with gold, plus emitted-only)."""
    out = {}
    for facet, r in result.get("facets", {}).items():
        cal = r.get("calibration") or {}
        out[facet] = {"n_gold": r.get("n_gold"), "coverage": r.get("coverage"),
                      "strict_f1": r["strict"]["f1"] if r.get("strict") else None,
                      "hier_f1": r["hier"]["f1"] if r.get("hier") else None,
                      "ece": cal.get("ece"), "bins": cal.get("bins") or [],
                      "n_pred": r.get("n_pred"), "mean_conf": cal.get("mean_confidence")}
    return out


def mean_figures(splits: list[dict[str, dict]]) -> dict[str, dict]:
    """Average the figures of several CV splits (bins pooled)."""
    out: dict[str, dict] = {}
    for facet in splits[0]:
        figs = [s[facet] for s in splits if facet in s]
        agg = dict(figs[0])
        for k in ("strict_f1", "hier_f1", "ece", "study_ece", "coverage", "mean_conf"):
            xs = [f[k] for f in figs if f.get(k) is not None]
            agg[k] = sum(xs) / len(xs) if xs else None
            if len(xs) > 1:
                agg[f"{k}_range"] = [min(xs), max(xs)]
        agg["bins"] = [b for f in figs for b in f.get("bins") or []]
        out[facet] = agg
    return out


def study_ece(name: str, recs: list[dict], pred: Path, bins: int = 10) -> dict[str, float]:
    """Per facet, the ECE with each study weighing the same: a prediction counts
    ``1 / (predictions of its facet in its study)``. Errors come by study (one text pattern,
    one mistake, all of a series right or all wrong), so this is what a new study can
    expect; ``score.py``'s ECE lets the largest dev series speak for all. Sample-level gold
    only (a series-level file already scores studies)."""
    preds = {}
    for line in pred.open(encoding="utf-8"):
        r = json.loads(line)
        preds[r["accession"]] = r.get("annotations") or []
    items: dict[str, list[tuple[str, float, int]]] = {}
    for r in recs:
        if r.get("members") or r.get("level") == "series":
            continue
        for facet, gold in (r.get("gold") or {}).items():
            if gold is None:
                continue
            gold_ids = {g.lower() if facet == "sample_type" else g for g in gold}
            for a in preds.get(r["accession"], ()):
                if a.get("facet") == facet and a.get("term_id"):
                    ok = (a["term_id"].lower().replace(" ", "_") if facet == "sample_type"
                          else a["term_id"]) in gold_ids
                    items.setdefault(facet, []).append(
                        (fc.record_group(name, r), float(a["confidence"]), int(ok)))
    out = {}
    for facet, its in items.items():
        size: dict[str, int] = {}
        for g, _, _ in its:
            size[g] = size.get(g, 0) + 1
        tot = [[0.0, 0.0, 0.0] for _ in range(bins)]  # weight, weighted conf, weighted right
        for g, c, ok in its:
            b = tot[min(int(c * bins), bins - 1)]
            w = 1.0 / size[g]
            b[0] += w
            b[1] += w * c
            b[2] += w * ok
        total = sum(b[0] for b in tot)
        out[facet] = sum(abs(b[1] - b[2]) for b in tot if b[0]) / total if total else None
    return out


def describe(pred: Path) -> dict[str, dict]:
    """What was emitted on a file without ontology gold: per facet, share of samples with a
    term and mean confidence."""
    n = 0
    seen: dict[str, list[float]] = {}
    for line in pred.open(encoding="utf-8"):
        n += 1
        for a in json.loads(line).get("annotations") or ():
            if a.get("term_id"):
                seen.setdefault(a["facet"], []).append(float(a.get("confidence") or 0))
    return {f: {"emitted": len(c) / n if n else 0.0, "mean_conf": sum(c) / len(c)}
            for f, c in sorted(seen.items())}


def evaluate(regimes: Iterable[str] = REGIMES, folds: int = 5, seeds: int = 1,
             eval_folder: Path | None = None, work: Path | None = None) -> dict:
    """``{file: {facet: {regime: figures}}}`` plus ``{file: {"_emitted": {regime: ...}}}``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from harmonize.ground import Grounder, load_lexicon, load_overrides
    from harmonize.ground.calibrate import Calibration
    from harmonize.mapping import map_batch

    folder = eval_folder or eval_dev.eval_dir()
    lexicon = load_lexicon()
    fc.ANCESTORS.update(lexicon.ancestors)
    grounder = Grounder(lexicon, overrides=load_overrides(), use_embeddings=False,
                        calibration=Calibration())
    rows = fc.rows_of(grounder, fc.load_samples(folder))
    judge = fc.HeldOutJudge(grounder, fc.read_blind_records())
    names = [n for n in MAPPED_FILES if (folder / n).is_file()]
    records = {n: read_records(folder / n) for n in names}
    work = work or Path(tempfile.mkdtemp(prefix="harmonize-xeval-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict] = {n.removesuffix(".jsonl"): {} for n in names}
    for regime in regimes:
        splits: dict[str, list[dict]] = {n: [] for n in names}
        emitted: dict[str, dict] = {}
        types = sample_type_runs(regime, folder, lexicon, folds, seeds)
        for i, cal_of in enumerate(regime_runs(regime, rows, names, folds, seeds, judge)):
            for n in names:
                pred = work / f"{regime}-{i}-{n}"
                map_file(grounder, records[n], cal_of[n], pred, map_batch, types[i])
                res = eval_dev.run_score(folder / "score.py", folder / n, pred)
                figures = summarize(res)
                for facet, e in study_ece(n.removesuffix(".jsonl"), records[n], pred).items():
                    if facet in figures:
                        figures[facet]["study_ece"] = e
                if types[i] is None:  # no held-out sample-type model: not a held-out figure
                    figures.pop("sample_type", None)
                splits[n].append(figures)
                emitted.setdefault(n, describe(pred))
        for n in names:
            name = n.removesuffix(".jsonl")
            for facet, figs in mean_figures(splits[n]).items():
                out[name].setdefault(facet, {})[regime] = figs
            out[name].setdefault("_emitted", {})[regime] = emitted.pop(n)
    shutil.rmtree(work, ignore_errors=True)
    return out


def _f(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def table(result: dict, regimes: tuple[str, ...]) -> list[str]:
    """Markdown: per file and facet with gold, each figure per regime and the held-out gaps."""
    cols = [f"{m} {g}" for m in ("strict F1", "hier F1", "ECE", "ECE/study")
            for g in regimes]
    gaps = [f"F1 gap {g}" for g in regimes if g != "in"] if "in" in regimes else []
    lines = ["| file | facet | n_gold | " + " | ".join(cols + gaps) + " |",
             "|---|---|---:|" + "---:|" * (len(cols) + len(gaps))]
    for name, facets in result.items():
        for facet, by in facets.items():
            if facet.startswith("_") or not by.get(regimes[0], {}).get("n_gold"):
                continue
            cells = [_f(by.get(g, {}).get(k)) for k in ("strict_f1", "hier_f1", "ece", "study_ece")
                     for g in regimes]
            main_k = "hier_f1" if name.startswith("t2o2") else "strict_f1"
            for g in regimes:
                if g == "in" or "in" not in regimes:
                    continue
                held = by.get(g, {}).get(main_k)
                cells.append("–" if held is None else f"{held - by['in'][main_k]:+.3f}")
            lines.append(f"| {name} | {facet} | {by[regimes[0]]['n_gold']} | "
                         + " | ".join(cells) + " |")
    return lines


def emitted_table(result: dict, regimes: tuple[str, ...]) -> list[str]:
    """What the grounder emits per file and facet: share of samples, mean confidence."""
    lines = ["| file | facet | " + " | ".join(f"emitted {g} | mean conf {g}" for g in regimes)
             + " |", "|---|---|" + "---:|" * (2 * len(regimes))]
    for name, facets in result.items():
        em = facets.get("_emitted") or {}
        for facet in sorted({f for g in em.values() for f in g}):
            cells = []
            for g in regimes:
                d = (em.get(g) or {}).get(facet) or {}
                cells += [_f(d.get("emitted")), _f(d.get("mean_conf"))]
            lines.append(f"| {name} | {facet} | " + " | ".join(cells) + " |")
    return lines


def reliability_plots(result: dict, regimes: tuple[str, ...], folder: Path) -> list[Path]:
    """One PNG per dataset: accuracy against confidence per facet, held-out regimes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    held = [g for g in regimes if g != "in"] or list(regimes)
    for name, facets in result.items():
        fig, axes = plt.subplots(1, len(held), figsize=(4.2 * len(held), 4), squeeze=False)
        drawn = False
        for ax, g in zip(axes[0], held):
            ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--")
            for facet, by in facets.items():
                bins = (by.get(g) or {}).get("bins") if not facet.startswith("_") else None
                pts = _pooled_bins(bins or [])
                if not pts:
                    continue
                xs, ys, _ = zip(*pts)
                ax.plot(xs, ys, marker="o", label=f"{facet} (ECE {_f(by[g].get('ece'))})")
                drawn = True
            ax.set(title=f"{name}: {g}", xlabel="confidence", ylabel="share right",
                   xlim=(0, 1), ylim=(0, 1))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="upper left")
        if drawn:
            path = folder / f"reliability_{name}.png"
            fig.tight_layout()
            fig.savefig(path, dpi=90)
            paths.append(path)
        plt.close(fig)
    return paths


def _pooled_bins(bins: list) -> list[tuple[float, float, int]]:
    """Merge score.py bins ``[lower, n, mean conf, accuracy]`` of several splits by lower edge."""
    acc: dict[float, list[float]] = {}
    for b in bins:
        if not b[1]:
            continue
        s = acc.setdefault(float(b[0]), [0.0, 0.0, 0.0])
        s[0] += b[1]
        s[1] += b[1] * b[2]
        s[2] += b[1] * b[3]
    return [(s[1] / s[0], s[2] / s[0], int(s[0])) for _, s in sorted(acc.items())]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir")
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=1, help="CV splits (the table shows the mean)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--out", type=Path, default=RESULTS / "cross_eval.md",
                    help="markdown table ('-' for stdout only)")
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args(argv)
    folder = eval_dev.eval_dir(args.eval_dir)
    if not (folder / "score.py").is_file():
        print(f"skip: no evaluation kit in {folder}")
        return 0
    regimes = tuple(g for g in args.regimes.split(",") if g)
    bad = [g for g in regimes if g not in REGIMES]
    if bad:
        ap.error(f"unknown regime {bad[0]!r}: choose from {', '.join(REGIMES)}")
    t0 = time.perf_counter()
    result = evaluate(regimes, args.folds, args.seeds, folder)
    seconds = time.perf_counter() - t0
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    buf = io.StringIO()
    buf.write(f"# Grounding in-sample, grouped-CV and leave-one-dataset-out\n\n{stamp} · "
              f"`bench/cross_eval.py --regimes {','.join(regimes)} --folds {args.folds} "
              f"--seeds {args.seeds}` · scored by the kit's `score.py`; no embeddings; "
              f"{seconds:.0f} s. in = fitted on every dev file; cv = {args.folds}-fold by "
              "series/submitter group, every fitted part refitted without the fold; lodo = "
              "every fitted part fitted on the other files only. Gap = held-out minus "
              "in-sample (strict F1; hierarchical for series-level disease).\n\n")
    buf.write("\n".join(table(result, regimes)) + "\n\nThe sample-type model is refitted "
              "per regime like the shipped one (`harmonize.ground.sample_type_fit.fit_model`, "
              "features from the grounder without embeddings): on every labelled sample (in), "
              "without the record's study group (cv, the grouped folds of "
              "`bench/bench_sample_type.py`); no other file has sample-type gold, so it has no "
              "leave-one-dataset-out figure.\n"
              "\n## What is emitted (share of samples "
              "with a term, mean confidence)\n\n" + "\n".join(emitted_table(result, regimes))
              + "\n")
    if not args.no_plots and args.out != Path("-"):
        for p in reliability_plots(result, regimes, args.out.parent):
            buf.write(f"\n![{p.stem}]({p.name})\n")
    eval_dev.publish(buf.getvalue(), None if args.out == Path("-") else args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
