"""The bundled contracts, written in this project from the facts in DESIGN.md.

The schemas here are the *base* (what the OpenAPI document states in schema
keywords, or for v1 what the seed's field table states); the limits that the
document gives only in prose are added by ``_overlays`` for bundled and loaded
contracts alike, so both get the same catalogue ids and sources.
All schemas are already in canonical form (see ``_schema``).
"""

from __future__ import annotations

from typing import Any

from ._schema import Schema, nullable

__all__ = ["DEFAULTS", "ERROR_BODY", "IMPLIED_DEFAULTS", "REQUEST_V1", "REQUEST_V2", "run_schema"]

# The defaults the published document declares inside CreateRunRequest, by property name
# (tests/test_contract_loader.py reads them from ../shared/specs and compares).
DEFAULTS: dict[str, tuple[Any, ...]] = {
    "reasoning_effort": ("medium",),
    "temperature": (1,),
    "top_p": (1,),
    "parallel_tool_calls": (True,),
    "detail": ("auto",),
    "strict": (False,),
}

# Defaults the document says in words rather than with ``default:``, so a request that spells one
# out for a field not given means the same. stream: "If `true`, returns a stream of events ...": a
# run created without it does not stream. tool_choice and response_format: "`auto` is the default
# value"; truncation_strategy: "The default is `auto`". metadata: the service's objects carry
# ``{}`` when none was given, so an empty map and no map are the same request.
IMPLIED_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "stream": (False,),
    "metadata": ({},),
    "tool_choice": ("auto",),
    "response_format": ("auto",),
    "truncation_strategy": ({"type": "auto"}, {"type": "auto", "last_messages": None}),
}


def _obj(required: list[str] | None = None, *, closed: bool = False, **properties: Any) -> Schema:
    out: Schema = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if closed:
        out["additionalProperties"] = False
    return out


def _str(**kw: Any) -> Schema:
    return {"type": "string", **kw}


def _enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def _tagged(tag: str, required: list[str] | None = None, **properties: Any) -> Schema:
    """An object variant of a union, told apart by its ``type`` constant."""
    return _obj(["type", *(required or [])], type=_enum(tag), **properties)


_METADATA = nullable({"type": "object", "additionalProperties": _str()})
_FREE_OBJECT: Schema = {"type": "object", "additionalProperties": True}
_STRICT = nullable({"type": "boolean"})

_CODE_INTERPRETER = _tagged("code_interpreter")
_FILE_SEARCH = _tagged(
    "file_search",
    file_search=_obj(
        max_num_results={"type": "integer", "minimum": 1, "maximum": 50},
        ranking_options=_obj(
            ["score_threshold"],
            ranker=_enum("auto", "default_2024_08_21"),
            score_threshold={"type": "number", "minimum": 0, "maximum": 1},
        ),
    ),
)
_FUNCTION = _tagged(
    "function",
    ["function"],
    function=_obj(["name"], name=_str(), description=_str(), parameters=_FREE_OBJECT, strict=_STRICT),
)

_DETAIL = _enum("auto", "low", "high")
_MESSAGE = _obj(
    ["role", "content"],
    closed=True,
    role=_enum("user", "assistant"),
    content={
        "oneOf": [
            _str(),
            {
                "type": "array",
                "minItems": 1,
                "items": {
                    "oneOf": [
                        _tagged(
                            "image_file", ["image_file"], image_file=_obj(["file_id"], file_id=_str(), detail=_DETAIL)
                        ),
                        _tagged(
                            "image_url",
                            ["image_url"],
                            image_url=_obj(["url"], url=_str(format="uri"), detail=_DETAIL),
                        ),
                        _tagged("text", ["text"], text=_str()),
                    ]
                },
            },
        ]
    },
    # Both optional: the document's `required: [file_id, tools]` stands beside
    # `items` (on the array, where it cannot apply), and the SDK's Attachment
    # TypedDict is total=False. `runcontract drift` reports the misplaced keyword.
    attachments=nullable(
        {
            "type": "array",
            "items": _obj(
                file_id=_str(),
                tools={"type": "array", "items": {"oneOf": [_CODE_INTERPRETER, _tagged("file_search")]}},
            ),
        }
    ),
    metadata=_METADATA,
)

_TRUNCATION = _obj(
    ["type"],
    type=_enum("auto", "last_messages"),
    last_messages=nullable({"type": "integer", "minimum": 1}),
)
_TOOL_CHOICE = {
    "oneOf": [
        _enum("none", "auto", "required"),
        _obj(
            ["type"],
            type=_enum("function", "code_interpreter", "file_search"),
            function=_obj(["name"], name=_str()),
        ),
    ]
}
_RESPONSE_FORMAT = {
    "oneOf": [
        _enum("auto"),
        _tagged("text"),
        _tagged("json_object"),
        _tagged(
            "json_schema",
            ["json_schema"],
            json_schema=_obj(["name"], name=_str(), description=_str(), schema=_FREE_OBJECT, strict=_STRICT),
        ),
    ]
}
_TOKENS = nullable({"type": "integer", "minimum": 256})
_TOOLS_V2 = {"type": "array", "maxItems": 20, "items": {"oneOf": [_CODE_INTERPRETER, _FILE_SEARCH, _FUNCTION]}}


def _run_settings() -> dict[str, Schema]:
    """The v2 run settings a create-run request sets and its Run answer echoes, alike in both."""
    return {
        "max_prompt_tokens": _TOKENS,
        "max_completion_tokens": _TOKENS,
        "truncation_strategy": nullable(_TRUNCATION),
        "tool_choice": nullable(_TOOL_CHOICE),
        "parallel_tool_calls": {"type": "boolean"},
        "response_format": nullable(_RESPONSE_FORMAT),
    }


REQUEST_V2: Schema = _obj(
    ["assistant_id"],
    closed=True,
    assistant_id=_str(),
    model=nullable(_str()),
    reasoning_effort=nullable(_enum("none", "minimal", "low", "medium", "high", "xhigh", "max")),
    instructions=nullable(_str()),
    additional_instructions=nullable(_str()),
    additional_messages=nullable({"type": "array", "items": _MESSAGE}),
    tools=nullable(_TOOLS_V2),
    metadata=_METADATA,
    temperature=nullable({"type": "number", "minimum": 0, "maximum": 2}),
    top_p=nullable({"type": "number", "minimum": 0, "maximum": 1}),
    stream=nullable({"type": "boolean"}),
    **_run_settings(),
)

# v1, from the seed's field table: the older, smaller shape with `retrieval`.
_FUNCTION_V1 = _tagged(
    "function",
    ["function"],
    function=_obj(["name"], name=_str(), description=_str(), parameters=_FREE_OBJECT),
)
_TOOLS_V1 = {"type": "array", "items": {"oneOf": [_CODE_INTERPRETER, _tagged("retrieval"), _FUNCTION_V1]}}

REQUEST_V1: Schema = _obj(
    ["assistant_id"],
    closed=True,
    assistant_id=_str(),
    model=nullable(_str()),
    instructions=nullable(_str()),
    tools=nullable(_TOOLS_V1),
    metadata=_METADATA,
)

ERROR_BODY: Schema = _obj(
    ["error"],
    error=_obj(
        ["type", "message", "param", "code"],
        type=_str(),
        message=_str(),
        param=nullable(_str()),
        code=nullable(_str()),
    ),
)

_STAMP = nullable({"type": "integer"})
_RUN_STATUS = _enum(
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
)


# Every field a Run answer must carry, in the v2 document's order; v1's Run requires each of these it has.
_RUN_REQUIRED = (
    "id",
    "object",
    "created_at",
    "thread_id",
    "assistant_id",
    "status",
    "required_action",
    "last_error",
    "expires_at",
    "started_at",
    "cancelled_at",
    "failed_at",
    "completed_at",
    "model",
    "instructions",
    "tools",
    "metadata",
    "usage",
    "incomplete_details",
    "max_prompt_tokens",
    "max_completion_tokens",
    "truncation_strategy",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
)


def _run(**properties: Any) -> Schema:
    """A Run object: the identity and status fields both versions start with, then ``properties``."""
    fields: dict[str, Any] = {
        "id": _str(),
        "object": _enum("thread.run"),
        "created_at": {"type": "integer"},
        "thread_id": _str(),
        "assistant_id": _str(),
        "status": _RUN_STATUS,
        **properties,
    }
    return _obj([name for name in _RUN_REQUIRED if name in fields], **fields)


def run_schema(version: str) -> Schema:
    """The Run object answered with 200, for contract ``version``."""
    if version == "v1":
        return _run(
            model=_str(),
            instructions=nullable(_str()),
            tools={"type": "array", "items": _TOOLS_V1["items"]},
            metadata=_METADATA,
        )
    return _run(
        required_action=nullable(
            _obj(
                ["type", "submit_tool_outputs"],
                type=_enum("submit_tool_outputs"),
                submit_tool_outputs=_obj(
                    ["tool_calls"],
                    tool_calls={
                        "type": "array",
                        "items": _obj(
                            ["id", "type", "function"],
                            id=_str(),
                            type=_enum("function"),
                            function=_obj(["name", "arguments"], name=_str(), arguments=_str()),
                        ),
                    },
                ),
            )
        ),
        last_error=nullable(
            _obj(
                ["code", "message"], code=_enum("server_error", "rate_limit_exceeded", "invalid_prompt"), message=_str()
            )
        ),
        expires_at=_STAMP,
        started_at=_STAMP,
        cancelled_at=_STAMP,
        failed_at=_STAMP,
        completed_at=_STAMP,
        incomplete_details=nullable(_obj(reason=_enum("max_completion_tokens", "max_prompt_tokens"))),
        model=_str(),
        instructions=_str(),
        tools={"type": "array", "maxItems": 20, "items": _TOOLS_V2["items"]},
        metadata=_METADATA,
        usage=nullable(
            _obj(
                ["prompt_tokens", "completion_tokens", "total_tokens"],
                completion_tokens={"type": "integer"},
                prompt_tokens={"type": "integer"},
                total_tokens={"type": "integer"},
            )
        ),
        temperature=nullable({"type": "number"}),
        top_p=nullable({"type": "number"}),
        **_run_settings(),
    )
