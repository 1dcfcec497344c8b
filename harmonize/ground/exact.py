"""Exact matcher: dictionary lookup of the normalized value (and its noise-stripped form)."""

from __future__ import annotations

import re

from harmonize.ground.lexicon import KIND_RANK, Lexicon
from harmonize.ground.normalize import PARENTHESIS, compact, fold, normalize, variants
from harmonize.ground.rules import enabled, mapping
from harmonize.models import Candidate

_CELL_WORDS = re.compile(r"\b(cells?|cell lines?|lines?|human)\b")
#: Rule clone_word: 'clone' before a subclone's code, as catalogues write it ('X, clone E6-1'),
#: which Cellosaurus labels leave out ('X E6.1').
_CLONE = re.compile(r"\b(clone|cl)\b\.?") if enabled("clone_word") else None
#: Rule bracket_remark: a value under its facet's key names what it is before a bracket.
_BRACKET = enabled("bracket_remark")


def match_exact(lex: Lexicon, facet: str, text: str, dedicated: bool = True) -> list[Candidate]:
    """Candidates whose name equals the value (cell lines also by compact form).

    Features: ``stripped`` (noise words had to be removed), ``n_same_name`` (terms sharing
    the name: ambiguity), ``kind_rank``. A bare word is read as a cell type's adjective
    ("Endothelial" = endothelial cell) only under a cell-type key (``dedicated``): elsewhere
    "bone" or "plasma" is the tissue, not "bone cell" or "plasma cell".
    """
    out: dict[str, Candidate] = {}
    for i, norm in enumerate(variants(text)):
        entries = lex.lookup(facet, norm)
        for tid, kind in entries:
            _keep(out, lex, tid, kind, norm, stripped=i > 0, n_same=len(entries))
        if out:
            break
    if not out and dedicated and facet in _HEAD_NOUNS and enabled(_HEAD_NOUNS[facet][1]):
        _with_head_noun(out, lex, facet, text)
    if not out and dedicated and facet == "cell_type" and _BRACKET and "(" in text:
        bare = PARENTHESIS.sub(" ", text).strip()
        if bare and bare != text:  # 'naive B (CD19+ IgD+)': the name, its markers aside
            return match_exact(lex, facet, bare)
    if not out and facet == "cell_line":
        key = compact(text)
        if key not in lex.compact_names:  # "HEK-293 cells", "HeLa cell line"
            bare = _CELL_WORDS.sub(" ", fold(text))
            key = compact(bare)
            if key not in lex.compact_names and _CLONE is not None:  # "HeLa, clone S3"
                key = compact(_CLONE.sub(" ", bare))
        entries = lex.compact_names.get(key, ()) if len(key) >= 2 else ()
        norm = normalize(text)
        for tid, kind in entries:
            # a spelling that matches exactly ('HAP1' = 'HAP1') beats one equal only
            # without separators ('HAP1' ~ 'HAP-1')
            same = normalize(lex.terms[tid].label) == norm if tid in lex.terms else False
            _keep(out, lex, tid, kind, key, stripped=not same, n_same=len(entries),
                  compact=True)
    return sorted(out.values(), key=lambda c: -c.similarity)


#: The noun a facet's names end in, and the rule that reads a bare value with it: a cell type
#: named by its adjective alone ("Endothelial" = endothelial cell, rule ``cell_adjective``), a
#: tissue without UBERON's "tissue" ("bone" = bone tissue, rule ``tissue_noun``: UBERON names
#: the bone element and the bone tissue, and neither is plain "bone").
_HEAD_NOUNS = {"cell_type": ("cell", "cell_adjective"), "tissue": ("tissue", "tissue_noun")}


def _with_head_noun(out: dict[str, Candidate], lex: Lexicon, facet: str, text: str) -> None:
    """A value of one or two words looked up with its facet's head noun after it.

    An organ is no cell adjective: "Kidney", "blood", "bone marrow" name tissues, not the CL
    terms "kidney cell", "blood cell", "bone marrow cell"; a tissue whose adjective names a
    cell does ("mesoderm": the mesodermal cell, "epithelium": the epithelial cell).
    """
    noun = _HEAD_NOUNS[facet][0]
    norm = normalize(text)
    if not norm or noun in norm.split() or len(norm.split()) > 2:
        return
    whole = norm
    if facet == "cell_type" and lex.lookup("tissue", norm):
        norm = _adjective(norm)  # 'mesoderm' -> the mesodermal cell; 'kidney' stays an organ
        if not norm:
            return
    entries = lex.lookup(facet, f"{norm} {noun}")
    if not entries and facet == "cell_type" and " " in whole and _kind_of_last(lex, whole):
        norm = norm.rpartition(" ")[2]  # 'definitive endoderm', a kind of endoderm: its cell
        entries = lex.lookup(facet, f"{norm} {noun}")
    for tid, kind in entries:
        _keep(out, lex, tid, kind, f"{norm} {noun}", stripped=True, n_same=len(entries))


def _kind_of_last(lex: Lexicon, norm: str) -> bool:
    """Whether a two-word tissue name names a kind or part of the tissue its last word names
    ('definitive endoderm' of endoderm), so that the last word's cell is the value's too."""
    last = norm.rpartition(" ")[2]
    return any(lex.is_ancestor(b, a) for a, _ in lex.lookup("tissue", norm)
               for b, _ in lex.lookup("tissue", last) if a != b)


def _adjective(norm: str) -> str | None:
    """A tissue's name with its last word made the adjective English makes of it ('mesoderm'
    -> 'mesodermal', 'epithelium' -> 'epithelial'; rule ``tissue_adjective``), or None."""
    head, _, last = norm.rpartition(" ")
    for noun_end, adjective_end in _ADJECTIVE_ENDS.items():
        if last.endswith(noun_end):
            return f"{head} {last[:-len(noun_end)]}{adjective_end}".strip()
    return None


#: Rule tissue_adjective: how a tissue's noun ends and the adjective made of it ends.
_ADJECTIVE_ENDS = mapping("adjective_endings") if enabled("tissue_adjective") else {}


def _keep(out: dict[str, Candidate], lex: Lexicon, tid: str, kind: str, name: str, *,
          stripped: bool, n_same: int, compact: bool = False) -> None:
    info = lex.term(tid)
    if info is None or tid in out:
        return
    sim = 1.0 if not stripped else 0.95
    out[tid] = Candidate(
        term_id=tid, term_label=info.label, method="exact", matched_text=name, match_kind=kind,
        similarity=sim,
        features={"stripped": float(stripped), "n_same_name": float(n_same),
                  "kind_rank": float(KIND_RANK.get(kind, 0)), "compact": float(compact)},
    )
