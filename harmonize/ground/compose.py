"""Names composed from two of a sample's values, as the ontologies name them together.

A term an ontology names from two things the sample says apart is what the sample is: a tissue
and its site ('tissue: skin' beside 'body site: upper arm' is the upper arm skin), a cell type
and its tissue ('fibroblasts' beside 'lung' a fibroblast of lung), a body site and the organ a
disease lives in (psoriasis at the elbow is the skin of elbow), a histology and the tissue
('adenocarcinoma' beside 'colon' is colon adenocarcinoma). Each applies only when the
ontology has the composed name, below the term it refines. Rules ``site_of_tissue``,
``cell_of_tissue``, ``skin_of_site`` and ``disease_of_tissue`` (``ontologies/rules.tsv``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from itertools import chain, pairwise

from harmonize.ground.evidence import GUESS_METHODS, SHORT_KINDS
from harmonize.ground.exact import match_exact
from harmonize.ground.fields import key_class, key_role
from harmonize.ground.lexicon import HEALTHY, Lexicon
from harmonize.ground.memo import MEMO_LIMIT, Memo
from harmonize.ground.mentions import (
    ABBREVIATION_KINDS,
    DISEASE_HEADS,
    ORGAN_OF_TISSUE,
    STOPWORDS,
    find_mentions,
)
from harmonize.ground.normalize import NOISE_WORDS, PARENTHESIS, normalize, tokens
from harmonize.ground.organs import disease_organs
from harmonize.ground.rules import enabled, mapping, words
from harmonize.ground.spelling import english_vocabulary
from harmonize.models import Annotation, Candidate, FieldValue

#: A ranking: ``(score, candidate, value, features)``, best first (:meth:`Grounder.rank`).
Ranked = list[tuple[float, Candidate, FieldValue, dict[str, float]]]
#: The switches of this module's rules, read once.
_ON = {name: enabled(name) for name in (
    "site_of_tissue", "cell_of_tissue", "skin_of_site", "disease_of_tissue", "cell_of_markers",
    "organ_at_named_site", "organ_adjective_at_site",
    "kind_of_cell", "part_of_tissue", "part_initials", "kind_initials", "kind_of_disease",
    "kind_in_value", "cell_kind_in_value", "organ_of_tumour", "spelt_abbreviations",
    "cell_of_enclosing", "part_of_disease_organ", "tumour_in_text")}
#: A value that may name a signed marker ('CD34+', 'CD38-', 'CD14-positive', 'CD16 negative').
_SIGNED = re.compile(r"[+-]|positive|negative|dim|bright|\dhi|\dlo|high|low", re.IGNORECASE)
#: A marker with its sign as normalized text writes it: 'cd34+', and 'cd38' before 'negative'.
_MARKER = re.compile(r"[a-z][a-z0-9]*\d[a-z0-9]*")
#: A marker written with its level in one word ('cd14++', 'cd56dim', 'cd25hi'), several run
#: together ('cd16+cd56dim'); the level as CL's names write it.
_MARKED = re.compile(r"([a-z][a-z0-9]*?\d[a-z0-9]*?)(\+\+|\+|-|dim|bright|hi|lo)")
_LEVELS = {"++": "+", "+": "+", "-": "-", "dim": "dim", "bright": "bright", "hi": "high",
           "lo": "low"}
#: 'Lin-' (lineage markers negative), read 'lin' once normalized: a sort gate among markers, no
#: marker of a cell type itself ('Lin- CD34+ CD38-').
_LINEAGE = frozenset({"lin", "lineage"})
#: Levels that say a marker is expressed (CL's '-positive' is then true of the cell).
_IMPLY_POSITIVE = ("high", "bright")
#: Words CL writes after a marker for its level ('CD56-bright', 'CD25-high').
_LEVEL_WORDS = {"negative": "-", "dim": "dim", "bright": "bright", "high": "high", "low": "low"}

#: Key classes whose narrower names ``deeper_in_sample`` takes whatever the term ranked first
#: was read from (free text and titles name other things too: a narrower name there is taken
#: over one read from text alike, rule ``deeper_in_text``).
DEEPER_CLASSES = ("dedicated", "scan")

#: Rule part_initials: a code of a part of an organ ('LV', 'LLL', 'TZ').
_INITIALS = re.compile(r"[A-Z]{2,4}")
#: A tumour's stage written as a code ('IB', 'IIA', 'IVB'): Roman numerals, a letter after.
_STAGE_CODE = re.compile(r"[IVX]+[A-C]?")
#: Rule kind_initials: a code of capitals standing alone in a short value ('ILC, grade 2'), not
#: part of a joined name ('AB-12', 'XY-CD').
_CODE = re.compile(r"(?<![\w-])[A-Z]{2,4}(?![\w-])")
#: Rules part_initials, kind_initials: a term with more parts or kinds than this (the brain's
#: 1,838) has too many synonyms below it for a code to spell one; only labels are read.
PARTS_SPELT_MAX = 500
#: Words a part's name leaves out of its initials ('of', 'the').
_FUNCTION = words("function_words")
#: An anatomical adjective's noun ('cardiac': heart), also left out of a part's initials.
_ADJECTIVE_NOUN = {a: normalize(n) for a, n in mapping("anatomy_adjectives").items()}

#: Rule part_of_tissue: the most words of a value that names a part or kind of the sample's
#: tissue with it ('peripheral zone', 'upper outer quadrant').
PART_WORDS_MAX = 3
#: How a part's name joins its organ's: '<part> <organ>', '<organ> <part>', '<part> of <organ>'.
_PART_FORMS = ("{v} {n}", "{n} {v}", "{v} of {n}")
#: Rule kind_of_disease: a variant's code after a gene's name ('g2019s', 'r403q', 'v600e'):
#: letters and digits mixed; a sample's number ('CRC 01') is no variant.
_VARIANT = re.compile(r"(?=[a-z0-9]*[a-z])(?=[a-z0-9]*\d)[a-z0-9]{3,}")
#: Rule kind_in_value: the most words of a value whose other words may name a kind of its
#: disease (a sentence says other things).
OWN_WORDS_MAX = 8
#: Rule kind_of_cell: the most words of a value that names a kind of the sample's cell type
#: ('M2', 'naive', 'central memory'); longer values say other things.
KIND_WORDS_MAX = 2
#: Rule modified_abbreviation: the shortest word a modifier's initial stands for (gene
#: symbols, 'fus' or 'ang' before a disease's name, are shorter: 'fALS' is familial ALS).
MODIFIER_WORD_MIN = 5
#: Rule disease_of_tissue: a disease is read with the sample's tissue only when MONDO names it
#: in at least this many tissues (histologies: tens to hundreds; organ diseases: under ten).
ORGAN_AGNOSTIC_MIN = 20
#: Rule disease_of_tissue: how MONDO names a disease ({x}) in a tissue ({y}).
_DISEASE_FORMS = ("{y} {x}", "{x} of {y}", "{x} of the {y}")
#: Words saying the sampled tissue is not where the tumour arose.
SECONDARY_SITE = words("secondary_site")
#: Rule organ_of_tumour: the MONDO classes of tumours (a tumour lies in an organ).
TUMOUR_CLASSES = words("specimen_diseases")
#: Words of free text saying the specimen is a tumour (rule ``tumour_in_text``).
TUMOUR_WORDS = words("tumour_words")
#: Rule organ_of_tumour: the share of a tumour's names that must name its organ (more than).
ORGAN_NAMES_SHARE = 0.5
#: Rule skin_of_site: disease class -> the organ its samples at a body site are of.
ORGAN_OF_DISEASE: dict[str, str] = mapping("organ_of_disease")
#: Rule organ_at_named_site: the organs that cover body regions (the skin).
COVERING_ORGANS = frozenset(ORGAN_OF_DISEASE.values())


def _read_as_named(a: Annotation, facet: str) -> bool:
    """Whether annotation ``a`` names its term from a value under the facet's own key or a
    sample key (a source name), not a guess of the fuzzy or embedding matcher."""
    return (bool(a.term_id) and a.status == "accepted"
            and a.method not in GUESS_METHODS
            and key_role(a.source_key or "") in (facet, "scan"))


def tumour_only(a: Annotation) -> bool:
    """Whether a disease was read, not guessed, from a value that says only that the specimen
    is a tumour ('tissue: tumour', 'sample type: resected tumour'): which tumour, the place the
    sample was taken from says (rule ``disease_of_tissue``)."""
    return bool(a.term_id) and a.method not in GUESS_METHODS and says_tumour(a.source_text or "")


def says_tumour(text: str) -> bool:
    """Whether ``text`` says only that the specimen is a tumour ('tumour', 'primary tumor
    tissue'): every word but noise words is a disease head word."""
    words = [w for w in tokens(text) if w not in NOISE_WORDS]
    return bool(words) and all(w in DISEASE_HEADS for w in words)


def cell_name_place(facet: str, value: FieldValue) -> bool:
    """Whether a tissue was read from a cell-type value. A place inside a cell's name
    ('proximal tubule epithelial cells', 'germinal center B cells') says what kind of cell
    the sample is; what its tissue is, a tissue key or the source name says, so such a place
    neither replaces nor refines the tissue they name (it still counts when they name none)."""
    return facet == "tissue" and key_role(value.source_key) == "cell_type"


def named_as(lex: Lexicon, facet: str, phrasings: list[str]) -> list[Candidate]:
    """Exact candidates of other ways to write a value ("Sigmoid Colon", "fibroblast of
    lung")."""
    return [c for alt in phrasings for c in match_exact(lex, facet, alt)]


class Composer:
    """The compositions of one grounder's lexicon, with their memos."""

    def __init__(self, lexicon: Lexicon, memo_limit: int = MEMO_LIMIT):
        self.lexicon = lexicon
        self._at: Memo[tuple[str, str, str], Candidate | None] = Memo(memo_limit)
        self._agnostic: Memo[str, bool] = Memo(memo_limit)
        self._organ: Memo[str, str | None] = Memo(memo_limit)
        self._disease_organs: dict[str, frozenset[str]] = {}
        self._placed: dict[str, list[tuple[str, str]]] | None = None
        self._marked: dict[frozenset[str], list[tuple[str, str]]] | None = None
        self._signs: Memo[tuple[str, bool], frozenset[str]] = Memo(memo_limit)
        self._beside: Memo[tuple[str, str, str, tuple[str, ...]], tuple[Candidate, ...]] = Memo(
            memo_limit)
        self._descendants: dict[str, list[str]] | None = None
        self._adjective_organs: dict[str, frozenset[str]] | None = None

    def initialled_kind(self, facet: str, modifier: str, found: list[Candidate]
                        ) -> list[Candidate]:
        """``found`` (what a bare abbreviation names) made the one kind of it whose name is a
        name of it after words with the modifier's letters as initials ('jSSc': juvenile
        systemic sclerosis; abbreviations are made so); ``found`` itself when no kind or
        several are named so (rule ``modified_abbreviation``)."""
        if not modifier.isalpha() or not found:
            return found
        bases = {c.term_id for c in found}
        tails = {f" {n}" for b in bases for n in self.lexicon.names_for(facet, b)}
        kinds: dict[str, str] = {}
        for name, entries in self.lexicon.names.get(facet, {}).items():
            tail = next((t for t in tails if name.endswith(t)), None)
            head = name[:-len(tail)].split() if tail else []
            # words, not gene symbols ('fus amyotrophic lateral sclerosis')
            if (not head or "".join(w[0] for w in head) != modifier
                    or not all(len(w) >= MODIFIER_WORD_MIN and w.isalpha() for w in head)):
                continue
            for tid, _ in entries:
                if any(self.lexicon.is_ancestor(b, tid) for b in bases):
                    kinds.setdefault(tid, name)
        if len(kinds) != 1:
            return found
        named = self._named(facet, *next(iter(kinds.items())))
        return [taken_by(named, "modified_abbreviation")] if named else found

    def _named(self, facet: str, term_id: str, name: str) -> Candidate | None:
        """The exact candidate of ``term_id`` that its name ``name`` gives, if any."""
        return next((c for c in match_exact(self.lexicon, facet, name)
                     if c.term_id == term_id), None)

    def cell_of_tissue(self, ranked: Ranked, place: Annotation) -> Ranked:
        """The ranking with the cell type named with the sample's tissue put first, when CL
        names the two together below the cell type ('cell type: fibroblasts' beside 'tissue:
        lung' is a fibroblast of lung; 'keratinocytes' beside 'foreskin' a foreskin
        keratinocyte). The cell type from a value under its own key, the tissue from any of
        the sample's values ('source: knee joint replacement' beside 'cell type: articular
        chondrocytes'), neither a guess."""
        if not ranked or not _ON["cell_of_tissue"]:
            return ranked
        s, top, v, f = ranked[0]
        placed = place.candidates[0] if place.candidates else None
        if (placed is None or place.method in GUESS_METHODS or not place.term_id
                or top.method in GUESS_METHODS or key_class(v) != "dedicated"):
            return ranked
        forms = ("{x} of {y}", "{y} {x}", "{x} of the {y}")
        cell = self.named_together("cell_type", top, placed, forms)
        if cell is None and _ON["cell_of_enclosing"]:
            # then what UBERON puts the tissue in or classes it as, nearest first (a named
            # muscle beside 'myoblasts': CL's myoblast of the muscle tissue it is made of)
            cell = next((c for p in self._place_names(self._around(place.term_id))
                         for c in [self.named_together("cell_type", top, p, forms)] if c), None)
        return ranked if cell is None else [(s, taken_by(cell, "cell_of_tissue"), v, f)] + ranked

    def part_of_tissue(self, ranked: Ranked, values: Iterable[FieldValue]) -> Ranked:
        """The ranking with the part or kind of the tissue ranked first that another short
        value of the sample names with it put first ('tissue: fat tissue' beside 'depot:
        omental' is the omental fat pad, 'tissue: prostate' beside 'zone: peripheral zone'
        its peripheral zone, 'tissue: kidney' beside
        'compartment: medulla' the renal medulla): the one UBERON term below it named '<value>
        <name>', '<name> <value>' or '<value> of <name>'. The other value under another tissue
        key or one that names no facet (a sex, a disease, a cell type say other things: 'sex:
        male' is no kind of gonad); not after another rule refined the tissue."""
        return self._named_beside(
            "tissue", "part_of_tissue", ranked, values, PART_WORDS_MAX,
            _PART_FORMS,
            lambda other, said: key_role(other.source_key) in ("other", "scan", "tissue"),
            classes=("dedicated", "scan"))

    def part_by_initials(self, ranked: Ranked, values: Iterable[FieldValue]) -> Ranked:
        """The ranking with the part of the tissue ranked first that another value of the
        sample, two to four capitals alone (a bracket aside), spells by the initials of its
        name put first ('source_name: heart from a transplant' beside 'chamber: LV' is the
        left ventricle, 'lung lobectomy' beside 'lobe: LLL' the left lower lobe, 'prostate'
        beside 'zone: TZ' its transition zone; rule ``part_initials``):
        the one UBERON term below it with a name whose words, the tissue's own name and
        function words aside, begin with those letters in order. Such codes are made so
        within one organ; alone they name nothing."""
        return self._initials_below("tissue", "part_initials", ranked, values, whole=True)

    def kind_by_initials(self, ranked: Ranked, values: Iterable[FieldValue]) -> Ranked:
        """The ranking with the kind of the disease ranked first that a code of capitals in
        another short value spells by the initials of its name put first ('source_name:
        breast tumour' beside 'histology: ILC, grade 2' is the invasive lobular breast
        carcinoma; rule ``kind_initials``): the one MONDO term below it so named, function
        words aside.
        Pathologists' codes are made so within one organ's diseases."""
        return self._initials_below("disease", "kind_initials", ranked, values, whole=False)

    def _initials_below(self, facet: str, rule: str, ranked: Ranked,
                        values: Iterable[FieldValue], whole: bool) -> Ranked:
        """The one term below the term ranked first that a code of capitals in another value
        (the whole value, a bracket aside, with ``whole``; else a word standing alone in a
        value of three words at most under a key of the facet: a source name's codes name
        cells and samples too) spells, put
        first, marked as taken by ``rule``; a code that is a name itself ('UC') is none."""
        first = _refinable(rule, ranked, ("dedicated", "scan"))
        if first is None:
            return ranked
        _, top, v, _ = first
        found: dict[str, Candidate] = {}
        roles = ("other", "scan", facet) if whole else (facet,)
        for other in values:
            said = PARENTHESIS.sub(" ", other.text).strip()
            if other.source_key == v.source_key or key_role(other.source_key) not in roles:
                continue
            codes = ([said] if _INITIALS.fullmatch(said) else [] if whole else
                     _CODE.findall(said) if len(said.split()) <= PART_WORDS_MAX else [])
            for code in codes:
                if self.lexicon.lookup(facet, code.lower()) or _STAGE_CODE.fullmatch(code):
                    continue  # a name of its own ('UC'), or a stage ('IB', 'IIIA'): no kind
                for c in self._spelt_below(facet, top.term_id, code.lower()):
                    found.setdefault(c.term_id, c)
        return _one_first(ranked, found, rule)

    def _spelt_below(self, facet: str, top: str, letters: str) -> tuple[Candidate, ...]:
        """The terms below ``top`` whose name spells ``letters`` by its words' initials: the
        words before an 'of' (what follows says where), function words and, for a tissue,
        its own name and adjective words aside. Labels first; of the other names, the
        broadest term so named (the right ventricle, not the 'right cardiac vein' in it),
        below a term of no more than ``PARTS_SPELT_MAX`` kinds or parts. Memoized."""
        key = (facet, top, letters, ("initials",))
        if key not in self._beside:
            own: set[str] = set()
            if facet == "tissue":
                names = {normalize(n) for n in self.lexicon.names_for(facet, top)}
                own = {w for n in names for w in n.split()} | {
                    a for a, noun in _ADJECTIVE_NOUN.items() if noun in names}  # 'cardiac'
            labels: dict[str, Candidate] = {}
            named: dict[str, Candidate] = {}
            below = self._below_all(top)
            for term in below:
                info = self.lexicon.term(term)
                label = normalize(info.label) if info else ""
                for name in self.lexicon.names_for(facet, term):
                    said = normalize(name)
                    if self._spells(said, own, letters):
                        found = {c.term_id: c for c in match_exact(self.lexicon, facet, said)
                                 if c.term_id == term}
                        (labels if said == label else named).update(found)
            broadest: dict[str, Candidate] = {}
            if len(below) <= PARTS_SPELT_MAX:  # the brain's parts: too many names spell any code
                depth = {t: len(self.lexicon.ancestors.get(t, ())) for t in named}
                least = min(depth.values(), default=0)
                broadest = {t: c for t, c in named.items() if depth[t] == least}
            self._beside[key] = tuple((labels or broadest).values())
        return self._beside[key]

    @staticmethod
    def _spells(name: str, own: set[str], letters: str) -> bool:
        """Whether ``name``'s words before an 'of', but ``own`` and function words, have
        ``letters`` as initials, each a word of four letters or more or an English one (no
        abbreviation inside a name: 'left avc')."""
        rest = [w for w in name.split(" of ")[0].split() if w not in own and w not in _FUNCTION]
        return (len(rest) == len(letters) and "".join(w[0] for w in rest) == letters
                and all(len(w) > 3 or w in english_vocabulary() for w in rest))

    def _below_all(self, term_id: str) -> list[str]:
        """Every UBERON or MONDO term below ``term_id`` (the lexicon's ancestors read
        backwards, once)."""
        if self._descendants is None:
            below: dict[str, list[str]] = {}
            for t, ups in self.lexicon.ancestors.items():
                if t.startswith(("UBERON:", "MONDO:")):
                    for a in ups:
                        below.setdefault(a, []).append(t)
            self._descendants = below
        return self._descendants.get(term_id, [])

    def kind_of_cell(self, ranked: Ranked, values: Iterable[FieldValue]) -> Ranked:
        """The ranking with the kind of the cell type ranked first that another short value of
        the sample names with it put first ('cell type: macrophages' beside 'polarization:
        M2' is an M2 macrophage, beside 'subset: naive' B cells are naive B cells): the one CL
        term below it named '<value> <a name of it>'. The cell type read under its own key or
        in a source name; the other value from any key but the cell type's, and itself no
        name of a tissue or a cell type ('source_name: lung' is cell_of_tissue's)."""
        return self._named_beside(
            "cell_type", "kind_of_cell", ranked, values, KIND_WORDS_MAX, ("{v} {n}",),
            lambda other, said: not any(self.lexicon.lookup(f, said)
                                        for f in ("tissue", "cell_type")),
            classes=("dedicated", "scan"))

    def kind_of_disease(self, ranked: Ranked, values: Iterable[FieldValue]) -> Ranked:
        """The ranking with the kind of the disease ranked first that another short value of
        the sample, or its first word, names with it put first ('disease: paralysis agitans'
        beside 'genotype: LRRK2 R1441C' is MONDO's LRRK2 form of it): the one
        MONDO term below it named '<value> <a name of it>'. The other value under a key that
        names no facet; its first word alone only before a variant's code (a gene: 'LRRK2
        R1441C', not 'primary tumour') and naming no place (disease_of_tissue's: curators keep
        'endometriosis' beside an ovary plain)."""
        return self._named_beside(
            "disease", "kind_of_disease", ranked, values, KIND_WORDS_MAX, ("{v} {n}",),
            lambda other, said: key_role(other.source_key) in ("other", "scan"),
            first_word=True)

    def kind_in_value(self, ranked: Ranked, facet: str = "disease") -> Ranked:
        """The ranking with the kind of the term ranked first that another word of its own
        value names with it put first ('paralysis agitans, LRRK2 carrier' and 'hypertrophic
        cardiomyopathy (MYH7 mutation)' are MONDO's LRRK2 and MYH7 forms; rule
        ``kind_in_value``; of a cell type, 'MDM, M2-polarized' is an M2 macrophage, rule
        ``cell_kind_in_value``, as ``kind_of_cell`` reads 'polarization: M2' beside it): the
        one term below it named '<word> <a name of it>', from a value of a few words under
        the facet's own key or a sample key; the words of the name itself, numbers and
        function words aside (and words under three letters for a disease: a cell's kinds
        are named by codes, 'M2', a disease's by genes; and for a cell, the words of places:
        :meth:`_places_word`)."""
        rule = "kind_in_value" if facet == "disease" else "cell_kind_in_value"
        first = _refinable(rule, ranked, DEEPER_CLASSES)
        if first is None:
            return ranked
        _, top, v, _ = first
        said = normalize(v.text).split()
        if not 1 < len(said) <= OWN_WORDS_MAX:
            return ranked
        named = set(top.matched_text.split())
        shortest = 3 if facet == "disease" else 2
        heads = dict.fromkeys(w for w in said if w not in named and w not in STOPWORDS
                              and len(w) >= shortest and not w.isdigit()
                              and (facet == "disease" or not w.isalpha()
                                   or not self._places_word(w)))
        names = self.lexicon.names_for(facet, top.term_id)
        found = {c.term_id: c for head in heads
                 for c in self._below(facet, top.term_id, names, head, ("{v} {n}",))}
        return _one_first(ranked, found, rule)

    def _places_word(self, word: str) -> bool:
        """Whether ``word`` (letters only: a code such as 'M2' is a kind's) is a word of a
        tissue's names ('renal', 'lung'): a cell named with it is the cell of a place,
        which ``cell_of_tissue`` reads from the sample's tissue, not a kind ('renal
        proximal tubule cells, cultured')."""
        return self.lexicon.knows_word(word, ("tissue",))

    def spelt_first(self, ranked: Ranked) -> Ranked:
        """The ranking with the one disease a text names both in full and by a short word
        spelling that name put first (rule ``spelt_abbreviations``): a GEO sample's bag of
        words carries its series title, which writes out every disease of the study, and
        its own values, which abbreviate the sample's ('diagnosis: pmf' beside a title
        naming essential thrombocythemia, polycythemia vera and primary myelofibrosis). A
        term the top one is narrower than is not put above it."""
        if not _ON["spelt_abbreviations"] or not ranked:
            return ranked
        top = ranked[0][1]
        found = {c.term_id: c for _, c, _, _ in ranked if c.features.get("spelt")}
        if top.term_id in found or any(self.lexicon.is_ancestor(t, top.term_id) for t in found):
            return ranked
        return _one_first(ranked, found, "spelt_abbreviations")

    def _named_beside(self, facet: str, rule: str, ranked: Ranked, values: Iterable[FieldValue],
                      most_words: int, forms: tuple[str, ...],
                      counts: Callable[[FieldValue, str], bool],
                      first_word: bool = False,
                      classes: tuple[str, ...] = ("dedicated",)) -> Ranked:
        """The ranking with the one term below the term ranked first that another value of
        the sample (at most ``most_words``, a bracket aside, one ``counts``; with
        ``first_word`` its first word too) names with one of its names in one of ``forms``
        put first, marked as taken by ``rule`` (with ``first_word``, only a first word before
        a code: a gene before its variant). The term ranked first read from a value under
        its own key (or of ``classes``), not a guess, and not refined by another rule
        already."""
        first = _refinable(rule, ranked, classes)
        if first is None:
            return ranked
        _, top, v, _ = first
        names = self.lexicon.names_for(facet, top.term_id)
        found: dict[str, Candidate] = {}
        for other in values:
            said = normalize(PARENTHESIS.sub(" ", other.text))  # 'M1 (LPS + IFN-g)'
            words = said.split()
            if (other.source_key == v.source_key or not words
                    or len(words) > most_words or not counts(other, said)):
                continue
            heads = [said] + ([words[0]] if first_word and len(words) > 1
                              and any(_VARIANT.fullmatch(w) for w in words[1:])
                              and not self.lexicon.knows_word(words[0], ("tissue",)) else [])
            for head in heads:
                for c in self._below(facet, top.term_id, names, head, forms):
                    found.setdefault(c.term_id, c)
        return _one_first(ranked, found, rule)

    def _below(self, facet: str, term_id: str, names: tuple[str, ...], head: str,
               forms: tuple[str, ...]) -> tuple[Candidate, ...]:
        """The terms below ``term_id`` that ``head`` names with one of its ``names`` in one of
        ``forms``, in words (not an abbreviation met inside the phrase); memoized, as a
        sample's other values recur across a study."""
        key = (facet, term_id, head, forms)
        if key not in self._beside:
            self._beside[key] = tuple(
                c for name in names for form in forms
                for c in match_exact(self.lexicon, facet, form.format(v=head, n=name))
                if c.match_kind not in SHORT_KINDS
                and self.lexicon.is_ancestor(term_id, c.term_id))
        return self._beside[key]

    def cell_of_markers(self, ranked: Ranked, values: Iterable[FieldValue] = ()) -> Ranked:
        """The ranking with the cell type CL names by the markers of the value ranked first
        put first, when it is the one such term below the cell type ranked first ('CD34+CD38-
        HSPCs' read as a hematopoietic stem cell are CL's 'CD34-positive, CD38-negative
        hematopoietic stem cell'; 'CD4+CD25+ Treg' the CD4-positive, CD25-positive regulatory
        T cell). Another value of the sample that is only markers adds its own ('cell type: NK
        cells' beside 'sorted: CD16+ CD56dim'); a high level counts as positive too
        ('CD25hi'); the term's markers must all be among them, and the one naming most of
        them is taken. Two markers with their levels at least; never from a guess (rule
        ``cell_of_markers``)."""
        if not ranked or not _ON["cell_of_markers"]:
            return ranked
        s, top, v, f = ranked[0]
        signs = self._signs_of(v.text)
        signs |= {m for o in values if o is not v and o.source_key != v.source_key
                  and (found := self._signs_of(o.text, only=True)) for m in found}
        if len(signs) < 2 or top.method in GUESS_METHODS:
            return ranked
        if self._marked is None:
            self._marked = _marker_names(self.lexicon)
        # the levels as written first; then high levels read as positive ('CD25hi' cells are
        # CD25-positive ones), for a term CL names by the plain sign only
        for read in (signs, signs | _positive(signs)):
            below = [(len(named), tid, name) for named, terms in self._marked.items()
                     if named <= read for tid, name in terms
                     if self.lexicon.is_ancestor(top.term_id, tid)]
            if below:
                break
        most = max((n for n, _, _ in below), default=0)
        below = [(tid, name) for n, tid, name in below if n == most]
        if len({tid for tid, _ in below}) != 1:
            return ranked
        named = self._named("cell_type", *min(below, key=lambda b: b[1]))
        return ranked if named is None else [(s, taken_by(named, "cell_of_markers"), v, f)
                                             ] + ranked

    def _signs_of(self, text: str, only: bool = False) -> frozenset[str]:
        """The markers with their levels a value names (``only``: none unless the value is
        nothing else), read once per distinct value: most name none."""
        key = (text, only)
        signs = self._signs.get(key)
        if signs is None:
            norm = normalize(text) if _SIGNED.search(text) else ""
            signs = self._signs[key] = (markers(norm) if norm and (not only or only_markers(norm))
                                        else frozenset())
        return signs

    def site_of_tissue(self, facet: str, ranked: Ranked) -> Ranked:
        """The ranking with a tissue and the site another of the sample's tissue keys names
        put first as the one term UBERON names them by ('tissue: skin' beside 'body site:
        upper arm' is the upper arm skin; 'source_name: skin biopsy' beside 'site: elbow' the
        skin of elbow): one of the two under a tissue key, the other there or in a sample key
        such as the source name. Only a term named 'site tissue', 'tissue of site' or 'site of
        tissue' below one of the two counts."""
        if not _ON["site_of_tissue"]:
            return ranked
        own = [r for r in ranked[:6] if key_class(r[2]) in DEEPER_CLASSES
               and r[1].method not in GUESS_METHODS and not cell_name_place(facet, r[2])]
        for a in own:
            for b in own:
                if (a[2].source_key == b[2].source_key or a[1].term_id == b[1].term_id
                        or key_class(a[2]) != key_class(b[2]) != "dedicated"):
                    continue
                site = self.named_together(facet, a[1], b[1],
                                           ("{y} {x}", "{x} of {y}", "{y} of {x}"))
                if site is not None:
                    return [(a[0], taken_by(site, "site_of_tissue"), a[2], a[3])] + ranked
        return ranked

    def organ_at_site(self, ranked: Ranked, diseases: Iterable[Annotation]) -> Ranked:
        """The ranking with the organ a disease class lives in, at the body site ranked
        first, put first when UBERON names the two together below the site ('body site:
        elbow' beside psoriasis is the skin of elbow; ``organ_of_disease`` words)."""
        if not ranked or not _ON["skin_of_site"]:
            return ranked
        s, top, v, f = ranked[0]
        if top.method in GUESS_METHODS:
            return ranked
        for d in diseases:
            if not d.term_id or d.status != "accepted":
                continue
            for cls, organ in ORGAN_OF_DISEASE.items():
                info = self.lexicon.term(organ)
                if info is None or not self.lexicon.is_ancestor(cls, d.term_id):
                    continue
                for name in sorted(self.lexicon.names_for("tissue", organ)):
                    named = Candidate(organ, info.label, "rule", name, "label", 1.0)
                    at = self.named_together("tissue", top, named,
                                             ("{y} of {x}", "{x} {y}", "{y} of the {x}"))
                    if at is not None:
                        return [(s, taken_by(at, "skin_of_site"), v, f)] + ranked
        return ranked

    def organ_at_named_site(self, ranked: Ranked, values: Iterable[FieldValue] = ()) -> Ranked:
        """The ranking with an organ's part at a body site put first when the sample names
        both, the organ or the site ranked first ('skin punch biopsy, lower back' is the skin
        of the lower back; 'tissue: skin' beside 'body site: forearm'): UBERON names the two
        together below the site, as :meth:`organ_at_site` reads a skin disorder's site (rule
        ``organ_at_named_site``; the organs that cover body regions of
        ``words/organ_of_disease.tsv``). An adjective of the organ or of a part of it in the
        sample's ``values`` names it too, beside the site ranked first ('cutaneous cells,
        thigh': the upper leg skin; rule ``organ_adjective_at_site``)."""
        if not ranked or not _ON["organ_at_named_site"] or ranked[0][1].method in GUESS_METHODS:
            return ranked
        named = [r for r in ranked if r[1].method not in GUESS_METHODS]
        organ = next((r for r in named if r[1].term_id in COVERING_ORGANS), None)
        if organ is not None:  # the site ranked first, or any site beside the organ first
            names, sites = [organ[1]], [r for r in named if r is not organ and (
                r is ranked[0] or organ is ranked[0])]
        elif _ON["organ_adjective_at_site"]:
            names, sites = self._organs_by_adjective(values), [ranked[0]]
        else:
            return ranked
        s, _, _, f = ranked[0]
        for r in sites:
            for name in names:
                at = self.named_together("tissue", r[1], name,
                                         ("{y} of {x}", "{x} {y}", "{y} of the {x}"))
                if at is not None:
                    rule = "organ_at_named_site" if organ is not None else "organ_adjective_at_site"
                    return [(s, taken_by(at, rule), r[2], f)] + ranked
        return ranked

    def _organs_by_adjective(self, values: Iterable[FieldValue]) -> list[Candidate]:
        """The covering organs an anatomical adjective of the values names, itself or a part
        of it ('cutaneous': the skin; 'dermal': the dermis, part of the skin), as candidates,
        one per name of the organ."""
        covered = self._covered_by_adjective()
        organs = sorted({o for v in values for w in tokens(v.text) for o in covered.get(w, ())})
        return [Candidate(o, info.label, "rule", name, "label", 1.0) for o in organs
                if (info := self.lexicon.term(o)) is not None
                for name in sorted(self.lexicon.names_for("tissue", o))]

    def _covered_by_adjective(self) -> dict[str, frozenset[str]]:
        """Each anatomical adjective -> the covering organs it names, itself or a part of
        it (built on first use: the tissue ranking asks for every sample)."""
        if self._adjective_organs is None:
            lex = self.lexicon
            self._adjective_organs = {
                word: found for word, noun in _ADJECTIVE_NOUN.items()
                if (found := frozenset(o for o in COVERING_ORGANS for t, _ in lex.lookup(
                    "tissue", noun) if t == o or lex.is_ancestor(o, t)))}
        return self._adjective_organs

    def organ_of_tumour(self, values: Iterable[FieldValue],
                        diseases: Iterable[Annotation], dish: bool = False) -> Ranked:
        """A ranking of the organ a tumour lies in, when a tissue value or a source name that
        names no tissue names the tumour ('tissue: PDAC' is the pancreas), or a tissue value
        says only that the sample is the tumour the sample's disease names: the one organ
        most names of the tumour's MONDO term name ('pancreatic ductal carcinoma');
        never for a metastasis, a guessed disease or one not accepted (rule
        ``organ_of_tumour``)."""
        if not _ON["organ_of_tumour"]:
            return []
        values = list(values)
        for d in diseases:
            if (not d.term_id or d.status != "accepted" or not d.candidates
                    or d.method in GUESS_METHODS):
                continue
            # the value the tumour was read from, or a tissue value saying only that the
            # sample is a tumour ('tissue: tumor' beside 'diagnosis: gallbladder carcinoma')
            v = next((v for v in values if v.source_key == d.source_key
                      and v.text == d.source_text and key_role(v.source_key) in ("tissue", "scan")),
                     None) or next((v for v in values if key_role(v.source_key) == "tissue"
                                    and says_tumour(v.text)), None)
            rule = "organ_of_tumour"
            if v is None and not dish and _ON["tumour_in_text"]:
                rule = "tumour_in_text"
                # free text that names the tumour and says the specimen is one ('NSCLC tumor,
                # fresh resection'); never a line's, grown in a dish far from its organ
                v = next((v for v in values if v.source_key == d.source_key
                          and v.text == d.source_text and key_class(v) in ("text", "title")
                          and TUMOUR_WORDS.intersection(tokens(v.text))), None)
            if v is None or any(w in SECONDARY_SITE for w in tokens(v.text)):
                continue
            organ = self._organ_of(d.term_id)
            info = self.lexicon.term(organ or "")
            if info is None:
                continue
            top = d.candidates[0]
            c = taken_by(replace(top, term_id=info.id, term_label=info.label,
                                 matched_text=normalize(info.label)), rule)
            return [(top.score, c, v, dict(c.features))]
        return []

    def part_of_disease_organ(self, values: Iterable[FieldValue],
                              diseases: Iterable[Annotation]) -> Ranked:
        """A ranking of the part of the organ the sample's disease afflicts that a short value
        under a tissue key names with the organ's name, when no tissue is read ('biopsy site:
        sigmoid' beside 'diagnosis: ulcerative colitis' is the sigmoid colon; 'anatomic site:
        antrum' beside a gastric cancer the pyloric antrum): the one UBERON term below the
        organs MONDO files the accepted disease under (:func:`disease_organs`), named '<value>
        <organ>', '<organ> <value>' or '<value> of <organ>' (rule ``part_of_disease_organ``).
        The organ alone is never read: the disease says what is ill, not what was sampled."""
        if not _ON["part_of_disease_organ"]:
            return []
        sites = [(v, said) for v in values if key_role(v.source_key) == "tissue"
                 for said in [normalize(PARENTHESIS.sub(" ", v.text))]
                 if said and len(said.split()) <= PART_WORDS_MAX]
        for d in diseases if sites else ():
            if (not d.term_id or d.term_id == HEALTHY or d.status != "accepted"
                    or not d.candidates or d.method in GUESS_METHODS):
                continue
            found: dict[str, tuple[Candidate, FieldValue]] = {}
            for organ in sorted(disease_organs(self.lexicon, d.term_id, self._disease_organs)):
                names = self.lexicon.names_for("tissue", organ)
                for v, said in sites:
                    for c in self._below("tissue", organ, names, said, _PART_FORMS):
                        found.setdefault(c.term_id, (c, v))
            if len(found) == 1:
                part, v = next(iter(found.values()))
                top = d.candidates[0]
                c = taken_by(replace(top, term_id=part.term_id, term_label=part.term_label,
                                     matched_text=part.matched_text), "part_of_disease_organ")
                return [(top.score, c, v, dict(c.features))]
        return []

    def _organ_of(self, disease: str) -> str | None:
        """The organ more than :data:`ORGAN_NAMES_SHARE` of a tumour's names name (the
        narrowest when several lie on one lineage: 'lung' over 'pair of lungs'), or None. Its
        abbreviations are no names of an organ ('HCC', 'LIHC') and do not count."""
        if disease not in self._organ:
            found: str | None = None
            if any(self.lexicon.is_ancestor(c, disease) for c in TUMOUR_CLASSES):
                names = [n for n in self.lexicon.names_for("disease", disease)
                         if not all(kind in ABBREVIATION_KINDS for t, kind
                                    in self.lexicon.lookup("disease", n) if t == disease)]
                counts: dict[str, int] = {}
                for name in names:
                    organs = {m.term_id for m in find_mentions(  # not 'non-uterine'
                        self.lexicon, "tissue", name, ordered=False)[0]}
                    for o in organs:
                        counts[o] = counts.get(o, 0) + 1
                shared = [o for o, n in counts.items() if n > ORGAN_NAMES_SHARE * len(names)]
                narrowest = [o for o in shared
                             if not any(self.lexicon.is_ancestor(o, x) for x in shared)]
                found = narrowest[0] if len(narrowest) == 1 else None
            self._organ[disease] = found
        return self._organ[disease]

    def diseases_at_tissue(self, annotations: list[Annotation]) -> list[Annotation]:
        """``annotations`` with the disease named with the sample's tissue taken, when MONDO
        names the two together below the disease ('disease: adenocarcinoma' beside 'tissue:
        colon' is colon adenocarcinoma; rule ``disease_of_tissue``). Both from values under
        their facet's own key or a sample key, neither a guess; one disease of a list is
        left as it is."""
        tissue = next((a for a in annotations if a.facet == "tissue"), None)
        diseases = [a for a in annotations if a.facet == "disease" and a.term_id]
        if (not _ON["disease_of_tissue"] or tissue is None or len(diseases) != 1
                or not (_read_as_named(tissue, "tissue") or self._part_of_named(tissue))):
            return annotations
        d = diseases[0]
        if any(w in SECONDARY_SITE for a in (d, tissue) for w in tokens(a.source_text or "")):
            return annotations  # a metastasis in the liver of a colon adenocarcinoma
        at = self._disease_at(d, tissue)
        return annotations if at is None else [at if a is d else a for a in annotations]

    def _part_of_named(self, tissue: Annotation) -> bool:
        """Whether the tissue is a part of the organ the sample names, taken from a key of no
        known role ('pole: renal medulla' beside a kidney; rule
        ``part_in_own_key``): the organ is among its candidates."""
        return (bool(tissue.term_id) and tissue.status == "accepted"
                and tissue.method not in GUESS_METHODS
                and key_role(tissue.source_key or "") == "other"
                and any(c.term_id != tissue.term_id
                        and self.lexicon.is_ancestor(c.term_id, tissue.term_id or "")
                        for c in tissue.candidates))

    def _disease_at(self, d: Annotation, tissue: Annotation) -> Annotation | None:
        """The disease annotation ``d`` made the term MONDO names with ``tissue``, or None."""
        if (not (_read_as_named(d, "disease") or tumour_only(d)) or d.term_id == HEALTHY
                or not d.candidates
                or not self._organ_agnostic(d.term_id or "")):
            return None
        # the tissue taken, then the broader ones it was taken over ('peripheral zone of
        # prostate' beside 'adenocarcinoma' is a prostate adenocarcinoma)
        places = [tissue.term_id or ""] + [
            c.term_id for c in tissue.candidates
            if c.term_id != tissue.term_id and self.lexicon.is_ancestor(c.term_id,
                                                                         tissue.term_id or "")]
        key = (d.term_id, "|".join(places), normalize(d.source_text or ""))
        if key not in self._at:
            top = d.candidates[0]
            # the value's own words first ('clear cell carcinoma' beside 'kidney' is clear
            # cell renal carcinoma, though the value alone reads as carcinoma)
            named = ([replace(top, matched_text=key[2], term_label=key[2]), top] if key[2]
                     else [top])
            # then what UBERON puts the tissue in, nearest first ('left lobe of thyroid gland'
            # beside 'tumour' is a tumour of the thyroid gland)
            enclosing = [t for t in self._enclosing(places[0]) if t not in places]
            self._at[key] = next((c for x, p in chain(
                ((x, p) for x in named for p in self._place_names(places)),
                ((x, p) for p in self._place_names(enclosing) for x in named))
                for c in [self.named_together("disease", x, p, _DISEASE_FORMS)]
                if c is not None), None)
        at = self._at[key]
        if at is None:
            return None
        top = d.candidates[0]
        taken = replace(at, score=top.score, features=dict(top.features, disease_of_tissue=1.0))
        return replace(d, term_id=at.term_id, term_label=at.term_label,
                       candidates=(taken,) + d.candidates[:4])

    def _place_names(self, places: list[str]) -> Iterator[Candidate]:
        """Each name of each place, as a candidate to name a disease with, in order."""
        for t in places:
            info = self.lexicon.term(t)
            for n in sorted({normalize(n) for n in self.lexicon.names_for("tissue", t)} - {""}):
                yield Candidate(t, info.label if info else t, "rule", n, "label", 1.0)

    def _around(self, tissue: str) -> list[str]:
        """:meth:`_enclosing`, each organ class followed by the kind of tissue it is made of
        (``ontologies/words/organ_of_tissue.tsv``: a named muscle is made of striated muscle)."""
        out: list[str] = []
        for t in self._enclosing(tissue):
            out += [t, *(k for k, organ in ORGAN_OF_TISSUE.items() if organ == t)]
        return out

    def _enclosing(self, tissue: str) -> list[str]:
        """The UBERON terms ``tissue`` lies in or is a kind of, nearest first: a term has more
        ancestors than any of its ancestors has."""
        ancestors = self.lexicon.ancestors
        return sorted((a for a in ancestors.get(tissue, ()) if a.startswith("UBERON:")),
                      key=lambda a: (-len(ancestors.get(a, ())), a))

    def _organ_agnostic(self, term_id: str) -> bool:
        """Whether MONDO names the disease in many organs (at least
        :data:`ORGAN_AGNOSTIC_MIN` tissue names form '<tissue> <disease>' or '<disease> of
        <tissue>' below it: adenocarcinoma 100, carcinoma 178), so that a sample's tissue
        tells which; a disease named in a few (glioblastoma 2, endometriosis 7) already says
        where it is, and curators keep it plain."""
        if term_id not in self._agnostic:
            info = self.lexicon.term(term_id)
            placed = self._placed_names().get(normalize(info.label) if info else "", ())
            organs = {organ for organ, t in placed if self.lexicon.is_ancestor(term_id, t)}
            self._agnostic[term_id] = len(organs) >= ORGAN_AGNOSTIC_MIN
        return self._agnostic[term_id]

    def _placed_names(self) -> dict[str, list[tuple[str, str]]]:
        """Per disease name the tissue names it is named with and the term so named
        ('stomach adenocarcinoma', 'adenocarcinoma of stomach' -> 'adenocarcinoma': ('stomach', its
        term)); built once, on first use."""
        if self._placed is None:
            organs = self.lexicon.names.get("tissue", {})
            placed: dict[str, list[tuple[str, str]]] = {}
            for name, entries in self.lexicon.names.get("disease", {}).items():
                words = name.split()
                for i in range(1, len(words)):
                    head, rest = " ".join(words[:i]), " ".join(words[i:])
                    if head in organs:  # '<tissue> <disease>'
                        placed.setdefault(rest, []).extend((head, t) for t, _ in entries)
                    if words[i] == "of" and i + 1 < len(words):
                        tail = " ".join(words[i + 1:])
                        if tail in organs:  # '<disease> of <tissue>'
                            placed.setdefault(head, []).extend((tail, t) for t, _ in entries)
            self._placed = placed
        return self._placed

    def named_together(self, facet: str, x: Candidate, y: Candidate,
                       forms: tuple[str, ...]) -> Candidate | None:
        """The term of ``facet`` below ``x`` that a name of ``x`` and a name of ``y`` form
        together in one of ``forms`` ('{x} of {y}'), each named as matched, then by its label
        (in that order, so that the same sample always gets the same reading)."""
        names = [list(dict.fromkeys(n for n in (c.matched_text, normalize(c.term_label)) if n))
                 for c in (x, y)]
        phrasings = [form.format(x=nx, y=ny) for nx in names[0] for ny in names[1]
                     for form in forms]
        return next((c for c in named_as(self.lexicon, facet, phrasings)
                     if self.lexicon.is_ancestor(x.term_id, c.term_id)), None)


def _refinable(rule: str, ranked: Ranked, classes: tuple[str, ...]
               ) -> tuple[float, Candidate, FieldValue, dict[str, float]] | None:
    """The top of ``ranked`` when ``rule`` may put a narrower term before it: the rule is on,
    and the top was read from a value under one of ``classes`` of key, is no guess of the
    fuzzy or embedding matcher, and was not refined by another rule already."""
    if not ranked or not _ON[rule]:
        return None
    _, top, v, _ = ranked[0]
    if (top.method in GUESS_METHODS or key_class(v) not in classes
            or rules_that_took(top)):
        return None
    return ranked[0]


def _one_first(ranked: Ranked, found: dict[str, Candidate], rule: str) -> Ranked:
    """``ranked`` with the one term of ``found`` put first, marked as taken by ``rule``, or
    ``ranked`` itself when ``found`` holds none or several."""
    if len(found) != 1:
        return ranked
    s, _, v, f = ranked[0]
    return [(s, taken_by(next(iter(found.values())), rule), v, f)] + ranked


#: The feature prefix that marks a candidate as put first by a rule (``rule:<name>``).
RULE_MARK = "rule:"


def taken_by(c: Candidate, rule: str) -> Candidate:
    """``c`` marked as put first by ``rule`` (``harmonize explain`` names the rule)."""
    return replace(c, features={**c.features, RULE_MARK + rule: 1.0})


def rules_that_took(c: Candidate) -> tuple[str, ...]:
    """The names of the rules that marked ``c`` with :func:`taken_by`, in marking order."""
    return tuple(k[len(RULE_MARK):] for k in c.features if k.startswith(RULE_MARK))


def markers(norm: str) -> frozenset[str]:
    """The markers with their signs a normalized text names ('cd34+', 'cd38-').

    >>> sorted(markers("cd34+ cd38 negative cell"))
    ['cd34+', 'cd38-']
    >>> sorted(markers("cd3 negative cd16+cd56dim cd14++ cd25hi"))
    ['cd14+', 'cd16+', 'cd25high', 'cd3-', 'cd56dim']
    """
    toks = norm.split()
    out = {f"{m}{_LEVELS[lv]}" for t in toks if _run_of_markers(t)
           for m, lv in _MARKED.findall(t)}
    out |= {f"{t}{_LEVEL_WORDS[nxt]}" for t, nxt in pairwise(toks)
            if nxt in _LEVEL_WORDS and _MARKER.fullmatch(t)}
    return frozenset(out)


def _positive(signs: frozenset[str]) -> frozenset[str]:
    """The plain positive markers that high levels imply: a cell expressing a marker highly
    ('cd25high', 'cd56bright') expresses it ('cd25+'); a low or dim level implies nothing.

    >>> sorted(_positive(frozenset({"cd25high", "cd127low", "cd4+"})))
    ['cd25+']
    """
    return frozenset(m[:-len(level)] + "+" for m in signs for level in _IMPLY_POSITIVE
                     if m.endswith(level))


def _run_of_markers(token: str) -> bool:
    """Whether a word is wholly markers with their levels ('cd34+', 'cd16+cd56dim')."""
    return _MARKED.sub("", token) == "" and _MARKED.match(token) is not None


def only_markers(norm: str) -> bool:
    """Whether every word of a normalized value is a marker with its level, or a level word
    after one ('cd3+ cd4+ cd45ra+', 'cd14++ cd16 negative')."""
    toks = norm.split()
    return bool(toks) and all(
        _run_of_markers(t) or (t in _LEVEL_WORDS and i > 0 and _MARKER.fullmatch(toks[i - 1]))
        or (_MARKER.fullmatch(t) and i + 1 < len(toks) and toks[i + 1] in _LEVEL_WORDS)
        or (t in _LINEAGE and (i + 1 == len(toks) or toks[i + 1] in _LEVEL_WORDS
                               or _run_of_markers(toks[i + 1])))
        or (t in _LEVEL_WORDS and i > 0 and toks[i - 1] in _LINEAGE)
        for i, t in enumerate(toks))


def _marker_names(lex: Lexicon) -> dict[frozenset[str], list[tuple[str, str]]]:
    """Cell-type names by the two or more markers they name, with their terms."""
    out: dict[frozenset[str], list[tuple[str, str]]] = {}
    for name, entries in lex.names.get("cell_type", {}).items():
        signs = markers(name)
        if len(signs) >= 2:
            out.setdefault(signs, []).extend((tid, name) for tid, _ in entries)
    return out
