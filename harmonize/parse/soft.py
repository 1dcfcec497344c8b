"""GEO SOFT text (family files and acc.cgi ``form=text``) -> one SampleRecord per ``^SAMPLE``.

Provenance: GEO SOFT as served by acc.cgi and the FTP ``soft/`` family files: ``^ENTITY = id``
lines open a block, ``!Key = value`` lines fill it (keys repeat), data tables sit between
``!<entity>_table_begin`` and ``!<entity>_table_end`` and are skipped. Read line by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from harmonize.models import Attribute, Library, Reject, SampleRecord
from harmonize.parse.accessions import find_accessions, find_gse, unique
from harmonize.parse.streams import Guarded, Opener

_CHANNEL = re.compile(r"_ch\d+$")
#: ``!Sample_relation`` / ``!Series_relation`` types whose target names the same sample/study.
_SAMPLE_RELATIONS = ("sra", "biosample")
_SERIES_RELATIONS = ("sra", "bioproject")


@dataclass(slots=True)
class _Block:
    """One ``^ENTITY`` block: its kind, id, ``(key, value)`` lines and raw bytes."""

    kind: str
    ident: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    in_table: bool = False

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.lines if k == key]

    def first(self, key: str) -> str | None:
        return next((v for k, v in self.lines if k == key and v), None)


@dataclass(slots=True)
class _State:
    """What the stream has seen so far (series sample lists, platforms, sample counts)."""

    studies: dict[str, list[str]] = field(default_factory=dict)
    platforms: dict[str, str] = field(default_factory=dict)
    listed: dict[str, list[str]] = field(default_factory=dict)  # series -> its sample ids
    seen_samples: set[str] = field(default_factory=set)
    family: bool = False  # a ^DATABASE or ^PLATFORM block: the file should hold the samples
    samples_with_row_count: int = 0


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """Stream SampleRecords; a truncated file yields the complete samples then a Reject."""
    state = _State()
    block: _Block | None = None
    with Guarded(opener()) as fh:
        for raw_line in fh:
            if raw_line.startswith(b"^"):
                if block is not None:
                    yield from _close(block, state, origin)
                kind, _, ident = _decode(raw_line)[1:].partition("=")
                block = _Block(kind.strip().upper(), ident.strip(), raw=[raw_line])
            elif block is not None:
                _add_line(block, raw_line)
        broken = f"compressed stream broken: {fh.error}" if fh.error is not None else None
    if broken:
        where = f" inside {block.kind.lower()} {block.ident}" if block is not None else ""
        yield Reject(origin=origin, reason=f"{broken}{where}",
                     record_id=block.ident or None if block is not None else None,
                     raw=b"".join(block.raw) if block is not None else b"")
        return
    if block is not None:
        if block.in_table:
            yield Reject(origin=origin, reason=f"truncated soft: {block.kind.lower()} "
                         f"{block.ident} ends inside its data table",
                         record_id=block.ident, raw=b"".join(block.raw))
        else:
            yield from _close(block, state, origin, last=True)
    yield from _missing(state, origin)


def _decode(raw_line: bytes) -> str:
    return raw_line.decode("utf-8", "replace").rstrip("\r\n")


def _add_line(block: _Block, raw_line: bytes) -> None:
    """Add one ``!Key = value`` line to a block, skipping data tables and other lines."""
    if block.in_table:
        block.in_table = not raw_line.rstrip().lower().endswith(b"_table_end")
        return
    if not raw_line.startswith(b"!"):
        return
    key, _, value = _decode(raw_line)[1:].partition("=")
    key = key.strip()
    if key.lower().endswith("_table_begin"):
        block.in_table = True
        return
    block.lines.append((key, value.strip()))
    block.raw.append(raw_line)


def _close(block: _Block, state: _State, origin: str, last: bool = False
           ) -> Iterator[SampleRecord | Reject]:
    if block.kind in ("DATABASE", "PLATFORM"):
        state.family = True
    if block.kind == "PLATFORM" and block.ident:
        parts = [block.first("Platform_title"), block.first("Platform_technology")]
        state.platforms[block.ident] = "; ".join([block.ident, *[p for p in parts if p]])
    elif block.kind == "SERIES" and block.ident:
        linked = [block.ident]
        for rel in block.values("Series_relation"):
            kind, _, target = rel.partition(":")
            if kind.strip().lower() in _SERIES_RELATIONS:
                linked += find_accessions(target)
        samples = block.values("Series_sample_id")
        state.listed[block.ident] = samples
        for gsm in samples:
            state.studies.setdefault(gsm, []).extend(linked)
    elif block.kind == "SAMPLE":
        has_count = block.first("Sample_data_row_count") is not None
        if last and not has_count and state.samples_with_row_count:
            yield Reject(origin=origin, reason=f"truncated soft: sample {block.ident} is cut "
                         "short (no !Sample_data_row_count line)",
                         record_id=block.ident, raw=b"".join(block.raw))
            return
        state.samples_with_row_count += has_count
        state.seen_samples.add(block.ident)
        if not block.ident:
            yield Reject(origin=origin, reason="soft ^SAMPLE line without an accession",
                         raw=b"".join(block.raw))
            return
        yield sample_record(block, state)


def _missing(state: _State, origin: str) -> Iterator[Reject]:
    """A family file whose series lists samples it does not contain was cut short."""
    if not state.family:
        return
    for gse, samples in state.listed.items():
        missing = [s for s in samples if s not in state.seen_samples]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            yield Reject(origin=origin, record_id=gse, reason=(
                f"truncated soft family: series {gse} lists {len(samples)} samples but "
                f"{len(missing)} have no ^SAMPLE block ({shown})"))


def sample_record(block: _Block, state: _State | None = None) -> SampleRecord:
    """Turn one ``^SAMPLE`` block into a SampleRecord."""
    state = state or _State()
    gsm = block.ident
    attributes: list[Attribute] = []
    protocols: list[str] = []
    descriptions: list[str] = []
    linked: list[str] = []
    series: list[str] = []
    for key, value in block.lines:
        field_name = _CHANNEL.sub("", key.removeprefix("Sample_"))
        if field_name == "source_name" and value:
            attributes.append(Attribute("source_name", value))
        elif field_name == "characteristics" and value:
            attributes.append(_characteristic(value))
        elif field_name == "extract_protocol" and value:
            protocols.append(value)
        elif field_name == "description" and value:
            descriptions.append(value)
        elif field_name == "relation":
            kind, _, target = value.partition(":")
            if kind.strip().lower() in _SAMPLE_RELATIONS:
                linked += find_accessions(target)
        elif field_name == "series_id":
            series += find_gse(value)
    studies = [*series, *state.studies.get(gsm, [])]
    gpl = block.first("Sample_platform_id")
    taxon = _first_channel(block, "Sample_taxid")
    library = Library(
        strategy=block.first("Sample_library_strategy"),
        source=block.first("Sample_library_source"),
        selection=block.first("Sample_library_selection"),
        protocol="\n".join(protocols) or None,
        instrument=block.first("Sample_instrument_model"),
        platform=state.platforms.get(gpl, gpl) if gpl else None,
    )
    status = block.first("Sample_status") or ""
    return SampleRecord(
        source="geo",
        record_accession=gsm,
        accessions=unique([gsm, *linked, *studies]),
        organism=_first_channel(block, "Sample_organism"),
        taxon_id=int(taxon) if taxon and taxon.strip().isdigit() else None,
        title=block.first("Sample_title"),
        description="\n".join(descriptions) or None,
        attributes=tuple(attributes),
        library=library,
        updated=_iso_date(block.first("Sample_last_update_date")),
        published=_iso_date(status.removeprefix("Public on ").strip()) if status else None,
    )


def _characteristic(value: str) -> Attribute:
    """``cell line: HeLa`` -> Attribute("cell line", "HeLa"); no key -> "characteristics"."""
    key, sep, rest = value.partition(": ")
    if not sep and value.endswith(":"):
        key, sep, rest = value[:-1], ":", ""
    if sep and key.strip():
        return Attribute(key.strip(), rest.strip())
    return Attribute("characteristics", (rest if sep else value).strip())


def _first_channel(block: _Block, prefix: str) -> str | None:
    return block.first(f"{prefix}_ch1") or block.first(f"{prefix}_ch2")


def _iso_date(value: str | None) -> str | None:
    """``Nov 15 2021`` -> ``2021-11-15``; other text passes through."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%b %d %Y").date().isoformat()
    except ValueError:
        return value.strip()
