"""The contract: bundled v1/v2 schemas, OpenAPI loader, catalogue, validator, the Run a request yields."""

from ._catalogue import (
    JSON_NUMBER,
    REFUSED_WITH,
    REQUEST_CONSTRAINTS,
    UNICODE,
    UNION_TAG,
    UNION_TAG_REQUIRED,
    UNION_TYPE,
    Catalogue,
    Constraint,
    SchemaPath,
    discriminator,
    number_fields,
)
from ._drift import KINDS as DRIFT_KINDS
from ._drift import DriftReport, DriftRow, drift
from ._drift import parse_kinds as parse_drift_kinds
from ._model import INCLUDE_VALUES, VERSIONS, Contract, Endpoint, load_contract
from ._openapi import read_document
from ._overlays import DEFAULT_OVERLAYS, Overlay, walk_fields
from ._run import DEFAULT_MODEL, run_for
from ._schema import NULL, Schema, canonicalise, json_type, union_branches
from ._validator import Violation, type_matches

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_OVERLAYS",
    "DRIFT_KINDS",
    "INCLUDE_VALUES",
    "JSON_NUMBER",
    "NULL",
    "REFUSED_WITH",
    "REQUEST_CONSTRAINTS",
    "UNICODE",
    "UNION_TAG",
    "UNION_TAG_REQUIRED",
    "UNION_TYPE",
    "VERSIONS",
    "Catalogue",
    "Constraint",
    "Contract",
    "DriftReport",
    "DriftRow",
    "Endpoint",
    "Overlay",
    "Schema",
    "SchemaPath",
    "Violation",
    "canonicalise",
    "discriminator",
    "drift",
    "json_type",
    "load_contract",
    "number_fields",
    "parse_drift_kinds",
    "read_document",
    "run_for",
    "type_matches",
    "union_branches",
    "walk_fields",
]
