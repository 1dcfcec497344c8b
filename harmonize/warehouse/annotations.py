"""Grounding in and out of the warehouse: what to annotate, annotations, cache, overrides, terms."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import duckdb

from harmonize.models import Annotation
from harmonize.warehouse.arrow import FLOAT, TS, register
from harmonize.warehouse.db import utcnow
from harmonize.warehouse.terms import load_ontology, ontology_rows

__all__ = ["Override", "SampleInput", "add_overrides", "annotation_counts", "load_cache",
           "load_ontology", "load_overrides", "normalize_text", "ontology_rows",
           "replace_annotations", "samples_to_annotate", "save_cache", "study_sample_ids"]

ANNOTATE_BATCH = 10_000
_ANN_COLS = ("sample_id", "facet", "term_id", "term_label", "confidence", "method", "status",
             "source_key", "source_text", "lexicon_version", "annotated_at", "candidates")


@dataclass(slots=True)
class SampleInput:
    """What the grounder needs about one sample (all its records' texts merged).

    ``attributes`` maps original key -> value (distinct values of one key joined with '; '),
    ``text`` is title and description, ``library`` is like ``Library.as_texts()``.
    """

    sample_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    library: dict[str, str] = field(default_factory=dict)
    #: the sample's study (its GEO series, else SRA study, else BioProject), or ``None``
    study: str | None = None


def normalize_text(text: str) -> str:
    """Default normalization of override texts: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def _add_value(target: dict[str, str], key: str, value: str | None) -> None:
    if value is None or not str(value).strip():
        return
    value = str(value).strip()
    old = target.get(key)
    if old is None:
        target[key] = value
    elif value.casefold() not in (v.casefold() for v in old.split("; ")):
        target[key] = f"{old}; {value}"


def samples_to_annotate(con: duckdb.DuckDBPyConnection, lexicon_version: str,
                        only_changed: bool = True,
                        batch_size: int = ANNOTATE_BATCH,
                        ids: list[str] | None = None) -> Iterator[SampleInput]:
    """Yield the samples to (re)annotate with ``lexicon_version``, in batches.

    ``only_changed`` keeps samples never annotated with this lexicon version or updated since;
    ``ids`` (from :func:`sample_ids_to_annotate`) skips that query.
    Each batch is fully read before it is yielded, so the caller may write on ``con`` between
    items (e.g. :func:`replace_annotations`).
    """
    if ids is None:
        ids = sample_ids_to_annotate(con, lexicon_version, only_changed)
    for start in range(0, len(ids), batch_size):
        yield from _sample_inputs(con, ids[start:start + batch_size])


def sample_ids_to_annotate(con: duckdb.DuckDBPyConnection, lexicon_version: str,
                           only_changed: bool = True) -> list[str]:
    """The ids of the samples :func:`samples_to_annotate` would yield, in order."""
    where = ""
    if only_changed:
        # version '' marks samples that yielded no annotation and no version to record
        where = ("WHERE NOT EXISTS (SELECT 1 FROM annotated_samples a WHERE a.sample_id = "
                 "s.sample_id AND a.lexicon_version IN (?, '') "
                 "AND a.annotated_at >= s.updated_at)")
    return [r[0] for r in con.execute(
        f"SELECT sample_id FROM samples s {where} ORDER BY sample_id",
        [lexicon_version] if only_changed else []).fetchall()]


def annotation_snapshot(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], tuple]:
    """``{(sample_id, facet, source_key): (term_id, status, confidence)}`` to diff two passes."""
    rows = con.execute("""SELECT sample_id, facet, source_key, term_id, status,
                                 round(confidence, 3) FROM annotations""").fetchall()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


def sample_text(title: str | None, description: str | None) -> str | None:
    """A sample's free text as the grounder reads it: its title and description, one per line."""
    parts = [p for p in (title, description) if p and p.strip()]
    return "\n".join(parts) if parts else None


def _sample_inputs(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[SampleInput]:
    register(con, "_b_ann_ids", {"sample_id": ids})
    out = {sid: SampleInput(sid) for sid in ids}
    for sid, title, desc in con.execute(
            "SELECT sample_id, title, description FROM samples "
            "WHERE sample_id IN (SELECT sample_id FROM _b_ann_ids)").fetchall():
        out[sid].text = sample_text(title, desc)
    for sid, key, value in con.execute(
            "SELECT sample_id, key, value FROM sample_attributes "
            "WHERE sample_id IN (SELECT sample_id FROM _b_ann_ids) "
            "ORDER BY sample_id, source, record_accession, ord").fetchall():
        if key:
            _add_value(out[sid].attributes, key, value)
    for row in con.execute(
            "SELECT sample_id, strategy, source_kind, selection, layout, protocol, instrument, "
            "platform FROM libraries WHERE sample_id IN (SELECT sample_id FROM _b_ann_ids) "
            "ORDER BY sample_id, source, record_accession").fetchall():
        lib = out[row[0]].library
        for name, value in zip(("strategy", "source", "selection", "layout", "protocol",
                                "instrument", "platform"), row[1:]):
            _add_value(lib, f"library_{name}", value)
    for sid, study in _studies(con):
        out[sid].study = study
    con.unregister("_b_ann_ids")
    return [out[sid] for sid in ids]


def _studies(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """``(sample_id, study)`` of the samples in ``_b_ann_ids`` that have one: the GEO series,
    else the SRA study, else the BioProject (the first accession of that kind)."""
    return con.execute(
        "SELECT sample_id, coalesce(min(accession) FILTER (WHERE kind = 'gse'), "
        "min(accession) FILTER (WHERE kind = 'srp'), "
        "min(accession) FILTER (WHERE kind = 'bioproject')) AS study FROM sample_accessions "
        "WHERE sample_id IN (SELECT sample_id FROM _b_ann_ids) GROUP BY sample_id "
        "HAVING study IS NOT NULL").fetchall()


def study_sample_ids(con: duckdb.DuckDBPyConnection, studies: Iterable[str]) -> list[str]:
    """The ids of the samples that carry one of ``studies`` as an accession, in order."""
    studies = sorted(set(studies))
    if not studies:
        return []
    register(con, "_b_st", {"accession": studies})
    rows = con.execute("SELECT DISTINCT sample_id FROM sample_accessions "
                       "WHERE accession IN (SELECT accession FROM _b_st) "
                       "ORDER BY sample_id").fetchall()
    con.unregister("_b_st")
    return [r[0] for r in rows]


def study_values(con: duckdb.DuckDBPyConnection, studies: Iterable[str],
                 keep: Callable[[str, str], bool],
                 view: Callable[[dict[str, str], str | None], Mapping[str, str]] | None = None
                 ) -> dict[str, list[dict[str, str]]]:
    """Per study, the ``{key: value}`` of each of its samples that ``keep(key, value)`` takes
    (what the study-controls stage reads of the samples outside a batch; the caller decides
    which keys count, as the grounder compares them). ``view(attributes, text)``: what that
    stage reads of a sample besides its attributes (its title), given its title and
    description as the grounder's text."""
    studies = sorted(set(studies))
    if not studies:
        return {}
    register(con, "_b_st", {"accession": studies})
    rows = con.execute(
        "SELECT x.accession, a.sample_id, a.key, a.value FROM sample_accessions x "
        "JOIN sample_attributes a ON a.sample_id = x.sample_id "
        "WHERE x.accession IN (SELECT accession FROM _b_st)").fetchall()
    texts = con.execute(
        "SELECT x.accession, s.sample_id, s.title, s.description FROM sample_accessions x "
        "JOIN samples s ON s.sample_id = x.sample_id "
        "WHERE x.accession IN (SELECT accession FROM _b_st)").fetchall() if view else []
    con.unregister("_b_st")
    whole: dict[tuple[str, str], dict[str, str]] = {}
    for study, sid, key, value in rows:
        if value:
            _add_value(whole.setdefault((study, sid), {}), key, value)
    for study, sid, title, desc in texts:
        seen = view(whole.setdefault((study, sid), {}), sample_text(title, desc))
        whole[(study, sid)] = dict(seen)
    out: dict[str, list[dict[str, str]]] = {}
    for (study, _), attrs in whole.items():
        kept = {k: v for k, v in attrs.items() if keep(k, v)}
        if kept:
            out.setdefault(study, []).append(kept)
    return out


def _candidates_json(a: Annotation) -> str | None:
    if not a.candidates or a.status == "accepted":
        return None
    return json.dumps([{"term_id": c.term_id, "term_label": c.term_label,
                        "score": round(c.score, 4), "method": c.method}
                       for c in a.candidates[:5]], ensure_ascii=False)


def replace_annotations(con: duckdb.DuckDBPyConnection, sample_ids: Iterable[str],
                        annotations: Iterable[tuple[str, Annotation]],
                        lexicon_version: str | None = None) -> int:
    """Replace every annotation of ``sample_ids`` with ``annotations`` (one transaction).

    The samples are marked annotated with ``lexicon_version`` (default: the version the
    annotations carry), so :func:`samples_to_annotate` skips them until they change. Pass it
    explicitly: a batch without any annotation has no version to take it from (its samples
    are then recorded with version ``''``, which every version accepts).

    Returns:
        The number of annotation rows written.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short tuples, no cycles: collection passes are pure overhead
    try:
        return _replace_annotations(con, sample_ids, annotations, lexicon_version)
    finally:
        if gc_was_enabled:
            gc.enable()


def _replace_annotations(con, sample_ids, annotations, lexicon_version) -> int:
    ids = list(dict.fromkeys(sample_ids))
    now = utcnow()
    rows = [(sid, a.facet, a.term_id, a.term_label, a.confidence, a.method, a.status,
             a.source_key, a.source_text, a.lexicon_version,
             _candidates_json(a) if a.candidates else None) for sid, a in annotations]
    cols = [[r[i] for r in rows] for i in range(11)]
    sid_col, lex = cols[0], cols[9]
    version = lexicon_version or next((v for v in lex if v), None) or ""
    n = len(sid_col)
    con.begin()
    try:
        register(con, "_b_ann_del", {"sample_id": ids})
        # a sample with annotations always has an annotated_samples row (merges re-point both),
        # so first annotations of new samples skip the delete scan over all annotations
        if con.execute("SELECT count(*) FROM annotated_samples WHERE sample_id IN "
                       "(SELECT sample_id FROM _b_ann_del)").fetchall()[0][0]:
            con.execute("DELETE FROM annotations WHERE sample_id IN "
                        "(SELECT sample_id FROM _b_ann_del)")
            con.execute("DELETE FROM annotated_samples WHERE lexicon_version = ? AND sample_id "
                        "IN (SELECT sample_id FROM _b_ann_del)", [version])
        con.execute("INSERT INTO annotated_samples SELECT sample_id, ?, ? FROM _b_ann_del",
                    [version, now])
        if n:
            register(con, "_b_ann", dict(zip(_ANN_COLS, (*cols[:10], [now] * n, cols[10]))),
                     {"confidence": FLOAT, "annotated_at": TS})
            con.execute("INSERT INTO annotations SELECT * FROM _b_ann")
            con.unregister("_b_ann")
        con.unregister("_b_ann_del")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return n


def load_cache(con: duckdb.DuckDBPyConnection, lexicon_version: str) -> dict[tuple[str, str], str]:
    """The mapping cache of one lexicon version: ``{(facet, norm_text): result json}``."""
    return {(f, t): r for f, t, r in con.execute(
        "SELECT facet, norm_text, result FROM mapping_cache WHERE lexicon_version = ?",
        [lexicon_version]).fetchall()}


def save_cache(con: duckdb.DuckDBPyConnection, lexicon_version: str,
               items: Iterable[tuple[str, str, str]]) -> int:
    """Store ``(facet, norm_text, result json)`` items (replacing the same keys); returns count."""
    latest = {(f, t): r if isinstance(r, str) else json.dumps(r) for f, t, r in items}
    if not latest:
        return 0
    keys = list(latest)
    register(con, "_b_cache", {
        "facet": [k[0] for k in keys], "norm_text": [k[1] for k in keys],
        "lexicon_version": [lexicon_version] * len(keys), "result": list(latest.values()),
        "created_at": [utcnow()] * len(keys)}, {"created_at": TS})
    con.execute("INSERT OR REPLACE INTO mapping_cache SELECT facet, norm_text, lexicon_version, "
                "result::JSON, created_at FROM _b_cache")
    con.unregister("_b_cache")
    return len(keys)


@dataclass(frozen=True, slots=True)
class Override:
    """A curator decision: ``term_id`` None means "this text maps to nothing"."""

    facet: str
    text: str
    term_id: str | None
    term_label: str | None = None
    curator: str | None = None
    note: str | None = None
    norm_text: str = ""


def load_overrides(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Override]:
    """Curator overrides keyed by ``(facet, norm_text)``; the latest decision per key wins."""
    out: dict[tuple[str, str], Override] = {}
    for facet, text, norm, term, label, curator, note in con.execute(
            "SELECT facet, text, norm_text, term_id, term_label, curator, note "
            "FROM curator_overrides ORDER BY created_at, rowid").fetchall():
        out[(facet, norm)] = Override(facet, text, term, label, curator, note, norm)
    return out


def add_overrides(con: duckdb.DuckDBPyConnection, rows: Iterable[Override]) -> int:
    """Store curator decisions (kept as history; :func:`load_overrides` returns the latest)."""
    rows = list(rows)
    if not rows:
        return 0
    now = utcnow()
    register(con, "_b_ovr", {
        "facet": [r.facet for r in rows], "text": [r.text for r in rows],
        "norm_text": [r.norm_text or normalize_text(r.text) for r in rows],
        "term_id": [r.term_id for r in rows], "term_label": [r.term_label for r in rows],
        "curator": [r.curator for r in rows], "note": [r.note for r in rows],
        "created_at": [now] * len(rows)}, {"created_at": TS})
    con.execute("INSERT INTO curator_overrides SELECT * FROM _b_ovr")
    con.unregister("_b_ovr")
    return len(rows)


def annotation_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """``{facet: {status: annotations}}`` plus ``{"_samples": {"annotated": n, "total": n}}``."""
    out: dict[str, dict[str, int]] = {}
    for facet, status, n in con.execute(
            "SELECT facet, status, count(*) FROM annotations GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        out.setdefault(facet, {})[status] = n
    total, annotated = con.execute(
        "SELECT (SELECT count(*) FROM samples), "
        "(SELECT count(DISTINCT sample_id) FROM annotations)").fetchall()[0]
    out["_samples"] = {"total": total, "annotated": annotated}
    return out

