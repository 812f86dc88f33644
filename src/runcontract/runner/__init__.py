"""The one fuzz loop, for endpoints and clients alike, shared by the CLI, the Python API and the pytest plugin."""

from .._core import Target
from ._breaker import DEAD_TARGET
from ._client import DEFAULT_CLEAN_ERRORS, ClientSubject
from ._client_cases import probe_cases
from ._compare import CALL, STATUSES, Comparison, compare_clients
from ._database import DatabaseSpec, is_redis_url, open_database, redact_url
from ._fuzz import (
    FuzzSettings,
    ReplayOutcome,
    replay_client,
    replay_endpoint,
    replay_subject,
    request_interrupt,
    run_client,
    run_endpoint,
    run_subject,
)
from ._memory import FailureStore, failure_dir, load_failure_files
from ._subject import EndpointSubject, Evaluation, Subject
from ._workers import AppTargetFactory, HTTPTargetFactory, TargetFactory, WorkerCrashed, merge_reports, run_workers

__all__ = [
    "CALL",
    "DEAD_TARGET",
    "DEFAULT_CLEAN_ERRORS",
    "STATUSES",
    "AppTargetFactory",
    "ClientSubject",
    "Comparison",
    "DatabaseSpec",
    "EndpointSubject",
    "Evaluation",
    "FailureStore",
    "FuzzSettings",
    "HTTPTargetFactory",
    "ReplayOutcome",
    "Subject",
    "Target",
    "TargetFactory",
    "WorkerCrashed",
    "compare_clients",
    "failure_dir",
    "is_redis_url",
    "load_failure_files",
    "merge_reports",
    "open_database",
    "probe_cases",
    "redact_url",
    "replay_client",
    "replay_endpoint",
    "replay_subject",
    "request_interrupt",
    "run_client",
    "run_endpoint",
    "run_subject",
    "run_workers",
]
