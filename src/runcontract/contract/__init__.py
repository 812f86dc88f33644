"""The contract: bundled v1/v2 schemas, OpenAPI loader, catalogue, validator."""

from ._catalogue import Catalogue, Constraint
from ._model import VERSIONS, Contract, Endpoint, load_contract
from ._overlays import DEFAULT_OVERLAYS, Overlay
from ._schema import canonicalise
from ._validator import Violation

__all__ = [
    "DEFAULT_OVERLAYS",
    "VERSIONS",
    "Catalogue",
    "Constraint",
    "Contract",
    "Endpoint",
    "Overlay",
    "Violation",
    "canonicalise",
    "load_contract",
]
