"""What ``runcontract fuzz-client`` needs: a client from ``--sdk`` / ``--command``, then the runner."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .._errors import UsageError
from ..contract import Contract, load_contract
from ..drivers import SendFn, command, openai_sdk
from ..report import Report
from ._check import client_settings

if TYPE_CHECKING:
    from ..runner import DatabaseSpec

__all__ = ["SDKS", "ClientFactory", "client_from_options", "clients_from_options", "python_client", "run_client_cli"]

SDKS = ("openai",)


def client_from_options(
    *, sdk: str | None, command_line: str | None, timeout: float = 30.0, in_process: bool = False
) -> tuple[SendFn, str]:
    """The ``send`` callable and a target name for ``--sdk NAME`` or ``--command 'CMD'`` (exactly one)."""
    if (sdk is None) == (command_line is None):
        raise UsageError("fuzz-client: give exactly one of --sdk or --command")
    if sdk is not None:
        if sdk not in SDKS:
            raise UsageError(f"fuzz-client: unknown --sdk {sdk!r} (expected one of: {', '.join(SDKS)})")
        try:
            send = openai_sdk(in_process=in_process)
        except ImportError as exc:
            raise UsageError(f"fuzz-client --sdk openai: the openai package is not usable here ({exc})") from exc
        from ..drivers import sdk_major

        return send, f"sdk:openai {sdk_major()}.x"
    assert command_line is not None
    try:
        return command(command_line, timeout=timeout), f"command:{command_line}"
    except ValueError as exc:
        raise UsageError(f"fuzz-client: {exc}") from exc


@dataclass(frozen=True)
class ClientFactory:
    """Builds the ``--sdk`` / ``--command`` client in each worker process (picklable, unlike a client).

    ``factory(contract)`` returns the runner's ClientSubject for it; ``name`` is the report's target name.
    """

    sdk: str | None = None
    command_line: str | None = None
    timeout: float = 30.0
    in_process: bool = False
    validates: bool | None = None
    strict_nulls: bool = False
    cannot_express: tuple[str, ...] = ()

    def build(self) -> tuple[SendFn, str]:
        return client_from_options(
            sdk=self.sdk, command_line=self.command_line, timeout=self.timeout, in_process=self.in_process
        )

    @property
    def name(self) -> str:
        return self.build()[1]

    def __call__(self, contract: Contract) -> Any:
        from ..runner import ClientSubject

        send, name = self.build()
        return ClientSubject(
            send,
            contract,
            validates=self.validates,
            name=name,
            strict_nulls=self.strict_nulls,
            cannot_express=self.cannot_express,
            call_timeout=self.timeout,
        )


def run_client_cli(
    *,
    sdk: str | None = None,
    command: str | None = None,
    contract: Contract | str | None = None,
    spec: str | None = None,
    max_examples: int = 100,
    seed: int | None = None,
    timeout: float = 30.0,
    validates: bool | None = None,
    in_process: bool = False,
    database: DatabaseSpec = None,
    duration: float | None = None,
    workers: int = 1,
    progress: Callable[[Report], None] | None = None,
    strict_nulls: bool = False,
    cannot_express: Sequence[str] = (),
) -> Report:
    """``runcontract fuzz-client --sdk openai`` / ``--command '...'``: build the client, check it, return the Report.

    ``contract`` is a loaded Contract or a version name (``v1``/``v2``, with
    ``spec`` an optional OpenAPI document). ``database`` keeps and replays the
    client's failures; ``workers`` > 1 fuzzes in that many processes sharing it.
    ``timeout`` is the seconds one call may take; ``strict_nulls`` and
    ``cannot_express`` are :func:`check_client`'s.
    The CLI exits 1 when ``not report.ok``; :class:`UsageError` (exit 2) for bad options.
    """
    factory = ClientFactory(sdk, command, timeout, in_process, validates, strict_nulls, tuple(cannot_express))
    send, name = factory.build()  # bad options fail here, once, before any worker starts
    if not isinstance(contract, Contract):
        contract = load_contract(spec, version=contract or "v2")
    unknown = [f for f in cannot_express if f.split(".", 1)[0] not in contract.request_schema.get("properties", {})]
    if unknown:
        known = ", ".join(sorted(contract.request_schema.get("properties", {})))
        raise UsageError(f"--cannot-express: {', '.join(unknown)} is not a field of the contract (fields: {known})")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    from ..runner import run_client, run_workers

    settings = client_settings(
        max_examples=max_examples,
        duration=duration,
        seed=seed,
        database=database,
        progress=progress,
        strict_nulls=strict_nulls,
        cannot_express=cannot_express,
        call_timeout=timeout,
    )
    if workers > 1:
        return run_workers(factory, contract, settings, workers=workers, target_name=name)
    return run_client(send, contract, settings, name=name, validates=validates)


def python_client(spec: str) -> SendFn:
    """``pkg.module:send`` -> that callable (the current directory is importable, as for ``python -m``)."""
    import importlib
    import os
    import sys

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"--python {spec!r}: expected MODULE:CALLABLE (such as mywrapper.adapters:send)")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of the user's module is a usage error, in one line
        raise UsageError(f"--python {spec!r}: cannot import {module_name!r} ({type(exc).__name__}: {exc})") from exc
    send: Any = module
    for part in attr.split("."):
        send = getattr(send, part, None)
        if send is None:
            raise UsageError(f"--python {spec!r}: {module_name!r} has no {attr!r}")
    if not callable(send):
        raise UsageError(f"--python {spec!r}: {attr!r} is not callable")
    return cast(SendFn, send)


def clients_from_options(
    *, sdks: Sequence[str] = (), commands: Sequence[str] = (), pythons: Sequence[str] = (), timeout: float = 30.0
) -> dict[str, SendFn]:
    """``compare-clients``: every ``--sdk``, ``--command`` and ``--python`` given, by display name, in that order."""
    out: dict[str, SendFn] = {}
    for sdk in sdks:
        send, name = client_from_options(sdk=sdk, command_line=None, timeout=timeout)
        out[name] = send
    for line in commands:
        send, name = client_from_options(sdk=None, command_line=line, timeout=timeout)
        out[name] = send
    for spec in pythons:
        out[f"python:{spec}"] = python_client(spec)
    if not out:
        raise UsageError("compare-clients: give at least one --sdk, --command or --python")
    return out
