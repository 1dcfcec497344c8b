"""GEO access: gds UID <-> accession arithmetic, GSM searches by window, MINiML from acc.cgi.

Example:
    >>> accession_to_uid("GSM1371490"), uid_to_accession(200056924)
    (301371490, 'GSE56924')
"""

from __future__ import annotations

import re

from harmonize.errors import NCBIError
from harmonize.ncbi.config import HarvestConfig
from harmonize.ncbi.eutils import esearch
from harmonize.ncbi.http import NCBIClient
from harmonize.ncbi.planning import Window, geo_term

#: gds UIDs encode the entry type: GPL n -> 1e8 + n, GSE n -> 2e8 + n, GSM n -> 3e8 + n.
UID_OFFSETS = {"GPL": 100_000_000, "GSE": 200_000_000, "GSM": 300_000_000}
_ACCESSION = re.compile(r"^(GPL|GSE|GSM|GDS)(\d+)$")
#: esearch returns at most this many ids per call.
ESEARCH_PAGE = 10_000


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

    Raises:
        NCBIError: GEO answered without a MINiML document (unknown or private accession).
    """
    params = {"acc": accession, "targ": targ, "form": "xml", "view": "brief"}
    body = client.get(client.config.geo_base, params)
    if b"<MINiML" not in body[:4096]:
        head = " ".join(body[:120].decode("utf-8", "replace").split())
        raise NCBIError(f"geo acc.cgi acc={accession}: no MINiML in answer ({head!r})")
    return body
