"""Triage: a run's failures grouped into findings, one per root cause.

A check names the cause of each problem it reports (``Problem.cause``): the
server or client behaviour, worded without the field or value that showed it
(``answers 422 to invalid payloads``, ``accepts invalid values of tools``,
``Run lacks fields the request set``). Failures of one check with one cause
are one finding, which lists every constraint they touch. A failure without
a cause is a finding of its own. One rule sees across causes: when a target
accepted the invalid payloads of (nearly) every constraint it was sent, the
per-field "accepts invalid values of X" findings are one, "validates nothing".

No third-party imports, and none of runcontract's parts: ``_core``'s Report
calls ``group`` on its own failures and coverage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ACCEPTS_INVALID", "CRASHES", "VALIDATES_NOTHING", "Finding", "group", "signature"]

ACCEPTS_INVALID = "accepts invalid values of "
VALIDATES_NOTHING = "validates nothing: invalid payloads are accepted"
# A crash is one root cause whatever the payload was (a hang on stream: true is one finding whether the
# payload was valid or not): causes that start with this are grouped across checks.
CRASHES = "crashes"

# When a target accepted invalid payloads for at least this share of the
# constraints it was sent invalid payloads for, it validates nothing (the rest
# are the request's own, such as bodies that are not JSON, which its parser refuses).
_NOTHING_SHARE = 0.8


class _Failure(Protocol):
    check: str
    constraint: str | None
    message: str
    cause: str
    request: int
    label: str

    def to_dict(self) -> dict[str, Any]: ...


class _Coverage(Protocol):
    past: int


@dataclass
class Finding:
    """One root cause: its check, what is wrong, the constraints it touches, and every instance."""

    check: str
    summary: str
    constraints: list[str]
    count: int
    first_request: int
    example: Any  # the group's first Failure

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "summary": self.summary,
            "constraints": list(self.constraints),
            "count": self.count,
            "first_request": self.first_request,
            "example": self.example.to_dict(),
        }


def group(failures: Sequence[_Failure], coverage: Mapping[str, _Coverage] | None = None) -> list[Finding]:
    """The findings of ``failures``, in the order their root causes were first seen."""
    causes = [f.cause or "" for f in failures]
    if coverage is not None and _validates_nothing(failures, coverage):
        causes = [VALIDATES_NOTHING if c.startswith(ACCEPTS_INVALID) else c for c in causes]
    else:
        causes = _cover_accepted(failures, causes)
    groups: dict[tuple[str, str], list[_Failure]] = {}
    for failure, cause in zip(failures, causes, strict=True):
        # No cause: the failure is its own finding, keyed as the Report keys it.
        key = (failure.check, cause) if cause else (failure.check, f"\0{failure.constraint}\0{failure.message}")
        if cause.startswith(CRASHES):
            key = ("", cause)
        groups.setdefault(key, []).append(failure)
    findings = []
    for (_, cause), members in groups.items():
        members = sorted(members, key=lambda f: f.request or 0)
        check = members[0].check
        constraints = list(dict.fromkeys(f.constraint for f in members if f.constraint))
        summary = cause if not cause.startswith("\0") else members[0].message
        findings.append(
            Finding(
                check=check,
                summary=summary,
                constraints=constraints,
                count=len(members),
                first_request=min((f.request for f in members if f.request), default=0),
                example=members[0],
            )
        )
    findings.sort(key=lambda f: f.first_request or 1 << 62)
    return findings


def _cover_accepted(failures: Sequence[_Failure], causes: list[str]) -> list[str]:
    """Accepted invalid payloads grouped by field or by violation class, whichever explains more.

    A server that skips one field's validation accepts every class of value
    there; one that compares enums case-insensitively accepts one class in
    every field. Greedily, the group (a field, or a class) holding most of the
    failures not yet explained becomes a finding, until all are explained.
    """
    todo = {i for i, c in enumerate(causes) if c.startswith(ACCEPTS_INVALID)}
    out = list(causes)
    while todo:
        groups: dict[str, set[int]] = {}
        for i in todo:
            groups.setdefault(causes[i], set()).add(i)
            label = getattr(failures[i], "label", "")
            if label:
                groups.setdefault(f"accepts invalid {label} values", set()).add(i)
        # Most failures first; on a tie a field rather than a class.
        best = max(groups, key=lambda k: (len(groups[k]), k.startswith(ACCEPTS_INVALID), k))
        for i in groups[best]:
            out[i] = best
        todo -= groups[best]
    return out


def _validates_nothing(failures: Iterable[_Failure], coverage: Mapping[str, _Coverage]) -> bool:
    tried = {cid for cid, cov in coverage.items() if cov.past}
    accepted = {f.constraint for f in failures if (f.cause or "").startswith(ACCEPTS_INVALID) and f.constraint}
    return len(tried) >= 3 and len(accepted & tried) >= _NOTHING_SHARE * len(tried)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def signature(text: str, *, limit: int = 100) -> str:
    """``text`` with quoted values and numbers blanked: what stays the same when only the input changes."""
    out = _QUOTED.sub("'…'", text)
    out = _NUMBER.sub("N", out)
    out = _SPACE.sub(" ", out).strip()
    return out[:limit]
