"""Ontology terms, synonyms and the ancestor closure in the warehouse."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import duckdb
import pyarrow as pa

from harmonize.ontology.closure import closure_rows, synonym_rows, term_rows
from harmonize.ontology.model import OntologyData
from harmonize.warehouse.arrow import register

#: (term_id, label, ontology, version, obsolete, replaced_by)
TermRow = tuple[str, str, str, str, bool, str | None]


def ontology_rows(data: OntologyData) -> tuple[Iterator[TermRow], Iterator[tuple[str, str, int]],
                                               Iterator[tuple[str, str]]]:
    """Rows for :func:`load_ontology` from a loaded ontology: (terms, ancestors, synonyms)."""
    return term_rows(data), closure_rows(data), synonym_rows(data)


def load_ontology(con: duckdb.DuckDBPyConnection, terms: Iterable[TermRow],
                  ancestors: Iterable[tuple[str, str, int]],
                  synonyms: Iterable[tuple[str, str]] = ()) -> int:
    """Replace the terms, closure and synonyms of the ontologies named in ``terms``.

    Every term is added as its own ancestor at distance 0. One transaction.

    Returns:
        The number of terms loaded.
    """
    cols = list(zip(*terms)) or [()] * 6
    ids = list(cols[0])
    anc = list(zip(*ancestors)) or [(), (), ()]
    syn = list(zip(*synonyms)) or [(), ()]
    con.begin()
    try:
        register(con, "_b_terms", {
            "term_id": ids, "label": list(cols[1]), "ontology": list(cols[2]),
            "version": list(cols[3]), "obsolete": [bool(x) for x in cols[4]],
            "replaced_by": list(cols[5])}, {"obsolete": pa.bool_()})
        register(con, "_b_anc", {"term_id": list(anc[0]), "ancestor_id": list(anc[1]),
                                 "distance": [int(x) for x in anc[2]]}, {"distance": pa.int32()})
        register(con, "_b_syn", {"term_id": list(syn[0]), "synonym": list(syn[1])})
        old = ("(SELECT term_id FROM ontology_terms WHERE ontology IN "
               "(SELECT DISTINCT ontology FROM _b_terms) UNION SELECT term_id FROM _b_terms)")
        con.execute(f"DELETE FROM term_ancestors WHERE term_id IN {old}")
        con.execute(f"DELETE FROM term_synonyms WHERE term_id IN {old}")
        con.execute(f"DELETE FROM ontology_terms WHERE term_id IN {old}")
        con.execute("INSERT INTO ontology_terms SELECT * FROM _b_terms")
        con.execute("INSERT INTO term_ancestors SELECT term_id, ancestor_id, min(distance) "
                    "FROM (SELECT * FROM _b_anc UNION ALL SELECT term_id, term_id, 0 FROM _b_terms)"
                    " GROUP BY ALL")
        con.execute("INSERT INTO term_synonyms SELECT DISTINCT term_id, synonym FROM _b_syn "
                    "WHERE synonym IS NOT NULL AND synonym <> ''")
        for name in ("_b_terms", "_b_anc", "_b_syn"):
            con.unregister(name)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(ids)
