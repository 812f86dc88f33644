"""The Starlette application around a ``RunsService``."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..contract import Contract, load_contract
from ._service import Answer, ApiError, RunsService

__all__ = ["build_app", "create_app", "thread_id_from_scope"]

_RUNS_PATH = re.compile(rb"^/v1/threads/([^/]*)/runs/?$")


def thread_id_from_scope(scope: dict[str, Any] | Any) -> str | None:
    """The thread id as the client meant it, from the *raw* request path.

    ``a%2Fb`` is the thread ``a/b`` (a decoded path would have split it), and
    percent-encoded UTF-8 gives non-ASCII ids. None when the raw path is not a
    runs path with one non-empty segment, or the segment is not UTF-8.
    """
    raw = scope.get("raw_path")
    if not raw:
        raw = scope["path"].encode("utf-8")
    root = scope.get("root_path", "").encode("utf-8")
    if root and raw.startswith(root):
        raw = raw[len(root) :]
    match = _RUNS_PATH.match(raw)
    if match is None or not match.group(1):
        return None
    try:
        return unquote_to_bytes(match.group(1)).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _respond(answer: Answer) -> Response:
    if answer.events is not None:
        events = answer.events

        async def stream() -> AsyncIterator[bytes]:
            for event, data in events:
                yield f"event: {event}\ndata: {data}\n\n".encode()

        return StreamingResponse(
            stream(), status_code=answer.status, media_type="text/event-stream", headers=answer.headers
        )
    return Response(
        _json(answer.body), status_code=answer.status, media_type="application/json", headers=answer.headers
    )


def _headers(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


async def _body(request: Request) -> bytes | None:
    """The request body, or None when the client went away mid-body (nobody is left to answer)."""
    try:
        return await request.body()
    except ClientDisconnect:
        return None


def _gone() -> Response:
    """The answer to a client that already left: never read, but an ASGI app must answer."""
    return Response(status_code=499)


def build_app(service: RunsService) -> Starlette:
    """A Starlette app serving ``service``: runs, plus minimal assistants and threads."""

    def error(status: int, message: str, code: str | None = None) -> Response:
        return _respond(service.error_answer(ApiError(status, message, code=code)))

    async def runs(request: Request) -> Response:
        thread_id = thread_id_from_scope(request.scope)
        if thread_id is None:
            return error(404, f"Invalid URL ({request.method} {request.url.path})", "unknown_url")
        body = await _body(request)
        if body is None:
            return _gone()
        answer = service.handle(
            thread_id=thread_id,
            headers=_headers(request),
            query=list(request.query_params.multi_items()),
            body=body,
        )
        return _respond(answer)

    async def assistants(request: Request) -> Response:
        body = await _body(request)
        return _gone() if body is None else _respond(service.create_assistant(_headers(request), body))

    async def threads(request: Request) -> Response:
        body = await _body(request)
        return _gone() if body is None else _respond(service.create_thread(_headers(request), body))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            response = error(405, f"Method {request.method} not allowed for {request.url.path}", "method_not_allowed")
            response.headers["Allow"] = "POST"  # RFC 9110: a 405 names the methods that are allowed
            return response
        return error(status, f"Invalid URL ({request.method} {request.url.path})", "unknown_url")

    app = Starlette(
        routes=[
            # ``path`` so that a decoded ``%2F`` still reaches the handler, which reads the raw path.
            Route("/v1/threads/{thread_id:path}/runs", runs, methods=["POST"]),
            Route("/v1/assistants", assistants, methods=["POST"]),
            Route("/v1/threads", threads, methods=["POST"]),
        ],
        exception_handlers={404: http_error, 405: http_error},
    )
    app.state.service = service
    return app


def create_app(
    contract: Contract | None = None,
    *,
    version: str = "v2",
    api_keys: set[str] | None = None,
    rate_limit: float | None = None,
) -> Starlette:
    """The reference server for ``contract`` (default: the bundled contract of ``version``).

    ``api_keys``: accepted bearer tokens (None: any non-empty token).
    ``rate_limit``: requests per second before 429 + ``Retry-After`` (None: never 429).
    """
    if contract is None:
        contract = load_contract(version=version)
    return build_app(RunsService(contract, api_keys=api_keys, rate_limit=rate_limit))
