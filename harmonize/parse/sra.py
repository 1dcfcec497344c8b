"""SRA ``EXPERIMENT_PACKAGE_SET`` XML (efetch ``db=sra``) -> one :class:`SampleRecord` per package.

Provenance: the layout observed in real efetch responses (both the pretty-printed DOCTYPE style
and the one-record-per-line style). GEO-submitted packages carry the GSM as the sample's
``EXTERNAL_ID namespace="GEO"`` and, with a ``_r1`` suffix, as the experiment/run alias.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from harmonize.models import Attribute, Library, Reject, Run, SampleRecord
from harmonize.parse.accessions import clean_gsm, find_accessions, find_gse, unique
from harmonize.parse.streams import Opener
from harmonize.parse.xmlsafe import iter_elements, local, text

RECORD_TAGS = ("EXPERIMENT_PACKAGE", "ERROR")
_GSM = re.compile(r"GSM\d+")
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
                rid = exp.get("accession") if exp is not None else None  # for the Reject
                yield Reject(origin=origin, reason=f"bad experiment package: {exc}",
                             record_id=rid, raw=etree.tostring(el))


def package_record(pkg: etree._Element) -> SampleRecord:
    """Turn one ``EXPERIMENT_PACKAGE`` element into a SampleRecord."""
    top = _kids(pkg)
    exp = _one(top, "EXPERIMENT")
    if exp is None:
        raise ValueError("package has no EXPERIMENT element")
    e = _kids(exp)
    srx = exp.get("accession") or _path_text(e, "IDENTIFIERS", "PRIMARY_ID")
    if not srx:
        raise ValueError("EXPERIMENT has no accession")
    design = _kids(_one(e, "DESIGN"))
    desc = _one(design, "SAMPLE_DESCRIPTOR")
    sample = _sample_element(top.get("SAMPLE", []), desc)
    s = _kids(sample)

    gsms: list[str] = []
    gses: list[str] = []
    biosamples: list[str] = []
    projects: list[str] = []
    srs: list[str | None] = []
    for el in (sample, desc):
        if el is None:
            continue
        srs.append(el.get("accession"))
        for ns, value in _external_ids(el):
            if ns == "biosample":
                biosamples.append(value)
            elif ns == "geo":
                gsms.append(clean_gsm(value))
    for link in _xref_links(_one(s, "SAMPLE_LINKS")):
        if (link.get("DB") or "").lower() == "bioproject":
            projects += find_accessions(link.get("LABEL"))
    for ns, value in _external_ids(exp, ("EXTERNAL_ID", "SUBMITTER_ID")):
        if ns == "geo":  # may differ from the sample's GSM: both are kept, on one sample
            gsms.append(clean_gsm(value))
    alias = clean_gsm(exp.get("alias") or "")
    if _GSM.fullmatch(alias):
        gsms.append(alias)
    for link in _xref_links(_one(e, "EXPERIMENT_LINKS")):
        if (link.get("DB") or "").lower() == "gds":
            gsms += find_accessions(link.get("LABEL"))

    srp: list[str | None] = []
    study_ref = _one(e, "STUDY_REF")
    if study_ref is not None:
        srp.append(study_ref.get("accession"))
        gses += find_gse(study_ref.get("refname"))
        gses += [v for ns, v in _external_ids(study_ref) if ns == "geo"]
    study = _one(top, "STUDY")
    if study is not None:
        srp.append(study.get("accession"))
        gses += find_gse(study.get("alias"))
        for ns, value in _external_ids(study):
            if ns == "bioproject":
                projects.append(value)
            elif ns == "geo":
                gses += find_gse(value)
    submission = _one(top, "SUBMISSION")
    if submission is not None:
        gses += find_gse(submission.get("alias"))

    runs = tuple(_runs(_one(top, "RUN_SET"), srx))
    accessions = unique([srx, *srs, *biosamples, *[g for g in gsms if g.startswith("GSM")],
                         *[g for g in gses if g.startswith("GSE")], *srp, *projects,
                         *(r.accession for r in runs)])
    name = _kids(_one(s, "SAMPLE_NAME"))
    taxon = text(_one(name, "TAXON_ID"))
    published = sorted(r.published for r in runs if r.published)
    return SampleRecord(
        source="sra",
        record_accession=srx,
        accessions=accessions,
        organism=text(_one(name, "SCIENTIFIC_NAME")),
        taxon_id=int(taxon) if taxon and taxon.isdigit() else None,
        title=text(_one(s, "TITLE")) or text(_one(e, "TITLE")),
        description=text(_one(s, "DESCRIPTION")) or text(_one(design, "DESIGN_DESCRIPTION")),
        attributes=tuple(_attributes(_one(s, "SAMPLE_ATTRIBUTES"))),
        runs=runs,
        library=_library(_kids(_one(design, "LIBRARY_DESCRIPTOR")), _one(e, "PLATFORM")),
        published=published[0] if published else None,
    )


Kids = dict[str, list[etree._Element]]


def _kids(el: etree._Element | None) -> Kids:
    """Children by tag in one pass (much faster than repeated ``find`` calls)."""
    out: Kids = {}
    if el is not None:
        for child in el:
            tag = child.tag
            if isinstance(tag, str):
                out.setdefault(tag, []).append(child)
    return out


def _one(kids: Kids, tag: str) -> etree._Element | None:
    found = kids.get(tag)
    return found[0] if found else None


def _path_text(kids: Kids, *tags: str) -> str | None:
    el = _one(kids, tags[0])
    for tag in tags[1:]:
        el = _one(_kids(el), tag)
    return text(el)


def _sample_element(samples: list[etree._Element], desc: etree._Element | None
                    ) -> etree._Element | None:
    """The SAMPLE the experiment describes (the first one if the descriptor names none)."""
    wanted = desc.get("accession") if desc is not None else None
    for s in samples:
        if wanted and s.get("accession") == wanted:
            return s
    return samples[0] if samples else None


def _external_ids(el: etree._Element, tags: tuple[str, ...] = ("EXTERNAL_ID",)
                  ) -> Iterator[tuple[str, str]]:
    for ident in _kids(el).get("IDENTIFIERS", ()):
        for ext in ident:
            if ext.tag in tags and (value := text(ext)):
                yield (ext.get("namespace") or "").strip().lower(), value


def _xref_links(links: etree._Element | None) -> Iterator[dict[str, str]]:
    """``*_LINK/XREF_LINK`` children as ``{"DB": ..., "ID": ..., "LABEL": ...}``."""
    if links is None:
        return
    for link in links:
        for xref in link:
            if xref.tag == "XREF_LINK":
                yield {c.tag: (c.text or "").strip() for c in xref if isinstance(c.tag, str)}


def _attributes(attrs: etree._Element | None) -> Iterator[Attribute]:
    if attrs is None:
        return
    for attr in attrs:
        key = value = None
        for c in attr:
            if c.tag == "TAG":
                key = text(c)
            elif c.tag == "VALUE":
                value = text(c)
        if key and value is not None:
            yield Attribute(key=key, value=value)


def _runs(run_set: etree._Element | None, srx: str) -> Iterator[Run]:
    if run_set is None:
        return
    for run in run_set:
        if run.tag != "RUN":
            continue
        kids = _kids(run)
        acc = run.get("accession") or _path_text(kids, "IDENTIFIERS", "PRIMARY_ID")
        if not acc:
            continue
        ref = _one(kids, "EXPERIMENT_REF")
        yield Run(
            accession=acc,
            experiment=(ref.get("accession") if ref is not None else None) or srx,
            total_spots=_int(run.get("total_spots")),
            total_bases=_int(run.get("total_bases")),
            published=run.get("published"),
        )


def _library(lib: Kids, platform: etree._Element | None) -> Library:
    vendor = next((c for c in platform if isinstance(c.tag, str)), None) \
        if platform is not None else None
    lay = _one(lib, "LIBRARY_LAYOUT")
    first = next((c for c in lay if isinstance(c.tag, str)), None) if lay is not None else None
    return Library(
        strategy=text(_one(lib, "LIBRARY_STRATEGY")),
        source=text(_one(lib, "LIBRARY_SOURCE")),
        selection=text(_one(lib, "LIBRARY_SELECTION")),
        layout=local(first.tag) if first is not None else None,
        protocol=text(_one(lib, "LIBRARY_CONSTRUCTION_PROTOCOL")),
        instrument=text(_one(_kids(vendor), "INSTRUMENT_MODEL")),
        platform=local(vendor.tag) if vendor is not None else None,
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None
