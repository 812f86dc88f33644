"""runcontract.mock: answers like the reference server and fails the test on any contract violation."""

from __future__ import annotations

import warnings

import httpx
import httpx2
import pytest

import runcontract

HEADERS = {"OpenAI-Beta": "assistants=v2", "Authorization": "Bearer sk-x"}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def test_openai_client_gets_a_run_that_reflects_the_request():
    with runcontract.mock() as m:
        run = m.openai_client().beta.threads.runs.create("thread_1", assistant_id="asst_1", temperature=2, top_p=1)
    assert (run.thread_id, run.assistant_id, run.temperature, run.top_p) == ("thread_1", "asst_1", 2, 1)


def test_stream_true_gets_an_event_stream():
    with runcontract.mock() as m:
        events = [e.event for e in m.openai_client().beta.threads.runs.create("t", assistant_id="a", stream=True)]
    assert events[0] == "thread.run.created"
    assert events[-1] == "thread.run.completed"


def test_invalid_request_gets_400_and_fails_at_the_end():
    with pytest.raises(AssertionError, match=r"temperature\.maximum at /temperature"):
        with runcontract.mock() as m:
            answer = httpx.Client(transport=m.transport()).post(
                "https://api.openai.com/v1/threads/t/runs",
                json={"assistant_id": "a", "temperature": 2.5},
                headers=HEADERS,
            )
            assert answer.status_code == 400
            assert answer.json()["error"]["param"] == "temperature"


def test_httpx2_transport():
    with runcontract.mock() as m:
        answer = httpx2.Client(transport=m.httpx2_transport()).post(
            "https://api.openai.com/v1/threads/t/runs", json={"assistant_id": "a"}, headers=HEADERS
        )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("url", "headers", "content", "problem"),
    [
        ("https://x/v1/threads/a/b/runs", HEADERS, b'{"assistant_id": "a"}', "not percent-encoded"),
        ("https://x/v1/threads/t/runs", {"Authorization": "Bearer k"}, b'{"assistant_id": "a"}', "OpenAI-Beta"),
        ("https://x/v1/threads/t/runs", {"OpenAI-Beta": "assistants=v2"}, b'{"assistant_id": "a"}', "Authorization"),
        ("https://x/v1/threads/t/runs", HEADERS, '{"assistant_id": "é"}'.encode("latin-1"), "not UTF-8"),
    ],
)
def test_wire_problems_fail_the_test(url, headers, content, problem):
    m = runcontract.mock()
    with m.respx():
        httpx.post(url, content=content, headers={**headers, "Content-Type": "application/json"})
    with pytest.raises(AssertionError, match=problem):
        m.assert_no_violations()


def test_not_strict_only_records():
    with runcontract.mock(strict=False) as m:
        client = httpx.Client(transport=m.transport())
        client.post(
            "https://x/v1/threads/t/runs", json={"assistant_id": "a", "tools": [{"type": "retrieval"}]}, headers=HEADERS
        )
    assert [v.constraint for v in m.calls[0].violations] == ["tools.items.type.enum"]


def test_v1_mock_accepts_retrieval():
    with runcontract.mock(version="v1") as m:
        answer = httpx.Client(transport=m.transport()).post(
            "https://x/v1/threads/t/runs",
            json={"assistant_id": "a", "tools": [{"type": "retrieval"}]},
            headers={**HEADERS, "OpenAI-Beta": "assistants=v1"},
        )
    assert answer.status_code == 200


def test_a_faulty_consumer_is_caught():
    def consumer(client):  # planted bug: percent (0..100) passed where temperature (0..2) belongs
        return client.beta.threads.runs.create("t", assistant_id="a", temperature=70)

    with pytest.raises(AssertionError, match=r"temperature\.maximum"):
        with runcontract.mock() as m:
            try:
                consumer(m.openai_client())
            except Exception:
                pass


# ------------------------------------------------- the wire rules shared with the client check wire_format


def test_beta_header_may_list_other_betas():
    with runcontract.mock() as m:
        answer = httpx.Client(transport=m.transport()).post(
            "https://x/v1/threads/t/runs",
            json={"assistant_id": "a"},
            headers={**HEADERS, "OpenAI-Beta": "assistants=v2, foo=1"},
        )
    assert answer.status_code == 200 and m.calls[0].wire == []


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"Authorization": "Bearer k"}, "no OpenAI-Beta header"),
        ({**HEADERS, "OpenAI-Beta": "assistants=v1, foo=1"}, "expected 'assistants=v2'"),
        ({**HEADERS, "Content-Type": "application/json; charset=latin-1"}, "charset 'latin-1'"),
    ],
)
def test_mock_refuses_what_the_client_check_refuses(headers, problem):
    m = runcontract.mock()
    httpx.Client(transport=m.transport()).post(
        "https://x/v1/threads/t/runs", json={"assistant_id": "a"}, headers=headers
    )
    assert any(problem in w for w in m.calls[0].wire), m.calls[0].wire
    with pytest.raises(AssertionError, match="wire: "):
        m.assert_no_violations()


def test_mock_behind_another_base_path():
    with runcontract.mock(base_url="https://proxy.example/openai/v1") as m:
        answer = httpx2.Client(transport=m.httpx2_transport()).post(
            "https://proxy.example/openai/v1/threads/t%2F1/runs", json={"assistant_id": "a"}, headers=HEADERS
        )
    assert answer.status_code == 200 and m.calls[0].thread_id == "t/1"


def test_wire_problems_lists_every_rule_broken_in_order():
    from runcontract.checks import Captured, wire_problems

    contract = runcontract.load_contract()
    sent = Captured("PUT", "/v1/threads/a b/runs", (("Content-Type", "text/plain"),), b"\xff")
    found = [p.constraint for p in wire_problems(contract, sent)]
    assert found == ["method", "path", "content-type", "encoding", "openai-beta", "authorization"]
    good = Captured("POST", "/v1/threads/t%2F1/runs", (("content-type", "application/json"), *HEADERS.items()), b"{}")
    assert wire_problems(contract, good, thread_id="t/1") == []
    assert [p.constraint for p in wire_problems(contract, good, thread_id="t")] == ["path"]


def test_the_mock_refuses_what_a_real_client_must_never_send():
    """Every request probe a real client must never send (issue: bodies that are not JSON) is a
    recorded problem of the call: a refusal (4xx) or a wire problem; the lenient ones (a byte-order
    mark, a duplicate key, a 1 MB body) are the server's to take or refuse."""
    from runcontract.drivers import encode_payload, request_headers, with_case_headers
    from runcontract.strategies import probe_plan

    contract = runcontract.load_contract()
    never = {
        "body.utf8",
        "body.truncated",
        "body.empty",
        "body.nul",
        "body.deep",
        "header.content-type",
        "header.charset",
        "header.openai-beta",
        "header.authorization",
    }
    cases = [c for c in probe_plan(contract, probes=("body", "headers")) if c.constraint in never]
    assert {c.constraint for c in cases} == never
    mock = runcontract.mock(strict=False)
    for case in cases:
        body = case.body if case.body is not None else encode_payload(case.payload)
        headers = with_case_headers(request_headers(contract, "sk-test", None), case.headers)
        status, _, _ = mock.answer(
            "POST", "/v1/threads/thread_1/runs", {k.lower(): v for k, v in headers.items()}, body
        )
        call = mock.calls[-1]
        assert status >= 400 or call.wire, (case.constraint, status)
        assert not call.ok, case.constraint
