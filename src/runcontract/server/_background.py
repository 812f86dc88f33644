"""Serving an ASGI app with uvicorn: in the foreground, or in a background thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from ..contract import Contract
from ._app import create_app

__all__ = ["BackgroundServer", "serve"]


class _QuietThread(logging.Filter):
    """Drop asyncio's records from one server thread.

    asyncio logs "socket.send() raised exception." once a transport has been
    written to after its peer left (a client interrupted mid-run); with no
    handler configured that reaches stderr through logging's last resort.
    uvicorn's ``log_level`` does not cover the ``asyncio`` logger.
    """

    def __init__(self, thread_name: str) -> None:
        super().__init__()
        self.thread_name = thread_name

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != self.thread_name or record.levelno >= logging.CRITICAL


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    contract: Contract | None = None,
    version: str = "v2",
    api_keys: set[str] | None = None,
    log_level: str = "info",
) -> None:
    """Run the reference server with uvicorn until interrupted (port 0: any free port, printed)."""
    app = create_app(contract, version=version, api_keys=api_keys)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


class BackgroundServer:
    """Serve ``app`` (default: the reference server) with uvicorn in a daemon thread.

    The socket is bound before the thread starts, so ``base_url`` is known at
    once; entering waits until uvicorn accepts connections, leaving asks it
    to shut down and joins the thread::

        with BackgroundServer() as server:
            httpx.post(server.base_url + "/v1/threads/t/runs", ...)
    """

    def __init__(
        self,
        app: Any = None,
        *,
        contract: Contract | None = None,
        version: str = "v2",
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 10.0,
        log_level: str = "error",
    ) -> None:
        self.app = app if app is not None else create_app(contract, version=version)
        self.host = host
        self.startup_timeout = startup_timeout
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else 40 ms per answer).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"runcontract-server-{self.port}", daemon=True)
        self._failure: BaseException | None = None
        self._quiet: _QuietThread | None = None
        level = logging.getLevelName(log_level.upper())  # an int for a level's name
        if isinstance(level, int) and level > logging.WARNING:
            self._quiet = _QuietThread(self._thread.name)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start()
            self._failure = exc

    def start(self) -> BackgroundServer:
        if self._quiet is not None:
            logging.getLogger("asyncio").addFilter(self._quiet)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError(f"the server on {self.base_url} did not start: {self._failure!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server on {self.base_url} did not start in {self.startup_timeout}s")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        self._sock.close()
        if self._quiet is not None:
            logging.getLogger("asyncio").removeFilter(self._quiet)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
