"""The endpoint drivers: in-process ASGI and live HTTP, and their failure modes."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any

import pytest

from runcontract import Case, TargetUnreachable, load_contract
from runcontract.drivers import (
    ASGITarget,
    HTTPTarget,
    RateLimiter,
    encode_payload,
    parse_sse,
    quote_thread_id,
    redact_headers,
    retry_after_seconds,
)
from runcontract.server import BackgroundServer, create_app

V1 = load_contract(version="v1")
V2 = load_contract(version="v2")
CASE = Case({"assistant_id": "asst_1"})
THREAD_IDS = ["a/b", "a?b#c", "100%", "a%2Fb", "тред-😀", "sp ace+"]


# ------------------------------------------------------------ loopback helpers


@contextmanager
def raw_server(handle: Callable[[socket.socket, int], None], *, max_connections: int = 20) -> Iterator[str]:
    """A TCP server on 127.0.0.1 calling ``handle(conn, n)`` for the n-th connection (bounded)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def loop() -> None:
        for n in range(max_connections):
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                    break
                except TimeoutError:
                    continue
            else:
                return
            conn.settimeout(5)
            try:
                handle(conn, n)
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def answer(status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", "content-type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ the wire


def test_encode_payload() -> None:
    assert encode_payload({"a": "é😀"}) == '{"a": "é😀"}'.encode()
    assert encode_payload({"a": "x\ud800"}) == b'{"a": "x\\ud800"}'
    assert encode_payload({"t": float("nan")}) == b'{"t": NaN}'
    assert encode_payload({"n": 2**70}) == b'{"n": 1180591620717411303424}'


def test_quote_thread_id() -> None:
    assert quote_thread_id("a/b?c#d%e f") == "a%2Fb%3Fc%23d%25e%20f"
    assert quote_thread_id("т") == "%D1%82"
    assert quote_thread_id("\ud800") == "%ED%A0%80"


def test_parse_sse() -> None:
    body = (
        b': comment\r\nevent: a\r\ndata: {"x": 1}\r\n\r\n'
        b"data: line1\ndata: line2\n\n"
        b"event: b\rdata:nospace\r\r"
        b"event: empty\n\n"
        b"event: cut\ndata: never terminated"
    )
    assert parse_sse(body) == [("a", '{"x": 1}'), ("message", "line1\nline2"), ("b", "nospace")]
    assert parse_sse(b"") == []


def test_retry_after_seconds() -> None:
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(" 0.5 ") == 0.5
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("nan") is None
    now = time.time()
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_rate_limiter_spaces_requests() -> None:
    limiter = RateLimiter(50.0)
    started = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert 0.09 <= time.monotonic() - started < 1.0
    with pytest.raises(ValueError):
        RateLimiter(0)


# --------------------------------------------------------------------- ASGI


def test_asgi_target_headers_and_answer() -> None:
    target = ASGITarget(create_app(V2), contract=V2, headers={"X-Extra": "1", "openai-beta": "assistants=v2"})
    exchange = target.send(Case({"assistant_id": "a", "metadata": {"k": "é"}}, thread_id="a/b"))
    assert exchange.status == 200 and exchange.error is None
    assert exchange.url == "http://testserver/v1/threads/a%2Fb/runs"
    headers = exchange.request_headers
    assert headers["Content-Type"] == "application/json"
    assert headers["openai-beta"] == "assistants=v2" and "OpenAI-Beta" not in headers
    assert headers["Authorization"].startswith("Bearer ") and headers["X-Extra"] == "1"
    assert redact_headers(headers)["Authorization"] == "Bearer [REDACTED]"
    assert exchange.request_body == '{"assistant_id": "a", "metadata": {"k": "é"}}'.encode()
    assert exchange.json()["thread_id"] == "a/b"
    assert exchange.elapsed > 0
    assert ASGITarget(create_app(V1), contract=V1).headers["OpenAI-Beta"] == "assistants=v1"


@pytest.mark.parametrize("thread_id", THREAD_IDS)
def test_asgi_thread_ids(thread_id: str) -> None:
    exchange = ASGITarget(create_app(V2)).send(Case({"assistant_id": "a"}, thread_id=thread_id))
    assert exchange.json()["thread_id"] == thread_id


def test_asgi_query_and_stream() -> None:
    target = ASGITarget(create_app(V2))
    good = {"include[]": list(V2.endpoint.include_values)}
    exchange = target.send(Case({"assistant_id": "a", "stream": True}, query=good))
    assert "include%5B%5D=" in exchange.url
    assert exchange.status == 200
    assert exchange.events is not None and exchange.events[0][0] == "thread.run.created"
    assert exchange.events[-1] == ("done", "[DONE]")
    assert target.send(CASE).events is None


async def _raises_first(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


async def _raises_mid_body(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise RuntimeError("boom")


async def _hangs(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await receive()  # blocks until the caller gives up


async def _huge(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(64):
        await send({"type": "http.response.body", "body": b"x" * 4096, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _never_answers(scope: Any, receive: Any, send: Any) -> None:
    return None


def test_asgi_app_failures_are_exchanges_not_exceptions() -> None:
    first = ASGITarget(_raises_first).send(CASE)
    assert first.status == 500 and first.error is None
    mid = ASGITarget(_raises_mid_body).send(CASE)
    assert mid.status == 0 and mid.error is not None and "RuntimeError" in mid.error
    started = time.monotonic()
    hung = ASGITarget(_hangs, timeout=0.2).send(CASE)
    assert hung.status == 0 and hung.error is not None and "timed out" in hung.error
    assert time.monotonic() - started < 2
    huge = ASGITarget(_huge, body_cap=10_000).send(CASE)
    assert huge.status == 0 and huge.error is not None and "truncated" in huge.error
    assert len(huge.body) == 10_000
    silent = ASGITarget(_never_answers).send(CASE)
    assert silent.status == 0 and silent.error is not None


def test_asgi_target_inside_a_running_event_loop() -> None:
    import asyncio

    target = ASGITarget(create_app(V2))

    async def main() -> int:
        return target.send(CASE).status

    assert asyncio.run(main()) == 200
    assert target.send(CASE).status == 200
    target.close()


def test_asgi_target_from_several_threads() -> None:
    target = ASGITarget(create_app(V2))
    statuses: list[int] = []

    def worker(i: int) -> None:
        for j in range(20):
            statuses.append(target.send(Case({"assistant_id": f"a{i}-{j}"})).status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert statuses == [200] * 80
    target.close()


# --------------------------------------------------------------------- HTTP


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer() as running:
        yield running


def test_http_target_against_the_reference_server(server: BackgroundServer) -> None:
    with HTTPTarget(server.base_url + "/v1/", api_key="sk-test", headers={"X-Extra": "1"}) as target:
        target.check_reachable()
        payload = {"assistant_id": "a", "max_prompt_tokens": 2**70, "instructions": "é😀"}
        for thread_id in THREAD_IDS:
            exchange = target.send(Case(payload, thread_id=thread_id))
            assert exchange.status == 200, exchange.excerpt()
            run = exchange.json()
            assert run["thread_id"] == thread_id
            assert run["max_prompt_tokens"] == 2**70 and run["instructions"] == "é😀"
        assert exchange.request_headers["Authorization"] == "Bearer sk-test"
        assert exchange.request_headers["OpenAI-Beta"] == "assistants=v2"
        assert exchange.url.startswith(server.base_url + "/v1/threads/")
        streamed = target.send(Case({"assistant_id": "a", "stream": True}))
        assert streamed.events is not None and streamed.events[-1] == ("done", "[DONE]")
        surrogate = target.send(Case({"assistant_id": "a\udfff"}))
        assert surrogate.status == 400 and surrogate.json()["error"]["param"] == "assistant_id"
        nan = target.send(Case({"assistant_id": "a", "temperature": float("nan")}))
        assert nan.status == 400


def test_http_api_key_from_environment(server: BackgroundServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RC_TEST_KEY", "sk-env")
    with HTTPTarget(server.base_url, api_key_env="RC_TEST_KEY") as target:
        assert target.headers["Authorization"] == "Bearer sk-env"
        assert target.send(CASE).status == 200
    monkeypatch.delenv("RC_TEST_KEY")
    with HTTPTarget(server.base_url, api_key_env="RC_TEST_KEY") as target:
        assert "Authorization" not in target.headers
        assert target.send(CASE).status == 401


def test_http_retries_honour_retry_after() -> None:
    seen: list[float] = []

    def handle(conn: socket.socket, n: int) -> None:
        while True:
            if not read_request(conn):
                return
            seen.append(time.monotonic())
            if len(seen) == 1:
                conn.sendall(answer(429, b'{"error": {}}', {"Retry-After": "0.2"}))
            elif len(seen) == 2:
                conn.sendall(answer(503, b"{}", {"Retry-After": formatdate(time.time(), usegmt=True)}))
            else:
                conn.sendall(answer(200, b'{"ok": true}'))

    with raw_server(handle) as url, HTTPTarget(url, api_key="k", max_retries=3) as target:
        exchange = target.send(CASE)
    assert exchange.status == 200 and exchange.json() == {"ok": True}
    assert len(seen) == 3 and target.retries == 2
    assert seen[1] - seen[0] >= 0.18


def test_http_retry_waits_are_capped_and_bounded() -> None:
    count = 0

    def handle(conn: socket.socket, n: int) -> None:
        nonlocal count
        while read_request(conn):
            count += 1
            conn.sendall(answer(429, b'{"error": {}}', {"Retry-After": "3600"}))

    started = time.monotonic()
    with raw_server(handle) as url, HTTPTarget(url, api_key="k", max_retries=2, retry_cap_seconds=0.05) as target:
        exchange = target.send(CASE)
    assert exchange.status == 429 and count == 3
    assert time.monotonic() - started < 2


def test_http_backoff_without_retry_after() -> None:
    count = 0

    def handle(conn: socket.socket, n: int) -> None:
        nonlocal count
        while read_request(conn):
            count += 1
            conn.sendall(answer(503 if count < 3 else 200))

    with raw_server(handle) as url, HTTPTarget(url, max_retries=5, backoff_seconds=0.01) as target:
        assert target.send(CASE).status == 200
    assert count == 3


def test_http_rate_cap(server: BackgroundServer) -> None:
    with HTTPTarget(server.base_url, api_key="k", rate=25.0) as target:
        started = time.monotonic()
        for _ in range(6):
            assert target.send(CASE).status == 200
        assert time.monotonic() - started >= 0.19


def test_unreachable() -> None:
    port = free_port()
    target = HTTPTarget(f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(TargetUnreachable) as info:
        target.check_reachable()
    assert "\n" not in str(info.value) and f"127.0.0.1:{port}" in str(info.value)
    exchange = target.send(CASE)
    assert exchange.status == 0 and exchange.error is not None and "connection" in exchange.error
    target.close()


def _reset(conn: socket.socket, n: int) -> None:
    read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _close_silently(conn: socket.socket, n: int) -> None:
    read_request(conn)


def _garbage(conn: socket.socket, n: int) -> None:
    read_request(conn)
    conn.sendall(b"\x00\xffnot http at all\r\n\r\n")


def _huge_body(conn: socket.socket, n: int) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 50000000\r\ncontent-type: application/json\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(64):
        conn.sendall(chunk)


def _short_body(conn: socket.socket, n: int) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{}")


def _slow_headers(conn: socket.socket, n: int) -> None:
    read_request(conn)
    time.sleep(0.6)


def _drip(conn: socket.socket, n: int) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
    for _ in range(20):
        conn.sendall(b"x")
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (_reset, ("reset", "error", "closed", "disconnected")),
        (_close_silently, ("disconnected", "closed", "protocol")),
        (_garbage, ("protocol",)),
        (_huge_body, ("larger than",)),
        (_short_body, ("incomplete", "closed", "protocol", "peer")),
        (_slow_headers, ("timed out",)),
        (_drip, ("not complete",)),
    ],
    ids=["reset", "closed", "garbage", "huge", "short", "slow", "drip"],
)
def test_http_hostile_servers_give_error_exchanges(handler: Any, words: tuple[str, ...]) -> None:
    started = time.monotonic()
    with raw_server(handler) as url, HTTPTarget(url, api_key="k", timeout=0.3, max_retries=0) as target:
        target.body_cap = 100_000
        exchange = target.send(CASE)
    assert exchange.status == 0
    assert exchange.error is not None
    assert any(w in exchange.error.lower() for w in words), exchange.error
    assert len(exchange.body) <= 100_000
    assert time.monotonic() - started < 3


def test_http_base_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        HTTPTarget("ftp://example.com")


def test_both_targets_answer_alike(server: BackgroundServer) -> None:
    asgi = ASGITarget(create_app(V2))
    with HTTPTarget(server.base_url, api_key="k") as http:
        for payload in ({"assistant_id": "a", "top_p": 2}, {"assistant_id": "a", "tools": None}, {"x": 1}):
            a, h = asgi.send(Case(payload)), http.send(Case(payload))
            assert a.status == h.status
            assert a.request_body == h.request_body
            if a.status != 200:
                assert json.loads(a.body) == json.loads(h.body)
