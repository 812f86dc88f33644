"""Which catalogued limits a valid payload sits on: the valid side of boundary coverage.

Used by the tests ("every constraint is reached from both sides") and by the
generation benchmark (how boundary-heavy a generator is).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..contract import UNICODE, Constraint, Contract
from ._boundary import _CLASS_RE

__all__ = ["limits_reached", "values_at"]

_MISSING = object()


def values_at(payload: Any, pointer: str) -> Iterator[Any]:
    """Every value at a pointer template (``*`` is any array index or map key)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []
    yield from _walk(payload, parts)


def _walk(value: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(value, list):
            for v in value:
                yield from _walk(v, rest)
        elif isinstance(value, dict):
            for v in value.values():
                yield from _walk(v, rest)
    elif isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _at_limit(c: Constraint, value: Any) -> bool:
    kw, limit = c.keyword, c.limit
    names = len(c.schema_path) >= 2 and c.schema_path[-2] == "propertyNames"
    if names:
        return isinstance(value, dict) and any(_size(k, kw, limit) for k in value)
    if kw in ("minimum", "maximum"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == limit
    if kw in ("maxLength", "minLength"):
        return isinstance(value, str) and len(value) == limit
    if kw in ("maxItems", "minItems"):
        return isinstance(value, list) and len(value) == limit
    if kw in ("maxProperties", "minProperties"):
        return isinstance(value, dict) and len(value) == limit
    if kw == "pattern":
        m = _CLASS_RE.match(limit)
        if not isinstance(value, str) or not re.search(limit, value):
            return False
        return m is None or len(value) == int(m.group(3))
    if kw == "enum":
        return value in limit
    return True  # type, required, format, union markers ...: the value is there at all


def _size(key: str, kw: str, limit: int) -> bool:
    return len(key) == limit if kw in ("maxLength", "minLength") else True


def limits_reached(contract: Contract, payload: Any) -> set[str]:
    """Ids of the constraints whose limit (or, for type-like ones, whose field) ``payload`` reaches.

    Numbers equal to their bound, strings, lists and maps of exactly their
    length limit, keys of exactly the key limit, pattern matches of the longest
    allowed length, enum members, and for every other keyword the field being
    present; ``unicode`` counts when some text is astral-plane.
    """
    found: set[str] = set()
    for c in contract.catalogue:
        if c.id == UNICODE:
            if any(any(ord(ch) > 0xFFFF for ch in s) for s in _strings(payload)):
                found.add(c.id)
            continue
        if any(_at_limit(c, v) for v in values_at(payload, c.pointer)):
            found.add(c.id)
    return found
