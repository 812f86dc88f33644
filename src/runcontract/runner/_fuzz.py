"""The fuzz loop: saved failures, then the boundary plan, then random generation.

Random generation runs under Hypothesis so that each distinct disagreement
(one per check and constraint) is shrunk on its own: every failure raises an
exception class of its own key, and ``report_multiple_bugs`` keeps Hypothesis
shrinking each. Results never depend on Hypothesis's final verdict: every
failure is written into the Report the moment it is seen, and the smallest
payload per key is kept, so an interrupt or a budget cut loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .._errors import UsageError
from ..checks import ENDPOINT_CHECKS, CheckContext
from ..checks._endpoint import DEFAULT_CHECKS
from ..contract import Contract
from ..drivers._exchange import Exchange
from ..report import Failure, Report, curl_line
from ..strategies._case import Case
from ._memory import FailureStore

__all__ = ["FuzzSettings", "Target", "run_endpoint"]

# After this many consecutive 401/403 answers from the first requests, the
# credentials (not the contract) are at fault: stop and say so.
_AUTH_PROBE = 5


class Target(Protocol):
    """Anything that sends a Case and returns the Exchange (drivers implement it)."""

    def send(self, case: Case) -> Exchange: ...


@dataclass
class FuzzSettings:
    """How long and how hard to fuzz, and what to check."""

    max_examples: int = 200
    duration: float | None = None
    seed: int | None = None
    checks: Sequence[str] = DEFAULT_CHECKS
    accepted_invalid: frozenset[int] = frozenset({400})
    boundary: bool = True
    database: str | Path | None = ".runcontract"
    api_key_env: str | None = "OPENAI_API_KEY"
    progress: Callable[[Report], None] | None = None
    # Requests allowed for shrinking, beyond the plan and max_examples: each
    # distinct failure is shrunk, and a server wrong about every field would
    # otherwise cost hundreds of requests per field. None: shrink to the end.
    shrink_requests: int | None = 500

    def __post_init__(self) -> None:
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


class _Stop(Exception):
    """Raised inside the loop when the budget is spent."""


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
        self.store = FailureStore(settings.database, contract) if settings.database else None
        self.auth_refusals = 0
        self.request_cap: int | None = None
        self._classes: dict[tuple[str, str | None], type[ContractFailure]] = {}

    def out_of_budget(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return True
        return self.request_cap is not None and self.report.requests >= self.request_cap

    def exception_for(self, key: tuple[str, str | None]) -> type[ContractFailure]:
        if key not in self._classes:
            self._classes[key] = type(f"Failure_{len(self._classes)}", (ContractFailure,), {"key": key})
        return self._classes[key]

    def run_case(self, case: Case) -> list[Failure]:
        """Send one case, run the checks, record what they find."""
        exchange = self.target.send(case)
        self.report.requests += 1
        self.report.examples += 1
        self._watch_auth(exchange)
        ctx = CheckContext(self.contract, case, exchange, self.settings.accepted_invalid)
        found = []
        for name, check in self.checks:
            problem = check(ctx)
            if problem is None:
                continue
            failure = Failure(
                check=name,
                constraint=problem.constraint,
                message=problem.message,
                payload=case.payload,
                thread_id=case.thread_id,
                status=exchange.status,
                response_excerpt=exchange.error or exchange.excerpt(),
                curl=curl_line(exchange, api_key_env=self.settings.api_key_env),
                expected=case.expected,
                origin=case.origin,
            )
            found.append(failure)
            self.report.add(failure)
            if self.store is not None:
                self.store.save(failure)
        self.report.record(case, "error" if exchange.error else str(exchange.status))
        if self.settings.progress is not None:
            self.settings.progress(self.report)
        return found

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
            if case.valid and case.origin == "boundary" and any(f.check == "valid_accepted" for f in failures):
                self.bisect(case)

    def bisect(self, combined: Case) -> None:
        """A combined at-limit payload was refused: find which limits, one payload each."""
        from ..strategies._boundary import boundary_cases

        fields = set(combined.payload) if isinstance(combined.payload, dict) else set()
        for single in boundary_cases(self.contract):
            if single.side != "at" or not set(single.payload) <= fields or len(single.payload) < 2:
                continue
            if single.payload == combined.payload or self.out_of_budget():
                continue
            self.run_case(Case(single.payload, combined.thread_id, "valid", single.constraint, single.note, "boundary"))

    def run_random(self) -> None:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as seed_decorator
        from hypothesis.database import DirectoryBasedExampleDatabase

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
            database: Any = None
            if self.settings.database:
                database = DirectoryBasedExampleDatabase(str(Path(self.settings.database) / "examples"))

            def one(case: Case) -> None:
                if loop.out_of_budget():
                    return
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


class _AuthRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def run_endpoint(
    target: Target,
    contract: Contract,
    settings: FuzzSettings | None = None,
    *,
    target_name: str = "target",
) -> Report:
    """Fuzz ``target`` against ``contract``; return the Report (never raises for what it finds)."""
    from ..strategies import boundary_plan

    settings = settings or FuzzSettings()
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
    report = Report(
        target=target_name,
        contract=f"{contract.version} ({contract.source})",
        seed=seed,
        checks=list(settings.checks),
    )
    loop = _Loop(target, contract, settings, report)
    start = time.monotonic()
    try:
        if loop.store is not None:
            loop.run_list(loop.store.replay_cases())
        if settings.boundary:
            loop.run_list(boundary_plan(contract))
        loop.run_random()
    except _Stop:
        pass
    except _AuthRefused as refused:
        report.aborted = (
            f"the target answered {refused.status} to the first {_AUTH_PROBE} requests: "
            "check the API key (--api-key-env) and headers"
        )
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        report.duration_s = time.monotonic() - start
    return report


def report_summary(report: Report) -> dict[str, Any]:
    return json.loads(report.to_json())  # type: ignore[no-any-return]
