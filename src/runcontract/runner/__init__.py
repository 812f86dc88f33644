"""The one fuzz loop, for endpoints and clients alike, shared by the CLI, the Python API and the pytest plugin."""

from ._client import ClientSubject
from ._fuzz import (
    FuzzSettings,
    ReplayOutcome,
    Target,
    replay_client,
    replay_endpoint,
    replay_subject,
    run_client,
    run_endpoint,
    run_subject,
)
from ._memory import FailureStore
from ._subject import EndpointSubject, Evaluation, Subject

__all__ = [
    "ClientSubject",
    "EndpointSubject",
    "Evaluation",
    "FailureStore",
    "FuzzSettings",
    "ReplayOutcome",
    "Subject",
    "Target",
    "replay_client",
    "replay_endpoint",
    "replay_subject",
    "run_client",
    "run_endpoint",
    "run_subject",
]
