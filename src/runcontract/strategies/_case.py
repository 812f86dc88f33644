"""A Case: one payload to send, with the verdict the contract gives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Case", "Expected"]

Expected = Literal["valid", "invalid"]


@dataclass(frozen=True)
class Case:
    """A payload, the thread it is sent to, and what the contract says of it.

    ``constraint`` is the catalogue id an invalid case breaks (None for valid
    cases); ``label`` names the violation class (``boundary``, ``wrong-type``,
    ``enum-near-miss``, ...) or, for valid cases, what the payload exercises.
    ``origin`` says where it came from: ``boundary``, ``random`` or ``replay``.
    ``covers`` lists the catalogue ids whose limit the payload sits at (a
    boundary-plan valid case combines many) or breaks (an invalid case: its
    ``constraint``); empty for random valid cases.
    """

    payload: Any
    thread_id: str = "thread_abc123"
    expected: Expected = "valid"
    constraint: str | None = None
    label: str = ""
    origin: str = "random"
    query: dict[str, Any] = field(default_factory=dict)
    covers: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.expected == "valid"
