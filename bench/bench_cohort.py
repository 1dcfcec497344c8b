"""Cohort benchmark: export, fetchngs run list and rebuild-from-manifest on a built warehouse.

Uses a warehouse written by ``bench/bench_warehouse.py --db FILE`` (same three cohorts). Also
times the export query without and with every facet's columns, to show what the per-row facets
cost. Prints a markdown table and writes it to ``bench/results/cohort.md``.

    .venv/bin/python bench/bench_warehouse.py --samples 500000 --db /tmp/w500k.duckdb
    .venv/bin/python bench/bench_cohort.py --db /tmp/w500k.duckdb
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_dev import publish  # noqa: E402

from harmonize.warehouse.db import connect_read
from harmonize.warehouse.export import (
    cohort_params,
    cohort_sql,
    export_cohort,
    export_params,
    export_sql,
)
from harmonize.warehouse.lookup import resolve_term, with_descendants
from harmonize.warehouse.rebuild import rebuild_cohort

REPO = Path(__file__).resolve().parents[1]
COHORTS = [
    ("liver + liver disease", dict(tissue=["UBERON:0002107"], disease=["MONDO:0005154"])),
    ("brain + neurodegenerative disease", dict(tissue=["brain"],
                                               disease=["neurodegenerative disease"])),
    ("blood + normal, conf >= 0.8", dict(tissue=["blood"], disease=["PATO:0000461"],
                                         min_confidence=0.8)),
]


def interleaved(measures: dict[str, object], reps: int) -> dict[str, float]:
    """Median seconds of each callable, run in turn within every repetition.

    Interleaving keeps the comparison fair on a shared machine whose load drifts.
    """
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(reps):
        for name, fn in measures.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def queries(db: Path, kw: dict) -> tuple[tuple[str, list], tuple[str, list]]:
    """The filter-only query and the full export query with their parameters."""
    con = connect_read(db)
    try:
        facets = {f: v for f, v in kw.items() if f in ("tissue", "disease")}
        expanded = {f: with_descendants(con, [resolve_term(con, f, v) for v in vals])
                    for f, vals in facets.items()}
    finally:
        con.close()
    conf = kw.get("min_confidence", 0.5)
    return ((cohort_sql(list(expanded)), cohort_params(expanded, conf, ["accepted"], None, None)),
            (export_sql(list(expanded)), export_params(expanded, conf, ["accepted"], None, None)))


def run_sql(db: Path, sql: str, params: list) -> None:
    con = connect_read(db)
    try:
        con.execute(sql, params).df()
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="warehouse from bench_warehouse.py")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "cohort.md")
    args = ap.parse_args(argv)
    if not args.db.exists():
        sys.exit(f"no warehouse at {args.db}; build one with bench/bench_warehouse.py --db")
    con = connect_read(args.db)
    n = con.execute("SELECT count(*) FROM samples").fetchall()[0][0]
    con.close()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as tmp:
        for name, kw in COHORTS:
            (base, p_base), (full, p_full) = queries(args.db, kw)
            out, runs = Path(tmp) / "c.tsv", Path(tmp) / "runs.txt"
            res = export_cohort(args.db, out, **kw)
            manifest = Path(tmp) / "c.tsv.manifest.json"
            assert rebuild_cohort(args.db, manifest).reproduced, "unchanged: must reproduce"
            t = interleaved({
                "base": lambda: run_sql(args.db, base, p_base),
                "full": lambda: run_sql(args.db, full, p_full),
                "export": lambda: export_cohort(args.db, out, **kw),
                "fetchngs": lambda: export_cohort(args.db, runs, fmt="fetchngs", **kw),
                "rebuild": lambda: rebuild_cohort(args.db, manifest),
            }, args.reps)
            rows.append((name, f"{res.n_samples:,}", *(f"{t[k]:.2f}" for k in
                                                        ("base", "full", "export", "fetchngs",
                                                         "rebuild"))))
            print(rows[-1], flush=True)
    lines = [
        "# Cohort benchmark", "",
        f"`{' '.join(['bench/bench_cohort.py'] + sys.argv[1:])}` on {platform.machine()}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"; warehouse of {n:,} samples from `bench/bench_warehouse.py`; median of {args.reps}, "
        f"the five measures run in turn in each repetition (shared 2-core machine, load average "
        f"{os.getloadavg()[0]:.1f} at the end).", "",
        "| cohort | samples | SQL: filters + accessions | SQL: + every facet | export TSV + "
        "manifest | export fetchngs | rebuild from manifest (byte-identical) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[f"| {' | '.join(r)} |" for r in rows], "",
        "Times in seconds. A rebuild runs the recorded SQL once on an unchanged warehouse (twice "
        "when new samples entered), writes the file and compares its sha256.", "",
    ]
    publish("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
