"""The sample_type facet: word list, features, model file, the grounder hook (origin tissue),
curation, grouped folds, the warehouse view and ``export --sample-type``."""

from __future__ import annotations

import json
import random

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_ground_grounder import small_ontologies

from harmonize.errors import ConfigError
from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import Calibration
from harmonize.ground.fields import field_values
from harmonize.ground.lexicon import read_synonyms
from harmonize.ground.overrides import override_key
from harmonize.ground.sample_type import (
    FACET,
    MODEL_PATH,
    ORIGIN_FACET,
    classify,
    explain_sample,
    load_model,
    made_in_dish,
    moves_to_origin,
    names_tissue,
    post_mortem,
)
from harmonize.ground.sample_type_features import (
    CULTURED,
    FEATURE_NAMES,
    SAMPLE_TYPES,
    load_classes,
    load_words,
    sample_features,
    word_hits,
)
from harmonize.ground.sample_type_fit import (
    cross_validate,
    grouped_folds,
    study_groups,
)
from harmonize.models import Annotation, Attribute, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.warehouse.annotations import load_ontology, ontology_rows, replace_annotations
from harmonize.warehouse.db import writer
from harmonize.warehouse.export import export_cohort, sample_types
from harmonize.warehouse.load import upsert_records
from harmonize.warehouse.review import read_decisions

BREAST = "UBERON:0000310"


@pytest.fixture(scope="module")
def lex():
    return build_lexicon(small_ontologies(), read_synonyms(), version="small-st")


@pytest.fixture()
def grounder(lex):
    return Grounder(lex, use_embeddings=False, calibration=Calibration())


def by_facet(anns):
    return {a.facet: a for a in anns}


# ---------------------------------------------------------------- words and features
@pytest.mark.parametrize(("text", "groups"), [
    ("iPSC-derived motor neurons", {"ipsc", "differentiation"}),
    ("skin punch biopsy", {"tissue", "is_tissue"}),
    ("FACS-sorted primary fibroblasts", {"primary"}),
    ("colon organoids, passage 4", {"organoid", "culture"}),
    ("HepG2 cell line", {"line", "cells"}),
    ("liver", set()),
    ("glorpocytes, CD123+ CD45RA- fraction", {"marker"}),  # a pattern: CD antigens
    ("CD34-positive zarb cells", {"marker", "cells"}),
    ("ACD3 frob", set()),  # inside a word is no marker
])
def test_word_groups(text, groups):
    assert word_hits(text) == groups


def test_every_word_has_a_reason_and_a_bad_row_names_the_file(tmp_path):
    words = load_words()
    assert len(words) > 100 and all(w.reason and w.phrase for w in words)
    bad = tmp_path / "words.tsv"
    bad.write_text("group\tscope\tphrase\treason\nlines\tvalue\tcell line\tno such group\n")
    with pytest.raises(ConfigError, match=r"words.tsv: row 2: .*'lines'"):
        load_words(bad)
    bad.write_text("group\tscope\tphrase\treason\nmarker\tpattern\tcd[0-9\tunclosed\n")
    with pytest.raises(ConfigError, match=r"words.tsv: row 2: pattern .* not a regular"):
        load_words(bad)


def test_features_read_keys_groundings_and_words(grounder):
    attrs = {"cell line": "HeLa", "source_name": "HeLa cells, siRNA knockdown", "passage": "12"}
    anns = grounder._annotate_values(field_values(attrs), None)  # the facets before the type
    f, ev = sample_features(attrs, None, anns, grounder.lexicon)
    assert set(f) == set(FEATURE_NAMES)
    assert f["key:cell_line"] == f["key:source_name"] == 1.0 and f["key:tissue"] == 0.0
    assert 0.0 < f["ground:cell_line"] <= 1.0 and ev["ground:cell_line"] == ("cell line", "HeLa")
    assert f["word:culture"] == 1.0 and f["keyword:culture"] == 1.0  # siRNA; a passage key
    assert f["word:tissue"] == 0.0


def test_cell_type_classes_fire_by_the_hierarchy(lex):
    """A grounded cell type fires every listed class it is under (CL's hierarchy), naming the
    value; a class it is not under stays 0."""
    t_cell = Annotation("cell_type", "CL:0000084", "T cell", 0.9, "exact", "accepted",
                        "cell type", "sorted T lymphocytes")
    f, ev = sample_features({"cell type": "sorted T lymphocytes"}, None, [t_cell], lex)
    assert f["ground:under:T cell"] == f["ground:under:lymphocyte"] == 1.0
    assert f["ground:under:B cell"] == 0.0 and f["ground:under:fibroblast"] == 0.0
    assert ev["ground:under:lymphocyte"] == ("cell type", "sorted T lymphocytes")
    # a tissue is read by the tissue rows only: a T cell class never fires from a tissue
    liver = Annotation("tissue", "UBERON:0002107", "liver", 0.9, "exact", "accepted",
                       "tissue", "liver")
    f, _ = sample_features({"tissue": "liver"}, None, [liver], lex)
    assert not any(v for k, v in f.items() if k.startswith("ground:under:"))


def test_every_class_has_a_reason_and_bad_rows_name_the_file(tmp_path):
    classes = load_classes()
    assert len(classes) > 50 and all(c.reason and c.label for c in classes)
    assert {c.facet for c in classes} == {"cell_type", "tissue"}
    assert [c.feature for c in classes] == [n for n in FEATURE_NAMES
                                            if n.startswith("ground:under:")]
    head = "facet\tterm_id\tlabel\treason\n"
    bad = tmp_path / "classes.tsv"
    bad.write_text(head + "disease\tMONDO:1\tfrobnitis\tinvented\n")
    with pytest.raises(ConfigError, match=r"classes.tsv: row 2: .*'disease'"):
        load_classes(bad)
    bad.write_text(head + "cell_type\tCL:1\tglorp cell\tinvented\n"
                   "cell_type\tCL:2\tglorp cell\tinvented again\n")
    with pytest.raises(ConfigError, match="twice"):
        load_classes(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_classes(tmp_path / "missing.tsv")


def test_which_tissue_moves_to_origin():
    def tissue(text: str, method: str = "exact") -> Annotation:
        return Annotation("tissue", BREAST, "breast", 0.9, method, "accepted", "tissue", text)

    assert moves_to_origin(tissue("breast"), "cell_line", "accepted")
    assert not moves_to_origin(tissue("breast"), "cell_line", "needs_review")  # a weak guess
    assert not moves_to_origin(tissue("breast"), "primary_cells", "accepted")  # taken from it
    assert not moves_to_origin(tissue("breast"), "tissue", "accepted")
    assert not moves_to_origin(tissue("breast tumor tissue"), "cell_line", "accepted")
    assert not moves_to_origin(tissue("breast", "curated"), "cell_line", "accepted")
    assert not moves_to_origin(tissue("breast"), "cell_line", "accepted", post_mortem_sample=True)


def test_a_differentiation_key_at_day_zero_says_no_differentiation():
    started, _ = sample_features({"cell type": "hESC", "days of differentiation": "d0"}, None, [],
                                 None)
    later, _ = sample_features({"cell type": "hESC", "days of differentiation": "d12"}, None, [],
                               None)
    assert started["keyword:differentiation"] == 0.0 and later["keyword:differentiation"] == 1.0
    assert not made_in_dish({"differentiation stage": "undifferentiated"})


def test_what_says_cells_were_made_in_a_dish():
    line = Annotation("cell_line", "CVCL:0030", "HeLa", 0.9, "exact", "accepted", "x", "y")
    assert made_in_dish({"source_name": "neurons made from iPS cells"})
    assert made_in_dish({"days of differentiation": "7"})  # a key says so
    assert made_in_dish({"cell line": "in-house line 12"})  # a line, named or not
    assert made_in_dish({"source_name": "frobs"}, [line])
    assert not made_in_dish({"cell type": "CD56+ NK cells", "tissue": "blood",
                             "treatment": "LPS", "passage": "3"})  # stimulated, passaged
    assert not made_in_dish({"cell line": "not provided"})


def test_a_post_mortem_sample_keeps_its_tissue(grounder):
    """A cause-of-death or post-mortem-interval key says the material is post-mortem: its organ
    stays its tissue even when the type is a culture (here decided by a curator)."""
    assert post_mortem({"PMI (hours)": "14", "tissue": "liver"})
    assert post_mortem({"Cause of death": "frobnication"})
    assert not post_mortem({"PMI": "NA"})  # a placeholder says nothing
    assert not post_mortem({"treatment": "cause of death assay"})  # values are not keys
    g = Grounder(grounder.lexicon, use_embeddings=False, calibration=Calibration(),
                 overrides={override_key(FACET, "glorp cells"): "in_vitro_differentiated_cells"})
    dead = by_facet(g.annotate({"tissue": "liver", "cell type": "glorp cells",
                                "cause of death": "frobnication"}))
    alive = by_facet(g.annotate({"tissue": "liver", "cell type": "glorp cells"}))
    assert dead[FACET].term_id == alive[FACET].term_id == "in_vitro_differentiated_cells"
    assert dead["tissue"].term_id == "UBERON:0002107" and ORIGIN_FACET not in dead
    assert alive[ORIGIN_FACET].term_id == "UBERON:0002107" and "tissue" not in alive


# ---------------------------------------------------------------- the model and the hook
def test_model_file_is_plain_numbers_over_the_features():
    raw = json.loads(MODEL_PATH.read_text())
    assert raw["features"] == list(FEATURE_NAMES)
    assert np.array(raw["coef"]).shape == (len(raw["classes"]), len(FEATURE_NAMES))
    assert set(raw["classes"]) <= set(SAMPLE_TYPES) and raw["temperature"] > 0


def test_a_model_over_other_features_is_refused(tmp_path):
    raw = json.loads(MODEL_PATH.read_text())
    raw["features"] = raw["features"][:-1]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="refit"):
        load_model(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_model(tmp_path / "missing.json")
    raw = json.loads(MODEL_PATH.read_text())
    raw["classes_digest"] = "0badf00d"  # fitted while the classes file said something else
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="another sample_type_classes.tsv"):
        load_model(path)


def test_a_line_is_typed_and_its_organ_becomes_its_origin(grounder):
    anns = by_facet(grounder.annotate({"cell line": "HeLa", "source_name": "HeLa cells",
                                       "tissue": "breast"}))
    st = anns[FACET]
    assert st.term_id == "cell_line" and st.term_label == "cell line"
    assert 0.5 < st.confidence <= 1.0 and st.method == "classifier"
    assert st.source_key and st.source_text  # the strongest evidence
    assert sum(c.similarity for c in st.candidates) == pytest.approx(1.0, abs=1e-3)
    assert "tissue" not in anns and anns[ORIGIN_FACET].term_id == BREAST


def test_a_biopsy_from_a_donor_is_tissue_and_keeps_its_tissue(grounder):
    anns = by_facet(grounder.annotate({"tissue": "breast", "source_name": "breast biopsy",
                                       "sex": "female", "age": "54"}))
    assert anns[FACET].term_id == "tissue" and anns["tissue"].term_id == BREAST
    assert ORIGIN_FACET not in anns


def test_a_tissue_value_saying_tissue_stays_tissue_on_a_cultured_sample(grounder):
    over = {("sample_type", "xenograft of hela"): "cell_line"}
    g = Grounder(grounder.lexicon, use_embeddings=False, calibration=Calibration(),
                 overrides=over)
    anns = by_facet(g.annotate({"source_name": "xenograft of HeLa",
                                "tissue": "breast tissue"}))
    assert anns[FACET].term_id == "cell_line" and anns[FACET].method == "curated"
    assert anns[FACET].confidence == 1.0 and anns["tissue"].term_id == BREAST
    assert names_tissue("tumor tissue") and not names_tissue("breast")


def test_organoid_words_decide_with_the_prior(grounder):
    st = by_facet(grounder.annotate({"source_name": "liver organoids", "tissue": "liver"}))
    assert st[FACET].term_id == "organoid" and st[FACET].method == "rule"
    assert st[FACET].confidence == pytest.approx(load_model().organoid_confidence)
    assert ORIGIN_FACET not in st and "tissue" in st  # grown from the organ: the organ
    made = by_facet(grounder.annotate({"source_name": "liver organoids from iPSCs",
                                       "tissue": "liver"}))
    assert ORIGIN_FACET in made  # made from stem cells: the organ is their origin


def test_a_key_naming_organoids_says_the_sample_is_one(grounder):
    """Rule organoid_keys: the word is in the key, not the value ('organoid type: tumour')."""
    st = by_facet(grounder.annotate({"organoid type": "tumour", "source": "gastric resection"}))
    assert st[FACET].term_id == "organoid" and st[FACET].method == "rule"
    plain = by_facet(grounder.annotate({"specimen": "tumour", "source": "gastric resection"}))
    assert plain[FACET].term_id != "organoid"
    assert not by_facet(grounder.annotate({"organoid type": "N/A", "source": "gastric resection"}
                                          ))[FACET].term_id == "organoid"  # no value, no word


def test_no_values_no_type(grounder):
    assert grounder.annotate({"tissue": "N/A", "cell line": "missing"}) == []


def test_explain_agrees_with_the_annotation(grounder):
    attrs = {"cell type": "iPSC-derived neurons", "source_name": "neurons day 30"}
    why = explain_sample(grounder, attrs)
    ann = by_facet(grounder.annotate(attrs))[FACET]
    assert why["annotation"]["term_id"] == ann.term_id
    assert max(why["probabilities"], key=why["probabilities"].get) == ann.term_id
    parts = {p["feature"]: p for p in why["parts"]}
    assert parts["word:ipsc"]["key"] == "cell type"


def test_classify_probabilities_follow_the_evidence(lex):
    line = classify({"cell line": "K-562"}, None,
                    [Annotation("cell_line", "CVCL:0004", "K-562", 0.95, "exact", "accepted",
                                "cell line", "K-562")], lex)
    donor = classify({"tissue": "liver", "sex": "male", "age": "60"}, None,
                     [Annotation("tissue", "UBERON:0002107", "liver", 0.95, "exact", "accepted",
                                 "tissue", "liver")], lex)
    assert line.type == "cell_line" and donor.type == "tissue"
    assert line.proba["cell_line"] > donor.proba["cell_line"]


# ---------------------------------------------------------------- grouped folds
def test_groups_join_templates_and_source_stems():
    samples = [{"cell line": "A", "source_name": "x rep1"}, {"cell line": "B", "source_name": "y"},
               {"tissue": "t", "source_name": "x rep2"}, {"tissue": "u", "age": "3"}]
    g = study_groups(samples)
    assert g[0] == g[1] == g[2]  # one template (0, 1); one source stem (0, 2)
    assert g[3] != g[0]


def test_folds_never_split_a_group_and_cv_learns_a_signal():
    rng = random.Random(3)
    groups = [i // 3 for i in range(300)]
    folds = grouped_folds(groups, k=5)
    assert sorted(np.concatenate(folds)) == list(range(300))
    for f in folds:
        inside = {groups[i] for i in f}
        assert all(groups[j] not in inside for g in folds if g is not f for j in g)
    y = [rng.choice(["tissue", "cell_line"]) for _ in groups]
    X = np.zeros((300, len(FEATURE_NAMES)))
    X[:, 0] = [1.0 if t == "cell_line" else 0.0 for t in y]
    X[:, 1] = [rng.random() for _ in y]  # noise
    proba, classes = cross_validate(X, y, groups, k=5)
    acc = np.mean([classes[i] == t for i, t in zip(proba.argmax(1), y)])
    assert acc > 0.95 and np.allclose(proba.sum(1), 1.0)


# ---------------------------------------------------------------- warehouse and export
@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    """A DuckDB warehouse with tissue / origin_tissue / sample_type annotations as the grounder
    writes them: cultured samples carry their organ as origin_tissue."""
    uberon = load_snapshot("UBERON")
    breast_parts = sorted(t.id for t in uberon.terms.values()
                          if BREAST in t.ancestors or t.id == BREAST)[:15]
    other = [t for t in sorted(uberon.terms) if not uberon.terms[t].obsolete][:300:9]
    rng = random.Random(11)
    db = tmp_path_factory.mktemp("st") / "w.duckdb"
    with writer(db) as con:
        load_ontology(con, *ontology_rows(uberon))
        n = 150
        upsert_records(con, [SampleRecord("sra", f"SRX{9000 + i}", (f"SRX{9000 + i}",),
                                          organism="Homo sapiens", taxon_id=9606,
                                          attributes=(Attribute("tissue", f"t{i}"),))
                             for i in range(n)])
        pairs = []
        for i in range(n):
            sid = f"SRX{9000 + i}"
            organ = rng.choice(breast_parts if rng.random() < 0.6 else other)
            typ = rng.choice([*SAMPLE_TYPES, None])  # None: grounded before the facet existed
            conf = rng.choice([0.4, 0.8])  # only an accepted cultured type moves the organ
            facet = ORIGIN_FACET if typ in CULTURED and conf >= 0.5 else "tissue"
            pairs.append((sid, Annotation(facet, organ, uberon.terms[organ].label, 0.9, "exact",
                                          "accepted", "tissue", f"t{i}")))
            if typ:
                pairs.append((sid, Annotation(FACET, typ, typ, conf, "classifier",
                                              "accepted" if conf >= 0.5 else "needs_review",
                                              "source_name", f"s{i}")))
        replace_annotations(con, [f"SRX{9000 + i}" for i in range(n)], pairs)
    return db


def _sql_count(db, types: list[str] | None, untyped: bool, with_origin: bool) -> int:
    """Independent count: samples with breast (or a part of it) as tissue (or as origin, for
    cultured types), of the given types, straight from the annotations and ontology closure."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        facets = ["tissue", ORIGIN_FACET] if with_origin else ["tissue"]
        return con.execute("""
            WITH organ AS (
                SELECT DISTINCT a.sample_id FROM annotations a
                JOIN term_ancestors t ON t.term_id = a.term_id AND t.ancestor_id = ?
                WHERE a.facet IN (SELECT unnest(?::VARCHAR[])) AND a.status = 'accepted'
                  AND a.confidence >= 0.5),
            typed AS (SELECT sample_id, term_id, status FROM annotations
                      WHERE facet = 'sample_type')
            SELECT count(*) FROM organ o LEFT JOIN typed y USING (sample_id)
            WHERE (y.term_id IN (SELECT unnest(?::VARCHAR[])))
               OR (? AND (y.term_id IS NULL OR y.status = 'needs_review'))""",
            [BREAST, facets, types or list(SAMPLE_TYPES), untyped]).fetchone()[0]
    finally:
        con.close()


def test_tissue_export_leaves_out_cultured_samples_by_default(wh, tmp_path):
    res = export_cohort(wh, tmp_path / "a.tsv", tissue=["breast"])
    assert res.n_samples == _sql_count(wh, ["tissue", "primary_cells"], True, False) > 0
    got = pd.read_csv(tmp_path / "a.tsv", sep="\t")
    cultured = got[got["sample_type_id"].isin(CULTURED)]
    assert len(cultured) > 0 and set(cultured["sample_type_status"]) == {"needs_review"}
    manifest = json.loads(res.manifest_path.read_text())
    assert manifest["query"]["sample_types"] == ["primary_cells", "tissue"]


@pytest.mark.parametrize("asked", [["cell_line"], ["cultured"], ["tissue", "organoid"], ["all"],
                                   ["primary_cells", "induced_pluripotent_stem_cells"]])
def test_sample_type_selects_any_set_of_types(wh, tmp_path, asked):
    types, untyped = sample_types(asked, tissue=True)
    assert not untyped
    res = export_cohort(wh, tmp_path / "b.tsv", tissue=["breast"], sample_type=asked)
    cultured = bool(set(types) & CULTURED)
    assert res.n_samples == _sql_count(wh, types, False, cultured) > 0


def test_sample_type_without_tissue_and_bad_types(wh, tmp_path):
    con = duckdb.connect(str(wh), read_only=True)
    lines = con.execute("SELECT count(DISTINCT sample_id) FROM annotations "
                        "WHERE facet = 'sample_type' AND term_id = 'cell_line'").fetchone()[0]
    everyone = con.execute("SELECT count(*) FROM samples").fetchone()[0]
    con.close()
    assert export_cohort(wh, tmp_path / "c.tsv", sample_type=["cell line"]).n_samples == lines
    assert export_cohort(wh, tmp_path / "d.tsv").n_samples == everyone  # no filter: all kept
    with pytest.raises(ConfigError, match="unknown sample type 'tumour'"):
        export_cohort(wh, tmp_path / "e.tsv", sample_type=["tumour"])


def test_sample_summary_shows_the_type(wh):
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute("SELECT sample_type, sample_type_confidence, tissue_id, origin_tissue_id "
                       "FROM sample_summary").fetchall()
    con.close()
    assert {r[0] for r in rows} == set(SAMPLE_TYPES) | {None}
    for typ, conf, tissue, origin in rows:
        moved = typ in CULTURED and conf >= 0.5
        assert (origin is not None) == moved and (tissue is None) == moved
        assert (conf is None) == (typ is None)


def test_a_curator_decides_a_sample_type(wh, tmp_path):
    tsv = tmp_path / "review.tsv"
    tsv.write_text("facet\tsource_text\tdecision_term_id\n"
                   "sample_type\tHUVEC from a donor\tprimary_cells\n")
    (o,) = read_decisions(tsv, db=wh)
    assert (o.facet, o.term_id, o.term_label) == ("sample_type", "primary_cells", "primary cells")
    tsv.write_text("facet\tsource_text\tdecision_term_id\nsample_type\tx\tprimary\n")
    with pytest.raises(Exception, match="is no sample type"):
        read_decisions(tsv, db=wh)


def test_the_report_shows_sample_types(wh, tmp_path):
    from harmonize.warehouse.report import write_report

    page = write_report(wh, tmp_path / "r.html").read_text()
    con = duckdb.connect(str(wh), read_only=True)
    n_lines = con.execute("SELECT count(*) FROM annotations WHERE facet = 'sample_type' "
                          "AND term_id = 'cell_line'").fetchone()[0]
    con.close()
    assert "Sample types" in page
    assert f'<td>cell_line</td><td class="num">{n_lines:,}</td>' in page


def test_a_new_model_or_word_list_regrounds(lex, tmp_path, monkeypatch):
    import harmonize.ground.sample_type as st
    import harmonize.ground.sample_type_features as stf
    from harmonize.steps.annotate import cache_version

    g = Grounder(lex, use_embeddings=False)
    before = cache_version(g)
    words = tmp_path / "words.tsv"
    words.write_text(stf.WORDS_PATH.read_text() + "culture\tvalue\tmonolayer\tgrown flat\n")
    monkeypatch.setattr(stf, "WORDS_PATH", words)
    after_words = cache_version(g)
    model = tmp_path / "model.json"
    model.write_text(MODEL_PATH.read_text().replace('"temperature"', '"temperature" ', 1))
    monkeypatch.setattr(st, "MODEL_PATH", model)
    assert len({before, after_words, cache_version(g)}) == 3


def test_a_grounder_types_with_the_model_it_is_given(grounder):
    """A benchmark maps held-out folds with a model fitted without them: the grounder uses
    the model it is given, not the shipped one."""
    from harmonize.ground.sample_type import model_of

    raw = json.loads(MODEL_PATH.read_text())
    bias = [20.0 if c == "stem_cells" else 0.0 for c in raw["classes"]]
    sample = {"cell line": "an invented line", "tissue": "breast"}
    shipped = by_facet(grounder.annotate(sample))[FACET].term_id
    grounder.sample_type_model = model_of({**raw, "intercept": bias})
    assert by_facet(grounder.annotate(sample))[FACET].term_id == "stem_cells" != shipped
    grounder.sample_type_model = None
    assert by_facet(grounder.annotate(sample))[FACET].term_id == shipped


def test_an_organoid_says_nothing_of_where_its_cells_came_from():
    """An organoid's own word is no sign it was made from stem cells; a line or stem-cell
    word, in a key too, is."""
    assert made_in_dish({"source_name": "colon organoids"})  # the word alone counts...
    assert not made_in_dish({"source_name": "colon organoids"}, grown=True)  # ...not for one
    assert made_in_dish({"source_name": "kidney organoids", "iPSC line": "KX-12"}, grown=True)
    assert made_in_dish({"source_name": "kidney organoids", "hESC line": "KX-4"}, grown=True)


@pytest.mark.parametrize(("value", "made"), [
    ("gastric biopsy-derived organoids", False), ("Patient-derived tumour organoids", False),
    ("crypt-derived colon organoids", False),
    ("iPSC-derived lung organoids", True), ("organoids derived in vitro from H9 hESCs", True),
    ("organoids differentiated for 20 days", True),
])
def test_an_organoid_derived_from_what_a_donor_gave_was_grown_not_made(value, made):
    """'-derived' from a biopsy, a patient or a tumour says what an organoid was grown from,
    not that cells were differentiated in a dish; from stem cells it does."""
    assert made_in_dish({"source_name": value}, grown=True) is made
    assert made_in_dish({"source_name": value})  # a non-organoid 'derived' still counts


def test_a_sample_typed_a_line_by_its_cells_alone_keeps_its_tissue(grounder, monkeypatch):
    """The model may call primary cells a line from their kind; only a sample that says it is
    a line (a line named, a value under a cell-line key) has its organ as origin."""
    from harmonize.ground import sample_type
    from harmonize.ground.sample_type import model_of

    raw = json.loads(MODEL_PATH.read_text())
    bias = [20.0 if c == "cell_line" else 0.0 for c in raw["classes"]]
    grounder.sample_type_model = model_of({**raw, "intercept": bias})
    try:
        cells = by_facet(grounder.annotate({"source_name": "cells grown out of a breast biopsy",
                                            "tissue": "breast"}))
        line = by_facet(grounder.annotate({"cell line": "an invented line", "tissue": "breast"}))
        assert cells[FACET].term_id == line[FACET].term_id == "cell_line"
        assert cells["tissue"].term_id == BREAST and ORIGIN_FACET not in cells
        assert line[ORIGIN_FACET].term_id == BREAST and "tissue" not in line
        monkeypatch.setattr(sample_type, "_LINE_SAID", False)
        cells = by_facet(grounder.annotate({"source_name": "cells grown out of a breast biopsy",
                                            "tissue": "breast"}))
        assert cells[ORIGIN_FACET].term_id == BREAST
    finally:
        grounder.sample_type_model = None
