"""Benchmark ``map`` of one long attribute value: time against the value's length.

    .venv/bin/python bench/bench_long_values.py              # writes bench/results/long_values.md
    .venv/bin/python bench/bench_long_values.py --lengths 10000 400000 --repeat 1

For each length, one record whose ``description`` is that many characters of ordinary
sample-description words (repeated sentences written for this benchmark) is mapped by
:func:`harmonize.mapping.map_jsonl` with a warm grounder (lexicon loaded, embeddings off: a
scanned value never reaches the embedding matcher) and an empty value memo. Two columns:

* ``as shipped``: the value is grounded on its first ``MAX_VALUE_CHARS`` characters
  (:data:`harmonize.ground.fields.MAX_VALUE_CHARS`), so the time stops growing there;
* ``limit lifted``: the whole value is scanned, which shows how the scanners scale (linear:
  time per character flat).

Wall clock on a shared host: compare the time per character down a column, not across hosts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_dev import publish  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "long_values.md"
LENGTHS = (10_000, 50_000, 100_000, 200_000, 400_000)
#: One value of this many characters is also mapped as shipped (the size that stalled a run).
HUGE = 50_000_000
#: Ordinary sample-description words, written for this benchmark and its test: organs, disease
#: class words, a defined abbreviation, a negation and a 'post' phrase, so every scanner has work.
SENTENCE = ("Total RNA was extracted from liver biopsies of patients with chronic hepatitis and "
            "tumor samples taken from the brain cortex of donors diagnosed with breast cancer "
            "(BC); lung and kidney tissue from people without brain injury were sequenced as a "
            "post MI control. ")


def long_value(n_chars: int) -> str:
    """``n_chars`` characters of repeated ordinary sentences."""
    return (SENTENCE * (n_chars // len(SENTENCE) + 1))[:n_chars]


def time_map(grounder, n_chars: int, repeat: int) -> float:
    """Median seconds to map one record holding a value of ``n_chars`` characters."""
    from harmonize.mapping import map_jsonl

    line = json.dumps({"accession": "SBENCH", "attributes": {"description": long_value(n_chars)}})
    times = []
    for _ in range(repeat):
        grounder._memo.clear()  # a cold value memo each time
        start = time.perf_counter()
        map_jsonl(io.StringIO(line + "\n"), io.StringIO(), grounder, progress=False)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lengths", type=int, nargs="*", default=list(LENGTHS))
    ap.add_argument("--repeat", type=int, default=3, help="runs per length (median)")
    ap.add_argument("--no-huge", action="store_true", help=f"skip the {HUGE:,}-character value")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from harmonize.ground import Grounder, fields, load_lexicon

    grounder = Grounder(load_lexicon(), use_embeddings=False)
    time_map(grounder, 1_000, 1)  # warm-up: imports and first-use tables
    limit = fields.MAX_VALUE_CHARS
    rows = []
    for n in args.lengths:
        shipped = time_map(grounder, n, args.repeat)
        fields.MAX_VALUE_CHARS = 10**12
        try:
            lifted = time_map(grounder, n, args.repeat)
        finally:
            fields.MAX_VALUE_CHARS = limit
        rows.append((n, shipped, lifted))
        print(f"{n:>11,} chars: as shipped {shipped:.2f} s, limit lifted {lifted:.2f} s",
              file=sys.stderr)
    huge = None if args.no_huge else time_map(grounder, HUGE, 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base = rows[0][2] / rows[0][0] if rows else 0.0
    lines = [
        "# `map` time against the length of one value\n",
        (f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} · `bench/bench_long_values.py "
         f"--repeat {args.repeat}` · one record, one `description` value of ordinary words, "
         "warm grounder, embeddings off, median wall clock\n"),
        (f"`MAX_VALUE_CHARS` = {limit:,}: as shipped, a value is grounded on its first "
         f"{limit:,} characters; *limit lifted* scans all of it (how the scanners scale).\n"),
        ("| value length (chars) | as shipped (s) | limit lifted (s) | lifted µs / char | "
         "lifted, relative to linear from the first row |"),
        "|---:|---:|---:|---:|---:|",
    ]
    for n, shipped, lifted in rows:
        lines.append(f"| {n:,} | {shipped:.2f} | {lifted:.2f} | {lifted / n * 1e6:.1f} | "
                     f"{lifted / (base * n):.2f} |")
    if huge is not None:
        lines.append(f"| {HUGE:,} | {huge:.2f} | – | – | – |")
    lines.append(f"\nPeak RSS of the process: {rss:,.0f} MiB.\n")
    publish("\n".join(lines), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
