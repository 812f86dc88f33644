"""Client serializer checks: the oracles, the recorder, and faulty clients with one planted bug each."""

from __future__ import annotations

import json

import httpx
import pytest

import faulty_clients as fc
from runcontract import Case, load_contract
from runcontract._errors import UsageError
from runcontract.checks import Captured
from runcontract.checks._client import CLIENT_CHECKS, ClientContext, field_path, first_difference, wire_format
from runcontract.clients import (
    ClientRejected,
    LoopbackRecorder,
    check_client,
    client_from_options,
    command,
    httpx_client,
    probe_cases,
)

CONTRACT = load_contract()
SETTINGS = {"contract": CONTRACT, "max_examples": 20, "seed": 0}


def keys(report):
    return {(f.check, f.constraint) for f in report.failures}


def checks_of(report):
    return {f.check for f in report.failures}


# ------------------------------------------------------------------ oracles


@pytest.mark.parametrize(
    ("sent", "got"),
    [
        ({"a": 1, "b": None}, {"b": None, "a": 1}),
        (2**70, 2**70),
        (1.0, 1),  # a float may arrive as an integer literal of the same value
        (0.1 + 0.2, 0.30000000000000004),
        ([True, "x"], [True, "x"]),
    ],
)
def test_same(sent, got):
    assert first_difference(sent, got) is None


@pytest.mark.parametrize(
    ("sent", "got", "pointer"),
    [
        ({"a": 1}, {"a": 1.0}, "/a"),
        ({"a": 2**70}, {"a": float(2**70)}, "/a"),
        ({"a": 2**53 + 1}, {"a": 2**53}, "/a"),
        ({"a": True}, {"a": 1}, "/a"),
        ({"a": 1}, {"a": True}, "/a"),
        ({"a": None}, {}, "/a"),
        ({}, {"a": None}, "/a"),
        ({"m": {"k/x": "v" * 512}}, {"m": {"k/x": "v" * 511}}, "/m/k~1x"),
        ({"t": [1, 2]}, {"t": [1]}, "/t"),
        ({"s": "Straße"}, {"s": "STRASSE"}, "/s"),
    ],
)
def test_different(sent, got, pointer):
    found = first_difference(sent, got)
    assert found is not None and found[0] == pointer


def test_field_path_names_schema_fields():
    schema = CONTRACT.request_schema
    assert field_path(schema, "/tools/3/function/name") == "tools.items.function.name"
    assert field_path(schema, "/metadata/anything") == "metadata.values"
    assert field_path(schema, "/tools/0/function/parameters/properties/x/type") == "tools.items.function.parameters"


def _ctx(target: str, headers=None, thread_id="a/b#c") -> ClientContext:
    hdrs = headers or (
        ("Content-Type", "application/json"),
        ("OpenAI-Beta", "assistants=v2"),
        ("Authorization", "Bearer x"),
    )
    request = Captured("POST", target, tuple(hdrs), b'{"assistant_id": "a"}')
    return ClientContext(CONTRACT, Case({"assistant_id": "a"}, thread_id), "sent", [request])


def test_wire_format_reads_the_raw_path():
    assert wire_format(_ctx("/v1/threads/a%2Fb%23c/runs")) is None
    assert wire_format(_ctx("/v1/threads/a/b#c/runs")).constraint == "path"
    assert wire_format(_ctx("/v1/threads/a%2Fb/runs")).constraint == "path"
    assert wire_format(_ctx("/v1/threads/a%2Fb%23c/runs?include[]=x")) is None
    no_auth = (("Content-Type", "application/json; charset=utf-8"), ("OpenAI-Beta", "assistants=v2"))
    assert wire_format(_ctx("/v1/threads/a%2Fb%23c/runs", no_auth)).constraint == "authorization"
    latin = (("Content-Type", "application/json; charset=latin-1"), *no_auth[1:], ("Authorization", "Bearer x"))
    assert wire_format(_ctx("/v1/threads/a%2Fb%23c/runs", latin)).constraint == "content-type"


def test_client_checks_are_named():
    assert set(CLIENT_CHECKS) == {
        "client_accepts_valid",
        "client_no_crash",
        "serialization_fidelity",
        "wire_format",
        "client_agrees",
        "client_capability",
    }


# ----------------------------------------------------------------- recorder


def test_recorder_answers_like_the_reference_server():
    with LoopbackRecorder() as recorder:
        url = f"{recorder.base_url}/threads/t%2F1/runs"
        run = httpx.post(url, json={"assistant_id": "asst_1", "temperature": 2})
        assert run.status_code == 200 and run.json()["object"] == "thread.run"
        assert run.json()["thread_id"] == "t/1" and run.json()["temperature"] == 2
        stream = httpx.post(url, content=b'{"assistant_id": "a", "stream": true}', headers={"X-A": "1"})
        assert stream.headers["content-type"] == "text/event-stream"
        assert stream.text.rstrip().endswith("data: [DONE]")
        first, second = recorder.take()
        assert recorder.take() == []
    assert first.target == "/v1/threads/t%2F1/runs" and json.loads(first.body)["temperature"] == 2
    assert second.body == b'{"assistant_id": "a", "stream": true}' and second.header("x-a") == "1"


# ------------------------------------------------------------ faulty clients


@pytest.mark.parametrize("send", [fc.faithful, fc.faithful_urllib], ids=["httpx", "urllib"])
def test_faithful_client_passes(send):
    report = check_client(send, **SETTINGS)
    assert report.failures == [], [f.to_dict() for f in report.failures]
    assert report.examples >= 200 and report.ok


def test_dropped_nulls_are_the_same_request_unless_strict():
    # Null and absent mean the same for a nullable optional field: leaving nulls out is faithful.
    assert check_client(fc.drops_nulls, **SETTINGS).failures == []
    report = check_client(fc.drops_nulls, strict_nulls=True, **SETTINGS)
    assert checks_of(report) == {"serialization_fidelity"}
    assert all("dropped (sent null)" in f.message for f in report.failures)
    one = [Case({"assistant_id": "a", "metadata": None})]
    single = check_client(
        fc.drops_nulls, strict_nulls=True, contract=CONTRACT, boundary=False, max_examples=0, cases=one
    )
    assert keys(single) == {("serialization_fidelity", "metadata")}
    assert len(report.findings()) == 1 and report.findings()[0].summary == "drops fields it was given"


def test_truncated_strings():
    report = check_client(fc.truncates_strings, **SETTINGS)
    assert checks_of(report) == {"serialization_fidelity"}
    assert ("serialization_fidelity", "metadata.values") in keys(report)


def test_ints_through_float():
    report = check_client(fc.ints_through_float, **SETTINGS)
    assert checks_of(report) == {"serialization_fidelity"}
    found = {f.constraint: f for f in report.failures}
    assert "max_prompt_tokens" in found
    assert "arrived as" in found["max_prompt_tokens"].message


def test_latin1_body():
    report = check_client(fc.latin1_body, **SETTINGS)
    assert ("wire_format", "encoding") in keys(report)
    assert checks_of(report) <= {"wire_format", "serialization_fidelity"}


def test_unencoded_thread_id():
    report = check_client(fc.unencoded_thread_id, **SETTINGS)
    assert keys(report) == {("wire_format", "path")}
    (failure,) = report.failures
    assert failure.thread_id != "thread_abc123" and "curl" in failure.curl


def test_missing_beta_header():
    report = check_client(fc.no_beta_header, **SETTINGS)
    assert keys(report) == {("wire_format", "openai-beta")}


def test_client_side_limit_off_by_one():
    report = check_client(fc.metadata_limit_off_by_one, validates=False, **SETTINGS)
    assert keys(report) == {("client_accepts_valid", "metadata.maxProperties")}
    (failure,) = report.failures
    assert len(failure.payload["metadata"]) == 16 and "ValueError" in failure.message


def test_crash_on_valid_null():
    report = check_client(fc.crashes_on_null_metadata, **SETTINGS)
    assert keys(report) == {("client_accepts_valid", "metadata.type")}
    assert report.failures[0].payload == {"assistant_id": "a", "metadata": None}


def test_crash_on_invalid_payload():
    report = check_client(fc.crashes_on_bad_assistant_id, **SETTINGS)
    assert keys(report) == {("client_no_crash", "assistant_id.required"), ("client_no_crash", "assistant_id.type")}


def test_validating_client_that_misses_a_limit():
    # It never refuses a temperature, so it is not seen to validate one: judged only when declared.
    assert check_client(fc.validates_but_misses_temperature, **SETTINGS).failures == []
    report = check_client(fc.validates_but_misses_temperature, validates=True, **SETTINGS)
    assert checks_of(report) == {"client_agrees"}
    assert {f.constraint for f in report.failures} >= {"temperature.maximum", "temperature.minimum"}
    assert all(f.constraint.startswith("temperature.") for f in report.failures)


def test_clean_errors_decide_rejected_or_crashed():
    def refuses(base_url, thread_id, payload):
        raise RuntimeError("nope")

    crashed = check_client(refuses, max_examples=0, contract=CONTRACT)
    # One crash site is one bug: reported once, on the first payload that reached it.
    assert len(crashed.failures) == 1 and "crashed on a valid payload" in crashed.failures[0].message
    rejected = check_client(refuses, max_examples=0, contract=CONTRACT, clean_errors=(RuntimeError,), validates=False)
    assert checks_of(rejected) == {"client_accepts_valid"}
    assert all("refused a valid payload" in f.message for f in rejected.failures)


# -------------------------------------------------------------- in process


def test_httpx_in_process():
    report = check_client(httpx_client(fc.httpx_faithful), **SETTINGS)
    assert report.failures == []
    assert check_client(httpx_client(fc.httpx_drops_nulls), **SETTINGS).failures == []  # nulls left out
    bad = check_client(httpx_client(fc.httpx_drops_nulls), strict_nulls=True, **SETTINGS)
    assert checks_of(bad) == {"serialization_fidelity", "wire_format"}  # and no body for a null one


# ----------------------------------------------------------------- command


def test_command_protocol(tmp_path):
    script = tmp_path / "client.py"
    script.write_text(
        "import json, os, sys, urllib.parse, urllib.request\n"
        "payload = json.load(sys.stdin)\n"
        "if not isinstance(payload, dict): sys.exit(3)\n"
        "tid = urllib.parse.quote(os.environ['RUNCONTRACT_THREAD_ID'], safe='')\n"
        "req = urllib.request.Request(os.environ['RUNCONTRACT_BASE_URL'] + '/threads/' + tid + '/runs',"
        " data=json.dumps(payload).encode(), headers={'Content-Type': 'application/json',"
        " 'OpenAI-Beta': 'assistants=v2', 'Authorization': 'Bearer ' + os.environ['RUNCONTRACT_API_KEY']})\n"
        "urllib.request.urlopen(req).read()\n"
        "if payload.get('metadata') is None and 'metadata' in payload: sys.exit(3)\n"
    )
    import sys

    send = command([sys.executable, str(script)], timeout=20)
    report = check_client(send, contract=CONTRACT, max_examples=0, boundary=False, cases=probe_cases(CONTRACT))
    assert report.failures == [] and report.examples == len(probe_cases(CONTRACT))
    refused = check_client(
        send, contract=CONTRACT, max_examples=0, boundary=False, cases=[Case({"assistant_id": "a", "metadata": None})]
    )
    assert keys(refused) == {("client_accepts_valid", "metadata")}  # the field whose removal lets it send
    with pytest.raises(ClientRejected):
        send("http://127.0.0.1:9/v1", "t", [1])


def test_command_crash_and_timeout():
    import sys

    crash = command([sys.executable, "-c", "raise SystemExit(7)"])
    report = check_client(crash, contract=CONTRACT, max_examples=0, boundary=False, cases=[Case({"assistant_id": "a"})])
    assert keys(report) == {("client_accepts_valid", None)} and "exit 7" in report.failures[0].message
    slow = command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2)
    report = check_client(slow, contract=CONTRACT, max_examples=0, boundary=False, cases=[Case({"assistant_id": "a"})])
    assert "did not finish" in report.failures[0].message


def test_cli_options():
    with pytest.raises(UsageError):
        client_from_options(sdk=None, command_line=None)
    with pytest.raises(UsageError):
        client_from_options(sdk="openai", command_line="x")
    with pytest.raises(UsageError):
        client_from_options(sdk="anthropic", command_line=None)
    _send, name = client_from_options(sdk=None, command_line="node x.mjs")
    assert name == "command:node x.mjs"
