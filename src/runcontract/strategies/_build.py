"""Compile a contract's canonical request schema into Hypothesis strategies.

A small schema walker, like hypothesis-jsonschema's but only for the canonical
form (see ``contract._schema``): objects draw their required properties and a
byte string saying which optional ones appear (and which nullable ones are
null), unions are one flat choice with their simplest branch first, and limits
get an extra branch that sits exactly on them. Everything is built once per
contract and drawn with as few Hypothesis draws as possible, since Hypothesis's
per-draw cost, not this code, is what limits the rate. Nodes using keywords
the walker does not know fall back to hypothesis-jsonschema for that node only.

Invalid payloads are built per catalogued constraint: a valid payload around
one violating value placed where the constraint's schema path points (the
*leaf*), then checked with the validator so it breaks exactly that constraint.

How they shrink: optional properties are dropped, union choices move to the
first (simplest) branch, lists and maps lose elements, strings become runs of
``a`` or ``0``, numbers move towards the limit they must stay on (or, for an
invalid value, just past it). A failure thus ends as the smallest payload that
still shows it: ``{"assistant_id": "", "metadata": {"aaa...a" (65): ""}}``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from hypothesis import strategies as st

from .._errors import ContractError
from ..contract import (
    JSON_NUMBER,
    NULL,
    UNICODE,
    UNION_TAG,
    UNION_TAG_REQUIRED,
    UNION_TYPE,
    Constraint,
    Contract,
    Schema,
    SchemaPath,
    discriminator,
    number_fields,
    type_matches,
    union_branches,
)
from ._boundary import _CLASS_RE, _class_chars
from ._rules import label_for, near_misses
from ._values import (
    ID_CHARS,
    choice,
    eager,
    free_text,
    free_text_choices,
    json_objects,
    json_schema_objects,
    json_values,
    padded,
    step_down,
    step_up,
    uris,
)

__all__ = ["Builder", "Labelled", "label_for", "near_misses"]

Strategy = st.SearchStrategy[Any]
Labelled = tuple[str, Strategy]

_SUPPORTED = frozenset(
    {
        "type",
        "enum",
        "anyOf",
        "oneOf",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)
_KNOWN_FORMATS = frozenset({"uri"})
# Free-form objects under these names are JSON Schemas (function parameters, response schemas).
_SCHEMA_FIELDS = frozenset({"parameters", "schema"})
_RANK = {"null": 0, "boolean": 1, "integer": 2, "number": 2, "string": 3, "array": 4, "object": 5}
# Wire-level value classes a reader confuses: numbers and booleans as strings, and so on.
_LOOKALIKES = ["1", "0.5", "true", "null", "", "[]", "{}"]


def _join(fp: str, name: str) -> str:
    return f"{fp}.{name}" if fp else name


def _at(schema: Any, path: SchemaPath) -> Any:
    for step in path:
        schema = schema[step]
    return schema


def _rank(branch: Schema) -> int:
    if "enum" in branch:
        return 2
    return _RANK.get(str(branch.get("type")), 6)


def _json_key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def _wrong_types(allowed: Any) -> list[Labelled]:
    """Values of every JSON type ``allowed`` does not include; null separately."""
    small = json_values(max_leaves=3)
    kinds: list[tuple[str, Strategy]] = [
        ("boolean", st.booleans()),
        ("integer", st.one_of(st.sampled_from([0, 1, -1, 2**53 + 1]), st.integers())),
        ("number", st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer())),
        ("string", st.one_of(st.sampled_from(_LOOKALIKES), free_text())),
        ("array", st.lists(small, max_size=3)),
        ("object", st.dictionaries(free_text(max_size=8), small, max_size=3)),
    ]
    wrong = [s for kind, s in kinds if not type_matches(allowed, kind)]
    out: list[Labelled] = []
    if not type_matches(allowed, "null"):
        out.append(("null-not-nullable", st.none()))
    if wrong:
        out.append(("wrong-type", st.one_of(wrong)))
    return out


def _surrogate_text() -> st.SearchStrategy[str]:
    around = st.text(ID_CHARS, max_size=4)
    lone = st.integers(0xD800, 0xDFFF).map(chr)
    return st.builds(lambda a, s, b: a + s + b, around, lone, around)


class Builder:
    """Strategies for one contract; ``overrides`` map dotted field paths to strategies."""

    def __init__(self, contract: Contract, overrides: dict[str, Strategy]) -> None:
        self.contract = contract
        self.root = contract.request_schema
        self.overrides = overrides
        self._cache: dict[SchemaPath, Strategy] = {}

    # -- valid values ------------------------------------------------------------------------

    def valid(self, node: Schema, path: SchemaPath = (), fp: str = "") -> Strategy:
        """Values ``node`` accepts; a registered strategy for field ``fp`` wins."""
        if fp and fp in self.overrides:
            return self.overrides[fp]
        return self.build(node, path, fp)

    def build(self, node: Schema, path: SchemaPath, fp: str) -> Strategy:
        if path not in self._cache:
            options = self.choices(node, path, fp)
            self._cache[path] = eager(choice(options))
        return self._cache[path]

    def choices(self, node: Schema, path: SchemaPath, fp: str, *, skip_null: bool = False) -> list[Strategy]:
        """The alternatives for ``node``, simplest first, flat (one choice, not one per level)."""
        if set(node) - _SUPPORTED or node.get("format", "uri") not in _KNOWN_FORMATS:
            return [_fallback(node)]
        for key in ("anyOf", "oneOf"):
            if key in node:
                if len(node) > 1:
                    return [_fallback(node)]
                branches = node[key]
                order = sorted(range(len(branches)), key=lambda i: _rank(branches[i]))
                # Constant branches (null, booleans, enums) become one sampled_from: one choice, not two.
                constants = [c for i in order for c in _constants(branches[i]) or () if not (skip_null and c is None)]
                out: list[Strategy] = [st.sampled_from(constants)] if constants else []
                for i in order:
                    if _constants(branches[i]) is None:
                        out += self.choices(branches[i], (*path, key, i), fp)
                return out
        if "enum" in node:
            return [st.sampled_from(node["enum"])]
        kind = node.get("type")
        if kind == "null":
            return [st.none()]
        if kind == "boolean":
            return [st.booleans()]
        if kind == "integer":
            return _integers(node)
        if kind == "number":
            return _numbers(node)
        if kind == "string":
            return _strings(node)
        if kind == "array":
            return self.array(node, path, fp)
        if kind == "object" or "properties" in node:
            return [self.object(node, path, fp)]
        if kind is None and not node:
            return [json_values()]
        return [_fallback(node)]

    def optional(self, node: Schema, path: SchemaPath, fp: str) -> tuple[Strategy, bool]:
        """(strategy for the non-null values, whether null is allowed) of an optional property."""
        if fp in self.overrides:
            return self.overrides[fp], False
        found = union_branches(node)
        if found is None or NULL not in found[1] or len(node) > 1:
            return self.build(node, path, fp), False
        options = self.choices(node, path, fp, skip_null=True)
        return choice(options), True

    def array(self, node: Schema, path: SchemaPath, fp: str) -> list[Strategy]:
        """Lists: a few items; exactly ``maxItems`` (cycled from up to three drawn items)."""
        items = self._items(node, path, fp)
        low, high = node.get("minItems", 0), node.get("maxItems")
        unique = _json_key if node.get("uniqueItems") else None
        few = high if high is not None and high < low + 3 else low + 3
        branches = [st.lists(items, min_size=low, max_size=few, unique_by=unique)]
        if high is not None and high > few:
            if unique:
                branches.append(st.lists(items, min_size=high, max_size=high, unique_by=unique))
            else:
                branches.append(st.lists(items, min_size=1, max_size=3).map(lambda xs: (xs * high)[:high]))
        return branches

    def _items(self, node: Schema, path: SchemaPath, fp: str) -> Strategy:
        items = node.get("items")
        if isinstance(items, dict) and items:
            return self.valid(items, (*path, "items"), _join(fp, "items"))
        return json_values(max_leaves=3)

    def object(
        self,
        node: Schema,
        path: SchemaPath,
        fp: str,
        *,
        force: dict[str, Strategy] | None = None,
        drop: str | None = None,
    ) -> Strategy:
        """Objects: required and ``force``d properties always, the others optionally (dropped when shrinking)."""
        props: dict[str, Schema] = node.get("properties", {})
        force = force or {}
        extra = node.get("additionalProperties")
        if not props and not node.get("required") and not force and extra is not False:
            if isinstance(extra, dict):
                return self.map(node, path, fp)
            name = fp.rsplit(".", 1)[-1]
            return json_schema_objects() if name in _SCHEMA_FIELDS else json_objects()

        def prop(name: str) -> Strategy:
            return self.valid(props.get(name, {}), (*path, "properties", name), _join(fp, name))

        required = {n: force[n] if n in force else prop(n) for n in node.get("required", ()) if n != drop}
        required.update(force)
        optional = {
            n: self.optional(sub, (*path, "properties", n), _join(fp, n))
            for n, sub in props.items()
            if n not in required and n != drop
        }
        base = _objects(required, optional)
        if isinstance(extra, dict):
            extras = self.map(node, path, fp, avoid=frozenset(props))
            base = st.builds(lambda a, b: {**b, **a}, base, extras)
        return base

    def keys(self, node: Schema) -> st.SearchStrategy[str]:
        names = node.get("propertyNames") or {}
        if set(names) - {"maxLength", "minLength", "pattern"}:
            return _fallback({"type": "string", **names})
        return choice(_strings({"type": "string", **names}))

    def map(
        self,
        node: Schema,
        path: SchemaPath,
        fp: str,
        *,
        avoid: frozenset[str] = frozenset(),
        extra: int = 0,
    ) -> Strategy:
        """Maps (``metadata``): a few pairs, or exactly ``maxProperties`` of them; keys up to their limit."""
        keys = self.keys(node)
        if avoid:
            keys = keys.filter(lambda k: k not in avoid)
        values = self.valid(node["additionalProperties"], (*path, "additionalProperties"), _join(fp, "values"))
        low, high = node.get("minProperties", 0), node.get("maxProperties")
        if high is not None:
            high = max(high - extra, 0)
        few = high if high is not None and high < low + 3 else low + 3
        branches = [st.dictionaries(keys, values, min_size=low, max_size=few)]
        if high is not None and high > few:
            # Exactly maxProperties pairs, cheaply: up to two drawn pairs, the rest derived from them.
            seed = st.dictionaries(keys, values, min_size=1, max_size=2)
            branches.append(st.builds(_fill_map, seed, st.just(high), st.just(node.get("propertyNames") or {})))
        return choice(branches)

    # -- invalid values ----------------------------------------------------------------------

    def embed(self, steps: SchemaPath, leaf: Strategy, node: Schema | None = None, path: SchemaPath = ()) -> Strategy:
        """Valid payloads whose value at schema path ``steps`` is drawn from ``leaf``."""
        if node is None:
            node = self.root
        return self._embed(steps, leaf, node, path, self._fp(path))

    def _fp(self, path: SchemaPath) -> str:
        fp, i = "", 0
        while i < len(path):
            step = path[i]
            if step == "properties":
                fp, i = _join(fp, str(path[i + 1])), i + 2
            elif step in ("anyOf", "oneOf"):
                i += 2
            else:
                fp, i = _join(fp, {"items": "items", "additionalProperties": "values"}[str(step)]), i + 1
        return fp

    def _embed(self, steps: SchemaPath, leaf: Strategy, node: Schema, path: SchemaPath, fp: str) -> Strategy:
        if not steps:
            return leaf
        head = steps[0]
        if head == "properties":
            name = str(steps[1])
            here = (*path, "properties", name)
            inner = self._embed(steps[2:], leaf, node["properties"][name], here, _join(fp, name))
            return self.object(node, path, fp, force={name: inner})
        if head in ("anyOf", "oneOf"):
            i = int(steps[1])
            return self._embed(steps[2:], leaf, node[head][i], (*path, head, i), fp)
        if head == "items":
            inner = self._embed(steps[1:], leaf, node["items"], (*path, "items"), _join(fp, "items"))
            return self._with_item(node, path, fp, inner)
        if head == "additionalProperties":
            here = (*path, "additionalProperties")
            inner = self._embed(steps[1:], leaf, node["additionalProperties"], here, _join(fp, "values"))
            return st.builds(_put, self.map(node, path, fp, extra=1), self.keys(node), inner)
        raise ValueError(f"cannot place a value through schema step {head!r}")

    def _with_item(self, node: Schema, path: SchemaPath, fp: str, inner: Strategy) -> Strategy:
        """Valid lists with one ``inner`` element at a drawn position (room left under maxItems)."""
        high = node.get("maxItems")
        low = node.get("minItems", 0)
        others = st.lists(
            self._items(node, path, fp),
            min_size=max(low - 1, 0),
            max_size=max(min(3, high - 1 if high is not None else 3), max(low - 1, 0)),
        )
        return st.builds(_insert, others, inner, st.integers(0, 3))

    def violations(self, c: Constraint) -> list[Labelled]:
        """(label, payload strategy) pairs, each payload meant to break exactly ``c``."""
        path = c.schema_path
        if c.id == UNICODE:
            return [("lone-surrogate", st.one_of([self.embed(p, _surrogate_text()) for p in self._free_strings()]))]
        if c.id == JSON_NUMBER:
            tokens = st.sampled_from([math.nan, math.inf, -math.inf])
            fields = [("properties", name) for name, _ in number_fields(self.root)]
            return [("non-finite", st.one_of([self.embed(p, tokens) for p in fields]))] if fields else []
        marker = path[-1]
        if marker in (UNION_TYPE, UNION_TAG, UNION_TAG_REQUIRED):
            upath = path[:-2]
            return [(label, self.embed(upath, leaf)) for label, leaf in self._union_leaves(c, upath, str(marker))]
        if c.keyword == "required" and len(path) >= 2 and path[-2] == "required":
            opath = path[:-2]
            node = _at(self.root, opath)
            leaf = self.object(node, opath, self._fp(opath), drop=str(path[-1]))
            return [("missing-required", self.embed(opath, leaf))]
        if c.keyword == "additionalProperties":
            opath = path[:-1]
            node = _at(self.root, opath)
            known = frozenset(node.get("properties", {}))
            names = [m for p in sorted(known) for m in (p.upper(), f"{p} ", p.replace("_", ""))]
            unknown = st.one_of(st.sampled_from(["unexpected_field", *names]), free_text(min_size=1))
            leaf = st.builds(
                lambda obj, k, v: {**obj, k: v},
                self.object(node, opath, self._fp(opath)),
                unknown.filter(lambda k: k not in known),
                json_values(max_leaves=2),
            )
            return [("unknown-property", self.embed(opath, leaf))]
        if len(path) >= 2 and path[-2] == "propertyNames":
            mpath = path[:-2]
            node = _at(self.root, mpath)
            key_schema = {"type": "string", **node["propertyNames"]}
            out = []
            for label, bad in _past_values(c, key_schema):
                values = self.valid(node["additionalProperties"], (*mpath, "additionalProperties"), "")
                leaf = st.builds(_put, self.map(node, mpath, self._fp(mpath), extra=1), bad, values)
                out.append((label, self.embed(mpath, leaf)))
            return out
        npath = path[:-1]
        node = _at(self.root, npath)
        if c.keyword in ("maxItems", "minItems", "uniqueItems"):
            leaves = self._array_leaves(c, node, npath)
        elif c.keyword in ("maxProperties", "minProperties"):
            leaves = self._map_leaves(c, node, npath)
        else:
            leaves = _past_values(c, node)
        return [(label, self.embed(npath, leaf)) for label, leaf in leaves]

    def _union_leaves(self, c: Constraint, upath: SchemaPath, marker: str) -> list[Labelled]:
        union = _at(self.root, upath)
        key = "anyOf" if "anyOf" in union else "oneOf"
        fp = self._fp(upath)
        if marker == UNION_TYPE:
            return _wrong_types(c.limit)
        tagged = [(i, b) for i, b in enumerate(union[key]) if b != NULL and b.get("type") == "object"]
        tag = discriminator([b for _, b in tagged])
        assert tag is not None
        objects = st.one_of([self.build(b, (*upath, key, i), fp) for i, b in tagged])
        if marker == UNION_TAG_REQUIRED:
            return [("missing-required", objects.map(lambda o: {k: v for k, v in o.items() if k != tag}))]
        known = list(c.limit)
        misses = st.sampled_from(near_misses(known))
        unknown = st.one_of(st.sampled_from(["retrieval", "unknown"]), free_text()).filter(lambda s: s not in known)
        return [
            ("unknown-tag", st.builds(lambda o, t: {**o, tag: t}, objects, unknown)),
            ("enum-near-miss", st.builds(lambda o, t: {**o, tag: t}, objects, misses)),
        ]

    def _array_leaves(self, c: Constraint, node: Schema, npath: SchemaPath) -> list[Labelled]:
        items = self._items(node, npath, self._fp(npath))
        limit = int(c.limit)
        if c.keyword == "maxItems":
            unique = _json_key if node.get("uniqueItems") else None
            if unique:
                return [("too-many-items", st.lists(items, min_size=limit + 1, max_size=limit + 3, unique_by=unique))]
            sizes = st.integers(limit + 1, 10 * limit + 10)
            # Very large arrays are cheap: a few drawn items, repeated.
            return [
                (
                    "too-many-items",
                    st.builds(lambda xs, n: (xs * n)[:n], st.lists(items, min_size=1, max_size=3), sizes),
                )
            ]
        if c.keyword == "minItems":
            return [("too-few-items", st.lists(items, max_size=limit - 1))] if limit > 0 else []
        high = node.get("maxItems")
        dup = st.lists(items, min_size=1, max_size=3).map(lambda xs: [*xs, xs[0]])
        if high is not None:
            dup = dup.filter(lambda xs: len(xs) <= high)
        return [("duplicate-items", dup)]

    def _map_leaves(self, c: Constraint, node: Schema, npath: SchemaPath) -> list[Labelled]:
        limit = int(c.limit)
        fp = self._fp(npath)
        if "additionalProperties" not in node or not isinstance(node["additionalProperties"], dict):
            values: Strategy = json_values(max_leaves=2)
        else:
            values = self.valid(node["additionalProperties"], (*npath, "additionalProperties"), _join(fp, "values"))
        keys = self.keys(node)
        if c.keyword == "maxProperties":
            return [("too-many-properties", st.dictionaries(keys, values, min_size=limit + 1, max_size=limit + 4))]
        return [("too-few-properties", st.dictionaries(keys, values, max_size=limit - 1))] if limit > 0 else []

    def _free_strings(self) -> list[SchemaPath]:
        """Schema paths of strings with no rule but a generous length: where a lone surrogate is the only fault."""
        found: list[SchemaPath] = []

        def walk(node: Any, path: SchemaPath) -> None:
            if not isinstance(node, dict):
                return
            if node.get("type") == "string" and set(node) <= {"type", "maxLength"} and node.get("maxLength", 9) > 8:
                found.append(path)
            for key in ("anyOf", "oneOf"):
                for i, b in enumerate(node.get(key, ())):
                    walk(b, (*path, key, i))
            for name, sub in node.get("properties", {}).items():
                walk(sub, (*path, "properties", name))
            for key in ("items", "additionalProperties"):
                walk(node.get(key), (*path, key))

        walk(self.root, ())
        return found or [()]


def _constants(node: Schema) -> list[Any] | None:
    """The values of a null, boolean or enum node (which a union can sample directly), else None."""
    if set(node) == {"type"} and node["type"] == "null":
        return [None]
    if set(node) == {"type"} and node["type"] == "boolean":
        return [False, True]
    if "enum" in node and set(node) <= {"type", "enum"}:
        return list(node["enum"])
    return None


def _objects(required: dict[str, Strategy], optional: dict[str, tuple[Strategy, bool]]) -> Strategy:
    """Objects with every ``required`` key and any subset of the ``optional`` ones.

    Which optional keys appear, and which nullable ones are null, is one
    choice: a byte string with one byte per key (odd: present; for a nullable
    key, ``0b111`` in the low bits: null). Hypothesis shrinks each byte towards
    zero independently, so shrinking drops every optional key that does not
    matter, for the price of a single draw, where ``st.fixed_dictionaries``
    spends two to three per key and a ``one_of(none(), ...)`` two more.
    """
    if not optional:
        return st.fixed_dictionaries(required) if required else st.just({})
    req = [(k, eager(s)) for k, s in required.items()]
    opt = [(k, (eager(s), nullable)) for k, (s, nullable) in optional.items()]
    flags = eager(st.binary(min_size=len(opt), max_size=len(opt)))

    @st.composite
    def objects(draw: st.DrawFn) -> dict[str, Any]:
        out = {k: draw(s) for k, s in req}
        for (k, (s, nullable)), flag in zip(opt, draw(flags), strict=True):
            if flag & 1:
                out[k] = None if nullable and flag & 7 == 7 else draw(s)
        return out

    return eager(objects())


def _fill_map(seed: dict[str, Any], size: int, names: Schema) -> dict[str, Any]:
    """``seed`` grown to ``size`` pairs with keys ``k0``, ``k1``... (kept within a key maxLength)."""
    out = dict(seed)
    values = list(seed.values())
    limit = names.get("maxLength")
    i = 0
    while len(out) < size:
        key = f"k{i}"
        if limit is not None and len(key) > limit:
            break
        out.setdefault(key, values[i % len(values)])
        i += 1
    return out


def _put(mapping: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**mapping, key: value}


def _insert(items: list[Any], item: Any, index: int) -> list[Any]:
    out = list(items)
    out.insert(min(index, len(out)), item)
    return out


def _integers(node: Schema) -> list[Strategy]:
    """Small integers in range, the limits themselves, and (if unbounded) far past 2**53."""
    low = node.get("minimum")
    if "exclusiveMinimum" in node:
        low = math.floor(node["exclusiveMinimum"]) + 1
    high = node.get("maximum")
    if "exclusiveMaximum" in node:
        high = math.ceil(node["exclusiveMaximum"]) - 1
    low = None if low is None else math.ceil(low)
    high = None if high is None else math.floor(high)
    near = st.integers(low, high if high is not None else (low + 10_000 if low is not None else None))
    if low is None and high is not None:
        near = st.integers(high - 10_000, high)
    branches: list[Strategy] = [near]
    limits = [v for v in (low, high) if v is not None]
    if limits:
        branches.append(st.sampled_from(limits))
    if high is None:
        base = max(low or 0, 2**53)
        branches.append(st.integers(base + 1, base + 2**80))
    if low is None:
        base = min(high if high is not None else 0, -(2**53))
        branches.append(st.integers(base - 2**80, base - 1))
    return branches


def _numbers(node: Schema) -> list[Strategy]:
    """Floats in range, integers in range (``2`` as well as ``2.0``), and the limits themselves."""
    low, high = node.get("minimum"), node.get("maximum")
    xlow, xhigh = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    floats = st.floats(
        min_value=xlow if xlow is not None else low,
        max_value=xhigh if xhigh is not None else high,
        exclude_min=xlow is not None,
        exclude_max=xhigh is not None,
        allow_nan=False,
        allow_infinity=False,
    )
    branches: list[Strategy] = [*_integers(node), floats]
    limits = [v for v in (low, high) if v is not None]
    if limits:
        branches.append(st.sampled_from([*limits, *(float(v) for v in limits)]))
    return branches


def _strings(node: Schema) -> list[Strategy]:
    low, high = node.get("minLength", 0), node.get("maxLength")
    if node.get("format") == "uri":
        base = uris()
    elif "pattern" in node:
        base = _pattern_strings(node["pattern"])
    else:
        return free_text_choices(min_size=low, max_size=high)
    if low or high is not None:
        base = base.filter(lambda s: low <= len(s) and (high is None or len(s) <= high))
    return [base]


def _pattern_strings(pattern: str) -> Strategy:
    """``from_regex``, plus (for ``^[class]{m,n}$`` patterns) the shortest and longest matches."""
    regex = st.from_regex(pattern, fullmatch=True)
    m = _CLASS_RE.match(pattern)
    if not m:
        return regex
    fill = _class_fill(m.group(1))
    if fill is None:
        return regex
    low, high = int(m.group(2)), int(m.group(3))
    return choice([regex, padded(low, alphabet=fill), padded(high, alphabet=fill)])


def _class_fill(char_class: str) -> st.SearchStrategy[str] | None:
    chars = sorted({ch for ch in _class_chars(char_class) if re.fullmatch(char_class, ch)})
    return st.sampled_from(chars) if chars else None


def _past_values(c: Constraint, node: Schema) -> list[Labelled]:
    """Values that break ``c`` at ``node`` (simple keywords and non-union types)."""
    kw, limit = c.keyword, c.limit
    integer = node.get("type") == "integer"
    if kw == "type":
        return _wrong_types(limit)
    if kw == "enum":
        values = list(limit)
        unknown = free_text() if all(isinstance(v, str) for v in values) else json_values(max_leaves=1)
        out: list[Labelled] = []
        misses = near_misses(values)
        if misses:
            out.append(("enum-near-miss", st.sampled_from(misses)))
        out.append(("unknown-value", unknown.filter(lambda v: v not in values)))
        return out
    if kw in ("maximum", "exclusiveMaximum"):
        first = step_up(limit, integer=integer) if kw == "maximum" else limit
        far: Strategy = (
            st.integers(first, first + 2**64)
            if integer
            else st.one_of(
                st.floats(min_value=first, allow_nan=False, allow_infinity=False),
                st.integers(math.floor(limit) + 1, 2**64),
            )
        )
        return [("out-of-range", st.one_of(st.just(first), far))]
    if kw in ("minimum", "exclusiveMinimum"):
        first = step_down(limit, integer=integer) if kw == "minimum" else limit
        far = (
            st.integers(first - 2**64, first)
            if integer
            else st.one_of(
                st.floats(max_value=first, allow_nan=False, allow_infinity=False),
                st.integers(-(2**64), math.ceil(limit) - 1),
            )
        )
        return [("out-of-range", st.one_of(st.just(first), far))]
    if kw == "multipleOf":
        return [("not-multiple", st.integers(-1000, 1000).map(lambda k: k * limit + limit / 2))]
    if kw == "maxLength":
        return [("too-long", padded(limit + 1, 4 * limit + 8))]
    if kw == "minLength":
        return [("too-short", free_text(max_size=limit - 1))] if limit > 0 else []
    if kw == "pattern":
        bad = st.one_of(st.sampled_from(["", " ", "a b", "a.b", "\n", "ä", "a/b"]), free_text())
        out = [("pattern-mismatch", bad.filter(lambda s: re.search(limit, s) is None))]
        m = _CLASS_RE.match(limit)
        fill = _class_fill(m.group(1)) if m else None
        if m and fill is not None:
            high = int(m.group(3))
            out.append(("too-long", padded(high + 1, 4 * high + 8, alphabet=fill)))
        return out
    if kw == "format":
        bad = st.sampled_from(
            ["not a uri", "example.com/image.png", "//example.com/a.png", "http://exa mple.com", "", "https://[::1"]
        )
        return [("bad-format", st.one_of(bad, free_text()))]
    return []


# hypothesis-jsonschema 0.23.1 fails on Hypothesis >= 6.170.10 ("'many' object has no attribute 'more'").
_JSONSCHEMA_WORKS_BELOW = (6, 170, 10)


def _fallback(node: Schema) -> Strategy:
    """hypothesis-jsonschema for a node the walker does not know (slow, so only for that node).

    It is an optional extra (``runcontract[jsonschema]``), used only where it is installed and
    works with the installed Hypothesis; otherwise the node is a ContractError naming its keywords.
    """
    import hypothesis

    from_schema: Any
    try:
        from hypothesis_jsonschema import from_schema
    except ImportError:
        from_schema = None
    if from_schema is None or hypothesis.version.__version_info__ >= _JSONSCHEMA_WORKS_BELOW:
        unknown = sorted(set(node) - _SUPPORTED) or [f"format: {node.get('format')}"]
        why = "is not installed" if from_schema is None else f"does not work with Hypothesis {hypothesis.__version__}"
        raise ContractError(
            f"the request schema uses {', '.join(map(str, unknown))}, which runcontract's generator does not "
            f"know, and hypothesis-jsonschema (the fallback, pip install 'runcontract[jsonschema]') {why}"
        )
    strategy: Strategy = from_schema(node)
    return strategy
