"""The loopback recorder: a real HTTP server on 127.0.0.1 that keeps every request it gets.

It answers like the reference server would answer a valid request, so SDKs
that parse the answer finish normally: 200 with a Run reflecting the request,
or, for ``"stream": true``, a ``text/event-stream`` ending with ``data: [DONE]``.
It never refuses anything; judging the request is the checks' job.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .._core import Captured
from ..contract import run_for

__all__ = ["LoopbackRecorder", "answer_for", "build_run"]


def build_run(payload: Any, thread_id: str, version: str = "v2") -> dict[str, Any]:
    """A plausible Run object for ``payload`` (any JSON value: invalid payloads get defaults)."""
    return run_for(payload, thread_id, version=version, run_id="run_runcontract0000000000", now=int(time.time()))


def _thread_of(target: str) -> str:
    from urllib.parse import unquote

    path = target.partition("?")[0]
    parts = path.split("/threads/", 1)
    return unquote(parts[1].rpartition("/runs")[0]) if len(parts) == 2 else ""


def answer_for(request: Captured, version: str = "v2") -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) answered to ``request``."""
    try:
        payload = json.loads(request.body.decode("utf-8", "replace"))
    except ValueError:
        payload = {}
    run = build_run(payload, _thread_of(request.target), version)
    dumps = json.dumps(run, ensure_ascii=True, default=str)
    if isinstance(payload, dict) and payload.get("stream") is True:
        done = {**run, "status": "completed", "completed_at": run["created_at"]}
        events = [
            ("thread.run.created", dumps),
            ("thread.run.queued", dumps),
            ("thread.run.completed", json.dumps(done, ensure_ascii=True, default=str)),
            ("done", "[DONE]"),
        ]
        body = "".join(f"event: {name}\ndata: {data}\n\n" for name, data in events).encode()
        return 200, [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")], body
    return 200, [("Content-Type", "application/json")], dumps.encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 65536
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline(65537).split(b";")[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        body = self._read_body()
        captured = Captured(
            method=self.command,
            target=self.path,
            headers=tuple((k, v) for k, v in self.headers.items()),
            body=body,
        )
        self.server.recorder._keep(captured)
        status, headers, answer = answer_for(captured, self.server.recorder.version)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    recorder: LoopbackRecorder


class LoopbackRecorder:
    """A background HTTP server on 127.0.0.1 (free port) that records requests.

    Use as a context manager; ``base_url`` is where clients send to (it ends
    with the contract path's prefix, ``/v1``), ``take()`` returns and forgets
    what arrived since the last call.
    """

    def __init__(self, *, version: str = "v2", prefix: str = "/v1") -> None:
        self.version = version
        self.prefix = prefix
        self._lock = threading.Lock()
        self._captured: list[Captured] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _keep(self, captured: Captured) -> None:
        with self._lock:
            self._captured.append(captured)

    def take(self) -> list[Captured]:
        with self._lock:
            out, self._captured = self._captured, []
        return out

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("the recorder is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    def start(self) -> LoopbackRecorder:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.recorder = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="runcontract-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LoopbackRecorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
