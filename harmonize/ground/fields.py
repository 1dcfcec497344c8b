"""Attribute keys -> facets: which values to ground, which to scan, which to skip.

The table lives in ``ontologies/field_keys.tsv`` (``key``, ``facet``, ``note``). ``facet`` is a
facet name (a *dedicated* key), ``scan`` (an ambiguous key such as ``source_name`` or ``title``,
searched for mentions of every facet) or ``skip`` (ids, dates, numbers). Unknown keys are
scanned with a lower prior. Keys are compared in :func:`norm_key` form.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.facets import SCAN_FACETS  # searched for in ambiguous keys and free text
from harmonize.ground.normalize import PARENTHESIS, is_null, normalize
from harmonize.ground.rules import choices, enabled, words
from harmonize.ground.stages import names_a_stage, stage_of
from harmonize.models import FACETS, FieldValue
from harmonize.resources import ONTOLOGIES_DIR

FIELD_KEYS_PATH = ONTOLOGIES_DIR / "field_keys.tsv"
#: Dedicated keys of these facets are also searched for cell-line names ("cell type: K562").
ALSO_CELL_LINE = frozenset({"cell_type", "tissue"}) if enabled("also_cell_line") else frozenset()
#: Tissue keys are also searched for cell types and cell-type keys for tissues: submitters
#: write one under the other's key ("tissue: CD14+ monocytes", "cell type: liver").
ALSO_OTHER = ({"tissue": "cell_type", "cell_type": "tissue"} if enabled("also_other_anatomy")
              else {})
#: ...and for diseases they name ("tissue: colorectal tumor", "cell type: AML blasts").
ALSO_DISEASE = (frozenset({"cell_type", "tissue", "cell_line"}) if enabled("also_disease")
                else frozenset())
#: A key naming the person sampled ("donor", "patient", "subject": role ``donor`` in the key
#: table) is read for what is said of that person: "donor: healthy male", "patient: 61 y, AML".
DONOR_FACETS = ("sex", "disease", "dev_stage") if enabled("donor_keys") else ()
#: What a person key never names: the sample's tissue or cell type.
PLACE_FACETS = ("tissue", "cell_type")
#: "key: value" pairs inside a scanned value are read (rules ``embedded_pairs`` and
#: ``pairs_as_attributes``).
_EMBEDDED_PAIRS = enabled("embedded_pairs")
_PAIRS_AS_ATTRIBUTES = _EMBEDDED_PAIRS and enabled("pairs_as_attributes")
_WRITTEN_TEXT = enabled("written_text")
_LISTED_KEYS = enabled("listed_keys")
_KEY_LEGEND = enabled("key_legend")
#: The key a line of written free text is read under (a title key: see key_class).
WRITTEN_TEXT_KEY = "description"
#: Key classes, strongest evidence first; the grounder uses them as a prior.
KEY_CLASSES = ("dedicated", "scan", "title", "other", "text")
#: Scanned keys that hold a free sentence or a submitter's label (codes there are often not
#: cell lines: "KO1", "rep2", "D13").
TITLE_KEYS = words("title_keys") if enabled("title_keys") else frozenset()
#: Words of keys that describe the specimen taken, not its donor ('histology', 'tissue type';
#: rule ``specimen_normal``).
SPECIMEN_WORDS = words("specimen_keys") if enabled("specimen_normal") else frozenset()
#: Scanned keys that describe something else (a genotype, a mouse strain, a treatment, a
#: person): they name a cell line only when the whole value is a distinctive line name.
WHOLE_VALUE_ONLY = words("whole_value_keys") if enabled("whole_value_keys") else frozenset()
#: Last words of unlisted keys of that kind ('ad5 mutant', 'esr1 genotype', 'drug treatment').
WHOLE_VALUE_HEADS = words("whole_value_heads") if enabled("whole_value_keys") else frozenset()
#: What a key's last words may make it (``words/head_words.tsv``): a facet's key, or one read
#: like a source name ('region', 'location'); a mistyped role is refused, not dropped.
HEAD_ROLES = frozenset(FACETS) | {"scan"}
#: Words that end an unlisted key naming a facet ("parental cell line", "tumor tissue").
HEAD_WORDS: tuple[tuple[str, str], ...] = tuple(
    (r["pattern"], r["facet"]) for r in choices("head_words", "facet", HEAD_ROLES)
) if enabled("key_head_words") else ()
#: Last words of a key that divides a facet more finely ('cell subtype', 'tissue subset').
FINER_KEY_WORDS = words("finer_key_words") if enabled("finer_keys") else frozenset()
_SUFFIX = re.compile(r"(?:^|\s+)(ch\d+)$|\s+\d+$")
#: Characters of one value (or of a record's free text) that are grounded. Longer values (a
#: pasted protocol, a 50 MB attribute) are grounded on their first ``MAX_VALUE_CHARS``
#: characters, cut at the last space before the limit, and their annotations say so:
#: ``source_text`` holds the part read and ``source_length`` the length of the whole value.
#: The scanners are linear in the text, so this bounds the time one value can take.
MAX_VALUE_CHARS = 10_000


@lru_cache(maxsize=4096)
def specimen_key(key: str) -> bool:
    """Whether a key describes the specimen taken, not its donor ('histology', 'tissue type',
    'organoid type': ``words/specimen_keys.tsv``): a healthy-state word there says the tissue
    is normal, not that the donor is healthy (rule ``specimen_normal``)."""
    return bool(set(norm_key(key).split()) & SPECIMEN_WORDS)


@lru_cache(maxsize=100_000)
def norm_key(key: str) -> str:
    """Comparable form of an attribute key (memoized: every value of every sample asks).

    GEO's own field names and a unit or code list in brackets are not part of the key:

    >>> norm_key("Cell_Line"), norm_key("characteristics: tissue"), norm_key("source_name_ch1")
    ('cell line', 'tissue', 'source name')
    >>> norm_key("Sample_source_name_ch1"), norm_key("characteristics_ch1"), norm_key("Sex [M/F]")
    ('source name', 'characteristics', 'sex')
    """
    k = _GEO_FIELD.sub("", _BRACKETS.sub(" ", key))
    k = _SUFFIX.sub("", re.sub(r"[^0-9a-z]+", " ", k.lower()).strip())
    k = re.sub(r"^characteristics? ", "", k) if k not in ("characteristics",) else k
    return _SUFFIX.sub("", k)


#: "gender (m/f)", "age (years)", "Sex [M/F]": what the key's values look like, not its name.
_BRACKETS = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
#: GEO SOFT field names ("!Sample_source_name_ch1", "Sample_characteristics_ch1").
_GEO_FIELD = re.compile(r"^!?Sample_(?=(?:source_name|characteristics|title|description|"
                        r"treatment_protocol|growth_protocol|extract_protocol|organism|"
                        r"molecule|label)(?:_|$))", re.IGNORECASE)


@lru_cache(maxsize=4)
def load_field_keys(path: Path = FIELD_KEYS_PATH) -> dict[str, str]:
    """``{normalized key: facet | 'scan' | 'donor' | 'skip'}`` from the TSV."""
    out: dict[str, str] = {}
    if not enabled("field_keys"):
        return out
    allowed = set(FACETS) | {"scan", "donor", "skip"}
    with path.open(newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t"), 2):
            key, facet = (row.get("key") or "").strip(), (row.get("facet") or "").strip()
            if not key or key.startswith("#"):
                continue
            if facet not in allowed:
                raise ConfigError(f"{path}: line {i}: unknown facet {facet!r} for key {key!r}")
            k = norm_key(key)
            if k in out and out[k] != facet:
                raise ConfigError(f"{path}: line {i}: key {key!r} is listed twice, as "
                                  f"{out[k]!r} and {facet!r}; keep one row")
            out[k] = facet
    return out


def key_role(key: str, table: Mapping[str, str] | None = None) -> str:
    """The role of a key: a facet name, ``scan``, ``donor`` (the person sampled), ``skip`` or
    ``other`` (unknown key).

    An unlisted key is read by its last words (:data:`HEAD_WORDS`): 'parental cell line',
    'tumor tissue', 'primary disease', 'donor sex' speak for their facet; a key naming two
    facets ('tissue/cell type') is scanned for all of them.

    >>> key_role("tumor tissue"), key_role("Tissue/Cell type"), key_role("disease duration")
    ('tissue', 'scan', 'other')
    """
    if table is None or table is load_field_keys():
        return _default_role(key)
    return _role(norm_key(key), table, key_words(key))


@lru_cache(maxsize=100_000)
def _default_role(key: str) -> str:
    """:func:`key_role` with the repository's table (memoized: it runs for every attribute)."""
    return _role(norm_key(key), load_field_keys(), key_words(key))


def key_words(key: str) -> str:
    """:func:`norm_key` with CamelCase split into words, for keys the table does not list.

    >>> key_words("ArrayExpress-DevelopmentalStage"), key_words("sampleCellLine")
    ('array express developmental stage', 'sample cell line')
    """
    return norm_key(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key))


def _role(k: str, table: Mapping[str, str], words: str | None = None) -> str:
    role = table.get(k)
    if role is not None:
        return role
    if words and words != k:
        role = _role(words, table)
        if role != "other":
            return role  # 'ArrayExpress-DevelopmentalStage': developmental stage
    rest = _finer_rest(k)
    if rest:  # 'cell subtype' is a cell-type key, 'cancer subtype' (as 'cancer type') a disease key
        role = _role(f"{rest} type", table)
        role = role if role in FACETS else _role(rest, table)
        if role in FACETS:
            return role
    named = {facet for head, facet in HEAD_WORDS if re.search(rf"\b{head}\b", k)}
    last = next((facet for head, facet in HEAD_WORDS if re.search(rf"\b{head}$", k)), None)
    if last and named == {last}:
        return last
    return "scan" if len(named) > 1 and last else "other"


def _finer_rest(k: str) -> str | None:
    """What a normalized key ending in a finer division divides ('cell subtype' -> 'cell')."""
    return next((k[:-len(w) - 1] for w in FINER_KEY_WORDS if k.endswith(f" {w}")), None)


@lru_cache(maxsize=10_000)
def finer_key(key: str) -> bool:
    """Whether a facet's key names a finer division of it than its plain key does: the
    sample is that subset ('cell type: PBMC' beside 'cell subpopulation: T cells').

    >>> finer_key("cell_subtype"), finer_key("Tumor sub-type"), finer_key("cell type")
    (True, True, False)
    """
    return _finer_rest(norm_key(key)) is not None and key_role(key) in FACETS


def is_age_key(key: str) -> bool:
    """'age', 'donor age', 'age at collection', 'gestational age'... (read by stages.py)."""
    k = norm_key(key)
    return k == "age" or k.startswith("age ") or k.endswith(" age")


def whole_value_only(key: str) -> bool:
    """Keys whose values name a cell line only as a whole (see :data:`WHOLE_VALUE_ONLY`)."""
    k = norm_key(key)
    return k in WHOLE_VALUE_ONLY or k.split(" ")[-1] in WHOLE_VALUE_HEADS


def bounded(text: str, limit: int | None = None) -> tuple[str, int | None]:
    """The part of ``text`` that is grounded, and the length of the whole text when that part
    is shorter (``None`` when all of it is read).

    >>> bounded("liver"), bounded("liver biopsy from a donor", limit=14)
    (('liver', None), ('liver biopsy', 25))
    """
    limit = MAX_VALUE_CHARS if limit is None else limit
    if len(text) <= limit:
        return text, None
    head = text[:limit + 1]  # a space just after the limit ends the last whole word
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    return (text[:cut] if cut > limit // 2 else text[:limit]).rstrip(), len(text)


#: Rule ``no_disease``: under a disease key these say the donor has none ('disease: none').
_NO_DISEASE = words("no_disease") if enabled("no_disease") else frozenset()
#: Words about the person sampled (``words/person_words.tsv``): a value made of them that ends
#: in a no-disease entry says what that entry says ('deceased organ donor' as 'donor').
_PERSON_WORDS = words("person_words") if enabled("no_disease") else frozenset()


def says_no_disease(value: str) -> bool:
    """Whether a disease value says the donor has no disease ('none', 'no'), or names the
    study's group of donors without one ('donor', 'deceased organ donor', 'volunteers').

    >>> says_no_disease("None"), says_no_disease("none (never smoked)"), says_no_disease("n/a")
    (True, True, False)
    >>> says_no_disease("Deceased organ donor"), says_no_disease("male patient")
    (True, False)
    """
    norm = normalize(PARENTHESIS.sub(" ", value))
    if norm in _NO_DISEASE:
        return True
    toks = norm.split()
    return (len(toks) > 1 and toks[-1] in _NO_DISEASE
            and all(t in _PERSON_WORDS for t in toks))


def no_value(value: str, role: str | None) -> bool:
    """Whether a value read under a key of ``role`` is no value: a placeholder ('N/A',
    'none'), except 'none' or 'no' under a disease key, which says the donor has no disease.

    >>> no_value("none", "treatment"), no_value("none", "disease"), no_value("n/a", "disease")
    (True, False, True)
    """
    return is_null(value) and not (role == "disease" and says_no_disease(value))


def field_values(attributes: Mapping[str, str], text: str | None = None,
                 harmonized: Mapping[str, str] | None = None,
                 table: Mapping[str, str] | None = None) -> list[FieldValue]:
    """The values to ground for one sample.

    ``harmonized`` optionally maps an original key to its BioSample ``harmonized_name``,
    which wins over the key itself.

    >>> [(v.facet, v.scanned) for v in field_values({"Organism part": "liver", "age": "5"})]
    [('tissue', False), ('cell_line', True), ('disease', True), ('cell_type', True)]
    """
    table = load_field_keys() if table is None else table
    out: list[FieldValue] = []
    for key, value in _read_keys(attributes, table):
        value, full = bounded(value)
        role = key_role((harmonized or {}).get(key) or key, table)
        if no_value(value, role):
            continue
        if role == "skip":
            if is_age_key(key) and (stage_of(value) or names_a_stage(value)):
                out.append(FieldValue("dev_stage", value, key, scanned=False, full_length=full))
            continue
        if role == "donor":  # see key_class: how each facet reads it; the person is no
            # tissue or cell type ('donor: co-cultured with liver cells' names neither)
            out.extend(FieldValue(f, value, key, scanned=True, full_length=full)
                       for f in SCAN_FACETS if not DONOR_FACETS or f not in PLACE_FACETS)
            continue
        if role in FACETS:
            out.append(FieldValue(role, value, key, scanned=False, full_length=full))
            if role in ALSO_CELL_LINE:
                out.append(FieldValue("cell_line", value, key, scanned=True, full_length=full))
            if role in ALSO_DISEASE:
                out.append(FieldValue("disease", value, key, scanned=True, full_length=full))
            if role in ALSO_OTHER:
                out.append(FieldValue(ALSO_OTHER[role], value, key, scanned=True,
                                      full_length=full))
            continue
        out.extend(_scanned(key, value, full, attributes, table))
    if text and _WRITTEN_TEXT and written(text):
        # read up to MAX_VALUE_CHARS in all, as one text is; a title, a description: each line
        # its own value (the last one read says how long the whole text was when it was cut)
        read, full = bounded(text)
        lines = [x.strip() for x in read.splitlines()]
        lines = [x for x in lines if x and not is_null(x)]
        for i, line in enumerate(lines):
            out.extend(_scanned(WRITTEN_TEXT_KEY, line, full if i == len(lines) - 1 else None,
                                attributes, table))
    elif text:
        text, full = bounded(text)
        if not is_null(text):
            out.extend(_scanned("text", text, full, attributes, table))
    return out


def _read_keys(attributes: Mapping[str, str], table: Mapping[str, str]
               ) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of the attributes as read: a coded value spelt out by the
    legend its key gives (:func:`legend_value`), and a list of keys with its list of values
    read pair by pair (:func:`listed_pairs`)."""
    out: list[tuple[str, str]] = []
    for key, value in attributes.items():
        if not isinstance(value, str):
            continue
        value = legend_value(key, value) if _KEY_LEGEND else value
        out.extend(listed_pairs(key, value, table) if _LISTED_KEYS else ((key, value),))
    return out


#: "code=word" entries of a key's legend, inside its brackets ("sex (1=male, 2=female)").
_LEGEND = re.compile(r"(?:^|[(\[,;/\s])\s*([A-Za-z0-9]{1,3})\s*[=:]\s*([A-Za-z][A-Za-z -]*?)\s*"
                     r"(?=[,;/)\]]|$)")


def legend_value(key: str, value: str) -> str:
    """``value`` spelt out when it is a code the key's bracketed legend explains (rule
    ``key_legend``), else ``value``.

    >>> legend_value("sex (1=male, 2=female)", "2"), legend_value("sex", "2")
    ('female', '2')
    """
    code = value.strip()
    if len(code) > 3 or "=" not in key and ":" not in key:
        return value
    for inside in re.findall(r"[(\[]([^()\[\]]*)[)\]]", key):
        legend = {c.casefold(): w for c, w in _LEGEND.findall(inside)}
        if len(legend) >= 2 and code.casefold() in legend:
            return legend[code.casefold()]
    return value


_KEY_LIST = re.compile(r"\s*(?:[/,;&+|]|\band\b)\s*")
_VALUE_LIST = re.compile(r"\s*[/,;|]\s*")


def listed_pairs(key: str, value: str, table: Mapping[str, str]) -> list[tuple[str, str]]:
    """A key that lists several keys, one of them a facet's, with a value that lists as many
    values, read as those pairs ('Sex/Age: M/45' is 'Sex: M' and 'Age: 45'; rule
    ``listed_keys``). A key the table knows stays whole, and so does a value whose parts do not
    match the key's one to one. Words joined by '_' are a list only when each names a key of
    its own ('age_gender'; not 'tissue_source').

    >>> listed_pairs("Sex/Age", "M/45", load_field_keys())
    [('Sex', 'M'), ('Age', '45')]
    >>> listed_pairs("age_gender", "62_F", load_field_keys())
    [('age', '62'), ('gender', 'F')]
    >>> listed_pairs("Sex/Age", "M", load_field_keys())
    [('Sex/Age', 'M')]

    An age and a sex written as one code ('58M', '47 F', 'F/34y'; rule ``age_sex_code``) are
    read apart under a key listing both; under a key naming the person sampled only an adult's
    age written first is ('M2', '12F' may be a donor's number), and the key keeps its value (a
    donor's code also names the donor):

    >>> listed_pairs("age/sex", "58M", load_field_keys())
    [('age', '58'), ('sex', 'M')]
    >>> listed_pairs("patient", "66/M", load_field_keys())
    [('patient', '66/M'), ('sex', 'M'), ('age', '66')]
    """
    whole = [(key, value)]
    keys = (_default_key_list(key) if table is load_field_keys() else _key_list(key, table))
    code = age_sex_code(value) if _AGE_SEX_CODE else None
    if not keys:
        if code and key_role(key, table) == "donor" and _ADULT_CODE.match(value.strip()):
            return [*whole, ("sex", code[1]), ("age", code[0])]
        return whole
    values = _VALUE_LIST.split(value.strip())
    if len(values) != len(keys) and "_" in value and " " not in value.strip():
        values = value.strip().split("_")
    if len(values) == len(keys) and all(values):
        return list(zip(keys, values))
    roles = [key_role(k, table) for k in keys]
    if code and len(keys) == 2 and "sex" in roles:
        return [(k, code[1] if r == "sex" else code[0]) for k, r in zip(keys, roles)]
    return whole


#: The unit of an age in years, as submitters write it ('y', 'yo', 'y/o', 'yrs', 'years old').
_YEARS = r"(?:y/o|y\.o\.?|y|yo|yrs?|years?(?:[\s-]*old)?)"
#: An age and a sex letter written as one code, either way round ('58M', '58 y/F', 'M45').
_AGE_SEX = re.compile(rf"^(\d{{1,3}})\s*{_YEARS}?\s*[/,;-]?\s*([mf])$", re.I)
_SEX_AGE = re.compile(rf"^([mf])\s*[/,;-]?\s*(\d{{1,3}})\s*{_YEARS}?$", re.I)
#: A one-letter sex code written beside an age with its unit, in a longer text: "F, 54 y",
#: "(M/45yrs)", "54-year-old F", "62 yo M", "M, aged 52" (a bare letter elsewhere is a code of
#: anything).
_AGE_IN_TEXT = (rf"(?:\d{{1,3}}\s*-?\s*{_YEARS}(?![A-Za-z])"
                r"|[Aa]ged?:?\s*\d{1,3}(?!\d))")
_SEX_BESIDE_AGE = re.compile(rf"(?<![A-Za-z0-9])(?:(?P<a>[MF])\s*[,/;]?\s*{_AGE_IN_TEXT}"
                             rf"|{_AGE_IN_TEXT}\s*[,/;]?\s*(?P<b>[MF])(?![A-Za-z0-9]))")
_AGE_SEX_CODE = enabled("age_sex_code")
#: The code a person key's value may be: an adult's age first, then the letter.
_ADULT_CODE = re.compile(r"^(?:1[89]|[2-9]\d|1[01]\d)\D")


def age_sex_code(value: str) -> tuple[str, str] | None:
    """``(age, sex letter)`` of a value that is an age and a sex written as one code, or None.

    >>> age_sex_code("58M"), age_sex_code("F/34y"), age_sex_code("5F"), age_sex_code("M2")
    (('58', 'M'), ('34', 'F'), ('5', 'F'), ('2', 'M'))
    >>> age_sex_code("P58M"), age_sex_code("62"), age_sex_code("M")
    (None, None, None)
    """
    v = value.strip()
    m = _AGE_SEX.match(v)
    if m:
        return m.group(1), m.group(2).upper()
    m = _SEX_AGE.match(v)
    return (m.group(2), m.group(1).upper()) if m else None


def sex_letters_beside_age(text: str) -> set[str]:
    """The sex letters a longer text writes beside an age with its unit.

    >>> sorted(sex_letters_beside_age("patient 3 (F, 54 y); donor 62 yo M"))
    ['F', 'M']
    >>> sex_letters_beside_age("M2 clone, day 5"), sex_letters_beside_age("F 54")
    (set(), set())
    """
    return {m.group("a") or m.group("b") for m in _SEX_BESIDE_AGE.finditer(text)}


@lru_cache(maxsize=100_000)
def _default_key_list(key: str) -> tuple[str, ...]:
    """:func:`_key_list` with the repository's table (memoized: it runs for every attribute)."""
    return _key_list(key, load_field_keys())


def _key_list(key: str, table: Mapping[str, str]) -> tuple[str, ...]:
    """The keys ``key`` lists, one of them a facet's, or ``()`` when it lists none."""
    if norm_key(key) in table:
        return ()
    keys = [k for k in _KEY_LIST.split(_BRACKETS.sub("", key).strip()) if k]
    if len(keys) < 2 and " " not in key.strip():
        keys = [k for k in key.strip().split("_") if k]
        if any(key_role(k, table) == "other" for k in keys):
            return ()
    if len(keys) < 2 or not any(key_role(k, table) in FACETS for k in keys):
        return ()
    return tuple(keys)


_WRITTEN = re.compile(r"[A-Z.,;:()\n]")


def written(text: str) -> bool:
    """Whether free text is written as its submitter wrote it (capitals or punctuation: a
    sample's title and description), not preprocessed into lower-case bag-of-words text with
    the punctuation gone, as text-mining corpora ship GEO records. Written text keeps the
    order and the separators the readings of a value need ('from a healthy control').

    >>> written("Fibroblasts from a healthy control"), written("fibroblasts healthy control")
    (True, False)
    """
    return bool(_WRITTEN.search(text))


def _scanned(key: str, value: str, full: int | None, attributes: Mapping[str, str],
             table: Mapping[str, str]) -> list[FieldValue]:
    """The values a scanned value (or the free text) gives: the value searched for every
    facet, and the ``key: value`` pairs written inside it. With ``pairs_as_attributes`` a
    value made of pairs ("tissue: liver; fibrosis stage: 0") is read as those attributes would
    be, each pair under its own key (a key we do not know leaves its value to be read as part
    of the containing one), and only the words outside the pairs are searched; the keys' own
    words ("fibrosis") name no disease of the sample. Pairs written without
    separators, whose values still hold a ':' or '=', are not trusted that far."""
    whole = [FieldValue(f, value, key, scanned=True, full_length=full) for f in SCAN_FACETS]
    pairs, rest = split_pairs(value) if _EMBEDDED_PAIRS else ((), value)
    if not pairs:  # most values: no key set of the sample to build
        return whole
    have = {norm_key(k) for k in attributes}
    if _PAIRS_AS_ATTRIBUTES:
        # pairs not cut apart ("tissue: lung cell type: fibroblasts") are searched whole
        if not any(":" in v or "=" in v for _, v in pairs):
            inner = {k: v for k, v in pairs if norm_key(k) not in have}
            # a pair under a key we know is read under that key; one under an unknown key
            # ("Donor: 45 year old female") is read as part of the value it is written in
            own = {k: v for k, v in inner.items()
                   if key_role(k, table) != "other" or whole_value_only(k)}
            loose = [v for k, v in inner.items() if k not in own]
            out = [FieldValue(f, part, key, scanned=True) for part in (rest, *loose)
                   if not is_null(part) for f in SCAN_FACETS]
            return out + field_values(own, table=table)
    return whole + [FieldValue(_default_role(k), v, k, scanned=False)
                    for k, v in embedded_pairs(value) if norm_key(k) not in have]


#: A "key: value" pair inside a longer value, as submitters write GEO characteristics and
#: descriptions ("Gender: Male; age: 54", "tissue: liver | disease: NASH"): a key of at most
#: four words before ':' or '=', its value up to the next ';', '|', tab, line break or pair.
_KEY = r"[A-Za-z][A-Za-z /_-]{1,30}?"
_PAIR = re.compile(rf"(?:^|[;|\t\n]|[,.]\s)\s*({_KEY})\s*[:=]\s*"
                   rf"(.+?)(?=\s*(?:[;|\t\n]|[,.]\s+{_KEY}\s*[:=]|$))")


@lru_cache(maxsize=65_536)
def embedded_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """The ``(key, value)`` pairs written inside ``text`` whose key speaks for a facet.

    >>> embedded_pairs("Donor material; Gender: Male; Age: 54 years")
    (('Gender', 'Male'),)
    """
    return tuple((k, v) for k, v in written_pairs(text) if _default_role(k) in FACETS)


def written_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Every ``(key, value)`` pair written inside ``text``, whatever its key names.

    >>> written_pairs("group: COPD; Gender: Male")
    (('group', 'COPD'), ('Gender', 'Male'))
    >>> written_pairs("characteristics: tissue: liver, age: 54")
    (('tissue', 'liver'), ('age', '54'))
    """
    return split_pairs(text)[0]


@lru_cache(maxsize=65_536)
def split_pairs(text: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """The ``(key, value)`` pairs written inside ``text`` and the words outside them.

    >>> split_pairs("Donor material; Gender: Male; age: 54")
    ((('Gender', 'Male'), ('age', '54')), 'Donor material')
    >>> split_pairs("liver")
    ((), 'liver')
    """
    if ":" not in text and "=" not in text:
        return (), text
    out, rest, end = [], [], 0
    for m in _PAIR.finditer(text):
        key, value = m.group(1).strip(), m.group(2).strip().rstrip(".,")
        inner = _INNER.match(value)
        if inner:  # "characteristics: tissue: liver": the pair inside the pair
            key, value = inner.group(1).strip(), inner.group(2).strip()
        if len(key.split()) <= 4 and value:
            rest.append(text[end:m.start()])
            end = m.end()
            if not is_null(value):
                out.append((key, value))
    rest.append(text[end:])
    left = " ".join(" ".join(rest).replace(";", " ").replace("|", " ").split()).strip(" ,.")
    return tuple(out), left


_INNER = re.compile(rf"^({_KEY})\s*:\s*(\S.*)$")


def sample_pairs(attributes: Mapping[str, str]) -> list[tuple[str, str]]:
    """A sample's ``(key, value)`` pairs: its attributes, and the pairs written inside them
    ("characteristics: group: COPD; age: 61").

    >>> sample_pairs({"characteristics": "group: COPD; age: 61"})[1:]
    [('group', 'COPD'), ('age', '61')]
    """
    out = []
    for key, value in attributes.items():
        if isinstance(value, str):
            value = bounded(value)[0]  # the part of a long value that is read
            out.append((key, value))
            out.extend(written_pairs(value))
    return out


def read_as(key: str, text: str, facet: str) -> FieldValue | None:
    """The value of ``facet`` that ``{key: text}`` gives, as :func:`field_values` reads it:
    the one under a facet key first, as the grounder ranks them (a value made of pairs gives
    several); ``None`` when that key is not read for the facet."""
    found = [v for v in field_values({key: text}) if v.facet == facet]
    return next((v for v in found if not v.scanned), found[0] if found else None)


#: A person's code: letters run into a number ('ALS-7', 'sALS5'; group 1: the letters).
_PERSON_CODE = re.compile(r"([A-Za-z]{2,6})[-_ ]?\d{1,3}")


def person_code(value: FieldValue) -> re.Match[str] | None:
    """The code a value under a key naming the person sampled is ('individual: ALS-7'), or
    ``None``: such letters and numbers name a person, whatever disease or gene the same
    letters name (rule ``numbered_people``); a value saying more ('<code> patient') names
    the disease."""
    if key_role(value.source_key) != "donor":
        return None
    return _PERSON_CODE.fullmatch(value.text.strip())


def key_class(value: FieldValue, table: Mapping[str, str] | None = None) -> str:
    """``dedicated``, ``scan`` (a known ambiguous key), ``title`` (a title or description),
    ``other`` (an unknown key, or a genotype, strain, treatment... key, which describes
    something else), ``text``, or ``whole`` (a cell line looked for in a genotype, strain,
    treatment... key: only a whole-value name counts)."""
    if value.source_key == "text":
        return "text"
    if not value.scanned:
        return "dedicated"
    if table is None or table is load_field_keys():
        return _default_scanned_class(value.source_key, value.facet)
    return _scanned_class(value.source_key, value.facet, key_role(value.source_key, table))


@lru_cache(maxsize=100_000)
def _default_scanned_class(key: str, facet: str) -> str:
    """:func:`_scanned_class` with the repository's table (memoized: every ranked value asks)."""
    return _scanned_class(key, facet, _default_role(key))


def _scanned_class(key: str, facet: str, role: str) -> str:
    """The :func:`key_class` of a value of ``facet`` scanned under ``key`` of ``role``."""
    if role == "donor" and DONOR_FACETS:
        # read for the donor's sex, health and life stage like a source name; for the rest
        # like a key about something else ("donor: GM18486" names a line as a whole value)
        return "scan" if facet in DONOR_FACETS else (
            "whole" if facet == "cell_line" else "other")
    if whole_value_only(key):
        return "whole" if facet == "cell_line" else "other"
    if norm_key(key) in TITLE_KEYS:
        return "title"
    return "scan" if role in ("scan", *FACETS) else "other"
