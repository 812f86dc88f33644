"""Deterministic payloads at and just past every catalogued limit.

For each constraint its rule (``_rules.rule_for``) proposes the smallest valid
payloads that put the constrained value exactly at its limit or one step
inside it (``at``), and payloads that cross it by the smallest step
(``past``). They are tried before any random generation, so a short run covers
every limit from both sides. Candidates are checked against the contract's own
validator, so a boundary case never carries a second, hidden violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contract import Contract
from ._minimal import minimal_instance
from ._rules import Side, rule_for

__all__ = ["BoundaryCase", "boundary_cases", "minimal_instance"]


@dataclass(frozen=True)
class BoundaryCase:
    """A payload exactly at (valid) or just past (invalid) one constraint's limit."""

    constraint: str
    side: Side
    payload: dict[str, Any]
    note: str


def boundary_cases(contract: Contract) -> list[BoundaryCase]:
    """Every constraint at and just past its limit, checked by the validator.

    A candidate is kept only if it is valid (``at``) or breaks exactly its own
    constraint (``past``): a past case never carries a second violation.
    """
    out: list[BoundaryCase] = []
    for c in contract.catalogue:
        for side, payload, note in rule_for(c).cases(contract, c):
            if side == "at":
                ok = contract.is_valid(payload)
            else:
                ok = [v.constraint for v in contract.validate(payload)] == [c.id]
            if ok:
                out.append(BoundaryCase(c.id, side, payload, note))
    return out
