"""Read a dump once, sequentially: tar(.gz) members, a folder tree, or one object file.

A tar is opened in stream mode (``r|*``: one forward pass, no seeking, nothing extracted to
disk), so memory stays flat however many millions of members it has. Members come out in tar
order, which in NCBI's dumps keeps a submission's files together; :func:`batches` cuts at
submission boundaries so most links resolve inside a batch.
"""

from __future__ import annotations

import bz2
import lzma
import re
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from isal import igzip, isal_zlib

from harmonize.errors import ParseError

#: ``SRA123456/SRA123456.experiment.xml`` -> submission, kind
_MEMBER = re.compile(r"(?:^|/)([A-Z]{3}\d+)/\1\.(\w+)\.xml(?:\.gz)?$")
#: member kinds that hold objects we load (submission and analysis files hold none)
OBJECT_KINDS = ("sample", "experiment", "run", "study")


@dataclass(frozen=True, slots=True)
class Member:
    """One object file of a dump: its bytes (tar member) or its path (a file on disk)."""

    name: str
    submission: str | None
    kind: str | None
    data: bytes | None = None
    path: str | None = None


def member_info(name: str) -> tuple[str | None, str | None]:
    """``(submission, kind)`` from a dump member or file name (``(None, None)`` if not one)."""
    m = _MEMBER.search(name)
    return (m.group(1), m.group(2).lower()) if m else (None, None)


class Counting:
    """A read-only file wrapper that counts the bytes read (progress of a stream)."""

    def __init__(self, inner: IO[bytes]):
        self._inner = inner
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        """Read and count."""
        data = self._inner.read(size)
        self.done += len(data)
        return data

    def readinto(self, buffer) -> int:
        """Read into ``buffer`` and count."""
        n = self._inner.readinto(buffer)  # type: ignore[attr-defined]
        self.done += n or 0
        return n

    def close(self) -> None:
        """Close the file."""
        self._inner.close()


def is_tar(path: Path) -> bool:
    """Whether ``path`` is a tar archive, plain or gzip/bz2/xz-compressed."""
    try:
        return path.is_file() and tarfile.is_tarfile(path)
    except OSError:
        return False


def tar_members(path: Path, counter: Counting | None = None,
                errors: list[str] | None = None) -> Iterator[Member]:
    """Stream the object members of a tar(.gz/.bz2/.xz) in one pass.

    A broken archive ends the stream after the members read before the break; the one-line
    reason goes to ``errors`` when given.

    Raises:
        ParseError: the archive is broken and no ``errors`` list was given.
    """
    fh = counter or Counting(path.open("rb"))
    try:
        for name, data in tar_files(_inflated(fh, path).read):
            submission, kind = member_info(name)
            if kind is not None and kind not in OBJECT_KINDS:
                continue
            yield Member(name, submission, kind, data=data)
    except (tarfile.TarError, EOFError, OSError, zlib.error, isal_zlib.error,
            lzma.LZMAError) as exc:
        error = ParseError(f"tar archive broken after {fh.done} bytes: {exc or type(exc).__name__}",
                           origin=str(path))
        if errors is None:
            raise error from None
        errors.append(str(error))
    finally:
        fh.close()


def _inflated(fh: Counting, path: Path) -> IO[bytes]:
    """The tar stream inside ``fh``: gzip through ISA-L's inflate (about 3x zlib's speed; the
    tar is the main process's share of a backfill), bzip2 and xz by the standard library."""
    with path.open("rb") as head:
        magic = head.read(6)
    if magic[:2] == b"\x1f\x8b":
        return igzip.IGzipFile(fileobj=fh, mode="rb")  # type: ignore[arg-type]
    if magic[:3] == b"BZh":
        return bz2.BZ2File(fh)  # type: ignore[arg-type]
    if magic == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(fh)  # type: ignore[arg-type]
    return fh  # type: ignore[return-value]


_BLOCK = 512
_ZERO = bytes(_BLOCK)
_FILE_TYPES = (b"0", b"\0", b"7")


def _exact(read: Callable[[int], bytes], n: int) -> bytes:
    data = read(n)
    while len(data) < n:
        more = read(n - len(data))
        if not more:
            raise EOFError(f"unexpected end of data ({len(data)} of {n} bytes)")
        data += more
    return data


def _number(field: bytes) -> int:
    if field[0] & 0x80:  # GNU base-256
        n = int.from_bytes(field[1:], "big")
        return -n if field[0] & 0x40 else n
    field = field.split(b"\0", 1)[0].strip()
    return int(field, 8) if field else 0


def _signed_sum(header: bytes) -> int:
    """The checksum some old tars wrote, summing the header's bytes as signed chars."""
    return sum(struct.unpack("148b8x356b", header)) + 256


def _pax(data: bytes) -> dict[str, str]:
    out, pos = {}, 0
    while pos < len(data):
        sp = data.index(b" ", pos)
        length = int(data[pos:sp])
        key, _, value = data[sp + 1:pos + length - 1].partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def tar_files(read: Callable[[int], bytes]) -> Iterator[tuple[str, bytes]]:
    """``(name, bytes)`` of every regular file of an uncompressed tar stream, in order.

    Reads ustar, GNU (``L`` long names) and pax (``path``/``size`` records) headers forward
    only, as ``tarfile``'s stream mode does, at about half its CPU; other entries
    (directories, links, devices) are skipped.

    Raises:
        tarfile.ReadError: a header's checksum does not hold.
        EOFError: the archive ends inside a header or a member.
    """
    long_name: str | None = None
    pax: dict[str, str] = {}
    while True:
        header = read(_BLOCK)
        if not header or header == _ZERO:
            return
        if len(header) < _BLOCK:
            header += _exact(read, _BLOCK - len(header))
        stored = _number(header[148:156])
        if stored != sum(header) - sum(header[148:156]) + 256 and stored != _signed_sum(header):
            raise tarfile.ReadError("bad checksum in a tar header")
        size = _number(header[124:136])
        kind = header[156:157]
        if kind in (b"L", b"x", b"g"):
            data = _exact(read, (size + 511) & ~511)[:size]
            if kind == b"L":
                long_name = data.rstrip(b"\0").decode("utf-8", "surrogateescape")
            elif kind == b"x":
                pax = _pax(data)
            continue
        name = header[:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if header[257:262] == b"ustar" and header[345] != 0:
            name = header[345:500].split(b"\0", 1)[0].decode("utf-8", "surrogateescape") + "/" + name
        name = pax.get("path") or long_name or name
        size = int(pax["size"]) if "size" in pax else size
        long_name, pax = None, {}
        padded = (size + 511) & ~511
        if kind in _FILE_TYPES and not (kind == b"\0" and name.endswith("/")):  # old dir
            data = _exact(read, padded) if padded else b""
            yield name, data[:size]
        elif padded:
            _exact(read, padded)


def file_members(paths: Iterable[Path]) -> Iterator[Member]:
    """Object files on disk (a folder tree or single files), in the given order."""
    for p in paths:
        submission, kind = member_info(p.as_posix())
        if kind is not None and kind not in OBJECT_KINDS:
            continue
        yield Member(str(p), submission, kind, path=str(p))


def batches(members: Iterable[Member], size: int = 500) -> Iterator[list[Member]]:
    """Groups of about ``size`` members, cut where the submission changes (at most 4x size)."""
    batch: list[Member] = []
    for m in members:
        if batch and ((len(batch) >= size and m.submission != batch[-1].submission)
                      or len(batch) >= 4 * size):
            yield batch
            batch = []
        batch.append(m)
    if batch:
        yield batch
