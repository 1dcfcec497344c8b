"""A cell line's sex, as the ontologies record it (rule ``line_sex``).

A sample of a named cell line is of the sex of the person the line came from: a HeLa sample
is a woman's cells, a LNCaP one a man's, whatever the record says of a donor (usually
nothing). Cellosaurus records every line's sex; its OBO release files each line in a subset
named for it (``subset: Female``), which a user-supplied release keeps
(``ontologies/words/cellosaurus_sexes.tsv`` names the subsets). The packaged Cellosaurus has
names only, so without a release the sex Cellosaurus records for widely used lines is shipped
as data (``ontologies/words/line_sexes.tsv``, also for a derived line named after one), and
any other line's sex is read from what EFO says of the line of the same name
(:func:`harmonize.ground.line_disease.line_disease_texts`): its description
('established from ... a 69-year-old woman') and its classes, when they name an organ or a
disease only one sex has ('prostate derived', 'cervical carcinoma': the classes of
:mod:`harmonize.ground.organ_sex`). Every source that says a sex must say the same one.

A sex the sample states is never overridden (a line's Y chromosome may be lost; the record
may know better); the annotation is as sure as the line was read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from harmonize.ground.line_disease import parent_line, parent_words
from harmonize.ground.organ_sex import (
    FEMALE,
    MALE,
    agreed_sex,
    class_sex,
    states_sex,
    with_sex_of,
)
from harmonize.ground.rules import choices, enabled
from harmonize.models import Annotation, accepted

if TYPE_CHECKING:
    from harmonize.ground.lexicon import Lexicon

ON = enabled("line_sex")
#: The term ids the ontologies' words of a line name (its organ, its disease), and the sex
#: a text names (``None``: none, or both).
ReadTerms = Callable[[str], Iterable[str]]
ReadSex = Callable[[str], str | None]
#: EFO writes an organ class of lines as the organ's name and this word ('prostate derived').
_DERIVED = " derived"


def cellosaurus_sexes(subsets: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Per Cellosaurus id, the sex its release's subsets give (``subsets``: id -> subset
    names; a line filed under two sexes, or under none, is left out)."""
    named = {r["subset"].lower(): r["sex"] for r in choices(
        "cellosaurus_sexes", "sex", frozenset({FEMALE, MALE}))}
    out: dict[str, str] = {}
    for tid, names in subsets.items():
        sexes = {named[s.lower()] for s in names if s.lower() in named}
        if len(sexes) == 1:
            out[tid] = sexes.pop()
    return out


def listed_sexes(known: Iterable[str]) -> dict[str, str]:
    """Per Cellosaurus id, the sex ``line_sexes.tsv`` lists for it (only ids in ``known``, the
    Cellosaurus loaded: a row of another release's id must not name a line it does not have)."""
    ids = set(known)
    return {r["line"]: r["sex"] for r in choices("line_sexes", "sex", frozenset({FEMALE, MALE}))
            if r["line"] in ids}


#: Where a line's sex was read (the match kind of its annotation after ``line_sex_``), as
#: ``harmonize explain`` says it.
SOURCES = {
    "cellosaurus": "the sex Cellosaurus records for the line (a release you supplied, else the "
                   "shipped list ontologies/words/line_sexes.tsv)",
    "efo": "what EFO says of the line (its description, or a class of one sex)",
    "parent_cellosaurus": "the sex Cellosaurus records for the line it was derived from (a "
                          "release you supplied, else the shipped list)",
    "parent_efo": "what EFO says of the line it was derived from",
}
#: A line's sex and where it was read (a key of :data:`SOURCES`).
LineSex = tuple[str, str]


def line_sex(lex: Lexicon, line_id: str, label: str, read_sex: ReadSex, read_terms: ReadTerms
             ) -> LineSex | None:
    """The sex of line ``line_id`` (named ``label``) and where it was read: the Cellosaurus
    release's or the listed one, else the one sex EFO's description and classes of the line
    say, else those of the parent a derived line is named after (its listed sex first);
    ``None`` when they say none or disagree."""
    if line_id in lex.line_sexes:
        return lex.line_sexes[line_id], "cellosaurus"
    words, source = lex.line_words.get(line_id), "efo"
    if not words:
        if (parent := parent_line(lex, label, lex.line_sexes)) is not None:
            return parent, "parent_cellosaurus"
        words, source = parent_words(lex, label), "parent_efo"
    if not words:
        return None
    classes, description, _ = words
    said = {read_sex(description)} if description else set()
    for name in classes:
        organ = name[:-len(_DERIVED)] if name.endswith(_DERIVED) else name
        said |= {class_sex(lex, tid) for tid in read_terms(organ)}
    said.discard(None)
    return (said.pop(), source) if len(said) == 1 else None


def with_line_sex(annotations: list[Annotation], lex: Lexicon,
                  sex_of: Callable[[str, str], LineSex | None]) -> list[Annotation]:
    """``annotations`` with the sex of the sample's accepted cell line added when the sample
    states none (``sex_of(line id, label)``: :func:`line_sex`); its match kind says where the
    sex was read (``line_sex_<source>``)."""
    if not ON or states_sex(annotations):
        return annotations
    line = accepted(annotations, "cell_line")
    if line is None:
        return annotations
    found = sex_of(line.term_id or "", line.term_label or "")
    if found is None:
        return annotations
    sex, source = found
    return with_sex_of(annotations, lex, line, sex, "line_sex", f"line_sex_{source}")


def source_said(match_kind: str) -> str | None:
    """Where a line's sex was read, in words, from its annotation's match kind (None for
    another kind)."""
    prefix = "line_sex_"
    return SOURCES.get(match_kind[len(prefix):]) if match_kind.startswith(prefix) else None


#: Rule stated_line_sex: a line's sex as the study's samples of it state it.
STATED_ON = enabled("stated_line_sex")


def with_stated_line_sex(annotations: Sequence[list[Annotation]], lex: Lexicon,
                         studies: Sequence[str | None]) -> list[list[Annotation]]:
    """``annotations`` (one list per sample) with the sex the samples of a cell line in one
    study state added to the study's samples of that line that state none (rule
    ``stated_line_sex``): a line is one person's cells, and a submitter often writes its sex on
    one sample and not the next. Only a sex the samples state themselves counts (not one a rule
    read from the line, an organ or a disease), only when every such sample states the same,
    and never across studies (another submitter's slip must not travel: a colon line written
    'female' once); as sure as the line and the surest of those sexes."""
    out = [list(a) for a in annotations]
    if not STATED_ON:
        return out
    lines: dict[tuple[str, str], list[tuple[int, Annotation]]] = {}
    for i, (anns, study) in enumerate(zip(out, studies)):
        line = accepted(anns, "cell_line")
        if study and line is not None and line.term_id:
            lines.setdefault((study, line.term_id), []).append((i, line))
    for members in lines.values():
        surest = agreed_sex(out, [i for i, _ in members],
                            lambda a: a.method != "rule" and a.term_id in (FEMALE, MALE))
        if surest is None:
            continue
        for i, line in members:
            if not states_sex(out[i]):
                source = replace(line, confidence=min(line.confidence, surest.confidence))
                out[i] = with_sex_of(out[i], lex, source, surest.term_id or "",
                                     "stated_line_sex", "stated_line_sex")
    return out
