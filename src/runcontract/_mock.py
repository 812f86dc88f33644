"""A contract-enforcing mock of the runs endpoint, for consumers' unit tests.

Valid requests get a Run that reflects them (an event stream when ``stream``
is true); invalid ones get the contract's 400 error body. Every contract
violation the code under test sent is recorded, and (``strict``, the default)
fails the test when the mock's ``with`` block ends. The mock answers through
the seams each client offers: ``httpx.MockTransport``, respx (httpx clients),
an ``httpx2`` transport, or a ready ``openai.OpenAI`` client for openai 3.x.
It has no fixtures inside, so it works in ``@given`` tests.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .checks import Captured, wire_problems
from .contract import Contract, Violation, load_contract

__all__ = ["ContractMock", "MockCall", "mock"]

_RUNS_PATH = re.compile(r"^(?P<prefix>.*?)/threads/(?P<thread>.*)/runs$")


@dataclass
class MockCall:
    """One request the code under test sent, and what was wrong with it."""

    method: str
    path: str
    thread_id: str
    payload: Any
    status: int
    violations: list[Violation] = field(default_factory=list)
    wire: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.wire


class ContractMock:
    """See ``mock()``."""

    def __init__(
        self,
        contract: Contract,
        *,
        strict: bool = True,
        base_url: str = "https://api.openai.com/v1",
        api_key: str = "sk-runcontract-mock",
    ) -> None:
        from .server import RunsService

        self.contract = contract
        self.strict = strict
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.calls: list[MockCall] = []
        self._service = RunsService(contract)

    # ------------------------------------------------------------- the core

    def answer(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request; returns (status, headers, body)."""
        headers = {k.lower(): v for k, v in headers.items()}
        path, _, query_string = raw_path.partition("?")
        match = _RUNS_PATH.match(path)
        if method != "POST" or match is None:
            return self._encode(
                404,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "not_found",
                        "message": f"runcontract mock serves POST .../threads/{{id}}/runs, not {method} {path}",
                    }
                },
            )
        thread_id = urllib.parse.unquote(match.group("thread"))
        captured = Captured(method, raw_path, tuple(headers.items()), body)
        # The client checks' wire rules; the mock answers any base URL, so any prefix before /threads/.
        wire = [p.message for p in wire_problems(self.contract, captured, prefix=match.group("prefix"))]
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            payload = body.decode("utf-8", "replace")
        violations = self.contract.validate(payload)
        query = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
        result = self._service.handle(thread_id=thread_id, headers=headers, query=query, body=body)
        self.calls.append(MockCall(method, path, thread_id, payload, result.status, violations, wire))
        if result.events is not None:
            text = "".join(f"event: {name}\ndata: {data}\n\n" for name, data in result.events)
            return result.status, {"content-type": "text/event-stream", **result.headers}, text.encode()
        return self._encode(result.status, result.body, result.headers)

    @staticmethod
    def _encode(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return status, {"content-type": "application/json", **(headers or {})}, data

    # ---------------------------------------------------------- the seams

    def _httpx_handler(self, module: Any) -> Any:
        def handler(request: Any) -> Any:
            raw = request.url.raw_path.decode("ascii", "replace")
            status, headers, data = self.answer(request.method, raw, dict(request.headers), request.read())
            return module.Response(status, headers=headers, content=data)

        return handler

    def transport(self) -> Any:
        """An ``httpx.MockTransport`` to give an ``httpx.Client(transport=...)``."""
        import httpx

        return httpx.MockTransport(self._httpx_handler(httpx))

    def httpx2_transport(self) -> Any:
        """An ``httpx2.MockTransport`` (openai 3.x sends through httpx2)."""
        import httpx2

        return httpx2.MockTransport(self._httpx_handler(httpx2))

    def openai_client(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` client (3.x) whose requests reach this mock."""
        import httpx2
        import openai

        options: dict[str, Any] = {"api_key": self.api_key, "base_url": self.base_url, "max_retries": 0}
        options.update(kwargs)
        return openai.OpenAI(http_client=httpx2.Client(transport=self.httpx2_transport()), **options)

    @contextmanager
    def respx(self) -> Iterator[Any]:
        """Route httpx requests to the runs endpoint through this mock with respx."""
        import httpx
        import respx

        with respx.mock(assert_all_called=False) as router:
            router.post(url__regex=r".*/threads/.*/runs(\?.*)?$").mock(side_effect=self._httpx_handler(httpx))
            yield router

    # ------------------------------------------------------------ verdicts

    @property
    def violations(self) -> list[MockCall]:
        return [c for c in self.calls if not c.ok]

    def assert_no_violations(self) -> None:
        bad = self.violations
        if not bad:
            return
        lines = [f"the code under test sent {len(bad)} request(s) that break the create-run contract:"]
        for call in bad:
            shown = json.dumps(call.payload, ensure_ascii=False, default=str)
            lines.append(f"- POST thread {call.thread_id!r}: {shown[:500]}")
            lines += [f"    {v.constraint} at {v.pointer or '/'}: {v.message}" for v in call.violations]
            lines += [f"    wire: {w}" for w in call.wire]
        raise AssertionError("\n".join(lines))

    def __enter__(self) -> ContractMock:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self.strict and exc_type is None:
            self.assert_no_violations()


def mock(
    contract: Contract | None = None,
    *,
    version: str = "v2",
    spec: str | None = None,
    strict: bool = True,
    base_url: str = "https://api.openai.com/v1",
) -> ContractMock:
    """A contract-enforcing mock of ``POST /v1/threads/{thread_id}/runs``.

    Use it as a context manager; with ``strict`` (the default) any request
    that broke the contract fails the test when the block ends::

        with runcontract.mock() as m:
            client = m.openai_client()          # openai 3.x
            my_code(client)                     # or: with m.respx(): my_httpx_code()
    """
    return ContractMock(contract or load_contract(spec, version=version), strict=strict, base_url=base_url)
