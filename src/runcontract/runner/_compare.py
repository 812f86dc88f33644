"""One payload stream through several clients, side by side: what each does with each field.

``compare_clients({"openai 3.x": send_a, "wrapper": send_b}, contract)`` sends
the same cases (the boundary plan, then ``max_examples`` random ones drawn
with ``seed``) through every client, each behind its own recorder, and tallies
per field of the contract and per client what became of the field in the
payloads that held it:

- valid payloads the client sent: ``exact`` (arrived meaning the same, by the
  fidelity rules of ``serialization_fidelity``), ``changed``, ``dropped``,
  ``cannot express`` (declared by the adapter);
- invalid payloads breaking a constraint of the field: how many the client
  refused (it validates) and how many it sent.

How each call ended is the first row, ``(call)``: over the valid payloads,
``sent``, ``refused``, ``crashed`` or ``cannot express`` (the adapter said so
for the whole payload). A refused or unsendable payload says nothing about
one field, so it is counted there only.

Each row also carries the contract's verdict: ``agree`` when every client
carried every valid value exactly, else which clients differ and how.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core import Case
from ..checks import fidelity_difference, sent_payload
from ..contract import Contract
from ..drivers import SendFn
from ._client import ClientSubject
from ._client_cases import boundary_examples, case_strategy

__all__ = ["CALL", "STATUSES", "Comparison", "compare_clients"]

# Worst first: the cell shows its worst status with the count.
STATUSES = ("crashed", "dropped", "changed", "refused", "cannot express", "exact", "sent")
CALL = "(call)"


@dataclass
class Cell:
    """What one client did with one field: counts per status (valid payloads) and per verdict (invalid)."""

    counts: dict[str, int] = field(default_factory=dict)
    invalid_refused: int = 0
    invalid_sent: int = 0
    example: Any = None  # the first valid payload that was not carried exactly

    @property
    def status(self) -> str:
        for status in STATUSES:
            if self.counts.get(status):
                return status
        return "not sent"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "counts": dict(self.counts),
            "invalid_refused": self.invalid_refused,
            "invalid_sent": self.invalid_sent,
            "example": self.example,
        }


@dataclass
class Comparison:
    """The matrix: ``cells[field][client]``, and the number of cases every client was given."""

    contract: str
    clients: list[str]
    fields: list[str]
    cases: int = 0
    seed: int | None = None
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)

    def verdict(self, name: str) -> str:
        """The contract's verdict on a row: ``agree``, or each client that did not carry the field exactly."""
        wrong = [
            f"{client} {cell.status}"
            for client, cell in self.cells[name].items()
            if cell.status not in ("exact", "sent", "not sent")
        ]
        return "agree" if not wrong else "differ: " + "; ".join(wrong)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "clients": list(self.clients),
            "cases": self.cases,
            "seed": self.seed,
            "rows": [
                {
                    "field": name,
                    "verdict": self.verdict(name),
                    "cells": {client: cell.to_dict() for client, cell in self.cells[name].items()},
                }
                for name in self.fields
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=True, default=str)


def _draw(contract: Contract, count: int, seed: int) -> list[Case]:
    """``count`` random cases from the shared strategy, the same list for the same seed."""
    if count <= 0:
        return []
    from hypothesis import Phase, given, settings
    from hypothesis import seed as seed_

    drawn: list[Case] = []

    @seed_(seed)
    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None)
    @given(case_strategy(contract))
    def collect(case: Case) -> None:
        drawn.append(case)

    collect()
    return drawn[:count]


_CALL_STATUS = {"sent": "sent", "rejected": "refused", "crashed": "crashed", "unsupported": "cannot express"}


def _field_status(contract: Contract, subject: ClientSubject, name: str, sent: Any, got: Any) -> str:
    if name in subject.cannot_express:
        return "cannot express"
    if not isinstance(got, dict):
        return "dropped"
    one = {name: sent[name]}
    found = fidelity_difference(
        contract, one, {name: got[name]} if name in got else {}, strict_nulls=subject.strict_nulls
    )
    if found is None:
        return "exact"
    return "dropped" if "dropped" in found[1] else "changed"


def _tally(cell: Cell, status: str, payload: Any) -> None:
    cell.counts[status] = cell.counts.get(status, 0) + 1
    if status not in ("exact", "sent") and cell.example is None:
        cell.example = payload


def compare_clients(
    clients: Mapping[str, SendFn],
    contract: Contract,
    *,
    max_examples: int = 50,
    seed: int = 0,
    boundary: bool = True,
    call_timeout: float = 30.0,
    strict_nulls: bool = False,
) -> Comparison:
    """Send one payload stream through every client in ``clients`` (name -> send); return the matrix."""
    cases = [*(boundary_examples(contract) if boundary else ()), *_draw(contract, max_examples, seed)]
    fields = [CALL, *contract.request_schema.get("properties", {})]
    comparison = Comparison(
        contract=f"{contract.version} ({contract.source})", clients=list(clients), fields=fields, seed=seed
    )
    comparison.cells = {name: {client: Cell() for client in clients} for name in fields}
    subjects = {
        client: ClientSubject(send, contract, name=client, call_timeout=call_timeout, strict_nulls=strict_nulls)
        for client, send in clients.items()
    }
    try:
        for case in cases:
            if not isinstance(case.payload, dict):
                continue
            comparison.cases += 1
            for client, subject in subjects.items():
                outcome, requests = subject.call(case)
                _parsed, got = sent_payload(requests) if outcome == "sent" else (False, None)
                if case.valid:
                    _tally(comparison.cells[CALL][client], _CALL_STATUS[outcome], case.payload)
                for name in fields[1:]:
                    if name not in case.payload:
                        continue
                    cell = comparison.cells[name][client]
                    if not case.valid:
                        if (case.constraint or "").split(".", 1)[0] == name:
                            if outcome == "sent":
                                cell.invalid_sent += 1
                            else:
                                cell.invalid_refused += 1
                    elif outcome == "sent":
                        _tally(cell, _field_status(contract, subject, name, case.payload, got), case.payload)
    finally:
        for subject in subjects.values():
            subject.close()
    return comparison
