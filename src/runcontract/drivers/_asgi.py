"""An in-process ASGI endpoint: requests go straight into the app, no sockets.

A minimal ASGI 3 caller on a private event loop (httpx's ``ASGITransport`` is
async-only and adds a client stack per request); it behaves like an ASGI
server where it matters to the checks: an app that raises before answering
gets a 500 (as uvicorn sends), one that raises mid-body or hangs past
``timeout`` gives ``Exchange.error``.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Mapping, MutableMapping
from concurrent.futures import Future
from typing import Any
from urllib.parse import unquote

from .._core import Case, Exchange
from ..contract import Contract, load_contract
from ._wire import DEFAULT_BODY_CAP, WireTarget, query_string, quote_thread_id, request_headers

__all__ = ["ASGIApp", "ASGITarget"]

Message = MutableMapping[str, Any]
ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Any], Callable[[Message], Any]], Any]

DUMMY_KEY = "sk-runcontract-asgi"


class _Loop:
    """A private event loop, driven from the calling thread or, if that thread already runs one, from a helper."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._helper: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, coro: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            with self._lock:  # callers from several threads take turns on the one loop
                if self._helper is None:
                    return self.loop.run_until_complete(coro)
        return self._run_in_helper(coro)

    def _run_in_helper(self, coro: Any) -> Any:
        with self._lock:
            if self._helper is None:
                self._helper = threading.Thread(target=self.loop.run_forever, name="runcontract-asgi", daemon=True)
                self._helper.start()
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result()

    def close(self) -> None:
        if self._helper is not None and self._helper.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._helper.join(5)
        if not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()


class ASGITarget(WireTarget):
    """Send cases to an ASGI ``app`` in process; ``send(case)`` returns an ``Exchange``.

    Headers: Content-Type and OpenAI-Beta from ``contract`` (default: the
    bundled v2), ``Authorization: Bearer <api_key>`` (a dummy key by default),
    then ``headers``. ``timeout`` bounds one request; answers larger than
    ``body_cap`` bytes are cut and reported as an error.
    """

    def __init__(
        self,
        app: Any,
        *,
        headers: Mapping[str, str] | None = None,
        contract: Contract | None = None,
        api_key: str | None = DUMMY_KEY,
        timeout: float = 30.0,
        body_cap: int = DEFAULT_BODY_CAP,
        base_url: str = "http://testserver",
    ) -> None:
        self.app = app
        self.contract = contract if contract is not None else load_contract()
        self.headers = request_headers(self.contract, api_key, headers)
        self.timeout = timeout
        self.body_cap = body_cap
        self.base_url = base_url.rstrip("/")
        self._loop = _Loop()
        self._close = weakref.finalize(self, self._loop.close)

    def close(self) -> None:
        self._close()

    def check_reachable(self) -> None:
        """An in-process app is always reachable."""

    def path_for(self, thread_id: str) -> str:
        return self.contract.endpoint.url_path(quote_thread_id(thread_id))

    def send(self, case: Case) -> Exchange:
        exchange = self.outgoing(case)
        raw_path = self.path_for(case.thread_id)
        started = time.perf_counter()
        try:
            self._loop.run(self._call(exchange, raw_path, query_string(case.query)))
        finally:
            exchange.elapsed = time.perf_counter() - started
        return exchange

    async def _call(self, exchange: Exchange, raw_path: str, query: str) -> None:
        try:
            await asyncio.wait_for(self._exchange(exchange, raw_path, query), self.timeout)
        except asyncio.TimeoutError:
            exchange.status, exchange.error = 0, f"timed out after {self.timeout}s (in-process app)"

    async def _exchange(self, exchange: Exchange, raw_path: str, query: str) -> None:
        body = exchange.request_body
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in exchange.request_headers.items()]
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((b"host", self.base_url.split("://", 1)[-1].encode("latin-1")))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": exchange.method,
            "scheme": "http",
            "path": unquote(raw_path, errors="surrogateescape"),
            "raw_path": raw_path.encode("ascii"),
            "query_string": query.encode("ascii"),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
            "extensions": {},
        }
        sent_body = False
        finished = asyncio.Event()
        status = 0
        response_headers: dict[str, str] = {}
        chunks: list[bytes] = []
        size = 0
        complete = False
        truncated = False

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, size, complete, truncated
            kind = message.get("type")
            if kind == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    key = name.decode("latin-1")
                    value_text = value.decode("latin-1")
                    if key in response_headers:
                        response_headers[key] += ", " + value_text
                    else:
                        response_headers[key] = value_text
            elif kind == "http.response.body" and status and not complete:
                chunk = bytes(message.get("body", b""))
                if size + len(chunk) > self.body_cap:
                    chunks.append(chunk[: self.body_cap - size])
                    size = self.body_cap
                    truncated = True
                    complete = True
                    finished.set()
                    return
                chunks.append(chunk)
                size += len(chunk)
                if not message.get("more_body", False):
                    complete = True
                    finished.set()

        failure: BaseException | None = None
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            failure = exc
        finally:
            finished.set()
        exchange.headers = response_headers
        exchange.body = b"".join(chunks)
        if truncated:
            exchange.error = f"answer larger than {self.body_cap} bytes (status {status}); truncated"
        elif complete:
            exchange.status = status
        elif status == 0 and failure is not None:
            # What an ASGI server sends when the app raises before answering.
            exchange.status = 500
            exchange.headers = {"content-type": "text/plain; charset=utf-8"}
            exchange.body = b"Internal Server Error"
        elif failure is not None:
            exchange.error = f"the app raised {type(failure).__name__} mid-answer (status {status}): {failure}"
        else:
            exchange.error = "the app returned without completing its answer"
        self.read_events(exchange)
