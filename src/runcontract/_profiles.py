"""Run budgets and Hypothesis profiles: runcontract-dev, runcontract-ci, runcontract-nightly.

Each profile names its example database explicitly, because Hypothesis's own
``ci`` profile (loaded by itself when ``CI`` is set) turns the database off,
and a nightly job that forgets its failures is of little use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ._options import DEFAULT_DATABASE

__all__ = ["PROFILES", "Profile", "register_hypothesis_profiles"]


@dataclass(frozen=True)
class Profile:
    name: str
    max_examples: int
    derandomize: bool


PROFILES = {
    "dev": Profile("dev", max_examples=100, derandomize=False),
    # Not derandomized: in Hypothesis that implies no database, and CI is
    # exactly where remembered failures should be replayed first.
    "ci": Profile("ci", max_examples=200, derandomize=False),
    "nightly": Profile("nightly", max_examples=5000, derandomize=False),
}


def register_hypothesis_profiles(directory: str | os.PathLike[str] = DEFAULT_DATABASE) -> None:
    """Register ``runcontract-<name>`` Hypothesis profiles (imports Hypothesis)."""
    from hypothesis import HealthCheck, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    database = DirectoryBasedExampleDatabase(os.path.join(os.fspath(directory), "hypothesis"))
    for profile in PROFILES.values():
        settings.register_profile(
            f"runcontract-{profile.name}",
            max_examples=profile.max_examples,
            derandomize=profile.derandomize,
            database=database,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        )
