"""The fuzz loop against the faithful reference server and every faulty one (one planted bug each)."""

from __future__ import annotations

import json

import pytest

from faulty_servers import FAITHFUL, FAULTY
from runcontract import check_endpoint, load_contract
from runcontract.runner import FuzzSettings, run_endpoint
from runcontract.server import create_app
from support import RecordingTarget


def test_faithful_server_reports_nothing_and_covers_every_constraint():
    report = check_endpoint(app=FAITHFUL(), seed=7)
    assert report.failures == []
    assert report.ok
    contract = load_contract()
    both = {cid for cid, cov in report.coverage.items() if cov.at and cov.past}
    assert both == set(contract.catalogue.ids)
    assert report.requests >= 200


def test_faithful_v1_server_reports_nothing():
    report = check_endpoint(app=FAITHFUL(version="v1"), version="v1", seed=3, max_examples=100)
    assert report.failures == []


@pytest.mark.parametrize("name", sorted(FAULTY))
def test_each_planted_bug_is_reported_by_its_check(name):
    factory, check = FAULTY[name]
    report = check_endpoint(app=factory(), seed=11)
    fired = {f.check for f in report.failures}
    assert check in fired, f"{name}: expected {check}, got {sorted(fired)}"
    for failure in report.failures:
        assert failure.curl.startswith("curl ")
        assert "sk-" not in failure.curl


def test_failure_is_shrunk_to_a_small_payload():
    factory, _ = FAULTY["metadata_full_crash"]
    report = check_endpoint(app=factory(), seed=5)
    (failure,) = [f for f in report.failures if f.check == "no_server_error"]
    # one metadata map of exactly 16 pairs, nothing else that is not needed
    assert len(failure.payload["metadata"]) == 16
    assert len(json.dumps(failure.payload)) < 400


def test_over_real_http(monkeypatch, running_server):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    factory, check = FAULTY["temperature_max_2_01"]
    report = check_endpoint(running_server(factory()), seed=2, max_examples=20)
    assert {f.check for f in report.failures} == {check}
    assert {f.constraint for f in report.failures} == {"temperature.maximum"}
    assert "sk-test-secret" not in report.to_json()
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in report.failures[0].curl


def test_failures_are_remembered_and_replayed_first(tmp_path):
    factory, _ = FAULTY["metadata_key_63"]
    first = check_endpoint(app=factory(), seed=1, database=tmp_path)
    saved = list((tmp_path / "failures" / "v2").glob("*.json"))
    assert saved and first.failures
    contract = load_contract()
    second = run_endpoint(
        RecordingTarget(factory()), contract, FuzzSettings(max_examples=0, boundary=False, database=tmp_path, seed=1)
    )
    assert {f.key for f in second.failures} >= {f.key for f in first.failures if f.origin != "replay"} & {
        ("valid_accepted", "metadata.keys.maxLength")
    }


def test_auth_refused_aborts_with_a_config_error():
    app = create_app(api_keys={"sk-right"})
    report = check_endpoint(app=app, seed=1, max_examples=5)
    assert report.aborted and "401" in report.aborted
    assert report.requests == 5
