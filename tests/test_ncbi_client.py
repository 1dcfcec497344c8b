"""The NCBI client against a loopback server that replays recorded responses and injects faults."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from ncbi_server import REPLAY, SRP174132_EFETCH, ReplayServer, read
from ncbi_server import fast_config as _fast_config

from harmonize.errors import ConfigError, FetchError, NCBIError
from harmonize.ncbi import (
    HarvestConfig,
    HistoryExpiredError,
    NCBIClient,
    RateLimiter,
    detect_error,
    efetch,
    efetch_ids,
    esearch,
    esummary,
    fetch_miniml,
    load_config,
    shared_limiter,
)
from harmonize.ncbi.eutils import parse_elink
from harmonize.ncbi.http import parse_retry_after

SECRET = "0123456789abcdefSECRETKEY"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def server():
    with ReplayServer() as srv:
        yield srv


def fast_config(server: ReplayServer, **overrides) -> HarvestConfig:
    """The shared fast config with fewer retries (these tests count attempts)."""
    return _fast_config(server, **({"max_retries": 4} | overrides))


def max_in_window(times: list[float], width: float = 1.0) -> int:
    """The largest number of arrivals inside any half-open window ``[t, t + width)``."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def fetch_all(client: NCBIClient, db: str = "sra"):
    search = esearch(client, db, "SRP174132[All Fields]")
    return search, efetch(client, db, search, 0, search.count)


# -- detect_error on every recorded body ------------------------------------------------------

ERROR_FIXTURES = {
    "errors/biopython_esummary_error_no_id.xml": False,
    "errors/issue_refinebio1390_esearch_search_backend_failed.xml": True,
    "errors/issue_rentrez132_http429_rate_limit.json": True,
    "errors/issue_sraexplorer1_esummary_json_too_many_uids.json": False,
    "errors/pavlidis_SRX835000_not_public.xml": False,
    "constructed/routing_failure.txt": True,
    "constructed/esummary_cxx_exception.json": True,
    "constructed/epost_invalid_db.xml": False,
    "constructed/http400_empty_id_list.json": False,
}
GOOD_FIXTURES = sorted(
    str(p.relative_to(REPLAY))
    for sub in ("eutils", "sra_efetch", "biosample", "geo_miniml")
    for p in (REPLAY / sub).iterdir()
)


@pytest.mark.parametrize("rel,transient", sorted(ERROR_FIXTURES.items()))
def test_detect_error_classifies_every_error_body(rel, transient):
    ctype = "application/json" if rel.endswith(".json") else "text/xml"
    err = detect_error(read(rel), ctype)
    assert isinstance(err, NCBIError)
    assert err.transient is transient
    assert not isinstance(err, HistoryExpiredError)
    assert "\n" not in str(err) and str(err)


@pytest.mark.parametrize("rel", GOOD_FIXTURES)
def test_detect_error_passes_every_good_body_and_flags_it_truncated(rel):
    body = read(rel)
    ctype = "application/json" if rel.endswith(".json") else "text/xml"
    assert detect_error(body, ctype) is None
    cut = detect_error(body[: len(body) // 2], ctype)
    assert cut is not None and cut.transient, rel


SHARED_RECORDS = sorted(
    p
    for sub in ("sra_efetch", "biosample", "geo_miniml", "geo_soft")
    for p in (REPLAY.parent / "ncbi" / sub).glob("*")
    if p.suffix in (".xml", ".soft")
)


@pytest.mark.parametrize("path", SHARED_RECORDS, ids=lambda p: p.name)
def test_detect_error_has_no_false_alarm_on_real_records(path):
    """Every real record file in tests/data/ncbi (copied by the parser work) passes as usable."""
    ctype = "text/xml" if path.suffix == ".xml" else "text/plain"
    assert detect_error(path.read_bytes(), ctype) is None


def test_detect_error_trusts_the_body_over_the_header():
    backend = read("errors/issue_refinebio1390_esearch_search_backend_failed.xml")
    assert detect_error(backend, "application/json").transient  # xml error, json header
    assert detect_error(b'{"error":"API rate limit exceeded"}', "text/html").transient
    assert detect_error(read("constructed/http5xx_gateway.html"), "text/html").transient
    assert detect_error(b"<html><body>GSM1 not found</body></html>", "text/html") is None


def test_detect_error_expired_history_and_empty_bodies():
    expired = detect_error(read("constructed/efetch_history_expired.xml"), "text/xml")
    assert isinstance(expired, HistoryExpiredError)
    assert detect_error(b"", "text/xml").transient
    assert detect_error(b"   \n", None).transient
    # count 0 / PhraseNotFound is an empty result, not an error (JSON and XML forms)
    empty = read("eutils/q2fondue_esearch_empty_phrasesnotfound.json")
    assert detect_error(empty, "application/json") is None
    xml = (
        b"<eSearchResult><Count>0</Count><RetMax>0</RetMax><IdList/><ErrorList>"
        b"<PhraseNotFound>SRX0</PhraseNotFound></ErrorList></eSearchResult>"
    )
    assert detect_error(xml, "text/xml") is None


# -- faults are survived ----------------------------------------------------------------------

TRANSIENT_FAULTS = [
    "429", "500", "502", "503", "reset", "close", "truncate", "backend", "route", "route503",
    "ratelimit200",
]


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
def test_each_transient_fault_is_survived(server, fault):
    server.script("efetch", fault, fault)
    with NCBIClient(fast_config(server)) as client:
        search, body = fetch_all(client)
    assert body == read(SRP174132_EFETCH)
    fetches = server.requests("efetch")
    assert [r.fault for r in fetches] == [fault, fault, None]
    assert search.count == 10


def test_esummary_cpp_exception_in_http_200_is_retried(server):
    server.script("esummary", "cxx")
    with NCBIClient(fast_config(server)) as client:
        docs = esummary(client, "gds", ["301371490"])
    assert docs["301371490"]["accession"] == "GSM1371490"
    assert docs["301371490"]["extrelations"][0]["targetobject"] == "SRX522504"
    assert [r.fault for r in server.requests("esummary")] == ["cxx", None]


def test_esearch_backend_failure_is_retried(server):
    server.script("esearch", "backend", "503")
    with NCBIClient(fast_config(server)) as client:
        search = esearch(client, "sra", "SRP174132[All Fields]")
    assert (search.count, search.query_key) == (10, "1")
    assert len(server.requests("esearch")) == 3


@pytest.mark.parametrize(
    "fault,endpoint",
    [
        ("400", "efetch"),
        ("invalid-db", "efetch"),
        ("notpublic", "efetch"),
        ("noid", "esummary"),
        ("toomany", "esummary"),
    ],
)
def test_permanent_errors_are_not_retried(server, fault, endpoint):
    server.script(endpoint, fault)
    with NCBIClient(fast_config(server)) as client, pytest.raises(NCBIError) as info:
        if endpoint == "efetch":
            fetch_all(client)
        else:
            esummary(client, "gds", ["301371490"])
    assert info.value.transient is False
    assert len(server.requests(endpoint)) == 1
    assert server.eutils_base in str(info.value)


def test_retries_stop_after_max_retries_with_one_line_error(server, caplog):
    cfg = fast_config(server, max_retries=3, api_key=SECRET)
    server.script("efetch", *["503"] * 10)
    caplog.set_level(logging.INFO, logger="harmonize.ncbi")
    with NCBIClient(cfg) as client, pytest.raises(NCBIError) as info:
        fetch_all(client)
    message = str(info.value)
    assert len(server.requests("efetch")) == 4
    assert "\n" not in message and "http 503" in message and "efetch.fcgi" in message
    retries = [r for r in caplog.records if r.name == "harmonize.ncbi"]
    assert len(retries) == 3
    assert {r.levelno for r in retries} == {logging.INFO}  # shown with -v; the error says it once


def test_unreachable_server_is_a_fetch_error_naming_the_url():
    with ReplayServer() as gone:
        cfg = fast_config(gone, max_retries=2, api_key=SECRET)
    with NCBIClient(cfg) as client, pytest.raises(FetchError) as info:
        esearch(client, "sra", "SRP174132[All Fields]")
    message = str(info.value)
    assert not isinstance(info.value, NCBIError)
    host = gone.eutils_base.split("/")[2]
    assert f"cannot reach {host} (" in message and f"{gone.eutils_base}esearch.fcgi?" in message
    assert SECRET not in message and message.count("esearch.fcgi") == 1


@pytest.mark.parametrize("fault", ["close", "503", "400", "notpublic", "route"])
def test_api_key_never_appears_in_errors_or_logs(server, caplog, fault):
    cfg = fast_config(server, max_retries=1, api_key=SECRET)
    server.script("efetch", fault, fault)
    caplog.set_level(logging.DEBUG)
    with NCBIClient(cfg) as client, pytest.raises(FetchError) as info:
        fetch_all(client)
    assert SECRET not in str(info.value) and "api_key=REDACTED" in str(info.value)
    assert SECRET not in caplog.text
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert all(r.params["api_key"] == [SECRET] for r in server.requests())  # it was sent
    assert SECRET not in repr(cfg)


def test_every_eutils_request_carries_tool_and_email(server):
    cfg = fast_config(server)
    ids = [f"SAMN{n:08d}" for n in range(1, 230)] + ["SAMN04327149"]
    with NCBIClient(cfg) as client:
        fetch_all(client)
        esummary(client, "gds", ["301371490"])
        efetch_ids(client, "biosample", ids)  # POST
        efetch_ids(client, "biosample", ["SAMN04327149"])  # GET
        fetch_miniml(client, "GSM2667747")
    eutils = [r for r in server.requests() if r.endpoint != "acc"]
    assert len(eutils) == 5 and {r.method for r in eutils} == {"GET", "POST"}
    for r in eutils:
        assert r.params["tool"] == ["harmonize"] and r.params["email"] == ["curator@example.org"]
        assert "api_key" not in r.params
    geo = server.requests("acc")[0]
    assert geo.params["acc"] == ["GSM2667747"] and "tool" not in geo.params


def test_post_is_used_above_200_ids(server):
    with NCBIClient(fast_config(server)) as client:
        at_limit = [f"SAMN{n:08d}" for n in range(200)]
        above = at_limit + ["SAMN04327149"]
        small = efetch_ids(client, "biosample", at_limit)
        big = efetch_ids(client, "biosample", above)
    first, second = server.requests("efetch")
    assert (first.method, second.method) == ("GET", "POST")
    assert len(first.params["id"][0].split(",")) == 200
    assert len(second.params["id"][0].split(",")) == 201
    assert b"SAMN04327149" not in small and b'accession="SAMN04327149"' in big


# -- Retry-After and the rate limit, measured at the server ----------------------------------


@pytest.mark.parametrize("fault", ["429:1", "429-date:2"])
def test_retry_after_is_honoured(server, fault):
    server.script("efetch", fault)
    with NCBIClient(fast_config(server)) as client:
        _, body = fetch_all(client)
    assert body == read(SRP174132_EFETCH)
    first, second = server.requests("efetch")
    assert first.status == 429
    assert second.t - first.t >= 1.0  # backoff alone would wait at most 0.01 s


def test_a_429_makes_every_thread_sharing_the_limiter_wait(server):
    server.script("esummary", "429:1")
    cfg = fast_config(server, rate_limit=50.0)  # slow enough that the other thread is still busy

    def worker() -> None:
        with NCBIClient(cfg) as client:
            for _ in range(30):
                esummary(client, "gds", ["301371490"])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    log = server.requests()
    assert len(log) == 61 and log[0].status == 429
    t0 = log[0].t
    # only requests already in flight when the 429 arrived may land just after it
    assert not [r for r in log if t0 + 0.3 < r.t < t0 + 0.95]


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("") is None and parse_retry_after("later") is None


def test_default_rate_is_3_without_key_and_10_with_key(server):
    assert HarvestConfig().requests_per_second == 3.0
    assert HarvestConfig(api_key=SECRET).requests_per_second == 10.0
    with NCBIClient(fast_config(server, rate_limit=None)) as client:
        assert client.limiter(server.eutils_base).rate == 3.0
        assert client.limiter(server.eutils_base) is shared_limiter(server.root[7:], 3.0)


def test_rate_without_key_never_exceeds_3_per_second(server):
    with NCBIClient(fast_config(server, rate_limit=None)) as client:
        for _ in range(8):
            esummary(client, "gds", ["301371490"])
    times = [r.t for r in server.requests()]
    assert len(times) == 8
    assert max_in_window(times) <= 3


def test_rate_with_4_threads_sharing_the_limiter_never_exceeds_10_per_second(server):
    cfg = fast_config(server, rate_limit=None, api_key=SECRET)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with NCBIClient(cfg) as client:  # one session per thread, one limiter per process
                for _ in range(7):
                    esummary(client, "gds", ["301371490"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    times = [r.t for r in server.requests()]
    assert len(times) == 28
    assert max_in_window(times) <= 10


def test_rate_limiter_spacing_arithmetic():
    clock = [0.0]
    limiter = RateLimiter(4.0, slack=0.0, clock=lambda: clock[0], sleep=lambda s: None)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.5, 0.75, 1.0]
    limiter.hold(10.0)
    assert limiter.reserve() == 10.0


# -- history, redirects, misc endpoints ---------------------------------------------------------


def test_expired_webenv_reruns_the_search_and_fetches_the_same_slice(server):
    with NCBIClient(fast_config(server)) as client:
        search = esearch(client, "sra", "SRP174132[All Fields]")
        old = search.webenv
        server.expire_history()
        body = efetch(client, "sra", search, 0, 10)
    assert body == read(SRP174132_EFETCH)
    assert search.webenv != old
    assert [r.endpoint for r in server.requests()] == ["esearch", "efetch", "esearch", "efetch"]


def test_history_that_never_comes_back_raises(server):
    server.script("efetch", *["expire"] * 5)
    with NCBIClient(fast_config(server)) as client, pytest.raises(HistoryExpiredError):
        fetch_all(client)
    assert len(server.requests("efetch")) == 3  # first try + MAX_HISTORY_REFRESH re-runs


def test_empty_search_is_an_empty_result(server):
    server.script("esearch", "empty")
    with NCBIClient(fast_config(server)) as client:
        search = esearch(client, "sra", "ABCD123 OR SRR001")
    assert (search.count, search.ids) == (0, ())


def test_geo_acc_cgi_follows_301_and_returns_miniml(server):
    server.script("acc", "redirect")
    with NCBIClient(fast_config(server)) as client:
        body = fetch_miniml(client, "GSM2667750")
        with pytest.raises(NCBIError, match="GSM999999999"):
            fetch_miniml(client, "GSM999999999")
    first, second = server.requests("acc")[:2]
    assert first.status == 301 and second.path == "/geo/query/moved/acc.cgi"
    assert b"<Accession database=\"GEO\">GSM2667750</Accession>" in body


def test_parse_elink_recorded_history_answer():
    import json

    doc = json.loads(read("eutils/q2fondue_elink_bioproject_sra_history.json"))
    assert parse_elink(doc) == {"33627": []}
    neighbor = {"linksets": [{"ids": ["1"], "linksetdbs": [{"links": ["7", "8"]}]}]}
    assert parse_elink(neighbor) == {"1": ["7", "8"]}


# -- configuration ---------------------------------------------------------------------------------


def test_repo_harvest_toml_documents_the_defaults():
    assert load_config(REPO / "harvest.toml", env={}) == HarvestConfig()
    text = (REPO / "harvest.toml").read_text()
    for field in HarvestConfig.__dataclass_fields__:
        assert f"{field} =" in text, f"harvest.toml does not document {field}"


def test_env_overrides_file_and_unknown_keys_are_errors(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text('email = "file@example.org"\nbatch_size = 50\norganisms = ["Mus musculus"]\n')
    cfg = load_config(path, env={"NCBI_EMAIL": "env@example.org", "NCBI_API_KEY": SECRET})
    assert (cfg.email, cfg.api_key, cfg.batch_size, cfg.organisms) == (
        "env@example.org", SECRET, 50, ("Mus musculus",)
    )
    path.write_text("batch_sise = 50\n")
    with pytest.raises(ConfigError, match=r"h\.toml.*batch_sise"):
        load_config(path, env={})
    path.write_text("batch_size = 501\n")
    with pytest.raises(ConfigError, match="batch_size.*501"):
        load_config(path, env={})
    path.write_text('[harvest]\ndatetype = "mdat"\ntimeout = 5\n')
    assert load_config(path, env={}).timeout == 5
    with pytest.raises(ConfigError, match="datetype"):
        replace(HarvestConfig(), datetype="yesterday")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", env={})
