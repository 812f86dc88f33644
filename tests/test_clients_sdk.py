"""The real client serializers: the openai Python SDK and (through the command adapter) the npm package.

The expected findings are written out exactly, so a change in an SDK's
behaviour shows here first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runcontract import Case, load_contract
from runcontract.clients import check_client, command, openai_sdk, probe_cases, run_client_cli, sdk_major

pytest.importorskip("openai")

V2 = load_contract()
NODE_DIR = Path(__file__).parent / "node"


def keys(report):
    return {(f.check, f.constraint) for f in report.failures}


@pytest.mark.skipif(sdk_major() != 3, reason="the findings below are openai 3.x's")
def test_openai_sdk_3_over_loopback_agrees_with_v2():
    report = check_client(openai_sdk(), contract=V2, max_examples=60, seed=0)
    # openai 3.57.0 sends every valid payload faithfully (2**70, 0.1 + 0.2 and nulls intact,
    # thread ids percent-encoded) and refuses, cleanly, only what it cannot build a request from.
    assert keys(report) == set(), [f.to_dict() for f in report.failures]
    assert report.examples >= 200


@pytest.mark.skipif(sdk_major() != 3, reason="the findings below are openai 3.x's")
def test_openai_sdk_3_in_process_agrees_with_v2():
    report = check_client(openai_sdk(in_process=True), contract=V2, max_examples=60, seed=1)
    assert keys(report) == set(), [f.to_dict() for f in report.failures]


def test_openai_sdk_always_sends_the_v2_beta_header():
    report = check_client(openai_sdk(in_process=True), contract=load_contract(version="v1"), max_examples=5, seed=0)
    assert keys(report) == {("wire_format", "openai-beta")}
    assert "'assistants=v2', expected 'assistants=v1'" in report.failures[0].message


def test_openai_sdk_refusals_are_clean():
    send = openai_sdk(in_process=True)
    for thread_id, payload in [("", {"assistant_id": "a"}), ("..", {"assistant_id": "a"}), ("t", {"temperature": 1})]:
        with pytest.raises((ValueError, TypeError)):
            send(send.base_url, thread_id, payload)  # type: ignore[attr-defined]


def test_fuzz_client_cli_function():
    report = run_client_cli(sdk="openai", max_examples=5, seed=0)
    assert report.ok and report.target.startswith("sdk:openai")


_NPM = NODE_DIR / "node_modules" / "openai"


@pytest.mark.skipif(shutil.which("node") is None or not _NPM.is_dir(), reason="needs node and tests/node npm install")
def test_npm_openai_through_the_command_adapter():
    send = command(["node", str(NODE_DIR / "send_run.mjs")], timeout=30)
    cases = [
        *probe_cases(V2),
        Case({"assistant_id": "a", "stream": True}),
        Case({"assistant_id": "a", "metadata": None}),
    ]
    report = check_client(send, contract=V2, max_examples=0, boundary=False, cases=cases, validates=False)
    # JavaScript numbers are doubles: integers beyond 2**53 cannot reach the SDK intact, a property of
    # the language. The program says so (exit 4), so they are one capability gap, not fidelity bugs.
    # Thread ids, nulls, floats and streaming are carried faithfully.
    assert keys(report) == {("client_capability", None)}
    (finding,) = report.findings()
    assert finding.check == "client_capability" and "is not a JavaScript number" in finding.example.message
