"""Binary input handles for the parsers: plain or gzip, from a path or from bytes.

A cut-off ``.gz`` raises in the middle of a read; :class:`Guarded` turns that into a clean
end of data (keeping every byte decompressed before the break) and remembers the error, so a
parser can yield the records completed before the break and then one Reject.
:class:`Utf8Repair` reads a document declared UTF-8 whose bytes are not all UTF-8 (a stray
Latin-1 byte) without losing it, counting what it repaired.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

Opener = Callable[[], IO[bytes]]
GZIP_MAGIC = b"\x1f\x8b"
STREAM_ERRORS = (EOFError, OSError, zlib.error)


def path_opener(path: Path, on_read: Callable[[int], None] | None = None) -> Opener:
    """An opener for a file, decompressing it when it starts with the gzip magic bytes.

    ``on_read`` (optional) is told the position in the file on disk after every read.
    """
    with path.open("rb") as fh:
        compressed = fh.read(2) == GZIP_MAGIC

    def raw() -> IO[bytes]:
        handle = path.open("rb")
        return handle if on_read is None else _Told(handle, on_read)  # type: ignore[return-value]

    def unzipped() -> IO[bytes]:
        handle = raw()
        stream = gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[arg-type]
        stream.myfileobj = handle  # closed with the stream, as gzip.open(path) does
        return stream

    return unzipped if compressed else raw


class _Told:
    """A binary file that reports its position after each read (for progress bars)."""

    def __init__(self, inner: IO[bytes], on_read: Callable[[int], None]):
        self._inner, self._on_read = inner, on_read

    def _tell(self, data):
        self._on_read(self._inner.tell())
        return data

    def read(self, size: int = -1) -> bytes:
        return self._tell(self._inner.read(size))

    def read1(self, size: int = -1) -> bytes:
        return self._tell(self._inner.read1(size))  # type: ignore[attr-defined]

    def readinto(self, buffer) -> int:
        return self._tell(self._inner.readinto(buffer))  # type: ignore[attr-defined]

    def readline(self, size: int = -1) -> bytes:
        return self._tell(self._inner.readline(size))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> _Told:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bytes_opener(data: bytes) -> Opener:
    """An opener for an in-memory body (gzip bodies are decompressed on the fly)."""
    if data[:2] == GZIP_MAGIC:
        return lambda: gzip.GzipFile(fileobj=io.BytesIO(data))
    return lambda: io.BytesIO(data)


class Guarded:
    """A read-only wrapper that ends cleanly where the underlying stream breaks.

    ``error`` holds the exception that ended the stream early, or ``None``.
    """

    def __init__(self, inner: IO[bytes]):
        self._inner = inner
        self._read1 = getattr(inner, "read1", inner.read)
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all when negative), never raising on a broken stream."""
        if self.error is not None:
            return b""
        out = bytearray()
        while size < 0 or len(out) < size:
            try:
                chunk = self._read1(1 << 16 if size < 0 else size - len(out))
            except STREAM_ERRORS as exc:
                self.error = exc
                break
            if not chunk:
                break
            out += chunk
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:
        """Read one line (up to ``size`` bytes), never raising on a broken stream."""
        if self.error is not None:
            return b""
        try:
            return self._inner.readline(size)
        except STREAM_ERRORS as exc:
            self.error = exc
            return b""

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def close(self) -> None:
        """Close the underlying handle."""
        self._inner.close()

    def __enter__(self) -> Guarded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: XML declaration's encoding pseudo-attribute.
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def declared_encoding(head: bytes) -> str | None:
    """The ``encoding`` an XML declaration names (lower case), or ``None`` when it names none."""
    m = _DECLARED.match(head.removeprefix(b"\xef\xbb\xbf"))
    return m.group(1).decode("ascii").lower() if m else None


def is_utf8_name(name: str | None) -> bool:
    """Whether an encoding name means UTF-8 (``None``: no declaration, so UTF-8 by default)."""
    return name is None or name.replace("-", "").replace("_", "") == "utf8"


@dataclass(slots=True)
class Repairs:
    """Bytes that were not valid UTF-8, counted over every handle of one document.

    A document may be read more than once (MINiML is read in two passes, a broken record is
    re-read for its raw bytes), so the figure reported is the largest count of one handle.
    """

    counts: list[int] = field(default_factory=list)
    first_line: int | None = None

    @property
    def replaced(self) -> int:
        """Invalid bytes found by the most complete read."""
        return max(self.counts, default=0)

    def note(self, origin: str) -> str | None:
        """One line naming the file, or ``None`` when every byte was valid UTF-8."""
        n = self.replaced
        if not n:
            return None
        return (f"{origin}: {n} byte{'s' if n > 1 else ''} not valid UTF-8 (first at line "
                f"{self.first_line}) read as Windows-1252/Latin-1; every record was kept")


class Utf8Repair:
    """A binary reader that passes valid UTF-8 through unchanged and repairs the rest.

    Each byte that is not part of a valid UTF-8 sequence is read as Windows-1252 (Latin-1 for the
    five bytes cp1252 leaves undefined) and written back as UTF-8, and counted in ``repairs``:
    a stray Latin-1 "µ" in a file declared UTF-8 costs one character, not the file.
    """

    def __init__(self, inner: IO[bytes], repairs: Repairs):
        self._inner = inner
        self._read1 = getattr(inner, "read1", inner.read)
        self._tail = b""  # an incomplete multi-byte sequence held for the next chunk
        self._lines = 0  # newlines passed so far (only counted until the first repair)
        self._repairs = repairs
        self._index = len(repairs.counts)
        repairs.counts.append(0)

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all when negative), repaired."""
        return self._pull(lambda: self._inner.read(size))

    def read1(self, size: int = -1) -> bytes:
        """Read at most one buffer of the underlying stream, repaired."""
        return self._pull(lambda: self._read1(size))

    def readline(self, size: int = -1) -> bytes:
        """Read one line (up to ``size`` bytes), repaired."""
        return self._pull(lambda: self._inner.readline(size))

    def _pull(self, fetch: Callable[[], bytes]) -> bytes:
        while True:
            chunk = fetch()
            out = self._fix(chunk, final=not chunk)
            if out or not chunk:  # never answer b"" (end of data) while data remains
                return out

    def _fix(self, chunk: bytes, final: bool) -> bytes:
        data = self._tail + chunk if self._tail else chunk
        self._tail = b""
        if data.isascii():
            if self._repairs.first_line is None:
                self._lines += data.count(b"\n")
            return data
        if not final:
            data, self._tail = _split_incomplete(data)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return self._repair(data)
        if self._repairs.first_line is None:
            self._lines += data.count(b"\n")
        return data

    def _repair(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")  # bad byte b -> U+DC00 + b
        bad = _ESCAPED.findall(text)
        self._repairs.counts[self._index] += len(bad)
        if self._repairs.first_line is None:
            first = _ESCAPED.search(text).start()  # type: ignore[union-attr]
            self._repairs.first_line = self._lines + text.count("\n", 0, first) + 1
        return text.translate(_CP1252).encode("utf-8")

    def close(self) -> None:
        """Close the underlying handle."""
        self._inner.close()


def _cp1252_table() -> dict[int, str]:
    """Escaped byte (U+DC80..U+DCFF) -> its Windows-1252 character (Latin-1 where undefined)."""
    table = {}
    for byte in range(0x80, 0x100):
        raw = bytes([byte])
        try:
            table[0xDC00 + byte] = raw.decode("cp1252")
        except UnicodeDecodeError:
            table[0xDC00 + byte] = raw.decode("latin-1")
    return table


_CP1252 = _cp1252_table()
_ESCAPED = re.compile("[\udc80-\udcff]")


def _split_incomplete(data: bytes) -> tuple[bytes, bytes]:
    """Split off a multi-byte sequence cut by the end of a chunk (at most 3 bytes)."""
    n = len(data)
    for back in range(1, min(4, n) + 1):
        byte = data[n - back]
        if byte < 0x80:
            break
        if byte >= 0xC0:  # a lead byte: how long should its sequence be?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return (data, b"") if back >= need else (data[: n - back], data[n - back:])
    return data, b""


def repaired(opener: Opener, repairs: Repairs) -> Opener:
    """An opener whose handles repair invalid UTF-8 (see :class:`Utf8Repair`)."""
    return lambda: Utf8Repair(opener(), repairs)  # type: ignore[return-value]
