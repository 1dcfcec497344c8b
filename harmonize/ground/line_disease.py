"""A cell line's disease, as the ontologies record it (rule ``line_disease``).

A sample of a named cell line whose record says nothing of a disease has the disease of the
line: a HeLa sample is a cervical carcinoma's cells. The packaged Cellosaurus has names only,
but EFO classes the cell lines it knows by disease ('breast adenocarcinoma cell line') and
describes them ('Human prostate carcinoma, established from ...'). At build time the lexicon
keeps those words for each Cellosaurus line EFO names alike (:func:`line_disease_texts`); the
grounder reads them as disease text when a sample's line is decided (:func:`line_disease`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from harmonize.ground.lexicon import HEALTHY
from harmonize.ground.normalize import compact
from harmonize.ground.rules import enabled, identified
from harmonize.models import Annotation, Candidate, accepted

if TYPE_CHECKING:
    from harmonize.ground.lexicon import Lexicon
    from harmonize.ontology.model import OntologyData

T = TypeVar("T")

#: An EFO class of cell lines named by what they have in common ('lung cancer cell line').
LINE_CLASS = re.compile(r"(.+?) cell lines?", re.IGNORECASE)
#: Where Cellosaurus joins a derived line's tag to its parent's name (kept by ``split``).
_SEPARATOR = re.compile(r"([\s/_()-]+)")
#: A line's name as EFO writes it ('MCF-7 cell'), the word 'cell' aside.
_CELL_SUFFIX = re.compile(r"\s+cells?$", re.IGNORECASE)
#: A disease with more descendants than this names no line's disease ('cancer': every line of
#: a cancer class is one); such a line is given no disease.
GENERIC_DESCENDANTS = 2000
#: Reads a text's disease candidates, best first.
ReadDiseases = Callable[[str], list[Candidate]]
#: Confidence of a line's disease read so: the share of such diseases that were the gold's own
#: term on three blind sets of invented GEO records written by others (E, G, J: 29 of 70; the
#: rest were broader or narrower terms of it, never unrelated ones, as EFO often names the
#: organ's cancer class where Cellosaurus names the histology). With the sublines' classes
#: 43 of 77 there, 93 of 188 on the thirteen blind sets read so far: kept, as the mix of lines
#: differs from set to set. No dev file holds a line's disease to fit it on; below the accept
#: threshold, so such a disease is for review.
CONFIDENCE = 0.4
#: What a disease read from the ontologies' words of a line matches as (shown by explain).
MATCH_KIND = "line_disease"
#: What a disease the shipped list gives a line (or the line it was derived from) matches as.
LISTED_KIND = "line_disease_cellosaurus"
#: The kind of evidence a listed line's disease is (its confidence: the cautious prior of it).
LISTED_EVIDENCE = "disease/line/cellosaurus"
#: Where a line's disease was read, by its annotation's match kind, as ``harmonize explain``
#: says it.
SOURCES = {
    LISTED_KIND: "the disease Cellosaurus records for the line, or for the line it was derived "
                 "from (the shipped list ontologies/words/line_diseases.tsv)",
    MATCH_KIND: "what EFO says of the line (its classes and its description)",
}


def source_said(match_kind: str) -> str | None:
    """Where a line's disease was read, in words, from its annotation's match kind (None for
    another kind)."""
    return SOURCES.get(match_kind)


def listed_diseases(lines: Iterable[str], diseases: Iterable[str]) -> dict[str, str]:
    """Per Cellosaurus id, the disease ``line_diseases.tsv`` lists for it (rule
    ``line_disease_listed``): only ids in ``lines`` and diseases in ``diseases``, the
    ontologies loaded (a row of another release's id must not name a line it lacks).

    Raises:
        ConfigError: a row whose line or disease is no Cellosaurus or MONDO id (a name
            written there), naming the file and the row.
    """
    if not enabled("line_disease_listed"):
        return {}
    lines, diseases = set(lines), set(diseases)
    identified("line_diseases", "line", "CVCL")
    return {r["line"]: r["disease"] for r in identified("line_diseases", "disease", "MONDO")
            if r["line"] in lines and r["disease"] in diseases}


#: What EFO says of one line: the names of its classes without 'cell line', closest first,
#: its description, and the names of the classes of the lines EFO derives from it that it is
#: not in itself (a subline is the same tumour's cells: 'HeLa M' is classed more finely than
#: HeLa).
LineWords = tuple[tuple[str, ...], str, tuple[str, ...]]


def line_disease_texts(efo: OntologyData, cvcl: OntologyData) -> dict[str, LineWords]:
    """Per Cellosaurus id, the words EFO has for the disease of the line it names alike
    (pure). A name two Cellosaurus lines share gives neither."""
    by_name: dict[str, list[str]] = {}
    for tid, t in cvcl.terms.items():
        if not t.obsolete:
            by_name.setdefault(compact(t.label), []).append(tid)
    classes: dict[str, tuple[str, ...]] = {}
    for tid, t in efo.terms.items():
        named = tuple(m.group(1) for a, _ in sorted(t.ancestors.items(), key=lambda x: x[1])
                      if a in efo.terms and (m := LINE_CLASS.fullmatch(efo.terms[a].label)))
        if named and not t.obsolete:  # a cell line
            classes[tid] = named
    derived: dict[str, list[str]] = {}
    for tid in sorted(classes):
        for parent in efo.terms[tid].ancestors:
            if parent in classes:
                derived.setdefault(parent, []).extend(
                    c for c in classes[tid] if c not in classes[parent])
    out: dict[str, LineWords] = {}
    for tid, named in classes.items():
        t = efo.terms[tid]
        for name in sorted({t.label, *(s for s, _ in t.synonyms)}):
            ids = by_name.get(compact(_CELL_SUFFIX.sub("", name)), [])
            if len(ids) == 1:
                out.setdefault(ids[0], (named, t.definition,
                                        tuple(dict.fromkeys(derived.get(tid, ())))))
    return out


def line_disease(lex: Lexicon, words: LineWords, read: ReadDiseases) -> Candidate | None:
    """The disease a line's ontology ``words`` name: the closest class naming one, made as
    specific as the description names a disease below the classes' diseases (a line classed
    only as a cancer line, or as a 'lymphoma or leukaemia' line, takes the description's first
    disease below that). ``None`` for a line no class gives a disease, a line classed as normal
    (its description may still name the virus that immortalised it) or one whose disease is
    only generic. Without such a description, the classes of the lines EFO derives from it
    make it as specific as they all agree ('HeLa M' is classed a cervical adenocarcinoma line,
    HeLa only a cervical carcinoma one). ``read(text)`` gives a text's disease candidates, best
    first."""
    classes, description, derived = words
    found = [read(text) for text in classes]
    if any(c.term_id == HEALTHY for cands in found for c in cands):
        return None  # 'normal cell line'
    said = [c for cands in found for c in cands if c.term_id.startswith("MONDO:")]
    if not said:
        return None
    base = next((named[0] for cands in found if (named := _diseases(lex, cands)) is not None),
                None)
    if base is not None and _generic(lex, base.term_id):
        base = None
    under = [base] if base is not None else said
    described = [c for c in (read(description) if description else [])
                 if c.term_id.startswith("MONDO:") and any(
                     u.term_id == c.term_id or lex.is_ancestor(u.term_id, c.term_id)
                     for u in under)]
    below = [c for c in described if all(c.term_id != u.term_id for u in under)]
    pick = below[0] if below else (_finest(lex, under, derived, read)
                                   or (described or [base])[0])
    return None if pick is None or _generic(lex, pick.term_id) else pick


def _finest(lex: Lexicon, under: list[Candidate], derived: tuple[str, ...],
            read: ReadDiseases) -> Candidate | None:
    """The disease the classes of a line's sublines name below ``under``, the finest of them
    when they all lie on one lineage (``None`` when they name none or diverge)."""
    found = [c for text in derived for c in read(text) if c.term_id.startswith("MONDO:")
             and any(lex.is_ancestor(u.term_id, c.term_id) for u in under)]
    return next((c for c in found if all(o.term_id == c.term_id
                                         or lex.is_ancestor(o.term_id, c.term_id)
                                         for o in found)), None)


def with_line_disease(annotations: list[Annotation], lex: Lexicon, read: ReadDiseases,
                      accept: float, listed_confidence: float) -> list[Annotation]:
    """``annotations`` plus the disease of the sample's accepted cell line when the sample
    names no disease (nor the healthy state) itself: the one the shipped list gives the line
    (``line_diseases.tsv``, at ``listed_confidence``), else the one EFO's words of it name (at
    :data:`CONFIDENCE`), accepted from ``accept`` up; a disease only suggested from an
    abbreviation inside a longer value gives way to it, unless it is that disease or a kind of
    it."""
    line = accepted(annotations, "cell_line")
    if line is None:
        return annotations
    # an abbreviation inside a longer value, only suggested ('PMA-treated THP-1': a phorbol
    # ester, not progressive muscular atrophy), says less than the ontologies say of the line
    guessed = [a for a in annotations if a.facet == "disease" and _guessed(a)]
    if any(a.facet == "disease" and (a.term_id or a.status == "rejected") and a not in guessed
           for a in annotations):
        return annotations
    top, kind, conf = _listed(lex, line), LISTED_KIND, listed_confidence
    if top is None:
        said = lex.line_words.get(line.term_id or "") or parent_words(lex, line.term_label or "")
        top, kind, conf = (line_disease(lex, said, read) if said else None), MATCH_KIND, CONFIDENCE
    if top is None or any(g.term_id == top.term_id or lex.is_ancestor(top.term_id, g.term_id or "")
                          for g in guessed):
        return annotations  # the guess is the line's disease, or a kind of it ('HNSCC line')
    cand = replace(top, method="rule", match_kind=kind, similarity=1.0, score=0.0,
                   features={"line_disease": 1.0, "conf:line_disease": conf})
    status = "accepted" if conf >= accept else "needs_review"
    return [*(a for a in annotations if a not in guessed),
            Annotation("disease", top.term_id, top.term_label, conf, "rule", status,
                       line.source_key, line.source_text, (cand,), line.lexicon_version,
                       line.source_length)]


def _listed(lex: Lexicon, line: Annotation) -> Candidate | None:
    """The disease the shipped list gives the line, or the line it was derived from ('K-562
    Cas9'), as a candidate (``None``: unlisted)."""
    tid = lex.line_diseases.get(line.term_id or "") or parent_line(
        lex, line.term_label or "", lex.line_diseases)
    info = lex.term(tid) if tid else None
    if info is None:
        return None
    return Candidate(term_id=tid, term_label=info.label, method="rule",
                     matched_text=line.term_label or "", match_kind=LISTED_KIND, similarity=1.0)


def _guessed(a: Annotation) -> bool:
    """Whether a disease annotation is only an abbreviation suggested for review."""
    return (a.status == "needs_review" and bool(a.candidates)
            and a.candidates[0].match_kind == "abbreviation")


def _diseases(lex: Lexicon, found: list[Candidate]) -> list[Candidate] | None:
    """The MONDO diseases of a class name, ``None`` when it names none or several unrelated
    ones ('lymphoma or leukaemia cell line' says neither of the two)."""
    named = [c for c in found if c.term_id.startswith("MONDO:")]
    if not named or any(not (a.term_id == b.term_id or lex.is_ancestor(a.term_id, b.term_id)
                             or lex.is_ancestor(b.term_id, a.term_id))
                        for a in named for b in named):
        return None
    return named


def parent_words(lex: Lexicon, label: str) -> LineWords | None:
    """The words of the line a derived line EFO does not know is named after (see
    :func:`parent_line`)."""
    return parent_line(lex, label, lex.line_words)


def parent_line(lex: Lexicon, label: str, known: Mapping[str, T]) -> T | None:
    """What ``known`` holds for the line a derived line is named after: Cellosaurus names a
    derivative '<parent> <tag>', '<parent>-<tag>', '<parent>/<tag>' or '<parent>(<tag>)'
    ('K-562 Cas9', 'A549-ACE2', 'HeLa/GFP', 'MCF7(Cas9)'); the longest leading part that is
    one line's label ``known`` has (three characters at least) gives it."""
    parts = _SEPARATOR.split(label)  # names and the separators between them
    for n in range((len(parts) + 1) // 2 - 1, 0, -1):  # leading names, the longest first
        key = compact("".join(parts[:n * 2 - 1]))
        if len(key) < 3:
            break
        ids = {tid for tid, kind in lex.compact_names.get(key, ()) if kind == "label"}
        if len(ids) == 1 and (found := known.get(next(iter(ids)))) is not None:
            return found
    return None


def from_line(a: Annotation) -> bool:
    """Whether a disease annotation is a line's disease read by this rule (not the sample's
    own words: the sample-type model does not read it)."""
    return bool(a.candidates) and bool(a.candidates[0].features.get("line_disease"))


def _generic(lex: Lexicon, term_id: str) -> bool:
    info = lex.term(term_id)
    return info is None or info.n_desc > GENERIC_DESCENDANTS
