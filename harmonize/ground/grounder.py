"""The grounder: field values -> candidates -> one calibrated annotation per facet (per
disease, for a disease field that lists several).

Reading order of :meth:`Grounder.annotate`::

    fields.field_values      which attribute values (and free text) speak to which facet
    Grounder.candidates      override | exact -> mentions -> fuzzy -> embedding (memoized)
    _pool                    candidates of every value of a facet, merged by term
    score.score              explainable logit per candidate (weight table)
    Calibration.confidence   probability that the top candidate is right
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from harmonize.errors import ParseError
from harmonize.facets import EMBED_FACETS, EMBED_LABELS_ONLY, MOST_SPECIFIC_FACETS, RULE_FACETS
from harmonize.facets import GROUND_ORDER as FACET_ORDER
from harmonize.ground.calibrate import MARGIN_CAP, Calibration, load_calibration
from harmonize.ground.cell_kinds import CellKinds
from harmonize.ground.compose import (
    DEEPER_CLASSES,
    RULE_MARK,
    Composer,
    cell_name_place,
    named_as,
    rules_that_took,
    taken_by,
)
from harmonize.ground.controls import study_disease_keys, study_view, with_study_controls
from harmonize.ground.denied_groups import with_denied_diseases
from harmonize.ground.derived_cells import derived_cell
from harmonize.ground.donor_sex import with_donor_sex
from harmonize.ground.group_words import GROUP_EVIDENCE, GroupWords, with_group_diseases
from harmonize.ground.evidence import (
    ABBREVIATION_KINDS,
    GUESS_METHODS,
    SHORT_KINDS,
    WEAK_CAP,
    WEAK_KINDS,
    adjust_confidence,
    evidence_kind,
    key_prior,
)
from harmonize.ground.exact import match_exact
from harmonize.ground.fields import (
    bounded,
    field_values,
    finer_key,
    key_class,
    key_role,
    no_value,
    person_code,
    says_no_disease,
    sex_letters_beside_age,
    specimen_key,
    whole_value_only,
)
from harmonize.ground.fuzzy import SUGGEST_CUTOFF, FuzzyIndex
from harmonize.ground.infection import given_infection, in_dish, infectious
from harmonize.ground.legends import read_legends
from harmonize.ground.lexicon import HEALTHY, KIND_RANK, Lexicon
from harmonize.ground.line_disease import LISTED_EVIDENCE, with_line_disease
from harmonize.ground.line_sex import LineSex, line_sex, with_line_sex, with_stated_line_sex
from harmonize.ground.memo import DECISION_LIMIT, MEMO_LIMIT, Memo
from harmonize.ground.mentions import (
    CONTROL_WORDS,
    DISEASE_HEADS,
    LINE_WORDS,
    SCATTERED_FACETS,
    STOPWORDS,
    ScatterIndex,
    distinctive_cell_line,
    ends_in_control,
    find_mentions,
    has_disease_context,
    head_part,
    healthy_anatomy,
    healthy_mention,
    mention_candidates,
    modified_abbreviation,
    modified_phrasings,
    modifier_words,
    most_specific,
    narrower,
    noun_phrasings,
    numbered_area_phrasings,
    only_negated,
    plural_abbreviations,
    qualified_markers,
    reordered_parts,
    ruled_out_word,
    scatter_index,
    scattered_names,
    set_aside,
    unknown_word,
)
from harmonize.ground.normalize import PARENTHESIS, is_null, normalize, tokens
from harmonize.ground.organoids import organ_of_organoid
from harmonize.ground.organ_abbreviations import with_organ_abbreviation
from harmonize.ground.organ_sex import with_organ_sex
from harmonize.ground.overrides import REJECT, override_key
from harmonize.ground.rules import enabled, words
from harmonize.ground.score import FEATURES, feature_vector, score, score_parts
from harmonize.ground.spelling import Speller, english_vocabulary, listed_words
from harmonize.ground.stages import stage_of
from harmonize.ground.status_keys import StatusKeys
from harmonize.ground.study_sites import with_study_sites
from harmonize.ground.title_sex import TITLE_SEX_EVIDENCE, with_title_sex
from harmonize.models import FACETS, Annotation, Candidate, FieldValue, accepted

EMBED_MIN_SIMILARITY = 0.80
EMBED_KINDS = frozenset({"label", "curated", "healthy"})
#: Facets whose values are read again with their misspelt words written right (rule
#: respelt_words, :mod:`harmonize.ground.spelling`).
RESPELT_FACETS = frozenset({"tissue", "cell_type", "disease"})
#: Rule run_together_words (read through respelt_words): a tissue only. The word glued to
#: another is mostly where cells came from ('tonsilderived', 'pbmcsorted', 'hescderived'):
#: the tissue writers give, but no cell type the sample is.
APART_FACETS = frozenset({"tissue"})
#: Separators between the diseases a disease field lists ("with" is not one: "AML with
#: maturation" is one disease).
_LIST = re.compile(r"\s*(?:;|,|/|\+|&|\band\b)\s*", re.IGNORECASE)
#: Values that affirm what their key names ("hiv status: positive").
AFFIRMATIVE = words("affirmative")
#: Where a value's answer ends and a remark on it begins ("yes, stage III", "yes (biopsy)").
_REMARK = re.compile(r"\s*[,;(]")
#: Words that start the name of an antibody ('anti-SSA: positive' affirms no disease).
ANTIBODY_WORDS = words("antibody_words")
#: Rule genotype_alleles: a genotype written with its two alleles ('-/-', '+/-', 'fl/fl').
_ALLELES = re.compile(r"(?:[+-]|fl|wt|ko)\s*/\s*(?:[+-]|fl|wt|ko)\b|[+-]\s*/\s*[+-]", re.IGNORECASE)
#: Rule numbered_people: a disease abbreviation run into a number, as matched ('als 5', 'als7').
_NUMBERED = re.compile(r"[a-z]+ ?\d+")


#: The switches of this module's rules (``ontologies/rules.tsv``), read once.
_ON = {name: enabled(name) for name in (
    "mixed_sex", "experimental_control", "short_disease_abbreviation", "title_abbreviations",
    "field_abbreviation_disease", "most_specific", "respelt", "modified_abbreviation",
    "only_negated_healthy", "line_alone", "affirmed_key", "several_diseases",
    "key_named_first", "scanned_sex", "healthy_mentions", "reordered_parts",
    "healthy_anatomy", "adjective_nouns", "tied_choice", "deeper_in_sample",
    "part_abbreviated_in_text",
    "plural_abbreviations", "modified_names", "strongest_mention", "control_of_study",
    "line_disease", "respelt_words", "numbered_people", "part_in_own_key", "genotype_alleles",
    "deeper_in_text", "part_in_description", "kind_by_words", "cell_code_noun", "written_karyotype",
    "unknown_key_health")}


#: Rule only_negated_healthy: the most words of a value under a key naming any facet
#: ('group', 'status') that names only diseases it denies, and no tissue or cell (a longer
#: one says other things).
NEGATED_SCAN_WORDS = 3
#: Key classes whose values are read for a healthy donor in words ("PBMC, healthy donor"):
#: source names and titles; with rule unknown_key_health also a key of no known role
#: ('smoking status: healthy smoker', 'neonatal status: healthy term newborn').
_HEALTH_CLASSES = ("scan", "title", "other") if _ON["unknown_key_health"] else ("scan", "title")
#: A value longer than this tells of a study, not of its donor: 'healthy' there ('the colonic
#: microbiota of three healthy adults') is no healthy state of the sample.
HEALTHY_MENTION_WORDS = 20


#: A memo miss (``None`` is a decision: nothing named).
_UNSEEN = object()


class _Same:
    """An object as part of a memo key: equal only to itself, and kept alive by the key, so
    no other object takes its id while the memo holds the entry (a benchmark swaps the
    grounder's calibration for each fold's)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


def _with_decided(named: list[Annotation], ann: Annotation | None) -> list[Annotation]:
    """The diseases a value listing several names, and the one decided from the rest when it
    is none of them (as :meth:`Grounder._annotate_values` keeps them)."""
    return named + ([ann] if ann is not None and ann.term_id not in
                    {a.term_id for a in named} else [])


def _placed(annotations: list[Annotation]) -> Annotation | None:
    """The tissue annotation among those decided so far (the cell type is decided after it),
    for ``cell_of_tissue``; none beside a named cell line, whose tissue key names the organ
    the line came from, whose cells it no longer is ('epithelial' beside a breast cancer
    line's 'mammary gland' is an epithelial cell, not a mammary gland epithelial cell)."""
    if accepted(annotations, "cell_line") is not None:
        return None
    return next((a for a in annotations if a.facet == "tissue" and a.term_id), None)


#: a candidate with its logit and its feature values (in :data:`FEATURES` order: a tuple is a
#: third of a dict's memory, and the memo keeps one per candidate of every distinct value)
_Scored = tuple[float, Candidate, tuple[float, ...]]


def _answer(text: str) -> str:
    """A value's answer, before any remark after a comma, semicolon or bracket."""
    return _REMARK.split(text.strip().lower(), maxsplit=1)[0].strip()


class Grounder:
    """Grounds attribute values and free text against a :class:`Lexicon`.

    Args:
        lexicon: the names to match against.
        overrides: ``{(facet, normalized text): term_id}`` (``""`` = rejected), see
            :func:`harmonize.ground.overrides.load_overrides`.
        use_embeddings: let the embedding matcher run for values nothing else matched.
        model: sentence-transformers model name or folder (default: the packaged MiniLM).
        calibration: fitted parameters (default: ``ontologies/calibration.json``).
        use_fuzzy: let the fuzzy matcher run for dedicated values with no exact match.
        sample_type: add the ``sample_type`` annotation (and move a cultured sample's tissue
            to ``origin_tissue``, :mod:`harmonize.ground.sample_type`); off only to fit it.
        memo_limit: entries kept per memo of distinct values (oldest dropped first).
    """

    def __init__(self, lexicon: Lexicon, *, overrides: Mapping[tuple[str, str], str] | None = None,
                 use_embeddings: bool = True, model: str | None = None,
                 calibration: Calibration | None = None, use_fuzzy: bool = True,
                 sample_type: bool = True, memo_limit: int = MEMO_LIMIT):
        self.lexicon = lexicon
        self.sample_type = sample_type
        #: the sample-type model (None: the shipped one); a benchmark sets a held-out fit
        self.sample_type_model = None
        # read-only: the memos hold decisions made with these (a run reads new curator
        # decisions by making a new grounder, as :mod:`harmonize.steps.engine` does)
        self.overrides: Mapping[tuple[str, str], str] = MappingProxyType(dict(overrides or {}))
        self.use_embeddings = use_embeddings
        self.use_fuzzy = use_fuzzy
        self.model = model
        self.calibration = calibration if calibration is not None else load_calibration()
        self._fuzzy = FuzzyIndex(lexicon)
        self._embed: dict[str, object] = {}
        # per distinct value, each bounded (:mod:`harmonize.ground.memo`): a long run's memory
        # stays flat however many distinct values it meets
        self._memo: Memo[tuple[str, str, str], tuple[Candidate, ...] | None] = Memo(memo_limit)
        self._scores: Memo[tuple[str, str, str], tuple[
            tuple[Candidate, ...], Mapping[str, float], tuple[_Scored, ...]]] = Memo(memo_limit)
        self._suggest: Memo[tuple[str, str], tuple[Candidate, ...]] = Memo(memo_limit)
        self._lists: Memo[str, tuple[str, ...]] = Memo(memo_limit)
        self._denied: Memo[str, bool] = Memo(memo_limit)
        self._affirm: Memo[str, bool] = Memo(memo_limit)
        self._alone: Memo[tuple[str, str], tuple[Candidate, ...]] = Memo(memo_limit)
        self._compose = Composer(lexicon, memo_limit)
        self._speller = Speller(lexicon, listed_words() | STOPWORDS, english_vocabulary(), memo_limit)
        self._status_keys = StatusKeys(lexicon)
        self._decided: Memo[tuple[str, str, bool, _Same], Annotation | None] = Memo(memo_limit)
        self._decisions: Memo[tuple[object, ...], Annotation | None] = Memo(
            min(memo_limit, DECISION_LIMIT))
        self._line_read: Memo[str, list[Candidate]] = Memo(memo_limit)
        self._line_sexes: Memo[str, LineSex | None] = Memo(memo_limit)
        self._cells = CellKinds(lexicon, memo_limit)
        self._groups = GroupWords(lexicon)
        self._scattered: dict[str, ScatterIndex] = {}  # per facet, built on first use

    # ------------------------------------------------------------------ candidates
    def candidates(self, value: FieldValue, kclass: str | None = None) -> tuple[Candidate, ...] | None:
        """Candidates for one field value; ``None`` when a curator rejected the text.

        Overrides are looked up before the memo and never memoized.
        """
        if self.overrides:
            override = self.overrides.get(override_key(value.facet, value.text))
            if override is not None:
                return self._curated(override, value.text)
        kclass = kclass or key_class(value)
        key = (value.facet, kclass, value.text)
        if key in self._memo:
            return self._memo[key]
        found = self._match(value.facet, value.text, kclass)
        self._memo[key] = found
        return found

    @staticmethod
    def memo_key(value: FieldValue) -> tuple[str, str, str]:
        """The memo key of a field value: (facet, key class, text as written). Not the
        normalized text: the matchers read capitals and plurals ('NPCs' are cells, 'NPC' may
        be a carcinoma), so two spellings of one lookup form may read differently."""
        return value.facet, key_class(value), value.text

    def is_grounded(self, value: FieldValue) -> bool:
        """True when the value's candidates are already memoized (or preloaded)."""
        return self.memo_key(value) in self._memo

    def _curated(self, term_id: str, text: str) -> tuple[Candidate, ...] | None:
        if term_id == REJECT:
            return None
        info = self.lexicon.term(term_id)
        return (Candidate(term_id=term_id, term_label=info.label if info else term_id,
                          method="curated", matched_text=normalize(text),
                          match_kind="curated", similarity=1.0),)

    def prepare(self, values: Iterable[FieldValue]) -> int:
        """Ground many values ahead of :meth:`annotate`; returns how many were new.

        Same candidates as :meth:`candidates` one by one, but the values that reach the
        embedding matcher are encoded together, one batch per facet: a model call per value
        costs ~30 ms on a CPU, a batch ~1.5 ms per value.
        """
        pending: dict[str, dict[tuple[str, str, str], str]] = {}
        n = 0
        for v in values:
            if is_null(v.text) or (self.overrides
                                   and override_key(v.facet, v.text) in self.overrides):
                continue
            kclass = key_class(v)
            key = (v.facet, kclass, v.text)
            if key in self._memo or key in pending.get(v.facet, ()):
                continue
            n += 1
            found = self._match(v.facet, v.text, kclass, embed=False)
            if not found and self._embeds(v.facet, kclass):
                pending.setdefault(v.facet, {})[key] = normalize(v.text)
            else:
                self._memo[key] = found
        for facet, items in pending.items():
            names, index = self.embedding_index(facet)
            hits = index.search(list(items.values()), k=5)  # type: ignore[attr-defined]
            for key, row in zip(items, hits):
                self._memo[key] = tuple(self._from_hits(facet, names, row))
        return n

    def _embeds(self, facet: str, kclass: str) -> bool:
        return self.use_embeddings and kclass == "dedicated" and facet in EMBED_FACETS

    def _match(self, facet: str, text: str, kclass: str,
               embed: bool = True) -> tuple[Candidate, ...]:
        if facet in RESPELT_FACETS and kclass != "whole" and _ON["respelt_words"]:
            # 'hepatocelular carcinoma', 'heathy donor'; 'retinl pigment epithelium': of the
            # words it may misspell, the one naming a term here
            named = []
            for right, fixed in self._speller.readings(text, apart=facet in APART_FACETS):
                again = self._read(facet, right, kclass, embed)
                if any(fixed & set(c.matched_text.split()) for c in again):
                    named.append(again)
            if len(named) == 1:
                return tuple(taken_by(c, "respelt_words") for c in named[0])
        return self._read(facet, text, kclass, embed)

    def _read(self, facet: str, text: str, kclass: str,
              embed: bool = True) -> tuple[Candidate, ...]:
        if facet == "disease" and kclass == "dedicated" and says_no_disease(text):
            return self._healthy(text)  # "disease: none"
        if kclass == "whole":  # genotype, strain, treatment...: a whole distinctive line name
            if _ON["genotype_alleles"] and _ALLELES.search(text):
                return ()  # 'ABC1 -/-': a gene's alleles, not a line named like the gene
            return tuple(c for c in match_exact(self.lexicon, facet, text)
                         if distinctive_cell_line(self.lexicon, c.term_id, c.match_kind))
        if facet == "dev_stage" and kclass == "dedicated":
            rule = stage_of(text)
            if rule:
                info = self.lexicon.term(rule[0])
                return (Candidate(term_id=rule[0], term_label=info.label if info else rule[0],
                                  method="rule", matched_text=rule[1], match_kind="curated",
                                  similarity=1.0, features={"kind_rank": 5.0}),)
        if facet == "sex":
            found = self._sex(text, kclass)
            if found is not None:
                return found
        if facet == "cell_type" and kclass in ("dedicated", "scan"):
            made = derived_cell(text)  # 'hESC-CMs': the cardiomyocytes, not the stem cells
            if made is not None and self.lexicon.term(made) is not None:
                return self._by_rule(made, text, "curated", "derived_cells")
        # a scanned value may be a whole cell-line name only if it looks like one ("48h" not)
        whole = kclass == "dedicated" or facet != "cell_line"
        found = match_exact(self.lexicon, facet, text, dedicated=kclass == "dedicated") \
            if whole else []
        if kclass != "dedicated":
            # "control" is no healthy donor, and "UC" in a source name is as often umbilical
            # cord: two letters name a disease only under a disease key
            found = [c for c in found if not (_ON["experimental_control"]
                                              and _experimental_control(c))
                     and not (facet == "disease" and c.match_kind in SHORT_KINDS
                              and len(c.matched_text) <= 2 and _ON["short_disease_abbreviation"])]
        if facet == "disease" and found and _ON["plural_abbreviations"]:
            plural = plural_abbreviations(text)  # 'cultured NPCs': cells, not a disease
            found = [c for c in found if not (c.match_kind in SHORT_KINDS
                                              and c.matched_text in plural)]
        if not found:
            found = mention_candidates(self.lexicon, facet, text,
                                       strict=kclass != "dedicated", ordered=kclass != "text")
            if (not found and facet == "cell_type" and kclass == "dedicated"
                    and _ON["cell_code_noun"] and _CELL_CODE.search(text)):
                # 'CD57+ NK', 'CD8 T': a cell's code, its noun left out as in 'NK' alone
                found = mention_candidates(self.lexicon, facet, f"{text} cells", strict=False)
            if (not found and facet == "disease" and kclass in _HEALTH_CLASSES
                    and _ON["healthy_mentions"] and len(text.split()) <= HEALTHY_MENTION_WORDS):
                healthy = healthy_mention(self.lexicon, text)  # "PBMC, healthy donor"
                found = list(self._healthy(healthy)) if healthy else []
                if kclass == "other":  # 'smoking status: healthy smoker'
                    found = [taken_by(c, "unknown_key_health") for c in found]
            if (kclass in ("dedicated", "scan") and facet in MOST_SPECIFIC_FACETS
                    and _ON["most_specific"]):
                if _ON["reordered_parts"]:  # "Colon - Sigmoid": the sigmoid colon
                    found = self._also_named_as(facet, reordered_parts(text), found)
                if facet == "tissue":  # "DLPFC, BA46": Brodmann (1909) area 46
                    found = self._numbered_areas(text, found)
                if _ON["modified_names"] and found:  # "clear cell RCC": a kind of RCC
                    found = self._modified(facet, text, found)
                if _ON["adjective_nouns"] and found:  # "pulmonary fibroblasts": of the lung
                    found = found + self._below(found, self._named_as(facet, noun_phrasings(text)))
                if facet in SCATTERED_FACETS and found:  # 'skin, upper arm': upper arm skin
                    # ... below a term whose part the value does not name itself ('Brain -
                    # Nucleus accumbens (basal ganglia)' is no 'basal nucleus')
                    leaves = [f for f in found if not self._below([f], found)]
                    found = found + self._below(leaves, self._named_as(
                        facet, scattered_names(self._scatter_index(facet), text)))
                # a short value naming one lineage means its most specific term, under the
                # facet's key or a sample key ("Brain, neocortex"; "source_name: Brain,
                # frontal cortex"); bag-of-words text is left to the fitted ranking
                found = most_specific(self.lexicon, found)
                if facet == "cell_type" and len(found) > 1:  # 'CD56+ myoblasts': myoblasts
                    found = qualified_markers(self.lexicon, found)
                if len(found) > 1 and facet in ("tissue", "cell_type"):
                    found = head_part(self.lexicon, facet, text, found)  # 'synovium, knee'
                if len(found) == 2 and facet == "cell_type":  # 'CD8-positive Tregs'
                    found = self._cells.meet(facet, found, text)
            elif (kclass in ("text", "title") and facet in ("tissue", "cell_type") and found
                  and _ON["adjective_nouns"]):  # '... dermal fibroblasts ...': of the dermis
                found = self._made_narrower(found, self._named_as(facet, noun_phrasings(text)))
            if kclass == "dedicated" and facet in MOST_SPECIFIC_FACETS and _ON["respelt"]:
                found = self._respelt(facet, text, found)
        if kclass in ("title", "other") and _ON["title_abbreviations"]:
            # codes in titles are genes and labs ("ABC1_ChIPseq_lot7"), in treatments and
            # protocols reagents ("PMA 20 nM", "2% FBS", "fixation method: FA"); a
            # disease's abbreviation among words about a disease stays ("a patient with SSc")
            found = [c for c in found if c.match_kind != "abbreviation" or (
                facet == "disease" and kclass == "title"
                and has_disease_context(text, c.matched_text))]
        if (kclass == "scan" and not found and facet == "disease"
                and len(text.split()) <= NEGATED_SCAN_WORDS and _ON["only_negated_healthy"]
                and only_negated(self.lexicon, facet, text)
                and not any(find_mentions(self.lexicon, f, text)[0]
                            for f in ("tissue", "cell_type"))):
            # "group: non-diabetic", "status: HIV negative"; not a specimen described by
            # what it is without ("non-diabetic islets")
            return self._healthy(text)
        if kclass == "dedicated":
            # the value's answer, before a remark ('fALS (SOD1 A4V)', 'sALS, onset 55 y')
            head = _REMARK.split(text.strip(), maxsplit=1)[0].strip()
            bare = (modified_abbreviation(head) if facet == "disease" and not found
                    and _ON["modified_abbreviation"] else None)
            if bare:  # "fALS", "c9FTLD": a kind of the disease the bare abbreviation names
                found = self._compose.initialled_kind(
                    facet, head[:-len(bare)],
                    list(self._match(facet, bare, kclass, embed=False)))
            if not found and _ON["only_negated_healthy"] and only_negated(
                    self.lexicon, facet, text, dedicated=True):
                return self._healthy(text)  # "non-diabetic", "HIV negative" under a disease key
            if (not found and facet == "disease" and _ON["healthy_anatomy"]
                    and healthy_anatomy(self.lexicon, text)):
                return self._healthy(text)  # "healthy kidney" under a disease key
            if not found and facet == "disease" and ruled_out_word(self.lexicon, text):
                return self._healthy(text)  # "non-failing" under a disease key
            if (not found and facet == "disease" and _ON["control_of_study"]
                    and ends_in_control(text)):
                return self._healthy(text)  # "NGT control", "ND (control)" under a disease key
            if not found and self.use_fuzzy:
                found = self._fuzzy.match(facet, text)
            if not found and embed and self._embeds(facet, kclass):
                found = self._embedding(facet, text)
        return tuple(found)

    def _scatter_index(self, facet: str) -> ScatterIndex:
        """:func:`scatter_index` of a facet of this grounder's lexicon, built on first use."""
        index = self._scattered.get(facet)
        if index is None:
            index = self._scattered[facet] = scatter_index(self.lexicon, facet)
        return index

    def _made_narrower(self, found: list[Candidate], more: list[Candidate]) -> list[Candidate]:
        """``found`` (mentions in a text) with each mention that one of ``more`` is narrower
        than made that term: the text's 'dermal fibroblasts' is one mention, of a fibroblast
        of the dermis, where the text places it."""
        out = []
        for f in found:
            below = self._below([f], more)
            c = most_specific(self.lexicon, below)[0] if below else None
            out.append(f if c is None else replace(
                f, term_id=c.term_id, term_label=c.term_label, matched_text=c.matched_text))
        return out

    def _below(self, found: list[Candidate], more: list[Candidate]) -> list[Candidate]:
        """The candidates of ``more`` narrower than one of ``found``."""
        return [c for c in more if any(self.lexicon.is_ancestor(f.term_id, c.term_id)
                                       for f in found)]

    def _named_as(self, facet: str, phrasings: list[str]) -> list[Candidate]:
        """Exact candidates of other ways to write a value (:func:`compose.named_as`)."""
        return named_as(self.lexicon, facet, phrasings)

    def _modified(self, facet: str, text: str, found: list[Candidate]) -> list[Candidate]:
        """Each found name replaced by the kinds or parts of its terms that the value's
        modifier words name with it (:func:`modified_phrasings`: 'familial ALS' is familial
        amyotrophic lateral sclerosis, 'spinal cord (thoracic)' the thoracic spinal cord); the
        longest modifier that names one wins."""
        out: dict[str, Candidate] = {}
        for c in found:
            bases = {t for t, _ in self.lexicon.lookup(facet, c.matched_text)} | {c.term_id}
            kinds: list[Candidate] = []
            for phrasings in modified_phrasings(self.lexicon, facet, text, c.matched_text):
                # a term the name itself names is no kind the modifier adds
                kinds = [k for k in self._named_as(facet, phrasings) if k.term_id not in bases
                         and any(self.lexicon.is_ancestor(b, k.term_id) for b in bases)]
                if kinds:
                    break
            if not kinds and facet == "cell_type" and _ON["kind_by_words"]:
                # every word before the name, each a state's ('naive', 'memory') or a marker the
                # kind's name writes alike ('CD8+ naive T cells'; markers after it are gates,
                # cell_of_markers's): a place's are read by adjective_nouns, 'X-derived' by
                # derived_origin
                mods = next(iter(modifier_words(text, c.matched_text, after=False)), [])
                if mods and not any(self._cells.place([w]) or w == "derived" for w in mods):
                    kinds = self._cells.kind_by_words(facet, c, frozenset(bases),
                                                      frozenset(mods))
            for k in kinds or [c]:
                out.setdefault(k.term_id, k)
        return list(out.values())

    def _also_named_as(self, facet: str, phrasings: list[str], found: list[Candidate]
                       ) -> list[Candidate]:
        """``found`` and the terms of the value's other phrasings it does not hold yet."""
        ids = {f.term_id for f in found}
        return found + [c for c in self._named_as(facet, phrasings) if c.term_id not in ids]

    def _numbered_areas(self, text: str, found: list[Candidate]) -> list[Candidate]:
        """``found`` and the numbered areas a tissue value names by abbreviation ('DLPFC, BA46':
        Brodmann (1909) area 46), but for an area in brackets after the region it lies
        directly in ('entorhinal cortex (BA28, left)'): an aside restating
        that region, which stays the answer. A broader region ('frontal lobe (BA10)') is
        refined by the area."""
        areas = self._named_as("tissue", numbered_area_phrasings(text))
        ids = {f.term_id for f in found}
        out = found + [c for c in areas if c.term_id not in ids]
        if not areas or PARENTHESIS.search(text) is None:
            return out
        outside = {c.term_id for c in self._named_as(
            "tissue", numbered_area_phrasings(PARENTHESIS.sub(" ", text)))}
        aside = {c.term_id for c in areas if c.term_id not in outside
                 and any(self._whole_of(f.term_id, c.term_id) for f in out)}
        return [c for c in out if c.term_id not in aside]

    def _whole_of(self, whole: str, part: str) -> bool:
        """Whether ``whole`` is a parent of ``part``: an ancestor none of its other ancestors
        lies below."""
        above = self.lexicon.ancestors.get(part, frozenset())
        return whole in above and not any(whole in self.lexicon.ancestors.get(a, ())
                                          for a in above)

    def _sex(self, text: str, kclass: str) -> tuple[Candidate, ...] | None:
        """Sex candidates, or ``None`` to read the value like any other (nothing found under
        a sex key: mentions and spelling variants may still name a sex)."""
        if kclass != "dedicated":
            # a key about something else speaks of someone else ("co-culture: male fibroblasts")
            return _sex_named(self.lexicon, text) if _ON["scanned_sex"] and kclass in (
                "scan", "title", "text") else ()
        found = (_sex(self.lexicon, text) if _ON["mixed_sex"] else ()) \
            or tuple(match_exact(self.lexicon, "sex", text)) \
            or (_sex_named(self.lexicon, text, codes=True)  # "female (F)", "male (XY)"
                if _ON["scanned_sex"] else ())
        return found or None

    def _respelt(self, facet: str, text: str, found: list[Candidate]) -> list[Candidate]:
        """The term the whole value spells wrongly, when it names more than the mentions found
        ("Cingulte Cortex" is the cingulate cortex, not 'cortex') and a long word of the
        value is part of no name at all."""
        if not found or not self.use_fuzzy or not unknown_word(self.lexicon, text):
            return found
        closer = [c for c in self._fuzzy.match(facet, text)
                  if any(set(f.matched_text.split()) < set(c.matched_text.split())
                         or self.lexicon.is_ancestor(f.term_id, c.term_id) for f in found)]
        return closer or found

    def _fields(self, attributes: Mapping[str, str], text: str | None) -> list[FieldValue]:
        """:func:`field_values` with the keys that ask about one disease read as disease keys
        (:mod:`harmonize.ground.status_keys`)."""
        return field_values(attributes, text, harmonized=self._status_keys.roles(attributes))

    def _healthy(self, text: str) -> tuple[Candidate, ...]:
        """The healthy state, for a disease field that only names diseases it rules out."""
        return self._by_rule(HEALTHY, text, "healthy")

    def _by_rule(self, term_id: str, text: str, kind: str,
                 rule: str | None = None) -> tuple[Candidate, ...]:
        """The one candidate a rule reads ``text`` as (``rule``: named for explain)."""
        info = self.lexicon.term(term_id)
        label = info.label if info else ("normal" if term_id == HEALTHY else term_id)
        c = Candidate(term_id=term_id, term_label=label, method="rule",
                      matched_text=normalize(text), match_kind=kind, similarity=1.0,
                      features={"kind_rank": float(KIND_RANK[kind])})
        return (taken_by(c, rule) if rule else c,)

    def embedding_index(self, facet: str) -> tuple[list[str], object]:
        """The names of a facet that are embedded, and their index (built or read from cache)."""
        from harmonize.ground.embedding import EmbeddingIndex

        if facet not in self._embed:
            names = list(self._fuzzy.choices(facet))
            if facet in EMBED_LABELS_ONLY:
                names = [n for n in names
                         if any(kind in EMBED_KINDS for _, kind in self.lexicon.lookup(facet, n))]
            else:  # a derived spelling ('lung fibroblast', 'tcell') embeds like its source name
                names = [n for n in names
                         if any(kind != "variant" for _, kind in self.lexicon.lookup(facet, n))]
            self._embed[facet] = (names, EmbeddingIndex.build(
                names, cache_key=f"lexicon-{self.lexicon.version}-{facet}", model=self.model))
        return self._embed[facet]  # type: ignore[return-value]

    def _embedding(self, facet: str, text: str) -> list[Candidate]:
        names, index = self.embedding_index(facet)
        return self._from_hits(facet, names, index.search([normalize(text)], k=5)[0])  # type: ignore[attr-defined]

    def _from_hits(self, facet: str, names: list[str],
                   hits: list[tuple[int, float]]) -> list[Candidate]:
        out: dict[str, Candidate] = {}
        for row, sim in hits:
            if sim < EMBED_MIN_SIMILARITY:
                continue
            name = names[row]
            entries = self.lexicon.lookup(facet, name)
            for tid, kind in entries:
                info = self.lexicon.term(tid)
                if info and tid not in out:
                    out[tid] = Candidate(term_id=tid, term_label=info.label, method="embedding",
                                         matched_text=name, match_kind=kind, similarity=float(sim),
                                         features={"n_same_name": float(len(entries)),
                                                   "kind_rank": float(KIND_RANK.get(kind, 0))})
        return list(out.values())

    # ------------------------------------------------------------------ grounding
    def ground_value(self, facet: str, text: str, source_key: str = "value",
                     scanned: bool | None = None) -> Annotation:
        """Ground one value for one facet.

        Unless ``scanned`` says otherwise, the value counts as a dedicated field unless
        ``source_key`` is an ambiguous key (``title``, ``source_name``...) or the key of
        another facet.
        """
        value = _value(facet, text, source_key, scanned)
        if no_value(value.text, None if value.scanned else facet):
            return self._unmapped(facet, value, ())
        return self._decide(facet, [value]) or self._unmapped(facet, value, ())

    def annotate(self, attributes: Mapping[str, str], text: str | None = None,
                 library: Mapping[str, str] | None = None,
                 study_keys: frozenset[str] = frozenset()) -> list[Annotation]:
        """One annotation per facet with evidence (unmapped ones keep their candidates); a
        disease field listing several unrelated diseases gives one per disease.

        ``study_keys``: the keys under which other samples of the sample's study name a
        disease (:func:`harmonize.ground.controls.study_disease_keys`); a bare "control"
        under one of them is the healthy state.
        """
        read = read_legends(attributes)  # 'status: C' beside 'key: C = control, no disease'
        anns = self._annotate_values(self._fields(read, text), library)
        return self._sexed(self._typed(with_study_controls(  # the study view reads legends
            self, self._line_disease(anns), study_view(attributes, text), study_keys),
            read, text))

    def annotate_many(self, samples: Iterable[tuple[Mapping[str, str], str | None,
                                                    Mapping[str, str] | None]],
                      studies: Iterable[str | None] | None = None,
                      siblings: Mapping[str, list[Mapping[str, str]]] | None = None
                      ) -> list[list[Annotation]]:
        """:meth:`annotate` of many ``(attributes, text, library)`` samples, in order; their
        unseen values are grounded together first (:meth:`prepare`). ``studies`` gives each
        sample's study (``None``: none known): samples of one study read their controls
        together (:mod:`harmonize.ground.controls`), with ``siblings``, the attributes of the
        study's samples outside this call, and samples of one donor share the donor's sex
        (:mod:`harmonize.ground.donor_sex`)."""
        given = list(samples)
        studies = None if studies is None else list(studies)
        samples = [(read_legends(attrs), text, library) for attrs, text, library in given]
        values = [self._fields(attrs, text) for attrs, text, _ in samples]
        self.prepare(v for vs in values for v in vs)
        viewed = [study_view(attrs, text) for attrs, text, _ in given]  # reads legends itself
        keys = self.study_keys(viewed, studies, siblings)
        done = [self._sexed(self._typed(with_study_controls(
                    self, self._line_disease(self._annotate_values(vs, library)), seen, k),
                    attrs, text))
                for vs, (attrs, text, library), seen, k in zip(values, samples, viewed, keys)]
        if studies is None:
            return done
        done = with_stated_line_sex(
            with_donor_sex(done, [attrs for attrs, _, _ in given], studies), self.lexicon,
            studies)
        done = with_study_sites(done, studies)
        done = with_title_sex(done, [(attrs, text) for attrs, text, _ in given], studies,
                              self.prior_confidence(TITLE_SEX_EVIDENCE), self.calibration.accept,
                              self.lexicon.version)
        pairs = [(attrs, text) for attrs, text, _ in given]
        done = with_group_diseases(done, pairs, studies, self._groups,
                                   self.prior_confidence(GROUP_EVIDENCE), self.calibration.accept)
        return with_denied_diseases(done, pairs, studies, self._groups,
                                    min(self.prior_confidence(GROUP_EVIDENCE), WEAK_CAP),
                                    self.calibration.accept)

    def prior_confidence(self, kind: str) -> float:
        """The confidence of a reading whose kind of evidence the fit never saw (a study's
        title codes, group words or comparison group; a line's listed disease): the cautious
        prior of that kind (:meth:`Calibration.cautious`)."""
        return self.calibration.cautious(0.5, kind)[0]

    def study_keys(self, attributes: list[Mapping[str, str]],
                   studies: Iterable[str | None] | None,
                   siblings: Mapping[str, list[Mapping[str, str]]] | None = None
                   ) -> list[frozenset[str]]:
        """Per sample, the keys under which the samples of its study (among ``attributes``
        and the study's ``siblings``) name a disease."""
        if studies is None:
            return [frozenset()] * len(attributes)
        studies = list(studies)
        members: dict[str, list[Mapping[str, str]]] = {}
        for attrs, study in zip(attributes, studies):
            if study:
                members.setdefault(study, []).append(attrs)
        for study, more in (siblings or {}).items():
            if study in members:
                members[study].extend(more)
        keys = {s: study_disease_keys(self, m) for s, m in members.items() if len(m) > 1}
        return [keys.get(s, frozenset()) if s else frozenset() for s in studies]

    def _line_disease(self, anns: list[Annotation]) -> list[Annotation]:
        """The disease of the sample's cell line added when the sample names none (rule
        ``line_disease``, :mod:`harmonize.ground.line_disease`)."""
        if not _ON["line_disease"] or not (self.lexicon.line_words
                                           or self.lexicon.line_diseases):
            return anns
        return with_line_disease(anns, self.lexicon, self._read_line_words,
                                 self.calibration.accept, self.prior_confidence(LISTED_EVIDENCE))

    def _sexed(self, anns: list[Annotation]) -> list[Annotation]:
        """The sex of the sample's cell line, else of its organ or disease, added when the
        sample states none (:mod:`harmonize.ground.line_sex`,
        :mod:`harmonize.ground.organ_sex`)."""
        return with_organ_sex(with_line_sex(anns, self.lexicon, self._sex_of_line),
                              self.lexicon)

    def _sex_of_line(self, line_id: str, label: str) -> LineSex | None:
        """What the ontologies say of a line's sex, and where (memoized per line)."""
        key = f"{line_id}\t{label}"
        if key not in self._line_sexes:
            self._line_sexes[key] = line_sex(
                self.lexicon, line_id, label,
                lambda text: next((c.term_id for c in _sex_named(self.lexicon, text)), None),
                lambda text: [c.term_id for facet in ("tissue", "disease")
                              for c in match_exact(self.lexicon, facet, text)])
        return self._line_sexes[key]

    def _read_line_words(self, text: str) -> list[Candidate]:
        """The diseases an ontology's words of a line name: the whole text's name, else its
        mentions in the order written."""
        found = self._line_read.get(text)
        if found is None:
            found = match_exact(self.lexicon, "disease", text) or sorted(
                mention_candidates(self.lexicon, "disease", text),
                key=lambda c: c.features.get("first_pos", 0.0))
            self._line_read[text] = found
        return found

    def _typed(self, anns: list[Annotation], attributes: Mapping[str, str],
               text: str | None) -> list[Annotation]:
        """The sample's type added, and the tissue of a cultured sample read as its origin."""
        if not self.sample_type:
            return anns
        from harmonize.ground.sample_type import with_sample_type

        return with_sample_type(anns, attributes, text, self.lexicon, self.overrides,
                                self.lexicon.version, self.sample_type_model)

    def _annotate_values(self, field_vals: Iterable[FieldValue],
                         library: Mapping[str, str] | None) -> list[Annotation]:
        field_vals = list(field_vals)
        by_facet: dict[str, list[FieldValue]] = {}
        for v in field_vals:
            by_facet.setdefault(v.facet, []).append(v)
        out: list[Annotation] = []
        for facet in FACET_ORDER:
            values = by_facet.get(facet)
            if not values:
                continue
            named: list[Annotation] = []
            if facet == "disease":  # "Co-morbid Crohn's and Spondyloarthritis": both
                named, values = self._listed_diseases(values, field_vals, out)
                out.extend(named)
                if not values:
                    continue
            ann = self._decide(facet, values, place=_placed(out) if facet == "cell_type" else None,
                               diseases=[a for a in out if a.facet == "disease"]
                               if facet == "tissue" else (),
                               dish=facet == "disease" and in_dish((), out))
            if ann is not None and any(a.term_id == ann.term_id for a in named):
                continue
            if ann is None:
                dedicated = [v for v in values if not v.scanned]
                if dedicated:
                    out.append(self._unmapped(facet, dedicated[0],
                                              self._suggestions(facet, dedicated[0].text)))
                continue
            out.append(ann)
        out = self._compose.diseases_at_tissue(self._cell_abbreviations(out))
        out = with_organ_abbreviation(out, self._groups, self.calibration.accept)
        out = organ_of_organoid(out, self.lexicon, (v.text for v in field_vals))
        if library:
            assay = _assay(library)
            if assay:  # the library-prep rules know more than an "assay" attribute
                out = [a for a in out if a.facet != "assay"] + assay
        return out

    def _cell_abbreviations(self, out: list[Annotation]) -> list[Annotation]:
        """``out`` without a disease read from an abbreviation that names the sample's own cell
        type, said under its own key ('source_name: H9 NPC' beside 'cell type: neural
        progenitors': 'NPC' is the cells, not nasopharyngeal carcinoma; rule
        ``field_abbreviation_disease``). A cell type read from a source name is no surer than
        the disease ('nasopharynx biopsy, NPC' keeps its carcinoma)."""
        cell = accepted(out, "cell_type")
        return [a for a in out if not self._abbreviates_cell(cell, a)]

    def _abbreviates_cell(self, cell: Annotation | None, a: Annotation) -> bool:
        """Whether disease annotation ``a`` is an abbreviation naming cell type ``cell`` that
        :meth:`_cell_abbreviations` sets aside."""
        if cell is None or a.facet != "disease" or not _ON["field_abbreviation_disease"]:
            return False
        top = a.candidates[0] if a.candidates else None
        return (top is not None and top.match_kind == "abbreviation"
                and key_role(cell.source_key or "") == "cell_type"
                and top.matched_text in self.lexicon.names_for("cell_type", cell.term_id or ""))

    def decide_value(self, facet: str, text: str, key: str) -> Annotation | None:
        """The annotation ``{key: text}`` gives read as a field of ``facet`` (memoized by the
        text as written, whether the key describes the specimen, the one way a field's key
        changes its reading, and the calibration: the study-controls stage asks it of every
        pair of every sample; the overrides, looked up by the normalized text, are fixed when
        the grounder is made)."""
        value = _value(facet, text, key, scanned=False)  # bounded like every value
        memo_key = (facet, value.text, specimen_key(key), _Same(self.calibration))
        if memo_key not in self._decided:
            self._decided[memo_key] = self._decide(facet, [value])
        ann = self._decided[memo_key]
        if ann is None or (ann.source_key, ann.source_text) == (key, value.text):
            return ann
        return replace(ann, source_key=key, source_text=value.text,
                       source_length=value.full_length)

    def _affirmed(self, value: FieldValue) -> FieldValue:
        """"hiv status: positive", "diabetes: yes", "endometriosis: yes, stage III",
        "covid-19 severity: severe": a key naming a disease, affirmed by its value (its answer
        before a remark), is read as a disease field holding "key: value" (a denial is left
        alone; a key naming an antibody, 'anti-SSA', is no disease)."""
        if (not _ON["affirmed_key"] or not value.scanned
                or _answer(value.text) not in AFFIRMATIVE
                or key_class(value) not in ("scan", "other")
                or next(iter(tokens(value.source_key)), "") in ANTIBODY_WORDS):
            return value  # 'anti-SSA: positive': an antibody, not the amyloidosis 'SSA' is
        text = f"{value.source_key}: {value.text}"
        if text not in self._affirm:
            self._affirm[text] = bool(self._match("disease", text, "dedicated", embed=False))
        return FieldValue("disease", text, value.source_key, scanned=False) \
            if self._affirm[text] else value

    def _line_alone(self, value: FieldValue) -> tuple[Candidate, ...]:
        """'cell type: K562', 'H1 hESC line': a cell-type value that is a line's full name
        with words that say it is a line, or alone and at least four characters long, names
        that line even when the name is shaped like a sample code ('D13' alone does not).
        Under a cell-line key the name may also be followed by the cell type the line is
        ('cell line: H7 hESCs', 'BJ fibroblasts') and have up to three words ('HUES 64 hESC
        line')."""
        role = key_role(value.source_key)
        if not _ON["line_alone"] or role not in ("cell_type", "cell_line"):
            return ()
        text = value.text
        memo = (role, text)
        if memo not in self._alone:  # memoized: every sample of such a key asks
            words = [w for w in re.split(r"[\s,;]+", text.strip()) if w]
            rest = [w for w in words if not _line_word(w)]
            if role == "cell_line":
                rest = self._without_cell_type(rest)
            name = " ".join(rest)
            named = 0 < len(rest) <= (3 if role == "cell_line" else 1) and not (
                name == text.strip() and len(re.sub(r"[^0-9A-Za-z]", "", name)) < 4)
            self._alone[memo] = tuple(
                c for c in (match_exact(self.lexicon, "cell_line", name) if named else ())
                if distinctive_cell_line(self.lexicon, c.term_id, c.match_kind, text,
                                         code_ok=True))
        return self._alone[memo]

    def _without_cell_type(self, words: list[str]) -> list[str]:
        """``words`` without a cell-type name that ends them ('BJ fibroblasts' -> 'BJ')."""
        for n in range(min(3, len(words) - 1), 0, -1):
            if match_exact(self.lexicon, "cell_type", " ".join(words[-n:])):
                return words[:-n]
        return words

    def _several_diseases(self, values: list[FieldValue]
                          ) -> tuple[list[Annotation], list[FieldValue]]:
        """One annotation per disease of a disease field that lists several unrelated ones
        ("T2D; obesity", "Crohn's disease and spondyloarthritis"), and the values left for the
        usual single decision. Each part is grounded as if it were the whole value; a list
        counts only when at least two parts name diseases outside each other's lineage
        (not "cancer, breast cancer", "AML, FAB M2" or a curator-decided value)."""
        named: list[Annotation] = []
        rest: list[FieldValue] = []
        for v in values:
            curated = bool(self.overrides) and override_key(v.facet, v.text) in self.overrides
            # a value that denies a disease is read whole: its parts alone lose the denial
            # ("no diabetes, hypertension or cancer")
            whole = v.scanned or not _ON["several_diseases"] or curated or self._denies(v.text)
            parts = () if whole else self._parts(v.text)
            found: dict[str, Annotation] = {}
            for part in parts:
                ann = self._decide("disease", [FieldValue("disease", part, v.source_key,
                                                          scanned=False,
                                                          full_length=v.full_length)])
                top = ann.candidates[0] if ann is not None and ann.candidates else None
                # a second disease needs a name: an uncurated ontology abbreviation of a part
                # ('on ART' is no Arts syndrome) is as often a treatment or a gene
                if (ann is not None and ann.term_id and ann.term_id != HEALTHY
                        and not (top is not None and top.match_kind == "abbreviation")):
                    found.setdefault(ann.term_id, ann)
            ids = list(found)
            if len(ids) < 2 or any(self.lexicon.is_ancestor(a, b) for a in ids for b in ids):
                rest.append(v)
                continue
            named.extend(found.values())
        return named, rest

    def _denies(self, text: str) -> bool:
        """Whether a disease value denies a disease it names (memoized by text)."""
        if text not in self._denied:
            self._denied[text] = bool(set_aside(self.lexicon, "disease", text))
        return self._denied[text]

    def _parts(self, text: str) -> tuple[str, ...]:
        """The parts of a listed disease value that a matcher other than the embedding one
        grounds (memoized; an embedding guess for a fragment is no second disease)."""
        if text not in self._lists:
            parts = [p for p in _LIST.split(text) if p.strip()]
            self._lists[text] = tuple(
                p for p in parts
                if len(parts) > 1 and self._match("disease", p, "dedicated", embed=False))
        return self._lists[text]

    def _suggestions(self, facet: str, text: str) -> tuple[Candidate, ...]:
        """Near names kept with an unmapped value for a curator (memoized)."""
        if not self.use_fuzzy:
            return ()
        key = (facet, normalize(text))
        if key not in self._suggest:
            self._suggest[key] = tuple(self._fuzzy.match(facet, text, cutoff=SUGGEST_CUTOFF,
                                                         spelling_only=False))
        return self._suggest[key]

    def _scored(self, value: FieldValue, kclass: str, weights: Mapping[str, float]
                ) -> tuple[_Scored, ...] | None:
        """The value's candidates with their features and logits, memoized beside them
        (every sample that repeats a value ranks the same candidates; keyed by the raw text,
        which spares a normalization, and checked against the candidate tuple it scored)."""
        cands = self.candidates(value, kclass)
        if cands is None:
            return None
        if not cands:  # most scanned values: nothing to score
            return ()
        key = (value.facet, kclass, value.text)
        hit = self._scores.get(key)
        # a curator's override is a fresh tuple; a benchmark may swap the calibration
        if hit is not None and hit[0] is cands and hit[1] is weights:
            return hit[2]
        scored = tuple(_with_score(c, kclass, weights) for c in cands)
        self._scores[key] = (cands, weights, scored)
        return scored

    def rank(self, facet: str, values: Iterable[FieldValue]
             ) -> tuple[list[tuple[float, Candidate, FieldValue, dict[str, float]]], FieldValue | None]:
        """Pool the candidates of every value of a facet, merged by term, best first.

        Returns ``(ranked, rejected)``: ranked ``(score, candidate, value, features)`` tuples and
        the value a curator rejected, if any.
        """
        weights = self.calibration.weights(facet)
        pooled: dict[str, tuple[float, Candidate, FieldValue, dict[str, float]]] = {}
        fields_per_term: dict[str, int] = {}
        rejected: FieldValue | None = None
        for v in values:
            kclass = key_class(v)
            scored = self._scored(v, kclass, weights)
            if scored is None:
                rejected = v
                continue
            if facet == "cell_line" and kclass != "dedicated":
                scored = tuple(s for s in scored if s[1].method == "curated" or
                               distinctive_cell_line(self.lexicon, s[1].term_id,
                                                     s[1].match_kind, v.text)) or tuple(
                    _with_score(c, kclass, weights) for c in self._line_alone(v))
            elif facet == "cell_line" and not scored:
                scored = tuple(_with_score(c, kclass, weights) for c in self._line_alone(v))
            if not scored:  # most scanned values name nothing of the facet
                continue
            if (facet == "disease" and v.scanned and key_role(v.source_key) in FACETS
                    and _ON["field_abbreviation_disease"]):
                # a tissue or cell-type field names a disease by name ('melanoma'); its
                # abbreviations are the field's own ('cDCs' is no collecting duct carcinoma)
                scored = tuple(s for s in scored if s[1].match_kind != "abbreviation")
            if facet == "disease" and _ON["numbered_people"]:
                scored = self._person_code(v, kclass, scored, weights)
            if facet == "disease" and kclass == "other" and whole_value_only(v.source_key):
                # 'treatment: serum from healthy donors': the donors of a reagent, not the
                # sample's (rule unknown_key_health reads the others: 'smoking status: healthy
                # smoker')
                scored = tuple(s for s in scored
                               if "unknown_key_health" not in rules_that_took(s[1]))
            if facet == "disease" and specimen_key(v.source_key):
                # 'histology: normal' beside a tumour: the tissue is normal, not the donor
                scored = tuple(s for s in scored if s[1].term_id != HEALTHY)
            for s, c, vec in scored:
                fields_per_term[c.term_id] = fields_per_term.get(c.term_id, 0) + 1
                item = (s, c, v, vec)
                if c.term_id not in pooled or _order(facet, item) < _order(
                        facet, pooled[c.term_id]):
                    pooled[c.term_id] = item
        ranked = []
        for tid, (s, c, v, vec) in pooled.items():
            feats = dict(zip(FEATURES, vec))
            log_fields = _log(fields_per_term[tid])
            if log_fields != feats["log_fields"]:
                feats["log_fields"] = log_fields
                s = score(feats, weights)
            ranked.append((s, c, v, feats))
        # the fitted weights compare names within one text; across a sample's values the key
        # each came from also counts: a name found under the facet's own key outranks the
        # others ('cell type: cDC2' beside 'source_name: PBMC'), and a term under an unrelated
        # key ranks below ('cause of death: sudden cardiac death' is no tissue beside
        # 'source_name: inferior temporal cortex')
        ranked.sort(key=lambda r: _order(facet, r))
        return ranked, rejected

    def _person_code(self, v: FieldValue, kclass: str, scored: tuple[_Scored, ...],
                     weights: Mapping[str, float]) -> tuple[_Scored, ...]:
        """``scored`` without the numbered form of a disease that a person's code names
        (rule ``numbered_people``): a value under a key naming the person that is a disease
        abbreviation run into a number ('individual: ALS-7', 'sALS5') names the seventh
        patient, not ALS type 7; its letters alone are read instead. The healthy state a
        control's code names stays ('CTRL4')."""
        code = person_code(v)
        if code is None:
            return scored
        letters = self._scored(replace(v, text=code.group(1)), kclass, weights) or ()
        read = {s[1].term_id for s in letters}
        kept = tuple(s for s in scored if s[1].term_id == HEALTHY or not (
            (s[1].match_kind in SHORT_KINDS and _NUMBERED.fullmatch(s[1].matched_text))
            or any(self.lexicon.is_ancestor(t, s[1].term_id) for t in read)))
        if len(kept) == len(scored):
            return scored
        return kept + tuple(s for s in letters if s[1].term_id not in {k[1].term_id for k in kept})

    def _chosen(self, facet: str, values: Iterable[FieldValue],
                place: Annotation | None = None, diseases: Iterable[Annotation] = (),
                dish: bool = False
                ) -> tuple[list[tuple[float, Candidate, FieldValue, dict[str, float]]],
                           Candidate | None, FieldValue | None]:
        """:meth:`rank` with the narrower-name rules applied: ``(ranked, leader, rejected)``,
        ``leader`` the candidate ranked first before them; ``place``: the sample's tissue
        annotation, for a cell type; ``diseases``: the sample's, for a tissue; ``dish``: the
        sample is of a named cell line, whose infections were given in the dish."""
        values = list(values)
        ranked, rejected = self.rank(facet, values)
        if dish and facet == "disease":  # 'A-431 + SARS-CoV-2 24h': the line's experiment
            ranked = [r for r in ranked if not infectious(self.lexicon, r[1].term_id)]
        leader = ranked[0][1] if ranked else None
        if not ranked and facet == "tissue":  # 'tissue: PDAC' is the pancreas
            ranked = self._compose.organ_of_tumour(values, diseases, dish)
        if not ranked and facet == "tissue":  # 'biopsy site: sigmoid' of a colitis
            ranked = self._compose.part_of_disease_organ(values, diseases)
        if ranked and facet == "tissue":
            ranked = self._compose.site_of_tissue(facet, ranked)
            ranked = self._compose.organ_at_site(ranked, diseases)
            ranked = self._compose.organ_at_named_site(ranked, values)
            ranked = self._compose.part_of_tissue(ranked, values)
            ranked = self._compose.part_by_initials(ranked, values)
        if ranked and facet in MOST_SPECIFIC_FACETS and _ON["deeper_in_sample"]:
            ranked = self._deeper(facet, ranked)
        if ranked and facet == "disease":
            ranked = self._compose.kind_of_disease(ranked, values)
            ranked = self._compose.kind_in_value(ranked)
            ranked = self._compose.spelt_first(ranked)
            ranked = self._compose.kind_by_initials(ranked, values)
        if ranked and facet == "cell_type":
            ranked = self._compose.cell_of_markers(ranked, values)
            ranked = self._compose.kind_of_cell(ranked, values)
            ranked = self._compose.kind_in_value(ranked, "cell_type")
        if ranked and place is not None:
            ranked = self._compose.cell_of_tissue(ranked, place)
        return ranked, leader, rejected

    def _decide(self, facet: str, values: Iterable[FieldValue],
                place: Annotation | None = None, diseases: Iterable[Annotation] = (),
                dish: bool = False) -> Annotation | None:
        """The annotation ``values`` give ``facet`` (memoized by the values, the sample's tissue
        and diseases the rules read, and the calibration: the samples of a study mostly repeat
        one another's values, and their tissue and diseases are then this memo's own answers;
        the overrides are fixed when the grounder is made)."""
        values = tuple(values)
        diseases = tuple(diseases)
        key = (facet, values, place, diseases, dish, _Same(self.calibration))
        found = self._decisions.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._decisions[key] = self._decide_now(facet, values, place, diseases, dish)
        return found

    def _decide_now(self, facet: str, values: Iterable[FieldValue],
                    place: Annotation | None = None, diseases: Iterable[Annotation] = (),
                    dish: bool = False) -> Annotation | None:
        values = list(values)
        ranked, leader, rejected = self._chosen(facet, values, place, diseases, dish)
        if not ranked:
            if rejected is not None:
                return Annotation(facet, None, None, 1.0, "curated", "rejected",
                                  rejected.source_key, rejected.text,
                                  lexicon_version=self.lexicon.version,
                                  source_length=rejected.full_length)
            return None
        top_s, top, v, _ = ranked[0]
        # a runner-up from a weaker key may score higher: the two are then as good as tied;
        # the broader terms a narrower one was taken over are no rivals
        rivals = [r[0] for r in ranked[1:] if top is leader
                  or not self.lexicon.is_ancestor(r[1].term_id, top.term_id)]
        margin = max(top_s - rivals[0], 0.0) if rivals else MARGIN_CAP
        if _ON["strongest_mention"] and len(values) > 1 and facet != "cell_line":
            top, v = self._strongest_mention(facet, top, v, values)
        conf, why = self.confidence(facet, top_s, margin, top, v)
        first = _order(facet, ranked[0])[:4]
        # a broader or narrower term of the one taken is no alternative to it
        tied = 1 + sum(1 for r in ranked[1:] if _order(facet, r)[:4] == first
                       and not self.lexicon.is_ancestor(r[1].term_id, top.term_id)
                       and not self.lexicon.is_ancestor(top.term_id, r[1].term_id))
        if (tied > 1 and _ON["tied_choice"] and top.method != "curated"
                and not rules_that_took(top)):
            # nothing tells the tied candidates apart ('K562-EGFP': 14 derived lines named so in part):
            # the one taken is right at best one time in `tied` (a rule that took it told them)
            conf = conf / tied
            why = {**why, "conf:tied": float(tied), "conf:final": round(conf, 4)}
        # the first candidate also carries the steps of its confidence and the rule that
        # took it ('rule:kind_in_value')
        cands = tuple(replace(c, score=round(s, 4),
                              features={**f, "margin": margin,
                                        **({**_rules_of(c), **why} if i == 0 else {})})
                      for i, (s, c, _, f) in enumerate(ranked[:5]))
        status = "accepted" if conf >= self.calibration.accept else "needs_review"
        return Annotation(facet, top.term_id, top.term_label, conf, top.method, status,
                          v.source_key, v.text, cands, self.lexicon.version, v.full_length)

    def _strongest_mention(self, facet: str, top: Candidate, value: FieldValue,
                           values: list[FieldValue]) -> tuple[Candidate, FieldValue]:
        """The mention of the term taken that the cautious rules trust most: a term is named
        weakly only when every value naming it does ('donor: T2D-03', an abbreviation inside
        an identifier, beside 'status: T2D', the whole value). Ranking is unchanged; the
        first-ranked mention wins ties; a fuzzy or embedding guess is no mention."""
        def trust(c: Candidate, v: FieldValue) -> float:
            return adjust_confidence(facet, c, v, key_class(v), 1.0)
        best, best_v, best_t = top, value, trust(top, value)
        if best_t >= 1.0:
            return top, value
        weights = self.calibration.weights(facet)
        for v in values:
            if v is value:
                continue
            for _, c, _ in self._scored(v, key_class(v), weights) or ():
                if c.term_id == top.term_id and c.method not in GUESS_METHODS:
                    t = trust(c, v)
                    if t > best_t:
                        best, best_v, best_t = c, v, t
        return best, best_v

    def sample_ranking(self, facet: str, attributes: Mapping[str, str],
                       text: str | None = None) -> list[dict]:
        """How a sample's values competed for ``facet``, best first (what ``harmonize explain``
        shows for a whole sample): each candidate with the key it came from and the parts of
        its sort order, in the order :meth:`rank` and the narrower-name rule left them. The
        diseases of a value that lists several come first (``listed``): each is annotated."""
        read = self._fields(read_legends(attributes), text)
        values = [v for v in read if v.facet == facet]
        rows = []
        if facet == "disease":  # a value listing unrelated diseases gives each of them
            named, values = self._listed_diseases(values, read)
            for a in named:
                top = a.candidates[0]
                value = FieldValue(facet, a.source_text or "", a.source_key or "", False)
                rows.append(_ranking_row(facet, top.score, top, value, listed=True))
        place = None
        # decided first as annotate does: the diseases a tissue may be read with, and the
        # tissue a cell type may be named with
        diseases = self._diseases_of(read) if facet in ("tissue", "cell_type") else []
        if facet == "cell_type":
            place = self._decide("tissue", [v for v in read if v.facet == "tissue"],
                                 diseases=diseases)
        dish = facet == "disease" and self._of_line(read)
        ranked, leader, _ = self._chosen(facet, values, place, diseases, dish)
        listed = len(rows)
        if facet == "disease" and ranked:
            # the disease named with the sample's tissue, decided after both as annotate does
            decided = _with_decided(named, self._decide(facet, values, dish=dish))
            tissue = self._decide("tissue", [v for v in read if v.facet == "tissue"],
                                  diseases=decided)
            named = self._compose.diseases_at_tissue(decided + ([tissue] if tissue else []))
            for a in named:
                if a.facet == "disease" and a not in decided:
                    value = FieldValue(facet, a.source_text or "", a.source_key or "", False)
                    rows.append(_ranking_row(facet, round(ranked[0][0], 4), a.candidates[0],
                                             value, narrower=True))
        for s, c, v, _ in ranked:
            rows.append(_ranking_row(facet, round(s, 4), c, v,
                                     narrower=len(rows) == listed and c is not leader))
        if facet == "disease":  # the line's disease, when the sample names none itself
            anns = self._annotate_values(read, None)
            top = self._decide(facet, values, dish=dish)
            if top is not None and self._abbreviates_cell(accepted(anns, "cell_type"), top):
                rows = [r for r in rows if r["term_id"] != top.term_id]
            for a in self._line_disease(anns):
                if a.facet == facet and a.candidates and a.candidates[0].features.get(
                        "line_disease"):
                    value = FieldValue(facet, a.source_text or "", a.source_key or "", False)
                    rows.insert(0, _ranking_row(facet, 0.0, a.candidates[0], value))
        return rows

    def _listed_diseases(self, values: list[FieldValue], read: list[FieldValue],
                         decided: list[Annotation] | None = None
                         ) -> tuple[list[Annotation], list[FieldValue]]:
        """The disease values read, as :meth:`_several_diseases` splits them: a key naming a
        disease affirmed by its value, and no infection given in a dish
        (:mod:`harmonize.ground.infection`; ``decided``: the annotations made so far, among
        them the cell line, decided here if not given)."""
        values = [self._affirmed(v) for v in values]
        if any(given_infection(v) for v in values):
            if decided is None:
                decided = self._line(read)
            if in_dish(read, decided):  # 'infection: SARS-CoV-2' on a line, 'MOI 5'
                values = [v for v in values if not given_infection(v)]
        return self._several_diseases(values) if values else ([], [])

    def _line(self, read: list[FieldValue]) -> list[Annotation]:
        """The cell-line annotation the sample's values ``read`` give, decided as annotate
        does (none or one)."""
        line = self._decide("cell_line", [v for v in read if v.facet == "cell_line"])
        return [line] if line is not None else []

    def _of_line(self, read: list[FieldValue]) -> bool:
        """Whether the sample's values ``read`` name a cell line, decided as annotate does."""
        return in_dish((), self._line(read))

    def _diseases_of(self, read: list[FieldValue]) -> list[Annotation]:
        """The disease annotations :meth:`annotate` gives a sample's values ``read``."""
        named, rest = self._listed_diseases([v for v in read if v.facet == "disease"], read)
        return _with_decided(named, self._decide("disease", rest, dish=self._of_line(read))
                             if rest else None)

    def _deeper(self, facet: str,
                ranked: list[tuple[float, Candidate, FieldValue, dict[str, float]]]
                ) -> list[tuple[float, Candidate, FieldValue, dict[str, float]]]:
        """The ranking with the most specific term the sample names first: a name (not a
        guess, nor a weak reading such as an abbreviation inside a longer value or 'X tumor'
        read as 'X cancer'; an abbreviation that is the whole value, 'HUVEC', is no weak
        reading) found
        in a facet field or a source name that is narrower than the term ranked
        first is what the sample is ('tissue: kidney' beside 'source_name: renal cortex';
        'disease: leukemia' beside a leukemia named in full). Titles, descriptions and free
        text name other things too ('compared with the hippocampus'), but a narrower disease
        there is a kind of the one ranked first ('tissue: stomach tumour' beside a description
        naming a gastric adenocarcinoma)."""
        while True:
            top = ranked[0][1]
            deeper = next((r for r in ranked[1:] if r[1].method not in GUESS_METHODS
                           and (r[1].match_kind not in WEAK_KINDS
                                or self._own_whole_name(facet, r[1], top, r[2])
                                or _abbreviated_part(facet, r, ranked[0]))
                           and (key_class(r[2]) in DEEPER_CLASSES
                                or (facet == "disease" and key_class(r[2]) == "title")
                                or self._part_named_alone(facet, r)
                                or _in_text_alike(facet, r[2], ranked[0][2])
                                or (_part_in_description(facet, r[2], ranked[0][2])
                                    and not self._names_cells(r[1], r[2])))
                           and not cell_name_place(facet, r[2])
                           and narrower(self.lexicon, top.term_id, r[1].term_id)), None)
            if deeper is None:
                return ranked
            rest = [r for r in ranked if r is not deeper]
            if _in_text_alike(facet, deeper[2], ranked[0][2]):  # no other way let it in
                deeper = (deeper[0], taken_by(deeper[1], "deeper_in_text"), *deeper[2:])
            elif _part_in_description(facet, deeper[2], ranked[0][2]):
                deeper = (deeper[0], taken_by(deeper[1], "part_in_description"), *deeper[2:])
            ranked = [deeper] + rest

    def _names_cells(self, c: Candidate, value: FieldValue) -> bool:
        """Whether the text names the place ``c`` was read from only inside a name of cells
        ('renal proximal tubule epithelial cells'): a kind of cell, not the part sampled."""
        toks, name = tokens(value.text), c.matched_text.split()
        for i in range(len(toks) - len(name) + 1):
            if toks[i:i + len(name)] == name:
                after = toks[i + len(name):i + len(name) + 3]
                return any(self.lexicon.lookup("cell_type", " ".join(after[:k]))
                           for k in range(1, len(after) + 1))
        return False

    def _part_named_alone(self, facet: str,
                          r: tuple[float, Candidate, FieldValue, dict[str, float]]) -> bool:
        """Whether a tissue was named by the whole value of a key of no known role ('lobe:
        left upper lobe', 'tumor site: pancreatic head'): such a key says where in the organ
        (rule ``part_in_own_key``), as a genotype or treatment key does not."""
        c, v = r[1], r[2]
        return (facet == "tissue" and _ON["part_in_own_key"] and c.method == "exact"
                and key_role(v.source_key) == "other" and key_class(v) == "other")

    def _own_whole_name(self, facet: str, c: Candidate, broader: Candidate,
                        value: FieldValue) -> bool:
        """Whether ``c`` was read from a whole value ('source_name: HUVEC'; a remark in brackets
        aside: 'region: DLPFC (BA 9)') by a name that does not also name ``broader``
        ('PD' names two MONDO terms alike, a disease and its late-onset form)."""
        text = normalize(PARENTHESIS.sub(" ", value.text))
        whole = (c.method == "exact" or text == c.matched_text
                 or self._name_and_heads(facet, c, text))
        return whole and all(
            tid != broader.term_id for tid, _ in self.lexicon.lookup(facet, c.matched_text))

    def _name_and_heads(self, facet: str, c: Candidate, text: str) -> bool:
        """Whether ``text`` is ``c``'s name followed by class words of tumours that ``c`` is a
        kind of ('RCC tumours': tumours that are renal cell carcinomas) or by the sample's
        number ('LUSC-2 tumor'), so the name is the whole value as much as 'RCC' alone
        would be."""
        words, name = text.split(), c.matched_text.split()
        if facet != "disease" or not name or words[:len(name)] != name:
            return False
        rest = words[len(name):]
        return bool(rest) and all(
            any(ch.isdigit() for ch in w)
            or any(self._kind_of(c.term_id, cls) for cls in DISEASE_HEADS.get(w, ()))
            for w in rest)

    def _kind_of(self, term_id: str, class_name: str) -> bool:
        """Whether ``term_id`` is, or falls under, a disease class the lexicon names so."""
        return any(tid == term_id or self.lexicon.is_ancestor(tid, term_id)
                   for tid, _ in self.lexicon.lookup("disease", class_name))

    def confidence(self, facet: str, logit: float, margin: float, top: Candidate,
                   value: FieldValue) -> tuple[float, dict[str, float]]:
        """Calibrated probability that ``top`` is right, and the steps that made it
        (``conf:<part>`` entries, shown by ``harmonize explain``)."""
        if top.method == "curated":
            return 1.0, {"conf:curated": 1.0}
        kclass = key_class(value)
        stepped = self.calibration.similarity_confidence(top.method, facet, top.similarity)
        if stepped is not None:
            # fitted on held-out ontology synonyms, not on samples: never above what the
            # cautious prior grants this kind of evidence (a misspelt name is no surer than
            # an exact one)
            capped, parts = self.calibration.cautious(
                stepped, f"{facet}/{evidence_kind(top, kclass)}")
            why = {f"conf:{top.method}_step": round(stepped, 4),
                   **{f"conf:{k}": round(v, 4) for k, v in parts.items()}}
            conf = min(stepped, capped) if facet not in RULE_FACETS else stepped
            why["conf:final"] = round(conf, 4)
            return conf, why
        novel = self.calibration.novel(facet, top.term_id)
        platt = self.calibration.confidence(facet, logit, margin, dedicated=not value.scanned,
                                            novel=novel)
        fitted = adjust_confidence(facet, top, value, kclass, platt)
        why = {"conf:platt": round(platt, 4), "conf:fitted": round(fitted, 4)}
        if novel:
            why["conf:novel_term"] = 1.0
        if facet in RULE_FACETS:
            return fitted, why
        # the cautious prior first, then the rules that lower it (their order survives the cap)
        capped, parts = self.calibration.cautious(
            platt, f"{facet}/{evidence_kind(top, kclass)}")
        conf = adjust_confidence(facet, top, value, kclass, capped)
        why.update({f"conf:{k}": round(v, 4) for k, v in parts.items()})
        if parts:
            why["conf:final"] = round(conf, 4)
        return conf, why

    def _unmapped(self, facet: str, value: FieldValue, cands: tuple[Candidate, ...]) -> Annotation:
        return Annotation(facet, None, None, 0.0, "none", "unmapped", value.source_key,
                          value.text, cands, self.lexicon.version, value.full_length)

    # ------------------------------------------------------------------ explain & cache
    def explain(self, text: str, facet: str, source_key: str = "value",
                scanned: bool | None = None) -> list[Candidate]:
        """Ranked candidates with their score parts (``features`` holds ``part:<name>``)."""
        value = _value(facet, text, source_key, scanned)
        kclass = key_class(value)
        weights = self.calibration.weights(facet)
        out = []
        for c in self.candidates(value, kclass) or ():
            feats = feature_vector(c, kclass)
            parts = {f"part:{k}": round(p, 4) for k, p in score_parts(feats, weights).items()}
            out.append(replace(c, score=round(score(feats, weights), 4),
                               features={**c.features, **parts}))
        return sorted(out, key=lambda c: -c.score)

    def cache_items(self) -> list[dict]:
        """The memo as JSON-ready rows (facet, key_class, text, lexicon_version, ...)."""
        rows = []
        for (facet, kclass, text), cands in self._memo.items():
            rows.append({"facet": facet, "key_class": kclass, "text": text,
                         "lexicon_version": self.lexicon.version, "rejected": cands is None,
                         "candidates": [c.to_json() for c in cands or ()]})
        return rows

    def preload(self, items: Iterable[Mapping]) -> int:
        """Fill the memo from :meth:`cache_items` rows of the same lexicon version.

        Raises:
            ParseError: a row of another shape (rows written before the memo was keyed by the
                text as written hold ``norm_text``), naming the row and what to do.
        """
        n = 0
        for i, row in enumerate(items, 1):
            if row.get("lexicon_version") != self.lexicon.version:
                continue
            try:
                cands = None if row.get("rejected") else tuple(
                    Candidate(**c) for c in row.get("candidates") or ())
                key = (row["facet"], row["key_class"], row["text"])
            except (KeyError, TypeError) as exc:
                raise ParseError(
                    f"memo row {i} ({row.get('facet')!r}, {row.get('key_class')!r}): "
                    f"not a Grounder.cache_items() row of this version (missing or unknown "
                    f"field {exc}); ground its values again instead of preloading it") from None
            self._memo[key] = cands
            n += 1
        return n


def _abbreviated_part(facet: str, r: tuple[float, Candidate, FieldValue, dict[str, float]],
                      first: tuple[float, Candidate, FieldValue, dict[str, float]]) -> bool:
    """Whether ``r`` was read by an abbreviation in the same free text that names the term
    ranked first in full (rule ``part_abbreviated_in_text``): an abbreviation inside a text is
    weak alone ('dlpfc' may be a code), but one naming a part of the organ the text names in
    words ('frozen brain block, dlpfc, grey matter') is that part. The caller checks it is
    narrower."""
    return (_ON["part_abbreviated_in_text"] and r[1].match_kind in ABBREVIATION_KINDS
            and first[1].match_kind not in WEAK_KINDS and r[2].text == first[2].text
            and _in_text_alike(facet, r[2], first[2]))


def _part_in_description(facet: str, value: FieldValue, top: FieldValue) -> bool:
    """Whether a narrower tissue was read from a title or description while the organ ranked
    first came from a keyed value (rule ``part_in_description``): 'source_name: brain' beside
    a description of a block of the putamen is the putamen. A description names other places
    too, but a part of the organ the sample's own values name is mostly where it was taken;
    not in a text that sets places against each other ('compared with the putamen':
    ``words/comparison_words.tsv``). (A narrower cell type there was tried too: on the blind
    sets it named the spinal motor neurons their writers call motor neurons, nothing else.)"""
    return (facet == "tissue" and _ON["part_in_description"]
            and key_class(value) in _TEXT_CLASSES and key_class(top) in DEEPER_CLASSES
            and not _COMPARISON.intersection(tokens(value.text)))


#: Rule part_in_description: words setting one place against another ('compared with').
_COMPARISON = words("comparison_words") if enabled("part_in_description") else frozenset()


def _in_text_alike(facet: str, value: FieldValue, top: FieldValue) -> bool:
    """Whether a narrower name was read, as the term ranked first was, from free text or a
    title (rule ``deeper_in_text``): a text naming an organ and a part of it ('postmortem
    brain, substantia nigra pars compacta') is of the part, and the fitted ranking, which
    prefers an organ's common name, would take the organ. Diseases aside: a text names other
    people's too."""
    return (facet != "disease" and _ON["deeper_in_text"]
            and key_class(value) in _TEXT_CLASSES and key_class(top) in _TEXT_CLASSES)


#: A value ending in a code of capitals for cells ('CD57+ NK', 'naive CD8 T').
_CELL_CODE = re.compile(r"(?:^|[\s(])[A-Z]{1,4}\s*$")
#: Key classes of free text and of titles and descriptions.
_TEXT_CLASSES = ("text", "title")
MIXED_SEX = "PATO:0001338"
FEMALE, MALE = "PATO:0000383", "PATO:0000384"


def _sex(lex: Lexicon, text: str) -> tuple[Candidate, ...]:
    """A value naming both sexes ('pooled male and female', 'M/F') is mixed sex."""
    toks = set(re.findall(r"[a-z]+", text.lower()))
    ids = {tid for t in toks for tid, _ in lex.lookup("sex", t)}
    if len(toks) > 1 and {FEMALE, MALE} <= ids:
        return (Candidate(term_id=MIXED_SEX, term_label="mixed sex", method="rule",
                          matched_text="female and male", match_kind="curated",
                          similarity=1.0, features={"kind_rank": 5.0}),)
    return ()


def _sex_named(lex: Lexicon, text: str, codes: bool = False) -> tuple[Candidate, ...]:
    """The donor's sex named by a word of a longer value or the free text ("biopsy from a 62
    year old man", "Female donor 3", "male_liver_1"): only whole sex *words* of the lexicon
    (the one-letter codes and karyotypes only under a sex key, ``codes``: in a sentence they
    are anything), and only when the value names one sex ("male and female donors" describes
    a study, not the sample)."""
    ids = {tid: word for word in set(tokens(text))
           if (codes or len(word) > 2) and not _capital_code(word, text)
           for tid, _ in lex.lookup("sex", word) if tid in (FEMALE, MALE)}
    if not ids and not codes:  # "patient 3 (F, 54 y)", "54-year-old M": a code beside an age
        ids = {tid: code for code in sex_letters_beside_age(text)
               for tid, _ in lex.lookup("sex", code.lower()) if tid in (FEMALE, MALE)}
    if not ids and not codes and _ON["written_karyotype"]:  # "an hESC line (46,XX)"
        ids = {tid: m.group(1) for m in _KARYOTYPE.finditer(text)
               for tid, _ in lex.lookup("sex", m.group(1).lower()) if tid in (FEMALE, MALE)}
    if len(ids) != 1:
        return ()
    (tid, word), = ids.items()
    info = lex.term(tid)
    return (Candidate(term_id=tid, term_label=info.label if info else word, method="mention",
                      matched_text=word, match_kind="curated", similarity=1.0,
                      features={"kind_rank": float(KIND_RANK["curated"])}),)


#: A normal karyotype written out ('46,XX', '46, XY'): the chromosomal sex (rule
#: written_karyotype); the sex chromosomes alone are read so only under a sex key.
_KARYOTYPE = re.compile(r"(?<![\w.])46\s*,?\s*(X[XY])(?![A-Za-z0-9])", re.IGNORECASE)


def _line_word(word: str) -> bool:
    """Whether ``word`` says a value names a line ('cells', 'hESCs'; :data:`LINE_WORDS`)."""
    w = word.lower()
    return w in LINE_WORDS or (w.endswith("s") and w[:-1] in LINE_WORDS)


def _capital_code(word: str, text: str) -> bool:
    """A three-letter word written only in capitals is a code ("MEN 2A"), not "men"."""
    return len(word) == 3 and not re.search(rf"(?<![A-Za-z])(?:{word}|{word.capitalize()})"
                                            rf"(?![A-Za-z])", text)


def _order(facet: str, item: tuple[float, Candidate, FieldValue, dict[str, float]]
           ) -> tuple[bool, bool, bool, float, float, str]:
    """Sort key of a ranked ``(score, candidate, value, features)``: best first. Among names
    under the facet's own keys, one under a key for a finer division ('cell subtype') names
    the subset the sample is. A cell type its title or description names ranks after those
    the sample's values name (rule ``sample_keys_first``): a description tells what the cells
    were made from as often as what they are."""
    s, c, v, _ = item
    named = _named_by_key(facet, c, v)
    return (not named, not (named and finer_key(v.source_key)),
            facet in _SAMPLE_KEYS_FIRST and key_class(v) == "title",
            -(s + key_prior(facet, key_class(v))), -KIND_RANK.get(c.match_kind, 0), c.term_id)


#: Rule sample_keys_first: facets whose terms a title or description names rank after those
#: the sample's values name.
_SAMPLE_KEYS_FIRST = ("cell_type",) if enabled("sample_keys_first") else ()


def _ranking_row(facet: str, score_: float, c: Candidate, v: FieldValue, *,
                 listed: bool = False, narrower: bool = False) -> dict:
    """One row of :meth:`Grounder.sample_ranking`: a candidate, the value it came from and
    the parts of its sort order (a listed disease counts as under the facet's own key)."""
    named = listed or _named_by_key(facet, c, v)
    return {"term_id": c.term_id, "term_label": c.term_label, "method": c.method,
            "match_kind": c.match_kind, "source_key": v.source_key, "source_text": v.text,
            "key_class": key_class(v), "by_facet_key": named,
            "finer_key": named and not listed and finer_key(v.source_key), "listed": listed,
            "score": score_, "key_prior": key_prior(facet, key_class(v)),
            "narrower_taken": narrower,
            # the rule that put a composed name first, else the narrower-name rule
            "taken_by": next(iter(rules_that_took(c)), "deeper_in_sample") if narrower else None}


def _named_by_key(facet: str, c: Candidate, v: FieldValue) -> bool:
    """Whether a candidate is a name (not a fuzzy or embedding guess) found in a value of the
    facet's own key. Cell lines are left to the fitted ranking: their fields often hold a
    parental line or a description, and the fit gives the key no weight."""
    return (_ON["key_named_first"] and facet != "cell_line" and not v.scanned
            and c.method not in GUESS_METHODS)


def _experimental_control(c: Candidate) -> bool:
    """A bare "control" outside a disease field ("treatment: control", "genotype: Control")
    is an experimental control, not a healthy donor."""
    said = set(c.matched_text.split())
    return c.match_kind == "healthy" and bool(CONTROL_WORDS & said) and not (
        {"healthy", "normal"} & said)


def _value(facet: str, text: str, source_key: str, scanned: bool | None) -> FieldValue:
    """One value to ground (its first :data:`~harmonize.ground.fields.MAX_VALUE_CHARS`
    characters); unless ``scanned`` says otherwise, it is scanned when its key is neither
    the facet's own nor unknown."""
    if scanned is None:
        scanned = key_role(source_key) not in (facet, "other", "skip")
    text, full = bounded(text)
    return FieldValue(facet, text, source_key, scanned=scanned, full_length=full)


def _rules_of(c: Candidate) -> dict[str, float]:
    """The marks of the rules that took ``c`` (``rule:<name>``), as :func:`taken_by` set them."""
    return {RULE_MARK + rule: 1.0 for rule in rules_that_took(c)}


def _with_score(c: Candidate, kclass: str, weights: Mapping[str, float]) -> _Scored:
    feats = feature_vector(c, kclass)
    return score(feats, weights), c, tuple(feats[name] for name in FEATURES)


def _log(n: int) -> float:
    import math

    return math.log(max(n, 1))


def _assay(library: Mapping[str, str]) -> list[Annotation]:
    try:
        from harmonize.assay import infer_assay
    except ImportError:
        return []
    return list(infer_assay(library))

