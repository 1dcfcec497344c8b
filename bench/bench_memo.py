"""Grounder memory on input with a distinct value per sample: bounded memos against unbounded.

    .venv/bin/python bench/bench_memo.py                # 60,000 samples, default limit
    .venv/bin/python bench/bench_memo.py --samples 150000 --limit 250000

Real attributes carry a distinct value per sample under some keys (a donor id, a title with a
run number). Each run below annotates the same synthetic samples (a tissue from a short list,
then a donor id, a numbered title and an age that no other sample shares) in batches of 1,000
with :meth:`Grounder.annotate_many`, in a fresh process, and reports the peak RSS growth, the
grounder's memo sizes and samples/s: once with the memos bounded (``--limit``, the default
:data:`harmonize.ground.memo.MEMO_LIMIT`) and once unbounded (a limit above anything the run
can reach). Writes ``bench/results/memo.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TISSUES = ("liver", "lung", "heart", "blood", "skin", "kidney")


def _child(samples: int, limit: int) -> dict:
    """One run, in this process: RSS growth and speed of annotating ``samples`` samples."""
    import resource

    from harmonize.ground import Grounder, load_lexicon
    from harmonize.ground.memo import Memo

    g = Grounder(load_lexicon(), use_embeddings=False, memo_limit=limit)
    g.annotate_many([({"tissue": "liver"}, None, None)])  # lexicon and models loaded

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start_rss, start = rss_mb(), time.perf_counter()
    batch = []
    for i in range(samples):
        batch.append(({"tissue": TISSUES[i % len(TISSUES)], "individual": f"donor {i}",
                       "title": f"RNA-seq of sample S{i:07d} rep {i % 3}",
                       "age": f"{20 + i % 60} years"}, None, None))
        if len(batch) == 1000:
            g.annotate_many(batch)
            batch = []
    if batch:
        g.annotate_many(batch)
    seconds = time.perf_counter() - start
    memos = {k.lstrip("_"): len(v) for k, v in vars(g).items() if isinstance(v, Memo)}
    return {"samples": samples, "limit": limit, "rss_start_mb": round(start_rss),
            "rss_peak_mb": round(rss_mb()), "growth_mb": round(rss_mb() - start_rss),
            "samples_per_s": round(samples / seconds), "largest_memo": max(memos.values())}


def _run(samples: int, limit: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--samples", str(samples),
                          "--limit", str(limit)], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from harmonize.ground.memo import MEMO_LIMIT

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=60_000)
    ap.add_argument("--limit", type=int, default=MEMO_LIMIT, help="entries per memo")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.samples < 1 or args.limit < 1:
        ap.error("--samples and --limit must be at least 1")
    if args.child:
        print(json.dumps(_child(args.samples, args.limit)))
        return 0
    rows = [("bounded", _run(args.samples, args.limit)),
            ("unbounded", _run(args.samples, 10 ** 12))]
    lines = [f"# Grounder memos on distinct values ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
             (f"`bench/bench_memo.py --samples {args.samples}`: each sample has a donor id, a "
              "numbered title and an age no other sample shares; annotated in batches of 1,000, "
              "no embeddings, one fresh process per row."), "",
             "| memos | limit | samples | peak RSS growth | largest memo | samples/s |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in rows:
        limit = "none" if name == "unbounded" else f"{r['limit']:,}"
        lines.append(f"| {name} | {limit} | {r['samples']:,} | {r['growth_mb']:,} MB "
                     f"(from {r['rss_start_mb']:,}) | {r['largest_memo']:,} | "
                     f"{r['samples_per_s']:,} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memo.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
