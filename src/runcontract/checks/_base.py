"""What every check receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._core import Case, Exchange
from ..contract import Contract

__all__ = ["Check", "CheckContext", "Problem", "registry"]


@dataclass(frozen=True)
class Problem:
    """A check's finding: what is wrong, the constraint (or field) it concerns, and its root cause.

    ``cause`` words the behaviour without the field or value that showed it
    (``answers 422 to invalid payloads``): problems of one check with one cause
    are one finding (``runcontract._findings``). None: a finding of its own.
    """

    message: str
    constraint: str | None = None
    cause: str | None = None


@dataclass
class CheckContext:
    contract: Contract
    case: Case
    exchange: Exchange
    accepted_invalid: frozenset[int] = frozenset({400})
    # The case breaks a constraint of runcontract's own (source ``ours``) that the user did not
    # make strict: the server may accept or refuse it, only a 5xx, a reset or a hang fails.
    lenient: bool = False
    # Judge the echo exactly (a null must come back null, no default in its place).
    strict_echo: bool = False
    # Some plain thread id has reached the route on this target (False: none has yet, so an
    # encoded id's 404 is the same wrong URL, not a decoding router).
    plain_routed: bool = True
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def body_json(self) -> Any:
        """The answer's JSON body, or raises ValueError (parsed once)."""
        if not self._parsed:
            self._parsed = True
            try:
                self._json = self.exchange.json()
            except ValueError as exc:
                self._json = exc
        if isinstance(self._json, ValueError):
            raise self._json
        return self._json


Check = Callable[[CheckContext], "Problem | None"]


_C = TypeVar("_C", bound=Callable[..., Any])


def registry(*checks: _C) -> dict[str, _C]:
    """Checks by name, in order; the name is the function's own, so docs, options and code agree."""
    return {check.__name__: check for check in checks}
