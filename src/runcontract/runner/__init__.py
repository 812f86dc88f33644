"""The fuzz loop shared by the CLI, the Python API and the pytest plugin."""

from ._fuzz import FuzzSettings, Target, run_endpoint
from ._memory import FailureStore

__all__ = ["FailureStore", "FuzzSettings", "Target", "run_endpoint"]
