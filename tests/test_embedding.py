"""The embedding index (harmonize.ground.embedding) with the real packaged MiniLM model."""

from __future__ import annotations

import os

import numpy as np
import pytest

from harmonize.errors import ConfigError
from harmonize.ground import embedding
from harmonize.ground.embedding import EmbeddingIndex, cache_path, default_model, model_dtype

TEXTS = ["cardiac muscle tissue", "liver", "lung", "kidney", "brain", "skeletal muscle tissue",
         "blood", "skin", "bone marrow", "hepatocyte", "T cell", "colon"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HARMONIZE_EMBEDDING_MODEL", raising=False)
    monkeypatch.delenv("HARMONIZE_EMBEDDING_DTYPE", raising=False)
    monkeypatch.delenv("HARMONIZE_EMBEDDING_THREADS", raising=False)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return EmbeddingIndex.build(TEXTS, cache_key="tiny", cache_dir=tmp_path_factory.mktemp("c"))


@pytest.mark.slow
def test_semantic_neighbour(index):
    best = index.search(["heart muscle"], k=3)[0]
    names = [TEXTS[i] for i, _ in best]
    assert names[0] == "cardiac muscle tissue"
    score = dict((TEXTS[i], s) for i, s in index.search(["heart muscle"], k=len(TEXTS))[0])
    assert score["cardiac muscle tissue"] > score["liver"]
    assert [s for _, s in best] == sorted((s for _, s in best), reverse=True)
    assert -1.0 <= best[-1][1] <= best[0][1] <= 1.0 + 1e-6


@pytest.mark.slow
def test_vectors_unit_norm_and_duplicates(index):
    v = index.vectors
    assert v.dtype == np.float32 and v.shape[0] == len(TEXTS)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-2)
    enc = index.encode(["liver", "lung", "liver"])
    assert np.array_equal(enc[0], enc[2]) and not np.array_equal(enc[0], enc[1])
    # precomputed query vectors give the same answer as strings
    assert index.search(enc[:1], k=1)[0][0][0] == TEXTS.index("liver")


@pytest.mark.slow
def test_batched_search_and_k_larger_than_index(index):
    queries = ["liver"] * 1100  # crosses the internal query batch size
    res = index.search(queries, k=50)
    assert len(res) == 1100 and all(len(r) == len(TEXTS) for r in res)
    assert {r[0][0] for r in res} == {TEXTS.index("liver")}
    assert index.search([], k=3) == []


@pytest.mark.slow
def test_warm_build_reads_cache_without_model(index, tmp_path):
    assert index.path is not None and index.path.is_file() and not index.from_cache
    assert index.n_encoded == len(TEXTS)
    stored = np.load(index.path)
    assert stored.dtype == np.float16 and stored.shape == index.vectors.shape
    embedding.clear_model_cache()
    warm = EmbeddingIndex.build(TEXTS, cache_key="tiny", cache_dir=index.path.parents[1])
    assert warm.from_cache and warm.path == index.path
    assert embedding.loaded_models() == []  # the model was never loaded for the warm build
    assert np.allclose(warm.vectors, index.vectors, atol=2e-3)
    assert warm.search(["liver"], k=1)[0][0][0] == TEXTS.index("liver")  # now loads it


def test_cache_key_depends_on_texts_model_and_key(tmp_path):
    a = cache_path(["a", "b"], "k", "/m/x", tmp_path)
    assert a.parent == tmp_path / "embeddings" and a.suffix == ".npy"
    assert cache_path(["a", "b"], "k", "/m/x", tmp_path) == a
    assert cache_path(["b", "a"], "k", "/m/x", tmp_path) != a
    assert cache_path(["a", "b"], "k2", "/m/x", tmp_path) != a
    assert cache_path(["a", "b"], "k", "/m/y", tmp_path) != a
    assert cache_path(["ab"], "k", "/m/x", tmp_path) != cache_path(["a", "b"], "k", "/m/x",
                                                                  tmp_path)


def test_default_model_from_env_or_package(monkeypatch, tmp_path):
    assert default_model().endswith("model")
    monkeypatch.setenv("HARMONIZE_EMBEDDING_MODEL", str(tmp_path))
    assert default_model() == str(tmp_path)


def test_bad_model_path_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ConfigError, match="no-such-model"):
        EmbeddingIndex.build(["liver"], cache_key="x", model=str(missing), cache_dir=tmp_path)
    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(ConfigError, match="empty-model"):
        embedding.load_model(str(empty))


def test_empty_index_needs_no_model(tmp_path):
    idx = EmbeddingIndex.build([], cache_key="empty", model=str(tmp_path / "absent"),
                               cache_dir=tmp_path)
    assert len(idx) == 0 and idx.path is None
    assert idx.search(["liver", "lung"], k=3) == [[], []]


def test_dtype_setting(monkeypatch, tmp_path):
    assert model_dtype() in ("float32", "bfloat16")
    for raw, want in (("float32", "float32"), ("BF16", "bfloat16"), ("bfloat16", "bfloat16")):
        monkeypatch.setenv("HARMONIZE_EMBEDDING_DTYPE", raw)
        assert model_dtype() == want
    monkeypatch.setenv("HARMONIZE_EMBEDDING_DTYPE", "int4")
    with pytest.raises(ConfigError, match="int4"):
        model_dtype()
    a = cache_path(["x"], "k", "/m", tmp_path, "float32")
    assert cache_path(["x"], "k", "/m", tmp_path, "bfloat16") != a


@pytest.mark.slow
def test_float32_and_bfloat16_agree(index):
    a = embedding.encode(TEXTS, dtype="float32")
    b = embedding.encode(TEXTS, dtype="bfloat16")
    assert a.dtype == b.dtype == np.float32
    assert float((a * b).sum(axis=1).min()) > 0.98
    # the index records the dtype it was built with (part of its cache key)
    assert index.dtype in ("float32", "bfloat16")
    assert index.path == cache_path(TEXTS, "tiny", index.model, index.path.parents[1], index.dtype)


@pytest.mark.slow
def test_cold_build_reuses_vectors_of_earlier_builds(index):
    cache_dir = index.path.parents[1]
    assert index.path.with_suffix(".texts.json").is_file()
    grown = TEXTS[:6] + ["pancreas"] + TEXTS[6:]
    idx = EmbeddingIndex.build(grown, cache_key="tiny-next-version", cache_dir=cache_dir)
    assert not idx.from_cache and idx.n_encoded == 1  # only the new string met the model
    assert idx.path != index.path and idx.path.is_file()
    for i, text in enumerate(grown):
        if text in TEXTS:
            assert np.allclose(idx.vectors[i], index.vectors[TEXTS.index(text)], atol=2e-3)
    assert grown[idx.search(["pancreatic tissue"], k=1)[0][0][0]] == "pancreas"
    # the grown list is now cached under its own key
    again = EmbeddingIndex.build(grown, cache_key="tiny-next-version", cache_dir=cache_dir)
    assert again.from_cache and again.n_encoded == 0


def test_torch_threads(monkeypatch):
    assert 1 <= embedding.torch_threads() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv("HARMONIZE_EMBEDDING_THREADS", "3")
    assert embedding.torch_threads() == 3
    monkeypatch.setenv("HARMONIZE_EMBEDDING_THREADS", "zero")
    with pytest.raises(ConfigError, match="zero"):
        embedding.torch_threads()


@pytest.mark.slow
def test_old_cache_files_are_pruned(index, tmp_path):
    cache_dir = tmp_path / "c"
    first = EmbeddingIndex.build(TEXTS[:3], cache_key="v0", cache_dir=cache_dir)
    family = first.path.name.split("--", 1)[0]
    stale = []
    for i in range(embedding.KEEP_FILES + 2):
        p = first.path.with_name(f"{family}--old{i}--{i:016x}.npy")
        p.write_bytes(first.path.read_bytes())
        os.utime(p, (1_000_000 + i, 1_000_000 + i))  # older than anything built now
        stale.append(p)
    new = EmbeddingIndex.build(TEXTS[:4], cache_key="v1", cache_dir=cache_dir)
    left = sorted(cache_dir.glob("embeddings/*.npy"))
    assert len(left) == embedding.KEEP_FILES
    assert new.path in left and first.path in left  # the two most recent survive
    assert not stale[0].exists() and stale[-1].exists()  # least recently used go first
    assert not any(p.name.endswith(".texts.json") and p.with_suffix("").with_suffix(".npy")
                   not in left for p in cache_dir.glob("embeddings/*.texts.json"))
