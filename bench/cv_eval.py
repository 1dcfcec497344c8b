"""Held-out figures: group k-fold cross-validation of the whole fit + map + score path.

The committed ``ontologies/calibration.json`` is fitted on every dev file, so the figures of
``eval_dev.py`` are in-sample. Here the dev samples are split into ``--folds`` folds by series
(GEO) or submitter group (BioSample); for each fold the calibration is fitted on the other
folds exactly as ``fit_calibration.py`` does, the held-out records are mapped with it through
:func:`harmonize.mapping.map_batch`, and the out-of-fold predictions of every fold are scored
together by the kit's ``score.py``. Those are the figures to expect on unseen samples.

    .venv/bin/python bench/cv_eval.py               # 5 folds, writes bench/results/cv.md
    .venv/bin/python bench/cv_eval.py --folds 2

The ECE floor column is the ECE a perfectly calibrated grounder would show with the same
confidences and as few predictions (simulated); an ECE near it is noise, not miscalibration.

Skips cleanly when ``../shared/eval`` is absent.
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
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cross_eval
import eval_dev
import fit_calibration as fc

RESULTS = Path(__file__).resolve().parent / "results" / "cv.md"


def one_split(grounder, rows: list[dict], folder: Path, work: Path, folds: int, seed: int,
              map_batch) -> dict[str, dict]:
    """Out-of-fold predictions of every dev file for one split; ``{file: score.py result}``."""
    cals = [fc.fit([r for r in rows if fc.fold_of(r["group"], folds, seed) != k])
            for k in range(folds)]
    results = {}
    for name in fc.FILES:
        gold = folder / name
        if not gold.is_file():
            continue
        recs = [json.loads(line) for line in gold.open(encoding="utf-8") if line.strip()]
        pred = work / f"pred-{seed}-{name}"
        cross_eval.map_file(  # series-level records are scored through their members
            grounder, recs, lambda r, n=name: cals[fc.fold_of(fc.record_group(n, r), folds, seed)],
            pred, map_batch)
        results[name.removesuffix(".jsonl")] = eval_dev.run_score(folder / "score.py", gold, pred)
    return results


def summary_table(runs: list[dict[str, dict]]) -> list[str]:
    """Markdown rows: per file and facet, mean (min–max) of each figure over the splits."""
    header = "| file | facet | n_gold | strict P | strict R | strict F1 | hier F1 | ECE | ECE floor |"
    out = [header, "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, first in runs[0].items():
        for facet, r in first["facets"].items():
            if not r.get("n_gold"):
                continue
            figs = [run[name]["facets"][facet] for run in runs]
            cells = [_spread([f["strict"][k] for f in figs]) for k in ("precision", "recall", "f1")]
            cells += [_spread([f["hier"]["f1"] for f in figs]),
                      _spread([f["calibration"]["ece"] for f in figs]),
                      _spread([ece_floor(f["calibration"].get("bins") or []) for f in figs])]
            out.append(f"| {name} | {facet} | {r['n_gold']} | " + " | ".join(cells) + " |")
    return out


def ece_floor(bins: list[list[float]], draws: int = 2000, seed: int = 0) -> float | None:
    """Expected ECE of a perfectly calibrated grounder with these confidences.

    ``bins`` are score.py's ``[lower, n, mean confidence, accuracy]`` rows; each bin's right
    count is drawn from Binomial(n, mean confidence). With few predictions (~50 series-level
    disease items) this floor is far above zero: an ECE near it is as good as the data shows.
    """
    import random

    rows = [(int(b[1]), float(b[2])) for b in bins if b[1]]
    total = sum(n for n, _ in rows)
    if not total:
        return None
    rng = random.Random(seed)
    acc = 0.0
    for _ in range(draws):
        acc += sum(abs(sum(rng.random() < c for _ in range(n)) / n - c) * n
                   for n, c in rows) / total
    return acc / draws


def _spread(xs: list[float | None]) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    mean = sum(xs) / len(xs)
    return f"{mean:.3f}" if len(xs) == 1 else f"{mean:.3f} ({min(xs):.3f}–{max(xs):.3f})"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=1,
                    help="repeat with this many different splits; the table shows the mean")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--keep", type=Path, help="keep the out-of-fold predictions here")
    args = ap.parse_args(argv)
    folder = eval_dev.eval_dir(args.eval_dir)
    score_py = folder / "score.py"
    if not score_py.is_file():
        print(f"skip: no evaluation kit in {folder}")
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from harmonize.ground import Grounder, load_lexicon, load_overrides
    from harmonize.ground.calibrate import Calibration
    from harmonize.mapping import map_batch

    t0 = time.perf_counter()
    lexicon = load_lexicon()
    fc.ANCESTORS.update(lexicon.ancestors)
    grounder = Grounder(lexicon, overrides=load_overrides(), use_embeddings=False,
                        calibration=Calibration())
    rows = fc.rows_of(grounder, fc.load_samples(folder))
    work = args.keep or Path(tempfile.mkdtemp(prefix="harmonize-cv-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = [one_split(grounder, rows, folder, work, args.folds, seed, map_batch)
            for seed in range(args.seeds)]
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    table = summary_table(runs)
    seconds = time.perf_counter() - t0
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    buf = io.StringIO()
    buf.write(f"# Held-out grounding figures ({args.folds}-fold by series/group, "
              f"{args.seeds} split{'s' if args.seeds > 1 else ''})\n\n"
              f"{stamp} · `bench/cv_eval.py --folds {args.folds} --seeds {args.seeds}` · each "
              "sample mapped with a calibration fitted without its series or submitter group; "
              f"scored by the kit's `score.py`; no embeddings; {seconds:.0f} s. Mean over the "
              "splits, range in brackets.\n\n")
    buf.write("\n".join(table) + "\n")
    eval_dev.publish(buf.getvalue(), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
