"""Client serializers with one planted bug each (and a faithful one), as ``send`` functions.

Each is a plain ``send(base_url, thread_id, payload)`` that posts with httpx or
urllib, the way a team's own wrapper would. The bugs are general (a rule the
client applies to every payload), not keyed to the payloads the tests use.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import quote

import httpx

from runcontract import load_contract

API_KEY = "sk-test"
_HTTP = httpx.Client(timeout=10.0)
_LOG: list[str] = []


def _url(base_url: str, thread_id: str) -> str:
    return f"{base_url}/threads/{quote(thread_id, safe='')}/runs"


def _headers(beta: str | None = "assistants=v2") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    if beta is not None:
        headers["OpenAI-Beta"] = beta
    return headers


def _dumps(value: Any, **options: Any) -> str:
    return json.dumps(value, allow_nan=False, **options)


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    _HTTP.post(url, content=body, headers=headers).raise_for_status()


def faithful(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug: UTF-8 JSON as given, thread id percent-encoded, the right headers."""
    _post(_url(base_url, thread_id), _dumps(payload).encode("utf-8"), _headers())


def faithful_urllib(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug, with the standard library."""
    request = urllib.request.Request(
        _url(base_url, thread_id), data=_dumps(payload, ensure_ascii=False).encode("utf-8"), headers=_headers()
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def drops_nulls(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: leaves out every top-level field that is None (``exclude_none``)."""
    body = {k: v for k, v in payload.items() if v is not None} if isinstance(payload, dict) else payload
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


def truncates_strings(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: cuts every string value at 256 characters (a column size leaking into the client)."""

    def cut(value: Any) -> Any:
        if isinstance(value, str):
            return value[:256]
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v) for v in value]
        return value

    _post(_url(base_url, thread_id), _dumps(cut(payload)).encode(), _headers())


def ints_through_float(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: every number goes through a float (as a JavaScript-minded converter would)."""

    def floaty(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, dict):
            return {k: floaty(v) for k, v in value.items()}
        if isinstance(value, list):
            return [floaty(v) for v in value]
        return value

    _post(_url(base_url, thread_id), _dumps(floaty(payload)).encode(), _headers())


def latin1_body(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: encodes the JSON text as Latin-1 instead of UTF-8."""
    body = _dumps(payload, ensure_ascii=False).encode("latin-1", errors="replace")
    _post(_url(base_url, thread_id), body, _headers())


def unencoded_thread_id(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: formats the thread id into the URL without percent-encoding it."""
    _post(f"{base_url}/threads/{thread_id}/runs", _dumps(payload).encode(), _headers())


def no_beta_header(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: forgets the OpenAI-Beta header."""
    _post(_url(base_url, thread_id), _dumps(payload).encode(), _headers(beta=None))


def metadata_limit_off_by_one(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: a client-side metadata limit that refuses 16 pairs (the contract allows 16)."""
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    if isinstance(metadata, dict) and len(metadata) >= 16:
        raise ValueError(f"metadata may hold at most 16 pairs, got {len(metadata)}")
    faithful(base_url, thread_id, payload)


def crashes_on_null_metadata(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: counts metadata pairs for a log line without a None check (AttributeError on ``metadata: null``)."""
    if isinstance(payload, dict) and "metadata" in payload:
        _LOG.append(f"{len(payload['metadata'].keys())} metadata pairs")
    faithful(base_url, thread_id, payload)


def crashes_on_bad_assistant_id(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: inspects assistant_id unchecked, so a missing or non-string one is a KeyError/AttributeError."""
    if isinstance(payload, dict):
        _LOG.append(f"assistant prefixed: {payload['assistant_id'].startswith('asst_')}")
    faithful(base_url, thread_id, payload)


_CONTRACT = load_contract()


def validates_but_misses_temperature(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: validates every payload against the contract, except it forgot temperature's limits."""
    problems = [v for v in _CONTRACT.validate(payload) if not v.constraint.startswith("temperature.")]
    if problems:
        raise ValueError(f"invalid request: {problems[0].constraint}")
    faithful(base_url, thread_id, payload)


def httpx_faithful(client: httpx.Client, base_url: str, thread_id: str, payload: Any) -> None:
    """For the in-process adapter: no bug."""
    client.post(_url(base_url, thread_id), content=_dumps(payload).encode(), headers=_headers()).raise_for_status()


def httpx_drops_nulls(client: httpx.Client, base_url: str, thread_id: str, payload: Any) -> None:
    """For the in-process adapter: httpx's ``json=`` after an ``exclude_none`` filter."""
    body = {k: v for k, v in payload.items() if v is not None} if isinstance(payload, dict) else payload
    client.post(_url(base_url, thread_id), json=body, headers=_headers()).raise_for_status()
