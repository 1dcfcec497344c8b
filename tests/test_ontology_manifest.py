"""The ontology manifest (harmonize.ontology.manifest) and ontologies/manifest.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from harmonize.errors import ConfigError, OntologyError
from harmonize.models import ONTOLOGY_FACETS
from harmonize.ontology.manifest import (
    REPO_MANIFEST,
    default_manifest,
    load_manifest,
    load_ontologies,
    versions,
)
from harmonize.ontology.snapshot import latest_versions

DATA = Path(__file__).parent / "data" / "ontologies"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(text)
    return path


def test_repo_manifest_declares_every_facet():
    m = load_manifest(REPO_MANIFEST)
    assert set(m.facets) == set(ONTOLOGY_FACETS)
    for name in ("UBERON", "CL", "MONDO", "EFO", "CVCL", "PATO", "HsapDv"):
        assert m.ontologies[name].source == "snapshot"
    assert m.for_facet("tissue") == ("UBERON",)
    assert m.for_facet("cell_line") == ("CVCL",)


def test_versions_of_repo_manifest_match_snapshot():
    latest = latest_versions()
    got = versions(load_manifest(REPO_MANIFEST))
    assert got == {n: latest[n] for n in got}


def test_default_manifest_when_no_file(monkeypatch):
    monkeypatch.delenv("HARMONIZE_ONTOLOGY_MANIFEST", raising=False)
    d = default_manifest()
    assert d.origin == "builtin" and "UBERON" in d.ontologies
    assert set(d.facets) == set(ONTOLOGY_FACETS)


def test_env_variable_selects_manifest(tmp_path, monkeypatch):
    path = _write(tmp_path, '[ontologies.MONDO]\nsource = "snapshot"\n')
    monkeypatch.setenv("HARMONIZE_ONTOLOGY_MANIFEST", str(path))
    assert list(load_manifest().ontologies) == ["MONDO"]


def test_obo_source_replaces_snapshot(tmp_path):
    folder = (tmp_path / "onts")
    folder.mkdir()
    (folder / "uberon.obo").write_bytes((DATA / "mini_uberon.obo").read_bytes())
    path = _write(tmp_path, """
[facets]
tissue = ["UBERON"]
cell_type = ["CL"]

[ontologies.UBERON]
source = "obo"
path = "onts/uberon.obo"
url = "https://example.org/uberon-basic.obo"

[ontologies.CL]
source = "snapshot"
""")
    m = load_manifest(path)
    assert m.ontologies["UBERON"].path == (tmp_path / "onts" / "uberon.obo").resolve()
    assert versions(m) == {"UBERON": "2099-01-01", "CL": latest_versions()["CL"]}
    onts = load_ontologies(path, names=["UBERON"])
    assert list(onts) == ["UBERON"]
    uberon = onts["UBERON"]
    assert uberon.version == "2099-01-01" and uberon.origin.startswith("obo:")
    assert len(uberon.terms) == 20  # the small file, not the 16k-term snapshot
    assert uberon.terms["UBERON:0002107"].synonyms[0] == ("hepar", "exact")


def test_pinned_snapshot_version(tmp_path):
    path = _write(tmp_path, '[ontologies.HsapDv]\nsource = "snapshot"\n'
                            'version = "v2025-01-23"\n')
    assert versions(load_manifest(path)) == {"HsapDv": "v2025-01-23"}
    onts = load_ontologies(path)
    assert onts["HsapDv"].version == "v2025-01-23"
    assert any(t.startswith("HsapDv:") for t in onts["HsapDv"].terms)


@pytest.mark.parametrize("text, message", [
    ('[ontologies.UBERON]\nsource = "snapshot"\nrelease = "x"\n', "unknown key.*release"),
    ('[ontology.UBERON]\nsource = "snapshot"\n', "unknown top-level key.*ontology"),
    ('[ontologies.UBERON]\nsource = "web"\n', "source 'web'"),
    ('[ontologies.UBERON]\nsource = "obo"\nurl = "https://x.org/u.obo"\n',
     "needs a local path; download https://x.org/u.obo"),
    ('[ontologies.UBERON]\npath = "u.obo"\n', "source 'snapshot'"),
    ('[facets]\norgan = ["UBERON"]\n[ontologies.UBERON]\n', "unknown facet 'organ'"),
    ('[facets]\ntissue = ["BTO"]\n[ontologies.UBERON]\n', "uses BTO"),
    ('[ontologies.UBERON\n', "not valid TOML"),
])
def test_bad_manifest(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_manifest(path)
    assert "manifest.toml" in str(info.value)


def test_pinned_snapshot_version_not_shipped(tmp_path):
    path = _write(tmp_path, '[ontologies.UBERON]\nsource = "snapshot"\nversion = "v1999-01-01"\n')
    with pytest.raises(OntologyError, match="no UBERON release 'v1999-01-01'"):
        versions(load_manifest(path))
    with pytest.raises(OntologyError, match="v1999-01-01"):
        load_ontologies(path)


def test_missing_manifest_file(tmp_path):
    with pytest.raises(ConfigError, match="absent.toml"):
        load_manifest(tmp_path / "absent.toml")


def test_missing_obo_file(tmp_path):
    path = _write(tmp_path, '[ontologies.MONDO]\nsource = "obo"\npath = "gone/mondo.obo"\n'
                            'url = "https://example.org/mondo.obo"\n')
    m = load_manifest(path)
    with pytest.raises(OntologyError, match="gone/mondo.obo.*example.org"):
        versions(m)
    with pytest.raises(OntologyError, match="gone/mondo.obo"):
        load_ontologies(m)


def test_unknown_name_and_unknown_snapshot(tmp_path):
    path = _write(tmp_path, '[ontologies.NOPE]\nsource = "snapshot"\n')
    with pytest.raises(ConfigError, match="UBERON not declared"):
        load_ontologies(path, names=["UBERON"])
    with pytest.raises(OntologyError, match="NOPE"):
        load_ontologies(path)
