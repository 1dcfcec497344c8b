"""A study's group word read as the disease it abbreviates, chosen by the study's organs."""

from __future__ import annotations

import pytest

from harmonize.ground import group_words
from harmonize.ground.group_words import GroupWords

IPF, BPD, LUNG = "MONDO:0800504", "MONDO:0019091", "UBERON:0002048"


def _diseases(grounder, texts, studies):
    anns = grounder.annotate_many([({}, t, None) for t in texts], studies=studies)
    return [next((a.term_id for a in s if a.facet == "disease" and a.term_id), None)
            for s in anns]


def _study(place: str, word: str) -> list[str]:
    return [f"{place} wedge resection {word} replicate",
            f"{place} wedge resection {word} replicate",
            f"{place} wedge resection {word} replicate",
            f"{place} wedge resection unaffected replicate",
            f"{place} wedge resection unaffected replicate"]


def test_a_group_word_is_the_disease_of_the_studys_organ(full_grounder):
    got = _diseases(full_grounder, _study("lung", "ipf"), ["S1"] * 5)
    assert got[:3] == [IPF] * 3
    assert IPF not in got[3:]


def test_the_studys_organ_chooses_what_an_abbreviation_stands_for(full_grounder):
    # 'BPD': bronchopulmonary dysplasia (a lung disorder) or borderline personality disorder
    # or, beside the brain, bipolar disorder (psychiatry's abbreviation, which MONDO lacks:
    # words/organ_abbreviations.tsv); MONDO files the personality disorder under no organ
    lung = _diseases(full_grounder, _study("lung", "bpd"), ["S1"] * 5)
    brain = _diseases(full_grounder, _study("temporal cortex", "bpd"), ["S1"] * 5)
    blood = _diseases(full_grounder, _study("blood", "bpd"), ["S1"] * 5)
    assert lung[:3] == [BPD] * 3
    assert brain[:3] == ["MONDO:0004985"] * 3
    assert blood == [None] * 5  # no organ tells them apart


def test_a_word_outside_a_study_names_no_group(full_grounder):
    assert IPF not in _diseases(full_grounder, _study("lung", "ipf"), None)
    assert IPF not in _diseases(full_grounder, _study("lung", "ipf"), ["A", "B", "C", "D", "E"])


def test_a_word_on_every_sample_is_the_studys_disease_only_by_its_organ(full_grounder,
                                                                         monkeypatch):
    every = [t.replace("unaffected", "ipf") for t in _study("lung", "ipf")]
    assert _diseases(full_grounder, every, ["S1"] * 5) == [IPF] * 5
    # beside no organ a word every sample carries is no evidence (a lab's code, a platform)
    cells = [f"sorted cells ipf replicate {i}" for i in "abcde"]
    assert IPF not in _diseases(full_grounder, cells, ["S1"] * 5)
    # nor one whose only disease is of another organ than the study's
    brain = [t.replace("unaffected", "ipf") for t in _study("temporal cortex", "ipf")]
    assert IPF not in _diseases(full_grounder, brain, ["S1"] * 5)
    monkeypatch.setattr(group_words, "THEME_ON", False)
    assert IPF not in _diseases(full_grounder, every, ["S1"] * 5)


def test_the_rule_switched_off_reads_no_group_word(full_grounder, monkeypatch):
    monkeypatch.setattr(group_words, "ON", False)
    assert IPF not in _diseases(full_grounder, _study("lung", "ipf"), ["S1"] * 5)


def test_a_diseases_organs_are_the_organ_classes_above_it(full_grounder):
    reader = GroupWords(full_grounder.lexicon)
    assert LUNG in reader.organs(IPF)
    assert reader.disease_of("ipf", reader.places([LUNG])) == IPF
    assert reader.disease_of("ipf", reader.places(["UBERON:0002097"])) is None  # skin
    assert not reader.candidate_word("lung") and not reader.candidate_word("replicate")


def test_a_named_muscle_is_of_the_tissue_it_is_made_of(full_grounder):
    """UBERON puts a named muscle in no is_a or part_of line with skeletal muscle tissue, the
    place MONDO's muscle disorders name; the muscle is composed of it."""
    reader = GroupWords(full_grounder.lexicon)
    muscle = [t for t, _ in full_grounder.lexicon.lookup("tissue", "gastrocnemius")]
    assert "UBERON:0001134" in reader.places(muscle)  # skeletal muscle tissue
    assert reader.disease_of("dmd", reader.places(muscle)) == "MONDO:0010679"  # Duchenne


def test_an_english_word_may_name_a_group_but_a_unit_never(full_grounder):
    brain = _diseases(full_grounder, _study("temporal cortex", "ad"), ["S1"] * 5)
    skin = _diseases(full_grounder, _study("forearm skin", "ad"), ["S1"] * 5)
    assert brain[:3] == ["MONDO:0004975"] * 3  # Alzheimer disease
    assert "MONDO:0004975" not in skin  # MONDO gives 'AD' no disease of the skin
    # "6 mm" on some samples: "mm" is no Miyoshi myopathy, a disease of the nervous system too
    assert _diseases(full_grounder, _study("spinal cord", "mm"), ["S1"] * 5) == [None] * 5


def test_a_disease_of_no_organ_is_read_where_its_word_is_its_only_reading(full_grounder):
    reader = GroupWords(full_grounder.lexicon)
    blood = reader.places(["UBERON:0000178"])
    assert not reader.organs("MONDO:0018076")  # tuberculosis: MONDO names no organ
    assert reader.disease_of("tb", blood) == "MONDO:0018076"
    assert reader.disease_of("bpd", blood) is None  # two readings, neither of the blood


def test_a_record_that_says_nothing_makes_no_word_a_group_word(full_grounder, monkeypatch):
    """A series-level record mapped beside its members (no values, no text) is no sample
    without the word: a word on every sample stays the study's constant, read only as the
    study's theme."""
    every = [t.replace("unaffected", "ipf") for t in _study("lung", "ipf")]
    anns = full_grounder.annotate_many([({}, t, None) for t in every] + [({}, None, None)],
                                       studies=["S1"] * 6)
    got = [next((a.term_id for a in s if a.facet == "disease" and a.term_id), None)
           for s in anns]
    assert got == [IPF] * 5 + [None]
    monkeypatch.setattr(group_words, "THEME_ON", False)
    anns = full_grounder.annotate_many([({}, t, None) for t in every] + [({}, None, None)],
                                       studies=["S1"] * 6)
    assert not any(a.facet == "disease" and a.term_id == IPF for s in anns for a in s)


PCOS = "MONDO:0008487"


def _cells(word: str) -> list[str]:
    return [f"cumulus granulosa cells oocyte retrieval {word} replicate"] * 3 + \
           ["cumulus granulosa cells oocyte retrieval unaffected replicate"] * 2


def test_a_study_of_cells_reads_a_long_group_word_of_its_bag_of_words(full_grounder):
    # no tissue read, so no organ chooses: a word of three letters or more that is no English
    # word and abbreviates one disease (the broadest of one lineage) is read
    got = _diseases(full_grounder, _cells("pcos"), ["S1"] * 5)
    assert got[:3] == [PCOS] * 3 and PCOS not in got[3:]


def test_a_study_of_cells_reads_no_short_word_and_no_written_title(full_grounder):
    assert _diseases(full_grounder, _cells("ns"), ["S1"] * 5) == [None] * 5
    samples = [({"source_name": "cumulus granulosa cells"}, f"PCOS_{i}\nOocyte retrieval", None)
               for i in range(3)] + \
              [({"source_name": "cumulus granulosa cells"}, f"CTRL_{i}\nOocyte retrieval", None)
               for i in range(2)]
    anns = full_grounder.annotate_many(samples, studies=["S1"] * 5)
    assert not any(a.facet == "disease" and a.term_id == PCOS and a.method == "rule"
                   and "group_abbreviation" in str(a.candidates[0].features)
                   for s in anns for a in s)


def test_a_word_that_abbreviates_a_cell_type_too_names_a_group_of_other_cells(full_grounder):
    # 'PD' is also the abbreviation CL gives a crustacean's pyloric dilator neuron; no sample of
    # a study of cortex is read as one, so the study's organ chooses Parkinson disease
    parkinson = "MONDO:0005180"
    reader = GroupWords(full_grounder.lexicon)
    assert reader.cells_abbreviated("pd") and reader.candidate_word("pd")
    got = _diseases(full_grounder, _study("cingulate cortex", "pd"), ["S1"] * 5)
    assert got[:3] == [parkinson] * 3 and parkinson not in got[3:]
    assert not reader.cells_abbreviated("ipf")
