"""Validation that names the catalogued constraint each violation breaks.

jsonschema-rs does the validating (compiled once per contract); this module
only maps its errors to constraint ids. Union errors are resolved the way a
reader would: by the value's JSON type, then by the discriminator (``type``)
of tagged objects, and only then by descending into the chosen branch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from ._catalogue import (
    JSON_NUMBER,
    UNICODE,
    UNION_TAG,
    UNION_TAG_REQUIRED,
    UNION_TYPE,
    Catalogue,
    SchemaPath,
    discriminator,
)
from ._schema import Schema, json_type

__all__ = ["Validator", "Violation", "compile_schema", "type_matches"]


@dataclass(frozen=True)
class Violation:
    """One broken constraint: its catalogue id, where in the payload, and why."""

    constraint: str
    pointer: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"constraint": self.constraint, "pointer": self.pointer, "message": self.message}


def compile_schema(schema: Schema) -> Any:
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def type_matches(allowed: object, actual: str) -> bool:
    if allowed is None:
        return True
    names = allowed if isinstance(allowed, list) else [allowed]
    return actual in names or (actual == "integer" and "number" in names)


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(path: list[str | int] | tuple[str | int, ...]) -> str:
    return "".join(f"/{_escape(p)}" for p in path)


def _at(value: Any, path: list[str | int] | tuple[str | int, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _lone_surrogates(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        if _has_surrogate(value):
            yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and _has_surrogate(k):
                yield (*path, k)
            yield from _lone_surrogates(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _lone_surrogates(v, (*path, i))


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _scrub(value: Any) -> Any:
    """A copy with lone surrogates replaced, so the other checks can still run."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(value) else value
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _non_finite(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of the floats that are NaN or infinite (Python's json writes them as tokens JSON has not)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_finite(v, (*path, i))


class Validator:
    """Validate payloads against a canonical schema and its catalogue."""

    def __init__(self, schema: Schema, catalogue: Catalogue) -> None:
        self.schema = schema
        self.catalogue = catalogue
        self._compiled = compile_schema(schema)

    def is_valid(self, payload: Any) -> bool:
        try:
            ok = bool(self._compiled.is_valid(payload))
        except (UnicodeEncodeError, ValueError, OverflowError):
            return False
        return ok and next(_lone_surrogates(payload), None) is None and next(_non_finite(payload), None) is None

    def violations(self, payload: Any) -> list[Violation]:
        if self.is_valid(payload):
            return []
        # A NaN or an infinity makes the body not JSON: the schema does not judge what is not JSON.
        found = [Violation(JSON_NUMBER, _pointer(p), "NaN and Infinity are not JSON") for p in _non_finite(payload)]
        if found:
            return found
        for path in _lone_surrogates(payload):
            found.append(Violation(UNICODE, _pointer(path), "string is not valid Unicode (lone surrogate)"))
        if found:
            payload = _scrub(payload)
        found.extend(self._map_all(list(self._compiled.iter_errors(payload)), payload))
        seen: set[tuple[str, str]] = set()
        unique = []
        for v in found:
            if (v.constraint, v.pointer) not in seen:
                seen.add((v.constraint, v.pointer))
                unique.append(v)
        return unique

    def _id(self, path: SchemaPath, fallback: str) -> str:
        return self.catalogue.by_path.get(path, f"<uncatalogued:{fallback}>")

    def _map_all(self, errors: list[Any], payload: Any) -> list[Violation]:
        # A value of the wrong type also fails its enum; a reader reports only
        # the type, so the enum error at the same place is dropped.
        mistyped = {tuple(e.instance_path) for e in errors if type(e.kind).__name__ == "Type"}
        out: list[Violation] = []
        for error in errors:
            if type(error.kind).__name__ in ("Enum", "Constant") and tuple(error.instance_path) in mistyped:
                continue
            out.extend(self._map(error, payload))
        return out

    def _map(self, error: Any, payload: Any) -> list[Violation]:
        kind = type(error.kind).__name__
        spath = tuple(error.schema_path)
        ipath = tuple(error.instance_path)
        message = str(error.message)
        if kind in ("AnyOf", "OneOfNotValid"):
            return self._union(error, spath, ipath, payload)
        if kind == "Required":
            name = error.kind.property
            return [Violation(self._id((*spath, name), "/".join(map(str, spath))), _pointer((*ipath, name)), message)]
        if kind == "AdditionalProperties":
            unexpected = list(error.kind.unexpected)
            where = (*ipath, unexpected[0]) if unexpected else ipath
            return [Violation(self._id(spath, "additionalProperties"), _pointer(where), message)]
        return [Violation(self._id(spath, "/".join(map(str, spath))), _pointer(ipath), message)]

    def _union(self, error: Any, spath: SchemaPath, ipath: tuple[Any, ...], payload: Any) -> list[Violation]:
        key = spath[-1]
        node = _at(self.schema, spath[:-1])
        branches: list[Schema] = node[key]
        value = _at(payload, ipath)
        here = _pointer(ipath)
        actual = json_type(value)
        candidates = [i for i, b in enumerate(branches) if type_matches(b.get("type"), actual)]
        if not candidates:
            return [Violation(self._id((*spath, UNION_TYPE), "type"), here, f"{actual} is not allowed here")]
        if len(candidates) > 1:
            tag = discriminator([branches[i] for i in candidates])
            if tag is not None and isinstance(value, dict):
                if tag not in value:
                    return [
                        Violation(self._id((*spath, UNION_TAG_REQUIRED), tag), f"{here}/{tag}", f"'{tag}' is required")
                    ]
                tag_schema = branches[candidates[0]]["properties"][tag]
                if not type_matches(tag_schema.get("type"), json_type(value[tag])):
                    tag_type = (*spath, candidates[0], "properties", tag, "type")
                    return [
                        Violation(self._id(tag_type, tag), f"{here}/{tag}", f"{tag} is not a {tag_schema.get('type')}")
                    ]
                chosen = [i for i in candidates if value[tag] in branches[i]["properties"][tag]["enum"]]
                if len(chosen) != 1:
                    return [
                        Violation(
                            self._id((*spath, UNION_TAG), tag), f"{here}/{tag}", f"unknown {tag} {value[tag]!r:.60}"
                        )
                    ]
                candidates = chosen
        pick = candidates[0]
        context = error.kind.context
        out = self._map_all(list(context[pick]), payload) if pick < len(context) else []
        return out or [Violation(self._id((*spath, UNION_TYPE), "type"), here, str(error.message))]
