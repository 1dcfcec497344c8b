"""Cohort benchmark: export, fetchngs run list and rebuild-from-manifest on a built warehouse.

Uses a warehouse written by ``bench/bench_warehouse.py --db FILE`` (same three cohorts). Also
times the export query without and with every facet's columns, to show what the per-row facets
cost. Prints a markdown table and writes it to ``bench/results/cohort.md``.

    .venv/bin/python bench/bench_warehouse.py --samples 500000 --db /tmp/w500k.duckdb
    .venv/bin/python bench/bench_cohort.py --db /tmp/w500k.duckdb
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


def median_time(fn, reps: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def sql_times(db: Path, kw: dict, reps: int) -> tuple[float, float]:
    """Median seconds of the filter-only query and of the full export query (SQL alone)."""
    con = connect_read(db)
    try:
        facets = {f: v for f, v in kw.items() if f in ("tissue", "disease")}
        expanded = {f: with_descendants(con, [resolve_term(con, f, v) for v in vals])
                    for f, vals in facets.items()}
        conf = kw.get("min_confidence", 0.5)
        base = cohort_sql(list(expanded))
        p_base = cohort_params(expanded, conf, ["accepted"], None, None)
        full = export_sql(list(expanded))
        p_full = export_params(expanded, conf, ["accepted"], None, None)
        t_base, _ = median_time(lambda: con.execute(base, p_base).df(), reps)
        t_full, _ = median_time(lambda: con.execute(full, p_full).df(), reps)
    finally:
        con.close()
    return t_base, t_full


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
            t_base, t_full = sql_times(args.db, kw, args.reps)
            out = Path(tmp) / "c.tsv"
            t_exp, res = median_time(lambda: export_cohort(args.db, out, **kw), args.reps)
            manifest = Path(tmp) / "c.tsv.manifest.json"
            t_reb, rb = median_time(lambda: rebuild_cohort(args.db, manifest), args.reps)
            assert rb.reproduced, "rebuild on an unchanged warehouse must reproduce the file"
            runs = Path(tmp) / "runs.txt"
            t_runs, _ = median_time(lambda: export_cohort(args.db, runs, fmt="fetchngs", **kw),
                                    args.reps)
            rows.append((name, f"{res.n_samples:,}", f"{t_base:.2f}", f"{t_full:.2f}",
                         f"{t_exp:.2f}", f"{t_runs:.2f}", f"{t_reb:.2f}"))
            print(rows[-1], flush=True)
    lines = [
        "# Cohort benchmark", "",
        f"`{' '.join(['bench/bench_cohort.py'] + sys.argv[1:])}` on {platform.machine()}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"; warehouse of {n:,} samples from `bench/bench_warehouse.py`; median of {args.reps} "
        "(shared 2-core machine).", "",
        "| cohort | samples | SQL: filters + accessions | SQL: + every facet | export TSV + "
        "manifest | export fetchngs | rebuild from manifest (byte-identical) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[f"| {' | '.join(r)} |" for r in rows], "",
        "Times in seconds. A rebuild runs the recorded SQL once on an unchanged warehouse (twice "
        "when new samples entered), writes the file and compares its sha256.", "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
