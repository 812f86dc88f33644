"""The public strategies: valid, invalid and mixed CreateRunRequest payloads.

Every function checks its options when it is called (like Hypothesis's own
strategies), raising ``UsageError`` naming the bad value, and compiles the
contract's schema once: strategies are cached per contract and overrides.
"""

from __future__ import annotations

import fnmatch
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache, partial
from typing import Any

from hypothesis import strategies as st

from .._core import Case
from .._errors import UsageError
from ..contract import Contract, load_contract, walk_fields
from ._build import Builder
from ._registry import THREAD_ID, FieldRegistry, check_strategy, current_registry
from ._rules import Strategy
from ._values import choice, thread_ids

__all__ = ["compiled", "invalid_requests", "requests", "resolve_contract", "valid_requests"]


@lru_cache(maxsize=1)
def _default_contract() -> Contract:
    return load_contract()


def resolve_contract(contract: object) -> Contract:
    """``contract``, or the bundled v2 contract for None; a UsageError for anything else."""
    if contract is None:
        return _default_contract()
    if not isinstance(contract, Contract):
        raise UsageError(f"contract must be a runcontract Contract (from load_contract(...)), not {contract!r:.80}")
    return contract


class _Compiled:
    """One contract's builder plus the strategies made from it."""

    def __init__(self, contract: Contract, overrides: dict[str, Strategy]) -> None:
        self.builder = Builder(contract, overrides)
        self.overrides = overrides  # keeps the override strategies (and their ids in the key) alive
        self._valid: Strategy | None = None
        self._invalid: dict[str, Strategy] = {}
        self._lock = threading.Lock()

    @property
    def valid(self) -> Strategy:
        if self._valid is None:
            self._valid = self.builder.valid(self.builder.root)
        return self._valid

    def invalid(self, constraint_id: str) -> Strategy:
        """Payloads breaking exactly ``constraint_id``, each labelled: a strategy of (label, payload)."""
        with self._lock:
            if constraint_id not in self._invalid:
                contract = self.builder.contract
                c = contract.catalogue[constraint_id]
                try:
                    violations = self.builder.violations(c)
                except ValueError:  # behind a keyword the walker cannot build through (allOf, not, ...)
                    violations = []
                branches = [payloads.map(partial(_pair, label)) for label, payloads in violations]
                if not branches:
                    self._invalid[constraint_id] = st.nothing()
                else:

                    def only(pair: tuple[str, Any], cid: str = constraint_id) -> bool:
                        return [v.constraint for v in contract.validate(pair[1])] == [cid]

                    self._invalid[constraint_id] = st.one_of(branches).filter(only)
            return self._invalid[constraint_id]


_CACHE: OrderedDict[tuple[Any, ...], tuple[weakref.ref[Contract], _Compiled]] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def compiled(contract: Contract, overrides: dict[str, Strategy]) -> _Compiled:
    key = (id(contract), *sorted((name, id(s)) for name, s in overrides.items()))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is contract:
            _CACHE.move_to_end(key)
            return hit[1]
        made = _Compiled(contract, overrides)
        _CACHE[key] = (weakref.ref(contract), made)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return made


def _field_paths(contract: Contract) -> set[str]:
    return {field for field, _, _ in walk_fields(contract.request_schema) if field}


def _overrides(
    contract: Contract, registry: FieldRegistry | None, field_overrides: dict[str, Any]
) -> dict[str, Strategy]:
    if registry is not None and not isinstance(registry, FieldRegistry):
        raise UsageError(f"registry must be a FieldRegistry, not {registry!r:.80}")
    known = _field_paths(contract)
    top = set(contract.request_schema.get("properties", {}))
    for name, value in field_overrides.items():
        if name not in top:
            raise UsageError(
                f"unknown field {name!r} for the {contract.version} contract ({contract.source}); "
                f"fields: {', '.join(sorted(top))}"
            )
        check_strategy(name, value)
    # A registry is shared between contracts: entries for fields this one lacks are ignored.
    registered = {
        k: v for k, v in (registry if registry is not None else current_registry()).as_dict().items() if k in known
    }
    return {**registered, **field_overrides}


def valid_requests(
    contract: Contract | None = None, *, registry: FieldRegistry | None = None, **field_overrides: Any
) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads (dicts) that ``contract`` accepts, boundary-heavy.

    ``contract`` defaults to the bundled v2 contract; pass ``load_contract(path)``
    for a published document. Top-level fields can be drawn from your own
    strategies (``assistant_id=st.just("asst_x")``); nested fields and
    ``thread_id`` come from the ``registry`` (default: the current one, see
    :func:`register_field`). Overrides replace the value, not its presence: an
    optional field stays optional.

    Besides ordinary values it draws what breaks real code: null for nullable
    fields, empty lists and maps, exactly 16 metadata pairs, 64-character keys
    and 512-character values, non-ASCII, astral and JSON-special text, token
    limits far above 2**53, temperatures 0 and 2, 20 tools, function names of 1
    and 64 characters and nested function-parameter schemas.

    Shrinking: optional fields are dropped, unions fall back to their simplest
    branch (null, then scalars, then containers), lists and maps lose elements
    and strings shrink to ``""`` or a run of ``a``: the minimal payload is
    ``{"assistant_id": ""}``.
    """
    contract = resolve_contract(contract)
    return compiled(contract, _overrides(contract, registry, field_overrides)).valid


def _constraint_ids(contract: Contract, constraints: object) -> list[str]:
    ids = contract.catalogue.ids
    if constraints is None:
        return ids
    if isinstance(constraints, str) or not isinstance(constraints, Iterable):
        raise UsageError(f"constraints must be a list of catalogue ids or glob patterns, not {constraints!r:.80}")
    chosen: list[str] = []
    for item in constraints:
        if not isinstance(item, str):
            raise UsageError(f"constraint {item!r:.80} is not a catalogue id")
        matched = [cid for cid in ids if cid == item or fnmatch.fnmatchcase(cid, item)]
        if not matched:
            close = [cid for cid in ids if item.split(".")[0] in cid][:5]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UsageError(f"unknown constraint {item!r} in the {contract.version} contract{hint}")
        chosen += [cid for cid in matched if cid not in chosen]
    if not chosen:
        raise UsageError("constraints is empty: name at least one catalogue id")
    return chosen


def _threads(registry: FieldRegistry | None, thread_id: object) -> st.SearchStrategy[str]:
    if thread_id is not None:
        return check_strategy(THREAD_ID, thread_id)
    return thread_ids(registry=registry)


def invalid_requests(
    contract: Contract | None = None,
    *,
    constraints: Iterable[str] | None = None,
    registry: FieldRegistry | None = None,
    thread_id: st.SearchStrategy[str] | None = None,
    **field_overrides: Any,
) -> st.SearchStrategy[Case]:
    """Cases whose payload breaks exactly one catalogued constraint (checked by the validator).

    Each :class:`Case` has ``expected="invalid"``, ``constraint`` the catalogue
    id and ``label`` the violation class: ``wrong-type``,
    ``null-not-nullable``, ``missing-required``, ``unknown-property``,
    ``unknown-tag`` (``retrieval`` under v2), ``enum-near-miss`` (case,
    surrounding space, homoglyph), ``unknown-value``, ``out-of-range``,
    ``too-long``, ``too-short``, ``pattern-mismatch``, ``bad-format``,
    ``too-many-items`` (up to ten times the limit), ``too-few-items``,
    ``too-many-properties``, ``lone-surrogate``. ``constraints`` narrows the
    choice to some ids (glob patterns allowed: ``"metadata.*"``).

    Shrinking: the constraint moves to the earliest in catalogue order that
    still fails, the rest of the payload shrinks as in :func:`valid_requests`
    and the bad value to the nearest one past the limit, so a long-key failure
    ends as one 65-character key.
    """
    contract = resolve_contract(contract)
    ids = _constraint_ids(contract, constraints)
    threads = _threads(registry, thread_id)
    made = compiled(contract, _overrides(contract, registry, field_overrides))
    if len(ids) == 1 and made.invalid(ids[0]).is_empty:
        raise UsageError(f"no invalid payload can be generated for {ids[0]} (see boundary_plan instead)")
    # Built on first draw, not here: building all of them up front cost ~1.7 s
    # before the first request of every run. A constraint no payload can break
    # (behind allOf/not) is then a rejected draw rather than a missing branch.
    per_constraint = [_deferred_invalid(made, cid) for cid in ids]
    return st.builds(_invalid_case, choice(per_constraint), threads)


def _deferred_invalid(made: _Compiled, cid: str) -> st.SearchStrategy[tuple[str, str, Any]]:
    def definition() -> st.SearchStrategy[tuple[str, str, Any]]:  # st.deferred wants a plain function
        return made.invalid(cid).map(partial(_with_id, cid))

    return st.deferred(definition)


def _pair(label: str, payload: Any) -> tuple[str, Any]:
    return label, payload


def _with_id(cid: str, pair: tuple[str, Any]) -> tuple[str, str, Any]:
    return cid, pair[0], pair[1]


def _invalid_case(found: tuple[str, str, Any], thread: str) -> Case:
    cid, label, payload = found
    return Case(payload, thread, "invalid", cid, label, "random", covers=(cid,))


def _valid_case(payload: Any, thread: str) -> Case:
    return Case(payload, thread, "valid", None, "", "random")


def requests(
    contract: Contract | None = None,
    *,
    valid: bool = True,
    invalid: bool = True,
    constraints: Iterable[str] | None = None,
    registry: FieldRegistry | None = None,
    thread_id: st.SearchStrategy[str] | None = None,
    **field_overrides: Any,
) -> st.SearchStrategy[Case]:
    """Cases of either verdict, each with its thread id: what a fuzz run sends.

    Valid and invalid cases are drawn about equally often; ``valid=False`` or
    ``invalid=False`` keeps one kind. The other options are those of
    :func:`valid_requests` and :func:`invalid_requests`. Shrinks towards a valid
    case, then as those do.
    """
    for name, flag in (("valid", valid), ("invalid", invalid)):
        if not isinstance(flag, bool):
            raise UsageError(f"{name} must be True or False, not {flag!r:.80}")
    if not (valid or invalid):
        raise UsageError("requests(valid=False, invalid=False) would draw nothing")
    contract = resolve_contract(contract)
    threads = _threads(registry, thread_id)
    branches: list[st.SearchStrategy[Case]] = []
    if valid:
        payloads = valid_requests(contract, registry=registry, **field_overrides)
        branches.append(st.builds(_valid_case, payloads, threads))
    if invalid:
        branches.append(
            invalid_requests(contract, constraints=constraints, registry=registry, thread_id=threads, **field_overrides)
        )
    return st.one_of(branches)
