"""Minimal instances: the simplest value a schema accepts, and payloads built around one fixed value.

The deterministic side of the schema walker: the boundary plan and the probes
place a chosen value in the smallest valid payload around it.
"""

from __future__ import annotations

import re
from typing import Any

from ..contract import NULL, Schema, SchemaPath
from ._walk import embed

__all__ = [
    "CLASS_RE",
    "URL",
    "ascii_class_members",
    "class_chars",
    "class_members",
    "minimal_instance",
    "pattern_sample",
    "place",
]

# A pattern that is one character class with a length range: ``^[a-zA-Z0-9_-]{1,64}$``.
CLASS_RE = re.compile(r"^\^(\[[^\]]+\])\{(\d+),(\d+)\}\$$")
URL = "https://example.com/image.png"


def minimal_instance(schema: Schema) -> Any:
    """The simplest value ``schema`` accepts (first branch of a union)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if b != NULL] or schema[key]
            return minimal_instance(branches[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal_instance(props.get(name, {})) for name in schema.get("required", ())}
    if kind == "array":
        return [minimal_instance(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        if schema.get("format") == "uri":
            return URL
        if "pattern" in schema:
            return pattern_sample(schema["pattern"], "min")
        return "a" * max(schema.get("minLength", 1), 1 if schema.get("maxLength", 1) else 0)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        value = low if low is not None else (high if high is not None and high < 0 else 0)
        if "exclusiveMinimum" in schema and value == schema["exclusiveMinimum"]:
            value += 1
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def pattern_sample(pattern: str, which: str) -> str:
    """The shortest (``min``) or longest (``max``) match of a one-class pattern; else any match."""
    m = CLASS_RE.match(pattern)
    if m:
        char = class_chars(m.group(1))[0]
        return char * int(m.group(2) if which == "min" else m.group(3))
    from hypothesis import find  # only for patterns of other shapes
    from hypothesis import strategies as st

    return str(find(st.from_regex(pattern, fullmatch=True), lambda s: True))


def class_chars(char_class: str) -> str:
    """The characters of ``[...]``, a plain one (``a``, ``A``, ``0`` ...) first."""
    body = char_class[1:-1]
    for probe in ("a", "A", "0", "_", "-"):
        if re.fullmatch(char_class, probe):
            return probe + body
    return body


def class_members(char_class: str) -> list[str]:
    """The characters ``[...]`` matches, sorted (its ranges' ends and the plain probes)."""
    return sorted({ch for ch in class_chars(char_class) if re.fullmatch(char_class, ch)})


def ascii_class_members(char_class: str) -> str | None:
    """Every character ``[...]`` matches, if it is a class of ASCII characters only (else None).

    Negated classes and escapes (``\\w`` matches more than ASCII) are None: they are left to from_regex.
    """
    if char_class.startswith("[^") or not char_class.isascii() or "\\" in char_class:
        return None
    return "".join(ch for ch in map(chr, range(128)) if re.fullmatch(char_class, ch))


class _Minimal:
    """Containers around a value: the node's minimal instance with the value added."""

    def object(self, node: Schema, path: SchemaPath, name: str, inner: Any) -> Any:
        obj = minimal_instance(node)
        obj[name] = inner
        return obj

    def item(self, node: Schema, path: SchemaPath, inner: Any) -> Any:
        return [inner]

    def value(self, node: Schema, path: SchemaPath, inner: Any) -> Any:
        obj = minimal_instance(node)
        obj["k"] = inner
        return obj


_MINIMAL = _Minimal()


def place(schema: Schema, steps: SchemaPath, value: Any) -> Any:
    """A minimal instance of ``schema`` whose value at schema path ``steps`` is ``value``."""
    return embed(schema, steps, value, _MINIMAL)
