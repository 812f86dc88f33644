"""The constraint catalogue: every constraint of a contract as a record.

A constraint is one keyword at one place of the request schema, with an id
made from the dotted field path and the keyword (``temperature.maximum``,
``tools.items.function.name.pattern``, ``metadata.keys.maxLength``). Ids end
with a keyword, so a property called ``type`` (``tools.items.type.enum``) never
clashes with the ``type`` keyword (``tools.type``). Unions are catalogued once:
their allowed JSON types (``<field>.type``) and, for unions of tagged objects,
their discriminator (``<field>.<tag>.enum``); the branches share the field's
namespace. It is the unit of coverage and of failure reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._schema import NULL, Schema

__all__ = [
    "JSON_NUMBER",
    "REFUSED_WITH",
    "REQUEST_CONSTRAINTS",
    "SIMPLE_KEYWORDS",
    "UNICODE",
    "Catalogue",
    "Constraint",
    "SchemaPath",
    "build_catalogue",
    "discriminator",
    "number_fields",
]

SchemaPath = tuple[str | int, ...]

SIMPLE_KEYWORDS = (
    "type",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)
# Marker steps in schema paths for union-level constraints.
UNION_TYPE = "$type"
UNION_TAG = "$tag"
UNION_TAG_REQUIRED = "$tag-required"
UNICODE = "unicode"
# JSON numbers are finite (RFC 8259 s6: NaN and Infinity are not JSON): the body must be JSON.
JSON_NUMBER = "json-number"


@dataclass(frozen=True)
class Constraint:
    """One catalogued constraint.

    ``pointer`` is a JSON pointer template into the payload (``*`` for any
    array index or map key); ``schema_path`` is the canonical location in the
    request schema, from which strategies build payloads at and past ``limit``.
    """

    id: str
    pointer: str
    keyword: str
    limit: Any
    source: str
    field: str
    schema_path: SchemaPath

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pointer": self.pointer,
            "keyword": self.keyword,
            "limit": self.limit,
            "source": self.source,
        }


@dataclass
class Catalogue:
    """Constraints by id, plus every schema path that reports each one."""

    constraints: dict[str, Constraint] = field(default_factory=dict)
    by_path: dict[SchemaPath, str] = field(default_factory=dict)
    # Constraints on the request itself (its bytes and headers), not on a payload field: the
    # ``body`` and ``headers`` probes break them. Not iterated with the schema's constraints.
    requests: dict[str, Constraint] = field(default_factory=dict)

    def get(self, constraint_id: str | None) -> Constraint | None:
        """The constraint of either kind with this id, or None."""
        if constraint_id is None:
            return None
        return self.constraints.get(constraint_id) or self.requests.get(constraint_id)

    def __iter__(self) -> Iterator[Constraint]:
        return iter(self.constraints.values())

    def __len__(self) -> int:
        return len(self.constraints)

    def __contains__(self, constraint_id: object) -> bool:
        return constraint_id in self.constraints

    def __getitem__(self, constraint_id: str) -> Constraint:
        return self.constraints[constraint_id]

    @property
    def ids(self) -> list[str]:
        return list(self.constraints)


def discriminator(branches: list[Schema]) -> str | None:
    """The property that tells tagged object branches apart, if there is one."""
    objects = [b for b in branches if b.get("type") == "object"]
    if len(objects) < 2:
        return None
    common = set.intersection(*(set(b.get("required", ())) for b in objects))
    for name in sorted(common):
        if all("enum" in b.get("properties", {}).get(name, {}) for b in objects):
            return str(name)
    return None


def _join(field_path: str, name: str) -> str:
    return f"{field_path}.{name}" if field_path else name


class _Builder:
    def __init__(self, base_source: str, prose_paths: set[SchemaPath]) -> None:
        self.cat = Catalogue()
        self.base_source = base_source
        self.prose_paths = prose_paths

    def add(
        self, field_path: str, keyword: str, limit: Any, pointer: str, path: SchemaPath, *, suffix: str | None = None
    ) -> None:
        cid = _join(field_path, suffix or keyword)
        existing = self.cat.constraints.get(cid)
        if existing is not None and (existing.keyword, existing.limit) != (keyword, limit):
            # Two union branches put different limits on one field: tell them apart.
            n = 2
            while f"{cid}#{n}" in self.cat.constraints:
                n += 1
            cid = f"{cid}#{n}"
            existing = None
        if existing is None:
            source = "prose" if path in self.prose_paths else self.base_source
            self.cat.constraints[cid] = Constraint(cid, pointer or "", keyword, limit, source, field_path, path)
        self.cat.by_path[path] = cid

    def alias(self, path: SchemaPath, target: SchemaPath) -> None:
        self.cat.by_path[path] = self.cat.by_path[target]

    def walk(self, node: Schema, fp: str, ptr: str, path: SchemaPath) -> None:
        for key in ("anyOf", "oneOf"):
            if key in node:
                self.union(node, key, fp, ptr, path)
                return
        self.node(node, fp, ptr, path)

    def union(self, node: Schema, key: str, fp: str, ptr: str, path: SchemaPath) -> None:
        branches: list[Schema] = node[key]
        types = sorted({b["type"] for b in branches if isinstance(b.get("type"), str)})
        here = (*path, key)
        self.add(fp, "type", types, ptr, (*here, UNION_TYPE))
        for i, branch in enumerate(branches):
            if "type" in branch:
                self.alias((*here, i, "type"), (*here, UNION_TYPE))
        tag = discriminator([b for b in branches if b != NULL])
        skip: set[str] = set()
        if tag is not None:
            skip = {tag}
            tagged = [(i, b) for i, b in enumerate(branches) if b.get("type") == "object"]
            values = [v for _, b in tagged for v in b["properties"][tag]["enum"]]
            tag_ptr = f"{ptr}/{tag}"
            self.add(_join(fp, tag), "enum", values, tag_ptr, (*here, UNION_TAG))
            self.add(_join(fp, tag), "required", tag, tag_ptr, (*here, UNION_TAG_REQUIRED))
            for i, b in tagged:
                bp = (*here, i, "properties", tag)
                self.alias((*bp, "enum"), (*here, UNION_TAG))
                self.alias((*here, i, "required", tag), (*here, UNION_TAG_REQUIRED))
                if "type" in b["properties"][tag]:
                    self.add(_join(fp, tag), "type", b["properties"][tag]["type"], tag_ptr, (*bp, "type"))
        for i, branch in enumerate(branches):
            if branch != NULL:
                self.node(branch, fp, ptr, (*here, i), skip_type=True, skip_props=skip)

    def node(
        self,
        node: Schema,
        fp: str,
        ptr: str,
        path: SchemaPath,
        *,
        skip_type: bool = False,
        skip_props: set[str] | None = None,
    ) -> None:
        skip_props = skip_props or set()
        for kw in SIMPLE_KEYWORDS:
            if kw in node and not (kw == "type" and skip_type):
                self.add(fp, kw, node[kw], ptr, (*path, kw))
        props: Mapping[str, Schema] = node.get("properties", {})
        for name in node.get("required", ()):
            if name not in skip_props:
                self.add(_join(fp, name), "required", name, f"{ptr}/{name}", (*path, "required", name))
        for name, sub in props.items():
            if name not in skip_props:
                self.walk(sub, _join(fp, name), f"{ptr}/{name}", (*path, "properties", name))
        extra = node.get("additionalProperties")
        if extra is False:
            self.add(fp, "additionalProperties", sorted(props), ptr, (*path, "additionalProperties"))
        elif isinstance(extra, dict) and extra:
            self.walk(extra, _join(fp, "values"), f"{ptr}/*", (*path, "additionalProperties"))
        names = node.get("propertyNames")
        if isinstance(names, dict):
            self.node(names, _join(fp, "keys"), ptr, (*path, "propertyNames"))
        items = node.get("items")
        if isinstance(items, dict) and items:
            self.walk(items, _join(fp, "items"), f"{ptr}/*", (*path, "items"))


# (id, keyword, what it is, source, statuses that refuse it; None: --accept-status).
# Sources: RFC 8259 and the document's application/json content type ("spec") say a body must
# be UTF-8 JSON; the Assistants docs' prose asks for the OpenAI-Beta header; the document's
# bearer security scheme gives 401. Where nothing says what a server must do, "ours": a server
# may accept or refuse, only a 5xx, a reset or a hang fails (DESIGN.md, Verdicts).
REQUEST_CONSTRAINTS: tuple[tuple[str, str, str, str, tuple[int, ...] | None], ...] = (
    ("body.utf8", "body", "the body is UTF-8", "spec", None),
    ("body.truncated", "body", "the body is complete JSON", "spec", None),
    ("body.empty", "body", "the body is not empty", "spec", None),
    ("body.nul", "body", "the body is JSON (one NUL byte is not)", "spec", None),
    ("body.deep", "body", "1,000 nested arrays in a field (the schema refuses them)", "spec", None),
    ("body.bom", "body", "no byte-order mark before the JSON (RFC 8259: a parser MAY ignore one)", "ours", None),
    ("body.duplicate-keys", "body", "each key once (RFC 8259: SHOULD; parsers differ)", "ours", None),
    ("body.at-cap", "body", "a valid body of about 1 MB", "ours", None),
    ("header.content-type", "header", "Content-Type application/json (missing, text/plain)", "ours", None),
    ("header.charset", "header", "charset=latin-1 declared with latin-1 bytes", "ours", None),
    ("header.openai-beta", "header", "OpenAI-Beta: assistants=<version> (missing, assistants=v9)", "prose", None),
    ("header.authorization", "header", "a bearer Authorization header (missing)", "spec", (401,)),
)


# Request constraints refused with a status of their own rather than --accept-status's.
REFUSED_WITH: dict[str, frozenset[int]] = {
    cid: frozenset(statuses) for cid, _k, _w, _s, statuses in REQUEST_CONSTRAINTS if statuses
}


def number_fields(schema: Schema) -> list[tuple[str, Schema]]:
    """Top-level properties that hold a number or an integer: (name, that branch of the property)."""
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        for branch in sub.get("anyOf") or sub.get("oneOf") or [sub]:
            if branch.get("type") in ("number", "integer"):
                out.append((str(name), branch))
                break
    return out


def build_catalogue(schema: Schema, *, base_source: str, prose_paths: set[SchemaPath] | None = None) -> Catalogue:
    """Catalogue every constraint of the canonical request ``schema``."""
    builder = _Builder(base_source, prose_paths or set())
    builder.walk(schema, "", "", ())
    # Not a schema keyword: JSON text must be valid Unicode (RFC 8259 s8.1), so a
    # lone surrogate anywhere is a violation that no schema keyword names.
    builder.add("", "unicode", "no lone surrogates", "", (UNICODE,), suffix=UNICODE)
    builder.cat.constraints[UNICODE] = Constraint(UNICODE, "", "unicode", "no lone surrogates", "ours", "", (UNICODE,))
    for cid, keyword, what, source, _statuses in REQUEST_CONSTRAINTS:
        builder.cat.requests[cid] = Constraint(cid, "", keyword, what, source, "", (cid,))
    # The body is application/json (the document's content type): a NaN or Infinity token
    # makes it not JSON at all, whatever the schema says of the field (where it has numbers).
    if number_fields(schema):
        builder.cat.constraints[JSON_NUMBER] = Constraint(
            JSON_NUMBER, "", "json", "finite numbers only", "spec", "", (JSON_NUMBER,)
        )
        builder.cat.by_path[(JSON_NUMBER,)] = JSON_NUMBER
    return builder.cat
