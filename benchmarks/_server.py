"""The benchmark server: the reference server (or one faulty variant) behind a counting, recording wrapper.

    python benchmarks/_server.py [--port 0] [--record FILE.jsonl] [--faulty NAME] [--spec PATH]

Prints ``port N`` once the loopback socket is bound, then serves with uvicorn
(one process, one event loop, TCP_NODELAY on accepted sockets, as
``runcontract serve`` does). The wrapper adds two things and nothing else:

- ``GET /__bench/stats`` (and ``/__bench/reset``): how many requests reached
  the app, in total and as POSTs to a runs path, and the seconds between the
  first and the last request's arrival; these requests are not counted.
- with ``--record``, one JSON line per request: method, raw path, query,
  status, and the body as text (``null`` when it is not UTF-8). Both tools'
  payloads are recorded this way, so coverage is judged from the wire.

The app is ``create_app()`` (the bundled v2 contract: the server never
depends on which document a tool was given), or ``FAULTY[NAME][0]()`` from
``tests/faulty_servers.py``.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import tests_on_path


class Recorder:
    """ASGI wrapper: counts requests and appends each one to a JSONL file."""

    def __init__(self, app: Any, record: Path | None) -> None:
        self.app = app
        self.total = 0
        self.runs = 0
        self.first = self.last = 0.0
        self.out = record.open("a", encoding="utf-8", buffering=1) if record is not None else None

    async def _json(self, send: Any, value: Any) -> None:
        body = json.dumps(value).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith("/__bench/"):
            # active: seconds from the first request's arrival to the last one's (startup excluded)
            stats = {"requests": self.total, "runs_posts": self.runs, "active_s": self.last - self.first}
            if path == "/__bench/reset":
                self.total = self.runs = 0
                self.first = self.last = 0.0
            await self._json(send, stats)
            return
        self.last = time.perf_counter()
        if not self.total:
            self.first = self.last
        self.total += 1
        if scope["method"] == "POST" and path.endswith("/runs"):
            self.runs += 1
        if self.out is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status: list[int] = []

        async def recv() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def snd(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, recv, snd)
        finally:
            raw = b"".join(chunks)
            try:
                text: str | None = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            line = {
                "method": scope["method"],
                "path": (scope.get("raw_path") or path.encode()).decode("latin-1"),
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status[0] if status else None,
                "body": text,
            }
            self.out.write(json.dumps(line, ensure_ascii=False) + "\n")


def make_app(faulty: str | None, spec: str | None) -> Any:
    from runcontract import load_contract
    from runcontract.server import create_app

    contract = load_contract(spec) if spec else None
    if faulty is None:
        return create_app(contract)
    tests_on_path()
    from faulty_servers import FAULTY

    return FAULTY[faulty][0](contract)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--faulty")
    parser.add_argument("--spec", help="serve this document's contract instead of the bundled v2 one")
    args = parser.parse_args()
    app = Recorder(make_app(args.faulty, args.spec), args.record)
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (as BackgroundServer does).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"port {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="off", timeout_keep_alive=30)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
