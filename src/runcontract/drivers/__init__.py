"""Drivers: how a payload reaches a client under test or an endpoint."""

from ._asgi import ASGITarget
from ._exchange import Exchange, redact_headers
from ._http import HTTPTarget, RateLimiter, retry_after_seconds
from ._wire import encode_payload, parse_sse, quote_thread_id

__all__ = [
    "ASGITarget",
    "Exchange",
    "HTTPTarget",
    "RateLimiter",
    "encode_payload",
    "parse_sse",
    "quote_thread_id",
    "redact_headers",
    "retry_after_seconds",
]
