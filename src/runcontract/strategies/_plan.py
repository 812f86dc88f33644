"""The boundary plan: every limit from both sides in about 150 requests.

``boundary_cases`` gives, per constraint, payloads at its limit (valid) and
just past it (invalid). Sending all of them costs ~750 requests; the plan
instead *combines* the valid ones, greedily, into as few payloads as the
contract accepts (one payload holds a 64-char metadata key, a 512-char value,
temperature 2, top_p 0, 20 tools ...), and keeps one invalid payload per
constraint (then more, round-robin, while the budget lasts), so that each
invalid request still breaks exactly one constraint.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from hypothesis import example
from hypothesis import strategies as st

from .._core import Case
from .._errors import UsageError
from ..contract import Contract
from ._api import resolve_contract
from ._boundary import BoundaryCase, boundary_cases, minimal_instance
from ._registry import THREAD_ID, FieldRegistry, resolve_registered
from ._rules import label_for
from ._values import RESERVED_THREAD_IDS

__all__ = ["boundary_examples", "boundary_plan", "boundary_requests", "with_registered_ids"]

DEFAULT_MAX_CASES = 200
_CONFLICT = object()
_PLANS: dict[tuple[int, int], tuple[weakref.ref[Contract], list[Case]]] = {}
F = TypeVar("F", bound=Callable[..., Any])


def _matches(pointer: str, template: str) -> bool:
    parts, pats = pointer.split("/"), template.split("/")
    return len(parts) == len(pats) and all(q in ("*", p) for p, q in zip(parts, pats, strict=True))


def _merge(a: Any, b: Any, pointer: str, frozen: list[str]) -> Any:
    """Deep-merge two payloads: maps join, lists concatenate, scalars must be equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        if any(_matches(pointer, t) for t in frozen) and a != b:
            return _CONFLICT
        out = dict(a)
        for key, value in b.items():
            if key in out:
                merged = _merge(out[key], value, f"{pointer}/{key}", frozen)
                if merged is _CONFLICT:
                    return _CONFLICT
                out[key] = merged
            else:
                out[key] = value
        return out
    if isinstance(a, list) and isinstance(b, list):
        if a == b:
            return a
        # A list at its minItems limit must not grow, or it is no longer at the limit.
        return _CONFLICT if any(_matches(pointer, t) for t in frozen) else a + b
    if type(a) is type(b) and a == b:
        return a
    return _CONFLICT


def _all_null(contract: Contract) -> dict[str, Any]:
    """The minimal payload with every nullable top-level field set to null."""
    root = contract.request_schema
    payload: dict[str, Any] = minimal_instance(root)
    for name, sub in root.get("properties", {}).items():
        branches = sub.get("anyOf") or sub.get("oneOf") or ()
        if {"type": "null"} in branches:
            payload[name] = None
    return payload


def _combine(contract: Contract, at: list[BoundaryCase]) -> list[tuple[dict[str, Any], list[str]]]:
    frozen = [c.pointer for c in contract.catalogue if c.keyword in ("minItems", "minProperties")]
    bins: list[tuple[dict[str, Any], list[str]]] = []
    for seed in (minimal_instance(contract.request_schema), _all_null(contract)):
        if contract.is_valid(seed) and all(seed != b for b, _ in bins):
            bins.append((seed, []))
    for case in at:
        for i, (payload, covers) in enumerate(bins):
            merged = _merge(payload, case.payload, "", frozen)
            if merged is not _CONFLICT and contract.is_valid(merged):
                bins[i] = (merged, covers if case.constraint in covers else [*covers, case.constraint])
                break
        else:
            bins.append((case.payload, [case.constraint]))
    return bins


def _value_at(payload: Any, pointer: str) -> Any:
    """The first value at a ``*`` pointer template (for labelling), or "" when absent."""
    values = [payload]
    for part in [p for p in pointer.split("/") if p]:
        nxt: list[Any] = []
        for v in values:
            if part == "*" and isinstance(v, (list, dict)):
                nxt += list(v.values()) if isinstance(v, dict) else v
            elif isinstance(v, dict) and part in v:
                nxt.append(v[part])
        values = nxt
    return values[0] if values else ""


def boundary_plan(contract: Contract | None = None, *, max_cases: int = DEFAULT_MAX_CASES) -> list[Case]:
    """The ordered boundary cases to send before any random ones.

    First a few valid payloads that combine every at-limit value the contract
    accepts together (each Case's ``covers`` lists the constraints it sits
    on), then one payload just past each catalogued constraint (``expected``
    ``"invalid"``, ``constraint`` its id, ``label`` the violation class), then
    further past-limit variants round-robin up to ``max_cases``. For the bundled
    v2 contract (119 constraints) that is every limit from both sides in at
    most 200 requests. Deterministic, and computed once per contract.
    """
    if isinstance(max_cases, bool) or not isinstance(max_cases, int) or max_cases < 1:
        raise UsageError(f"max_cases must be a positive integer, not {max_cases!r:.80}")
    contract = resolve_contract(contract)
    key = (id(contract), max_cases)
    hit = _PLANS.get(key)
    if hit is not None and hit[0]() is contract:
        return list(hit[1])
    plan = _build_plan(contract, max_cases)
    _PLANS[key] = (weakref.ref(contract), plan)
    return list(plan)


def _build_plan(contract: Contract, max_cases: int) -> list[Case]:
    cases = boundary_cases(contract)
    valid = [
        Case(payload, expected="valid", label="boundary-at", origin="boundary", covers=tuple(covers))
        for payload, covers in _combine(contract, [c for c in cases if c.side == "at"])
    ]
    # Thread ids a client must percent-encode and a server must decode once, on a minimal payload.
    minimal = min((b.payload for b in cases if b.side == "at"), key=lambda p: len(json.dumps(p, default=str)))
    valid += [
        Case(minimal, thread_id=tid, expected="valid", label="thread-id", origin="boundary")
        for tid in RESERVED_THREAD_IDS
    ]
    past: dict[str, list[Case]] = {}
    for b in cases:
        if b.side == "past":
            constraint = contract.catalogue[b.constraint]
            value = None if b.note == "a NoneType" else _value_at(b.payload, constraint.pointer)
            label = label_for(constraint, value)
            case = Case(b.payload, expected="invalid", constraint=b.constraint, label=label, origin="boundary")
            past.setdefault(b.constraint, []).append(replace(case, covers=(b.constraint,)))
    for cid, variants in past.items():
        # One of each violation class first (null as well as a wrong type), then the rest.
        firsts = {v.label: v for v in reversed(variants)}
        past[cid] = [*firsts.values(), *(v for v in variants if firsts[v.label] is not v)]
    needed = len(valid) + len(past)
    if needed > max_cases:
        raise UsageError(
            f"max_cases={max_cases} is too small for the {contract.version} contract: "
            f"both sides of every limit take {needed} cases"
        )
    invalid: list[Case] = []
    depth = 0
    while len(valid) + len(invalid) < max_cases and any(depth < len(v) for v in past.values()):
        for variants in past.values():
            if depth < len(variants) and len(valid) + len(invalid) < max_cases:
                invalid.append(variants[depth])
        depth += 1
    return valid + invalid


def boundary_requests(
    contract: Contract | None = None, *, max_cases: int = DEFAULT_MAX_CASES
) -> st.SearchStrategy[Case]:
    """A strategy over :func:`boundary_plan`'s cases; shrinks towards the first (combined valid) one.

    To have them tried first, in order, before random generation, decorate the
    test with :func:`boundary_examples` (or iterate ``boundary_plan`` yourself,
    as the runner does).
    """
    return st.sampled_from(boundary_plan(contract, max_cases=max_cases))


def boundary_examples(
    contract: Contract | None = None, *, argname: str = "case", max_cases: int = DEFAULT_MAX_CASES
) -> Callable[[F], F]:
    """Decorator: every boundary-plan case as a Hypothesis ``@example``, run first and in plan order.

    ::

        @boundary_examples(argname="case")
        @given(case=requests())
        def test_endpoint(case): ...
    """
    if not isinstance(argname, str) or not argname.isidentifier():
        raise UsageError(f"argname must be the name of the test's Case argument, not {argname!r:.80}")
    plan = boundary_plan(contract, max_cases=max_cases)

    def decorate(test: F) -> F:
        # Hypothesis runs stacked @example decorators top-down, i.e. last applied first.
        for case in reversed(plan):
            test = example(**{argname: case})(test)
        return test

    return decorate


def with_registered_ids(
    cases: list[Case], registry: FieldRegistry | None = None, *, contract: Contract | None = None
) -> list[Case]:
    """The plan with ids that must exist on the target taken from the registry.

    Where ``assistant_id`` (or ``thread_id``) is registered, every case that is
    not about that field uses the registration's simplest value, so a staging
    target does not refuse the whole plan for unknown ids; the cases that try
    unusual thread ids are dropped, as such threads cannot exist there. A
    substitution that would change what the contract says of a case (the
    lone surrogate placed in ``assistant_id``) is not made.
    """
    contract = resolve_contract(contract)
    assistant = resolve_registered("assistant_id", registry)
    thread = resolve_registered(THREAD_ID, registry)
    if assistant is None and thread is None:
        return cases
    out = []
    for case in cases:
        if thread is not None and case.label == "thread-id":
            continue
        payload = case.payload
        about_assistant = bool(case.constraint and case.constraint.startswith("assistant_id"))
        if assistant is not None and not about_assistant and isinstance(payload, dict):
            if isinstance(payload.get("assistant_id"), str):
                swapped = {**payload, "assistant_id": assistant}
                if _verdict(contract, swapped) == _verdict(contract, payload):
                    payload = swapped
        out.append(replace(case, payload=payload, thread_id=thread if thread is not None else case.thread_id))
    return out


def _verdict(contract: Contract, payload: Any) -> list[str]:
    return sorted(v.constraint for v in contract.validate(payload))
