"""GEO SOFT text (family files, acc.cgi ``form=text``, GDS files) -> SampleRecords.

Provenance: GEO SOFT as served by acc.cgi and the FTP ``soft/`` family files: ``^ENTITY = id``
lines open a block, ``!Key = value`` lines fill it (keys repeat), data tables sit between
``!<entity>_table_begin`` and ``!<entity>_table_end`` and are skipped. Read line by line.

One record per ``^SAMPLE``. Samples a file names without describing them get a *contribution*
record keyed ``<container>/<GSM>`` (see :func:`harmonize.models.contribution_key`), never
replacing the sample's own record:

* a ``^SERIES`` whose listed samples are not in the file (a series-only ``GSE.soft``, a family
  file cut short, or samples written before their series) gives each of them the series' GSE,
  BioProject and SRA study links;
* a GEO DataSet (``^DATASET`` with ``^SUBSET`` blocks, a ``GDS*.soft``) gives each sample its
  curated subset annotations (``disease state: RCC``) and the reference series.

A ``^SAMPLE`` without a GSM (a submission template) is keyed ``LOCAL-<digest>`` of the file's
absolute path and the sample's name, so two unrelated files never share a sample.
2001-era keys (``!Sample_organism``, ``!Sample_target_source``) are read like their
``_ch1`` successors.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from harmonize.models import Attribute, Library, Reject, SampleRecord, contribution_key
from harmonize.parse.accessions import find_accessions, find_gse, unique
from harmonize.parse.streams import Guarded, Opener

_CHANNEL = re.compile(r"_ch\d+$")
#: ``!Sample_relation`` / ``!Series_relation`` types whose target names the same sample/study.
_SAMPLE_RELATIONS = ("sra", "biosample")
_SERIES_RELATIONS = ("sra", "bioproject")
_GSM = re.compile(r"^GSM\d+$")
#: Sample fields whose text is the sample's source (``target_source`` is the 2001-era name).
_SOURCE_FIELDS = ("source_name", "target_source")


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
class _Series:
    """A ``^SERIES`` block: its links and the samples it lists."""

    links: list[str]
    samples: list[str]
    organism: str | None = None
    taxon: str | None = None


@dataclass(slots=True)
class _State:
    """What the stream has seen so far (series, platforms, GDS subsets, samples)."""

    studies: dict[str, list[str]] = field(default_factory=dict)  # sample -> series links
    member_of: dict[str, list[str]] = field(default_factory=dict)  # sample -> series ids
    platforms: dict[str, str] = field(default_factory=dict)
    series: dict[str, _Series] = field(default_factory=dict)
    covered: set[tuple[str, str]] = field(default_factory=set)  # (series, sample) written
    seen_samples: set[str] = field(default_factory=set)
    family: bool = False  # a ^DATABASE or ^PLATFORM block: the file should hold the samples
    samples_with_row_count: int = 0
    datasets: dict[str, dict[str, str | None]] = field(default_factory=dict)  # GDS -> fields
    subsets: dict[tuple[str, str], list[Attribute]] = field(default_factory=dict)  # (GDS, GSM)
    origin: str = ""


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """Stream SampleRecords; a truncated file yields the complete samples then a Reject."""
    state = _State(origin=origin)
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
        yield from _contributions(state)  # what the series read so far say still counts
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
    yield from _contributions(state)
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
        samples = [s.strip() for s in block.values("Series_sample_id") if s.strip()]
        state.series[block.ident] = _Series(linked, samples,
                                            _single(block.values("Series_sample_organism")),
                                            _single(block.values("Series_sample_taxid")))
        for gsm in samples:
            state.studies.setdefault(gsm, []).extend(linked)
            state.member_of.setdefault(gsm, []).append(block.ident)
    elif block.kind == "DATASET" and block.ident:
        fields = state.datasets.setdefault(block.ident, {})
        for key in ("dataset_reference_series", "dataset_sample_organism"):
            fields[key] = fields.get(key) or block.first(key)
    elif block.kind == "SUBSET":
        _subset(block, state)
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
        state.covered.update((gse, block.ident) for gse in state.member_of.get(block.ident, ()))
        yield sample_record(block, state)


def _subset(block: _Block, state: _State) -> None:
    """A GDS ``^SUBSET``: its type and description become an attribute of each listed sample."""
    gds = block.first("subset_dataset_id")
    kind, value = block.first("subset_type"), block.first("subset_description")
    if not gds or not kind or not value:
        return
    for line in block.values("subset_sample_id"):
        for gsm in line.split(","):
            if _GSM.match(gsm := gsm.strip()):
                state.subsets.setdefault((gds, gsm), []).append(Attribute(kind, value))


def _contributions(state: _State) -> Iterator[SampleRecord]:
    """Records for samples the file names but does not describe (see the module docstring)."""
    for gse, series in state.series.items():
        for gsm in series.samples:
            if _GSM.match(gsm) and (gse, gsm) not in state.covered:
                yield SampleRecord(
                    source="geo", record_accession=contribution_key(gse, gsm),
                    accessions=unique([gsm, *series.links]), organism=series.organism,
                    taxon_id=int(series.taxon) if series.taxon and series.taxon.isdigit()
                    else None)
    for (gds, gsm), attributes in state.subsets.items():
        fields = state.datasets.get(gds, {})
        yield SampleRecord(
            source="geo", record_accession=contribution_key(gds, gsm),
            accessions=unique([gsm, *find_gse(fields.get("dataset_reference_series"))]),
            organism=fields.get("dataset_sample_organism"), attributes=tuple(attributes))


def _single(values: list[str]) -> str | None:
    """The one distinct non-empty value, or ``None`` when there are none or several."""
    distinct = {v.strip() for v in values if v.strip()}
    return distinct.pop() if len(distinct) == 1 else None


def _missing(state: _State, origin: str) -> Iterator[Reject]:
    """A family file whose series lists samples it does not contain was cut short: report it
    (the series' links to those samples were still loaded by :func:`_contributions`)."""
    if not state.family:
        return
    for gse, series in state.series.items():
        missing = [s for s in series.samples if s not in state.seen_samples]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            yield Reject(origin=origin, record_id=gse, reason=(
                f"truncated soft family: series {gse} lists {len(series.samples)} samples but "
                f"{len(missing)} have no ^SAMPLE block ({shown}); the series' links to them "
                "were loaded, their descriptions are missing"))


def sample_record(block: _Block, state: _State | None = None) -> SampleRecord:
    """Turn one ``^SAMPLE`` block into a SampleRecord."""
    state = state or _State()
    gsm = sample_key(block, state.origin)
    attributes: list[Attribute] = []
    protocols: list[str] = []
    descriptions: list[str] = []
    linked: list[str] = []
    series: list[str] = []
    for key, value in block.lines:
        field_name = _CHANNEL.sub("", key.removeprefix("Sample_"))
        if field_name in _SOURCE_FIELDS and value:
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
    studies = [*series, *state.studies.get(block.ident, [])]
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


def sample_key(block: _Block, origin: str) -> str:
    """The sample's GSM; for a sample without one (a submission template), ``LOCAL-`` and 16
    hex digits of sha256(absolute file path, NUL, ^SAMPLE name): stable across re-loads of the
    same file, distinct across files (the name alone would merge unrelated samples)."""
    if _GSM.match(block.ident):
        return block.ident
    geo = block.first("Sample_geo_accession")
    if geo and _GSM.match(geo.strip()):
        return geo.strip()
    where = origin if "://" in origin else os.path.abspath(origin)
    digest = hashlib.sha256(f"{where}\0{block.ident}".encode()).hexdigest()
    return f"LOCAL-{digest[:16].upper()}"


def _characteristic(value: str) -> Attribute:
    """``cell line: HeLa`` -> Attribute("cell line", "HeLa"); no key -> "characteristics"."""
    key, sep, rest = value.partition(": ")
    if not sep and value.endswith(":"):
        key, sep, rest = value[:-1], ":", ""
    if sep and key.strip():
        return Attribute(key.strip(), rest.strip())
    return Attribute("characteristics", (rest if sep else value).strip())


def _first_channel(block: _Block, prefix: str) -> str | None:
    """Channel 1, else channel 2, else the 2001-era key without a channel suffix."""
    return block.first(f"{prefix}_ch1") or block.first(f"{prefix}_ch2") or block.first(prefix)


def _iso_date(value: str | None) -> str | None:
    """``Nov 15 2021`` -> ``2021-11-15``; other text passes through."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%b %d %Y").date().isoformat()
    except ValueError:
        return value.strip()
