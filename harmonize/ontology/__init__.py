"""Ontology loading: the embedded snapshot (cellxgene-ontology-guide) or OBO/OWL via pronto.

Both paths return :class:`~harmonize.ontology.model.OntologyData`, so everything downstream
(lexicon, closure tables) is the same whatever the source.
"""

from harmonize.ontology.model import OntologyData, TermData

__all__ = ["OntologyData", "TermData"]
