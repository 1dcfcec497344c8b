"""Record parsers: SRA, BioSample, GEO MINiML and GEO SOFT bytes -> SampleRecord | Reject.

Every parser streams (constant memory, ``.gz`` read transparently) and never lets one bad record
stop a file: a broken record or a cut-off file becomes a :class:`~harmonize.models.Reject` after
every record completed before it. Only input that cannot be read at all (empty, unknown format)
raises :class:`~harmonize.errors.ParseError`. Bytes that are not valid UTF-8 in a document
declared (or defaulting to) UTF-8 are read as Windows-1252 and counted, never lose the file:
:attr:`Parsed.notes` says how many after the records are consumed.

Example:
    >>> from harmonize.parse import parse_bytes
    >>> xml = b'<BioSample accession="SAMN1"><Attributes>' \\
    ...       b'<Attribute attribute_name="tissue">liver</Attribute></Attributes></BioSample>'
    >>> [r.attribute_dict() for r in parse_bytes(xml, origin="example")]
    [{'tissue': 'liver'}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from harmonize.errors import ParseError
from harmonize.models import Reject, SampleRecord
from harmonize.parse import biosample, insdc, miniml, soft, sra
from harmonize.parse.sniff import HEAD_SIZE, sniff
from harmonize.parse.streams import (
    Guarded,
    Opener,
    Repairs,
    bytes_opener,
    declared_encoding,
    is_utf8_name,
    path_opener,
    repaired,
)

Parser = Callable[[Opener, str], Iterator[SampleRecord | Reject]]

#: format name -> streaming parser (``opener`` returns a fresh binary handle on each call).
PARSERS: dict[str, Parser] = {
    "sra": sra.parse,
    "biosample": biosample.parse,
    "miniml": miniml.parse,
    "soft": soft.parse,
    "insdc": insdc.parse,
}
#: Bulk formats that need the warehouse to link across files (:mod:`harmonize.dump`).
BULK_FORMATS = ("sra_dump", "sra_accessions")

__all__ = ["PARSERS", "Parsed", "iter_file", "parse_bytes", "sniff"]


class Parsed(Iterator[SampleRecord | Reject]):
    """The records of one document (an iterator), and what was noticed while reading it.

    ``notes`` holds one-line warnings naming the document (e.g. bytes that were not valid UTF-8
    and were repaired); they are complete once the iterator is exhausted. A warning is not an
    error: every record was still read.
    """

    def __init__(self, items: Iterator[SampleRecord | Reject], origin: str, repairs: Repairs):
        self._items = items
        self.origin = origin
        self._repairs = repairs

    def __next__(self) -> SampleRecord | Reject:
        return next(self._items)

    def close(self) -> None:
        """Stop early and release the file (as a generator's ``close``)."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    @property
    def notes(self) -> list[str]:
        """Warnings about the document so far (one line each, naming it)."""
        note = self._repairs.note(self.origin)
        return [note] if note else []


def iter_file(path: str | Path, fmt: str | None = None,
              on_read: Callable[[int], None] | None = None) -> Parsed:
    """Stream the records of a file (plain or gzip), sniffing its format unless ``fmt`` is given.

    ``on_read`` (optional) is told the position reached in the file on disk (compressed bytes
    for a ``.gz``) as it is read, for progress bars.

    Raises:
        ParseError: the file is missing, empty (also an empty ``.gz``) or of unknown format.
    """
    path = Path(path)
    try:
        opener = path_opener(path, on_read)
    except OSError as exc:
        raise ParseError(f"cannot open file: {exc.strerror or exc}", origin=str(path)) from None
    return _run(opener, str(path), fmt)


def parse_bytes(data: bytes, origin: str, fmt: str | None = None) -> Parsed:
    """Parse an in-memory document (e.g. a harvested HTTP body; gzip bodies are fine too).

    Raises:
        ParseError: the body is empty or of unknown format.
    """
    return _run(bytes_opener(data), origin, fmt)


def _run(opener: Opener, origin: str, fmt: str | None) -> Parsed:
    """Sniff (eagerly, so bad input fails at the call) and hand over to the parser."""
    head = _head(opener, origin)
    if not head.strip():
        raise ParseError("empty file, nothing to parse", origin=origin)
    name = fmt or sniff(head, origin=origin)
    if name in BULK_FORMATS:
        raise ParseError(f"a bulk {name.replace('_', ' ')} file: load it with `harmonize ingest` "
                         "or `harmonize backfill`, which stream and link it", origin=origin)
    if name not in PARSERS:
        raise ParseError(f"unknown format {name!r}; known: {', '.join(PARSERS)}", origin=origin)
    repairs = Repairs()
    if _utf8(head):
        opener = repaired(opener, repairs)
    return Parsed(PARSERS[name](opener, origin), origin, repairs)


def _utf8(head: bytes) -> bool:
    """Whether the document is meant to be UTF-8: SOFT, or XML declaring UTF-8 or nothing
    (an XML document declaring another encoding is decoded by lxml as declared)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 byte order marks
        return False
    return is_utf8_name(declared_encoding(head))


def _head(opener: Opener, origin: str) -> bytes:
    """Up to HEAD_SIZE leading bytes; a cut-off ``.gz`` still gives what it holds."""
    with Guarded(opener()) as fh:
        head = fh.read(HEAD_SIZE)
    if not head and fh.error is not None:
        raise ParseError(f"unreadable compressed input: {fh.error}", origin=origin)
    return head
