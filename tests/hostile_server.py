"""A raw asyncio server on 127.0.0.1 whose answers are hostile in one chosen way.

``HostileServer(behaviour)`` serves in a daemon thread; ``behaviour`` is one
of ``BEHAVIOURS`` or a callable ``(n, request) -> name`` choosing per request
(``n`` counts requests from 0, ``request`` is the raw bytes of its head and
body). Everything is bounded: a drip or a hang lasts at most ``HANG_CAP``
seconds, a huge body is at most ``HUGE_CAP`` bytes, and leaving the context
closes every connection::

    with HostileServer("reset") as server:
        HTTPTarget(server.base_url).send(case)
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from runcontract.server import run_for

__all__ = ["BEHAVIOURS", "HostileServer", "run_body"]

HANG_CAP = 20.0
HUGE_CAP = 8 * 1024 * 1024


def run_body(thread_id: str = "thread_abc123") -> dict[str, Any]:
    """A Run object of the contract (for answers that are right in body and wrong elsewhere)."""
    return run_for({"assistant_id": "asst_1"}, thread_id, run_id="run_1", now=1700000000)


def _head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile"]
    if length is not None:
        lines.append(f"content-length: {length}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(status: int, body: bytes, content_type: str = "application/json", **extra: str) -> bytes:
    return _head(status, {"content-type": content_type, **extra}, len(body)) + body


# name -> what it does (the docstring of the test that uses it says what must follow)
BEHAVIOURS = {
    "ok": "200 with a conforming Run, keep-alive",
    "huge": "200 announcing 50 MB and sending up to HUGE_CAP bytes of it",
    "invalid_json": "200 application/json whose body is not JSON",
    "drip": "200 announcing 1000 bytes, sent one byte every 50 ms",
    "reset": "reads the request, then resets the connection (RST)",
    "close": "reads the request, then closes without answering",
    "wrong_content_type": "200 with a conforming Run labelled text/html",
    "garbage": "answers bytes that are not HTTP, then closes",
    "hang": "reads the request and never answers",
    "error_500": "500 with a JSON error body",
    "unavailable": "503 with Retry-After: 0",
    "rate_limited": "429 with Retry-After: 0",
    "echo_headers": "500 whose body repeats every request header (a leaky proxy)",
    "bad_request": "400 with a conforming error body",
}


class HostileServer:
    """Serve one hostile behaviour (or a per-request choice of them) on a free loopback port."""

    def __init__(self, behaviour: str | Callable[[int, bytes], str], *, host: str = "127.0.0.1") -> None:
        if isinstance(behaviour, str) and behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour = behaviour
        self.host = host
        self.requests = 0
        self.connections = 0
        self.seen: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, name=f"hostile-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ lifecycle

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._client, sock=self._sock)
        self._ready.set()
        await self._stopping.wait()
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("hostile server did not start")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stopping = self._stopping
        if stopping is not None:
            self._loop.call_soon_threadsafe(stopping.set)
        self._thread.join(5)
        self._sock.close()

    # ------------------------------------------------------------ serving

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self.connections += 1
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                n = self.requests
                self.requests += 1
                self.seen.append(request)
                name = self.behaviour(n, request) if callable(self.behaviour) else self.behaviour
                if not await self._serve(name, request, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            return
        except asyncio.CancelledError:
            return
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass

    async def _serve(self, name: str, request: bytes, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; True to keep the connection for the next one."""
        if name == "ok":
            writer.write(_answer(200, json.dumps(run_body()).encode()))
        elif name == "huge":
            writer.write(_head(200, {"content-type": "application/json"}, 50_000_000))
            chunk = b"x" * 65536
            for _ in range(HUGE_CAP // len(chunk)):
                writer.write(chunk)
                await writer.drain()
            return False
        elif name == "invalid_json":
            writer.write(_answer(200, b'{"id": "run_1", "object": thread.run'))
        elif name == "drip":
            writer.write(_head(200, {"content-type": "application/json"}, 1000))
            started = time.monotonic()
            for _ in range(1000):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
                if time.monotonic() - started > HANG_CAP:
                    break
            return False
        elif name == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        elif name == "close":
            return False
        elif name == "wrong_content_type":
            writer.write(_answer(200, json.dumps(run_body()).encode(), "text/html"))
        elif name == "garbage":
            writer.write(b"\x00\xff\xfeSSH-2.0-not-http-at-all\r\n\x1b[31m\r\n\r\n")
            await writer.drain()
            return False
        elif name == "hang":
            await asyncio.sleep(HANG_CAP)
            return False
        elif name == "error_500":
            writer.write(_answer(500, b'{"error": {"type": "server_error", "message": "boom"}}'))
        elif name == "unavailable":
            writer.write(_answer(503, b'{"error": {"type": "unavailable"}}', **{"retry-after": "0"}))
        elif name == "rate_limited":
            writer.write(_answer(429, b'{"error": {"type": "rate_limit"}}', **{"retry-after": "0"}))
        elif name == "echo_headers":
            head = request.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            writer.write(_answer(500, json.dumps({"error": {"message": head}}).encode()))
        elif name == "bad_request":
            body = {"error": {"type": "invalid_request_error", "message": "no", "param": None, "code": None}}
            writer.write(_answer(400, json.dumps(body).encode()))
        else:
            raise ValueError(f"unknown behaviour {name!r}")
        await writer.drain()
        return True


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request's head and body; None when the client closed the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    body = await reader.readexactly(length) if length else b""
    return head + body
