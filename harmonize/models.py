"""Plain data types shared by every step of the pipeline.

Reading order follows the data: a parser yields :class:`SampleRecord` (or :class:`Reject`),
the warehouse stores them, :mod:`harmonize.ground` turns a :class:`FieldValue` into an
:class:`Annotation` built from ranked :class:`Candidate` s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import harmonize.facets as _facets

Source = Literal["sra", "biosample", "geo"]
Facet = Literal["tissue", "disease", "cell_type", "cell_line", "sex", "dev_stage", "assay",
                "sample_type", "origin_tissue"]
#: ``sample_type`` is a closed vocabulary (harmonize.ground.sample_type_features.SAMPLE_TYPES),
#: decided per sample; ``origin_tissue`` is the UBERON organ a cultured sample came from (its
#: tissue value, read as origin once the sample type says it was grown in a dish).
#: The facet lists come from the facet table (``ontologies/facets.tsv``, harmonize.facets);
#: ``Facet`` above spells the same names for type checkers (a test keeps them equal).
FACETS = _facets.FACETS
ONTOLOGY_FACETS = _facets.ONTOLOGY_FACETS
Status = Literal["accepted", "needs_review", "rejected", "unmapped"]

#: Accession kinds that name one biological sample (an accession of these kinds belongs to at
#: most one sample row). Study-level kinds (GSE, SRP, PRJNA...) link many samples.
SAMPLE_LEVEL_KINDS = frozenset({"biosample", "gsm", "srs", "srx", "srr"})
STUDY_LEVEL_KINDS = frozenset({"gse", "srp", "bioproject"})


def accession_kind(accession: str) -> str | None:
    """Return the kind of an INSDC/GEO accession, or ``None`` if it is not one we track.

    >>> accession_kind("SAMN04327149"), accession_kind("GSM1967932"), accession_kind("ERR123")
    ('biosample', 'gsm', 'srr')
    """
    a = accession.strip().upper()
    prefix3, prefix2 = a[:3], a[:2]
    if a.startswith(("SAMN", "SAMEA", "SAMD")):
        return "biosample"
    if prefix3 == "GSM":
        return "gsm"
    if prefix3 == "GSE":
        return "gse"
    if prefix3 in ("SRS", "ERS", "DRS"):
        return "srs"
    if prefix3 in ("SRX", "ERX", "DRX"):
        return "srx"
    if prefix3 in ("SRR", "ERR", "DRR"):
        return "srr"
    if prefix3 in ("SRP", "ERP", "DRP"):
        return "srp"
    if a.startswith(("PRJNA", "PRJEB", "PRJDB")):
        return "bioproject"
    if prefix2 == "GP" and a.startswith("GPL"):
        return "gpl"
    return None


#: Separates the container from the sample in a contribution record's key.
CONTRIBUTION_SEP = "/"


def contribution_key(container: str, sample: str) -> str:
    """The ``record_accession`` of a record that adds to a sample described elsewhere.

    A GEO series naming a sample it does not describe, or a GEO DataSet annotating it, gives
    that sample a record of its own keyed ``<container>/<sample>`` (``GDS507/GSM11815``): one
    per container and sample, so it never replaces the sample's own record (keyed by the bare
    GSM) and a sample named by two series keeps both. Identity uses the part after the ``/``.

    >>> contribution_key("GSE146537", "GSM4391896"), record_sample("GSE146537/GSM4391896")
    ('GSE146537/GSM4391896', 'GSM4391896')
    """
    return f"{container}{CONTRIBUTION_SEP}{sample}"


def record_sample(record_accession: str) -> str:
    """The sample a record key names: itself, or the sample part of a contribution key."""
    return record_accession.rpartition(CONTRIBUTION_SEP)[2]


@dataclass(frozen=True, slots=True)
class Attribute:
    """One key/value pair exactly as the source gave it."""

    key: str
    value: str
    harmonized_key: str | None = None  # BioSample ``harmonized_name`` when present


@dataclass(frozen=True, slots=True)
class Run:
    """A sequencing run (SRR/ERR/DRR) of one experiment."""

    accession: str
    experiment: str | None = None
    total_spots: int | None = None
    total_bases: int | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class Library:
    """How the library was made, as free text from SRA or GEO (input of the assay rules)."""

    strategy: str | None = None
    source: str | None = None
    selection: str | None = None
    layout: str | None = None
    protocol: str | None = None
    instrument: str | None = None
    platform: str | None = None  # GEO platform id or technology text

    def as_texts(self) -> dict[str, str]:
        """Non-empty fields as ``{"library_strategy": ..., ...}`` for the assay rules."""
        return {f"library_{k}": v for k, v in asdict(self).items() if v}


@dataclass(frozen=True, slots=True)
class SampleRecord:
    """One sample as one source describes it; pure data, no I/O.

    ``record_accession`` is the record's own primary id (SRX for an SRA experiment package,
    SAMN/SAMEA/SAMD for BioSample, GSM for GEO; ``<container>/<GSM>`` for a record that adds a
    series' links or a DataSet's annotations to a sample, see :func:`contribution_key`). ``accessions`` lists every accession the record
    names for this sample *and* its study (GSE, SRP, PRJNA); :func:`accession_kind` classifies
    them. Identity resolution (which sample row) happens in the warehouse, not here.
    """

    source: Source
    record_accession: str
    accessions: tuple[str, ...]
    organism: str | None = None
    taxon_id: int | None = None
    title: str | None = None
    description: str | None = None
    attributes: tuple[Attribute, ...] = ()
    runs: tuple[Run, ...] = ()
    library: Library = field(default_factory=Library)
    updated: str | None = None  # the record's own update stamp, when it carries one
    published: str | None = None

    def content_hash(self) -> str:
        """A stable sha256 of the record content, used to detect upstream changes."""
        blob = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def attribute_dict(self) -> dict[str, str]:
        """Attributes as ``{key: value}`` (later duplicates joined with '; ')."""
        out: dict[str, str] = {}
        for a in self.attributes:
            out[a.key] = f"{out[a.key]}; {a.value}" if a.key in out else a.value
        return out


@dataclass(frozen=True, slots=True)
class Reject:
    """A record (or a whole file) that could not be parsed, kept with its reason and bytes."""

    origin: str  # file path or URL
    reason: str
    record_id: str | None = None
    raw: bytes = b""


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A piece of text assigned to a facet, with the attribute it came from."""

    facet: str
    text: str
    source_key: str
    scanned: bool = False  # True when found by scanning an ambiguous key or free text
    #: Characters of the whole value when ``text`` is only its first part (a value longer
    #: than :data:`harmonize.ground.fields.MAX_VALUE_CHARS`); ``None`` when it is all of it.
    full_length: int | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible term for a text, with the evidence that ranks it."""

    term_id: str
    term_label: str
    method: str  # exact | fuzzy | embedding | rule | curated
    matched_text: str  # the lexicon string that matched
    match_kind: str  # label | exact_synonym | related_synonym | curated | abbreviation ...
    similarity: float  # 0..1 raw similarity of the method
    score: float = 0.0  # ranking score (before calibration)
    #: not hashed (a dict), so an annotation can key a memo; still compared
    features: dict[str, float] = field(default_factory=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Annotation:
    """The contract of ARCHITECTURE.md: one facet of one sample grounded (or not) to a term."""

    facet: str
    term_id: str | None
    term_label: str | None
    confidence: float
    method: str
    status: str
    source_key: str
    source_text: str
    candidates: tuple[Candidate, ...] = ()
    lexicon_version: str | None = None
    #: Characters of the whole value when ``source_text`` is only the part grounded (its
    #: first characters, see :data:`harmonize.ground.fields.MAX_VALUE_CHARS`).
    source_length: int | None = None

    def confidence_steps(self) -> dict[str, float]:
        """How the confidence was reached: the ``conf:`` parts the grounder recorded on the
        top candidate (evidence-model contributions, fitted p, support, cautious result)."""
        if not self.candidates:
            return {}
        return {k[5:]: v for k, v in self.candidates[0].features.items()
                if k.startswith("conf:")}

    def to_json(self, with_candidates: bool = False) -> dict[str, Any]:
        """The ``harmonize map`` output shape (candidates only when asked or when unmapped)."""
        out: dict[str, Any] = {
            "facet": self.facet,
            "term_id": self.term_id,
            "term_label": self.term_label,
            "confidence": round(self.confidence, 4),
            "method": self.method,
            "source_key": self.source_key,
            "source_text": self.source_text,
            "status": self.status,
        }
        if self.source_length is not None:  # only the first part of a long value was read
            out["source_length"] = self.source_length
        if with_candidates or self.term_id is None:
            out["candidates"] = [
                {"term_id": c.term_id, "term_label": c.term_label, "score": round(c.score, 4)}
                for c in self.candidates[:5]
            ]
        return out


def accepted(annotations: Iterable[Annotation], facet: str) -> Annotation | None:
    """The accepted annotation of ``facet`` with a term among ``annotations``, if any."""
    return next((a for a in annotations if a.facet == facet and a.term_id
                 and a.status == "accepted"), None)
