"""The loopback recorder: a real HTTP server on 127.0.0.1 that keeps every request it gets.

It plays the whole exchange a wrapper library may make around createRun, so
clients that parse the answers finish normally: create a thread, post a
message, create the run (200 with a Run reflecting the request, or, for
``"stream": true``, a ``text/event-stream`` ending with ``data: [DONE]``),
GET the run (``in_progress``, then ``completed`` from the second poll), list
the run's steps and the thread's messages, cancel. Any path prefix before
``/threads/`` works (``/v1``, ``/openai``, ``/api/projects/p``). Any other
POST is answered as a create-run (a client that puts the thread id on the
wire unencoded still finishes, and ``wire_format`` reports the path); any
other GET is a 404 with the error body. It never refuses a create-run:
judging the request is the checks' job.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from .._core import Captured
from ..contract import run_for

__all__ = ["LoopbackRecorder", "Responder", "answer_for", "build_run"]

# Polls a run takes to complete: the first GET says in_progress, the next completed.
_POLLS_TO_COMPLETE = 2

_Answer = tuple[int, list[tuple[str, str]], bytes]
_JSON = [("Content-Type", "application/json")]


def build_run(
    payload: Any, thread_id: str, version: str = "v2", run_id: str = "run_runcontract0000000000"
) -> dict[str, Any]:
    """A plausible Run object for ``payload`` (any JSON value: invalid payloads get defaults)."""
    return run_for(payload, thread_id, version=version, run_id=run_id, now=int(time.time()))


def _thread_of(path: str) -> str:
    parts = path.split("/threads/", 1)
    return unquote(parts[1].rpartition("/runs")[0]) if len(parts) == 2 else ""


def _json(status: int, value: Any) -> _Answer:
    return status, list(_JSON), json.dumps(value, ensure_ascii=True, default=str).encode()


def _stream(run: dict[str, Any]) -> _Answer:
    done = {**run, "status": "completed", "completed_at": run["created_at"]}
    dumps = json.dumps(run, ensure_ascii=True, default=str)
    events = [
        ("thread.run.created", dumps),
        ("thread.run.queued", dumps),
        ("thread.run.completed", json.dumps(done, ensure_ascii=True, default=str)),
        ("done", "[DONE]"),
    ]
    body = "".join(f"event: {name}\ndata: {data}\n\n" for name, data in events).encode()
    return 200, [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")], body


def _error(status: int, message: str) -> _Answer:
    return _json(status, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}})


_ROUTES = [
    ("POST", re.compile(r"^(?P<prefix>.*)/threads/?$"), "create_thread"),
    ("GET", re.compile(r"^.*/threads/(?P<tid>[^/]+)/runs/(?P<rid>[^/]+)/steps$"), "list_steps"),
    ("POST", re.compile(r"^.*/threads/(?P<tid>[^/]+)/runs/(?P<rid>[^/]+)/cancel$"), "cancel_run"),
    ("GET", re.compile(r"^.*/threads/(?P<tid>[^/]+)/runs/(?P<rid>[^/]+)$"), "get_run"),
    ("POST", re.compile(r"^.*/threads/(?P<tid>[^/]+)/messages$"), "create_message"),
    ("GET", re.compile(r"^.*/threads/(?P<tid>[^/]+)/messages$"), "list_messages"),
    ("GET", re.compile(r"^.*/threads/(?P<tid>[^/]+)$"), "get_thread"),
    ("GET", re.compile(r"^.*/assistants/(?P<aid>[^/]+)$"), "get_assistant"),
]


class Responder:
    """The recorder's answers, with the state a polling client needs (threads made, runs and their polls).

    Shared by :class:`LoopbackRecorder` and the in-process adapters; thread-safe.
    ``created()`` returns and forgets the thread ids made since the last call.
    """

    def __init__(self, version: str = "v2") -> None:
        self.version = version
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._runs: dict[str, dict[str, Any]] = {}
        self._polls: dict[str, int] = {}
        self._created: list[str] = []

    def created(self) -> list[str]:
        with self._lock:
            out, self._created = self._created, []
        return out

    def _new_id(self, kind: str) -> str:
        return f"{kind}_rc{next(self._ids):021d}"

    def answer(self, request: Captured) -> _Answer:
        path = request.raw_path
        for method, pattern, name in _ROUTES:
            match = pattern.match(path)
            if match and request.method == method:
                handler = getattr(self, "_" + name)
                answer: _Answer = handler(request, **{k: unquote(v) for k, v in match.groupdict().items()})
                return answer
        if request.method == "GET":
            return _error(404, f"no such route: {path[:80]}")
        return self._create_run(request)

    def _create_run(self, request: Captured) -> _Answer:
        try:
            payload = json.loads(request.body.decode("utf-8", "replace"))
        except ValueError:
            payload = {}
        with self._lock:
            run_id = self._new_id("run")
        run = build_run(payload, _thread_of(request.raw_path), self.version, run_id)
        with self._lock:
            self._runs[run_id] = run
        if isinstance(payload, dict) and payload.get("stream") is True:
            return _stream(run)
        return _json(200, run)

    def _create_thread(self, request: Captured, prefix: str) -> _Answer:
        with self._lock:
            tid = self._new_id("thread")
            self._created.append(tid)
        now = int(time.time())
        return _json(200, {"id": tid, "object": "thread", "created_at": now, "metadata": {}, "tool_resources": {}})

    def _get_thread(self, request: Captured, tid: str) -> _Answer:
        return _json(200, {"id": tid, "object": "thread", "created_at": int(time.time()), "metadata": {}})

    def _get_assistant(self, request: Captured, aid: str) -> _Answer:
        now = int(time.time())
        return _json(
            200,
            {
                "id": aid,
                "object": "assistant",
                "created_at": now,
                "name": None,
                "description": None,
                "model": "gpt-4o",
                "instructions": None,
                "tools": [],
                "metadata": {},
            },
        )

    def _message(self, tid: str, role: str, text: str, run_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            mid = self._new_id("msg")
        return {
            "id": mid,
            "object": "thread.message",
            "created_at": int(time.time()),
            "thread_id": tid,
            "status": "completed",
            "role": role,
            "assistant_id": None,
            "run_id": run_id,
            "attachments": [],
            "metadata": {},
            "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
        }

    def _create_message(self, request: Captured, tid: str) -> _Answer:
        try:
            body = json.loads(request.body.decode("utf-8", "replace"))
        except ValueError:
            body = {}
        content = body.get("content") if isinstance(body, dict) else None
        return _json(200, self._message(tid, "user", content if isinstance(content, str) else ""))

    def _list_messages(self, request: Captured, tid: str) -> _Answer:
        data = [self._message(tid, "assistant", "ok")]
        first = data[0]["id"]
        return _json(200, {"object": "list", "data": data, "first_id": first, "last_id": first, "has_more": False})

    def _get_run(self, request: Captured, tid: str, rid: str) -> _Answer:
        with self._lock:
            run = self._runs.get(rid)
            polls = self._polls[rid] = self._polls.get(rid, 0) + 1
        if run is None:
            return _error(404, f"No run found with id {rid[:60]!r}.")
        if polls < _POLLS_TO_COMPLETE:
            return _json(200, {**run, "status": "in_progress", "started_at": run["created_at"]})
        done = {**run, "status": "completed", "started_at": run["created_at"], "completed_at": int(time.time())}
        return _json(200, done)

    def _cancel_run(self, request: Captured, tid: str, rid: str) -> _Answer:
        with self._lock:
            run = self._runs.get(rid)
        if run is None:
            return _error(404, f"No run found with id {rid[:60]!r}.")
        return _json(200, {**run, "status": "cancelled", "cancelled_at": int(time.time())})

    def _list_steps(self, request: Captured, tid: str, rid: str) -> _Answer:
        return _json(200, {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False})


def answer_for(request: Captured, version: str = "v2") -> _Answer:
    """(status, headers, body) answered to ``request`` by a responder without state (one create-run)."""
    return Responder(version).answer(request)


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
        status, headers, answer = self.server.recorder.responder.answer(captured)
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
    with the contract path's prefix, ``/v1``; a client may send under any
    other prefix), ``take()`` returns and forgets what arrived since the last
    call, and ``responder`` (a :class:`Responder`) plays the exchange.
    """

    def __init__(self, *, version: str = "v2", prefix: str = "/v1") -> None:
        self.version = version
        self.prefix = prefix
        self.responder = Responder(version)
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
