"""The controls of a disease study: "group: control" beside "group: breast cancer" is healthy."""

from __future__ import annotations

import io
import json

import pytest
from test_ground_grounder import small_ontologies

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import Calibration
from harmonize.ground.lexicon import HEALTHY, read_synonyms
from harmonize.mapping import _chunks, map_jsonl


@pytest.fixture(scope="module")
def grounder():
    lex = build_lexicon(small_ontologies(), read_synonyms(), version="small-controls")
    return Grounder(lex, use_embeddings=False, calibration=Calibration())


def diseases(anns):
    return [a.term_id for a in anns if a.facet == "disease" and a.term_id]


CASE = ({"source_name": "breast biopsy", "group": "breast cancer"}, None, None)
CONTROL = ({"source_name": "breast biopsy", "group": "control"}, None, None)


def test_a_control_beside_a_disease_of_the_same_key_is_healthy(grounder):
    case, control = grounder.annotate_many([CASE, CONTROL], studies=["S1", "S1"])
    assert diseases(case) == ["MONDO:0007254"]
    assert diseases(control) == [HEALTHY]
    ann = next(a for a in control if a.facet == "disease")
    assert ann.source_key == "group" and ann.source_text == "control" and ann.method == "rule"
    assert ann.candidates[0].features["rule:study_controls"] == 1.0  # explain shows the rule


def test_without_the_study_a_control_says_nothing(grounder):
    assert diseases(grounder.annotate_many([CASE, CONTROL])[1]) == []
    assert diseases(grounder.annotate_many([CASE, CONTROL], studies=["S1", "S2"])[1]) == []
    assert diseases(grounder.annotate(*CONTROL)) == []


def test_the_control_of_a_treatment_study_stays_unknown(grounder):
    treated = ({"source_name": "breast biopsy", "group": "tamoxifen 24h"}, None, None)
    assert diseases(grounder.annotate_many([treated, CONTROL], studies=["S", "S"])[1]) == []


def test_only_the_same_key_counts(grounder):
    other = ({"source_name": "breast biopsy", "diagnosis": "breast cancer",
              "treatment": "tamoxifen"}, None, None)
    ctrl = ({"source_name": "breast biopsy", "treatment": "control"}, None, None)
    assert diseases(grounder.annotate_many([other, ctrl], studies=["S", "S"])[1]) == []


def test_a_sample_naming_a_disease_keeps_it(grounder):
    line_ctrl = ({"source_name": "acute myeloid leukemia cells", "group": "control"}, None, None)
    got = grounder.annotate_many([CASE, line_ctrl], studies=["S", "S"])[1]
    assert diseases(got) == ["MONDO:0018874"]


def test_siblings_outside_the_call_are_read(grounder):
    """The warehouse passes the study's other samples (outside a batch) as siblings."""
    got = grounder.annotate_many([CONTROL], studies=["S"],
                                 siblings={"S": [{"group": "breast cancer"}]})
    assert diseases(got[0]) == [HEALTHY]


def test_pairs_written_inside_a_value_count(grounder):
    case = ({"characteristics": "group: breast cancer; age: 50"}, None, None)
    ctrl = ({"characteristics": "group: control; age: 48"}, None, None)
    assert diseases(grounder.annotate_many([case, ctrl], studies=["S", "S"])[1]) == [HEALTHY]


def test_map_reads_a_series_together(grounder):
    lines = [json.dumps({"accession": f"A{i}", "series": "GSE1",
                         "attributes": dict((CASE if i % 2 else CONTROL)[0])}) for i in range(6)]
    out = io.StringIO()
    map_jsonl(io.StringIO("\n".join(lines) + "\n"), out, grounder, progress=False)
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    for rec in got[::2]:
        assert [a["term_id"] for a in rec["annotations"] if a["facet"] == "disease"] == [HEALTHY]


def test_a_chunk_is_not_cut_inside_a_series():
    lines = [json.dumps({"accession": f"A{i}", "series": "GSE1" if i < 5 else "GSE2"})
             for i in range(8)] + [json.dumps({"accession": f"B{i}"}) for i in range(5)]
    sizes = [len(c) for c in _chunks(io.StringIO("\n".join(lines)), size=2)]
    assert sizes == [5, 3, 2, 2, 1]  # each series whole; lines with none cut at the size


def test_a_denied_disease_beside_that_disease_is_healthy(grounder):
    """"no breast cancer" in the source name of a breast cancer study: the study's control."""
    case = ({"source_name": "biopsy, breast cancer, visit 1"}, None, None)
    ctrl = ({"source_name": "biopsy, no breast cancer, visit 1"}, None, None)
    assert diseases(grounder.annotate_many([case, ctrl], studies=["S", "S"])[1]) == [HEALTHY]
    assert diseases(grounder.annotate(*ctrl)) == []  # alone it says nothing


def test_the_annotation_names_the_sample_own_key_and_text(grounder):
    case = ({"Source_Name": "biopsy, breast cancer"}, None, None)
    ctrl = ({"Source_Name": "biopsy, No breast cancer"}, None, None)
    ann = next(a for a in grounder.annotate_many([case, ctrl], studies=["S", "S"])[1]
               if a.facet == "disease")
    assert (ann.source_key, ann.source_text) == ("Source_Name", "biopsy, No breast cancer")


def test_a_long_value_in_a_study_is_read_bounded(grounder):
    """A pasted protocol under the study's key is read on its first part, like any value."""
    from harmonize.ground.fields import MAX_VALUE_CHARS

    long = {"group": "breast cancer " + "x" * (3 * MAX_VALUE_CHARS)}
    got = grounder.annotate_many([(long, None, None), CONTROL], studies=["S", "S"])
    assert diseases(got[1]) == [HEALTHY]



def test_a_numbered_control_is_a_control(grounder):
    """Submitters number their samples: "Control_2", "healthy control 3" beside a case."""
    for value in ("Control_2", "healthy control 3", "HC-05"):
        ctrl = ({"source_name": "breast biopsy", "group": value}, None, None)
        assert diseases(grounder.annotate_many([CASE, ctrl], studies=["S", "S"])[1]) == [
            HEALTHY], value
    odd = ({"source_name": "breast biopsy", "group": "not control 2"}, None, None)
    assert diseases(grounder.annotate_many([CASE, odd], studies=["S", "S"])[1]) == []


def test_titles_make_a_disease_study_only_as_titles_are_read(grounder):
    """A numbered title "Control_1" beside "breast cancer_1" is the healthy control; beside a
    title whose code another value of its sample holds (what was done to it: 'agent: MAC'), it
    is not."""
    case = ({"title": "breast cancer_1", "source_name": "breast biopsy"}, None, None)
    ctrl = ({"title": "Control_1", "source_name": "breast biopsy"}, None, None)
    assert diseases(grounder.annotate_many([case, ctrl], studies=["S", "S"])[1]) == [HEALTHY]
    treated = ({"title": "MAC_1", "source_name": "breast biopsy", "agent": "MAC, 2 h"}, None,
               None)
    got = grounder.annotate_many([treated, ctrl], studies=["S", "S"])
    assert grounder.decide_value("disease", "MAC", "disease").term_id  # a disease key would say so
    assert diseases(got[0]) == [] and diseases(got[1]) == []


def test_a_title_code_beside_coded_controls_is_the_groups_disease(grounder):
    """Titles coding a study's groups ('MAC_1', 'MAC-2b' beside 'CTRL_3'): the leading run in
    capitals is the cases' disease, read as a disease field; not in lower case, not for a named
    line's samples, not without coded controls in the study (rule ``title_codes``)."""
    mac = grounder.decide_value("disease", "MAC", "disease").term_id
    case = ({"source_name": "breast biopsy"}, "MAC_1\nBiopsy of a patient.", None)
    case2 = ({"source_name": "breast biopsy"}, "MAC-2b", None)
    ctrl = ({"source_name": "breast biopsy"}, "CTRL_3", None)
    got = grounder.annotate_many([case, case2, ctrl], studies=["S"] * 3)
    assert [diseases(a) for a in got] == [[mac], [mac], [HEALTHY]]
    # a longer code holding the control's run is a control; 'normal' in a code is as often a
    # specimen beside a tumour, not a donor
    coded = ({"source_name": "breast biopsy"}, "CTRL_BX_3", None)
    beside = ({"source_name": "breast biopsy"}, "P7_normal", None)
    got = grounder.annotate_many([case, coded, beside], studies=["S"] * 3)
    assert [diseases(a) for a in got] == [[mac], [HEALTHY], []]
    lower = ({"source_name": "breast biopsy"}, "mac_1", None)
    assert diseases(grounder.annotate_many([lower, ctrl], studies=["S"] * 2)[0]) == []
    assert diseases(grounder.annotate_many([case, case2], studies=["S"] * 2)[0]) == []


def test_ctrl_is_a_control_word(grounder):
    """'CTRL' is the usual abbreviation of control: healthy under a disease key, an experimental
    control under any other, and a study's control beside its cases."""
    from harmonize.ground.controls import is_control

    assert next(a for a in grounder.annotate({"disease state": "CTRL"})
                if a.facet == "disease").term_id == "PATO:0000461"
    assert not any(a.facet == "disease" and a.term_id
                   for a in grounder.annotate({"shRNA": "Ctrl"}))
    assert is_control(grounder, "CTRL")


def test_non_and_a_word_beside_a_disease_of_the_same_key_is_healthy(grounder):
    """'group: non-smoking' beside 'group: breast cancer': the study's control, read as the
    disease field reads it; alone, under a key about something else, it says nothing."""
    case = ({"source_name": "breast biopsy", "group": "breast cancer"}, None, None)
    other = ({"source_name": "breast biopsy", "group": "non-smoking"}, None, None)
    anns = grounder.annotate_many([case, other], studies=["S2", "S2"])
    assert diseases(anns[1]) == [HEALTHY]
    assert next(a for a in anns[1] if a.facet == "disease").source_key == "group"
    assert diseases(grounder.annotate_many([other], studies=["S3"])[0]) == []


@pytest.mark.parametrize(("value", "healthy"), [
    ("non-smoking", True), ("Non-Failing", True),
    ("non", False), ("non-b", False)])
def test_non_and_a_word_that_names_nothing_under_a_disease_key(grounder, value, healthy):
    ann = grounder.ground_value("disease", value, "disease state")
    assert (ann.term_id == HEALTHY) == healthy, ann


def test_a_title_in_the_text_is_read_as_the_study_reads_titles(grounder):
    """GEO records carry the sample's title as the first line of their text: 'Control_2' there,
    beside 'prostate cancer_1' in another sample's, is the study's healthy control."""
    case = ({"source_name": "breast biopsy"}, "prostate cancer_1\nBiopsy at diagnosis.", None)
    ctrl = ({"source_name": "breast biopsy"}, "Control_2\nBiopsy, screening.", None)
    assert diseases(grounder.annotate_many([case, ctrl], studies=["S", "S"])[1]) == [HEALTHY]
    assert diseases(grounder.annotate_many([case, ctrl], studies=None)[1]) == []
    # an attribute title wins over the text's first line; bag-of-words text has no title
    titled = ({"source_name": "breast biopsy", "title": "sample 2"}, "Control_2", None)
    assert diseases(grounder.annotate_many([case, titled], studies=["S", "S"])[1]) == []
    flat = ({"source_name": "breast biopsy"}, "control breast biopsy screening", None)
    assert diseases(grounder.annotate_many([case, flat], studies=["S", "S"])[1]) == []


@pytest.mark.parametrize(("value", "coded"), [
    ("CTRL_BX_07", True), ("HC03-PBMC", True), ("Ctrl4_NPC", True),
    ("BX_07", False), ("healthy control 3", True),  # spaces: the older readings decide
    ("siCtrl_2", False),  # letters run on: no healthy name
])
def test_a_sample_code_holding_a_control_word_is_a_control(grounder, value, coded):
    from harmonize.ground.controls import control_code, is_control

    assert is_control(grounder, value) == coded
    if " " not in value:
        assert control_code(grounder.lexicon, value) == coded


@pytest.mark.parametrize(("code", "healthy"), [
    ("NBC", True),  # 'N' and the initials of the disease's words
    ("NBCC", True),  # ... and a control's 'C'
    ("NX", False),  # letters the disease has nowhere
    ("nbc", False),  # a code is written in capitals
])
def test_a_code_negating_the_study_disease_by_its_letters_is_healthy(grounder, code, healthy,
                                                                      monkeypatch):
    from harmonize.ground import controls

    monkeypatch.setattr(controls, "CONTRAST_ON", False)  # this rule alone (see contrast_group)
    case, coded = grounder.annotate_many(
        [CASE, ({"source_name": "breast biopsy", "group": code}, None, None)],
        studies=["S1", "S1"])
    assert diseases(case) == ["MONDO:0007254"]
    assert diseases(coded) == ([HEALTHY] if healthy else [])
    if healthy:
        ann = next(a for a in coded if a.facet == "disease")
        assert (ann.source_key, ann.source_text) == ("group", code)
        assert ann.candidates[0].features["rule:negated_codes"] == 1.0
    alone = grounder.annotate({"source_name": "breast biopsy", "group": code})
    assert diseases(alone) == []  # without its study a code says nothing


@pytest.mark.parametrize(("code", "value", "label", "negated"), [
    ("ND", "T2D", "type 2 diabetes mellitus", True),  # the value's last letter
    ("NF", "HF", "heart failure", True),
    ("NGC", "GD", "Gaucher disease", True),  # an initial, and a control's C
    ("NCF", "CF", "cystic fibrosis", True),
    ("NF", "DCM", "dilated cardiomyopathy", False),
    ("N", "T2D", "type 2 diabetes mellitus", False),  # no letters to compare
    ("NGXQ", "GD", "Gaucher disease", False),
])
def test_negates_compares_the_codes_letters_with_the_disease(code, value, label, negated):
    from harmonize.ground.controls import negates

    assert negates(code, value, label) is negated


@pytest.mark.parametrize("word", ["CTL", "Con"])
def test_short_forms_of_control_are_control_words(grounder, word):
    """'CTL' and 'Con' beside a disease under the same key are the study's healthy controls;
    alone, under a key of a treatment, they say nothing of the donor."""
    case, control = grounder.annotate_many(
        [CASE, ({"source_name": "breast biopsy", "group": word}, None, None)],
        studies=["S1", "S1"])
    assert (diseases(case), diseases(control)) == (["MONDO:0007254"], [HEALTHY])
    assert diseases(grounder.annotate({"source_name": "breast biopsy", "treatment": word})) == []


def test_study_keys_with_other_codes_are_not_equal(grounder):
    """Two studies naming a disease under one key but negating it with different codes are
    told apart (the keys are a set; the codes ride beside them)."""
    from harmonize.ground.controls import study_disease_keys

    def keys(code):
        return study_disease_keys(grounder, [
            CASE[0], {"source_name": "breast biopsy", "group": code}])

    first, same, other = keys("NBC"), keys("NBC"), keys("NBCC")
    assert set(first) == set(other) == {"group"}
    assert first == same and hash(first) == hash(same)
    assert first != other
    assert first != frozenset({"group"})  # a plain set of the keys has no codes


def _contrast(grounder, case, other, studies=("S1", "S1")):
    return grounder.annotate_many([(case, None, None), (other, None, None)],
                                  studies=list(studies))


@pytest.mark.parametrize(("other", "healthy"), [
    ({"source_name": "breast biopsy", "group": "reduction mammoplasty"}, True),
    ({"source_name": "breast biopsy", "group": "tamoxifen 24h"}, False),  # a treated arm
    ({"source_name": "breast biopsy", "group": "n/a"}, False),  # a placeholder
    ({"source_name": "breast biopsy", "group": "NX"}, True),  # a code alone: the other arm
    ({"source_name": "breast biopsy", "treatment": "reduction mammoplasty"}, False),  # no group key
])
def test_a_group_naming_no_disease_beside_a_disease_is_the_comparison_group(grounder, other,
                                                                              healthy):
    """Rule contrast_group: the study's other arm under its group key is the healthy state."""
    from harmonize.ground import controls

    case, got = _contrast(grounder, CASE[0], other)
    assert diseases(case) == ["MONDO:0007254"]
    assert diseases(got) == ([HEALTHY] if healthy else [])
    if healthy:
        ann = next(a for a in got if a.facet == "disease")
        assert (ann.source_key, ann.source_text, ann.method) == (
            "group", other["group"], "rule")
        assert ann.candidates[0].features["rule:contrast_group"] == 1.0
        assert ann.confidence == grounder.prior_confidence(controls.CONTRAST_EVIDENCE)


def test_a_specimen_key_and_another_study_give_no_comparison_group(grounder):
    case = {"source_name": "breast biopsy", "histology": "breast cancer"}
    benign = {"source_name": "breast biopsy", "histology": "benign"}
    assert diseases(_contrast(grounder, case, benign)[1]) == []  # the specimen, not the donor
    other = {"source_name": "breast biopsy", "group": "reduction mammoplasty"}
    assert diseases(_contrast(grounder, CASE[0], other, ("S1", "S2"))[1]) == []


def test_no_comparison_group_with_contrast_group_off(grounder, monkeypatch):
    from harmonize.ground import controls

    monkeypatch.setattr(controls, "CONTRAST_ON", False)
    other = {"source_name": "breast biopsy", "group": "lean donor"}
    assert diseases(_contrast(grounder, CASE[0], other)[1]) == []
