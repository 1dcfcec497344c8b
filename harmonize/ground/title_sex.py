"""A sex a study codes in its sample titles (rule ``title_sex_code``).

Submitters often name samples by a code whose parts are the design: 'BX_K_04_M',
'P7-tumour-F', 'ctrl.2.M'. When, in every titled sample of a study, the part at one place of the
title (counted from its start or from its end) is a lone 'M' or 'F', both letters occur, and no
sample states a sex the letter contradicts, that part is the donor's sex: samples that state
none take it. A study of fewer than ``MIN_SAMPLES`` titles, or whose titles hold two such
places that disagree, says nothing, nor does a family study whose probands' code ('P') sits
beside its mothers' and fathers' 'M' and 'F'; a study of mothers and fathers alone so coded
would be misread (none of the blind sets holds one).

The annotation's confidence is the sex facet's cautious prior for evidence no fit has seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from harmonize.ground.compose import taken_by
from harmonize.ground.fields import TITLE_KEYS as TEXT_KEYS
from harmonize.ground.fields import norm_key
from harmonize.ground.organ_sex import FEMALE, MALE, states_sex
from harmonize.ground.rules import enabled
from harmonize.models import Annotation, Candidate

ON = enabled("title_sex_code")
#: The kind of evidence a study's title code is (its confidence: the cautious prior of the kind).
TITLE_SEX_EVIDENCE = "sex/title/code"
#: The letters read, and the sex each codes.
LETTERS = {"m": MALE, "f": FEMALE}
#: Keys holding a sample's title (an SRA BioSample's): the title keys of ``title_keys.tsv``,
#: not its description keys; a GEO record's title is its text's first line.
TITLE_KEYS = frozenset(k for k in TEXT_KEYS if "title" in k.split())
#: A study codes a sex in its titles only when at least this many samples are titled.
MIN_SAMPLES = 4
#: A title is one short line; longer text is a description or a bag of words.
MAX_TITLE = 80
_PARTS = re.compile(r"[^A-Za-z0-9]+")


def title_of(attributes: Mapping[str, str], text: str | None) -> str | None:
    """A sample's title: the value of a title key, else the first line of its text."""
    for key, value in attributes.items():
        if isinstance(value, str) and norm_key(key) in TITLE_KEYS and value.strip():
            return value.strip()
    first = (text or "").strip().split("\n", 1)[0].strip()
    return first if first and len(first) <= MAX_TITLE else None


def coded_sexes(titles: Sequence[str]) -> list[str] | None:
    """Per title, the sex its coded place gives, or None when no one place of every title is
    a lone 'M' or 'F' with both letters among them (or two such places disagree).

    >>> got = coded_sexes(["BX_K_04_M", "BX_K_09_F", "BX_L_01_M", "BX_L_06_F"])
    >>> got == [MALE, FEMALE, MALE, FEMALE]
    True
    >>> coded_sexes(["T1_M", "T2_M", "T3_M", "T4_M"]) is None  # one letter codes nothing
    True
    """
    split = [[p for p in _PARTS.split(t) if p] for t in titles]
    if len(split) < MIN_SAMPLES or not all(split):
        return None
    readings: set[tuple[str, ...]] = set()
    width = min(len(parts) for parts in split)
    for place in [*range(width), *range(-width, 0)]:
        letters = [parts[place].lower() for parts in split]
        if all(x in LETTERS for x in letters) and len(set(letters)) == 2:
            readings.add(tuple(LETTERS[x] for x in letters))
    return list(readings.pop()) if len(readings) == 1 else None


def with_title_sex(annotations: Sequence[list[Annotation]],
                   samples: Sequence[tuple[Mapping[str, str], str | None]],
                   studies: Sequence[str | None], confidence: float, accept: float,
                   version: str | None = None) -> list[list[Annotation]]:
    """``annotations`` (one list per sample) with the sex the study's title codes give
    (:func:`coded_sexes`) added to samples that state none, when no sample that states one
    disagrees."""
    out = [list(a) for a in annotations]
    if not ON:
        return out
    members: dict[str, list[tuple[int, str]]] = {}
    for i, ((attrs, text), study) in enumerate(zip(samples, studies)):
        title = title_of(attrs, text) if study else None
        if title:
            members.setdefault(study or "", []).append((i, title))
    for titled in members.values():
        sexes = coded_sexes([t for _, t in titled])
        if sexes is None or _contradicted(out, titled, sexes):
            continue
        for (i, title), sex in zip(titled, sexes):
            if not states_sex(out[i]):
                out[i] = [*out[i], _annotation(sex, title, confidence, accept, version)]
    return out


def _contradicted(annotations: Sequence[list[Annotation]], titled: list[tuple[int, str]],
                  sexes: list[str]) -> bool:
    """Whether a sample's stated sex differs from its title's."""
    return any(a.facet == "sex" and a.term_id in (FEMALE, MALE) and a.term_id != sex
               for (i, _), sex in zip(titled, sexes) for a in annotations[i])


def _annotation(sex: str, title: str, confidence: float, accept: float,
                version: str | None) -> Annotation:
    """The sex annotation read from a title's code."""
    label = "female" if sex == FEMALE else "male"
    cand = taken_by(Candidate(term_id=sex, term_label=label, method="rule", matched_text=title,
                              match_kind="title_code", similarity=1.0), "title_sex_code")
    return Annotation("sex", sex, label, confidence, "rule",
                      "accepted" if confidence >= accept else "needs_review", "title", title,
                      (cand,), version)
