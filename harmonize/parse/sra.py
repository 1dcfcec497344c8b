"""SRA ``EXPERIMENT_PACKAGE_SET`` XML (efetch ``db=sra``) -> one :class:`SampleRecord` per package.

Provenance: the layout observed in real efetch responses (both the pretty-printed DOCTYPE style
and the one-record-per-line style). GEO-submitted packages carry the GSM as the sample's
``EXTERNAL_ID namespace="GEO"`` and, with a ``_r1`` suffix, as the experiment/run alias.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from harmonize.models import Attribute, Library, Reject, Run, SampleRecord
from harmonize.parse.accessions import clean_gsm, find_accessions, find_gse, unique
from harmonize.parse.streams import Opener
from harmonize.parse.xmlsafe import iter_elements, local, text

RECORD_TAGS = ("EXPERIMENT_PACKAGE", "ERROR")
MARKER = b"<EXPERIMENT_PACKAGE>"


def parse(opener: Opener, origin: str) -> Iterator[SampleRecord | Reject]:
    """Stream SampleRecords (and Rejects for ``<ERROR>`` bodies or broken packages)."""
    for el in iter_elements(opener, RECORD_TAGS, origin, MARKER):
        if isinstance(el, Reject):
            yield el
        elif el.tag == "ERROR":
            message = text(el) or "sra error element without text"
            ids = find_accessions(message)
            yield Reject(origin=origin, reason=message, record_id=ids[0] if ids else None,
                         raw=etree.tostring(el))
        else:
            try:
                yield package_record(el)
            except (ValueError, TypeError) as exc:
                exp = el.find("EXPERIMENT")
                rid = exp.get("accession") if exp is not None else None
                yield Reject(origin=origin, reason=f"bad experiment package: {exc}",
                             record_id=rid, raw=etree.tostring(el))


def package_record(pkg: etree._Element) -> SampleRecord:
    """Turn one ``EXPERIMENT_PACKAGE`` element into a SampleRecord."""
    exp = pkg.find("EXPERIMENT")
    if exp is None:
        raise ValueError("package has no EXPERIMENT element")
    srx = exp.get("accession") or text(exp.find("IDENTIFIERS/PRIMARY_ID"))
    if not srx:
        raise ValueError("EXPERIMENT has no accession")
    sample = _sample_element(pkg, exp)
    study = pkg.find("STUDY")

    gsms: list[str | None] = []
    gses: list[str | None] = []
    biosamples: list[str | None] = []
    projects: list[str | None] = []
    srs: list[str | None] = []

    if sample is not None:
        srs.append(sample.get("accession"))
        for ns, value in _external_ids(sample):
            if ns == "biosample":
                biosamples.append(value)
            elif ns == "geo":
                gsms.append(clean_gsm(value))
        for ident in sample.iterfind("IDENTIFIERS/*"):
            biosamples += [a for a in find_accessions(text(ident)) if a.startswith("SAM")]
        for link in sample.iterfind("SAMPLE_LINKS/SAMPLE_LINK/XREF_LINK"):
            if (text(link.find("DB")) or "").lower() == "bioproject":
                projects += find_accessions(text(link.find("LABEL")))
    desc = exp.find("DESIGN/SAMPLE_DESCRIPTOR")
    if desc is not None:
        srs.append(desc.get("accession"))
        for ns, value in _external_ids(desc):
            if ns == "biosample":
                biosamples.append(value)
            elif ns == "geo":
                gsms.append(clean_gsm(value))
    for ns, value in _external_ids(exp):
        if ns == "geo":
            gsms.append(clean_gsm(value))
    for link in exp.iterfind("EXPERIMENT_LINKS/EXPERIMENT_LINK/XREF_LINK"):
        if (text(link.find("DB")) or "").lower() == "gds":
            gsms += [a for a in find_accessions(text(link.find("LABEL"))) if a.startswith("GSM")]

    srp: list[str | None] = []
    study_ref = exp.find("STUDY_REF")
    if study_ref is not None:
        srp.append(study_ref.get("accession"))
        gses += find_gse(study_ref.get("refname"))
        gses += [v for ns, v in _external_ids(study_ref) if ns == "geo"]
    if study is not None:
        srp.append(study.get("accession"))
        gses += find_gse(study.get("alias"))
        for ns, value in _external_ids(study):
            if ns == "bioproject":
                projects.append(value)
            elif ns == "geo":
                gses += find_gse(value)
    submission = pkg.find("SUBMISSION")
    if submission is not None:
        gses += find_gse(submission.get("alias"))

    runs = tuple(_runs(pkg, srx))
    accessions = unique([srx, *srs, *biosamples, *[g for g in gsms if g and g.startswith("GSM")],
                         *[g for g in gses if g], *srp, *projects, *(r.accession for r in runs)])
    name = sample.find("SAMPLE_NAME") if sample is not None else None
    taxon = text(name.find("TAXON_ID")) if name is not None else None
    published = sorted(r.published for r in runs if r.published)
    return SampleRecord(
        source="sra",
        record_accession=srx,
        accessions=accessions,
        organism=text(name.find("SCIENTIFIC_NAME")) if name is not None else None,
        taxon_id=int(taxon) if taxon and taxon.isdigit() else None,
        title=(text(sample.find("TITLE")) if sample is not None else None)
        or text(exp.find("TITLE")),
        description=(text(sample.find("DESCRIPTION")) if sample is not None else None)
        or text(exp.find("DESIGN/DESIGN_DESCRIPTION")),
        attributes=tuple(_attributes(sample)),
        runs=runs,
        library=_library(exp),
        published=published[0] if published else None,
    )


def _sample_element(pkg: etree._Element, exp: etree._Element) -> etree._Element | None:
    """The SAMPLE the experiment describes (the first one if the descriptor names none)."""
    samples = pkg.findall("SAMPLE")
    desc = exp.find("DESIGN/SAMPLE_DESCRIPTOR")
    wanted = desc.get("accession") if desc is not None else None
    for s in samples:
        if wanted and s.get("accession") == wanted:
            return s
    return samples[0] if samples else None


def _external_ids(el: etree._Element) -> Iterator[tuple[str, str]]:
    for ext in el.iterfind("IDENTIFIERS/EXTERNAL_ID"):
        value = text(ext)
        if value:
            yield (ext.get("namespace") or "").strip().lower(), value


def _attributes(sample: etree._Element | None) -> Iterator[Attribute]:
    if sample is None:
        return
    for attr in sample.iterfind("SAMPLE_ATTRIBUTES/SAMPLE_ATTRIBUTE"):
        key, value = text(attr.find("TAG")), text(attr.find("VALUE"))
        if key and value is not None:
            yield Attribute(key=key, value=value)


def _runs(pkg: etree._Element, srx: str) -> Iterator[Run]:
    for run in pkg.iterfind("RUN_SET/RUN"):
        acc = run.get("accession") or text(run.find("IDENTIFIERS/PRIMARY_ID"))
        if not acc:
            continue
        ref = run.find("EXPERIMENT_REF")
        yield Run(
            accession=acc,
            experiment=(ref.get("accession") if ref is not None else None) or srx,
            total_spots=_int(run.get("total_spots")),
            total_bases=_int(run.get("total_bases")),
            published=run.get("published"),
        )


def _library(exp: etree._Element) -> Library:
    lib = exp.find("DESIGN/LIBRARY_DESCRIPTOR")
    platform = exp.find("PLATFORM")
    vendor = next((c for c in platform if isinstance(c.tag, str)), None) if platform is not None \
        else None
    layout = None
    if lib is not None:
        lay = lib.find("LIBRARY_LAYOUT")
        first = next((c for c in lay if isinstance(c.tag, str)), None) if lay is not None else None
        layout = local(first.tag) if first is not None else None
    get = (lambda tag: text(lib.find(tag))) if lib is not None else (lambda tag: None)
    return Library(
        strategy=get("LIBRARY_STRATEGY"),
        source=get("LIBRARY_SOURCE"),
        selection=get("LIBRARY_SELECTION"),
        layout=layout,
        protocol=get("LIBRARY_CONSTRUCTION_PROTOCOL"),
        instrument=text(vendor.find("INSTRUMENT_MODEL")) if vendor is not None else None,
        platform=local(vendor.tag) if vendor is not None else None,
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None
