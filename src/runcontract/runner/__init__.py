"""The fuzz loop shared by the CLI, the Python API and the pytest plugin."""

from .._core import Target
from ._fuzz import FuzzSettings, run_endpoint
from ._memory import FailureStore

__all__ = ["FailureStore", "FuzzSettings", "Target", "run_endpoint"]
