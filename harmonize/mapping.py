"""``harmonize map``: JSONL samples in, JSONL annotations out (ARCHITECTURE.md contract).

Input line: ``{"accession": ..., "attributes": {key: value}, "text": str | null,
"library": {...}?}``. Output: exactly one line per input line, in the same order:
``{"accession": ..., "annotations": [...]}``. A line that is not a JSON object with an
``accession`` gives ``{"accession": <it or null>, "line": n, "error": "..."}`` instead, so
that the output stays aligned with the input; :class:`MapStats` counts those errors.

Annotations whose confidence is below the emit threshold (per facet, from
``calibration.json``, or ``min_confidence``), and embedding guesses and choices among tied
candidates below the accept threshold, are written without a term (``term_id: null``, status
``unmapped``) and keep the term among their ``candidates``: the scorer ignores them, a curator
can still see them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from harmonize.ground.grounder import Grounder
from harmonize.models import Annotation

#: Records read ahead and grounded together (embedding queries are batched per chunk).
CHUNK = 1000
#: The longest chunk a study's run of lines may grow to.
MAX_CHUNK = 20_000


@dataclass(slots=True)
class MapStats:
    """What one ``map`` run did."""

    lines: int = 0
    errors: int = 0
    annotations: int = 0
    unmapped: int = 0
    seconds: float = 0.0
    per_facet: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """Input lines read (alias of ``lines``)."""
        return self.lines

    @property
    def samples_per_second(self) -> float:
        """Throughput of the run."""
        return self.lines / self.seconds if self.seconds else 0.0


#: Methods whose choices below the accept threshold are suggestions for a curator, not
#: predictions: no dev file has the dedicated values they run on, so their confidence was
#: never judged held out, and on the raw SRA attribute sets 13 of 15 such embedding guesses
#: were wrong (a tumour name read as a nematode's cell type). A choice more likely wrong than
#: right by its own confidence also lowers the expected F1 of any facet whose F1 is above
#: twice it (the F1-optimal cut-off of calibrated confidences is half the F1).
GUESSES = frozenset({"embedding"})


def _tied(ann: Annotation) -> bool:
    """Whether the annotation's term was taken among candidates nothing told apart."""
    return bool(ann.candidates) and "conf:tied" in ann.candidates[0].features


def _below(ann: Annotation, threshold: float, fitted_scale: bool = False) -> Annotation:
    """``ann`` written as unmapped when its confidence is under ``threshold``.

    The fitted emit threshold (``fitted_scale``) is judged on the fitted probability (Platt
    step and evidence rules), before the cautious prior lowered it: the prior says how sure the
    grounder is of evidence the fit never saw; it does not hide that evidence.
    """
    score = ann.confidence_steps().get("fitted", ann.confidence) if fitted_scale \
        else ann.confidence
    if ann.term_id is None or ann.method == "curated" or score >= threshold:
        return ann
    return replace(ann, term_id=None, term_label=None, status="unmapped")


def map_record(record: dict[str, Any], grounder: Grounder,
               min_confidence: float | None = None,
               with_candidates: bool = False) -> dict[str, Any]:
    """Annotate one input record (a dict with ``accession``/``attributes``/``text``)."""
    if not isinstance(record.get("attributes") or {}, dict):
        raise ValueError(f"attributes of {record.get('accession')!r} is not an object")
    return _result(record, grounder.annotate(*_inputs(record)), grounder, min_confidence,
                   with_candidates)


def _result(record: dict[str, Any], anns: Iterable[Annotation], grounder: Grounder,
            min_confidence: float | None, with_candidates: bool) -> dict[str, Any]:
    """The output line of a record from its annotations (emit threshold applied)."""
    out = []
    for a in anns:
        if min_confidence is None:
            a = _below(a, grounder.calibration.emit_threshold(a.facet), fitted_scale=True)
            if a.status == "needs_review" and (a.method in GUESSES or _tied(a)):
                a = _below(a, grounder.calibration.accept)
        else:
            a = _below(a, min_confidence)
        out.append(a.to_json(with_candidates=with_candidates))
    return {"accession": record.get("accession"), "annotations": out}


def _inputs(record: dict[str, Any]) -> tuple[dict[str, str], str | None, dict | None]:
    """``(attributes, text, library)`` of a record, keeping only well-typed values."""
    attrs = {str(k): text for k, v in (record.get("attributes") or {}).items()
             if (text := attribute_text(v)) is not None}
    text = record.get("text") if isinstance(record.get("text"), str) else None
    library = record.get("library") if isinstance(record.get("library"), dict) else None
    return attrs, text, library


def attribute_text(value: Any) -> str | None:
    """An attribute value as the text to ground: a string as it is, a number as written, a
    list (GEO ``characteristics_ch1`` written as its lines, ``["sex: F", "age: 44"]``) as its
    items joined by ``"; "`` so that the ``key: value`` pairs in them are read; ``None`` for
    anything else (objects, null).

    >>> attribute_text(["tissue: liver", "Sex: female"]), attribute_text(54), attribute_text({})
    ('tissue: liver; Sex: female', '54', None)
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        items = [t for t in (attribute_text(v) for v in value if not isinstance(v, list))
                 if t and t.strip()]
        return "; ".join(items) if items else None
    return None


def map_batch(records: list[dict[str, Any]], grounder: Grounder,
              min_confidence: float | None = None,
              with_candidates: bool = False) -> list[dict[str, Any]]:
    """Annotate well-formed records together, as ``harmonize map`` does a file's: the samples
    of one study read their controls, a donor's or a line's sex and their groups' words
    together (:meth:`Grounder.annotate_many` with each record's study)."""
    return [_result(rec, anns, grounder, min_confidence, with_candidates)
            for rec, anns in zip(records, _read_together(records, grounder))]


def _read_together(records: list[dict[str, Any]], grounder: Grounder) -> list[list[Annotation]]:
    """Each record's annotations, the records of one study read together."""
    return grounder.annotate_many([_inputs(rec) for rec in records],
                                  studies=[study_of(rec) for rec in records])


def map_records(records: Iterable[dict[str, Any]], grounder: Grounder,
                min_confidence: float | None = None,
                with_candidates: bool = False) -> Iterator[dict[str, Any]]:
    """Lazily annotate records, one output dict per input record."""
    for rec in records:
        yield map_record(rec, grounder, min_confidence, with_candidates)


def map_jsonl(in_path_or_fh: str | Path | IO[str], out_fh: IO[str], grounder: Grounder,
              progress: bool = True, min_confidence: float | None = None,
              with_candidates: bool = False) -> MapStats:
    """Map a JSONL file (or open text handle) to ``out_fh``; see the module docstring.

    ``with_candidates`` adds the top candidates to every annotation (unmapped ones always
    carry them).
    """
    stats = MapStats()
    start = time.perf_counter()
    own = isinstance(in_path_or_fh, (str, Path))
    fh = _open_jsonl(in_path_or_fh) if own else in_path_or_fh
    bar = _progress(progress)
    try:
        for chunk in _chunks(fh):
            parsed = [_parse_line(line, n) for n, line in chunk]
            ok = [rec for rec, err in parsed if not err]
            found = iter(map_batch(ok, grounder, min_confidence, with_candidates))
            for _, err in parsed:
                stats.lines += 1
                result = err or next(found)
                if "error" in result:
                    stats.errors += 1
                for a in result.get("annotations", ()):
                    if a["term_id"] is None:
                        stats.unmapped += 1
                    else:
                        stats.annotations += 1
                        stats.per_facet[a["facet"]] = stats.per_facet.get(a["facet"], 0) + 1
                out_fh.write(json.dumps(result, ensure_ascii=False) + "\n")
                if bar and stats.lines % 500 == 0:
                    bar(stats.lines)
    finally:
        if own:
            fh.close()
        if bar and stats.lines >= 500:
            bar(stats.lines, end=True)
    stats.seconds = time.perf_counter() - start
    return stats


def study_records(path: str | Path, accession: str) -> list[dict[str, Any]]:
    """The well-formed records of ``path`` (a ``harmonize map`` input file) that ``map`` reads
    together with the record ``accession``: those of its study in the stretch of lines it
    grounds at once (a study's run of lines, up to ``MAX_CHUNK``), in file order; the record
    alone when it names no study. The file is streamed a stretch at a time, as ``map`` reads
    it. A :class:`LookupError` naming the file when no well-formed line holds the record (and
    how many lines were malformed)."""
    bad = 0
    with _open_jsonl(path) as fh:
        for chunk in _chunks(fh):
            parsed = [_parse_line(line, n) for n, line in chunk]
            target = next((rec for rec, err in parsed
                           if err is None and rec["accession"] == accession), None)
            if target is None:
                bad += sum(err is not None for _, err in parsed)
                continue
            study = study_of(target)
            return [rec for rec, err in parsed if err is None and (
                rec is target or (study is not None and study_of(rec) == study))]
    skipped = f" ({bad} malformed line(s) skipped)" if bad else ""
    raise LookupError(f"{path}: no record with accession {accession!r}{skipped}")


def annotations_in_study(records: list[dict[str, Any]], accession: str, grounder: Grounder
                         ) -> tuple[list[Annotation], dict[str, Any]]:
    """The annotations of the record ``accession`` read with the other ``records`` of its
    study, as ``harmonize map`` reads a file (a study's controls, a donor's, a line's or a
    title code's sex, its groups' words): what a value explained alone cannot show; and the
    output line ``harmonize map`` writes of them."""
    at = next(i for i, rec in enumerate(records) if rec["accession"] == accession)
    anns = _read_together(records, grounder)[at]
    return anns, _result(records[at], anns, grounder, None, False)


def _open_jsonl(path: str | Path) -> IO[str]:
    """A JSONL input file opened as UTF-8 text; a byte that is no UTF-8 is kept as an escape
    (:func:`_parse_line` reports its line), so one bad line does not end the read."""
    return open(path, encoding="utf-8", errors="surrogateescape")


def study_of(record: dict[str, Any]) -> str | None:
    """The study a record belongs to (its ``series``, else its ``study``), or ``None``."""
    for key in ("series", "study"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _chunks(fh: IO[str], size: int = CHUNK) -> Iterator[list[tuple[int, str]]]:
    """Non-blank lines with their 1-based numbers, about ``size`` at a time: a chunk is not
    cut inside a run of lines of one study (up to ``MAX_CHUNK`` lines), whose controls are
    read together."""
    chunk: list[tuple[int, str]] = []
    tail: str | None = None  # the study of the chunk's last line, once the chunk is full
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        if len(chunk) >= size:  # past the size, only the study's run keeps a chunk open
            if len(chunk) == size:
                tail = _study_hint(chunk[-1][1])
            study = _study_hint(line)
            if len(chunk) >= MAX_CHUNK or study is None or study != tail:
                yield chunk
                chunk = []
            tail = study
        chunk.append((n, line))
    if chunk:
        yield chunk


def _study_hint(line: str) -> str | None:
    """The study of a raw input line, without parsing it twice when it has none."""
    if '"series"' not in line and '"study"' not in line:
        return None
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return None
    return study_of(rec) if isinstance(rec, dict) else None


#: A byte no UTF-8 decoder read, as :func:`_open_jsonl` keeps it.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _parse_line(line: str, n: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(record, None)`` for one input line, or ``({}, error result naming the line)`` (not
    JSON, no ``accession``, ``attributes`` not an object, a byte that is no UTF-8)."""
    if _UNDECODED.search(line):
        return {}, {"accession": None, "line": n,
                    "error": f"line {n}: not UTF-8 text; write the file as UTF-8"}
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, {"accession": None, "line": n, "error": f"line {n}: invalid json: {exc.msg}"}
    if not isinstance(rec, dict) or not isinstance(rec.get("accession"), str):
        acc = rec.get("accession") if isinstance(rec, dict) else None
        return {}, {"accession": acc, "line": n,
                    "error": f"line {n}: expected an object with a string 'accession'"}
    if not isinstance(rec.get("attributes") or {}, dict):
        return {}, {"accession": rec["accession"], "line": n,
                    "error": f"line {n}: attributes of {rec['accession']!r} is not an object"}
    return rec, None


def _progress(enabled: bool):
    if not enabled:
        return None
    import sys

    def report(done: int, end: bool = False) -> None:
        print(f"\rmapped {done} samples", end="\n" if end else "", file=sys.stderr, flush=True)

    return report
