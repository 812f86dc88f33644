"""Drivers: how a payload reaches a client under test or an endpoint."""

from ._exchange import Exchange, redact_headers

__all__ = ["Exchange", "redact_headers"]
