"""Misspelt words: a word no name knows, one keystroke away from exactly one word that names
know, is that word (rule ``respelt_words``).

Submitters type fast: 'hepatocelular carcinoma', 'tuberculsis', 'heathy donor',
'organiod'. The whole-value fuzzy matcher (:mod:`harmonize.ground.fuzzy`) only judges a value
under the facet's own key against whole names; a typo inside a source name or a description,
or beside words no name has, escapes it. Here each word is judged alone, against the words of
the tissue, cell-type and disease names (and the words of the project's word lists, which are
no ontology's): the word is that word when it differs by one letter left out, added, changed
or two letters swapped, and no other word is as close.

Most words one keystroke from a name's word are words of their own ('addition', 'either',
'ethanol', 'cytosine'), so a word is left alone when it is known: a name's word, a listed
word, or a whole word of the embedding model's vocabulary (30,000 word pieces of general
English, read from the model folder; without it only the names' words are known). It is also
left alone when short (a letter left out: six letters at least; any other edit: eight), written
with capitals inside (gene symbols, abbreviations), or changed at its first letter or its last
('chondrogenesis' is no achondrogenesis, 'hypoxic' no hypoxia) but for a doubled last letter.
The grounder takes the respelt reading only when it names a term by a respelt word.

Words run together (rule ``run_together_words``): text that lost its hyphens
('tonsil-derived' as 'tonsilderived', as txt2onto's bag-of-words text is made) holds words no
name knows that are two known words written as one. Such a word, when no keystroke makes it a
known word, is read as its two parts when it splits one way only into two known words (the
first of three letters or more, the second of four), one of them a word of the tissue,
cell-type or disease names ('tonsilderived': tonsil derived; 'cordblood': cord blood). A prefix or a
combining form ending in 'o' makes one word with the rest ('antiviral', 'microenvironment',
'tubulointerstitium': ``words/word_prefixes.tsv``). The grounder reads a tissue so
(:data:`harmonize.ground.grounder.APART_FACETS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from harmonize.ground.lexicon import Lexicon
from harmonize.ground.memo import MEMO_LIMIT, Memo
from harmonize.ground.normalize import tokens
from harmonize.ground.rules import WORDS_DIR, enabled, words

#: Facets whose names give the words a misspelt word may stand for.
TARGET_FACETS = ("tissue", "cell_type", "disease")
#: The shortest word judged for a letter left out, and for any other edit (shorter words
#: are one keystroke from too many others).
MIN_LENGTH = 6
MIN_LENGTH_OTHER_EDITS = 8
#: The most known words one misspelt word is read as, each in its own reading.
MAX_READINGS = 3
#: A word as written: letters only, so that codes and numbers are never judged.
_WORD = re.compile(r"[A-Za-z]+")
#: The letters an edit may put in.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Rule run_together_words: the shortest first and second part of a word written together
#: from two ('rpechoroid'; 'earwax' stays one word), and the prefixes that make one word
#: with the rest ('antiviral').
MIN_PART, MIN_SECOND = 3, 4
SPLIT_ON = enabled("run_together_words")
PREFIXES = words("word_prefixes") if SPLIT_ON else frozenset()


class Speller:
    """Corrections of one lexicon's misspelt words, memoized."""

    def __init__(self, lexicon: Lexicon, more_words: Iterable[str] = (),
                 known_words: Iterable[str] = (), memo_limit: int = MEMO_LIMIT):
        """``more_words``: words beside the names' that a misspelt word may stand for (the
        word lists'); ``known_words``: words that are right as they are but stand for nothing
        here (general English)."""
        self.lexicon = lexicon
        # dicts of strings, not sets: the collector does not track a dict holding only strings,
        # so these large vocabularies add nothing to every full collection of a long run
        self._more = dict.fromkeys(w for w in more_words if w.isalpha())
        self._known_words = (known_words if isinstance(known_words, dict)
                             else dict.fromkeys(known_words))
        self._targets: dict[str, None] | None = None
        self._memo: Memo[str, tuple[str, ...]] = Memo(memo_limit)
        self._apart: Memo[str, str | None] = Memo(memo_limit)

    def respell(self, text: str, apart: bool = False) -> tuple[str, frozenset[str]] | None:
        """``text`` with its misspelt words written right, and those words (normalized), or
        ``None`` when none is. A word with a capital first keeps it ('Heathy' -> 'Healthy').
        With ``apart``, a word no keystroke makes known is also read as the two words it runs
        together (:meth:`apart`)."""
        fixed: set[str] = set()

        def fix(m: re.Match[str]) -> str:
            w = m.group(0)
            if not self._judged(w):
                return w
            right = self.correct(w.lower())
            if right is None and apart:
                right = self.apart(w.lower())
            if right is None:
                return w
            fixed.add(right)
            return right if w.islower() else right.capitalize()

        out = _WORD.sub(fix, text)
        return (out, frozenset(tokens(" ".join(fixed)))) if fixed else None

    def readings(self, text: str, apart: bool = False) -> list[tuple[str, frozenset[str]]]:
        """:meth:`respell`'s reading, or when one word may misspell a few known words
        ('retinl': retinal or retinol), one reading per word it may be: the caller keeps
        the one that names a term by its respelt word ('retinal pigment epithelium')."""
        one = self.respell(text, apart)
        if one is not None:
            return [one]
        words = [w for w in _WORD.findall(text) if self._judged(w)]
        split = [(w, near) for w in words if 1 < len(near := self.candidates(w.lower()))
                 <= MAX_READINGS]
        if len(split) != 1:
            return []
        w, near = split[0]
        at = re.compile(rf"(?<![A-Za-z]){w}(?![A-Za-z])")
        return [(at.sub(r if w.islower() else r.capitalize(), text), frozenset(tokens(r)))
                for r in near]

    def correct(self, word: str) -> str | None:
        """The one known word ``word`` (lower case) misspells, or ``None``."""
        near = self.candidates(word)
        return near[0] if len(near) == 1 else None

    def candidates(self, word: str) -> tuple[str, ...]:
        """The known words ``word`` (lower case, not itself known) may misspell."""
        if word in self._memo:
            return self._memo[word]
        near: list[str] = []
        if not self._known(word):
            near = self._near(word)
            if not near and word.endswith("s") and len(word) > MIN_LENGTH:
                near = [f"{w}s" for w in self._near(word[:-1])]  # 'fibroblsts'
        self._memo[word] = found = tuple(near)
        return found

    @staticmethod
    def _judged(w: str) -> bool:
        """Whether a word as written is judged at all: long enough, no capitals inside."""
        return len(w) >= MIN_LENGTH and (w.islower() or (w[0].isupper() and w[1:].islower()))

    def _known(self, word: str) -> bool:
        if word in self._more or word in self._known_words:
            return True
        toks = tokens(word)
        return not toks or all(self.lexicon.knows_word(t) or t in self._more for t in toks)

    def apart(self, word: str) -> str | None:
        """``word`` (lower case, no keystroke from a known word) as the two known words it
        is written together from ('tonsilderived': 'tonsil derived'), when it splits so one
        way only and one part is a word of the names; else ``None``. Memoized."""
        if word in self._apart:
            return self._apart[word]
        found = None
        if SPLIT_ON and not self._known(word) and not self.candidates(word):
            parts = self._parts(word)
            found = parts[0] if len(parts) == 1 else None
        self._apart[word] = found
        return found

    def _parts(self, word: str) -> list[str]:
        """Every split of ``word`` into two known words, one of them a word of the names."""
        splits = []
        for i in range(MIN_PART, len(word) - MIN_SECOND + 1):
            a, b = word[:i], word[i:]
            if a in PREFIXES or a.endswith("o"):  # one word: 'antiviral'
                continue
            if (self._known(a) and self._known(b)
                    and (self.lexicon.knows_word(a, TARGET_FACETS)
                         or self.lexicon.knows_word(b, TARGET_FACETS))):
                splits.append(f"{a} {b}")
        return splits

    def _targets_of(self) -> dict[str, None]:
        """The words a misspelt word may stand for (built on first use)."""
        if self._targets is None:
            self._targets = dict.fromkeys(
                [w for f in TARGET_FACETS for name in self.lexicon.names.get(f, {})
                 for w in name.split() if len(w) >= MIN_LENGTH - 1 and w.isalpha()]
                + [w for w in self._more if len(w) >= MIN_LENGTH - 1])
        return self._targets

    def _near(self, word: str) -> list[str]:
        """The known words one edit from ``word``, but edits of its first letter or its last
        (a doubled last letter aside), and only a letter left out in words under
        :data:`MIN_LENGTH_OTHER_EDITS` letters. The edits are made and looked up (a few
        hundred set lookups a word; unknown words are few)."""
        targets = self._targets_of()
        n = len(word)
        edits: set[str] = set()
        for i in range(1, n + 1):  # a letter left out, before position i (not the first)
            if i < n or word[-1] in _LETTERS:  # ... nor after the last but a doubled one
                for c in _LETTERS:
                    if i < n or c == word[-1]:
                        edits.add(word[:i] + c + word[i:])
        if n >= MIN_LENGTH_OTHER_EDITS:
            for i in range(1, n):
                if i < n - 1 or word[-1] == word[-2]:  # a letter added
                    edits.add(word[:i] + word[i + 1:])
                if i < n - 2:
                    edits.update(word[:i] + c + word[i + 1:] for c in _LETTERS)  # changed
                    edits.add(word[:i] + word[i + 1] + word[i] + word[i + 2:])  # swapped
        edits.discard(word)
        return sorted(e for e in edits if e in targets)


#: Word lists of abbreviations of ontology terms, no lab or English words: an abbreviation
#: there stays one a study's group may be named by (rule ``group_abbreviation``).
NOT_WORDS = frozenset({"organ_abbreviations"})


@cache
def listed_words() -> frozenset[str]:
    """Every word of the project's word lists (``ontologies/words``): lab and English words
    the ontologies' names may lack ('volunteer', 'untreated'), known and correct."""
    return frozenset(w for path in sorted(WORDS_DIR.glob("*.tsv"))
                     if path.stem not in NOT_WORDS
                     for entry in words(path.stem) for w in tokens(entry) if w.isalpha())


def english_words() -> frozenset[str]:
    """The whole words of the embedding model's vocabulary (general English, lower case), or
    none when the model folder has no ``vocab.txt``."""
    from harmonize.errors import ConfigError
    from harmonize.ground.embedding import default_model

    try:
        path = Path(default_model()) / "vocab.txt"
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    except (ConfigError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


@cache
def english_vocabulary() -> dict[str, None]:
    """:func:`english_words` read once a process (every grounder built asks; 80 ms a read),
    as a dict of strings, which the cyclic collector does not track (a set it would walk on
    every full collection of a long run)."""
    return dict.fromkeys(english_words())
