"""Mentions of ontology names inside longer text (titles, source names, descriptions, and the
bag-of-words text of GEO records).

:func:`find_mentions` scans token n-grams (1..6) against the exact lexicon of one facet, greedy
longest match first.
:func:`mention_candidates` then turns the mentions into one candidate per term with the
features that decide which mention describes the sample: how often the term is named, where it
first appears, how specific it is, and whether another mention is a more specific term of the
same lineage.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from harmonize.facets import ROOTED_FACETS  # hierarchies: a root is a placeholder, not a term
from harmonize.ground.exact import match_exact
from harmonize.ground.lexicon import HEALTHY, KIND_RANK, Lexicon
from harmonize.ground.negation import BEFORE, TRIGGER_WORDS, denied_lists, is_negated, says_other
from harmonize.ground.normalize import PARENTHESIS, fold, normalize, tokens
from harmonize.ground.rules import choices, enabled, filled, mapping, table, words
from harmonize.ground.spelling import english_vocabulary
from harmonize.models import Candidate

#: Words that, next to a name found by scanning, say the value is about a disease.
DISEASE_CONTEXT = words("disease_context")

MAX_N = 6
#: Ordinary words that are also abbreviations or short names in some ontology.
STOPWORDS = words("stopwords") if enabled("stopwords") else frozenset()
_ALNUM = re.compile(r"[0-9a-z]+")
#: The switches of this module's rules (``ontologies/rules.tsv``), read once.
_ON = {name: enabled(name) for name in (
    "marker_qualifier", "head_part", "healthy_person", "nested_names", "organ_of_tissue",
    "defined_abbreviations", "capitals_for_abbreviations", "two_letter_dedicated",
    "abbreviation_in_context", "gene_status", "not_truncations",
    "bypass_surgery", "compound_nouns", "organ_in_negated_disease", "derived_origin",
    "stage_outside_cell_types",
    "non_prefix", "inside_disease_name",
    "composed_disease", "disease_phrase", "disease_context", "modifier_prefix",
    "misspelled_disease", "root_terms", "cell_line_units", "cell_line_other_facet",
    "cell_type_code", "sample_code", "cell_line_capitals", "marker_sign", "line_name_case",
    "line_as_written",
    "whole_names_in_values", "plural_abbreviations", "healthy_remarks", "non_word_healthy",
    "shared_names", "phrase_boundaries", "spelt_abbreviations", "greek_suffix",
    "hyphen_qualifier", "glued_non", "feeder_lines", "scattered_names")}
#: Quantities that look like codes ("48h", "10nm", "5x").
_UNIT = re.compile(r"^\d+(h|hr|hrs|d|day|days|min|nm|um|mm|cm|ug|ng|pg|ml|ul|x|wk|w|mo|y|yr|yrs|m|s|"
                   r"k|kb|bp|mg|g|kg)$")
#: Words that, after a line's name, make the line a reagent (``feeder_lines``), and the words
#: after them that say there was none ('feeder-free').
FEEDER = words("feeder_words") if _ON["feeder_lines"] else frozenset()
_NO_FEEDER = frozenset({"free", "independent", "less"})


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a lexicon name in a text."""

    term_id: str
    kind: str
    name: str
    start: int  # token index
    n_tokens: int
    n_same_name: int
    nested: bool = False  # found inside a longer match


def find_mentions(lex: Lexicon, facet: str, text: str, strict: bool = True,
                  negation: bool = True, ordered: bool = True) -> tuple[list[Mention], int]:
    """Mentions of one facet's names in ``text`` and the number of tokens scanned.

    ``strict`` (a scanned value; a value under the facet's own key passes ``False``) asks
    cell lines for distinctive names and phrases completed by 'disease' for disease context.
    Negated disease names ("HIV-negative", "non-diabetic"), and organs named only inside one
    ("without kidney disease"), are dropped unless ``negation`` is off
    (:mod:`harmonize.ground.negation`). In ``ordered`` text (a value, not the bag of words
    of a GEO record, whose word order is lost) a cell type followed by 'derived' is where the
    sample came from ('iPSC-derived neural organoids'), not what it is.
    """
    if facet == "cell_line":
        return _cell_line_mentions(lex, text, strict)
    toks = tokens(text)
    names = lex.names.get(facet, {})
    if facet == "disease" and _ON["glued_non"]:
        toks = unglued_non(names, toks)
    defined = defined_abbreviations(text)
    if facet == "disease" and _ON["plural_abbreviations"]:  # 'NPCs', 'MSCs': cells, not a disease
        defined = defined | plural_abbreviations(text)
    upper = written_in_capitals(text, modifiers_apart=facet == "disease")
    out: list[Mention] = []

    caseless = facet == "disease" and text == text.lower()
    cuts = phrase_starts(text, toks) if _ON["phrase_boundaries"] else frozenset()
    next_cut = _next_cuts(cuts, len(toks)) if cuts else None

    def found(j: int, n: int) -> tuple[str, tuple] | None:
        key = " ".join(toks[j:j + n])
        entries = names.get(key)
        if not entries or (n == 1 and key in defined):
            return None
        if next_cut is not None and next_cut[j] < j + n:
            return None  # 'Brain - Nucleus accumbens': no 'brain nucleus' across the dash
        if not _usable(key, n, entries, upper, dedicated=not strict) and not (
                facet == "disease" and n == 1 and (caseless or key in upper)
                and _abbreviation_in_context(key, entries, toks, j)):
            return None
        return key, entries

    i = 0
    while i < len(toks):
        for n in range(min(MAX_N, len(toks) - i), 0, -1):
            hit = found(i, n)
            if hit is None:
                continue
            key, entries = hit
            out.extend(Mention(tid, kind, key, i, n, len(entries)) for tid, kind in entries)
            outer = {tid for tid, _ in entries}
            # a name inside the longer name of its ancestor ('autism' in 'autism spectrum
            # disorder') is part of that name, not a mention of the more specific term; a
            # disease name inside a longer disease name always is ('diabetic nephropathy',
            # 'refractory anemia [with] excess blasts')
            # a value keeps its word order: there a name starting a longer one is part of it
            # ('oligodendrocyte precursors'); bag-of-words text glues unrelated words
            out.extend(m for m in _nested(names, toks, i, n, upper)
                       if not any(lex.is_ancestor(o, m.term_id) for o in outer)
                       and facet != "disease" and not (ordered and _ON["whole_names_in_values"]))
            i += n
            break
        else:
            if facet == "disease":
                out.extend(_misspelled(lex, toks[i], i))
            i += 1
    if facet == "disease" and out and _ON["spelt_abbreviations"]:
        out = _with_spelt(lex, toks, out)
    if facet == "disease" and len(out) > 1 and _ON["hyphen_qualifier"]:
        out = _outside_qualifiers(text, out)
    if facet == "disease":
        out.extend(composed_mentions(lex, text, toks, need_context=strict))
        out = [m for m in out if not _gene_status(m, toks)]
        if negation:
            listed = denied_lists(toks, [(m.start, m.n_tokens) for m in out])
            out = [m for m in out
                   if not is_negated(toks, m.start, m.n_tokens) and m.start not in listed]
    if facet in ("tissue", "cell_type") and out:
        out = _not_truncations(out, toks)
    if facet == "tissue":
        out = [m for m in out if not _names_other_thing(m, toks)]
        if out and _REAGENTS:  # 'medium with 5% horse serum': a culture supplement
            out = _outside_reagents(toks, out)
        if negation and out:
            out = _outside_negated_diseases(lex, text, toks, out)
    if facet == "cell_type" and ordered and out and _ON["inside_disease_name"]:
        out = _outside_disease_names(lex, text, out)
    if facet == "cell_type" and ordered and _ON["derived_origin"]:
        out = _no_longer_unspecialized(lex, _products(out, toks), toks)
    if facet == "cell_type" and _ON["non_prefix"]:  # 'non-immune cells', 'non-T cells'
        out = [m for m in out if m.start == 0 or toks[m.start - 1] != "non"]
    if facet == "dev_stage" and out:
        out = _outside_cell_types(lex, text, out)
    return out, len(toks)


#: Words a name's abbreviation leaves out ('sod': sphincter of Oddi dysfunction).
_FUNCTION = words("function_words")
#: An abbreviation joined by a hyphen to a lower-case word ('HDM-induced', 'EBV-positive').
_HYPHEN_QUALIFIER = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*)-[a-z]+(?![A-Za-z0-9-])")
#: The kinds of name that are abbreviations (an ontology's, a curated one).
ABBREVIATION_KINDS = frozenset({"abbreviation", "curated_abbreviation"})


def _outside_qualifiers(text: str, out: list[Mention]) -> list[Mention]:
    """``out`` without the abbreviations that qualify the disease named after them (rule
    ``hyphen_qualifier``): in 'HDM-induced rhinitis', 'EBV-positive lymphoma', 'KRAS-mutant
    gallbladder carcinoma' the abbreviation joined by a hyphen to the next word names an
    allergen, a virus or a gene of the disease named next, not a second disease; only when
    that disease is named by a name, not another abbreviation ('ALS-FTD' names two)."""
    joined = {m.group(1).lower() for m in _HYPHEN_QUALIFIER.finditer(text)}
    if not joined:
        return out
    named = {m.start for m in out if m.kind not in ABBREVIATION_KINDS}
    return [m for m in out if not (
        m.n_tokens == 1 and m.kind in ABBREVIATION_KINDS and m.name in joined
        and named & {m.start + 1, m.start + 2})]


#: Shortest full name (in characters) an abbreviation of one word may spell ('schz' for
#: schizophrenia; a short word is no full name of anything).
_SPELT_MIN_WORD = 7


def _with_spelt(lex: Lexicon, toks: list[str], out: list[Mention]) -> list[Mention]:
    """``out`` with the short words of the text that spell a disease name the same text
    writes in full read as that disease (rule ``spelt_abbreviations``): GEO's bag of words
    appends the series title, which writes the study's diseases out, to every sample, whose
    own values name its disease by abbreviation. The word's letters spell the name as
    :func:`spells` says, function words aside; a word that does is no other term the lexicon
    names so. English words, numbers and the healthy state's names ('hc') are never
    abbreviations here."""
    full = {m.name: m.term_id for m in out
            if not m.nested and (m.n_tokens > 1 or len(m.name) >= _SPELT_MIN_WORD)}
    if not full:
        return out
    vocab = english_vocabulary()
    spelt: dict[int, Mention] = {}
    for i, tok in enumerate(toks):
        if not 2 <= len(tok) <= 5 or not tok.isalpha() or tok in vocab or tok in full:
            continue
        ids = {tid for name, tid in full.items()
               if spells(tok, [w for w in name.split() if w not in _FUNCTION])}
        if len(ids) == 1 and not names_healthy(lex, tok):
            spelt[i] = Mention(next(iter(ids)), "spelt", tok, i, 1, 1)
    if not spelt:
        return out
    return [m for m in out if not (m.n_tokens == 1 and m.start in spelt)] + list(spelt.values())


def spells(abbr: str, words: list[str]) -> bool:
    """Whether ``abbr`` spells the name of ``words`` as writers abbreviate: its first letter
    starts the first word, every word gives its initial in order, and the other letters come
    in order from inside the word being spelt ('pmf' primary myelofibrosis, 'cip' chronic
    intestinal pseudoobstruction, 'schz' schizophrenia); a two-letter word spells only two
    words' initials.

    >>> spells("pmf", ["primary", "myelofibrosis"]), spells("mf", ["primary", "myelofibrosis"])
    (True, False)
    """
    if len(abbr) < len(words) or (len(abbr) == 2 and len(words) != 2):
        return False

    def rest(i: int, w: int, at: int) -> bool:
        if i == len(abbr):
            return w == len(words) - 1
        c = abbr[i]
        if w + 1 < len(words) and words[w + 1][0] == c and rest(i + 1, w + 1, 1):
            return True
        q = words[w].find(c, at)
        while q != -1:
            if rest(i + 1, w, q + 1):
                return True
            q = words[w].find(c, q + 1)
        return False

    return bool(words) and abbr[0] == words[0][0] and rest(1, 0, 1)


def unglued_non(names: dict[str, tuple], toks: list[str]) -> list[str]:
    """``toks`` with 'non' written onto a disease's name split off it ('nonCF', 'nonCOPD',
    'nondiabetic' as 'non CF'...; rule ``glued_non``), so that the negation rules read it; a
    word that is itself a name ('nonalcoholic' of a steatohepatitis) stays whole.

    >>> unglued_non({"cf": (), "diabetic": ()}, ["noncf", "nondiabetic", "nonsense", "none"])
    ['non', 'cf', 'non', 'diabetic', 'nonsense', 'none']
    """
    out: list[str] = []
    for t in toks:
        if len(t) >= 5 and t.startswith("non") and t not in names and t[3:] in names:
            out.extend(("non", t[3:]))
        else:
            out.append(t)
    return out


#: Words that, right after an abbreviation, say it names the subject's disease ('RA patient',
#: 'UC inflamed', 'MS lesion'); 'post' says so right before it ('post-MI').
STATE_AFTER = words("state_after")
#: Rule compound_nouns: (tissue word, word after it) naming something else ('plasma cells').
_COMPOUNDS = frozenset((r["word"], r["after"]) for r in filled("compound_nouns", "word", "after"))
#: The last word of a key asking for the subject's disease, right before its abbreviation in
#: case-folded 'key value' text ('dx ipf', 'phenotype hcm').
STATE_BEFORE = words("state_before")


def _abbreviation_in_context(key: str, entries: tuple[tuple[str, str], ...], toks: list[str],
                             i: int) -> bool:
    """Whether a short abbreviation that running text alone would not trust names a disease
    by the word next to it. Capitals tell 'MI' from 'mi' elsewhere; case-folded bag-of-words
    text has lost them, and there a disease-state neighbour ('ra patient', 'post mi') or the
    key word before a characteristic's value ('dx ipf') is the evidence instead. Never
    'control': an abbreviation before it names the study's control group."""
    if not _ON["abbreviation_in_context"] or (
            len(key) < 2 or not key.isalpha() or key in STOPWORDS or not any(
                kind in ABBREVIATION_KINDS for _, kind in entries)):
        return False
    after = toks[i + 1] if i + 1 < len(toks) else None
    before = toks[i - 1] if i > 0 else None
    return after in STATE_AFTER or before == "post" or before in STATE_BEFORE


#: Words after a gene symbol: an abbreviation they follow names a gene, not a disease
#: ('IDH-wildtype' is no infective dermatitis, 'MET amplified' no disease MET).
GENE_STATUS = words("gene_status")


def _gene_status(m: Mention, toks: list[str]) -> bool:
    """Whether an abbreviation mention is a gene symbol followed by its status."""
    return _ON["gene_status"] and "abbreviation" in m.kind and _word_after(m, toks) in GENE_STATUS


def _outside_disease_names(lex: Lexicon, text: str, out: list[Mention]) -> list[Mention]:
    """Cell types that are not words of a longer disease name in the value: 'T-cell leukemia
    cells', 'plasma cell myeloma cells' name a disease, not a T cell or a plasma cell (a name
    inside a longer name is part of it)."""
    spans = _Spans((m.start, m.start + m.n_tokens) for m in find_mentions(
        lex, "disease", text, strict=False, negation=False)[0] if m.n_tokens > 1)
    return [m for m in out if not spans.holds(m, wider=True)]


#: Phrases that tell a sample's cells from those they were made from
#: (``ontologies/words/origin_phrases.tsv``): token tuple -> what the cells after it are.
ORIGIN_PHRASES: dict[tuple[str, ...], str] = {
    tuple(r["phrase"].split()): r["after"]
    for r in choices("origin_phrases", "after", frozenset({"origin", "product"}))}
_ORIGIN_VERBS = frozenset(p[0] for p in ORIGIN_PHRASES)


def _products(out: list[Mention], toks: list[str]) -> list[Mention]:
    """The cell types a value says the sample is, not where it came from: 'iPSC-derived
    neurons' are neurons (a cell followed by 'derived' is the origin), and so are 'neurons
    derived from iPSCs' (the cells before 'derived from' are the sample) and 'iPSCs
    differentiated into neurons' (the cells after it are; when none is named there, the
    cells before it are still not the sample)."""
    mark = next(((i, len(p), after) for i, t in enumerate(toks) if t in _ORIGIN_VERBS
                 for p, after in ORIGIN_PHRASES.items() if tuple(toks[i:i + len(p)]) == p), None)
    if mark is None:
        # 'iPSC-MSC-derived chondrocytes': every cell named before the last 'derived' that
        # a cell follows is an origin
        last = max((m.start for m in out if m.start > 0 and toks[m.start - 1] in _DERIVED),
                   default=None)
        return [m for m in out if not _derived_after(m, toks)
                and (last is None or m.start >= last)]
    i, n, after = mark
    if after == "product":
        return [m for m in out if m.start >= i + n]
    made = [m for m in out if m.start + m.n_tokens <= i]
    return made or [m for m in out if not _derived_after(m, toks)]


#: Words that say a value names a cell line ("K562 cells", "H1 hESC line"); between a cell's
#: name and 'derived' they still leave the cell the origin ('iPSC clone 3 derived neurons').
LINE_WORDS = words("line_words")


def _derived_after(m: Mention, toks: list[str]) -> bool:
    """Whether 'derived' follows the mention (see :func:`_said_after`)."""
    return _said_after(m, toks, _DERIVED)


_DERIVED = frozenset({"derived"})


def _said_after(m: Mention, toks: list[str], said: frozenset[str]) -> bool:
    """Whether one of ``said`` follows the mention, right after it or after a line's name and
    the words that say it is a line ('iPSC clone 3 derived', 'iPS cell line differentiating')."""
    end = m.start + m.n_tokens
    for j in range(end, min(end + 4, len(toks))):
        if toks[j] in said:
            return True
        if toks[j] not in LINE_WORDS and not any(c.isdigit() for c in toks[j]):
            return False
    return False


#: Cell classes a differentiated member of is no longer in
#: (``ontologies/words/unspecialized_cells.tsv``: stem and progenitor cells).
UNSPECIALIZED = frozenset(r["term_id"] for r in table("unspecialized_cells"))
#: Words before a stem or progenitor cell that say the sample has left that state
#: (``ontologies/words/state_change_words.tsv``).
_CHANGED = words("state_change_words")


def _no_longer_unspecialized(lex: Lexicon, out: list[Mention], toks: list[str]
                             ) -> list[Mention]:
    """Stem and progenitor cells said to be differentiated ('differentiated human embryonic
    stem cells', 'iPS cells differentiating in culture') are where the sample came from,
    not what it is; 'differentiated adipocytes' are adipocytes."""
    return [m for m in out if not (
        (_CHANGED & set(toks[max(m.start - 2, 0):m.start]) or _said_after(m, toks, _CHANGED))
        and (m.term_id in UNSPECIALIZED
             or UNSPECIALIZED & lex.ancestors.get(m.term_id, frozenset())))]


#: Culture-protocol phrases whose anatomy words are reagents (``culture_reagents``).
_REAGENTS: tuple[tuple[str, ...], ...] = tuple(
    tuple(tokens(r["phrase"])) for r in table("culture_reagents")) if enabled(
    "culture_reagents") else ()
_REAGENT_STARTS = frozenset(p[0] for p in _REAGENTS)


def _outside_reagents(toks: list[str], out: list[Mention]) -> list[Mention]:
    """Tissue mentions that are no word of a culture reagent or condition ('horse serum'
    names no serum sample, 'serum starvation' neither)."""
    spans = [(i, i + len(p)) for i, t in enumerate(toks) if t in _REAGENT_STARTS
             for p in _REAGENTS if tuple(toks[i:i + len(p)]) == p]
    if not spans:
        return out
    inside = _Spans(spans)
    return [m for m in out if not inside.holds(m)]


def _names_other_thing(m: Mention, toks: list[str]) -> bool:
    """Whether a tissue's name and the word after it name something else: a surgery ('gastric
    bypass'; rule ``bypass_surgery``) or a compound noun ('plasma cells', B cells; rule
    ``compound_nouns``)."""
    after = _word_after(m, toks)
    return ((_ON["bypass_surgery"] and after == "bypass")
            or (_ON["compound_nouns"] and (m.name, after) in _COMPOUNDS))


def _word_after(m: Mention, toks: list[str]) -> str | None:
    """The token just after a mention, if any."""
    end = m.start + m.n_tokens
    return toks[end] if end < len(toks) else None


_PLURAL = re.compile(r"\b([A-Z]{2,}[0-9]*)s\b")


def plural_abbreviations(text: str) -> set[str]:
    """Abbreviations written in the plural ('NPCs', 'hMSCs'): they name things one counts,
    cells or samples, not the donor's disease.

    >>> sorted(plural_abbreviations("sorted NPCs and MSCs; AML"))
    ['msc', 'npc']
    """
    return {m.lower() for m in _PLURAL.findall(text)}


def written_in_capitals(text: str, modifiers_apart: bool = False) -> set[str]:
    """Lower-cased runs of capitals ('AML', 'NPC' of 'NPCs') and words written with capitals
    inside ('chILD', 'IgAN', 'SSc', 'hESC'), but for capitals ending in a small 'a' or 'b',
    a protein's Greek letter ('ERa', 'TGFb'; rule ``greek_suffix``).

    With ``modifiers_apart`` (disease names), a lower-case prefix before a run of capitals is
    a modifier of that run ('hES': human ES; 'fALS': familial ALS), so the whole word is no
    abbreviation of its own: 'hES' is no HES (hypereosinophilic syndrome). Cell types keep
    their prefixed names ('hESC', 'hiPSC', 'moDC' are CL abbreviations as written).
    """
    runs = {t.lower() for t in re.findall(r"[A-Z][A-Z0-9]+", text)}
    return runs | {w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)
                   if (sum(c.isupper() for c in w) >= 2 or re.search(r"[a-z][A-Z]", w))
                   and not (modifiers_apart and _ON["modifier_prefix"]
                            and _MODIFIER_PREFIX.match(w))
                   and not (_ON["greek_suffix"] and _GREEK_SUFFIX.match(w))}


#: A protein's name with its Greek letter written as a small Latin one ('ERa', 'TNFa', 'TGFb':
#: ER-alpha, TNF-alpha, TGF-beta): no abbreviation of a disease ('ERA').
_GREEK_SUFFIX = re.compile(r"^[A-Z]{2,}[ab]$")
#: A lower-case modifier of one or two letters before a run of capitals ('hESC', 'fALS').
_MODIFIER_PREFIX = re.compile(r"^[a-z]{1,2}[A-Z][A-Z0-9]+s?$")


_MODIFIED = re.compile(r"^\s*[a-z]{1,2}\d?([A-Z](?:[A-Z0-9]{2,}|[A-Z0-9]+[a-z]))\s*$")


def modified_abbreviation(text: str) -> str | None:
    """The abbreviation behind a lower-case modifier, when that is the whole value: 'fALS'
    (familial), 'c9FTLD' (C9orf72), 'mCRPC' (metastatic), 'jSSc' (juvenile) ->
    'ALS', 'FTLD', 'CRPC', 'SSc' (an abbreviation may end in a small letter). The modified
    disease is one of the bare one's kinds.

    >>> modified_abbreviation("c9FTLD"), modified_abbreviation("AML"), modified_abbreviation("mRNA x")
    ('FTLD', None, None)
    >>> modified_abbreviation("jSSc"), modified_abbreviation("aBc")
    ('SSc', None)
    """
    m = _MODIFIED.match(text)
    return m.group(1) if m else None


#: A bracketed abbreviation, and (matched on the reversed text, so from the bracket backwards)
#: the one to eight words before it: what ``((?:[^\W_][\w+-]*[\s,/]+){1,8})\(([A-Za-z][A-Za-z0-9]{1,9})\)``
#: finds, without that pattern's retries at every character (quadratic in a long word).
_BRACKETED = re.compile(r"\(([A-Za-z][A-Za-z0-9]{1,9})\)")
_WORDS_BEFORE = re.compile(r"(?:[\s,/]+[\w+-]*[^\W_]){1,8}")


def defined_abbreviations(text: str) -> frozenset[str]:
    """Abbreviations the text defines itself: 'neural progenitor cells (NPC)' -> {'npc'}.

    The letters of the parenthesised word (less a plural 's') must be a subsequence of the
    initials of the preceding words, the first letter matching a word's initial and the last
    the initial of the word just before the bracket. Such a word names the preceding phrase,
    not some other term that shares the abbreviation.

    >>> sorted(defined_abbreviations("Human embryonic stem cells (hESC) and NPCs (NPC)"))
    ['hesc']
    """
    if not _ON["defined_abbreviations"]:
        return frozenset()
    out = set()
    backwards = None
    for m in _BRACKETED.finditer(text):
        backwards = backwards if backwards is not None else text[::-1]
        before = _WORDS_BEFORE.match(backwards, len(text) - m.start())
        if before is None:
            continue
        abbr = m.group(1).lower()
        core = abbr[:-1] if abbr.endswith("s") and len(abbr) > 2 else abbr
        letters = [c for c in core if c.isalpha()]
        words = [w for w in re.split(r"[\s,/-]+", before.group(0)[::-1].lower()) if w][-8:]
        initials = [w[0] for w in words]
        if not letters or not initials or letters[-1] != initials[-1]:
            continue
        j = 0
        for c in reversed(initials):
            if j < len(letters) and c == letters[len(letters) - 1 - j]:
                j += 1
        if j == len(letters):
            out.update({abbr, core})
    return frozenset(out)


def _not_truncations(found: list[Mention], toks: list[str]) -> list[Mention]:
    """Drop one-word names that begin a longer word naming another term in the same text:
    bag-of-words text abbreviates by truncation ('hip' beside 'hippocampus' is the
    hippocampus, not the hip)."""
    if not _ON["not_truncations"]:
        return found
    heads = {toks[m.start]: m.term_id for m in found}
    longer: dict[str, set[str]] = {}  # a word's proper prefix -> terms of words it begins
    short = max((len(m.name) for m in found if m.n_tokens == 1), default=0)
    for w, tid in heads.items():
        for k in range(1, min(len(w), short + 1)):
            tids = longer.setdefault(w[:k], set())
            if len(tids) < 2:  # two terms tell whether one differs from any given term
                tids.add(tid)
    return [m for m in found
            if m.n_tokens > 1 or not longer.get(m.name, set()) - {m.term_id}]


def _outside_negated_diseases(lex: Lexicon, text: str, toks: list[str],
                              found: list[Mention]) -> list[Mention]:
    """Drop organs named only inside a disease name the text negates: 'donor without kidney
    disease' says nothing of a kidney sample, 'no liver disease' nothing of a liver one."""
    if not _ON["organ_in_negated_disease"] or TRIGGER_WORDS.isdisjoint(toks):
        return found
    diseases, _ = find_mentions(lex, "disease", text, negation=False)
    spans = [(m.start, m.start + m.n_tokens) for m in diseases
             if m.n_tokens > 1 and m.kind in ("label", "synonym", "curated")
             and is_negated(toks, m.start, m.n_tokens)]
    inside = _Spans(spans)
    return [m for m in found if not inside.holds(m)]


class _Spans:
    """Token spans (start, end) asked whether they contain a mention, in O(log n) a question
    (asking every span made long texts quadratic)."""

    def __init__(self, spans: Iterable[tuple[int, int]]):
        widest: dict[int, int] = {}  # start -> furthest end of a span starting there
        for a, b in spans:
            widest[a] = max(b, widest.get(a, b))
        self._starts = sorted(widest)
        self._widest = widest
        self._reach, reach = [], -1  # furthest end of the spans starting at or before each
        for a in self._starts:
            reach = max(reach, widest[a])
            self._reach.append(reach)

    def _furthest(self, before: int) -> int:
        """The furthest end of a span starting before token ``before`` (-1 if none)."""
        k = bisect_left(self._starts, before)
        return self._reach[k - 1] if k else -1

    def holds(self, m: Mention, wider: bool = False) -> bool:
        """Whether a span contains ``m`` (with ``wider``, a span other than ``m``'s own)."""
        end = m.start + m.n_tokens
        if self._furthest(m.start) >= end:
            return True
        here = self._widest.get(m.start, -1)
        return here > end or (here == end and not wider)


def _outside_cell_types(lex: Lexicon, text: str, found: list[Mention]) -> list[Mention]:
    """Drop life-stage words that are part of a cell-type name ('embryonic stem cell')."""
    if not _ON["stage_outside_cell_types"]:
        return found
    cells, _ = find_mentions(lex, "cell_type", text, ordered=False)  # every cell name
    within = _Spans((m.start, m.start + m.n_tokens) for m in cells if m.n_tokens > 1)
    return [m for m in found if not within.holds(m, wider=True)]


@lru_cache(maxsize=65_536)
def has_disease_context(text: str, matched: str) -> bool:
    """Whether a text says, beyond ``matched``, that it is about a disease."""
    if not _ON["disease_context"]:
        return True  # no context asked for
    toks = tokens(text)
    rest = set(toks) - set(matched.split())
    return (bool(rest & DISEASE_CONTEXT) or any(t.endswith(("oma", "itis", "pathy")) for t in rest)
            or f" post {matched} " in f" {' '.join(toks)} ")  # 'post-MI': after the event


class _DiseaseContext:
    """:func:`has_disease_context` of one text, asked for many names at the cost of one."""

    def __init__(self, toks: list[str]):
        words = set(toks)
        self._context = words & DISEASE_CONTEXT
        self._suffixed = {t for t in words if t.endswith(("oma", "itis", "pathy"))}
        self._after_post = {" ".join(toks[i + 1:i + 1 + n]) for i, t in enumerate(toks)
                            if t == "post" for n in range(1, MAX_N + 1) if i + n < len(toks)}

    def says(self, matched: str) -> bool:
        """Whether the text says, beyond ``matched`` (a name of whole tokens), that it is
        about a disease."""
        own = set(matched.split())
        return bool(self._context - own or self._suffixed - own) or matched in self._after_post


#: Words naming a disease class that, with an organ named elsewhere in the text, name a disease.
DISEASE_HEADS = {r["word"]: tuple(r["composes_with"].split()) for r in table("disease_heads")}


def composed_mentions(lex: Lexicon, text: str, toks: list[str],
                      need_context: bool = True) -> list[Mention]:
    """Diseases named by an organ and a class word apart ('prostate ... tumor' -> prostate
    cancer), and phrases completed by 'disease' ('von Willebrand patient' -> von Willebrand disease)
    when the text says it is about a disease (:func:`has_disease_context`) or, without
    ``need_context``, is a disease field ("disease: Crohn's")."""
    names = lex.names.get("disease", {})
    heads = [h for i, t in enumerate(toks) if not is_negated(toks, i, 1)  # not "tumor free"
             for h in DISEASE_HEADS.get(t, ())] if _ON["composed_disease"] else []
    out: list[Mention] = []
    if heads:
        organs, _ = find_mentions(lex, "tissue", text, negation=False, ordered=False)
        seen = set()
        # each organ name tries the class words once (a long text repeats its organs and
        # heads thousands of times)
        classes, tried = list(dict.fromkeys(heads)), set()
        for m in organs:
            info = lex.term(m.term_id)
            # the organ as written or by its name: 'renal ... cancer' is kidney cancer
            organ_names = dict.fromkeys([m.name] + ([normalize(info.label)] if info else []))
            for organ in organ_names:
                if organ in tried:
                    continue
                tried.add(organ)
                for head in classes:
                    key = f"{organ} {head}"
                    if key in seen:
                        continue
                    seen.add(key)
                    entries = [tid for tid, _ in names.get(key, ())]
                    out.extend(Mention(tid, "composed", key, m.start, m.n_tokens, len(entries))
                               for tid in entries)
    context = _DiseaseContext(toks)
    for n in (2, 3) if _ON["disease_phrase"] else ():
        for i in range(len(toks) - n + 1):
            phrase = " ".join(toks[i:i + n])
            if toks[i] in STOPWORDS or toks[i + n - 1].isdigit() or any(
                    phrase in lex.names.get(f, {}) for f in ("tissue", "cell_type")):
                continue  # a number ends a stage or a grade ('tau stage 0'), not a name
            key = phrase + " disease"
            entries = names.get(key, ())
            if entries and need_context and not context.says(phrase):
                continue  # 'renal tubular epithelial cells' is no renal tubular disease
            out.extend(Mention(tid, "composed", key, i, n, len(entries)) for tid, _ in entries)
    return out


#: Shortest word checked for a misspelled disease name (shorter words collide with real ones).
MIN_TYPO_LEN = 12
_TYPO_INDEX: dict[tuple[str, str], dict[tuple[str, int], list[str]]] = {}


def _misspelled(lex: Lexicon, tok: str, pos: int) -> list[Mention]:
    """A long word one edit away from exactly one one-word disease name ('medulloblastomma').

    Disease names are long Greek-Latin compounds that submitters often misspell; a word that
    is no name of any facet and differs by a single letter from one such name most likely
    means it (kind ``misspelled``, ranked with names composed from parts).
    """
    if (not _ON["misspelled_disease"] or len(tok) < MIN_TYPO_LEN or not tok.isalpha()
            or tok in STOPWORDS):
        return []
    if any(tok in lex.names.get(f, {}) for f in lex.names):
        return []
    hits = _near_names(lex, tok)
    if len(hits) != 1:
        return []
    entries = lex.names["disease"][hits[0]]
    return [Mention(tid, "misspelled", hits[0], pos, 1, len(entries)) for tid, _ in entries]


def _near_names(lex: Lexicon, tok: str) -> list[str]:
    from rapidfuzz.distance import Levenshtein

    key = (lex.version, "disease")
    if key not in _TYPO_INDEX:
        index: dict[tuple[str, int], list[str]] = {}
        for name in lex.names.get("disease", {}):
            if len(name) >= MIN_TYPO_LEN - 1 and name.isalpha():
                index.setdefault((name[0], len(name)), []).append(name)
        _TYPO_INDEX[key] = index
    index = _TYPO_INDEX[key]
    return [name for n in (len(tok) - 1, len(tok), len(tok) + 1)
            for name in index.get((tok[0], n), ())
            if Levenshtein.distance(tok, name, score_cutoff=1) <= 1]


def _nested(names, toks: list[str], i: int, n: int, upper: set[str]) -> list[Mention]:
    """The longest name that starts a longer match ('retina' in 'retina layer'):
    bag-of-words text glues unrelated words into phrases."""
    for m in range(n - 1, 0, -1) if _ON["nested_names"] else ():
        key = " ".join(toks[i:i + m])
        entries = names.get(key)
        if entries and _usable(key, m, entries, upper):
            return [Mention(tid, kind, key, i, m, len(entries), nested=True)
                    for tid, kind in entries]
    return []


#: What separates the phrases of a value: a dash between spaces, a semicolon, a bar. Not a
#: comma (names are written inverted, 'Fanconi anemia, complementation group A'), nor a
#: bracket (an aside in brackets often belongs to the noun after it, '(GFP+) cells').
_PHRASE_BREAK = re.compile(r"\s[-\u2013\u2014]+\s|[;|]")


def phrase_starts(text: str, toks: list[str]) -> frozenset[int]:
    """The token positions where a new phrase of ``text`` starts (rule ``phrase_boundaries``):
    a name does not run across a dash between spaces or a semicolon ('Brain - Nucleus
    accumbens' names no 'brain nucleus'; 'liver; bile duct' no 'liver bile'). ``toks`` are
    the text's tokens; when its phrases' tokens do not add up to them, none is cut.

    >>> sorted(phrase_starts("Brain - Nucleus accumbens (basal ganglia)",
    ...                      tokens("Brain - Nucleus accumbens (basal ganglia)")))
    [1]
    >>> phrase_starts("skin-derived cells", tokens("skin-derived cells"))
    frozenset()
    """
    parts = _PHRASE_BREAK.split(text)
    if len(parts) < 2:
        return frozenset()
    starts: set[int] = set()
    flat: list[str] = []
    for part in parts:
        got = tokens(part)
        if flat and got:
            starts.add(len(flat))
        flat.extend(got)
    return frozenset(starts) if flat == toks else frozenset()


def _next_cuts(cuts: frozenset[int], n: int) -> list[int]:
    """Per token position, the first phrase start after it (``n + 1`` when none): a span
    ``j .. j + k - 1`` runs across a phrase break when ``next_cut[j] < j + k``."""
    out = [n + 1] * (n + 1)
    nxt = n + 1
    for j in range(n - 1, -1, -1):
        if j + 1 in cuts:
            nxt = j + 1
        out[j] = nxt
    return out


def _usable(key: str, n: int, entries: tuple[tuple[str, str], ...], upper: set[str],
            dedicated: bool = False) -> bool:
    """Whether a name found in running text may count as a mention.

    Ontology abbreviations ("MAC", "CDC", "chILD") are often ordinary words in lower case, so
    in running text they count only when written in capitals. Two-letter
    abbreviations ("UC", "MI") count only in capitals inside a value of the facet's own key
    ("disease state: AD patient"); elsewhere "RA" is as often retinoic acid.
    """
    if (n == 1 and len(key) == 2 and dedicated and _ON["two_letter_dedicated"] and key in upper
            and key not in STOPWORDS and any(
                kind in ABBREVIATION_KINDS for _, kind in entries)):
        return True
    if n == 1 and (len(key) < 3 or key in STOPWORDS or key.isdigit()):
        return False
    if all(kind == "healthy" for _, kind in entries):
        return False
    return not (all(kind == "abbreviation" for _, kind in entries)
                and (len(key) < 3 or key in STOPWORDS
                     or (not in_capitals(key, upper) and _ON["capitals_for_abbreviations"])))


def in_capitals(key: str, upper: set[str]) -> bool:
    """Whether a name was written in capitals: itself, or each of its words but numbers
    ('RAEB-2' is 'raeb 2', written as a run of capitals and a number).

    >>> in_capitals("raeb 2", {"raeb"}), in_capitals("raeb 2", set()), in_capitals("2", set())
    (True, False, False)
    """
    words = key.split()
    return key in upper or (len(words) > 1 and any(not w.isdigit() for w in words)
                            and all(w in upper or w.isdigit() for w in words))


def _cell_line_mentions(lex: Lexicon, text: str,
                        strict: bool = True) -> tuple[list[Mention], int]:
    """Cell-line names glued from 1..4 raw tokens ('NCI-H1944' = 'nci' + 'h1944').

    Scanned text names a cell line only on strong evidence (:func:`distinctive_cell_line`):
    the full name (not a derived part of a longer one), with a digit or spelled with the
    label's own capitals, and not a word the text defines as an abbreviation of its own.
    """
    raw = _ALNUM.findall(fold(text))
    defined = defined_abbreviations(text)
    out: list[Mention] = []
    i = 0
    while i < len(raw):
        for n in range(min(4, len(raw) - i), 0, -1):
            key = "".join(raw[i:i + n])
            entries = lex.compact_names.get(key)
            if (not entries or not _plausible_cell_line(lex, key, raw[i:i + n])
                    or _cell_type_code(lex, key) or key in defined):
                continue
            good = [(tid, kind) for tid, kind in entries
                    if not strict or distinctive_cell_line(lex, tid, kind)]
            if not good:
                continue
            if _feeder(raw, i + n):  # 'on 3T3-J2 feeders': a reagent, not the sample
                i += n
                break
            out.extend(Mention(tid, kind, key, i, n, len(entries)) for tid, kind in good)
            i += n
            break
        else:
            i += 1
    return out, len(raw)


def _feeder(raw: list[str], end: int) -> bool:
    """Whether the words after a line's name (ending before ``end``) make it a feeder layer or
    a conditioned medium (rule ``feeder_lines``), not 'feeder-free'."""
    return (end < len(raw) and raw[end] in FEEDER
            and (end + 1 >= len(raw) or raw[end + 1] not in _NO_FEEDER))


#: Names shaped like the codes submitters give samples, clones and days ('D13', 'KO-1', 'C14'),
#: and numbers of one or two digits ('2.1' is a line, '21' a sample number).
_SAMPLE_CODE = re.compile(r"^[a-z]{0,2}\d{1,2}$")


def distinctive_cell_line(lex: Lexicon, tid: str, kind: str, text: str | None = None,
                          code_ok: bool = False) -> bool:
    """Whether a scanned name is strong evidence of a cell line.

    The name must be the line's full name (``kind`` ``label`` or curated, not a part derived
    from a longer name such as 'SETD2' of 'Abcam Raji SETD2 KO'), not shaped like a sample
    code (:data:`_SAMPLE_CODE`). With ``text`` (the raw
    value; this part depends on case, so it runs after the case-blind memo), a name without a
    digit must also be written there with the label's capitals ('HeLa', not 'hela'; 'Plat-E',
    not 'plate'), since such names are often words. ``code_ok`` lifts the sample-code rule
    for a value that is the name alone under a cell-type key ('HL60').
    """
    if kind not in ("label", "curated", "curated_abbreviation"):
        return False
    info = lex.term(tid)
    if info is None or (not code_ok and _ON["sample_code"] and _SAMPLE_CODE.match(
            re.sub(r"[^0-9a-z]", "", info.label.lower()))):
        return False
    if text is not None and _ON["marker_sign"] and _as_marker(info.label, text):
        return False
    if (text is not None and kind == "label" and _ON["line_as_written"]
            and not written_as_name(info.label, text)):
        return False
    if text is None or any(c.isdigit() for c in info.label) or not _ON["cell_line_capitals"]:
        return True
    label = re.sub(r"[^0-9A-Za-z]", "", info.label)
    written = re.sub(r"[^0-9A-Za-z]", "", text)
    if len(label) < 3:
        return False
    if label in written:
        # a capitalized common word is no name by its capitals ('Oligo' is written so at the
        # start of any value; 'HeLa' is not)
        return not (_ON["line_name_case"] and label[:1].isupper() and label[1:].islower()
                    and _common_word(lex, label.lower()))
    # capitals set a name apart as the label's own case does ('DAUDI cells'), and
    # a name alone under a cell-type key is one in any case ('daudi cells'); never a word of
    # a tissue or cell-type name ('NORMAL', 'Oligo')
    return (_ON["line_name_case"] and len(label) >= 4 and not _common_word(lex, label.lower())
            and (label.upper() in written or (code_ok and label.lower() in written.lower())))


_QUALIFIER = re.compile(r"\s*\[[^\]]*\]$")


@lru_cache(maxsize=65_536)
def written_as_name(label: str, text: str) -> bool:
    """Whether ``text`` writes the line's name as a name of its own: its letters and digits in
    the name's order, glued or split by a mark where the name is split or passes between
    letters and digits ('K562' and 'K 562' for 'K-562', 'GM 12878' for 'GM12878'), never by an
    underscore, and not joined to other letters before it nor after a hyphen before it. In a
    scanned value or a title this tells a name from a code that happens to hold its letters:
    'HCC_T_P01' does not write 'HCC-T' (an underscore parts a code's fields), 'MM-MSC-1' does
    not write 'MSC-1', 'DS_iPS_C1' not 'iPSC1'. A derivative named after its parent
    ('MCF7-KO17') still writes the parent. Cellosaurus's qualifier of a shared name ('[Human
    kidney]') is not written.

    >>> written_as_name("HK-2 [Human kidney]", "HK-2 cells"), written_as_name("MSC-1", "MM-MSC-1")
    (True, False)
    """
    runs = re.findall(r"[0-9]+|[a-z]+", _QUALIFIER.sub("", label).lower())
    if not runs:
        return True
    body = r"[^0-9a-z_]{0,2}".join(re.escape(r) for r in runs)
    return re.search(rf"(?<![0-9a-z])(?<![0-9a-z]-){body}(?![0-9a-z])", text.lower()) is not None


def _common_word(lex: Lexicon, word: str) -> bool:
    """Whether ``word`` is a stop word or a word of a tissue or cell-type name (a cell-line
    name that is such a word is told apart only by its capitals; disease names are left out:
    their eponyms are the names of lines too, 'Pfeiffer', 'Toledo')."""
    return word in STOPWORDS or lex.knows_word(word, ("tissue", "cell_type"))


_SQUEEZE = re.compile(r"[\s._-]")


def _as_marker(label: str, text: str) -> bool:
    """Whether ``text`` writes the name as a marker, with a sign after it ('TRA-1-81+
    cells' name an antigen, not the line of that name)."""
    return f"{_SQUEEZE.sub('', label).lower()}+" in _SQUEEZE.sub("", text).lower()


def _plausible_cell_line(lex: Lexicon, key: str, parts: list[str]) -> bool:
    """A scanned cell-line name must look like one: a code with digits, or a rare word."""
    if (len(key) < 3 or key.isdigit() or parts[0].isdigit() or key in STOPWORDS
            or parts[0] in STOPWORDS):
        return False
    if _ON["cell_line_units"] and _UNIT.match(key):
        return False
    if any(c.isdigit() for c in key):
        return len(key) >= 3
    if len(key) < 4:
        return False
    text = " ".join(parts)
    return not _ON["cell_line_other_facet"] or not any(
        text in lex.names.get(f, {}) for f in lex.names if f != "cell_line")


def _cell_type_code(lex: Lexicon, key: str) -> bool:
    """'Th1' is a cell type when 'th1 cell' is one."""
    return _ON["cell_type_code"] and f"{key} cell" in lex.names.get("cell_type", {})


def _named_broader(lex: Lexicon, tid: str, kind: str,
                   rivals: Iterable[tuple[str, str]]) -> bool:
    """Whether the words that name ``tid`` (as a match of ``kind``) also name an ancestor of it,
    as strongly: one of ``rivals``, the (term, match kind) pairs the same words found (rule
    ``shared_names``). 'lung' is the label of the lung and only a synonym of the pair of
    lungs, so it names the lung in a stronger way than its ancestor."""
    own = KIND_RANK.get(kind, 0)
    return any(o != tid and KIND_RANK.get(k, 0) >= own and lex.is_ancestor(o, tid)
               for o, k in rivals)


def _own_words(lex: Lexicon, by_term: dict[str, list[Mention]]) -> dict[str, list[Mention]]:
    """Mentions by term without the narrower terms named only by abbreviations that name an
    ancestor as strongly (rule ``shared_names``, as :func:`most_specific` for a value): in text
    'PD', which MONDO gives Parkinson disease and its late-onset form, names the disease, and
    the narrower term is no second mention beside it that the ranking would prefer."""
    spans: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for tid, ms in by_term.items():
        for m in ms:
            spans.setdefault((m.start, m.n_tokens), []).append((tid, m.kind))
    return {tid: ms for tid, ms in by_term.items() if not all(
        m.kind in ABBREVIATION_KINDS
        and _named_broader(lex, tid, m.kind, spans[(m.start, m.n_tokens)]) for m in ms)}


def most_specific(lex: Lexicon, cands: list[Candidate]) -> list[Candidate]:
    """Drop each candidate that is an ancestor of another one (the curation convention for a
    value such as "Brain, neocortex"). A narrower term found only by the very name that also
    names its ancestor, as strongly, is no narrower reading ('PD' names Parkinson disease and,
    in MONDO, its late-onset form too): the broader term stays (rule ``shared_names``)."""
    if _ON["shared_names"]:
        named: dict[str, list[tuple[str, str]]] = {}
        for c in cands:
            named.setdefault(c.matched_text, []).append((c.term_id, c.match_kind))
        cands = [c for c in cands if not _named_broader(lex, c.term_id, c.match_kind,
                                                         named[c.matched_text])]
    above = _above_others(lex, {c.term_id for c in cands})
    return [c for c in cands if c.term_id not in above]


#: A name that is a surface marker alone ('CD56+', 'CD14 positive').
_MARKER_NAME = re.compile(r"^cd\d+[a-z]?\s*(\+|positive)$")


def qualified_markers(lex: Lexicon, cands: list[Candidate]) -> list[Candidate]:
    """Drop the cell type a marker alone names when the value also names a cell that the
    marker's type is not a kind of: 'CD56+ myoblasts' are myoblasts selected by CD56, not
    natural killer cells; a marker of the cell named keeps the marked kind CL names (rule
    ``marker_qualifier``)."""
    other = [c for c in cands if not _MARKER_NAME.match(c.matched_text)]
    # a name, not an abbreviation: 'PD-1+' names no pyloric dilator neuron
    named = [c for c in other if c.match_kind not in ABBREVIATION_KINDS]
    if not _ON["marker_qualifier"] or not named or len(other) == len(cands):
        return cands
    return [c for c in cands if c in other
            or any(lex.is_ancestor(n.term_id, c.term_id) for n in named)]


#: Where a value's parts end: a remark on a healthy person ("healthy, no medication":
#: ``healthy_remarks``), a site after what the value is ("synovium, knee": ``head_part``).
_PARTS = re.compile(r"[,;]|\s[-\u2013]\s")
#: Where the head of a value ends for ``head_part``: a comma, a semicolon, a dash or a bracket.
_HEAD_END = re.compile(r"[,;(]|\s[-\u2013]\s")


#: Rule organ_of_tissue: a kind of tissue -> the class of organs composed primarily of it.
ORGAN_OF_TISSUE: dict[str, str] = mapping("organ_of_tissue") if _ON["organ_of_tissue"] else {}


def narrower(lex: Lexicon, broader: str, term_id: str) -> bool:
    """Whether ``term_id`` lies below ``broader``, or is an organ of the class made of the
    tissue ``broader`` is (the soleus muscle below skeletal muscle tissue; rule
    ``organ_of_tissue``: UBERON relates the two by no is_a or part_of line)."""
    if lex.is_ancestor(broader, term_id):
        return True
    organ = ORGAN_OF_TISSUE.get(broader)
    return organ is not None and lex.is_ancestor(organ, term_id)


def head_part(lex: Lexicon, facet: str, text: str, found: list[Candidate]) -> list[Candidate]:
    """``found`` without the terms a part after the value's first comma, semicolon or bracket
    names apart from what its first part names: 'synovium, knee' is the synovium, whose site
    the knee is, 'pleura (lung removed)' the pleura ('Brain, frontal cortex' keeps the
    cortex, a part of the brain named first; rule ``head_part``)."""
    head = _HEAD_END.split(text, maxsplit=1)[0]
    if not _ON["head_part"] or head == text or not head.strip():
        return found
    named = {c.term_id for c in match_exact(lex, facet, head)} | {
        t for c in mention_candidates(lex, facet, head, strict=False)
        for t, _ in lex.lookup(facet, c.matched_text)}
    if not named or not any(c.term_id in named for c in found):
        return found
    return [c for c in found if c.term_id in named
            or any(narrower(lex, h, c.term_id) for h in named)]


def _above_others(lex: Lexicon, ids: Iterable[str]) -> set[str]:
    """The terms that are ancestors of another of ``ids`` (one pass over their ancestors,
    not a test of every pair)."""
    return {a for o in ids for a in lex.ancestors.get(o, ()) if a != o}


#: Shortest word taken for a misspelled name in a dedicated value.
MIN_UNKNOWN_LEN = 6


def unknown_word(lex: Lexicon, text: str) -> bool:
    """Whether ``text`` has a long alphabetic word that is no name, nor part of one, in any
    facet (a likely misspelling: 'cingulte')."""
    return any(len(t) >= MIN_UNKNOWN_LEN and t.isalpha() and t not in STOPWORDS
               and not lex.knows_word(t) for t in tokens(text))


def set_aside(lex: Lexicon, facet: str, text: str) -> list[str]:
    """Names of ``facet`` that :mod:`~harmonize.ground.negation` keeps out of ``text``
    ("HIV-negative donor" -> ['hiv']), for ``harmonize explain``."""
    if facet != "disease":
        return []
    return list(dict.fromkeys(m.name for m in _denied_mentions(lex, text)))


def _denied_mentions(lex: Lexicon, text: str, strict: bool = True) -> list[Mention]:
    """The disease mentions of ``text`` that negation keeps out of it."""
    kept = {(m.start, m.term_id) for m in find_mentions(lex, "disease", text, strict)[0]}
    return [m for m in find_mentions(lex, "disease", text, strict, negation=False)[0]
            if (m.start, m.term_id) not in kept]


def only_negated(lex: Lexicon, facet: str, text: str, dedicated: bool = False) -> bool:
    """Whether ``text`` names terms of ``facet`` and every one of them is negated, not all of
    them tumours: a denied tumour ('non-tumour lung tissue', 'tumour-free margin') says
    the specimen is the tissue beside one, not that the donor is healthy (rule
    ``specimen_normal``). Under the facet's own key (``dedicated``) a two-letter
    abbreviation counts as there ('non-MS')."""
    strict = not dedicated
    if (facet != "disease" or says_other(tokens(text))
            or find_mentions(lex, facet, text, strict=strict)[0]):
        return False
    denied = find_mentions(lex, facet, text, strict=strict, negation=False)[0]
    return bool(denied) and not all(_specimen(lex, m.term_id) for m in denied)


def _specimen(lex: Lexicon, term_id: str) -> bool:
    """Whether denying ``term_id`` describes a specimen, not a donor (a tumour)."""
    return _SPECIMEN_ON and any(term_id == c or lex.is_ancestor(c, term_id)
                                for c in SPECIMEN_DISEASES)


#: MONDO classes whose denial describes a specimen, not a donor (``words/specimen_diseases``).
_SPECIMEN_ON = enabled("specimen_normal")
SPECIMEN_DISEASES = words("specimen_diseases") if _SPECIMEN_ON else frozenset()


#: "Organ - qualifier" and "organ, qualifier": the way GTEx and many submitters name a part.
_TWO_PARTS = re.compile(r"\s+[-\u2013]\s+|,\s*")


def reordered_parts(text: str) -> list[str]:
    """The names a value's first two parts may mean written the usual way round: "Colon -
    Sigmoid" -> "Sigmoid Colon", "Skin - Sun Exposed (Lower leg)" -> "Sun Exposed Skin",
    "Lower leg Skin" (the parenthesis qualifies the organ too); parts after the second say
    something else of the sample ("lung, upper lobe, tumour").

    >>> reordered_parts("Artery - Tibial"), reordered_parts("lung, upper lobe, tumour")
    (['Tibial Artery'], ['upper lobe lung'])
    >>> reordered_parts("liver"), reordered_parts("tumour, from a patient of 70 years")
    ([], [])
    """
    parts = [p.strip() for p in _TWO_PARTS.split(text) if p.strip()]
    if len(parts) < 2 or len(parts[0].split()) > 3:
        return []
    organ, qualifier = parts[:2]
    bare = " ".join(PARENTHESIS.sub(" ", qualifier).split())
    out = [f"{q} {organ}" for q in [bare, *PARENTHESIS.findall(qualifier)] if q.strip()]
    return [o for o in out if len(o.split()) <= 6]


#: Words that name a control (``ontologies/words/control_words.tsv``).
CONTROL_WORDS = words("control_words")


def healthy_mention(lex: Lexicon, text: str) -> str | None:
    """The healthy-state name a longer value uses for its donor ("PBMC, healthy donor",
    "Healthy control 3, whole blood", "lung, non-diseased donor"), or ``None``.

    Only names of two words or more and "healthy" itself count, never a name touched by a
    negating word ("not healthy"): a bare "control" or "normal" inside a value is an
    experimental control or a tissue beside a tumour, not the donor's health.
    """
    toks = tokens(text)
    for i, n in _healthy_spans(lex, toks):
        key = " ".join(toks[i:i + n])
        words = set(toks[i:i + n])
        after = toks[i + n] if i + n < len(toks) and _ON["healthy_person"] else None
        # "unaffected brother", "normal volunteer", "unaffected ctrl": a person so described
        person = after in PERSON_WORDS | CONTROL_WORDS and not CONTROL_WORDS & words
        # "control individuals", "Ctrl volunteer 4": the study's controls, unless the control is
        # of a disease ("disease control individuals": patients with another disease)
        control = (after in PERSON_NOUNS and words <= CONTROL_WORDS
                   and not (i and _names_disease(lex, toks[i - 1]))
                   and _CONTROL_PERSON.search(text) is not None)  # not 'control, donor 2'
        if control or ((n > 1 or key == "healthy" or person) and not (
                CONTROL_WORDS & words and not {"healthy", "normal"} & words)):
            return f"{key} {after}" if (person or control) and n == 1 else key
    return denied_donor(lex, text) if _ON["healthy_person"] else None


def _control_person() -> re.Pattern[str]:
    """A control word written right before a noun for the person ('Ctrl individuals', 'ctrl-
    donor'), not across a comma ('control, donor 2': the control of an experiment on a
    donor's cells)."""
    alt = "|".join(sorted(map(re.escape, PERSON_NOUNS), key=len, reverse=True))
    ctrl = "|".join(sorted(map(re.escape, CONTROL_WORDS), key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{ctrl})s?[\s_-]+(?:{alt})s?(?![a-z])", re.IGNORECASE)


def _names_disease(lex: Lexicon, word: str) -> bool:
    """Whether a word alone names a disease (not the healthy state)."""
    return any(tid != HEALTHY for tid, _ in lex.lookup("disease", word))


def denied_donor(lex: Lexicon, text: str) -> str | None:
    """The words naming a donor or a control by a disease they are without ("non-diabetic
    kidney donor", "HIV-negative donor", "non-asthmatic control"; a denied tumour is the
    specimen's), or by 'non' and a word naming nothing before a person word ("non-failing
    heart donor"; before 'control' such a word is as often the experiment's: "non-silencing
    control")."""
    toks = tokens(text)
    after = CONTROL_WORDS | PERSON_WORDS
    for m in find_mentions(lex, "disease", text, negation=False)[0]:
        if not is_negated(toks, m.start, m.n_tokens) or _specimen(lex, m.term_id):
            continue
        j = m.start + m.n_tokens
        while j < len(toks) and toks[j] in TRIGGER_WORDS:  # "HIV negative donor"
            j += 1
        if j < len(toks) and toks[j] in after:
            return " ".join(toks[max(m.start - 1, 0):j + 1])
    for j in range(len(toks) - 2):
        if (toks[j] == "non" and len(toks[j + 1]) >= NON_WORD_MIN and toks[j + 2] in PERSON_WORDS
                and not any(lex.lookup(f, toks[j + 1]) for f in ("disease", "tissue", "cell_type"))):
            return " ".join(toks[j:j + 3])
    return None


def _healthy_spans(lex: Lexicon, toks: list[str]) -> Iterator[tuple[int, int]]:
    """``(start, length)`` of each healthy-state name in ``toks`` that no trigger negates,
    longest first at each start."""
    names = lex.names.get("disease", {})
    for i in range(len(toks)):
        for n in range(min(MAX_N, len(toks) - i), 0, -1):
            entries = names.get(" ".join(toks[i:i + n]))
            if entries and all(kind == "healthy" for _, kind in entries) and not is_negated(
                    toks, i, n):
                yield i, n


#: The noun an anatomical adjective stands for ('dermal' -> 'dermis'): ``anatomy_adjectives``.
_NOUNS = {r["word"]: r["noun"] for r in table("anatomy_adjectives")} if enabled(
    "adjective_nouns") else {}


def is_anatomy_adjective(word: str) -> bool:
    """Whether ``word`` is an anatomical adjective of ``anatomy_adjectives`` ('dermal')."""
    return word in _NOUNS


def noun_phrasings(text: str) -> list[str]:
    """A value's anatomical adjectives written as the nouns the ontologies use: in place
    ('renal tubular epithelial cells' -> 'kidney tubule epithelial cell') and as CL's
    'X of Y' ('pulmonary fibroblasts' -> 'fibroblast of lung'); a short value as a whole,
    any value also as each adjective with the one or two words after it ('dermal fibroblasts
    from a forearm biopsy' -> 'fibroblast of dermis').

    >>> noun_phrasings("gastric mucosa")
    ['stomach mucosa', 'mucosa of stomach']
    >>> noun_phrasings("fibroblasts")
    []
    >>> noun_phrasings("cultured dermal fibroblasts from a forearm biopsy")[:2]
    ['dermis fibroblast', 'fibroblast of dermis']
    """
    toks = tokens(text)
    at = [i for i, t in enumerate(toks) if t in _NOUNS]
    if not at:
        return []
    spans = [(0, len(toks))] if len(toks) <= 6 else []
    spans += [(i, j) for i in at for j in range(i + 2, min(i + 3, len(toks)) + 1)]
    out = []
    for start, end in spans:
        part = toks[start:end]
        out.append(" ".join(_NOUNS.get(t, t) for t in part))
        for i, t in enumerate(part[:-1]):
            if t in _NOUNS:
                out.append(" ".join(part[:i] + part[i + 1:] + ["of", _NOUNS[t]]))
    return list(dict.fromkeys(out))


#: Facets whose names are read scattered in a value (``scattered_names``): places. A cell's
#: name scattered in a value named a narrower kind than the value's cell as often as not.
SCATTERED_FACETS = ("tissue",)
#: A scattered name has this many words (besides function words), at most.
_SCATTER_WORDS = 4
#: Each multi-word name of a facet under its rarest word, with its words (:func:`scatter_index`).
ScatterIndex = dict[str, list[tuple[str, frozenset[str]]]]


def scattered_names(index: ScatterIndex, text: str) -> list[str]:
    """Names of a facet (``index``: :func:`scatter_index`) whose words all stand in ``text``,
    apart or in another order (rule ``scattered_names``): a submitter names a part of an organ
    in words set apart ('skin, left upper arm': upper arm skin; 'lymph node, inguinal': inguinal
    lymph node). The caller keeps only those narrower than a term the value names itself, so a
    name is never made of words about other things; it reads values, not a bag of words (whose
    gold, in the GEO-text dev file, names whole organs).

    >>> from harmonize.ground.lexicon import Lexicon
    >>> lex = Lexicon("v", {}, {"tissue": {"upper arm skin": (("T:1", "label"),)}}, {}, {})
    >>> scattered_names(scatter_index(lex, "tissue"), "skin of the left upper arm")
    ['upper arm skin']
    >>> scattered_names(scatter_index(lex, "tissue"), "upper arm skin")  # a mention
    []
    """
    if not _ON["scattered_names"]:
        return []
    toks = tokens(text)
    have = set(toks)
    joined = f" {' '.join(toks)} "
    return [name for w in sorted(have) for name, ws in index.get(w, ())
            if ws <= have and f" {name} " not in joined]


def scatter_index(lex: Lexicon, facet: str) -> ScatterIndex:
    """The names of ``facet`` of two to ``_SCATTER_WORDS`` words that are not abbreviations,
    each under its rarest word, for :func:`scattered_names` (the grounder builds it once)."""
    names = {n: frozenset(w for w in n.split() if w not in _FUNCTION)
             for n, entries in lex.names.get(facet, {}).items()
             if any(kind not in ABBREVIATION_KINDS for _, kind in entries)}
    names = {n: ws for n, ws in names.items() if 2 <= len(ws) <= _SCATTER_WORDS}
    freq: dict[str, int] = {}
    for ws in names.values():
        for w in ws:
            freq[w] = freq.get(w, 0) + 1
    index: ScatterIndex = {}
    for n, ws in names.items():
        index.setdefault(min(ws, key=lambda w: (freq[w], w)), []).append((n, ws))
    return index


#: Words a modifier never starts or ends with ("of", "and"...): ``modified_names``.
_GLUE = words("function_words") if enabled("modified_names") else frozenset()


def modifier_words(text: str, matched: str, after: bool = True) -> list[list[str]]:
    """The modifier words of a short value around its ``matched`` name, longest first (see
    :func:`modified_phrasings`); with ``after`` false only words before a name ending the
    value.

    >>> modifier_words("naive CD8-positive T cells", "cd8+ t cell")
    [['naive']]
    """
    toks = tokens(text)
    name = matched.split()
    if not name or len(toks) > 8:
        return []
    end = len(toks) - 1 if toks[-1] == "cell" and name[-1] != "cell" else len(toks)
    at = next((i for i in range(end - len(name) + 1) if toks[i:i + len(name)] == name), None)
    if at is None:
        return []
    behind = toks[at + len(name):end]
    if behind:
        mods = [behind] if len(behind) <= 2 and after else []
    else:
        before = toks[max(0, at - 3):at]
        mods = [before[-k:] for k in range(len(before), 0, -1)]
    return [m for m in mods if m[0] not in _GLUE and m[-1] not in _GLUE]


def modified_phrasings(lex: Lexicon, facet: str, text: str, matched: str) -> list[list[str]]:
    """A short value's modifier words written before each name of the terms its ``matched``
    name names, as the ontologies name a kind of a thing: 'clear cell RCC' -> 'clear cell
    renal cell carcinoma', 'spinal cord (thoracic)' -> 'thoracic spinal cord', 'right atrial
    appendage' -> 'right atrium auricular region'.

    The name must end the value (a trailing 'cells' aside: in 'primary bronchial epithelial
    cells' 'primary' is no kind of bronchus); the modifier is up to three words just before
    it, or the words after it. One list of phrasings per modifier, longest first: the caller
    takes the first that names a kind or part of what ``matched`` names.

    >>> lex = Lexicon("v", {}, {"tissue": {"spinal cord": (("T:1", "label"),)}}, {}, {})
    >>> modified_phrasings(lex, "tissue", "spinal cord (thoracic)", "spinal cord")
    [['thoracic spinal cord']]
    >>> modified_phrasings(lex, "tissue", "spinal cord injury", "spinal cord")
    [['injury spinal cord']]
    >>> modified_phrasings(lex, "tissue", "spinal cord neurons from a donor", "spinal cord")
    []
    """
    mods = modifier_words(text, matched)
    if not mods:
        return []
    literal = f" {' '.join(tokens(text))} "
    names = [n for tid in dict.fromkeys(t for t, _ in lex.lookup(facet, matched))
             for n in lex.names_for(facet, tid)]
    out = []
    for m in mods:
        phrasings = [p for n in dict.fromkeys(names)
                     if f" {(p := ' '.join(m) + ' ' + n)} " not in literal]
        if phrasings:
            out.append(phrasings)
    return out


#: Abbreviations of numbered areas ('ba' -> 'brodmann area'): ``numbered_areas``.
_AREAS = {r["abbreviation"]: r["name"] for r in table("numbered_areas")} if enabled(
    "numbered_areas") else {}
_AREA = re.compile(r"^([a-z]+?)(\d{1,2})$")


def numbered_area_phrasings(text: str) -> list[str]:
    """The numbered areas a value names by abbreviation, as the ontology names them.

    >>> numbered_area_phrasings("frontal pole (BA10)"), numbered_area_phrasings("BA 46")
    (['brodmann area 10'], ['brodmann area 46'])
    """
    if not _AREAS:
        return []
    toks = tokens(text)
    out = []
    for i, t in enumerate(toks):
        m = _AREA.match(t)
        if m and m.group(1) in _AREAS:
            out.append(f"{_AREAS[m.group(1)]} {m.group(2)}")
        elif t in _AREAS and i + 1 < len(toks) and toks[i + 1].isdigit() and len(toks[i + 1]) <= 2:
            out.append(f"{_AREAS[t]} {toks[i + 1]}")
    return out


#: Endings of the adverbs that qualify a healthy state ("apparently", "otherwise",
#: "cognitively" normal) and of few other words ("family" is no adverb).
_ADVERB = ("ally", "ently", "ively")


#: Last words of a qualifier before a healthy name ('age-matched'): ``control_qualifiers``.
_QUALIFIER_ENDS = words("control_qualifiers")
#: Words about the person sampled, beside a healthy name (rule ``healthy_person``), and the
#: nouns among them that name the person ('subject', not 'never').
PERSON_WORDS = words("person_words")
PERSON_NOUNS = frozenset(r["word"] for r in choices("person_words", "kind",
                                                      frozenset({"person", "about"}))
                         if r["kind"] == "person")
_CONTROL_PERSON = _control_person()


def _denied_words(lex: Lexicon, text: str, toks: list[str]) -> set[int]:
    """Token positions of the disease names a value denies, with the negating words touching
    them ('hiv negative control': 0 and 1; 'no asthma control': 0 and 1)."""
    if TRIGGER_WORDS.isdisjoint(toks):
        return set()
    out = {j for m in _denied_mentions(lex, text, strict=False)
           for j in range(m.start, m.start + m.n_tokens)}
    if out:  # the trigger words touching them, before or after
        lo, hi = min(out), max(out) + 1
        out.update(j for j in (*range(lo - 2, lo), *range(hi, hi + 2))
                   if 0 <= j < len(toks) and toks[j] in TRIGGER_WORDS)
    return out


#: The shortest word 'non' rules out as a condition ('non-failing'; 'non-T' is a cell fraction).
NON_WORD_MIN = 4


def ruled_out_word(lex: Lexicon, text: str) -> bool:
    """Whether a value is "non" and one word that names nothing ("non-failing", "non-demented",
    "non-drinker"): under a disease key, a donor without the condition the word describes.

    >>> ruled_out_word(Lexicon("v", {}, {}, {}, {}), "non-failing")
    True
    >>> ruled_out_word(Lexicon("v", {}, {}, {}, {}), "non-Hispanic white")
    False
    """
    toks = tokens(PARENTHESIS.sub(" ", text))  # "non-failing donor (NF)": a remark on it
    if _ON["healthy_person"]:  # "non-failing donor": words about the person name no disease
        toks = [t for j, t in enumerate(toks) if j < 2 or t not in PERSON_WORDS]
    if (not _ON["non_word_healthy"] or len(toks) != 2 or toks[0] != "non"
            or len(toks[1]) < NON_WORD_MIN):
        return False
    return not any(lex.lookup(f, toks[1]) for f in ("disease", "tissue", "cell_type"))


def ends_in_control(text: str) -> bool:
    """Whether a value ends in a word naming a control ('NGT control', 'ND (control)'): under
    a disease key, whatever the words before it, a control of the study, no disease (rule
    ``control_of_study``, switched in the grounder)."""
    toks = tokens(text)
    return len(toks) > 1 and toks[-1] in CONTROL_WORDS


def names_healthy(lex: Lexicon, text: str) -> bool:
    """Whether the whole of ``text`` is one of the lexicon's names of the healthy state
    ("control", "healthy", "HC")."""
    return any(tid == HEALTHY for tid, _ in lex.lookup("disease", normalize(text)))


#: One-word triggers that rule out the word after them ("non", "never", "no").
_RULING_OUT = frozenset(t[0] for t in BEFORE if len(t) == 1)


def healthy_anatomy(lex: Lexicon, text: str, anatomy: bool = True) -> bool:
    """Whether a disease value is a healthy-state name beside the sample's number or the tissue
    or cell type that was sampled ("Control 2", "healthy control #3", "healthy kidney", "healthy
    lung tissue"): under a disease key that is the donor's healthy state. Besides numbers, an
    adverb before the name ("cognitively normal") and a remark in parentheses ("Control
    (never smoked)"), the rest of the value must be a whole tissue or cell-type name
    (``anatomy``), or nothing.

    A qualifier that rules a word out ("non-demented control") and a remark after a comma
    that names no disease ("healthy, no medication") say how the control was chosen.
    Never when a word of the healthy name is negated ("not normal breast").
    """
    parts = [p for p in _PARTS.split(text) if p.strip()]
    if len(parts) > 1 and _ON["healthy_remarks"]:
        # "healthy, no medication": one part is the healthy name, the others remark on the donor
        # and name no disease of theirs
        return any(names_healthy(lex, p) or healthy_anatomy(lex, p, anatomy)
                   for p in parts) and not any(
            find_mentions(lex, "disease", p)[0] for p in parts)
    toks = tokens(PARENTHESIS.sub(" ", text))  # "Control (never smoked)": a remark on it
    denied = _denied_words(lex, " ".join(toks), toks)
    remarked = len(toks) < len(tokens(text)) or bool(denied)
    for i, n in _healthy_spans(lex, toks):
        # "age-matched control": the words up to a qualifier's last word say how it was chosen
        first = max((j + 1 for j, t in enumerate(toks[:i]) if t in _QUALIFIER_ENDS), default=0)
        # "non-demented control", "never-smoker control": a word a prefix rules out says how
        # the control was chosen too
        ruled = {k for j, t in enumerate(toks[:i]) if t in _RULING_OUT and _ON["healthy_remarks"]
                 for k in (j, j + 1) if k < i}
        rest = [t for j, t in enumerate(toks) if not i <= j < i + n and j >= first
                and j not in denied and j not in ruled  # "HIV negative control"
                and not t.isdigit() and not (t.endswith(_ADVERB) and j < i)]
        if (remarked or first > 0 or len(rest) < len(toks) - n) and not rest:
            return True  # "Control 2", "cognitively normal": the healthy name, qualified
        if rest and anatomy and any(match_exact(lex, f, " ".join(rest))
                                    for f in ("tissue", "cell_type")):
            return True
        if rest and _ON["healthy_person"] and all(t in PERSON_WORDS or names_healthy(lex, t)
                                                  for t in rest):
            return True  # "healthy living donor", "unaffected sibling", "unaffected control"
    return False


def mention_candidates(lex: Lexicon, facet: str, text: str, strict: bool = True,
                       ordered: bool = True) -> list[Candidate]:
    """One candidate per mentioned term, with the features used to pick the sample's term."""
    mentions, n_tok = find_mentions(lex, facet, text, strict, ordered=ordered)
    if not mentions:
        return []
    by_term: dict[str, list[Mention]] = {}
    for m in mentions:
        by_term.setdefault(m.term_id, []).append(m)
    if _ON["shared_names"] and len(by_term) > 1:
        by_term = _own_words(lex, by_term)
    term_ids = list(by_term)
    n_terms = len(term_ids)
    above = _above_others(lex, term_ids)
    out = []
    for tid, ms in by_term.items():
        info = lex.term(tid)
        if info is None or (info.depth == 0 and facet in ROOTED_FACETS and _ON["root_terms"]):
            continue  # an ontology root ("condition", "disorder") names nothing in a text
        best = max(ms, key=lambda m: (not m.nested, KIND_RANK.get(m.kind, 0), m.n_tokens))
        has_desc = tid in above
        has_anc = any(a != tid and a in by_term for a in lex.ancestors.get(tid, ()))
        starts = {m.start for m in ms}
        feats = {
            "count": float(len(starts)),
            "log_count": math.log1p(len(starts)),
            "first_pos": min(starts) / max(n_tok, 1),
            "n_tokens": float(best.n_tokens),
            "n_same_name": float(best.n_same_name),
            "kind_rank": float(KIND_RANK.get(best.kind, 0)),
            "has_descendant_mention": float(has_desc),
            "has_ancestor_mention": float(has_anc),
            "log_n_desc": math.log1p(info.n_desc),
            "depth": float(info.depth),
            "n_terms_mentioned": float(n_terms),
            "len_name": float(len(best.name)),
            "has_digit": float(any(c.isdigit() for c in best.name)),
            "nested": float(all(m.nested for m in ms)),
            "single_synonym": float(best.n_tokens == 1 and best.kind not in (
                "label", "curated", "curated_abbreviation")),
            "text_tokens": float(n_tok),
            "spelt": float(any(m.kind == "spelt" for m in ms)),
        }
        out.append(Candidate(term_id=tid, term_label=info.label, method="mention",
                             matched_text=best.name, match_kind=best.kind, similarity=1.0,
                             features=feats))
    return out
