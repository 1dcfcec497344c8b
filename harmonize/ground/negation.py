"""Negated disease names: "HIV-negative donor", "non-diabetic islets", "tumor-free margin".

A NegEx-style rule on normalized tokens, kept deliberately narrow: the trigger must touch the
name (no words between), because sample text is terse and a wider window negates the wrong
thing ("non muscle invasive bladder cancer" is bladder cancer). A trigger inside a longer
lexicon name is part of that name ("non small cell lung cancer", "non hodgkin lymphoma"), so
only the shorter names nested in it are negated.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Words (and word pairs) that negate the name right after them.
BEFORE: tuple[tuple[str, ...], ...] = (
    ("no",), ("non",), ("not",), ("without",), ("never",), ("free", "of"), ("negative", "for"),
    ("absence", "of"), ("absent",), ("excluding",), ("rule", "out"), ("ruled", "out"),
)
#: Words that negate the name right before them ("HIV negative", "tumor free"). Words that
#: often open the next sentence ("Excluded were...", "Absent in...") are left out: GEO
#: bag-of-words text has lost its full stops.
AFTER: tuple[tuple[str, ...], ...] = (("negative",), ("neg",), ("negativity",), ("free",))


def is_negated(toks: Sequence[str], start: int, n_tokens: int) -> bool:
    """Whether the name at ``toks[start:start + n_tokens]`` is negated by a touching trigger.

    >>> is_negated("hiv negative donor".split(), 0, 1)
    True
    >>> is_negated("non diabetic islet".split(), 1, 1)
    True
    >>> is_negated("free of tumor".split(), 2, 1)
    True
    >>> is_negated("hiv positive donor".split(), 0, 1)
    False
    >>> is_negated("non small cell lung cancer".split(), 0, 5)
    False
    """
    end = start + n_tokens
    for trig in BEFORE:
        k = len(trig)
        if start >= k and tuple(toks[start - k:start]) == trig:
            return True
    for trig in AFTER:
        k = len(trig)
        if tuple(toks[end:end + k]) == trig:
            return True
    return False
