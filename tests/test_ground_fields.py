"""Field detection: attribute keys (GEO, SRA, BioSample spellings) -> facets."""

from __future__ import annotations

import pytest

from harmonize.errors import ConfigError
from harmonize.ground.fields import (
    field_values,
    key_class,
    key_role,
    load_field_keys,
    norm_key,
    whole_value_only,
)


@pytest.mark.parametrize(("key", "facet"), [
    ("tissue", "tissue"), ("Tissue", "tissue"), ("organism part", "tissue"),
    ("organism_part", "tissue"), ("body site", "tissue"), ("tissue type", "tissue"),
    ("anatomical site", "tissue"), ("organ", "tissue"), ("sampling site", "tissue"),
    ("cell type", "cell_type"), ("cell_type", "cell_type"), ("celltype", "cell_type"),
    ("disease", "disease"), ("disease state", "disease"), ("diagnosis", "disease"),
    ("disease status", "disease"), ("cell line", "cell_line"), ("cell_line", "cell_line"),
    ("cellline", "cell_line"), ("cell line name", "cell_line"), ("source cell line", "cell_line"),
    ("sex", "sex"), ("gender", "sex"), ("developmental stage", "dev_stage"),
    ("dev_stage", "dev_stage"), ("age group", "dev_stage"), ("library_strategy", "assay"),
    ("characteristics: tissue", "tissue"), ("tissue_ch1", "tissue"),
    ("tumor site", "tissue"), ("collection site", "tissue"), ("fat depot", "tissue"),
    ("child", "donor"), ("proband", "donor"), ("SMTS", "tissue"), ("SMTSD", "tissue"),
])
def test_dedicated_keys(key, facet):
    assert key_role(key) == facet


@pytest.mark.parametrize("key", ["source_name", "title", "description", "condition",
                                 "group", "sample type", "characteristics", "source_name_ch1"])
def test_ambiguous_keys_are_scanned(key):
    assert key_role(key) == "scan"


@pytest.mark.parametrize("key", ["age", "collection_date", "geo_loc_name", "sample_name",
                                 "External Id", "INSDC first public", "SRA accession", "replicate"])
def test_keys_that_cannot_hold_a_facet_are_skipped(key):
    assert key_role(key) == "skip"
    assert field_values({key: "liver"}) == []


def test_norm_key():
    assert norm_key("Cell_Line") == "cell line"
    assert norm_key("source_name_ch1") == "source name"


def test_field_values_roles_and_nulls():
    values = field_values({"organism part": "liver", "source_name": "HeLa cells",
                           "disease": "N/A", "age": "56"}, text="a description")
    got = {(v.facet, v.source_key, v.scanned) for v in values}
    assert ("tissue", "organism part", False) in got
    assert ("cell_line", "organism part", True) in got  # dedicated tissue keys can hold lines
    assert ("cell_line", "source_name", True) in got
    assert ("disease", "organism part", True) in got  # ...and diseases ('lung adenocarcinoma')
    assert ("tissue", "text", True) in got
    assert not any(v.facet == "disease" and v.source_key == "disease" for v in values)
    assert not any(v.source_key == "age" for v in values)


def test_harmonized_name_wins():
    values = field_values({"my odd key": "liver"}, harmonized={"my odd key": "tissue"})
    assert [(v.facet, v.scanned) for v in values][0] == ("tissue", False)


def test_key_classes():
    [ded, *_] = field_values({"tissue": "liver"})
    assert key_class(ded) == "dedicated"
    scan = field_values({"source_name": "liver"})[0]
    assert key_class(scan) == "scan"
    title = field_values({"title": "liver"})[0]
    assert key_class(title) == "title"
    other = field_values({"weird key": "liver"})[0]
    assert key_class(other) == "other"


def test_a_key_listed_twice_with_two_roles_is_refused(tmp_path):
    table = tmp_path / "keys.tsv"
    table.write_text("key\tfacet\tnote\ncell subtype\tskip\t\nCell_Subtype\tcell_type\t\n")
    with pytest.raises(ConfigError, match=r"keys.tsv: line 3: key 'Cell_Subtype' is listed twice"):
        load_field_keys(table)


def test_table_has_no_unknown_facets():
    assert set(load_field_keys().values()) <= {"tissue", "cell_type", "disease", "cell_line",
                                               "sex", "dev_stage", "assay", "scan", "donor", "skip"}


@pytest.mark.parametrize(("key", "role"), [
    ("tumor tissue", "tissue"), ("primary disease", "disease"), ("donor sex", "sex"),
    ("secondary diagnosis", "disease"), ("parental cell line", "cell_line"),
    ("Tissue/Cell type", "scan"),                  # names two facets: scanned for all
    ("disease duration", "other"), ("tissue collection date", "other"),
    ("patient disease status", "disease"), ("subject_health_state", "disease"),
    ("donor", "donor"), ("Individual", "donor"), ("donor id", "skip"),
    ("cancer subtype", "disease"), ("Tissue sub-type", "tissue"), ("cell subpopulation", "cell_type"),
    ("molecule subtype", "other"),  # a finer division of nothing named
    ("subtype", "scan"),  # a bare finer division of the sample: read like a source name
])
def test_an_unlisted_key_is_read_by_its_last_words(key, role):
    assert key_role(key) == role


@pytest.mark.parametrize(("key", "role"), [
    # real EBI BioSample keys in CamelCase that the table does not list
    ("ArrayExpress-DevelopmentalStage", "dev_stage"),
    ("developmentalStage", "dev_stage"),
    ("sampleCellLine", "cell_line"),
    ("ArrayExpress-Phenotype", "other"),
    ("ArrayExpress-CellType", "cell_type"),   # listed as 'arrayexpress celltype'
])
def test_camel_case_keys_are_read_by_their_words(key, role):
    assert key_role(key) == role


@pytest.mark.parametrize(("key", "role"), [
    # real SRA/BioSample attribute names
    ("clinical_condition", "disease"), ("case/control", "disease"),
    ("infection status", "disease"), ("brain_region", "tissue"),
    ("sorted population", "cell_type"), ("parental line", "cell_line"),
    ("specimen_type", "scan"),
])
def test_more_real_keys(key, role):
    assert key_role(key) == role


@pytest.mark.parametrize(("key", "whole"), [
    ("genotype", True), ("treatment", True), ("esr1 genotype", True),
    ("ad5 mutant", True),        # an adenovirus gene such as E1A is no E1a cell line
    ("drug treatment", True), ("source_name", False), ("cell type", False),
])
def test_keys_about_something_else_name_a_line_only_as_a_whole(key, whole):
    assert whole_value_only(key) is whole


@pytest.mark.parametrize("key, role", [
    ("Sample_source_name_ch1", "scan"), ("characteristics_ch1", "scan"),
    ("Sample_characteristics_ch1", "scan"), ("!Sample_title", "scan"),
    ("gender (m/f)", "sex"), ("Sex [M/F]", "sex"), ("age (years)", "skip"),
    ("sample type", "scan"), ("tissue (ch1)", "tissue")])
def test_geo_field_names_and_bracketed_units_are_not_part_of_the_key(key, role):
    assert key_role(key) == role


def _dedicated(attributes: dict[str, str]) -> set[tuple[str, str, str]]:
    return {(v.facet, v.text, v.source_key) for v in field_values(attributes) if not v.scanned}


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"Gender/Age": "F/71"}, ("sex", "F", "Gender")),
    ({"age_gender": "34_M"}, ("sex", "M", "gender")),
    ({"sex, age": "female, 58 years"}, ("sex", "female", "sex")),
    ({"organ / cell type": "pancreas / ductal cell"}, ("cell_type", "ductal cell", "cell type")),
])
def test_a_list_of_keys_is_read_pair_by_pair(attributes, expected):
    assert expected in _dedicated(attributes)


@pytest.mark.parametrize("attributes", [
    {"Gender/Age": "F"},                 # one value for two keys: which is it?
    {"Gender/Age": "71 / F / adult"},    # three values for two keys
    {"donor_sex": "M"},                  # a key the table knows is not a list
    {"batch/lane": "2/4"},               # no key of a facet: nothing to gain
])
def test_a_list_of_keys_stays_whole_when_the_parts_do_not_match(attributes):
    assert not any(key in attributes.values() for _, _, key in _dedicated(attributes))
    assert all(key in attributes for _, _, key in
               {(v.facet, v.text, v.source_key) for v in field_values(attributes)})


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"sex (0 = female, 1 = male)": "0"}, ("sex", "female")),
    ({"Gender [M=male; F=female]": "M"}, ("sex", "male")),
    ({"status (1=case, 2=control)": "2"}, None),          # a legend of no facet's key
    ({"sex (0 = female, 1 = male)": "7"}, ("sex", "7")),  # not a code of the legend
])
def test_a_coded_value_is_spelt_out_by_its_keys_legend(attributes, expected):
    got = {(v.facet, v.text) for v in field_values(attributes) if not v.scanned}
    assert (expected in got) if expected else not got
