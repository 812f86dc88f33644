"""The shared types every layer speaks, with no third-party imports.

``Case`` (what to send), ``Exchange`` (one endpoint round trip), ``Captured``
(one request a client sent), ``Failure``/``Report`` (what a run found) and the
``Target`` protocol live here so that contract, strategies, drivers, checks,
runner and report can share them without importing each other (importing
``runcontract.report`` or ``runcontract.drivers`` must not load Hypothesis).
The public packages re-export these names; import them from there.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar

from ._findings import Finding, group

__all__ = [
    "BaseTarget",
    "Captured",
    "Case",
    "Coverage",
    "Exchange",
    "Expected",
    "Failure",
    "Finding",
    "Report",
    "Target",
    "atomic_write",
    "curl_line",
    "payload_size",
    "redact_headers",
]

# ---------------------------------------------------------------- what is sent

Expected = Literal["valid", "invalid"]


@dataclass(frozen=True)
class Case:
    """A payload, the thread it is sent to, and what the contract says of it.

    ``constraint`` is the catalogue id an invalid case breaks (None for valid
    cases); ``label`` names the violation class (``boundary``, ``wrong-type``,
    ``enum-near-miss``, ...) or, for valid cases, what the payload exercises.
    ``origin`` says where it came from: ``boundary``, ``probe``, ``random`` or ``replay``.
    ``covers`` lists the catalogue ids whose limit the payload sits at (a
    boundary-plan valid case combines many) or breaks (an invalid case: its
    ``constraint``); empty for random valid cases.
    """

    payload: Any
    thread_id: str = "thread_abc123"
    expected: Expected = "valid"
    constraint: str | None = None
    label: str = ""
    origin: str = "random"
    query: dict[str, Any] = field(default_factory=dict)
    covers: tuple[str, ...] = ()
    # The exact body bytes to send, where they are not the payload's JSON encoding (``1e400``,
    # bytes that are not UTF-8); ``payload`` then says what they mean, for reports.
    body: bytes | None = None
    # Request headers to change for this case: a value replaces the target's header of that name
    # (any case), None removes it (no Content-Type, no Authorization ...).
    headers: dict[str, str | None] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.expected == "valid"


# ---------------------------------------------------------------- what came back

_SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "x-api-key", "openai-api-key", "proxy-authorization", "cookie"}
)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy with credentials replaced; never log or report unredacted headers."""
    out = {}
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} [REDACTED]".strip()
        else:
            out[name] = value
    return out


@dataclass
class Exchange:
    """One request and its answer (or the transport error instead of one).

    ``events`` holds parsed server-sent events when the answer was an event
    stream; ``error`` is set when no complete answer arrived (refused, reset,
    timed out, truncated) and then ``status`` is 0.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None
    events: list[tuple[str, str]] | None = None

    @property
    def content_type(self) -> str:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def json(self) -> Any:
        """The answer body as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body)

    def excerpt(self, limit: int = 500) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return text + ("..." if len(self.body) > limit else "")


@dataclass(frozen=True)
class Captured:
    """One request as it reached the recorder: the raw request target, headers and body bytes."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def raw_path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    def header_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.headers}


# ---------------------------------------------------------------- where it is sent

_T = TypeVar("_T", bound="BaseTarget")


class Target(Protocol):
    """Anything that sends a Case and returns the Exchange (drivers implement it).

    Like httpx's ``BaseTransport``: ``close()`` releases what the target holds
    (a connection pool, an event loop), and ``with target:`` closes it on exit.
    """

    def send(self, case: Case) -> Exchange: ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class BaseTarget:
    """A base for targets (a subclass adds ``send``): ``close()`` does nothing unless overridden, ``with`` closes."""

    def close(self) -> None:
        """Release what the target holds; closing twice is harmless."""

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# ---------------------------------------------------------------- what a run found


def payload_size(payload: Any) -> int:
    """How big a payload is, for keeping the smallest example of a failure."""
    try:
        return len(json.dumps(payload, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        return len(repr(payload))


def curl_line(exchange: Exchange, *, api_key_env: str | None = "OPENAI_API_KEY") -> str:
    """A shell line that repeats the request; the credential is never included."""
    words = [shlex.quote(p) for p in ("curl", "-sS", "-X", exchange.method, exchange.url)]
    for name, value in exchange.request_headers.items():
        low = name.lower()
        if low in ("content-length", "host", "accept-encoding", "connection", "user-agent", "accept"):
            continue
        if low == "authorization" and api_key_env and api_key_env.isidentifier():
            # Double quotes, whatever the header's spelling: the shell expands the key from
            # the environment, and the report never holds it.
            words += ["-H", f'"{name}: Bearer ${api_key_env}"']
            continue
        words += ["-H", shlex.quote(f"{name}: {redact_headers({name: value})[name]}")]
    body = exchange.request_body.decode("utf-8", "backslashreplace")
    words += ["--data-raw", shlex.quote(body)]
    return " ".join(words)


@dataclass
class Failure:
    """One disagreement, reported once per (check, constraint) with its smallest payload."""

    check: str
    constraint: str | None
    message: str
    payload: Any
    thread_id: str
    status: int
    response_excerpt: str
    curl: str
    expected: str = "valid"
    origin: str = "random"
    # The root cause as the check words it (see ``_findings``); "" when the check names none.
    cause: str = ""
    # The number of the request at which it was first seen (0: not known, e.g. loaded from an old file).
    request: int = 0
    # The violation class of the case that showed it (``Case.label``), for grouping across fields.
    label: str = ""
    # What the request carried beside the payload, so that replay sends the same request: the raw
    # body (``Case.body``), the header changes and the query. Written only when set.
    raw_body: bytes | None = None
    header_changes: dict[str, str | None] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.check, self.constraint)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "constraint": self.constraint,
            "message": self.message,
            "expected": self.expected,
            "origin": self.origin,
            "payload": self.payload,
            "thread_id": self.thread_id,
            "status": self.status,
            "response_excerpt": self.response_excerpt,
            "curl": self.curl,
            "cause": self.cause,
            "request": self.request,
            "label": self.label,
        } | self._request_extras()

    def _request_extras(self) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if self.raw_body is not None:
            extras["raw_body_base64"] = base64.b64encode(self.raw_body).decode("ascii")
        if self.header_changes:
            extras["header_changes"] = dict(self.header_changes)
        if self.query:
            extras["query"] = dict(self.query)
        return extras

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Failure:
        return cls(
            check=data["check"],
            constraint=data.get("constraint"),
            message=data.get("message", ""),
            payload=data.get("payload"),
            thread_id=data.get("thread_id", ""),
            status=int(data.get("status", 0)),
            response_excerpt=data.get("response_excerpt", ""),
            curl=data.get("curl", ""),
            expected=data.get("expected", "valid"),
            origin=data.get("origin", "replay"),
            cause=str(data.get("cause") or ""),
            request=int(data.get("request") or 0),
            label=str(data.get("label") or ""),
            raw_body=base64.b64decode(data["raw_body_base64"]) if data.get("raw_body_base64") else None,
            header_changes=dict(data.get("header_changes") or {}),
            query=dict(data.get("query") or {}),
        )


@dataclass
class Coverage:
    """Per constraint: how often each side of its limit was tried, and what came back."""

    at: int = 0
    past: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"valid_boundary_tried": self.at, "invalid_tried": self.past, "outcomes": dict(self.outcomes)}


@dataclass
class Report:
    """Everything a run found. ``ok`` is True when the contract held."""

    target: str
    contract: str
    seed: int | None = None
    examples: int = 0
    requests: int = 0
    duration_s: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    interrupted: bool = False
    aborted: str | None = None
    started: float = field(default_factory=time.time)
    # What a reader should know that is not a failure (a client posting under another path prefix).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and self.aborted is None

    def add(self, failure: Failure) -> bool:
        """Keep ``failure`` if its (check, constraint) is new or its payload is smaller."""
        for i, known in enumerate(self.failures):
            if known.key == failure.key:
                if payload_size(failure.payload) < payload_size(known.payload):
                    # The smaller payload is kept; the finding was still first seen at the earlier request.
                    first = min((r for r in (known.request, failure.request) if r), default=0)
                    self.failures[i] = dataclasses.replace(failure, request=first)
                return False
        self.failures.append(failure)
        return True

    def findings(self) -> list[Finding]:
        """The failures grouped by root cause (``runcontract._findings``): what a user reads first."""
        return group(self.failures, self.coverage)

    def record(self, case: Case, outcome: str) -> None:
        """Count ``case`` against every constraint it sits at (valid) or breaks (invalid)."""
        ids = case.covers or ((case.constraint,) if case.constraint else ())
        for cid in ids:
            cov = self.coverage.setdefault(cid, Coverage())
            if case.expected == "valid":
                cov.at += 1
            else:
                cov.past += 1
            cov.outcomes[outcome] = cov.outcomes.get(outcome, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "contract": self.contract,
            "seed": self.seed,
            "examples": self.examples,
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "ok": self.ok,
            "interrupted": self.interrupted,
            "aborted": self.aborted,
            "checks": self.checks,
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings()],
            "failures": [f.to_dict() for f in self.failures],
            "coverage": {cid: cov.to_dict() for cid, cov in sorted(self.coverage.items())},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text; always encodable as UTF-8 (payloads may hold lone surrogates,
        which are then written as ``\\udXXX`` escapes)."""
        data = self.to_dict()
        text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(data, indent=indent, ensure_ascii=True, default=str)
        return text

    def write_json(self, path: str | os.PathLike[str]) -> None:
        atomic_write(path, self.to_json())


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Write through a temporary file so an interrupted run never leaves half a report."""
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = f"{target}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):  # the write failed: leave no temporary file behind
            os.unlink(tmp)
