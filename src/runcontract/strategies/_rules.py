"""The keyword-rule table: per JSON-Schema keyword (and union kind), its violation label and its at-limit test.

One small class per kind of constraint; ``rule_for(constraint)`` picks it. The
boundary coverage (``_coverage.limits_reached``), the benchmarks' classifier
(``benchmarks/_coverage.py``) and the labels of invalid cases
(``label_for``) all read this table, so a keyword's meaning lives in one place.

Not yet here (still in ``_boundary`` and ``_build``): each keyword's at / past
values and its random violations; they move into these classes next, as
``at_values``, ``past_values`` and ``violations`` methods.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sized
from typing import Any, cast

from ..contract import UNICODE, UNION_TAG, UNION_TAG_REQUIRED, Constraint

__all__ = ["Rule", "at_limit", "label_for", "near_misses", "rule_for", "strings_in"]

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


class Rule:
    """A kind of constraint. Subclasses override what differs; the default: the field being present."""

    label = ""

    def label_for(self, c: Constraint, value: Any) -> str:
        """The violation class of a payload breaking ``c`` with ``value`` at its pointer."""
        return self.label or c.keyword

    def at_limit(self, c: Constraint, value: Any) -> bool:
        """Whether ``value`` (at ``c``'s pointer in a valid payload) sits on ``c``'s limit."""
        return True  # type, required, format, union markers: the value is there at all


class Bound(Rule):
    label = "out-of-range"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return _number(value) and value == c.limit


class ExclusiveBound(Rule):
    label = "out-of-range"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        # The nearest number inside the limit (integers: limit +- 1).
        toward = math.inf if c.keyword == "exclusiveMinimum" else -math.inf
        step = 1 if c.keyword == "exclusiveMinimum" else -1
        return _number(value) and value in (c.limit + step, math.nextafter(c.limit, toward))


class Size(Rule):
    """min/max length, items and properties: exactly the limit's size, of the right JSON type."""

    def __init__(self, kind: type, long: str, short: str) -> None:
        self.kind, self.long, self.short = kind, long, short

    def label_for(self, c: Constraint, value: Any) -> str:
        return self.long if c.keyword.startswith("max") else self.short

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return isinstance(value, self.kind) and len(cast("Sized", value)) == c.limit


class KeyLength(Size):
    """``propertyNames`` limits: the pointer is the map, the limit is on its keys."""

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return isinstance(value, dict) and any(isinstance(k, str) and len(k) == c.limit for k in value)


class Pattern(Rule):
    label = "pattern-mismatch"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        if not isinstance(value, str) or not re.search(c.limit, value):
            return False
        m = _QUANTIFIER.search(c.limit)  # ends in {m,n}: the longest match
        return m is None or len(value) == int(m.group(2))


class Enum(Rule):
    miss = "unknown-value"

    def label_for(self, c: Constraint, value: Any) -> str:
        return "enum-near-miss" if value in near_misses(list(c.limit)) else self.miss

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return any(value == member and type(value) is type(member) for member in c.limit)


class UnionTag(Enum):
    miss = "unknown-tag"


class Type(Rule):
    def label_for(self, c: Constraint, value: Any) -> str:
        return "null-not-nullable" if value is None else "wrong-type"


class Unicode(Rule):
    """Ours: no lone surrogates. At the limit: some text outside the Basic Multilingual Plane."""

    label = "lone-surrogate"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return any(any(ord(ch) > 0xFFFF for ch in s) for s in strings_in(value))


class JsonNumber(Rule):
    """The body is JSON: NaN and Infinity are not. At the limit: a float JSON can carry, such as -0.0."""

    label = "non-finite"

    def at_limit(self, c: Constraint, value: Any) -> bool:
        return any(isinstance(v, float) and math.isfinite(v) for v in _leaves(value))


class Named(Rule):
    def __init__(self, label: str) -> None:
        self.label = label


_BY_KEYWORD: dict[str, Rule] = {
    "type": Type(),
    "enum": Enum(),
    "required": Named("missing-required"),
    "additionalProperties": Named("unknown-property"),
    "minimum": Bound(),
    "maximum": Bound(),
    "exclusiveMinimum": ExclusiveBound(),
    "exclusiveMaximum": ExclusiveBound(),
    "minLength": Size(str, "too-long", "too-short"),
    "maxLength": Size(str, "too-long", "too-short"),
    "pattern": Pattern(),
    "format": Named("bad-format"),
    "minItems": Size(list, "too-many-items", "too-few-items"),
    "maxItems": Size(list, "too-many-items", "too-few-items"),
    "uniqueItems": Named("duplicate-items"),
    "minProperties": Size(dict, "too-many-properties", "too-few-properties"),
    "maxProperties": Size(dict, "too-many-properties", "too-few-properties"),
    "multipleOf": Named("not-multiple"),
    "json": JsonNumber(),
}
_UNICODE = Unicode()
_TAG = UnionTag()
_TAG_REQUIRED = Named("missing-required")
_KEY_LENGTH = KeyLength(dict, "too-long", "too-short")


def rule_for(c: Constraint) -> Rule:
    """The rule for ``c``: by union marker, ``propertyNames`` or ``unicode`` first, then by keyword."""
    marker = c.schema_path[-1] if c.schema_path else ""
    if c.id == UNICODE:
        return _UNICODE
    if marker == UNION_TAG:
        return _TAG
    if marker == UNION_TAG_REQUIRED:
        return _TAG_REQUIRED
    if len(c.schema_path) >= 2 and c.schema_path[-2] == "propertyNames":
        return _KEY_LENGTH
    return _BY_KEYWORD.get(c.keyword) or Named(c.keyword)


def label_for(c: Constraint, value: Any = "") -> str:
    """The violation class of a payload breaking ``c`` with ``value``."""
    return rule_for(c).label_for(c, value)


def at_limit(c: Constraint, value: Any) -> bool:
    """Whether ``value`` at ``c``'s pointer in a valid payload sits on ``c``'s limit."""
    return rule_for(c).at_limit(c, value)
