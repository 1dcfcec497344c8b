"""Lexicon + grounder on a small ontology set built from real term ids and labels.

The terms are copied from the embedded UBERON/CL/MONDO/Cellosaurus/PATO releases (a few dozen
of them), so these tests run in milliseconds; tests/test_ground_full.py uses the full lexicon.
"""

from __future__ import annotations

import pickle

import pytest

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import Calibration
from harmonize.ground.lexicon import read_synonyms
from harmonize.ground.overrides import load_overrides, override_key
from harmonize.ontology.model import OntologyData, TermData

LIFE = "UBERON:0000105"


def _ont(name: str, terms: list[TermData]) -> OntologyData:
    return OntologyData(name=name, version="test", origin="test", terms={t.id: t for t in terms})


def small_ontologies() -> dict[str, OntologyData]:
    """A few real terms per ontology, with their real ids, labels and (some) synonyms."""
    uberon = _ont("UBERON", [
        TermData("UBERON:0001062", "anatomical entity"),
        TermData("UBERON:0000479", "tissue", ancestors={"UBERON:0001062": 1}),
        TermData("UBERON:0002107", "liver", ancestors={"UBERON:0001062": 2}),
        TermData("UBERON:0000178", "blood", ancestors={"UBERON:0000479": 1, "UBERON:0001062": 2}),
        TermData("UBERON:0001134", "skeletal muscle tissue",
                 ancestors={"UBERON:0000479": 1, "UBERON:0001062": 2}),
        TermData("UBERON:0001379", "vastus lateralis", [("vastus lateralis muscle", "exact")],
                 ancestors={"UBERON:0001134": 2, "UBERON:0001062": 3}),
        TermData("UBERON:0002113", "kidney", ancestors={"UBERON:0001062": 2}),
        TermData("UBERON:0000310", "breast", ancestors={"UBERON:0001062": 2}),
        TermData("UBERON:0002367", "prostate gland", ancestors={"UBERON:0001062": 2}),
        TermData("UBERON:0000468", "multicellular organism"),
        TermData(LIFE, "life cycle stage"),
        TermData("UBERON:0000113", "post-juvenile adult stage", ancestors={LIFE: 1}),
        TermData("UBERON:0002371", "bone marrow", ancestors={"UBERON:0001062": 2}),
        TermData("UBERON:9999999", "obsolete hepar", obsolete=True, replaced_by="UBERON:0002107"),
    ])
    cl = _ont("CL", [
        TermData("CL:0000000", "cell"),
        TermData("CL:0000084", "T cell", [("T-cell", "exact"), ("T lymphocyte", "exact")],
                 ancestors={"CL:0000542": 1, "CL:0000000": 3}),
        TermData("CL:0000236", "B cell", [("B lymphocyte", "exact")],
                 ancestors={"CL:0000542": 1, "CL:0000000": 3}),
        TermData("CL:0000542", "lymphocyte", ancestors={"CL:0000000": 2}),
        TermData("CL:0000842", "mononuclear leukocyte", [("mononuclear cell", "exact")],
                 ancestors={"CL:0000000": 1}),
        TermData("CL:0000786", "plasma cell", ancestors={"CL:0000236": 1, "CL:0000000": 4}),
        TermData("CL:0000057", "fibroblast", ancestors={"CL:0000000": 1}),
    ])
    mondo = _ont("MONDO", [
        TermData("MONDO:0000001", "disease"),
        TermData("MONDO:0004992", "cancer", [("malignant neoplasm", "exact")],
                 ancestors={"MONDO:0000001": 1}),
        TermData("MONDO:0018874", "acute myeloid leukemia", [("AML", "exact")],
                 ancestors={"MONDO:0004992": 2, "MONDO:0000001": 3}),
        TermData("MONDO:0007254", "breast cancer", [("breast carcinoma", "exact")],
                 ancestors={"MONDO:0004992": 1, "MONDO:0000001": 2}),
        TermData("MONDO:0008315", "prostate cancer", ancestors={"MONDO:0004992": 1}),
        TermData("MONDO:0005148", "type 2 diabetes mellitus", ancestors={"MONDO:0000001": 2}),
        TermData("MONDO:0000170", "microphthalmia, isolated, with coloboma", [("MAC", "exact")],
                 ancestors={"MONDO:0000001": 2}),
    ])
    cvcl = _ont("CVCL", [
        TermData("CVCL:0045", "HEK293"), TermData("CVCL:0004", "K-562"),
        TermData("CVCL:1508", "NCI-H1944"), TermData("CVCL:0374", "KG-1"),
        TermData("CVCL:UD72", "KG1"), TermData("CVCL:0030", "HeLa"),
        TermData("CVCL:1240", "H9"), TermData("CVCL:9773", "WA09"),
    ])
    pato = _ont("PATO", [TermData("PATO:0000461", "normal"), TermData("PATO:0000383", "female"),
                         TermData("PATO:0000384", "male")])
    return {"UBERON": uberon, "CL": cl, "MONDO": mondo, "CVCL": cvcl, "PATO": pato}


@pytest.fixture(scope="module")
def lex():
    return build_lexicon(small_ontologies(), read_synonyms(), version="small")


@pytest.fixture()
def grounder(lex):
    return Grounder(lex, use_embeddings=False, calibration=Calibration())


def test_lexicon_facets_and_kinds(lex):
    assert ("UBERON:0002107", "label") in lex.lookup("tissue", "liver")
    assert lex.lookup("dev_stage", "post juvenile adult stage")
    assert not lex.lookup("tissue", "post juvenile adult stage")  # life stages leave tissue
    assert not lex.lookup("tissue", "multicellular organism")
    assert not lex.lookup("cell_type", "cell")  # culture-state/root classes are no cell type
    assert ("MONDO:0000170", "abbreviation") in lex.lookup("disease", "mac")
    assert ("MONDO:0018874", "curated_abbreviation") in lex.lookup("disease", "aml")
    assert lex.lookup("cell_type", "tcell")  # glued spelling of bag-of-words text


def test_obsolete_label_resolves_to_replacement(lex):
    assert lex.lookup("tissue", "hepar") == (("UBERON:0002107", "former"),)
    assert "UBERON:9999999" not in lex.terms


def test_lexicon_pickles(lex, tmp_path):
    path = tmp_path / "lex.pkl"
    path.write_bytes(pickle.dumps(lex))
    again = pickle.loads(path.read_bytes())
    assert again.lookup("tissue", "liver") == lex.lookup("tissue", "liver")


def test_exact_synonym_on_dedicated_key(grounder):
    ann = grounder.ground_value("tissue", "Vastus lateralis muscle", "tissue")
    assert (ann.term_id, ann.method, ann.status) == ("UBERON:0001379", "exact", "accepted")
    assert ann.source_text == "Vastus lateralis muscle"
    assert 0.5 < ann.confidence <= 1.0


def test_noise_words_and_plurals(grounder):
    assert grounder.ground_value("tissue", "Liver tissue", "tissue").term_id == "UBERON:0002107"
    assert grounder.ground_value("cell_type", "T-cells", "cell type").term_id == "CL:0000084"


@pytest.mark.parametrize("value", ["healthy", "Normal", "control", "healthy control"])
def test_healthy_maps_to_pato_normal(grounder, value):
    ann = grounder.ground_value("disease", value, "disease state")
    assert ann.term_id == "PATO:0000461"


def test_healthy_words_in_free_text_are_not_a_disease(grounder):
    anns = grounder.annotate({}, text="normal healthy control donor liver")
    assert not any(a.facet == "disease" and a.term_id for a in anns)


@pytest.mark.parametrize("value", ["N/A", "missing", "not applicable", "-"])
def test_null_values_map_to_nothing(grounder, value):
    assert grounder.ground_value("tissue", value, "tissue").term_id is None
    assert grounder.annotate({"tissue": value}) == []


def test_cell_line_spellings(grounder):
    for value in ("HEK 293", "hek-293", "HEK293"):
        assert grounder.ground_value("cell_line", value, "cell line").term_id == "CVCL:0045"
    assert grounder.ground_value("cell_line", "H1944", "cell line").term_id == "CVCL:1508"
    assert grounder.ground_value("cell_line", "NSCLC line NCI-H1944",
                                 "cell line").term_id == "CVCL:1508"


def test_curated_synonym_beats_homonym_label(grounder):
    # hESC H9 is Cellosaurus WA09; another line is labelled "H9"
    assert grounder.ground_value("cell_line", "H9", "cell line").term_id == "CVCL:9773"


def test_cell_line_scanned_from_title(grounder):
    anns = grounder.annotate({"title": "DNase-seq_K562-2", "cell type": "lymphoblast"})
    line = [a for a in anns if a.facet == "cell_line"]
    assert line and line[0].term_id == "CVCL:0004" and line[0].source_key == "title"


def test_units_are_not_cell_lines(lex):
    from harmonize.ground.mentions import find_mentions

    lex2 = build_lexicon({"CVCL": _ont("CVCL", [TermData("CVCL:J272", "4-8H")])}, [], "u")
    from harmonize.ground.exact import match_exact

    assert find_mentions(lex2, "cell_line", "treated for 48h")[0] == []
    assert [c.term_id for c in match_exact(lex2, "cell_line", "4-8H")] == ["CVCL:J272"]


def test_fuzzy_on_a_misspelling(grounder):
    # two keystrokes off: no word is respelt (rule respelt_words), the whole value is near
    ann = grounder.ground_value("tissue", "vastus laterrallis muscle", "tissue")
    assert ann.term_id == "UBERON:0001379" and ann.method == "fuzzy"
    # one keystroke off: the word is respelt and the name found as written right
    ann = grounder.ground_value("tissue", "vastus laterallis muscle", "tissue")
    assert ann.term_id == "UBERON:0001379" and ann.method == "exact"


def test_mentions_in_bag_of_words_text(grounder):
    text = ("homo sapiens female breast biopsy lymph node negative estrogen receptor positive "
            "breast cancer resected tumor")
    anns = {a.facet: a for a in grounder.annotate({}, text=text)}
    assert anns["tissue"].term_id == "UBERON:0000310"
    assert anns["disease"].term_id == "MONDO:0007254"
    assert anns["tissue"].method == "mention" and anns["tissue"].source_key == "text"


def test_more_specific_mention_wins(grounder):
    ann = grounder.annotate({}, text="purified myeloma plasma cell from bone marrow b cell")
    ct = [a for a in ann if a.facet == "cell_type"][0]
    assert ct.term_id == "CL:0000786"


def test_lowercase_short_abbreviation_is_not_a_mention(grounder):
    anns = grounder.annotate({}, text="mac purified cells from a donor")
    assert not any(a.facet == "disease" and a.term_id == "MONDO:0000170" for a in anns)


@pytest.mark.parametrize(("value", "term"), [
    ("mCRPC", "MONDO:0850353"), ("sAML", "MONDO:0018874"),
    ("mRNA", None), ("hESC", None), ("c9", None)])
def test_modified_abbreviation_under_a_disease_key(grounder, value, term):
    # metastatic CRPC, secondary AML are kinds of the bare disease; a lower-case
    # prefix before letters that name no disease gives nothing
    ann = grounder.ground_value("disease", value, "disease state")
    assert ann.term_id == term


def test_modified_abbreviation_counts_only_under_a_disease_key(grounder):
    anns = grounder.annotate({"source_name": "fALS"})
    assert not [a for a in anns if a.facet == "disease" and a.term_id]


def test_composed_disease(grounder):
    anns = grounder.annotate({}, text="prostate biopsy percentage tumor prostate")
    assert [a.term_id for a in anns if a.facet == "disease"] == ["MONDO:0008315"]


def test_dedicated_key_beats_scanned_text(grounder):
    anns = grounder.annotate({"tissue": "kidney", "title": "liver sample"})
    tissue = [a for a in anns if a.facet == "tissue"][0]
    assert (tissue.term_id, tissue.source_key) == ("UBERON:0002113", "tissue")


def test_overrides_beat_matchers(lex):
    g = Grounder(lex, overrides={override_key("tissue", "liver"): "UBERON:0002113"},
                 use_embeddings=False, calibration=Calibration())
    ann = g.ground_value("tissue", "Liver", "tissue")
    assert (ann.term_id, ann.method, ann.confidence) == ("UBERON:0002113", "curated", 1.0)


def test_rejected_override_yields_no_term(lex):
    g = Grounder(lex, overrides={override_key("cell_line", "HeLa"): ""}, use_embeddings=False,
                 calibration=Calibration())
    ann = g.ground_value("cell_line", "HeLa", "cell line")
    assert ann.term_id is None and ann.status == "rejected"


def test_load_overrides(tmp_path):
    path = tmp_path / "overrides.tsv"
    path.write_text("# comment\nfacet\ttext\tterm_id\tcurator\tnote\n"
                    "tissue\tLiver Tissue\tUBERON:0002107\tme\t\ncell_line\tcontrol\t-\tme\tno\n")
    got = load_overrides(path)
    assert got == {("tissue", "liver tissue"): "UBERON:0002107", ("cell_line", "control"): ""}


def test_load_overrides_names_bad_row(tmp_path):
    from harmonize.errors import ConfigError

    path = tmp_path / "overrides.tsv"
    path.write_text("facet\ttext\tterm_id\tcurator\tnote\norgan\tliver\tUBERON:0002107\tme\t\n")
    with pytest.raises(ConfigError, match="organ"):
        load_overrides(path)


def test_repository_overrides_file_loads():
    assert all(k[0] for k in load_overrides())


def test_unmapped_keeps_candidates(grounder):
    anns = grounder.annotate({"tissue": "livre"})
    [ann] = [a for a in anns if a.facet == "tissue"]
    assert ann.term_id is None and ann.status == "unmapped"
    assert ann.source_text == "livre"
    assert ann.to_json()["candidates"] == [] or ann.candidates


def test_unmapped_value_with_fuzzy_suggestion(grounder):
    [ann] = [a for a in grounder.annotate({"tissue": "kidnee"}) if a.facet == "tissue"]
    # one edit away: either mapped fuzzily or unmapped with the suggestion kept
    assert ann.term_id == "UBERON:0002113" or any(
        c.term_id == "UBERON:0002113" for c in ann.candidates)


def test_explain_has_score_parts(grounder):
    cands = grounder.explain("breast cancer tumor", "disease", "text")
    assert cands[0].term_id == "MONDO:0007254"
    parts = {k: v for k, v in cands[0].features.items() if k.startswith("part:")}
    assert parts and abs(sum(parts.values()) - cands[0].score) < 1e-3


def test_cache_items_round_trip(lex, grounder):
    first = grounder.ground_value("tissue", "vastus lateralis muscle", "tissue")
    items = grounder.cache_items()
    assert items and all(i["lexicon_version"] == "small" for i in items)
    fresh = Grounder(lex, use_embeddings=False, calibration=Calibration())
    assert fresh.preload(items) == len(items)
    again = fresh.ground_value("tissue", "vastus lateralis muscle", "tissue")
    assert (again.term_id, again.confidence) == (first.term_id, first.confidence)
    stale = [dict(i, lexicon_version="other") for i in items]
    assert Grounder(lex, use_embeddings=False).preload(stale) == 0


def test_a_memo_row_of_another_shape_is_named(lex, grounder):
    from harmonize.errors import ParseError

    grounder.ground_value("tissue", "renal pelvis wall", "tissue")
    items = grounder.cache_items()
    # rows written before the memo was keyed by the text as written held 'norm_text'
    old = [{("norm_text" if k == "text" else k): v for k, v in i.items()} for i in items]
    with pytest.raises(ParseError, match=r"^memo row 1 \('tissue', 'dedicated'\): .*'text'.*"
                                         r"ground its values again"):
        Grounder(lex, use_embeddings=False).preload(old)
    odd = [dict(items[0], candidates=[{"term": "UBERON:0001377"}])]
    with pytest.raises(ParseError, match="memo row 1"):
        Grounder(lex, use_embeddings=False).preload(odd)


def test_sex_words(grounder):
    anns = {a.facet: a.term_id for a in grounder.annotate({"sex": "F", "gender": "Male"})}
    assert anns["sex"] in ("PATO:0000383", "PATO:0000384")
    assert grounder.ground_value("sex", "female", "sex").term_id == "PATO:0000383"
    assert grounder.ground_value("sex", "M", "sex").term_id == "PATO:0000384"


@pytest.mark.parametrize("attrs, want", [
    ({"source_name": "Skeletal muscle biopsy from a 62 year old man"}, "PATO:0000384"),
    ({"title": "Female donor 3, adipose"}, "PATO:0000383"),
    ({"title": "male_liver_1"}, "PATO:0000384"),
    ({"description": "RNA from healthy women"}, "PATO:0000383"),
    ({"source_name": "liver", "sex": "F", "title": "male_liver_1"}, "PATO:0000383"),  # key wins
    ({"source_name": "blood from male and female donors"}, None),  # a study, not the sample
    ({"source_name": "blood, F2 generation"}, None),  # a code is no sex word
    ({"disease": "MEN 2A", "source_name": "thyroid"}, None),  # capitals: a code
    ({"co-culture": "male donor fibroblasts", "source_name": "ovarian stroma"}, None),
    ({"title": "patient 3 (F, 54 y)"}, "PATO:0000383"),  # a code beside an age
    ({"description": "biopsy of a 54-year-old M"}, "PATO:0000384"),
    ({"description": "synovium, 71 y/o F"}, "PATO:0000383"),
    ({"title": "donor 8, M, 39 y.o."}, "PATO:0000384"),
    ({"title": "M 12 y/o cells"}, "PATO:0000384"),
    ({"title": "F12 medium, 3 yrs"}, None),  # a letter and digits in one word: a code
    ({"description": "subject 4: sex F, age 58"}, "PATO:0000383"),
    ({"title": "stage M, aged"}, None),  # no age given: 'M' is a code of anything
    ({"title": "M1 macrophages 24 h"}, None),  # no age: a code of something else
    ({"title": "F2 generation, 3 weeks"}, None),
])
def test_sex_named_in_a_longer_value(grounder, attrs, want):
    got = [a for a in grounder.annotate(attrs) if a.facet == "sex" and a.term_id]
    assert (got[0].term_id if got else None) == want


@pytest.mark.parametrize("value, want", [
    ("female (F)", "PATO:0000383"), ("M (male)", "PATO:0000384"), ("male (XY)", "PATO:0000384"),
    ("XX", "PATO:0000383"), ("female pool", "PATO:0000383"), ("pooled", None),
    ("unknown", None)])
def test_sex_key_values_written_with_codes(grounder, value, want):
    assert grounder.ground_value("sex", value, "sex").term_id == want


@pytest.mark.parametrize("value, want", [
    ("46,XX", "PATO:0000383"), ("46, XY, t(9;22)", "PATO:0000384"), ("47,XXY", None)])
def test_a_karyotype_gives_the_chromosomal_sex(grounder, value, want):
    got = [a.term_id for a in grounder.annotate({"karyotype": value}) if a.facet == "sex"]
    assert got == [want]


@pytest.mark.parametrize("attrs, want", [
    ({"description": "an embryonic stem cell line (46,XX) kept on feeders"}, "PATO:0000383"),
    ({"title": "clone 4, 46, XY, passage 30"}, "PATO:0000384"),
    ({"description": "a 47,XXY line"}, None),  # not a normal karyotype
    ({"description": "batch 146,XY"}, None),  # part of a longer number
])
def test_a_karyotype_written_in_text_gives_the_chromosomal_sex(grounder, attrs, want):
    got = [a for a in grounder.annotate(attrs) if a.facet == "sex" and a.term_id]
    assert (got[0].term_id if got else None) == want


@pytest.mark.parametrize("attrs, want", [
    ({"source_name": "PBMC, healthy donor"}, ["PATO:0000461"]),
    ({"title": "Healthy control 3, whole blood"}, ["PATO:0000461"]),
    ({"cohort": "healthy adult volunteer donors"}, ["PATO:0000461"]),
    ({"source_name": "normal kidney tissue"}, []),  # beside a tumour, not the donor's health
    ({"source_name": "control subject 3"}, ["PATO:0000461"]),  # a person who is a control
    ({"source_name": "control, subject 3"}, []),  # an experiment's control, on subject 3
    ({"source_name": "not healthy donor"}, []),
    ({"source_name": "PBMC, healthy donor", "disease state": "AML"}, ["MONDO:0018874"]),
    # under a key of no known role, as in a source name
    ({"recruitment arm": "healthy volunteer 12"}, ["PATO:0000461"]),
    ({"tobacco use": "healthy ex-smoker"}, ["PATO:0000461"]),
    # a reagent's donors, not the sample's
    ({"treatment": "conditioned medium from healthy donor cells"}, []),
    ({"genotype": "Healthy"}, ["PATO:0000461"]),  # the whole value: the donor's state
])
def test_a_healthy_donor_named_in_a_longer_value(grounder, attrs, want):
    got = [a.term_id for a in grounder.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert got == want


@pytest.mark.parametrize("attrs, facet, want", [
    ({"tissue": "T cells"}, "cell_type", "CL:0000084"),  # a cell type under a tissue key
    ({"organism part": "T lymphocytes"}, "cell_type", "CL:0000084"),
    ({"cell type": "liver"}, "tissue", "UBERON:0002107"),  # a tissue under a cell-type key
    ({"tissue": "liver", "cell type": "fibroblast"}, "cell_type", "CL:0000057"),  # own key wins
    ({"cell type": "plasma cells"}, "cell_type", "CL:0000786"),
    ({"cell type": "plasma"}, "cell_type", None),  # as 'blood': the blood plasma, no cell
    ({"cell type": "plasma"}, "tissue", "UBERON:0001969"),
    ({"source_name": "plasma"}, "cell_type", None),
    ({"tissue": "plasma"}, "cell_type", None),
])
def test_cell_types_under_tissue_keys_and_back(grounder, attrs, facet, want):
    # a tissue is where the sample came from when the sample type says it was grown
    facets = (facet, "origin_tissue") if facet == "tissue" else (facet,)
    got = [a.term_id for a in grounder.annotate(attrs) if a.facet in facets and a.term_id]
    assert (got[0] if got else None) == want


def test_unknown_key_counts_as_dedicated_in_ground_value(grounder):
    ann = grounder.ground_value("tissue", "vastus laterrallis muscle", "explain")
    assert ann.term_id == "UBERON:0001379" and ann.method == "fuzzy"
    scanned = grounder.ground_value("tissue", "vastus laterrallis muscle", "title")
    # ambiguous keys are only scanned, never fuzzy-matched: 'muscle' alone is found
    assert scanned.term_id != "UBERON:0001379" and scanned.method != "fuzzy"
    # a word one keystroke off is respelt there too
    assert grounder.ground_value("tissue", "vastus laterallis muscle",
                                 "title").term_id == "UBERON:0001379"


def test_cell_words_around_a_cell_line_name(grounder):
    for value in ("HEK-293 cells", "HeLa cell line", "human HeLa cells"):
        ann = grounder.ground_value("cell_line", value, "cell line")
        assert ann.method == "exact" and ann.term_id in ("CVCL:0045", "CVCL:0030")


def test_library_texts_give_the_assay(grounder):
    pytest.importorskip("harmonize.assay")
    anns = grounder.annotate({"tissue": "liver"}, None,
                             {"library_strategy": "RNA-Seq", "library_source": "TRANSCRIPTOMIC"})
    assay = [a for a in anns if a.facet == "assay"]
    assert assay and all(a.term_id and a.term_id.startswith("EFO:") for a in assay)


def test_a_study_repeating_its_values_is_decided_once_per_facet(lex, grounder):
    """Samples that share their tissue and disease values share those decisions (the decision
    memo: a donor id differs, so the facets it is read for are decided per sample), and get
    what a new grounder gives each of them alone."""
    samples = [{"tissue": "liver", "disease": "AML", "donor": f"D{i}", "batch": f"B{i % 3}"}
               for i in range(12)]
    together = [grounder.annotate(s) for s in samples]
    decided = [key[0] for key in grounder._decisions]
    for s, anns in zip(samples, together):
        assert Grounder(lex, use_embeddings=False, calibration=Calibration()).annotate(s) == anns
    assert {a.term_id for a in together[0]} >= {"UBERON:0002107", "MONDO:0018874"}
    assert decided.count("tissue") == 1 and decided.count("disease") == 12, decided


def test_a_grounders_overrides_are_fixed_when_it_is_made(lex):
    """The memos hold decisions made with the overrides: a grounder's cannot change under
    them (a run reads new curator decisions by making a new grounder)."""
    g = Grounder(lex, use_embeddings=False, overrides={("tissue", "hepatic thing"): "UBERON:0002107"},
                 calibration=Calibration())
    with pytest.raises(TypeError):
        g.overrides[("tissue", "kidny")] = "UBERON:0002113"  # type: ignore[index]
    assert next(a.term_id for a in g.annotate({"tissue": "hepatic thing"})
                if a.facet == "tissue") == "UBERON:0002107"


def test_a_decision_is_remembered_per_calibration(lex):
    """A grounder whose calibration is swapped (a benchmark fold's fit) decides again under
    the new one, as a new grounder with that calibration does, even when the old one is
    freed and the new one might take its place in memory (and so its id)."""
    sample = {"tissue": "liver"}
    g = Grounder(lex, use_embeddings=False, calibration=Calibration())
    first = g.annotate(sample)
    for _ in range(3):
        g.calibration = Calibration(accept=0.9999)  # above what an exact name gets here
        swapped = g.annotate(sample)
        assert swapped == Grounder(lex, use_embeddings=False,
                                   calibration=Calibration(accept=0.9999)).annotate(sample)
        assert [a.status for a in first if a.facet == "tissue"] == ["accepted"]
        assert [a.status for a in swapped if a.facet == "tissue"] == ["needs_review"]
        g.calibration = Calibration()
        assert g.annotate(sample) == first
