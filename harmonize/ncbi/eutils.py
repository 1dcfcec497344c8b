"""E-utilities calls: esearch (with history), efetch by history slice or by ids, esummary, elink.

All functions take an :class:`~harmonize.ncbi.http.NCBIClient` and return bytes or plain data;
the client does rate limiting, retries and error detection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harmonize.errors import NCBIError
from harmonize.ncbi.detect import HistoryExpiredError
from harmonize.ncbi.http import NCBIClient

log = logging.getLogger("harmonize.ncbi")

#: E-utilities hard limit for efetch/esummary batches used here.
MAX_RETMAX = 500
#: Above this many ids, send them in a POST body instead of the URL.
POST_ABOVE = 200
#: How many times one efetch re-runs an expired search before giving up.
MAX_HISTORY_REFRESH = 2


@dataclass
class SearchResult:
    """An esearch answer, plus the query that produced it (to re-run it when history expires).

    ``webenv``/``query_key``/``count`` are updated in place when :func:`efetch` re-runs the
    search, so later batches of the same plan use the fresh history; ``first_count`` keeps the
    count the plan was cut from.
    """

    count: int
    webenv: str | None
    query_key: str | None
    ids: tuple[str, ...]
    db: str = ""
    term: str = ""
    datetype: str | None = None
    mindate: str | None = None
    maxdate: str | None = None
    first_count: int | None = None

    def __post_init__(self) -> None:
        if self.first_count is None:
            self.first_count = self.count

    @property
    def drift(self) -> int:
        """How many records the result gained or lost since it was first searched."""
        return abs(self.count - (self.first_count if self.first_count is not None else self.count))


def _url(client: NCBIClient, utility: str) -> str:
    return f"{client.config.eutils_base}{utility}.fcgi"


def _json(body: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise NCBIError(f"{what}: not json ({exc})") from None
    if not isinstance(doc, dict):
        raise NCBIError(f"{what}: unexpected json {type(doc).__name__}")
    return doc


def parse_esearch(
    doc: Mapping[str, Any], what: str = "esearch"
) -> tuple[int, str | None, str | None, tuple[str, ...]]:
    """``(count, webenv, query_key, ids)`` from an esearch JSON document.

    A Count 0 answer with ``phrasesnotfound`` is an empty result, not an error.
    """
    result = doc.get("esearchresult")
    if not isinstance(result, Mapping) or "count" not in result:
        raise NCBIError(f"{what}: no esearchresult/count in answer")
    try:
        count = int(result["count"])
    except (TypeError, ValueError):
        raise NCBIError(f"{what}: bad count {result['count']!r}") from None
    ids = tuple(str(i) for i in result.get("idlist") or ())
    return count, result.get("webenv") or None, result.get("querykey") or None, ids


def esearch(
    client: NCBIClient,
    db: str,
    term: str,
    *,
    datetype: str | None = None,
    mindate: str | None = None,
    maxdate: str | None = None,
    usehistory: bool = True,
    retstart: int = 0,
    retmax: int | None = None,
) -> SearchResult:
    """Run esearch (JSON) and return the count, history handle and first ids.

    Args:
        client: the HTTP client.
        db: Entrez database (``sra``, ``gds``, ``biosample``...).
        term: the Entrez query.
        datetype: ``mdat``/``pdat``/``edat``; requires ``mindate`` and ``maxdate`` (YYYY/MM/DD).
        mindate: first day of the window, inclusive.
        maxdate: last day of the window, inclusive.
        usehistory: store the result on the history server (``WebEnv`` + ``query_key``).
        retstart: first id to return.
        retmax: ids to return (default: 0 with history, else 10000, the esearch maximum).
    """
    if (mindate is None) != (maxdate is None) or (mindate and not datetype):
        raise ValueError("esearch needs datetype, mindate and maxdate together")
    params: dict[str, Any] = {"db": db, "term": term, "retmode": "json", "retstart": retstart}
    params["retmax"] = retmax if retmax is not None else (0 if usehistory else 10000)
    if usehistory:
        params["usehistory"] = "y"
    if datetype:
        params.update(datetype=datetype, mindate=mindate, maxdate=maxdate)
    doc = _json(client.get(_url(client, "esearch"), params), f"esearch db={db} term={term!r}")
    count, webenv, query_key, ids = parse_esearch(doc, f"esearch db={db} term={term!r}")
    return SearchResult(count, webenv, query_key, ids, db, term, datetype, mindate, maxdate)


def _refresh(client: NCBIClient, search: SearchResult) -> None:
    """Re-run ``search`` and store the fresh history handle and count in it."""
    fresh = esearch(
        client,
        search.db,
        search.term,
        datetype=search.datetype,
        mindate=search.mindate,
        maxdate=search.maxdate,
    )
    search.webenv, search.query_key, search.count = fresh.webenv, fresh.query_key, fresh.count


def efetch(
    client: NCBIClient,
    db: str,
    search: SearchResult,
    retstart: int,
    retmax: int,
    *,
    rettype: str | None = None,
    retmode: str = "xml",
) -> bytes:
    """Fetch records ``[retstart, retstart + retmax)`` of a search through its history.

    When NCBI answers that the history (WebEnv/query_key) expired, the search is re-run and the
    slice fetched again. If the re-run found ``d`` more or fewer records than the search the plan
    was cut from, this and every later slice is widened by ``d`` on both sides so that records
    shifted by the change are not lost (duplicates are harmless: loading is idempotent by
    accession). A widened slice above 500 records is refused: re-plan the window.

    Raises:
        ValueError: ``retmax`` outside 1..500.
        NCBIError: the history could not be recovered, or any error from the client.
    """
    if not 1 <= retmax <= MAX_RETMAX:
        raise ValueError(f"retmax must be between 1 and {MAX_RETMAX}, got {retmax}")
    if search.webenv is None or search.query_key is None:
        ids = search.ids[retstart : retstart + retmax]
        if not ids:
            raise NCBIError(f"efetch db={db}: search {search.term!r} has no history and no ids")
        return efetch_ids(client, db, ids, rettype=rettype, retmode=retmode)
    for refresh in range(MAX_HISTORY_REFRESH + 1):
        webenv_before = search.webenv
        start = max(0, retstart - search.drift)
        size = retstart + retmax + search.drift - start
        if size > MAX_RETMAX:
            raise NCBIError(
                f"efetch db={db}: history expired and the search {search.term!r} changed"
                f" by {search.drift} records; re-plan the window"
            )
        params: dict[str, Any] = {
            "db": db,
            "WebEnv": webenv_before,
            "query_key": search.query_key,
            "retstart": start,
            "retmax": size,
            "retmode": retmode,
        }
        if rettype:
            params["rettype"] = rettype
        try:
            return client.get(_url(client, "efetch"), params)
        except HistoryExpiredError as exc:
            if refresh == MAX_HISTORY_REFRESH or not search.term:
                raise
            log.warning("ncbi history expired, re-running search %r: %s", search.term, exc)
            if search.webenv == webenv_before:  # another thread may have refreshed already
                _refresh(client, search)
    raise AssertionError("unreachable")  # pragma: no cover


def efetch_ids(
    client: NCBIClient,
    db: str,
    ids: Sequence[str],
    *,
    rettype: str | None = None,
    retmode: str = "xml",
) -> bytes:
    """Fetch records by UID or accession; POST when there are more than 200 ids."""
    if not ids:
        raise ValueError(f"efetch_ids db={db}: no ids given")
    params: dict[str, Any] = {"db": db, "id": ",".join(ids), "retmode": retmode}
    if rettype:
        params["rettype"] = rettype
    url = _url(client, "efetch")
    return client.post(url, params) if len(ids) > POST_ABOVE else client.get(url, params)


def esummary(client: NCBIClient, db: str, ids: Sequence[str]) -> dict[str, Any]:
    """Document summaries (JSON, at most 500 ids) as ``{uid: summary}``."""
    if not 1 <= len(ids) <= MAX_RETMAX:
        raise ValueError(f"esummary takes 1..{MAX_RETMAX} ids, got {len(ids)}")
    params = {"db": db, "id": ",".join(ids), "retmode": "json"}
    url = _url(client, "esummary")
    body = client.post(url, params) if len(ids) > POST_ABOVE else client.get(url, params)
    result = _json(body, f"esummary db={db}").get("result") or {}
    return {uid: result[uid] for uid in result.get("uids", ()) if uid in result}


def parse_elink(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{source id: [linked ids]}`` from an elink JSON document (``cmd=neighbor``)."""
    out: dict[str, list[str]] = {}
    for linkset in doc.get("linksets") or ():
        for source in linkset.get("ids") or ():
            links = out.setdefault(str(source), [])
            for linksetdb in linkset.get("linksetdbs") or ():
                links.extend(str(x) for x in linksetdb.get("links") or ())
    return out


def elink(
    client: NCBIClient,
    dbfrom: str,
    db: str,
    ids: Sequence[str],
    *,
    linkname: str | None = None,
) -> dict[str, list[str]]:
    """Linked UIDs per source UID (one ``id=`` per source so links stay attributable)."""
    params: dict[str, Any] = {"dbfrom": dbfrom, "db": db, "id": list(ids), "retmode": "json"}
    if linkname:
        params["linkname"] = linkname
    return parse_elink(_json(client.get(_url(client, "elink"), params), f"elink {dbfrom}->{db}"))
