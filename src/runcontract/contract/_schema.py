"""Canonical JSON Schema (2020-12) from OpenAPI 3.0/3.1 fragments.

One pipeline, like hypothesis-jsonschema's resolve -> canonicalise: refs are
inlined, OpenAPI's ``nullable`` (in all three shapes the published document
uses) becomes ``anyOf: [X, {"type": "null"}]``, ``const`` becomes a one-element
``enum``, annotations are dropped and nested unions are flattened. Every later
stage (catalogue, validator, strategies) relies on this canonical form: a
nullable node is always a union whose last branch is ``{"type": "null"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._errors import ContractError

__all__ = ["NULL", "Schema", "canonicalise", "json_type", "nullable", "union_branches"]

Schema = dict[str, Any]
NULL: Schema = {"type": "null"}

# Keywords that only annotate; they never change what validates.
_ANNOTATIONS = frozenset(
    {
        "description",
        "example",
        "examples",
        "title",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "discriminator",
        "externalDocs",
        "xml",
        "$comment",
        "contentMediaType",
        "contentEncoding",
    }
)
# Formats that mean something to a validator; OpenAPI's own ("unixtime",
# "int64", "float", "binary", ...) are annotations here.
_CHECKED_FORMATS = frozenset({"uri", "email", "date-time", "date", "time", "uuid", "ipv4", "ipv6"})
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SUBSCHEMAS = ("items", "additionalProperties", "propertyNames", "not", "contains")
_UNIONS = ("anyOf", "oneOf")


def nullable(schema: Schema) -> Schema:
    """``schema`` or null, in canonical form."""
    if schema.get("type") == "null":
        return schema
    for key in _UNIONS:
        if key in schema and len(schema) == 1:
            branches = [b for b in schema[key] if b != NULL]
            return {key: [*branches, dict(NULL)]}
    return {"anyOf": [schema, dict(NULL)]}


def union_branches(schema: Schema) -> tuple[str, list[Schema]] | None:
    """(keyword, branches) when ``schema`` is a pure anyOf/oneOf node."""
    for key in _UNIONS:
        if key in schema:
            branches: list[Schema] = schema[key]
            return key, branches
    return None


def json_type(value: object) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


Resolver = Callable[[str], Any]


def canonicalise(node: Any, resolve: Resolver | None = None) -> Schema:
    """Return the canonical form of an OpenAPI schema ``node``.

    ``resolve`` maps a ``$ref`` string to the raw node it points at; refs are
    inlined (a recursive ref is a ContractError: the createRun closure has none).
    """
    return _Canon(resolve)(node, ())


class _Canon:
    def __init__(self, resolve: Resolver | None) -> None:
        self._resolve = resolve
        self._cache: dict[str, Schema] = {}

    def __call__(self, node: Any, refs: tuple[str, ...]) -> Schema:
        if node is True:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, Mapping):
            raise ContractError(f"schema node is not an object: {node!r:.80}")
        node = dict(node)
        is_nullable = node.pop("nullable", False) is True

        if "$ref" in node:
            base = self._ref(node.pop("$ref"), refs)
            rest = self._plain(node, refs)
            out = base if not rest else _merge_all([base, rest])
        elif "allOf" in node:
            members = node.pop("allOf")
            parts: list[Schema] = []
            for member in members:
                if (
                    isinstance(member, Mapping)
                    and member.get("nullable") is True
                    and not (set(member) - {"nullable"} - _ANNOTATIONS)
                ):
                    # allOf: [{$ref}, {nullable: true}] -- the document's second shape.
                    is_nullable = True
                    continue
                parts.append(self(member, refs))
            rest = self._plain(node, refs)
            if rest:
                parts.append(rest)
            out = _merge_all(parts) if parts else {}
        else:
            out = self._plain(node, refs)

        out = _split_type_list(out)
        out = _drop_inapplicable(out)
        out = _simplify_union(out)
        return nullable(out) if is_nullable else out

    def _ref(self, ref: object, refs: tuple[str, ...]) -> Schema:
        if not isinstance(ref, str):
            raise ContractError(f"$ref is not a string: {ref!r:.80}")
        if ref in refs:
            raise ContractError(f"recursive $ref {ref} is not supported")
        if ref not in self._cache:
            if self._resolve is None:
                raise ContractError(f"cannot resolve $ref {ref}: no document")
            self._cache[ref] = self(self._resolve(ref), (*refs, ref))
        copied: Schema = _deep_copy(self._cache[ref])
        return copied

    def _plain(self, node: dict[str, Any], refs: tuple[str, ...]) -> Schema:
        out: Schema = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "format":
                if value in _CHECKED_FORMATS:
                    out[key] = value
            elif key == "const":
                out["enum"] = [value]
            elif key in _SUBSCHEMA_MAPS:
                out[key] = {name: self(sub, refs) for name, sub in value.items()}
            elif key in _SUBSCHEMAS:
                out[key] = value if isinstance(value, bool) and key == "additionalProperties" else self(value, refs)
            elif key in _UNIONS or key == "prefixItems":
                out[key] = [self(sub, refs) for sub in value]
            elif key == "required":
                out[key] = list(value)
            else:
                out[key] = value
        return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# Keywords that constrain only values of one JSON type; on a node of another
# type they can never fail (the published document has `required` beside
# `items` on an array), so they are dropped rather than catalogued.
_TYPE_KEYWORDS = {
    "object": (
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "patternProperties",
        "minProperties",
        "maxProperties",
    ),
    "array": ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"),
    "string": ("minLength", "maxLength", "pattern", "format"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
}


def _drop_inapplicable(schema: Schema) -> Schema:
    kind = schema.get("type")
    if not isinstance(kind, str):
        return schema
    kind = "number" if kind == "integer" else kind
    dead = {kw for owner, kws in _TYPE_KEYWORDS.items() if owner != kind for kw in kws}
    return {k: v for k, v in schema.items() if k not in dead}


def _merge_all(parts: list[Schema]) -> Schema:
    """Merge allOf members whose keywords do not clash; keep allOf otherwise."""
    merged: Schema = {}
    for part in parts:
        if set(part) & set(merged):
            return {"allOf": parts}
        merged.update(part)
    return merged


def _split_type_list(schema: Schema) -> Schema:
    """``type: [T, "null"]`` (3.1 style) -> canonical nullable union."""
    types = schema.get("type")
    if not isinstance(types, list):
        return schema
    rest = {k: v for k, v in schema.items() if k != "type"}
    concrete = [t for t in types if t != "null"]
    if len(concrete) == 1:
        base = {"type": concrete[0], **rest}
    else:
        base = {"anyOf": [{"type": t, **rest} for t in concrete]}
    return nullable(base) if "null" in types else base


def _simplify_union(schema: Schema) -> Schema:
    found = union_branches(schema)
    if found is None or len(schema) != 1:
        return schema
    key, branches = found
    flat: list[Schema] = []
    for branch in branches:
        inner = union_branches(branch)
        # anyOf inside anyOf (or oneOf of disjoint types) flattens.
        if inner is not None and len(branch) == 1 and (inner[0] == key or key == "anyOf"):
            flat.extend(inner[1])
        else:
            flat.append(branch)
    # A bare {"type": T} absorbs narrower branches of the same type
    # (model: anyOf [string, string-enum] is just a string).
    bare = {b["type"] for b in flat if set(b) == {"type"} and isinstance(b["type"], str)}
    kept: list[Schema] = []
    for branch in flat:
        if branch.get("type") in bare and set(branch) != {"type"}:
            continue
        if branch in kept:
            continue
        kept.append(branch)
    # Keep null last: the canonical nullable shape.
    kept.sort(key=lambda b: b == NULL)
    if len(kept) == 1:
        return kept[0]
    return {key: kept}
