"""BioSample XML (``BioSampleSet`` or a bare ``BioSample`` root) -> SampleRecords.

Provenance: efetch ``db=biosample`` responses and NCBI's ``biosample_set.xml.gz``. ``Ids/Id@db``
names the linked SRA sample (SRS) and GEO sample (GSM); ``Links/Link@target="bioproject"``
carries the PRJNA in ``label`` and the BioProject's numeric id as text. Legacy links have no
``label``: for an NCBI sample (SAMN) the id is read as ``PRJNA<id>`` (NCBI numbers its PRJNA
accessions by that id); for SAMEA/SAMD no accession can be derived and the link is skipped.

EBI's legacy export (``<BioSample id=...>`` in the ``biosamples/SampleGroupExport/1.0``
namespace, ``Property@class`` / ``QualifiedValue/Value`` pairs) is read too: every property is
an attribute, ``Organism`` the organism (taxon from its ``TermSourceID``), ``Sample Name`` the
title.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from harmonize.models import Attribute, Reject, SampleRecord, accession_kind
from harmonize.parse.accessions import find_accessions, unique
from harmonize.parse.streams import Opener
from harmonize.parse.xmlsafe import iter_elements, text

MARKER = b"<BioSample "
#: Namespace of EBI's legacy BioSamples export.
LEGACY_NS = "{http://www.ebi.ac.uk/biosamples/SampleGroupExport/1.0}"
#: ``Ids/Id@db`` values whose text is an accession we track.
_ID_DBS = {"biosample", "sra", "geo"}


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """Stream one SampleRecord per ``BioSample`` element."""
    for el in iter_elements(opener, ("BioSample", f"{LEGACY_NS}BioSample"), origin, MARKER):
        if isinstance(el, Reject):
            yield el
            continue
        try:
            yield legacy_record(el) if el.tag.startswith(LEGACY_NS) else biosample_record(el)
        except ValueError as exc:
            yield Reject(origin=origin, reason=f"bad biosample: {exc}",
                         record_id=el.get("accession") or el.get("id"), raw=etree.tostring(el))


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
            uid = text(link) or ""
            if not found and uid.isdigit() and accession.upper().startswith("SAMN"):
                projects.append(f"PRJNA{uid}")
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


def legacy_record(el: etree._Element) -> SampleRecord:
    """Turn one BioSample of EBI's legacy namespaced export into a SampleRecord."""
    accession = (el.get("id") or "").strip()
    if not accession:
        raise ValueError("legacy BioSample element has no id attribute")
    attributes: list[Attribute] = []
    organism = taxon = title = None
    for prop in el.iterfind(f"{LEGACY_NS}Property"):
        key = (prop.get("class") or "").strip()
        for qualified in prop.iterfind(f"{LEGACY_NS}QualifiedValue"):
            value = text(qualified.find(f"{LEGACY_NS}Value"))
            if not key or value is None:
                continue
            attributes.append(Attribute(key=key, value=value))
            if key.lower() == "organism" and organism is None:
                organism = value
                taxon = text(qualified.find(f"{LEGACY_NS}TermSourceREF/{LEGACY_NS}TermSourceID"))
            elif key.lower() == "sample name" and title is None:
                title = value
    ids = [accession, *(text(i) for i in el.iterfind(f"{LEGACY_NS}Database/{LEGACY_NS}ID"))]
    return SampleRecord(
        source="biosample",
        record_accession=accession,
        accessions=unique([a for a in ids if a and accession_kind(a)]),
        organism=organism,
        taxon_id=int(taxon) if taxon and taxon.isdigit() else None,
        title=title,
        attributes=tuple(attributes),
        updated=el.get("submissionUpdateDate"),
        published=el.get("submissionReleaseDate"),
    )
