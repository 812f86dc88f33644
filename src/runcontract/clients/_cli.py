"""What ``runcontract fuzz-client`` needs: a client from ``--sdk`` / ``--command``, then ``check_client``."""

from __future__ import annotations

from .._errors import UsageError
from ..contract import Contract, load_contract
from ..drivers import SendFn, command, openai_sdk
from ..report import Report
from ._check import check_client

__all__ = ["SDKS", "client_from_options", "run_client_cli"]

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
) -> Report:
    """``runcontract fuzz-client --sdk openai`` / ``--command '...'``: build the client, check it, return the Report.

    ``contract`` is a loaded Contract or a version name (``v1``/``v2``, with
    ``spec`` an optional OpenAPI document). The CLI exits 1 when
    ``not report.ok``; :class:`UsageError` (exit 2) for bad options.
    """
    send, name = client_from_options(sdk=sdk, command_line=command, timeout=timeout, in_process=in_process)
    if not isinstance(contract, Contract):
        contract = load_contract(spec, version=contract or "v2")
    return check_client(send, contract=contract, max_examples=max_examples, seed=seed, validates=validates, name=name)
