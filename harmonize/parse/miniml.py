"""GEO MINiML family XML -> one SampleRecord per ``Sample``.

Provenance: the GEO FTP ``miniml/GSExxx_family.xml`` layout (MINiML 0.5.0, namespace
``http://www.ncbi.nlm.nih.gov/geo/info/MINiML``). Platforms come first, then Samples, then the
Series that lists them with ``Sample-Ref``, so a first streaming pass indexes Series and
Platforms (small) and a second pass yields the Samples; memory stays flat either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from harmonize.models import Attribute, Library, Reject, SampleRecord
from harmonize.parse.accessions import find_accessions, unique
from harmonize.parse.streams import Opener
from harmonize.parse.xmlsafe import iter_elements, local, text

NS = "{http://www.ncbi.nlm.nih.gov/geo/info/MINiML}"
MARKER = b"<Sample "
#: Relation types of a Sample whose target names this same sample in another database.
_SAMPLE_RELATIONS = {"sra", "biosample"}
#: Relation types of a Series whose target names the study in another database.
_SERIES_RELATIONS = {"sra", "bioproject"}


@dataclass(slots=True)
class _Index:
    """What the first pass learns: the studies of each sample and each platform's text."""

    studies: dict[str, list[str]] = field(default_factory=dict)
    platforms: dict[str, str] = field(default_factory=dict)


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """Stream SampleRecords; a broken file yields the complete samples then one Reject."""
    index = _index(opener, origin)
    tags = (f"{NS}Sample", "Sample")
    for el in iter_elements(opener, tags, origin, MARKER):
        if isinstance(el, Reject):
            yield el
            continue
        try:
            yield sample_record(el, index)
        except ValueError as exc:
            yield Reject(origin=origin, reason=f"bad miniml sample: {exc}",
                         record_id=el.get("iid"), raw=etree.tostring(el))


def _index(opener: Opener, origin: str) -> _Index:
    index = _Index()
    tags = [f"{ns}{name}" for ns in (NS, "") for name in ("Series", "Platform", "Sample")]
    for el in iter_elements(opener, tags, origin, MARKER):
        if isinstance(el, Reject):
            break  # the second pass reports the break
        ns = _ns(el)
        name = local(el.tag)
        if name == "Series":
            gse = el.get("iid") or text(el.find(f"{ns}Accession"))
            linked = [gse] if gse else []
            for rel in el.iterfind(f"{ns}Relation"):
                if (rel.get("type") or "").lower() in _SERIES_RELATIONS:
                    linked += find_accessions(rel.get("target"))
            for ref in el.iterfind(f"{ns}Sample-Ref"):
                if ref.get("ref"):
                    index.studies.setdefault(ref.get("ref"), []).extend(linked)
        elif name == "Platform":
            gpl = el.get("iid") or text(el.find(f"{ns}Accession"))
            if gpl:
                parts = [text(el.find(f"{ns}Title")), text(el.find(f"{ns}Technology"))]
                index.platforms[gpl] = "; ".join([gpl, *[p for p in parts if p]])
    return index


def sample_record(el: etree._Element, index: _Index | None = None) -> SampleRecord:
    """Turn one MINiML ``Sample`` element into a SampleRecord."""
    index = index or _Index()
    ns = _ns(el)
    gsm = el.get("iid") or text(el.find(f"{ns}Accession"))
    if not gsm:
        raise ValueError("Sample has no iid or Accession")
    linked: list[str] = []
    for rel in el.iterfind(f"{ns}Relation"):
        if (rel.get("type") or "").lower() in _SAMPLE_RELATIONS:
            linked += find_accessions(rel.get("target"))
    studies = list(index.studies.get(gsm, []))
    for child in el:
        if "Series" in local(child.tag) and child.get("ref"):
            studies.append(child.get("ref"))

    attributes: list[Attribute] = []
    protocols: list[str] = []
    organism, taxon = None, None
    for channel in el.iterfind(f"{ns}Channel"):
        source = text(channel.find(f"{ns}Source"))
        if source:
            attributes.append(Attribute("source_name", source))
        org = channel.find(f"{ns}Organism")
        if org is not None and organism is None:
            organism, taxon = text(org), org.get("taxid")
        for ch in channel.iterfind(f"{ns}Characteristics"):
            value = text(ch)
            if value is not None:
                tag = (ch.get("tag") or "").strip() or "characteristics"
                attributes.append(Attribute(tag, value))
        protocols += [p for p in (text(x) for x in channel.iterfind(f"{ns}Extract-Protocol")) if p]

    platform_ref = el.find(f"{ns}Platform-Ref")
    gpl = platform_ref.get("ref") if platform_ref is not None else None
    instrument = text(el.find(f"{ns}Instrument-Model/{ns}Predefined")) or text(
        el.find(f"{ns}Instrument-Model"))
    library = Library(
        strategy=text(el.find(f"{ns}Library-Strategy")),
        source=text(el.find(f"{ns}Library-Source")),
        selection=text(el.find(f"{ns}Library-Selection")),
        protocol="\n".join(protocols) or None,
        instrument=instrument,
        platform=index.platforms.get(gpl, gpl) if gpl else None,
    )
    return SampleRecord(
        source="geo",
        record_accession=gsm,
        accessions=unique([gsm, *linked, *studies]),
        organism=organism,
        taxon_id=int(taxon) if taxon and taxon.strip().isdigit() else None,
        title=text(el.find(f"{ns}Title")),
        description=text(el.find(f"{ns}Description")),
        attributes=tuple(attributes),
        library=library,
        updated=text(el.find(f"{ns}Status/{ns}Last-Update-Date")),
        published=text(el.find(f"{ns}Status/{ns}Release-Date")),
    )


def _ns(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""
