"""This repository's own test setup: Hypothesis profiles and shared paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).parent
SPEC = ROOT.parent / "shared" / "specs" / "openai-openapi-2.3.0.yaml"

# Our own test profile: deterministic in CI, a real database locally.
settings.register_profile(
    "runcontract-tests",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
    database=None if os.environ.get("CI") else settings.default.database,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "runcontract-tests"))


@pytest.fixture(scope="session")
def spec_path() -> Path:
    if not SPEC.exists():
        pytest.skip(f"the published OpenAPI document is absent ({SPEC})")
    return SPEC
