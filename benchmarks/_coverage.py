"""The boundary-coverage classifier, applied identically to every tool's recorded payloads.

A recorded request counts only if it is a POST to a runs path whose body is
JSON. For each such payload and each catalogued constraint X of the contract
loaded from the published document:

- **past the limit (invalid side)**: ``contract.validate(payload)`` names X;
- **at the limit (valid side)**: the contract accepts the whole payload and
  some value at X's pointer (``*`` = any array index or map key) sits exactly
  on X's limit, as ``RULES`` says per keyword.

A constraint is *tried on both sides* once at least one payload was at its
limit and at least one past it. This is deliberately the same bar for every
tool; it is not runcontract's own coverage report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runcontract.contract import Constraint, Contract
from runcontract.strategies import _rules as rules  # the same at-limit test as runcontract's coverage

__all__ = ["RULES", "Coverage", "at_limit", "classify", "read_payloads", "values_at"]

RULES: tuple[tuple[str, str], ...] = (
    ("minimum, maximum", "a number (not a boolean) equal to the limit (temperature 2, max_num_results 50, tokens 256)"),
    ("exclusiveMinimum, exclusiveMaximum", "the nearest number inside the limit (integers: limit ± 1)"),
    ("minLength, maxLength", "a string of exactly the limit's length in code points (a 512-char metadata value)"),
    ("`*.keys.maxLength`", "an object with a key of exactly the limit's length (a 64-char metadata key)"),
    ("minItems, maxItems", "an array of exactly that many items (20 tools, 1 content part)"),
    ("minProperties, maxProperties", "an object with exactly that many pairs (16 metadata pairs)"),
    ("pattern", "a matching string; if the pattern ends in `{m,n}`, of exactly n code points (a 64-char name)"),
    ("enum", "a member of the enum (any member, of the same JSON type)"),
    ("type, required, format, additionalProperties, union tags", "the field present (the payload is valid)"),
    ("unicode (ours: no lone surrogates)", "some string holding an astral-plane character"),
)
_RUNS = re.compile(r"^/v1/threads/[^/]*/runs/?$")
_NONE = object()


def read_payloads(path: Path, limit: int | None = None) -> list[Any]:
    """Payloads of the first ``limit`` recorded requests (of any kind) that are JSON POSTs to a runs path."""
    out: list[Any] = []
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                break
            rec = json.loads(line)
            if rec["method"] != "POST" or not _RUNS.match(rec["path"].split("?")[0]) or rec["body"] is None:
                continue
            try:
                out.append(json.loads(rec["body"]))
            except (ValueError, RecursionError):  # not JSON, or a nesting probe deeper than Python parses
                continue
    return out


def values_at(payload: Any, pointer: str) -> Iterator[Any]:
    """Every value at a pointer template (``*``: any array index or map key)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []
    yield from _walk(payload, parts)


def _walk(value: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = value if isinstance(value, list) else value.values() if isinstance(value, dict) else ()
        for v in items:
            yield from _walk(v, rest)
    elif isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest)


def at_limit(c: Constraint, value: Any) -> bool:
    """Whether ``value`` (found at ``c``'s pointer in a valid payload) sits on ``c``'s limit: the rule table's test."""
    return rules.at_limit(c, value)


@dataclass
class Coverage:
    """Per constraint: payloads at the limit and payloads past it."""

    contract: Contract
    at: dict[str, int] = field(default_factory=dict)
    past: dict[str, int] = field(default_factory=dict)
    payloads: int = 0
    valid: int = 0

    def add(self, payload: Any) -> None:
        self.payloads += 1
        try:
            violations = self.contract.validate(payload)
        except Exception:  # a payload the validator cannot read at all names nothing
            return
        if violations:
            for cid in {v.constraint for v in violations}:
                self.past[cid] = self.past.get(cid, 0) + 1
            return
        self.valid += 1
        for c in self.contract.catalogue:
            if any(at_limit(c, v) for v in values_at(payload, c.pointer)):
                self.at[c.id] = self.at.get(c.id, 0) + 1

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.contract.catalogue]

    @property
    def both(self) -> set[str]:
        return {cid for cid in self.ids if self.at.get(cid) and self.past.get(cid)}

    @property
    def at_only(self) -> set[str]:
        return {cid for cid in self.ids if self.at.get(cid) and not self.past.get(cid)}

    @property
    def past_only(self) -> set[str]:
        return {cid for cid in self.ids if self.past.get(cid) and not self.at.get(cid)}


def classify(contract: Contract, payloads: Iterable[Any]) -> Coverage:
    cov = Coverage(contract)
    for p in payloads:
        cov.add(p)
    return cov
