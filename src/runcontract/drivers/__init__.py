"""Drivers: how a payload reaches a client under test or an endpoint."""

from .._core import BaseTarget, Exchange, Target, redact_headers
from ._asgi import ASGITarget
from ._http import HTTPTarget, RateLimiter, retry_after_seconds
from ._wire import encode_payload, parse_sse, quote_thread_id

__all__ = [
    "ASGITarget",
    "BaseTarget",
    "Exchange",
    "HTTPTarget",
    "RateLimiter",
    "Target",
    "encode_payload",
    "parse_sse",
    "quote_thread_id",
    "redact_headers",
    "retry_after_seconds",
]
