"""The keyword-rule table: everything runcontract knows about one JSON-Schema keyword, in one class.

One class per kind of constraint (a keyword, a union marker, ``propertyNames``,
``unicode``, ``json``); ``rule_for(constraint)`` picks it. A rule knows:

- ``label_for``: the violation class of a payload that breaks it;
- ``at_limit``: whether a value in a valid payload sits on its limit (coverage,
  ``benchmarks/_coverage.py``);
- ``values``: fixed values at and one step inside the limit, and just past it
  (the boundary plan, through ``cases``);
- ``leaves``: strategies of values that break it, labelled (the invalid
  strategies, through ``violations``).

Leaf rules give values for the node that carries the keyword and leave the
placing to the schema walker (``_walk.embed``: ``place`` for fixed payloads,
the builder for strategies); structural rules (unions, ``required``,
``additionalProperties``, key names, body-wide ones) override ``cases`` and
``violations``. Adding a probe class for a keyword means adding to its rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Sized
from typing import TYPE_CHECKING, Any, Literal, cast

from hypothesis import strategies as st

from ..contract import (
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
    json_type,
    number_fields,
    type_matches,
)
from ._minimal import CLASS_RE, class_chars, class_members, minimal_instance, pattern_sample, place
from ._values import ID_CHARS, free_text, json_values, padded, step_down, step_up
from ._walk import at, field_path, join

if TYPE_CHECKING:
    from ._build import Builder

__all__ = [
    "LABELS",
    "Labelled",
    "Rule",
    "Side",
    "Strategy",
    "at_limit",
    "json_key",
    "label_for",
    "near_misses",
    "rule_for",
    "strings_in",
]

Strategy = st.SearchStrategy[Any]
Labelled = tuple[str, Strategy]
Side = Literal["at", "past"]
Planned = Iterator[tuple[Side, Any, str]]  # (side, payload, note) of the boundary plan

# At most this many values borrowed from elsewhere per enum: the document has dozens of ``type``s.
_FOREIGN_PER_ENUM = 8

# Every violation class an invalid case can carry (``Case.label``): what reports group by.
LABELS = frozenset(
    {
        "wrong-type",
        "null-not-nullable",
        "missing-required",
        "unknown-property",
        "unknown-tag",
        "enum-near-miss",
        "unknown-value",
        "out-of-range",
        "not-multiple",
        "too-long",
        "too-short",
        "pattern-mismatch",
        "bad-format",
        "too-many-items",
        "too-few-items",
        "duplicate-items",
        "too-many-properties",
        "too-few-properties",
        "lone-surrogate",
        "non-finite",
    }
)

_HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "i": "\u0456"}
_QUANTIFIER = re.compile(r"\{(\d+),(\d+)\}\$?$")


def near_misses(values: list[Any]) -> list[Any]:
    """Values a careless reader would take for one of ``values``: case, spacing, homoglyphs, typos."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, str) and v:
            out += [v.upper(), v.capitalize(), f" {v}", f"{v} ", f"{v}\n", f"\t{v}", v[:-1], f"{v}s"]
            out += [v.replace("_", "-"), v.replace("-", "_"), f"{v}\u200b"]
            glyph = next((c for c in v if c in _HOMOGLYPHS), None)
            if glyph:
                out.append(v.replace(glyph, _HOMOGLYPHS[glyph], 1))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out += [v + 1, v - 1]
    seen: list[Any] = []
    for m in out:
        if m not in values and m != "" and not any(m == s and type(m) is type(s) for s in seen):
            seen.append(m)
    return seen


def strings_in(value: Any) -> Iterator[str]:
    """Every string of a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def _leaves(value: Any) -> Iterator[Any]:
    """Every scalar inside ``value`` (the pointer of a body-level constraint is the whole payload)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def json_key(value: Any) -> str:
    """What ``uniqueItems`` compares: items equal as JSON are the same item."""
    return json.dumps(value, sort_keys=True)


def _describe(value: Any) -> str:
    """A plan case's note for its value."""
    if isinstance(value, str):
        return f"{len(value)}-char string" if len(value) > 12 else repr(value)
    if isinstance(value, (list, dict)):
        return f"{len(value)} {'items' if isinstance(value, list) else 'pairs'}"
    return repr(value)


# One value of each JSON type, for the plan's wrong-type cases.
_SAMPLES: tuple[Any, ...] = ("1", 1, 1.5, True, None, {}, [])
# Wire-level value classes a reader confuses: numbers and booleans as strings, and so on.
_LOOKALIKES = ["1", "0.5", "true", "null", "", "[]", "{}"]


def _wrong_samples(allowed: Any) -> list[Any]:
    return [s for s in _SAMPLES if not type_matches(allowed, json_type(s))]


def _wrong_types(allowed: Any) -> list[Labelled]:
    """Strategies of values of every JSON type ``allowed`` does not include; null separately."""
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


class Rule:
    """A kind of constraint. Subclasses override what differs; the default: the field being present."""

    label = ""

    def label_for(self, c: Constraint, value: Any) -> str:
        """The violation class of a payload breaking ``c`` with ``value`` at its pointer."""
        return self.label or c.keyword

    def at_limit(self, c: Constraint, value: Any) -> bool:
        """Whether ``value`` (at ``c``'s pointer in a valid payload) sits on ``c``'s limit."""
        return True  # type, required, format, union markers: the value is there at all

    # -- the boundary plan -------------------------------------------------------------------

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        """(values at the limit or one step inside, values just past it) for ``node``, the keyword's schema."""
        return [], []

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        """The plan's candidates for ``c``, each put in a minimal payload (the validator then sorts them)."""
        root = contract.request_schema
        node_path = c.schema_path[:-1]
        inside, past = self.values(c, at(root, node_path))
        for v in inside:
            yield "at", place(root, node_path, v), _describe(v)
        for v in past:
            yield "past", place(root, node_path, v), _describe(v)

    # -- probes (after the plan) -------------------------------------------------------------

    def probes(self, contract: Contract, c: Constraint, kind: str) -> Iterator[tuple[Any, str]]:
        """(payload, label) candidates of probe class ``kind`` for ``c`` (the validator then keeps those
        that break exactly ``c``); a rule yields only for the classes it knows."""
        return iter(())

    # -- random violations -------------------------------------------------------------------

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        """(label, strategy of values that break ``c`` at ``node``), ``node`` being at schema ``path``."""
        return []

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        """(label, payload strategy) pairs, each payload meant to break exactly ``c``."""
        npath = c.schema_path[:-1]
        return [(label, b.embed(npath, leaf)) for label, leaf in self.leaves(b, c, at(b.root, npath), npath)]


class Type(Rule):
    def label_for(self, c: Constraint, value: Any) -> str:
        return "null-not-nullable" if value is None else "wrong-type"

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        return [minimal_instance(node)], _wrong_samples(c.limit)

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        return _wrong_types(c.limit)

    def node_path(self, c: Constraint) -> SchemaPath:
        """Where the typed value sits."""
        return c.schema_path[:-1]

    def probes(self, contract: Contract, c: Constraint, kind: str) -> Iterator[tuple[Any, str]]:
        """``lax-coercion``: ``"1"`` for a number, ``0``/``"true"`` for a boolean, a number for a string,
        a lone item for an array (model layers that coerce accept them)."""
        if kind != "lax-coercion" or not c.schema_path:
            return
        root = contract.request_schema
        node_path = self.node_path(c)
        allowed = (set(c.limit) if isinstance(c.limit, list) else {str(c.limit)}) - {"null"}
        node = at(root, node_path)
        values: list[Any] = []
        if allowed & {"number", "integer"} and "string" not in allowed:
            values += ["1", "0.5"] if "number" in allowed else ["1", str(_an_integer(node))]
        if "boolean" in allowed and not allowed & {"number", "integer", "string"}:
            values += [0, 1, "true", "false"]
        if allowed == {"string"}:
            values += [1]
        if "array" in allowed and not allowed & {"object", "string"}:
            item = _array_item(node)
            if item is not None:
                values.append(item)
        tried: set[str] = set()
        for value in values:
            if f"{type(value).__name__}:{value!r}" not in tried:  # 1 and "1", 0 and False stay apart
                tried.add(f"{type(value).__name__}:{value!r}")
                yield place(root, node_path, value), "lax-coercion"


def _array_item(node: Schema) -> Any:
    for branch in node.get("anyOf") or node.get("oneOf") or [node]:
        if branch.get("type") == "array":
            return minimal_instance(branch.get("items") or {})
    return None


def _an_integer(node: Schema) -> int:
    for branch in node.get("anyOf") or [node]:
        if branch.get("type") == "integer":
            return int(branch.get("minimum", 1))
    return 1


def _union(root: Schema, c: Constraint) -> tuple[SchemaPath, list[Schema]]:
    """(schema path of the union's node, its branches with null last) for a union marker's constraint."""
    union = at(root, c.schema_path[:-1])
    return c.schema_path[:-2], [b for b in union if b != NULL] + [b for b in union if b == NULL]


class UnionType(Type):
    """A union's type: which branch's JSON type a value has (``$type``)."""

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        root = contract.request_schema
        upath, branches = _union(root, c)
        for branch in branches:
            yield "at", place(root, upath, minimal_instance(branch)), f"a {branch.get('type')}"
        for wrong in _wrong_samples(c.limit):
            yield "past", place(root, upath, wrong), f"a {type(wrong).__name__}"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        return [(label, b.embed(c.schema_path[:-2], leaf)) for label, leaf in _wrong_types(c.limit)]

    def node_path(self, c: Constraint) -> SchemaPath:
        return c.schema_path[:-2]


class _Tagged(Rule):
    """The tagged branches of a union (``$tag`` and ``$tag-required``): each one's minimal instance is at."""

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        root = contract.request_schema
        upath, branches = _union(root, c)
        tag = discriminator(branches)
        tagged = [b for b in branches if b.get("type") == "object"]
        for branch in tagged:
            note = f"{tag}={branch['properties'][tag]['enum'][0]}"
            yield "at", place(root, upath, minimal_instance(branch)), note
        yield from self.past(root, c, upath, str(tag), minimal_instance(tagged[0]))

    def past(self, root: Schema, c: Constraint, upath: SchemaPath, tag: str, first: dict[str, Any]) -> Planned:
        return iter(())

    def objects(self, b: Builder, c: Constraint) -> tuple[SchemaPath, str, Strategy]:
        """(the union's schema path, its tag, valid objects of its tagged branches)."""
        upath = c.schema_path[:-2]
        union = at(b.root, upath)
        key = "anyOf" if "anyOf" in union else "oneOf"
        tagged = [(i, br) for i, br in enumerate(union[key]) if br != NULL and br.get("type") == "object"]
        tag = discriminator([br for _, br in tagged])
        assert tag is not None
        fp = field_path(upath)
        return upath, tag, st.one_of([b.build(br, (*upath, key, i), fp) for i, br in tagged])


class Enum(Rule):
    miss = "unknown-value"

    def label_for(self, c: Constraint, value: Any) -> str:
        return "enum-near-miss" if value in near_misses(list(c.limit)) else self.miss

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return any(value == member and type(value) is type(member) for member in c.limit)

    @staticmethod
    def plan_misses(value: Any) -> list[Any]:
        """The plan's few near misses of one member (the random side draws from all of ``near_misses``)."""
        if not isinstance(value, str):
            return [str(value)]
        out = []
        if value.upper() != value:
            out.append(value.upper())
        out += [f" {value}", f"{value} "]
        glyph = next((ch for ch in value if ch in _HOMOGLYPHS), None)
        if glyph:
            out.append(value.replace(glyph, _HOMOGLYPHS[glyph], 1))
        out.append(value + "_x" if value else "x")
        return out

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        return list(c.limit), [m for v in c.limit for m in self.plan_misses(v)]

    def members(self, root: Schema, c: Constraint) -> Iterator[tuple[str, Callable[[Any], Any]]]:
        """(member, put) for each string member; ``put(v)`` is a minimal payload with ``v`` in its place."""
        for member in c.limit:
            if isinstance(member, str):
                yield member, lambda v: place(root, c.schema_path[:-1], v)

    def property_name(self, c: Constraint) -> str | None:
        """The name of the property the enum constrains (the values it takes elsewhere are borrowed)."""
        path = c.schema_path
        names = [path[i + 1] for i in range(len(path) - 1) if path[i] == "properties"]
        return str(names[-1]) if names else None

    def probes(self, contract: Contract, c: Constraint, kind: str) -> Iterator[tuple[Any, str]]:
        """``enum-variant``: each member in upper and title case and with surrounding whitespace (a server
        that folds case or strips accepts them); ``foreign-value``: the values a property of the same name
        takes elsewhere in the loaded document and in the other contract version."""
        members = list(self.members(contract.request_schema, c))
        known = {m for m, _ in members}
        if kind == "enum-variant":
            for member, put in members:
                for variant in dict.fromkeys([member.upper(), member.title(), f" {member}", f"{member} "]):
                    if variant not in known:
                        yield put(variant), "enum-near-miss"
        name = self.property_name(c)
        if kind != "foreign-value" or not members or name is None:
            return
        # Enums that share a member with this one first (another API's tool types beside ours),
        # then the rest of the same name's.
        enums = sorted(contract.foreign_values.get(name, ()), key=lambda e: not known & set(e))
        borrowed = list(dict.fromkeys(v for e in enums for v in e if v not in known))[:_FOREIGN_PER_ENUM]
        for value in borrowed:
            yield members[0][1](value), "foreign-value"

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        values = list(c.limit)
        unknown = free_text() if all(isinstance(v, str) for v in values) else json_values(max_leaves=1)
        out: list[Labelled] = []
        misses = near_misses(values)
        if misses:
            out.append(("enum-near-miss", st.sampled_from(misses)))
        out.append(("unknown-value", unknown.filter(lambda v: v not in values)))
        return out


class UnionTag(_Tagged, Enum):
    """A tagged union's tag (``$tag``): an unknown tag, or a near miss of a known one."""

    miss = "unknown-tag"

    def past(self, root: Schema, c: Constraint, upath: SchemaPath, tag: str, first: dict[str, Any]) -> Planned:
        known = set(c.limit)
        for miss in ["retrieval", *self.plan_misses(first[tag])]:
            if miss not in known:
                yield "past", place(root, upath, {**first, tag: miss}), f"{tag}={miss!r}"

    def members(self, root: Schema, c: Constraint) -> Iterator[tuple[str, Callable[[Any], Any]]]:
        upath, branches = _union(root, c)
        tag = discriminator(branches)
        if tag is None:
            return
        for branch in (br for br in branches if br.get("type") == "object"):
            base = minimal_instance(branch)
            if isinstance(base.get(tag), str):
                yield base[tag], _tag_setter(root, upath, base, tag)

    def property_name(self, c: Constraint) -> str | None:
        return "type"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        upath, tag, objects = self.objects(b, c)
        known = list(c.limit)
        misses = st.sampled_from(near_misses(known))
        unknown = st.one_of(st.sampled_from(["retrieval", "unknown"]), free_text()).filter(lambda s: s not in known)
        return [
            ("unknown-tag", b.embed(upath, st.builds(lambda o, t: {**o, tag: t}, objects, unknown))),
            ("enum-near-miss", b.embed(upath, st.builds(lambda o, t: {**o, tag: t}, objects, misses))),
        ]


def _tag_setter(root: Schema, upath: SchemaPath, base: dict[str, Any], tag: str) -> Callable[[Any], Any]:
    return lambda v: place(root, upath, {**base, tag: v})


class UnionTagRequired(_Tagged):
    """A tagged union's tag must be there (``$tag-required``)."""

    label = "missing-required"

    def past(self, root: Schema, c: Constraint, upath: SchemaPath, tag: str, first: dict[str, Any]) -> Planned:
        yield "past", place(root, upath, {k: v for k, v in first.items() if k != tag}), f"no {tag}"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        upath, tag, objects = self.objects(b, c)
        return [("missing-required", b.embed(upath, objects.map(lambda o: {k: v for k, v in o.items() if k != tag})))]


class Bound(Rule):
    """minimum, maximum and their exclusive forms: on the limit (or the nearest number inside), then past it."""

    label = "out-of-range"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return _number(value) and value == c.limit

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        limit, integer = c.limit, node.get("type") == "integer"
        up = [step_up(limit, integer=integer)] + ([] if integer else [limit + 1])
        down = [step_down(limit, integer=integer)] + ([] if integer else [limit - 1])
        # At the limit and one step inside it: 1.9999999999999998 shows a server
        # that rounds, 5e-324 one that flushes to zero.
        if c.keyword == "minimum":
            inside = [limit, up[0]]
            if integer and "maximum" not in node and "exclusiveMaximum" not in node:
                # No upper limit: the first integers a double cannot hold, and past int64.
                inside += [2**53 + 1, 2**64 + 1]
            return inside, down
        if c.keyword == "maximum":
            return [limit, down[0]], up
        if c.keyword == "exclusiveMinimum":
            return up[:1], [limit]
        return down[:1], [limit]

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        kw, limit, integer = c.keyword, c.limit, node.get("type") == "integer"
        far: Strategy
        if kw in ("maximum", "exclusiveMaximum"):
            first = step_up(limit, integer=integer) if kw == "maximum" else limit
            far = (
                st.integers(first, first + 2**64)
                if integer
                else st.one_of(
                    st.floats(min_value=first, allow_nan=False, allow_infinity=False),
                    st.integers(math.floor(limit) + 1, 2**64),
                )
            )
        else:
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


class ExclusiveBound(Bound):
    def at_limit(self, c: Constraint, value: Any) -> bool:
        # The nearest number inside the limit (integers: limit +- 1).
        toward = math.inf if c.keyword == "exclusiveMinimum" else -math.inf
        step = 1 if c.keyword == "exclusiveMinimum" else -1
        return _number(value) and value in (c.limit + step, math.nextafter(c.limit, toward))


class MultipleOf(Rule):
    label = "not-multiple"

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        return [c.limit * 3], [c.limit * 3 + c.limit / 2]

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        limit = c.limit
        return [("not-multiple", st.integers(-1000, 1000).map(lambda k: k * limit + limit / 2))]


class Size(Rule):
    """min/max length, items and properties: exactly the limit's size, of the right JSON type."""

    def __init__(self, kind: type, long: str, short: str) -> None:
        self.kind, self.long, self.short = kind, long, short

    def label_for(self, c: Constraint, value: Any) -> str:
        return self.long if c.keyword.startswith("max") else self.short

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return isinstance(value, self.kind) and len(cast("Sized", value)) == c.limit


class Length(Size):
    """minLength, maxLength: in characters (code points), so astral text counts one per character."""

    def __init__(self) -> None:
        super().__init__(str, "too-long", "too-short")

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        limit = c.limit
        if c.keyword == "maxLength":
            return ["a" * limit, "\U0001f600" * limit], ["a" * (limit + 1), "\U0001f600" * (limit + 1)]
        return ["a" * limit], ["a" * (limit - 1)] if limit else []

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        limit = c.limit
        if c.keyword == "maxLength":
            return [("too-long", padded(limit + 1, 4 * limit + 8))]
        return [("too-short", free_text(max_size=limit - 1))] if limit > 0 else []


class KeyLength(Size):
    """``propertyNames`` limits: the pointer is the map, the limit is on its keys."""

    def __init__(self) -> None:
        super().__init__(dict, "too-long", "too-short")

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return isinstance(value, dict) and any(isinstance(k, str) and len(k) == c.limit for k in value)

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        if c.keyword != "maxLength":
            return
        root = contract.request_schema
        mpath = c.schema_path[:-2]
        value = minimal_instance(at(root, mpath).get("additionalProperties") or {})
        limit = c.limit
        for n, side in ((limit, "at"), (limit + 1, "past")):
            yield cast("Side", side), place(root, mpath, {"k" * n: value}), f"{n}-char key"
            yield cast("Side", side), place(root, mpath, {"\U0001f600" * n: value}), f"{n}-char astral key"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        mpath = c.schema_path[:-2]
        node = at(b.root, mpath)
        key_schema = {"type": "string", **node["propertyNames"]}
        out = []
        for label, bad in _BY_KEYWORD[c.keyword].leaves(b, c, key_schema, mpath):
            values = b.valid(node["additionalProperties"], (*mpath, "additionalProperties"), "")
            leaf = st.builds(_put, b.map(node, mpath, field_path(mpath), extra=1), bad, values)
            out.append((label, b.embed(mpath, leaf)))
        return out


def _put(mapping: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**mapping, key: value}


class Items(Size):
    """minItems, maxItems: the item is the minimal one, repeated."""

    def __init__(self) -> None:
        super().__init__(list, "too-many-items", "too-few-items")

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        item, limit = minimal_instance(node.get("items", {})), c.limit
        if c.keyword == "maxItems":
            return [[item] * limit], [[item] * (limit + 1)]
        return [[item] * limit], [[item] * (limit - 1)] if limit else []

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        items = b._items(node, path, field_path(path))
        limit = int(c.limit)
        if c.keyword == "minItems":
            return [("too-few-items", st.lists(items, max_size=limit - 1))] if limit > 0 else []
        if node.get("uniqueItems"):
            return [("too-many-items", st.lists(items, min_size=limit + 1, max_size=limit + 3, unique_by=json_key))]
        sizes = st.integers(limit + 1, 10 * limit + 10)
        # Very large arrays are cheap: a few drawn items, repeated.
        many = st.builds(lambda xs, n: (xs * n)[:n], st.lists(items, min_size=1, max_size=3), sizes)
        return [("too-many-items", many)]


class UniqueItems(Rule):
    label = "duplicate-items"

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        item = minimal_instance(node.get("items", {}))
        return [[item]], [[item, item]]

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        items = b._items(node, path, field_path(path))
        high = node.get("maxItems")
        dup = st.lists(items, min_size=1, max_size=3).map(lambda xs: [*xs, xs[0]])
        if high is not None:
            dup = dup.filter(lambda xs: len(xs) <= high)
        return [("duplicate-items", dup)]


class Properties(Size):
    """minProperties, maxProperties: keys ``k0``, ``k1`` ... with minimal values."""

    def __init__(self) -> None:
        super().__init__(dict, "too-many-properties", "too-few-properties")

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        value, limit = minimal_instance(node.get("additionalProperties") or {}), c.limit

        def pairs(n: int) -> dict[str, Any]:
            return {f"k{i}": value for i in range(n)}

        if c.keyword == "maxProperties":
            base = minimal_instance(node)
            return [{**base, **pairs(limit)}], [{**base, **pairs(limit + 1)}]
        return [pairs(limit)], [pairs(limit - 1)] if limit else []

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        limit = int(c.limit)
        if "additionalProperties" not in node or not isinstance(node["additionalProperties"], dict):
            values: Strategy = json_values(max_leaves=2)
        else:
            fp = join(field_path(path), "values")
            values = b.valid(node["additionalProperties"], (*path, "additionalProperties"), fp)
        keys = b.keys(node)
        if c.keyword == "maxProperties":
            return [("too-many-properties", st.dictionaries(keys, values, min_size=limit + 1, max_size=limit + 4))]
        return [("too-few-properties", st.dictionaries(keys, values, max_size=limit - 1))] if limit > 0 else []


class Pattern(Rule):
    label = "pattern-mismatch"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        if not isinstance(value, str) or not re.search(c.limit, value):
            return False
        m = _QUANTIFIER.search(c.limit)  # ends in {m,n}: the longest match
        return m is None or len(value) == int(m.group(2))

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        m = CLASS_RE.match(c.limit)
        if m:
            chars, low, high = class_chars(m.group(1)), int(m.group(2)), int(m.group(3))
            inside = [chars[0] * high, chars[0] * low, (chars * high)[:high]]
            return inside, [chars[0] * (high + 1), "a b", chars[0] * max(low - 1, 0), "a.b"]
        return [pattern_sample(c.limit, "min")], ["", " ", "a b", "\n", "!" * 65]

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        limit = c.limit
        bad = st.one_of(st.sampled_from(["", " ", "a b", "a.b", "\n", "ä", "a/b"]), free_text())
        out = [("pattern-mismatch", bad.filter(lambda s: re.search(limit, s) is None))]
        m = CLASS_RE.match(limit)
        chars = class_members(m.group(1)) if m else []
        if m and chars:
            high = int(m.group(3))
            out.append(("too-long", padded(high + 1, 4 * high + 8, alphabet=st.sampled_from(chars))))
        return out


class Format(Rule):
    """``format: uri`` (the only format in the contract): a scheme and no spaces."""

    label = "bad-format"

    def values(self, c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
        return [minimal_instance(node)], ["not a uri", "example.com/no-scheme", "http://exa mple.com"]

    def leaves(self, b: Builder, c: Constraint, node: Schema, path: SchemaPath) -> list[Labelled]:
        bad = st.sampled_from(
            ["not a uri", "example.com/image.png", "//example.com/a.png", "http://exa mple.com", "", "https://[::1"]
        )
        return [("bad-format", st.one_of(bad, free_text()))]


class Required(Rule):
    """A required property (schema path ``.../required/<name>``): there, then left out."""

    label = "missing-required"

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        root = contract.request_schema
        obj_path, name = c.schema_path[:-2], c.schema_path[-1]
        node = at(root, obj_path)
        yield "at", place(root, obj_path, minimal_instance(node)), f"with {name}"
        without = {k: v for k, v in minimal_instance(node).items() if k != name}
        yield "past", place(root, obj_path, without), f"without {name}"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        path = c.schema_path
        if len(path) < 2 or path[-2] != "required":
            return []
        opath = path[:-2]
        leaf = b.object(at(b.root, opath), opath, field_path(opath), drop=str(path[-1]))
        return [("missing-required", b.embed(opath, leaf))]


class AdditionalProperties(Rule):
    """``additionalProperties: false``: known properties only, then one more (a look-alike name, often)."""

    label = "unknown-property"

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        root = contract.request_schema
        obj_path = c.schema_path[:-1]
        node = at(root, obj_path)
        yield "at", place(root, obj_path, minimal_instance(node)), "known properties only"
        yield "past", place(root, obj_path, {**minimal_instance(node), "unexpected_field": 1}), "unknown property"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        opath = c.schema_path[:-1]
        node = at(b.root, opath)
        known = frozenset(node.get("properties", {}))
        names = [m for p in sorted(known) for m in (p.upper(), f"{p} ", p.replace("_", ""))]
        unknown = st.one_of(st.sampled_from(["unexpected_field", *names]), free_text(min_size=1))
        leaf = st.builds(
            lambda obj, k, v: {**obj, k: v},
            b.object(node, opath, field_path(opath)),
            unknown.filter(lambda k: k not in known),
            json_values(max_leaves=2),
        )
        return [("unknown-property", b.embed(opath, leaf))]


class Unicode(Rule):
    """Ours: no lone surrogates. At the limit: some text outside the Basic Multilingual Plane."""

    label = "lone-surrogate"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return any(any(ord(ch) > 0xFFFF for ch in s) for s in strings_in(value))

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        root = contract.request_schema
        field = next(n for n, s in root["properties"].items() if s.get("type") == "string")
        base = minimal_instance(root)
        yield "at", {**base, field: "asst_\U0001f600\u00e9\u2028"}, "astral and non-ASCII text"
        yield "past", {**base, field: "asst_\ud800"}, "lone surrogate"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        around = st.text(ID_CHARS, max_size=4)
        lone = st.integers(0xD800, 0xDFFF).map(chr)
        text = st.builds(lambda a, s, z: a + s + z, around, lone, around)
        return [("lone-surrogate", st.one_of([b.embed(p, text) for p in _free_strings(b.root)]))]


def _free_strings(root: Schema) -> list[SchemaPath]:
    """Schema paths of strings with no rule but a generous length: where a lone surrogate is the only fault."""
    found: list[SchemaPath] = []

    def walk(node: Any, path: SchemaPath) -> None:
        if not isinstance(node, dict):
            return
        if node.get("type") == "string" and set(node) <= {"type", "maxLength"} and node.get("maxLength", 9) > 8:
            found.append(path)
        for key in ("anyOf", "oneOf"):
            for i, branch in enumerate(node.get(key, ())):
                walk(branch, (*path, key, i))
        for name, sub in node.get("properties", {}).items():
            walk(sub, (*path, "properties", name))
        for key in ("items", "additionalProperties"):
            walk(node.get(key), (*path, key))

    walk(root, ())
    return found or [()]


class JsonNumber(Rule):
    """The body is JSON: NaN and Infinity are not. At the limit: a float JSON can carry, such as -0.0."""

    label = "non-finite"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return any(isinstance(v, float) and math.isfinite(v) for v in _leaves(value))

    def cases(self, contract: Contract, c: Constraint) -> Planned:
        base = minimal_instance(contract.request_schema)
        for number, branch in number_fields(contract.request_schema)[:1]:
            # At the limit: a float JSON carries (-0.0 where zero is allowed, else an integral float).
            for finite in (-0.0, float(minimal_instance(branch))):
                if contract.is_valid({**base, number: finite}):
                    yield "at", {**base, number: finite}, repr(finite)
                    break
            yield "past", {**base, number: math.nan}, "NaN"
            yield "past", {**base, number: math.inf}, "Infinity"

    def violations(self, b: Builder, c: Constraint) -> list[Labelled]:
        tokens = st.sampled_from([math.nan, math.inf, -math.inf])
        fields = [("properties", name) for name, _ in number_fields(b.root)]
        return [("non-finite", st.one_of([b.embed(p, tokens) for p in fields]))] if fields else []


class Named(Rule):
    """A keyword with a label and nothing more to say."""

    def __init__(self, label: str) -> None:
        self.label = label


_BY_KEYWORD: dict[str, Rule] = {
    "type": Type(),
    "enum": Enum(),
    "required": Required(),
    "additionalProperties": AdditionalProperties(),
    "minimum": Bound(),
    "maximum": Bound(),
    "exclusiveMinimum": ExclusiveBound(),
    "exclusiveMaximum": ExclusiveBound(),
    "minLength": Length(),
    "maxLength": Length(),
    "pattern": Pattern(),
    "format": Format(),
    "minItems": Items(),
    "maxItems": Items(),
    "uniqueItems": UniqueItems(),
    "minProperties": Properties(),
    "maxProperties": Properties(),
    "multipleOf": MultipleOf(),
    "json": JsonNumber(),
}
_BY_MARKER: dict[str, Rule] = {UNION_TYPE: UnionType(), UNION_TAG: UnionTag(), UNION_TAG_REQUIRED: UnionTagRequired()}
_UNICODE = Unicode()
_KEY_LENGTH = KeyLength()


def rule_for(c: Constraint) -> Rule:
    """The rule for ``c``: by union marker, ``propertyNames`` or ``unicode`` first, then by keyword."""
    marker = c.schema_path[-1] if c.schema_path else ""
    if c.id == UNICODE:
        return _UNICODE
    if isinstance(marker, str) and marker in _BY_MARKER:
        return _BY_MARKER[marker]
    if len(c.schema_path) >= 2 and c.schema_path[-2] == "propertyNames":
        return _KEY_LENGTH
    return _BY_KEYWORD.get(c.keyword) or Named(c.keyword)


def label_for(c: Constraint, value: Any = "") -> str:
    """The violation class of a payload breaking ``c`` with ``value``."""
    return rule_for(c).label_for(c, value)


def at_limit(c: Constraint, value: Any) -> bool:
    """Whether ``value`` at ``c``'s pointer in a valid payload sits on ``c``'s limit."""
    return rule_for(c).at_limit(c, value)
