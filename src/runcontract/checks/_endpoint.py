"""The endpoint oracles. Each takes a CheckContext and returns a Problem or None.

A check speaks only to its own concern, so one bug is reported by one check:
a 5xx is ``no_server_error``'s, not also ``valid_accepted``'s.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._base import Check, CheckContext, Problem, registry

__all__ = [
    "DEFAULT_CHECKS",
    "ENDPOINT_CHECKS",
    "error_conforms",
    "error_names_param",
    "invalid_rejected",
    "no_server_error",
    "param_tokens",
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


def _ok(status: int) -> bool:
    return 200 <= status < 300


def _streaming(ctx: CheckContext) -> bool:
    payload = ctx.case.payload
    return isinstance(payload, dict) and payload.get("stream") is True


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


def valid_accepted(ctx: CheckContext) -> Problem | None:
    """A payload the contract accepts gets a 2xx answer."""
    status = ctx.exchange.status
    if ctx.case.valid and 400 <= status < 500 and status != 429:
        return Problem(f"valid payload refused with {status}", _field_of(ctx))
    return None


def invalid_rejected(ctx: CheckContext) -> Problem | None:
    """A payload the contract rejects gets a 4xx answer (by default exactly 400)."""
    status = ctx.exchange.status
    if ctx.case.valid or status == 0 or status >= 500 or status == 429:
        return None
    if status not in ctx.accepted_invalid:
        allowed = ", ".join(map(str, sorted(ctx.accepted_invalid)))
        what = ctx.case.label or ctx.case.constraint
        return Problem(f"invalid payload ({what}) answered {status}, expected {allowed}", ctx.case.constraint)
    return None


def no_server_error(ctx: CheckContext) -> Problem | None:
    """Never a 5xx, never a dropped or broken connection."""
    ex = ctx.exchange
    if ex.error is not None:
        return Problem(f"no complete answer: {ex.error}", ctx.case.constraint)
    if ex.status >= 500:
        return Problem(f"server error {ex.status}", ctx.case.constraint)
    return None


def run_conforms(ctx: CheckContext) -> Problem | None:
    """A 200 answer (not streamed) is a Run object of the contract."""
    ex = ctx.exchange
    if ex.status != 200 or _streaming(ctx):
        return None
    if ex.content_type != "application/json":
        return Problem(f"200 answer has content type {ex.content_type or 'none'}, not application/json")
    try:
        body = ctx.body_json()
    except ValueError as exc:
        return Problem(f"200 answer is not JSON: {exc}")
    errors = ctx.contract.run_errors(body)
    if errors:
        return Problem("Run does not conform: " + "; ".join(errors[:3]))
    return None


def _subset(given: Any, got: Any) -> bool:
    """``got`` carries everything ``given`` said (a server may add defaults inside objects)."""
    if isinstance(given, dict):
        return isinstance(got, dict) and all(k in got and _subset(v, got[k]) for k, v in given.items())
    if isinstance(given, list):
        return (
            isinstance(got, list)
            and len(given) == len(got)
            and all(_subset(a, b) for a, b in zip(given, got, strict=True))
        )
    if isinstance(given, bool) or isinstance(got, bool):
        return given is got
    if isinstance(given, (int, float)) and isinstance(got, (int, float)):
        return _same_number(given, got)
    return bool(given == got)


def _same_number(given: float, got: float) -> bool:
    # JSON does not tell 2 from 2.0, but an integer beyond 2**53 that comes back
    # as a float went through a double and may have lost digits.
    if isinstance(given, int) and isinstance(got, int):
        return given == got
    if isinstance(given, int) and abs(given) > 2**53:
        return False
    return float(given) == float(got)


def run_reflects_request(ctx: CheckContext) -> Problem | None:
    """The Run echoes what the request set (and the thread it was sent to)."""
    ex = ctx.exchange
    payload = ctx.case.payload
    if ex.status != 200 or _streaming(ctx) or not isinstance(payload, dict):
        return None
    try:
        run = ctx.body_json()
    except ValueError:
        return None  # run_conforms reports it
    if not isinstance(run, dict):
        return None
    if run.get("thread_id") != ctx.case.thread_id:
        return Problem(
            f"thread_id {run.get('thread_id')!r:.80} is not the thread the request named ({ctx.case.thread_id!r:.80})",
            "thread_id",
        )
    for name in ECHOED:
        given = payload.get(name)
        if given is None:
            continue
        if name not in run:
            return Problem(f"Run lacks {name}, which the request set", name)
        if not _subset(given, run[name]):
            shown = json.dumps(run[name], ensure_ascii=False, default=str)[:120]
            return Problem(
                f"{name} echoed as {shown}, request had {json.dumps(given, ensure_ascii=False, default=str)[:120]}",
                name,
            )
    return None


def error_conforms(ctx: CheckContext) -> Problem | None:
    """A 4xx answer carries the contract's error body."""
    ex = ctx.exchange
    if not 400 <= ex.status < 500:
        return None
    try:
        body = ctx.body_json()
    except ValueError:
        return Problem(f"{ex.status} answer is not JSON", ctx.case.constraint)
    errors = ctx.contract.error_body_errors(body)
    if errors:
        return Problem(f"{ex.status} error body does not conform: " + "; ".join(errors[:3]), ctx.case.constraint)
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
    if ctx.case.valid or ex.status != 400 or not isinstance(ctx.case.payload, dict):
        return None
    try:
        param = ctx.body_json()["error"]["param"]
    except (ValueError, KeyError, TypeError):
        return None  # error_conforms reports it
    violations = ctx.contract.validate(ctx.case.payload)
    expected = [pointer_tokens(v.pointer) for v in violations if v.constraint == ctx.case.constraint] or [
        pointer_tokens(v.pointer) for v in violations
    ]
    expected = [e for e in expected if e]
    if not expected or ctx.case.constraint == "unicode":
        return None
    if not isinstance(param, str):
        return Problem(f"param is {json.dumps(param)}, expected {'.'.join(expected[0])}", ctx.case.constraint)
    named = param_tokens(param)
    if any(param in _renderings(want) or (named and want[: len(named)] == named) for want in expected):
        return None
    return Problem(f"param {param!r:.80} does not name the violated field {'.'.join(expected[0])}", ctx.case.constraint)


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
    ex = ctx.exchange
    if ex.status != 200:
        return None
    if not _streaming(ctx):
        if ex.content_type == "text/event-stream":
            return Problem("answered an event stream to a request without stream: true", "stream")
        return None
    if ex.content_type != "text/event-stream":
        got = ex.content_type or "no content type"
        return Problem(f"stream: true answered with {got}, not text/event-stream", "stream")
    events = ex.events or []
    if not events:
        return Problem("event stream carried no events", "stream")
    first_event, first_data = events[0]
    if first_event != "thread.run.created":
        return Problem(f"first event is {first_event!r}, not 'thread.run.created'", "stream")
    try:
        run = json.loads(first_data)
    except ValueError:
        return Problem("thread.run.created data is not JSON", "stream")
    errors = ctx.contract.run_errors(run)
    if errors:
        return Problem("thread.run.created carries a non-conforming Run: " + "; ".join(errors[:2]), "stream")
    if events[-1][1].strip() != "[DONE]":
        return Problem("event stream does not end with data: [DONE]", "stream")
    for name, data in events[:-1]:
        try:
            json.loads(data)
        except ValueError:
            return Problem(f"event {name!r} data is not JSON", "stream")
    return None


ENDPOINT_CHECKS: dict[str, Check] = registry(
    valid_accepted,
    invalid_rejected,
    no_server_error,
    run_conforms,
    run_reflects_request,
    error_conforms,
    error_names_param,
    stream_protocol,
)
DEFAULT_CHECKS = tuple(ENDPOINT_CHECKS)
