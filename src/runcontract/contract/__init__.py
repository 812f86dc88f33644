"""The contract: bundled v1/v2 schemas, OpenAPI loader, catalogue, validator."""

from ._catalogue import Catalogue, Constraint
from ._drift import KINDS as DRIFT_KINDS
from ._drift import DriftReport, DriftRow, drift
from ._model import VERSIONS, Contract, Endpoint, load_contract
from ._overlays import DEFAULT_OVERLAYS, Overlay
from ._schema import canonicalise
from ._validator import Violation

__all__ = [
    "DEFAULT_OVERLAYS",
    "DRIFT_KINDS",
    "VERSIONS",
    "Catalogue",
    "Constraint",
    "Contract",
    "DriftReport",
    "DriftRow",
    "Endpoint",
    "Overlay",
    "Violation",
    "canonicalise",
    "drift",
    "load_contract",
]
