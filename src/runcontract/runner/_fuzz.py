"""The fuzz loop: saved failures, then the boundary plan, then random generation.

Random generation runs under Hypothesis so that each distinct disagreement
(one per check and constraint) is shrunk on its own: every failure raises an
exception class of its own key, and ``report_multiple_bugs`` keeps Hypothesis
shrinking each. Results never depend on Hypothesis's final verdict: every
failure is written into the Report the moment it is seen, and the smallest
payload per key is kept, so an interrupt or a budget cut loses nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import _options
from .._core import Case, Exchange, Failure, Report
from .._errors import RuncontractError, RuncontractWarning, UsageError
from ..checks import CLIENT_CHECKS, DEFAULT_CHECKS, ENDPOINT_CHECKS
from ..contract import Contract
from ._breaker import DEAD_TARGET, CircuitBreaker, TargetDead, unhealthy
from ._database import DatabaseSpec, TolerantExampleDatabase, open_database
from ._memory import SIDES, case_for, replay_key
from ._subject import CLIENT_OPTIONS, Evaluation, Subject, Target, endpoint_subject, options_of

if TYPE_CHECKING:
    from ..drivers import SendFn

__all__ = [
    "DEAD_TARGET",
    "FuzzSettings",
    "ReplayOutcome",
    "Subject",
    "Target",
    "replay_client",
    "replay_endpoint",
    "replay_subject",
    "request_interrupt",
    "run_client",
    "run_endpoint",
    "run_subject",
]

# After this many consecutive 401/403 answers from the first requests, the
# credentials (not the contract) are at fault: stop and say so.
_AUTH_PROBE = 5

# Sent as the breaker's probe when no request has been answered well yet.
_PROBE_PAYLOAD = {"assistant_id": "asst_runcontract_probe"}

_INTERRUPT = threading.Event()


def request_interrupt() -> None:
    """Make the running loop stop as if interrupted, at its next request; safe to call from a signal handler.

    A KeyboardInterrupt raised by a signal handler is lost when it lands in a
    garbage-collector callback or a ``__del__`` (Hypothesis installs a gc
    callback): the CLI's handler calls this as well, so the run stops anyway.
    """
    _INTERRUPT.set()


@dataclass
class FuzzSettings:
    """How long and how hard to fuzz, and what to check.

    ``side`` is what is fuzzed: ``endpoint`` or ``client``; ``checks`` are
    that side's check names (left at the default: all of the side's checks).
    ``database`` is a directory (saved failures under ``failures/<version>/``,
    a client's under ``failures/client-<version>/``, Hypothesis's examples
    under ``examples/``), a redis:// URL, or None for no memory.
    ``breaker_threshold`` consecutive requests without a healthy answer (no
    answer, 5xx, 429 after retries) trip the circuit breaker (0: never);
    the run stops as a dead target when probes, spaced from
    ``breaker_backoff`` seconds doubling, get no healthy answer within
    ``breaker_window`` seconds.
    """

    max_examples: int = 200
    duration: float | None = None
    seed: int | None = None
    checks: Sequence[str] = DEFAULT_CHECKS
    accepted_invalid: frozenset[int] = frozenset({400})
    boundary: bool = True
    # Send every case to this thread (one that exists on a staging target); None: the case's own.
    thread_id: str | None = None
    # (i, n): send only every n-th case of the boundary plan, from the i-th (worker i of n).
    boundary_shard: tuple[int, int] = (0, 1)
    database: DatabaseSpec = _options.DEFAULT_DATABASE
    api_key_env: str | None = "OPENAI_API_KEY"
    progress: Callable[[Report], None] | None = None
    # Requests allowed for shrinking, beyond the plan and max_examples: each
    # distinct failure is shrunk, and a server wrong about every field would
    # otherwise cost hundreds of requests per field. None: shrink to the end.
    shrink_requests: int | None = 500
    breaker_threshold: int = 20
    breaker_window: float = 60.0
    breaker_backoff: float = 0.5
    side: str = "endpoint"
    # Constraints of runcontract's own (catalogue source ``ours``) a server must refuse: True for
    # all, or their ids; by default a server may accept or refuse them (only 5xx/reset/hang fail).
    strict: bool | Sequence[str] = False
    # Judge the Run's echo exactly (nulls must come back null; no default, no appended instructions).
    strict_echo: bool = False
    # The probe classes sent after the boundary plan (``runcontract.strategies.PROBE_CLASSES``);
    # None: all of them, (): none.
    probes: Sequence[str] | None = None
    # Clients: null and absent differ; fields the library cannot express; seconds one call may take.
    strict_nulls: bool = False
    cannot_express: Sequence[str] = ()
    call_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise UsageError(f"side must be one of {', '.join(SIDES)}, got {self.side!r}")
        if self.side == "client" and tuple(self.checks) == DEFAULT_CHECKS:
            self.checks = tuple(CLIENT_CHECKS)  # left at the default: every client check
        self.cannot_express = tuple(self.cannot_express)  # a list from a caller pickles and compares the same
        index, shards = self.boundary_shard
        if not (shards >= 1 and 0 <= index < shards):
            raise UsageError(f"boundary_shard must be (i, n) with 0 <= i < n, got {self.boundary_shard}")
        if self.breaker_threshold < 0:
            raise UsageError(f"breaker threshold must be >= 0, got {self.breaker_threshold}")
        if self.breaker_window < 0 or self.breaker_backoff < 0:
            raise UsageError("breaker window and backoff must be >= 0 seconds")
        if self.max_examples < 0:
            raise UsageError(f"max_examples must be >= 0, got {self.max_examples}")
        if self.duration is not None and self.duration <= 0:
            raise UsageError(f"duration must be > 0 seconds, got {self.duration}")
        _options.check_names(self.checks, ENDPOINT_CHECKS if self.side == "endpoint" else CLIENT_CHECKS)
        if self.probes is not None:
            from ..strategies import PROBE_CLASSES

            self.probes = _options.check_names(self.probes, PROBE_CLASSES, what="probe")
        bad = [s for s in self.accepted_invalid if not 400 <= s < 500]
        if bad:
            raise UsageError(f"accepted status for invalid payloads must be 4xx, got {bad[0]}")


class _Stop(BaseException):
    """Raised inside the loop when the budget is spent.

    A BaseException, like every way out of the loop, so that raised inside a
    Hypothesis test it ends the whole run at once instead of being taken for
    a failure of the test and shrunk.
    """


class ContractFailure(AssertionError):
    """Base of the per-key exception classes Hypothesis shrinks separately."""


class _Loop:
    """The one loop: every case of either side goes through ``run_case``."""

    def __init__(self, subject: Subject, contract: Contract, settings: FuzzSettings, report: Report) -> None:
        self.subject = subject
        self.contract = contract
        self.settings = settings
        self.report = report
        self.deadline = time.monotonic() + settings.duration if settings.duration else None
        self.db = open_database(settings.database, contract, side=subject.side)
        self.store = self.db.failures
        self._warned: set[str] = set()
        self.breaker = CircuitBreaker(
            threshold=settings.breaker_threshold, window=settings.breaker_window, backoff=settings.breaker_backoff
        )
        self.last_good: Case | None = None
        self.auth_refusals = 0
        self.request_cap: int | None = None
        self._classes: dict[tuple[str, str | None], type[ContractFailure]] = {}

    def out_of_budget(self) -> bool:
        if _INTERRUPT.is_set():
            raise KeyboardInterrupt
        if self.deadline is not None and time.monotonic() > self.deadline:
            return True
        return self.request_cap is not None and self.report.requests >= self.request_cap

    def exception_for(self, key: tuple[str, str | None]) -> type[ContractFailure]:
        if key not in self._classes:
            self._classes[key] = type(f"Failure_{len(self._classes)}", (ContractFailure,), {"key": key})
        return self._classes[key]

    def run_case(self, case: Case, *, split: bool = False) -> list[Failure]:
        """Send one case, run the checks, record what they find; return what was recorded.

        With ``split``, a valid combined at-limit payload that was refused is
        first tried as its single-limit cases: when one of those is refused
        too, they name what was refused, and the combined payload's refusal
        (the same bug again, less precisely) is not recorded.
        """
        return self._run(case, split)[1]

    def _run(self, case: Case, split: bool) -> tuple[Evaluation, list[Failure]]:
        if _INTERRUPT.is_set():
            raise KeyboardInterrupt
        if self.settings.thread_id is not None and case.thread_id != self.settings.thread_id:
            case = dataclasses.replace(case, thread_id=self.settings.thread_id)
        evaluation = self.subject.evaluate(case)
        self.report.requests += evaluation.requests
        self.report.examples += 1
        if evaluation.exchange is not None:
            self._watch_auth(evaluation.exchange)
        refused = [f for f in evaluation.failures if f.check == self.subject.refused_check]
        singles = self.subject.singles(case) if split and refused and case.valid else []
        explained = False
        try:
            explained = bool(singles) and self.bisect(singles)
        finally:
            # Recorded even when the bisection is interrupted: nothing found is ever lost.
            if explained:
                evaluation.failures = [f for f in evaluation.failures if f not in refused]
            kept = self.record(self.subject.admit(case, evaluation, self.report))
            self.report.record(case, evaluation.outcome)
        if self.settings.progress is not None:
            self.settings.progress(self.report)
        if evaluation.exchange is not None:
            self._watch_health(case, evaluation.exchange)
        return evaluation, kept

    def record(self, failures: list[Failure]) -> list[Failure]:
        for failure in failures:
            if not failure.request:
                failure.request = self.report.requests  # the request at which it was seen
            self.report.add(failure)
            if self.store is not None:
                try:
                    self.store.save(failure)
                except RuncontractError as exc:  # the failure stays in the report; the run goes on
                    self.warn_once(f"{exc}; failures found from now on are kept in the report only")
        return failures

    def warn_once(self, message: str) -> None:
        kind = message.split(":", 1)[0]
        if kind not in self._warned:
            self._warned.add(kind)
            warnings.warn(message, RuncontractWarning, stacklevel=2)

    def _watch_health(self, case: Case, exchange: Exchange) -> None:
        """Feed the breaker; when it trips, probe with backoff (raises TargetDead, or _Stop at the deadline)."""
        if unhealthy(exchange) is None:
            self.last_good = case
        if self.breaker.observe(exchange) and not self.breaker.recover(self._probe, deadline=self.deadline):
            raise _Stop

    def _probe(self) -> Exchange:
        if _INTERRUPT.is_set():
            raise KeyboardInterrupt
        probe = self.last_good or Case(dict(_PROBE_PAYLOAD), origin="probe")
        exchange = self.subject.probe(probe)
        self.report.requests += 1
        return exchange

    def _watch_auth(self, exchange: Exchange) -> None:
        if self.report.requests > _AUTH_PROBE:
            return
        if exchange.status in (401, 403):
            self.auth_refusals += 1
            if self.auth_refusals >= _AUTH_PROBE:
                raise _AuthRefused(exchange.status)
        else:
            self.auth_refusals = _AUTH_PROBE * 2  # one accepted answer settles it

    def run_list(self, cases: Iterable[Case]) -> None:
        for case in cases:
            if self.out_of_budget():
                raise _Stop
            self.run_case(case, split=True)

    def bisect(self, singles: list[Case]) -> bool:
        """A combined at-limit payload was refused: send its single-limit payloads, one each.

        Returns True when at least one of them was refused too.
        """
        found = False
        for single in singles:
            if self.out_of_budget():
                break
            evaluation, _ = self._run(single, split=False)
            found |= any(f.check == self.subject.refused_check for f in evaluation.failures)
        return found

    def run_random(self) -> None:
        from hypothesis import given, settings
        from hypothesis import seed as seed_decorator

        strategy = self.subject.strategy()
        loop = self
        chunk = 0
        while True:
            budget = self.settings.max_examples
            if self.deadline is not None:
                budget = 100  # in duration mode, generate in chunks until the time is up
            if budget == 0 or self.out_of_budget():
                return
            database = TolerantExampleDatabase(self.db.examples, self.warn_once) if self.db.examples else None

            def one(case: Case) -> None:
                if loop.out_of_budget():
                    raise _Stop  # ends Hypothesis at once (it would otherwise keep generating)
                failures = loop.run_case(case)
                fresh = [f for f in failures if f.origin != "boundary"]
                if fresh:
                    raise loop.exception_for(fresh[0].key)(fresh[0].message)

            test = settings(_quiet_settings(), max_examples=budget, database=database)(given(strategy)(one))
            test = seed_decorator((self.report.seed or 0) + chunk)(test)
            # Endpoint runs keep the digest they always had (existing databases still replay);
            # a client's examples are kept apart from an endpoint's.
            side = "" if self.subject.side == "endpoint" else f"{self.subject.side}:"
            digest = f"{side}{self.contract.version}:{self.contract.source}:{self.report.target}".encode()
            test._hypothesis_internal_add_digest = hashlib.sha256(digest).digest()  # type: ignore[attr-defined]
            if self.deadline is None and self.settings.shrink_requests is not None:
                self.request_cap = self.report.requests + budget + self.settings.shrink_requests
            try:
                test()
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                if not _only_ours(exc):
                    raise
            chunk += 1
            if self.deadline is None:
                return


def _only_ours(exc: BaseException) -> bool:
    """True when ``exc`` is (a group of) our failures or Hypothesis's flakiness about them."""
    from hypothesis.errors import Flaky

    if isinstance(exc, (ContractFailure, Flaky)):
        return True
    inner = getattr(exc, "exceptions", None)
    if inner is not None:
        return all(_only_ours(e) for e in inner)
    return False


class _AuthRefused(BaseException):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _new_report(contract: Contract, settings: FuzzSettings, subject: Subject) -> Report:
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
    return Report(
        target=subject.name,
        contract=f"{contract.version} ({contract.source})",
        seed=seed,
        checks=list(subject.checks),
    )


@contextmanager
def _guarded(report: Report) -> Iterator[None]:
    """Turn every way out of the loop into the Report's state; the Report keeps what was found."""
    _INTERRUPT.clear()
    start = time.monotonic()
    try:
        yield
    except _Stop:
        pass
    except _AuthRefused as refused:
        report.aborted = (
            f"the target answered {refused.status} to the first {_AUTH_PROBE} requests: "
            "check the API key (--api-key-env) and headers"
        )
    except TargetDead as dead:
        report.aborted = dead.reason
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        report.duration_s = time.monotonic() - start


def run_subject(subject: Subject, contract: Contract, settings: FuzzSettings | None = None) -> Report:
    """Fuzz ``subject`` (an endpoint or a client) against ``contract``; return the Report.

    Saved failures of the subject's side are replayed first, then its
    boundary plan (``settings.boundary_shard``: this worker's share), then
    random cases under Hypothesis. The run ends early, keeping every failure
    found so far, when interrupted (``report.interrupted``), when the budget
    or duration is spent, or (endpoints) when the credentials are refused or
    the target stops answering (``report.aborted``). The subject is not closed.
    """
    settings = settings or FuzzSettings(side=subject.side)
    if settings.side != subject.side:
        raise UsageError(f"settings are for an {settings.side} run, the subject is a {subject.side}")
    report = _new_report(contract, settings, subject)
    loop = _Loop(subject, contract, settings, report)
    with _guarded(report):
        try:
            if loop.store is not None:
                loop.run_list(loop.store.replay_cases())
            index, shards = settings.boundary_shard if subject.shardable else (0, 1)
            loop.run_list(subject.plan(settings.boundary)[index::shards])
            loop.record(subject.after_plan())
            loop.run_random()
        finally:
            loop.db.close()
            report.notes = subject.notes()
    return report


@functools.cache
def _quiet_settings() -> Any:
    """What every random phase runs under: no deadline or health checks, reuse-generate-shrink, nothing printed."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    return settings(
        deadline=None,
        derandomize=False,
        report_multiple_bugs=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.reuse, Phase.generate, Phase.shrink],
        print_blob=False,
        verbosity=Verbosity.quiet,
    )


def run_endpoint(
    target: Target,
    contract: Contract,
    settings: FuzzSettings | None = None,
    *,
    target_name: str = "target",
) -> Report:
    """Fuzz ``target`` against ``contract``; return the Report (never raises for what it finds).

    The run ends early, keeping every failure found so far, when interrupted
    (``report.interrupted``), when the credentials are refused, or when the
    target stops answering (``report.aborted``; it starts with ``DEAD_TARGET``).
    """
    settings = settings or FuzzSettings()
    return run_subject(endpoint_subject(target, contract, settings, target_name), contract, settings)


def _client(send: SendFn, contract: Contract, settings: FuzzSettings, options: dict[str, Any]) -> Subject:
    from ._client import ClientSubject

    return ClientSubject(send, contract, **options_of(settings, CLIENT_OPTIONS), **options)


def run_client(
    send: SendFn,
    contract: Contract,
    settings: FuzzSettings | None = None,
    *,
    name: str | None = None,
    validates: bool | None = None,
    clean_errors: tuple[type[BaseException], ...] | None = None,
    cases: Iterable[Case] = (),
) -> Report:
    """Fuzz a client serializer ``send(base_url, thread_id, payload)``: the same loop as :func:`run_endpoint`.

    ``settings.side`` must be ``client`` (``FuzzSettings(side="client")``);
    ``validates``, ``clean_errors`` and ``cases`` are :class:`ClientSubject`'s.
    """
    settings = settings or FuzzSettings(side="client")
    options: dict[str, Any] = {"name": name, "validates": validates, "cases": cases}
    if clean_errors is not None:
        options["clean_errors"] = clean_errors
    subject = _client(send, contract, settings, options)
    try:
        return run_subject(subject, contract, settings)
    finally:
        subject.close()


@dataclass
class ReplayOutcome:
    """One saved failure replayed: what today's checks found on its request."""

    saved: Failure
    source: str = ""
    now: list[Failure] = field(default_factory=list)
    sent: bool = False

    @property
    def reproduced(self) -> bool:
        """The saved failure's check fails again on its request."""
        return any(f.check == self.saved.check for f in self.now)

    @property
    def status(self) -> str:
        if not self.sent:
            return "not sent"
        if self.reproduced:
            return "reproduces"
        if self.now:
            return "fails differently: " + ", ".join(sorted({f.check for f in self.now}))
        return "fixed"


def replay_subject(
    subject: Subject,
    contract: Contract,
    saved: Iterable[Failure | tuple[str | os.PathLike[str], Failure]],
    settings: FuzzSettings | None = None,
) -> tuple[Report, list[ReplayOutcome]]:
    """Send each saved failure's request once to ``subject``; return the Report and one outcome per saved failure.

    The Report holds every failure today's checks find on those requests (so
    ``report.failures`` empty means none reproduces). Nothing is saved:
    ``settings.database``, the boundary plan and random generation are not used.
    """
    base = settings or FuzzSettings(side=subject.side)
    settings = dataclasses.replace(base, database=None, boundary=False, max_examples=0)
    report = _new_report(contract, settings, subject)
    loop = _Loop(subject, contract, settings, report)
    outcomes: list[ReplayOutcome] = []
    groups: dict[str, list[ReplayOutcome]] = {}
    for item in saved:
        source, failure = (str(item[0]), item[1]) if isinstance(item, tuple) else ("", item)
        outcome = ReplayOutcome(failure, source)
        outcomes.append(outcome)
        groups.setdefault(replay_key(failure), []).append(outcome)
    with _guarded(report):
        for group in groups.values():
            if loop.out_of_budget():
                break
            found = loop.run_case(case_for(group[0].saved, contract))
            for outcome in group:
                outcome.now, outcome.sent = list(found), True
        # Failures a client held back until it was known to validate belong to their request's outcome.
        for failure in loop.record(subject.after_plan()):
            for outcome in groups.get(replay_key(failure), ()):
                outcome.now.append(failure)
    return report, outcomes


def replay_endpoint(
    target: Target,
    contract: Contract,
    saved: Iterable[Failure | tuple[str | os.PathLike[str], Failure]],
    settings: FuzzSettings | None = None,
    *,
    target_name: str = "target",
) -> tuple[Report, list[ReplayOutcome]]:
    """:func:`replay_subject` for an endpoint ``target``."""
    settings = settings or FuzzSettings()
    return replay_subject(endpoint_subject(target, contract, settings, target_name), contract, saved, settings)


def replay_client(
    send: SendFn,
    contract: Contract,
    saved: Iterable[Failure | tuple[str | os.PathLike[str], Failure]],
    settings: FuzzSettings | None = None,
    *,
    name: str | None = None,
    validates: bool | None = None,
) -> tuple[Report, list[ReplayOutcome]]:
    """:func:`replay_subject` for a client serializer ``send``: which saved client failures it still shows."""
    settings = settings or FuzzSettings(side="client")
    subject = _client(send, contract, settings, {"name": name, "validates": validates})
    try:
        return replay_subject(subject, contract, saved, settings)
    finally:
        subject.close()
