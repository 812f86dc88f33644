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
import hashlib
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .._core import Case, Exchange, Failure, Report, Target, curl_line, redact_headers
from .._errors import RuncontractError, RuncontractWarning, UsageError
from ..checks import DEFAULT_CHECKS, ENDPOINT_CHECKS, CheckContext
from ..contract import Contract
from ._breaker import DEAD_TARGET, CircuitBreaker, TargetDead, unhealthy
from ._database import Database, TolerantExampleDatabase, open_database
from ._memory import case_for, replay_key

if TYPE_CHECKING:
    from hypothesis.database import ExampleDatabase

__all__ = [
    "DEAD_TARGET",
    "FuzzSettings",
    "ReplayOutcome",
    "Target",
    "replay_endpoint",
    "request_interrupt",
    "run_endpoint",
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

    ``database`` is a directory (saved failures under ``failures/<version>/``,
    Hypothesis's examples under ``examples/``), or None for no memory.
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
    database: str | Path | Database | ExampleDatabase | None = ".runcontract"
    api_key_env: str | None = "OPENAI_API_KEY"
    progress: Callable[[Report], None] | None = None
    # Requests allowed for shrinking, beyond the plan and max_examples: each
    # distinct failure is shrunk, and a server wrong about every field would
    # otherwise cost hundreds of requests per field. None: shrink to the end.
    shrink_requests: int | None = 500
    breaker_threshold: int = 20
    breaker_window: float = 60.0
    breaker_backoff: float = 0.5

    def __post_init__(self) -> None:
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
        unknown = [c for c in self.checks if c not in ENDPOINT_CHECKS]
        if unknown:
            raise UsageError(f"unknown check {unknown[0]!r} (known: {', '.join(ENDPOINT_CHECKS)})")
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
    def __init__(self, target: Target, contract: Contract, settings: FuzzSettings, report: Report) -> None:
        self.target = target
        self.contract = contract
        self.settings = settings
        self.report = report
        self.checks = [(name, ENDPOINT_CHECKS[name]) for name in settings.checks]
        self.deadline = time.monotonic() + settings.duration if settings.duration else None
        self.db = open_database(settings.database, contract)
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

    def warn_once(self, message: str) -> None:
        kind = message.split(":", 1)[0]
        if kind not in self._warned:
            self._warned.add(kind)
            warnings.warn(message, RuncontractWarning, stacklevel=2)

    def exception_for(self, key: tuple[str, str | None]) -> type[ContractFailure]:
        if key not in self._classes:
            self._classes[key] = type(f"Failure_{len(self._classes)}", (ContractFailure,), {"key": key})
        return self._classes[key]

    def run_case(self, case: Case) -> list[Failure]:
        """Send one case, run the checks, record what they find."""
        if _INTERRUPT.is_set():
            raise KeyboardInterrupt
        if self.settings.thread_id is not None and case.thread_id != self.settings.thread_id:
            case = dataclasses.replace(case, thread_id=self.settings.thread_id)
        exchange = self.target.send(case)
        self.report.requests += 1
        self.report.examples += 1
        self._watch_auth(exchange)
        ctx = CheckContext(self.contract, case, exchange, self.settings.accepted_invalid)
        secrets = _secrets(exchange)
        found = []
        for name, check in self.checks:
            problem = check(ctx)
            if problem is None:
                continue
            failure = Failure(
                check=name,
                constraint=problem.constraint,
                message=_scrub(problem.message, secrets),
                payload=case.payload,
                thread_id=case.thread_id,
                status=exchange.status,
                response_excerpt=_scrub(exchange.error or exchange.excerpt(), secrets),
                curl=_scrub(curl_line(exchange, api_key_env=self.settings.api_key_env), secrets),
                expected=case.expected,
                origin=case.origin,
            )
            found.append(failure)
            self.report.add(failure)
            if self.store is not None:
                try:
                    self.store.save(failure)
                except RuncontractError as exc:  # the failure stays in the report; the run goes on
                    self.warn_once(f"{exc}; failures found from now on are kept in the report only")
        self.report.record(case, "error" if exchange.error else str(exchange.status))
        if self.settings.progress is not None:
            self.settings.progress(self.report)
        self._watch_health(case, exchange)
        return found

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
        exchange = self.target.send(probe)
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
            failures = self.run_case(case)
            refused = [f for f in failures if f.check == "valid_accepted"]
            if case.valid and case.origin == "boundary" and refused and self.bisect(case):
                # The single-limit payloads name what was refused: the big combined
                # payload would only report the same bug again.
                self.report.failures = [f for f in self.report.failures if f not in refused]

    def bisect(self, combined: Case) -> bool:
        """A combined at-limit payload was refused: find which limits, one payload each.

        Returns True when at least one single-limit payload was refused too.
        """
        from ..strategies import boundary_cases, with_registered_ids

        fields = set(combined.payload) if isinstance(combined.payload, dict) else set()
        singles = [
            Case(b.payload, combined.thread_id, "valid", b.constraint, b.note, "boundary")
            for b in boundary_cases(self.contract)
            if b.side == "at" and set(b.payload) <= fields and len(b.payload) >= 2 and b.payload != combined.payload
        ]
        found = False
        for single in with_registered_ids(singles, contract=self.contract):
            if self.out_of_budget():
                break
            found |= any(f.check == "valid_accepted" for f in self.run_case(single))
        return found

    def run_random(self) -> None:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as seed_decorator

        from ..strategies import requests

        strategy = requests(self.contract)
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

            test = settings(
                max_examples=budget,
                database=database,
                deadline=None,
                derandomize=False,
                report_multiple_bugs=True,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.reuse, Phase.generate, Phase.shrink],
                print_blob=False,
            )(given(strategy)(one))
            test = seed_decorator((self.report.seed or 0) + chunk)(test)
            digest = f"{self.contract.version}:{self.contract.source}:{self.report.target}".encode()
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


def _secrets(exchange: Exchange) -> list[str]:
    """Credential values the request carried (whole header values and the token after a scheme)."""
    out: list[str] = []
    for name, value in exchange.request_headers.items():
        if redact_headers({name: value})[name] == value:
            continue
        out.append(value)
        token = value.partition(" ")[2]
        if token:
            out.append(token.strip())
    # Longest first, so that a token inside a whole value is not half replaced; short values
    # (a test's "k") would mangle ordinary text and are not credentials worth hiding.
    return sorted({s for s in out if len(s) >= 8}, key=len, reverse=True)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every credential replaced (a server may echo the request's headers back)."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


def _new_report(contract: Contract, settings: FuzzSettings, target_name: str) -> Report:
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
    return Report(
        target=target_name,
        contract=f"{contract.version} ({contract.source})",
        seed=seed,
        checks=list(settings.checks),
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
    from ..strategies import boundary_plan, with_registered_ids

    settings = settings or FuzzSettings()
    report = _new_report(contract, settings, target_name)
    loop = _Loop(target, contract, settings, report)
    with _guarded(report):
        try:
            if loop.store is not None:
                loop.run_list(loop.store.replay_cases())
            if settings.boundary:
                # Ids that must exist on the target come from the strategies/ registrations.
                index, shards = settings.boundary_shard
                plan = with_registered_ids(boundary_plan(contract), contract=contract)
                loop.run_list(plan[index::shards])
            loop.run_random()
        finally:
            loop.db.close()
    return report


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


def replay_endpoint(
    target: Target,
    contract: Contract,
    saved: Iterable[Failure | tuple[str | os.PathLike[str], Failure]],
    settings: FuzzSettings | None = None,
    *,
    target_name: str = "target",
) -> tuple[Report, list[ReplayOutcome]]:
    """Send each saved failure's request once to ``target``; return the Report and one outcome per saved failure.

    The Report holds every failure today's checks find on those requests (so
    ``report.failures`` empty means none reproduces). Nothing is saved:
    ``settings.database``, the boundary plan and random generation are not used.
    """
    settings = dataclasses.replace(settings or FuzzSettings(), database=None, boundary=False, max_examples=0)
    report = _new_report(contract, settings, target_name)
    loop = _Loop(target, contract, settings, report)
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
    return report, outcomes
