"""The controls of a disease study: a bare "control" under a key whose values name diseases in
the same study is the healthy state, and that key's other values are read as disease fields.

A bare control is a value that is, whole, one of the lexicon's names of the healthy state
("control", "healthy control", "HC", "unaffected"), or one that names diseases only to deny
them ("non-diabetic donor", "HIV-negative donor", read by the negation rules). A group code
'N' and capitals that negates, by its letters, the disease the study's other samples name under
the same key is one too ('ND' beside 'T2D'; rule ``negated_codes``), and a value that is a
control by its code never names a disease for the study ('PD-NSC_ctrl').

Alone, "group: control" says nothing of the donor's health: the control of a treatment, a
knock-down or a time course is no healthy donor (rule ``experimental_control``). Beside samples
of the same study whose same key names a disease ("group: COPD"), it is the study's healthy
control, and the disease facet gets ``PATO:0000461`` normal from that value, grounded as a
disease field. The key is then the study's disease axis: a case whose value a scanned key
does not trust alone ("group: PD": two letters) is read as a disease field too. A sample that
already names a disease keeps it (a cell line's "control" arm is still the line's cancer).

This stage needs the study: ``harmonize map`` groups records by their ``series``, the warehouse
by the samples' GEO series, SRA study and BioProject accessions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from harmonize.ground.compose import taken_by
from harmonize.ground.fields import (
    TITLE_KEYS,
    key_role,
    norm_key,
    sample_pairs,
    specimen_key,
    written,
)
from harmonize.ground.legends import read_legends
from harmonize.ground.lexicon import HEALTHY
from harmonize.ground.mentions import (
    CONTROL_WORDS,
    healthy_anatomy,
    names_healthy,
    only_negated,
    ruled_out_word,
)
from harmonize.ground.negation import AFTER, BEFORE
from harmonize.ground.normalize import is_null, normalize
from harmonize.ground.rules import enabled, words
from harmonize.models import Annotation

if TYPE_CHECKING:
    from harmonize.ground.grounder import Grounder
    from harmonize.ground.lexicon import Lexicon

ON = enabled("study_controls")
TITLE_ON = ON and enabled("title_controls")
CODES_ON = ON and enabled("control_codes")
TITLE_CODES_ON = TITLE_ON and enabled("title_codes")
NEGATED_CODES_ON = ON and enabled("negated_codes")
CONTRAST_ON = ON and enabled("contrast_group")
#: Rule contrast_group: keys naming a study's groups besides the disease keys
#: (``words/group_keys.tsv``; a source name, a title or a treatment names other things).
GROUP_KEYS = words("group_keys")
#: The kind of evidence a comparison group is (its confidence: the cautious prior of the kind).
CONTRAST_EVIDENCE = "disease/group/contrast"
#: An identifier longer than this is no sample code.
MAX_CODE_CHARS = 40
_LETTERS = re.compile(r"[A-Za-z]+")
#: The run of letters a sample code starts with ('PCOS' of 'PCOS_11', 'SSc' of 'SSc-7b').
_LEADING = re.compile(r"([A-Za-z]+)(?![A-Za-z])")
#: A group code that may negate a disease (rule ``negated_codes``): 'N' and up to three
#: capitals ('ND', 'NF', 'NDC').
_NEGATED_CODE = re.compile(r"N([A-Z]{1,3})")
#: The key a sample's title is read under by this stage (rule ``title_controls``).
TITLE_KEY = "title"


def study_view(attributes: Mapping[str, str], text: str | None) -> Mapping[str, str]:
    """What this stage reads of a sample: its attributes (codes a legend of the sample
    defines read as their definitions, :mod:`harmonize.ground.legends`) and, when they hold no
    title, the first line of its written text under :data:`TITLE_KEY` (GEO records carry the
    sample's title there: 'HC_07' beside 'SLE_01' is the study's healthy control; rule
    ``title_controls``)."""
    attributes = read_legends(attributes)
    if not TITLE_ON or not text or any(norm_key(k) in TITLE_KEYS for k in attributes):
        return attributes
    first = text.strip().split("\n", 1)[0].strip()
    if not first or not written(text):
        return attributes
    return {**attributes, TITLE_KEY: first}


def disease_keys(grounder: Grounder, attributes: Mapping[str, str],
                 among: frozenset[str]) -> frozenset[str]:
    """The keys (:func:`norm_key` form, of those ``among``) of a sample whose whole value,
    read as a disease field, names a disease."""
    return frozenset(n for k, v in sample_pairs(attributes)
                     if (n := norm_key(k)) in among
                     and ((_names(grounder, k, v) not in (None, HEALTHY)
                           and (n not in TITLE_KEYS or _titled(grounder, k, v))
                           and not is_control(grounder, v))  # 'PD-NSC_ctrl' is a control
                          or (n in TITLE_KEYS and title_code(grounder, v, attributes))))


def _titled(grounder: Grounder, key: str, value: str) -> bool:
    """Whether a title names a disease as titles are read (their codes are treatments, genes
    and labs: "PMA_1", "HS_2" beside "Control_1" make no disease study)."""
    return grounder.ground_value("disease", value, key, scanned=True).term_id not in (None,
                                                                                     HEALTHY)


def title_code(grounder: Grounder, value: str,
               attributes: Mapping[str, str]) -> Annotation | None:
    """The disease a title's group code names, read as a disease field (rule
    ``title_codes``): the title is one identifier whose leading run of letters is written with
    capitals ('PCOS_11', 'FSHD-3', 'SSc-7b') and names one disease, and no other value of the
    sample holds that run as a word (a treatment: 'PMA_1' beside 'treatment: PMA'). Read only
    in a study whose titles also code its healthy controls ('Ctrl_03')."""
    value = value.strip()
    if (not TITLE_CODES_ON or not value or len(value) > MAX_CODE_CHARS
            or any(c.isspace() for c in value)):
        return None
    m = _LEADING.match(value)
    run = m.group(1) if m else ""
    if len(run) < 2 or not run[0].isupper() or sum(c.isupper() for c in run) < 2:
        return None
    word = normalize(run)
    if any(word in normalize(v).split() for k, v in sample_pairs(attributes)
           if norm_key(k) not in TITLE_KEYS):
        return None
    ann = grounder.decide_value("disease", run, "disease")
    if ann is None or ann.term_id in (None, HEALTHY) or ann.status != "accepted":
        return None
    return ann


class StudyKeys(frozenset):
    """The keys under which a study names a disease (:func:`study_disease_keys`), with the
    group codes that negate that disease, as ``(key, value)`` pairs (:func:`negates`)."""

    codes: frozenset[tuple[str, str]] = frozenset()
    contrast: frozenset[str] = frozenset()

    def __eq__(self, other: object) -> bool:
        """Equal keys, codes and group axes (a plain frozenset has none)."""
        if not isinstance(other, frozenset):
            return NotImplemented
        return (frozenset.__eq__(self, other)
                and self.codes == getattr(other, "codes", frozenset())
                and self.contrast == getattr(other, "contrast", frozenset()))

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((frozenset(self), self.codes, self.contrast))


def study_disease_keys(grounder: Grounder,
                       samples: Iterable[Mapping[str, str]]) -> frozenset[str]:
    """The keys that hold a control word in a sample of one study and name a disease in
    another (empty for most studies: only keys holding a control word are read), and the
    study's codes negating its disease under such a key (``StudyKeys.codes``)."""
    if not ON:
        return frozenset()
    samples = list(samples)
    among = frozenset(norm_key(k) for attrs in samples for k in control_keys(grounder, attrs))
    out: set[str] = set()
    if among:
        for attributes in samples:
            out |= disease_keys(grounder, attributes, among)
    codes = negated_codes(grounder, samples) if NEGATED_CODES_ON else frozenset()
    keys = StudyKeys(out | {k for k, _ in codes})
    keys.codes = codes
    if CONTRAST_ON:
        keys.contrast = contrast_keys(grounder, samples)
    return keys


def group_axis(key: str) -> bool:
    """Whether a key names a study's groups: a disease key (not one of the specimen's) or one
    of ``words/group_keys.tsv`` ('group', 'condition', 'phenotype')."""
    n = norm_key(key)
    return not specimen_key(key) and (n in GROUP_KEYS or key_role(key) == "disease")


def contrast_keys(grounder: Grounder, samples: list[Mapping[str, str]]) -> frozenset[str]:
    """The group keys (:func:`group_axis`) under which some samples of a study name a disease
    and others name none (rule ``contrast_group``)."""
    named: set[str] = set()
    unnamed: set[str] = set()
    for attrs in samples:
        for k, v in sample_pairs(attrs):
            if not group_axis(k):
                continue
            tid = _names(grounder, k, v)
            (named if tid not in (None, HEALTHY) else unnamed).add(norm_key(k))
    return frozenset(named & unnamed)


def negated_codes(grounder: Grounder, samples: list[Mapping[str, str]]
                  ) -> frozenset[tuple[str, str]]:
    """The ``(key, value)`` group codes of a study that negate a disease its other samples
    name under the same key ('status: ND' beside 'status: T2D'; rule ``negated_codes``); a
    code that names a disease itself is none."""
    coded = {(norm_key(k), v) for attrs in samples for k, v in _coded(attrs)}
    if not coded:
        return frozenset()
    keys = {k for k, _ in coded}
    named: dict[str, set[tuple[str, str]]] = {}
    for attrs in samples:
        for k, v in sample_pairs(attrs):
            if norm_key(k) not in keys:
                continue
            tid = _names(grounder, k, v)
            if tid not in (None, HEALTHY) and (info := grounder.lexicon.term(tid)) is not None:
                named.setdefault(norm_key(k), set()).add((v, info.label))
    return frozenset((k, code) for k, code in coded
                     if _names(grounder, k, code) is None
                     and any(negates(code, v, label) for v, label in named.get(k, ())))


def negates(code: str, value: str, label: str) -> bool:
    """Whether a code written 'N' and capitals negates the disease a value names under the
    same key by its letters: the value's last letters ('ND' beside 'T2D', 'NF' beside 'HF') or
    the initials of words of the disease's name ('ND' beside 'type 2 diabetes mellitus'), a
    control's 'C' perhaps after them ('NDC' beside 'AD').

    >>> negates("ND", "T2D", "type 2 diabetes mellitus"), negates("NF", "DCM", "cardiomyopathy")
    (True, False)
    """
    m = _NEGATED_CODE.fullmatch(code.strip())
    if m is None:
        return False
    rest = m.group(1)
    tails = {rest} | ({rest[:-1]} if len(rest) > 1 and rest.endswith("C") else set())
    letters = "".join(c for c in value if c.isalpha()).upper()
    initials = "".join(w[0] for w in normalize(label).split() if w.isalpha()).upper()
    return any(letters.endswith(t) or t in initials for t in tails)


def control_keys(grounder: Grounder, attributes: Mapping[str, str]) -> list[str]:
    """The keys of a sample whose whole value is a healthy-state name ("control", "HC",
    "unaffected": the lexicon's names of ``PATO:0000461``), which the study is then asked
    about (a dictionary lookup per value: this runs for every sample)."""
    if not ON:
        return []
    return [k for k, v in sample_pairs(attributes) if is_control(grounder, v)]


def group_keys(grounder: Grounder, attributes: Mapping[str, str]) -> list[str]:
    """The keys of a sample its study is asked about: those holding a control word
    (:func:`control_keys`) or a code that may negate a disease ('ND'; rule ``negated_codes``)."""
    coded = [k for k, _ in _coded(attributes)] if NEGATED_CODES_ON else []
    return control_keys(grounder, attributes) + coded


def _coded(attributes: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of a sample whose value is written as a code that may negate
    a disease ('ND'), the value stripped."""
    return [(k, code) for k, v in sample_pairs(attributes)
            if _NEGATED_CODE.fullmatch(code := v.strip())]


def reads_key(key: str, value: str, keys: frozenset[str]) -> bool:
    """Whether ``{key: value}`` holds one of ``keys`` (:func:`norm_key` form) as this stage
    compares keys (a pair written inside the value counts)."""
    return any(norm_key(k) in keys for k, _ in sample_pairs({key: value}))


def is_control(grounder: Grounder, value: str) -> bool:
    """Whether a value is wholly a healthy-state name, perhaps with the sample's number
    ("Control_2"), or names diseases only to deny them ("non-diabetic donor", "HIV-negative
    donor": the negation rules' reading)."""
    if len(value) > 200:
        return False
    norm = normalize(value)
    key = (grounder.lexicon.version, norm)
    if key not in _CONTROL:
        if len(_CONTROL) > 100_000:
            _CONTROL.clear()
        toks = set(norm.split())
        lex = grounder.lexicon
        _CONTROL[key] = (
            names_healthy(lex, value)
            or (bool(toks & _DENIALS) and only_negated(lex, "disease", value))
            or (any(t.isdigit() for t in toks)
                and healthy_anatomy(lex, value, anatomy=False))  # "Control_2"
            or ruled_out_word(lex, value)  # "non-failing" beside "DCM"
            or (CODES_ON and control_code(lex, value)))  # "CTRL_BX_07", "HC4_PBMC"
    return _CONTROL[key]


def control_code(lex: Lexicon, value: str) -> bool:
    """Whether a value is one identifier (no spaces) one of whose runs of letters is a name
    of the healthy state ('CTRL_BX_07', 'HC4_PBMC', 'Ctrl4-NPC'; rule ``control_codes``):
    submitters code a study's groups in their sample names."""
    value = value.strip()
    if not value or len(value) > MAX_CODE_CHARS or any(c.isspace() for c in value):
        return False
    return any(names_healthy(lex, part) for part in _LETTERS.findall(value))


_CONTROL: dict[tuple[str, str], bool] = {}
#: The healthy-state name a study's negating code is read as.
CONTROL_NAME = "control"
#: Words of the negation triggers: a value without one of them denies nothing.
_DENIALS = frozenset(w for trig in (*BEFORE, *AFTER) for w in trig)


def with_study_controls(grounder: Grounder, anns: list[Annotation],
                        attributes: Mapping[str, str], keys: frozenset[str]) -> list[Annotation]:
    """``anns`` with the disease read from one of the sample's ``keys`` (those holding a
    control word in one sample of the study and naming a disease in another) when the sample
    names no disease: a control word there is the healthy state, and any other value is read
    as a disease field, as its study reads it ("group: PD" beside "group: control": a two-letter
    abbreviation a scanned key does not trust alone)."""
    contrast = getattr(keys, "contrast", frozenset())
    if not ON or not (keys or contrast) or any(a.facet == "disease" and a.term_id for a in anns):
        return anns
    # a named line's samples are coded by what was done to them, not by a donor's group
    line = any(a.facet == "cell_line" and a.term_id for a in anns)
    for key, value in sample_pairs(attributes):
        if norm_key(key) not in keys:
            continue
        ann = grounder.decide_value("disease", value, key)
        negated = (norm_key(key), value.strip()) in getattr(keys, "codes", ())
        if negated and (ann is None or ann.term_id is None):  # 'ND' beside 'T2D'
            ann = grounder.decide_value("disease", CONTROL_NAME, "disease")
            ann = replace(ann, source_key=key, source_text=value) if ann is not None else None
        coded = (title_code(grounder, value, attributes)
                 if norm_key(key) in TITLE_KEYS and not line
                 and (ann is None or ann.term_id is None) else None)
        if coded is not None:  # 'PCOS_11' beside 'Ctrl_03': the study's patients
            ann = replace(coded, source_key=key, source_text=value)
        if (ann is None or ann.term_id is None) and is_control(grounder, value):
            # a control the key's class does not read ('group: non-failing'): as the study's
            # disease field reads it
            ann = grounder.decide_value("disease", value, "disease")
            if ann is not None and ann.term_id not in (None, HEALTHY):
                ann = None  # a control's code read as a disease ('PD-NSC_ctrl'): its other run
            if (ann is None or ann.term_id is None) and CODES_ON:
                # a sample code ('CTRL_EC_11', 'HC4_PBMC'): its run naming a control; not
                # 'normal', which a code also gives a specimen beside a tumour ('Pt1_normal')
                run = next((p for p in _LETTERS.findall(value)
                            if (p.lower() in CONTROL_WORDS or (p.isupper() and len(p) <= 3))
                            and names_healthy(grounder.lexicon, p)), None)
                ann = grounder.decide_value("disease", run, "disease") if run else ann
            ann = replace(ann, source_key=key, source_text=value) if ann is not None else None
        if ann is None or ann.term_id is None or (ann.term_id == HEALTHY and not negated and (
                not is_control(grounder, value) or specimen_key(key))):
            continue  # a normal specimen ('tissue type: Normal') is no healthy donor
        rule = ("title_codes" if coded is not None else
                "negated_codes" if negated else "study_controls")
        return _taken(anns, ann, rule)
    if contrast - keys and not line:  # a study naming its control has no other healthy arm
        return _contrasted(grounder, anns, attributes, contrast - keys)
    return anns


def _contrasted(grounder: Grounder, anns: list[Annotation], attributes: Mapping[str, str],
                contrast: frozenset[str]) -> list[Annotation]:
    """``anns`` with the healthy state read from a value under a study's group key that names
    no disease where the study's other samples name one ('condition: normotensive' beside
    'condition: preeclampsia'; rule ``contrast_group``): the study's comparison group. Not
    under a key holding the study's own control word ('group: control' beside 'group:
    tamoxifen': the other arms may be treated patients; the caller leaves those keys out). Not a
    placeholder ('n/a'), nor a dose or a time ('tamoxifen 24h': a treated arm), nor a value
    holding a code the lexicon gives some disease ('relapsed MM', which a group key does not
    trust alone). A code alone counts ('PN' beside 'ALS': pathologically normal)."""
    for key, value in sample_pairs(attributes):
        if (norm_key(key) not in contrast or is_null(value) or _DIGIT.search(value)
                or _names(grounder, key, value)):
            continue
        if any(grounder.lexicon.lookup("disease", normalize(code))
               for code in _CAPITALS.findall(value)):
            continue
        ann = grounder.decide_value("disease", CONTROL_NAME, "disease")
        if ann is None or ann.term_id != HEALTHY:
            return anns
        conf = grounder.prior_confidence(CONTRAST_EVIDENCE)
        status = "accepted" if conf >= grounder.calibration.accept else "needs_review"
        return _taken(anns, replace(ann, source_key=key, source_text=value, confidence=conf,
                                    status=status), "contrast_group")
    return anns


def _taken(anns: list[Annotation], ann: Annotation, rule: str) -> list[Annotation]:
    """``anns`` with the disease ``ann`` that ``rule`` read in place of an unmapped one: its
    method 'rule' (the warehouse keeps the method, not the features) and its top candidate
    marked, so that explain shows why it became the healthy state."""
    ann = replace(ann, method="rule", candidates=(
        (taken_by(ann.candidates[0], rule), *ann.candidates[1:]) if ann.candidates else ()))
    return [a for a in anns if not (a.facet == "disease" and a.term_id is None)] + [ann]


_DIGIT = re.compile(r"\d")
#: A code of capitals in a value ('MM' of 'relapsed MM').
_CAPITALS = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z]*[A-Z](?![A-Za-z])")


def _names(grounder: Grounder, key: str, value: str) -> str | None:
    """The term a ``key: value`` pair names as a disease field (``None``: nothing, or below
    the facet's emit threshold)."""
    ann = grounder.decide_value("disease", value, key)
    if ann is None or ann.term_id is None:
        return None
    return ann.term_id


def study_note(grounder: Grounder, facet: str, text: str, key: str,
               ann: Annotation) -> str | None:
    """For ``harmonize explain``: what this stage would make of a value read alone (an
    explanation of one value cannot see its study, so it says what the study would change)."""
    if facet != "disease" or ann.term_id == HEALTHY or not is_control(grounder, text):
        return None
    return (f"alone this says nothing of the donor's health; beside samples of the same study "
            f"whose {key!r} names a disease it is {HEALTHY} normal (rule study_controls: "
            "`map` reads the records of one \"series\" together, the warehouse those of one "
            "GEO series, SRA study or BioProject)")
