"""Annotating the warehouse: distinct values once, re-annotation when matchers or fit change."""

from __future__ import annotations

from dataclasses import replace

from test_ground_grounder import small_ontologies
from test_warehouse_load import geo_record, sra_record

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import load_calibration
from harmonize.ground.lexicon import read_synonyms
from harmonize.steps.annotate import annotate_samples
from harmonize.warehouse.db import writer
from harmonize.warehouse.load import upsert_records


def test_a_new_calibration_reannotates_but_keeps_the_mapping_cache(tmp_path):
    lex = build_lexicon(small_ontologies(), read_synonyms(), version="small-ann")
    fitted = load_calibration()
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, [geo_record(i) for i in range(3)] + [sra_record(i) for i in range(2)])
        first = annotate_samples(con, Grounder(lex, use_embeddings=False, calibration=fitted))
        again = annotate_samples(con, Grounder(lex, use_embeddings=False, calibration=fitted))
        refit = replace(fitted, version=fitted.version + "-refit",
                        platt={**fitted.platt, "tissue": [4.0, 0.0, 0.0]},
                        evidence={**fitted.evidence, "prior": 0.99})
        after = annotate_samples(con, Grounder(lex, use_embeddings=False, calibration=refit))
        conf = con.execute("SELECT DISTINCT round(confidence, 3) FROM annotations "
                           "WHERE facet = 'tissue' AND method = 'exact'").fetchall()
    assert first.samples == 5 and first.annotations > 0
    assert again.samples == 0  # nothing changed: nothing re-annotated
    assert after.samples == 5  # the confidences changed, so every sample is redone...
    assert after.cache_hits_before == first.cache_size_after > 0  # ...from the cached candidates
    assert conf and all(c[0] > 0.98 for c in conf)  # with the new fit (sigmoid(4), new prior)


def test_the_cache_version_follows_the_key_table(tmp_path, monkeypatch):
    """Which keys speak for which facet decides the candidates: a new table re-grounds."""
    import harmonize.ground.fields as fields
    from harmonize.steps.annotate import cache_version

    g = Grounder(build_lexicon(small_ontologies(), read_synonyms(), version="small-keys"),
                 use_embeddings=False)
    before = cache_version(g)
    table = tmp_path / "field_keys.tsv"
    table.write_text(fields.FIELD_KEYS_PATH.read_text() + "biopsy site\ttissue\t\n")
    monkeypatch.setattr(fields, "FIELD_KEYS_PATH", table)
    assert cache_version(g) != before
    assert before.startswith("small-keys-")
