"""The embedding stage of the grounder (runs only when nothing lexical matched)."""

from __future__ import annotations

import pytest
from test_ground_grounder import small_ontologies

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import Calibration
from harmonize.ground.lexicon import read_synonyms

pytest.importorskip("harmonize.ground.embedding")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grounder(tmp_path_factory):
    import os

    os.environ["HARMONIZE_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    lex = build_lexicon(small_ontologies(), read_synonyms(), version="small-emb")
    return Grounder(lex, use_embeddings=True, calibration=Calibration())


@pytest.mark.parametrize(("facet", "value", "term"), [
    ("disease", "diabetes type II", "MONDO:0005148"),
    ("disease", "acute leukaemia of myeloid cells", "MONDO:0018874"),
])
def test_paraphrase_found_by_embedding(grounder, facet, value, term):
    ann = grounder.ground_value(facet, value, "disease")
    assert (ann.term_id, ann.method) == (term, "embedding")


def test_embedding_not_used_for_scanned_text(grounder):
    anns = grounder.annotate({}, text="diabetes type II")
    assert not any(a.method == "embedding" for a in anns)


def test_prepare_batches_embedding_queries_with_the_same_result(grounder):
    """prepare() grounds many values in one model call per facet; annotate then agrees with a
    grounder that met each value alone."""
    records = [{"disease state": "diabetes type II", "tissue": "liver"},
               {"disease": "acute leukaemia of myeloid cells", "source_name": "PBMC"},
               {"disease state": "diabetes type II"}, {"disease": "not applicable"}]
    from harmonize.ground.fields import field_values

    alone = Grounder(grounder.lexicon, use_embeddings=True, calibration=Calibration())
    batched = Grounder(grounder.lexicon, use_embeddings=True, calibration=Calibration())
    values = [v for r in records for v in field_values(r)]
    new = batched.prepare(values)
    assert new == len({batched.memo_key(v) for v in values if v.text != "not applicable"})
    assert all(batched.is_grounded(v) for v in values if v.text != "not applicable")
    assert batched.prepare(values) == 0  # nothing left to ground
    for r in records:
        a = [(x.facet, x.term_id, x.method) for x in alone.annotate(r)]
        b = [(x.facet, x.term_id, x.method) for x in batched.annotate(r)]
        assert a == b
    assert ("disease", "MONDO:0005148", "embedding") in [
        (x.facet, x.term_id, x.method) for x in batched.annotate(records[0])]


def test_embedding_choice_gets_the_fitted_embedding_confidence(grounder):
    from harmonize.ground.calibrate import closeness, sigmoid

    cal = Calibration(similarity_steps={"embedding": {"*": [-4.0, 1.6]}})
    g = Grounder(grounder.lexicon, use_embeddings=True, calibration=cal)
    ann = g.ground_value("disease", "diabetes type II", "disease")
    top = ann.candidates[0]
    assert ann.method == "embedding" and top.similarity >= 0.8
    assert ann.confidence == pytest.approx(sigmoid(-4.0 + 1.6 * closeness(top.similarity)))
