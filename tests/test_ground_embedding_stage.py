"""The embedding stage of the grounder (runs only when nothing lexical matched)."""

from __future__ import annotations

import pytest

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import Calibration
from harmonize.ground.lexicon import read_synonyms

from test_ground_grounder import small_ontologies

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
    ("disease", "myeloid leukaemia, acute", "MONDO:0018874"),
])
def test_paraphrase_found_by_embedding(grounder, facet, value, term):
    ann = grounder.ground_value(facet, value, "disease")
    assert (ann.term_id, ann.method) == (term, "embedding")


def test_embedding_not_used_for_scanned_text(grounder):
    anns = grounder.annotate({}, text="diabetes type II")
    assert not any(a.method == "embedding" for a in anns)
