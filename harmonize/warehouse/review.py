"""The curation loop: write the review queue as a TSV, read the curator's decisions back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from harmonize.errors import OntologyError, ParseError
from harmonize.ground.sample_type_features import SAMPLE_TYPE_LABELS
from harmonize.models import FACETS
from harmonize.warehouse.annotations import Override, normalize_text
from harmonize.warehouse.db import connect_read, resolve_path
from harmonize.warehouse.lookup import facet_ontologies

COLUMNS = ("facet", "source_text", "n_samples", "status", "term_id", "term_label", "confidence",
           "candidates", "decision_term_id", "curator", "note")
REJECT = "reject"


def _candidates_text(raw: str | None) -> str:
    if not raw:
        return ""
    try:
        items = json.loads(raw)
    except ValueError:
        return ""
    return " | ".join(f"{c.get('term_id')} {c.get('term_label')} ({c.get('score')})"
                      for c in items[:5])


def _clean(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def write_review(path_db: str | Path | None, out_tsv: str | Path, limit: int | None = None) -> int:
    """Write needs_review / unmapped values, most samples touched first; returns rows written.

    The curator fills ``decision_term_id`` (a term id, or ``reject``), ``curator`` and ``note``.
    """
    con = connect_read(path_db)
    try:
        rows = con.execute(
            "SELECT facet, source_text, n_samples, status, term_id, term_label, confidence, "
            "candidates FROM review_queue ORDER BY n_samples DESC, facet, source_text "
            "LIMIT ?", [limit if limit is not None else 2**62]).fetchall()
    finally:
        con.close()
    with open(out_tsv, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(COLUMNS)
        for facet, text, n, status, term, label, conf, cands in rows:
            w.writerow([facet, _clean(text), n, status, term or "", _clean(label),
                        "" if conf is None else f"{conf:.3f}", _candidates_text(cands),
                        "", "", ""])
    return len(rows)


def read_decisions(tsv: str | Path,
                   db: str | Path | duckdb.DuckDBPyConnection | None = None) -> list[Override]:
    """Read the filled review TSV into overrides; rows without a decision are skipped.

    ``decision_term_id`` must be a term in ``ontology_terms`` of ``db`` (a connection or a
    warehouse path; default the usual warehouse), one of the sample types for facet
    ``sample_type`` (``cell_line``, ``primary_cells``...) or ``reject``.

    Raises:
        ParseError: a missing column or a malformed row (names the file and line).
        ParseError: an unknown facet (names the file and line).
        OntologyError: an unknown term id, or a term of an ontology the facet does not take
            (a MONDO term as a tissue; names the file and line).
    """
    path = Path(tsv)
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = {"facet", "source_text", "decision_term_id"} - set(reader.fieldnames or ())
        if missing:
            raise ParseError(f"missing column(s) {', '.join(sorted(missing))}", origin=str(path))
        wanted = [(reader.line_num, row) for row in reader]
    decided = [(n, r) for n, r in wanted if (r.get("decision_term_id") or "").strip()]
    terms = _terms(db, {r["decision_term_id"].strip() for _, r in decided})
    out = []
    for line, row in decided:
        facet, text = (row.get("facet") or "").strip(), (row.get("source_text") or "").strip()
        decision = row["decision_term_id"].strip()
        if not facet or not text:
            raise ParseError("facet and source_text must not be empty", origin=str(path),
                             record_id=f"line {line}")
        if facet not in FACETS:
            raise ParseError(f"unknown facet {facet!r}; use one of {', '.join(FACETS)}",
                             origin=str(path), record_id=f"line {line}")
        if decision.lower() == REJECT:
            term, label = None, None
        elif facet == "sample_type":
            if decision not in SAMPLE_TYPE_LABELS:
                raise OntologyError(
                    f"{path} line {line}: {decision!r} is no sample type; use one of "
                    f"{', '.join(SAMPLE_TYPE_LABELS)} (or 'reject')")
            term, label = decision, SAMPLE_TYPE_LABELS[decision]
        elif decision in terms:
            term, (label, ontology) = decision, terms[decision]
            allowed = facet_ontologies(facet)
            if allowed and ontology not in allowed:
                raise OntologyError(
                    f"{path} line {line}: {decision} ({label}) is a {ontology} term, not a "
                    f"{facet}: a {facet} decision takes {' or '.join(allowed)} terms (or 'reject')")
        else:
            raise OntologyError(f"{path} line {line}: unknown term id {decision!r} "
                                "(not in ontology_terms; use a term id or 'reject'; a "
                                f"sample_type is one of {', '.join(SAMPLE_TYPE_LABELS)})")
        out.append(Override(facet, text, term, label, (row.get("curator") or "").strip() or None,
                            (row.get("note") or "").strip() or None, normalize_text(text)))
    return out


def _terms(db, ids: set[str]) -> dict[str, tuple[str, str]]:
    """``{term_id: (label, ontology)}`` of the ``ids`` that are in ``ontology_terms``."""
    ids = {i for i in ids if i.lower() != REJECT}
    if not ids:
        return {}
    own = not isinstance(db, duckdb.DuckDBPyConnection)
    con = connect_read(resolve_path(db)) if own else db
    try:
        return {t: (label, ontology) for t, label, ontology in con.execute(
            "SELECT term_id, label, ontology FROM ontology_terms WHERE term_id IN "
            "(SELECT unnest(?::VARCHAR[]))", [sorted(ids)]).fetchall()}
    finally:
        if own:
            con.close()
