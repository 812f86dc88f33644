"""Client serializer checks: the openai SDK, any Python callable, any program.

``check_client(send)`` feeds a client boundary and random CreateRunRequest
payloads and reports where what it sent (or refused) disagrees with the contract.
A facade: the adapters and the loopback recorder live in ``runcontract.drivers``.
"""

from ..drivers import (
    CANNOT_EXPRESS_EXIT,
    REJECTED_EXIT,
    ClientCannotExpress,
    ClientCrashed,
    ClientRejected,
    InProcessClient,
    LoopbackRecorder,
    SendFn,
    command,
    httpx2_client,
    httpx_client,
    openai_sdk,
    sdk_major,
)
from ..runner import probe_cases
from ._check import DEFAULT_CLEAN_ERRORS, check_client
from ._cli import SDKS, ClientFactory, client_from_options, clients_from_options, python_client, run_client_cli

__all__ = [
    "CANNOT_EXPRESS_EXIT",
    "DEFAULT_CLEAN_ERRORS",
    "REJECTED_EXIT",
    "SDKS",
    "ClientCannotExpress",
    "ClientCrashed",
    "ClientFactory",
    "ClientRejected",
    "InProcessClient",
    "LoopbackRecorder",
    "SendFn",
    "check_client",
    "client_from_options",
    "clients_from_options",
    "command",
    "httpx2_client",
    "httpx_client",
    "openai_sdk",
    "probe_cases",
    "python_client",
    "run_client_cli",
    "sdk_major",
]
