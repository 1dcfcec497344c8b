"""Read a dump once, sequentially: tar(.gz) members, a folder tree, or one object file.

A tar is opened in stream mode (``r|*``: one forward pass, no seeking, nothing extracted to
disk), so memory stays flat however many millions of members it has. Members come out in tar
order, which in NCBI's dumps keeps a submission's files together; :func:`batches` cuts at
submission boundaries so most links resolve inside a batch.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections.abc import Iterable, Iterator
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
    """Stream the object members of a tar(.gz) in one pass.

    A broken archive ends the stream after the members read before the break; the one-line
    reason goes to ``errors`` when given.

    Raises:
        ParseError: the archive is broken and no ``errors`` list was given.
    """
    fh = counter or Counting(path.open("rb"))
    try:
        with tarfile.open(fileobj=_inflated(fh, path), mode="r|*") as tar:  # type: ignore[call-overload]
            for info in tar:
                if not info.isfile():
                    continue
                submission, kind = member_info(info.name)
                if kind is not None and kind not in OBJECT_KINDS:
                    continue
                handle = tar.extractfile(info)
                data = handle.read() if handle is not None else b""
                yield Member(info.name, submission, kind, data=data)
    except (tarfile.TarError, EOFError, OSError, zlib.error, isal_zlib.error) as exc:
        error = ParseError(f"tar archive broken after {fh.done} bytes: {exc or type(exc).__name__}",
                           origin=str(path))
        if errors is None:
            raise error from None
        errors.append(str(error))
    finally:
        fh.close()


def _inflated(fh: Counting, path: Path) -> IO[bytes]:
    """A gzip tar through ISA-L's inflate (about 3x zlib's speed; the tar is the main process's
    share of a backfill), any other tar as it is (``r|*`` then finds its compression)."""
    with path.open("rb") as head:
        if head.read(2) != b"\x1f\x8b":
            return fh  # type: ignore[return-value]
    return igzip.IGzipFile(fileobj=fh, mode="rb")  # type: ignore[arg-type]


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
