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


# ------------------------------------------------ faithful, the ways wrappers are written


def omits_nulls_nested(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug: leaves out every None in the typed part of the request (pydantic's ``exclude_none``), at any depth.

    Free-form JSON (a function's ``parameters``) and metadata are sent as given.
    """

    def strip(value: Any, depth: int) -> Any:
        if isinstance(value, dict) and depth < 3:
            return {k: strip(v, depth + 1) for k, v in value.items() if v is not None or k in ("parameters",)}
        if isinstance(value, list):
            return [strip(v, depth) for v in value]
        return value

    body = payload
    if isinstance(payload, dict):
        body = {k: (v if k in ("metadata",) else strip(v, 1)) for k, v in payload.items() if v is not None}
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


_NULLABLE_OPTIONAL = ("model", "instructions", "additional_instructions", "tools", "metadata", "temperature", "top_p")


def sends_every_keyword(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug: a wrapper whose keyword arguments default to None sends them all, and ``stream: false`` when unset."""
    body = payload
    if isinstance(payload, dict):
        body = {name: None for name in _NULLABLE_OPTIONAL if name in _CONTRACT.request_schema["properties"]}
        body["stream"] = False
        body.update(payload)
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


def polls(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug: an agent-style wrapper. It creates its own thread, posts the user's message, creates the run,
    GETs it until it completes and reads the reply (the recorder plays every step)."""
    thread = _HTTP.post(f"{base_url}/threads", json={}, headers=_headers())
    thread.raise_for_status()
    own = thread.json()["id"]
    _HTTP.post(
        f"{base_url}/threads/{quote(own, safe='')}/messages", json={"role": "user", "content": "hi"}, headers=_headers()
    ).raise_for_status()
    stream = isinstance(payload, dict) and payload.get("stream") is True
    answer = _HTTP.post(_url(base_url, own), content=_dumps(payload).encode(), headers=_headers())
    answer.raise_for_status()
    if stream:
        return
    run = answer.json()
    for _ in range(10):
        if run["status"] in ("completed", "failed", "cancelled", "expired"):
            break
        got = _HTTP.get(f"{base_url}/threads/{quote(own, safe='')}/runs/{run['id']}", headers=_headers())
        got.raise_for_status()
        run = got.json()
    else:
        raise RuntimeError("the run never completed")
    messages = _HTTP.get(f"{base_url}/threads/{quote(own, safe='')}/messages", headers=_headers())
    messages.raise_for_status()
    assert messages.json()["data"][0]["role"] == "assistant"


def under_prefix(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug: a cloud vendor's client posts under its own prefix (``/openai``), with an api-version query."""
    origin = base_url.rsplit("/v1", 1)[0]
    url = f"{origin}/openai/threads/{quote(thread_id, safe='')}/runs?api-version=2024-05-01-preview"
    _post(url, _dumps(payload).encode(), _headers())


# ----------------------------------------------------- faulty, one bug each (issue 13)


_FORWARDED = ("assistant_id", "model", "instructions", "additional_instructions", "tools", "metadata", "stream")


def allowlist(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: forwards only the fields it knows (an allowlist written for an older API): every other one is dropped."""
    body = {k: v for k, v in payload.items() if k in _FORWARDED} if isinstance(payload, dict) else payload
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


def truthy_filter(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: ``if value:`` filtering, meant for None, also drops 0, false, "", [] and {}."""
    body = {k: v for k, v in payload.items() if v} if isinstance(payload, dict) else payload
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


def nan_literals(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: ``json.dumps`` with its default ``allow_nan=True`` writes NaN and Infinity, which are not JSON."""
    _post(_url(base_url, thread_id), json.dumps(payload).encode(), _headers())


def nulls_as_strings(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: stringifies every top-level value that is None (a form-encoding habit): ``"None"``."""
    body = {k: ("None" if v is None else v) for k, v in payload.items()} if isinstance(payload, dict) else payload
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


def rounds_floats(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: rounds every float to two decimals (a display format leaking into the request)."""

    def rounded(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 2)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    _post(_url(base_url, thread_id), _dumps(rounded(payload)).encode(), _headers())


def hangs_on_stream(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: waits forever for the end of a stream it never reads (only for ``stream: true``)."""
    if isinstance(payload, dict) and payload.get("stream") is True:
        import threading

        threading.Event().wait(4.0)  # bounded here so the test suite never leaks a thread for long
        return
    faithful(base_url, thread_id, payload)


def lacks_reasoning_effort(base_url: str, thread_id: str, payload: Any) -> None:
    """No bug of its own: a library with no reasoning_effort option; its adapter declares it."""
    body = {k: v for k, v in payload.items() if k != "reasoning_effort"} if isinstance(payload, dict) else payload
    _post(_url(base_url, thread_id), _dumps(body).encode(), _headers())


lacks_reasoning_effort.cannot_express = ("reasoning_effort",)  # type: ignore[attr-defined]


def signature_error(base_url: str, thread_id: str, payload: Any) -> None:
    """No validation: a keyword-argument wrapper whose signature lacks ``truncation_strategy`` (a TypeError),
    and that passes every other invalid payload through. It validates nothing: no client_agrees."""

    def create(*, assistant_id: Any, **known: Any) -> None:
        _post(_url(base_url, thread_id), _dumps({"assistant_id": assistant_id, **known}).encode(), _headers())

    if not isinstance(payload, dict):
        raise TypeError("create() argument after ** must be a mapping")
    if "truncation_strategy" in payload:
        raise TypeError("create() got an unexpected keyword argument 'truncation_strategy'")
    create(**payload)


def temperature_limit_loose(base_url: str, thread_id: str, payload: Any) -> None:
    """Bug: validates temperature against 0..2.5 (the contract's maximum is 2): 3 is refused, 2.2 is sent."""
    temperature = payload.get("temperature") if isinstance(payload, dict) else None
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
        if not 0 <= temperature <= 2.5:
            raise ValueError(f"temperature must be between 0 and 2.5, got {temperature}")
    faithful(base_url, thread_id, payload)
