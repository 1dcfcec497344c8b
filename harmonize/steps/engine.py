"""Assemble the grounding engine: the cached lexicon, overrides, grounder, ontology access.

Curator overrides come from ``ontologies/overrides.tsv`` and, when a warehouse connection is
given, from its ``curator_overrides`` table (the warehouse wins: it holds the latest decisions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from harmonize.ontology.model import OntologyData


@dataclass(slots=True)
class Engine:
    """The grounder plus access to the ontologies it was built from."""

    grounder: object

    @staticmethod
    def ontology_versions() -> dict[str, str]:
        """The release of each lexicon ontology (cheap: nothing is loaded)."""
        from harmonize.ground.sources import ontology_versions

        return ontology_versions()

    @staticmethod
    def load_ontologies(names: Iterable[str]) -> dict[str, OntologyData]:
        """Load some lexicon ontologies, for the warehouse's term tables."""
        from harmonize.ground.sources import load_ontologies

        names = tuple(names)
        return load_ontologies(names) if names else {}


def overrides_for(con: duckdb.DuckDBPyConnection | None) -> dict[tuple[str, str], str]:
    """Repository overrides updated with the warehouse's curator decisions."""
    from harmonize.ground.overrides import REJECT, load_overrides, override_key

    out = load_overrides()
    if con is not None:
        from harmonize.warehouse.annotations import load_overrides as warehouse_overrides

        for o in warehouse_overrides(con).values():
            out[override_key(o.facet, o.text)] = o.term_id or REJECT
    return out


def load_engine(con: duckdb.DuckDBPyConnection | None = None, use_embeddings: bool = True,
                model: str | None = None) -> Engine:
    """Build the engine (the lexicon comes from its disk cache after the first build)."""
    from harmonize.ground import Grounder, load_lexicon

    grounder = Grounder(load_lexicon(), overrides=overrides_for(con),
                        use_embeddings=use_embeddings, model=model)
    return Engine(grounder)
