"""The facets harmonize annotates, listed once: ``ontologies/facets.tsv``.

Each row says which ontologies feed a facet by default (the manifest may change that), where a
curator's or an export's label is looked up, how the facet is decided (``lexicon`` matching,
hand-set ``rule`` steps, the sample-type ``model``, or ``derived`` from another facet), its
grounding order, and which stages apply to it. Every other module takes its facet lists from
here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.resources import ONTOLOGIES_DIR

FACETS_PATH = ONTOLOGIES_DIR / "facets.tsv"
_DECIDERS = {"lexicon", "rule", "model", "derived"}


@dataclass(frozen=True, slots=True)
class FacetSpec:
    """One row of the facet table."""

    name: str
    ontologies: tuple[str, ...]
    lookup: tuple[str, ...]
    decided_by: str
    order: int
    scanned: bool
    hierarchy: bool
    embedded: str  # "yes" (labels and synonyms), "labels" (labels only) or "no"
    most_specific: bool
    filter: bool
    what: str


def _prefixes(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in cell.split(",") if p.strip() and p.strip() != "-")


_COLUMNS = ("facet", "ontologies", "lookup", "decided_by", "order", "scanned", "hierarchy",
            "embedded", "most_specific", "filter", "what")


def _flag(path: Path, row: dict[str, str], col: str) -> bool:
    value = row[col].strip()
    if value not in ("yes", "no"):
        raise ConfigError(f"{path}: facet {row['facet']!r}: {col} must be yes or no, "
                          f"not {value!r}")
    return value == "yes"


def load(path: Path = FACETS_PATH) -> tuple[FacetSpec, ...]:
    """The facet table, in its row order (the order users see facets in).

    Raises:
        ConfigError: the file is unreadable, lacks a column, or a row holds a bad value.
    """
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            rows = list(reader)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the facet table ({exc})") from exc
    if missing:
        raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}; the columns are "
                          f"{', '.join(_COLUMNS)}")
    specs = []
    for row in rows:
        if row["decided_by"] not in _DECIDERS:
            raise ConfigError(f"{path}: facet {row['facet']!r}: decided_by must be one of "
                              f"{', '.join(sorted(_DECIDERS))}")
        if row["embedded"] not in ("yes", "labels", "no"):
            raise ConfigError(f"{path}: facet {row['facet']!r}: embedded must be yes, labels "
                              "or no")
        if not (row["order"] or "").strip().isdigit():
            raise ConfigError(f"{path}: facet {row['facet']!r}: order must be a whole number, "
                              f"not {row['order']!r}")
        specs.append(FacetSpec(
            name=row["facet"], ontologies=_prefixes(row["ontologies"]),
            lookup=_prefixes(row["lookup"]), decided_by=row["decided_by"],
            order=int(row["order"]), scanned=_flag(path, row, "scanned"),
            hierarchy=_flag(path, row, "hierarchy"), embedded=row["embedded"],
            most_specific=_flag(path, row, "most_specific"),
            filter=_flag(path, row, "filter"), what=row["what"]))
    return tuple(specs)


SPECS: tuple[FacetSpec, ...] = load()
BY_NAME: dict[str, FacetSpec] = {s.name: s for s in SPECS}

#: Every facet, in the order users see them (summary columns, reports, exports).
FACETS: tuple[str, ...] = tuple(s.name for s in SPECS)
#: Facets grounded to ontology terms from attribute values (the manifest feeds each of them).
ONTOLOGY_FACETS: tuple[str, ...] = tuple(
    s.name for s in SPECS if s.decided_by in ("lexicon", "rule"))
#: The order the grounder decides them in (a cell line before the disease and tissue it implies).
GROUND_ORDER: tuple[str, ...] = tuple(
    s.name for s in sorted(SPECS, key=lambda s: s.order) if s.name in ONTOLOGY_FACETS)
#: Decided by hand-set rules and small closed vocabularies (no dev gold to fit them on).
RULE_FACETS = frozenset(s.name for s in SPECS if s.decided_by == "rule")
#: Searched for in ambiguous keys and free text.
SCAN_FACETS: tuple[str, ...] = tuple(s.name for s in SPECS if s.scanned)
#: Hierarchies: a root there is a placeholder, not a term.
ROOTED_FACETS = frozenset(s.name for s in SPECS if s.hierarchy and s.decided_by != "derived")
#: Facets an embedding index is built for, and those whose index holds labels only.
EMBED_FACETS = frozenset(s.name for s in SPECS if s.embedded != "no")
EMBED_LABELS_ONLY = frozenset(s.name for s in SPECS if s.embedded == "labels")
#: A short dedicated value naming several terms of one lineage means the most specific one.
MOST_SPECIFIC_FACETS = frozenset(s.name for s in SPECS if s.most_specific)
#: Facets an export or a query filters on (``--tissue``, ``--disease``...).
FILTER_FACETS: tuple[str, ...] = tuple(s.name for s in SPECS if s.filter)
#: Default ontologies per facet (used when no manifest file is found).
DEFAULT_ONTOLOGIES: dict[str, tuple[str, ...]] = {
    s.name: s.ontologies for s in SPECS if s.name in ONTOLOGY_FACETS}
#: Ontologies where a facet's label given by a user is looked up, in order.
LOOKUP_ONTOLOGIES: dict[str, tuple[str, ...]] = {s.name: s.lookup for s in SPECS if s.lookup}
