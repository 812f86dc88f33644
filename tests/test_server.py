"""The reference server answers as the contract says."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from runcontract import Case, boundary_cases, load_contract
from runcontract.checks import ECHOED
from runcontract.contract import JSON_NUMBER
from runcontract.drivers import ASGITarget, Exchange
from runcontract.server import BackgroundServer, create_app, param_from_pointer

V2 = load_contract(version="v2")
V1 = load_contract(version="v1")

THREAD_IDS = ["thread_abc123", "a/b", "a?b#c", "100%", "a%2Fb", "a%41", "sp ace+plus", "тред-€-😀", "..", "~!*'()"]


@pytest.fixture(scope="module")
def v2() -> ASGITarget:
    return ASGITarget(create_app(V2), contract=V2)


@pytest.fixture(scope="module")
def v1() -> ASGITarget:
    return ASGITarget(create_app(V1), contract=V1)


def assert_run(exchange: Exchange, payload: dict[str, Any], thread_id: str, contract: Any = V2) -> dict[str, Any]:
    assert exchange.status == 200, exchange.excerpt()
    assert exchange.content_type == "application/json"
    run = exchange.json()
    assert contract.run_errors(run) == []
    assert run["thread_id"] == thread_id
    for name in ECHOED:
        if payload.get(name) is not None:
            assert run[name] == payload[name], name
            assert type(run[name]) is type(payload[name]), name
    return run


def assert_error(exchange: Exchange, status: int, param: str | None, contract: Any = V2) -> dict[str, Any]:
    assert exchange.status == status, exchange.excerpt()
    assert exchange.content_type == "application/json"
    body = exchange.json()
    assert contract.error_body_errors(body) == []
    assert body["error"]["param"] == param, body
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize("contract", [V2, V1], ids=["v2", "v1"])
def test_every_boundary_case_gets_the_contracts_verdict(contract: Any) -> None:
    target = ASGITarget(create_app(contract), contract=contract)
    cases = boundary_cases(contract)
    assert len(cases) > 100
    for bc in cases:
        exchange = target.send(Case(bc.payload))
        if bc.side == "at":
            assert_run(exchange, bc.payload, "thread_abc123", contract)
        else:
            pointers = [v.pointer for v in contract.validate(bc.payload)]
            # A body that is not JSON (NaN) has no field at fault: param is null.
            param = None if bc.constraint == JSON_NUMBER else param_from_pointer(pointers[0])
            assert_error(exchange, 400, param, contract)


@pytest.mark.parametrize(
    ("pointer", "param"),
    [
        ("", None),
        ("/metadata", "metadata"),
        ("/tools/1/function/name", "tools[1].function.name"),
        ("/metadata/k-1_x", "metadata.k-1_x"),
        ("/metadata/a.b", "metadata"),
        ("/metadata/a~1b", "metadata"),
        ("/additional_messages/0/content/2/image_url/url", "additional_messages[0].content[2].image_url.url"),
        ("/unexpected field", "unexpected field"),
    ],
)
def test_param_from_pointer(pointer: str, param: str | None) -> None:
    assert param_from_pointer(pointer) == param


def test_full_request_is_reflected(v2: ASGITarget) -> None:
    payload = {
        "assistant_id": "asst_1",
        "model": "gpt-4.1-mini",
        "instructions": "Réponds en français 😀",
        "tools": [
            {"type": "code_interpreter"},
            {"type": "file_search", "file_search": {"max_num_results": 50}},
            {"type": "function", "function": {"name": "f" * 64, "parameters": {"type": "object"}, "strict": None}},
        ],
        "metadata": {f"k{i}": "v" * 512 for i in range(16)},
        "temperature": 2,
        "top_p": 0.000001,
        "max_prompt_tokens": 2**70,
        "max_completion_tokens": 256,
        "truncation_strategy": {"type": "last_messages", "last_messages": 3},
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        "parallel_tool_calls": False,
        "reasoning_effort": "low",
    }
    run = assert_run(v2.send(Case(payload, thread_id="t/1")), payload, "t/1")
    assert run["max_prompt_tokens"] == 2**70
    assert b'"max_prompt_tokens":1180591620717411303424' in v2.send(Case(payload)).body
    assert run["id"].startswith("run_") and run["object"] == "thread.run" and run["status"] == "queued"


def test_defaults_for_absent_and_null_fields(v2: ASGITarget) -> None:
    for payload in ({"assistant_id": "a"}, {"assistant_id": "a", **dict.fromkeys(("model", "tools", "metadata"))}):
        run = assert_run(v2.send(Case(payload)), payload, "thread_abc123")
        assert run["model"] == "gpt-4o"
        assert run["instructions"] == ""
        assert run["tools"] == [] and run["metadata"] == {}
        assert run["truncation_strategy"] == {"type": "auto", "last_messages": None}
        assert run["tool_choice"] == "auto" and run["response_format"] == "auto"
        assert run["parallel_tool_calls"] is True


@pytest.mark.parametrize("thread_id", THREAD_IDS)
def test_thread_ids_come_from_the_raw_path(v2: ASGITarget, thread_id: str) -> None:
    assert_run(v2.send(Case({"assistant_id": "a"}, thread_id=thread_id)), {}, thread_id)


def test_bad_paths_are_404_with_error_body() -> None:
    app = create_app(V2)
    headers = {**V2.endpoint.headers, "Authorization": "Bearer k"}
    with TestClient(app, base_url="http://t", raise_server_exceptions=False) as client:
        for path in ("/v1/threads//runs", "/v1/threads/a/b/runs", "/v1/nothing", "/v1/threads/%FF/runs"):
            answer = client.post(path, json={"assistant_id": "a"}, headers=headers)
            assert answer.status_code == 404, path
            assert V2.error_body_errors(answer.json()) == []
        wrong_method = client.get("/v1/threads/t/runs", headers=headers)
        assert wrong_method.status_code == 405
        assert V2.error_body_errors(wrong_method.json()) == []


def test_auth(v2: ASGITarget) -> None:
    no_auth = ASGITarget(create_app(V2), api_key=None)
    error = assert_error(no_auth.send(Case({"assistant_id": "a"})), 401, None)
    assert "API key" in error["message"]
    empty = ASGITarget(create_app(V2), headers={"Authorization": "Bearer "})
    assert_error(empty.send(Case({"assistant_id": "a"})), 401, None)
    keyed = create_app(V2, api_keys={"sk-good"})
    assert ASGITarget(keyed, api_key="sk-good").send(Case({"assistant_id": "a"})).status == 200
    bad = assert_error(ASGITarget(keyed, api_key="sk-bad").send(Case({"assistant_id": "a"})), 401, None)
    assert bad["code"] == "invalid_api_key"


def test_beta_header_is_required() -> None:
    app = create_app(V2)
    missing = ASGITarget(app, headers={"OpenAI-Beta": ""})
    del missing.headers["OpenAI-Beta"]
    error = assert_error(missing.send(Case({"assistant_id": "a"})), 400, None)
    assert "OpenAI-Beta" in error["message"]
    wrong = ASGITarget(app, headers={"OpenAI-Beta": "assistants=v1"})
    assert "OpenAI-Beta" in assert_error(wrong.send(Case({"assistant_id": "a"})), 400, None)["message"]
    v1_on_v1 = ASGITarget(create_app(V1), contract=V1)
    assert v1_on_v1.headers["OpenAI-Beta"] == "assistants=v1"
    assert v1_on_v1.send(Case({"assistant_id": "a"})).status == 200


def test_include_query(v2: ASGITarget, v1: ASGITarget) -> None:
    good = {"include[]": ["step_details.tool_calls[*].file_search.results[*].content"]}
    assert v2.send(Case({"assistant_id": "a"}, query=good)).status == 200
    bad = {"include[]": ["step_details.tool_calls[*].file_search.results[*].contents"]}
    assert_error(v2.send(Case({"assistant_id": "a"}, query=bad)), 400, "include[]")
    assert_error(v1.send(Case({"assistant_id": "a"}, query=good)), 400, "include[]", V1)
    assert v2.send(Case({"assistant_id": "a"}, query={"other": "x"})).status == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'"assistant_id"',
        b"null",
        b'{"assistant_id": "a", "temperature": NaN}',
        b'{"assistant_id": "a", "temperature": Infinity}',
        b'{"assistant_id": "a", "temperature": 1e400}',
        b'{"assistant_id": "\xff"}',
        b'{"assistant_id": "a", "max_prompt_tokens": ' + b"9" * 5000 + b"}",
        b"[" * 100_000,
    ],
)
def test_unparseable_or_non_object_bodies_are_400(body: bytes) -> None:
    app = create_app(V2)
    with TestClient(app, base_url="http://t", raise_server_exceptions=False) as client:
        answer = client.post(
            "/v1/threads/t/runs", content=body, headers={**V2.endpoint.headers, "Authorization": "Bearer k"}
        )
    assert answer.status_code == 400, answer.text
    assert V2.error_body_errors(answer.json()) == []
    assert answer.json()["error"]["param"] is None


def test_lone_surrogate_escape_is_rejected_with_its_field(v2: ASGITarget) -> None:
    exchange = v2.send(Case({"assistant_id": "a", "instructions": "x\ud800"}))
    assert b"\\ud800" in exchange.request_body
    error = assert_error(exchange, 400, "instructions")
    assert error["code"] == "invalid_encoding"


def test_error_names_the_first_violation_and_counts_the_rest(v2: ASGITarget) -> None:
    payload = {"assistant_id": "a", "tools": [{"type": "code_interpreter"}, {"type": "function", "function": {}}]}
    error = assert_error(v2.send(Case(payload)), 400, "tools[1].function.name")
    assert error["type"] == "invalid_request_error" and error["code"] == "missing_required_parameter"
    error = assert_error(v2.send(Case({"assistant_id": "a", "temperature": 3, "top_p": 2})), 400, "temperature")
    assert "1 more" in error["message"]
    assert assert_error(v2.send(Case({"assistant_id": "a", "bogus": 1})), 400, "bogus")["code"] == "unknown_parameter"


def test_streaming(v2: ASGITarget) -> None:
    payload = {"assistant_id": "a", "stream": True, "metadata": {"k": "v"}}
    exchange = v2.send(Case(payload, thread_id="s/1"))
    assert exchange.status == 200
    assert exchange.content_type == "text/event-stream"
    assert exchange.body.endswith(b"event: done\ndata: [DONE]\n\n")
    assert exchange.events is not None
    names = [name for name, _ in exchange.events]
    assert names == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.completed",
        "done",
    ]
    runs = [json.loads(data) for _, data in exchange.events[:-1]]
    for run in runs:
        assert V2.run_errors(run) == []
        assert run["thread_id"] == "s/1" and run["metadata"] == {"k": "v"}
    assert [r["status"] for r in runs] == ["queued", "queued", "in_progress", "completed"]
    assert exchange.events[-1] == ("done", "[DONE]")
    # an invalid streaming request is a plain 400
    assert_error(v2.send(Case({"assistant_id": "a", "stream": True, "top_p": 5})), 400, "top_p")


def test_v1_mode(v1: ASGITarget, v2: ASGITarget) -> None:
    payload = {"assistant_id": "a", "tools": [{"type": "retrieval"}, {"type": "code_interpreter"}]}
    run = assert_run(v1.send(Case(payload)), payload, "thread_abc123", V1)
    assert run["tools"][0] == {"type": "retrieval"}
    assert_error(v2.send(Case(payload)), 400, "tools[0].type")
    assert_error(v1.send(Case({"assistant_id": "a", "temperature": 1})), 400, "temperature", V1)


def test_assistants_and_threads() -> None:
    app = create_app(V2)
    headers = {**V2.endpoint.headers, "Authorization": "Bearer k"}
    with TestClient(app, base_url="http://t", raise_server_exceptions=False) as client:
        assistant = client.post("/v1/assistants", json={"model": "gpt-4o", "name": "n"}, headers=headers)
        thread = client.post("/v1/threads", headers=headers)
        unauthorised = client.post("/v1/threads", headers=V2.endpoint.headers)
    assert assistant.status_code == 200 and assistant.json()["id"].startswith("asst_")
    assert assistant.json()["object"] == "assistant"
    assert thread.status_code == 200 and thread.json()["id"].startswith("thread_")
    assert unauthorised.status_code == 401


def test_rate_limit_knob() -> None:
    target = ASGITarget(create_app(V2, rate_limit=1.0))
    first = target.send(Case({"assistant_id": "a"}))
    second = target.send(Case({"assistant_id": "a"}))
    assert first.status == 200
    error = assert_error(second, 429, None)
    assert error["code"] == "rate_limit_exceeded"
    assert int(second.headers["retry-after"]) >= 1


def test_background_server_over_loopback() -> None:
    headers = {**V2.endpoint.headers, "Authorization": "Bearer k"}
    with BackgroundServer() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.base_url) as client:
            for segment, thread_id in (("a%2Fb", "a/b"), ("%D1%82%E2%82%AC", "т€"), ("x%3Fy%23z%25", "x?y#z%")):
                answer = client.post(f"/v1/threads/{segment}/runs", json={"assistant_id": "a"}, headers=headers)
                assert answer.status_code == 200, answer.text
                assert answer.json()["thread_id"] == thread_id
            assert client.post("/v1/threads/a%2Fb/runs", json={"assistant_id": "a"}).status_code == 401
            streamed = client.post("/v1/threads/t/runs", json={"assistant_id": "a", "stream": True}, headers=headers)
            assert streamed.text.endswith("data: [DONE]\n\n")
        port = server.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_quiet_background_server_keeps_asyncio_warnings_of_its_thread_off_stderr() -> None:
    # asyncio warns "socket.send() raised exception." when a client left mid-answer (Ctrl-C during fuzz).
    import logging

    def record(thread_name: str, level: int = logging.WARNING) -> logging.LogRecord:
        made = logging.LogRecord("asyncio", level, __file__, 1, "socket.send() raised exception.", None, None)
        made.threadName = thread_name
        return made

    asyncio_logger = logging.getLogger("asyncio")
    with BackgroundServer(log_level="critical") as server:
        own = server._thread.name
        assert not asyncio_logger.filter(record(own))
        assert asyncio_logger.filter(record(own, logging.CRITICAL))
        assert asyncio_logger.filter(record("MainThread"))
    assert asyncio_logger.filter(record(own))
    with BackgroundServer(log_level="warning") as server:
        assert asyncio_logger.filter(record(server._thread.name))


def test_background_server_decodes_like_the_asgi_path() -> None:
    headers = {**V2.endpoint.headers, "Authorization": "Bearer k"}
    with BackgroundServer(version="v1") as server, httpx.Client(base_url=server.base_url) as client:
        answer = client.post(
            "/v1/threads/a%2Fb%3F%23%25%F0%9F%98%80/runs",
            json={"assistant_id": "a", "tools": [{"type": "retrieval"}]},
            headers={**headers, "OpenAI-Beta": "assistants=v1"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["thread_id"] == "a/b?#%😀"


def test_405_names_the_allowed_method():
    from starlette.testclient import TestClient

    from runcontract.server import create_app

    answer = TestClient(create_app()).get("/v1/threads/t/runs")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
