"""Run every benchmark in turn; each writes its table to bench/results/.

    .venv/bin/python bench/run_all.py            # full sizes (about 25 min on 2 cores)
    .venv/bin/python bench/run_all.py --quick    # small sizes, to check the scripts run
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = [
    ["bench_parse.py"],
    ["bench_warehouse.py", "--samples", "2500000"],
    ["bench_ground.py"],
    ["bench_long_values.py"],
    ["fit_calibration.py", "--out", str(HERE / "out" / "calibration.json")],  # refit, not shipped
    ["eval_dev.py"],
    ["blind_eval.py"],
    ["cv_eval.py", "--seeds", "8"],
    ["bench_heldout.py"],
    ["bench_sample_type.py", "--repeats", "5"],
]
QUICK = [
    ["bench_parse.py", "--sizes", "1000", "--gz", "0", "--out", str(HERE / "out" / "parse.md")],
    ["bench_warehouse.py", "--samples", "20000", "--out", str(HERE / "out" / "warehouse.md")],
    ["eval_dev.py", "--limit", "200", "--no-embeddings", "--out", str(HERE / "out" / "eval.md")],
    ["blind_eval.py", "--sets", "BA", "--out", str(HERE / "out" / "blind.md")],
    ["bench_long_values.py", "--lengths", "10000", "40000", "--repeat", "1", "--no-huge",
     "--out", str(HERE / "out" / "long_values.md")],
    ["cv_eval.py", "--folds", "2", "--out", str(HERE / "out" / "cv.md")],
    ["bench_heldout.py", "--n", "100", "--out", str(HERE / "out" / "heldout.md")],
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    failed = 0
    for cmd in QUICK if args.quick else FULL:
        print(f"== {' '.join(cmd)}", file=sys.stderr, flush=True)
        failed += subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
