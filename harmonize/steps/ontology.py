"""Keep the warehouse's ontology tables (ontology_terms, term_ancestors) in step with the lexicon."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import duckdb

from harmonize.ontology.model import OntologyData


def loaded_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """``{ontology: version}`` currently in ontology_terms."""
    from harmonize.warehouse.overview import loaded_ontology_versions

    return loaded_ontology_versions(con)


def sync_ontologies(con: duckdb.DuckDBPyConnection, versions: Mapping[str, str],
                    load: Callable[[Iterable[str]], Mapping[str, OntologyData]]) -> list[str]:
    """Load every ontology whose release differs from the warehouse's; return the names loaded.

    ``versions`` is read cheaply from the manifest, so an up-to-date warehouse loads nothing.
    """
    from harmonize.warehouse.terms import load_ontology, ontology_rows

    from harmonize import progress

    have = loaded_versions(con)
    changed = [name for name, version in versions.items() if have.get(name) != version]
    if not changed:
        return changed
    with progress.task("loading ontology tables", total=len(changed) + 1,
                       unit="steps") as bar:
        loaded = load(changed)
        bar.advance()
        for name, ont in loaded.items():
            bar.note(name)
            load_ontology(con, *ontology_rows(ont))
            bar.advance()
    return changed
