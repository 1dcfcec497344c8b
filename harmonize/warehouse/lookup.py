"""Resolve what a user typed (a CURIE or a label/synonym) to ontology terms in the warehouse."""

from __future__ import annotations

import re
from collections.abc import Iterator

import duckdb

from harmonize.errors import AmbiguousTermError, OntologyError
from harmonize.facets import LOOKUP_ONTOLOGIES

_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9.]*[:_][A-Za-z0-9][\w.-]*$")

#: Ontologies whose terms a facet normally uses; a label is looked up there first.
FACET_ONTOLOGIES: dict[str, tuple[str, ...]] = LOOKUP_ONTOLOGIES


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


def facet_ontologies(facet: str) -> tuple[str, ...]:
    """The ontologies whose terms may stand for ``facet``: those the ontology manifest
    (``ontologies/manifest.toml`` [facets]) grounds it with, then the others it usually takes."""
    from harmonize.ontology.manifest import load_manifest

    return tuple(dict.fromkeys((*load_manifest().for_facet(facet),
                                *FACET_ONTOLOGIES.get(facet, ()))))


def term_ontology(con: duckdb.DuckDBPyConnection, term_id: str) -> tuple[str, str | None]:
    """``(ontology, label)`` of a term: from ``ontology_terms``, else the CURIE prefix."""
    found = _rows(con, "SELECT ontology, label FROM ontology_terms WHERE term_id = ?", [term_id])
    if found:
        return found[0][0], found[0][1]
    return term_id.replace("_", ":", 1).partition(":")[0].upper(), None


def check_facet_term(con: duckdb.DuckDBPyConnection, facet: str, term_id: str,
                     given: str | None = None) -> None:
    """Refuse a term of an ontology that does not describe ``facet`` (a MONDO term as a tissue).

    Raises:
        OntologyError: names the term, its ontology and the ontologies the facet takes.
    """
    allowed = facet_ontologies(facet)
    ontology, label = term_ontology(con, term_id)
    if not allowed or ontology in allowed:
        return
    shown = f"{given!r} = {term_id}" if given and given != term_id else term_id
    raise OntologyError(f"{shown}{f' ({label})' if label else ''} is a {ontology} term, not a "
                        f"{facet}: {facet} takes {' or '.join(allowed)} terms")


def used_terms(con: duckdb.DuckDBPyConnection, facet: str) -> list[tuple[str, str, int]]:
    """``(term_id, label, n_samples)`` of every term annotating ``facet`` in this warehouse."""
    from harmonize.warehouse import materialize

    if materialize.is_current(con):
        sql = "SELECT term_id, label, n_samples FROM facet_terms WHERE facet = ?"
    else:  # a warehouse published by an older harmonize: count the live annotations
        sql = ("SELECT term_id, any_value(term_label), count(DISTINCT sample_id) FROM annotations "
               "WHERE facet = ? AND term_id IS NOT NULL GROUP BY term_id")
    return _rows(con, sql, [facet])


def closest_labels(terms: list[tuple[str, str, int]], text: str, limit: int = 5) -> str:
    """The labels of ``terms`` (from :func:`used_terms`) most like ``text``, for an error line."""
    from rapidfuzz import fuzz

    scored = sorted(((fuzz.WRatio(text.casefold(), (label or tid).casefold()), n, tid, label)
                     for tid, label, n in terms), key=lambda r: (-r[0], -r[1], r[2]))
    return "; ".join(f"{label or tid} ({tid}, {n:,} sample{'s' if n != 1 else ''})"
                     for _, n, tid, label in scored[:limit])


def with_descendants(con: duckdb.DuckDBPyConnection, term_ids: list[str]) -> list[str]:
    """``term_ids`` plus every term whose closure contains one of them."""
    rows = _rows(con, "SELECT DISTINCT term_id FROM term_ancestors "
                 "WHERE ancestor_id IN (SELECT unnest(?::VARCHAR[]))", [term_ids])
    return sorted({r[0] for r in rows} | set(term_ids))
