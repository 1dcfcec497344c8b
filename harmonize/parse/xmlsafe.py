"""The one place lxml parsers are configured, and the streaming record loop built on them.

Every XML parse in :mod:`harmonize.parse` goes through here, so entity expansion and network
access stay off everywhere (``resolve_entities=False, no_network=True``) while very large text
nodes are allowed (``huge_tree=True``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import etree

from harmonize.models import Reject
from harmonize.parse.streams import Guarded, Opener

_SAFE = {"resolve_entities": False, "no_network": True, "huge_tree": True}
_RAW_LIMIT = 1 << 20  # keep at most 1 MiB of a broken record in a Reject
_PIECE = 1 << 16
_ACCESSION_ATTR = re.compile(rb'accession="([A-Za-z0-9_.-]+)"|iid="([A-Za-z0-9_.-]+)"')


def xml_parser() -> etree.XMLParser:
    """A safe lxml parser for whole (small) documents."""
    return etree.XMLParser(**_SAFE)


def fromstring(data: bytes) -> etree._Element:
    """Parse a small, complete XML document safely."""
    return etree.fromstring(data, xml_parser())


def local(tag: object) -> str:
    """``{ns}Name`` -> ``Name`` (comments and processing instructions give ``""``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text(el: etree._Element | None) -> str | None:
    """Stripped text of an element, ``None`` when missing or blank."""
    if el is None or el.text is None:
        return None
    value = el.text.strip()
    return value or None


def iter_elements(
    opener: Opener, tags: Iterable[str], origin: str, marker: bytes
) -> Iterator[etree._Element | Reject]:
    """Stream the elements named ``tags`` from a document with constant memory.

    Each element is yielded once complete, then cleared together with its earlier siblings.
    If the document breaks (truncated or malformed), every element completed before the break
    is yielded first, then one :class:`Reject` naming the line and the error; its ``raw`` holds
    the bytes of the partial record that starts with ``marker`` (capped at 1 MiB).
    """
    with Guarded(opener()) as fh:
        context = etree.iterparse(fh, events=("end",), tag=tuple(tags), **_SAFE)
        try:
            for _, el in context:
                yield el
                el.clear(keep_tail=False)
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (0, 0)
            reason = f"xml broken at line {line}: {exc.msg}"
            if fh.error is not None:
                reason = f"compressed stream broken ({fh.error}); {reason}"
        else:
            return
    raw = partial_record(opener, marker, line, column)
    yield Reject(origin=origin, reason=reason, record_id=_record_id(raw), raw=raw)


def partial_record(opener: Opener, marker: bytes, lineno: int, column: int = 0) -> bytes:
    """Bytes from the last ``marker`` before line ``lineno``/``column`` (0: up to the end).

    Reads in bounded pieces, so a huge one-line document never sits in memory whole.
    """
    buf = bytearray()
    line, col = 1, 0
    with Guarded(opener()) as fh:
        while piece := fh.readline(_PIECE):
            pos = piece.rfind(marker)
            if pos >= 0:
                buf = bytearray(piece[pos:])
            elif buf and len(buf) < _RAW_LIMIT:
                buf += piece
            if piece.endswith(b"\n"):
                line, col = line + 1, 0
            else:
                col += len(piece)
            if lineno and (line > lineno or (line == lineno and column and col >= column)):
                break
    return bytes(buf[:_RAW_LIMIT])


def _record_id(raw: bytes) -> str | None:
    m = _ACCESSION_ATTR.search(raw)
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode("ascii", "replace")
