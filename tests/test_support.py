"""The test kit does what the tests that use it rely on."""

from __future__ import annotations

import httpx

from runcontract import load_contract
from runcontract.drivers import ASGITarget
from runcontract.server import create_app
from support import RecordingTarget, make_case, make_exchange, make_failure


def test_make_case_takes_the_contracts_verdict():
    contract = load_contract()
    assert make_case({"assistant_id": "a"}, contract=contract).valid
    broken = make_case({"assistant_id": "a", "temperature": 3}, contract=contract)
    assert (broken.expected, broken.constraint) == ("invalid", "temperature.maximum")


def test_make_exchange_encodes_json_bodies_and_make_failure_keys_by_check_and_constraint():
    assert make_exchange(400, {"error": {}}).json() == {"error": {}}
    assert make_exchange(body=b"raw").body == b"raw"
    assert make_failure().key == ("invalid_rejected", "temperature.maximum")


def test_recording_target_keeps_what_it_sent_and_closes_the_inner_target():
    inner = ASGITarget(create_app())
    closed = []
    inner.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with RecordingTarget(inner) as target:
        case = make_case()
        assert target.send(case).status == 200
    assert target.sent == [case] and closed == [True]


def test_running_server_serves_the_reference_server(running_server):
    base_url = running_server()
    answer = httpx.post(
        f"{base_url}/v1/threads/thread_1/runs",
        json={"assistant_id": "a"},
        headers={"Authorization": "Bearer sk-x", "OpenAI-Beta": "assistants=v2"},
    )
    assert answer.status_code == 200
