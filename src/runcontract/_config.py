"""Settings for the pytest plugin: command line > ini > [tool.runcontract] > default."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _options
from ._errors import UsageError
from ._options import DEFAULT_API_KEY_ENV, DEFAULT_VERSION, VERSIONS
from ._profiles import PROFILES

__all__ = ["KEYS", "PluginConfig", "read_pyproject"]

# key -> help; the option is --runcontract-<key with dashes>, the ini key runcontract_<key>.
KEYS = {
    "base_url": "base URL of the endpoint to check (e.g. https://staging.example.com)",
    "api_key_env": f"environment variable holding the API key (default {DEFAULT_API_KEY_ENV})",
    "contract": f"contract version: {' or '.join(VERSIONS)} (default {DEFAULT_VERSION})",
    "spec": "OpenAPI document (path or URL) to take createRun's schemas from",
    "profile": "run budget and Hypothesis profile: dev, ci or nightly",
    "max_examples": "random examples per endpoint or client check (overrides the profile)",
}


def read_pyproject(rootdir: Path) -> dict[str, Any]:
    """The ``[tool.runcontract]`` table of ``rootdir/pyproject.toml`` (empty if none)."""
    path = rootdir / "pyproject.toml"
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read [tool.runcontract] from {path}: {exc}") from None
    table = data.get("tool", {}).get("runcontract", {})
    if not isinstance(table, dict):
        raise UsageError(f"[tool.runcontract] in {path} is not a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r} in [tool.runcontract] of {path} (known: {', '.join(KEYS)})")
    return {k.replace("-", "_"): v for k, v in table.items()}


@dataclass(frozen=True)
class PluginConfig:
    base_url: str | None = None
    api_key_env: str = DEFAULT_API_KEY_ENV
    contract: str = DEFAULT_VERSION
    spec: str | None = None
    profile: str = "dev"
    max_examples: int | None = None

    @classmethod
    def resolve(cls, values: dict[str, Any]) -> PluginConfig:
        """Validate raw values (strings from options/ini, or TOML values)."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            if value is None or value == "":
                continue
            out[key] = value
        contract = _options.contract_version(out.get("contract", DEFAULT_VERSION), what="runcontract contract")
        profile = str(out.get("profile", os.environ.get("RUNCONTRACT_PROFILE", "dev")))
        if profile not in PROFILES:
            raise UsageError(f"runcontract profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        base_url = out.get("base_url")
        if base_url is not None:
            base_url = _options.base_url(base_url, what="runcontract base URL")
        max_examples = out.get("max_examples")
        if max_examples is not None:
            max_examples = _options.whole_number(max_examples, what="runcontract max_examples")
        return cls(
            base_url=base_url,
            api_key_env=str(out.get("api_key_env", DEFAULT_API_KEY_ENV)),
            contract=contract,
            spec=str(out["spec"]) if out.get("spec") else None,
            profile=profile,
            max_examples=max_examples,
        )

    @property
    def budget(self) -> int:
        return self.max_examples if self.max_examples is not None else PROFILES[self.profile].max_examples
