"""Score the grounder on the dev gold standards of ``../shared/eval`` (skips when absent).

For each dev file: write the records without their gold (and without the ``extra`` block,
which can hold the curated text) to a temporary JSONL, run ``harmonize map`` on it
(:func:`harmonize.mapping.map_jsonl`), score the predictions with the kit's own ``score.py``,
and print one markdown table (also written to ``bench/results/eval.md``).

    .venv/bin/python bench/eval_dev.py                       # every *_dev.jsonl
    .venv/bin/python bench/eval_dev.py --files txt2onto1_dev.jsonl --limit 500
    .venv/bin/python bench/eval_dev.py --no-embeddings --min-confidence 0.5

The eval folder is ``--eval-dir``, else ``$HARMONIZE_EVAL_DIR``, else ``../shared/eval`` next to
the repository. Nothing from it is copied into the project.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "eval.md"
#: Fields of a gold record that the mapper may see (gold, gold_implied, extra, dataset are not).
INPUT_FIELDS = ("accession", "source", "series", "attributes", "text", "library")


def eval_dir(arg: str | None = None) -> Path:
    """The evaluation kit folder."""
    if arg:
        return Path(arg)
    env = os.environ.get("HARMONIZE_EVAL_DIR")
    return Path(env) if env else REPO.parent / "shared" / "eval"


def strip_gold(src: Path, dst: Path, limit: int | None = None) -> int:
    """Write ``src`` records without gold to ``dst``; return how many were written.

    With ``limit``, keep the first ``limit`` records plus every record a kept series-level
    record lists in ``members`` (so series scores stay meaningful).
    """
    records = [json.loads(line) for line in src.open(encoding="utf-8") if line.strip()]
    if limit is not None:
        keep = records[:limit]
        wanted = {m for r in keep for m in r.get("members") or ()}
        kept_acc = {r["accession"] for r in keep}
        keep += [r for r in records[limit:] if r["accession"] in wanted - kept_acc]
        records = keep
    with dst.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({k: r[k] for k in INPUT_FIELDS if k in r}, ensure_ascii=False)
                      + "\n")
    return len(records)


def gold_subset(src: Path, dst: Path, accessions: set[str]) -> None:
    """The gold records whose accession was mapped (used with ``--limit``)."""
    with dst.open("w", encoding="utf-8") as out:
        for line in src.open(encoding="utf-8"):
            if line.strip() and json.loads(line)["accession"] in accessions:
                out.write(line)


def make_grounder(use_embeddings: bool) -> Any:
    """The default grounder, built with whatever the grounding package offers."""
    import harmonize.ground as ground

    if hasattr(ground, "default_grounder"):
        return ground.default_grounder(use_embeddings=use_embeddings)
    from harmonize.ground.grounder import Grounder
    from harmonize.ground.lexicon import load_lexicon

    return Grounder(load_lexicon(), use_embeddings=use_embeddings)


def run_map(in_path: Path, out_path: Path, grounder: Any,
            min_confidence: float | None) -> dict[str, float]:
    """Map one JSONL file; returns seconds and samples/s."""
    from harmonize.mapping import map_jsonl

    start = time.perf_counter()
    with out_path.open("w", encoding="utf-8") as out:
        kwargs: dict[str, Any] = {"progress": False}
        if min_confidence is not None:
            kwargs["min_confidence"] = min_confidence
        try:
            stats = map_jsonl(in_path, out, grounder, **kwargs)
        except TypeError:  # an older map_jsonl without keyword options
            stats = map_jsonl(in_path, out, grounder)
    seconds = time.perf_counter() - start
    lines = getattr(stats, "lines", None) or sum(1 for _ in in_path.open())
    return {"seconds": seconds, "samples_per_s": lines / seconds if seconds else 0.0,
            "errors": float(getattr(stats, "errors", 0))}


def run_score(score_py: Path, gold: Path, pred: Path) -> dict[str, Any]:
    """Run the kit's scorer and return its final JSON line."""
    proc = subprocess.run([sys.executable, str(score_py), str(gold), str(pred)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"score.py failed on {pred}: {proc.stderr.strip()[-2000:]}")
    last = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1]
    return json.loads(last)


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def table_rows(name: str, result: dict[str, Any]) -> list[str]:
    """Markdown rows (one per facet with gold, plus the file's micro average)."""
    rows = []
    for facet, r in result["facets"].items():
        if not r.get("n_gold") and not r.get("n_negative"):
            continue
        s, h, c = r["strict"], r["hier"], r["calibration"]
        rows.append(f"| {name} | {facet} | {r['n_gold']} | {_fmt(s['precision'])} | "
                    f"{_fmt(s['recall'])} | {_fmt(s['f1'])} | {_fmt(h['f1'])} | "
                    f"{_fmt(c['ece'])} | {_fmt(r['coverage'])} |")
    o = result["overall"]
    rows.append(f"| {name} | **micro** | | {_fmt(o['strict']['precision'])} | "
                f"{_fmt(o['strict']['recall'])} | **{_fmt(o['strict']['f1'])}** | "
                f"{_fmt(o['hier']['f1'])} | | |")
    return rows


HEADER = ["| file | facet | n_gold | strict P | strict R | strict F1 | hier F1 | ECE | coverage |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|"]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir")
    ap.add_argument("--files", nargs="*", help="dev file names (default: every *_dev.jsonl)")
    ap.add_argument("--limit", type=int, help="only the first N records of each file")
    ap.add_argument("--no-embeddings", action="store_true")
    ap.add_argument("--min-confidence", type=float)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--keep", type=Path, help="keep inputs/predictions in this folder")
    args = ap.parse_args(argv)

    folder = eval_dir(args.eval_dir)
    score_py = folder / "score.py"
    files = [folder / f for f in args.files] if args.files else sorted(folder.glob("*_dev.jsonl"))
    if not score_py.is_file() or not files:
        print(f"skip: no evaluation kit in {folder}")
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    grounder = make_grounder(not args.no_embeddings)
    setup = time.perf_counter() - t0
    rows, notes = list(HEADER), []
    work = args.keep or Path(tempfile.mkdtemp(prefix="harmonize-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    for gold in files:
        if not gold.is_file():
            print(f"skip: {gold} does not exist")
            continue
        inp, pred = work / f"in-{gold.name}", work / f"pred-{gold.name}"
        n = strip_gold(gold, inp, args.limit)
        gold_used = gold
        if args.limit is not None:
            gold_used = work / f"gold-{gold.name}"
            gold_subset(gold, gold_used, {json.loads(ln)["accession"] for ln in inp.open()})
        timing = run_map(inp, pred, grounder, args.min_confidence)
        result = run_score(score_py, gold_used, pred)
        name = gold.name.removesuffix(".jsonl")
        rows.extend(table_rows(name, result))
        notes.append(f"- {name}: {n} records mapped in {timing['seconds']:.1f} s "
                     f"({timing['samples_per_s']:.0f} samples/s, {int(timing['errors'])} errors)")
        print(f"{name}: done", file=sys.stderr)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    opts = []
    if args.limit is not None:
        opts.append(f"--limit {args.limit}")
    if args.no_embeddings:
        opts.append("--no-embeddings")
    if args.min_confidence is not None:
        opts.append(f"--min-confidence {args.min_confidence}")
    cmd = " ".join(["bench/eval_dev.py", *opts])
    buf = io.StringIO()
    buf.write(f"# Grounding on the dev gold standards\n\n{stamp} · `{cmd}` · scorer: the kit's "
              "`score.py` (strict = exact id, hier = ancestor-expanded, ECE = 10-bin "
              "calibration error)\n\n")
    buf.write("\n".join(rows) + "\n\n")
    buf.write(f"- grounder set-up (lexicon load or build): {setup:.1f} s; mapping times include "
              "any embedding index the grounder builds on first use when its cache is cold\n")
    buf.write("\n".join(notes) + "\n")
    from harmonize.ground.calibrate import calibration_drift

    cal = grounder.calibration
    drift = calibration_drift(cal, grounder.lexicon.version)
    buf.write(f"- calibration {cal.version}: "
              + (f"**{drift}**\n" if drift else "fitted on this lexicon and matcher code\n"))
    if drift:
        print(f"warning: {drift}", file=sys.stderr)
    text = buf.getvalue()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    publish(text, args.out)
    return 0


def publish(text: str, out: Path | None) -> None:
    """Print a results table and write it to ``out`` (``bench/results/...``) when given."""
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
