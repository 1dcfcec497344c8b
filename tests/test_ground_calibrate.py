"""Calibration: fitted parameters give probabilities that rise with the evidence."""

from __future__ import annotations

import json

import pytest

from harmonize.errors import ConfigError
from harmonize.ground.calibrate import (
    CALIBRATION_PATH,
    Calibration,
    expected_calibration_error,
    fit_logistic,
    load_calibration,
    sigmoid,
)
from harmonize.ground.score import DEFAULT_WEIGHTS, FEATURES, score, score_parts


@pytest.fixture(scope="module")
def shipped() -> Calibration:
    return load_calibration()


def test_shipped_file_is_complete(shipped):
    raw = json.loads(CALIBRATION_PATH.read_text())
    assert raw["version"] and shipped.version == raw["version"]
    assert set(shipped.fitted_on) == {"lexicon", "matchers"}  # what the fit saw
    for facet in ("tissue", "cell_type", "disease", "cell_line"):
        assert set(shipped.rank_weights[facet]) == set(FEATURES)
        assert len(shipped.platt[facet]) in (3, 4, 5)


@pytest.mark.parametrize("facet", ["tissue", "cell_type", "disease", "cell_line", "sex", "assay"])
def test_confidence_is_monotone_and_bounded(shipped, facet):
    logits = [x / 4 for x in range(-40, 41)]
    confs = [shipped.confidence(facet, lg, 1.0) for lg in logits]
    assert all(0.0 <= c <= 1.0 for c in confs)
    assert all(a <= b for a, b in zip(confs, confs[1:]))
    by_margin = [shipped.confidence(facet, 0.0, m) for m in (0.0, 1.0, 3.0, 6.0)]
    assert all(a <= b for a, b in zip(by_margin, by_margin[1:]))
    by_key = [shipped.confidence(facet, 0.0, 1.0, dedicated=d) for d in (False, True)]
    assert by_key[0] <= by_key[1]
    # evidence moves it: the logit, the margin or the kind of key the value came from
    assert confs[-1] > confs[0] or by_margin[-1] > by_margin[0] or by_key[1] > by_key[0]


def test_fit_logistic_recovers_direction_and_is_calibrated():
    import random

    rnd = random.Random(7)
    rows, labels = [], []
    for _ in range(3000):
        x = rnd.uniform(-3, 3)
        rows.append([1.0, x])
        labels.append(int(rnd.random() < sigmoid(2 * x - 0.5)))
    w = fit_logistic(rows, labels, l2=0.01)
    assert abs(w[1] - 2) < 0.3 and abs(w[0] + 0.5) < 0.3
    conf = [sigmoid(w[0] + w[1] * r[1]) for r in rows]
    assert expected_calibration_error(conf, labels) < 0.05


def test_ece_definition():
    assert expected_calibration_error([0.9, 0.9], [1, 0]) == pytest.approx(0.4)
    assert expected_calibration_error([], []) == 0.0


def test_score_parts_sum_to_score():
    feats = {name: 1.0 for name in FEATURES}
    assert sum(score_parts(feats).values()) == pytest.approx(score(feats))
    assert score(feats) == pytest.approx(sum(DEFAULT_WEIGHTS.values()))


def test_missing_file_gives_defaults(tmp_path):
    cal = load_calibration(tmp_path / "none.json")
    assert cal.version == "default" and cal.weights("tissue") is None
    assert 0 < cal.confidence("tissue", 0.0, 0.0) < 1


def test_broken_file_names_the_path(tmp_path):
    bad = tmp_path / "calibration.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="calibration.json"):
        load_calibration(bad)


@pytest.mark.parametrize("method", ["embedding", "fuzzy"])
def test_similarity_steps_never_fall_with_similarity(shipped, method):
    sims = (0.80, 0.85, 0.90, 0.95, 0.99)
    confs = [shipped.similarity_confidence(method, "disease", s) for s in sims]
    assert all(c is not None and 0.0 < c < 1.0 for c in confs)
    assert all(a <= b for a, b in zip(confs, confs[1:]))
    if method == "embedding":  # a cosine of 0.80 is a guess, 0.99 nearly the same name
        assert confs[0] < 0.5 < confs[-1]
    assert Calibration().similarity_confidence(method, "disease", 0.95) is None  # not fitted
    assert shipped.similarity_confidence("exact", "disease", 1.0) is None


def test_drift_is_reported_when_the_matchers_change(tmp_path, monkeypatch):
    """A fit records what it saw; a bumped matcher version or another key table makes it
    stale, an edit of the code alone does not (the versions are constants, not digests)."""
    import harmonize.ground.versions as versions
    from harmonize.ground.calibrate import calibration_drift, matcher_fingerprint

    keys = tmp_path / "field_keys.tsv"
    keys.write_text("key\tfacet\ntissue\ttissue\n")
    before = matcher_fingerprint(keys)
    cal = Calibration(fitted_on={"lexicon": "lex1", "matchers": before})
    assert calibration_drift(cal, "lex1", before) is None
    assert matcher_fingerprint(keys) == before  # nothing changed, nothing drifts
    monkeypatch.setattr(versions, "MATCHER_VERSION", versions.MATCHER_VERSION + ".1")
    after = matcher_fingerprint(keys)
    assert after != before
    assert "matchers" in calibration_drift(cal, "lex1", after)
    keys.write_text("key\tfacet\ntissue\ttissue\norgan\ttissue\n")
    assert matcher_fingerprint(keys) not in (before, after)
    assert "no fit inputs" in calibration_drift(Calibration(), "lex1", before)


def test_fitted_on_survives_a_round_trip(tmp_path):
    path = tmp_path / "calibration.json"
    cal = Calibration(version="fit-x", fitted_on={"lexicon": "l", "matchers": "m"})
    path.write_text(json.dumps(cal.to_json()))
    assert load_calibration(path).fitted_on == {"lexicon": "l", "matchers": "m"}


def test_the_cautious_prior_shrinks_evidence_the_fit_never_saw():
    """A kind of evidence with no held-out support gets the prior, from above or below (its
    fitted probability is an extrapolation either way); one seen often keeps its fitted
    probability; support in between moves it part of the way."""
    cal = Calibration(evidence={"support": {"tissue/text/mention/label": 3000,
                                            "tissue/scan/mention/label": 30},
                                "prior": 0.8, "pseudo": 30.0})
    seen, _ = cal.cautious(0.95, "tissue/text/mention/label")
    unseen, parts = cal.cautious(0.95, "tissue/dedicated/exact/label")
    assert abs(seen - 0.95) < 0.01
    assert unseen == pytest.approx(0.8)
    assert cal.cautious(0.14, "tissue/dedicated/exact/label")[0] == pytest.approx(0.8)
    assert cal.cautious(0.95, "tissue/scan/mention/label")[0] == pytest.approx(0.875)
    assert cal.cautious(0.6, "tissue/scan/mention/label")[0] == pytest.approx(0.7)
    assert parts["support"] == 0 and parts["prior"] == 0.8
    assert Calibration().cautious(0.95, "any")[0] == 0.95  # no fitted prior: unchanged


def test_a_facet_judged_on_other_data_has_its_own_prior():
    """Evidence the dev fit never saw takes its facet's share right on the read blind sets,
    shrunk to the common prior by the pseudo-count; a facet never judged keeps the prior, and
    evidence the fit saw often keeps its fitted probability."""
    cal = Calibration(evidence={"support": {"disease/text/mention/label": 3000},
                                "prior": 0.8, "pseudo": 30.0,
                                "held_out": {"disease": [90, 81]}})
    judged, parts = cal.cautious(0.5, "disease/dedicated/exact/label")
    assert judged == pytest.approx((81 + 30 * 0.8) / (90 + 30))
    assert parts["facet_prior"] == pytest.approx(judged) and parts["prior"] == 0.8
    plain, parts = cal.cautious(0.5, "tissue/dedicated/exact/label")
    assert plain == pytest.approx(0.8) and "facet_prior" not in parts
    assert cal.cautious(0.95, "disease/text/mention/label")[0] == pytest.approx(0.95, abs=0.01)


@pytest.mark.parametrize("pair", [[10], [10, 11], [-1, 0], "10/9", [10.5, 9]])
def test_a_facet_prior_that_is_no_count_is_a_clear_error(tmp_path, pair):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"evidence": {"prior": 0.8, "held_out": {"tissue": pair}}}))
    with pytest.raises(ConfigError, match=r"calibration.json: evidence.held_out\['tissue'\]"):
        load_calibration(path)
    path.write_text(json.dumps({"evidence": {"prior": 0.8, "held_out": {"tissue": [10, 9]}}}))
    assert load_calibration(path).facet_prior("tissue", 0.8, 30.0) == pytest.approx(
        (9 + 24) / 40)


def test_the_shipped_fit_judged_every_ontology_facet_on_the_read_blind_sets(shipped):
    held = shipped.evidence.get("held_out") or {}
    assert {"tissue", "cell_type", "disease", "cell_line"} <= set(held)
    assert all(0 < right <= n for n, right in held.values())


def test_the_shipped_fit_has_a_cautious_prior_from_held_out_tops():
    """The shipped calibration counts held-out support per kind of evidence."""
    shipped = load_calibration()
    ev = shipped.evidence
    assert 0.3 < ev["prior"] < 1.0 and ev["pseudo"] > 0
    assert all("/" in k and n > 0 for k, n in ev["support"].items())
    # free-text mentions are the dev gold's evidence; a dedicated tissue key is not
    assert ev["support"].get("tissue/text/mention/label", 0) > 100
    assert ev["support"].get("tissue/dedicated/exact/label", 0) == 0


def test_novel_terms_are_no_surer_than_familiar_ones(shipped):
    """A term the fit's gold never holds gets the Platt step's novel-term coefficient, which
    the fit keeps at or below zero; a facet without gold has nothing to be novel to."""
    assert shipped.familiar["tissue"] and shipped.familiar["cell_type"]
    for facet, w in shipped.platt.items():
        assert len(w) < 5 or w[4] <= 0.0
        for logit in (-2.0, 0.0, 2.0):
            assert shipped.confidence(facet, logit, 1.0, novel=True) <= shipped.confidence(
                facet, logit, 1.0, novel=False)
    known = next(iter(shipped.familiar["tissue"]))
    assert not shipped.novel("tissue", known) and shipped.novel("tissue", "UBERON:9999999")
    assert not shipped.novel("sex", "PATO:0000383")  # no gold for sex: nothing is novel


def test_familiar_terms_survive_the_file(tmp_path):
    cal = Calibration(platt={"tissue": [0.0, 1.0, 0.0, 0.0, -1.0]},
                      familiar={"tissue": frozenset({"UBERON:0002107"})})
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(cal.to_json()))
    back = load_calibration(path)
    assert back.familiar == cal.familiar
    assert back.confidence("tissue", 0.0, 0.0, novel=True) == pytest.approx(sigmoid(-1.0))
    assert back.confidence("tissue", 0.0, 0.0) == pytest.approx(0.5)
