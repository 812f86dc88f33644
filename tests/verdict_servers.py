"""Servers for the verdict tests: one faithful server with the real service's habits, and a zoo
of faulty ones, each with one planted bug of a class the boundary plan alone would miss.

The faithful one differs from the reference server everywhere the contract lets it: it fills
defaults (temperature 1.0, metadata {}, tools [], strict false, truncation auto ...), drops nulls
inside tools and response_format, appends additional_instructions to instructions, answers the
model as its dated snapshot, names params in brackets (``tools[0].function.name``), fills error
codes, and streams extra events (queued, in_progress, step events) after ``: keep-alive`` comments.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from runcontract import load_contract
from runcontract.contract import Contract, Violation
from runcontract.server import ApiError, RunsService, build_app

V2 = load_contract()


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


class RealHabits(RunsService):
    """Faithful: every liberty the contract allows, taken."""

    def param_for(self, violation: Violation) -> str | None:
        steps = [s for s in violation.pointer.split("/")[1:] if s]
        if not steps:
            return None
        return steps[0] + "".join(f"[{s}]" if s.isdigit() else f".{s}" for s in steps[1:])

    def violation_error(self, violations: list[Violation]) -> ApiError:
        error = super().violation_error(violations)
        error.code = error.code or "invalid_value"
        return error

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run = super().build_run(payload, thread_id)
        defaults = {
            "temperature": 1.0,
            "top_p": 1.0,
            "metadata": {},
            "tools": [],
            "truncation_strategy": {"type": "auto", "last_messages": None},
            "tool_choice": "auto",
            "response_format": "auto",
            "parallel_tool_calls": True,
        }
        for name, value in defaults.items():
            if payload.get(name) is None:
                run[name] = value
        tools = []
        for tool in _drop_nulls(run.get("tools") or []):
            if tool.get("type") == "function":
                tool["function"].setdefault("strict", False)
            if tool.get("type") == "file_search":
                tool.setdefault("file_search", {}).setdefault(
                    "ranking_options", {"ranker": "default_2024_08_21", "score_threshold": 0.0}
                )
            tools.append(tool)
        run["tools"] = tools
        if isinstance(run.get("response_format"), dict):
            run["response_format"] = _drop_nulls(run["response_format"])
        extra = payload.get("additional_instructions")
        if isinstance(extra, str) and extra:
            run["instructions"] = f"{run.get('instructions') or ''}\n{extra}"
        if isinstance(run.get("model"), str) and not re.search(r"-\d{4}-\d{2}-\d{2}$", run["model"]):
            run["model"] = run["model"] + "-2024-08-06"
        return run

    def stream_events(self, run: dict[str, Any]) -> Iterator[tuple[str, str]]:
        for event, data in super().stream_events(run):
            yield event, data
            if event == "thread.run.in_progress":
                step = {"id": "step_1", "object": "thread.run.step", "run_id": run["id"], "status": "in_progress"}
                yield "thread.run.step.created", json.dumps(step)
                yield "thread.run.step.completed", json.dumps({**step, "status": "completed"})


def keep_alive(app: Any) -> Any:
    """ASGI wrapper: an event stream starts with ``: keep-alive`` comments, as the service sends them."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        streaming = False

        async def patched(message: dict[str, Any]) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            elif message["type"] == "http.response.body" and streaming:
                message = {**message, "body": b": keep-alive\n\n" + message.get("body", b"")}
            await send(message)

        await app(scope, receive, patched)

    return wrapped


def habits_app(contract: Contract | None = None) -> Any:
    return keep_alive(build_app(RealHabits(contract or V2)))


def under_prefix(app: Any, prefix: str) -> Any:
    """ASGI wrapper: the app answers at ``{prefix}/threads/...`` instead of ``/v1/threads/...``."""
    raw_prefix = prefix.encode()

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode()
            if not raw.startswith(raw_prefix + b"/threads/"):
                scope = {**scope, "path": "/nowhere", "raw_path": b"/nowhere"}
            else:
                rest = raw[len(raw_prefix) :]
                scope = {**scope, "path": "/v1" + scope["path"][len(prefix) :], "raw_path": b"/v1" + rest}
        await app(scope, receive, send)

    return wrapped


# ------------------------------------------------------------------- the zoo


class Answers201(RunsService):
    """Answers 201 Created to valid payloads (the contract says 200). Caught by ``valid_accepted``."""

    def handle(self, **kwargs: Any) -> Any:
        answer = super().handle(**kwargs)
        if answer.status == 200:
            answer.status = 201
        return answer


class EchoRenamed(RunsService):
    """Echoes max_completion_tokens as ``max_tokens``. Caught by ``run_reflects_request`` (on every 2xx)."""

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run = super().build_run(payload, thread_id)
        if "max_completion_tokens" in run:
            run["max_tokens"] = run.pop("max_completion_tokens")
        return run


class Unprocessable(RunsService):
    """FastAPI's habit: 422 with ``{"detail": [...]}`` for every invalid payload.

    Caught by ``invalid_rejected`` (422, not 400) and ``error_conforms``; with
    ``--accept-status 422`` by ``error_conforms`` alone.
    """

    def error_answer(self, exc: ApiError) -> Any:
        answer = super().error_answer(exc)
        if exc.status == 400:
            answer.status = 422
            answer.body = {"detail": [{"loc": ["body", exc.param or ""], "msg": exc.message, "type": "value_error"}]}
        return answer


class ValidatesNothing(RunsService):
    """Accepts every JSON object. Caught by ``invalid_rejected``: one finding, "validates nothing"."""

    def validate(self, payload: Any) -> list[Violation]:
        return []

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        clean = {k: v for k, v in payload.items() if V2.is_valid({"assistant_id": "a", k: v})}
        return super().build_run({"assistant_id": "asst_x", **clean}, thread_id)


class CaseInsensitiveEnums(RunsService):
    """Compares enum values case-insensitively and stripped. Caught by ``invalid_rejected``: one finding."""

    def validate(self, payload: Any) -> list[Violation]:
        def fold(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: fold(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fold(v) for v in value]
            if isinstance(value, str) and value.strip().lower() != value:
                folded = value.strip().lower()
                return folded if folded.isidentifier() else value
            return value

        return super().validate(fold(payload))

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        return super().build_run(payload, thread_id)


class NonFiniteCrash(RunsService):
    """Parses NaN/Infinity (Python's json does) and crashes on them. Caught by ``no_server_error``."""

    def parse_body(self, body: bytes) -> Any:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return super().parse_body(body)
        values = payload.values() if isinstance(payload, dict) else ()
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ValueError("cannot convert float NaN to integer")
        return super().parse_body(body)


class IntegralFloatRefused(RunsService):
    """Refuses 256.0 for an integer field (a model layer that wants ints). Caught by ``valid_accepted``."""

    def validate(self, payload: Any) -> list[Violation]:
        for name in ("max_prompt_tokens", "max_completion_tokens"):
            if isinstance(payload, dict) and isinstance(payload.get(name), float):
                return [Violation(f"{name}.type", f"/{name}", "must be an integer")]
        return super().validate(payload)


class IncludeIgnored(RunsService):
    """Accepts any ``include[]`` value. Caught by ``invalid_rejected``."""

    def check_query(self, query: list[tuple[str, str]]) -> None:
        return None


class CreatedAtMillis(RunsService):
    """Run timestamps in milliseconds. Caught by ``run_conforms`` (plausibility)."""

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run = super().build_run(payload, thread_id)
        for name in ("created_at", "expires_at"):
            if isinstance(run.get(name), int):
                run[name] *= 1000
        return run


def _not_json(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


class SurrogatesAccepted(RunsService):
    """Accepts lone surrogates (runcontract's own constraint, source ``ours``): no finding unless ``strict``."""

    def parse_body(self, body: bytes) -> Any:
        try:
            payload = json.loads(body.decode("utf-8", "surrogatepass"), parse_constant=_not_json)
        except (ValueError, RecursionError, TypeError):
            return super().parse_body(body)
        return payload if isinstance(payload, dict) else super().parse_body(body)

    def validate(self, payload: Any) -> list[Violation]:
        return [v for v in super().validate(payload) if v.constraint != "unicode"]

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        # Stored as UTF-8 with the surrogate replaced, as a database would keep it.
        text = json.dumps(payload, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8")
        return super().build_run(json.loads(text), thread_id)


# ------------------------------------------------ the request itself (body and header probes)


class NonUtf8Crash(RunsService):
    """Decodes the body as UTF-8 unguarded: bytes that are not UTF-8 are a 500. Caught by ``no_server_error``."""

    def parse_body(self, body: bytes) -> Any:
        body.decode("utf-8")  # raises UnicodeDecodeError: the app answers 500
        return super().parse_body(body)


class ArrayBodyAccepted(RunsService):
    """Takes a whole-body array as its first element (or a default): 200. Caught by ``invalid_rejected``."""

    def parse_body(self, body: bytes) -> Any:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return super().parse_body(body)
        if isinstance(payload, list):
            return {"assistant_id": "asst_from_array"}
        return super().parse_body(body)


class DeepCrash(RunsService):
    """Parses without guarding recursion: 1,000 nested arrays are a 500. Caught by ``no_server_error``."""

    def parse_body(self, body: bytes) -> Any:
        try:
            json.loads(body.decode("utf-8", "replace"))  # RecursionError on deep nesting: a 500
        except ValueError:
            pass  # the reference parser refuses it properly
        return super().parse_body(body)


def hang_on_empty(app: Any) -> Any:
    """ASGI wrapper: an empty body or one NUL byte is never answered. Caught by ``no_server_error``."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if body in (b"", b"\x00"):
            await asyncio.sleep(3600)
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, replay, send)

    return wrapped


ZOO: dict[str, tuple[type[RunsService], str]] = {
    "answers_201": (Answers201, "valid_accepted"),
    "echo_renamed": (EchoRenamed, "run_reflects_request"),
    "unprocessable": (Unprocessable, "invalid_rejected"),
    "validates_nothing": (ValidatesNothing, "invalid_rejected"),
    "case_insensitive_enums": (CaseInsensitiveEnums, "invalid_rejected"),
    "non_finite_crash": (NonFiniteCrash, "no_server_error"),
    "integral_float_refused": (IntegralFloatRefused, "valid_accepted"),
    "include_ignored": (IncludeIgnored, "invalid_rejected"),
    "created_at_millis": (CreatedAtMillis, "run_conforms"),
    "non_utf8_crash": (NonUtf8Crash, "no_server_error"),
    "array_body_accepted": (ArrayBodyAccepted, "invalid_rejected"),
    "deep_crash": (DeepCrash, "no_server_error"),
}
