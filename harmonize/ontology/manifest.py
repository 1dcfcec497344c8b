"""The ontology manifest: which ontologies feed each facet, and where each one is loaded from.

``ontologies/manifest.toml`` (see its comments) names, per ontology, ``source = "snapshot"``
(the release embedded in cellxgene-ontology-guide, optionally pinned with ``version``) or
``source = "obo"`` with a local ``path`` (OBO / OBO-JSON / OWL read by pronto). ``url`` only
documents where a release comes from: nothing is downloaded here.

Lookup order for the manifest: the ``path`` argument, ``$HARMONIZE_ONTOLOGY_MANIFEST``, the
repository's ``ontologies/manifest.toml``, else the built-in all-snapshot default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harmonize.errors import ConfigError, OntologyError
from harmonize.facets import DEFAULT_ONTOLOGIES
from harmonize.models import FACETS
from harmonize.ontology.model import OntologyData
from harmonize.resources import ONTOLOGIES_DIR

ENV_MANIFEST = "HARMONIZE_ONTOLOGY_MANIFEST"
REPO_MANIFEST = ONTOLOGIES_DIR / "manifest.toml"

_SOURCES = ("snapshot", "obo")
_SOURCE_KEYS = {"source", "version", "path", "url", "follow_consider"}
_TOP_KEYS = {"facets", "ontologies"}

#: Used when no manifest file exists: the facet table's default ontologies.
DEFAULT_FACETS: dict[str, tuple[str, ...]] = DEFAULT_ONTOLOGIES


@dataclass(frozen=True, slots=True)
class OntologySource:
    """Where one ontology comes from."""

    name: str
    source: str  # snapshot | obo
    version: str | None = None  # snapshot release to pin
    path: Path | None = None  # absolute path of the local OBO/OWL file
    url: str | None = None  # documentation of where the release is published
    follow_consider: bool = False


@dataclass(frozen=True, slots=True)
class Manifest:
    """The parsed manifest: sources by ontology name and ontology names by facet."""

    ontologies: dict[str, OntologySource]
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    origin: str = "builtin"

    def for_facet(self, facet: str) -> tuple[str, ...]:
        """The ontologies that feed ``facet`` (empty when none does)."""
        return self.facets.get(facet, ())


def default_manifest() -> Manifest:
    """Every ontology from the embedded snapshot at its current release."""
    names = dict.fromkeys(n for ns in DEFAULT_FACETS.values() for n in ns)
    return Manifest({n: OntologySource(n, "snapshot") for n in names}, dict(DEFAULT_FACETS))


def _source(name: str, raw: Any, base: Path, origin: str) -> OntologySource:
    """Validate one ``[ontologies.NAME]`` table."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{origin}: [ontologies.{name}] must be a table")
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) {', '.join(sorted(unknown))} in "
                          f"[ontologies.{name}]; allowed: {', '.join(sorted(_SOURCE_KEYS))}")
    source = raw.get("source", "snapshot")
    if source not in _SOURCES:
        raise ConfigError(f"{origin}: [ontologies.{name}] source {source!r} is not one of "
                          f"{', '.join(_SOURCES)}")
    path = raw.get("path")
    url = raw.get("url")
    if source == "obo" and not path:
        hint = f"; download {url} and set path to the local copy" if url else ""
        raise ConfigError(f"{origin}: [ontologies.{name}] source 'obo' needs a local path{hint}")
    if source == "snapshot" and path:
        raise ConfigError(f"{origin}: [ontologies.{name}] has a path but source 'snapshot'; "
                          f"set source = \"obo\" to load the file")
    for key in ("version", "path", "url"):
        if key in raw and not isinstance(raw[key], str):
            raise ConfigError(f"{origin}: [ontologies.{name}] {key} must be a string")
    return OntologySource(
        name=name, source=source, version=raw.get("version"),
        path=(base / path).resolve() if path else None, url=url,
        follow_consider=bool(raw.get("follow_consider", False)),
    )


def parse_manifest(data: Mapping[str, Any], base: Path, origin: str = "manifest") -> Manifest:
    """Validate a manifest already read from TOML (paths resolved against ``base``).

    Raises:
        ConfigError: unknown keys or facets, a facet naming an undeclared ontology, an OBO
            source without a path.
    """
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{origin}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                          f"allowed: {', '.join(sorted(_TOP_KEYS))}")
    onts = {name: _source(name, raw, base, origin)
            for name, raw in (data.get("ontologies") or {}).items()}
    facets: dict[str, tuple[str, ...]] = {}
    for facet, names in (data.get("facets") or {}).items():
        if facet not in FACETS:
            raise ConfigError(f"{origin}: unknown facet {facet!r} in [facets]; "
                              f"known: {', '.join(FACETS)}")
        if isinstance(names, str):
            names = [names]
        missing = [n for n in names if n not in onts]
        if missing:
            raise ConfigError(f"{origin}: facet {facet!r} uses {', '.join(missing)}, which "
                              f"[ontologies] does not declare")
        facets[facet] = tuple(names)
    return Manifest(onts, facets, origin)


def manifest_path(path: str | Path | None = None) -> Path | None:
    """The manifest file to use (see the module docstring), or ``None`` for the default."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_MANIFEST)
    if env:
        return Path(env)
    return REPO_MANIFEST if REPO_MANIFEST.is_file() else None


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Read and validate the manifest.

    Raises:
        ConfigError: the file is missing, is not TOML, or does not validate.

    Example:
        >>> m = load_manifest()
        >>> m.for_facet("tissue")
        ('UBERON',)
    """
    file = manifest_path(path)
    if file is None:
        return default_manifest()
    if not file.is_file():
        raise ConfigError(f"ontology manifest {file} does not exist")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"ontology manifest {file} is not valid TOML: {exc}") from exc
    return parse_manifest(data, file.resolve().parent, str(file))


def _check_file(src: OntologySource) -> Path:
    if src.path is None or not src.path.is_file():
        hint = f" (download it from {src.url})" if src.url else ""
        raise OntologyError(f"ontology file {src.path} for {src.name} does not exist{hint}")
    return src.path


def source_version(src: OntologySource) -> str:
    """The release an ontology source will load, without loading it."""
    if src.source == "snapshot":
        from harmonize.ontology.snapshot import data_dir, latest_versions

        version = src.version or latest_versions().get(src.name)
        if version is None:
            raise OntologyError(f"ontology {src.name!r} is not in the embedded snapshot")
        if src.version and not (data_dir() / f"{src.name}-ontology-{version}.json.zst").is_file():
            raise OntologyError(f"the embedded snapshot has no {src.name} release {version!r}")
        return version
    from harmonize.ontology.obo import read_version

    return read_version(_check_file(src))


def versions(manifest: Manifest) -> dict[str, str]:
    """``{ontology name: release}`` for every source, reading only file headers.

    Snapshot sources read the package's version table; OBO/OWL sources read the
    ``data-version`` / ``versionIRI`` header (or hash the file when it has none).
    """
    return {name: source_version(src) for name, src in manifest.ontologies.items()}


def load_source(src: OntologySource) -> OntologyData:
    """Load one ontology as its source says."""
    if src.source == "snapshot":
        from harmonize.ontology.snapshot import load_snapshot

        return load_snapshot(src.name, src.version)
    from harmonize.ontology.obo import load_obo

    return load_obo(_check_file(src), src.name, follow_consider=src.follow_consider)


def load_ontologies(manifest_path: str | Path | Manifest | None = None,
                    names: Iterable[str] | None = None) -> dict[str, OntologyData]:
    """Load the ontologies of a manifest (all of them, or only ``names``).

    Raises:
        ConfigError: a name the manifest does not declare.
        OntologyError: a source that cannot be loaded.
    """
    manifest = (manifest_path if isinstance(manifest_path, Manifest)
                else load_manifest(manifest_path))
    wanted = list(manifest.ontologies) if names is None else list(dict.fromkeys(names))
    missing = [n for n in wanted if n not in manifest.ontologies]
    if missing:
        raise ConfigError(f"{manifest.origin}: ontology {', '.join(missing)} not declared; "
                          f"declared: {', '.join(manifest.ontologies)}")
    return {n: load_source(manifest.ontologies[n]) for n in wanted}
