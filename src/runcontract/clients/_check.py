"""``check_client``: drive a client serializer with boundary and random payloads and judge what it sent.

The run itself is the runner's (``runcontract.runner.run_client``), the same
loop that fuzzes endpoints: saved failures first, the boundary plan, then
Hypothesis with one failure key per (check, constraint).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypedDict

from .._core import Case, Report
from ..contract import Contract, load_contract
from ..drivers import SendFn
from ..runner import DEFAULT_CLEAN_ERRORS

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from 3.11; only the type checker reads it

    from ..runner import DatabaseSpec, FuzzSettings

__all__ = ["DEFAULT_CLEAN_ERRORS", "check_client", "client_settings"]


class ClientOptions(TypedDict, total=False):
    """What a client run's caller sets (the ``FuzzSettings`` fields of that name), checked statically."""

    max_examples: int
    duration: float | None
    seed: int | None
    database: DatabaseSpec
    progress: Callable[[Report], None] | None
    boundary: bool
    strict_nulls: bool
    cannot_express: Sequence[str]
    call_timeout: float


def client_settings(**options: Unpack[ClientOptions]) -> FuzzSettings:
    """The settings of a client run, in one process or in workers alike: ``FuzzSettings`` for ``side="client"``.

    Every distinct failure is shrunk to the end, as check_client always did: a client answers fast.
    """
    from ..runner import FuzzSettings

    return FuzzSettings(side="client", shrink_requests=None, **options)


@functools.lru_cache(maxsize=2)
def _default_contract(version: str) -> Contract:
    return load_contract(version=version)


def check_client(
    send: SendFn,
    *,
    contract: Contract | None = None,
    max_examples: int = 100,
    clean_errors: tuple[type[BaseException], ...] = DEFAULT_CLEAN_ERRORS,
    seed: int | None = None,
    validates: bool | None = None,
    checks: Iterable[str] | None = None,
    boundary: bool = True,
    cases: Iterable[Case] = (),
    database: DatabaseSpec = None,
    name: str | None = None,
    duration: float | None = None,
    progress: Callable[[Report], None] | None = None,
    strict_nulls: bool = False,
    cannot_express: Iterable[str] = (),
    call_timeout: float = 30.0,
) -> Report:
    """Check a client serializer against the contract; returns the Report.

    ``send(base_url, thread_id, payload)`` makes the client under test send the
    create-run request for ``payload`` to ``base_url + "/threads/{thread_id}/runs"``
    (``base_url`` ends with ``/v1``). Requests go to a loopback recorder on
    127.0.0.1 (or, for an :class:`InProcessClient` such as ``httpx_client(...)``,
    straight into its transport). Each example ends as *sent*, *rejected* (``send``
    raised one of ``clean_errors`` or ``ClientRejected``) or *crashed* (anything
    else), and the client checks judge it (``runcontract.checks.CLIENT_CHECKS``).

    The boundary cases run first (every catalogued limit at and just past it,
    awkward thread ids), then ``max_examples`` random cases under Hypothesis
    (or, with ``duration`` seconds, random cases until the time is up), so
    failures shrink; one failure is kept per (check, constraint), with the
    smallest payload, and ``report.findings()`` groups them by root cause.
    ``cases`` are run first, before the boundary cases (``boundary=False``
    leaves those out). ``validates``: True when the client validates every
    constraint (``client_agrees`` judges them all); None reads
    ``send.validates`` and otherwise decides per constraint: the client
    validates one once it has cleanly refused a payload breaking it (an
    object that could have been written as UTF-8 JSON, not refused for a
    Python argument error). ``strict_nulls``: an explicit null left out, or
    a null sent for a field not given, is a fidelity failure (by default the
    same request for a nullable optional field; so is the documented default
    for a field not given). ``cannot_express`` (or ``send.cannot_express``):
    dotted fields the library has no way to send; reported once as a
    capability gap, not as drops. ``call_timeout``: seconds one call may take
    (a hang is a crash; three in a row stop the run).
    ``database`` (a directory, a redis:// URL, or a Hypothesis example
    database; default none) keeps the failures found, under
    ``failures/client-<version>/``, and replays them first next time.
    """
    from ..runner import run_client

    contract = contract if contract is not None else _default_contract("v2")
    selected = list(checks) if checks is not None else None
    if selected is not None:
        from ..checks import CLIENT_CHECKS

        unknown = [c for c in selected if c not in CLIENT_CHECKS]
        if unknown:
            raise ValueError(f"unknown client checks: {', '.join(unknown)}")
    settings = client_settings(
        max_examples=max_examples,
        duration=duration,
        seed=seed,
        database=database,
        progress=progress,
        boundary=boundary,
        strict_nulls=strict_nulls,
        cannot_express=tuple(cannot_express),
        call_timeout=call_timeout,
    )
    if selected is not None:
        settings.checks = tuple(selected)
    return run_client(
        send, contract, settings, name=name, validates=validates, clean_errors=tuple(clean_errors), cases=cases
    )
