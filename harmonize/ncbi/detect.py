"""Classify E-utilities / GEO response bodies: fine, transient error, permanent error, lost history.

NCBI reports many failures with HTTP 200 (see docs/ncbi-sources.md §1), so every body is
checked before it is handed to a parser. This module is pure: bytes in, an error or ``None`` out.

Example:
    >>> err = detect_error(b'{"error":"API rate limit exceeded","count":"11"}', "application/json")
    >>> err.transient
    True
    >>> detect_error(b"<eSearchResult><Count>0</Count></eSearchResult>", "text/xml") is None
    True
"""

from __future__ import annotations

import json
import re
import threading

from lxml import etree

from harmonize.errors import NCBIError


class HistoryExpiredError(NCBIError):
    """The WebEnv/query_key history set is gone; re-run the search and fetch the slice again."""

    def __init__(self, message: str):
        super().__init__(message, transient=False)


#: Error texts that go away on retry (NCBI backend hiccups, rate limiting, routing).
TRANSIENT_PATTERNS = re.compile(
    r"search backend failed|unable to route request|api rate limit exceeded|rate limit"
    r"|ncbi c\+\+ exception|internal server error|temporarily unavailable|service unavailable"
    r"|unable to open connection|timed? ?out|try again|too busy|bad gateway|gateway time",
    re.IGNORECASE,
)

#: Error texts that mean the history server lost (or never had) the WebEnv/query_key.
HISTORY_PATTERNS = re.compile(
    r"cannot retrieve history|unable to obtain query|history .{0,40}(expired|not found|invalid)"
    r"|webenv.{0,60}(expired|invalid|not found|unknown)|(invalid|unknown|expired) webenv"
    r"|query_key: ?\d+, ?webenv",
    re.IGNORECASE,
)

_LOCAL = threading.local()
_ERROR_TAGS = ("ERROR", "Error", "error")
#: Children of E-utilities result roots that are bookkeeping, not records.
_META_TAGS = frozenset(
    {
        "Count", "RetMax", "RetStart", "QueryKey", "WebEnv", "IdList", "TranslationSet",
        "TranslationStack", "QueryTranslation", "ErrorList", "WarningList",
    }
)
_MAX_HTML_ERROR = 65536
_MAX_MESSAGE = 200
_MAX_TEXT_ERROR = 4096


def classify(message: str) -> NCBIError:
    """Turn an NCBI error text into the right error (transient, history lost, or permanent)."""
    text = " ".join(message.split())[:_MAX_MESSAGE]
    if HISTORY_PATTERNS.search(text):
        return HistoryExpiredError(text)
    return NCBIError(text, transient=bool(TRANSIENT_PATTERNS.search(text)))


def _parser() -> etree.XMLParser:
    """One strict, non-networked parser per thread (lxml parsers must not be shared)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, recover=False
        )
    return parser


def _kind(body: bytes, content_type: str) -> str:
    """``json``, ``html``, ``xml`` or ``text``: the body's first character wins over the header."""
    head = body.lstrip()[:14].lower()
    if head[:1] in (b"{", b"["):
        return "json"
    is_html = head.startswith((b"<!doctype html", b"<html"))
    if is_html or (head[:1] == b"<" and "html" in content_type):
        return "html"
    if head[:1] == b"<":
        return "xml"
    for kind in ("json", "xml"):
        if kind in content_type:
            return kind  # announced but not what arrived: parsing will fail -> transient
    return "text"


def _json_error(body: bytes) -> NCBIError | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return NCBIError(f"ill-formed json body ({len(body)} bytes): {exc}", transient=True)
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("error"), str):
        return classify(doc["error"])
    for key, value in doc.items():
        # esummary {"esummaryresult": ["NCBI C++ Exception: ..."]}
        if isinstance(value, list) and key.endswith("result"):
            texts = [v for v in value if isinstance(v, str)]
            if texts and len(texts) == len(value):
                return classify("; ".join(texts))
        if isinstance(value, dict):
            inner = value.get("ERROR") or value.get("error")
            if isinstance(inner, str) and inner:
                return classify(inner)
    return None


def _xml_error(body: bytes) -> NCBIError | None:
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        return NCBIError(f"ill-formed xml body ({len(body)} bytes): {exc}", transient=True)
    if root is None:
        return NCBIError("empty xml document", transient=True)
    if root.tag in _ERROR_TAGS:
        return classify(root.text or "error")
    errors = [child for child in root if child.tag in _ERROR_TAGS]
    if not errors:
        return None
    has_records = any(
        isinstance(child.tag, str) and child.tag not in _ERROR_TAGS and child.tag not in _META_TAGS
        for child in root
    )
    if has_records:
        return None  # a partial result: the parser keeps the records and rejects the rest
    return classify("; ".join("".join(e.itertext()) for e in errors))


def _html_error(body: bytes) -> NCBIError | None:
    """A short html page that says "try later" (maintenance, gateway) is transient."""
    if len(body) > _MAX_HTML_ERROR:
        return None
    text = etree.HTML(body)
    words = " ".join(text.itertext()) if text is not None else ""
    if TRANSIENT_PATTERNS.search(words):
        return classify(words)
    return None


def detect_error(body: bytes, content_type: str | None = None) -> NCBIError | None:
    """Return the error a 200 body carries, or ``None`` when it is a usable result.

    Checks, in order: empty body, plain-text routing failures, JSON ``error`` /
    ``esummaryresult`` / ``ERROR`` keys, ill-formed (e.g. truncated) XML or JSON, and XML
    ``<ERROR>`` elements directly under the root. Count 0 / PhraseNotFound is not an error.

    Args:
        body: the raw response body.
        content_type: the ``Content-Type`` header, if any.

    Returns:
        An :class:`~harmonize.errors.NCBIError` (``transient=True`` when a retry may help; a
        :class:`HistoryExpiredError` when the WebEnv is gone) or ``None``.
    """
    ctype = (content_type or "").lower()
    if not body.strip():
        return NCBIError("empty response body", transient=True)
    kind = _kind(body, ctype)
    if kind == "json":
        return _json_error(body)
    if kind == "html":
        return _html_error(body)
    if kind == "xml":
        return _xml_error(body)
    if len(body) > _MAX_TEXT_ERROR or body.lstrip()[:1] in (b"^", b"!", b"#"):
        return None  # a real text document (SOFT, CSV); error pages are short prose
    text = body.decode("utf-8", "replace")
    if TRANSIENT_PATTERNS.search(text) or HISTORY_PATTERNS.search(text):
        return classify(text)
    return None
