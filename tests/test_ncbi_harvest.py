"""Harvest planning (pure) and full harvests of recorded data through a faulty loopback server."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import date

import pytest
from lxml import etree
from ncbi_server import MINIML_FAMILY, MINIML_NS, SRP174132_EFETCH, ReplayServer, fast_config, read

from harmonize.models import SampleRecord
from harmonize.ncbi import (
    HarvestConfig,
    NCBIClient,
    Window,
    fetch_batch,
    geo_term,
    next_window,
    plan,
    sra_term,
)
from harmonize.ncbi.geo import (
    accession_to_uid,
    choose_series,
    fetch_miniml,
    series_of,
    uid_to_accession,
)
from harmonize.ncbi.planning import make_batches, make_plan_key
from harmonize.parse import parse_bytes

GSE163314 = "sra_efetch/pavlidis_GSE163314_sra.xml"
TODAY = date(2024, 3, 1)




def recorded_srx(rel: str) -> list[str]:
    """SRX accessions of a recorded file, counted with a regex on the raw bytes."""
    return re.findall(r'<EXPERIMENT\b[^>]*?\baccession="(SRX\d+)"', read(rel).decode())


def harvested_srx(bodies: list[bytes]) -> list[str]:
    """SRX accessions of harvested bodies, read with lxml (duplicates kept)."""
    out: list[str] = []
    for body in bodies:
        root = etree.fromstring(body)
        assert root.tag == "EXPERIMENT_PACKAGE_SET"
        out.extend(e.get("accession") for e in root.iter("EXPERIMENT"))
    return out


# -- pure planning ----------------------------------------------------------------------------


def fetch_in_threads(cfg, the_plan, batches, n: int = 4) -> dict[int, list[bytes]]:
    """Fetch batches with ``n`` threads, each with its own client (the limiter is shared)."""
    results: dict[int, list[bytes]] = {}
    lock = threading.Lock()

    def worker(mine):
        with NCBIClient(cfg) as client:
            for batch in mine:
                bodies = fetch_batch(client, the_plan, batch)
                with lock:
                    results[batch.index] = bodies

    threads = [threading.Thread(target=worker, args=(batches[i::n],)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_windows_first_run_overlap_and_future_watermark():
    cfg = HarvestConfig(first_window_days=3, overlap_days=1)
    assert next_window(None, TODAY, cfg) == Window(date(2024, 2, 27), TODAY)
    assert next_window(date(2024, 2, 29), TODAY, cfg) == Window(date(2024, 2, 28), TODAY)
    assert next_window(date(2024, 3, 5), TODAY, cfg) == Window(date(2024, 2, 29), TODAY)
    assert next_window(TODAY, TODAY, replace(cfg, overlap_days=0)) == Window(TODAY, TODAY)
    assert Window(TODAY, TODAY).mindate == "2024/03/01"
    with pytest.raises(ValueError, match="after its end"):
        Window(TODAY, date(2024, 2, 1))


def test_terms_follow_configuration():
    cfg = HarvestConfig(
        organisms=("Homo sapiens", "Mus musculus"),
        library_strategies=("RNA-Seq", "ssRNA-seq"),
        library_sources=("TRANSCRIPTOMIC",),
        sra_query='"illumina"[Platform]',
        geo_query="gse[ETYP] NOT gds[ETYP]",
    )
    term = sra_term(cfg)
    assert '("Homo sapiens"[Organism] OR "Mus musculus"[Organism])' in term
    assert '("rna seq"[Strategy] OR "ssrna seq"[Strategy])' in term
    assert '"transcriptomic"[Source]' in term and term.endswith('AND ("illumina"[Platform])')
    gterm = geo_term(cfg)
    assert "gsm[ETYP]" in gterm
    assert '"high throughput sequencing"[Platform Technology Type]' in gterm
    assert gterm.endswith("AND (gse[ETYP] NOT gds[ETYP])")


@pytest.mark.parametrize("count,size", [(0, 5), (1, 5), (5, 5), (16, 5), (1001, 500), (87, 200)])
def test_batches_cover_every_record_exactly_once(count, size):
    batches = make_batches("sra", "k", count, size)
    covered = [i for b in batches for i in range(b.start, b.start + b.size)]
    assert covered == list(range(count))
    assert all(1 <= b.size <= size for b in batches)
    assert [b.index for b in batches] == list(range(len(batches)))


def test_plan_key_is_stable_and_changes_with_its_inputs():
    w = Window(date(2024, 1, 1), date(2024, 1, 3))
    key = make_plan_key("sra", "t", w, 10, 5)
    assert key == make_plan_key("sra", "t", w, 10, 5)
    assert key.startswith("sra:2024-01-01..2024-01-03:")
    others = {
        make_plan_key("geo", "t", w, 10, 5),
        make_plan_key("sra", "u", w, 10, 5),
        make_plan_key("sra", "t", Window(date(2024, 1, 2), date(2024, 1, 3)), 10, 5),
        make_plan_key("sra", "t", w, 11, 5),
        make_plan_key("sra", "t", w, 10, 6),
    }
    assert key not in others and len(others) == 5


@pytest.mark.parametrize(
    "module", ["config", "detect", "ratelimit", "http", "geo", "planning", "eutils", "harvest"]
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"harmonize.ncbi.{module}"))
    assert result.failed == 0


def test_gds_uid_arithmetic_matches_recorded_answers():
    import json

    ids = json.loads(read("eutils/sradbrs_esearch_gds_GSE56924.json"))["esearchresult"]["idlist"]
    assert accession_to_uid("GSE56924") in map(int, ids)
    assert accession_to_uid("GPL11154") in map(int, ids)
    assert {uid_to_accession(i)[:3] for i in ids} == {"GSE", "GPL", "GSM"}
    summary = json.loads(read("eutils/sradbrs_esummary_gds_GSM1371490.json"))["result"]
    assert uid_to_accession(summary["uids"][0]) == summary["301371490"]["accession"]
    for acc in ("GSM1", "GSE200000", "GPL20301", "GDS5"):
        assert uid_to_accession(accession_to_uid(acc)) == acc


# -- full harvests through a faulty server ------------------------------------------------------

EFETCH_FAULTS = (
    "reset", None, "429", "truncate", None, "503", "expire", "backend", "route", "close",
    "ratelimit200", "502",
)


@pytest.mark.parametrize("rel", [SRP174132_EFETCH, GSE163314])
def test_full_sra_harvest_through_faults_loses_and_duplicates_nothing(rel):
    expected = recorded_srx(rel)
    assert len(expected) == len(set(expected)) > 5
    with ReplayServer(rel) as server, NCBIClient(fast_config(server, batch_size=3)) as client:
        server.script("esearch", "503", "backend")
        server.script("efetch", *EFETCH_FAULTS)
        the_plan = plan(client, client.config, "sra", next_window(None, TODAY, client.config))
        bodies = [b for batch in the_plan.batches for b in fetch_batch(client, the_plan, batch)]
        faults = [r.fault for r in server.requests() if r.fault]
    got = harvested_srx(bodies)
    assert the_plan.count == len(expected)
    assert len(got) == len(set(got)), "duplicates"
    assert set(got) == set(expected), "lost or invented records"
    assert {"reset", "truncate", "expire", "429", "close"} <= set(faults)  # the faults did fire
    # the search ran again after the expiry, with the same window
    params = [r.params for r in server.requests("esearch")]
    assert all(p["mindate"] == ["2024/02/27"] and p["maxdate"] == ["2024/03/01"] for p in params)
    assert all(p["datetype"] == ["mdat"] and p["usehistory"] == ["y"] for p in params)


def test_history_expiry_with_records_withdrawn_widens_the_slice_and_loses_nothing():
    expected = recorded_srx(GSE163314)
    with ReplayServer(GSE163314) as server, NCBIClient(fast_config(server, batch_size=4)) as client:
        the_plan = plan(client, client.config, "sra", Window(date(2024, 2, 1), TODAY))
        bodies = fetch_batch(client, the_plan, the_plan.batches[0])
        server.drop_front(2)  # two already-fetched records vanish: every later record shifts by 2
        for batch in the_plan.batches[1:]:
            bodies += fetch_batch(client, the_plan, batch)
        widened = server.requests("efetch")[2].params
    got = harvested_srx(bodies)
    assert set(got) == set(expected)  # some duplicates are expected and harmless
    assert (widened["retstart"], widened["retmax"]) == (["2"], ["8"])
    assert the_plan.search.count == len(expected) - 2


def test_history_expiry_during_a_4_thread_harvest_loses_nothing_still_upstream():
    expected = recorded_srx(GSE163314)
    with ReplayServer(GSE163314) as server:
        cfg = fast_config(server, batch_size=2)
        with NCBIClient(cfg) as client:
            the_plan = plan(client, cfg, "sra", Window(date(2024, 2, 1), TODAY))
        server.drop_front(1)  # withdrawn upstream between planning and fetching
        fetched = fetch_in_threads(cfg, the_plan, the_plan.batches)
        bodies = [b for i in sorted(fetched) for b in fetched[i]]
    got = set(harvested_srx(bodies))
    assert set(expected[1:]) <= got <= set(expected)


def test_sra_harvest_with_4_threads_and_a_resumed_run():
    expected = set(recorded_srx(GSE163314))
    with ReplayServer(GSE163314) as server:
        cfg = fast_config(server, batch_size=2)
        with NCBIClient(cfg) as client:
            the_plan = plan(client, cfg, "sra", Window(date(2024, 2, 1), TODAY))
        server.script("efetch", "reset", "503", "truncate", "429", None, "backend")
        committed = {0, 3}  # a previous run already stored these batches
        todo = [b for b in the_plan.batches if b.index not in committed]
        results = fetch_in_threads(cfg, the_plan, todo)
        with NCBIClient(cfg) as client:  # the earlier run's batches, fetched for the check only
            again = plan(client, cfg, "sra", Window(date(2024, 2, 1), TODAY))
            assert again.key == the_plan.key and again.batches == the_plan.batches
            for index in committed:
                results[index] = fetch_batch(client, again, again.batches[index])
    assert sorted(results) == [b.index for b in the_plan.batches]
    got = harvested_srx([b for i in sorted(results) for b in results[i]])
    assert len(got) == len(set(got)) and set(got) == expected


def family_gsms() -> list[str]:
    """The GSMs of the recorded GSE100007 family file, read with a regex on the raw bytes."""
    return re.findall(r'<Sample iid="(GSM\d+)"', read(MINIML_FAMILY).decode())


def doc_gsms(docs: list[bytes]) -> list[str]:
    """The Sample iids of MINiML documents, read with lxml (duplicates kept)."""
    return [s.get("iid") for d in docs for s in etree.fromstring(d).iter(f"{{{MINIML_NS}}}Sample")]


def records_by_gsm(docs: list[bytes]) -> dict[str, SampleRecord]:
    """Parsed records by GSM; a GSM parsed twice fails the test."""
    out: dict[str, SampleRecord] = {}
    for i, doc in enumerate(docs):
        for rec in parse_bytes(doc, f"doc{i}"):
            assert isinstance(rec, SampleRecord), rec
            assert rec.record_accession not in out, f"{rec.record_accession} twice"
            out[rec.record_accession] = rec
    return out


#: What the GSE100007 Series element adds to every sample's accessions (its own id, BioProject
#: and SRA study); a GSM's own acc.cgi document carries no Series.
SERIES_STUDIES = {"GSE100007", "PRJNA390315", "SRP109126"}


def test_geo_harvest_costs_one_esummary_and_one_series_request_per_batch():
    expected = family_gsms()
    with ReplayServer() as server, NCBIClient(fast_config(server, batch_size=20)) as client:
        server.script("esearch", "backend")
        the_plan = plan(client, client.config, "geo", Window(date(2024, 2, 1), TODAY))
        per_batch = [fetch_batch(client, the_plan, b) for b in the_plan.batches]
        log = server.requests()
        # the old path, for comparison: one acc.cgi request per GSM
        single = [fetch_miniml(client, gsm) for gsm in the_plan.accessions]
        single_requests = len(server.requests("acc")) - len([r for r in log if r.endpoint == "acc"])
        term = server.requests("esearch")[-1].params["term"][0]
    assert term == geo_term(client.config)
    assert the_plan.count == len(expected) == 52 and len(the_plan.batches) == 3
    summaries = [r for r in log if r.endpoint == "esummary"]
    series = [r for r in log if r.endpoint == "acc"]
    assert len(summaries) == len(series) == len(the_plan.batches)  # 6 requests, not 52
    assert single_requests == 52
    for batch, summary, acc, docs in zip(the_plan.batches, summaries, series, per_batch):
        planned = the_plan.accessions[batch.start : batch.start + batch.size]
        assert summary.params["db"] == ["gds"] and summary.params["retmode"] == ["json"]
        assert summary.params["id"] == [",".join(str(accession_to_uid(g)) for g in planned)]
        assert (acc.params["acc"], acc.params["targ"]) == (["GSE100007"], ["gsm"])
        assert sorted(doc_gsms(docs)) == sorted(planned)  # trimmed to the batch's GSMs
    batched = records_by_gsm([d for docs in per_batch for d in docs])
    alone = records_by_gsm(single)
    assert sorted(batched) == sorted(alone) == sorted(expected)
    for gsm, rec in batched.items():
        one = alone[gsm]
        assert replace(rec, accessions=()) == replace(one, accessions=())  # same attributes...
        assert set(rec.accessions) == set(one.accessions) | SERIES_STUDIES  # ...plus the study


def test_geo_harvest_through_faults_on_esummary_and_acc_completes():
    expected = family_gsms()
    with ReplayServer() as server, NCBIClient(fast_config(server, batch_size=20)) as client:
        server.script("esummary", "429", "500", "truncate", None, "cxx", None, "503")
        server.script("acc", "reset", "redirect", "truncate", "503", None, "429:0", "route")
        the_plan = plan(client, client.config, "geo", Window(date(2024, 2, 1), TODAY))
        docs = [d for b in the_plan.batches for d in fetch_batch(client, the_plan, b)]
        faults = [r.fault for r in server.requests() if r.fault]
        acc = [r.params["acc"][0] for r in server.requests("acc")]
        ok = [r for r in server.requests() if r.endpoint != "esearch" and r.fault is None]
    assert {"429", "500", "truncate", "cxx", "503", "reset", "redirect", "route"} <= set(faults)
    assert set(acc) == {"GSE100007"}  # every fault retried by the client, no per-GSM fallback
    assert len(ok) == 2 * len(the_plan.batches)  # one answered esummary + acc.cgi per batch
    got = doc_gsms(docs)
    assert len(got) == len(set(got)) and sorted(got) == sorted(expected)


def test_gsms_the_series_does_not_deliver_are_fetched_alone():
    family = family_gsms()
    with ReplayServer() as server, NCBIClient(fast_config(server, batch_size=10)) as client:
        docs = server.state.gsm_docs
        # upstream GSMs acc.cgi serves alone: one esummary gives no series, the other names
        # GSE100007 but is not in the recorded series document
        docs["GSM9999998"] = docs[family[0]].replace(family[0].encode(), b"GSM9999998")
        docs["GSM9999999"] = docs[family[1]].replace(family[1].encode(), b"GSM9999999")
        server.state.gsm_series["GSM9999999"] = "100007"
        wanted = [*family[:5], "GSM9999998", "GSM9999999"]
        the_plan = plan(client, client.config, "geo", None, wanted)
        (batch,) = the_plan.batches
        bodies = fetch_batch(client, the_plan, batch)
        first = [r.params.get("acc", [""])[0] for r in server.requests() if r.endpoint == "acc"]
        # a failed esummary, then a refused series document: every GSM is fetched alone
        server.script("esummary", "400")
        no_summary = fetch_batch(client, the_plan, batch)
        server.script("acc", "notpublic")
        no_series = fetch_batch(client, the_plan, batch)
        # a batch of one GSM needs no esummary
        one = plan(client, client.config, "geo", None, family[:1])
        before = len(server.requests("esummary"))
        lone = fetch_batch(client, one, one.batches[0])
        assert len(server.requests("esummary")) == before
        later = [r.params["acc"][0] for r in server.requests("acc")][len(first) :]
    assert first == ["GSE100007", "GSM9999998", "GSM9999999"]
    assert later == sorted(wanted) + ["GSE100007", *sorted(wanted)] + family[:1]
    for result in (bodies, no_summary, no_series):
        got = doc_gsms(result)
        assert len(got) == len(set(got)) and sorted(got) == sorted(wanted)  # none lost, none twice
        assert sorted(records_by_gsm(result)) == sorted(wanted)
    assert doc_gsms(lone) == family[:1]


def test_superseries_are_fetched_once_preferring_the_one_covering_most_gsms():
    candidates = {
        "GSM1": ["GSE10", "GSE99"],  # SubSeries GSE10 of SuperSeries GSE99
        "GSM2": ["GSE10", "GSE99"],
        "GSM3": ["GSE11", "GSE99"],  # SubSeries GSE11 of GSE99
        "GSM4": ["GSE12"],
        "GSM5": ["GSE12"],
        "GSM6": ["GSE13"],  # alone in its series: fetched alone
        "GSM7": [],
    }
    chosen = choose_series(candidates)
    assert chosen == {"GSE99": ("GSM1", "GSM2", "GSM3"), "GSE12": ("GSM4", "GSM5")}
    covered = [g for gsms in chosen.values() for g in gsms]
    assert len(covered) == len(set(covered))
    assert choose_series({"GSM1": ["GSE10", "GSE99"], "GSM2": ["GSE99", "GSE10"]}) == {
        "GSE10": ("GSM1", "GSM2")}  # a tie goes to the lower number (the SubSeries)
    assert series_of({"gse": "10;99"}) == ("GSE10", "GSE99")


def test_biosample_plan_over_explicit_accessions_posts_large_batches():
    wanted = ["SAMN04327149", "SAMN11893677", "SAMN04327149", "GSM2667747", "SAMN06680397"]
    padding = [f"SAMN{n:08d}" for n in range(90_000_000, 90_000_250)]  # unknown upstream
    with ReplayServer() as server, NCBIClient(fast_config(server, batch_size=500)) as client:
        small = plan(client, client.config, "biosample", None, wanted)
        big = plan(client, client.config, "biosample", None, wanted + padding)
        (body,) = fetch_batch(client, small, small.batches[0])
        (big_body,) = fetch_batch(client, big, big.batches[0])
        methods = [r.method for r in server.requests("efetch")]
    assert small.accessions == ("SAMN04327149", "SAMN06680397", "SAMN11893677")
    assert methods == ["GET", "POST"]
    for doc in (body, big_body):
        root = etree.fromstring(doc)
        assert root.tag == "BioSampleSet"
        assert sorted(b.get("accession") for b in root.iter("BioSample")) == list(small.accessions)
    with pytest.raises(ValueError, match="needs the accessions"):
        plan(client, client.config, "biosample", None, [])


def test_fetch_batch_refuses_a_batch_of_another_plan():
    with ReplayServer() as server, NCBIClient(fast_config(server, batch_size=4)) as client:
        a = plan(client, client.config, "sra", Window(date(2024, 2, 1), TODAY))
        b = plan(client, client.config, "sra", Window(date(2024, 2, 2), TODAY))
        with pytest.raises(ValueError, match="belongs to plan"):
            fetch_batch(client, a, b.batches[0])


def test_empty_window_plans_no_batches():
    with ReplayServer() as server, NCBIClient(fast_config(server)) as client:
        server.script("esearch", "empty")
        the_plan = plan(client, client.config, "sra", Window(TODAY, TODAY))
    assert (the_plan.count, the_plan.batches) == (0, ())


def test_harvested_bodies_parse_into_the_same_records():
    parse = pytest.importorskip("harmonize.parse")
    expected = set(recorded_srx(SRP174132_EFETCH))
    with ReplayServer() as server, NCBIClient(fast_config(server, batch_size=4)) as client:
        server.script("efetch", "truncate", "reset")
        the_plan = plan(client, client.config, "sra", Window(date(2024, 2, 1), TODAY))
        records = [
            rec
            for batch in the_plan.batches
            for body in fetch_batch(client, the_plan, batch)
            for rec in parse.parse_bytes(body, f"test:{batch.index}")
        ]
        gp = plan(client, client.config, "geo", None, ["GSM2667747", "GSM2667748"])
        docs = [d for b in gp.batches for d in fetch_batch(client, gp, b)]
        geo = [r for d in docs for r in parse.parse_bytes(d, "geo")]
    assert {getattr(r, "record_accession", None) for r in records} == expected
    assert sorted(r.record_accession for r in geo) == ["GSM2667747", "GSM2667748"]


@pytest.mark.live
def test_live_ncbi_smoke():
    """Against the real NCBI (deselected by default; run with ``-m live`` and network access)."""
    cfg = HarvestConfig(batch_size=2)
    with NCBIClient(cfg) as client:
        from harmonize.ncbi import efetch, esearch

        search = esearch(client, "sra", "SRP174132[All Fields]")
        body = efetch(client, "sra", search, 0, 2)
    assert search.count >= 2 and len(harvested_srx([body])) == 2
