"""What both endpoint drivers put on the wire, and how they read event streams."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from .._core import BaseTarget, Case, Exchange
from ..contract import Contract

__all__ = [
    "DEFAULT_BODY_CAP",
    "WireTarget",
    "encode_payload",
    "parse_sse",
    "query_string",
    "quote_thread_id",
    "request_headers",
    "with_case_headers",
]

DEFAULT_BODY_CAP = 1024 * 1024
_LINES = re.compile(r"\r\n|\r|\n")


def encode_payload(payload: Any) -> bytes:
    """The request body for ``payload``, byte for byte what the server must parse.

    UTF-8 JSON without ASCII escapes. A payload that cannot be UTF-8 encoded
    (a lone surrogate) is sent with ASCII escapes (``"\\ud800"``), and one with
    NaN or an infinity with Python's ``NaN``/``Infinity`` tokens, so the server
    receives the invalid text and must reject it.
    """
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=True)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, allow_nan=True).encode("ascii")


def quote_thread_id(thread_id: str) -> str:
    """One path segment: every reserved character percent-encoded (``a/b`` -> ``a%2Fb``)."""
    return quote(thread_id, safe="", errors="surrogatepass")


def query_string(query: Mapping[str, Any]) -> str:
    """``include[]=...&...`` (lists become repeated parameters)."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((name, item if isinstance(item, str) else json.dumps(item)))
    return urlencode(pairs)


def request_headers(contract: Contract, api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    """Content-Type and OpenAI-Beta from the contract, bearer auth, then the user's headers (which win)."""
    headers = dict(contract.endpoint.headers)
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    for name, value in (extra or {}).items():
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


def with_case_headers(headers: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """``headers`` with a case's changes: a value replaces the header of that name (any case), None removes it."""
    out = dict(headers)
    for name, value in changes.items():
        for existing in [k for k in out if k.lower() == name.lower()]:
            del out[existing]
        if value is not None:
            out[name] = value
    return out


class WireTarget(BaseTarget):
    """What both endpoint drivers send for a case, and how they read an event stream.

    A subclass sets ``contract``, ``base_url`` and ``headers`` and says where
    the run path hangs (``path_for``); it sends what ``outgoing`` builds.
    """

    contract: Contract
    base_url: str
    headers: dict[str, str]

    def path_for(self, thread_id: str) -> str:
        """The quoted path after ``base_url`` for ``thread_id``."""
        raise NotImplementedError

    def url_for(self, case: Case) -> str:
        query = query_string(case.query)
        return f"{self.base_url}{self.path_for(case.thread_id)}" + (f"?{query}" if query else "")

    def outgoing(self, case: Case) -> Exchange:
        """The request for ``case``, not yet answered: its own body (a raw probe) or the payload's JSON."""
        return Exchange(
            method=self.contract.endpoint.method,
            url=self.url_for(case),
            request_headers=with_case_headers(self.headers, case.headers),
            request_body=case.body if case.body is not None else encode_payload(case.payload),
        )

    @staticmethod
    def read_events(exchange: Exchange) -> None:
        """Parse an answered event stream into ``exchange.events``."""
        if exchange.status and exchange.content_type == "text/event-stream":
            exchange.events = parse_sse(exchange.body)


def parse_sse(body: bytes) -> list[tuple[str, str]]:
    """Server-sent events as (event, data) pairs, following the WHATWG rules.

    Data lines are joined with newlines; an event without ``event:`` is a
    ``message``; comments and an unterminated last event are dropped (a
    stream cut mid-event shows as a missing event).
    """
    events: list[tuple[str, str]] = []
    name = ""
    data: list[str] = []
    text = body.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = _LINES.split(text)
    # The last element is either "" (the body ended with a newline) or an incomplete line.
    for line in lines[:-1]:
        if not line:
            if data:
                events.append((name or "message", "\n".join(data)))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return events
