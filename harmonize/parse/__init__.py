"""Record parsers: SRA, BioSample, GEO MINiML and GEO SOFT bytes -> SampleRecord | Reject.

Every parser streams (constant memory, ``.gz`` read transparently) and never lets one bad record
stop a file: a broken record or a cut-off file becomes a :class:`~harmonize.models.Reject` after
every record completed before it. Only input that cannot be read at all (empty, unknown format)
raises :class:`~harmonize.errors.ParseError`.

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
from harmonize.parse.streams import Guarded, Opener, bytes_opener, path_opener

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

__all__ = ["PARSERS", "iter_file", "parse_bytes", "sniff"]


def iter_file(path: str | Path, fmt: str | None = None) -> Iterator[SampleRecord | Reject]:
    """Stream the records of a file (plain or gzip), sniffing its format unless ``fmt`` is given.

    Raises:
        ParseError: the file is missing, empty (also an empty ``.gz``) or of unknown format.
    """
    path = Path(path)
    try:
        opener = path_opener(path)
    except OSError as exc:
        raise ParseError(f"cannot open file: {exc.strerror or exc}", origin=str(path)) from None
    return _run(opener, str(path), fmt)


def parse_bytes(data: bytes, origin: str, fmt: str | None = None
                ) -> Iterator[SampleRecord | Reject]:
    """Parse an in-memory document (e.g. a harvested HTTP body; gzip bodies are fine too).

    Raises:
        ParseError: the body is empty or of unknown format.
    """
    return _run(bytes_opener(data), origin, fmt)


def _run(opener: Opener, origin: str, fmt: str | None) -> Iterator[SampleRecord | Reject]:
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
    return PARSERS[name](opener, origin)


def _head(opener: Opener, origin: str) -> bytes:
    """Up to HEAD_SIZE leading bytes; a cut-off ``.gz`` still gives what it holds."""
    with Guarded(opener()) as fh:
        head = fh.read(HEAD_SIZE)
    if not head and fh.error is not None:
        raise ParseError(f"unreadable compressed input: {fh.error}", origin=origin)
    return head
