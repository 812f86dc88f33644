"""Drivers: how a payload reaches a side.

Endpoints: ``ASGITarget`` (in process), ``HTTPTarget`` (live), ``make_target``
(picks one, or the embedded reference server). Clients: the adapters that turn
a client serializer into ``send(base_url, thread_id, payload)`` (the openai
SDK, httpx/httpx2 functions, any program) and the ``LoopbackRecorder`` that
keeps what they sent.
"""

from .._core import BaseTarget, Exchange, Target, redact_headers
from . import _adapters
from ._adapters import *  # noqa: F403 (the client adapters, listed once in _adapters.__all__)
from ._asgi import ASGITarget
from ._http import HTTPTarget, RateLimiter, default_rate, is_loopback, retry_after_seconds
from ._recorder import LoopbackRecorder, Responder, answer_for, build_run
from ._targets import make_target
from ._wire import encode_payload, parse_sse, quote_thread_id, request_headers, with_case_headers

__all__ = [
    "ASGITarget",
    "BaseTarget",
    "Exchange",
    "HTTPTarget",
    "LoopbackRecorder",
    "RateLimiter",
    "Responder",
    "Target",
    "answer_for",
    "build_run",
    "default_rate",
    "encode_payload",
    "is_loopback",
    "make_target",
    "parse_sse",
    "quote_thread_id",
    "redact_headers",
    "request_headers",
    "retry_after_seconds",
    "with_case_headers",
]
__all__ += _adapters.__all__
