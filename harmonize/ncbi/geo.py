"""GEO access: gds UID <-> accession arithmetic, GSM searches by window, MINiML from acc.cgi.

A batch of GSMs is fetched about one request per *series* (:func:`fetch_samples`): one gds
esummary names each GSM's series, :func:`choose_series` picks which series to ask for, and
:func:`keep_samples` trims each series document to the GSMs it was asked for.

Example:
    >>> accession_to_uid("GSM1371490"), uid_to_accession(200056924)
    (301371490, 'GSE56924')
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lxml import etree

from harmonize.errors import FetchError, NCBIError
from harmonize.ncbi.config import HarvestConfig
from harmonize.ncbi.eutils import MAX_RETMAX, esearch, esummary
from harmonize.ncbi.http import NCBIClient
from harmonize.ncbi.planning import Window, geo_term

log = logging.getLogger("harmonize.ncbi")

#: gds UIDs encode the entry type: GPL n -> 1e8 + n, GSE n -> 2e8 + n, GSM n -> 3e8 + n.
UID_OFFSETS = {"GPL": 100_000_000, "GSE": 200_000_000, "GSM": 300_000_000}
_ACCESSION = re.compile(r"^(GPL|GSE|GSM|GDS)(\d+)$")
#: esearch returns at most this many ids per call.
ESEARCH_PAGE = 10_000
#: A series is fetched only when it covers at least this many GSMs of a batch: a lone GSM costs
#: one request either way, and its own document is smaller than its series'.
MIN_SERIES_SHARE = 2
_SAFE_XML = {"resolve_entities": False, "no_network": True, "huge_tree": True}


def accession_to_uid(accession: str) -> int:
    """The gds UID of a GEO accession (GDS n is n itself)."""
    match = _ACCESSION.match(accession.strip().upper())
    if not match:
        raise ValueError(f"not a geo accession: {accession!r}")
    prefix, number = match.groups()
    return UID_OFFSETS.get(prefix, 0) + int(number)


def uid_to_accession(uid: int | str) -> str:
    """The GEO accession of a gds UID."""
    value = int(uid)
    if value <= 0 or value >= 400_000_000:
        raise ValueError(f"not a gds uid: {uid!r}")
    for prefix, offset in sorted(UID_OFFSETS.items(), key=lambda kv: -kv[1]):
        if value > offset:
            return f"{prefix}{value - offset}"
    return f"GDS{value}"


def geo_sample_uids(client: NCBIClient, config: HarvestConfig, window: Window) -> list[int]:
    """gds UIDs of the GSMs in ``window`` matching :func:`geo_term`, paging esearch by 10,000.

    Only GSM UIDs are kept (the query asks for samples, but gds results can mix types).
    """
    term = geo_term(config)
    uids: list[int] = []
    retstart, count = 0, None
    while count is None or retstart < count:
        page = esearch(
            client,
            "gds",
            term,
            datetype=config.datetype,
            mindate=window.mindate,
            maxdate=window.maxdate,
            usehistory=False,
            retstart=retstart,
            retmax=ESEARCH_PAGE,
        )
        count = page.count
        if not page.ids:
            break
        uids.extend(int(i) for i in page.ids)
        retstart += len(page.ids)
    gsm = UID_OFFSETS["GSM"]
    return list(dict.fromkeys(u for u in uids if u > gsm))


def fetch_miniml(client: NCBIClient, accession: str, targ: str = "self") -> bytes:
    """One MINiML document from GEO ``acc.cgi`` (``form=xml``, ``view=brief``); follows 301.

    ``targ="self"`` gives the accession itself; ``targ="gsm"`` on a GSE gives all its samples.

    Raises:
        NCBIError: GEO answered without a MINiML document (unknown or private accession).
    """
    params = {"acc": accession, "targ": targ, "form": "xml", "view": "brief"}
    body = client.get(client.config.geo_base, params)
    if b"<MINiML" not in body[:4096]:
        head = " ".join(body[:120].decode("utf-8", "replace").split())
        raise NCBIError(f"geo acc.cgi acc={accession}: no MINiML in answer ({head!r})")
    return body


def series_of(summary: Mapping[str, Any]) -> tuple[str, ...]:
    """The GSE accessions a gds esummary entry of a GSM names (``"gse": "56924;56926"``).

    >>> series_of({"gse": "56924;56926"}), series_of({"gse": ""}), series_of({"error": "x"})
    (('GSE56924', 'GSE56926'), (), ())
    """
    parts = str(summary.get("gse") or "").split(";")
    return tuple(dict.fromkeys(f"GSE{int(p)}" for p in (x.strip() for x in parts) if p.isdigit()))


def _series_number(gse: str) -> int:
    return int(gse[3:]) if gse[3:].isdigit() else 1 << 62


def choose_series(
    candidates: Mapping[str, Sequence[str]], min_share: int = MIN_SERIES_SHARE
) -> dict[str, tuple[str, ...]]:
    """Which series to fetch, and which GSMs each must deliver: ``{GSE: (GSM, ...)}``.

    ``candidates`` maps each GSM of the batch to the series that contain it (several for
    SuperSeries). Greedy cover: take the series holding the most GSMs not yet assigned (ties:
    the lower GSE number, usually the SubSeries, so the smaller document), assign them to it,
    repeat while a series holds at least ``min_share`` of them. Every series is chosen at most
    once and every GSM assigned to at most one series; GSMs left out are fetched one by one.

    >>> choose_series({"GSM1": ["GSE1"], "GSM2": ["GSE1", "GSE9"], "GSM3": ["GSE9"],
    ...                "GSM4": ["GSE9"], "GSM5": ["GSE5"], "GSM6": []})
    {'GSE9': ('GSM2', 'GSM3', 'GSM4')}
    >>> choose_series({"GSM1": ["GSE7", "GSE3"], "GSM2": ["GSE3", "GSE7"]})
    {'GSE3': ('GSM1', 'GSM2')}
    """
    chosen: dict[str, tuple[str, ...]] = {}
    assigned: set[str] = set()
    while True:
        cover: dict[str, list[str]] = {}
        for gsm, gses in candidates.items():
            if gsm not in assigned:
                for gse in dict.fromkeys(gses):
                    cover.setdefault(gse, []).append(gsm)
        if not cover:
            return chosen
        best = max(cover, key=lambda g: (len(cover[g]), -_series_number(g)))
        if len(cover[best]) < max(1, min_share):
            return chosen
        chosen[best] = tuple(cover[best])
        assigned.update(cover[best])


def keep_samples(miniml: bytes, keep: Iterable[str]) -> tuple[bytes, tuple[str, ...]]:
    """Trim a MINiML document to the ``Sample`` elements whose ``iid`` is in ``keep``.

    Everything else (Platforms, the Series and its ``Sample-Ref`` list, Contributors) stays.
    Returns the document (the input itself when nothing was removed) and the GSMs it holds.

    >>> doc = (b'<MINiML xmlns="http://www.ncbi.nlm.nih.gov/geo/info/MINiML">'
    ...        b'<Sample iid="GSM1"/><Sample iid="GSM2"/><Series iid="GSE1"/></MINiML>')
    >>> body, held = keep_samples(doc, {"GSM2", "GSM3"})
    >>> held, body.count(b"<Sample "), b"GSE1" in body
    (('GSM2',), 1, True)
    """
    wanted = {k.strip().upper() for k in keep}
    root = etree.fromstring(miniml, etree.XMLParser(**_SAFE_XML))
    held: list[str] = []
    removed = False
    for sample in [el for el in root if isinstance(el.tag, str) and _local(el.tag) == "Sample"]:
        iid = (sample.get("iid") or "").strip().upper()
        if iid in wanted and iid not in held:
            held.append(iid)
        else:
            root.remove(sample)
            removed = True
    if not removed:
        return miniml, tuple(held)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), tuple(held)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def gsm_series(client: NCBIClient, gsms: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each GSM's series from gds esummary (JSON, <= 500 uids per call, POST above 200).

    A GSM the answer lacks, or answers with an ``error`` entry, gets ``()``.
    """
    out: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(gsms), MAX_RETMAX):
        part = list(gsms[start : start + MAX_RETMAX])
        uids = [str(accession_to_uid(gsm)) for gsm in part]
        docs = esummary(client, "gds", uids)
        for gsm, uid in zip(part, uids):
            out[gsm] = series_of(docs.get(uid) or {})
    return out


def fetch_samples(client: NCBIClient, gsms: Sequence[str]) -> list[bytes]:
    """MINiML documents holding exactly the GSMs ``gsms``, each once, about one request per series.

    1. one gds esummary for the GSMs (:func:`gsm_series`) names the series of each;
    2. :func:`choose_series` picks the series to fetch (each once); one ``acc.cgi`` request
       per series with ``targ=gsm`` (:func:`fetch_miniml`) returns all its samples;
    3. each series document is trimmed by :func:`keep_samples` to the GSMs assigned to it;
    4. every GSM still missing (no series in esummary, a series covering only it, absent from
       its series document, or a failed esummary/series request) is fetched alone.

    Extra samples of a series are removed, not loaded: they may lie outside the window or the
    query (another platform or organism), another batch may plan them too, and the flow counts
    the records each batch loads; so a batch yields the records of its planned GSMs, no more.
    Batches of fewer than :data:`MIN_SERIES_SHARE` GSMs skip esummary (one request per GSM).

    Raises:
        NCBIError: GEO refused a GSM fetched alone (private or withdrawn).
        FetchError: a GSM fetched alone failed after the client's retries.
    """
    wanted = list(dict.fromkeys(g.strip().upper() for g in gsms))
    bodies: list[bytes] = []
    found: set[str] = set()
    if len(wanted) >= MIN_SERIES_SHARE:
        try:
            candidates = gsm_series(client, wanted)
        except FetchError as exc:
            log.warning("geo esummary failed, fetching %d GSMs one by one: %s", len(wanted), exc)
            candidates = {}
        for gse, members in choose_series(candidates).items():
            try:
                body, held = keep_samples(fetch_miniml(client, gse, targ="gsm"), members)
            except (FetchError, etree.XMLSyntaxError) as exc:
                log.warning("geo series %s failed, fetching its GSMs one by one: %s", gse, exc)
                continue
            if held:
                bodies.append(body)
                found.update(held)
    bodies.extend(fetch_miniml(client, gsm) for gsm in wanted if gsm not in found)
    return bodies
