"""Client verdicts a team can act on (issue 13): faithful clients written the ways wrappers are written
give zero findings; each faulty one, with one planted bug, gives exactly one finding of the check it is for."""

from __future__ import annotations

import math

import httpx
import pytest

import faulty_clients as fc
from runcontract import Case, load_contract
from runcontract.checks import Captured
from runcontract.checks._client import ADDS, DROPS, fidelity_difference
from runcontract.clients import LoopbackRecorder, check_client

CONTRACT = load_contract()
SETTINGS = {"contract": CONTRACT, "max_examples": 60, "seed": 3, "call_timeout": 20.0}


def _function(parameters):
    return {"type": "function", "function": {"name": "f", "parameters": parameters}}


def summary(report):
    return [(f.check, f.summary) for f in report.findings()]


# ------------------------------------------------------------ null and absent


@pytest.mark.parametrize(
    ("sent", "got"),
    [
        ({"assistant_id": "a", "metadata": None}, {"assistant_id": "a"}),  # an explicit null left out
        ({"assistant_id": "a"}, {"assistant_id": "a", "temperature": None}),  # null for a field not given
        ({"assistant_id": "a"}, {"assistant_id": "a", "stream": False}),  # the documented default
        ({"assistant_id": "a"}, {"assistant_id": "a", "parallel_tool_calls": True}),
        ({"assistant_id": "a", "top_p": None}, {"assistant_id": "a", "top_p": 1}),  # null = not given = default
        ({"assistant_id": "a", "x_extra": 1}, {"assistant_id": "a"}),  # outside the contract: not judged
        ({"assistant_id": "a", "temperature": math.nan}, {"assistant_id": "a", "temperature": None}),
        ({"assistant_id": "a", "metadata": {"k": None}}, {"assistant_id": "a", "metadata": {}}),  # refused alike
    ],
)
def test_same_request(sent, got):
    assert fidelity_difference(CONTRACT, sent, got) is None


@pytest.mark.parametrize(
    ("sent", "got", "cause"),
    [
        ({"assistant_id": "a", "temperature": 0}, {"assistant_id": "a"}, DROPS),
        ({"assistant_id": "a", "parallel_tool_calls": False}, {"assistant_id": "a"}, DROPS),
        ({"assistant_id": "a"}, {"assistant_id": "a", "temperature": 1.5}, ADDS),
        ({"assistant_id": "a"}, {"assistant_id": "a", "assistant_id2": 1, "tools": []}, ADDS),
        ({"assistant_id": "a", "model": None}, {"assistant_id": "a", "model": "None"}, "sends null values as string"),
        ({"assistant_id": "a", "top_p": 0.123}, {"assistant_id": "a", "top_p": 0.12}, "changes numbers"),
        ({"assistant_id": "a", "max_prompt_tokens": 300}, {"assistant_id": "a", "max_prompt_tokens": 300.0}, "float"),
        ({"assistant_id": "a", "metadata": {"k": "v"}}, {"assistant_id": "a", "metadata": {}}, DROPS),
        (  # inside free-form JSON a null is the user's data
            {
                "assistant_id": "a",
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {"d": None}}}],
            },
            {"assistant_id": "a", "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
            DROPS,
        ),
    ],
)
def test_different_request(sent, got, cause):
    found = fidelity_difference(CONTRACT, sent, got)
    assert found is not None and cause in found[2]


def test_strict_nulls_tells_null_from_absent():
    sent, got = {"assistant_id": "a", "metadata": None}, {"assistant_id": "a"}
    assert fidelity_difference(CONTRACT, sent, got, strict_nulls=True) is not None


# ------------------------------------------------------------------ recorder


def test_recorder_plays_the_whole_exchange_under_any_prefix():
    with LoopbackRecorder() as recorder:
        origin = recorder.origin
        thread = httpx.post(f"{origin}/api/projects/p/threads", json={}).json()
        assert thread["object"] == "thread" and recorder.responder.created() == [thread["id"]]
        tid = thread["id"]
        message = httpx.post(f"{origin}/api/projects/p/threads/{tid}/messages", json={"role": "user", "content": "hi"})
        assert message.json()["object"] == "thread.message"
        run = httpx.post(f"{origin}/api/projects/p/threads/{tid}/runs", json={"assistant_id": "a"}).json()
        assert run["status"] == "queued" and run["thread_id"] == tid
        polls = [httpx.get(f"{origin}/api/projects/p/threads/{tid}/runs/{run['id']}").json()["status"] for _ in "ab"]
        assert polls == ["in_progress", "completed"]
        listed = httpx.get(f"{origin}/api/projects/p/threads/{tid}/messages").json()
        assert listed["data"][0]["role"] == "assistant"
        assert httpx.get(f"{origin}/v1/threads/{tid}/runs/run_unknown").status_code == 404
        assert len(recorder.take()) == 7


# --------------------------------------------------------------- faithful


@pytest.mark.parametrize(
    "send",
    [fc.drops_nulls, fc.omits_nulls_nested, fc.sends_every_keyword, fc.polls, fc.under_prefix],
    ids=["leaves-out-nulls", "leaves-out-nulls-nested", "sends-every-keyword", "polls", "under-prefix"],
)
def test_faithful_wrappers_have_no_findings(send):
    report = check_client(send, **SETTINGS)
    assert report.failures == [], [f.to_dict() for f in report.failures]
    assert report.examples >= 250


def test_a_prefix_is_reported_as_a_note():
    report = check_client(fc.under_prefix, **{**SETTINGS, "max_examples": 0})
    assert report.ok and report.notes and "'/openai'" in report.notes[0]
    assert "notes" in report.to_dict()


def test_declared_capability_gap_is_one_finding():
    report = check_client(fc.lacks_reasoning_effort, **SETTINGS)
    assert summary(report) == [("client_capability", "cannot express what the contract allows (a capability gap)")]
    assert report.findings()[0].constraints == ["reasoning_effort"]
    # Undeclared, the same library drops the field silently: one finding naming it.
    undeclared = check_client(lambda b, t, p: fc.lacks_reasoning_effort(b, t, p), **SETTINGS)
    assert summary(undeclared) == [("serialization_fidelity", DROPS)]


def test_a_python_argument_error_is_not_validation():
    # The wrapper's signature lacks one field (a TypeError) and it passes every invalid payload
    # through: it refuses valid payloads with that field, and that is all.
    report = check_client(fc.signature_error, **SETTINGS)
    assert [check for check, _ in summary(report)] == ["client_accepts_valid"]
    assert all(c.startswith("truncation_strategy") for c in report.findings()[0].constraints)


# ----------------------------------------------------------------- faulty


@pytest.mark.parametrize(
    ("send", "check", "words"),
    [
        (fc.allowlist, "serialization_fidelity", DROPS),
        (fc.truthy_filter, "serialization_fidelity", DROPS),
        (fc.nan_literals, "wire_format", "NaN or Infinity"),
        (fc.nulls_as_strings, "serialization_fidelity", "sends null values as string"),
        (fc.rounds_floats, "serialization_fidelity", "changes numbers"),
        (fc.temperature_limit_loose, "client_agrees", "validates temperature"),
        (fc.latin1_body, "wire_format", "UTF-8"),
        (fc.crashes_on_bad_assistant_id, "client_no_crash", "faulty_clients.py"),
        (fc.truncates_strings, "serialization_fidelity", "truncates strings"),
        (fc.ints_through_float, "serialization_fidelity", "integer values as float"),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_faulty_client_is_one_finding(send, check, words):
    report = check_client(send, **SETTINGS)
    findings = report.findings()
    assert [(f.check) for f in findings] == [check], summary(report)
    assert words in findings[0].summary


def test_allowlist_finding_names_every_dropped_field():
    (finding,) = check_client(fc.allowlist, **SETTINGS).findings()
    dropped = {c.split(".")[0] for c in finding.constraints}
    expected = set(CONTRACT.request_schema["properties"]) - set(fc._FORWARDED) - {"include"}
    # Every field the contract has and the allowlist lacks, each shown with a sample payload (its failure).
    assert expected <= dropped | {"tool_resources"}, expected - dropped


def test_a_hanging_client_is_one_finding_not_a_hung_run():
    streams = [Case({"assistant_id": "a", "stream": True}), Case({"assistant_id": "b", "stream": True})]
    report = check_client(fc.hangs_on_stream, cases=streams, **{**SETTINGS, "call_timeout": 1.0})
    (finding,) = report.findings()
    assert finding.check in ("client_accepts_valid", "client_no_crash") and "did not return" in finding.summary
    assert report.duration_s < 60


def test_a_client_stuck_for_good_stops_the_run():
    def stuck(base_url, thread_id, payload):
        import threading

        threading.Event().wait(1.0)

    report = check_client(stuck, **{**SETTINGS, "call_timeout": 0.1})
    assert report.aborted and "3 times in a row" in report.aborted and len(report.findings()) == 1


def test_validation_is_judged_per_constraint():
    # It refuses temperature 3 (it validates temperature.maximum) but sends 2.2: reported for that
    # constraint only; everything else it passes through is not its promise.
    report = check_client(fc.temperature_limit_loose, **SETTINGS)
    assert {f.constraint for f in report.failures} == {"temperature.maximum"}


def test_command_exit_4_is_a_capability_gap(tmp_path):
    import sys

    from runcontract.clients import CANNOT_EXPRESS_EXIT, command

    script = tmp_path / "client.py"
    script.write_text(f"import sys; sys.stderr.write('no way to send this'); sys.exit({CANNOT_EXPRESS_EXIT})\n")
    send = command([sys.executable, str(script)], timeout=20)
    report = check_client(send, contract=CONTRACT, max_examples=0, boundary=False, cases=[Case({"assistant_id": "a"})])
    assert [f.check for f in report.findings()] == ["client_capability"]
    assert "no way to send this" in report.failures[0].message


def test_wire_format_judges_only_the_create_run_request():
    from runcontract.checks import ClientContext
    from runcontract.checks._client import wire_format

    headers = (("Content-Type", "application/json"), ("OpenAI-Beta", "assistants=v2"), ("Authorization", "Bearer x"))
    body = b'{"assistant_id": "a"}'
    thread = Captured("POST", "/v1/threads", headers, b"{}")
    run = Captured("POST", "/v1/threads/thread_rc1/runs", headers, body)
    poll = Captured("GET", "/v1/threads/thread_rc1/runs/run_1", headers, b"")
    case = Case({"assistant_id": "a"}, "thread_given")
    ctx = ClientContext(CONTRACT, case, "sent", [thread, run, poll], threads=frozenset({"thread_rc1"}))
    assert wire_format(ctx) is None
    elsewhere = ClientContext(CONTRACT, case, "sent", [thread, run, poll])  # not a thread the recorder made
    assert wire_format(elsewhere).constraint == "path"
    twice = ClientContext(CONTRACT, case, "sent", [run, run], threads=frozenset({"thread_rc1"}))
    assert wire_format(twice).constraint == "requests"
