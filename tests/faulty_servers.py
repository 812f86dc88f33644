"""Reference-server variants with exactly one planted bug each.

Every variant subclasses ``RunsService`` and overrides one step (or runs on a
contract with one limit changed), so the bug is general — it applies to any
payload that reaches it, not to a particular test input. The docstring of
each names the bug and the check that must catch it.

``FAULTY`` maps a name to ``(app_factory, expected_check)``; ``FAITHFUL`` is
the reference app factory. A factory takes ``(contract=None, *, version="v2")``
and returns an ASGI app.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from starlette.applications import Starlette

from runcontract.contract import Contract, Violation, load_contract
from runcontract.server import RunsService, build_app, create_app

AppFactory = Callable[..., Any]
Schema = dict[str, Any]


def with_request_schema(contract: Contract, mutate: Callable[[Schema], None]) -> Contract:
    """A copy of ``contract`` whose request schema ``mutate`` changed (catalogue and ids unchanged)."""
    schema = copy.deepcopy(contract.request_schema)
    mutate(schema)
    return dataclasses.replace(contract, request_schema=schema)


def _branch(schema: Schema, name: str) -> Schema:
    """The non-null branch of top-level property ``name``."""
    node: Schema = schema["properties"][name]
    return node["anyOf"][0] if "anyOf" in node else node


def _factory(service: Callable[[Contract], RunsService]) -> AppFactory:
    def make(contract: Contract | None = None, *, version: str = "v2") -> Starlette:
        return build_app(service(contract if contract is not None else load_contract(version=version)))

    return make


def _mutated(mutate: Callable[[Schema], None]) -> AppFactory:
    return _factory(lambda contract: RunsService(with_request_schema(contract, mutate)))


# --------------------------------------------------------------- validation


def _temperature_max_2_01(schema: Schema) -> None:
    """Accepts temperature up to 2.01 (maximum raised): 2.0000000000000004 and 2.01 get 200.

    Caught by ``invalid_rejected`` (the ``temperature.maximum`` past cases).
    """
    _branch(schema, "temperature")["maximum"] = 2.01


def _temperature_exclusive_max(schema: Schema) -> None:
    """Rejects temperature == 2 (an exclusive maximum where the contract is inclusive).

    Caught by ``valid_accepted`` (the ``temperature.maximum`` at case).
    """
    node = _branch(schema, "temperature")
    del node["maximum"]
    node["exclusiveMaximum"] = 2


def _metadata_17_pairs(schema: Schema) -> None:
    """Accepts metadata with 17 pairs (maxProperties off by one upwards).

    Caught by ``invalid_rejected``.
    """
    _branch(schema, "metadata")["maxProperties"] = 17


def _metadata_key_63(schema: Schema) -> None:
    """Rejects 64-character metadata keys (key maxLength off by one downwards).

    Caught by ``valid_accepted``.
    """
    _branch(schema, "metadata")["propertyNames"]["maxLength"] = 63


def _tools_not_nullable(schema: Schema) -> None:
    """Rejects ``tools: null`` (a nullable field treated as non-nullable).

    Caught by ``valid_accepted``.
    """
    schema["properties"]["tools"] = _branch(schema, "tools")


def _unknown_fields_allowed(schema: Schema) -> None:
    """Accepts unknown top-level fields (``additionalProperties: false`` not enforced).

    Caught by ``invalid_rejected``.
    """
    schema.pop("additionalProperties", None)


def _retrieval_in_v2(schema: Schema) -> None:
    """Accepts a ``{"type": "retrieval"}`` tool under v2 (the v1 tool list kept).

    Caught by ``invalid_rejected``.
    """
    items = _branch(schema, "tools")["items"]["oneOf"]
    items.append(
        {"type": "object", "properties": {"type": {"type": "string", "enum": ["retrieval"]}}, "required": ["type"]}
    )


class MetadataFullCrash(RunsService):
    """500 when metadata holds exactly the maximum 16 pairs (a fixed-size store indexed one past its end).

    Caught by ``no_server_error`` (the ``metadata.maxProperties`` at case).
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        slots: list[str | None] = [None] * 16
        for i, key in enumerate(payload.get("metadata") or {}):
            slots[i] = key
        if payload.get("metadata"):
            slots[len(payload["metadata"])] = "<end>"  # IndexError at 16 pairs
        return super().build_run(payload, thread_id)


class NonAsciiInstructionsCrash(RunsService):
    """500 on valid non-ASCII ``instructions`` (they are encoded as ASCII for a log line).

    Caught by ``no_server_error``.
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        (payload.get("instructions") or "").encode("ascii")
        return super().build_run(payload, thread_id)


# -------------------------------------------------------------------- echo


class TemperatureRounded(RunsService):
    """Echoes temperature and top_p rounded to one decimal (stored as fixed-point tenths).

    Caught by ``run_reflects_request``.
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run = super().build_run(payload, thread_id)
        for name in ("temperature", "top_p"):
            if isinstance(run.get(name), (int, float)):
                run[name] = round(run[name], 1)
        return run


class TokenLimitsThroughFloat(RunsService):
    """Echoes max_prompt_tokens / max_completion_tokens through a float (2**53 + 1 comes back as 2**53).

    Caught by ``run_reflects_request``.
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run = super().build_run(payload, thread_id)
        for name in ("max_prompt_tokens", "max_completion_tokens"):
            if isinstance(run.get(name), int):
                run[name] = int(float(run[name]))
        return run


class MetadataDropped(RunsService):
    """Echoes ``metadata`` as ``{}`` whatever the request gave (the field is never stored).

    Caught by ``run_reflects_request``.
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        return {**super().build_run(payload, thread_id), "metadata": {}}


# ------------------------------------------------------------ run conformance


class RunWithoutStatus(RunsService):
    """The Run lacks the required ``status`` field.

    Caught by ``run_conforms``.
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run = super().build_run(payload, thread_id)
        del run["status"]
        return run


class CreatedAtString(RunsService):
    """The Run's ``created_at`` is an ISO-8601 string instead of a Unix integer.

    Caught by ``run_conforms``.
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        import datetime

        run = super().build_run(payload, thread_id)
        run["created_at"] = datetime.datetime.fromtimestamp(run["created_at"], datetime.timezone.utc).isoformat()
        return run


# ------------------------------------------------------------------ errors


class ErrorWithoutParam(RunsService):
    """The error body lacks the required ``param`` key (it is omitted instead of null).

    Caught by ``error_conforms``.
    """

    def error_body(self, exc: Any) -> dict[str, Any]:
        body = super().error_body(exc)
        del body["error"]["param"]
        return body


class ParamLeafOnly(RunsService):
    """``param`` names only the innermost field (``name`` instead of ``tools[0].function.name``).

    Caught by ``error_names_param`` (any violation below the top level).
    """

    def param_for(self, violation: Violation) -> str | None:
        param = super().param_for(violation)
        return param.rsplit(".", 1)[-1].split("[")[0] if param else param


# --------------------------------------------------------------- streaming


class StreamWithoutDone(RunsService):
    """The event stream ends after ``thread.run.completed`` without ``data: [DONE]``.

    Caught by ``stream_protocol``.
    """

    def stream_events(self, run: dict[str, Any]) -> Iterator[tuple[str, str]]:
        return (e for e in super().stream_events(run) if e[1] != "[DONE]")


class StreamStartsQueued(RunsService):
    """The event stream starts with ``thread.run.queued``; ``thread.run.created`` is never sent.

    Caught by ``stream_protocol``.
    """

    def stream_events(self, run: dict[str, Any]) -> Iterator[tuple[str, str]]:
        return (e for e in super().stream_events(run) if e[0] != "thread.run.created")


# -------------------------------------------------------------- thread ids


def _decoded_path_factory(contract: Contract | None = None, *, version: str = "v2") -> Starlette:
    """Reads the thread id from the *decoded* path, so ``a%2Fb`` looks like two segments: 404 for valid payloads.

    Caught by ``path_routing`` (any thread id with ``/``).
    """
    app = build_app(RunsService(contract if contract is not None else load_contract(version=version)))

    async def decoded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "raw_path": scope["path"].encode("utf-8")}
        await app(scope, receive, send)

    return decoded  # type: ignore[return-value]


class ThreadIdDoubleDecoded(RunsService):
    """Percent-decodes the thread id twice: thread ``a%41`` (sent as ``a%2541``) is echoed as ``aA``.

    Caught by ``path_routing`` (thread ids containing ``%XX``).
    """

    def build_run(self, payload: dict[str, Any], thread_id: str) -> dict[str, Any]:
        from urllib.parse import unquote

        return super().build_run(payload, unquote(thread_id))


FAITHFUL: AppFactory = create_app

FAULTY: dict[str, tuple[AppFactory, str]] = {
    "temperature_max_2_01": (_mutated(_temperature_max_2_01), "invalid_rejected"),
    "temperature_exclusive_max": (_mutated(_temperature_exclusive_max), "valid_accepted"),
    "metadata_17_pairs": (_mutated(_metadata_17_pairs), "invalid_rejected"),
    "metadata_key_63": (_mutated(_metadata_key_63), "valid_accepted"),
    "tools_not_nullable": (_mutated(_tools_not_nullable), "valid_accepted"),
    "unknown_fields_allowed": (_mutated(_unknown_fields_allowed), "invalid_rejected"),
    "retrieval_in_v2": (_mutated(_retrieval_in_v2), "invalid_rejected"),
    "metadata_full_crash": (_factory(MetadataFullCrash), "no_server_error"),
    "non_ascii_instructions_crash": (_factory(NonAsciiInstructionsCrash), "no_server_error"),
    "temperature_rounded": (_factory(TemperatureRounded), "run_reflects_request"),
    "token_limits_through_float": (_factory(TokenLimitsThroughFloat), "run_reflects_request"),
    "metadata_dropped": (_factory(MetadataDropped), "run_reflects_request"),
    "run_without_status": (_factory(RunWithoutStatus), "run_conforms"),
    "created_at_string": (_factory(CreatedAtString), "run_conforms"),
    "error_without_param": (_factory(ErrorWithoutParam), "error_conforms"),
    "param_leaf_only": (_factory(ParamLeafOnly), "error_names_param"),
    "stream_without_done": (_factory(StreamWithoutDone), "stream_protocol"),
    "stream_starts_queued": (_factory(StreamStartsQueued), "stream_protocol"),
    "thread_id_decoded_path": (_decoded_path_factory, "path_routing"),
    "thread_id_double_decoded": (_factory(ThreadIdDoubleDecoded), "path_routing"),
}

# Docstrings of the schema mutations are the bug descriptions of their entries.
BUGS: dict[str, str] = {
    name: " ".join((fn.__doc__ or "").split())
    for name, fn in {
        "temperature_max_2_01": _temperature_max_2_01,
        "temperature_exclusive_max": _temperature_exclusive_max,
        "metadata_17_pairs": _metadata_17_pairs,
        "metadata_key_63": _metadata_key_63,
        "tools_not_nullable": _tools_not_nullable,
        "unknown_fields_allowed": _unknown_fields_allowed,
        "retrieval_in_v2": _retrieval_in_v2,
        "metadata_full_crash": MetadataFullCrash,
        "non_ascii_instructions_crash": NonAsciiInstructionsCrash,
        "temperature_rounded": TemperatureRounded,
        "token_limits_through_float": TokenLimitsThroughFloat,
        "metadata_dropped": MetadataDropped,
        "run_without_status": RunWithoutStatus,
        "created_at_string": CreatedAtString,
        "error_without_param": ErrorWithoutParam,
        "param_leaf_only": ParamLeafOnly,
        "stream_without_done": StreamWithoutDone,
        "stream_starts_queued": StreamStartsQueued,
        "thread_id_decoded_path": _decoded_path_factory,
        "thread_id_double_decoded": ThreadIdDoubleDecoded,
    }.items()
}

__all__ = ["BUGS", "FAITHFUL", "FAULTY", "with_request_schema"]

assert set(BUGS) == set(FAULTY)
