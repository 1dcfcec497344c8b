"""The bounded memo: oldest entries go first, reads are plain dict reads."""

from __future__ import annotations

import pytest

from harmonize.ground.memo import Memo


def test_a_full_memo_drops_its_oldest_quarter_and_keeps_the_new_value() -> None:
    m: Memo[str, int] = Memo(8)
    for i in range(8):
        m[f"v{i}"] = i
    m["v8"] = 8
    assert list(m) == [f"v{i}" for i in range(2, 9)]  # v0, v1 (a quarter of 8) dropped
    assert m["v8"] == 8 and len(m) == 7


def test_updating_a_key_of_a_full_memo_drops_nothing() -> None:
    m: Memo[str, int] = Memo(3)
    for i in range(3):
        m[f"v{i}"] = i
    m["v0"] = 10
    assert dict(m) == {"v0": 10, "v1": 1, "v2": 2}


def test_a_memo_never_grows_past_its_limit() -> None:
    m: Memo[int, int] = Memo(100)
    for i in range(10_000):
        m[i] = i
        assert len(m) <= 100
    assert 9_999 in m and 0 not in m


def test_a_memo_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        Memo(0)
