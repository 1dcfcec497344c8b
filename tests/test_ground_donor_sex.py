"""One person, one sex: a donor's sex shared by the donor's samples in one study."""

from __future__ import annotations

import pytest

from harmonize.ground import donor_sex
from harmonize.ground.donor_sex import donor_key

FEMALE, MALE = "PATO:0000383", "PATO:0000384"


SAMPLES = [
    ({"source_name": "dermal fibroblast culture", "individual": "D7"},
     "Fibroblasts from a forearm biopsy of a 61-year-old woman"),
    ({"source_name": "iPSC clone 2", "individual": "D7"}, None),
    ({"source_name": "iPSC-derived cortical neurons", "individual": "D7"}, None),
    ({"source_name": "iPSC-derived cortical neurons", "individual": "D9"}, None),
]


def test_the_donors_other_samples_give_a_sample_its_sex(study_sexes):
    assert study_sexes(SAMPLES, ["S1"] * 4) == [FEMALE, FEMALE, FEMALE, None]


def test_no_sex_is_taken_across_studies_or_from_a_donor_of_two(study_sexes):
    assert study_sexes(SAMPLES, ["S1", "S2", "S2", "S2"])[1:] == [None, None, None]
    mixed = SAMPLES[:3] + [({"individual": "D7"}, "a 40-year-old man")]
    assert study_sexes(mixed, ["S1"] * 4)[1:3] == [None, None]
    assert study_sexes(SAMPLES, None)[1:] == [None, None, None]  # no study known


def test_the_rule_switched_off_shares_nothing(study_sexes, monkeypatch):
    monkeypatch.setattr(donor_sex, "ON", False)
    assert study_sexes(SAMPLES, ["S1"] * 4)[1:] == [None, None, None]


@pytest.mark.parametrize(("key", "names_donor"), [
    ("individual", True), ("participant id", True), ("Subject_ID", True), ("donor", True),
    ("sample id", False), ("cell line", False), ("patient age", False)])
def test_keys_naming_the_person_sampled(key, names_donor):
    assert donor_key(key) is names_donor
