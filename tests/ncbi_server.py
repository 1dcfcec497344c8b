"""A loopback NCBI stand-in: replays recorded E-utilities/GEO responses and injects scripted faults.

``ReplayServer`` is a real ``ThreadingHTTPServer`` on 127.0.0.1 (ephemeral port, background
thread, HTTP/1.1 keep-alive). It serves

* ``esearch.fcgi`` db=sra: the recorded SRP174132 usehistory JSON (byte-identical while the
  first WebEnv is live), or the same shape for another recorded EXPERIMENT_PACKAGE_SET;
  db=gds: the GSMs of the recorded GSE100007 MINiML family, in the shape of the recorded gds JSON;
* ``efetch.fcgi`` db=sra by WebEnv/query_key: the recorded EXPERIMENT_PACKAGE_SET sliced by
  retstart/retmax at EXPERIMENT_PACKAGE boundaries (the full slice is the file, byte for byte);
  db=biosample by ``id=`` (GET or POST): the recorded BioSample elements for those accessions;
* ``esummary.fcgi`` db=gds by ``id=`` (GET or POST): for exactly the uid of GSM1371490, its
  recorded JSON byte for byte; otherwise the same shape built per uid (constructed): the
  recorded GSM1371490 entry, or for a GSM served by ``acc.cgi`` the recorded entry's fields
  filled from that GSM's MINiML (title, source, platform, organism, release date, SRX) with
  ``"gse"`` from :attr:`ReplayState.gsm_series` (``"100007"`` for the family's GSMs, ``""`` for
  others), and ``{"uid": ..., "error": "cannot get document summary"}`` for an unknown uid;
* ``geo/query/acc.cgi``: one MINiML document per GSM (``targ=self``), cut from the recorded
  family file; ``acc=GSE100007&targ=gsm``: the recorded family file itself, all 52 samples.

Every request is logged with its arrival time (``time.monotonic()``). Faults are scripted per
endpoint (``esearch``, ``efetch``, ``esummary``, ``acc`` -- per-GSM and series requests alike)
and consumed one per request:
see :data:`FAULTS`. Bodies of error faults are the real recorded ones where a recording exists
(``errors/``), otherwise the ``constructed/`` files documented in ``tests/data/ncbi_replay``.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

REPLAY = Path(__file__).parent / "data" / "ncbi_replay"
SRP174132_EFETCH = "sra_efetch/sradbrs_SRP174132_efetch.xml"
SRP174132_ESEARCH = "eutils/sradbrs_esearch_sra_SRP174132_usehistory.json"
GDS_ESEARCH = "eutils/sradbrs_esearch_gds_GSE56924.json"
GDS_ESUMMARY = "eutils/sradbrs_esummary_gds_GSM1371490.json"
FAMILY_GSE = "GSE100007"
MINIML_FAMILY = "geo_miniml/pavlidis_GSE100007_family.xml"
MINIML_NS = "http://www.ncbi.nlm.nih.gov/geo/info/MINiML"
EMPTY_ESEARCH = "eutils/q2fondue_esearch_empty_phrasesnotfound.json"
BIOSAMPLE_HEAD = b'<?xml version="1.0" encoding="UTF-8"  ?>\n<BioSampleSet>'

_PACKAGE = re.compile(rb"<EXPERIMENT_PACKAGE>.*?</EXPERIMENT_PACKAGE>", re.DOTALL)
_BIOSAMPLE = re.compile(rb"<BioSample\s[^>]*?accession=\"([A-Z0-9]+)\".*?</BioSample>", re.DOTALL)

#: Scriptable faults. ``429:N`` adds ``Retry-After: N``; ``429-date:N`` gives it as an HTTP date.
FAULTS = (
    "429", "429:N", "429-date:N", "500", "502", "503", "reset", "close", "truncate", "backend",
    "route", "route503", "ratelimit200", "cxx", "expire", "redirect", "400", "invalid-db",
    "noid", "notpublic", "empty", "toomany",
)


def read(rel: str) -> bytes:
    """Bytes of a replay file."""
    return (REPLAY / rel).read_bytes()


@dataclass
class Logged:
    """One request as the server saw it."""

    t: float
    method: str
    path: str
    endpoint: str
    params: dict[str, list[str]]
    fault: str | None
    status: int = 0


@dataclass
class SraDataset:
    """An EXPERIMENT_PACKAGE_SET split at package boundaries, keeping every byte."""

    prefix: bytes
    packages: list[bytes]
    separators: list[bytes]
    suffix: bytes

    @classmethod
    def load(cls, rel: str) -> SraDataset:
        raw = read(rel)
        spans = [m.span() for m in _PACKAGE.finditer(raw)]
        packages = [raw[a:b] for a, b in spans]
        separators = [raw[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)]
        return cls(raw[: spans[0][0]], packages, separators, raw[spans[-1][1] :])

    def slice(self, start: int, stop: int) -> bytes:
        stop = min(stop, len(self.packages))
        parts = [self.prefix]
        for i in range(start, stop):
            parts.append(self.packages[i])
            if i + 1 < stop:
                parts.append(self.separators[i])
        parts.append(self.suffix)
        return b"".join(parts)


def miniml_per_sample(rel: str = MINIML_FAMILY) -> dict[str, bytes]:
    """One MINiML document per GSM of a family file: the Sample plus its Platform, as acc.cgi."""
    root = etree.fromstring(read(rel))
    platforms = {p.get("iid"): p for p in root.findall(f"{{{MINIML_NS}}}Platform")}
    docs: dict[str, bytes] = {}
    for sample in root.findall(f"{{{MINIML_NS}}}Sample"):
        doc = etree.Element(f"{{{MINIML_NS}}}MINiML", nsmap=root.nsmap, attrib=dict(root.attrib))
        ref = sample.find(f"{{{MINIML_NS}}}Platform-Ref")
        if ref is not None and ref.get("ref") in platforms:
            doc.append(_copy(platforms[ref.get("ref")]))
        doc.append(_copy(sample))
        docs[sample.get("iid")] = etree.tostring(doc, xml_declaration=True, encoding="UTF-8")
    return docs


def _copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def family_series(rel: str = MINIML_FAMILY) -> dict[str, str]:
    """GSM -> the number of the Series that lists it (``Sample-Ref``) in a family file."""
    root = etree.fromstring(read(rel))
    out: dict[str, str] = {}
    for series in root.findall(f"{{{MINIML_NS}}}Series"):
        number = (series.get("iid") or "").removeprefix("GSE")
        for ref in series.findall(f"{{{MINIML_NS}}}Sample-Ref"):
            out.setdefault(ref.get("ref"), number)
    return out


def gds_summary(uid: str, doc: bytes, gse: str, template: dict) -> dict:
    """A gds esummary entry for the GSM of a MINiML ``doc``, in the shape of ``template``."""
    ns = f"{{{MINIML_NS}}}"
    sample = etree.fromstring(doc).find(f"{ns}Sample")
    entry = json.loads(json.dumps(template))

    def text(path: str) -> str:
        found = sample.find(path)
        return (found.text or "").strip() if found is not None else ""

    ref = sample.find(f"{ns}Platform-Ref")
    released = text(f"{ns}Status/{ns}Release-Date")
    srx = [re.search(r"SRX\d+", r.get("target", "")) for r in sample.findall(f"{ns}Relation")]
    entry.update(
        uid=uid, accession=sample.get("iid"), title=text(f"{ns}Title"),
        summary=text(f"{ns}Channel/{ns}Source"), gse=gse,
        gpl=(ref.get("ref") or "").removeprefix("GPL") if ref is not None else "",
        taxon=text(f"{ns}Channel/{ns}Organism"), pdat=released.replace("-", "/"),
        extrelations=[
            {"relationtype": "SRA", "targetobject": m.group(0), "targetftplink":
             f"ftp://ftp-trace.ncbi.nlm.nih.gov/sra/sra-instant/reads/ByExp/sra/SRX/"
             f"{m.group(0)[:6]}/{m.group(0)}/"} for m in srx if m],
    )
    return entry


def biosamples() -> dict[str, bytes]:
    """Raw ``<BioSample>`` elements of every recorded BioSample file, by accession."""
    out: dict[str, bytes] = {}
    for path in sorted((REPLAY / "biosample").glob("*.xml")):
        for match in _BIOSAMPLE.finditer(path.read_bytes()):
            out.setdefault(match.group(1).decode(), match.group(0))
    return out


@dataclass
class ReplayState:
    """Everything the handler reads and writes, guarded by one lock."""

    sra: SraDataset
    sra_esearch_template: bytes
    gsm_docs: dict[str, bytes]
    biosamples: dict[str, bytes]
    #: acc.cgi ``targ=gsm`` answers by GSE accession.
    series_docs: dict[str, bytes] = field(default_factory=dict)
    #: esummary ``"gse"`` by GSM (GSMs absent here answer ``""``).
    gsm_series: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: list[Logged] = field(default_factory=list)
    faults: dict[str, deque[str | None]] = field(default_factory=dict)
    webenv_serial: int = 0
    live_webenvs: set[str] = field(default_factory=set)
    recorded_webenv: str = ""

    def next_fault(self, endpoint: str) -> str | None:
        with self.lock:
            queue = self.faults.get(endpoint)
            return queue.popleft() if queue else None


class ReplayServer:
    """Start with ``with ReplayServer() as server:``; point a config at ``server.eutils_base``."""

    def __init__(self, sra_file: str = SRP174132_EFETCH):
        template = read(SRP174132_ESEARCH)
        self.state = ReplayState(
            sra=SraDataset.load(sra_file),
            sra_esearch_template=template,
            gsm_docs=miniml_per_sample(),
            biosamples=biosamples(),
            series_docs={FAMILY_GSE: read(MINIML_FAMILY)},
            gsm_series=family_series(),
            recorded_webenv=json.loads(template)["esearchresult"]["webenv"],
        )
        self.sra_file = sra_file
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.state = self.state  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def root(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def eutils_base(self) -> str:
        return f"{self.root}/entrez/eutils/"

    @property
    def geo_base(self) -> str:
        return f"{self.root}/geo/query/acc.cgi"

    # -- scripting and inspection ---------------------------------------------------------------

    def script(self, endpoint: str, *faults: str | None) -> None:
        """Queue faults for the next requests to ``endpoint`` (``None`` = answer normally)."""
        with self.state.lock:
            self.state.faults.setdefault(endpoint, deque()).extend(faults)

    def expire_history(self) -> None:
        """Forget every WebEnv handed out so far."""
        with self.state.lock:
            self.state.live_webenvs.clear()

    def drop_front(self, n: int) -> None:
        """Withdraw the first ``n`` packages upstream (e.g. suppressed) and expire every WebEnv."""
        with self.state.lock:
            sra = self.state.sra
            kept = SraDataset(sra.prefix, sra.packages[n:], sra.separators[n:], sra.suffix)
            self.state.sra = kept
            self.state.live_webenvs.clear()

    def requests(self, endpoint: str | None = None) -> list[Logged]:
        """The request log (optionally of one endpoint), in arrival order."""
        with self.state.lock:
            return [r for r in self.state.log if endpoint is None or r.endpoint == endpoint]

    @property
    def package_count(self) -> int:
        return len(self.state.sra.packages)


_ENDPOINTS = {
    "/entrez/eutils/esearch.fcgi": "esearch",
    "/entrez/eutils/efetch.fcgi": "efetch",
    "/entrez/eutils/esummary.fcgi": "esummary",
    "/geo/query/acc.cgi": "acc",
    "/geo/query/moved/acc.cgi": "acc",
}
_XML = "text/xml; charset=UTF-8"
_JSON = "application/json; charset=UTF-8"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Finatra"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    # -- entry points --------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle("GET", b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle("POST", self.rfile.read(length))

    def _handle(self, method: str, body: bytes) -> None:
        arrived = time.monotonic()
        state: ReplayState = self.server.state  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
        endpoint = _ENDPOINTS.get(url.path, "unknown")
        fault = state.next_fault(endpoint)
        entry = Logged(arrived, method, url.path, endpoint, params, fault)
        self._entry = entry
        with state.lock:
            state.log.append(entry)
        if fault == "expire":
            with state.lock:
                state.live_webenvs.clear()
            fault = None
        if fault:
            self._fault(fault, endpoint)
            return
        route = {
            "esearch": self._esearch,
            "efetch": self._efetch,
            "esummary": self._esummary,
            "acc": self._acc,
        }.get(endpoint)
        if route is None:
            self._send(404, b"not found\n", "text/plain")
            return
        route(state, {k: v[-1] for k, v in params.items()} | {"id": _ids(params)})

    # -- responses -----------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> int:
        self._entry.status = status
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-RateLimit-Limit", "3")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        return status

    def _fault(self, fault: str, endpoint: str) -> int:
        kind, _, arg = fault.partition(":")
        rate_429 = read("errors/issue_rentrez132_http429_rate_limit.json")
        if kind == "429":
            headers = {"Retry-After": arg} if arg else {}
            return self._send(429, rate_429, _JSON, headers)
        if kind == "429-date":
            when = datetime.now(timezone.utc) + timedelta(seconds=float(arg))
            headers = {"Retry-After": format_datetime(when, usegmt=True)}
            return self._send(429, rate_429, _JSON, headers)
        if kind in ("500", "502", "503"):
            return self._send(int(kind), read("constructed/http5xx_gateway.html"), "text/html")
        if kind == "reset":
            return self._reset()
        if kind == "close":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return 0
        if kind == "truncate":
            full = self._normal_body(endpoint)
            ctype = _JSON if endpoint == "esummary" else _XML
            return self._send(200, full[: len(full) // 2], ctype)
        simple = {
            "backend": (200, "errors/issue_refinebio1390_esearch_search_backend_failed.xml", _XML),
            "route": (200, "constructed/routing_failure.txt", "text/plain"),
            "route503": (503, "constructed/routing_failure.txt", "text/plain"),
            "ratelimit200": (200, "errors/issue_rentrez132_http429_rate_limit.json", _JSON),
            "cxx": (200, "constructed/esummary_cxx_exception.json", _JSON),
            "400": (400, "constructed/http400_empty_id_list.json", _JSON),
            "invalid-db": (200, "constructed/epost_invalid_db.xml", _XML),
            "noid": (200, "errors/biopython_esummary_error_no_id.xml", _XML),
            "notpublic": (200, "errors/pavlidis_SRX835000_not_public.xml", _XML),
            "empty": (200, "eutils/q2fondue_esearch_empty_phrasesnotfound.json", _JSON),
            "toomany": (200, "errors/issue_sraexplorer1_esummary_json_too_many_uids.json", _JSON),
        }
        if kind == "redirect":
            target = self.path.replace("/geo/query/acc.cgi", "/geo/query/moved/acc.cgi", 1)
            return self._send(301, b"moved\n", "text/html", {"Location": target})
        status, rel, ctype = simple[kind]
        return self._send(status, read(rel), ctype)

    def _normal_body(self, endpoint: str) -> bytes:
        state: ReplayState = self.server.state  # type: ignore[attr-defined]
        if endpoint == "acc":
            return next(iter(state.gsm_docs.values()))
        if endpoint == "esummary":
            return read(GDS_ESUMMARY)
        return state.sra.slice(0, len(state.sra.packages))

    def _reset(self) -> int:
        """Headers promising the full body, half of it, then an abortive close (RST)."""
        state: ReplayState = self.server.state  # type: ignore[attr-defined]
        body = state.sra.slice(0, len(state.sra.packages))
        self._entry.status = 200
        self.send_response(200)
        self.send_header("Content-Type", _XML)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        return 200

    # -- endpoints -----------------------------------------------------------------------------

    def _esearch(self, state: ReplayState, p: dict) -> int:
        db = p.get("db")
        retstart = int(p.get("retstart") or 0)
        if db == "gds":
            uids = [str(300_000_000 + int(acc[3:])) for acc in state.gsm_docs]
            retmax = int(p.get("retmax") or 20)
            doc = json.loads(read(GDS_ESEARCH))
            res = doc["esearchresult"]
            res.update(count=str(len(uids)), retmax=str(len(uids[retstart : retstart + retmax])))
            res.update(retstart=str(retstart), idlist=uids[retstart : retstart + retmax])
            res["querytranslation"] = p.get("term", "")
            res["translationstack"] = []
            return self._send(200, json.dumps(doc, separators=(",", ":")).encode(), _JSON)
        if db != "sra":
            return self._send(200, read(EMPTY_ESEARCH), _JSON)
        with state.lock:
            if state.webenv_serial == 0:
                webenv = state.recorded_webenv
            else:
                webenv = f"MCID_{state.webenv_serial:024x}"
            state.webenv_serial += 1
            state.live_webenvs.add(webenv)
        template = state.sra_esearch_template
        doc = json.loads(template)
        count = len(state.sra.packages)
        if webenv == state.recorded_webenv and int(doc["esearchresult"]["count"]) == count:
            return self._send(200, template, _JSON)  # the recording, byte for byte
        res = doc["esearchresult"]
        ids = [str(7_000_000 + i) for i in range(count)][retstart : retstart + 20]
        res.update(count=str(count), retmax=str(len(ids)), webenv=webenv, idlist=ids)
        return self._send(200, json.dumps(doc, separators=(",", ":")).encode(), _JSON)

    def _efetch(self, state: ReplayState, p: dict) -> int:
        db = p.get("db")
        if db == "biosample":
            found = [state.biosamples[a] for a in p["id"] if a in state.biosamples]
            body = BIOSAMPLE_HEAD + b"\n".join(found) + b"</BioSampleSet>\n"
            return self._send(200, body, _XML)
        if db != "sra":
            return self._send(200, read("constructed/epost_invalid_db.xml"), _XML)
        if not p.get("WebEnv"):
            return self._send(400, read("constructed/http400_empty_id_list.json"), _JSON)
        with state.lock:
            live = p["WebEnv"] in state.live_webenvs
        if not live:
            return self._send(200, read("constructed/efetch_history_expired.xml"), _XML)
        start = int(p.get("retstart") or 0)
        stop = start + int(p.get("retmax") or 20)
        return self._send(200, state.sra.slice(start, stop), _XML)

    def _esummary(self, state: ReplayState, p: dict) -> int:
        if not p["id"]:
            return self._send(200, read("errors/biopython_esummary_error_no_id.xml"), _XML)
        recorded = json.loads(read(GDS_ESUMMARY))
        if p["id"] == recorded["result"]["uids"]:
            return self._send(200, read(GDS_ESUMMARY), _JSON)  # the recording, byte for byte
        template = recorded["result"][recorded["result"]["uids"][0]]
        uids = list(dict.fromkeys(p["id"]))
        result: dict = {"uids": uids}
        with state.lock:
            docs, series = dict(state.gsm_docs), dict(state.gsm_series)
        for uid in uids:
            gsm = f"GSM{int(uid) - 300_000_000}" if uid.isdigit() else ""
            if uid in recorded["result"]:
                result[uid] = recorded["result"][uid]
            elif gsm in docs:
                result[uid] = gds_summary(uid, docs[gsm], series.get(gsm, ""), template)
            else:
                result[uid] = {"uid": uid, "error": "cannot get document summary"}
        doc = {"header": recorded["header"], "result": result}
        return self._send(200, json.dumps(doc, separators=(",", ":")).encode(), _JSON)

    def _acc(self, state: ReplayState, p: dict) -> int:
        acc = p.get("acc", "")
        if p.get("targ") == "gsm" and acc in state.series_docs:
            return self._send(200, state.series_docs[acc], _XML)
        doc = state.gsm_docs.get(acc)
        if doc is None:
            page = b"<html><body>Could not find a public or private accession</body></html>\n"
            return self._send(200, page, "text/html")
        return self._send(200, doc, _XML)


def _ids(params: dict[str, list[str]]) -> list[str]:
    """Every id of repeated and comma-separated ``id=`` parameters."""
    return [i for value in params.get("id", ()) for i in value.split(",") if i]


def fast_config(server: "ReplayServer", **overrides):
    """A harvest config for this server: fast rate and short backoff (not the subject of a test)."""
    from harmonize.ncbi.config import HarvestConfig

    base = dict(
        eutils_base=server.eutils_base,
        geo_base=server.geo_base,
        email="curator@example.org",
        rate_limit=1000.0,
        backoff_base=0.01,
        backoff_cap=0.05,
        max_retries=6,
        timeout=10.0,
    )
    return HarvestConfig(**(base | overrides))
