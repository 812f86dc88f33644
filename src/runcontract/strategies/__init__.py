"""Strategies: valid, boundary and single-violation CreateRunRequest payloads.

- ``valid_requests(contract)``: payloads the contract accepts, boundary-heavy;
- ``invalid_requests(contract, constraints=...)``: ``Case``s breaking exactly one
  catalogued constraint, labelled with the violation class;
- ``requests(contract)``: a mix of both, each ``Case`` with its thread id;
- ``boundary_plan(contract)``: every limit from both sides, as an ordered list to
  send first (``boundary_requests``, ``boundary_examples`` for ``@given`` tests);
- ``probe_plan(contract, probes=...)``: the probe classes of ``PROBE_CLASSES``
  (enum variants, foreign values, lax coercion, non-finite and edge numbers,
  integral floats, ``include[]``), sent after the boundary plan;
- ``thread_ids()``: path parameters, some needing percent-encoding;
- ``FieldRegistry`` / ``register_field``: where ids that must exist on a target come from.

All are built from the contract's canonical request schema, so they work for the
bundled contracts and for ``load_contract(path)`` alike, and are cached per contract.
"""

from .._core import Case
from ._api import invalid_requests, requests, valid_requests
from ._boundary import BoundaryCase, boundary_cases, minimal_instance
from ._plan import boundary_examples, boundary_plan, boundary_requests, with_registered_ids
from ._probes import PROBE_CLASSES, probe_plan
from ._registry import (
    FieldRegistry,
    current_registry,
    default_registry,
    load_registrations,
    register_field,
    resolve_registered,
)
from ._values import thread_ids

__all__ = [
    "PROBE_CLASSES",
    "BoundaryCase",
    "Case",
    "FieldRegistry",
    "boundary_cases",
    "boundary_examples",
    "boundary_plan",
    "boundary_requests",
    "current_registry",
    "default_registry",
    "invalid_requests",
    "load_registrations",
    "minimal_instance",
    "probe_plan",
    "register_field",
    "requests",
    "resolve_registered",
    "thread_ids",
    "valid_requests",
    "with_registered_ids",
]
