"""Failures and the Report: what a run found, in a shape every front end shares."""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..drivers._exchange import Exchange, redact_headers
from ..strategies._case import Case
from ._write import atomic_write

__all__ = ["Coverage", "Failure", "Report", "curl_line", "payload_size"]


def payload_size(payload: Any) -> int:
    """How big a payload is, for keeping the smallest example of a failure."""
    try:
        return len(json.dumps(payload, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        return len(repr(payload))


def curl_line(exchange: Exchange, *, api_key_env: str | None = "OPENAI_API_KEY") -> str:
    """A shell line that repeats the request; the credential is never included."""
    parts = ["curl", "-sS", "-X", exchange.method, exchange.url]
    for name, value in exchange.request_headers.items():
        low = name.lower()
        if low in ("content-length", "host", "accept-encoding", "connection", "user-agent", "accept"):
            continue
        if low == "authorization":
            value = f"Bearer ${api_key_env}" if api_key_env else redact_headers({name: value})[name]
            parts += ["-H", f"{name}: {value}"]
            continue
        parts += ["-H", f"{name}: {redact_headers({name: value})[name]}"]
    body = exchange.request_body.decode("utf-8", "backslashreplace")
    parts += ["--data-raw", body]
    line = " ".join(shlex.quote(p) for p in parts)
    if api_key_env:
        # Let the shell expand the key from the environment, never from the report.
        quoted = shlex.quote(f"Authorization: Bearer ${api_key_env}")
        line = line.replace(quoted, f'"Authorization: Bearer ${api_key_env}"')
    return line


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
        }

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

    @property
    def ok(self) -> bool:
        return not self.failures and self.aborted is None

    def add(self, failure: Failure) -> bool:
        """Keep ``failure`` if its (check, constraint) is new or its payload is smaller."""
        for i, known in enumerate(self.failures):
            if known.key == failure.key:
                if payload_size(failure.payload) < payload_size(known.payload):
                    self.failures[i] = failure
                return False
        self.failures.append(failure)
        return True

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
