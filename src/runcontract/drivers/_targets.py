"""Which target a run talks to: a live URL, an ASGI app in process, or the embedded reference server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _options
from .._core import Target
from .._errors import UsageError
from ..contract import Contract
from ._asgi import ASGITarget
from ._http import HTTPTarget, default_rate

__all__ = ["make_target"]


def make_target(
    contract: Contract,
    *,
    base_url: str | None = None,
    app: Any = None,
    headers: Mapping[str, str] | None = None,
    api_key_env: str | None = "OPENAI_API_KEY",
    rate: float | None = None,
    timeout: float = 30.0,
) -> tuple[Target, str]:
    """(target, name): live HTTP for ``base_url``, in-process for ``app``, else the reference server in-process."""
    if base_url is not None and app is not None:
        raise UsageError("give base_url or app, not both")
    if base_url is not None:
        base_url = _options.base_url(base_url)
        rate = default_rate(base_url, rate)  # conservative for any host that is not loopback
        target = HTTPTarget(
            base_url,
            contract=contract,
            headers=dict(headers or {}),
            api_key_env=api_key_env,
            rate=rate,
            timeout=timeout,
        )
        target.check_reachable()
        return target, base_url
    if app is None:
        # The one allowed upward edge (drivers -> server): the embedded default target, imported only here.
        from ..server import create_app

        app = create_app(contract)
        return ASGITarget(app, contract=contract, headers=dict(headers or {})), "reference server (in-process)"
    return ASGITarget(
        app, contract=contract, headers=dict(headers or {})
    ), f"ASGI app {getattr(app, '__name__', type(app).__name__)}"
