"""Resolve what a user typed (a CURIE or a label/synonym) to ontology terms in the warehouse."""

from __future__ import annotations

import re
from collections.abc import Iterator

import duckdb

from harmonize.errors import AmbiguousTermError, OntologyError

_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9.]*[:_][A-Za-z0-9][\w.-]*$")

#: Ontologies whose terms a facet normally uses; a label is looked up there first.
FACET_ONTOLOGIES: dict[str, tuple[str, ...]] = {
    "tissue": ("UBERON",), "disease": ("MONDO", "PATO"), "cell_type": ("CL",),
    "cell_line": ("CVCL", "CLO", "EFO"), "sex": ("PATO",),
    "dev_stage": ("UBERON", "HsapDv", "MmusDv", "EFO"), "assay": ("EFO", "OBI"),
}


def _curie(value: str) -> str:
    prefix, _, local = value.replace("_", ":", 1).partition(":")
    return f"{prefix}:{local}" if prefix.upper() != "CVCL" else f"CVCL:{local}"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def resolve_term(con: duckdb.DuckDBPyConnection, facet: str, value: str) -> str:
    """The term id a CURIE or a label/synonym names (obsolete ids follow ``replaced_by``).

    Labels match case-insensitively, exact labels before synonyms, and the facet's usual
    ontologies before the others.

    Raises:
        OntologyError: no term has this id, label or synonym.
        AmbiguousTermError: several terms share the best match (lists them).
    """
    text = value.strip()
    if _CURIE.match(text) and " " not in text:
        tid = _curie(text)
        found = _rows(con, "SELECT term_id, obsolete, replaced_by FROM ontology_terms "
                      "WHERE upper(term_id) = upper(?)", [tid])
        if found:
            term, obsolete, replaced = found[0]
            return replaced if obsolete and replaced else term
        used = _rows(con, "SELECT 1 FROM annotations WHERE term_id = ? LIMIT 1", [tid])
        if used:
            return tid
    preferred = list(FACET_ONTOLOGIES.get(facet, ()))
    for found in _tiers(con, text, preferred):
        if not found:
            continue
        ids = sorted({r[0] for r in found})
        if len(ids) == 1:
            return ids[0]
        listed = "; ".join(f"{r[0]} ({r[1]}, {r[2]})" for r in sorted(set(found))[:10])
        raise AmbiguousTermError(
            f"{value!r} names several {facet} terms: {listed}; use a term id instead")
    if _CURIE.match(text):
        raise OntologyError(f"unknown term {value!r} for {facet}: not in ontology_terms, "
                            "not used by any annotation, and no label or synonym")
    raise OntologyError(f"unknown {facet} term {value!r}: no label or synonym matches "
                        "in ontology_terms (give a term id like UBERON:0002107)")


def _tiers(con: duckdb.DuckDBPyConnection, text: str,
           preferred: list[str]) -> Iterator[list[tuple]]:
    """Candidate rows, best tier first (synonyms are only read when labels do not decide)."""
    labels = _rows(con, "SELECT term_id, label, ontology FROM ontology_terms "
                   "WHERE lower(label) = lower(?) AND NOT obsolete", [text])
    yield [r for r in labels if r[2] in preferred]
    synonyms = _rows(con, "SELECT DISTINCT t.term_id, t.label, t.ontology FROM term_synonyms s "
                     "JOIN ontology_terms t USING (term_id) WHERE lower(s.synonym) = lower(?) "
                     "AND NOT t.obsolete", [text])
    yield [r for r in synonyms if r[2] in preferred]
    yield labels
    yield synonyms


def with_descendants(con: duckdb.DuckDBPyConnection, term_ids: list[str]) -> list[str]:
    """``term_ids`` plus every term whose closure contains one of them."""
    rows = _rows(con, "SELECT DISTINCT term_id FROM term_ancestors "
                 "WHERE ancestor_id IN (SELECT unnest(?::VARCHAR[]))", [term_ids])
    return sorted({r[0] for r in rows} | set(term_ids))
