"""Grounding and parsing as plain functions a remote worker (Dask via Prefect) can run.

The driver finds the field values its grounder has not seen (:func:`missing_values`), ships
them in chunks to workers that run :func:`ground_on_worker` with the same lexicon version and
overrides, and preloads the returned memo rows; annotation itself then only reads the memo, so
the result is identical to a local run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from harmonize.models import FieldValue, Reject, SampleRecord

#: A field value in a form every serializer handles: (facet, text, source_key, scanned).
ValueTuple = tuple[str, str, str, bool]

_ENGINES: dict[tuple, object] = {}


def missing_values(grounder: object, samples: Iterable[object]) -> list[ValueTuple]:
    """Distinct field values of the samples that the grounder has not grounded yet."""
    from harmonize.ground import Grounder
    from harmonize.ground.fields import field_values

    seen: set[tuple[str, str, str]] = set()
    out: list[ValueTuple] = []
    for sample in samples:
        for v in field_values(sample.attributes, sample.text):  # type: ignore[attr-defined]
            key = Grounder.memo_key(v)
            if key in seen or grounder.is_grounded(v):  # type: ignore[attr-defined]
                continue
            seen.add(key)
            out.append((v.facet, v.text, v.source_key, v.scanned))
    return out


def chunked(items: Sequence, n_chunks: int) -> list[list]:
    """Split items into at most ``n_chunks`` contiguous, non-empty chunks."""
    if not items:
        return []
    size = -(-len(items) // max(1, n_chunks))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def ground_on_worker(values: Sequence[ValueTuple], overrides: Sequence[tuple[str, str, str]],
                     use_embeddings: bool) -> list[dict]:
    """Ground values with a per-process grounder; return their memo rows (JSON-ready)."""
    from harmonize.ground import Grounder, load_lexicon

    key = (tuple(overrides), use_embeddings)
    grounder = _ENGINES.get(key)
    if grounder is None:
        grounder = Grounder(load_lexicon(), overrides={(f, t): term for f, t, term in overrides},
                            use_embeddings=use_embeddings)
        _ENGINES[key] = grounder
    field_vals = [FieldValue(f, t, k, scanned) for f, t, k, scanned in values]
    grounder.prepare(field_vals)  # type: ignore[attr-defined]
    wanted = set()
    for value in field_vals:
        grounder.candidates(value)  # type: ignore[attr-defined]
        wanted.add(Grounder.memo_key(value))
    return [row for row in grounder.cache_items()  # type: ignore[attr-defined]
            if (row["facet"], row["key_class"], row["text"]) in wanted]


def overrides_payload(grounder: object) -> list[tuple[str, str, str]]:
    """The grounder's overrides as sortable tuples to ship to workers."""
    return sorted((f, t, term) for (f, t), term in grounder.overrides.items())  # type: ignore[attr-defined]


def parse_file(path: str | Path
               ) -> tuple[list[SampleRecord], list[Reject], str | None, list[str]]:
    """Parse a whole file on a worker: its records, its rejects, a one-line file error and its
    warnings (see :attr:`harmonize.parse.Parsed.notes`)."""
    from harmonize.errors import HarmonizeError
    from harmonize.parse import iter_file

    records: list[SampleRecord] = []
    rejects: list[Reject] = []
    try:
        items = iter_file(path)
        for item in items:
            (rejects if isinstance(item, Reject) else records).append(item)  # type: ignore[arg-type]
    except (HarmonizeError, OSError) as exc:
        return records, rejects, str(exc), []
    return records, rejects, None, items.notes


def parse_members(members: list, filt: object) -> object:
    """Parse and filter one batch of SRA dump members (a worker's share of a tar)."""
    from harmonize.dump.stage import parse_batch

    return parse_batch(members, filt)  # type: ignore[arg-type]


def windowed(submit: Callable[[object], object], items: Iterable[object], window: int = 4
             ) -> Iterator[object]:
    """Submit items as futures with at most ``window`` in flight; yield results in order.

    Keeps the driver's memory flat: the reader never gets more than ``window`` batches ahead.
    """
    pending: deque = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
