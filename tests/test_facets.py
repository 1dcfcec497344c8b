"""The facet table (ontologies/facets.tsv) is the one list of facets every module reads."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

import harmonize.facets as facets
from harmonize.errors import ConfigError
from harmonize.ground import fields, grounder, mentions
from harmonize.models import FACETS, ONTOLOGY_FACETS, Facet
from harmonize.ontology.manifest import DEFAULT_FACETS, load_manifest
from harmonize.warehouse.lookup import FACET_ONTOLOGIES


def test_type_literal_spells_the_table() -> None:
    assert typing.get_args(Facet) == facets.FACETS == FACETS


def test_modules_take_their_lists_from_the_table() -> None:
    assert grounder.FACET_ORDER == facets.GROUND_ORDER
    assert set(grounder.FACET_ORDER) == set(ONTOLOGY_FACETS)
    assert grounder.RULE_FACETS == facets.RULE_FACETS
    assert fields.SCAN_FACETS == facets.SCAN_FACETS
    assert mentions.ROOTED_FACETS == facets.ROOTED_FACETS
    assert FACET_ONTOLOGIES == facets.LOOKUP_ONTOLOGIES
    assert DEFAULT_FACETS == facets.DEFAULT_ONTOLOGIES


def test_shipped_manifest_agrees_with_the_table() -> None:
    """The manifest may point a facet elsewhere; the shipped one uses the table's defaults."""
    manifest = load_manifest()
    assert {f: tuple(o) for f, o in manifest.facets.items()} == facets.DEFAULT_ONTOLOGIES


def test_a_cell_line_is_decided_before_the_disease_and_tissue_it_implies() -> None:
    order = facets.GROUND_ORDER
    assert order.index("cell_line") < order.index("disease") < order.index("tissue")


def test_a_bad_row_is_named(tmp_path: Path) -> None:
    text = facets.FACETS_PATH.read_text(encoding="utf-8").replace("\tlexicon\t4\t", "\tguess\t4\t")
    bad = tmp_path / "facets.tsv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"facets.tsv: facet 'tissue': decided_by"):
        facets.load(bad)
    flags = facets.FACETS_PATH.read_text(encoding="utf-8").replace("\tyes\t", "\tmaybe\t", 1)
    bad.write_text(flags, encoding="utf-8")
    with pytest.raises(ConfigError, match="must be yes or no"):
        facets.load(bad)
    header, *rest = facets.FACETS_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    bad.write_text(header.replace("\tembedded", "\tembeded") + "".join(rest), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"facets.tsv: missing column\(s\) embedded"):
        facets.load(bad)
    with pytest.raises(ConfigError, match="cannot read the facet table"):
        facets.load(tmp_path / "absent.tsv")
