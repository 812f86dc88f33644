"""Server verdicts (issue: findings a team can act on): faithful servers written in other styles
give no findings, each faulty server of the zoo is caught by its check, and one root cause is one
finding (or two, where two checks see it)."""

from __future__ import annotations

import pytest

from runcontract._findings import VALIDATES_NOTHING
from runcontract.drivers import ASGITarget, HTTPTarget
from runcontract.runner import FuzzSettings, run_endpoint
from runcontract.server import BackgroundServer, build_app, create_app
from verdict_servers import V2, ZOO, SurrogatesAccepted, Unprocessable, habits_app, hang_on_empty, under_prefix

SETTINGS = {"max_examples": 60, "seed": 1, "database": None}


def _run(app, **over):
    settings = FuzzSettings(**{**SETTINGS, **over})
    return run_endpoint(ASGITarget(app, contract=V2), V2, settings)


def _summary(report) -> str:
    return "\n".join(f"{f.check}: {f.summary} x{f.count} {f.constraints[:4]}" for f in report.findings())


@pytest.mark.parametrize("app", [create_app(V2), habits_app()], ids=["reference", "real-habits"])
def test_faithful_servers_give_no_findings(app):
    report = _run(app)
    assert report.failures == [], _summary(report)
    assert report.requests >= 400  # the plan, the probes and the random phase all ran


def test_strict_echo_sees_what_the_contract_allows():
    """The habits are liberties: judged exactly (``strict_echo``) they show, one finding for the echo."""
    report = _run(habits_app(), strict_echo=True)
    echo = [f for f in report.findings() if f.check == "run_reflects_request"]
    assert len(echo) == 1, _summary(report)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_each_zoo_server_is_caught_by_its_check_once(name):
    service, check = ZOO[name]
    report = _run(build_app(service(V2)))
    findings = report.findings()
    assert check in {f.check for f in findings}, _summary(report)
    # One root cause: one finding, or two where a second check sees the same behaviour.
    assert 1 <= len(findings) <= 2, _summary(report)


def test_validates_nothing_is_one_finding():
    service, _ = ZOO["validates_nothing"]
    findings = _run(build_app(service(V2))).findings()
    accepted = [f for f in findings if f.check == "invalid_rejected"]
    assert [f.summary for f in accepted] == [VALIDATES_NOTHING]
    assert len(accepted[0].constraints) > 100


def test_422_everywhere_is_at_most_two_findings_and_accept_status_judges_the_422():
    findings = _run(build_app(Unprocessable(V2))).findings()
    assert {f.check for f in findings} == {"invalid_rejected", "error_conforms"}
    assert len(findings) == 2
    accepted = _run(build_app(Unprocessable(V2)), accepted_invalid=frozenset({400, 422})).findings()
    assert [f.check for f in accepted] == ["error_conforms"]


def test_case_insensitive_enums_are_one_finding_across_fields():
    service, _ = ZOO["case_insensitive_enums"]
    findings = _run(build_app(service(V2))).findings()
    assert len(findings) == 1, [f.summary for f in findings]
    assert findings[0].summary == "accepts invalid enum-near-miss values"
    assert len({c.split(".")[0] for c in findings[0].constraints}) >= 3  # several fields, one cause


def test_ours_constraints_are_lenient_unless_strict():
    app = build_app(SurrogatesAccepted(V2))
    assert _run(app).failures == []
    # strict=True demands refusal of every "ours" constraint (the reference server, too, takes a
    # body without Content-Type); naming one demands only that one.
    strict = [(f.check, f.constraints) for f in _run(app, strict=True).findings()]
    assert ("invalid_rejected", ["unicode"]) in strict
    named = _run(app, strict=("unicode",)).findings()
    assert [(f.check, f.constraints) for f in named] == [("invalid_rejected", ["unicode"])]


def test_findings_carry_first_request_and_json_shape():
    service, _ = ZOO["created_at_millis"]
    report = _run(build_app(service(V2)))
    data = report.to_dict()
    (finding,) = data["findings"]
    assert set(finding) == {"check", "summary", "constraints", "count", "first_request", "example"}
    assert finding["first_request"] >= 1 and finding["count"] == len(data["failures"])
    assert finding["example"]["check"] == "run_conforms"


@pytest.mark.parametrize("name", ["non_utf8_crash", "array_body_accepted", "deep_crash"])
def test_each_request_probe_bug_is_one_finding(name):
    service, check = ZOO[name]
    findings = _run(build_app(service(V2))).findings()
    assert [f.check for f in findings] == [check], _summary_of(findings)


def test_a_hang_on_an_empty_body_is_one_finding():
    target = ASGITarget(hang_on_empty(create_app(V2)), contract=V2, timeout=0.5)
    report = run_endpoint(target, V2, FuzzSettings(**SETTINGS))
    findings = report.findings()
    assert [f.check for f in findings] == ["no_server_error"], _summary(report)
    assert set(findings[0].constraints) == {"body.empty", "body.nul"}


def test_request_probes_can_be_turned_off():
    service, _ = ZOO["non_utf8_crash"]
    assert _run(build_app(service(V2)), probes=("enum-variant", "non-finite")).failures == []


def _summary_of(findings) -> str:
    return "\n".join(f"{f.check}: {f.summary} x{f.count} {f.constraints[:4]}" for f in findings)


def test_base_url_is_taken_as_given():
    """A target mounted at /openai (not under /v1) is fuzzed without a proxy."""
    app = under_prefix(create_app(V2), "/openai")
    with BackgroundServer(app) as server:
        with HTTPTarget(server.base_url + "/openai", contract=V2, api_key="sk-test") as target:
            report = run_endpoint(target, V2, FuzzSettings(max_examples=10, seed=1, database=None, probes=()))
        assert report.failures == [], _summary(report)
        # A bare origin means the standard /v1 layout: here that is no route, reported once, as such.
        with HTTPTarget(server.base_url, contract=V2, api_key="sk-test") as target:
            report = run_endpoint(target, V2, FuzzSettings(max_examples=5, seed=1, database=None, probes=()))
    assert [f.check for f in report.findings()] == ["path_routing"], _summary(report)


def test_a_request_probe_failure_replays_with_its_bytes_and_headers(tmp_path):
    """A saved probe failure keeps its raw body and header changes: replay sends the same request."""
    from runcontract.runner import load_failure_files, replay_endpoint

    service, _ = ZOO["non_utf8_crash"]
    app = build_app(service(V2))
    report = _run(app, database=str(tmp_path))
    assert {f.constraint for f in report.failures} == {"body.utf8", "header.charset"}
    saved = load_failure_files([tmp_path / "failures"])
    assert {f.raw_body is not None for _, f in saved} == {True}
    _, outcomes = replay_endpoint(ASGITarget(app, contract=V2), V2, saved)
    assert [o.status for o in outcomes] == ["reproduces"] * len(outcomes)
    _, outcomes = replay_endpoint(ASGITarget(create_app(V2), contract=V2), V2, saved)
    assert [o.status for o in outcomes] == ["fixed"] * len(outcomes)
