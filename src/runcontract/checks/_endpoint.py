"""The endpoint oracles. Each takes a CheckContext and returns a Problem or None.

A check speaks only to its own concern, so one bug is reported by one check:
a 5xx is ``no_server_error``'s, not also ``valid_accepted``'s.
"""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any
from urllib.parse import unquote

from .._findings import ACCEPTS_INVALID, signature
from ..contract import REFUSED_WITH
from ._base import Check, CheckContext, Problem, registry

__all__ = [
    "DEFAULT_CHECKS",
    "ENDPOINT_CHECKS",
    "error_conforms",
    "error_names_param",
    "invalid_rejected",
    "no_server_error",
    "param_tokens",
    "path_routing",
    "pointer_tokens",
    "run_conforms",
    "run_reflects_request",
    "stream_protocol",
    "valid_accepted",
]

# Fields a Run echoes from the request, when the request gave them (non-null).
ECHOED = (
    "assistant_id",
    "model",
    "instructions",
    "metadata",
    "tools",
    "temperature",
    "top_p",
    "max_prompt_tokens",
    "max_completion_tokens",
    "truncation_strategy",
    "tool_choice",
    "response_format",
    "parallel_tool_calls",
)


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Characters a path segment carries as they are; any other is percent-encoded (RFC 3986 unreserved).
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
# A valid case's label that says which limit it sits at, not a class of values across fields:
# its refusals are grouped by field.
_PER_FIELD_LABELS = frozenset({"", "boundary-at"})
# Run fields holding Unix timestamps (seconds), when set.
_TIMESTAMPS = ("created_at", "started_at", "expires_at", "cancelled_at", "failed_at", "completed_at")
# Timestamps before this (2014-05-13) are not this API's seconds: minutes, days, a counter.
_EPOCH_FLOOR = 1_400_000_000


def _ok(status: int) -> bool:
    return 200 <= status < 300


def _streaming(ctx: CheckContext) -> bool:
    payload = ctx.case.payload
    return isinstance(payload, dict) and payload.get("stream") is True


def _needs_encoding(thread_id: str) -> bool:
    return _UNRESERVED.fullmatch(thread_id) is None


def _path_explained(ctx: CheckContext) -> bool:
    """The answer is about the URL (a redirect, no such route or thread), not the body: not the body's to answer for."""
    status = ctx.exchange.status
    return status in _REDIRECTS or status in (404, 405)


def _top_field(ctx: CheckContext, constraint: str | None) -> str:
    """The request field a constraint (or a dotted field path) belongs to; ``the body`` for the body's own."""
    if not constraint:
        return "the body"
    known = ctx.contract.catalogue.get(constraint)
    if known is not None and not known.field and constraint in ctx.contract.catalogue.requests:
        return f"the request ({known.keyword})"
    path = known.field if known is not None else constraint
    head = path.split(".")[0]
    return head or "the body"


def _field_of(ctx: CheckContext) -> str | None:
    """For a valid payload that was refused: the constraint it sat at, or the field the error names."""
    if ctx.case.constraint:
        return ctx.case.constraint
    try:
        body = ctx.body_json()
        param = body["error"]["param"]
    except (ValueError, KeyError, TypeError):
        return None
    tokens = param_tokens(param) if isinstance(param, str) else []
    return ".".join("items" if t.isdigit() else t for t in tokens) or None


def _error_code(ctx: CheckContext) -> str:
    try:
        error = ctx.body_json()["error"]
        parts = [error.get("type"), error.get("code")]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    return "/".join(str(p) for p in parts if isinstance(p, str) and p)


def valid_accepted(ctx: CheckContext) -> Problem | None:
    """A payload the contract accepts gets the contract's success answer, 200."""
    status = ctx.exchange.status
    if not ctx.case.valid or ctx.lenient or _path_explained(ctx):
        return None
    if _ok(status) and status != 200:
        return Problem(
            f"valid payload answered {status}; the contract's success status is 200",
            None,
            cause=f"answers {status}, not 200, to valid payloads",
        )
    if 400 <= status < 500 and status != 429:
        field = _field_of(ctx)
        label = ctx.case.label
        if label in _PER_FIELD_LABELS:
            cause = f"refuses valid values of {_top_field(ctx, field)} ({status})" if field else ""
        else:
            cause = f"refuses valid {label} payloads ({status})"
        if not cause:
            code = _error_code(ctx)
            cause = f"refuses valid payloads ({status}{', ' + code if code else ''})"
        return Problem(f"valid payload refused with {status}", field, cause=cause)
    return None


def invalid_rejected(ctx: CheckContext) -> Problem | None:
    """A payload the contract rejects gets a 4xx answer (by default exactly 400)."""
    status = ctx.exchange.status
    if ctx.case.valid or ctx.lenient or status == 0 or status >= 500 or status == 429 or _path_explained(ctx):
        return None
    what = ctx.case.label or ctx.case.constraint
    if _ok(status):
        return Problem(
            f"invalid payload ({what}) accepted with {status}",
            ctx.case.constraint,
            cause=ACCEPTS_INVALID + _top_field(ctx, ctx.case.constraint),
        )
    refusing = REFUSED_WITH.get(ctx.case.constraint or "", ctx.accepted_invalid)
    if status not in refusing:
        allowed = ", ".join(map(str, sorted(refusing)))
        return Problem(
            f"invalid payload ({what}) answered {status}, expected {allowed}",
            ctx.case.constraint,
            cause=f"answers {status} to invalid payloads, not {allowed}",
        )
    return None


def _transport_kind(error: str) -> str:
    text = error.lower()
    for word, kind in (("timed out", "timeout"), ("timeout", "timeout"), ("reset", "reset"), ("body cap", "too big")):
        if word in text:
            return kind
    return signature(error.split(":")[0], limit=40)


def no_server_error(ctx: CheckContext) -> Problem | None:
    """Never a 5xx, never a dropped or broken connection, never a hang."""
    ex = ctx.exchange
    # The violation class, by family: every ``body.*`` probe's crash is the body parser's.
    what = (ctx.case.label or ("valid" if ctx.case.valid else "invalid")).split(".")[0]
    if ex.error is not None:
        # A hang or a reset is one behaviour whatever payload showed it.
        return Problem(
            f"no complete answer: {ex.error}",
            ctx.case.constraint,
            cause=f"no complete answer ({_transport_kind(ex.error)})",
        )
    if ex.status >= 500:
        excerpt = signature(ex.excerpt(200), limit=60)
        return Problem(
            f"server error {ex.status}",
            ctx.case.constraint,
            cause=f"server error {ex.status} on {what} payloads" + (f": {excerpt}" if excerpt else ""),
        )
    return None


def path_routing(ctx: CheckContext) -> Problem | None:
    """The request reaches the createRun route, whatever the thread id holds (percent-encoded, it is one segment).

    A redirect, 404 or 405 is charged to the URL, never to the body: for a
    thread id that needed percent-encoding, the router decoded it; for a plain
    one, the base URL is wrong or the thread does not exist on the target
    (register one: README, Staging).
    """
    ex = ctx.exchange
    thread_id = ctx.case.thread_id
    encoded = _needs_encoding(thread_id)
    if not _path_explained(ctx):
        if encoded and _ok(ex.status) and not _streaming(ctx):
            try:
                run = ctx.body_json()
            except ValueError:
                return None
            got = run.get("thread_id") if isinstance(run, dict) else None
            if isinstance(got, str) and _decoded_variant(thread_id, got):
                return Problem(
                    f"thread id {thread_id!r:.60} came back as {got!r:.60}: the path was decoded differently",
                    "thread_id",
                    cause="percent-encoded thread ids are decoded into another id",
                )
        return None
    if encoded and ctx.plain_routed:
        return Problem(
            f"thread id {thread_id!r:.60}, percent-encoded in the path, did not reach the route: {ex.status}",
            "thread_id",
            cause=f"percent-encoded thread ids do not reach the route ({ex.status})",
        )
    return Problem(
        f"{ex.method} {ex.url:.120} answered {ex.status}: no createRun route for this thread",
        "path",
        cause=f"the createRun route answers {ex.status}: check the base URL, or register a thread that exists",
    )


def _decoded_variant(sent: str, got: str) -> bool:
    """``got`` is ``sent`` as a router that decodes too much or splits the path would see it."""
    if got == sent or not got:
        return False
    return got == unquote(sent) or sent.startswith(got) or sent.endswith(got)


def _implausible(run: dict[str, Any]) -> str | None:
    """What the contract's words rule out in a schema-valid Run: timestamps in Unix seconds, expiry after creation."""
    latest = time.time() + 86_400
    for name in _TIMESTAMPS:
        value = run.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not _EPOCH_FLOOR <= value <= latest:
            return f"{name} {value} is not a Unix time in seconds near now"
    created, expires = run.get("created_at"), run.get("expires_at")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (created, expires)):
        if expires < created:  # type: ignore[operator]
            return f"expires_at {expires} is before created_at {created}"
    return None


_INDEX = re.compile(r"/\d+(?=/|:)")


def run_conforms(ctx: CheckContext) -> Problem | None:
    """A success answer to a valid payload (not streamed) is a Run object of the contract, and a plausible one."""
    ex = ctx.exchange
    if not _ok(ex.status) or _streaming(ctx) or not ctx.case.valid:
        return None  # an accepted invalid payload is invalid_rejected's: its echo is not judged again
    if ex.content_type != "application/json":
        return Problem(
            f"{ex.status} answer has content type {ex.content_type or 'none'}, not application/json",
            cause=f"success answers have content type {ex.content_type or 'none'}",
        )
    try:
        body = ctx.body_json()
    except ValueError as exc:
        return Problem(f"{ex.status} answer is not JSON: {exc}", cause="success answers are not JSON")
    errors = ctx.contract.run_errors(body)
    if errors:
        shapes = sorted({signature(_INDEX.sub("/*", e), limit=80) for e in errors})[:3]
        return Problem(
            "Run does not conform: " + "; ".join(errors[:3]), cause="Run does not conform: " + "; ".join(shapes)
        )
    odd = _implausible(body) if isinstance(body, dict) else None
    if odd:
        return Problem(f"Run is implausible: {odd}", cause="Run is implausible: " + signature(odd, limit=60))
    return None


def _same_value(given: Any, got: Any) -> bool:
    if isinstance(given, bool) or isinstance(got, bool):
        return given is got
    if isinstance(given, (int, float)) and isinstance(got, (int, float)):
        return _same_number(given, got)
    return bool(given == got)


def _echoes(given: Any, got: Any, name: str, ctx: CheckContext) -> bool:
    """``got`` carries what ``given`` said, judged by the contract (or exactly, with ``strict_echo``).

    Objects are compared as subsets (a server may add fields); a null the
    request sent may come back absent, null, or as its property's default.
    """
    if given is None:
        return got is None or (
            not ctx.strict_echo and any(_same_value(d, got) for d in ctx.contract.defaults.get(name, ()))
        )
    if isinstance(given, dict):
        if not isinstance(got, dict):
            return False
        for key, value in given.items():
            if key not in got:
                if value is None and not ctx.strict_echo:
                    continue
                return False
            if not _echoes(value, got[key], key, ctx):
                return False
        return True
    if isinstance(given, list):
        return (
            isinstance(got, list)
            and len(given) == len(got)
            and all(_echoes(a, b, name, ctx) for a, b in zip(given, got, strict=True))
        )
    return _same_value(given, got)


def _same_number(given: float, got: float) -> bool:
    # JSON does not tell 2 from 2.0, but an integer beyond 2**53 that comes back
    # as a float went through a double and may have lost digits.
    if isinstance(given, int) and isinstance(got, int):
        return given == got
    if isinstance(given, int) and abs(given) > 2**53:
        return False
    return math.isclose(float(given), float(got), rel_tol=1e-9, abs_tol=0.0)


def _instructions_echo(payload: dict[str, Any], got: Any) -> bool:
    """Run.instructions are "the instructions the assistant used": the request's, maybe with
    additional_instructions appended."""
    given = payload["instructions"]
    if got == given:
        return True
    extra = payload.get("additional_instructions")
    if not isinstance(got, str) or not isinstance(extra, str) or not got.startswith(given):
        return False
    return got[len(given) :].strip() == extra.strip()


def _model_echo(given: str, got: Any) -> bool:
    """The model the run used: the one asked for, or its dated snapshot (``gpt-4o`` -> ``gpt-4o-2024-08-06``)."""
    return got == given or (
        isinstance(got, str) and re.fullmatch(re.escape(given) + r"-\d{4}-\d{2}-\d{2}", got) is not None
    )


def run_reflects_request(ctx: CheckContext) -> Problem | None:
    """The Run echoes what the request set (and the thread it was sent to).

    Judged by the contract: what the request omitted or nulled is the
    assistant's or the default (nothing is asserted); a null inside an object
    may come back absent or as its default; ``instructions`` may come back with
    ``additional_instructions`` appended; a model may come back as its dated
    snapshot. ``strict_echo`` judges exactly what was sent.
    """
    ex = ctx.exchange
    payload = ctx.case.payload
    if not _ok(ex.status) or _streaming(ctx) or not isinstance(payload, dict) or not ctx.case.valid:
        return None
    try:
        run = ctx.body_json()
    except ValueError:
        return None  # run_conforms reports it
    if not isinstance(run, dict):
        return None
    got_thread = run.get("thread_id")
    if got_thread != ctx.case.thread_id and not (
        isinstance(got_thread, str) and _decoded_variant(ctx.case.thread_id, got_thread)
    ):  # a decoded variant is path_routing's
        return Problem(
            f"thread_id {run.get('thread_id')!r:.80} is not the thread the request named ({ctx.case.thread_id!r:.80})",
            "thread_id",
            cause="Run names another thread than the request's",
        )
    for name in ECHOED:
        given = payload.get(name)
        if given is None:
            continue
        if name not in run:
            return Problem(f"Run lacks {name}, which the request set", name, cause="Run lacks fields the request set")
        got = run[name]
        if ctx.strict_echo:
            same = _echoes(given, got, name, ctx)
        elif name == "instructions":
            same = _instructions_echo(payload, got)
        elif name == "model" and isinstance(given, str):
            same = _model_echo(given, got)
        else:
            same = _echoes(given, got, name, ctx)
        if not same:
            shown = json.dumps(got, ensure_ascii=False, default=str)[:120]
            return Problem(
                f"{name} echoed as {shown}, request had {json.dumps(given, ensure_ascii=False, default=str)[:120]}",
                name,
                cause="Run echoes fields otherwise than the request set them",
            )
    return None


def error_conforms(ctx: CheckContext) -> Problem | None:
    """A 4xx answer carries the contract's error body (a redirect, 404 or 405 is ``path_routing``'s)."""
    ex = ctx.exchange
    if not 400 <= ex.status < 500 or _path_explained(ctx) or ctx.lenient:
        return None
    try:
        body = ctx.body_json()
    except ValueError:
        return Problem(
            f"{ex.status} answer is not JSON", ctx.case.constraint, cause=f"{ex.status} answers are not JSON"
        )
    errors = ctx.contract.error_body_errors(body)
    if errors:
        shapes = sorted({signature(_INDEX.sub("/*", e), limit=80) for e in errors})[:3]
        return Problem(
            f"{ex.status} error body does not conform: " + "; ".join(errors[:3]),
            ctx.case.constraint,
            cause=f"{ex.status} error body does not conform: " + "; ".join(shapes),
        )
    return None


# One step of a param: ``[1]``, ``["a b"]`` / ``['a b']`` (a quoted key, backslash escapes), or a
# bare name after an optional dot.
_PARAM_STEP = re.compile(r"""\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\]]*))\s*\]|\.?([^.\[\]]+)""")
_ESCAPE = re.compile(r"\\(.)")


def param_tokens(param: str) -> list[str]:
    """``tools[1].function.name`` / ``tools.1.function.name`` / ``/tools/1/...`` / ``metadata["a b"]`` -> tokens."""
    text = param.strip()
    if text.startswith("/"):
        return pointer_tokens(text)
    tokens = []
    for match in _PARAM_STEP.finditer(text):
        double, single, bare_index, name = match.groups()
        quoted = double if double is not None else single
        if quoted is not None:
            tokens.append(_ESCAPE.sub(r"\1", quoted))
        else:
            token = (bare_index if bare_index is not None else name).strip()
            if token:
                tokens.append(token)
    return tokens


def pointer_tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def error_names_param(ctx: CheckContext) -> Problem | None:
    """A 400 for an invalid payload names the violated field in ``error.param``.

    The param must name the violated field or one of its ancestors down from the
    top-level field (``tools`` or ``tools[1].function.name`` for
    ``/tools/1/function/name``); it may be null only where no field is at fault.
    """
    ex = ctx.exchange
    if ctx.case.valid or ctx.lenient or ex.status not in ctx.accepted_invalid or not isinstance(ctx.case.payload, dict):
        return None
    if ctx.case.body is not None:
        return None  # raw bytes (1e400, latin-1): a server may refuse the body as a whole, param null
    try:
        param = ctx.body_json()["error"]["param"]
    except (ValueError, KeyError, TypeError):
        return None  # error_conforms reports it
    violations = ctx.contract.validate(ctx.case.payload)
    expected = [pointer_tokens(v.pointer) for v in violations if v.constraint == ctx.case.constraint] or [
        pointer_tokens(v.pointer) for v in violations
    ]
    expected = [e for e in expected if e]
    known = ctx.contract.catalogue.get(ctx.case.constraint)
    if not expected or (known is not None and not known.pointer):
        return None  # the body itself is at fault (not JSON, not Unicode): no field to name
    if not isinstance(param, str):
        return Problem(
            f"param is {json.dumps(param)}, expected {'.'.join(expected[0])}",
            ctx.case.constraint,
            cause=f"error.param is {json.dumps(param)} where a field is at fault",
        )
    named = param_tokens(param)
    if any(param in _renderings(want) or (named and want[: len(named)] == named) for want in expected):
        return None
    return Problem(
        f"param {param!r:.80} does not name the violated field {'.'.join(expected[0])}",
        ctx.case.constraint,
        cause="error.param does not name the violated field",
    )


def _renderings(tokens: list[str]) -> set[str]:
    """Every way a param may name ``tokens`` or one of its ancestors (keys taken literally)."""
    out = set()
    for n in range(1, len(tokens) + 1):
        head = tokens[:n]
        bracket = head[0] + "".join(f"[{t}]" if t.isdigit() else f".{t}" for t in head[1:])
        out |= {bracket, ".".join(head), "/" + "/".join(head)}
    return out


def stream_protocol(ctx: CheckContext) -> Problem | None:
    """``stream: true`` gets an event stream: thread.run.created first, data: [DONE] last."""
    problem = _stream_problem(ctx)
    return Problem(problem, "stream", cause="stream: " + signature(problem, limit=80)) if problem else None


def _stream_problem(ctx: CheckContext) -> str | None:
    ex = ctx.exchange
    if not _ok(ex.status):
        return None
    if not _streaming(ctx):
        if ex.content_type == "text/event-stream":
            return "answered an event stream to a request without stream: true"
        return None
    if ex.content_type != "text/event-stream":
        return f"stream: true answered with {ex.content_type or 'no content type'}, not text/event-stream"
    events = ex.events or []
    if not events:
        return "event stream carried no events"
    first_event, first_data = events[0]
    if first_event != "thread.run.created":
        return f"first event is {first_event!r}, not 'thread.run.created'"
    try:
        run = json.loads(first_data)
    except ValueError:
        return "thread.run.created data is not JSON"
    errors = ctx.contract.run_errors(run)
    if errors:
        return "thread.run.created carries a non-conforming Run: " + "; ".join(errors[:2])
    if events[-1][1].strip() != "[DONE]":
        return "event stream does not end with data: [DONE]"
    for name, data in events[:-1]:
        try:
            json.loads(data)
        except ValueError:
            return f"event {name!r} data is not JSON"
    return None


ENDPOINT_CHECKS: dict[str, Check] = registry(
    valid_accepted,
    invalid_rejected,
    no_server_error,
    path_routing,
    run_conforms,
    run_reflects_request,
    error_conforms,
    error_names_param,
    stream_protocol,
)
DEFAULT_CHECKS = tuple(ENDPOINT_CHECKS)
