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
from .._findings import CRASHES, signature
from ..contract import Contract, Schema, json_type
from ._base import Problem, registry

__all__ = [
    "CLIENT_CHECKS",
    "ClientCheck",
    "ClientContext",
    "Outcome",
    "argument_error",
    "client_accepts_valid",
    "client_agrees",
    "client_capability",
    "client_no_crash",
    "crash_site",
    "fidelity_difference",
    "field_path",
    "first_difference",
    "request_prefix",
    "sent_payload",
    "serialization_fidelity",
    "wire_format",
    "wire_problems",
]

# "unsupported": the adapter said the library cannot express this payload (``ClientCannotExpress``).
Outcome = Literal["sent", "rejected", "crashed", "unsupported"]


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
    # Judge null and absent as different (by default they are the same for a nullable optional field).
    strict_nulls: bool = False
    # Fields the adapter declares its library cannot express (dotted paths, ``reasoning_effort``).
    cannot_express: frozenset[str] = frozenset()
    # Thread ids the recorder created during this call (a wrapper that makes its own thread).
    threads: frozenset[str] = frozenset()

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


def _kind(value: Any) -> str:
    """The contract's type name, except that every float is a "float" (2.0 turned into 2 is no change of type)."""
    if isinstance(value, float):
        return "float"
    if isinstance(value, tuple):
        return "array"
    return json_type(value)


def _changed(sent: Any, got: Any) -> str:
    """The root cause of ``sent`` arriving as ``got``, worded without the values (one finding per rule)."""
    a, b = _kind(sent), _kind(got)
    if a != b and not (a == "float" and b == "integer"):
        return f"sends {a} values as {b}"
    if a == "string":
        if sent.startswith(got):
            return "truncates strings"
        if sent.casefold() == got.casefold():
            return "changes the case of strings"
        return "changes strings"
    if a in ("integer", "float"):
        return "changes numbers (rounds or loses precision)"
    if a == "array":
        return "drops or adds array items"
    return f"changes {a} values"


DROPS = "drops fields it was given"
ADDS = "adds fields it was not given"


@dataclass(frozen=True)
class _Rules:
    """How :func:`_diff` reads the schema: which differences a faithful client may show."""

    schema: Schema | None = None
    strict_nulls: bool = True
    defaults: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()


_EXACT = _Rules()


def first_difference(sent: Any, got: Any, pointer: str = "") -> tuple[str, str] | None:
    """The first place where ``got`` (parsed from the wire) is not exactly ``sent``.

    Returns (JSON pointer, what is wrong) or None. Key order does not matter;
    everything else does: a bool stays a bool, an int arrives as an integer
    literal of the same value (2**70 too), a float arrives with exactly its
    value (as ``1.0`` or ``1``), null stays null, strings are equal code point
    for code point.
    """
    found = _diff(sent, got, pointer, None, _EXACT, ())
    return None if found is None else (found[0], found[1])


def fidelity_difference(
    contract: Contract,
    sent: Any,
    got: Any,
    *,
    strict_nulls: bool = False,
    skip: frozenset[str] = frozenset(),
) -> tuple[str, str, str] | None:
    """The first difference a faithful client may not show: (JSON pointer, what is wrong, root cause).

    Exact, as :func:`first_difference`, except where the contract says two
    requests mean the same: for a nullable optional field, an explicit null
    left out and a null sent for a field not given (unless ``strict_nulls``);
    a field not given (or null) sent as its documented default (``stream:
    false``, ``parallel_tool_calls: true``). Fields outside the contract (a
    key a typed object does not declare) are not judged, nor fields under
    ``skip`` (dotted paths the adapter cannot express), nor non-finite numbers
    (the client may refuse them or send any valid JSON: ``wire_format`` judges).
    """
    rules = _Rules(contract.request_schema, strict_nulls, contract.defaults, skip)
    return _diff(sent, got, "", contract.request_schema, rules, ())


def _nonfinite(value: Any) -> bool:
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_nonfinite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_nonfinite(v) for v in value)
    return False


def _nullable(node: Schema | None) -> bool:
    if node is None:
        return False
    return bool(_branches(node, "null")) or node.get("nullable") is True or None in node.get("enum", [0])


def _diff(
    sent: Any, got: Any, pointer: str, node: Schema | None, rules: _Rules, path: tuple[str, ...]
) -> tuple[str, str, str] | None:
    """(pointer, message, cause) of the first difference, reading ``node`` (None: free-form, exact)."""
    where = pointer or "(root)"
    if node is not None and ".".join(path) in rules.skip:
        return None
    if rules is not _EXACT and isinstance(sent, float) and _nonfinite(sent):
        return None  # not representable in JSON: the client may refuse it or send any valid JSON
    if isinstance(sent, bool) or isinstance(got, bool):
        if type(sent) is not type(got) or sent != got:
            return pointer, f"{where}: sent {_short(sent)}, received {_short(got)}", _changed(sent, got)
        return None
    if isinstance(sent, int):
        if rules is not _EXACT and isinstance(got, float) and got == sent and node and _branches(node, "number"):
            return None  # a number field: 1 and 1.0 are the same JSON number
        if not isinstance(got, int):
            return pointer, f"{where}: integer {_short(sent)} arrived as {_short(got)}", _changed(sent, got)
        if sent != got:
            return pointer, f"{where}: sent {sent}, received {got}", _changed(sent, got)
        return None
    if isinstance(sent, float):
        if not isinstance(got, (int, float)) or not (got == sent or (sent != sent and got != got)):
            return pointer, f"{where}: sent {sent!r}, received {_short(got)}", _changed(sent, got)
        return None
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return pointer, f"{where}: object arrived as {_short(got)}", _changed(sent, got)
        return _diff_object(sent, got, pointer, node, rules, path)
    if isinstance(sent, (list, tuple)):
        if not isinstance(got, list):
            return pointer, f"{where}: array arrived as {_short(got)}", _changed(sent, got)
        items = _items(node)
        for i, (a, b) in enumerate(zip(sent, got, strict=False)):
            found = _diff(a, b, f"{pointer}/{i}", items, rules, (*path, "items"))
            if found:
                return found
        if len(sent) != len(got):
            return pointer, f"{where}: {len(sent)} items sent, {len(got)} received", _changed(sent, got)
        return None
    if sent is None:
        if got is not None:
            return pointer, f"{where}: null arrived as {_short(got)}", _changed(sent, got)
        return None
    if type(sent) is not type(got) or sent != got:
        return pointer, f"{where}: sent {_short(sent)}, received {_short(got)}", _changed(sent, got)
    return None


def _items(node: Schema | None) -> Schema | None:
    if node is None:
        return None
    arrays = [a for a in _branches(node, "array") if isinstance(a.get("items"), dict)]
    return arrays[0]["items"] if arrays else None


def _diff_object(
    sent: dict[str, Any], got: dict[str, Any], pointer: str, node: Schema | None, rules: _Rules, path: tuple[str, ...]
) -> tuple[str, str, str] | None:
    objects = _branches(node, "object") if node is not None else []
    declared: dict[str, Schema] = {}
    required: set[str] = set()
    values: Schema | None = None
    for obj in objects:
        declared.update(obj.get("properties", {}))
        required.update(obj.get("required", ()))
        if isinstance(obj.get("additionalProperties"), dict):
            values = obj["additionalProperties"]
    typed = bool(declared)

    def lenient_absent(key: str, value: Any, *, dropped: bool) -> bool:
        """``key`` may be missing on one side: outside the contract, or null / its default."""
        if node is None:
            return False  # free-form JSON is carried exactly
        if not objects:
            # An object where the contract allows none: invalid whatever it holds; a null left out of it
            # is no change a team would make.
            return dropped and value is None and not rules.strict_nulls
        if not typed:
            # A map (metadata): carried exactly, but a null entry where values may not be null is
            # refused alike whether sent or left out.
            return dropped and value is None and not rules.strict_nulls and values is not None and not _nullable(values)
        if key not in declared:
            return True  # outside the contract: not judged
        if ".".join((*path, key)) in rules.skip or _nonfinite(value):
            return True
        if value is None and not rules.strict_nulls:
            # An explicit null left out means "not given" (where null is not allowed, both are refused
            # alike); a null added for a field not given must be one the field allows.
            return dropped or (key not in required and _nullable(declared[key]))
        return key not in required and any(value == d and type(value) is type(d) for d in rules.defaults.get(key, ()))

    for key, value in sent.items():
        sub_pointer = f"{pointer}/{_escape(str(key))}"
        if key not in got:
            if lenient_absent(key, value, dropped=True):
                continue
            return sub_pointer, f"{sub_pointer}: dropped (sent {_short(value)})", DROPS
        if typed and key not in declared and node is not None:
            continue
        if value is None and not rules.strict_nulls and node is not None and key not in required:
            # null means "not given": the documented default in its place is the same request.
            if any(got[key] == d and type(got[key]) is type(d) for d in rules.defaults.get(key, ())):
                continue
        sub = declared.get(key, values) if node is not None else None
        found = _diff(value, got[key], sub_pointer, sub, rules, (*path, key if key in declared else "values"))
        if found:
            return found
    for key, value in got.items():
        if key not in sent and not lenient_absent(key, value, dropped=False):
            sub_pointer = f"{pointer}/{_escape(str(key))}"
            return sub_pointer, f"{sub_pointer}: added (received {_short(value)}, never sent)", ADDS
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


def crash_site(error: BaseException | None) -> tuple[str, ...] | None:
    """Where a crash happened (exception type and innermost frame), to tell one crash bug from another.

    None for an adapter's own ``ClientCrashed`` (a program's crash: its stderr,
    not our frames, says where).
    """
    if error is None or type(error).__name__ == "ClientCrashed":
        return None
    tb = error.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return (type(error).__name__,)
    return (type(error).__name__, last.tb_frame.f_code.co_filename, str(last.tb_lineno))


def _crash_cause(ctx: ClientContext, verb: str) -> str:
    """The root cause of a refusal or crash: its place in the client's code, else its message's signature."""
    site = crash_site(ctx.error)
    if site is not None and len(site) == 3:
        # The place, not the exception type: one unchecked lookup fails as KeyError or AttributeError.
        return f"{verb} at {site[1].rsplit('/', 1)[-1]}:{site[2]}"
    return f"{verb}: {signature(ctx.error_text, limit=80)}"


def client_accepts_valid(ctx: ClientContext) -> Problem | None:
    """A payload the contract accepts is sent: the client neither refuses it nor crashes on it."""
    if not ctx.case.valid or ctx.outcome in ("sent", "unsupported"):
        return None
    refused = ctx.outcome == "rejected"
    cause = _crash_cause(ctx, "refused valid payloads" if refused else CRASHES)
    verb = "refused" if refused else "crashed on"
    return Problem(f"client {verb} a valid payload ({ctx.error_text})", _valid_field(ctx), cause)


def client_no_crash(ctx: ClientContext) -> Problem | None:
    """An invalid payload is refused with a clean error or sent; never an unexpected exception."""
    if ctx.case.valid or ctx.outcome != "crashed":
        return None
    what = ctx.case.label or ctx.case.constraint
    cause = _crash_cause(ctx, CRASHES)
    return Problem(f"client crashed on an invalid payload ({what}): {ctx.error_text}", ctx.case.constraint, cause)


_ARGUMENT_ERROR = re.compile(
    r"(unexpected keyword argument|missing \d+ required|required (positional|keyword)[- ]only argument"
    r"|takes \d+ positional argument|got multiple values for argument|argument after \*\*)",
    re.IGNORECASE,
)


def argument_error(error: BaseException | None) -> bool:
    """A Python call that failed on its signature: it refuses that argument, and says nothing of validation."""
    return isinstance(error, TypeError) and bool(_ARGUMENT_ERROR.search(str(error)))


def client_agrees(ctx: ClientContext) -> Problem | None:
    """A client that validates a constraint refuses every payload that breaks it.

    The check reports each invalid payload sent; whether the client validates
    that constraint (it refused some payload that broke it, cleanly, and not
    with a Python argument error), or the user said it validates, is decided
    by the run (``ClientSubject``), which keeps only those.
    """
    if not ctx.validates or ctx.case.valid or ctx.outcome != "sent":
        return None
    what = ctx.case.label or ctx.case.constraint
    top = (ctx.case.constraint or "").split(".", 1)[0] or "the payload"
    return Problem(
        f"client refuses some invalid {top} values but sent this one ({what})",
        ctx.case.constraint,
        f"validates {top} but lets some invalid values through",
    )


def _is_run_request(request: Captured) -> bool:
    path = request.raw_path
    _, sep, tail = path.partition("/threads/")
    return request.method == "POST" and bool(sep) and tail.endswith("/runs") and tail != "runs"


def _the_request(ctx: ClientContext) -> Captured | None:
    """The create-run request among what the call sent (a wrapper may also create a thread, poll, list)."""
    runs = [r for r in ctx.requests if _is_run_request(r)]
    posts = runs or [r for r in ctx.requests if r.method == "POST"] or ctx.requests
    return posts[0] if posts else None


def _json_problem(body: bytes) -> tuple[Any, Problem | None]:
    """The body parsed strictly, or what makes it not JSON (None for bytes that are not UTF-8: ``encoding``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, None
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant), None
    except _Duplicate as exc:
        return None, Problem(f"body holds a duplicate key: {exc}", "json", "writes duplicate keys")
    except ValueError as exc:
        if re.search(r"(?<![\w\"])(NaN|-?Infinity)(?![\w\"])", text):
            return None, Problem(f"body is not JSON: {exc}", "json", "writes NaN or Infinity literals (not JSON)")
        return None, Problem(f"body is not JSON: {exc}", "json", "writes bodies that are not JSON")


def _through(value: Any, encoding: str) -> Any:
    """``value`` as it reads after its text went through ``encoding`` (unencodable characters as ``?``)."""
    if isinstance(value, str):
        return value.encode(encoding, "replace").decode(encoding)
    if isinstance(value, dict):
        return {_through(k, encoding): _through(v, encoding) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_through(v, encoding) for v in value]
    return value


def _misencoded(body: bytes, sent: Any) -> str | None:
    """The legacy encoding ``body`` is in, when it reads as ``sent`` that way (and differs read as UTF-8).

    A Latin-1 body made only of ASCII and bytes that happen to form UTF-8 decodes
    without error; read in its real encoding it is the payload, so the bug is the
    encoding, not the values.
    """
    if json.dumps(sent, ensure_ascii=True, default=str) == json.dumps(sent, ensure_ascii=False, default=str):
        return None  # nothing but ASCII: every encoding agrees
    for encoding in ("latin-1", "cp1252"):
        try:
            got = json.loads(body.decode(encoding))
        except (UnicodeDecodeError, ValueError):
            continue
        if first_difference(_through(sent, encoding), got) is None:
            return encoding
    return None


def sent_payload(requests: list[Captured]) -> tuple[bool, Any]:
    """The body of the create-run request among ``requests``, parsed strictly: (True, value), or
    (False, None) when none arrived or its body is not UTF-8 JSON."""
    runs = [r for r in requests if _is_run_request(r)]
    chosen = runs or [r for r in requests if r.method == "POST"] or requests
    if not chosen:
        return False, None
    got, problem = _json_problem(chosen[0].body)
    return (problem is None and (got is not None or chosen[0].body.strip() == b"null")), got


def serialization_fidelity(ctx: ClientContext) -> Problem | None:
    """The JSON received means the payload: nothing dropped, renamed, truncated, coerced or rounded.

    Null and absent, and a default for a field not given, are the same request
    (``fidelity_difference``) unless ``strict_nulls``.
    """
    if ctx.outcome != "sent":
        return None
    request = _the_request(ctx)
    if request is None:
        return Problem("the client reported success but no request arrived", None, "reports success without sending")
    got, problem = _json_problem(request.body)
    if problem is not None or (got is None and request.body.strip() != b"null"):
        return None  # wire_format reports a body that is not UTF-8 JSON (or, for a null payload, none)
    found = fidelity_difference(
        ctx.contract, ctx.case.payload, got, strict_nulls=ctx.strict_nulls, skip=ctx.cannot_express
    )
    if found is None or _misencoded(request.body, ctx.case.payload):
        return None  # a body in another encoding is wire_format's
    pointer, message, cause = found
    return Problem(message, field_path(ctx.contract.request_schema, pointer) or None, cause)


def _dotted(payload: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(payload, dict) or part not in payload:
            return None
        payload = payload[part]
    return payload


def client_capability(ctx: ClientContext) -> Problem | None:
    """What the library cannot express, as its adapter declared (``cannot_express``) or said for one payload.

    A capability gap, not a fidelity bug: reported once per field, one finding in all.
    """
    if ctx.outcome == "unsupported":
        field_name = ctx.case.constraint or None
        return Problem(f"the client cannot express this payload ({ctx.error_text})", field_name, CANNOT_EXPRESS)
    if ctx.outcome != "sent" or not ctx.cannot_express:
        return None
    request = _the_request(ctx)
    got, _ = _json_problem(request.body) if request is not None else (None, None)
    for name in sorted(ctx.cannot_express):
        given = _dotted(ctx.case.payload, name)
        if given is not None and _dotted(got, name) is None:
            return Problem(f"cannot express {name} (declared by the adapter): not sent", name, CANNOT_EXPRESS)
    return None


CANNOT_EXPRESS = "cannot express what the contract allows (a capability gap)"


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


_WIRE_CAUSES = {
    "method": "sends the run with another method than POST",
    "content-type": "sends another Content-Type than JSON in UTF-8",
    "encoding": "does not encode the body as UTF-8",
    "openai-beta": "sends no OpenAI-Beta header, or another version",
    "authorization": "sends no Authorization header",
    "requests": "sends several create-run requests for one call",
}


def request_prefix(request: Captured) -> str:
    """The path before ``/threads/`` (``/v1``, ``/openai``, ``/api/projects/p``)."""
    return request.raw_path.partition("/threads/")[0]


def wire_format(ctx: ClientContext) -> Problem | None:
    """One POST to the thread's runs path (thread id percent-encoded), JSON in UTF-8, beta header and auth.

    A wrapper may send other requests in the same call (create a thread, post a
    message, poll the run): only its create-run requests are judged, under any
    path prefix (``/v1``, ``/openai``), to the thread it was given or one the
    recorder created for it in this call.
    """
    if ctx.outcome != "sent" or not ctx.requests:
        return None
    runs = [r for r in ctx.requests if _is_run_request(r)]
    if len(runs) > 1:
        return Problem(f"{len(runs)} create-run requests sent for one call", "requests", _WIRE_CAUSES["requests"])
    request = _the_request(ctx)
    assert request is not None
    thread_id: str | None = ctx.case.thread_id
    if ctx.threads:
        segment = request.raw_path.partition("/threads/")[2].rpartition("/runs")[0]
        if unquote(segment) in ctx.threads:
            thread_id = None  # the wrapper's own thread, made through the recorder
    prefix = request_prefix(request) if runs else None
    problems = wire_problems(ctx.contract, request, thread_id=thread_id, prefix=prefix)
    if problems:
        first = problems[0]
        cause = _WIRE_CAUSES.get(first.constraint or "") or signature(
            f"sends the run to the wrong path: {first.message}"
        )
        return Problem(first.message, first.constraint, cause)
    if ctx.case.payload is None and not request.body.strip() and not ctx.strict_nulls:
        return None  # no body for a null body: null and absent, at the root (httpx's ``json=None``)
    got, problem = _json_problem(request.body)
    if problem is None and got is not None and first_difference(ctx.case.payload, got) is not None:
        encoding = _misencoded(request.body, ctx.case.payload)
        if encoding:
            return Problem(
                f"the body is {encoding}, not UTF-8 (it reads as the payload only that way)",
                "encoding",
                _WIRE_CAUSES["encoding"],
            )
    return problem


CLIENT_CHECKS: Mapping[str, ClientCheck] = registry(
    client_accepts_valid, client_no_crash, serialization_fidelity, wire_format, client_agrees, client_capability
)
