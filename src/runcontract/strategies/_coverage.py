"""Which catalogued limits a valid payload sits on: the valid side of boundary coverage.

Used by the tests ("every constraint is reached from both sides") and by the
generation benchmark (how boundary-heavy a generator is).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..contract import Contract
from ._rules import at_limit

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


def limits_reached(contract: Contract, payload: Any) -> set[str]:
    """Ids of the constraints whose limit (or, for type-like ones, whose field) ``payload`` reaches.

    What "at the limit" means per keyword is the rule table's (``_rules``):
    numbers equal to their bound, strings, lists and maps of exactly their
    length limit, keys of exactly the key limit, pattern matches of the longest
    allowed length, enum members, and for every other keyword the field being
    present; ``unicode`` counts when some text is astral-plane.
    """
    return {c.id for c in contract.catalogue if any(at_limit(c, v) for v in values_at(payload, c.pointer))}
