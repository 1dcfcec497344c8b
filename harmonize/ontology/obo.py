"""Load an OBO, OBO-JSON or OWL (RDF/XML) ontology file with pronto into :class:`OntologyData`.

pronto picks the parser from the file content. From each term we keep what the lexicon and the
closure tables need: label, synonyms with their scope, obsolescence and ``replaced_by``, and the
ancestors with their shortest distance over ``is_a`` and ``part_of`` (computed here with a
breadth-first search, see :func:`~harmonize.ontology.closure.ancestor_distances`).

As in the embedded snapshot, only the terms of the ontology's own prefix are kept (``UBERON:``
terms of an UBERON file), and only declared own-prefix ancestors, although paths may pass
through imported terms. Imports are never fetched (``import_depth=0``): the loader works offline.

``consider`` is *not* followed by default: the OBO spec says those are suggestions that need a
curator, while ``replaced_by`` is a safe automatic replacement. ``follow_consider=True`` uses a
``consider`` target as ``replaced_by`` when it is the only one.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import warnings
from collections import Counter
from pathlib import Path

from harmonize.errors import OntologyError
from harmonize.ontology.closure import ancestor_distances
from harmonize.ontology.model import OntologyData, TermData
from harmonize.ontology.snapshot import to_curie

_log = logging.getLogger(__name__)

_SCOPES = {"EXACT": "exact", "RELATED": "related", "NARROW": "narrow", "BROAD": "broad"}
#: OBO 1.4: a synonym without a scope is RELATED.
_DEFAULT_SCOPE = "related"
_PART_OF = frozenset({"part_of", "part of", "BFO:0000050", "BFO_0000050",
                      "http://purl.obolibrary.org/obo/BFO_0000050"})
_SNIFF_BYTES = 1 << 20

_OBO_VERSION = re.compile(rb"^data-version:[ \t]*(\S[^\r\n]*)", re.M)
_OWL_VERSION_IRI = re.compile(rb"<owl:versionIRI\s+rdf:resource=\"([^\"]+)\"")
_OWL_VERSION_INFO = re.compile(rb"<owl:versionInfo[^>]*>([^<]+)</owl:versionInfo>")
_JSON_VERSION = re.compile(rb"\"version\"\s*:\s*\"([^\"]+)\"")
_RELEASE = re.compile(r"releases/([^/]+)/")


def curie(raw: str) -> str:
    """Turn a pronto id or an OBO PURL into a CURIE.

    Example:
        >>> curie("http://purl.obolibrary.org/obo/UBERON_0002107"), curie("CVCL_0030")
        ('UBERON:0002107', 'CVCL:0030')
    """
    raw = raw.strip()
    if raw.startswith(("http://", "https://")):
        raw = re.split(r"[/#]", raw.rstrip("/"))[-1]
    return to_curie(raw)


def _head(path: Path) -> bytes:
    """The first megabyte of a file, decompressed when it is gzip."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(_SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise OntologyError(f"cannot read ontology file {path}: {exc}") from exc


def _sha_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()[:12]}"


def normalize_version(raw: str) -> str:
    """``releases/2024-09-03`` or a version IRI -> ``2024-09-03``; other strings unchanged.

    Example:
        >>> normalize_version("http://purl.obolibrary.org/obo/cl/releases/2024-09-03/cl.owl")
        '2024-09-03'
    """
    raw = raw.strip()
    m = _RELEASE.search(raw + "/")
    return m.group(1) if m else raw


def read_version(path: str | Path) -> str:
    """The release of an ontology file from its header, without parsing the whole file.

    Looks at ``data-version:`` (OBO), ``owl:versionIRI`` / ``owl:versionInfo`` (OWL) and
    ``"version"`` (OBO-JSON) in the first megabyte; falls back to ``sha256:<12 hex>`` of the file.

    Raises:
        OntologyError: the file does not exist or cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise OntologyError(f"ontology file {path} does not exist")
    head = _head(path)
    header = head.split(b"\n[Term]", 1)[0]  # an OBO header ends at the first stanza
    for rx in (_OBO_VERSION, _OWL_VERSION_IRI, _OWL_VERSION_INFO, _JSON_VERSION):
        m = rx.search(header)
        if m:
            return normalize_version(m.group(1).decode("utf-8", "replace"))
    return _sha_prefix(path)


def _parse(path: Path):  # -> pronto.Ontology (lazy import keeps `import harmonize` light)
    """Run pronto on a file; its warnings become one log line, its failures an OntologyError."""
    import pronto
    from pronto.utils.warnings import ProntoWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ont = pronto.Ontology(str(path), import_depth=0)
        except KeyError as exc:  # e.g. an is_a to a term the file does not declare
            raise OntologyError(f"cannot read ontology file {path}: it refers to the "
                                f"undeclared entity {exc.args[0]!r}") from exc
        except Exception as exc:  # pronto raises SyntaxError, ValueError, TypeError, lxml errors
            raise OntologyError(f"cannot read ontology file {path}: "
                                f"{type(exc).__name__}: {exc}") from exc
    ours = [w for w in caught if issubclass(w.category, ProntoWarning)]
    for w in caught:
        if not issubclass(w.category, (ProntoWarning, DeprecationWarning)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if ours:
        _log.warning("%s: pronto reported %d warning(s); first: %s", path, len(ours),
                     ours[0].message)
    return ont


def _part_of_ids(ont) -> frozenset[str]:
    """Relation ids that mean part_of in this file (by id or by declared name)."""
    named = {r.id for r in ont.relationships() if (r.name or "") in _PART_OF}
    return _PART_OF | named


def _relations(term) -> dict[str, set[str]]:
    """``{relation id: target ids}`` of a pronto term."""
    try:
        return {rel.id: set(targets.ids) for rel, targets in term.relationships.items()}
    except KeyError:  # pronto cannot resolve a relation the file uses without declaring it
        return {k: set(v) for k, v in term._data().relationships.items()}


def _parents(term, part_of: frozenset[str]) -> list[str]:
    """Direct is_a and part_of targets of a pronto term, as raw ids."""
    out = [str(t.id) for t in term.superclasses(distance=1, with_self=False)]
    for rel_id, targets in _relations(term).items():
        if rel_id in part_of:
            out.extend(sorted(targets))
    return out


def _synonyms(term) -> list[tuple[str, str]]:
    """``(text, kind)`` pairs, sorted and without duplicates."""
    try:
        syns = list(term.synonyms)
    except ValueError:  # pronto refuses synonym types the header does not declare
        syns = list(term._data().synonyms)
    pairs = {(s.description.strip(), _SCOPES.get(s.scope or "", _DEFAULT_SCOPE))
             for s in syns if s.description and s.description.strip()}
    return sorted(pairs)


def _ontology_prefix(ids: list[str], declared: str | None, name: str | None, path: Path) -> str:
    """The prefix whose terms to keep: ``name`` (case-insensitive) or the most frequent one."""
    counts = Counter(i.split(":", 1)[0] for i in ids if ":" in i)
    wanted = name or declared
    if wanted:
        for prefix, _ in counts.most_common():
            if prefix.lower() == wanted.lower():
                return prefix
        if name:
            raise OntologyError(f"ontology file {path} has no {name}: terms "
                                f"(prefixes found: {', '.join(sorted(counts)) or 'none'})")
    if not counts:
        raise OntologyError(f"ontology file {path} has no terms")
    return counts.most_common(1)[0][0]


def load_obo(path: str | Path, name: str | None = None, *,
             follow_consider: bool = False) -> OntologyData:
    """Load an OBO / OBO-JSON / OWL file (optionally gzipped) into :class:`OntologyData`.

    Args:
        path: the ontology file.
        name: the prefix to keep (``UBERON``); default: the file's ``ontology:`` header if
            terms carry it, else the most frequent prefix.
        follow_consider: use a lone ``consider`` target when ``replaced_by`` is missing.

    Raises:
        OntologyError: the file is missing, unreadable, or holds no term of that prefix.

    Example:
        >>> ont = load_obo("tests/data/ontologies/mini_uberon.obo")
        >>> ont.terms["UBERON:0002107"].label
        'liver'
    """
    path = Path(path)
    version = read_version(path)
    ont = _parse(path)
    raw_terms = {curie(str(t.id)): t for t in ont.terms()}
    prefix = _ontology_prefix(list(raw_terms), ont.metadata.ontology, name, path)
    part_of = _part_of_ids(ont)
    parents = {tid: [curie(p) for p in _parents(t, part_of)] for tid, t in raw_terms.items()}
    closure = ancestor_distances(parents)
    own = prefix + ":"
    terms: dict[str, TermData] = {}
    for tid, t in raw_terms.items():
        if not tid.startswith(own):
            continue
        replaced = sorted(curie(i) for i in t.replaced_by.ids)
        if not replaced and follow_consider and len(t.consider.ids) == 1:
            replaced = [curie(next(iter(t.consider.ids)))]
        terms[tid] = TermData(
            id=tid,
            label=(t.name or "").strip() or tid,
            synonyms=_synonyms(t),
            ancestors={a: d for a, d in closure[tid].items()
                       if a.startswith(own) and a in raw_terms},
            obsolete=bool(t.obsolete),
            replaced_by=replaced[0] if t.obsolete and replaced else None,
            definition=str(t.definition or ""),
            subsets=tuple(sorted(t.subsets)),
        )
    return OntologyData(name=prefix, version=version, origin=f"obo:{path}", terms=terms)
