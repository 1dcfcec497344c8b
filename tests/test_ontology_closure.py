"""Closure and term rows for the warehouse tables (harmonize.ontology.closure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harmonize.ontology.closure import ancestor_distances, closure_rows, synonym_rows, term_rows
from harmonize.ontology.obo import load_obo
from harmonize.ontology.snapshot import load_snapshot

DATA = Path(__file__).parent / "data" / "ontologies"


@pytest.fixture(scope="module", params=["obo", "snapshot"])
def ont(request):
    if request.param == "obo":
        return load_obo(DATA / "mini_uberon.obo")
    return load_snapshot("HsapDv")


def test_every_term_is_its_own_ancestor_at_zero(ont):
    rows = list(closure_rows(ont))
    self_rows = {(t, a) for t, a, d in rows if d == 0}
    assert self_rows == {(t, t) for t in ont.terms}
    assert all(d > 0 for t, a, d in rows if t != a)


def test_distances_match_term_data(ont):
    got: dict[str, dict[str, int]] = {}
    for t, a, d in closure_rows(ont):
        if t != a:
            got.setdefault(t, {})[a] = d
    for tid, term in ont.terms.items():
        assert got.get(tid, {}) == term.ancestors, tid
    assert len(list(closure_rows(ont))) == len(ont.terms) + sum(
        len(t.ancestors) for t in ont.terms.values())


def test_term_rows(ont):
    rows = {r[0]: r for r in term_rows(ont)}
    assert set(rows) == set(ont.terms)
    for tid, (term_id, label, name, version, obsolete, replaced_by) in rows.items():
        t = ont.terms[tid]
        assert (label, name, version, obsolete, replaced_by) == (
            t.label, ont.name, ont.version, t.obsolete, t.replaced_by)


def test_term_rows_obsolete():
    ont = load_obo(DATA / "mini_uberon.obo")
    rows = {r[0]: r for r in term_rows(ont)}
    assert rows["UBERON:0000027"][4:] == (True, "UBERON:0002107")
    assert rows["UBERON:0002107"] == ("UBERON:0002107", "liver", "UBERON", "2099-01-01",
                                      False, None)


def test_ancestor_distances_shortest_and_cycles():
    parents = {"a": ["b", "e"], "b": ["c"], "c": ["d"], "e": ["d"], "d": [], "x": ["y"],
               "y": ["x"], "s": ["s", "d"]}
    got = ancestor_distances(parents)
    assert got["a"] == {"b": 1, "e": 1, "c": 2, "d": 2}
    assert got["x"] == {"y": 1} and got["y"] == {"x": 1}
    assert got["s"] == {"d": 1}
    assert got["d"] == {}


def test_synonym_rows():
    ont = load_obo(DATA / "mini_uberon.obo")
    rows = list(synonym_rows(ont))
    assert len(rows) == len(set(rows)) == sum(len(t.synonyms) for t in ont.terms.values())
    assert ("UBERON:0002107", "hepar") in rows and ("UBERON:0001133", "heart muscle") in rows
    assert all(tid in ont.terms for tid, _ in rows)
