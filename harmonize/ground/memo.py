"""A memo that forgets its oldest entries, so a long run's memory stays flat.

The grounder memoizes per distinct value (candidates, scored candidates, decisions). Real
attributes carry a distinct value per sample under some keys ("individual: donor 7731", a
title with a run number), so an unbounded memo grows with the run: 5.6 KB per sample on such
input, 14 GB over 2.5 M samples. A :class:`Memo` holds at most ``limit`` entries; when full it
drops the oldest quarter (insertion order), which keeps reads as fast as a plain ``dict`` (no
bookkeeping on a hit, unlike an LRU). A value seen again after it was dropped is recomputed
to the same result, so only speed depends on the limit.
"""

from __future__ import annotations

from itertools import islice
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: Entries per memo. At ~0.5 KB per candidate + scored entry this keeps a grounder's memos
#: to a few hundred MB; the dev files and a day of NCBI records have fewer distinct values.
MEMO_LIMIT = 250_000
#: Entries of the memo of decisions (a facet's values -> its annotation, ~1 KB each): the last
#: few thousand samples' decisions, the span a study's samples come in; a value that no other
#: sample shares ('donor: 7731') makes a decision no other sample asks for again.
DECISION_LIMIT = 50_000


class Memo(dict[K, V]):
    """A ``dict`` of at most ``limit`` entries; setting a new key when full drops the oldest
    quarter first. Only ``memo[key] = value`` is bounded (not ``update``/``setdefault``).

    >>> m = Memo(4)
    >>> for i in range(6):
    ...     m[i] = i * i
    >>> sorted(m), m[5]
    ([2, 3, 4, 5], 25)
    """

    __slots__ = ("limit",)

    def __init__(self, limit: int = MEMO_LIMIT):
        if limit < 1:
            raise ValueError(f"a memo needs room for at least one entry, got limit {limit}")
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        if len(self) >= self.limit and key not in self:
            for old in list(islice(iter(self), max(1, self.limit // 4))):
                del self[old]
        super().__setitem__(key, value)
