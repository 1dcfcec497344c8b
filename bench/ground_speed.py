"""Grounding speed: cold lexicon build, warm load, distinct values/s cold, samples/s warm.

    python bench/ground_speed.py [--eval-dir ../shared/eval]

Uses the dev eval files as realistic input (skips cleanly when they are missing). The
embedding stage is off (its cost is measured in bench/ for the embedding module).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from harmonize.ground import Grounder, load_lexicon, load_overrides
from harmonize.mapping import map_jsonl

FILES = ("txt2onto1_dev.jsonl", "t2o2_series_disease_dev.jsonl", "bsllmner_cellline_dev.jsonl")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", default=os.environ.get("HARMONIZE_EVAL_DIR", "../shared/eval"))
    a = ap.parse_args()
    eval_dir = Path(a.eval_dir)
    if not eval_dir.is_dir():
        print(f"skip: no eval folder at {eval_dir}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        load_lexicon(directory=Path(tmp))
        cold = time.perf_counter() - t
        t = time.perf_counter()
        lex = load_lexicon(directory=Path(tmp))
        warm = time.perf_counter() - t
    grounder = Grounder(lex, overrides=load_overrides(), use_embeddings=False)
    lines = [line for f in FILES if (eval_dir / f).exists() for line in (eval_dir / f).open()]
    t = time.perf_counter()
    map_jsonl(io.StringIO("".join(lines)), io.StringIO(), grounder, progress=False)
    first = time.perf_counter() - t
    distinct = len(grounder.cache_items())
    t = time.perf_counter()
    map_jsonl(io.StringIO("".join(lines)), io.StringIO(), grounder, progress=False)
    second = time.perf_counter() - t
    print(json.dumps({
        "lexicon_cold_build_s": round(cold, 2), "lexicon_warm_load_s": round(warm, 2),
        "samples": len(lines), "distinct_values": distinct,
        "cold_distinct_values_per_s": round(distinct / first, 1),
        "cold_samples_per_s": round(len(lines) / first, 1),
        "warm_samples_per_s": round(len(lines) / second, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
