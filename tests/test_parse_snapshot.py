"""The bundled demo snapshot parses cleanly, stays small and is documented file by file."""

from __future__ import annotations

from pathlib import Path

from harmonize.models import Reject, SampleRecord
from harmonize.parse import iter_file

SNAPSHOT = Path(__file__).parent / "data" / "snapshot"


def snapshot_files() -> list[Path]:
    return sorted(p for p in SNAPSHOT.rglob("*") if p.is_file() and p.name != "README.md")


def test_snapshot_is_small_and_documented():
    files = snapshot_files()
    assert {p.parent.name for p in files} == {"sra", "biosample", "geo"}
    assert sum(p.stat().st_size for p in files) < 3_000_000
    readme = (SNAPSHOT / "README.md").read_text()
    assert [p.name for p in files if p.name not in readme] == []


def test_snapshot_parses_with_only_the_intended_reject():
    records, rejects = [], []
    for path in snapshot_files():
        for r in iter_file(path):
            (records if isinstance(r, SampleRecord) else rejects).append(r)
    assert len(records) > 180
    assert [r.record_id for r in rejects if isinstance(r, Reject)] == ["SRX835000"]
    sources = {r.source for r in records}
    assert sources == {"sra", "biosample", "geo"}
    keys = {a.key.lower() for r in records for a in r.attributes}
    assert {"tissue", "sex", "cell line", "cell type", "disease state",
            "developmental stage"} <= keys
    # the GSE146540 samples appear in two GEO files (SubSeries and SuperSeries)
    gsm_files: dict[str, set[str]] = {}
    for path in (SNAPSHOT / "geo").glob("*.soft"):
        for r in iter_file(path):
            gsm_files.setdefault(r.record_accession, set()).add(path.name)
    assert sum(len(v) == 2 for v in gsm_files.values()) == 6
