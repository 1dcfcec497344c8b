"""BioSample XML (``BioSampleSet`` or a bare ``BioSample`` root) -> SampleRecords.

Provenance: efetch ``db=biosample`` responses. ``Ids/Id@db`` names the linked SRA sample (SRS)
and GEO sample (GSM); ``Links/Link@target="bioproject"`` carries the PRJNA in ``label``.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from harmonize.models import Attribute, Reject, SampleRecord, accession_kind
from harmonize.parse.accessions import find_accessions, unique
from harmonize.parse.streams import Opener
from harmonize.parse.xmlsafe import iter_elements, text

MARKER = b"<BioSample "
#: ``Ids/Id@db`` values whose text is an accession we track.
_ID_DBS = {"biosample", "sra", "geo"}


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """Stream one SampleRecord per ``BioSample`` element."""
    for el in iter_elements(opener, ("BioSample",), origin, MARKER):
        if isinstance(el, Reject):
            yield el
            continue
        try:
            yield biosample_record(el)
        except ValueError as exc:
            yield Reject(origin=origin, reason=f"bad biosample: {exc}",
                         record_id=el.get("accession"), raw=etree.tostring(el))


def biosample_record(el: etree._Element) -> SampleRecord:
    """Turn one ``BioSample`` element into a SampleRecord."""
    accession = (el.get("accession") or "").strip()
    if not accession:
        raise ValueError("BioSample element has no accession attribute")
    ids: list[str | None] = [accession]
    for id_el in el.iterfind("Ids/Id"):
        if (id_el.get("db") or "").lower() in _ID_DBS:
            ids += [a for a in find_accessions(text(id_el)) if accession_kind(a)]
    projects: list[str] = []
    for link in el.iterfind("Links/Link"):
        found = find_accessions(link.get("label")) + find_accessions(text(link))
        if (link.get("target") or "").lower() == "bioproject":
            projects += [a for a in found if a.startswith("PRJ")]
        else:
            ids += [a for a in found if accession_kind(a) in {"gsm", "srs", "biosample"}]
    organism = el.find("Description/Organism")
    taxon = organism.get("taxonomy_id") if organism is not None else None
    paragraphs = [text(p) for p in el.iterfind("Description/Comment/Paragraph")]
    return SampleRecord(
        source="biosample",
        record_accession=accession,
        accessions=unique([*ids, *projects]),
        organism=_organism(organism),
        taxon_id=int(taxon) if taxon and taxon.strip().isdigit() else None,
        title=text(el.find("Description/Title")),
        description="\n".join(p for p in paragraphs if p) or None,
        attributes=tuple(_attributes(el)),
        updated=el.get("last_update"),
        published=el.get("publication_date"),
    )


def _organism(organism: etree._Element | None) -> str | None:
    if organism is None:
        return None
    name = organism.get("taxonomy_name") or text(organism.find("OrganismName"))
    return name.strip() if name else None


def _attributes(el: etree._Element) -> Iterator[Attribute]:
    for attr in el.iterfind("Attributes/Attribute"):
        key = (attr.get("attribute_name") or attr.get("harmonized_name") or "").strip()
        value = text(attr)
        if key and value is not None:
            harmonized = (attr.get("harmonized_name") or "").strip() or None
            yield Attribute(key=key, value=value, harmonized_key=harmonized)
