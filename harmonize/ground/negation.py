"""Negated disease names: "HIV-negative donor", "non-diabetic islets", "tumor-free margin".

A NegEx-style rule on normalized tokens, kept deliberately narrow: the trigger must touch the
name (no words between), because sample text is terse and a wider window negates the wrong
thing ("non muscle invasive bladder cancer" is bladder cancer). A trigger inside a longer
lexicon name is part of that name ("non small cell lung cancer", "non hodgkin lymphoma"), so
only the shorter names nested in it are negated.

As in ConText, a disease said of someone else ("family history of breast cancer") or only
feared ("at risk for type 2 diabetes") is no disease of the sample either.
"""

from __future__ import annotations

from collections.abc import Sequence

from harmonize.ground.rules import choices, enabled

#: Triggers by position, from ``ontologies/words/negation_triggers.tsv`` (rules ``negation``
#: and ``context_other``).
_TRIGGERS = choices("negation_triggers", "position",
                    frozenset({"before", "prefix", "after", "after_no", "other", "other_after",
                               "no", "list", "affirm"}))


def _triggers(*positions: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(r["phrase"].split()) for r in _TRIGGERS if r["position"] in positions)


#: Phrases that say the disease after them is someone else's or only a risk (ConText).
OTHER: tuple[tuple[str, ...], ...] = _triggers("other") if enabled("context_other") else ()
#: Words right after a name that say the sample only resembles the disease, or models it
#: ('eczema-like'): not the sample's disease, and no denial of one either.
OTHER_AFTER: tuple[tuple[str, ...], ...] = (_triggers("other_after") if enabled("context_other")
                                            else ())
#: Words (and phrases) that negate the name right after them, or say it is not the sample's.
BEFORE: tuple[tuple[str, ...], ...] = _triggers("before", "prefix", "after_no") + OTHER
#: Of those, the ones that deny a list ("no diabetes, hypertension or cancer"); a prefix
#: ("non-diabetic obese") denies one name only.
LIST_OPENERS: tuple[tuple[str, ...], ...] = _triggers("before", "after_no")
#: Words that join a denied list besides the commas tokens drop ("or", "nor").
LIST_JOINERS = frozenset(" ".join(t) for t in _triggers("list"))
#: Phrases above that negate only after "no"/"without" ("no history of cancer"); on their own
#: they affirm ("history of MI", "diagnosis of AML").
NEED_NO = frozenset(_triggers("after_no"))
NO = frozenset(" ".join(t) for t in _triggers("no"))
#: Prefixes that negate the one name right after them ('non-CF').
PREFIXES: tuple[tuple[str, ...], ...] = _triggers("prefix")
#: Words that negate the name right before them ("HIV negative", "tumor free"). Words that
#: often open the next sentence ("Excluded were...", "Absent in...") are left out: GEO
#: bag-of-words text has lost its full stops.
AFTER: tuple[tuple[str, ...], ...] = _triggers("after")
#: Phrases ending in a trigger that affirm the name right after them ('year history').
AFFIRM: tuple[tuple[str, ...], ...] = _triggers("affirm")
#: Every word of a trigger: a text with none of them negates nothing.
TRIGGER_WORDS = frozenset(w for trig in BEFORE + AFTER + OTHER_AFTER for w in trig)
#: Rule ``negation`` (off: no name is negated; ``context_other`` still applies).
_NEGATION = enabled("negation")


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
    >>> is_negated("hiv status negative".split(), 0, 1)  # 'HIV status: negative' as words
    True
    >>> is_negated("non small cell lung cancer".split(), 0, 5)
    False
    >>> is_negated("no history of cancer".split(), 3, 1), is_negated("history of mi".split(), 2, 1)
    (True, False)
    >>> is_negated("donor history gout".split(), 2, 1)  # 'no history of' as bag of words
    True
    >>> is_negated("year history gout".split(), 2, 1)  # 'a 12-year history of'
    False
    >>> is_negated("eczema like inflammation model".split(), 0, 1)  # a likeness
    True
    """
    end = start + n_tokens
    if _touched_before(toks, start, BEFORE if _NEGATION else OTHER) and not (
            _NEGATION and _touched_before(toks, start, AFFIRM)):
        return True
    for trig in (AFTER if _NEGATION else ()) + OTHER_AFTER:
        k = len(trig)
        if tuple(toks[end:end + k]) == trig:
            return True
    return False


def denied_lists(toks: Sequence[str], spans: Sequence[tuple[int, int]]) -> set[int]:
    """Starts of the names denied as later items of a list ("no diabetes, hypertension or
    cancer": hypertension and cancer): names that follow a denied one with nothing but
    list joiners between them (commas are gone from the tokens). Only a list opener
    (``LIST_OPENERS``) starts a list; names of a list are ``(start, n_tokens)`` spans.

    >>> sorted(denied_lists("no diabetes hypertension or cancer".split(), [(1, 1), (2, 1), (4, 1)]))
    [2, 4]
    >>> denied_lists("non diabetic obese donor".split(), [(1, 1), (2, 1)])
    set()
    """
    out: set[int] = set()
    if not _NEGATION or not LIST_JOINERS:
        return out
    end, denied = -1, False
    for start, n in sorted(spans):
        if start < end:
            continue  # a name inside or across the last one
        chained = denied and all(t in LIST_JOINERS for t in toks[end:start])
        if chained:
            out.add(start)
        denied = chained or _touched_before(toks, start, LIST_OPENERS)
        end = start + n
    return out


def _touched_before(toks: Sequence[str], start: int,
                    triggers: tuple[tuple[str, ...], ...]) -> bool:
    """Whether one of ``triggers`` ends right before the name at ``start`` (one that needs a
    'no' word before it, ``NEED_NO``, only after one)."""
    for trig in triggers:
        k = len(trig)
        if start >= k and tuple(toks[start - k:start]) == trig and (
                trig not in NEED_NO or (start > k and toks[start - k - 1] in NO)):
            return True
    return False


def says_other(toks: Sequence[str]) -> bool:
    """Whether the text speaks of a disease that is someone else's or only a risk (then a
    disease field naming nothing else is not known to be healthy either), or of one the
    sample only resembles ('eczema-like')."""
    return any(tuple(toks[i:i + len(t)]) == t for t in OTHER + OTHER_AFTER
               for i in range(len(toks)))
