"""An installed SDK's run-creation request types, read as a canonical schema.

openai-python describes the body of ``runs.create`` with TypedDicts. Typing
introspection turns them into the canonical schema form of ``_schema`` so
that the catalogue can set them beside a contract, constraint by constraint:
which fields exist, which are required, which are nullable, which literal
members are allowed. Limits, patterns and closed objects cannot be written in
Python's type annotations, so they never differ here.
"""

from __future__ import annotations

import collections.abc
import importlib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .._errors import UsageError
from ._schema import NULL, Schema, canonicalise

__all__ = ["SDKS", "SdkRequest", "SdkUnavailable", "sdk_request"]

SDKS = ("openai",)
_MODULE = "openai.types.beta.threads.run_create_params"


class SdkUnavailable(Exception):
    """The SDK cannot be read here; the message says why (a note, not an error)."""


@dataclass(frozen=True)
class SdkRequest:
    """What the SDK's types say about the request."""

    name: str  # "openai 3.57.0"
    module: str
    schema: Schema  # the body, canonical
    include: tuple[str, ...] | None  # Literal members of the include[] query parameter
    unread: tuple[str, ...] = field(default=())  # annotations with no schema equivalent (read as "any")


def sdk_request(sdk: str = "openai") -> SdkRequest:
    """Read the installed ``sdk``'s run-creation types; SdkUnavailable if it cannot be."""
    if sdk not in SDKS:
        raise UsageError(f"unknown SDK {sdk!r} (expected one of: {', '.join(SDKS)})")
    try:
        package = importlib.import_module("openai")
        params = importlib.import_module(_MODULE)
    except ImportError:
        raise SdkUnavailable("openai not installed: SDK column skipped") from None
    version = str(getattr(package, "__version__", "?"))
    try:
        plain, streaming = params.RunCreateParamsNonStreaming, params.RunCreateParamsStreaming
    except AttributeError as exc:
        raise SdkUnavailable(f"openai {version} has no run-creation TypedDicts ({exc}): SDK column skipped") from None
    reader = _Reader()
    hints, stream_hints = reader.hints(plain), reader.hints(streaming)
    properties: Schema = {}
    required: list[str] = []
    include: tuple[str, ...] | None = None
    for key, hint in hints.items():
        wrapper, inner = reader.unwrap(hint)
        if key == "include":
            # A query parameter (include[]) that the SDK takes beside the body fields.
            include = tuple(str(v) for v in reader.literal_members(inner))
            continue
        if key == "stream" and "stream" in stream_hints:
            # Two TypedDicts split stream: Optional[Literal[False]] and Literal[True]; together a nullable boolean.
            _, streamed = reader.unwrap(stream_hints["stream"])
            properties[key] = reader.union([*_union_args(inner), *_union_args(streamed)])
        else:
            properties[key] = reader.schema(inner)
        if wrapper == "required" or (wrapper is None and key in plain.__required_keys__):
            required.append(key)
    body: Schema = {"type": "object", "properties": properties}
    if required:
        body["required"] = required
    return SdkRequest(f"openai {version}", _MODULE, body, include, tuple(sorted(set(reader.unread))))


def _union_args(tp: Any) -> tuple[Any, ...]:
    return get_args(tp) if _is_union(tp) else (tp,)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) is Union or isinstance(tp, types.UnionType)


def _is_typed_dict(tp: Any) -> bool:
    # Duck-typed: typing_extensions' TypedDict is not always typing's.
    return isinstance(tp, type) and hasattr(tp, "__required_keys__") and hasattr(tp, "__optional_keys__")


class _Reader:
    def __init__(self) -> None:
        self.unread: list[str] = []
        self._stack: list[Any] = []
        wrappers: dict[Any, str] = {}
        modules: list[Any] = [typing]
        try:
            modules.append(importlib.import_module("typing_extensions"))
        except ImportError:  # pragma: no cover - openai depends on it
            pass
        for module in modules:
            for name, meaning in (("Required", "required"), ("NotRequired", "optional")):
                if hasattr(module, name):
                    wrappers[getattr(module, name)] = meaning
        self._wrappers = wrappers
        self._annotated = {getattr(m, "Annotated", None) for m in modules} - {None}

    def hints(self, tp: Any) -> dict[str, Any]:
        return dict(get_type_hints(tp, include_extras=True))

    def unwrap(self, hint: Any) -> tuple[str | None, Any]:
        """(``"required"`` / ``"optional"`` / None, the annotation inside Required/NotRequired/Annotated)."""
        wrapper = None
        while True:
            origin = get_origin(hint)
            if origin in self._wrappers:
                wrapper = self._wrappers[origin]
                hint = get_args(hint)[0]
            elif origin in self._annotated or hasattr(hint, "__metadata__"):
                hint = get_args(hint)[0]
            else:
                return wrapper, hint

    def literal_members(self, tp: Any) -> list[Any]:
        _, tp = self.unwrap(tp)
        origin = get_origin(tp)
        if origin is Literal:
            return list(get_args(tp))
        if origin in (list, tuple, set, collections.abc.Iterable, collections.abc.Sequence):
            args = get_args(tp)
            return self.literal_members(args[0]) if args else []
        if _is_union(tp):
            return [m for a in get_args(tp) for m in self.literal_members(a)]
        return []

    def schema(self, tp: Any) -> Schema:
        _, tp = self.unwrap(tp)
        if tp is type(None):
            return dict(NULL)
        if tp is Any or tp is object:
            return {}
        for python, name in ((bool, "boolean"), (str, "string"), (int, "integer"), (float, "number")):
            if tp is python:
                return {"type": name}
        origin, args = get_origin(tp), get_args(tp)
        if origin is Literal:
            return self.union([tp])
        if _is_union(tp):
            return self.union(list(args))
        if origin in (list, tuple, set, collections.abc.Iterable, collections.abc.Sequence):
            return {"type": "array", "items": self.schema(args[0])} if args else {"type": "array"}
        if origin in (dict, collections.abc.Mapping):
            value = args[1] if len(args) == 2 else object
            if value is object or value is Any:
                return {"type": "object", "additionalProperties": True}
            return {"type": "object", "additionalProperties": self.schema(value)}
        if _is_typed_dict(tp):
            return self.typed_dict(tp)
        self.unread.append(repr(tp))
        return {}

    def typed_dict(self, tp: Any) -> Schema:
        if tp in self._stack:  # a recursive TypedDict: the inner use reads as "any"
            return {}
        self._stack.append(tp)
        try:
            properties: Schema = {}
            required: list[str] = []
            for key, hint in self.hints(tp).items():
                wrapper, inner = self.unwrap(hint)
                properties[key] = self.schema(inner)
                # With postponed annotations __required_keys__ misses Required[...]:
                # the wrapper decides, the class's totality otherwise.
                if wrapper == "required" or (wrapper is None and key in tp.__required_keys__):
                    required.append(key)
        finally:
            self._stack.pop()
        out: Schema = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        return out

    def union(self, args: list[Any]) -> Schema:
        literals: list[Any] = []
        branches: list[Schema] = []
        for arg in args:
            _, arg = self.unwrap(arg)
            if get_origin(arg) is Literal:
                literals.extend(get_args(arg))
            else:
                branches.append(self.schema(arg))
        branches = _literal_schemas(literals) + branches
        if len(branches) == 1:
            return branches[0]
        return canonicalise({"anyOf": branches})


def _literal_schemas(members: list[Any]) -> list[Schema]:
    out: list[Schema] = []
    bools = [m for m in members if isinstance(m, bool)]
    if bools:
        # Literal[True] and Literal[False] together are just bool.
        out.append({"type": "boolean"} if set(bools) == {True, False} else {"type": "boolean", "enum": bools})
    for python, name in ((str, "string"), (int, "integer"), (float, "number")):
        found = [m for m in members if isinstance(m, python) and not isinstance(m, bool)]
        if found:
            out.append({"type": name, "enum": list(dict.fromkeys(found))})
    if any(m is None for m in members):
        out.append(dict(NULL))
    return out
