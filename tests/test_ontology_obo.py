"""pronto-based loading of OBO / OWL files into OntologyData (harmonize.ontology.obo)."""

from __future__ import annotations

import gzip
import logging
import shutil
from pathlib import Path

import pytest

from harmonize.errors import OntologyError
from harmonize.ontology.obo import curie, load_obo, normalize_version, read_version
from harmonize.ontology.snapshot import load_snapshot

DATA = Path(__file__).parent / "data" / "ontologies"


@pytest.fixture(scope="module")
def uberon():
    return load_obo(DATA / "mini_uberon.obo")


@pytest.fixture(scope="module")
def mondo():
    return load_obo(DATA / "mini_mondo.obo")


def test_name_version_and_prefix_filter(uberon):
    assert uberon.name == "UBERON"
    assert uberon.version == "2099-01-01"  # from data-version: uberon/releases/2099-01-01/...
    assert uberon.origin.startswith("obo:")
    assert len(uberon.terms) == 20
    assert all(t.startswith("UBERON:") for t in uberon.terms)  # CL:0000182 (imported) dropped


def test_labels_and_synonym_scopes(uberon):
    liver = uberon.terms["UBERON:0002107"]
    assert liver.label == "liver"
    assert liver.synonyms == [("hepar", "exact"), ("iecur", "related"), ("jecur", "related"),
                              ("liver organ", "exact")]
    gland = dict(uberon.terms["UBERON:0001911"].synonyms)
    assert gland == {"breast gland": "exact", "mamma": "related",
                     "lactiferous gland": "narrow", "mammary organ": "broad"}
    # a synonym type the header does not declare (LATIN) is still read
    assert ("lobulus hepaticus", "exact") in uberon.terms["UBERON:0004647"].synonyms


@pytest.mark.parametrize("term, expected", [
    ("UBERON:0000061", {}),
    ("UBERON:0002107", {"UBERON:0000062": 1, "UBERON:0002423": 1, "UBERON:0000061": 2,
                        "UBERON:0000467": 2, "UBERON:0001007": 2}),
    # part_of lobule -> part_of parenchyma -> part_of liver -> part_of hepatobiliary ...
    # and is_a capillary -> is_a anatomical structure (2, shorter than via the organ chain)
    ("UBERON:0001281", {"UBERON:0004647": 1, "UBERON:0001982": 1, "UBERON:0001280": 2,
                        "UBERON:0000061": 2, "UBERON:0000479": 3, "UBERON:0002107": 3,
                        "UBERON:0000062": 4, "UBERON:0002423": 4, "UBERON:0000467": 5,
                        "UBERON:0001007": 5}),
    ("UBERON:0001133", {"UBERON:0002036": 1, "UBERON:0002349": 1, "UBERON:0002385": 2,
                        "UBERON:0000479": 2, "UBERON:0000948": 2, "UBERON:0000061": 3,
                        "UBERON:0000062": 3, "UBERON:0004535": 3, "UBERON:0000467": 4}),
])
def test_closure_distances_mixed_is_a_part_of(uberon, term, expected):
    assert uberon.terms[term].ancestors == expected


def test_shortest_paths_cycles_foreign_and_dangling():
    ont = load_obo(DATA / "mini_paths.obo")
    assert ont.name == "TST"
    assert ont.version.startswith("sha256:")  # no data-version header
    # d: is_a c (c->b->a->root) but also part_of a directly: a at 1, root at 2
    assert ont.terms["TST:0000005"].ancestors == {
        "TST:0000004": 1, "TST:0000002": 1, "TST:0000003": 2, "TST:0000001": 2}
    # part_of cycle terminates; a term is never its own ancestor
    assert ont.terms["TST:0000006"].ancestors == {"TST:0000007": 1, "TST:0000001": 2}
    assert ont.terms["TST:0000007"].ancestors == {"TST:0000006": 1, "TST:0000001": 1}
    # the path goes through the imported EXT term, which is not kept itself
    assert "EXT:0000001" not in ont.terms
    assert ont.terms["TST:0000008"].ancestors == {
        "TST:0000005": 2, "TST:0000004": 3, "TST:0000002": 3, "TST:0000003": 4,
        "TST:0000001": 4}
    # an undeclared part_of target is not an ancestor; other relations do not count
    assert ont.terms["TST:0000009"].ancestors == {"TST:0000001": 1}
    assert ont.terms["TST:0000010"].ancestors == {"TST:0000001": 1}


def test_obsolete_terms(uberon, mondo):
    old = uberon.terms["UBERON:0000027"]
    assert old.obsolete and old.replaced_by == "UBERON:0002107" and old.ancestors == {}
    assert uberon.resolve("UBERON:0000027") == "UBERON:0002107"
    no_repl = uberon.terms["UBERON:0000028"]
    assert no_repl.obsolete and no_repl.replaced_by is None  # consider is not followed
    assert uberon.resolve("UBERON:0000028") is None
    assert mondo.terms["MONDO:0100000"].replaced_by == "MONDO:0005015"
    assert not uberon.terms["UBERON:0002107"].obsolete


def test_follow_consider_only_when_single():
    ont = load_obo(DATA / "mini_uberon.obo", follow_consider=True)
    assert ont.terms["UBERON:0000028"].replaced_by == "UBERON:0000948"
    mondo = load_obo(DATA / "mini_mondo.obo", follow_consider=True)
    assert mondo.terms["MONDO:0100001"].replaced_by is None  # two consider targets


def test_mondo_diamond_and_abbreviations(mondo):
    hcc = mondo.terms["MONDO:0007256"]
    assert hcc.ancestors["MONDO:0004992"] == 2  # via liver cancer and via carcinoma
    assert hcc.ancestors["MONDO:0000001"] == 5
    assert ("HCC", "exact") in hcc.synonyms
    assert mondo.version == "2099-02-02"


def test_owl_rdfxml(caplog):
    with caplog.at_level(logging.WARNING, logger="harmonize.ontology.obo"):
        cl = load_obo(DATA / "mini_cl.owl")
    assert cl.name == "CL" and cl.version == "2099-03-03"
    bcell = cl.terms["CL:0000236"]
    assert bcell.label == "B cell"
    assert set(bcell.synonyms) == {("B lymphocyte", "exact"), ("B-cell", "narrow")}
    # subClassOf + a BFO_0000050 (part of) restriction
    assert bcell.ancestors == {"CL:0000738": 1, "CL:0000999": 1, "CL:0000988": 2,
                               "CL:0000000": 2}
    assert dict(cl.terms["CL:0000738"].synonyms)["immune cell"] == "broad"
    old = cl.terms["CL:0000001"]
    assert old.obsolete and old.replaced_by == "CL:0000000"
    # pronto's warnings become one summary line naming the file, not a flood
    summaries = [r for r in caplog.records if "mini_cl.owl" in r.getMessage()]
    assert len(summaries) == 1 and "warning" in summaries[0].getMessage()


def test_obo_json_with_undeclared_part_of():
    dv = load_obo(DATA / "mini_hsapdv.json")
    assert dv.name == "HsapDv" and dv.version == "2099-04-04"
    cs1 = dv.terms["HsapDv:0000003"]
    assert cs1.label == "Carnegie stage 01"
    assert set(cs1.synonyms) == {("1-cell stage", "narrow"), ("zygote stage", "broad")}
    # BFO_0000050 edges count as part_of even though the file declares no such property
    assert cs1.ancestors == {"HsapDv:0000002": 1, "HsapDv:0000000": 2, "HsapDv:0000001": 3}
    assert dv.terms["HsapDv:0000099"].obsolete


def test_gzipped_file(tmp_path):
    gz = tmp_path / "mini_mondo.obo.gz"
    with (DATA / "mini_mondo.obo").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert read_version(gz) == "2099-02-02"
    ont = load_obo(gz)
    assert ont.terms["MONDO:0005148"].label == "type 2 diabetes mellitus"


def test_broken_obo_names_the_file():
    with pytest.raises(OntologyError, match="broken.obo"):
        load_obo(DATA / "broken.obo")


def test_missing_file_and_wrong_prefix(tmp_path):
    with pytest.raises(OntologyError, match="nope.obo"):
        load_obo(tmp_path / "nope.obo")
    with pytest.raises(OntologyError, match="no MONDO: terms"):
        load_obo(DATA / "mini_uberon.obo", "MONDO")
    # asking for the imported prefix keeps only those terms
    assert list(load_obo(DATA / "mini_uberon.obo", "cl").terms) == ["CL:0000182"]


def test_not_an_ontology(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("just some words\nnot an ontology\n")
    with pytest.raises(OntologyError, match="notes.txt"):
        load_obo(bad)


def test_is_a_to_undeclared_term(tmp_path):
    bad = tmp_path / "dangling.obo"
    bad.write_text("format-version: 1.2\nontology: x\n\n[Term]\nid: X:1\nname: one\n"
                   "is_a: X:2\n")
    with pytest.raises(OntologyError, match=r"dangling.obo.*undeclared entity 'X:2'"):
        load_obo(bad)


def test_curie_and_versions():
    assert curie("http://purl.obolibrary.org/obo/MONDO_0005148") == "MONDO:0005148"
    assert curie("http://www.ebi.ac.uk/efo/EFO_0008931") == "EFO:0008931"
    assert curie("HsapDv:0000087") == "HsapDv:0000087"
    assert normalize_version("releases/2024-09-03") == "2024-09-03"
    assert normalize_version("55.0") == "55.0"


def _obo_from_snapshot(ont, ids: set[str]) -> str:
    """Write terms of a snapshot as OBO with only their direct (distance-1) parents."""
    lines = ["format-version: 1.2", f"ontology: {ont.name.lower()}", ""]
    for tid in sorted(ids):
        t = ont.terms[tid]
        lines += ["[Term]", f"id: {tid}", f"name: {t.label}"]
        for text, _ in t.synonyms:
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'synonym: "{escaped}" EXACT []')
        lines += [f"is_a: {a}" for a, d in sorted(t.ancestors.items()) if d == 1]
        if t.obsolete:
            lines.append("is_obsolete: true")
        if t.replaced_by:
            lines.append(f"replaced_by: {t.replaced_by}")
        lines.append("")
    return "\n".join(lines)


@pytest.mark.parametrize("name, seeds", [
    ("UBERON", ["UBERON:0002107", "UBERON:0001379", "UBERON:0000955"]),
    ("MONDO", ["MONDO:0005148", "MONDO:0007256"]),
])
def test_same_lexicon_fields_as_snapshot(tmp_path, name, seeds):
    snap = load_snapshot(name)
    ids = set(seeds)
    for s in seeds:
        ids |= set(snap.terms[s].ancestors)
    # include obsolete terms whose replacement is in the excerpt
    ids |= {t for t, d in snap.terms.items() if d.obsolete and d.replaced_by in ids}
    path = tmp_path / f"{name.lower()}.obo"
    path.write_text(_obo_from_snapshot(snap, ids))
    obo = load_obo(path, name)
    assert set(obo.terms) == ids
    for tid in ids:
        a, b = obo.terms[tid], snap.terms[tid]
        assert a.label == b.label, tid
        assert {s for s, _ in a.synonyms} == {s for s, _ in b.synonyms}, tid
        # distance-1 edges alone reproduce the snapshot's shortest distances
        assert a.ancestors == b.ancestors, tid
        assert (a.obsolete, a.replaced_by) == (b.obsolete, b.replaced_by), tid
