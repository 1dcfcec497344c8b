"""The one network edge of the harvester: polite, rate-limited, retrying GET/POST returning bytes.

Every request goes through :meth:`NCBIClient.request`, which

* waits for the process-wide limiter of the target host (:func:`shared_limiter`);
* adds ``tool``/``email``/``api_key`` to E-utilities requests and a timeout to every request;
* retries, with exponential backoff and full jitter (or the server's ``Retry-After``), on 429,
  5xx, connection errors and resets, incomplete bodies, ill-formed XML/JSON and the transient
  error bodies NCBI sends with HTTP 200 (:func:`~harmonize.ncbi.detect.detect_error`);
* never retries permanent errors (other 4xx, "Invalid db name", "Neither query_key nor id");
* raises :class:`~harmonize.errors.FetchError` / :class:`~harmonize.errors.NCBIError` with a
  one-line message naming the URL, the api key redacted.

There is exactly one retry layer: the ``requests`` adapters are mounted with ``max_retries=0``.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from harmonize import __version__
from harmonize.errors import FetchError, NCBIError
from harmonize.ncbi.config import HarvestConfig
from harmonize.ncbi.detect import HistoryExpiredError, detect_error
from harmonize.ncbi.ratelimit import RateLimiter, shared_limiter

__all__ = ["NCBIClient", "RateLimiter", "detect_error", "new_session", "redact", "shared_limiter"]

log = logging.getLogger("harmonize.ncbi")

_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_KEY_RE = re.compile(r"(api_key=)[^&\s'\"]+")
_WITH_URL_RE = re.compile(r" with url: \S+")
_MAX_SHOWN_URL = 400


class _Retryable(Exception):
    """Internal: one attempt failed in a way a later attempt may not."""

    def __init__(
        self, error: FetchError, retry_after: float | None = None, throttled: bool = False
    ):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.throttled = throttled or retry_after is not None


def redact(text: str, secret: str | None = None) -> str:
    """Replace ``api_key=...`` (and the literal ``secret``) in ``text`` with ``REDACTED``."""
    text = _KEY_RE.sub(r"\1REDACTED", text)
    if secret:
        text = text.replace(secret, "REDACTED")
    return text


class _RedactFilter(logging.Filter):
    """Redact ``api_key=`` in records of third-party loggers that print request URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg, record.args = redact(message), ()
        return True


_REDACT_FILTER = _RedactFilter()
#: urllib3 logs every request line (with its query string) at DEBUG.
_URL_LOGGERS = ("urllib3.connectionpool",)


def _guard_third_party_logs() -> None:
    """Attach the redacting filter to loggers that print URLs (idempotent; not at import)."""
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT_FILTER not in logger.filters:
            logger.addFilter(_REDACT_FILTER)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or ``None``.

    >>> parse_retry_after("2"), parse_retry_after(None), parse_retry_after("soon")
    (2.0, None, None)
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def new_session(config: HarvestConfig) -> requests.Session:
    """A ``requests.Session`` with no urllib3 retries and an identifying User-Agent."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    contact = f"; mailto:{config.email}" if config.email else ""
    session.headers["User-Agent"] = f"harmonize/{__version__} ({config.tool}{contact})"
    return session


class NCBIClient:
    """Rate-limited, retrying HTTP client for E-utilities and GEO.

    Args:
        config: the harvest configuration (identity, base URLs, timeouts, retry policy, rate).
        session: a ``requests.Session`` to use (one per thread); a fresh one when ``None``.
        sleep: the sleep function used between retries (tests keep the real one).
    """

    def __init__(
        self,
        config: HarvestConfig,
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self.session = session if session is not None else new_session(config)
        self._owns_session = session is None
        self._sleep = sleep
        self._random = random.Random()
        if config.api_key:
            _guard_third_party_logs()

    # -- public API ---------------------------------------------------------------------------

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> bytes:
        """GET ``url`` with ``params``; return the checked body."""
        return self.request("GET", url, params or {})

    def post(self, url: str, data: Mapping[str, Any]) -> bytes:
        """POST ``data`` form-encoded to ``url``; return the checked body."""
        return self.request("POST", url, data)

    def limiter(self, url: str) -> RateLimiter:
        """The process-wide limiter of ``url``'s host at this client's rate."""
        return shared_limiter(urlsplit(url).netloc, self.config.requests_per_second)

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> NCBIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the retry loop -----------------------------------------------------------------------

    def request(self, method: str, url: str, payload: Mapping[str, Any]) -> bytes:
        """Send one logical request, retrying transient failures; return the body.

        Raises:
            NCBIError: an error body (permanent, or still transient after the last retry);
                :class:`~harmonize.ncbi.detect.HistoryExpiredError` when the WebEnv is gone.
            FetchError: the server could not be reached or answered badly after all retries.
        """
        payload = self._with_identity(url, payload)
        shown = self._shown_url(method, url, payload)
        limiter = self.limiter(url)
        attempts = self.config.max_retries + 1
        for attempt in range(attempts):
            limiter.acquire()
            try:
                return self._attempt(method, url, payload, shown)
            except _Retryable as failure:
                if attempt + 1 >= attempts:
                    raise failure.error from None
                delay = self._delay(attempt, failure.retry_after)
                if failure.throttled:  # the server said "slow down": every thread waits
                    limiter.hold(delay)
                # INFO (shown with -v): the last failure alone reaches the user, once
                log.info(
                    "ncbi retry %d/%d in %.2fs: %s", attempt + 1, attempts - 1, delay, failure
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Backoff before retry ``attempt + 1``: ``Retry-After`` when given, else full jitter."""
        if retry_after is not None:
            return min(retry_after, self.config.retry_after_cap)
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * 2**attempt)
        return self._random.uniform(0.0, ceiling)

    def _attempt(self, method: str, url: str, payload: Mapping[str, Any], shown: str) -> bytes:
        is_get = method.upper() == "GET"
        try:
            response = self.session.request(
                method,
                url,
                params=payload if is_get else None,
                data=None if is_get else payload,
                timeout=self.config.timeout,
                allow_redirects=True,
            )
            body = response.content
        except _TRANSPORT_ERRORS as exc:
            detail = _transport_detail(exc, url, self.config.timeout)
            raise _Retryable(FetchError(self._fail(detail, shown))) from None
        except requests.RequestException as exc:
            raise FetchError(self._fail(f"{type(exc).__name__}: {exc}", shown)) from None
        return self._check(response, body, shown)

    def _check(self, response: requests.Response, body: bytes, shown: str) -> bytes:
        status = response.status_code
        ctype = response.headers.get("Content-Type", "")
        expected = response.headers.get("Content-Length")
        if (
            expected
            and expected.isdigit()
            and not response.headers.get("Content-Encoding")
            and len(body) < int(expected)
        ):
            message = f"incomplete body ({len(body)} of {expected} bytes)"
            raise _Retryable(FetchError(self._fail(message, shown)))
        if status == 429 or status >= 500:
            found = detect_error(body, ctype)
            detail = f"http {status}" + (f": {found}" if found else "")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            error = NCBIError(self._fail(detail, shown), transient=True)
            raise _Retryable(error, retry_after, throttled=status == 429)
        if status >= 300:
            found = detect_error(body, ctype)
            detail = f"http {status}" + (f": {found}" if found else "")
            raise NCBIError(self._fail(detail, shown), transient=False)
        found = detect_error(body, ctype)
        if found is None:
            return body
        if isinstance(found, HistoryExpiredError):
            raise HistoryExpiredError(self._fail(str(found), shown))
        if found.transient:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            error = NCBIError(self._fail(str(found), shown), transient=True)
            throttled = "rate limit" in str(found).lower()
            raise _Retryable(error, retry_after, throttled=throttled)
        raise NCBIError(self._fail(str(found), shown), transient=False)

    # -- helpers ------------------------------------------------------------------------------

    def _with_identity(self, url: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Add ``tool``/``email``/``api_key`` to E-utilities requests (caller values win)."""
        out = dict(payload)
        if url.startswith(self.config.eutils_base):
            out.setdefault("tool", self.config.tool)
            if self.config.email:
                out.setdefault("email", self.config.email)
            if self.config.api_key:
                out.setdefault("api_key", self.config.api_key)
        return out

    def _shown_url(self, method: str, url: str, payload: Mapping[str, Any]) -> str:
        """The request as one redacted line (long ``id`` lists summarised)."""
        visible = dict(payload)
        ids = str(visible.get("id", ""))
        if ids.count(",") >= 5:
            visible["id"] = f"<{ids.count(',') + 1} ids>"
        query = urlencode(visible, doseq=True, safe=",:[]<>/ ")
        shown = f"{method.upper()} {url}?{query}" if query else f"{method.upper()} {url}"
        shown = redact(shown, self.config.api_key)
        return shown if len(shown) <= _MAX_SHOWN_URL else shown[: _MAX_SHOWN_URL - 3] + "..."

    def _fail(self, detail: str, shown: str) -> str:
        """One redacted line: what went wrong and for which request."""
        line = " ".join(f"{detail} for {shown}".split())
        return redact(line, self.config.api_key)


_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _transport_detail(exc: Exception, url: str, timeout: float) -> str:
    """A network failure in words: which host, what happened, what to check."""
    parts = urlsplit(url)
    host = parts.netloc or url
    if isinstance(exc, requests.Timeout):
        what = f"no answer from {host} within {timeout:g} s"
    elif isinstance(exc, requests.ConnectionError) and not isinstance(
            exc, requests.exceptions.ChunkedEncodingError):
        found = _ERRNO_RE.search(str(exc))
        reason = found.group(1).strip() if found else type(exc).__name__
        what = f"cannot reach {host} ({reason}); check the network and eutils_base/geo_base"
    else:
        what = _WITH_URL_RE.sub("", f"{type(exc).__name__}: {exc}")
    return what
