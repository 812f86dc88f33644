"""The shared test kit: factories for the core types, a recording target, a running server.

Test modules import from here (tests/ is on sys.path) instead of carrying
their own copies: ``from support import make_exchange, make_failure``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import pytest

from runcontract.contract import Contract
from runcontract.drivers import ASGITarget, BaseTarget, Exchange
from runcontract.report import Failure
from runcontract.runner import Target
from runcontract.strategies import Case

__all__ = [
    "SECRET",
    "SECRET_HEADERS",
    "RecordingTarget",
    "make_case",
    "make_exchange",
    "make_failure",
    "running_server",
]

URL = "http://t/v1/threads/thread_1/runs"
# A credential that must never reach a report, and request headers carrying it twice.
SECRET = "sk-live-abcdef123456"
SECRET_HEADERS = {
    "Authorization": f"Bearer {SECRET}",
    "OpenAI-Beta": "assistants=v2",
    "Content-Type": "application/json",
    "X-Api-Key": SECRET,
}


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def make_exchange(
    status: int = 200,
    body: Any = b"{}",
    *,
    url: str = URL,
    request_headers: Mapping[str, str] | None = None,
    request_body: Any = b"{}",
    headers: Mapping[str, str] | None = None,
    content_type: str | None = "application/json",
    method: str = "POST",
    error: str | None = None,
    events: list[tuple[str, str]] | None = None,
) -> Exchange:
    """An Exchange; ``body`` and ``request_body`` are bytes or a JSON value (then encoded)."""
    answer = dict(headers) if headers is not None else ({"content-type": content_type} if content_type else {})
    return Exchange(
        method,
        url,
        dict(request_headers or {}),
        _bytes(request_body),
        status,
        answer,
        _bytes(body),
        error=error,
        events=events,
    )


def make_failure(
    payload: Any = None,
    *,
    check: str = "invalid_rejected",
    constraint: str | None = "temperature.maximum",
    message: str = "accepted",
    thread_id: str = "thread_abc123",
    status: int = 200,
    response_excerpt: str = "{}",
    curl: str = "curl -sS ...",
    expected: str = "invalid",
    origin: str = "random",
) -> Failure:
    """A Failure; by default the reference fault (temperature above 2 accepted)."""
    if payload is None:
        payload = {"assistant_id": "a", "temperature": 3}
    return Failure(
        check=check,
        constraint=constraint,
        message=message,
        payload=payload,
        thread_id=thread_id,
        status=status,
        response_excerpt=response_excerpt,
        curl=curl,
        expected=expected,
        origin=origin,
    )


def make_case(
    payload: Any = None, *, contract: Contract | None = None, thread_id: str = "thread_abc123", **fields: Any
) -> Case:
    """A Case; with ``contract`` (and no ``expected``), the contract's verdict and first broken constraint."""
    if payload is None:
        payload = {"assistant_id": "asst_1"}
    if contract is not None and "expected" not in fields:
        violations = contract.validate(payload)
        if violations:
            fields = {"expected": "invalid", "constraint": violations[0].constraint, **fields}
    return Case(payload, thread_id=thread_id, **fields)


class RecordingTarget(BaseTarget):
    """Wraps a target (or an ASGI app, sent to in process) and keeps every case sent, in order."""

    def __init__(self, target: Target | Any) -> None:
        self.target: Target = target if hasattr(target, "send") else ASGITarget(target)
        self.sent: list[Case] = []

    def send(self, case: Case) -> Exchange:
        self.sent.append(case)
        return self.target.send(case)

    def close(self) -> None:
        self.target.close()


@pytest.fixture
def running_server() -> Iterator[Callable[..., str]]:
    """``running_server(app=None, **kw)`` starts a BackgroundServer (the reference server by default)
    for the rest of the test and returns its base URL."""
    from runcontract.server import BackgroundServer

    with ExitStack() as stack:
        yield lambda app=None, **kw: stack.enter_context(BackgroundServer(app, **kw)).base_url
