"""Shared fixtures: paths to the real recorded data, and one Prefect test harness per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("HARMONIZE_CACHE", str(Path(__file__).resolve().parents[1] / ".cache"))

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: real NCBI/GEO records copied from the shared fixtures."""
    return DATA


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    """The bundled snapshot the demo's nightly flow harvests from."""
    return DATA / "snapshot"


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server and database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def full_grounder():
    """A grounder on the full lexicon from the embedded ontology releases (cached on disk),
    without embeddings."""
    from harmonize.ground import Grounder, load_lexicon, load_overrides

    return Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False)


@pytest.fixture(scope="session")
def study_sexes(full_grounder):
    """Each sample's sex (a PATO id or None) when ``samples``, ``(attributes, text)`` pairs,
    are read together, each of the study ``studies`` gives (None: no study known)."""
    def sexes(samples, studies):
        anns = full_grounder.annotate_many([(a, t, None) for a, t in samples], studies=studies)
        return [next((a.term_id for a in s if a.facet == "sex" and a.term_id), None)
                for s in anns]
    return sexes
