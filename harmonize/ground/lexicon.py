"""Per-facet name dictionaries built from the ontologies, cached on disk by version.

Facets and where their names come from:

==========  ==========================================================================
tissue      UBERON (minus the life-stage branch and organism-level terms)
cell_type   CL (minus culture-state classes such as "cell in vitro")
disease     MONDO, plus healthy words -> PATO:0000461 "normal" (from ``synonyms.tsv``)
cell_line   Cellosaurus labels, also by their compact form ("HEK 293" = "hek-293")
sex         PATO female / male words (``synonyms.tsv``)
dev_stage   UBERON life-cycle stages only (the issue and the gold use UBERON stages)
assay       EFO experimental processes (for explain / lookup)
==========  ==========================================================================

Every name keeps its kind: ``label``, ``synonym``, ``abbreviation`` (a short all-capitals
synonym), ``curated`` / ``curated_abbreviation`` / ``healthy`` (from ``synonyms.tsv``),
``variant`` (a derived spelling) or ``former`` (the label of an obsolete term, pointing to its
replacement).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import logging
import os
import pickle
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harmonize.errors import ConfigError, OntologyError
from harmonize.ground.normalize import NORMALIZER_VERSION, compact, normalize
from harmonize.ground.rules import enabled, synonym_group, table, words
from harmonize.ground.rules import fingerprint as rules_fingerprint
from harmonize.ontology.model import OntologyData
from harmonize.resources import ONTOLOGIES_DIR

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from harmonize.ground.line_disease import LineWords

LEXICON_FORMAT = "12"
SYNONYMS_PATH = ONTOLOGIES_DIR / "synonyms.tsv"
HEALTHY = "PATO:0000461"
KEEP_CACHED = 3  # lexicon versions kept in the cache folder
LIFE_STAGE_ROOT = "UBERON:0000105"
ORGANISM_ROOT = "UBERON:0000468"
ASSAY_ROOT = "EFO:0002694"
#: MONDO branches that are not diseases a sample can have: grades, "congenital", "idiopathic",
#: "inherited"... (disease characteristic) and genetic susceptibilities.
_NOT_A_TERM = table("not_a_term") if enabled("not_a_term") else ()
MONDO_NOT_DISEASE = frozenset(r["term_id"] for r in _NOT_A_TERM if r["facet"] == "disease")
#: CL classes describing a culture state or the root, not a cell type
#: (``ontologies/words/not_a_term.tsv``).
CL_NOT_CELL_TYPE = frozenset(r["term_id"] for r in _NOT_A_TERM if r["facet"] == "cell_type")
#: Ranking of name kinds (higher is more trustworthy).
KIND_RANK = {"curated": 5, "label": 4, "healthy": 4, "synonym": 3, "curated_abbreviation": 3,
             "variant": 2, "abbreviation": 2, "composed": 3, "adjective": 2, "former": 1,
             "misspelled": 3, "spelt": 2}

Entry = tuple[str, str]  # (term_id, kind)


@dataclass(frozen=True, slots=True)
class TermInfo:
    """What the matchers need to know about one term."""

    id: str
    label: str
    facet: str
    depth: int = 0  # longest path to a root (0 for roots and flat vocabularies)
    n_desc: int = 0  # number of descendants in the same facet (genericity)


@dataclass(slots=True)
class Lexicon:
    """Names by facet and normalized text, with term facts and ancestors.

    ``names[facet][normalized text]`` -> ((term_id, kind), ...);
    ``compact_names`` does the same for cell lines keyed by :func:`compact`.
    """

    version: str
    ontology_versions: dict[str, str]
    names: dict[str, dict[str, tuple[Entry, ...]]]
    compact_names: dict[str, tuple[Entry, ...]]
    terms: dict[str, TermInfo]
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Per Cellosaurus id, EFO's words for the line's disease (:mod:`line_disease`).
    line_words: dict[str, LineWords] = field(default_factory=dict)
    #: Per Cellosaurus id, the sex a user-supplied Cellosaurus release gives it (:mod:`line_sex`).
    line_sexes: dict[str, str] = field(default_factory=dict)
    #: Per Cellosaurus id, the MONDO disease ``line_diseases.tsv`` lists (rule
    #: ``line_disease_listed``).
    line_diseases: dict[str, str] = field(default_factory=dict)
    _words: dict[tuple[str, ...] | None, frozenset[str]] | None = field(
        default=None, repr=False, compare=False)
    _by_term: dict[str, dict[str, tuple[str, ...]]] | None = field(
        default=None, repr=False, compare=False)

    def knows_word(self, word: str, facets: tuple[str, ...] | None = None) -> bool:
        """Whether ``word`` is part of a name of one of ``facets`` (default: any facet); each
        vocabulary is built on first use."""
        if not isinstance(self._words, dict):  # a lexicon pickled by an earlier release
            self._words = {}
        vocab = self._words.get(facets)
        if vocab is None:
            vocab = self._words[facets] = frozenset(
                w for facet, names in self.names.items() if facets is None or facet in facets
                for name in names for w in name.split())
        return word in vocab

    def names_for(self, facet: str, term_id: str) -> tuple[str, ...]:
        """Every normalized name of one term in a facet (the index is built on first use)."""
        if not isinstance(self._by_term, dict):  # a lexicon pickled by an earlier release
            self._by_term = {}
        index = self._by_term.get(facet)
        if index is None:
            grouped: dict[str, list[str]] = {}
            for name, entries in self.names.get(facet, {}).items():
                for tid, _ in entries:
                    grouped.setdefault(tid, []).append(name)
            index = self._by_term[facet] = {t: tuple(n) for t, n in grouped.items()}
        return index.get(term_id, ())

    def lookup(self, facet: str, norm: str) -> tuple[Entry, ...]:
        """Entries whose normalized name equals ``norm`` exactly."""
        return self.names.get(facet, {}).get(norm, ())

    def term(self, term_id: str) -> TermInfo | None:
        """The :class:`TermInfo` of a term, if it is in the lexicon."""
        return self.terms.get(term_id)

    def is_ancestor(self, ancestor: str, term_id: str) -> bool:
        """True when ``ancestor`` is a strict ancestor of ``term_id``."""
        return ancestor in self.ancestors.get(term_id, ())

    def names_of(self, facet: str) -> list[str]:
        """Every normalized name of a facet (fuzzy/embedding choices), sorted."""
        return sorted(self.names.get(facet, {}))


def read_synonyms(path: Path = SYNONYMS_PATH) -> list[tuple[str, str, str, str]]:
    """Rows ``(facet, text, term_id, kind)`` of the curated synonyms file."""
    if not path.exists():
        return []
    rows = []
    with path.open(newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t"), 2):
            if not row.get("facet") or row["facet"].startswith("#"):
                continue
            if not row.get("text") or not row.get("term_id"):
                raise OntologyError(f"{path}: line {i}: needs facet, text and term_id: {row!r}")
            rows.append((row["facet"].strip(), row["text"].strip(), row["term_id"].strip(),
                         (row.get("kind") or "curated").strip()))
    return rows


#: UBERON ids of structures only fish (2xxxxxx, from TAO) or amphibians (3xxxxxx, from AAO)
#: have: 'SN' (supraneural bone), 'corpus' (an amphibian brain part) name no part of a person.
_TAXON_SPECIFIC = re.compile(r"^UBERON:[23]\d{6}$")


def _facet_of(ont: str, tid: str, data: OntologyData) -> str | None:
    term = data.terms[tid]
    if ont == "UBERON":
        if _TAXON_SPECIFIC.match(tid) and enabled("taxon_specific_anatomy"):
            return None  # teleost (2xxxxxx) and amphibian (3xxxxxx) anatomy: no human part
        if tid == LIFE_STAGE_ROOT or LIFE_STAGE_ROOT in term.ancestors:
            return "dev_stage"
        if tid == ORGANISM_ROOT or (term.ancestors.get(ORGANISM_ROOT) == 1
                                    and "organism" in term.label):
            return None
        return "tissue"
    if ont == "CL":
        return None if tid in CL_NOT_CELL_TYPE or not tid.startswith("CL:") else "cell_type"
    if ont == "MONDO":
        if not tid.startswith("MONDO:") or tid in MONDO_NOT_DISEASE or any(
                a in MONDO_NOT_DISEASE for a in term.ancestors):
            return None
        return "disease"
    if ont == "CVCL":
        return "cell_line"
    if ont == "EFO":
        return "assay" if (ASSAY_ROOT in term.ancestors and tid.startswith("EFO:")) else None
    return None  # PATO etc.: only through synonyms.tsv


_ABBREVIATION_KIND = enabled("abbreviation_kind")


def _synonym_kind(text: str) -> str:
    """``abbreviation`` for short capitals ("AML") and any one-word synonym of up to 4
    characters ("cdc"), else ``synonym``."""
    if not _ABBREVIATION_KIND:
        return "synonym"
    letters = [c for c in text if c.isalpha()]
    if " " not in text.strip() and re.search(r"[a-z][A-Z]", text):
        return "abbreviation"  # 'chILD', 'pSS', 'IgAN': in lower case a word ('child')
    if letters and len(text) <= 6 and all(c.isupper() for c in letters):
        return "abbreviation"
    if len(text) <= 4 and " " not in text.strip():
        return "abbreviation"
    return "synonym"


#: Words the bag-of-words text of GEO records has lost ('refractory anemia [with] excess
#: blasts').
_FUNCTION_WORDS = words("function_words")


#: A first word written with a prefix that samples also hyphenate ('pre-diabetes').
_PREFIX = re.compile(r"^(pre|post)([a-z]{4,})$")
#: Words that only look prefixed ('premature', 'posterior').
_NOT_SPLIT = words("not_split")
#: Rules of :func:`_name_variants` (``ontologies/rules.tsv``).
_VARIANT = {name: enabled(f"variant_{name}") for name in (
    "prefix_split", "function_words", "adipose", "glued_cell", "of_reorder",
    "abbreviation_cell", "cell_noun", "human_prefix", "caseless_abbreviation",
    "comma_inverted")}
#: Classes whose members are named with the class's head noun after them ('<x> muscle'):
#: ``ontologies/words/class_heads.tsv`` (rule ``variant_class_head``).
_CLASS_HEADS = tuple((r["term_id"], r["word"]) for r in table("class_heads")
                     ) if enabled("variant_class_head") else ()
#: Words before 'cell' that are nouns for the cells on their own ('neural progenitors',
#: 'erythroid precursors'): ``ontologies/words/cell_nouns.tsv``.
_CELL_NOUNS = frozenset(w for w in words("cell_nouns") if not w.startswith("-"))


def cell_noun_endings(entries: Iterable[str]) -> tuple[str, ...]:
    """The endings a word list gives as '-<ending>' rows ('-blast'); a bare '-' would make
    every word a noun for cells, so it is refused naming the list.

    >>> cell_noun_endings(["progenitor", "-blast"])
    ('blast',)
    """
    out = tuple(sorted(w[1:] for w in entries if w.startswith("-")))
    if "" in out:
        raise ConfigError("ontologies/words/cell_nouns.tsv: a '-' row names no ending "
                          "(write the ending after the dash: '-blast')")
    return out


#: Endings of such nouns ('-blast': 'trophoblast'); a word is longer than its ending.
_CELL_NOUN_ENDINGS = cell_noun_endings(words("cell_nouns"))


def _cell_abbreviation(norm: str) -> str | None:
    """A cell type's abbreviation ending in its 'C' for 'cell', written with the word
    instead, as samples do: 'ipsc' -> 'ips cell' ('an iPS cell line'), 'esc' -> 'es cell'.

    >>> _cell_abbreviation("ipsc"), _cell_abbreviation("hesc"), _cell_abbreviation("dc")
    ('ips cell', 'hes cell', None)
    """
    return f"{norm[:-1]} cell" if re.fullmatch(r"[a-z]{2,4}c", norm) else None


def _cell_noun(word: str) -> bool:
    """Whether a word is by its ending a noun for a cell ('trophoblast', 'osteocyte').

    >>> _cell_noun("syncytiotrophoblast"), _cell_noun("blast"), _cell_noun("stem")
    (True, False, False)
    """
    return any(word.endswith(e) and len(word) > len(e) for e in _CELL_NOUN_ENDINGS)


def _name_variants(norm: str) -> list[str]:
    """Extra spellings of a name.

    * 't cell' -> 'tcell': bag-of-words text glues short prefixes;
    * 'fibroblast of lung' -> 'lung fibroblast': the word order samples use for
      '<thing> of <place>' names (a thing of at most three words, a place of at most two
      after a 'the': 'smooth muscle cell of the coronary artery');
    * 'subcutaneous adipose tissue' -> 'subcutaneous adipose': samples use the adjective as a
      noun ('adipose' alone is curated);
    * 'neural progenitor cell' -> 'neural progenitor': 'progenitors', 'precursors' are cells;
    * the name without function words ('of', 'with'...), which GEO bag-of-words text drops;
    * 'prediabetes' -> 'pre diabetes': samples hyphenate 'pre-' and 'post-', and the
      hyphen splits the word.

    >>> _name_variants("fibroblast of lung")
    ['fibroblast lung', 'lung fibroblast']
    >>> _name_variants("smooth muscle cell of the pulmonary artery")[-1]
    'pulmonary artery smooth muscle cell'
    >>> _name_variants("refractory anemia with excess blasts")
    ['refractory anemia excess blasts']
    >>> _name_variants("brown adipose tissue")
    ['brown adipose']
    >>> _name_variants("neural progenitor cell")
    ['neural progenitor']
    >>> [_name_variants(n) for n in ("prediabetes syndrome", "premature", "posterior")]
    [['pre diabetes syndrome'], [], []]
    """
    toks = norm.split()
    out = []
    prefix = _PREFIX.match(toks[0]) if toks else None
    if prefix and prefix.group(2) not in _NOT_SPLIT and _VARIANT["prefix_split"]:
        out.append(" ".join([prefix.group(1), prefix.group(2)] + toks[1:]))
    bare = [t for t in toks if t not in _FUNCTION_WORDS]
    # bag-of-words text drops function words
    if len(bare) >= 2 and len(bare) < len(toks) and _VARIANT["function_words"]:
        out.append(" ".join(bare))
    if len(toks) >= 3 and toks[-2:] == ["adipose", "tissue"] and _VARIANT["adipose"]:
        out.append(" ".join(toks[:-1]))
    for i in range(len(toks) - 1 if _VARIANT["glued_cell"] else 0):
        if toks[i + 1] == "cell" and len(toks[i]) <= 3 and toks[i].isalnum():
            out.append(" ".join(toks[:i] + [toks[i] + "cell"] + toks[i + 2:]))
    if len(toks) >= 2 and toks[-1] == "cell" and _VARIANT["cell_noun"] and (
            (len(toks) >= 3 and toks[-2] in _CELL_NOUNS) or _cell_noun(toks[-2])):
        out.append(" ".join(toks[:-1]))  # 'neural progenitors': progenitor cells
    if toks.count("of") == 1 and _VARIANT["of_reorder"]:
        k = toks.index("of")
        head, place = toks[:k], toks[k + 1:]
        if place and place[0] == "the":  # 'stem cell of the bone marrow': 'bone marrow ...'
            place = place[1:]
        if 1 <= len(head) <= 3 and 1 <= len(place) <= 2 and place[0] not in ("a", "an"):
            out.append(" ".join(place + head))
    return out


def _comma_inverted(text: str) -> str | None:
    """A disease name written inverted, as indexes write them ('osteoarthritis, knee'), in
    the order samples use ('knee osteoarthritis'): one comma, a qualifier of one or two
    words after it, at most four words before it, no digits.

    >>> _comma_inverted("osteoarthritis, knee"), _comma_inverted("syncope, familial vasovagal")
    ('knee osteoarthritis', 'familial vasovagal syncope')
    >>> _comma_inverted("deafness, autosomal dominant 1"), _comma_inverted("diabetes")
    (None, None)
    """
    if text.count(",") != 1 or any(c.isdigit() for c in text):
        return None
    head, qualifier = (normalize(part) for part in text.split(","))
    if not head or not 1 <= len(qualifier.split()) <= 2 or len(head.split()) > 4:
        return None
    return f"{qualifier} {head}"


#: A trailing qualifier of kind ('(disease)'), a taxon that includes humans ('(sensu
#: Vertebrata)', '(Primate)') or an author ('(Crosby)'). Other brackets carry meaning
#: ('anterior lobe (hypophysis)'), and a mouse-only term ('alpha cell (Mmus)', a retinal
#: ganglion cell) must not take a bare name human samples use for something else.
_QUALIFIER = re.compile(
    r"^([^()]*[^()\s])\s+\((?:disease|disorder|finding|morphologic abnormality"
    r"|sensu (?:Vertebrata|Mammalia|Homo)|Homo sapiens|Primate|human|(?!Mmus\))[A-Z][a-z]{3,})"
    r"\)\s*$")


_UNQUALIFIED = enabled("unqualified_names")


def _unqualified(text: str) -> str | None:
    """The name without a trailing parenthesised qualifier, if it has one.

    Ontologies qualify names by author, taxon or kind: 'hippocampus (Crosby)', 'neuroblast
    (sensu Vertebrata)', 'epididymitis (disease)'. Samples write the bare name.

    >>> _unqualified("Hippocampus (Crosby)"), _unqualified("hippocampus")
    ('Hippocampus', None)
    >>> _unqualified("anterior lobe (hypophysis)"), _unqualified("Del(16)(p13.2)")
    (None, None)
    >>> _unqualified("alpha cell (Mmus)"), _unqualified("A7 cell (Mus musculus)")
    (None, None)
    """
    m = _QUALIFIER.match(text) if text.endswith(")") and _UNQUALIFIED else None
    return m.group(1) if m else None


_SEGMENT = re.compile(r"[\s\-_/]+")


#: Last label parts naming a reporter a derived line carries (``words/reporter_tags.tsv``).
_REPORTER_TAGS = words("reporter_tags") if enabled("cell_line_parts") else frozenset()
_HUMAN_QUALIFIER = re.compile(r"^(.*\S)\s+\[Human [^\]]*\]$")


def _cell_line_variants(label: str) -> list[str]:
    """Compact keys of a cell-line label, the label's own first.

    Labels made of several segments are also reachable by their coded part
    ('NCI-H1944' -> 'h1944', 'SK-N-BE(2)-C' -> 'be2c', 'D458 Med' -> 'd458'), when that
    part has a digit and at least 4 characters.

    A human line whose label Cellosaurus qualifies to tell it from namesakes is also reachable
    by its bare name ('HK-2 [Human kidney]' -> 'hk2'); lines of other species are not.

    >>> _cell_line_variants("LNCaP C4-2B"), _cell_line_variants("HK-2 [Human kidney]")[1:]
    (['lncapc42b', 'c42b'], ['hk2'])
    """
    key = compact(label)
    out = [key]
    human = _HUMAN_QUALIFIER.match(label) if enabled("cell_line_human_qualifier") else None
    if human:
        out.append(compact(human.group(1)))
        label = human.group(1)
    parts = [p for p in _SEGMENT.split(label) if p]
    n = len(parts)
    # 'U-87MG ATCC' is U87MG; 'THP1-ASC-GFP' is a tagged derivative, never a bare 'THP1-ASC'
    ends = [n, n - 1] if (n > 1 and parts[-1].isalpha()
                          and parts[-1].lower() not in _REPORTER_TAGS) else [n]
    starts = [0]
    for i in range(1, n):  # only alphabetic prefixes may go ("NCI-", "SK-N-", "hTERT-")
        if not parts[i - 1].isalpha():
            break
        starts.append(i)
    for i in starts if enabled("cell_line_parts") else ():
        for j in ends:
            if (i, j) == (0, n) or j <= i:
                continue
            sub = compact("".join(parts[i:j]))
            if len(sub) >= 4 and any(c.isdigit() for c in sub) and any(c.isalpha() for c in sub):
                out.append(sub)
    return list(dict.fromkeys(out))


def build_lexicon(ontologies: Mapping[str, OntologyData],
                  synonyms: list[tuple[str, str, str, str]] | None = None,
                  version: str = "dev") -> Lexicon:
    """Build a :class:`Lexicon` from loaded ontologies and curated synonym rows (pure)."""
    names: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    compact_names: dict[str, dict[str, str]] = defaultdict(dict)
    terms: dict[str, TermInfo] = {}
    ancestors: dict[str, frozenset[str]] = {}

    unqualified: list[tuple[str, str, str, str]] = []

    def add(facet: str, text: str, tid: str, kind: str) -> None:
        norm = normalize(text)
        if not norm:
            return
        bare = _unqualified(text)
        bare_norm = normalize(bare) if bare else ""
        if bare_norm:  # 'ION (sensu Cancer borealis)': an abbreviation once bare
            short = _synonym_kind(bare) == "abbreviation"
            unqualified.append((facet, bare_norm, tid, "abbreviation" if short else kind))
        spelled = [_cell_abbreviation(norm)] if (
            facet == "cell_type" and "abbreviation" in kind and _VARIANT["abbreviation_cell"]
            and tid in terms and terms[tid].label.endswith(" cell")) else []
        if (facet == "cell_type" and "abbreviation" in kind and _VARIANT["human_prefix"]
                and len(norm) >= 3 and norm.isalnum()):
            spelled.append(f"h{norm}")  # 'hMSC', 'hNPC': the human cells
        # an abbreviation as case-folded text writes it: 'PPMS' is 'ppms', read as a plural
        # ('ppm') once its capitals are lost (bag-of-words text); still an abbreviation
        folded = normalize(text.lower()) if (
            "abbreviation" in kind and _VARIANT["caseless_abbreviation"]) else norm
        inverted = _comma_inverted(text) if (facet == "disease" and kind == "label"
                                             and _VARIANT["comma_inverted"]) else None
        for key in dict.fromkeys([norm, folded, *_name_variants(norm), *filter(None, spelled),
                                  *filter(None, [inverted])]):
            slot = names[facet][key]
            k = kind if key in (norm, folded) else "variant"
            if KIND_RANK.get(k, 0) > KIND_RANK.get(slot.get(tid, ""), -1):
                slot[tid] = k

    for ont, data in ontologies.items():
        facets = {tid: _facet_of(ont, tid, data) for tid in data.terms}
        n_desc: dict[str, int] = defaultdict(int)
        for tid, t in data.terms.items():
            if facets[tid] and not t.obsolete:
                for a in t.ancestors:
                    n_desc[a] += 1
        for tid, t in data.terms.items():
            facet = facets[tid]
            if facet is None:
                continue
            if t.obsolete:
                target = data.resolve(tid)
                if (target and target in data.terms and facets.get(target) == facet
                        and enabled("former_names")):
                    add(facet, t.label.removeprefix("obsolete "), target, "former")
                continue
            terms[tid] = TermInfo(tid, t.label, facet,
                                  max(t.ancestors.values(), default=0), n_desc.get(tid, 0))
            if t.ancestors and facet != "cell_line":
                ancestors[tid] = frozenset(t.ancestors)
            if facet == "cell_line":
                for key in _cell_line_variants(t.label):
                    if key:
                        kind = "label" if key == compact(t.label) else "variant"
                        slot = compact_names[key]
                        if KIND_RANK[kind] > KIND_RANK.get(slot.get(tid, ""), -1):
                            slot[tid] = kind
                continue  # cell lines are looked up by their compact form only
            add(facet, t.label, tid, "label")
            for text, _ in t.synonyms:
                add(facet, text, tid, _synonym_kind(text))
            for head in (h for cls, h in _CLASS_HEADS if cls in t.ancestors):
                for text in [t.label, *(s for s, _ in t.synonyms)]:
                    if head not in normalize(text).split() and len(text) > 3:
                        add(facet, f"{text} {head}", tid, "variant")  # 'vastus medialis muscle'
    pato = ontologies.get("PATO")
    claimed: list[tuple[str, str, str]] = []
    adjectives: list[tuple[str, str, str]] = []
    for facet, text, tid, kind in synonyms or ():
        if not enabled(synonym_group(facet, kind)):
            continue  # a group switched off for an ablation
        if kind == "abbreviation":
            kind = "curated_abbreviation"
        if facet == "cell_line":
            compact_names[compact(text)][tid] = kind
        if tid not in terms:
            label = pato.terms[tid].label if pato and tid in pato.terms else tid
            terms[tid] = TermInfo(tid, label, facet)
        add(facet, text, tid, kind)
        if kind == "curated":
            claimed.append((facet, normalize(text), tid))
            if re.fullmatch(r"[a-z]+ic", text):  # 'diabetic', 'asthmatic'
                adjectives.append((facet, text, tid))
    if enabled("adjective_variants"):
        _adjective_variants(names, terms, adjectives)
    # a curated name means its term ('skin': skin of body, not UBERON's other 'skin', zone
    # of skin); a curated abbreviation stays ambiguous
    for facet, norm, tid in claimed if enabled("curated_claims") else ():
        slot = names[facet][norm]
        for other in [o for o in slot if o != tid and slot[o] != "curated"]:
            del slot[other]
    taken = {(f, key) for f in {u[0] for u in unqualified} for key, slot in names[f].items()
             if any(k != "variant" for k in slot.values())}
    for facet, bare, tid, kind in unqualified:  # only where the bare name names nothing else
        if (facet, bare) not in taken:
            names[facet][bare].setdefault(tid, kind)
    if enabled("drop_site_synonyms"):
        _drop_site_synonyms(names)
    frozen = {f: {k: _ranked(v) for k, v in d.items()} for f, d in names.items()}
    from harmonize.ground.line_disease import (  # they read HEALTHY from here
        line_disease_texts,
        listed_diseases,
    )
    from harmonize.ground.line_sex import cellosaurus_sexes, listed_sexes

    efo, cvcl = ontologies.get("EFO"), ontologies.get("CVCL")
    line_words = (line_disease_texts(efo, cvcl) if efo and cvcl and enabled("line_disease")
                  else {})
    line_sexes = ({**listed_sexes(cvcl.terms),
                   **cellosaurus_sexes({t: d.subsets for t, d in cvcl.terms.items() if d.subsets})}
                  if cvcl and enabled("line_sex") else {})
    mondo = ontologies.get("MONDO")
    line_diseases = (listed_diseases(cvcl.terms, mondo.terms)
                     if cvcl and mondo and enabled("line_disease") else {})
    return Lexicon(version=version,
                   ontology_versions={n: o.version for n, o in sorted(ontologies.items())},
                   names=frozen, compact_names={k: _ranked(v) for k, v in compact_names.items()},
                   terms=terms, ancestors=ancestors, line_words=line_words, line_sexes=line_sexes,
                   line_diseases=line_diseases)


def _adjective_variants(names: dict[str, dict[str, dict[str, str]]],
                        terms: Mapping[str, TermInfo],
                        adjectives: list[tuple[str, str, str]]) -> None:
    """Names ending in a noun whose adjective is curated are also found with the adjective:
    'diabetic' is curated for diabetes mellitus, so 'type 2 diabetes' is also 'type 2
    diabetic' (a donor described by the adjective). The noun is the label's word sharing at
    least five first letters with the adjective."""
    wanted: dict[str, dict[str, str]] = defaultdict(dict)  # facet -> noun -> adjective
    for facet, adj, tid in adjectives:
        info = terms.get(tid)
        noun = next((w for w in (info.label.lower().split() if info else ())
                     if w != adj and len(os.path.commonprefix([w, adj])) >= 5), None)
        if noun is not None:
            wanted[facet][noun] = adj
    for facet, nouns in wanted.items():
        for key, slot in list(names[facet].items()):
            head, _, last = key.rpartition(" ")
            if head and last in nouns:
                variant = names[facet][f"{head} {nouns[last]}"]
                for t, k in slot.items():
                    if k != "variant":
                        variant.setdefault(t, "variant")


#: Name kinds a disease may borrow from its site only by mistake.
SITE_SYNONYM_KINDS = frozenset({"synonym", "variant"})


def _drop_site_synonyms(names: dict[str, dict[str, dict[str, str]]]) -> None:
    """Remove disease synonyms that are the name of a body part or cell type.

    MONDO lists the inflamed organ among the synonyms of its inflammation ('subcutaneous
    adipose tissue' for panniculitis, 'pituitary gland' for hypophysitis, 'seminal vesicle'
    for vesiculitis); read as disease names, every sample of that tissue would get the
    disease. A disease *label* that is also an anatomical name ('bicornuate uterus',
    'synostosis') stays.
    """
    sites = {key for facet in ("tissue", "cell_type") for key, slot in names.get(facet, {}).items()
             if any(kind != "abbreviation" for kind in slot.values())}
    disease = names.get("disease", {})
    for key in sites & disease.keys():
        slot = disease[key]
        for tid in [t for t, kind in slot.items() if kind in SITE_SYNONYM_KINDS]:
            del slot[tid]
        if not slot:
            del disease[key]


def _ranked(slot: Mapping[str, str]) -> tuple[Entry, ...]:
    return tuple(sorted(slot.items(), key=lambda e: (-KIND_RANK.get(e[1], 0), e[0])))


def lexicon_version(fingerprint: str, synonyms_path: Path = SYNONYMS_PATH) -> str:
    """Digest of the ontology releases, the curated synonyms, the rule word lists and any rule
    switched off (:mod:`harmonize.ground.rules`), and the explicit version constants of the
    lexicon builder (:data:`harmonize.ground.versions.LEXICON_VERSION`), the normalizer and the
    cache format: a cache built otherwise is never read back."""
    from harmonize.ground.versions import LEXICON_VERSION

    h = hashlib.sha256()
    for part in (fingerprint, NORMALIZER_VERSION, LEXICON_FORMAT, LEXICON_VERSION,
                 rules_fingerprint(),
                 synonyms_path.read_text() if synonyms_path.exists() else ""):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:12]


def cache_dir() -> Path:
    """``$HARMONIZE_CACHE`` or ``~/.cache/harmonize``."""
    return Path(os.environ.get("HARMONIZE_CACHE") or Path.home() / ".cache" / "harmonize")


def load_lexicon(*, rebuild: bool = False, directory: Path | None = None,
                 synonyms_path: Path = SYNONYMS_PATH) -> Lexicon:
    """The full lexicon: from the disk cache when its version matches, else built and saved.

    Example:
        >>> lex = load_lexicon()  # doctest: +SKIP
        >>> lex.lookup("tissue", "liver")  # doctest: +SKIP
        (('UBERON:0002107', 'label'),)
    """
    from harmonize.ground.listed_ids import listed_files, unknown_ids
    from harmonize.ground.sources import load_ontologies, source_fingerprint

    version = lexicon_version(source_fingerprint(), synonyms_path)
    path = (directory or cache_dir()) / f"lexicon-{version}.pkl"
    if path.exists() and not rebuild:
        try:
            gc.disable()  # unpickling a million small objects is much faster without gc
            try:
                with path.open("rb") as fh:
                    lex = pickle.load(fh)
            finally:
                gc.enable()
            if isinstance(lex, Lexicon) and lex.version == version:
                return _settled(lex)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a corrupt or stale cache file is rebuilt below
    from harmonize import progress

    with progress.task("building the ontology lexicon (once; cached)", total=2,
                       unit="steps") as bar:
        ontologies = load_ontologies()
        for problem in unknown_ids(ontologies, dict.fromkeys([*listed_files(), synonyms_path])):
            log.warning(problem)
        bar.advance()
        lex = build_lexicon(ontologies, read_synonyms(synonyms_path), version=version)
        bar.advance()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # unique: workers may build at once
    with tmp.open("wb") as fh:
        pickle.dump(lex, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    _prune(path.parent, keep=KEEP_CACHED)
    return _settled(lex)


def _settled(lex: Lexicon) -> Lexicon:
    """``lex``, moved out of the cyclic collector's reach (:func:`gc.freeze`). The lexicon
    lives as long as the process and holds about a million containers (a set of ancestors per
    term, the name tables): every full collection of a long mapping run walked them all, 8 % of
    a warm pass over the dev and fixture records. Frozen objects are still freed by reference
    counting; only cycles among them would outlive their use, and the lexicon has none."""
    gc.freeze()
    return lex


def _prune(directory: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recent cached lexicons (each is ~50 MB)."""
    files = sorted(directory.glob("lexicon-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)
