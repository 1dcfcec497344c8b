"""Cost of the UTF-8 repair reader (:class:`harmonize.parse.streams.Utf8Repair`) on SRA XML.

Builds the 20k-package SRA file of ``bench_parse.py`` (real packages repeated with unique
accessions) and parses it with :func:`harmonize.parse.iter_file` with the repair reader on (the
default) and off, alternating, each run in a fresh process; prints CPU-time packages/s.

Usage: ``python bench/bench_repair.py [--packages 20000] [--rounds 2]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

CHILD = """
import sys, time
import harmonize.parse as hp
from harmonize.models import SampleRecord
if sys.argv[2] == "off":
    hp._utf8 = lambda head: False
start = time.process_time()
n = sum(1 for r in hp.iter_file(sys.argv[1]) if isinstance(r, SampleRecord))
print(n, time.process_time() - start)
"""


def main() -> None:
    """Build the file once, then time both modes in alternation."""
    import bench_parse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sra_{args.packages}.xml"
        bench_parse.build(path, args.packages, bench_parse.templates())
        rates: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(args.rounds):
            for mode in ("on", "off"):
                out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], check=True,
                                     capture_output=True, text=True, cwd=ROOT).stdout.split()
                rates[mode].append(int(out[0]) / float(out[1]))
        size = path.stat().st_size / 1e6
    for mode, values in rates.items():
        print(f"repair {mode}: {', '.join(f'{v:,.0f}' for v in values)} packages/s (CPU), "
              f"{args.packages:,} packages, {size:.0f} MB")


if __name__ == "__main__":
    main()
