"""The Python API: ``check_endpoint`` over the same runner as the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._options import DEFAULT_API_KEY_ENV, DEFAULT_VERSION
from .contract import Contract, load_contract
from .drivers import make_target
from .report import Report
from .runner import FuzzSettings, run_endpoint

__all__ = ["check_endpoint"]


def check_endpoint(
    base_url: str | None = None,
    *,
    app: Any = None,
    headers: Mapping[str, str] | None = None,
    contract: Contract | None = None,
    spec: str | os.PathLike[str] | None = None,
    version: str = DEFAULT_VERSION,
    max_examples: int = 200,
    duration: float | None = None,
    checks: Iterable[str] | None = None,
    seed: int | None = None,
    accepted_invalid: Iterable[int] = (400,),
    api_key_env: str | None = DEFAULT_API_KEY_ENV,
    rate: float | None = None,
    database: str | Path | None = None,
) -> Report:
    """Fuzz an endpoint (a live ``base_url``, an ASGI ``app``, or by default the
    reference server) and return the Report: ``report.ok``, ``report.failures``,
    ``report.to_json()``. ``database`` keeps failures between runs (off by default
    in the API; the CLI uses ``.runcontract``)."""
    from .checks import DEFAULT_CHECKS

    contract = contract or load_contract(spec, version=version)
    settings = FuzzSettings(
        max_examples=max_examples,
        duration=duration,
        seed=seed,
        checks=tuple(checks) if checks is not None else DEFAULT_CHECKS,
        accepted_invalid=frozenset(accepted_invalid),
        database=database,
        api_key_env=api_key_env,
    )
    target, name = make_target(
        contract, base_url=base_url, app=app, headers=headers, api_key_env=api_key_env, rate=rate
    )
    try:
        return run_endpoint(target, contract, settings, target_name=name)
    finally:
        target.close()
