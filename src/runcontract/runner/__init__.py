"""The fuzz loop shared by the CLI, the Python API and the pytest plugin."""

from .._core import Target
from ._breaker import DEAD_TARGET
from ._database import is_redis_url, open_database, redact_url
from ._fuzz import FuzzSettings, replay_endpoint, request_interrupt, run_endpoint
from ._memory import FailureStore, load_failure_files
from ._workers import AppTargetFactory, HTTPTargetFactory, TargetFactory, WorkerCrashed, merge_reports, run_workers

__all__ = [
    "DEAD_TARGET",
    "AppTargetFactory",
    "FailureStore",
    "FuzzSettings",
    "HTTPTargetFactory",
    "Target",
    "TargetFactory",
    "WorkerCrashed",
    "is_redis_url",
    "load_failure_files",
    "merge_reports",
    "open_database",
    "redact_url",
    "replay_endpoint",
    "request_interrupt",
    "run_endpoint",
    "run_workers",
]
