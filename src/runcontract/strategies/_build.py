"""Compile a contract's canonical request schema into Hypothesis strategies.

A small schema walker, like hypothesis-jsonschema's but only for the canonical
form (see ``contract._schema``): objects draw one byte string saying which
optional properties appear, which nullable ones are null and which branch or
enum value each property takes, unions are one flat choice with their simplest
branch first, lists draw their size first (with their elements' branches, when
they have some), and limits get an extra branch that sits exactly on them.
Everything is built once per contract and drawn with as few Hypothesis choices
as possible, since Hypothesis's per-choice cost, not this code, is what limits
the rate. Nodes using keywords
the walker does not know fall back to hypothesis-jsonschema for that node only.

Invalid payloads are built per catalogued constraint by its rule (``_rules``):
a valid payload around one violating value placed where the constraint's
schema path points (the *leaf*; ``_walk.embed`` with this builder's
containers), then checked with the validator so it breaks exactly that
constraint.

How they shrink: optional properties are dropped, union choices move to the
first (simplest) branch, lists and maps lose elements, strings become runs of
``a`` or ``0``, numbers move towards the limit they must stay on (or, for an
invalid value, just past it). A failure thus ends as the smallest payload that
still shows it: ``{"assistant_id": "", "metadata": {"aaa...a" (65): ""}}``.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from .._errors import ContractError
from ..contract import NULL, Constraint, Contract, Schema, SchemaPath, union_branches
from ._minimal import CLASS_RE, ascii_class_members, class_members
from ._rules import Labelled, Strategy, json_key, label_for, near_misses, rule_for
from ._values import (
    Drawn,
    built,
    choice,
    eager,
    free_text_choices,
    json_objects,
    json_schema_objects,
    json_values,
    lists,
    maps,
    padded,
    picker,
    uris,
)
from ._walk import embed, field_path, join

__all__ = ["Builder", "Labelled", "label_for", "near_misses"]

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


def _rank(branch: Schema) -> int:
    if "enum" in branch:
        return 2
    return _RANK.get(str(branch.get("type")), 6)


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
        unique = json_key if node.get("uniqueItems") else None
        few = high if high is not None and high < low + 3 else low + 3
        branches = [lists(items, min_size=low, max_size=few, unique_by=unique)]
        if high is not None and high > few:
            if unique:
                branches.append(lists(items, min_size=high, max_size=high, unique_by=unique))
            else:
                branches.append(built(lambda xs: (xs * high)[:high], lists(items, min_size=1, max_size=3)))
        return branches

    def _items(self, node: Schema, path: SchemaPath, fp: str) -> Strategy:
        items = node.get("items")
        if isinstance(items, dict) and items:
            return self.valid(items, (*path, "items"), join(fp, "items"))
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
            return self.valid(props.get(name, {}), (*path, "properties", name), join(fp, name))

        required = {n: force[n] if n in force else prop(n) for n in node.get("required", ()) if n != drop}
        required.update(force)
        optional = {
            n: self.optional(sub, (*path, "properties", n), join(fp, n))
            for n, sub in props.items()
            if n not in required and n != drop
        }
        base = _objects(required, optional)
        if isinstance(extra, dict):
            extras = self.map(node, path, fp, avoid=frozenset(props))
            base = built(lambda a, b: {**b, **a}, base, extras)
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
        values = self.valid(node["additionalProperties"], (*path, "additionalProperties"), join(fp, "values"))
        low, high = node.get("minProperties", 0), node.get("maxProperties")
        if high is not None:
            high = max(high - extra, 0)
        few = high if high is not None and high < low + 3 else low + 3
        branches = [maps(keys, values, min_size=low, max_size=few)]
        if high is not None and high > few:
            # Exactly maxProperties pairs, cheaply: up to two drawn pairs, the rest derived from them.
            seed = maps(keys, values, min_size=1, max_size=2)
            branches.append(built(_fill_map, seed, st.just(high), st.just(node.get("propertyNames") or {})))
        return choice(branches)

    # -- invalid values ----------------------------------------------------------------------

    def embed(self, steps: SchemaPath, leaf: Strategy, node: Schema | None = None, path: SchemaPath = ()) -> Strategy:
        """Valid payloads whose value at schema path ``steps`` is drawn from ``leaf``."""
        return embed(self.root if node is None else node, steps, leaf, _Around(self), path)

    def _with_item(self, node: Schema, path: SchemaPath, fp: str, inner: Strategy) -> Strategy:
        """Valid lists with one ``inner`` element at a drawn position (room left under maxItems)."""
        high = node.get("maxItems")
        low = node.get("minItems", 0)
        others = st.lists(
            self._items(node, path, fp),
            min_size=max(low - 1, 0),
            max_size=max(min(3, high - 1 if high is not None else 3), max(low - 1, 0)),
        )
        return built(_insert, others, inner, st.integers(0, 3))

    def violations(self, c: Constraint) -> list[Labelled]:
        """(label, payload strategy) pairs, each payload meant to break exactly ``c`` (its rule says how)."""
        return rule_for(c).violations(self, c)


class _Around:
    """The builder's containers for the schema walker: valid objects, lists and maps around a strategy."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder

    def object(self, node: Schema, path: SchemaPath, name: str, inner: Strategy) -> Strategy:
        return self.b.object(node, path, field_path(path), force={name: inner})

    def item(self, node: Schema, path: SchemaPath, inner: Strategy) -> Strategy:
        return self.b._with_item(node, path, field_path(path), inner)

    def value(self, node: Schema, path: SchemaPath, inner: Strategy) -> Strategy:
        return built(_put, self.b.map(node, path, field_path(path), extra=1), self.b.keys(node), inner)


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

    Which optional keys appear, which nullable ones are null, and which branch
    (of a union) or value (of an enum or boolean) a key takes is one choice: a
    byte string with one byte per optional key (odd: present; for a nullable
    key, ``0b111`` in the low bits: null; the high bits: the branch) and per
    required key with branches. Hypothesis shrinks each byte towards zero
    independently, so shrinking drops every optional key that does not matter
    and moves every union to its first branch, for the price of a single draw,
    where ``st.fixed_dictionaries`` spends two to three per key, a
    ``one_of(none(), ...)`` two more and each union one.
    """
    if not required and not optional:
        return st.just({})
    return _Objects(list(required.items()), [(k, s, nullable) for k, (s, nullable) in optional.items()])


class _Objects(Drawn[dict[str, Any]]):
    # One raw bytes choice of the object's own span: a byte per optional key, and per required
    # key whose value has a picker (a union, an enum, a boolean). For an optional key bit 0 says
    # whether it appears, low bits 0b111 that a nullable one is null, and the five high bits make
    # its picker's decision; a required key's byte is all its picker's. Every byte shrinks
    # towards 0: absent, first branch, first value.
    def __init__(self, required: list[tuple[str, Strategy]], optional: list[tuple[str, Strategy, bool]]) -> None:
        super().__init__([s for _, s in required] + [s for _, s, _ in optional])
        n = len(required)
        self.required = [
            (k, draw, picker(s, bits=8))
            for (k, _), s, draw in zip(required, self.parts[:n], self._draws[:n], strict=True)
        ]
        self.optional = [
            (k, draw, nullable, picker(s, bits=5))
            for (k, _, nullable), s, draw in zip(optional, self.parts[n:], self._draws[n:], strict=True)
        ]
        self._size = len(self.optional) + sum(1 for *_, pick in self.required if pick)

    def calc_is_empty(self, recur: Any) -> bool:
        return any(recur(s) for s in self.parts[: len(self.required)])

    def do_draw(self, data: Any) -> dict[str, Any]:
        flags = iter(data.draw_bytes(self._size, self._size) if self._size else b"")
        out = {}
        for k, draw, pick in self.required:
            out[k] = pick(data, next(flags)) if pick else draw(data)
        for k, draw, nullable, pick in self.optional:
            flag = next(flags)
            if flag & 1:
                if nullable and flag & 7 == 7:
                    out[k] = None
                else:
                    out[k] = pick(data, flag >> 3) if pick else draw(data)
        return out


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
    """Strings matching ``pattern``, plus (for ``^[class]{m,n}$``) the shortest and longest matches.

    A class of ASCII characters is plain ``st.text`` over them (one choice); other patterns
    go through ``from_regex`` (a choice per character and more).
    """
    m = CLASS_RE.match(pattern)
    fill = _class_fill(m.group(1)) if m else None
    if m is None or fill is None:
        return st.from_regex(pattern, fullmatch=True)
    low, high = int(m.group(2)), int(m.group(3))
    members = ascii_class_members(m.group(1))
    regex = st.text(members, min_size=low, max_size=high) if members else st.from_regex(pattern, fullmatch=True)
    return choice([regex, padded(low, alphabet=fill), padded(high, alphabet=fill)])


def _class_fill(char_class: str) -> st.SearchStrategy[str] | None:
    chars = class_members(char_class)
    return st.sampled_from(chars) if chars else None


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
