"""Checks: the oracles that decide whether an answer (or a client's request) agrees with the contract."""

from .._core import Captured
from ._base import Check, CheckContext, Problem
from ._client import (
    CLIENT_CHECKS,
    ClientCheck,
    ClientContext,
    Outcome,
    argument_error,
    crash_site,
    fidelity_difference,
    request_prefix,
    sent_payload,
    wire_problems,
)
from ._endpoint import DEFAULT_CHECKS, ECHOED, ENDPOINT_CHECKS

__all__ = [
    "CLIENT_CHECKS",
    "DEFAULT_CHECKS",
    "ECHOED",
    "ENDPOINT_CHECKS",
    "Captured",
    "Check",
    "CheckContext",
    "ClientCheck",
    "ClientContext",
    "Outcome",
    "Problem",
    "argument_error",
    "crash_site",
    "fidelity_difference",
    "request_prefix",
    "sent_payload",
    "wire_problems",
]
