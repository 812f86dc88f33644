"""The reference behaviour of ``POST /v1/threads/{thread_id}/runs``, free of any web framework.

``RunsService`` holds every decision the reference server makes, each in a
small overridable method (``authenticate``, ``check_beta``, ``check_query``,
``parse_body``, ``validate``, ``param_for``, ``error_body``, ``build_run``,
``stream_events``), so a faulty variant is a subclass that overrides exactly
one of them. ``handle`` runs them in order and returns a plain ``Answer``;
``_app`` turns that into a Starlette response.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contract import DEFAULT_MODEL, Contract, Violation, load_contract, run_for

__all__ = ["Answer", "ApiError", "RunsService", "param_from_pointer"]

MAX_BODY_BYTES = 8 * 1024 * 1024
_IDENT = re.compile(r"^[A-Za-z0-9_-]+$")

# OpenAI-style error codes by the keyword a violated constraint names.
_CODES = {
    "type": "invalid_type",
    "enum": "invalid_value",
    "pattern": "invalid_value",
    "format": "invalid_value",
    "required": "missing_required_parameter",
    "additionalProperties": "unknown_parameter",
    "maxLength": "string_above_max_length",
    "minLength": "string_below_min_length",
    "maxItems": "array_above_max_length",
    "minItems": "array_below_min_length",
    "maxProperties": "object_above_max_properties",
    "minimum": "number_below_min_value",
    "maximum": "number_above_max_value",
    "exclusiveMinimum": "number_below_min_value",
    "exclusiveMaximum": "number_above_max_value",
    "unicode": "invalid_encoding",
}


def param_from_pointer(pointer: str) -> str | None:
    """OpenAI's ``param`` for a JSON pointer: ``/tools/1/function/name`` -> ``tools[1].function.name``.

    The root (``""``) has no param (None). Array indices become ``[i]`` and
    names are joined with dots. A nested key that dotted notation cannot
    carry (``metadata`` key ``"a.b"``) ends the param at its nearest
    nameable ancestor (``metadata``); a top-level name is kept as it is.
    """
    if not pointer:
        return None
    tokens = [raw.replace("~1", "/").replace("~0", "~") for raw in pointer.split("/")[1:]]
    out = tokens[0]
    for token in tokens[1:]:
        if token.isdigit():
            out += f"[{token}]"
        elif _IDENT.match(token):
            out += f".{token}"
        else:
            break
    return out


class ApiError(Exception):
    """An answer with the contract's error body: ``{"error": {type, message, param, code}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type
        self.headers = dict(headers or {})


@dataclass
class Answer:
    """What the service answers: a JSON body, or (``events``) an event stream."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, str]] | None = None


class _Bucket:
    """A token bucket: ``rate`` requests per second, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


class RunsService:
    """The reference create-run behaviour for one contract.

    ``api_keys``: the accepted bearer tokens (None: any non-empty token).
    ``rate_limit``: requests per second before answering 429 with
    ``Retry-After`` (None: never).
    """

    def __init__(
        self,
        contract: Contract | None = None,
        *,
        api_keys: set[str] | frozenset[str] | None = None,
        rate_limit: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.contract = contract if contract is not None else load_contract()
        self.version = self.contract.version
        self.api_keys = frozenset(api_keys) if api_keys is not None else None
        self.clock = clock
        self._bucket = _Bucket(rate_limit, max(1.0, rate_limit)) if rate_limit else None

    # ------------------------------------------------------------------ flow

    def handle(
        self,
        *,
        thread_id: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        body: bytes,
    ) -> Answer:
        """Answer one create-run request (``headers`` with lower-case names)."""
        try:
            self.authenticate(headers)
            self.check_rate()
            self.check_beta(headers)
            self.check_query(query)
            payload = self.parse_body(body)
            violations = self.validate(payload)
            if violations:
                raise self.violation_error(violations)
            run = self.build_run(payload, thread_id)
        except ApiError as exc:
            return self.error_answer(exc)
        if isinstance(payload, dict) and payload.get("stream") is True:
            return Answer(200, events=list(self.stream_events(run)))
        return Answer(200, run)

    def error_answer(self, exc: ApiError) -> Answer:
        return Answer(exc.status, self.error_body(exc), headers=exc.headers)

    # ------------------------------------------------------------ the steps

    def authenticate(self, headers: Mapping[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if self.api_keys is not None and token not in self.api_keys:
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    def check_rate(self) -> None:
        if self._bucket is None:
            return
        wait = self._bucket.take()
        if wait:
            raise ApiError(
                429,
                "Rate limit reached for requests. Please try again later.",
                type="requests",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    def check_beta(self, headers: Mapping[str, str]) -> None:
        expected = f"assistants={self.version}"
        value = headers.get("openai-beta")
        if value is None:
            raise ApiError(
                400,
                "You must provide the 'OpenAI-Beta' header to access the Assistants API. "
                f"Please try again by setting the header 'OpenAI-Beta: {expected}'.",
                code="invalid_beta",
            )
        if expected not in [v.strip() for v in value.split(",")]:
            raise ApiError(
                400,
                f"Invalid 'OpenAI-Beta' header {value[:60]!r}: this server implements the "
                f"{self.version} Assistants API; set the header 'OpenAI-Beta: {expected}'.",
                code="invalid_beta",
            )

    def check_query(self, query: list[tuple[str, str]]) -> None:
        allowed = self.contract.endpoint.include_values
        for name, value in query:
            if name == "include[]" and value not in allowed:
                options = ", ".join(repr(v) for v in allowed) or "none"
                raise ApiError(
                    400,
                    f"Invalid value for 'include[]': {value[:80]!r}. Supported values are: {options}.",
                    param="include[]",
                    code="invalid_value",
                )

    def parse_body(self, body: bytes) -> Any:
        """The request body as JSON, numbers exact (Python ints), NaN/Infinity refused."""
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.", code="body_too_large")
        try:
            text = body.decode("utf-8")
            payload = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            # ValueError covers JSONDecodeError, out-of-range numbers and over-long integers.
            raise ApiError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                f"your HTTP library correctly. The OpenAI API expects a JSON payload.) {str(exc)[:120]}",
            ) from None
        if not isinstance(payload, dict):
            raise ApiError(
                400, f"The request body must be a JSON object, not {type(payload).__name__}.", code="invalid_type"
            )
        return payload

    def validate(self, payload: Any) -> list[Violation]:
        return self.contract.validate(payload)

    def param_for(self, violation: Violation) -> str | None:
        return param_from_pointer(violation.pointer)

    def violation_error(self, violations: list[Violation]) -> ApiError:
        """The 400 for a payload's violations: it names the first one."""
        first = violations[0]
        param = self.param_for(first)
        keyword = first.constraint.rsplit(".", 1)[-1].split("#")[0]
        message = first.message if len(first.message) <= 200 else first.message[:200] + "..."
        where = f"Invalid '{param}'" if param else "Invalid request body"
        more = f" ({len(violations) - 1} more problem(s) in the request)" if len(violations) > 1 else ""
        return ApiError(400, f"{where}: {message}{more}", param=param, code=_CODES.get(keyword))

    def error_body(self, exc: ApiError) -> dict[str, Any]:
        return {"error": {"type": exc.type, "message": exc.message, "param": exc.param, "code": exc.code}}

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        """The Run answered for an accepted ``payload``: it reflects the request."""
        return run_for(payload, thread_id, version=self.version, run_id=self.new_id("run"), now=int(self.clock()))

    def stream_events(self, run: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """The event stream for ``stream: true``: (event, data) pairs, ``done``/``[DONE]`` last."""
        now = run["created_at"]
        yield "thread.run.created", _dumps(run)
        yield "thread.run.queued", _dumps(run)
        started = {**run, "status": "in_progress", "started_at": now}
        yield "thread.run.in_progress", _dumps(started)
        done = {
            **started,
            "status": "completed",
            "completed_at": now,
            "expires_at": None,
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }
        yield "thread.run.completed", _dumps(done)
        yield "done", "[DONE]"

    # --------------------------------------------- staging resources (minimal)

    def create_assistant(self, headers: Mapping[str, str], body: bytes) -> Answer:
        def fields(payload: Any) -> dict[str, Any]:
            return {
                "name": payload.get("name"),
                "description": payload.get("description"),
                "model": payload.get("model") or DEFAULT_MODEL,
                "instructions": payload.get("instructions"),
                "tools": payload.get("tools") or [],
                "metadata": payload.get("metadata") or {},
            }

        return self._create(headers, body, "assistant", "asst", fields)

    def create_thread(self, headers: Mapping[str, str], body: bytes) -> Answer:
        def fields(payload: Any) -> dict[str, Any]:
            return {"metadata": payload.get("metadata") or {}, "tool_resources": {}}

        # A thread may be created without a body.
        return self._create(headers, body if body.strip() else b"{}", "thread", "thread", fields)

    def _create(self, headers: Mapping[str, str], body: bytes, kind: str, id_prefix: str, fields: _Fields) -> Answer:
        """Authenticate, check the beta header and parse the body, then answer 200 with a new ``kind`` object."""
        try:
            self.authenticate(headers)
            self.check_beta(headers)
            payload = self.parse_body(body)
        except ApiError as exc:
            return self.error_answer(exc)
        created = {"id": self.new_id(id_prefix), "object": kind, "created_at": int(self.clock())}
        return Answer(200, {**created, **fields(payload)})


_Fields = Callable[[Any], dict[str, Any]]  # a created object's own fields, from the request's payload


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
