"""Deterministic payloads at and just past every catalogued limit.

For each constraint this builds the smallest valid payload that puts the
constrained value exactly at its limit (``at``), and payloads that cross it by
the smallest step (``past``), each of which the contract rejects with exactly
that constraint. They are tried before any random generation, so a short run
covers every limit from both sides. Candidates are checked against the
contract's own validator, so a boundary case never carries a second, hidden
violation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

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
    discriminator,
    number_fields,
    type_matches,
)

__all__ = ["BoundaryCase", "boundary_cases", "minimal_instance"]

Side = Literal["at", "past"]


@dataclass(frozen=True)
class BoundaryCase:
    """A payload exactly at (valid) or just past (invalid) one constraint's limit."""

    constraint: str
    side: Side
    payload: dict[str, Any]
    note: str


_SAMPLES: tuple[Any, ...] = ("1", 1, 1.5, True, None, {}, [])
_HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "i": "\u0456"}
_CLASS_RE = re.compile(r"^\^(\[[^\]]+\])\{(\d+),(\d+)\}\$$")
_URL = "https://example.com/image.png"


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
            return _URL
        if "pattern" in schema:
            return _pattern_sample(schema["pattern"], "min")
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


def _pattern_sample(pattern: str, which: str) -> str:
    m = _CLASS_RE.match(pattern)
    if m:
        char = _class_chars(m.group(1))[0]
        return char * int(m.group(2) if which == "min" else m.group(3))
    from hypothesis import find  # only for patterns of other shapes
    from hypothesis import strategies as st

    return str(find(st.from_regex(pattern, fullmatch=True), lambda s: True))


def _class_chars(char_class: str) -> str:
    body = char_class[1:-1]
    for probe in ("a", "A", "0", "_", "-"):
        if re.fullmatch(char_class, probe):
            return probe + body
    return body


def _const(value: Any) -> Callable[[], Any]:
    return lambda: value


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _embed(schema: Schema, steps: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """A minimal instance of ``schema`` whose value at schema ``steps`` is ``make()``."""
    if not steps:
        return make()
    head = steps[0]
    if head == "properties":
        obj = minimal_instance(schema)
        obj[steps[1]] = _embed(schema["properties"][steps[1]], steps[2:], make)
        return obj
    if head == "items":
        return [_embed(schema["items"], steps[1:], make)]
    if head in ("anyOf", "oneOf"):
        return _embed(schema[head][steps[1]], steps[2:], make)
    if head == "additionalProperties":
        obj = minimal_instance(schema)
        obj["k"] = _embed(schema["additionalProperties"], steps[1:], make)
        return obj
    raise ValueError(f"cannot build a payload through schema step {head!r}")


def _wrong_types(allowed: Any) -> list[Any]:
    from ..contract import json_type

    return [s for s in _SAMPLES if not type_matches(allowed, json_type(s))]


def _near_misses(value: Any) -> list[Any]:
    if not isinstance(value, str):
        return [str(value)]
    out = []
    if value.upper() != value:
        out.append(value.upper())
    out += [f" {value}", f"{value} "]
    glyph = next((c for c in value if c in _HOMOGLYPHS), None)
    if glyph:
        out.append(value.replace(glyph, _HOMOGLYPHS[glyph], 1))
    out.append(value + "_x" if value else "x")
    return out


def _step_up(limit: float, integer: bool) -> list[Any]:
    return [int(limit) + 1] if integer else [math.nextafter(limit, math.inf), limit + 1]


def _step_down(limit: float, integer: bool) -> list[Any]:
    return [int(limit) - 1] if integer else [math.nextafter(limit, -math.inf), limit - 1]


def _values(c: Constraint, node: Schema) -> tuple[list[Any], list[Any]]:
    """(at values, past values) for the instance that ``node`` describes."""
    kw, limit = c.keyword, c.limit
    integer = node.get("type") == "integer"
    base = minimal_instance(node)
    if kw == "type":
        return [base], _wrong_types(limit)
    if kw == "enum":
        return list(limit), [m for v in limit for m in _near_misses(v)]
    # At the limit and one step inside it: 1.9999999999999998 shows a server
    # that rounds, 5e-324 one that flushes to zero.
    if kw == "minimum":
        at = [limit, _step_up(limit, integer)[0]]
        if integer and "maximum" not in node and "exclusiveMaximum" not in node:
            # No upper limit: the first integers a double cannot hold, and past int64.
            at += [2**53 + 1, 2**64 + 1]
        return at, _step_down(limit, integer)
    if kw == "maximum":
        return [limit, _step_down(limit, integer)[0]], _step_up(limit, integer)
    if kw == "exclusiveMinimum":
        return _step_up(limit, integer)[:1], [limit]
    if kw == "exclusiveMaximum":
        return _step_down(limit, integer)[:1], [limit]
    if kw == "multipleOf":
        return [limit * 3], [limit * 3 + limit / 2]
    if kw == "maxLength":
        return ["a" * limit, "\U0001f600" * limit], ["a" * (limit + 1), "\U0001f600" * (limit + 1)]
    if kw == "minLength":
        return ["a" * limit], ["a" * (limit - 1)] if limit else []
    if kw == "pattern":
        m = _CLASS_RE.match(limit)
        if m:
            chars, low, high = _class_chars(m.group(1)), int(m.group(2)), int(m.group(3))
            at = [chars[0] * high, chars[0] * low, (chars * high)[:high]]
            past = [chars[0] * (high + 1), "a b", chars[0] * max(low - 1, 0), "a.b"]
            return at, past
        return [_pattern_sample(limit, "min")], ["", " ", "a b", "\n", "!" * 65]
    if kw == "format":
        return [base], ["not a uri", "example.com/no-scheme", "http://exa mple.com"]
    item = minimal_instance(node.get("items", {}))
    if kw == "maxItems":
        return [[item] * limit], [[item] * (limit + 1)]
    if kw == "minItems":
        return [[item] * limit], [[item] * (limit - 1)] if limit else []
    if kw == "uniqueItems":
        return [[item]], [[item, item]]
    value = minimal_instance(node.get("additionalProperties") or {})
    if kw == "maxProperties":
        return [{**base, **{f"k{i}": value for i in range(limit)}}], [
            {**base, **{f"k{i}": value for i in range(limit + 1)}}
        ]
    if kw == "minProperties":
        return [{f"k{i}": value for i in range(limit)}], [{f"k{i}": value for i in range(limit - 1)}] if limit else []
    return [], []


def _cases(contract: Contract, c: Constraint) -> Iterator[tuple[Side, Any, str]]:
    root = contract.request_schema
    path = c.schema_path
    if c.id == UNICODE:
        field = next(n for n, s in root["properties"].items() if s.get("type") == "string")
        base = minimal_instance(root)
        yield "at", {**base, field: "asst_\U0001f600\u00e9\u2028"}, "astral and non-ASCII text"
        yield "past", {**base, field: "asst_\ud800"}, "lone surrogate"
        return
    if c.id == JSON_NUMBER:
        base = minimal_instance(root)
        for number, branch in number_fields(root)[:1]:
            # At the limit: a float JSON carries (-0.0 where zero is allowed, else an integral float).
            for finite in (-0.0, float(minimal_instance(branch))):
                if contract.is_valid({**base, number: finite}):
                    yield "at", {**base, number: finite}, repr(finite)
                    break
            yield "past", {**base, number: math.nan}, "NaN"
            yield "past", {**base, number: math.inf}, "Infinity"
        return
    marker = path[-1]
    if marker in (UNION_TYPE, UNION_TAG, UNION_TAG_REQUIRED):
        upath = path[:-2]
        union = _at(root, path[:-1])
        branches = [b for b in union if b != NULL] + [b for b in union if b == NULL]
        tag = discriminator(branches)
        if marker == UNION_TYPE:
            for b in branches:
                yield "at", _embed(root, upath, _const(minimal_instance(b))), f"a {b.get('type')}"
            for wrong in _wrong_types(c.limit):
                yield "past", _embed(root, upath, _const(wrong)), f"a {type(wrong).__name__}"
            return
        tagged = [b for b in branches if b.get("type") == "object"]
        for b in tagged:
            yield "at", _embed(root, upath, _const(minimal_instance(b))), f"{tag}={b['properties'][tag]['enum'][0]}"
        first = minimal_instance(tagged[0])
        if marker == UNION_TAG:
            known = set(c.limit)
            for miss in ["retrieval", *_near_misses(first[tag])]:
                if miss not in known:
                    yield "past", _embed(root, upath, _const({**first, tag: miss})), f"{tag}={miss!r}"
        else:
            yield "past", _embed(root, upath, lambda: {k: v for k, v in first.items() if k != tag}), f"no {tag}"
        return
    if c.keyword == "required":
        obj_path, name = path[:-2], path[-1]
        node = _at(root, obj_path)
        yield "at", _embed(root, obj_path, lambda: minimal_instance(node)), f"with {name}"
        yield (
            "past",
            _embed(root, obj_path, lambda: {k: v for k, v in minimal_instance(node).items() if k != name}),
            (f"without {name}"),
        )
        return
    if c.keyword == "additionalProperties":
        obj_path = path[:-1]
        node = _at(root, obj_path)
        yield "at", _embed(root, obj_path, lambda: minimal_instance(node)), "known properties only"
        yield (
            "past",
            _embed(root, obj_path, lambda: {**minimal_instance(node), "unexpected_field": 1}),
            "unknown property",
        )
        return
    if len(path) >= 2 and path[-2] == "propertyNames":
        obj_path = path[:-2]
        node = _at(root, obj_path)
        value = minimal_instance(node.get("additionalProperties") or {})
        limit = c.limit
        if c.keyword == "maxLength":
            yield "at", _embed(root, obj_path, lambda: {"k" * limit: value}), f"{limit}-char key"
            yield "at", _embed(root, obj_path, lambda: {"\U0001f600" * limit: value}), f"{limit}-char astral key"
            yield "past", _embed(root, obj_path, lambda: {"k" * (limit + 1): value}), f"{limit + 1}-char key"
            yield (
                "past",
                _embed(root, obj_path, lambda: {"\U0001f600" * (limit + 1): value}),
                (f"{limit + 1}-char astral key"),
            )
        return
    node_path = path[:-1]
    node = _at(root, node_path)
    at, past = _values(c, node)
    for v in at:
        yield "at", _embed(root, node_path, _const(v)), _describe(v)
    for v in past:
        yield "past", _embed(root, node_path, _const(v)), _describe(v)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"{len(value)}-char string" if len(value) > 12 else repr(value)
    if isinstance(value, (list, dict)):
        return f"{len(value)} {'items' if isinstance(value, list) else 'pairs'}"
    return repr(value)


def boundary_cases(contract: Contract) -> list[BoundaryCase]:
    """Every constraint at and just past its limit, checked by the validator.

    A candidate is kept only if it is valid (``at``) or breaks exactly its own
    constraint (``past``): a past case never carries a second violation.
    """
    out: list[BoundaryCase] = []
    for c in contract.catalogue:
        for side, payload, note in _cases(contract, c):
            if side == "at":
                ok = contract.is_valid(payload)
            else:
                ok = [v.constraint for v in contract.validate(payload)] == [c.id]
            if ok:
                out.append(BoundaryCase(c.id, side, payload, note))
    return out
