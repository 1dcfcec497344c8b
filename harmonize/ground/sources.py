"""Where the grounding lexicon gets its ontologies (the one place to switch loaders).

Reads ``ontologies/manifest.toml`` through :mod:`harmonize.ontology.manifest` (the embedded
``cellxgene-ontology-guide`` snapshot when no manifest exists).
"""

from __future__ import annotations

from harmonize.ontology.manifest import load_manifest
from harmonize.ontology.manifest import load_ontologies as _load
from harmonize.ontology.manifest import versions as _versions
from harmonize.ontology.model import OntologyData

#: Ontologies the lexicon is built from.
LEXICON_ONTOLOGIES: tuple[str, ...] = ("UBERON", "CL", "MONDO", "CVCL", "PATO", "EFO")


def _wanted(names: tuple[str, ...]) -> tuple[object, list[str]]:
    manifest = load_manifest()
    return manifest, [n for n in names if n in manifest.ontologies]


def load_ontologies(names: tuple[str, ...] = LEXICON_ONTOLOGIES) -> dict[str, OntologyData]:
    """Load the named ontologies that the manifest declares."""
    manifest, wanted = _wanted(names)
    return _load(manifest, wanted)


def ontology_versions(names: tuple[str, ...] = LEXICON_ONTOLOGIES) -> dict[str, str]:
    """``{ontology: release}`` of the named ontologies the manifest declares (nothing is loaded)."""
    manifest, wanted = _wanted(names)
    vers = _versions(manifest)
    return {n: vers.get(n, "?") for n in wanted}


def source_fingerprint(names: tuple[str, ...] = LEXICON_ONTOLOGIES) -> str:
    """A cheap string that changes when an ontology release changes (nothing is loaded)."""
    return ",".join(f"{n}={v}" for n, v in ontology_versions(names).items())
