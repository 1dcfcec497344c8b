"""A study's disease named by its controls' denial of it (rule ``denied_by_controls``).

A study of a disease names its controls by what they lack: 'non-CF', 'nondiabetic',
'HIV-negative'. The cases are often named by nothing a matcher reads: a code with a digit that
bag-of-words preprocessing drops ('T2D', 'COVID-19'), a drug, a stage or a patient number. When
some samples of a study deny one disease and name no other, the study is of that disease: its
samples that neither deny it nor name a disease of their own are read as having it, no more
confidently than a disease a value names only weakly (``WEAK_CAP``): the sample itself never
names it, and a denied 'diabetic' or 'demented' says the study's cases have some kind of the
disease, not which. The denial is read by the negation rules' own triggers
(``words/negation_triggers.tsv``: a prefix, or a word after the name); a denied tumour
describes a specimen, not a control ('tumour-free margin': ``words/specimen_diseases.tsv``),
and a study whose samples name a disease of their own needs nothing read for it (its
cases are named; a control's denial is then a detail of that donor: 'non-diabetic donor' in a
study of liver tumours).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from harmonize.ground.group_words import (
    MIN_STUDY,
    GroupWords,
    disease_annotation,
    study_members,
)
from harmonize.ground.lexicon import HEALTHY
from harmonize.ground.mentions import ABBREVIATION_KINDS, SPECIMEN_DISEASES, unglued_non
from harmonize.ground.negation import AFTER, PREFIXES
from harmonize.ground.normalize import tokens
from harmonize.ground.rules import enabled
from harmonize.models import Annotation

#: The rule's switch, read once.
ON = enabled("denied_by_controls")
#: One-word triggers: a prefix before the name, a word after it.
_BEFORE = frozenset(t[0] for t in PREFIXES if len(t) == 1)
_AFTER = frozenset(t[0] for t in AFTER if len(t) == 1)


def denied_words(reader: GroupWords, attributes: Mapping[str, str], text: str | None
                 ) -> dict[str, tuple[str, str]]:
    """Each word a sample's values or text deny by a one-word trigger ('non cf', 'hiv
    negative'; 'nondiabetic' is 'non diabetic') -> the (key, value) it was read in."""
    names = reader.lexicon.names.get("disease", {})
    pairs = [(k, v) for k, v in attributes.items() if isinstance(v, str)]
    if text:
        pairs.append(("text", text))
    out: dict[str, tuple[str, str]] = {}
    for key, value in pairs:
        toks = unglued_non(names, tokens(value))
        for i, tok in enumerate(toks):
            if tok in _BEFORE and i + 1 < len(toks):
                out.setdefault(toks[i + 1], (key, value))
            elif tok in _AFTER and i > 0:
                out.setdefault(toks[i - 1], (key, value))
    return out


def denied_disease(reader: GroupWords, word: str, places: frozenset[str]) -> str | None:
    """The one disease a denied ``word`` names: by name (the broadest of one lineage), else as
    the abbreviation of one disease of an organ among ``places``, else of the one disease it
    abbreviates at all (a denial says it is a disease's); no tumour (a specimen's denial)."""
    lex = reader.lexicon
    entries = [(tid, kind) for tid, kind in lex.lookup("disease", word) if tid != HEALTHY]
    named = [tid for tid, kind in entries if kind not in ABBREVIATION_KINDS]
    if named:
        found = reader.broadest(named)
    else:
        found = reader.organ_disease(word, places) if places else None
        if found is None:
            found = reader.broadest(list(reader.all_expansions(word)))
    if found is None or any(found == c or lex.is_ancestor(c, found) for c in SPECIMEN_DISEASES):
        return None
    return found


def with_denied_diseases(annotations: Sequence[list[Annotation]],
                         samples: Sequence[tuple[Mapping[str, str], str | None]],
                         studies: Sequence[str | None], reader: GroupWords,
                         confidence: float, accept: float) -> list[list[Annotation]]:
    """``annotations`` (one list per sample) with the disease a study's controls deny added,
    at ``confidence`` (accepted from ``accept`` up), to the study's samples that neither deny
    it nor name a disease."""
    out = [list(a) for a in annotations]
    if not ON:
        return out
    lex = reader.lexicon
    for given in study_members(studies).values():
        if len(given) < MIN_STUDY or any(_names_disease(out[i], healthy=False) for i in given):
            continue  # a study naming its cases' disease: a denial is a donor's detail
        # a control may already be read as healthy ('non-diabetic donor')
        denied = {i: denied_words(reader, *samples[i]) for i in given}
        named = {i for i in given if _names_disease(out[i])}
        places = reader.places(a.term_id for i in given for a in out[i]
                               if a.facet == "tissue" and a.term_id)
        for word in sorted({w for d in denied.values() for w in d}):
            disease = denied_disease(reader, word, places)
            cases = [i for i in given if i not in named and word not in denied[i]
                     and _says_something(samples[i])]
            if disease is None or not cases:
                continue
            source = next(d[word] for d in denied.values() if word in d)
            for i in cases:
                out[i] = disease_annotation(out[i], lex, disease, word, source, confidence,
                                            accept, "denied_by_controls")
            break  # the study's one disease
    return out


def _names_disease(anns: Iterable[Annotation], healthy: bool = True) -> bool:
    """Whether a sample names a disease (or, with ``healthy``, the healthy state)."""
    return any(a.facet == "disease" and a.term_id and (healthy or a.term_id != HEALTHY)
               for a in anns)


def _says_something(sample: tuple[Mapping[str, str], str | None]) -> bool:
    """Whether a sample has any text or value (a record that says nothing is no case)."""
    attributes, text = sample
    return bool((text or "").strip()) or any(
        isinstance(v, str) and v.strip() for v in attributes.values())


__all__ = ["denied_disease", "denied_words", "with_denied_diseases"]
