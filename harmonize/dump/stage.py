"""Parse member batches into filtered objects (pure, runs on a worker) and stage them (SQL).

:func:`parse_batch` needs nothing but the members and the filter, so a Dask worker can run it;
:func:`write_batch` stores a batch's kept objects in ``dump_objects`` in one transaction together
with the file's resume point, so a killed run restarts after its last committed batch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
from lxml import etree

from harmonize.dump.filters import DumpFilter
from harmonize.dump.members import Member
from harmonize.models import Reject
from harmonize.parse.insdc import KINDS, DumpObject, to_object
from harmonize.parse.streams import GZIP_MAGIC, bytes_opener, path_opener
from harmonize.parse.xmlsafe import iter_elements, xml_parser
from harmonize.warehouse.arrow import BLOB, register
from harmonize.warehouse.db import utcnow

_PARSER = xml_parser()


@dataclass(slots=True)
class BatchResult:
    """What one member batch gave: kept objects, rejects, counts by kind and skip reason."""

    members: int = 0
    objects: list[DumpObject] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    parsed: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)


def parse_batch(members: list[Member], filt: DumpFilter) -> BatchResult:
    """Parse and filter a batch of members (no I/O but reading ``path`` members).

    Objects are serialized only once they are known to be kept: the parsed member documents
    stay alive until the end of the batch, so filtered objects cost one parse and no copy.
    """
    out = BatchResult(members=len(members))
    found: list[tuple[DumpObject, etree._Element | bytes | None]] = []
    filtered_exps: set[str] = set()  # experiments of this batch left out by their library
    for m in members:
        if m.kind == "run" and m.data is not None and filtered_exps and (
                n_runs := _runs_of_filtered(m.data, filtered_exps)):
            out.parsed["run"] += n_runs  # a run member of filtered experiments only: not parsed
            out.skipped["run: its experiment was filtered"] += n_runs
            continue
        streamed = m.data is None or m.data.startswith(GZIP_MAGIC)
        for el in _elements(m):
            if isinstance(el, Reject):
                out.rejects.append(el)
                continue
            parent = el.getparent()
            if parent is not None and parent.tag in KINDS:
                continue
            try:
                obj = to_object(el, m.submission, with_xml=False)
            except ValueError as exc:
                out.rejects.append(Reject(origin=m.name, reason=f"bad {el.tag.lower()}: {exc}",
                                          record_id=el.get("alias"),
                                          raw=etree.tostring(el)[:1 << 20]))
                continue
            out.parsed[obj.kind] += 1
            reason = _own_reason(obj, filt)
            if reason:
                out.skipped[f"{obj.kind}: {reason}"] += 1
                found.append((obj, None))  # remembered to drop what links to it
                if obj.kind == "experiment":
                    filtered_exps.add(obj.accession)
            else:  # a streamed element is cleared once we move on: serialize it now
                found.append((obj, etree.tostring(el) if streamed else el))
    kept = _drop_linked(found, out.skipped)
    out.objects = [replace(o, xml=x if isinstance(x, bytes) else etree.tostring(x))
                   for o, x in kept]
    return out


_RUN_TAG = re.compile(rb"<RUN[\s>]")
_EXP_REF = re.compile(rb"<EXPERIMENT_REF\b([^>]*)>")
_ACC_ATTR = re.compile(rb'\baccession\s*=\s*"([^"]+)"')


def _runs_of_filtered(data: bytes, filtered: set[str]) -> int:
    """How many runs a run member holds when every one of them names (by accession) an
    experiment filtered out earlier in the batch; 0 when any run may be kept (parse it)."""
    refs = _EXP_REF.findall(data)
    n_runs = len(_RUN_TAG.findall(data))
    if not refs or len(refs) != n_runs:
        return 0
    for attrs in refs:
        m = _ACC_ATTR.search(attrs)
        if m is None or m.group(1).decode("ascii", "replace").strip().upper() not in filtered:
            return 0
    return n_runs


def _elements(m: Member) -> Iterator[etree._Element | Reject]:
    """The object elements of one member: a whole-document parse for a (small) tar member,
    the streaming loop for files on disk and for broken members (good objects, then a Reject)."""
    if m.data is not None and not m.data.startswith(GZIP_MAGIC):
        try:
            root = etree.fromstring(m.data, _PARSER)
        except etree.XMLSyntaxError:
            pass
        else:
            yield from (root,) if root.tag in KINDS else root.iter(*KINDS)
            return
    opener = bytes_opener(m.data) if m.data is not None else path_opener(Path(m.path or ""))
    yield from iter_elements(opener, tuple(KINDS), m.name, b"<")


def _own_reason(obj: DumpObject, filt: DumpFilter) -> str | None:
    if obj.kind == "sample" and not filt.organism_ok(obj.organism):
        return "organism"
    if obj.kind == "experiment":
        return filt.library_reason(obj.strategy, obj.source)
    return None


Found = tuple[DumpObject, "etree._Element | bytes | None"]


def _drop_linked(found: list[Found], skipped: Counter) -> list[Found]:
    """Drop experiments of samples filtered in this batch and runs of dropped experiments.

    Also keeps the last version of an object named twice in the batch.
    """
    gone_samples = {o.accession for o, x in found if o.kind == "sample" and x is None}
    gone_names = {(o.submission, o.alias) for o, x in found if o.kind == "sample" and x is None}
    gone_exps = {o.accession for o, x in found if o.kind == "experiment" and x is None}
    gone_exp_names = {(o.submission, o.alias) for o, x in found
                      if o.kind == "experiment" and x is None}
    kept: dict[tuple[str, str], Found] = {}
    for o, x in found:
        if x is None:
            continue
        if o.kind == "experiment" and (o.ref_accession in gone_samples or (
                o.ref_accession is None and (o.submission, o.ref_name) in gone_names)):
            skipped["experiment: organism of its sample"] += 1
            gone_exps.add(o.accession)
            gone_exp_names.add((o.submission, o.alias))
        else:
            kept[(o.kind, o.accession)] = (o, x)
    for key, (o, _) in list(kept.items()):
        if o.kind == "run" and (o.ref_accession in gone_exps or (
                o.ref_accession is None and (o.submission, o.ref_name) in gone_exp_names)):
            del kept[key]
            skipped["run: its experiment was filtered"] += 1
    return list(kept.values())


def source_key(path: Path) -> str:
    """A stable key of one dump file version (path, size, mtime)."""
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def source_state(con: duckdb.DuckDBPyConnection, key: str) -> tuple[int, bool]:
    """``(members_done, complete)`` of a dump file (``(0, False)`` when never started)."""
    row = con.execute("SELECT members_done, complete FROM dump_sources WHERE source_key = ?",
                      [key]).fetchone()
    return (int(row[0]), bool(row[1])) if row else (0, False)


def set_source_state(con: duckdb.DuckDBPyConnection, key: str, path: str, members_done: int,
                     complete: bool, counts: dict | None = None) -> None:
    """Record how far a dump file got (inside the caller's transaction)."""
    con.execute("INSERT OR REPLACE INTO dump_sources VALUES (?, ?, ?, ?, ?, ?)",
                [key, path, members_done, complete, json.dumps(counts or {}, sort_keys=True),
                 utcnow()])


_COLS = ("kind", "accession", "alias", "submission", "ref_accession", "ref_name", "study", "xml",
         "content_hash")


def write_objects(con: duckdb.DuckDBPyConnection, objects: list[DumpObject]) -> Counter:
    """Store objects (later version of an accession replaces the earlier); count new/updated."""
    counts: Counter = Counter()
    if not objects:
        return counts
    rows = {c: [] for c in _COLS}
    for o in objects:
        for c in _COLS[:-1]:
            rows[c].append(getattr(o, c))
        rows["content_hash"].append(o.content_hash)
    register(con, "_b_obj", rows, {"xml": BLOB})
    stored = dict(con.execute(
        "SELECT b.kind || ':' || b.accession, d.content_hash = b.content_hash FROM _b_obj b "
        "JOIN dump_objects d USING (kind, accession)").fetchall())
    counts["unchanged"] = sum(1 for same in stored.values() if same)
    counts["updated"] = len(stored) - counts["unchanged"]
    counts["new"] = len(objects) - len(stored)
    if counts["updated"]:
        con.execute("DELETE FROM dump_objects d USING _b_obj b WHERE d.kind = b.kind "
                    "AND d.accession = b.accession AND d.content_hash <> b.content_hash")
    if counts["updated"] or counts["new"]:
        con.execute("INSERT INTO dump_objects SELECT b.*, true FROM _b_obj b "
                    "ANTI JOIN dump_objects d ON d.kind = b.kind AND d.accession = b.accession")
    con.unregister("_b_obj")
    return counts
