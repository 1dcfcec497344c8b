"""Benchmark a dump backfill end to end: stream, filter, link, load, ground, publish.

Builds NCBI-style ``NCBI_SRA_Metadata*.tar.gz`` dumps by repeating the 20 real submission
folders of ``tests/data/sra_dump/submissions`` with fresh accessions (every accession of a
copy gets the copy's number, so links stay intact and never collide), at the real full dump's
mix: about one sample in sixteen is a kept human transcriptome. The real folders hold 57
samples of which 2 (DRA000368) are human TRANSCRIPTOMIC; each unit of 6 copies of all folders
plus 5 extra copies of DRA000368 has 22 kept samples of 352 (1 in 16). DRA000368's libraries
are ``OTHER``, so the filter keeps strategies RNA-Seq and OTHER.

For each size, in a fresh subprocess (so ``ru_maxrss`` is its own): a bare read (tar stream +
gzip + lxml parse of every member, nothing else), then the backfill stages, timed one by one.
Writes ``bench/results/backfill.md``.

Usage: ``python bench/bench_backfill.py [--kept 2500 10000]`` (``--from-json LOG`` re-renders)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBS = ROOT / "tests" / "data" / "sra_dump" / "submissions"
RESULTS = ROOT / "bench" / "results" / "backfill.md"
KEPT_FOLDER = "DRA000368"
UNIT_ROUNDS, UNIT_EXTRA, UNIT_KEPT, UNIT_SAMPLES = 6, 5, 22, 352
_ACC = re.compile(rb"\b(SAMN|SAMEA|SAMD|PRJNA|PRJEB|PRJDB|PRJDA|GSM|GSE|"
                  rb"[SED]R[ASXRPZ])(\d+)\b")
FILTER = {"organisms": ["Homo sapiens"], "library_strategies": ["RNA-Seq", "OTHER"],
          "library_sources": ["TRANSCRIPTOMIC"]}
# the real full dump (issue 17): ~15 GB gzip, ~40 M samples, ~2.5 M kept
FULL_GZ_BYTES, FULL_SAMPLES, FULL_KEPT = 15e9, 40e6, 2.5e6
FULL_RECORDS_PER_KEPT = 1.2  # assumed experiments per kept sample in the real dump
# grounding costs the synthetic kept samples cannot show (their samples carry no attributes
# and their values repeat), from bench/bench_ground.py on real records (README):
WARM_ATTR_MS = 1000 / 5772  # warm annotate of real samples with their attributes, ms/sample
COLD_RATES = {"embeddings on (the backfill default)": 1583, "lexicon only": 4249}  # values/s
TARGET_S = 2 * 3600


def _folders() -> dict[str, dict[str, bytes]]:
    return {d.name: {f.name: f.read_bytes() for f in sorted(d.iterdir())}
            for d in sorted(SUBS.iterdir()) if d.is_dir()}


def _copy(data: bytes, k: int) -> bytes:
    return _ACC.sub(lambda m: m.group(1) + b"%06d" % k + m.group(2), data)


def make_dump(path: Path, kept: int) -> dict[str, int]:
    """Write a synthetic dump with about ``kept`` kept samples; return what it holds."""
    folders = _folders()
    units = max(1, round(kept / UNIT_KEPT))
    plan = []
    for _ in range(units):
        plan += [name for _ in range(UNIT_ROUNDS) for name in folders]
        plan += [KEPT_FOLDER] * UNIT_EXTRA
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        for k, name in enumerate(plan, 1):
            sub = _copy(name.encode(), k).decode()
            for fname, data in folders[name].items():
                body = _copy(data, k)
                info = tarfile.TarInfo(f"{sub}/{_copy(fname.encode(), k).decode()}")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return {"copies": len(plan), "samples": units * UNIT_SAMPLES, "kept_samples": units * UNIT_KEPT}


def bare_read(path: Path) -> tuple[float, int]:
    """CPU seconds for tar stream + gzip + lxml parse of every member; objects seen."""
    from lxml import etree

    t0, n = time.process_time(), 0
    with tarfile.open(path, "r|gz") as tar:
        for info in tar:
            if info.isfile():
                root = etree.fromstring(tar.extractfile(info).read())
                n += len(root)
    return time.process_time() - t0, n


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the parse workers)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), ch.ru_utime + ch.ru_stime


class _Stage:
    """Times one stage: wall, CPU of this process, CPU of worker processes, load average."""

    def __init__(self, out: dict, name: str):
        self.out, self.name = out, name

    def __enter__(self):
        self.t0, (self.c0, self.k0) = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc) -> None:
        c1, k1 = _cpu()
        self.out[f"{self.name}_wall_s"] = time.perf_counter() - self.t0
        self.out[f"{self.name}_s"] = c1 - self.c0  # this process
        self.out[f"{self.name}_workers_s"] = k1 - self.k0
        self.out[f"{self.name}_load"] = os.getloadavg()[0]


def run_one(path: Path, workdir: Path, workers: int | None) -> dict:
    """All stages on one dump (called in a fresh subprocess)."""
    from harmonize.dump import backfill as bf
    from harmonize.dump.filters import DumpFilter
    from harmonize.dump.link import link_pending
    from harmonize.dump.pool import parse_workers, pool_parse_many
    from harmonize.steps.annotate import annotate_samples
    from harmonize.steps.engine import load_engine
    from harmonize.steps.ontology import sync_ontologies
    from harmonize.warehouse.db import writer
    from harmonize.warehouse.load import start_run

    out: dict = {"workers": workers or parse_workers(), "load_start": os.getloadavg()[0]}
    out["bare_s"], out["objects"] = bare_read(path)
    filt = DumpFilter(tuple(FILTER["organisms"]), tuple(FILTER["library_strategies"]),
                      tuple(FILTER["library_sources"]))
    db = workdir / "w.duckdb"
    for old in workdir.glob("w.duckdb*"):
        old.unlink()
    t_all, cpu0 = time.perf_counter(), _cpu()
    stats = bf.DumpStats()
    with writer(db) as con:
        run_id = start_run(con, "bench", "files")
        with _Stage(out, "stream_filter_stage"):
            outcome = bf._stage_source(con, str(path), [path], filt, run_id,
                                       pool_parse_many(out["workers"]), stats, None, tar=True)
        assert outcome.error is None, outcome.error
        with _Stage(out, "link_load"):
            link = link_pending(con, filt, run_id)
        out["rss_load_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with _Stage(out, "engine_load"):
            engine = load_engine(con=con, use_embeddings=False)
            sync_ontologies(con, engine.ontology_versions(), engine.load_ontologies)
        with _Stage(out, "ground"):
            ann = annotate_samples(con, engine.grounder, only_changed=True)
        publish = _Stage(out, "publish").__enter__()
    publish.__exit__()
    cpu1 = _cpu()
    out["total_wall_s"] = time.perf_counter() - t_all
    out["total_s"] = cpu1[0] - cpu0[0]
    out["total_workers_s"] = cpu1[1] - cpu0[1]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["warehouse_mb"] = db.stat().st_size / 2**20
    out["records"] = link.records
    out["skipped"] = sum(stats.skipped.values()) + sum(link.skipped.values())
    out["parsed"] = sum(stats.parsed.values())
    out["members"] = stats.members
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    out["warehouse_samples"] = con.execute("SELECT count(*) FROM samples").fetchone()[0]
    out["libraries"] = con.execute("SELECT count(*) FROM libraries").fetchone()[0]
    out["distinct_values"] = con.execute(
        "SELECT count(DISTINCT (facet, source_text)) FROM annotations").fetchone()[0]
    out["annotated_samples"] = ann.samples
    con.close()
    out["load_end"] = os.getloadavg()[0]
    return out


def ground_probe(db: Path, workdir: Path) -> dict:
    """Grounding CPU per sample with one experiment per sample: a copy of the benchmark's
    warehouse keeps, for each sample, only its first record's attributes, libraries and runs
    (the synthetic kept samples have ~10 experiments each; the real dump about one)."""
    import shutil

    from harmonize.steps.annotate import annotate_samples
    from harmonize.steps.engine import load_engine
    from harmonize.warehouse.db import writer

    probe = workdir / "probe.duckdb"
    shutil.copy(db, probe)
    with writer(probe) as con:
        con.execute("CREATE TEMP TABLE _keep AS SELECT sample_id, min(record_accession) AS r "
                    "FROM records GROUP BY sample_id")
        for table in ("sample_attributes", "libraries", "runs"):
            con.execute(f"DELETE FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM _keep k "
                        "WHERE k.sample_id = x.sample_id AND k.r = x.record_accession)")
        con.execute("DELETE FROM annotated_samples")
        engine = load_engine(con=con, use_embeddings=False)
        c0, t0 = time.process_time(), time.perf_counter()
        ann = annotate_samples(con, engine.grounder, only_changed=True)
        out = {"probe_ground_s": time.process_time() - c0,
               "probe_ground_wall_s": time.perf_counter() - t0,
               "probe_samples": ann.samples,
               "probe_libraries": con.execute("SELECT count(*) FROM libraries").fetchone()[0]}
    probe.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kept", type=int, nargs="+", default=[2500, 10000],
                    help="kept (human transcriptome) samples per synthetic dump")
    ap.add_argument("--workers", type=int, default=None,
                    help="parse processes (default: $HARMONIZE_PARSE_WORKERS or one per core; "
                    "1 parses in the main process)")
    ap.add_argument("--dumps", metavar="DIR", help="keep the synthetic dumps in DIR and reuse "
                    "them on a later run (default: a temporary folder, deleted)")
    ap.add_argument("--from-json", metavar="LOG", help="re-render the report from the JSON "
                    "rows a run printed to stderr (no new run)")
    ap.add_argument("--child", nargs=2, metavar=("DUMP", "WORKDIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        workdir = Path(args.child[1])
        row = run_one(Path(args.child[0]), workdir, args.workers)
        row.update(ground_probe(workdir / "w.duckdb", workdir))
        print(json.dumps(row))
        return
    command = "python bench/bench_backfill.py --kept " + " ".join(map(str, args.kept)) + (
        f" --workers {args.workers}" if args.workers else "")
    if args.from_json:
        rows = [json.loads(x) for x in Path(args.from_json).read_text().splitlines()
                if x.startswith("{")]
        RESULTS.write_text(report(rows, command))
        print(RESULTS.read_text())
        return
    rows = []
    for kept in args.kept:
        with tempfile.TemporaryDirectory(prefix="bench_backfill_") as tmp:
            where = Path(args.dumps) if args.dumps else Path(tmp)
            where.mkdir(parents=True, exist_ok=True)
            dump = where / f"NCBI_SRA_Metadata_Full_bench_{kept}.tar.gz"
            info_file = dump.with_suffix(".json")
            if dump.exists() and info_file.exists():
                info = json.loads(info_file.read_text())
            else:
                t0 = time.perf_counter()
                info = make_dump(dump, kept)
                info_file.write_text(json.dumps(info))
                print(f"made {dump.name}: {info} in {time.perf_counter() - t0:.0f}s",
                      file=sys.stderr)
            cmd = [sys.executable, __file__, "--child", str(dump), tmp]
            if args.workers:
                cmd += ["--workers", str(args.workers)]
            uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode:
                sys.exit(res.stderr[-3000:])
            row = json.loads(res.stdout.strip().splitlines()[-1])
            row.update(info, gz_mb=dump.stat().st_size / 2**20, uptime_before=uptime,
                       uptime_after=subprocess.run(["uptime"], capture_output=True,
                                                   text=True, check=False).stdout.strip())
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    RESULTS.write_text(report(rows, command))
    print(RESULTS.read_text())


def _fit(rows: list[dict], x: str, y: str) -> tuple[float, float]:
    """Fixed cost and cost per unit of ``x`` through the smallest and the largest size."""
    a, b = rows[0], rows[-1]
    slope = (b[y] - a[y]) / (b[x] - a[x]) if b[x] != a[x] else b[y] / b[x]
    return a[y] - slope * a[x], slope


def report(rows: list[dict], command: str) -> str:
    """The markdown results table, the per-stage fits and the extrapolation to the full dump."""
    for r in rows:
        r["gz_bytes"] = r["gz_mb"] * 2**20
        r["stage_cpu_s"] = r["stream_filter_stage_s"] + r["stream_filter_stage_workers_s"]
    lines = [
        "# Dump backfill benchmark", "",
        (f"`{command}` on {platform.machine()}, Python {platform.python_version()}, 2 cores "
         "shared with other jobs (load averages below). CPU seconds are given per stage for the "
         "main process (`time.process_time`, DuckDB's threads included) and for the parse "
         "worker processes (`RUSAGE_CHILDREN`), wall seconds as measured on the shared host. "
         "Synthetic dumps made from the 20 real submissions with fresh accessions, 1 kept "
         "sample in 16; filter Homo sapiens / TRANSCRIPTOMIC / RNA-Seq+OTHER; grounding "
         "without embeddings."), "",
        ("| kept / all samples | gz MB | members | objects | bare read CPU s | "
         "stream+filter+stage CPU s main + workers (wall) | parse / bare | "
         "link+load CPU s (wall) | records | engine load s | ground CPU s (wall) | "
         "ground ms/sample: as built / 1 experiment each | total CPU s | total wall s | "
         "load avg (start → end) | peak RSS MB main / worker | warehouse MB | "
         "distinct values grounded |"),
        "|" + "---:|" * 18,
    ]
    for r in rows:
        lines.append(
            f"| {r['kept_samples']:,} / {r['samples']:,} | {r['gz_mb']:.1f} | "
            f"{r['members']:,} | {r['parsed']:,} | {r['bare_s']:.1f} | "
            f"{r['stream_filter_stage_s']:.1f} + {r['stream_filter_stage_workers_s']:.1f} "
            f"({r['stream_filter_stage_wall_s']:.1f}) | {r['stage_cpu_s'] / r['bare_s']:.2f}x | "
            f"{r['link_load_s']:.1f} ({r['link_load_wall_s']:.1f}) | {r['records']:,} | "
            f"{r['engine_load_s']:.1f} | {r['ground_s']:.1f} ({r['ground_wall_s']:.1f}) | "
            f"{1000 * r['ground_s'] / r['annotated_samples']:.2f} / "
            f"{1000 * r['probe_ground_s'] / r['probe_samples']:.2f} | "
            f"{r['total_s'] + r['total_workers_s']:.0f} | {r['total_wall_s']:.0f} | "
            f"{r['load_start']:.1f} → {r['load_end']:.1f} | {r['peak_rss_mb']:,.0f} / "
            f"{r['worker_peak_rss_mb']:,.0f} | {r['warehouse_mb']:.0f} | "
            f"{r['distinct_values']:,} |")
    lines += ["", "Host load during each size (`uptime` before → after):", ""]
    lines += [f"- {r['kept_samples']:,} kept: `{r['uptime_before']}` → `{r['uptime_after']}`"
              for r in rows]
    lines += _extrapolation(rows)
    return "\n".join(lines) + "\n"


def _extrapolation(rows: list[dict]) -> list[str]:
    """Per-stage fixed + per-unit fits, extrapolated to the full dump (CPU and 2-core wall)."""
    if len(rows) < 2:
        return ["", "(one size only: no fit, no extrapolation)"]
    full_records = FULL_RECORDS_PER_KEPT * FULL_KEPT
    fits = {
        "bare": _fit(rows, "gz_bytes", "bare_s"),
        "stage_main": _fit(rows, "gz_bytes", "stream_filter_stage_s"),
        "stage_workers": _fit(rows, "gz_bytes", "stream_filter_stage_workers_s"),
        "link": _fit(rows, "records", "link_load_s"),
        "engine": _fit(rows, "kept_samples", "engine_load_s"),
        "ground": _fit(rows, "annotated_samples", "ground_s"),
        "probe": _fit(rows, "probe_samples", "probe_ground_s"),
        "publish": _fit(rows, "kept_samples", "publish_s"),
    }
    full = {"bare": FULL_GZ_BYTES, "stage_main": FULL_GZ_BYTES, "stage_workers": FULL_GZ_BYTES,
            "link": full_records, "engine": 0, "ground": FULL_KEPT, "probe": FULL_KEPT,
            "publish": 0}
    ext = {k: max(0.0, a) + b * full[k] for k, (a, b) in fits.items()}
    ext["engine"] = max(r["engine_load_s"] for r in rows)  # fixed: the worse of the two
    ext["publish"] = max(r["publish_s"] for r in rows)
    stage_cpu = ext["stage_main"] + ext["stage_workers"]
    stage_wall = max(ext["stage_main"], stage_cpu / 2)  # 2 cores: the main process or half
    rest = ext["link"] + ext["engine"] + ext["publish"]
    wall_hi = stage_wall + rest + ext["ground"]
    wall_lo = stage_wall + rest + ext["probe"]
    cpu_hi = stage_cpu + rest + ext["ground"]
    exps = rows[-1]["records"] / rows[-1]["kept_samples"]  # experiments per synthetic sample
    per_exp = (fits["ground"][1] - fits["probe"][1]) / max(exps - 1, 1e-9)
    ground_mix = (fits["probe"][1] + (FULL_RECORDS_PER_KEPT - 1) * per_exp) * FULL_KEPT
    attrs = WARM_ATTR_MS / 1000 * FULL_KEPT
    wall_mix = stage_wall + rest + ground_mix + attrs
    room = TARGET_S - wall_mix
    fits_cold = ", ".join(f"{max(room, 0) * rate / 1e6:.1f} M at {rate:,} values/s ({name})"
                          for name, rate in COLD_RATES.items())

    def unit(k: str) -> str:
        a, b = fits[k]
        per = {"bare": ("s per GB gz", 1e9), "stage_main": ("s per GB gz", 1e9),
               "stage_workers": ("s per GB gz", 1e9), "link": ("ms per record", 1e3),
               "ground": ("ms per sample", 1e3), "probe": ("ms per sample", 1e3),
               "engine": ("s per 1k kept", 1e3), "publish": ("s per 1k kept", 1e3)}[k]
        return f"{a:+.1f} s | {b * per[1]:.3f} {per[0]}"

    return [
        "", "## Extrapolation to the real full dump (~15 GB gzip, ~40 M samples, ~2.5 M kept)",
        "",
        ("Each stage is fitted as fixed + per-unit cost through the two sizes (a negative fixed "
         "part means the per-unit cost grew with size: the fit then extrapolates the larger "
         "size's marginal rate and is counted from 0, which is optimistic if the growth goes "
         "on). Units: compressed bytes for reading and staging (the synthetic members have the "
         "real records' sizes and compress alike); records for link+load, at "
         f"{FULL_RECORDS_PER_KEPT} records per kept sample in the real dump (assumed: human "
         "RNA-seq samples mostly have one experiment; the synthetic kept samples have "
         f"{rows[-1]['records'] / rows[-1]['kept_samples']:.1f}); kept samples for grounding. "
         "Grounding is given twice: at the synthetic samples' rate (~10 experiments each, so "
         "~10 library blocks for the assay rules — an upper bound for that part) and at the "
         "rate of the same samples cut to one experiment each (the probe column). Neither "
         "counts the real dump's many more *distinct* values: these synthetic values repeat, "
         "so each distinct value new to the cache adds its cold grounding cost (the grounding "
         "benchmark's cold rate, ~4,200 values/s without embeddings, i.e. ~240 s per million "
         "distinct values). The 2-core wall time assumes both cores free: staging takes the "
         "larger of the main process's CPU and half the total (tar read + DuckDB writes in "
         "the main process, parsing in the workers); link+load, engine load and grounding run "
         "in one process. The host schedules CPU fairly between sessions (Linux autogroup), so "
         "while other sessions are busy the parse workers only split this session's share: the "
         "measured wall times then show little of the second core, and the CPU seconds are "
         "the figures to extrapolate from."), "",
        "| stage | fixed | per unit | extrapolated CPU s | 2-core wall s |",
        "|---|---:|---:|---:|---:|",
        f"| bare tar+gzip+lxml read (reference) | {unit('bare')} | {ext['bare']:,.0f} | — |",
        (f"| stream+filter+stage, main process | {unit('stage_main')} | "
         f"{ext['stage_main']:,.0f} | {stage_wall:,.0f} |"),
        (f"| stream+filter+stage, parse workers | {unit('stage_workers')} | "
         f"{ext['stage_workers']:,.0f} | (in the line above) |"),
        (f"| link + load ({full_records / 1e6:.1f} M records) | {unit('link')} | "
         f"{ext['link']:,.0f} | {ext['link']:,.0f} |"),
        (f"| engine load + ontology sync | fixed | — | {ext['engine']:,.0f} | "
         f"{ext['engine']:,.0f} |"),
        (f"| ground, as built (~10 experiments per sample) | {unit('ground')} | "
         f"{ext['ground']:,.0f} | {ext['ground']:,.0f} |"),
        (f"| ground, one experiment per sample (probe) | {unit('probe')} | "
         f"{ext['probe']:,.0f} | {ext['probe']:,.0f} |"),
        (f"| **total**, grounding as built | | | {cpu_hi:,.0f} (~{cpu_hi / 3600:.1f} h on one "
         f"core) | **{wall_hi:,.0f} (~{wall_hi / 3600:.2f} h)** |"),
        (f"| **total**, grounding at one experiment per sample | | | "
         f"{cpu_hi - ext['ground'] + ext['probe']:,.0f} | "
         f"**{wall_lo:,.0f} (~{wall_lo / 3600:.2f} h)** |"),
        (f"| ground at {FULL_RECORDS_PER_KEPT} experiments per sample (between the two "
         "rows above) | | | " f"{ground_mix:,.0f} | {ground_mix:,.0f} |"),
        (f"| + attribute values, warm ({WARM_ATTR_MS:.2f} ms/sample, bench_ground on real "
         f"records) | | | {attrs:,.0f} | {attrs:,.0f} |"),
        (f"| **total, assumed real mix, before cold values** | | | "
         f"{stage_cpu + rest + ground_mix + attrs:,.0f} | "
         f"**{wall_mix:,.0f} (~{wall_mix / 3600:.2f} h)** |"),
        "",
        (f"Room left in 2 h for grounding the real dump's distinct values cold: "
         f"{room:,.0f} s, i.e. {fits_cold}."),
        "", (f"Parse against the bare read at full size: {stage_cpu / ext['bare']:.2f}x in "
             "CPU (target ≤ 3x)."),
    ]


if __name__ == "__main__":
    main()
