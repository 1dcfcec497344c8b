"""A study's groups named by abbreviations: the disease a word that tells the study's samples
apart abbreviates, chosen by the organs the study samples (rule ``group_abbreviation``).

Samples name their group in their own short words: 'IPF' on five of a study's samples,
'control' on the rest. Alone, a short word of bag-of-words text is no evidence: it is as often
a unit, a reagent, a gene or a sample code, and one abbreviation stands for many diseases.
Within a study two things tell more. A word that some of the study's samples carry and others
do not is how the study tells its groups apart. And the study's own organs say which of the
diseases the word abbreviates is meant: MONDO files each disease under the classes of the
organs it afflicts ('kidney disorder', 'skin disorder'), UBERON each sampled tissue under the
organs it is part of. A word the ontologies give as the abbreviation of exactly one disease of
an organ the study samples is read as that disease on the samples that carry it and name no
disease of their own ('IPF' beside lung explants; 'AD' beside brain is Alzheimer disease,
beside skin nothing, MONDO giving no disease of the skin that abbreviation). A word that
abbreviates one disease only, which MONDO files under no organ (an infection), is read
wherever it tells the groups apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from harmonize.ground.compose import taken_by
from harmonize.ground.fields import written
from harmonize.ground.lexicon import HEALTHY, Lexicon
from harmonize.ground.memo import MEMO_LIMIT, Memo
from harmonize.ground.mentions import ABBREVIATION_KINDS, ORGAN_OF_TISSUE, STOPWORDS
from harmonize.ground.normalize import tokens
from harmonize.ground.organs import disease_organs
from harmonize.ground.rules import enabled, table, words
from harmonize.ground.spelling import english_vocabulary, listed_words
from harmonize.models import Annotation, Candidate

#: The rule's switch, read once.
ON = enabled("group_abbreviation")
#: Rule theme_abbreviation: a word on every sample of a study, read by the study's organs.
THEME_ON = ON and enabled("theme_abbreviation")
#: Rule organ_abbreviation: abbreviation -> the diseases it names beside their organ only.
ORGAN_BOUND: dict[str, frozenset[str]] = {}
for _row in table("organ_abbreviations") if enabled("organ_abbreviation") else ():
    ORGAN_BOUND[_row["abbreviation"]] = ORGAN_BOUND.get(
        _row["abbreviation"], frozenset()) | {_row["term_id"]}
#: The kind of evidence a group's word is (its confidence: the cautious prior of the kind).
GROUP_EVIDENCE = "disease/group/abbreviation"
#: Units of measure bag-of-words text leaves without their numbers ('mm', 'ngml').
UNITS = words("units") if ON else frozenset()
#: Shortest and longest group word read; a study needs this many samples, a group this many.
MIN_LETTERS, MAX_LETTERS = 2, 6
MIN_STUDY, MIN_GROUP = 3, 2
#: Shortest group word read in a study whose organs are unknown ('NS' and 'LN' were never
#: smokers and lean donors in sample titles; 'RA' is as often retinoic acid).
MIN_ORGANLESS = 3


class GroupWords:
    """Which disease a study's group word names, for one lexicon (its indexes built once)."""

    def __init__(self, lexicon: Lexicon, memo_limit: int = MEMO_LIMIT):
        self.lexicon = lexicon
        self._organs: dict[str, frozenset[str]] = {}
        # per distinct value and word, bounded: every batch a long run maps asks again
        self._words: Memo[str, tuple[str, ...]] = Memo(memo_limit)
        self._candidates: Memo[str, bool] = Memo(memo_limit)

    def expansions(self, word: str) -> frozenset[str]:
        """The diseases the ontologies (or ``synonyms.tsv``) give ``word`` as abbreviation."""
        return frozenset(tid for tid, kind in self.lexicon.lookup("disease", word)
                         if kind in ABBREVIATION_KINDS and tid != HEALTHY)

    def all_expansions(self, word: str) -> frozenset[str]:
        """:meth:`expansions` and the diseases ``word`` abbreviates beside their organ only
        (``words/organ_abbreviations.tsv``, rule ``organ_abbreviation``)."""
        return self.expansions(word) | ORGAN_BOUND.get(word, frozenset())

    def organs(self, disease: str) -> frozenset[str]:
        """The organs MONDO files ``disease`` under (:func:`disease_organs`)."""
        return disease_organs(self.lexicon, disease, self._organs)

    def places(self, tissues: Iterable[str]) -> frozenset[str]:
        """The tissues, every term they are part of or a kind of, and the kind of tissue an
        organ among them is composed primarily of (a named muscle is skeletal muscle tissue:
        ``words/organ_of_tissue.tsv``)."""
        out: set[str] = set()
        for t in tissues:
            out.add(t)
            out.update(self.lexicon.ancestors.get(t, ()))
        return frozenset(out | {tissue for tissue, organ in ORGAN_OF_TISSUE.items()
                                if organ in out})

    def disease_of(self, word: str, places: frozenset[str]) -> str | None:
        """The one disease ``word`` abbreviates of an organ among ``places``; else the one
        disease it abbreviates at all when MONDO files that under no organ (an infection, a
        syndrome of the whole body: nothing the study's organs could contradict); else None.
        A study whose tissue is unread (sorted or cultured cells) has no organs to choose by:
        there a word of ``MIN_ORGANLESS`` letters or more that is no English word is read as
        the one disease it abbreviates (:func:`with_group_diseases` asks this only of words
        read in bag-of-words text). Expansions of one lineage ('PCOS': the syndrome and its
        numbered forms) are the broadest of them."""
        found = self.expansions(word)
        if places:
            organ = self.organ_disease(word, places)
            if organ is not None or len(found) != 1 or self.organs(next(iter(found))):
                return organ
            return next(iter(found))  # one disease, of no organ
        kept = list(found) if (len(word) >= MIN_ORGANLESS
                               and word not in english_vocabulary()) else []
        return self.broadest(kept)

    def organ_disease(self, word: str, places: frozenset[str]) -> str | None:
        """The one disease ``word`` abbreviates of an organ among ``places`` (the broadest of
        one lineage; the abbreviations of a field's own organ counted), or None: no fallback
        to a disease of no organ."""
        return self.broadest([d for d in self.all_expansions(word) if self.organs(d) & places])

    def broadest(self, kept: list[str]) -> str | None:
        """The one term of ``kept`` that all others lie below, or None."""
        heads = [d for d in kept if all(d == o or self.lexicon.is_ancestor(d, o) for o in kept)]
        return heads[0] if len(heads) == 1 else None

    def candidate_word(self, word: str) -> bool:
        """Whether ``word`` may be a group's abbreviation: short letters, no unit, function
        word or listed word, no name of a tissue, no name of a cell type but by abbreviation
        (:meth:`cells_abbreviated` is checked against the study), an abbreviation of some
        disease. An English word may be one ('AD', 'UC'): the study's organs decide."""
        known = self._candidates.get(word)
        if known is None:
            lex = self.lexicon
            known = self._candidates[word] = (
                MIN_LETTERS <= len(word) <= MAX_LETTERS and word.isalpha()
                and word not in UNITS and word not in STOPWORDS
                and word not in listed_words() and bool(self.all_expansions(word))
                and not lex.lookup("tissue", word)
                and all(kind in ABBREVIATION_KINDS for _, kind in lex.lookup("cell_type", word)))
        return known

    def cells_abbreviated(self, word: str) -> frozenset[str]:
        """The cell types the ontologies give ``word`` as abbreviation: a group word of a study
        none of whose samples is read as one of them ('PD' abbreviates a crustacean's neuron as
        well as Parkinson disease)."""
        return frozenset(tid for tid, kind in self.lexicon.lookup("cell_type", word)
                         if kind in ABBREVIATION_KINDS)

    def words_of(self, attributes: Mapping[str, str], text: str | None
                 ) -> dict[str, tuple[str, str]]:
        """Each word of a sample's values and text -> the (key, value) it was first read in."""
        out: dict[str, tuple[str, str]] = {}
        pairs = [(k, v) for k, v in attributes.items() if isinstance(v, str)]
        if text:
            pairs.append(("text", text))
        for key, value in pairs:
            said = self._words.get(value)
            if said is None:
                said = self._words[value] = tuple(dict.fromkeys(tokens(value)))
            for w in said:
                out.setdefault(w, (key, value))
        return out


def with_group_diseases(annotations: Sequence[list[Annotation]],
                        samples: Sequence[tuple[Mapping[str, str], str | None]],
                        studies: Sequence[str | None], reader: GroupWords,
                        confidence: float, accept: float) -> list[list[Annotation]]:
    """``annotations`` (one list per sample) with the disease a study's group word names
    added, at ``confidence`` (accepted from ``accept`` up), to the samples that carry the word
    and name no disease."""
    out = [list(a) for a in annotations]
    if not ON:
        return out
    for given in study_members(studies).values():
        said = {i: reader.words_of(*samples[i]) for i in given}
        idx = [i for i in given if said[i]]  # a record that says nothing is no group's
        if len(idx) < MIN_STUDY:
            continue
        counts: dict[str, int] = {}
        for i in idx:
            for w in said[i]:
                counts[w] = counts.get(w, 0) + 1
        group_words = sorted(w for w, n in counts.items()
                             if MIN_GROUP <= n < len(idx) and reader.candidate_word(w))
        themes = sorted(w for w, n in counts.items()
                        if THEME_ON and n == len(idx) and reader.candidate_word(w))
        if not group_words and not themes:
            continue
        places = reader.places(a.term_id for i in idx for a in out[i]
                               if a.facet == "tissue" and a.term_id)
        if not places:  # no organ to choose by: no theme, and only words of bag-of-words
            # text, where a submitter's titles and keys are gone ('VAT_LN_08', 'depot: VAT'
            # of an adipose depot; 'NS', never smokers)
            themes = []
            group_words = [w for w in group_words if all(
                said[i][w][0] == "text" and not written(said[i][w][1])
                for i in idx if w in said[i])]
        cells = {a.term_id for i in idx for a in out[i] if a.facet == "cell_type" and a.term_id}
        for word in group_words + themes:
            if reader.cells_abbreviated(word) & cells:  # the word names the study's cells
                continue
            # a theme only by the study's organs; a group's word also as its one disease
            # of no organ
            disease = (reader.organ_disease(word, places) if word in themes
                       else reader.disease_of(word, places))
            if disease is None:
                continue
            for i in idx:
                if word in said[i] and not any(a.facet == "disease" and a.term_id
                                               for a in out[i]):
                    out[i] = disease_annotation(out[i], reader.lexicon, disease, word,
                                                said[i][word], confidence, accept)
    return out


def study_members(studies: Sequence[str | None]) -> dict[str, list[int]]:
    """The positions of each known study's samples, in order."""
    members: dict[str, list[int]] = {}
    for i, study in enumerate(studies):
        if study:
            members.setdefault(study, []).append(i)
    return members


def disease_annotation(anns: list[Annotation], lex: Lexicon, disease: str, word: str,
                       source: tuple[str, str], confidence: float, accept: float,
                       rule: str = "group_abbreviation") -> list[Annotation]:
    """``anns`` with their disease replaced by ``disease``, read by ``rule`` from ``word`` of
    the value ``source``."""
    info = lex.term(disease)
    label = info.label if info else disease
    cand = taken_by(Candidate(term_id=disease, term_label=label, method="rule",
                              matched_text=word, match_kind=rule, similarity=1.0), rule)
    key, value = source
    ann = Annotation("disease", disease, label, confidence, "rule",
                     "accepted" if confidence >= accept else "needs_review", key, value,
                     (cand,), lex.version)
    return [a for a in anns if a.facet != "disease"] + [ann]


__all__ = ["GroupWords", "disease_annotation", "study_members", "with_group_diseases"]
