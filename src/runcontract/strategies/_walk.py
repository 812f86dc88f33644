"""The schema-path walker: one way to put a value where a schema path points.

A constraint's schema path (``properties/tools/items/anyOf/2/...``) says where
its value sits. The boundary plan builds one minimal payload around a fixed
value, the builders a strategy around a strategy of values; both walk the path
here, and differ only in how they build an object, a list or a map around the
inner part (a ``Surround``).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from ..contract import Schema, SchemaPath

__all__ = ["Surround", "at", "embed", "field_path", "join"]

T = TypeVar("T")


class Surround(Protocol[T]):
    """How one side builds the container around an inner part (a value or a strategy)."""

    def object(self, node: Schema, path: SchemaPath, name: str, inner: T) -> T:
        """An instance of object ``node`` whose property ``name`` is ``inner``."""

    def item(self, node: Schema, path: SchemaPath, inner: T) -> T:
        """An instance of array ``node`` holding ``inner`` among its items."""

    def value(self, node: Schema, path: SchemaPath, inner: T) -> T:
        """An instance of map ``node`` holding ``inner`` among its values."""


def at(schema: Any, path: SchemaPath) -> Any:
    """The part of ``schema`` (or of a payload) at ``path``."""
    for step in path:
        schema = schema[step]
    return schema


def join(fp: str, name: str) -> str:
    return f"{fp}.{name}" if fp else name


def field_path(path: SchemaPath) -> str:
    """The dotted field path of a schema path (``tools.items.function.name``): what overrides are keyed by."""
    fp, i = "", 0
    while i < len(path):
        step = path[i]
        if step == "properties":
            fp, i = join(fp, str(path[i + 1])), i + 2
        elif step in ("anyOf", "oneOf"):
            i += 2
        else:
            fp, i = join(fp, {"items": "items", "additionalProperties": "values"}[str(step)]), i + 1
    return fp


def embed(schema: Schema, steps: SchemaPath, leaf: T, around: Surround[T], path: SchemaPath = ()) -> T:
    """``leaf`` placed at schema path ``steps`` below ``schema`` (itself at ``path`` in the root)."""
    if not steps:
        return leaf
    head = steps[0]
    if head == "properties":
        name = str(steps[1])
        here = (*path, "properties", name)
        return around.object(schema, path, name, embed(schema["properties"][name], steps[2:], leaf, around, here))
    if head in ("anyOf", "oneOf"):
        i = int(steps[1])
        return embed(schema[head][i], steps[2:], leaf, around, (*path, head, i))
    if head == "items":
        return around.item(schema, path, embed(schema["items"], steps[1:], leaf, around, (*path, "items")))
    if head == "additionalProperties":
        here = (*path, "additionalProperties")
        return around.value(schema, path, embed(schema["additionalProperties"], steps[1:], leaf, around, here))
    raise ValueError(f"cannot place a value through schema step {head!r}")
