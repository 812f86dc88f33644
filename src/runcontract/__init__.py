"""runcontract: contract and property-based testing for POST /v1/threads/{thread_id}/runs."""

from ._errors import ContractError, RuncontractError, TargetUnreachable, UsageError
from .contract import Constraint, Contract, Violation, load_contract
from .strategies import BoundaryCase, Case, boundary_cases

__version__ = "0.1.0"

__all__ = [
    "BoundaryCase",
    "Case",
    "Constraint",
    "Contract",
    "ContractError",
    "RuncontractError",
    "TargetUnreachable",
    "UsageError",
    "Violation",
    "__version__",
    "boundary_cases",
    "load_contract",
]
