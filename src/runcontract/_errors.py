"""Errors raised by runcontract itself, each with the CLI exit code it maps to."""

from __future__ import annotations

__all__ = [
    "EXIT_CONFIG",
    "EXIT_DISAGREEMENT",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "ContractError",
    "RuncontractError",
    "RuncontractWarning",
    "TargetUnreachable",
    "UsageError",
]

EXIT_OK = 0
EXIT_DISAGREEMENT = 1
EXIT_CONFIG = 2
EXIT_UNREACHABLE = 3


class RuncontractError(Exception):
    """Base class: a problem with runcontract's input, reported as one line."""

    exit_code = EXIT_CONFIG


class UsageError(RuncontractError):
    """A bad option or argument."""


class ContractError(RuncontractError):
    """The contract could not be loaded: a broken, missing or unsuitable spec."""


class TargetUnreachable(RuncontractError):
    """The target could not be reached at all."""

    exit_code = EXIT_UNREACHABLE


class RuncontractWarning(UserWarning):
    """Something went wrong beside the run (the failure database), and the run went on."""
