"""The full lexicon from the embedded ontology releases (built once, then cached on disk)."""

from __future__ import annotations

import pytest

from harmonize.ground import Grounder, load_lexicon, load_overrides
from harmonize.ground.compose import rules_that_took
from harmonize.ground.evidence import WEAK_CAP
from harmonize.ground.fields import key_role
from harmonize.ground.lexicon import cache_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full():
    lex = load_lexicon()
    return Grounder(lex, overrides=load_overrides(), use_embeddings=False)


def test_the_loaded_lexicon_is_out_of_the_cyclic_collectors_reach(full):
    import gc

    lex = load_lexicon()
    # every ancestor set is a container the collector would otherwise walk on each full pass
    assert gc.get_freeze_count() >= len(lex.ancestors) > 10_000
    assert lex.lookup("tissue", "liver")  # still a working lexicon


def test_lexicon_is_cached_by_version(full):
    path = cache_dir() / f"lexicon-{full.lexicon.version}.pkl"
    assert path.exists()
    assert load_lexicon().version == full.lexicon.version
    assert set(full.lexicon.ontology_versions) >= {"UBERON", "CL", "MONDO", "CVCL"}


@pytest.mark.parametrize(("facet", "value", "key", "term"), [
    ("tissue", "vastus lateralis muscle", "tissue", "UBERON:0001379"),
    ("tissue", "Liver", "organism part", "UBERON:0002107"),
    ("tissue", "whole blood", "tissue", "UBERON:0000178"),
    ("tissue", "hippocampus", "tissue", "UBERON:0002421"),  # UBERON: 'hippocampus (Crosby)'
    ("tissue", "Pancreatic islets", "tissue", "UBERON:0000006"),  # curated usual names
    ("tissue", "DLPFC", "brain region", "UBERON:0009834"),
    ("tissue", "breast milk", "tissue", "UBERON:0001913"),  # not 'breast'
    ("tissue", "skin", "tissue", "UBERON:0002097"),  # curated name beats UBERON's other 'skin'
    ("tissue", "lesional skin", "tissue", "UBERON:0002097"),
    ("tissue", "epidermis", "tissue", "UBERON:0001003"),  # not 'outer epithelium'
    ("tissue", "Glomeruli", "tissue", "UBERON:0000074"),
    ("tissue", "synovial membrane", "tissue", "UBERON:0002018"),  # UBERON: Latin names only
    ("cell_type", "syncytiotrophoblast", "cell type", "CL:0000525"),  # a noun for the cell
    ("tissue", "subcutaneous adipose", "tissue", "UBERON:0002190"),  # adjective as noun
    ("cell_type", "hematopoietic stem and progenitor cells", "cell type", "CL:0008001"),
    ("tissue", "Colon - Sigmoid", "tissue", "UBERON:0001159"),  # organ - qualifier
    ("tissue", "Artery - Tibial", "source_name", "UBERON:0007610"),
    ("tissue", "Skin - Sun Exposed (Lower leg)", "tissue", "UBERON:0004264"),
    ("tissue", "adipose, subcutaneous", "tissue", "UBERON:0002190"),
    ("tissue", "brown adipose", "tissue", "UBERON:0001348"),
    ("tissue", "adipose tissue obtained during gastric bypass", "tissue",
     "UBERON:0001013"),  # a surgery names no sampled organ
    ("tissue", "nasopharyngeal swab", "source_name", "UBERON:0001728"),  # organ adjectives
    ("tissue", "ileal biopsy", "source_name", "UBERON:0002116"),
    ("tissue", "DRG neurons", "source_name", "UBERON:0000044"),
    ("tissue", "vastus medialis muscle", "tissue", "UBERON:0001380"),  # muscles named '<x> muscle'
    # CL names cells by their markers: the one such term below the cell read otherwise
    ("cell_type", "CD34+CD38- HSCs", "cell type", "CL:0001024"),
    # stem and progenitor cells: CL's hematopoietic precursor cell, above both
    ("cell_type", "CD34+CD38- HSPCs", "cell type", "CL:0008001"),
    ("cell_type", "CD14+CD16- monocytes", "cell type", "CL:0002057"),
    ("cell_type", "CD4+CD25+ Treg", "cell type", "CL:0000792"),
    ("cell_type", "CD4+CD45RA+ T cells", "cell type", "CL:0000624"),  # no such CL term: as read
    ("tissue", "biceps femoris muscle", "tissue", "UBERON:0001374"),
    ("cell_type", "iPSC-CMs", "cell type", "CL:0000746"),
    ("cell_type", "alveolar type II cells", "cell type", "CL:0002063"),
    ("cell_type", "CD34+ cells", "cell type", "CL:0008001"),
    ("cell_type", "OPCs", "cell type", "CL:0002453"),
    ("cell_type", "CD14+", "cell fraction", "CL:0001054"),  # a marker alone names its cells
    ("cell_type", "Treg", "cell_subtype", "CL:0000815"),
    ("disease", "sepsis", "disease", "MONDO:1040015"),
    ("disease", "ASD", "diagnosis", "MONDO:0005258"),  # autism, not atrial septal defect
    ("disease", "type 2 diabetic", "disease state", "MONDO:0005148"),  # adjective of the noun
    ("disease", "gestational diabetic", "disease state", "MONDO:0005406"),
    # GEO bag-of-words text drops 'with'; 'acute myeloid leukemia' inside is no second disease
    ("disease", "acute myeloid leukemia minimal differentiation", "text", "MONDO:0005223"),
    ("cell_type", "CD14+ monocytes", "cell type", "CL:0001054"),
    ("cell_type", "CD4+ T cells", "cell type", "CL:0000624"),  # curated usual names
    ("cell_type", "hiPSCs", "cell type", "CL:0002248"),
    ("cell_type", "Microglia", "cell type", "CL:0000129"),
    ("cell_type", "alpha cells", "cell type", "CL:0000171"),  # not 'alpha cell (Mmus)'
    ("cell_type", "beta cells", "cell type", "CL:0000169"),
    ("cell_type", "T cells", "cell type", "CL:0000084"),
    ("cell_type", "PBMC", "cell type", "CL:2000001"),
    ("disease", "Type 2 diabetes", "disease", "MONDO:0005148"),
    ("disease", "healthy", "disease state", "PATO:0000461"),
    ("disease", "NSCLC", "diagnosis", "MONDO:0005233"),
    ("cell_line", "HEK 293", "cell line", "CVCL:0045"),
    ("cell_line", "K562", "cell line", "CVCL:0004"),
    ("cell_line", "MCF-7", "cell_line", "CVCL:0031"),
    ("cell_line", "HeLa cells", "cell line", "CVCL:0030"),
    ("cell_line", "BJ", "cell line", "CVCL:3653"),       # label 'BJ [Human fibroblast]'
    ("cell_line", "WTC-11", "cell line", "CVCL:Y803"),   # curated: label GM25256
    ("sex", "female", "sex", "PATO:0000383"),
    # modifier words read before the term's other names: its kinds and parts
    ("tissue", "spinal cord (cervical)", "tissue", "UBERON:0002726"),
    ("tissue", "right atrial appendage", "tissue", "UBERON:0006631"),
    ("disease", "familial ALS", "diagnosis", "MONDO:0005144"),
    ("disease", "clear cell RCC", "histology", "MONDO:0005005"),  # not refractory cytopenia
    # ... only where the name ends the value: 'primary' qualifies the cells, not the bronchus
    # (its epithelium, the adjectives read as nouns; no primary bronchus, UBERON:0002182)
    ("tissue", "primary bronchial epithelial cells", "source_name", "UBERON:0002031"),
    # a healthy donor described at more length under a disease key
    ("disease", "non-asthmatic control", "disease state", "PATO:0000461"),
    ("disease", "never-smoker control", "diagnosis", "PATO:0000461"),
    ("disease", "healthy, no medication", "health status", "PATO:0000461"),
    ("disease", "none - healthy marrow donor", "disease", "PATO:0000461"),  # a spaced dash
    ("disease", "HC; smoker", "disease", "PATO:0000461"),
    ("disease", "control, type 2 diabetes", "disease", "MONDO:0005148"),  # a remark naming one
    ("disease", "None", "disease", "PATO:0000461"),  # under a disease key: no disease
    ("disease", "none (never smoked)", "diagnosis", "PATO:0000461"),
    # a name that also names a narrower term names the broader one
    ("disease", "idiopathic PD", "diagnosis", "MONDO:0005180"),
    ("tissue", "lung", "tissue", "UBERON:0002048"),  # ... unless it is the narrower's label
    ("tissue", "SN", "brain region", "UBERON:0002038"),  # substantia nigra, no teleost bone
    # a CD marker's minus sign is CL's "-negative"
    ("cell_type", "CD34+ CD38- hematopoietic stem cells", "cell type", "CL:0001024"),
])
def test_real_values(full, facet, value, key, term):
    assert full.ground_value(facet, value, key).term_id == term


def test_a_detail_key_names_the_part_its_plain_key_names_the_organ_of(full):
    anns = {a.facet: a for a in full.annotate({"tissue type": "Kidney",
                                               "tissue details": "Kidney - Medulla"})}
    assert anns["tissue"].term_id == "UBERON:0000362"  # renal medulla
    assert anns["tissue"].source_key == "tissue details"


@pytest.mark.parametrize(("attributes", "term"), [
    ({"tissue": "stomach", "stomach region": "pyloric antrum"}, "UBERON:0001165"),
    ({"tissue": "kidney", "biopsy location": "renal medulla"}, "UBERON:0000362"),
    ({"tissue": "lung", "geographic location": "Japan: Osaka"}, "UBERON:0002048"),
    ({"tissue": "lung", "sampling region": "hilum"}, "UBERON:0004886"),  # lung hilus
    ({"tissue": "liver", "sampling region": "abdomen"}, "UBERON:0002107"),  # no part of it
    ({"tissue region": "renal medulla"}, "UBERON:0000362"),  # alone, as a source name
    ({"tissue": "colon, transverse, biopsy"}, "UBERON:0001157"),  # organ, qualifier, more
])
def test_a_region_or_location_key_names_the_part_sampled(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "tissue").term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"tissue": "fat tissue", "depot": "omental"}, "UBERON:0010414"),  # omental fat pad
    ({"tissue": "prostate", "zone": "peripheral zone"}, "UBERON:8410026"),
    ({"tissue": "kidney", "sampling site": "medulla"}, "UBERON:0000362"),  # renal medulla
    ({"tissue": "gonad", "sex": "male"}, "UBERON:0000991"),  # a sex is no kind of organ
    ({"tissue": "liver", "treatment": "none"}, "UBERON:0002107"),
])
def test_another_value_may_name_the_part_of_the_tissue(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "tissue").term_id == term
    assert full.sample_ranking("tissue", attributes)[0]["term_id"] == term  # explain agrees


@pytest.mark.parametrize(("attributes", "term"), [
    # a source name's organ refined by a part another value names with it
    ({"source_name": "stomach resection", "sampling site": "fundus"}, "UBERON:0001160"),
    # a key of no known role naming a part of that organ as its whole value
    ({"tissue": "kidney", "pole": "renal medulla"}, "UBERON:0000362"),
    ({"tissue": "kidney", "genotype": "renal medulla"}, "UBERON:0002113"),  # says no place
    ({"tissue": "kidney", "pole": "liver"}, "UBERON:0002113"),  # no part of it
])
def test_a_part_named_beside_the_organ_of_a_source_name(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "tissue").term_id == term
    assert full.sample_ranking("tissue", attributes)[0]["term_id"] == term  # explain agrees


@pytest.mark.parametrize(("attributes", "text", "term"), [
    # a part of the keyed organ that the description names is the part sampled
    ({"source_name": "somatic muscle"},
     "Needle biopsy from the gastrocnemius, subject 12", "UBERON:0001388"),
    ({"source_name": "brain"}, "Frozen block of the putamen, subject 12", "UBERON:0001874"),
    # a place inside a name of cells is the cells' kind, not the part sampled
    ({"tissue": "kidney cortex"}, "cultured tubule epithelial cells of the cortex",
     "UBERON:0001225"),
    ({"source_name": "brain"}, "Frozen block, subject 12", "UBERON:0000955"),
])
def test_a_part_the_description_names_refines_the_keyed_organ(full, attributes, text, term):
    assert next(a for a in full.annotate(attributes, text) if a.facet == "tissue"
                ).term_id == term
    assert full.sample_ranking("tissue", attributes, text)[0]["term_id"] == term
    if term in ("UBERON:0001388", "UBERON:0001874"):
        (ann,) = [a for a in full.annotate(attributes, text) if a.facet == "tissue"]
        assert "rule:part_in_description" in ann.candidates[0].features


@pytest.mark.parametrize(("attributes", "text", "term"), [
    # the source name says what the cells are; the description, what they were made from
    ({"source_name": "macrophages"},
     "CD14+ monocytes were purified from donated blood and cultured for a week", "CL:0000235"),
    # with no cell type of its own keys, the description's is read
    ({"donor": "D7"}, "CD14+ monocytes were purified from donated blood", "CL:0001054"),
])
def test_the_sample_s_own_keys_name_its_cells_before_its_description(full, attributes, text,
                                                                    term):
    assert next(a for a in full.annotate(attributes, text) if a.facet == "cell_type"
                ).term_id == term
    assert full.sample_ranking("cell_type", attributes, text)[0]["term_id"] == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"source_name": "heart from a transplant", "chamber": "LV"}, "UBERON:0002084"),  # left ventricle
    ({"tissue": "heart", "chamber": "RA"}, "UBERON:0002078"),  # right atrium, no arthritis
    ({"source_name": "lobectomy of lung", "lobe": "LLL"}, "UBERON:0008953"),
    ({"tissue": "kidney", "segment": "PT"}, "UBERON:0004134"),  # proximal tubule
    ({"tissue": "heart", "batch": "LV"}, "UBERON:0000948"),  # a batch key is not read
    ({"tissue": "heart", "chamber": "lv"}, "UBERON:0002084"),  # cardiology's LV, a whole value
    ({"tissue": "blood", "fraction": "PB"}, "UBERON:0000178"),  # no part of blood spelt so
    ({"source_name": "lung lobectomy", "stage": "IB"}, "UBERON:0002048"),  # a tumour's stage
])
def test_a_code_of_capitals_is_the_part_of_the_organ_its_initials_spell(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "tissue").term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"source_name": "breast tumour", "histology": "ILC, grade 2"}, "MONDO:0005051"),  # lobular
    ({"source_name": "breast tumour", "histology": "ILC-like"}, "MONDO:0021100"),  # joined
    ({"source_name": "breast tumour", "subtype": "ILC"}, "MONDO:0005051"),  # pathology's ILC
    ({"source_name": "colitis", "diagnosis": "UC"}, "MONDO:0005101"),  # a name, no code
])
def test_a_pathologist_s_code_is_the_kind_of_the_disease_its_initials_spell(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "disease").term_id == term


@pytest.mark.parametrize(("value", "term"), [
    ("mesoderm", "CL:0000222"), ("epithelium", "CL:0000066"), ("mesenchyme", "CL:0008019"),
    ("Kidney", None),  # an organ whose name makes no adjective names no cell
    ("definitive endoderm", "CL:0000223"),  # a kind of endoderm: the endodermal cell
    ("renal cortex", None),  # a part of the kidney, whose name makes no adjective
])
def test_a_tissue_under_a_cell_type_key_is_the_cell_of_its_adjective(full, value, term):
    assert full.ground_value("cell_type", value, "cell type").term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"genotype": "NCI-H460"}, "CVCL:0459"),  # a distinctive line name alone is the line
    ({"genotype": "NCI-H460 -/-"}, None),  # with two alleles it is a gene's state
    ({"genotype": "NCI-H460 wt/wt"}, None),
])
def test_a_genotype_with_its_alleles_names_no_line(full, attributes, term):
    line = next((a for a in full.annotate(attributes) if a.facet == "cell_line"), None)
    assert (line.term_id if line else None) == term


def test_a_key_naming_a_stem_cell_line_holds_the_line(full):
    line = next(a for a in full.annotate({"parental hESC": "H1", "day": "12"})
                if a.facet == "cell_line")
    assert line.source_key == "parental hESC" and line.term_id


@pytest.mark.parametrize(("value", "term"), [
    ("placental villi, term delivery", "UBERON:0007106"),  # the chorion's villi
    ("placenta", "UBERON:0001987")])
def test_the_villi_of_a_placenta_are_chorionic(full, value, term):
    assert full.ground_value("tissue", value, "tissue").term_id == term


@pytest.mark.parametrize(("value", "term"), [("PB", "UBERON:0000178"), ("BM", "UBERON:0002371")])
def test_haematology_s_abbreviations_of_blood_sources(full, value, term):
    assert full.ground_value("tissue", value, "tissue").term_id == term


@pytest.mark.parametrize(("value", "term"), [
    ("BMMC", "CL:0010004"),                  # bone marrow mononuclear cells, as PBMC are blood's
    ("BM-MNCs", "CL:0010004"),               # the same, written with the marrow's initials
    ("FLS, passage 4", "CL:0002301"),        # fibroblast-like synoviocytes
    ("MDM, M2-polarized", "CL:0000890"),     # monocyte-derived macrophages, of kind M2
    ("primary RPTEC", "CL:0002306"),         # the primary-cell vendors' code
    ("SSEA4+ spermatogonia", "CL:0000020"),  # a Latin plural inside a longer value
])
def test_cells_by_their_usual_codes_and_plurals(full, value, term):
    assert full.ground_value("cell_type", value, "cell type").term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"tissue": "LV"}, "UBERON:0002084"),                 # cardiology's left ventricle
    ({"biopsy location": "TI"}, "UBERON:0002116"),        # endoscopy's terminal ileum
    ({"brain region": "SN"}, "UBERON:0002038"),
    ({"tissue": "RUL, distant normal"}, "UBERON:0002170"),
    ({"depot": "SAT"}, "UBERON:0002190"),
])
def test_anatomy_s_usual_abbreviations(full, attributes, term):
    tissue = next(a for a in full.annotate(attributes) if a.facet == "tissue")
    assert tissue.term_id == term


@pytest.mark.parametrize(("attributes", "sex"), [
    ({"tissue": "testis"}, "PATO:0000384"),
    ({"source_name": "uterine cervix biopsy"}, "PATO:0000383"),
    ({"tissue": "testis", "sex": "female"}, "PATO:0000383"),  # a stated sex is never overridden
    ({"tissue": "placenta"}, None),  # the fetus's cells too
    ({"tissue": "liver"}, None),
])
def test_an_organ_only_one_sex_has_gives_the_sample_s_sex(full, attributes, sex):
    found = next((a for a in full.annotate(attributes) if a.facet == "sex" and a.term_id), None)
    assert (found.term_id if found else None) == sex


@pytest.mark.parametrize(("text", "term"), [
    ("donor 4 blood clinical course spms edss 6 0", "MONDO:0000450"),  # after a key word
    ("granulosa cell group pcos age 31", "MONDO:0008487"),  # its plural-looking 's' kept
    ("granulosa cell pcos age 31", None),  # no key word before it: lower case says nothing
])
def test_a_lower_case_abbreviation_after_a_key_word_names_the_disease(full, text, term):
    found = full.ground_value("disease", text, "text")
    assert (found.term_id if found else None) == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"tissue": "gastrocnemius", "cell type": "myoblasts"}, "CL:0000515"),  # a named leg muscle's myoblast
    ({"tissue": "gastrocnemius", "cell type": "neurons"}, "CL:0000540"),  # no such cell named
])
def test_a_cell_is_named_with_what_its_tissue_lies_in(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "cell_type").term_id == term


@pytest.mark.parametrize(("value", "term"), [
    ("memory B (CD27+ IgD-)", "CL:0000787"),  # the name before the markers
    ("myoblasts (passage 3)", "CL:0000056"),
])
def test_a_cell_type_is_named_before_its_bracket(full, value, term):
    assert full.ground_value("cell_type", value, "cell type").term_id == term


@pytest.mark.parametrize(("gate", "term"), [
    ("CD34+ CD38- Lin-", "CL:0001024"),  # lineage-negative: a sort gate among the markers
    ("lineage negative CD34+ CD38-", "CL:0001024"),
    ("Lin- cells, CD34+ CD38-", "CL:0000037"),  # more than markers: not read as markers
])
def test_a_lineage_gate_is_one_of_the_markers_of_a_sorted_population(full, gate, term):
    cell = next(a for a in full.annotate({"cell type": "HSC", "sort gate": gate})
                if a.facet == "cell_type")
    assert cell.term_id == term


@pytest.mark.parametrize(("attributes", "sex"), [
    ({"disease": "endometriosis", "tissue": "peritoneum"}, "PATO:0000383"),
    ({"diagnosis": "adenocarcinoma of the prostate", "source_name": "spinal metastasis, resected"},
     "PATO:0000384"),
    ({"condition": "gestational diabetes", "specimen": "whole blood"}, "PATO:0000383"),
    ({"condition": "gestational diabetes", "tissue": "cord blood, at delivery"}, None),  # the baby's
    ({"disease": "mammary carcinoma", "tissue": "breast"}, None),  # men have breast cancers too
    ({"disease": "endometriosis", "tissue": "testis"}, None),  # the two disagree: neither says
    ({"disease": "ovarian serous carcinoma", "sex": "male"}, "PATO:0000384"),  # stated wins
])
def test_a_disease_only_one_sex_has_gives_the_sample_s_sex(full, attributes, sex):
    found = next((a for a in full.annotate(attributes) if a.facet == "sex" and a.term_id), None)
    assert (found.term_id if found else None) == sex


@pytest.mark.parametrize(("attributes", "line"), [
    ({"growth protocol": "on a mitotically inactivated MRC-5 feeder layer"}, None),
    ({"growth protocol": "K562 conditioned medium, 3 days", "cell type": "CD34-positive progenitors"}, None),
    ({"growth protocol": "IMR-90 cells, feeder-free, mTeSR"}, "CVCL:0347"),  # no feeder: the line
    ({"growth protocol": "IMR-90 cells in DMEM"}, "CVCL:0347"),
])
def test_a_line_grown_as_a_feeder_is_no_line_of_the_sample(full, attributes, line):
    found = [a.term_id for a in full.annotate(attributes) if a.facet == "cell_line" and a.term_id]
    assert (found[0] if found else None) == line


@pytest.mark.parametrize(("value", "line"), [
    ("HeLa, clone S3", "CVCL:0058"),      # catalogue style for Cellosaurus's 'HeLa S3'
    ("jurkat clone E6.1", "CVCL:0367"),
    ("U-937 clone 2", "CVCL:0007"),       # no line so named: the parent, as before
])
def test_a_subclone_written_with_the_word_clone_is_that_subclone(full, value, line):
    assert full.ground_value("cell_line", value, "cell line").term_id == line


def test_a_length_is_no_cell_line(full):
    anns = full.annotate({"tissue": "uninvolved mucosa (taken 10cm from the tumour)"})
    assert not [a for a in anns if a.facet == "cell_line" and a.term_id]


def test_an_ordinal_in_digits_is_read_as_its_word(full):
        assert full.ground_value("tissue", "3rd ventricle", "tissue").term_id == "UBERON:0002286"


def test_a_disease_is_named_with_the_organ_a_part_was_taken_from(full):
    anns = {a.facet: a for a in full.annotate({"tissue": "prostate", "zone": "central zone",
                                               "histology": "adenocarcinoma"})}
    assert anns["tissue"].term_id == "UBERON:8410027"  # central zone of prostate
    assert anns["disease"].term_id == "MONDO:0005082"  # prostate adenocarcinoma


def test_keys_ending_in_a_place_word_are_tissue_keys_unless_the_place_is_elsewhere():
    # read like a source name: a narrower part refines the tissue key, another name does not
    # compete with it
    assert key_role("biopsy_location") == key_role("Heart region") == "scan"
    assert key_role("geographic location (country and/or sea)") == "skip"
    assert key_role("well location") == "skip"
    assert key_role("clinical status") == "disease"


@pytest.mark.parametrize(("value", "term"), [
    ("fALS", "MONDO:0005144"), ("jALS", "MONDO:0017593"),  # familial, juvenile
    ("c9FTLD", "MONDO:0017276"),  # 'c9' is no initial: the bare disease
    ("fALS (SOD1 A4V)", "MONDO:0005144"), ("jALS, onset 14 y", "MONDO:0017593"),  # a remark after
])
def test_a_modifier_s_letters_are_the_initials_of_the_kind_it_names(full, value, term):
    assert full.ground_value("disease", value, "disease state").term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"cell type": "macrophages", "polarization": "M2 (IL-13, 48 h)"}, "CL:0000890"),
    ({"cell type": "B cells", "subset": "naive"}, "CL:0000788"),
    ({"cell type": "B cells", "treatment": "LPS"}, "CL:0000236"),  # names no kind
    ({"cell type": "B cells", "source_name": "B-cell"}, "CL:0000236"),  # the cell itself
    # a place is no kind, but the cell of that place (cell_of_tissue)
    ({"cell type": "fibroblasts", "source_name": "lung"}, "CL:0002553"),
    # the cell type named in a source name is refined alike
    ({"source_name": "blood-derived macrophages", "activation": "M1 (IFN-g, 24 h)"},
     "CL:0000863"),
])
def test_another_value_may_name_the_kind_of_the_cell_type(full, attributes, term):
    cell = next(a for a in full.annotate(attributes) if a.facet == "cell_type")
    assert cell.term_id == term
    assert full.sample_ranking("cell_type", attributes)[0]["term_id"] == term  # explain agrees


@pytest.mark.parametrize("value", ["healthy, never smoked", "healthy smokers", "Healthy, non smoker"])
def test_a_smoking_habit_beside_healthy_is_still_the_healthy_state(full, value):
    assert full.ground_value("disease", value, "disease state").term_id == "PATO:0000461"


@pytest.mark.parametrize(("attributes", "healthy"), [
    ({"source_name": "PBMC from HIV-negative donor"}, True),
    ({"source_name": "islets from a non-diabetic donor"}, True),
    ({"source_name": "lung, non-COPD control"}, True),
    ({"source_name": "atrium, non-failing donor heart"}, True),
    ({"source_name": "A-431, non-silencing control siRNA"}, False),  # the experiment's control
    ({"source_name": "non-tumour control tissue"}, False),  # beside a tumour: the specimen
])
def test_a_donor_named_by_the_disease_it_is_without_is_healthy(full, attributes, healthy):
    anns = [a.term_id for a in full.annotate(attributes) if a.facet == "disease" and a.term_id]
    assert ("PATO:0000461" in anns) is healthy


@pytest.mark.parametrize(("text", "disease"), [
    ("GC_07\nGastric adenocarcinoma, intestinal type, stage II", "MONDO:0005036"),
    ("GC_07\nPatient also had type 2 diabetes", "MONDO:0021085"),  # no kind of the tumour
])
def test_a_description_may_name_the_kind_of_the_sample_s_tumour(full, text, disease):
    attributes = {"tissue": "stomach tumour"}
    anns = [a for a in full.annotate(attributes, text) if a.facet == "disease"]
    assert [a.term_id for a in anns] == [disease]
    assert full.sample_ranking("disease", attributes, text)[0]["term_id"] == disease


def test_a_denied_tumour_describes_the_specimen_not_a_healthy_control(full):
    study = [({"source_name": "hepatoblastoma, resected"}, None, None),
             ({"source_name": "tumour-free margin, resected"}, None, None),
             ({"source_name": "non-diabetic donor liver"}, None, None)]
    case, margin, donor = full.annotate_many(study, studies=["S1"] * 3)
    assert [a.term_id for a in case if a.facet == "disease"] == ["MONDO:0018666"]
    assert not [a for a in margin if a.facet == "disease" and a.term_id]
    assert [a.term_id for a in donor if a.facet == "disease"] == ["PATO:0000461"]


@pytest.mark.parametrize(("attributes", "disease"), [
    # the abbreviation names the cells the sample's cell-type key says it is
    ({"source_name": "WA07 NPC, day 12", "cell type": "neural progenitor cultures"}, None),
    ({"source_name": "NPC tumour biopsy", "tissue": "nasopharynx"}, "MONDO:0015459"),
    # a reagent's abbreviation only suggested gives way to the named line's disease (the one
    # Cellosaurus records: line_diseases.tsv)
    ({"source_name": "K562 cells, PMA 48 h", "cell line": "K-562"}, "MONDO:0011996"),
])
def test_an_abbreviation_is_no_disease_where_the_sample_says_what_it_is(full, attributes,
                                                                         disease):
    anns = [a for a in full.annotate(attributes) if a.facet == "disease" and a.term_id]
    assert (anns[0].term_id if anns else None) == disease
    rows = full.sample_ranking("disease", attributes)  # what explain shows agrees
    assert (rows[0]["term_id"] if rows else None) == disease


@pytest.mark.parametrize(("attributes", "term"), [
    # a gene before its variant's code names the monogenic kind MONDO names with it
    ({"disease": "paralysis agitans", "genotype": "LRRK2 R1441C"}, "MONDO:0011764"),
    ({"disease": "paralysis agitans", "patient": "PD 07"}, "MONDO:0005180"),  # a number
    # a bare subtype key names the kind, here by its own abbreviation
    ({"disease": "mammary carcinoma", "subtype": "TNBC"}, "MONDO:0005494"),
    ({"disease": "endometriosis", "source_name": "ovarian lesion 3"}, "MONDO:0005133"),
])
def test_another_value_may_name_the_kind_of_the_disease(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "disease").term_id == term
    assert full.sample_ranking("disease", attributes)[0]["term_id"] == term  # explain agrees


@pytest.mark.parametrize(("attributes", "term"), [
    # another word of the disease's own value names its kind with it
    ({"diagnosis": "paralysis agitans; carrier of LRRK2"}, "MONDO:0011764"),
    ({"disease": "hypertrophic cardiomyopathy, MYH7 variant"}, "MONDO:0008647"),
    ({"disease": "hypertrophic cardiomyopathy, proband"}, "MONDO:0005045"),  # no kind: plain
    # an abbreviation and its number, both written in capitals, are one name
    ({"disease": "myelodysplasia (RAEB-2)"}, "MONDO:0015041"),
])
def test_a_word_of_the_same_value_may_name_the_kind_of_the_disease(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "disease").term_id == term
    assert full.sample_ranking("disease", attributes)[0]["term_id"] == term  # explain agrees


@pytest.mark.parametrize(("attributes", "facet", "term"), [
    # a word one keystroke from a name's word is read as that word
    ({"source_name": "hepatocelular carcinoma resection"}, "disease", "MONDO:0007256"),
    ({"disease state": "heathy volunter"}, "disease", "PATO:0000461"),
    ({"source_name": "cultured fibroblsts", "tissue": "skin"}, "cell_type", "CL:0000057"),
    ({"tissue": "Pancraes"}, "tissue", "UBERON:0001264"),
    # 'retinl' is a letter from 'retinal' and from 'retinol': the one naming a term here
    ({"source_name": "retinl pigment epithelium, donor 4"}, "tissue", "UBERON:0001782"),
])
def test_a_misspelt_word_is_read_as_the_word_it_misspells(full, attributes, facet, term):
    ann = next(a for a in full.annotate(attributes) if a.facet == facet)
    assert ann.term_id == term
    key, text = next((k, v) for k, v in attributes.items() if k == ann.source_key)
    top = full.explain(text, facet, key)[0]  # what explain shows agrees, and names the rule
    assert top.term_id == term and "rule:respelt_words" in top.features


@pytest.mark.parametrize(("attributes", "facet", "absent"), [
    # known words of their own are not respelt into names ('addition' is no addiction)
    ({"source_name": "liver, in addition treated with ethanol"}, "disease", "MONDO:0004938"),
    ({"source_name": "hypoxic culture of fibroblasts"}, "disease", "MONDO:0043468"),
])
def test_words_of_their_own_are_not_respelt(full, attributes, facet, absent):
    assert absent not in {a.term_id for a in full.annotate(attributes) if a.facet == facet}


@pytest.mark.parametrize(("attributes", "term"), [
    ({"diagnosis": "donor", "tissue": "lung"}, "PATO:0000461"),  # the control group's donors
    ({"disease state": "organ donor", "tissue": "kidney"}, "PATO:0000461"),
    ({"diagnosis": "Volunteers", "tissue": "blood"}, "PATO:0000461"),
    ({"tissue": "brain", "description": "Cortex of a non-demented donor, male"}, "PATO:0000461"),
    ({"disease": "cirrhotic", "tissue": "liver"}, "MONDO:0005155"),  # an adjective
])
def test_donors_and_adjectives_under_disease_keys(full, attributes, term):
    assert next(a for a in full.annotate(attributes) if a.facet == "disease").term_id == term


@pytest.mark.parametrize(("attributes", "facet", "term"), [
    # a name does not run across a dash: no 'brain nucleus' here
    ({"body_site": "Brain - Nucleus accumbens (basal ganglia)"}, "tissue", "UBERON:0001882"),
    # a short value naming only a denied disease, under a key that may name any facet
    ({"status": "non-diabetic", "tissue": "islet of Langerhans"}, "disease", "PATO:0000461"),
    ({"group": "HIV negative", "tissue": "blood"}, "disease", "PATO:0000461"),
    ({"status": "T2D", "tissue": "islet of Langerhans"}, "disease", "MONDO:0005148"),
    # a key asking in what state the person is, a two-letter abbreviation and its denial
    ({"patient status": "MS", "tissue": "brain white matter"}, "disease", "MONDO:0005301"),
    ({"patient status": "non-MS", "tissue": "brain white matter"}, "disease", "PATO:0000461"),
    # a one-word healthy state before a word for a person, a relative too
    ({"title": "Skin fibroblasts, unaffected brother"}, "disease", "PATO:0000461"),
    # a control word before a noun for the person, and a healthy state before a control word
    ({"title": "Ctrl individual 7, colon biopsy"}, "disease", "PATO:0000461"),
    ({"title": "Unaffected ctrl, iPSC line 2"}, "disease", "PATO:0000461"),
])
def test_phrases_and_status_keys(full, attributes, facet, term):
    assert next(a for a in full.annotate(attributes) if a.facet == facet).term_id == term


@pytest.mark.parametrize("attributes", [
    # the control of a disease is a patient ('disease control individuals'), the control of an
    # experiment no donor: a word about a person after it ('non' of 'non smoker') is no noun
    {"title": "Disease control individual 3, serum"},
    {"source_name": "keratinocytes given a control, non-specific oligo"},
])
def test_controls_that_are_no_healthy_donor(full, attributes):
    assert "PATO:0000461" not in {a.term_id for a in full.annotate(attributes)
                                  if a.facet == "disease"}


def test_a_denied_tumour_under_a_group_key_is_no_healthy_donor(full):
    anns = full.annotate({"group": "tumour-free margin", "tissue": "lung"})
    assert "PATO:0000461" not in {a.term_id for a in anns if a.facet == "disease"}


def test_none_under_another_key_is_still_no_value(full):
    anns = {a.facet: a for a in full.annotate({"treatment": "none", "tissue": "liver"})}
    assert "disease" not in anns and anns["tissue"].term_id == "UBERON:0002107"


@pytest.mark.parametrize(("attributes", "term"), [
    ({"tissue": "skin", "body site": "forearm"}, "UBERON:0003403"),   # skin of forearm
    ({"source_name": "skin punch biopsy", "site": "abdomen"}, "UBERON:0001416"),
    ({"tissue": "skin", "anatomical site": "upper arm"}, "UBERON:0004263"),  # upper arm skin
    ({"tissue": "skin", "disease": "psoriasis"}, "UBERON:0002097"),   # no site: skin
])
def test_a_tissue_and_its_site_under_two_keys_are_one_uberon_term(full, attributes, term):
    tissue = next(a for a in full.annotate(attributes) if a.facet == "tissue")
    assert tissue.term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    ({"cell type": "fibroblasts", "tissue": "lung"}, "CL:0002553"),     # fibroblast of lung
    ({"cell type": "keratinocytes", "tissue": "foreskin"}, "CL:1001606"),
    ({"cell type": "epithelial cells", "organism part": "kidney"}, "CL:0002518"),
    ({"cell type": "fibroblasts", "source_name": "lung"}, "CL:0002553"),  # any value's tissue
    ({"source_name": "fibroblasts", "tissue": "lung"}, "CL:0000057"),  # cells of a source name
    ({"source_name": "lung fibroblasts, primary"}, "CL:0002553"),
    ({"source_name": "fibroblasts"}, "CL:0000057"),
    ({"cell type": "T cells", "tissue": "blood"}, "CL:0000084"),  # CL has no such pair name
    # a named line's tissue key names the organ it came from: its cells are no cells of it
    ({"cell line": "HEK293", "cell type": "epithelial cells", "organism part": "kidney"},
     "CL:0000066"),
])
def test_a_cell_type_and_the_tissue_under_two_keys_are_one_cl_term(full, attributes, term):
    cell = next(a for a in full.annotate(attributes) if a.facet == "cell_type")
    assert cell.term_id == term


@pytest.mark.parametrize(("attributes", "term"), [
    # the tissue key says what the tissue is; the place in the cell's name what kind of cell
    ({"cell type": "proximal tubule epithelial cells", "tissue": "kidney cortex"},
     "UBERON:0001225"),
    ({"cell type": "proximal tubule epithelial cells"}, "UBERON:0004134"),  # alone it counts
])
def test_a_place_in_a_cell_name_does_not_refine_the_tissue_key(full, attributes, term):
    tissue = next(a for a in full.annotate(attributes)
                  if a.facet in ("tissue", "origin_tissue"))
    assert tissue.term_id == term


def test_no_fish_or_amphibian_only_anatomy_is_a_tissue_name(full):
    ids = [t for t, info in full.lexicon.terms.items() if info.facet == "tissue"]
    assert len(ids) > 10_000
    assert not [t for t in ids if t.startswith(("UBERON:2", "UBERON:3"))]


def test_an_abbreviation_alone_in_a_listed_part_names_no_second_disease(full):
    anns = full.annotate({"disease": "HIV-1 infection; on ART"})
    assert [a.term_id for a in anns if a.facet == "disease"] == ["MONDO:0005109"]
    anns = full.annotate({"disease": "psoriasis; T2D"})  # a curated abbreviation still counts
    assert sorted(a.term_id for a in anns if a.facet == "disease") == [
        "MONDO:0005083", "MONDO:0005148"]


def test_obsolete_terms_follow_replaced_by(full):
    lex = full.lexicon
    former = [(n, e) for n, es in lex.names["tissue"].items() for e in es if e[1] == "former"]
    assert former, "the UBERON release has obsolete terms with replacements"
    for _, (tid, _) in former[:50]:
        assert tid in lex.terms  # points at a live term


def test_biosample_record(full):
    anns = {a.facet: a for a in full.annotate({
        "cell line": "lung cancer cell line NCI-H1944", "cell type": "epithelial cell",
        "organism part": "lung", "disease": "normal", "sex": "male", "age": "53",
        "geo_loc_name": "missing"})}
    assert anns["cell_line"].term_id == "CVCL:1508"
    assert anns["sample_type"].term_id == "cell_line"
    assert "tissue" not in anns  # a line's organ is its origin, not its tissue
    assert anns["origin_tissue"].term_id == "UBERON:0002048"
    assert anns["disease"].term_id == "PATO:0000461"
    assert anns["sex"].term_id == "PATO:0000384"
    # the line came from the lung; its cells are no cells of the lung (cell_of_tissue)
    assert anns["cell_type"].term_id == "CL:0000066"


@pytest.mark.parametrize(("facet", "hidden", "right"), [
    ("disease", "sma type 2", False),             # nearest other name: "sma type 1"
    ("tissue", "larynx organ mucosa", False),     # "pharynx organ mucosa", ratio 0.92
    ("cell_type", "type 2 spiral ganglion cell", False),  # "type 1 spiral ganglion cell"
    ("disease", "zimmerman laband syndrome", True),  # "zimmermann laband syndrome": same term
    ("cell_type", "multinucleate giant cell", True),
])
def test_fuzzy_on_held_out_synonyms(full, facet, hidden, right):
    """A real synonym hidden from the fuzzy matcher: a respelt name of the same term may
    match it, a near-identical name of another term may not."""
    truth = {tid for tid, _ in full.lexicon.lookup(facet, hidden)}
    assert truth, f"{hidden!r} is not a {facet} name of this lexicon"
    found = full._fuzzy.match(facet, hidden, exclude=frozenset({hidden}))
    assert bool(found) == right
    assert all(c.term_id in truth for c in found)


def test_an_ontology_root_is_never_a_mention(full):
    for value, key in [("totipotent culture conditions", "treatment"),
                       ("disorder of unknown origin", "source_name")]:
        anns = full.annotate({key: value})
        assert all(a.term_id != "MONDO:0000001" for a in anns), anns
    # under the facet's own key the word is taken at face value
    assert full.ground_value("disease", "disease", "disease state").term_id == "MONDO:0000001"


@pytest.mark.parametrize(("value", "term"), [
    ("21 weeks gestation", "UBERON:0007220"), ("fetal", "UBERON:0007220"),
    ("8 years", "UBERON:0034919"), ("15 y", "UBERON:0034919"), ("child", "UBERON:0034919"),
    ("45 years", "UBERON:0000113"), ("adult", "UBERON:0000113"), ("newborn", "UBERON:0007221"),
    ("E14.5", "UBERON:0000068"),
])
def test_developmental_stages_are_uberon_life_stages(full, value, term):
    ann = full.ground_value("dev_stage", value, "developmental stage")
    assert ann.term_id == term
    assert full.lexicon.is_ancestor("UBERON:0000105", term)  # a life cycle stage


@pytest.mark.parametrize(("value", "terms"), [
    # IDH is the gene, not a disease abbreviation: with its status it names the WHO type
    ("GBM, IDH-wildtype", {"MONDO:0850335"}),
    ("IDH-mutant glioma", {"MONDO:0021042"}),
    ("KRAS mutant", set()),
])
def test_a_gene_with_its_status_is_no_disease(full, value, terms):
    found = {a.term_id for a in full.annotate({"disease": value}) if a.facet == "disease"}
    assert found - {None} == terms


@pytest.mark.parametrize(("key", "value", "term"), [
    ("cell type", "HT29", "CVCL:0320"),  # shaped like a sample code, but the whole value
    ("cell type", "H1 hESC line", "CVCL:9771"),  # the value says it is a line
    ("cell type", "D13", None),  # three characters alone: a sample code as likely
    ("tissue", "C2", None),  # a vertebra as likely
    ("source_name", "HT29", None),  # submitters' labels hold codes
])
def test_a_cell_line_named_in_a_cell_type_field(full, key, value, term):
    lines = [a.term_id for a in full.annotate({key: value}) if a.facet == "cell_line"]
    assert lines == ([term] if term else [])


@pytest.mark.parametrize(("value", "term"), [
    ("H7 hESCs", "CVCL:9772"),  # the line and what it is: a code-shaped name is the line here
    ("HUES 64 embryonic stem cells", "CVCL:B199"),
    ("293T", "CVCL:0063"),  # the Cellosaurus synonym (the package ships none)
    ("293FT cells", "CVCL:6911"),
    ("U-251", "CVCL:0021"),  # Cellosaurus synonyms of U-251MG and U266B1
    ("U266", "CVCL:0566"),
    ("IMR-90 fibroblasts", "CVCL:0347"),
    ("patient 7 fibroblasts", None),  # a donor's cells, no line
])
def test_a_line_followed_by_what_it_is_under_a_cell_line_key(full, value, term):
    lines = [a.term_id for a in full.annotate({"cell line": value}) if a.facet == "cell_line"]
    assert lines == [term]


@pytest.mark.parametrize(("attributes", "tissue"), [
    ({"body site": "elbow", "condition": "psoriasis"}, "UBERON:0001517"),  # skin of elbow
    ({"anatomical site": "back", "diagnosis": "cutaneous melanoma"}, "UBERON:0001068"),
    ({"body site": "elbow", "condition": "healthy"}, "UBERON:0001461"),  # no skin disorder said
    ({"body site": "elbow", "condition": "gout"}, "UBERON:0001461"),  # not a skin disorder
    # no skin site: a sampled synovium is a joint's synovial membrane
    ({"tissue": "synovium", "disease": "psoriatic arthritis"}, "UBERON:0002018"),
])
def test_a_body_site_of_a_skin_disorder_is_its_skin(full, attributes, tissue):
    anns = {a.facet: a for a in full.annotate(attributes)}
    assert anns["tissue"].term_id == tissue
    row = full.sample_ranking("tissue", attributes)[0]  # what explain shows agrees
    assert row["term_id"] == tissue


@pytest.mark.parametrize(("value", "term"), [
    ("CD56+ myoblasts", "CL:0000056"),  # myoblasts selected by CD56, no NK cells
    ("CD14+ blood monocytes", "CL:0001054"),  # the marker's type is a kind of monocyte: kept
    ("CD4+ CXCR5+ PD1+", "CL:0000624"),  # an abbreviation ('PD') is no cell the marker qualifies
    ("CD56+ cells", "CL:0000623"),  # the marker alone
    ("midbrain DA neurons", "CL:2000097"),
    ("primary NHBE cells", "CL:0002328"),  # a curated abbreviation of the primary cells
])
def test_a_marker_qualifies_the_cell_it_is_written_with(full, value, term):
    cells = [a.term_id for a in full.annotate({"cell type": value}) if a.facet == "cell_type"]
    assert cells == [term]


@pytest.mark.parametrize(("attributes", "term"), [
    ({"cell type": "HSC", "sorting": "CD34+ CD38-"}, "CL:0001024"),
    ({"cell type": "NK cells", "facs gate": "CD16+CD56dim"}, "CL:0000939"),  # run together
    # a value that says more than markers adds none
    ({"cell type": "NK cells", "note": "CD56dim CD16+ cells sorted on day 2"}, "CL:0000623"),
])
def test_markers_in_another_value_qualify_the_cell_type(full, attributes, term):
    cells = [a for a in full.annotate(attributes) if a.facet == "cell_type"]
    assert [a.term_id for a in cells] == [term]
    assert full.sample_ranking("cell_type", attributes)[0]["term_id"] == term  # explain agrees


@pytest.mark.parametrize(("attributes", "disease"), [
    ({"tissue": "colon", "disease": "adenocarcinoma"}, "MONDO:0002271"),
    ({"tissue": "kidney", "disease": "clear cell carcinoma"}, "MONDO:0005005"),  # value's words
    ({"source_name": "tumour of the lung", "disease": "squamous carcinoma"},
     "MONDO:0005097"),
    ({"tissue": "brain", "disease": "glioblastoma"}, "MONDO:0018177"),  # says where it is
    ({"tissue": "colon", "disease": "healthy"}, "PATO:0000461"),
    ({"disease": "adenocarcinoma"}, "MONDO:0004970"),  # no tissue
    ({"tissue": "metastasis in the liver", "disease": "adenocarcinoma"}, "MONDO:0004970"),
    # the organ UBERON puts the tissue in names the disease when the tissue itself does not
    ({"tissue": "lower lobe of right lung", "histology": "adenocarcinoma"}, "MONDO:0005061"),
    # a value saying only that the specimen is a tumour: which one, the tissue says
    ({"source_name": "gastric tissue", "sample": "Tumour"}, "MONDO:0021085"),
    ({"source_name": "thyroid, left lobe", "tissue": "resected tumour"}, "MONDO:0015074"),
    ({"source_name": "metastasis to the liver", "tissue": "tumor"}, "MONDO:0005070"),
])
def test_a_disease_named_in_many_organs_is_read_with_the_tissue(full, attributes, disease):
    anns = {a.facet: a for a in full.annotate(attributes)}
    assert anns["disease"].term_id == disease
    assert full.sample_ranking("disease", attributes)[0]["term_id"] == disease  # explain agrees


@pytest.mark.parametrize(("attributes", "disease"), [
    # a line has no donor whose disease an infection could be: its cancer is read instead
    ({"cell line": "A549", "infection": "Zika virus", "cell description": "carcinoma of the lung"},
     "MONDO:0005138"),
    # a mock control is no healthy donor: the line's own cancer (Cellosaurus's) is its disease
    ({"cell line": "HeLa", "infection": "none (mock)"}, "MONDO:0000554"),
    ({"source_name": "macrophages", "virus": "influenza A, 12 hpi", "donor": "healthy volunteer"},
     "PATO:0000461"),  # infected in a dish; the donor is healthy
    ({"tissue": "blood", "infection": "Zika virus"}, "MONDO:0018661"),  # a patient's infection
    # no key or marker says so, but a named line's infection was given in the dish
    ({"cell line": "HeLa", "source_name": "HeLa cells, measles virus 24 h"}, "MONDO:0000554"),
    ({"cell line": "HEK293", "disease model": "type 1 diabetes"}, None),  # a model's disease
])
def test_an_infection_done_in_a_dish_is_no_disease_of_the_donor(full, attributes, disease):
    anns = {a.facet: a for a in full.annotate(attributes) if a.term_id}
    assert (anns["disease"].term_id if "disease" in anns else None) == disease
    rows = full.sample_ranking("disease", attributes)  # what explain shows agrees
    assert (rows[0]["term_id"] if rows else None) == disease


@pytest.mark.parametrize("value", ["healthy living donor", "non-diseased organ donor",
                                   "non-failing donor (NF)", "none reported",
                                   "unaffected sibling", "unaffected control"])
def test_healthy_donors_in_words_about_the_person(full, value):
    assert full.ground_value("disease", value, "disease").term_id == "PATO:0000461"


def test_a_relative_alone_is_no_healthy_donor(full):
    assert full.ground_value("disease", "affected sibling", "disease").term_id is None


@pytest.mark.parametrize(("attributes", "tissue"), [
    ({"SMTS": "Nerve", "SMTSD": "Nerve - Tibial"}, "UBERON:0001323"),
    ({"SMTS": "Adipose Tissue", "SMTSD": "Adipose - Subcutaneous"}, "UBERON:0002190"),
    ({"SMTS": "Colon"}, "UBERON:0001155"),
])
def test_gtex_tissue_attributes_give_the_detailed_site(full, attributes, tissue):
    assert [a.term_id for a in full.annotate(attributes) if a.facet == "tissue"] == [tissue]


@pytest.mark.parametrize(("facet", "value", "term"), [
    ("tissue", "synovium, knee", "UBERON:0002018"),  # the knee is where the synovium is
    ("tissue", "Brain, frontal cortex", "UBERON:0001870"),  # a part of the brain: kept
    ("tissue", "skin, forearm", "UBERON:0003403"),  # named together as UBERON does
    ("cell_type", "fibroblasts, lung", "CL:0002553"),
])
def test_the_first_part_of_a_value_is_what_it_is(full, facet, value, term):
    key = "cell type" if facet == "cell_type" else "tissue"
    assert full.ground_value(facet, value, key).term_id == term


def test_a_bracket_after_the_head_names_no_rival_to_it(full):
    from harmonize.ground.exact import match_exact
    from harmonize.ground.mentions import head_part

    found = [c for name in ("chorion", "amnion") for c in match_exact(full.lexicon, "tissue", name)]
    kept = head_part(full.lexicon, "tissue", "chorion (amnion stripped)", found)
    assert [c.term_label for c in kept] == ["chorion membrane"]


def test_sorted_cells_keep_their_tissue_unless_the_sample_says_they_were_made(full):
    """The model types stimulated blood cells as differentiated in vitro (its training labels
    do); their blood stays their tissue unless a value says the cells were differentiated."""
    def facets(attrs):
        return {a.facet: a for a in full.annotate(attrs)}

    stimulated = facets({"cell type": "CD56+ NK cells", "tissue": "blood",
                         "stimulation": "LPS 4h"})
    assert stimulated["sample_type"].term_id == "in_vitro_differentiated_cells"
    assert stimulated["tissue"].term_id == "UBERON:0000178" and "origin_tissue" not in stimulated
    made = facets({"cell type": "CD56+ NK cells", "tissue": "blood",
                   "differentiation": "day 7"})
    assert made["sample_type"].term_id == "in_vitro_differentiated_cells"
    assert made["origin_tissue"].term_id == "UBERON:0000178" and "tissue" not in made


@pytest.mark.parametrize(("value", "term"), [
    ("newborn", "UBERON:0007221"), ("Adult", "UBERON:0000113"), ("24 gestational weeks",
                                                                 "UBERON:0007220"),
    ("45", None),  # a bare number: years for a human, weeks for a mouse
])
def test_an_age_field_holding_a_stage_word_or_an_age(full, value, term):
    stages = [a for a in full.annotate({"age": value}) if a.facet == "dev_stage"]
    assert [a.term_id for a in stages] == ([term] if term else [])


@pytest.mark.parametrize(("value", "term"), [("Endothelial", "CL:0000115"),
                                             ("Dendritic", "CL:0000451"), ("Stromal", "CL:0000499")])
def test_a_cell_type_named_by_its_adjective(full, value, term):
    ann = full.ground_value("cell_type", value, "cell type")
    assert (ann.term_id, ann.method, ann.status) == (term, "exact", "accepted")


def test_an_abbreviation_inside_a_longer_scanned_value_is_only_a_suggestion(full):
    """A real BioSample 'treatment' value under a sample key: "MMP" is also CL's abbreviation
    of migratory muscle precursor (under 'treatment' itself it is no mention at all)."""
    anns = full.annotate({"source_name": "MMP inhibitor batimastat (Sigma, 10 uM)"})
    cell = [a for a in anns if a.facet == "cell_type" and a.term_id]
    assert cell and all(a.status != "accepted" and a.confidence <= 0.4 for a in cell)


def test_an_acronym_ending_in_s_is_not_a_plural(full):
    """MONDO's label "AIDS" is not the plural of "AID" (auxin-inducible degron in a title)."""
    anns = full.annotate({"title": "CUT-RUN-RAD21-AID_auxin Replicate 4"})
    assert not [a for a in anns if a.facet == "disease"]
    assert full.ground_value("disease", "AIDS", "disease").term_id == "MONDO:0012268"


@pytest.mark.parametrize(("attrs", "healthy"), [
    ({"treatment": "control"}, False),          # an untreated control, not a healthy donor
    ({"genotype/variation": "Control"}, False),  # a wild-type control
    ({"disease state": "control"}, True),
    ({"dx": "control"}, True),
    ({"source_name": "Healthy Control"}, True),
])
def test_control_means_healthy_only_on_a_disease_field(full, attrs, healthy):
    terms = [a.term_id for a in full.annotate(attrs) if a.facet == "disease"]
    assert (terms == ["PATO:0000461"]) == healthy


@pytest.mark.parametrize("title", ["PML_ChIPseq_lot7_rep2",
                                   "RNA-seq_Aortic endothelial cells - LSS_day2"])
def test_an_ontology_abbreviation_in_a_title_is_no_disease(full, title):
    """Titles written for the test: PML (a gene) and LSS (laminar shear stress) are also MONDO
    abbreviations (progressive multifocal leukoencephalopathy, Leigh syndrome)."""
    assert not [a for a in full.annotate({"title": title}) if a.facet == "disease"]
    # a curated abbreviation still counts: "AML" is acute myeloid leukemia
    assert [a.term_id for a in full.annotate({"title": "AML patient 3 bone marrow"})
            if a.facet == "disease"] == ["MONDO:0018874"]


@pytest.mark.parametrize(("attrs", "disease"), [
    # a disease a scanned value rules out is no disease of the sample; a donor named by
    # the disease they are without is a healthy donor
    ({"source_name": "PBMC from HIV-negative donor"}, "PATO:0000461"),
    ({"source_name": "non-diabetic islets"}, None),
    ({"title": "tumor-free lung margin"}, None),
    # under a disease key, a value that only rules diseases out is the healthy state
    ({"disease state": "non-diabetic"}, "PATO:0000461"),
    ({"disease": "HIV negative"}, "PATO:0000461"),
    ({"diagnosis": "without diabetes"}, "PATO:0000461"),
    # a negating word that belongs to the name is no negation
    ({"disease": "non-small cell lung cancer"}, "MONDO:0005233"),
    ({"source_name": "non-Hodgkin lymphoma biopsy"}, "MONDO:0018908"),
    ({"source_name": "HIV-positive donor PBMC"}, "MONDO:0005109"),
    # "no history of", and a disease of someone else or only a risk
    ({"description": "adult donor, no history of cancer"}, None),
    ({"disease state": "no evidence of disease"}, "PATO:0000461"),
    ({"description": "family history of breast cancer"}, None),
    ({"disease": "at risk for type 2 diabetes"}, None),   # not known healthy either
    # 'non' written onto the name denies it too
    ({"diagnosis": "nonasthmatic"}, "PATO:0000461"),
    ({"disease state": "nonCOPD"}, "PATO:0000461"),
    ({"diagnosis": "nonalcoholic steatohepatitis"}, "MONDO:0007027"),  # a name, whole
    # a likeness of a disease is neither the disease nor a denial of it
    ({"description": "keratinocytes in an eczema-like cytokine mix"}, None),
    ({"diagnosis": "sepsis-like"}, None),
    ({"description": "history of myocardial infarction"}, "MONDO:0005068"),
    # a denied list is denied whole; a prefix denies one name
    ({"medical history": "no asthma, psoriasis or gout"}, None),
    ({"disease": "no asthma, psoriasis or gout"}, "PATO:0000461"),
    ({"disease": "non-diabetic obese"}, "MONDO:0011122"),
])
def test_negated_diseases(full, attrs, disease):
    found = [a.term_id for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert found == ([disease] if disease else [])



@pytest.mark.parametrize(("attrs", "disease"), [
    # the usual abbreviations of sample metadata, as the whole value of a disease field
    ({"disease state": "UC"}, "MONDO:0005101"),
    ({"diagnosis": "MS"}, "MONDO:0005301"),
    ({"disease": "HF"}, "MONDO:0005252"),          # heart failure, not hydrops fetalis
    ({"disease": "CKD"}, "MONDO:0005300"),
    ({"diagnosis": "hypertension"}, "MONDO:0005044"),     # usual names MONDO lacks
    ({"disease state": "healthy subject"}, "PATO:0000461"),
    # a two-letter abbreviation in capitals inside a disease value
    ({"disease state": "AD patient"}, "MONDO:0004975"),
    ({"disease state": "post MI"}, "MONDO:0005068"),
    ({"condition": "MI"}, None),                   # condition is scanned: too weak alone
    # ...unless the word next to it says it is the subject's disease
    ({"condition": "post MI"}, "MONDO:0005068"),
    ({"source_name": "synovium, RA patient 4"}, "MONDO:0008383"),
    ({"disease state": "CD, ileum"}, "MONDO:0005011"),
    # case-folded text (GEO bag of words) has no capitals: a disease-state neighbour decides
    ({"text": "ra patient synovium"}, "MONDO:0008383"),
    ({"text": "colonic mucosa uc inflamed"}, "MONDO:0005101"),
    ({"text": "peripheral blood week post mi"}, "MONDO:0005068"),
    ({"text": "ad control hippocampus"}, None),    # a control of an AD study is a control
    ({"text": "es cells treated ra day"}, None),
    # but not in lower case among capitals, nor in a scanned title ('RA' is retinoic acid too)
    ({"disease state": "ra patient, Synovium"}, None),
    ({"title": "RA treated ES cells day 4"}, None),
    ({"source_name": "UC-MSC passage 3"}, None),
    ({"source_name": "UC"}, None),   # real BioSample: umbilical cord MSCs, donor UC0025
    # pathology's and the TCGA's codes MONDO lacks
    ({"histology": "IDC", "tissue": "breast"}, "MONDO:0004953"),
    ({"histological type": "ILC"}, "MONDO:0005051"),
    ({"project": "TCGA-KIRC"}, "MONDO:0005005"),
    ({"diagnosis": "SZ"}, "MONDO:0005090"),
])
def test_usual_disease_abbreviations(full, attrs, disease):
    """Curated abbreviations; two letters count only in capitals on a disease field, or next to
    a disease-state word ('patient', 'inflamed', 'post')."""
    found = [a.term_id for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert found == ([disease] if disease else [])


@pytest.mark.parametrize(("attrs", "facet"), [
    # reagents and protocol codes that are also ontology abbreviations
    ({"treatment/agent": "PMA 20 nM, 6 h"}, "disease"),     # progressive muscular atrophy
    ({"treatment": "10% FBS in RPMI"}, "disease"),           # a glycogen storage disease
    ({"fixation method": "FA"}, "disease"),                  # Friedreich ataxia
    ({"treatment": "MMP inhibitor batimastat (Sigma, 10 uM)"}, "cell_type"),
])
def test_an_abbreviation_under_a_key_about_something_else_is_no_mention(full, attrs, facet):
    assert not [a for a in full.annotate(attrs) if a.facet == facet and a.term_id]


def test_a_phrase_completed_by_disease_needs_disease_context(full):
    """Real BioSample source_name: 'renal tubular' + 'disease' is a MONDO synonym."""
    anns = full.annotate({"source_name": "Murine renal tubular epithelial cells"})
    assert not [a for a in anns if a.facet == "disease" and a.term_id]
    anns = full.annotate({"source_name": "von Willebrand patient platelets"})
    assert [a.term_id for a in anns if a.facet == "disease"] == ["MONDO:0024574"]


def test_a_stage_number_completed_by_disease_names_no_disease(full):
    """'stage 0 disease' is a synonym of carcinoma in situ; a phrase ending in a number is a
    stage or a grade of anything (a neuropathological or a lung-function staging)."""
    anns = full.annotate({}, "frontal cortex control subject tau stage 0 diagnosis none")
    assert not [a for a in anns if a.facet == "disease" and a.term_id == "MONDO:0004647"]


@pytest.mark.parametrize(("value", "term"), [
    ("Brain, neocortex", "UBERON:0001950"),        # real SRA tissue values
    ("Brain, cortical plate", "UBERON:0005343"),
])
def test_a_dedicated_value_naming_a_lineage_takes_its_most_specific_term(full, value, term):
    ann = full.ground_value("tissue", value, "tissue")
    assert ann.term_id == term and ann.status == "accepted"
    # the organ named with it is one of its ancestors, so it gave way
    assert full.lexicon.is_ancestor("UBERON:0000955", term)


@pytest.mark.parametrize("organ", ["Kidney", "blood", "bone marrow"])
def test_an_organ_is_no_cell_type_adjective(full, organ):
    """Real source_name values: the organ is the tissue, not CL's '<organ> cell'."""
    anns = {a.facet: a for a in full.annotate({"source_name": organ})}
    assert anns["tissue"].term_id
    assert "cell_type" not in anns or anns["cell_type"].term_id is None


def test_a_tissue_under_a_key_about_something_else_is_less_sure(full):
    """'cause of death' names an organ that need not be the sample's."""
    other = {a.facet: a for a in full.annotate({"cause of death": "cardiac arrest"})}
    own = {a.facet: a for a in full.annotate({"source_name": "cardiac muscle biopsy"})}
    assert other["tissue"].term_id == "UBERON:0000948"
    assert other["tissue"].confidence < own["tissue"].confidence - 0.05


@pytest.mark.parametrize(("value", "terms"), [
    # real SRA value (typo included): two diseases, one annotation each
    ("Co-morbid Crohn's and Spondyloarhtritis", {"MONDO:0005011", "MONDO:0005095"}),
    ("obesity and type 2 diabetes", {"MONDO:0011122", "MONDO:0005148"}),
    # one disease, however it is punctuated
    ("cancer, breast cancer", {"MONDO:0007254"}),
    ("Diabetes Mellitus, Type 2", {"MONDO:0005148"}),
    ("Crohn's", {"MONDO:0005011"}),  # under a disease key, no further disease words needed
])
def test_a_disease_field_listing_several_diseases(full, value, terms):
    found = [a for a in full.annotate({"disease state": value}) if a.facet == "disease"]
    assert {a.term_id for a in found} == terms
    assert len(found) == len(terms)


@pytest.mark.parametrize(("attrs", "disease"), [
    ({"hiv status": "positive"}, "MONDO:0005109"),   # GEO characteristics of this shape
    ({"diabetes": "yes"}, "MONDO:0005015"),
    ({"hiv status": "negative"}, None),              # a denial says nothing more
    ({"smoker": "yes"}, None),                       # the key names no disease
    ({"her2 status": "positive"}, None),
    ({"asthma": "yes, treated"}, "MONDO:0004979"),        # the answer before a remark
    ({"asthma": "no (never diagnosed)"}, None),
    ({"asthma severity": "moderate"}, "MONDO:0004979"),     # a severity affirms it too
    ({"pain severity": "mild"}, None),                      # a key naming no disease
])
def test_a_key_naming_a_disease_affirmed_by_its_value(full, attrs, disease):
    found = [a for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert [a.term_id for a in found] == ([disease] if disease else [])
    if disease:
        key, value = next(iter(attrs.items()))
        assert found[0].source_text == f"{key}: {value}" and found[0].status == "accepted"


@pytest.mark.parametrize(("attrs", "disease"), [
    ({"histology": "SCC", "anatomic site": "oral tongue"}, "tongue squamous cell carcinoma"),
    ({"histology": "ADC", "tissue": "lung"}, "lung adenocarcinoma"),
    ({"diagnosis": "NAFL"}, "metabolic dysfunction-associated steatotic liver disease"),
])
def test_a_pathologists_abbreviation_is_read_with_the_organ(full, attrs, disease):
    found = [a for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert [a.term_label for a in found] == [disease]
    assert found[0].status == "accepted"


def test_a_mixed_case_abbreviation_is_no_word(full):
    """MONDO's 'chILD' (interstitial lung disease specific to childhood) is not 'child'."""
    text = "whole blood of a child with autism spectrum disorder"
    assert [a.term_id for a in full.annotate({"description": text})
            if a.facet == "disease"] == ["MONDO:0005258"]
    assert full.lexicon.names["disease"]["child"][0][1] == "abbreviation"


@pytest.mark.parametrize("attrs", [
    {"tissue": "subcutaneous adipose tissue"},   # MONDO lists it as a synonym of panniculitis
    {"source_name": "pituitary gland"},           # ... of hypophysitis
    {"title": "normal seminal vesicle"},          # ... of vesiculitis
])
def test_a_body_part_is_no_disease(full, attrs):
    assert not [a for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert [a for a in full.annotate(attrs) if a.facet == "tissue" and a.term_id]


@pytest.mark.parametrize(("facet", "key", "value", "term"), [
    # values with a misspelt word: the whole value, respelt, names more
    ("tissue", "tissue", "Cingulte Cortex", "UBERON:0003027"),              # not 'cortex'
    ("cell_type", "cell type", "human umbillical vein endothelial cells", "CL:0002618"),
])
def test_a_misspelt_word_in_a_value_is_read_respelt(full, facet, key, value, term):
    assert [a.term_id for a in full.annotate({key: value}) if a.facet == facet] == [term]


def test_a_word_cut_short_is_the_longer_name(full):
    """Bag-of-words text (GEO style): 'hip' abbreviates the hippocampus named next to it."""
    text = ("homo sapiens hip sample hippocampus neuron brain hippocampus hip extract rna "
            "hippocampus")
    terms = [a.term_id for a in full.annotate({"text": text}) if a.facet == "tissue"]
    assert "UBERON:0001464" not in terms  # the hip (pelvic region)
    assert [a.term_id for a in full.annotate({"source_name": "hip joint synovium"})
            if a.facet == "tissue"]  # a hip with nothing longer next to it stays


@pytest.mark.parametrize(("value", "disease"), [
    ("Kidney, diabetic nephropathy", "MONDO:0005016"),   # not diabetes mellitus ('diabetic')
    ("synovium, psoriatic arthritis", "MONDO:0011849"),  # not psoriasis ('psoriatic')
])
def test_a_disease_word_qualifying_a_longer_name_is_part_of_it(full, value, disease):
    assert [a.term_id for a in full.annotate({"source_name": value})
            if a.facet == "disease"] == [disease]


@pytest.mark.parametrize(("value", "term"), [
    ("Brain, frontal cortex, Alzheimer's disease", "UBERON:0001870"),   # not brain
    ("Heart left ventricle, dilated cardiomyopathy", "UBERON:0002084"),  # not heart
])
def test_a_short_sample_value_naming_a_lineage_takes_its_most_specific_term(full, value, term):
    assert [a.term_id for a in full.annotate({"source_name": value})
            if a.facet == "tissue"] == [term]


def test_a_cell_type_followed_by_derived_is_the_origin(full):
    """Real SRA source_name: the organoids are not iPSCs. In GEO bag-of-words text, whose word
    order is lost ('dendritic cell derived blood monocyte'), the rule does not apply."""
    assert not [a for a in full.annotate(
        {"source_name": "Human iPSC derived neural organoids (HNOs)"})
        if a.facet == "cell_type" and a.term_id]
    assert [a.term_id for a in full.annotate({"source_name": "iPSC-derived cardiomyocytes"})
            if a.facet == "cell_type"] == ["CL:0000746"]
    assert [a.term_id for a in full.annotate({"text": "dendritic cell derived blood monocyte"})
            if a.facet == "cell_type"] == ["CL:0000451"]
    # a chain of origins: the cells made from cells made from stem cells are the sample
    for value, made in (("iPSC-MSC-derived adipocytes", "CL:0000136"),
                        ("ESC-NPC derived astrocytes, week 6", "CL:0000127")):
        assert [a.term_id for a in full.annotate({"cell type": value})
                if a.facet == "cell_type"] == [made]


def test_a_term_under_an_unrelated_key_does_not_outrank_the_source_name(full):
    """'cause of death: cardiac arrest' names the heart, but the sample is the brain region
    its source_name gives."""
    anns = full.annotate({"source_name": "temporal cortex",
                          "cause of death": "cardiac arrest", "cell type": "Neuronal"})
    tissue = [a for a in anns if a.facet == "tissue"]
    assert [a.term_id for a in tissue] == ["UBERON:0016538"]  # temporal cortex


@pytest.mark.parametrize(("attrs", "disease"), [
    # real BioSample values: a cell-type or tissue field that names the disease
    ({"cell line": "WM989", "cell type": "melanoma"}, "MONDO:0005105"),
    ({"cell line": "T47D", "cell type": "breast cancer cell line"}, "MONDO:0007254"),
    ({"tissue": "lung adenocarcinoma"}, "MONDO:0005061"),
    ({"tissue": "psoriatic skin lesion"}, "MONDO:0005083"),
    # and one that names none
    ({"tissue": "adjacent non-tumor liver"}, None),
    ({"tissue": "normal colon"}, None),
])
def test_a_tissue_or_cell_type_field_also_names_the_disease(full, attrs, disease):
    found = [a.term_id for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert found == ([disease] if disease else [])


@pytest.mark.parametrize(("attrs", "disease"), [
    # an organ adjective and a class word compose the organ's disease, by the organ's name
    ({"disease": "renal cancer"}, "MONDO:0002367"),          # kidney cancer
    ({"disease": "pulmonary carcinoma"}, "MONDO:0005138"),   # lung carcinoma
    ({"disease": "gastric tumor"}, "MONDO:0021085"),         # a MONDO synonym as written
])
def test_an_organ_adjective_and_a_class_word_name_the_organ_disease(full, attrs, disease):
    found = [a.term_id for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]
    assert found == [disease]


def test_the_organ_of_another_field_is_not_read_into_the_disease(full):
    found = [a for a in full.annotate({"disease state": "glioblastoma", "tissue": "brain"})
             if a.facet == "disease" and a.term_id]
    assert [a.term_id for a in found] == ["MONDO:0018177"]


@pytest.mark.parametrize(("text", "organs"), [
    # an organ named only inside a disease the text negates is no organ of the sample
    ("died without traumatic brain injury, dorsolateral prefrontal cortex", {"UBERON:0009834"}),
    ("donor without liver disease", set()),
    ("no history of lung cancer", set()),
    # named on its own as well, it stays
    ("lung, no history of lung cancer", {"UBERON:0002048"}),
    ("liver disease", {"UBERON:0002107"}),
])
def test_an_organ_inside_a_negated_disease_is_no_tissue(full, text, organs):
    from harmonize.ground.mentions import find_mentions
    found, _ = find_mentions(full.lexicon, "tissue", text)
    assert {m.term_id for m in found} & {"UBERON:0009834", "UBERON:0002107", "UBERON:0002048",
                                         "UBERON:0000955"} == organs


def test_a_study_reads_its_cases_on_its_disease_axis(full):
    """"group: PD" alone is two letters under a scanned key (not trusted); beside "group:
    control" and "group: MSA" in the same study the key is the study's disease axis."""
    samples = [({"source_name": "substantia nigra", "group": g}, None, None)
               for g in ("PD", "control", "MSA")]
    alone = [a.term_id for a in full.annotate(*samples[0]) if a.facet == "disease" and a.term_id]
    got = full.annotate_many(samples, studies=["S"] * 3)
    ids = [[a.term_id for a in anns if a.facet == "disease" and a.term_id] for anns in got]
    assert alone == []
    assert ids[0] == ["MONDO:0005180"] and ids[1] == ["PATO:0000461"]


@pytest.mark.parametrize("value", ["retinal organoid from hES, day 60",
                                   "iPS clone 4 from a skin biopsy"])
def test_a_prefixed_cell_abbreviation_is_no_disease(full, value):
    """'hES' (human ES) is no HES, 'iPS' no IPS: a lower-case prefix modifies its capitals."""
    ann = full.ground_value("disease", value, "source_name")
    assert ann.term_id is None


def test_a_prefixed_cell_abbreviation_still_names_its_cell_type(full):
    assert full.ground_value("cell_type", "hESC line", "source_name").term_id == "CL:0002322"


def test_a_finer_key_names_the_subset_the_sample_is(full):
    """Two cell-type keys that disagree: the one for a finer division names the sample (stem
    cells made into motor neurons), and the plain key wins when there is no finer one."""
    both = {"cell type": "induced pluripotent stem cells", "cell subpopulation": "motor neurons"}
    ann = {a.facet: a for a in full.annotate(both)}["cell_type"]
    assert (ann.term_id, ann.source_key) == ("CL:0000100", "cell subpopulation")
    plain = {"cell type": "induced pluripotent stem cells", "description": "motor neurons"}
    assert {a.facet: a for a in full.annotate(plain)}["cell_type"].term_id == "CL:0002248"


def test_a_whole_value_abbreviation_is_a_narrower_name_the_sample_gives(full):
    """'source_name: HUVEC' beside 'cell type: endothelial cells': the abbreviation is the
    whole value, no weak reading inside a longer one, so its narrower term is taken."""
    anns = full.annotate({"source_name": "HUVEC", "cell type": "endothelial cells"})
    assert {a.facet: a.term_id for a in anns}["cell_type"] == "CL:0002618"
    inside = full.annotate({"source_name": "HUVEC medium change", "cell type": "endothelial cells"})
    assert {a.facet: a.term_id for a in inside}["cell_type"] == "CL:0000115"
    # an abbreviation the broader term shares names no narrower one: 'PD' is Parkinson disease
    # and, in MONDO, its late-onset form too
    shared = full.annotate({"disease": "PD", "source_name": "PD"})
    assert {a.facet: a.term_id for a in shared}["disease"] == "MONDO:0005180"
    # nor in running text, where the fitted ranking would prefer the deeper of the two
    text = full.annotate({}, "midbrain block from a pd patient, frozen")
    assert {a.facet: a.term_id for a in text}["disease"] == "MONDO:0005180"


@pytest.mark.parametrize(("attributes", "tissue"), [
    ({"tissue": "PDAC"}, "UBERON:0001264"),  # most of its names say pancreas
    ({"tissue": "hepatocellular carcinoma"}, "UBERON:0002107"),  # its codes ('LIHC') no names
    ({"source_name": "ccRCC", "tissue": "tumour"}, "UBERON:0002113"),
    ({"tissue": "leiomyosarcoma"}, None),  # 'not uterine' names no organ it lies in
    ({"tissue": "HNSCC"}, None),  # two organs, neither inside the other
    ({"tissue": "PDAC metastasis"}, None),  # grown away from where it arose
    ({"tissue": "Gaucher disease"}, None),  # no tumour
    # a tissue value saying only 'tumour': the organ of the tumour another key names
    ({"tissue": "primary tumour", "diagnosis": "gallbladder carcinoma"}, "UBERON:0002110"),
    ({"tissue": "tumor", "disease": "Gaucher disease"}, None),
    ({"tissue": "tumor", "cell type": "TILs", "disease": "salivary gland carcinoma"},
     "UBERON:0001044"),
])
def test_a_tumour_named_as_the_tissue_is_in_the_organ_its_names_name(full, attributes, tissue):
    anns = {a.facet: a for a in full.annotate(attributes)}
    assert (anns["tissue"].term_id if "tissue" in anns else None) == tissue
    if tissue:
        assert anns["tissue"].candidates[0].features["rule:organ_of_tumour"] == 1.0
        assert full.sample_ranking("tissue", attributes)[0]["term_id"] == tissue  # explain agrees


@pytest.mark.parametrize(("attributes", "text", "tissue"), [
    ({}, "pdac tumour snap frozen resection", "UBERON:0001264"),  # a bag of words
    ({"title": "PDAC tumour, snap-frozen"}, None, "UBERON:0001264"),
    ({}, "pdac tumour metastasis snap frozen", None),  # grown away from its organ
    ({"cell line": "PANC-1"}, "pdac tumour cells", None),  # a line, grown in a dish
    ({}, "pdac patient snap frozen", None),  # no word says the specimen is the tumour
])
def test_free_text_naming_a_tumour_specimen_is_in_the_tumours_organ(full, attributes, text,
                                                                     tissue):
    """Rule tumour_in_text: organ_of_tumour for a title, description or bag of words (a
    title the rule before it reads already)."""
    anns = {a.facet: a for a in full.annotate(attributes, text)}
    assert (anns["tissue"].term_id if "tissue" in anns else None) == tissue
    if tissue and text:
        assert anns["tissue"].candidates[0].features["rule:tumour_in_text"] == 1.0


@pytest.mark.parametrize(("attributes", "tissue"), [
    ({"tissue": "skeletal muscle tissue; soleus"}, "UBERON:0001389"),  # named after the head
    ({"tissue": "skeletal muscle tissue", "source_name": "gastrocnemius biopsy"},
     "UBERON:0001388"),
    ({"tissue": "skeletal muscle tissue"}, "UBERON:0001134"),  # no muscle named: the tissue
])
def test_a_muscle_named_beside_skeletal_muscle_is_the_muscle_sampled(full, attributes, tissue):
    """UBERON puts a named muscle in no is_a or part_of line below skeletal muscle tissue; it
    is an organ composed primarily of it, so narrower all the same (rule organ_of_tissue)."""
    assert {a.facet: a.term_id for a in full.annotate(attributes)}["tissue"] == tissue
    assert full.sample_ranking("tissue", attributes)[0]["term_id"] == tissue  # explain agrees


def test_an_abbreviation_before_tumour_words_is_the_whole_value(full):
    """'RCC tumours' names a tumour that is a renal cell carcinoma as surely as 'RCC' alone:
    narrower than 'renal tumour' beside it, so taken; any other word after it leaves it weak."""
    anns = full.annotate({"source_name": "renal tumour", "tissue": "RCC tumours"})
    assert {a.facet: a.term_id for a in anns}["disease"] == "MONDO:0005086"
    other = full.annotate({"source_name": "renal tumour", "tissue": "RCC margin"})
    assert {a.facet: a.term_id for a in other}["disease"] == "MONDO:0021163"
    # a sample's number after it is no other word: 'LUSC-2 tumour' is the second LUSC sample
    numbered = full.annotate({"source_name": "lung tumour", "title": "LUSC-2 tumour"})
    assert {a.facet: a.term_id for a in numbered}["disease"] == "MONDO:0005097"
    named = full.annotate({"source_name": "lung tumour", "title": "LUSC patient tumour"})
    assert {a.facet: a.term_id for a in named}["disease"] == "MONDO:0021117"


def test_british_spellings_find_the_american_labels(full):
    anns = full.annotate({"cell type": "haematopoietic stem cells",
                          "disease": "acute myeloid leukaemia"})
    found = {a.facet: a.term_id for a in anns}
    assert (found["cell_type"], found["disease"]) == ("CL:0000037", "MONDO:0018874")


def test_a_term_is_judged_by_its_strongest_mention(full):
    """An abbreviation inside an identifier is weak evidence; the same term as a whole value
    elsewhere in the sample is not, and the annotation says where that was."""
    attrs = {"donor": "T2D-07", "group": "T2D", "sex": "female"}
    ann = next(a for a in full.annotate(attrs) if a.facet == "disease")
    assert ann.term_id == "MONDO:0005148" and ann.status == "accepted"
    assert ann.source_key == "group" and ann.confidence > WEAK_CAP
    alone = next(a for a in full.annotate({"donor": "T2D-07"}) if a.facet == "disease")
    assert alone.confidence <= WEAK_CAP  # the identifier alone stays weak


@pytest.mark.parametrize("key", ["illness", "Primary illness", "disorder"])
def test_words_for_disease_name_a_disease_key(key):
    assert key_role(key) == "disease"


def test_written_free_text_is_read_as_its_submitter_wrote_it(full):
    """A title and a description keep their capitals and punctuation: each line is read like
    a description (a healthy person said in words counts); lower-case bag-of-words text without
    punctuation is still one unordered text, where 'healthy' may be the study's."""
    written = {a.facet: a for a in full.annotate(
        {"cell type": "fibroblast"}, "FB_07\nFibroblasts from a healthy volunteer; Gender: M")}
    assert written["disease"].term_id == "PATO:0000461"
    assert written["disease"].source_key == "description"
    assert written["sex"].term_id == "PATO:0000384"
    flat = {a.facet: a for a in full.annotate(
        {"cell type": "fibroblast"}, "fb 07 fibroblasts healthy volunteer gender m")}
    assert "disease" not in flat or flat["disease"].term_id != "PATO:0000461"


def test_a_disease_abbreviation_in_a_description_needs_words_about_a_disease(full):
    def disease(attrs):
        return next((a.term_id for a in full.annotate(attrs)
                     if a.facet == "disease" and a.status == "accepted"), None)
    assert disease({"description": "Skin fibroblasts of a patient with SSc"}) == "MONDO:0005100"
    assert disease({"title": "SSc_fib_03"}) is None  # a code in a title: no disease said


def test_healthy_in_a_long_passage_is_the_study_not_the_donor(full):
    passage = ("This strain was first isolated from the gut of healthy adult volunteers in a "
               "survey of the intestinal flora and is kept as a reference for genome annotation.")
    assert len(passage.split()) > 20
    anns = full.annotate({"description": passage})
    assert not any(a.term_id == "PATO:0000461" for a in anns)
    short = full.annotate({"description": "Blood of a healthy adult volunteer."})
    assert any(a.term_id == "PATO:0000461" for a in short)


@pytest.mark.parametrize(("attributes", "disease"), [
    ({"disease state": "NGT control"}, "PATO:0000461"),  # a control of the study
    ({"disease state": "non-IBD controls"}, "PATO:0000461"),
    ({"diabetes status": "ND (control)"}, "PATO:0000461"),  # a key asking about one disease
    ({"asthma status": "asthmatic"}, "MONDO:0004979"),
    ({"treatment": "scrambled shRNA control"}, None),  # an experimental control names no donor
    ({"vital status": "alive"}, None),  # no disease key
])
def test_controls_and_keys_that_ask_about_one_disease(full, attributes, disease):
    got = next((a.term_id for a in full.annotate(attributes)
                if a.facet == "disease" and a.status == "accepted"), None)
    assert got == disease


@pytest.mark.parametrize(("attributes", "line"), [
    ({"title": "HCC_T_07_rep2"}, None),  # an underscore parts a code's fields: no 'HCC-T'
    ({"source_name": "MM-MSC-1 stromal culture"}, None),  # a name after a hyphen is a code's tail
    ({"title": "DS_iPS_C1_p15"}, None),
    ({"source_name": "GM 12878 lymphoblastoid cells, passage 12"}, "CVCL:7526"),  # split between letters and digits
    ({"source_name": "MCF7-KO17 clone"}, "CVCL:0031"),  # a derivative names its parent
])
def test_a_scanned_line_name_is_written_as_a_name(full, attributes, line):
    got = next((a.term_id for a in full.annotate(attributes)
                if a.facet == "cell_line" and a.status == "accepted"), None)
    assert got == line


def test_an_organoid_from_a_biopsy_keeps_its_organ(full):
    """An organoid grown from a biopsy models its organ, which stays its tissue (CELLxGENE's
    convention); one made from pluripotent cells has that organ as its origin."""
    def facets(attrs):
        return {a.facet: a for a in full.annotate(attrs)}

    grown = facets({"source_name": "ileum organoids from a biopsy", "tissue": "ileum"})
    assert grown["sample_type"].term_id == "organoid"
    assert grown["tissue"].term_id == "UBERON:0002116" and "origin_tissue" not in grown
    made = facets({"source_name": "ileum organoids", "tissue": "ileum",
                   "iPSC line": "KX-12", "differentiation": "day 35"})
    assert made["sample_type"].term_id == "organoid"
    assert made["origin_tissue"].term_id == "UBERON:0002116" and "tissue" not in made


@pytest.mark.parametrize(("facet", "attributes", "rule"), [
    ("tissue", {"tissue": "skin", "body site": "forearm"}, "site_of_tissue"),
    ("tissue", {"tissue": "kidney", "source_name": "renal cortex"}, "deeper_in_sample"),
    ("cell_type", {"cell type": "HSC", "sort gate": "CD34+ CD38-"}, "cell_of_markers"),
])
def test_explain_names_the_rule_that_took_a_narrower_name(full, facet, attributes, rule):
    rows = full.sample_ranking(facet, attributes)
    taken = [r for r in rows if r["narrower_taken"]]
    assert [r["taken_by"] for r in taken] == [rule]
    assert taken[0]["term_id"] == next(a.term_id for a in full.annotate(attributes)
                                       if a.facet == facet)


@pytest.mark.parametrize(("attributes", "disease"), [
    ({"tissue": "lung", "histology": "normal"}, None),  # adjacent normal: the tissue, not the donor
    ({"source_name": "colon", "tissue type": "Normal"}, None),
    ({"source_name": "colon organoids", "organoid type": "normal"}, None),
    ({"tissue": "lung", "histology": "adenocarcinoma"}, "MONDO:0005061"),  # a disease still counts
    ({"tissue": "colon", "disease state": "normal"}, "PATO:0000461"),  # the donor's key
])
def test_a_normal_specimen_is_no_healthy_donor(full, attributes, disease):
    found = [a.term_id for a in full.annotate(attributes) if a.facet == "disease" and a.term_id]
    assert found == ([disease] if disease else [])


def test_a_specimen_key_does_not_leak_into_another_keys_reading(full):
    """The memo of a field's reading keeps apart a key that describes the specimen: asked under
    'tissue type' first, 'Normal' is still the healthy state under a disease key."""
    assert full.decide_value("disease", "Normal", "tissue type") is None
    assert full.decide_value("disease", "Normal", "disease state").term_id == "PATO:0000461"
    assert full.decide_value("disease", "Normal", "histology") is None


def test_a_normal_specimen_beside_tumours_of_its_study_is_no_healthy_control(full):
    samples = [({"source_name": "colon", "tissue type": "Tumour"}, None, None),
               ({"source_name": "colon", "tissue type": "Normal"}, None, None),
               ({"source_name": "colon", "group": "control"}, None, None),
               ({"source_name": "colon", "group": "colonic adenocarcinoma"}, None, None)]
    got = full.annotate_many(samples, studies=["S"] * 4)
    assert [a.term_id for a in got[1] if a.facet == "disease" and a.term_id] == []
    assert [a.term_id for a in got[2] if a.facet == "disease"] == ["PATO:0000461"]


def test_a_title_code_beside_coded_controls_names_the_cases_disease(full):
    # an ontology abbreviation a title alone does not trust ('PCOS' could be a lab's code)
    # is the cases' disease where the study codes its controls in its titles the same way
    cases = [({"tissue": "ovary"}, "PCOS_11\nTheca cells, passage 2", None),
             ({"tissue": "ovary"}, "PCOS_14\nTheca cells, passage 2", None),
             ({"tissue": "ovary"}, "CTRL_02\nTheca cells, passage 2", None)]
    got = full.annotate_many(cases, studies=["S"] * 3)
    said = [next((a for a in anns if a.facet == "disease" and a.term_id), None) for anns in got]
    assert [a.term_label for a in said] == ["polycystic ovary syndrome"] * 2 + ["normal"]
    assert "rule:title_codes" in said[0].candidates[0].features
    alone = full.annotate_many(cases[:1], studies=["S"])[0]
    assert not any(a.facet == "disease" and a.term_id for a in alone)



@pytest.mark.parametrize(("attributes", "term"), [
    # the cells made from stem cells, named by a lab abbreviation after the stem cells' name
    ({"cell type": "hESC-CMs"}, "CL:0000746"),
    ({"source_name": "iPS-derived MNs, clone 2"}, "CL:0000100"),
    ({"cell type": "hiPSC-HLCs"}, "CL:0000182"),
    # CL's '<cells> of the <place>' names read in the order samples write them
    ({"cell type": "bone marrow MSCs"}, "CL:0002540"),
    ({"cell type": "pulmonary artery smooth muscle cells"}, "CL:0002591"),
])
def test_cells_named_as_labs_write_them(full, attributes, term):
    got = next(a for a in full.annotate(attributes) if a.facet == "cell_type")
    assert got.term_id == term
    assert next(a for a in full.annotate({"cell type": "CM"}) if a.facet == "cell_type").term_id \
        is None  # alone the abbreviation is not read


def test_a_code_defined_in_a_legend_of_the_sample_is_read_as_its_definition(full):
    legend = ("NB = nephroblastoma, favourable histology; "
              "CTL = control without neurological disease")
    case = {"tissue": "kidney", "diagnosis": "NB", "group legend": legend}
    ctrl = {"tissue": "kidney", "diagnosis": "CTL", "group legend": legend}
    got = [next(a for a in full.annotate(s) if a.facet == "disease") for s in (case, ctrl)]
    assert [a.term_id for a in got] == ["MONDO:0019004", "PATO:0000461"]
    assert got[1].source_key == "diagnosis"
    # the legend alone names every group: nothing of the sample
    assert not any(a.facet == "disease" and a.term_id
                   for a in full.annotate({"tissue": "kidney", "group legend": legend}))


def test_a_control_code_holding_a_disease_abbreviation_names_no_disease(full):
    """'PD-NSC_ctrl' is a control by its code (the untreated arm); the 'PD' in it names no
    case, so the study names no disease under the key and has no healthy control either (the
    code read as a disease field made a Parkinson disease and, beside it, a healthy control)."""
    samples = [({"source_name": "PD-NSC_ctrl", "treatment": "none"}, None, None),
               ({"source_name": "WT-NSC_stim", "treatment": "LPS"}, None, None),
               ({"source_name": "WT-NSC_ctrl", "treatment": "none"}, None, None)]
    annotated = full.annotate_many(samples, studies=["S1"] * 3)
    assert [[a.term_id for a in anns if a.facet == "disease" and a.term_id]
            for anns in annotated] == [[], [], []]



@pytest.mark.parametrize("attrs", [
    {"disease": "frontotemporal dementia", "genotype": "GRN R493X/+"},
    {"disease": "frontotemporal dementia (GRN carrier)"},
])
def test_a_gene_beside_a_disease_leaves_the_disease_as_read(full, attrs):
    """A gene's form of the disease (MONDO's GRN form, defined by the gene) is not taken from a
    gene named beside it: on the blind sets curators kept the disease as written 28 times for
    8 (the rule that did so was removed)."""
    assert [a.term_id for a in full.annotate(attrs) if a.facet == "disease"] == ["MONDO:0017276"]


def test_a_persons_code_is_no_numbered_form_of_a_disease(full):
    """Rule numbered_people: 'individual: ALS7' is the seventh patient, not ALS type 7; the
    letters alone still say the patient's disease."""
    def diseases(attrs):
        return [a.term_id for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]

    assert full.lexicon.lookup("disease", "als7")  # the code is also a name of ALS type 7
    assert diseases({"disease state": "ALS", "individual": "ALS7"}) == ["MONDO:0004976"]
    assert diseases({"individual": "ALS7"}) == ["MONDO:0004976"]  # the letters alone: ALS
    # letters that name no numbered form are not read for one ('HD7': a healthy donor)
    assert diseases({"individual": "HD7"}) == []
    assert diseases({"disease state": "ALS7"}) != ["MONDO:0004976"]  # under its key a type


def test_an_affirmed_antibody_is_no_disease(full):
    """Rule affirmed_key: 'hiv status: positive' affirms a disease; 'anti-SSA: positive'
    affirms an antibody, not the amyloidosis MONDO abbreviates 'SSA'."""
    def diseases(attrs):
        return [a.term_id for a in full.annotate(attrs) if a.facet == "disease" and a.term_id]

    assert diseases({"SSA": "positive"}) == ["MONDO:0018018"]  # the key alone names it
    assert diseases({"anti-SSA": "positive"}) == []
    assert diseases({"anti SSA antibodies": "yes"}) == []


def test_lymphoblastoid_cells_are_b_lymphoblasts(full):
    """A lymphoblastoid line is B cells transformed by EBV: CL's B-lymphoblast."""
    assert [a.term_id for a in full.annotate({"cell type": "EBV-transformed lymphoblastoid line"})
            if a.facet == "cell_type"] == ["CL:0017006"]


@pytest.mark.parametrize("value", ["CD4+CD25bright Tregs", "Tregs (CD4+ CD25hi)"])
def test_a_high_level_of_a_marker_counts_as_positive(full, value):
    """Rule cell_of_markers: CL names the regulatory T cell CD25-positive; a cell sorted as
    CD25-bright or CD25-high is one. A level as written still wins where CL names it."""
    assert [a.term_id for a in full.annotate({"cell type": value})
            if a.facet == "cell_type"] == ["CL:0000792"]
    assert [a.term_id for a in full.annotate({"cell type": "CD16-CD56bright NK cells"})
            if a.facet == "cell_type"] == ["CL:0000938"]


@pytest.mark.parametrize(("value", "term"), [
    ("hBMSCs", "CL:0002540"),  # of the bone marrow
    ("AD-MSCs", "CL:0002570"),  # of adipose tissue
    ("UC-MSCs", "CL:0002569"),  # of umbilical cord
    ("WJ-MSCs", "CL:0002568"),  # of Wharton's jelly
    ("MSCs", "CL:0000134"),  # no place: the mesenchymal stem cell
])
def test_a_place_abbreviated_before_msc_names_the_msc_of_that_place(full, value, term):
    """Curated abbreviations: the field writes the place's initials before 'MSC'."""
    assert [a.term_id for a in full.annotate({"cell type": value})
            if a.facet == "cell_type"] == [term]


#: Bags of words as GEO records make them: the sample's own values, then the series title,
#: which writes out the diseases of the study.
_MPN_TITLE = ("myeloproliferative neoplasms essential thrombocythemia polycythemia vera "
              "primary myelofibrosis")
_GUT_TITLE = ("small bowel motility disorders chronic intestinal pseudoobstruction "
              "hirschsprung disease")


@pytest.mark.parametrize(("own", "disease"), [
    (f"diagnosis pmf jak2 mutated {_MPN_TITLE}", "MONDO:0009692"),  # primary myelofibrosis
    (f"full thickness biopsy group cip {_GUT_TITLE}", "MONDO:0017574"),
])
def test_a_short_word_spelling_a_name_the_text_writes_out_names_the_samples_disease(
        full, own, disease):
    """Rule spelt_abbreviations: of the diseases a series title writes out, the sample's is
    the one its own values abbreviate, and the rule's choice is no tie."""
    anns = [a for a in full.annotate({}, f"bone marrow {own}") if a.facet == "disease"]
    assert [a.term_id for a in anns] == [disease]
    assert "conf:tied" not in anns[0].candidates[0].features


def test_a_spelt_word_is_no_other_disease_of_its_letters(full):
    """'sod' spells a name with its function word aside, and 'cip' read beside 'chronic
    intestinal pseudoobstruction' is that disease, not another the lexicon abbreviates so."""
    from harmonize.ground.mentions import find_mentions, spells

    assert spells("sod", ["sphincter", "oddi", "dysfunction"])
    assert not spells("sd", ["sphincter", "oddi", "dysfunction"])  # every word's initial
    assert not spells("ps", ["primary", "sclerosis"][::-1])  # the first letter starts the name
    text = f"full thickness biopsy group cip {_GUT_TITLE}"
    found = {(m.name, m.term_id) for m in find_mentions(full.lexicon, "disease", text)[0]}
    named = {t for t, _ in full.lexicon.lookup("disease", "chronic intestinal pseudoobstruction")}
    assert {t for n, t in found if n == "cip"} == named
    assert {t for t, _ in full.lexicon.lookup("disease", "cip")} - named  # another term's too
    # without the name written out, the letters spell nothing
    alone = find_mentions(full.lexicon, "disease", "full thickness biopsy group cip")[0]
    assert not {m.term_id for m in alone} & named


def test_capitals_ending_in_a_greek_letter_name_a_protein_not_a_disease(full):
    """Rule greek_suffix: 'ERa' is ER-alpha (MONDO abbreviates an arthritis 'ERA'); capitals
    with a small letter inside still count ('SSc' as MONDO writes it)."""
    from harmonize.ground.mentions import written_in_capitals

    said = written_in_capitals("T47D ERa TGFb SSc", modifiers_apart=True)
    assert "ssc" in said and not {"era", "tgfb"} & said
    anns = full.annotate({"source_name": "T47D cells, ERa overexpression"})
    assert not [a.term_id for a in anns if a.facet == "disease" and a.term_id == "MONDO:0019437"]


@pytest.mark.parametrize(("value", "disease"), [
    ("HDM-induced rhinitis", "MONDO:0003014"),  # a rhinitis the house dust mite induces
    ("HCV-related cirrhosis", "MONDO:0005155"),  # the virus qualifies the cirrhosis
    ("HIV-associated nephropathy", "MONDO:0005798"),  # MONDO's own name, read whole
])
def test_an_abbreviation_joined_to_a_qualifying_word_names_no_second_disease(full, value,
                                                                            disease):
    """Rule hyphen_qualifier: '<ABBR>-<word> <disease>' names the disease after it."""
    anns = [a for a in full.annotate({"diagnosis": value}) if a.facet == "disease"]
    assert [a.term_id for a in anns] == [disease]


@pytest.mark.parametrize(("text", "tissue"), [
    # a bag of words naming the organ and a part of it is of the part
    ("autopsy brain block locus coeruleus frozen", "UBERON:0002148"),
    ("resected lung tissue right lower lobe smoker", "UBERON:0002171"),
    ("whole heart tissue interventricular septum donor", "UBERON:0002094"),
])
def test_a_text_naming_an_organ_and_a_part_of_it_is_of_the_part(full, text, tissue):
    ann = {a.facet: a for a in full.annotate({}, text)}["tissue"]
    assert ann.term_id == tissue
    taken = [r for r in full.sample_ranking("tissue", {}, text) if r["narrower_taken"]]
    assert [(r["term_id"], r["taken_by"]) for r in taken] == [(tissue, "deeper_in_text")]


@pytest.mark.parametrize(("text", "cell_type"), [
    # the adjective's noun makes the text's mention narrower, where the text places it
    ("cultured dermal fibroblasts outgrowth from forearm punch biopsy healthy volunteer",
     "CL:0002551"),
    # ... without lifting it over the cells the text is of
    ("ipsc derived motor neurons day sixty reprogrammed from dermal fibroblasts donor",
     "CL:0000100"),
])
def test_an_anatomical_adjective_in_a_text_makes_its_cell_narrower(full, text, cell_type):
    assert {a.facet: a.term_id for a in full.annotate({}, text)}["cell_type"] == cell_type


@pytest.mark.parametrize(("value", "cell_type"), [
    # CL writes the lineage into a kind's name: the state word finds it among those words
    ("naive CD8-positive T cells", "CL:0000900"),  # naive thymus-derived CD8+ ab T cell
    ("memory CD8-positive T-cells", "CL:0000909"),  # CD8+ ab memory T cell
    ("CD8+ naive T-cells", "CL:0000900"),  # a marker the kind's name writes alike
    # a place the value does not name is no kind of it ('resident' alone: no lung's cells)
    ("resident memory CD4 T cells", "CL:0000624"),
])
def test_a_state_word_names_the_kind_whose_name_holds_it(full, value, cell_type):
    assert full.ground_value("cell_type", value, "cell type").term_id == cell_type


@pytest.mark.parametrize(("value", "disease"), [
    ("HBV-", "PATO:0000461"),  # a minus sign after the name: negative, as 'HBV negative'
    ("HBV positive", "MONDO:0005344"),
])
def test_a_minus_after_a_name_says_negative(full, value, disease):
    anns = full.annotate({"infection": value, "tissue": "liver"})
    assert next((a.term_id for a in anns if a.facet == "disease" and a.term_id), None) == disease


@pytest.mark.parametrize(("value", "cell_type"), [
    ("CD4-positive Tregs", "CL:0000792"),  # a CD4+ alpha-beta T cell, a regulatory T cell
    ("T cells, NK cells", "CL:0000084"),  # a list names several cells, no cell both are
])
def test_two_cells_one_value_names_are_the_cell_below_both(full, value, cell_type):
    assert full.ground_value("cell_type", value, "cell type").term_id == cell_type


def test_a_cell_code_without_its_noun_names_the_cell(full):
    # the writer left out 'cells' after a code that alone names the cell ('NK')
    assert full.ground_value("cell_type", "CD57+ NK", "cell type").term_id == "CL:0000623"
    assert full.ground_value("cell_type", "primary", "cell type").term_id is None  # no code


@pytest.mark.parametrize(("attrs", "tissue"), [
    ({"biopsy site": "sigmoid", "diagnosis": "ulcerative colitis"}, "sigmoid colon"),
    ({"anatomic site": "antrum", "diagnosis": "gastric cancer"}, "pyloric antrum"),
    ({"site": "apex", "diagnosis": "dilated cardiomyopathy"}, "apex of heart"),
    ({"tissue": "lesional", "diagnosis": "psoriasis"}, None),  # no part of the skin so named
    ({"biopsy site": "unknown", "diagnosis": "ulcerative colitis"}, None),  # never the organ
    ({"biopsy site": "sigmoid", "diagnosis": "healthy"}, None),
])
def test_a_site_word_names_a_part_of_the_organ_of_the_samples_disease(full, attrs, tissue):
    """Rule part_of_disease_organ: the organ MONDO files the disease under and a word under a
    tissue key that names nothing alone name one part of it together."""
    found = [a.term_label for a in full.annotate(attrs) if a.facet == "tissue" and a.term_id]
    assert found == ([tissue] if tissue else [])


def test_a_site_word_beside_a_disease_names_nothing_with_the_rule_off(full, monkeypatch):
    from harmonize.ground import compose

    monkeypatch.setitem(compose._ON, "part_of_disease_organ", False)
    attrs = {"biopsy site": "sigmoid", "diagnosis": "UC"}
    assert full.annotate(attrs) != []
    assert not [a for a in full.annotate(attrs) if a.facet == "tissue" and a.term_id]


@pytest.mark.parametrize(("attrs", "tissue"), [
    ({"sample type": "plasma"}, "blood plasma"),
    ({"sample": "EDTA plasma", "diagnosis": "pancreatic cancer"}, "blood plasma"),
    ({"source_name": "bone marrow plasma cells"}, "bone marrow"),  # the cells' place
    ({"cell type": "CD138+ plasma cells"}, None),  # B cells, not the blood plasma
    ({"source_name": "plasma membrane fraction"}, None),
])
def test_plasma_is_the_blood_plasma_only_when_no_cell_or_membrane_follows(full, attrs, tissue):
    """The curated 'plasma' (a plasma or cell-free RNA sample) and rule compound_nouns."""
    found = [a.term_label for a in full.annotate(attrs) if a.facet == "tissue" and a.term_id]
    assert found == ([tissue] if tissue else [])


def test_plasma_cells_name_the_blood_plasma_with_compound_nouns_off(full, monkeypatch):
    from harmonize.ground import mentions

    monkeypatch.setitem(mentions._ON, "compound_nouns", False)
    attrs = {"source_name": "sorted plasma cells, tonsil donor 7"}
    found = {a.term_label for a in full.annotate(attrs) if a.facet == "tissue" and a.term_id}
    assert "blood plasma" in found


def test_a_comparison_group_is_no_value_holding_a_disease_code(full):
    """Rule contrast_group: 'relapsed MM' (a code the lexicon gives a disease, which a group key
    does not trust alone) is no comparison group; 'age-matched donor' beside it is."""
    study = [({"tissue": "bone marrow", "group": g}, None, None)
             for g in ("multiple myeloma", "relapsed MM", "age-matched donor")]
    got = [[a.term_id for a in anns if a.facet == "disease" and a.term_id]
           for anns in full.annotate_many(study, studies=["S9"] * 3)]
    assert got == [["MONDO:0009693"], [], ["PATO:0000461"]]


def test_a_control_sampled_at_a_patients_site_is_the_same_skin(full):
    """'body site: forearm' beside psoriasis is the skin of forearm; a healthy control of the
    same study at the site written alike is that skin too, one of another study stays the
    site, and so does a control sampled at another site."""
    samples = [({"body site": "forearm", "condition": "psoriasis"}, None, None),
               ({"body site": "Forearm", "condition": "healthy"}, None, None),
               ({"body site": "thigh", "condition": "healthy"}, None, None)]

    def tissues(studies):
        return [[a.term_id for a in anns if a.facet == "tissue"]
                for anns in full.annotate_many(samples, studies=studies)]

    forearm_skin, forearm, thigh = "UBERON:0003403", "UBERON:0002386", "UBERON:0000376"
    assert tissues(["S"] * 3) == [[forearm_skin], [forearm_skin], [thigh]]
    assert tissues(["S", "T", "T"]) == [[forearm_skin], [forearm], [thigh]]
    rules = full.annotate_many(samples, studies=["S"] * 3)[1]
    top = next(a for a in rules if a.facet == "tissue").candidates[0]
    assert "site_in_study" in rules_that_took(top)


@pytest.mark.parametrize(("attributes", "disease"), [
    ({"diagnosis": "knee osteoarthritis"}, "MONDO:0005416"),  # MONDO: 'osteoarthritis, knee'
    ({"diagnosis": "hip osteoarthritis"}, "MONDO:0006629"),
    ({"diagnosis": "osteoarthritis"}, "MONDO:0005178"),
])
def test_a_disease_mondo_names_inverted_is_read_in_the_usual_order(full, attributes, disease):
    assert [a.term_id for a in full.annotate(attributes) if a.facet == "disease"] == [disease]


@pytest.mark.parametrize(("sample", "tissue"), [
    # the organ an organoid's epithelium lines, named beside it, is the organoid's tissue
    ({"text": "colonic epithelial organoids derived from sigmoid colon biopsies"},
     "UBERON:0001159"),
    ({"source_name": "colon epithelial organoids", "tissue": "sigmoid colon"}, "UBERON:0001159"),
    # no organoid: the epithelium read stays; an organ it does not line is no rival
    ({"text": "colonic epithelium scraped from a sigmoid colon resection"}, None),
    ({"text": "colonic epithelial organoids, co-cultured with lung fibroblasts"},
     "UBERON:0000397"),
])
def test_an_organoids_tissue_is_the_organ_its_epithelium_lines(full, sample, tissue):
    attrs = {k: v for k, v in sample.items() if k != "text"}
    got = [a.term_id for a in full.annotate(attrs, sample.get("text")) if a.facet == "tissue"]
    if tissue is None:
        assert got and got[0] != "UBERON:0001159"
    else:
        assert got == [tissue]


def _read(grounder, key, text):
    return sorted((a.facet, a.term_id) for a in grounder.annotate({key: text}))


@pytest.mark.parametrize(("key", "first", "then"), [
    ("disease", "NPC", "NPCs"), ("disease", "NPCs", "NPC"), ("disease", "NPCs", "npcs"),
    ("genotype", "NCI-H460 -/-", "NCI-H460"), ("genotype", "NCI-H460", "NCI-H460 -/-")])
def test_a_spelling_reads_the_same_whatever_was_read_before(full, key, first, then):
    """Two spellings of one lookup form may read differently (capitals, plurals, alleles):
    what a grounder met first must not decide for the other."""
    alone = _read(Grounder(full.lexicon, use_embeddings=False), key, then)
    shared = Grounder(full.lexicon, use_embeddings=False)
    _read(shared, key, first)
    assert _read(shared, key, then) == alone
    assert alone != _read(Grounder(full.lexicon, use_embeddings=False), key, first)


@pytest.mark.parametrize(("attributes", "term", "status"), [
    ({"tissue": "skin", "diagnosis": "AD"}, "MONDO:0004980", "accepted"),  # atopic dermatitis
    ({"tissue": "temporal lobe", "diagnosis": "AD"}, "MONDO:0004975", "accepted"),
    ({"tissue": "lung", "diagnosis": "BPD"}, "MONDO:0019091", "accepted"),  # the lung's
    ({"tissue": "blood", "diagnosis": "AD"}, "MONDO:0004975", "accepted"),  # MONDO's own
    ({"tissue": "kidney biopsy", "diagnosis": "LN"}, "MONDO:0005556", "accepted"),
    ({"tissue": "breast", "diagnosis": "LN"}, "MONDO:0002486", "accepted"),  # MONDO's own
])
def test_an_abbreviation_of_several_diseases_is_the_one_of_the_sample_s_organ(
        full, attributes, term, status):
    disease = next(a for a in full.annotate(attributes) if a.facet == "disease")
    assert (disease.term_id, disease.status) == (term, status)


@pytest.mark.parametrize(("text", "term"), [
    ("frozen brain block dlpfc", "UBERON:0009834"),  # a part of the organ named in words
    ("frozen brain block", "UBERON:0000955"),
])
def test_an_abbreviation_in_text_of_a_part_of_the_organ_named_beside_it_is_that_part(
        full, text, term):
    tissue = next(a for a in full.annotate({}, text) if a.facet == "tissue")
    assert tissue.term_id == term


@pytest.mark.parametrize(("attributes", "text", "term"), [
    ({"tissue": "skin", "body site": "forearm"}, None, "UBERON:0003403"),  # skin of forearm
    ({}, "skin punch biopsy skin lower back", "UBERON:0009014"),  # lower back skin
    ({"tissue": "skin"}, None, "UBERON:0002097"),
])
def test_a_sample_naming_the_skin_and_a_body_site_is_of_the_skin_there(
        full, attributes, text, term):
    tissue = next(a for a in full.annotate(attributes, text) if a.facet == "tissue")
    assert tissue.term_id == term


@pytest.mark.parametrize(("value", "term"), [
    ("MDM, M2-polarized", "CL:0000890"),  # a code in the value names the kind
    ("B cells, memory", "CL:0000787"),
    ("MDM", "CL:0000235"),
])
def test_a_word_of_a_cell_type_s_own_value_names_its_kind(full, value, term):
    cell = next(a for a in full.annotate({"cell type": value}) if a.facet == "cell_type")
    assert cell.term_id == term


@pytest.mark.parametrize(("attributes", "text", "term"), [
    ({"cell type": "cutaneous fibroblasts", "body site": "thigh"}, None, "UBERON:0004262"),
    ({}, "dermal cells upper arm punch biopsy", "UBERON:0004263"),  # upper arm skin
    ({"tissue": "forearm", "cell type": "myoblasts"}, None, "UBERON:0002386"),  # no skin word
])
def test_an_adjective_of_the_skin_beside_a_body_site_names_the_skin_there(
        full, attributes, text, term):
    tissue = next(a for a in full.annotate(attributes, text) if a.facet == "tissue")
    assert tissue.term_id == term


@pytest.mark.parametrize(("attributes", "text"), [
    ({"source_name": "BAL", "cell type": "alveolar macrophages"}, None),
    ({"tissue": "bronchoalveolar lavage fluid"}, None),
    ({}, "alveolar macrophages bronchoalveolar lavage smoker"),  # a bag of words
])
def test_a_bronchoalveolar_lavage_is_a_sample_of_the_lung(full, attributes, text):
    """A curated name: the packaged UBERON has no term for the lavage, washed out of a lung."""
    anns = {a.facet: a for a in full.annotate(attributes, text)}
    assert anns["tissue"].term_id == "UBERON:0002048"


def test_cardiac_progenitors_are_cls_cardiac_muscle_progenitor_cells(full):
    """A curated name: differentiation protocols leave out CL's 'muscle'."""
    anns = {a.facet: a for a in full.annotate({"cell type": "cardiac progenitors",
                                               "cell line": "H1"})}
    assert anns["cell_type"].term_id == "CL:0000513"


@pytest.mark.parametrize(("attributes", "tissue"), [
    ({"source_name": "placenta, villous tissue"}, "UBERON:0007106"),
    ({"tissue": "placental villous tissue", "condition": "growth restriction"}, "UBERON:0007106"),
    ({"tissue": "placenta"}, "UBERON:0001987"),  # the organ alone stays the organ
])
def test_a_placentas_villous_tissue_is_its_chorionic_villi(full, attributes, tissue):
    """A curated name: UBERON files the villi under the chorion, so no part rule finds them
    as a part of the placenta."""
    assert {a.facet: a for a in full.annotate(attributes)}["tissue"].term_id == tissue

