"""The dump's own forward-only tar reader against the standard library's, on every tar format
a dump may come in, and on broken archives."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from harmonize.dump.members import tar_files, tar_members
from harmonize.errors import ParseError

TAR = Path(__file__).parent / "data" / "sra_dump" / "ddbj_sra_metadata_20_submissions.tar.gz"
LONG = "SRA" + "9" * 120  # a path longer than the 100 bytes of a plain header


def _tar(fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, body in [("SRA000001/", None), ("SRA000001/SRA000001.sample.xml", b"<x/>"),
                           ("SRA000001/empty.xml", b""), (f"{LONG}/{LONG}.run.xml", b"r" * 700),
                           ("SRA000002/caf\u00e9.xml", "\u00b5".encode())]:
            info = tarfile.TarInfo(name.rstrip("/"))
            if body is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
        sym = tarfile.TarInfo("SRA000001/link.xml")
        sym.type, sym.linkname = tarfile.SYMTYPE, "SRA000001.sample.xml"
        tar.addfile(sym)
    return buf.getvalue()


def _stdlib(data: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        return [(i.name, tar.extractfile(i).read()) for i in tar if i.isfile()]


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT],
                         ids=["ustar", "gnu", "pax"])
def test_every_file_of_every_tar_format_reads_as_the_standard_library_reads_it(fmt):
    if fmt == tarfile.USTAR_FORMAT:  # ustar cannot hold the long name: the rest must match
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
            for name in ("SRA000001/SRA000001.sample.xml", "SRA000003/SRA000003.run.xml"):
                info = tarfile.TarInfo(name)
                info.size = 5
                tar.addfile(info, io.BytesIO(b"<a/>\n"))
        data = buf.getvalue()
    else:
        data = _tar(fmt)
    got = list(tar_files(io.BytesIO(data).read))
    assert got == _stdlib(data) and len(got) >= 2


def test_the_real_dump_tar_reads_as_the_standard_library_reads_it():
    import gzip

    data = gzip.decompress(TAR.read_bytes())
    got = list(tar_files(io.BytesIO(data).read))
    assert got == _stdlib(data) and len(got) > 100


def test_a_corrupt_header_or_a_cut_archive_is_an_error_naming_the_place(tmp_path):
    data = bytearray(_tar(tarfile.GNU_FORMAT))
    data[512 + 130] ^= 0x01  # a size digit of the second header: its checksum no longer holds
    with pytest.raises(tarfile.ReadError, match="checksum"):
        list(tar_files(io.BytesIO(bytes(data)).read))
    cut = tmp_path / "cut.tar"
    cut.write_bytes(_tar(tarfile.GNU_FORMAT)[:2100])
    errors: list[str] = []
    members = list(tar_members(cut, errors=errors))
    assert len(errors) == 1 and "broken after" in errors[0]
    assert members[0].name == "SRA000001/SRA000001.sample.xml"
    with pytest.raises(ParseError, match=str(cut)):
        list(tar_members(cut))
