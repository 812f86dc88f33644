"""The one fuzz loop, for endpoints and clients alike, shared by the CLI, the Python API and the pytest plugin."""

from . import _fuzz
from ._client import DEFAULT_CLEAN_ERRORS, ClientSubject
from ._client_cases import probe_cases
from ._compare import CALL, STATUSES, Comparison, compare_clients
from ._database import DatabaseSpec, is_redis_url, open_database, redact_url
from ._fuzz import *  # noqa: F403 (the loop's entry points, listed once in _fuzz.__all__)
from ._memory import FailureStore, failure_dir, load_failure_files
from ._subject import EndpointSubject, Evaluation
from ._workers import AppTargetFactory, HTTPTargetFactory, TargetFactory, WorkerCrashed, merge_reports, run_workers

__all__ = [
    "CALL",
    "DEFAULT_CLEAN_ERRORS",
    "STATUSES",
    "AppTargetFactory",
    "ClientSubject",
    "Comparison",
    "DatabaseSpec",
    "EndpointSubject",
    "Evaluation",
    "FailureStore",
    "HTTPTargetFactory",
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
    "run_workers",
]
__all__ += _fuzz.__all__
