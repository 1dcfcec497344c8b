"""The rule registry (ontologies/rules.tsv), its word lists and HARMONIZE_DISABLE_RULES."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harmonize.errors import ConfigError
from harmonize.ground import rules

GROUND = Path(rules.__file__).parent
REPO = GROUND.parents[1]


@pytest.fixture
def switched(monkeypatch):
    """Set HARMONIZE_DISABLE_RULES for the registry functions (module constants elsewhere are
    read at import, so behaviour is tested in a subprocess)."""

    def set_off(value: str) -> None:
        monkeypatch.setenv(rules.ENV, value)
        rules.disabled.cache_clear()

    yield set_off
    monkeypatch.delenv(rules.ENV, raising=False)
    rules.disabled.cache_clear()


def test_every_switchable_rule_has_a_code_site():
    source = "".join(p.read_text() for p in GROUND.glob("*.py"))
    missing = [r.name for r in rules.registry().values() if r.switch and not r.group
               and f'"{r.name}"' not in source
               and f'"{r.name.removeprefix("variant_")}"' not in source]
    assert missing == []


def test_registry_rows_are_complete_and_vocabulary_files_exist():
    reg = rules.registry()
    assert len(reg) > 60
    for rule in reg.values():
        assert rule.stage and rule.facets and rule.does, rule
        for path in re.findall(r"ontologies/(?:words/)?[\w.]+\.tsv", rule.vocabulary):
            assert (REPO / path).is_file(), (rule.name, path)
        for name in re.findall(r"(?<=, )(\w+\.tsv)", rule.vocabulary):
            assert (rules.WORDS_DIR / name).is_file(), (rule.name, name)


def test_every_word_list_entry_has_a_reason():
    files = sorted(rules.WORDS_DIR.glob("*.tsv"))
    assert len(files) >= 20
    for path in files:
        rows = rules.table(path.stem)
        assert rows, path
        for row in rows:
            assert (row.get("reason") or "").strip(), (path.name, row)


def test_no_word_list_holds_an_entry_twice():
    """The same entry twice (its columns but the reason) is one entry with two reasons, kept
    only by mistake."""
    twice = []
    for path in sorted(rules.WORDS_DIR.glob("*.tsv")):
        seen: set[tuple[str, ...]] = set()
        for row in rules.table(path.stem):
            key = tuple(v for k, v in row.items() if k not in ("reason", "note"))
            if key in seen:
                twice.append((path.name, key))
            seen.add(key)
    assert not twice


def test_word_lists_load_as_sets_and_mappings():
    assert {"wildtype", "amplified"} <= rules.words("gene_status")
    assert rules.mapping("irregular_plurals")["glomeruli"] == "glomerulus"
    assert rules.mapping("disease_heads")["tumor"] == "cancer neoplasm"


def test_nothing_is_disabled_by_default(switched):
    switched("")
    assert rules.disabled() == frozenset()
    assert all(rules.enabled(name) for name in rules.registry())


def test_a_group_prefix_switches_off_its_members(switched):
    switched("synonyms.tissue, negation")
    assert not rules.enabled("negation")
    assert not rules.enabled(rules.synonym_group("tissue", "curated"))
    assert rules.enabled(rules.synonym_group("disease", "curated"))
    assert rules.enabled("context_other")  # 'negation' is no prefix of it


def test_an_unknown_rule_name_is_a_clear_error(switched):
    switched("negation,no_such_rule")
    with pytest.raises(ConfigError, match="unknown rule.*no_such_rule.*rules.tsv"):
        rules.disabled()


def test_the_off_set_is_part_of_the_lexicon_fingerprint(switched):
    switched("")
    on = rules.fingerprint()
    switched("drop_site_synonyms")
    assert rules.fingerprint() != on


def test_a_missing_word_list_names_the_file():
    with pytest.raises(ConfigError, match="no_such_list.tsv"):
        rules.table("no_such_list")


def test_a_word_list_row_with_a_missing_column_names_the_file_and_row(tmp_path):
    """An edited word list (a noun for an adjective, a reporter tag) with a row that lost a
    tab is refused, naming the file and the row, not read with a shifted column."""
    bad = tmp_path / "anatomy_adjectives.tsv"
    bad.write_text("word\tnoun\treason\nrenal\tkidney\tadjective of the kidney\n"
                   "hepatic liver\tadjective of the liver\n")
    with pytest.raises(ConfigError, match=r"anatomy_adjectives.tsv: row 3"):
        rules._rows(bad)


def _run(code: str, off: str) -> str:
    env = dict(os.environ, HARMONIZE_DISABLE_RULES=off, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_switching_off_changes_behaviour_in_a_fresh_process():
    code = ("from harmonize.ground.negation import is_negated\n"
            "from harmonize.ground.normalize import strip_noise, tokens\n"
            "print(is_negated('hiv negative donor'.split(), 0, 1), "
            "is_negated('family history of gout'.split(), 3, 1), "
            "strip_noise('liver tissue'), tokens('CD14-positive cells')[0])")
    assert _run(code, "") == "True True liver cd14+"
    assert _run(code, "negation") == "False True liver cd14+"
    assert _run(code, "negation,context_other,noise_words,marker_positive") == \
        "False False liver tissue cd14"


def test_a_word_list_value_outside_its_choices_names_the_file_row_and_choices(tmp_path):
    """A negation trigger whose position is mistyped ('lsit') would otherwise be dropped
    without a word; it is refused, naming the file, the row and what the column may hold."""
    bad = tmp_path / "negation_triggers.tsv"
    bad.write_text("phrase\tposition\treason\nno\tbefore\tnegates\nor\tlsit\tjoins a list\n")
    with pytest.raises(ConfigError, match=r"negation_triggers.tsv: row 3: position 'lsit' "
                                          r"is not one of .*list"):
        rules._checked(bad, tuple(rules._rows(bad)), "position", frozenset({"before", "list"}))
    assert rules.choices("origin_phrases", "after", frozenset({"origin", "product"}))


def test_a_sex_class_naming_no_sex_is_refused(tmp_path):
    """A class of ``sex_classes.tsv`` whose sex is written out ('female') instead of PATO's id
    would annotate a term that is no sex: refused, naming the file and the row."""
    from harmonize.ground.organ_sex import FEMALE, MALE, SEX_CLASSES

    bad = tmp_path / "sex_classes.tsv"
    bad.write_text("term\tsex\treason\nMONDO:0000001\tfemale\ta class of one sex\n")
    with pytest.raises(ConfigError, match=r"sex_classes.tsv: row 2: sex 'female' is not one of"):
        rules._checked(bad, tuple(rules._rows(bad)), "sex", frozenset({FEMALE, MALE}))
    assert set(SEX_CLASSES.values()) == {FEMALE, MALE}


def test_a_cellosaurus_sex_subset_naming_no_sex_is_refused(tmp_path):
    """A row of ``cellosaurus_sexes.tsv`` whose sex is written out instead of PATO's id would
    give every line of that subset a sex that is no term: refused, naming the file and row."""
    from harmonize.ground.line_sex import cellosaurus_sexes
    from harmonize.ground.organ_sex import FEMALE, MALE

    bad = tmp_path / "cellosaurus_sexes.tsv"
    bad.write_text("subset\tsex\treason\nFemale\tPATO:0000383\tok\nMale\tmale\ttypo\n")
    with pytest.raises(ConfigError, match=r"cellosaurus_sexes.tsv: row 3: sex 'male' is not"):
        rules._checked(bad, tuple(rules._rows(bad)), "sex", frozenset({FEMALE, MALE}))
    assert cellosaurus_sexes({"CVCL:X": ("Male",)}) == {"CVCL:X": MALE}  # the shipped list


def test_a_listed_line_sex_naming_no_sex_is_refused(tmp_path):
    """A row of ``line_sexes.tsv`` whose sex is written out instead of PATO's id would give
    every sample of that line a sex that is no term: refused, naming the file and row; nothing
    is read from the file then."""
    from harmonize.ground.line_sex import listed_sexes
    from harmonize.ground.organ_sex import FEMALE, MALE

    bad = tmp_path / "line_sexes.tsv"
    bad.write_text("line\tname\tsex\treason\nCVCL:0030\tHeLa\tPATO:0000383\tok\n"
                   "CVCL:0023\tA-549\tmale\ttypo\n")
    with pytest.raises(ConfigError, match=r"line_sexes.tsv: row 3: sex 'male' is not"):
        rules._checked(bad, tuple(rules._rows(bad)), "sex", frozenset({FEMALE, MALE}))
    assert listed_sexes(["CVCL:0023"]) == {"CVCL:0023": MALE}  # the shipped list


def test_a_mistyped_role_of_a_key_word_is_refused(tmp_path):
    """A key word's role mistyped ('tisue') would make every key ending in it a key of no
    facet, without a word; the list is refused, naming the file and the row."""
    from harmonize.ground.fields import HEAD_ROLES
    bad = tmp_path / "head_words.tsv"
    bad.write_text("pattern\tfacet\treason\nregion\tscan\twhere\nlocation\ttisue\twhere\n")
    with pytest.raises(ConfigError, match=r"head_words.tsv: row 3: facet 'tisue' is not one of"):
        rules._checked(bad, tuple(rules._rows(bad)), "facet", HEAD_ROLES)
    assert rules.choices("head_words", "facet", HEAD_ROLES)  # the shipped list is well formed


def test_an_empty_spelling_names_the_file_row_and_column(tmp_path):
    """An empty British spelling would be 'found' in every word and rewrite them all; the
    list is refused, naming the file, the row and the empty column."""
    bad = tmp_path / "spellings.tsv"
    bad.write_text("british\tamerican\treason\ntumour\ttumor\tspelling\n\tz\tmistyped\n")
    with pytest.raises(ConfigError, match=r"spellings.tsv: row 3: british is empty"):
        rules._filled(bad, tuple(rules._rows(bad)), ("british", "american"))
    assert rules.filled("spellings", "british", "american")


def test_a_bare_dash_in_the_cell_nouns_list_is_refused_naming_the_list():
    """A '-' row with no ending after it would make every '<word> cell' name a cell noun."""
    from harmonize.ground.lexicon import cell_noun_endings

    assert cell_noun_endings(["precursor", "-cyte", "-blast"]) == ("blast", "cyte")
    with pytest.raises(ConfigError, match=r"cell_nouns.tsv: a '-' row names no ending"):
        cell_noun_endings(["progenitor", "-"])


def test_a_listed_line_disease_written_as_a_name_is_refused(tmp_path):
    """A row of ``line_diseases.tsv`` whose disease is a name, not MONDO's id, would give that
    line no disease without a word: refused, naming the file and row; the shipped list reads."""
    from harmonize.ground.line_disease import listed_diseases

    bad = tmp_path / "line_diseases.tsv"
    bad.write_text("line\tname\tdisease\tlabel\treason\n"
                   "CVCL:0023\tA-549\tMONDO:0005061\tlung adenocarcinoma\tok\n"
                   "CVCL:0027\tHep-G2\thepatoblastoma\thepatoblastoma\ttypo\n")
    with pytest.raises(ConfigError, match=r"line_diseases.tsv: row 3: disease 'hepatoblastoma' "
                                          r"is not a MONDO id"):
        rules._identified(bad, tuple(rules._rows(bad)), "disease", "MONDO")
    with pytest.raises(ConfigError, match=r"row 2: line 'A-549' is not a CVCL id"):
        rules._identified(bad, ({"line": "A-549"},), "line", "CVCL")
    assert listed_diseases(["CVCL:0023"], ["MONDO:0005061"]) == {"CVCL:0023": "MONDO:0005061"}


def test_a_compound_noun_without_its_word_after_is_refused(tmp_path):
    """A row of ``compound_nouns.tsv`` with no word after the tissue's would never match:
    refused, naming the file, the row and the column."""
    bad = tmp_path / "compound_nouns.tsv"
    bad.write_text("word\tafter\treason\nplasma\tcells\tok\nplasma\t\tforgotten\n")
    with pytest.raises(ConfigError, match=r"compound_nouns.tsv: row 3: after is empty"):
        rules._filled(bad, tuple(rules._rows(bad)), ("word", "after"))
