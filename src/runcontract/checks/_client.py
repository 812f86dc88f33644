"""The client oracles: did a client serializer send what it was given, the way the contract says?

Each check takes a :class:`ClientContext` (one example: the case, how the call
ended, what reached the recorder) and returns a :class:`Problem` or None. As
with the endpoint checks, one bug is reported by one check: a body that is not
UTF-8 is ``wire_format``'s, not also ``serialization_fidelity``'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from .._core import Captured, Case
from ..contract import Contract, Schema
from ._base import Problem, registry

__all__ = [
    "CLIENT_CHECKS",
    "ClientCheck",
    "ClientContext",
    "Outcome",
    "client_accepts_valid",
    "client_agrees",
    "client_no_crash",
    "field_path",
    "first_difference",
    "serialization_fidelity",
    "wire_format",
    "wire_problems",
]

Outcome = Literal["sent", "rejected", "crashed"]


@dataclass
class ClientContext:
    """One example: the case given to the client, how the call ended and what was sent."""

    contract: Contract
    case: Case
    outcome: Outcome
    requests: list[Captured]
    error: BaseException | None = None
    validates: bool = False
    culprit: Callable[[], str | None] | None = field(default=None, repr=False)

    @property
    def error_text(self) -> str:
        if self.error is None:
            return ""
        return f"{type(self.error).__name__}: {str(self.error)[:200]}"


ClientCheck = Callable[[ClientContext], "Problem | None"]

# ---------------------------------------------------------------- comparison


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def first_difference(sent: Any, got: Any, pointer: str = "") -> tuple[str, str] | None:
    """The first place where ``got`` (parsed from the wire) is not exactly ``sent``.

    Returns (JSON pointer, what is wrong) or None. Key order does not matter;
    everything else does: a bool stays a bool, an int arrives as an integer
    literal of the same value (2**70 too), a float arrives with exactly its
    value (as ``1.0`` or ``1``), null stays null, strings are equal code point
    for code point.
    """
    where = pointer or "(root)"
    if isinstance(sent, bool) or isinstance(got, bool):
        if type(sent) is not type(got) or sent != got:
            return pointer, f"{where}: sent {_short(sent)}, received {_short(got)}"
        return None
    if isinstance(sent, int):
        if not isinstance(got, int):
            return pointer, f"{where}: integer {_short(sent)} arrived as {_short(got)}"
        if sent != got:
            return pointer, f"{where}: sent {sent}, received {got}"
        return None
    if isinstance(sent, float):
        if not isinstance(got, (int, float)) or not (got == sent or (sent != sent and got != got)):
            return pointer, f"{where}: sent {sent!r}, received {_short(got)}"
        return None
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return pointer, f"{where}: object arrived as {_short(got)}"
        for key, value in sent.items():
            sub = f"{pointer}/{_escape(str(key))}"
            if key not in got:
                return sub, f"{sub}: dropped (sent {_short(value)})"
            found = first_difference(value, got[key], sub)
            if found:
                return found
        for key in got:
            if key not in sent:
                sub = f"{pointer}/{_escape(str(key))}"
                return sub, f"{sub}: added (received {_short(got[key])}, never sent)"
        return None
    if isinstance(sent, (list, tuple)):
        if not isinstance(got, list):
            return pointer, f"{where}: array arrived as {_short(got)}"
        for i, (a, b) in enumerate(zip(sent, got, strict=False)):
            found = first_difference(a, b, f"{pointer}/{i}")
            if found:
                return found
        if len(sent) != len(got):
            return pointer, f"{where}: {len(sent)} items sent, {len(got)} received"
        return None
    if sent is None:
        if got is not None:
            return pointer, f"{where}: null arrived as {_short(got)}"
        return None
    if type(sent) is not type(got) or sent != got:
        return pointer, f"{where}: sent {_short(sent)}, received {_short(got)}"
    return None


def _branches(node: Schema, kind: str) -> list[Schema]:
    """The subschemas of ``node`` (itself, or its union branches, recursively) that allow JSON type ``kind``."""
    out: list[Schema] = []
    declared = node.get("type")
    if declared == kind or (isinstance(declared, list) and kind in declared):
        out.append(node)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(key, ()):
            out.extend(_branches(branch, kind))
    return out


def field_path(schema: Schema, pointer: str) -> str:
    """``/tools/0/function/name`` -> ``tools.items.function.name``; map values are ``values``.

    Inside free-form JSON (a function's ``parameters``, a ``json_schema``) the
    path stops at the field that holds it.
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    parts: list[str] = []
    node: Schema | None = schema
    for token in tokens:
        if node is None:
            break
        objects = _branches(node, "object")
        named = [o for o in objects if token in o.get("properties", {})]
        maps = [o for o in objects if isinstance(o.get("additionalProperties"), dict)]
        arrays = [a for a in _branches(node, "array") if isinstance(a.get("items"), dict)]
        if named:
            parts.append(token)
            node = named[0]["properties"][token]
        elif arrays and token.isdigit():
            parts.append("items")
            node = arrays[0]["items"]
        elif maps:
            parts.append("values")
            node = maps[0]["additionalProperties"]
        else:
            break
    return ".".join(parts)


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(f"key {key!r:.60} appears twice")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_strict(body: bytes) -> Any:
    """JSON exactly as a strict server reads it: UTF-8, no NaN/Infinity, no duplicate keys."""
    return json.loads(body.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_reject_constant)


# -------------------------------------------------------------------- checks


def _valid_field(ctx: ClientContext) -> str | None:
    if ctx.case.constraint:
        return ctx.case.constraint
    return ctx.culprit() if ctx.culprit is not None else None


def client_accepts_valid(ctx: ClientContext) -> Problem | None:
    """A payload the contract accepts is sent: the client neither refuses it nor crashes on it."""
    if not ctx.case.valid or ctx.outcome == "sent":
        return None
    verb = "refused" if ctx.outcome == "rejected" else "crashed on"
    return Problem(f"client {verb} a valid payload ({ctx.error_text})", _valid_field(ctx))


def client_no_crash(ctx: ClientContext) -> Problem | None:
    """An invalid payload is refused with a clean error or sent; never an unexpected exception."""
    if ctx.case.valid or ctx.outcome != "crashed":
        return None
    what = ctx.case.label or ctx.case.constraint
    return Problem(f"client crashed on an invalid payload ({what}): {ctx.error_text}", ctx.case.constraint)


def client_agrees(ctx: ClientContext) -> Problem | None:
    """A client that validates refuses what the contract refuses (refusing valid ones is client_accepts_valid's)."""
    if not ctx.validates or ctx.case.valid or ctx.outcome != "sent":
        return None
    what = ctx.case.label or ctx.case.constraint
    return Problem(f"client validates but sent a payload the contract rejects ({what})", ctx.case.constraint)


def _the_request(ctx: ClientContext) -> Captured | None:
    posts = [r for r in ctx.requests if r.method == "POST"] or ctx.requests
    return posts[0] if posts else None


def serialization_fidelity(ctx: ClientContext) -> Problem | None:
    """The JSON received is exactly the payload: nothing dropped, renamed, truncated, coerced or rounded."""
    if ctx.outcome != "sent":
        return None
    request = _the_request(ctx)
    if request is None:
        return Problem("the client reported success but no request arrived", None)
    try:
        request.body.decode("utf-8")
    except UnicodeDecodeError:
        return None  # wire_format reports it
    try:
        got = parse_strict(request.body)
    except ValueError as exc:
        return Problem(f"body is not JSON: {exc}", ctx.case.constraint)
    found = first_difference(ctx.case.payload, got)
    if found is None:
        return None
    pointer, message = found
    return Problem(message, field_path(ctx.contract.request_schema, pointer) or None)


_PCHAR = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$")
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)


def _path_problem(contract: Contract, request: Captured, thread_id: str | None, prefix: str | None) -> Problem | None:
    path = request.raw_path
    template = contract.endpoint.path
    head, _, tail = template.partition("{thread_id}")
    if prefix is not None:  # the runs path mounted elsewhere (a mock behind any base URL): keep "/threads/"
        head = prefix + head[head.index("/threads/") :]
    if not path.startswith(head) or not path.endswith(tail) or len(path) < len(head) + len(tail):
        return Problem(f"request target {request.target!r:.120} is not {template} for thread {thread_id!r:.60}", "path")
    segment = path[len(head) : len(path) - len(tail)]
    if not segment and thread_id is None:  # with a thread id, the mismatch below says more
        return Problem("empty thread id in the path", "path")
    if not _PCHAR.match(segment):
        return Problem(f"thread segment {segment!r:.80} is not percent-encoded", "path")
    try:
        decoded = unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return Problem(f"thread segment {segment!r:.80} does not decode as UTF-8", "path")
    if thread_id is not None and decoded != thread_id:
        return Problem(f"thread segment {segment!r:.80} decodes to {decoded!r:.60}, not {thread_id!r:.60}", "path")
    return None


def wire_problems(
    contract: Contract, request: Captured, *, thread_id: str | None = None, prefix: str | None = None
) -> list[Problem]:
    """What is wrong with how ``request`` travels, whatever its payload: the wire rules shared by the
    client check ``wire_format`` and the mock.

    POST to the runs path with the thread id as one percent-encoded segment (that decodes to
    ``thread_id``, when given), JSON in UTF-8, ``OpenAI-Beta`` listing the contract's value among
    comma-separated ones, and an Authorization header. ``prefix``: the path before ``/threads/``
    instead of the contract's (``/v1``). Problems come in that order, at most one per rule.
    """
    problems = []
    if request.method != "POST":
        problems.append(Problem(f"method {request.method}, expected POST", "method"))
    path = _path_problem(contract, request, thread_id, prefix)
    if path:
        problems.append(path)
    ctype = request.header("content-type") or ""
    media, _, params = ctype.partition(";")
    charset = _CHARSET.search(params)
    if media.strip().lower() != "application/json":
        problems.append(Problem(f"Content-Type {ctype or 'missing'!r}, expected application/json", "content-type"))
    elif charset and charset.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        problems.append(Problem(f"Content-Type declares charset {charset.group(1)!r}, expected UTF-8", "content-type"))
    try:
        request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"body is not UTF-8: {exc}", "encoding"))
    expected_beta = contract.endpoint.headers["OpenAI-Beta"]
    beta = request.header("openai-beta")
    if beta is None:
        problems.append(Problem(f"no OpenAI-Beta header (expected {expected_beta!r})", "openai-beta"))
    elif expected_beta not in [v.strip() for v in beta.split(",")]:
        problems.append(Problem(f"OpenAI-Beta {beta!r:.80}, expected {expected_beta!r}", "openai-beta"))
    if not (request.header("authorization") or "").strip():
        problems.append(Problem("no Authorization header", "authorization"))
    return problems


def wire_format(ctx: ClientContext) -> Problem | None:
    """One POST to the thread's runs path (thread id percent-encoded), JSON in UTF-8, beta header and auth."""
    if ctx.outcome != "sent" or not ctx.requests:
        return None
    if len(ctx.requests) > 1:
        return Problem(f"{len(ctx.requests)} requests sent for one call", "requests")
    problems = wire_problems(ctx.contract, ctx.requests[0], thread_id=ctx.case.thread_id)
    return problems[0] if problems else None


CLIENT_CHECKS: Mapping[str, ClientCheck] = registry(
    client_accepts_valid, client_no_crash, serialization_fidelity, wire_format, client_agrees
)
