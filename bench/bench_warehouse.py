"""Warehouse benchmark: load a synthetic N-sample warehouse through the public API, time exports.

Values come from real data: attribute sets, organisms and library descriptions from the NCBI
fixture records (parsed with :mod:`harmonize.parse`), term ids from the embedded ontology
snapshot, drawn with Zipf-like frequencies. Prints a markdown table and writes it to
``bench/results/warehouse.md``.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_warehouse.py --samples 2500000
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_dev import publish  # noqa: E402

from harmonize.models import Annotation, Attribute, Library, Run, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.warehouse import materialize
from harmonize.warehouse.annotations import load_ontology, ontology_rows, replace_annotations
from harmonize.warehouse.db import connect_read, writer
from harmonize.warehouse.export import export_cohort
from harmonize.warehouse.load import upsert_records
from harmonize.warehouse.query import run_query
from harmonize.warehouse.review import write_review

REPO = Path(__file__).resolve().parents[1]
ONTOLOGIES = ("UBERON", "MONDO", "CL", "PATO", "EFO", "HsapDv", "CVCL")
#: the most common real tissues/diseases first (as in SRA); the rest follow in random order
COMMON = {
    "tissue": ["UBERON:0000178", "UBERON:0000955", "UBERON:0002107", "UBERON:0002048",
               "UBERON:0002113", "UBERON:0000948", "UBERON:0002097", "UBERON:0001155"],
    "disease": ["PATO:0000461", "MONDO:0004992", "MONDO:0005148", "MONDO:0005154",
                "MONDO:0005559", "MONDO:0005015"],
}
FACET_SHARE = {"tissue": 0.9, "disease": 0.6, "sex": 0.7, "assay": 1.0, "cell_type": 0.3,
               "cell_line": 0.15, "dev_stage": 0.4}


@dataclass
class Pools:
    attributes: list[tuple[Attribute, ...]]
    organisms: list[tuple[str, int | None]]
    libraries: list[Library]


def fixtures_dir(given: Path | None = None) -> Path:
    """The NCBI fixture records: ``--fixtures``, else ``$HARMONIZE_FIXTURES``, else
    ``../shared/fixtures/ncbi`` next to the repository, else the copies in ``tests/data/ncbi``."""
    env = os.environ.get("HARMONIZE_FIXTURES")
    for cand in (given, Path(env) if env else None,
                 REPO.parent / "shared" / "fixtures" / "ncbi", REPO / "tests" / "data" / "ncbi"):
        if cand is not None and cand.is_dir():
            return cand
    sys.exit("no NCBI fixture folder found; pass --fixtures DIR or set HARMONIZE_FIXTURES")


def real_pools(fixtures: Path) -> Pools:
    """Attribute sets, organisms and libraries of the real fixture records in ``fixtures``."""
    from harmonize.parse import iter_file

    attrs, orgs, libs = [], [], []
    for folder in ("sra_efetch", "biosample", "geo_miniml", "geo_soft"):
        for f in sorted((fixtures / folder).glob("*")):
            try:
                for r in iter_file(f):
                    if isinstance(r, SampleRecord) and r.attributes:
                        attrs.append(r.attributes)
                        if r.organism:
                            orgs.append((r.organism, r.taxon_id))
                        if any(r.library.as_texts().values()):
                            libs.append(r.library)
            except Exception:
                continue
    if not attrs:
        sys.exit("no attributes parsed from the fixtures; is harmonize.parse installed?")
    return Pools(attrs, orgs or [("Homo sapiens", 9606)], libs or [Library("RNA-Seq")])


def zipf_weights(n: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def vocabularies(onto: dict, rng: np.random.Generator) -> dict[str, list[tuple[str, str]]]:
    """Per facet: (term id, label) in Zipf rank order."""
    def live(name, keep=lambda t: True, limit=None):
        ids = sorted(t.id for t in onto[name].terms.values() if not t.obsolete and keep(t))
        rng.shuffle(ids)
        return ids[:limit] if limit else ids

    uberon = onto["UBERON"]
    vocab = {
        "tissue": live("UBERON", lambda t: t.id.startswith("UBERON:"), 4000),
        "disease": live("MONDO", lambda t: "MONDO:0000001" in t.ancestors, 6000),
        "cell_type": live("CL", lambda t: t.id.startswith("CL:"), 1500),
        "cell_line": live("CVCL", limit=5000),
        "sex": ["PATO:0000383", "PATO:0000384"],
        "dev_stage": live("HsapDv", lambda t: t.id.startswith("HsapDv:"), 200),
        "assay": live("EFO", lambda t: "seq" in t.label.lower(), 150),
    }
    for facet, first in COMMON.items():
        vocab[facet] = first + [t for t in vocab[facet] if t not in set(first)]
    labels = {tid: t.label for o in onto.values() for tid, t in o.terms.items()}
    del uberon
    return {f: [(t, labels.get(t, t)) for t in ids if t in labels] for f, ids in vocab.items()}


def synth_records(start: int, n: int, pools: Pools, rng: np.random.Generator,
                  geo_share: float = 0.1) -> list[SampleRecord]:
    """SRA records (with BioSample, SRS, SRP, PRJNA, runs); some samples also get a GEO record."""
    att_idx = rng.choice(len(pools.attributes), size=n, p=zipf_weights(len(pools.attributes)))
    org_idx = rng.integers(0, len(pools.organisms), size=n)
    lib_idx = rng.integers(0, len(pools.libraries), size=n)
    n_runs = rng.integers(1, 3, size=n)
    spots = rng.integers(1_000_000, 60_000_000, size=n)
    geo = rng.random(size=n) < geo_share
    years = rng.integers(2009, 2026, size=n)
    out = []
    for k in range(n):
        i = start + k
        study = i // 40
        gsm = f"GSM{20_000_000 + i}"
        accs = (f"SRX{30_000_000 + i}", f"SRS{40_000_000 + i}", f"SAMN{50_000_000 + i}",
                f"SRP{60_000 + study}", f"PRJNA{70_000 + study}") + ((gsm,) if geo[k] else ())
        org, taxon = pools.organisms[org_idx[k]]
        runs = tuple(Run(f"SRR{80_000_000 + 2 * i + j}", f"SRX{30_000_000 + i}",
                         int(spots[k]), int(spots[k]) * 150, f"{years[k]}-03-01")
                     for j in range(n_runs[k]))
        out.append(SampleRecord("sra", f"SRX{30_000_000 + i}", accs, organism=org,
                                taxon_id=taxon, title=f"sample {i}",
                                attributes=pools.attributes[att_idx[k]], runs=runs,
                                library=pools.libraries[lib_idx[k]],
                                published=f"{years[k]}-03-01"))
        if geo[k]:
            out.append(SampleRecord("geo", gsm, (gsm, f"GSE{90_000 + study}"), organism=org,
                                    taxon_id=taxon, title=f"GEO sample {i}",
                                    attributes=pools.attributes[att_idx[k]],
                                    published=f"{years[k]}-02-01"))
    return out


def synth_annotations(start: int, n: int, vocab, rng: np.random.Generator):
    """Annotations of samples ``start..start+n`` (sample id = their BioSample accession)."""
    sids = [f"SAMN{50_000_000 + i}" for i in range(start, start + n)]
    pairs = []
    for facet, share in FACET_SHARE.items():
        terms = vocab[facet]
        has = np.flatnonzero(rng.random(n) < share).tolist()
        idx = rng.choice(len(terms), size=len(has), p=zipf_weights(len(terms))).tolist()
        conf = rng.beta(5, 1.4, size=len(has)).tolist()
        unmapped = (rng.random(len(has)) < 0.05).tolist()
        for k, t, c, u in zip(has, idx, conf, unmapped):
            tid, label = terms[t]
            if u:
                pairs.append((sids[k], Annotation(facet, None, None, 0.0, "none", "unmapped",
                                                  facet, f"{label} unclear", (), "bench-lex")))
                continue
            status = "accepted" if c >= 0.7 else "needs_review" if c >= 0.4 else "rejected"
            pairs.append((sids[k], Annotation(facet, tid, label, c, "exact", status, facet,
                                              label, (), "bench-lex")))
    return sids, pairs


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2_500_000)
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--fixtures", type=Path, default=None,
                    help="NCBI fixture folder (default: ../shared/fixtures/ncbi of the repo)")
    ap.add_argument("--db", type=Path, default=None, help="warehouse file (default: a temp dir)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "warehouse.md")
    ap.add_argument("--queries-only", action="store_true",
                    help="only time exports and queries on the existing warehouse --db")
    ap.add_argument("--republish", action="store_true",
                    help="with --queries-only: time one publish of the unchanged warehouse "
                         "even when its precomputed tables are current")
    args = ap.parse_args(argv)
    if args.queries_only:
        if args.db is None or not args.db.exists():
            sys.exit("--queries-only needs --db PATH of an existing warehouse")
        with tempfile.TemporaryDirectory(prefix="bench-wh-") as tmp:
            t_all = time.perf_counter()
            rows = republish(args.db, args.republish) + query_rows(args.db, args.samples,
                                                                   Path(tmp))
            write_table(args, rows, time.perf_counter() - t_all)
        return
    rng = np.random.default_rng(42)
    tmp = tempfile.TemporaryDirectory(prefix="bench-wh-")
    db = args.db or Path(tmp.name) / "bench.duckdb"
    rows: list[tuple[str, str, str]] = []
    t_all = time.perf_counter()

    fixtures = fixtures_dir(args.fixtures)
    pools, t = timed(real_pools, fixtures)
    print(f"real pools: {len(pools.attributes)} attribute sets from {fixtures} ({t:.1f}s)",
          flush=True)
    onto = {name: load_snapshot(name) for name in ONTOLOGIES}
    vocab = vocabularies(onto, rng)
    gc.freeze()  # the ontologies stay alive all run: keep them out of collection passes
    gen_time = load_time = ann_gen = ann_time = 0.0
    n_records = n_ann = 0
    with writer(db) as con:
        t0 = time.perf_counter()
        n_terms = sum(load_ontology(con, *ontology_rows(o)) for o in onto.values())
        t_onto = time.perf_counter() - t0
        rows.append(("ontology terms loaded (+ closure)", f"{n_terms:,}",
                     f"{t_onto:.1f} s ({n_terms / t_onto:,.0f} terms/s)"))
        print(rows[-1], flush=True)
        stats_total = None
        first_batch: list[SampleRecord] = []
        for start in range(0, args.samples, args.batch):
            n = min(args.batch, args.samples - start)
            recs, t = timed(synth_records, start, n, pools, rng)
            if not first_batch:
                first_batch = recs[:20_000]
            gen_time += t
            stats, t = timed(upsert_records, con, recs, None, len(recs) + 1)
            load_time += t
            n_records += len(recs)
            stats_total = stats if stats_total is None else stats_total.__iadd__(stats)
            if (start // args.batch) % 10 == 0:
                print(f"  records {start + n:,}/{args.samples:,}: {n_records / load_time:,.0f}"
                      f" records/s", flush=True)
        rows.append(("records loaded (SRA + 10 % GEO, one batch per transaction)",
                     f"{n_records:,}", f"{load_time:.1f} s ({n_records / load_time:,.0f} records/s;"
                     f" generation {gen_time:.1f} s extra)"))
        rows.append(("load outcome", str(stats_total.as_dict()), ""))
        print(rows[-2:], flush=True)

        stats, t = timed(upsert_records, con, first_batch, None, 50_000)
        rows.append(("re-load of stored, unchanged records (hash compare only)",
                     f"{stats.unchanged:,}", f"{t:.2f} s ({stats.unchanged / t:,.0f} records/s)"))
        changed = [replace(r, title=f"{r.title} (revised)") for r in first_batch]
        stats, t = timed(upsert_records, con, changed, None, 50_000)
        rows.append(("re-load of changed records (rows replaced)", f"{stats.updated:,}",
                     f"{t:.2f} s ({stats.updated / t:,.0f} records/s)"))
        print(rows[-2:], flush=True)

        # merge path: GEO records first, then SRA records revealing their BioSample
        m = 10_000
        geo_first = [SampleRecord("geo", f"GSM{99_000_000 + i}", (f"GSM{99_000_000 + i}",),
                                  organism="Homo sapiens", attributes=pools.attributes[0])
                     for i in range(m)]
        upsert_records(con, geo_first)
        links = [SampleRecord("sra", f"SRX{99_000_000 + i}", (f"SRX{99_000_000 + i}",
                              f"SAMN{99_000_000 + i}", f"GSM{99_000_000 + i}"),
                              attributes=pools.attributes[1]) for i in range(m)]
        stats, t = timed(upsert_records, con, links, None, 50_000)
        rows.append(("records that merge into stored samples (GSM -> SAMN re-key)",
                     f"{stats.merged:,} merged", f"{t:.2f} s ({m / t:,.0f} records/s)"))
        print(rows[-2:], flush=True)

        ann_batch = 100_000
        for start in range(0, args.samples, ann_batch):
            n = min(ann_batch, args.samples - start)
            (sids, pairs), t = timed(synth_annotations, start, n, vocab, rng)
            ann_gen += t
            written, t = timed(replace_annotations, con, sids, pairs, "bench-lex")
            ann_time += t
            n_ann += written
        rows.append(("annotations loaded (replace_annotations, 100k samples per call)",
                     f"{n_ann:,}", f"{ann_time:.1f} s (**{n_ann / ann_time:,.0f} annotations/s**;"
                     f" generation {ann_gen:.1f} s extra)"))
        print(rows[-1], flush=True)
        t_pub = time.perf_counter()
    t_pub = time.perf_counter() - t_pub
    size = db.stat().st_size
    rows.append(("publish (precomputed tables rebuilt + checkpoint + atomic replace)", "",
                 f"{t_pub:.1f} s"))
    rows.append(("warehouse file size", f"{args.samples:,} samples",
                 f"{size / 2**20:,.0f} MiB ({size / args.samples:,.0f} bytes/sample)"))
    print(rows[-2:], flush=True)

    rows += query_rows(db, args.samples, Path(tmp.name))
    total = time.perf_counter() - t_all
    write_table(args, rows, total)
    tmp.cleanup()


def republish(db: Path, always: bool = False) -> list[tuple[str, str, str]]:
    """Publish a warehouse built by an older harmonize once (no new data), timing the rebuild of
    the precomputed tables; nothing to do when they are current, unless ``always``."""
    con = connect_read(db)
    current = materialize.is_current(con) and _schema_current(con)
    con.close()
    if current and not always:
        return []
    load = os.getloadavg()[0]
    c, t = time.process_time(), time.perf_counter()
    with writer(db):
        pass
    what = "publish of an unchanged warehouse (" + (
        "precomputed tables rebuilt" if current else "migrate + precomputed tables rebuilt")
    row = (f"{what}; staging copy, checkpoint, replace)", "",
           f"{time.perf_counter() - t:.1f} s; CPU {time.process_time() - c:.1f} s "
           f"(load average {load:.1f})")
    print(row, flush=True)
    return [row]


def _schema_current(con) -> bool:
    """Whether every migration this harmonize ships has been applied (a reader cannot migrate)."""
    import duckdb

    from harmonize.warehouse.db import migrations_dir

    shipped = {int(p.name[:3]) for p in migrations_dir().glob("[0-9][0-9][0-9]_*.sql")}
    try:
        applied = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.Error:
        return False
    return shipped <= applied


def repeated(fn, *args, n: int = 5, **kw):
    """Run ``fn`` n times; (last result, wall times, process CPU times) — CPU time covers every
    DuckDB thread and does not grow when other jobs share the machine."""
    walls, cpus, out = [], [], None
    for _ in range(n):
        c, t = time.process_time(), time.perf_counter()
        out = fn(*args, **kw)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return out, walls, cpus


def spread(walls: list[float], cpus: list[float]) -> str:
    return (f"median {statistics.median(walls):.3f} s (min {min(walls):.3f}, max "
            f"{max(walls):.3f}); CPU {statistics.median(cpus):.3f} s")


def query_rows(db: Path, n_samples: int, out_dir: Path) -> list[tuple[str, str, str]]:
    """Time what users wait for on the published warehouse ``db``."""
    rows = [("load average before the queries (2-core host shared with other jobs)", "",
             " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)")]
    cohorts = [
        ("liver + liver disease", dict(tissue=["UBERON:0002107"], disease=["MONDO:0005154"])),
        ("brain + neurodegenerative disease",
         dict(tissue=["brain"], disease=["neurodegenerative disease"])),
        ("blood + normal, conf >= 0.8", dict(tissue=["blood"], disease=["PATO:0000461"],
                                             min_confidence=0.8)),
    ]
    for name, kw in cohorts:
        res, walls, cpus = repeated(export_cohort, db, out_dir / "c.tsv", **kw)
        rows.append((f"export: {name} (descendants, TSV + manifest)",
                     f"{res.n_samples:,} samples", spread(walls, cpus)))
        print(rows[-1], flush=True)
    q = "SELECT * FROM sample_summary WHERE sample_id = ?"
    _, walls, cpus = repeated(run_query, db, q, [f"SAMN{50_000_000 + n_samples // 2}"])
    rows.append(("query: one sample from sample_summary", "", spread(walls, cpus)))
    _, walls, cpus = repeated(run_query, db,
                              "SELECT * FROM review_queue ORDER BY n_samples DESC LIMIT 20")
    rows.append(("query: top 20 of review_queue", "", spread(walls, cpus)))
    n, walls, cpus = repeated(write_review, db, out_dir / "review.tsv", limit=20)
    rows.append(("`harmonize review --limit 20` (write_review)", f"{n} values",
                 spread(walls, cpus)))
    print(rows[-3:], flush=True)
    con = connect_read(db)
    n_samples = con.execute("SELECT count(*) FROM samples").fetchall()[0][0]
    con.close()
    rows.append(("samples in warehouse (check)", f"{n_samples:,}", ""))
    return rows


def write_table(args, rows, total: float) -> None:
    lines = [
        "# Warehouse benchmark", "",
        f"`{' '.join(['bench/bench_warehouse.py'] + sys.argv[1:])}` on "
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"; total wall time {total / 60:.1f} min (shared 2-core machine, load average "
        f"{os.getloadavg()[0]:.1f} at the end).", "",
        f"Synthetic warehouse of {args.samples:,} samples: attribute sets, organisms and libraries "
        "drawn from the parsed NCBI fixture records, term ids from the embedded ontology "
        "snapshot with Zipf-like frequencies, ~4.1 annotations per sample.", "",
        "| what | size | time / rate |", "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows], "",
        "Targets: annotation loading >= 100k annotations/s; every cohort export (tissue + disease "
        "with descendants) <= 0.5 s; top 20 of the review queue <= 0.2 s. Query times are 5 runs "
        "each; CPU is the process time over all threads (stable when other jobs load the "
        "machine, unlike wall time).", "",
    ]
    publish("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
