"""INSDC per-object XML (``SAMPLE_SET``, ``EXPERIMENT_SET``, ``RUN_SET``, ``STUDY_SET``) -> objects.

Provenance: the members of NCBI's ``NCBI_SRA_Metadata*.tar.gz`` dumps
(``<SUB>/<SUB>.{sample,experiment,run,study}.xml``) and ENA browser XML, which share one schema.
Unlike efetch's ``EXPERIMENT_PACKAGE``, each object comes alone and names the others:
``EXPERIMENT/DESIGN/SAMPLE_DESCRIPTOR@accession`` (or ``@refname``, or ``POOL/MEMBER``),
``EXPERIMENT/STUDY_REF@accession`` and ``RUN/EXPERIMENT_REF@accession`` (or ``@refname``).

:func:`iter_objects` yields one :class:`DumpObject` per object with its links and its own XML;
:func:`package` joins an experiment with its sample, study and runs into the
``EXPERIMENT_PACKAGE`` that :func:`harmonize.parse.sra.package_record` reads, so a dump record
is the very record efetch would have given (the same one-sample identity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from harmonize.models import Reject, Run, SampleRecord
from harmonize.parse import sra
from harmonize.parse.accessions import clean_gsm, unique
from harmonize.parse.streams import Opener
from harmonize.parse.xmlsafe import fromstring, iter_elements, text

#: element tag -> object kind
KINDS = {"SAMPLE": "sample", "EXPERIMENT": "experiment", "RUN": "run", "STUDY": "study"}
#: XML roots of the object files (the SUBMISSION and ANALYSIS files hold no sample data).
SET_ROOTS = ("SAMPLE_SET", "EXPERIMENT_SET", "RUN_SET", "STUDY_SET", "SAMPLE", "EXPERIMENT",
             "RUN", "STUDY", "SUBMISSION", "SUBMISSION_SET", "ANALYSIS_SET", "ANALYSIS")
_MARKERS = b"<SAMPLE "


@dataclass(frozen=True, slots=True)
class DumpObject:
    """One INSDC object with the fields links and filters need, and its own XML."""

    kind: str
    accession: str
    alias: str | None = None
    submission: str | None = None
    ref_accession: str | None = None  # experiment -> sample, run -> experiment
    ref_name: str | None = None
    study: str | None = None
    organism: str | None = None
    strategy: str | None = None
    source: str | None = None
    xml: bytes = b""

    @property
    def content_hash(self) -> str:
        """sha1 of the object's XML (decides unchanged / updated on a re-load)."""
        return hashlib.sha1(self.xml).hexdigest()


def iter_objects(opener: Opener, origin: str, submission: str | None = None
                 ) -> Iterator[DumpObject | Reject]:
    """Stream the objects of one object file; a broken file ends with one Reject."""
    for el in iter_elements(opener, tuple(KINDS), origin, _MARKERS):
        if isinstance(el, Reject):
            yield el
            continue
        if el.getparent() is not None and el.getparent().tag in KINDS:
            continue  # e.g. a SAMPLE nested in another object: not an object of its own
        try:
            yield to_object(el, submission)
        except ValueError as exc:
            yield Reject(origin=origin, reason=f"bad {el.tag.lower()}: {exc}",
                         record_id=el.get("alias"), raw=etree.tostring(el)[:1 << 20])


def to_object(el: etree._Element, submission: str | None = None, with_xml: bool = True
              ) -> DumpObject:
    """Read one SAMPLE / EXPERIMENT / RUN / STUDY element (``with_xml``: keep its XML too).

    Only the few paths links and filters need are read (``find`` on fixed paths, in C).
    """
    kind = KINDS[el.tag]
    acc = el.get("accession") or el.findtext("IDENTIFIERS/PRIMARY_ID")
    if not acc or not acc.strip():
        raise ValueError(f"{el.tag} has no accession")
    ref_acc = ref_name = study = organism = strategy = source = None
    if kind == "experiment":
        desc = el.find("DESIGN/SAMPLE_DESCRIPTOR")
        if desc is not None:
            ref_acc = desc.get("accession") or desc.findtext("IDENTIFIERS/PRIMARY_ID")
            ref_name = desc.get("refname")
            if not ref_acc:
                member = next((m for m in desc.iter("MEMBER") if m.get("accession")), None)
                ref_acc = member.get("accession") if member is not None else None
        ref = el.find("STUDY_REF")
        if ref is not None:
            study = ref.get("accession") or ref.findtext("IDENTIFIERS/PRIMARY_ID")
        lib = el.find("DESIGN/LIBRARY_DESCRIPTOR")
        if lib is not None:
            strategy = _stripped(lib.findtext("LIBRARY_STRATEGY"))
            source = _stripped(lib.findtext("LIBRARY_SOURCE"))
    elif kind == "run":
        ref = el.find("EXPERIMENT_REF")
        if ref is not None:
            ref_acc = ref.get("accession") or ref.findtext("IDENTIFIERS/PRIMARY_ID")
            ref_name = ref.get("refname")
    elif kind == "sample":
        organism = _stripped(el.findtext("SAMPLE_NAME/SCIENTIFIC_NAME"))
    return DumpObject(kind=kind, accession=acc.strip().upper(), alias=el.get("alias"),
                      submission=submission, ref_accession=_upper(ref_acc), ref_name=ref_name,
                      study=_upper(study), organism=organism, strategy=strategy, source=source,
                      xml=etree.tostring(el) if with_xml else b"")


def _stripped(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _upper(value: str | None) -> str | None:
    return value.strip().upper() or None if value else None


def package(experiment: bytes, sample: bytes | None, study: bytes | None,
            runs: Iterable[bytes]) -> SampleRecord:
    """The SampleRecord of one experiment joined with its sample, study and runs."""
    parts = [b"<EXPERIMENT_PACKAGE>", experiment]
    if study:
        parts.append(study)
    if sample:
        parts.append(sample)
    parts += [b"<RUN_SET>", *runs, b"</RUN_SET>", b"</EXPERIMENT_PACKAGE>"]
    return sra.package_record(fromstring(b"".join(parts)))


def sample_only(sample: bytes) -> SampleRecord:
    """The record of a sample no experiment names (yet): its own accession, ids and attributes."""
    el = fromstring(sample)
    kids = sra._kids(el)
    acc = (el.get("accession") or sra._path_text(kids, "IDENTIFIERS", "PRIMARY_ID") or "").strip()
    ids = [acc]
    for ns, value in sra._external_ids(el):
        if ns == "biosample" or (ns == "geo" and clean_gsm(value).startswith("GSM")):
            ids.append(clean_gsm(value))
    name = sra._kids(sra._one(kids, "SAMPLE_NAME"))
    taxon = text(sra._one(name, "TAXON_ID"))
    return SampleRecord(
        source="sra", record_accession=acc, accessions=unique(ids),
        organism=text(sra._one(name, "SCIENTIFIC_NAME")),
        taxon_id=int(taxon) if taxon and taxon.isdigit() else None,
        title=text(sra._one(kids, "TITLE")), description=text(sra._one(kids, "DESCRIPTION")),
        attributes=tuple(sra._attributes(sra._one(kids, "SAMPLE_ATTRIBUTES"))))


def run_only(run: bytes, links: Iterable[str | None] = ()) -> SampleRecord:
    """The record of a run whose experiment is not loaded: the run and the ids it names."""
    el = fromstring(b"<RUN_SET>" + run + b"</RUN_SET>")
    parsed = next(sra._runs(el, ""), None)
    if parsed is None:
        raise ValueError("run has no accession")
    exp = parsed.experiment or None
    return SampleRecord(source="sra", record_accession=parsed.accession,
                        accessions=unique([parsed.accession, exp, *links]),
                        runs=(Run(parsed.accession, exp, parsed.total_spots, parsed.total_bases,
                                  parsed.published),),
                        published=parsed.published)


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """One object file on its own: link what it holds in memory and yield the records.

    For a small file (an ENA browser answer); dumps and folders go through
    :mod:`harmonize.dump`, which links across files in the warehouse.
    """
    from harmonize.dump.link import link_in_memory

    objects: list[DumpObject] = []
    for item in iter_objects(opener, origin):
        if isinstance(item, Reject):
            yield item
        else:
            objects.append(item)
    yield from link_in_memory(objects, origin)
