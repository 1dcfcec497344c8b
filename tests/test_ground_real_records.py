"""The grounder on the real records of tests/data (SRA, GEO, BioSample, the demo snapshot).

Each test states a general property of the accepted annotations (no confident call from weak
evidence), plus a few concrete calls on those records that must be right.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harmonize.ground import Grounder, load_lexicon, load_overrides
from harmonize.ground.evidence import WEAK_CAP, WEAK_KINDS
from harmonize.ground.fields import key_role, whole_value_only
from harmonize.ground.mentions import defined_abbreviations, has_disease_context
from harmonize.ground.normalize import compact, tokens
from harmonize.ground.stages import EMBRYO, FETAL
from harmonize.models import SampleRecord
from harmonize.parse import iter_file

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data"
FOLDERS = ("ncbi/sra_efetch", "ncbi/biosample", "ncbi/geo_miniml", "ncbi/geo_soft", "snapshot")
CODE = re.compile(r"^[a-z]{1,2}\d{1,2}$")


def _records() -> list[SampleRecord]:
    out = []
    for folder in FOLDERS:
        for path in sorted((DATA / folder).rglob("*")):
            if not path.is_file() or path.suffix == ".md":
                continue
            try:
                out.extend(r for r in iter_file(path) if isinstance(r, SampleRecord))
            except Exception:
                continue
    return out


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False)


@pytest.fixture(scope="module")
def annotated(grounder):
    """``(attributes, annotations)`` of every real record."""
    recs = _records()
    assert len(recs) > 100, "the real fixtures should give well over 100 records"
    out = []
    for r in recs:
        attrs = r.attribute_dict()
        text = "\n".join(p for p in (r.title, r.description) if p and p.strip()) or None
        out.append((attrs, grounder.annotate(attrs, text)))
    return out


def _accepted(annotated, facet):
    return [a for _, anns in annotated for a in anns
            if a.facet == facet and a.status == "accepted" and a.term_id]


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text)


def test_scanned_cell_lines_are_distinctive_full_names(annotated, grounder):
    found = _accepted(annotated, "cell_line")
    assert found, "the fixtures name cell lines"
    for a in found:
        if key_role(a.source_key) == "cell_line" or a.method == "curated":
            continue
        label = grounder.lexicon.term(a.term_id).label
        # the full name, spelled out in the value (not a fragment of a longer name)
        assert compact(label) in compact(a.source_text), (a.source_key, a.source_text, label)
        assert not CODE.match(compact(label)), (a.source_text, label)
        if not any(c.isdigit() for c in label):  # word-like names need the label's capitals
            assert _alnum(label) in _alnum(a.source_text), (a.source_text, label)


def test_genotype_strain_treatment_keys_name_no_cell_line_but_a_whole_value(annotated):
    for a in _accepted(annotated, "cell_line"):
        if whole_value_only(a.source_key):
            assert compact(a.term_label) == compact(a.source_text), (a.source_key, a.source_text)


def test_no_disease_from_a_bare_abbreviation_or_adjective_in_a_scanned_key(annotated):
    for a in _accepted(annotated, "disease"):
        if key_role(a.source_key) == "disease":
            continue
        top = a.candidates[0] if a.candidates else None
        if top is None:
            continue
        whole_curated = (top.match_kind == "curated_abbreviation"
                         and " ".join(tokens(a.source_text)) == top.matched_text)  # "NSCLC"
        weak = top.match_kind in WEAK_KINDS or (
            top.match_kind == "synonym" and len(top.matched_text.split()) == 1)
        if weak and not whole_curated:
            assert has_disease_context(a.source_text, top.matched_text), a.source_text
        assert not (top and top.matched_text in defined_abbreviations(a.source_text)), a


def test_a_cell_type_phrase_is_not_a_life_stage(annotated, grounder):
    cell_names = grounder.lexicon.names["cell_type"]
    for a in _accepted(annotated, "dev_stage"):
        if key_role(a.source_key) == "dev_stage" or not a.candidates:
            continue
        toks = tokens(a.source_text)
        word = a.candidates[0].matched_text
        for i, t in enumerate(toks):
            if t != word.split()[0]:
                continue
            for n in range(2, 5):
                assert " ".join(toks[i:i + n]) not in cell_names, a.source_text


def test_gestational_weeks_map_to_embryo_or_fetal_stage(annotated):
    seen = 0
    for attrs, anns in annotated:
        for key, value in attrs.items():
            m = re.match(r"(\d+(?:\.\d+)?) weeks? gestation", value.lower())
            if not m or key_role(key) != "dev_stage":
                continue
            stage = next(a for a in anns if a.facet == "dev_stage")
            assert stage.status == "accepted"
            assert stage.term_id == (EMBRYO if float(m.group(1)) < 10 else FETAL)
            seen += 1
    assert seen, "the snapshot has gestational ages"


def test_disease_confidence_separates_strong_from_weak_evidence(annotated):
    # a full name under a disease key ("Crohn's Disease"); abbreviations ("sALS") rank lower
    dedicated = [a.confidence for a in _accepted(annotated, "disease")
                 if key_role(a.source_key) == "disease" and a.method == "exact"
                 and "abbreviation" not in a.candidates[0].match_kind]
    # weak evidence with no word of disease context around it is capped for review (a curated
    # abbreviation is unambiguous: not weak)
    weak = [a.confidence for _, anns in annotated for a in anns if a.facet == "disease"
            and a.candidates and a.candidates[0].match_kind in WEAK_KINDS - {"curated_abbreviation"}
            and key_role(a.source_key) != "disease"
            and not has_disease_context(a.source_text, a.candidates[0].matched_text)]
    assert dedicated and min(dedicated) >= 0.5
    assert not weak or max(weak) <= WEAK_CAP < min(dedicated)
    confs = {round(a.confidence, 2) for _, anns in annotated for a in anns if a.facet == "disease"}
    assert len(confs) >= 2  # not one figure for every disease


def _calls(annotated, facet, key_text):
    return [a for _, anns in annotated for a in anns
            if a.facet == facet and a.source_text == key_text]


@pytest.mark.parametrize(("facet", "text", "term"), [
    ("cell_line", "MCF-7", "CVCL:0031"),
    ("disease", "Crohn's Disease", "MONDO:0005011"),
    ("disease", "Healthy Control", "PATO:0000461"),
    ("disease", "Clear cell renal cell carcinoma cells", "MONDO:0005005"),
    ("disease", "sALS", "MONDO:0005145"),  # 's' the initial of sporadic: a kind of ALS
    ("disease", "c9FTLD", "MONDO:0017276"),  # C9orf72 FTLD; MONDO's FTLD is FTD
    ("cell_type", "Neural progenitor cells (NPC)", "CL:0011020"),
    ("tissue", "bone marrow", "UBERON:0002371"),
])
def test_concrete_calls_on_real_records(annotated, facet, text, term):
    calls = _calls(annotated, facet, text)
    assert calls, f"no {facet} annotation from {text!r}"
    assert all(a.term_id == term and a.status == "accepted" for a in calls), calls[0]


@pytest.mark.parametrize("text", ["Brain, cortical plate", "SETD2-deficient", "C57BL6/J",
                                  "Human iPSC derived neural organoids (HNOs)"])
def test_no_cell_line_from_words_genes_or_strains(annotated, text):
    assert not [a for a in _calls(annotated, "cell_line", text) if a.term_id]


def test_host_keys_of_biosample_packages(annotated):
    stages = [a for _, anns in annotated for a in anns
              if a.source_key.startswith("host_life") and a.facet == "tissue"]
    assert not stages, "a host life stage ('calf') is not a body part"


def test_sex_words(grounder):
    assert grounder.ground_value("sex", "F", "Sex").term_id == "PATO:0000383"
    assert grounder.ground_value("sex", "male", "gender").term_id == "PATO:0000384"
    assert grounder.ground_value("sex", "pooled male and female", "sex").term_id == "PATO:0001338"
    assert grounder.ground_value("sex", "hermaphrodite", "sex").term_id == "PATO:0001340"


def test_age_keys_give_life_stages(grounder):
    anns = {a.facet: a for a in grounder.annotate({"age": "45 years", "Sex": "female"})}
    assert anns["dev_stage"].term_id == "UBERON:0000113"
    assert "dev_stage" not in {a.facet for a in grounder.annotate({"age": "45"})}


def test_characteristics_joined_in_one_value_read_as_attributes(grounder):
    """A GEO record whose characteristics come as one value ("tissue: kidney; genotype: X")
    gets the annotations it gets with each characteristic as its own key: a key's words name
    nothing of the sample, and each value is read under its own key."""
    recs = [r for folder in ("ncbi/geo_soft", "ncbi/geo_miniml") for r in _records_in(folder)]
    assert len(recs) > 100
    for r in recs:
        attrs = r.attribute_dict()
        inner = {k: v for k, v in attrs.items() if k not in ("source_name", "title")}
        if not inner:
            continue
        joined = {k: v for k, v in attrs.items() if k not in inner}
        joined["characteristics"] = "; ".join(f"{k}: {v}" for k, v in inner.items())

        def terms(anns):
            return {(a.facet, a.term_id) for a in anns
                    if a.term_id and a.facet not in ("sample_type", "origin_tissue")}
        assert terms(grounder.annotate(joined)) == terms(grounder.annotate(attrs)), joined


def _records_in(folder: str) -> list[SampleRecord]:
    return [r for path in sorted((DATA / folder).rglob("*")) if path.is_file()
            for r in iter_file(path) if isinstance(r, SampleRecord)]


@pytest.mark.parametrize("value, healthy", [
    ("healthy kidney", True), ("healthy lung tissue", True), ("control PBMC", True),
    ("normal T cells", True), ("Control (never smoked)", True), ("cognitively normal", True),
    ("not healthy kidney", False), ("normal ploidy", False), ("family normal", False),
    ("liver cancer", False), ("healthy kidney; hepatitis", False),
    ("age-matched control", True), ("age- and sex-matched healthy controls", True),
    ("HIV-negative control 4", True), ("matched tumor", False), ("diabetic control", False)])
def test_a_healthy_name_beside_what_was_sampled_is_the_healthy_state(grounder, value, healthy):
    a = grounder.ground_value("disease", value, "disease state")
    assert (a.term_id == "PATO:0000461") is healthy, (value, a.term_id)


def test_a_keys_own_words_in_joined_characteristics_name_no_disease(grounder):
    anns = grounder.annotate({"source_name": "liver biopsy",
                              "characteristics": "diagnosis: healthy kidney; fibrosis stage: 0"})
    assert {a.term_id for a in anns if a.facet == "disease" and a.term_id} == {"PATO:0000461"}


@pytest.mark.parametrize("value, term", [
    ("cardiomyocytes derived from iPSCs", "CL:0000746"),  # the cells before 'derived from'
    ("iPSC-derived cardiomyocytes", "CL:0000746"),        # the cells after 'X-derived'
    ("macrophages derived from monocytes", "CL:0000235"),
    ("non-immune cells", None),                           # 'non' denies the cell type
    ("non-T cells", None)])
def test_what_the_cells_are_not_where_they_came_from_or_what_they_are_not(grounder, value, term):
    assert grounder.ground_value("cell_type", value, "cell type").term_id == term


@pytest.mark.parametrize("facet, value, term", [
    ("cell_type", "pulmonary fibroblasts", "CL:0002553"),     # fibroblast of lung
    ("cell_type", "neuronal stem cells", "CL:0000047"),       # neural stem cell
    ("cell_type", "cardiac fibroblasts", "CL:0002548"),       # fibroblast of cardiac tissue
    ("tissue", "gastric mucosa", "UBERON:0001199"),           # mucosa of stomach
    ("cell_type", "fibroblasts", "CL:0000057")])              # no adjective: as before
def test_anatomical_adjectives_read_as_the_ontologies_nouns(grounder, facet, value, term):
    key = "cell type" if facet == "cell_type" else "tissue"
    assert grounder.ground_value(facet, value, key).term_id == term


def test_a_bare_tissue_word_is_uberons_tissue(grounder):
    assert grounder.ground_value("tissue", "bone", "tissue").term_id == "UBERON:0002481"
    assert grounder.ground_value("tissue", "granulation", "tissue").term_id == "UBERON:0010211"
    assert grounder.ground_value("tissue", "soft", "tissue").term_id is None


def test_a_choice_among_tied_candidates_is_a_suggestion(grounder):
    """'K562-EGFP' names fourteen derived Cellosaurus lines in part and nothing tells them
    apart: the one taken is at best one in k, and harmonize map writes it without a term."""
    from harmonize.mapping import map_record

    a = grounder.ground_value("cell_line", "K562-EGFP", "cell line")
    assert a.status == "needs_review" and a.confidence < 0.25
    assert a.candidates[0].features["conf:tied"] >= 4
    out = map_record({"accession": "X", "attributes": {"cell line": "K562-EGFP"}}, grounder)
    line = next(x for x in out["annotations"] if x["facet"] == "cell_line")
    assert line["term_id"] is None
    sure = grounder.ground_value("cell_line", "HEK293T", "cell line")
    assert sure.term_id == "CVCL:0063" and sure.status == "accepted"


@pytest.mark.parametrize("key, value, term", [
    ("cell type", "T-cell leukemia cells", None),              # a disease's words
    ("source_name", "plasma cell myeloma cells", None),
    ("cell type", "NPC", "CL:0011020"),                         # an abbreviation is no span
    ("cell type", "myeloid cells from AML patients", "CL:0000763")])
def test_cell_words_of_a_disease_name_name_no_cell_type(grounder, key, value, term):
    assert grounder.ground_value("cell_type", value, key).term_id == term


def test_a_bare_name_is_not_its_tagged_derivative(grounder):
    """Cellosaurus names a line carrying a reporter '<parent>-GFP': the bare parental name
    does not reach it, while a descriptive last word still goes ('U-87MG ATCC' is U87MG)."""
    names = grounder.lexicon.compact_names
    assert "thp1ascgfp" in names and "thp1asc" not in names
    assert grounder.ground_value("cell_line", "U87", "cell line").term_label == "U-87MG ATCC"


def test_a_type_read_from_free_text_alone_is_for_review(grounder):
    """The sample-type model was fitted and judged on key-value attributes only."""
    anns = grounder.annotate({}, "cd4 t cells isolated from peripheral blood of a healthy donor")
    assert next(a for a in anns if a.facet == "sample_type").status == "needs_review"
    keyed = grounder.annotate({"cell line": "HeLa", "source_name": "HeLa cultures"})
    assert next(a for a in keyed if a.facet == "sample_type").status == "accepted"


def test_a_pair_under_a_key_we_do_not_know_is_read_as_part_of_its_value(grounder):
    """"Patient information: male, 61 years" inside a description is read as the description
    (sex words count there), not as an unknown key whose values name nothing of the sample."""
    anns = grounder.annotate({"source_name": "venous blood draw",
                              "description": "Patient information: male, 61 years"})
    assert [(a.term_id, a.source_key) for a in anns if a.facet == "sex"] == [
        ("PATO:0000384", "description")]


@pytest.mark.parametrize("attributes, facet, broad", [
    ({"tissue": "heart", "source_name": "left ventricle of the heart, donor 7"},
     "tissue", "UBERON:0000948"),
    ({"disease": "leukemia", "source_name": "marrow aspirate, acute myeloid leukemia"},
     "disease", "MONDO:0005059"),
    ({"cell type": "T cell", "source_name": "sorted CD8-positive T cells"},
     "cell_type", "CL:0000084")])
def test_the_most_specific_term_a_sample_names_is_taken(grounder, attributes, facet, broad):
    """A narrower name in another field of the sample is what the sample is; the broad
    term of the facet's own field is no rival to it."""
    a = next(x for x in grounder.annotate(attributes) if x.facet == facet)
    assert a.term_id != broad and grounder.lexicon.is_ancestor(broad, a.term_id)
    assert a.status == "accepted"


def test_a_title_or_a_weak_reading_names_no_narrower_term(grounder):
    """A title names other things too, and an abbreviation is a weak reading."""
    titled = grounder.annotate({"tissue": "brain"}, "samples of brain compared with hippocampus")
    assert next(x for x in titled if x.facet == "tissue").term_id == "UBERON:0000955"
    abbreviated = grounder.annotate({"disease": "leukemia", "source_name": "marrow with AML blasts"})
    assert next(x for x in abbreviated if x.facet == "disease").term_id == "MONDO:0005059"


@pytest.mark.parametrize("attributes, facet, term", [
    ({"donor": "female, 58 years", "tissue": "liver"}, "sex", "PATO:0000383"),
    ({"individual": "Male donor 4", "tissue": "lung"}, "sex", "PATO:0000384"),
    ({"subject": "healthy adult volunteer", "cell type": "monocytes"}, "disease", "PATO:0000461"),
    ({"patient": "medullary thyroid carcinoma", "tissue": "thyroid"}, "disease", "MONDO:0015277"),
    ({"donor": "adult donor 2", "tissue": "skin"}, "dev_stage", "UBERON:0000113")])
def test_a_key_naming_the_person_sampled_says_who_they_are(grounder, attributes, facet, term):
    assert next(a for a in grounder.annotate(attributes) if a.facet == facet).term_id == term


@pytest.mark.parametrize("attributes", [
    {"donor": "co-cultured with liver cells"}, {"subject": "14"}, {"individual": "F"}])
def test_a_person_key_names_no_tissue_no_number_line_and_no_sex_by_letter(grounder, attributes):
    facets = {a.facet: a.term_id for a in grounder.annotate(attributes)}
    assert facets.get("tissue") is None and facets.get("cell_line") is None
    assert facets.get("sex") is None


@pytest.mark.parametrize("value, term", [
    ("monocytes differentiated into macrophages", "CL:0000235"),
    ("hepatocytes differentiated from embryonic stem cells", "CL:0000182"),
    ("fibroblasts reprogrammed into induced neurons", "CL:0000540"),
    ("embryonic stem cells differentiated to a mixed culture", None),
    ("differentiated human induced pluripotent stem cells, day 20", None),
    ("differentiated adipocytes", "CL:0000136"),
    ("an iPS cell line differentiating toward a hepatic fate", None),
    ("iPSC clone 3 derived neurons", "CL:0000540"),
    ("hESC (line 7)-derived hepatocytes", "CL:0000182")])
def test_cells_made_from_others_are_what_they_were_made_into(grounder, value, term):
    assert grounder.ground_value("cell_type", value, "cell type").term_id == term


def test_a_stage_word_of_an_origin_cell_name_is_no_life_stage(grounder):
    """'embryonic' belongs to the cells the sample was made from, not to the donor."""
    anns = grounder.annotate({"source_name": "embryonic stem cell derived cardiomyocytes"})
    assert next(a for a in anns if a.facet == "cell_type").term_id == "CL:0000746"
    assert not any(a.facet == "dev_stage" and a.term_id for a in anns)


def test_a_line_name_written_as_a_marker_is_no_line(grounder):
    """Cellosaurus has a line named like the TRA-1-81 antigen; 'TRA-1-81+' is the antigen."""
    def line(value: str) -> str | None:
        anns = grounder.annotate({"enrichment": value, "source_name": "fibroblasts"})
        return next((a.term_id for a in anns if a.facet == "cell_line"), None)

    assert line("TRA-1-81 sorted") is not None  # the name alone is the line's
    assert line("TRA-1-81+ sorted") is None


@pytest.mark.parametrize("attributes, line", [
    ({"source_name": "DAUDI cells, stimulated"}, "CVCL:0008"),    # capitals mark the name
    ({"cell type": "namalwa cells"}, "CVCL:0067"),                 # alone under a cell-type key
    ({"source_name": "daudi cells"}, None),                        # lower case in a source name
    ({"cell type": "Oligo", "tissue": "white matter"}, None),       # a capitalized cell word
    ({"source_name": "NORMAL TISSUE"}, None)])
def test_a_line_name_is_read_by_its_capitals_or_alone(grounder, attributes, line):
    assert next((a.term_id for a in grounder.annotate(attributes) if a.facet == "cell_line"),
                None) == line


@pytest.mark.parametrize("attributes, term", [
    ({"tissue": "postmortem frontal lobe (BA10)"}, "UBERON:0013541"),
    ({"tissue": "brain", "source_name": "anterior cingulate, BA 24"}, "UBERON:0006101"),
    ({"tissue": "BA46"}, "UBERON:0006483")])
def test_a_brodmann_area_written_short_is_that_area(grounder, attributes, term):
    assert next(a for a in grounder.annotate(attributes) if a.facet == "tissue").term_id == term


@pytest.mark.parametrize("attributes, term", [
    ({"region": "entorhinal cortex (BA28, left)"}, "UBERON:0002728"),
    ({"region": "Anterior cingulate cortex, BA 24"}, "UBERON:0006101"),
    # the region's abbreviation is the whole value but for the aside: it refines 'brain'
    ({"tissue": "brain", "region": "DLPFC (area BA 9)"}, "UBERON:0009834")])
def test_an_area_in_brackets_after_the_region_it_lies_in_restates_it(grounder, attributes,
                                                                      term):
    # in brackets the area is an aside on the region UBERON puts it directly in; written
    # after a comma it says which part was taken
    assert next(a for a in grounder.annotate(attributes) if a.facet == "tissue").term_id == term


def test_a_broader_term_of_the_one_taken_is_no_tie(grounder):
    """Two fields naming one lineage ('pituitary adenoma' beside 'pituitary neoplasm') name the
    narrower term; the broader one scoring the same is no alternative that halves its
    confidence."""
    a = next(x for x in grounder.annotate({"source_name": "pituitary adenoma",
                                           "tissue": "pituitary neoplasm"}) if x.facet == "disease")
    assert a.term_label == "pituitary gland adenoma" and a.status == "accepted"
    assert "conf:tied" not in a.candidates[0].features


@pytest.mark.parametrize("value, term", [
    ("iPS cell line, clone 4", "CL:0002248"), ("hES cell line", "CL:0002322"),
    ("NS cell culture", "CL:0000047"),
    ("cultured oligodendrocyte precursors", "CL:0002453"),
    ("hMSC culture, passage 3", "CL:0000134"), ("hSMCs", "CL:0000192")])
def test_a_cell_abbreviation_is_found_with_its_cell_written_out(grounder, value, term):
    assert grounder.ground_value("cell_type", value, "cell type").term_id == term


@pytest.mark.parametrize("attributes", [
    {"growth protocol": "stained after blocking with 5% donkey serum"},
    {"description": "monocytes rested overnight after serum starvation"},
    {"source_name": "primary monocytes in medium with 5% horse serum"},
    {"growth protocol": "DMEM and 10% foetal calf serum"}])  # read the American way
def test_a_culture_reagent_names_no_tissue(grounder, attributes):
    assert not any(a.facet in ("tissue", "origin_tissue") and a.term_id
                   for a in grounder.annotate(attributes))


@pytest.mark.parametrize("attributes, disease", [
    ({"source_name": "cultured NPCs from donor 2, day 12"}, None),      # neural progenitors, counted
    ({"source_name": "nasopharynx biopsy, NPC"}, "MONDO:0015459"),
    ({"treatment": "retroviral infection with an empty vector"}, None),
    ({"source_name": "PBMC from HIV infection cohort"}, "MONDO:0005109")])
def test_counted_abbreviations_and_vector_infections_name_no_disease(grounder, attributes, disease):
    found = next((a.term_id for a in grounder.annotate(attributes)
                  if a.facet == "disease" and a.term_id), None)
    assert found == disease


def test_a_small_memo_forgets_values_but_not_answers(annotated):
    """A grounder whose memos hold 40 values each, dropping the oldest, annotates every real
    record as the unbounded-in-practice one does, and never holds more than 40."""
    small = Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False,
                     memo_limit=40)
    recs = _records()
    for r, (attrs, anns) in zip(recs, annotated):
        text = "\n".join(p for p in (r.title, r.description) if p and p.strip()) or None
        assert small.annotate(attrs, text) == anns, r.accession
    memos = {name: len(m) for name, m in vars(small).items() if type(m).__name__ == "Memo"}
    assert len(memos) >= 8 and max(memos.values()) <= 40, memos
    assert max(memos.values()) > 10, "the records should fill the memos"


def test_every_term_id_a_word_list_or_the_synonyms_name_is_a_term(grounder):
    """A mistyped id in a vocabulary file would be silently without effect: each must name a
    term of the packaged ontologies (``not_a_term.tsv`` names terms taken out of the lexicon,
    so those must be absent)."""
    from harmonize.ground import rules
    from harmonize.ground.lexicon import SYNONYMS_PATH

    term_id = re.compile(r"\b(?:UBERON|CL|MONDO|CVCL|PATO|EFO|HsapDv):\w+")
    lex, files, unknown = grounder.lexicon, [*sorted(rules.WORDS_DIR.glob("*.tsv")), SYNONYMS_PATH], []
    classes = {a for ups in lex.ancestors.values() for a in ups}  # kept out as names, still classes
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for tid in [] if line.startswith("#") else term_id.findall(line):
                named = lex.term(tid) is not None
                if (named if path.name == "not_a_term.tsv" else not (named or tid in classes)):
                    unknown.append(f"{path.name}:{n} {tid}")
    assert len(files) > 20 and unknown == []
