"""A thread-safe client-side rate limiter, shared process-wide per (host, rate).

NCBI counts every request from one IP across all E-utilities (3/s, 10/s with a key), so all
clients and threads that talk to one host must draw from one limiter: :func:`shared_limiter`.

Example:
    >>> limiter = RateLimiter(1000.0)
    >>> limiter.acquire() >= 0.0
    True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Space requests evenly so that no 1-second window ever holds more than ``rate`` of them.

    Each caller reserves the next free slot under a lock, then sleeps outside the lock until its
    slot. Slots are ``(1 + slack) / rate`` seconds apart, so ``rate`` consecutive requests span
    ``1 + slack`` seconds: the limit holds at the server even when requests arrive up to
    ``slack`` seconds later than they were scheduled (thread scheduling, network jitter).

    Args:
        rate: requests per second (> 0).
        slack: safety margin as a fraction of the period (default 10 %).
        clock: monotonic clock, injectable for tests of the pure arithmetic.
        sleep: sleep function paired with ``clock``.
    """

    def __init__(
        self,
        rate: float,
        *,
        slack: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.rate = float(rate)
        self.interval = (1.0 + slack) / self.rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Reserve the next slot and return how long the caller must wait for it (seconds)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        return slot - now

    def acquire(self) -> float:
        """Block until this caller may send one request; return the time waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Push every future slot at least ``seconds`` from now (a server said "slow down")."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g})"


_REGISTRY: dict[tuple[str, float], RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(host: str, rate: float) -> RateLimiter:
    """Return the one limiter of this process for ``(host, rate)``, creating it on first use."""
    key = (host.lower(), float(rate))
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None:
            limiter = _REGISTRY[key] = RateLimiter(rate)
        return limiter
