"""An installed wheel works outside the repository: it carries the rule tables, the fitted
calibration and the warehouse migrations (``harmonize/_data``, see setup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project built as a wheel and unpacked into a folder of its own."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(root / "dist"), str(REPO)], check=True, cwd=root,
                   capture_output=True, timeout=600)
    wheel = next((root / "dist").glob("harmonize-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "harmonize/_data/ontologies/calibration.json" in names
    assert "harmonize/_data/migrations/001_raw.sql" in names
    site = root / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "harmonize", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_an_installed_wheel_maps_and_loads_from_any_folder(installed, tmp_path, data_dir):
    where = _run(installed, tmp_path, "--help")
    assert where.returncode == 0, where.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import harmonize.resources as r; print(r.ONTOLOGIES_DIR)"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(installed))  # not the repository's copy

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"accession": "S1", "attributes": {
        "tissue": "liver", "disease state": "non-diabetic"}}) + "\n")
    done = _run(installed, tmp_path, "map", str(src), "-o", "out.jsonl", "--no-embeddings")
    assert done.returncode == 0, done.stderr
    anns = {a["facet"]: a["term_id"]
            for a in json.loads((tmp_path / "out.jsonl").read_text())["annotations"]}
    assert anns == {"tissue": "UBERON:0002107", "disease": "PATO:0000461",
                    "sample_type": "tissue"}

    record = data_dir / "ncbi" / "biosample" / "ebi_SAMN04327149_geo_brokered.xml"
    done = _run(installed, tmp_path, "ingest", str(record), "-w", "w.duckdb")
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout + done.stderr
