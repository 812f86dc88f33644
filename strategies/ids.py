"""Ids that must exist on the target: this repository's registrations, and the pattern to copy.

runcontract's strategies know only the contract: ``assistant_id`` is "a
string", so against a real endpoint almost every valid payload would be
refused with 404 for an unknown assistant. A module in a repository's
``strategies/`` folder tells them how to draw values the target actually has,
by registering a Hypothesis strategy per dotted field path (the catalogue's
naming: ``assistant_id``, ``model``, ``tools.items.function.name``; and
``thread_id`` for the URL parameter).

Here the ids come from environment variables, so one file serves the bundled
reference server (which accepts any id: nothing is registered) and a staging
target (``RUNCONTRACT_ASSISTANT_IDS=asst_1,asst_2`` etc.).
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

from runcontract.strategies import register_field


def _from_env(variable: str) -> list[str]:
    return [value.strip() for value in os.environ.get(variable, "").split(",") if value.strip()]


# Assistants and threads created on the target beforehand (e.g. by the nightly job's setup step).
if assistants := _from_env("RUNCONTRACT_ASSISTANT_IDS"):
    register_field("assistant_id", st.sampled_from(assistants))
if threads := _from_env("RUNCONTRACT_THREAD_IDS"):
    register_field("thread_id", st.sampled_from(threads))
# Models the target serves; ``null`` and absence still come from the contract.
if models := _from_env("RUNCONTRACT_MODELS"):
    register_field("model", st.sampled_from(models))
