"""Binary input handles for the parsers: plain or gzip, from a path or from bytes.

A cut-off ``.gz`` raises in the middle of a read; :class:`Guarded` turns that into a clean
end of data (keeping every byte decompressed before the break) and remembers the error, so a
parser can yield the records completed before the break and then one Reject.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
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
