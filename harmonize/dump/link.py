"""Resolve dump links globally and load one SRA record per experiment.

Links are resolved in SQL over every staged object (any member, file or earlier run):
experiment -> sample by ``SAMPLE_DESCRIPTOR@accession``, else ``SRA_Accessions.tab``, else the
sample alias named by ``refname`` (same submission first); run -> experiment the same way;
experiment -> study by ``STUDY_REF@accession``; a GEO-brokered sample whose alias is its GSM
gets that GSM (and Accessions.tab's BioSample) as links. Only experiments touched by changed objects
(``pending``) are rebuilt, in fixed-size batches whose completion is recorded, so a killed
link pass resumes and a complete re-run rebuilds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

import duckdb

from harmonize.dump.filters import DumpFilter
from harmonize.models import Reject, SampleRecord
from harmonize.parse.accessions import unique
from harmonize.parse.insdc import DumpObject, package, run_only, sample_only
from harmonize.warehouse.arrow import INT, register
from harmonize.warehouse.load import LoadStats, done_batches, mark_batch, upsert_records

LINK_BATCH = 5000

_LINK_SQL = """
CREATE OR REPLACE TEMP TABLE _link_exp AS
WITH s AS (SELECT accession, alias, submission FROM dump_objects WHERE kind = 'sample'),
tab AS (SELECT accession, any_value(sample) AS sample FROM sra_accessions
        WHERE type = 'EXPERIMENT' AND sample IS NOT NULL GROUP BY accession),
by_sub AS (SELECT submission, alias, min(accession) AS acc FROM s WHERE alias IS NOT NULL
           GROUP BY submission, alias),
by_name AS (SELECT alias, min(accession) AS acc FROM s WHERE alias IS NOT NULL
            GROUP BY alias HAVING count(*) = 1)
SELECT e.accession, e.study, e.pending,
       coalesce(e.ref_accession, tab.sample, bs.acc, bn.acc) AS sample_acc
FROM dump_objects e
LEFT JOIN tab ON tab.accession = e.accession
LEFT JOIN by_sub bs ON e.ref_accession IS NULL AND bs.submission = e.submission
                    AND bs.alias = e.ref_name
LEFT JOIN by_name bn ON e.ref_accession IS NULL AND bn.alias = e.ref_name
WHERE e.kind = 'experiment';

CREATE OR REPLACE TEMP TABLE _link_run AS
WITH x AS (SELECT accession, alias, submission FROM dump_objects WHERE kind = 'experiment'),
tab AS (SELECT accession, any_value(experiment) AS experiment FROM sra_accessions
        WHERE type = 'RUN' AND experiment IS NOT NULL GROUP BY accession),
by_sub AS (SELECT submission, alias, min(accession) AS acc FROM x WHERE alias IS NOT NULL
           GROUP BY submission, alias)
SELECT r.accession, r.pending, coalesce(r.ref_accession, tab.experiment, bs.acc) AS exp_acc
FROM dump_objects r
LEFT JOIN tab ON tab.accession = r.accession
LEFT JOIN by_sub bs ON r.ref_accession IS NULL AND bs.submission = r.submission
                    AND bs.alias = r.ref_name
WHERE r.kind = 'run';

-- the Accessions.tab rows of staged objects only (joined per batch without re-reading the tab)
CREATE OR REPLACE TEMP TABLE _link_tab AS
SELECT t.accession, any_value(t.sample) AS sample, any_value(t.biosample) AS biosample
FROM sra_accessions t SEMI JOIN dump_objects d ON d.accession = t.accession
GROUP BY t.accession;

CREATE OR REPLACE TEMP TABLE _link_dirty AS
SELECT DISTINCT e.accession, e.sample_acc, s.accession IS NOT NULL AS has_sample
FROM _link_exp e
LEFT JOIN dump_objects s ON s.kind = 'sample' AND s.accession = e.sample_acc
LEFT JOIN dump_objects st ON st.kind = 'study' AND st.accession = e.study
WHERE e.pending OR coalesce(s.pending, false) OR coalesce(st.pending, false)
   OR e.accession IN (SELECT exp_acc FROM _link_run WHERE pending);
"""
_ORDER_SQL = """
CREATE OR REPLACE TEMP TABLE _link_order AS
SELECT accession, row_number() OVER (ORDER BY accession) - 1 AS rn FROM _link_dirty;
"""
# Where each object a batch needs is stored (its rowid), found by one join over the keys for
# the whole pass: a batch then fetches its XML by rowid, which DuckDB filters while scanning
# (a join by accession per batch would hash every staged key again: quadratic in the dump).
_PLAN_SQL = """
CREATE OR REPLACE TEMP TABLE _link_plan AS
SELECT o.rn, e.accession, x.rowid AS x_rid, e.sample_acc, s.rowid AS s_rid, e.study,
       st.rowid AS st_rid, t.sample AS t_sample, t.biosample AS t_biosample,
       ts.biosample AS ts_biosample,
       CASE WHEN regexp_full_match(s.alias, 'GSM[0-9]+') THEN s.alias END AS gsm
FROM _link_order o JOIN _link_exp e USING (accession)
JOIN dump_objects x ON x.kind = 'experiment' AND x.accession = e.accession
LEFT JOIN dump_objects s ON s.kind = 'sample' AND s.accession = e.sample_acc
LEFT JOIN dump_objects st ON st.kind = 'study' AND st.accession = e.study
LEFT JOIN _link_tab t ON t.accession = e.accession
LEFT JOIN _link_tab ts ON ts.accession = e.sample_acc
ORDER BY o.rn;

CREATE OR REPLACE TEMP TABLE _link_run_plan AS
SELECT o.rn, r.accession, d.rowid AS r_rid
FROM _link_run r JOIN _link_order o ON o.accession = r.exp_acc
JOIN dump_objects d ON d.kind = 'run' AND d.accession = r.accession
ORDER BY o.rn, r.accession;
"""


@dataclass(slots=True)
class LinkStats:
    """What a link pass did."""

    records: int = 0
    load: LoadStats = field(default_factory=LoadStats)
    skipped: Counter = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)


def link_pending(con: duckdb.DuckDBPyConnection, filt: DumpFilter, run_id: str | None,
                 on_batch: Callable[[int], None] | None = None,
                 batch_size: int = LINK_BATCH) -> LinkStats:
    """Build and load the records of every experiment touched since the last pass."""
    stats = LinkStats()
    con.execute(_LINK_SQL)
    if filt.organisms:  # without its sample an experiment's organism is unknown: wait for it
        held = con.execute("SELECT count(*) FROM _link_dirty WHERE NOT has_sample").fetchone()[0]
        if held:
            stats.skipped["experiment: its sample is not (yet) loaded"] += held
        con.execute("DELETE FROM _link_dirty WHERE NOT has_sample")
    total = con.execute("SELECT count(*) FROM _link_dirty").fetchone()[0]
    digest = con.execute(  # names this pass: the same pending objects give the same plan
        "SELECT md5(coalesce(string_agg(kind || ':' || accession || ':' || content_hash, ',' "
        "ORDER BY kind, accession), '')) FROM dump_objects WHERE pending").fetchone()[0]
    plan = f"dump-link:{digest}:{total}"
    done = done_batches(con, plan)
    con.execute(_ORDER_SQL)
    retire = con.execute(  # sample-only / run-only records that an experiment may now claim
        "SELECT count(*) > 0 FROM records WHERE source = 'sra' "
        "AND substr(record_accession, 2, 2) IN ('RS', 'RR')").fetchone()[0]
    if len(done) < -(-total // batch_size):  # some batch is left to do
        con.execute(_PLAN_SQL)
    for index, start in enumerate(range(0, total, batch_size)):
        if index in done:
            continue
        records = list(_experiment_records(con, start, start + batch_size, stats))
        _load(con, records, run_id, stats, retire=retire)
        con.execute("BEGIN")
        mark_batch(con, plan, index, run_id)
        con.execute("COMMIT")
        if on_batch:
            on_batch(len(records))
    _orphans(con, filt, run_id, stats)
    con.execute("BEGIN")
    con.execute("UPDATE dump_objects SET pending = false WHERE pending")
    con.execute("COMMIT")
    return stats


def _load(con: duckdb.DuckDBPyConnection, records: list[SampleRecord], run_id: str | None,
          stats: LinkStats, retire: bool = False) -> None:
    if not records:
        return
    if retire:  # sample-only / run-only records of an earlier pass now have their experiment
        _retire(con, records)
    stats.load += upsert_records(con, records, run_id=run_id, batch_size=len(records) + 1)
    stats.records += len(records)


def _retire(con: duckdb.DuckDBPyConnection, records: list[SampleRecord]) -> None:
    names = sorted({a for r in records for a in (*r.accessions, *(x.accession for x in r.runs))
                    if a[:3] in ("SRS", "ERS", "DRS", "SRR", "ERR", "DRR")})
    register(con, "_b_orph", {"record_accession": names})
    con.execute("BEGIN")
    for table in ("records", "sample_attributes", "libraries"):
        con.execute(f"DELETE FROM {table} WHERE source = 'sra' AND record_accession IN "
                    "(SELECT record_accession FROM _b_orph)")
    con.execute("COMMIT")
    con.unregister("_b_orph")


def _experiment_records(con: duckdb.DuckDBPyConnection, start: int, stop: int,
                        stats: LinkStats) -> Iterator[SampleRecord]:
    """The records of the experiments ranked ``start`` to ``stop`` (accession order)."""
    plan, runs, xml = _batch_objects(con, start, stop)
    for acc, x_rid, s_rid, st_rid, *links in plan:
        exp_xml = xml[x_rid]
        try:
            record = package(exp_xml, xml.get(s_rid), xml.get(st_rid), runs.get(acc, ()))
        except (ValueError, TypeError) as exc:
            stats.rejects.append(Reject(origin="sra dump", reason=f"bad experiment: {exc}",
                                        record_id=acc, raw=bytes(exp_xml)))
            continue
        yield _with_links(record, links)


def _batch_objects(con: duckdb.DuckDBPyConnection, start: int, stop: int, retry: bool = True
                   ) -> tuple[list[tuple], dict[str, list[bytes]], dict[int, bytes]]:
    """One batch's plan rows, its runs' XML by experiment and every needed XML by rowid.

    Every fetched row is checked against the kind and accession the plan expects; should a
    checkpoint have moved rows since the plan was made, the plan is rebuilt once.
    """
    plan = con.execute(
        "SELECT accession, x_rid, sample_acc, s_rid, study, st_rid, t_sample, t_biosample, "
        "ts_biosample, gsm FROM _link_plan WHERE rn >= ? AND rn < ? ORDER BY rn",
        [start, stop]).fetchall()
    run_rows = con.execute(
        "SELECT p.accession, r.accession, r.r_rid FROM _link_run_plan r JOIN _link_order p "
        "USING (rn) WHERE r.rn >= ? AND r.rn < ? ORDER BY r.rn, r.accession",
        [start, stop]).fetchall()
    want: dict[int, tuple[str, str]] = {}
    for acc, x_rid, sample_acc, s_rid, study, st_rid, *_ in plan:
        want[x_rid] = ("experiment", acc)
        if s_rid is not None:
            want[s_rid] = ("sample", sample_acc)
        if st_rid is not None:
            want[st_rid] = ("study", study)
    for _, run_acc, r_rid in run_rows:
        want[r_rid] = ("run", run_acc)
    register(con, "_b_rid", {"rid": list(want)}, {"rid": INT})
    got = {rid: (kind, acc, xml) for rid, kind, acc, xml in con.execute(
        "SELECT d.rowid, d.kind, d.accession, d.xml FROM _b_rid b "
        "JOIN dump_objects d ON d.rowid = b.rid").fetchall()}
    con.unregister("_b_rid")
    if any(got.get(rid, (None, None))[:2] != key for rid, key in want.items()):
        if not retry:
            raise RuntimeError("dump link: staged objects moved while linking")
        con.execute(_PLAN_SQL)
        return _batch_objects(con, start, stop, retry=False)
    runs: dict[str, list[bytes]] = {}
    for exp, _, r_rid in run_rows:
        runs.setdefault(exp, []).append(got[r_rid][2])
    rows = [(acc, x_rid, s_rid, st_rid, t_sample, t_bios, ts_bios, gsm)
            for acc, x_rid, _, s_rid, _, st_rid, t_sample, t_bios, ts_bios, gsm in plan]
    return rows, runs, {rid: v[2] for rid, v in got.items()}


def _with_links(record: SampleRecord, links: Iterable[str | None]) -> SampleRecord:
    extra = [a for a in links if a]
    if not extra or all(a in record.accessions for a in extra):
        return record
    return replace(record, accessions=unique([*record.accessions, *extra]))


_ORPHANS_SQL = """
CREATE OR REPLACE TEMP TABLE _orph_samples AS
SELECT row_number() OVER (ORDER BY s.accession) - 1 AS rn, s.accession, t.biosample,
       CASE WHEN regexp_full_match(s.alias, 'GSM[0-9]+') THEN s.alias END AS gsm
FROM dump_objects s LEFT JOIN _link_tab t USING (accession)
WHERE s.kind = 'sample' AND s.pending
  AND s.accession NOT IN (SELECT sample_acc FROM _link_exp WHERE sample_acc IS NOT NULL);

CREATE OR REPLACE TEMP TABLE _orph_runs AS
SELECT row_number() OVER (ORDER BY r.accession) - 1 AS rn, r.accession, t.sample, t.biosample
FROM _link_run r LEFT JOIN _link_tab t ON t.accession = r.accession
WHERE r.pending AND (r.exp_acc IS NULL OR r.exp_acc NOT IN (SELECT accession FROM _link_exp));
"""


def _orphans(con: duckdb.DuckDBPyConnection, filt: DumpFilter, run_id: str | None,
             stats: LinkStats) -> None:
    """Samples no experiment names and runs of no loaded experiment (kept when unfiltered),
    loaded in batches read by row number (memory stays flat however many there are)."""
    con.execute(_ORPHANS_SQL)
    n_samples = con.execute("SELECT count(*) FROM _orph_samples").fetchone()[0]
    n_runs = con.execute("SELECT count(*) FROM _orph_runs").fetchone()[0]
    if filt.by_library and n_samples:
        stats.skipped["sample: no experiment of a kept library (yet)"] += n_samples
        n_samples = 0
    if filt.active and n_runs:
        stats.skipped["run: its experiment is not (yet) loaded"] += n_runs
        n_runs = 0
    for start in range(0, n_samples, LINK_BATCH):
        rows = con.execute(
            "SELECT o.xml, b.biosample, b.gsm FROM _orph_samples b JOIN dump_objects o "
            "ON o.kind = 'sample' AND o.accession = b.accession WHERE b.rn >= ? AND b.rn < ? "
            "ORDER BY b.rn", [start, start + LINK_BATCH]).fetchall()
        _load(con, [_with_links(sample_only(xml), [bs, gsm]) for xml, bs, gsm in rows], run_id,
              stats)
    for start in range(0, n_runs, LINK_BATCH):
        records: list[SampleRecord] = []
        for acc, xml, sample, biosample in con.execute(
                "SELECT b.accession, o.xml, b.sample, b.biosample FROM _orph_runs b "
                "JOIN dump_objects o ON o.kind = 'run' AND o.accession = b.accession "
                "WHERE b.rn >= ? AND b.rn < ? ORDER BY b.rn",
                [start, start + LINK_BATCH]).fetchall():
            try:
                records.append(run_only(xml, [sample, biosample]))
            except ValueError as exc:
                stats.rejects.append(Reject(origin="sra dump", reason=f"bad run: {exc}",
                                            record_id=acc, raw=bytes(xml)))
        _load(con, records, run_id, stats)


def link_in_memory(objects: list[DumpObject], origin: str) -> Iterator[SampleRecord | Reject]:
    """Link the objects of one small file in memory (no warehouse): same records as a dump."""
    by_kind: dict[str, dict[str, DumpObject]] = {}
    for o in objects:
        by_kind.setdefault(o.kind, {})[o.accession] = o
    samples, exps = by_kind.get("sample", {}), by_kind.get("experiment", {})
    studies, runs = by_kind.get("study", {}), by_kind.get("run", {})
    alias = {(o.submission, o.alias): a for a, o in samples.items()}
    exp_alias = {(o.submission, o.alias): a for a, o in exps.items()}
    runs_of: dict[str, list[bytes]] = {}
    orphan_runs = []
    for acc, r in sorted(runs.items()):
        exp = r.ref_accession or exp_alias.get((r.submission, r.ref_name))
        if exp in exps:
            runs_of.setdefault(exp, []).append(r.xml)
        else:
            orphan_runs.append(r)
    used: set[str] = set()
    for acc, e in sorted(exps.items()):
        sample_acc = e.ref_accession or alias.get((e.submission, e.ref_name))
        sample = samples.get(sample_acc or "")
        if sample is not None:
            used.add(sample.accession)
        study = studies.get(e.study or "")
        try:
            yield package(e.xml, sample.xml if sample else None, study.xml if study else None,
                          runs_of.get(acc, ()))
        except (ValueError, TypeError) as exc:
            yield Reject(origin=origin, reason=f"bad experiment: {exc}", record_id=acc,
                         raw=e.xml)
    for acc, s in sorted(samples.items()):
        if acc not in used:
            yield sample_only(s.xml)
    for r in orphan_runs:
        yield run_only(r.xml)
    if studies and not (samples or exps or runs):
        yield Reject(origin=origin, reason=f"file holds {len(studies)} study record(s) and no "
                     "samples: nothing to load on its own (load it with the dump or the "
                     "experiments that name the study)")
