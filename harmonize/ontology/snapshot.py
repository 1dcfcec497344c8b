"""Load the ontology snapshot embedded in the ``cellxgene-ontology-guide`` wheel (offline).

Provenance: ``cellxgene_ontology_guide/data/<ONT>-ontology-<version>.json.zst``, each a JSON
object ``{term_id: {label, synonyms?, ancestors: {id: distance}, deprecated, replaced_by?}}``;
``latest_ontology_info.json`` names the current version of each ontology. Cellosaurus ids come
as ``CVCL_0030`` and are turned into CURIEs (``CVCL:0030``).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import zstandard

from harmonize.errors import OntologyError
from harmonize.ontology.model import OntologyData, TermData

_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)[_:](.+)$")


def data_dir() -> Path:
    """The folder holding the snapshot files."""
    return Path(str(resources.files("cellxgene_ontology_guide") / "data"))


def latest_versions() -> dict[str, str]:
    """``{ontology name: version}`` as the package declares its current release."""
    info = json.loads((data_dir() / "latest_ontology_info.json").read_text())
    return {name: meta["version"] for name, meta in info["ontologies"].items()}


def to_curie(raw: str) -> str:
    """``CVCL_0030`` -> ``CVCL:0030``; CURIEs pass through."""
    m = _CURIE.match(raw.strip())
    return f"{m.group(1)}:{m.group(2)}" if m else raw.strip()


def load_snapshot(name: str, version: str | None = None) -> OntologyData:
    """Load one ontology (``UBERON``, ``CL``, ``MONDO``, ``EFO``, ``CVCL``, ``PATO``...).

    Example:
        >>> uberon = load_snapshot("UBERON")
        >>> uberon.terms["UBERON:0002107"].label
        'liver'
    """
    versions = latest_versions()
    version = version or versions.get(name)
    if version is None:
        raise OntologyError(f"ontology {name!r} is not in the embedded snapshot; "
                            f"known: {', '.join(sorted(versions))}")
    path = data_dir() / f"{name}-ontology-{version}.json.zst"
    if not path.exists():
        raise OntologyError(f"snapshot file {path} is missing; reinstall cellxgene-ontology-guide")
    with path.open("rb") as fh:
        raw = json.loads(zstandard.ZstdDecompressor().stream_reader(fh).read())
    terms: dict[str, TermData] = {}
    for raw_id, rec in raw.items():
        tid = to_curie(raw_id)
        replaced = rec.get("replaced_by")
        terms[tid] = TermData(
            id=tid,
            label=rec.get("label") or tid,
            synonyms=[(s, "unknown") for s in rec.get("synonyms") or ()],
            ancestors={to_curie(a): int(d) for a, d in (rec.get("ancestors") or {}).items()},
            obsolete=bool(rec.get("deprecated")),
            replaced_by=to_curie(replaced) if replaced else None,
            definition=str(rec.get("description") or ""),
        )
    return OntologyData(name=name, version=version, origin=f"snapshot:{path.name}", terms=terms)
