"""Prose overlays: limits the OpenAPI document states only in descriptions.

Each overlay names the fields it applies to by their dotted field path
(``*`` for one segment, ``**`` for any number) and the keywords it adds. The
same overlays are applied to the bundled contracts and to a loaded document,
so both carry the same constraints, marked with source ``prose``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ._schema import Schema

__all__ = ["DEFAULT_OVERLAYS", "Overlay", "apply_overlays", "walk_fields"]

SchemaPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Overlay:
    """Add ``keywords`` to every non-null node at a field path matching ``fields``."""

    name: str
    fields: tuple[str, ...]
    keywords: tuple[tuple[str, Any], ...]
    prose: str  # the sentence of the document this overlay encodes

    def matches(self, field_path: str) -> bool:
        return any(_glob(field_path, pattern) for pattern in self.fields)


def _glob(path: str, pattern: str) -> bool:
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern.replace("**", "*"))
    parts, pats = path.split("."), pattern.split(".")
    return len(parts) == len(pats) and all(fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pats, strict=True))


METADATA = Overlay(
    "metadata",
    fields=("metadata", "**.metadata"),
    keywords=(("maxProperties", 16), ("propertyNames", {"maxLength": 64}), ("values.maxLength", 512)),
    prose="Set of 16 key-value pairs ... Keys are strings with a maximum length of 64 characters. "
    "Values are strings with a maximum length of 512 characters.",
)
FUNCTION_NAME = Overlay(
    "function-name",
    fields=("tools.items.function.name",),
    keywords=(("pattern", "^[a-zA-Z0-9_-]{1,64}$"),),
    prose="Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64.",
)
DEFAULT_OVERLAYS: tuple[Overlay, ...] = (METADATA, FUNCTION_NAME)


def walk_fields(schema: Schema, field: str = "", path: SchemaPath = ()) -> Iterator[tuple[str, SchemaPath, Schema]]:
    """Yield (dotted field path, schema path, node) for every non-union node.

    Union branches share their parent's field path; array items add ``items``,
    map values add ``values``.
    """
    for key in ("anyOf", "oneOf"):
        if key in schema:
            for i, branch in enumerate(schema[key]):
                yield from walk_fields(branch, field, (*path, key, i))
            return
    yield field, path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from walk_fields(sub, f"{field}.{name}" if field else name, (*path, "properties", name))
    if isinstance(schema.get("items"), dict):
        yield from walk_fields(schema["items"], f"{field}.items" if field else "items", (*path, "items"))
    if isinstance(schema.get("additionalProperties"), dict):
        sub = schema["additionalProperties"]
        yield from walk_fields(sub, f"{field}.values" if field else "values", (*path, "additionalProperties"))


def apply_overlays(schema: Schema, overlays: Sequence[Overlay]) -> set[SchemaPath]:
    """Apply ``overlays`` to ``schema`` in place; return the schema paths of added keywords."""
    added: set[SchemaPath] = set()
    for overlay in overlays:
        for field, path, node in list(walk_fields(schema)):
            if node.get("type") == "null" or not overlay.matches(field):
                continue
            for keyword, limit in overlay.keywords:
                if keyword == "values.maxLength":
                    values = node.get("additionalProperties")
                    if isinstance(values, dict):
                        values["maxLength"] = limit
                        added.add((*path, "additionalProperties", "maxLength"))
                elif keyword == "propertyNames":
                    node["propertyNames"] = dict(limit)
                    added.update((*path, "propertyNames", k) for k in limit)
                else:
                    node[keyword] = limit
                    added.add((*path, keyword))
    return added
