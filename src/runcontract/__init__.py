"""runcontract: contract and property-based testing for POST /v1/threads/{thread_id}/runs.

The public names load lazily (PEP 562), so that importing the pytest plugin
(``runcontract.plugin``) does not import the contract, Hypothesis or HTTP code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "BoundaryCase": "runcontract.strategies",
    "Case": "runcontract.strategies",
    "boundary_cases": "runcontract.strategies",
    "boundary_plan": "runcontract.strategies",
    "boundary_requests": "runcontract.strategies",
    "boundary_examples": "runcontract.strategies",
    "valid_requests": "runcontract.strategies",
    "invalid_requests": "runcontract.strategies",
    "requests": "runcontract.strategies",
    "thread_ids": "runcontract.strategies",
    "FieldRegistry": "runcontract.strategies",
    "register_field": "runcontract.strategies",
    "Constraint": "runcontract.contract",
    "Contract": "runcontract.contract",
    "Violation": "runcontract.contract",
    "load_contract": "runcontract.contract",
    "ContractError": "runcontract._errors",
    "RuncontractError": "runcontract._errors",
    "TargetUnreachable": "runcontract._errors",
    "UsageError": "runcontract._errors",
    "Failure": "runcontract.report",
    "Report": "runcontract.report",
    "check_endpoint": "runcontract._api",
    "check_client": "runcontract.clients",
    "endpoint_tests": "runcontract.plugin",
    "client_tests": "runcontract.plugin",
    "mock": "runcontract._mock",
    "ContractMock": "runcontract._mock",
}

__all__ = [
    "BoundaryCase",
    "Case",
    "Constraint",
    "Contract",
    "ContractError",
    "ContractMock",
    "Failure",
    "FieldRegistry",
    "Report",
    "RuncontractError",
    "TargetUnreachable",
    "UsageError",
    "Violation",
    "__version__",
    "boundary_cases",
    "boundary_examples",
    "boundary_plan",
    "boundary_requests",
    "check_client",
    "check_endpoint",
    "client_tests",
    "endpoint_tests",
    "invalid_requests",
    "load_contract",
    "mock",
    "register_field",
    "requests",
    "thread_ids",
    "valid_requests",
]

if TYPE_CHECKING:
    from ._api import check_endpoint
    from ._errors import ContractError, RuncontractError, TargetUnreachable, UsageError
    from ._mock import ContractMock, mock
    from .clients import check_client
    from .contract import Constraint, Contract, Violation, load_contract
    from .plugin import client_tests, endpoint_tests
    from .report import Failure, Report
    from .strategies import (
        BoundaryCase,
        Case,
        FieldRegistry,
        boundary_cases,
        boundary_examples,
        boundary_plan,
        boundary_requests,
        invalid_requests,
        register_field,
        requests,
        thread_ids,
        valid_requests,
    )


_SUBPACKAGES = frozenset({"checks", "clients", "contract", "drivers", "report", "runner", "server", "strategies"})


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:  # ``runcontract.clients.openai_sdk()`` without importing the subpackage first
        return importlib.import_module(f"runcontract.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runcontract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
