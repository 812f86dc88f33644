"""Settings for the pytest plugin: command line > ini > [tool.runcontract] > default."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import UsageError
from ._profiles import PROFILES
from ._urls import check_base_url

__all__ = ["KEYS", "PluginConfig", "read_pyproject"]

# key -> help; the option is --runcontract-<key with dashes>, the ini key runcontract_<key>.
KEYS = {
    "base_url": "base URL of the endpoint to check (e.g. https://staging.example.com)",
    "api_key_env": "environment variable holding the API key (default OPENAI_API_KEY)",
    "contract": "contract version: v1 or v2 (default v2)",
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
    api_key_env: str = "OPENAI_API_KEY"
    contract: str = "v2"
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
        contract = str(out.get("contract", "v2"))
        if contract not in ("v1", "v2"):
            raise UsageError(f"runcontract contract must be v1 or v2, got {contract!r}")
        profile = str(out.get("profile", os.environ.get("RUNCONTRACT_PROFILE", "dev")))
        if profile not in PROFILES:
            raise UsageError(f"runcontract profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        base_url = out.get("base_url")
        if base_url is not None:
            check_base_url(str(base_url), "runcontract base URL")
        max_examples = out.get("max_examples")
        if max_examples is not None:
            try:
                max_examples = int(max_examples)
            except (TypeError, ValueError):
                raise UsageError(f"runcontract max_examples must be a whole number, got {max_examples!r}") from None
            if max_examples < 0:
                raise UsageError(f"runcontract max_examples must be >= 0, got {max_examples}")
        return cls(
            base_url=str(base_url) if base_url else None,
            api_key_env=str(out.get("api_key_env", "OPENAI_API_KEY")),
            contract=contract,
            spec=str(out["spec"]) if out.get("spec") else None,
            profile=profile,
            max_examples=max_examples,
        )

    @property
    def budget(self) -> int:
        return self.max_examples if self.max_examples is not None else PROFILES[self.profile].max_examples
