"""What one request/answer round trip looked like, whatever carried it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Exchange", "redact_headers"]

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
