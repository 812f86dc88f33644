"""``check_client``: drive a client serializer with boundary and random payloads and judge what it sent."""

from __future__ import annotations

import copy
import functools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import ExampleDatabase

from .._core import Captured, Case, Exchange
from ..checks import CLIENT_CHECKS, ClientCheck, ClientContext, Outcome, Problem
from ..contract import Contract, load_contract
from ..drivers import ClientCrashed, ClientRejected, InProcessClient, LoopbackRecorder, SendFn
from ..report import Failure, Report, curl_line
from ._generate import at_cases, boundary_examples, case_strategy

__all__ = ["DEFAULT_CLEAN_ERRORS", "ClientRun", "check_client"]

DEFAULT_CLEAN_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError)


class _Found(Exception):
    """Raised inside the Hypothesis test so it shrinks; one subclass per (check, constraint)."""


_FOUND_CLASSES: dict[tuple[str, str | None], type[_Found]] = {}


def _found_class(key: tuple[str, str | None]) -> type[_Found]:
    cls = _FOUND_CLASSES.get(key)
    if cls is None:
        cls = type(f"ClientFailure[{key[0]}:{key[1]}]", (_Found,), {})
        _FOUND_CLASSES[key] = cls
    return cls


def _only_ours(exc: BaseException) -> bool:
    inner = getattr(exc, "exceptions", None)
    if inner is not None:
        return all(_only_ours(e) for e in inner)
    return isinstance(exc, _Found)


@dataclass
class ClientRun:
    """The state of one ``check_client`` run: where requests go, what was found."""

    send: SendFn
    contract: Contract
    report: Report
    checks: Mapping[str, ClientCheck]
    clean_errors: tuple[type[BaseException], ...]
    validates: bool | None
    base_url: str
    take: Callable[[], list[Captured]]
    origin: str
    pending_agrees: list[Failure] = field(default_factory=list)
    rejected_invalid: int = 0
    crash_sites: dict[tuple[str, ...], tuple[str, str | None]] = field(default_factory=dict)
    last_site: tuple[str, ...] | None = None

    # ------------------------------------------------------------ one example

    def call(self, case: Case) -> tuple[Outcome, BaseException | None, list[Captured]]:
        self.take()
        outcome: Outcome = "sent"
        error: BaseException | None = None
        try:
            self.send(self.base_url, case.thread_id, copy.deepcopy(case.payload))
        except ClientRejected as exc:
            outcome, error = "rejected", exc
        except Exception as exc:
            outcome, error = ("rejected" if isinstance(exc, self.clean_errors) else "crashed"), exc
        self.report.requests += 1
        return outcome, error, self.take()

    def culprit(self, case: Case) -> str | None:
        """For a valid payload the client refused: the top-level field whose removal makes it send."""
        payload = case.payload
        if not isinstance(payload, dict):
            return None
        required = set(self.contract.request_schema.get("required", ()))
        for name in sorted(payload):
            if name in required:
                continue
            smaller = {k: v for k, v in payload.items() if k != name}
            outcome, _, _ = self.call(Case(smaller, case.thread_id, "valid", None, "", "culprit"))
            if outcome == "sent":
                return str(name)
        return None

    def evaluate(self, case: Case) -> list[tuple[str, Problem, Captured | None]]:
        outcome, error, requests = self.call(case)
        self.last_site = _crash_site(error) if outcome == "crashed" else None
        self.report.examples += 1
        if not case.valid and outcome == "rejected" and _representable(case.payload):
            self.rejected_invalid += 1
        self.report.record(case, outcome)
        found: list[str | None] = []

        def culprit() -> str | None:
            if len(case.covers) > 1:
                return None  # a combined boundary payload: check_client tries its single cases instead
            if not found:
                found.append(self.culprit(case))
            return found[0]

        ctx = ClientContext(
            contract=self.contract,
            case=case,
            outcome=outcome,
            requests=requests,
            error=error,
            validates=self.validates is not False,  # undecided: judged as if it validates, kept pending
            culprit=culprit,
        )
        request = requests[0] if requests else None
        problems = []
        for name, check in self.checks.items():
            problem = check(ctx)
            if problem is not None:
                problems.append((name, problem, request))
        return problems

    # --------------------------------------------------------------- results

    def failure(self, case: Case, check: str, problem: Problem, request: Captured | None) -> Failure:
        if request is not None:
            exchange = Exchange(
                method=request.method,
                url=self.origin + request.target,
                request_headers=request.header_dict(),
                request_body=request.body,
                status=200,
            )
        else:
            exchange = _canonical(self.contract, self.base_url, case)
        return Failure(
            check=check,
            constraint=problem.constraint,
            message=problem.message,
            payload=case.payload,
            thread_id=case.thread_id,
            status=200 if request is not None else 0,
            response_excerpt="",
            curl=curl_line(exchange),
            expected=case.expected,
            origin=case.origin,
        )

    def covered(self, check: str, constraint: str | None) -> bool:
        """A random refusal already explained by a boundary failure of the same field."""
        if constraint is None:
            return False
        return any(
            f.check == check
            and f.origin == "boundary"
            and f.constraint is not None
            and (f.constraint == constraint or f.constraint.startswith(constraint + "."))
            for f in self.report.failures
        )

    def keep(
        self, case: Case, problems: Iterable[tuple[str, Problem, Captured | None]]
    ) -> list[tuple[str, str | None]]:
        """Add ``problems`` to the report; the keys that are new findings of this example."""
        keys: list[tuple[str, str | None]] = []
        for check, problem, request in problems:
            failure = self.failure(case, check, problem, request)
            if check == "client_agrees" and self.validates is None:
                self.pending_agrees.append(failure)
                continue
            if (
                case.origin != "boundary"
                and check == "client_accepts_valid"
                and self.covered(check, problem.constraint)
            ):
                continue
            if self.last_site is not None and check in ("client_accepts_valid", "client_no_crash"):
                # One crash site is one bug, whichever constraint the payload that reached it broke.
                first = self.crash_sites.setdefault(self.last_site, failure.key)
                if first != failure.key:
                    continue
            self.report.add(failure)
            keys.append(failure.key)
        return keys

    def boundary_case(self, case: Case) -> None:
        """Run one boundary case; a combined valid payload the client refused is split into its single cases."""
        problems = self.evaluate(case)
        refused = [p for p in problems if p[0] == "client_accepts_valid"]
        if case.valid and len(case.covers) > 1 and refused:
            before = {f.key for f in self.report.failures}
            for single in at_cases(self.contract, case.covers):
                self.boundary_case(single)
            if any(k[0] == "client_accepts_valid" and k not in before for k in (f.key for f in self.report.failures)):
                problems = [p for p in problems if p[0] != "client_accepts_valid"]
        self.keep(case, problems)

    def resolve_validates(self) -> None:
        """Auto-detect: a client that refused some invalid payload cleanly claims to validate."""
        if self.validates is None:
            self.validates = self.rejected_invalid > 0
            if self.validates:
                for failure in self.pending_agrees:
                    self.report.add(failure)
            self.pending_agrees.clear()


def _representable(payload: Any) -> bool:
    """Whether ``payload`` is an object that can be written as UTF-8 JSON at all.

    Refusing one that cannot (a lone surrogate, NaN, a bare array where an
    SDK takes keyword arguments) says nothing about whether a client validates.
    """
    if not isinstance(payload, dict):
        return False
    try:
        json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError):
        return False
    return True


@functools.lru_cache(maxsize=2)
def _default_contract(version: str) -> Contract:
    return load_contract(version=version)


def _crash_site(error: BaseException | None) -> tuple[str, ...] | None:
    """Where a crash happened (exception type and innermost frame), to tell one crash bug from another."""
    if error is None or isinstance(error, ClientCrashed):
        return None  # a program's crash: its stderr, not our frames, says where
    tb = error.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return (type(error).__name__,)
    return (type(error).__name__, last.tb_frame.f_code.co_filename, str(last.tb_lineno))


def _canonical(contract: Contract, base_url: str, case: Case) -> Exchange:
    """The request the contract expects for ``case`` (for a curl line when nothing was sent)."""
    from ..drivers import encode_payload, quote_thread_id, request_headers

    path = contract.endpoint.path.split("/threads/", 1)[1].replace("{thread_id}", quote_thread_id(case.thread_id))
    return Exchange(
        method="POST",
        url=f"{base_url.rstrip('/')}/threads/{path}",
        request_headers=request_headers(contract, "sk-test", None),
        request_body=encode_payload(case.payload),
    )


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
    database: ExampleDatabase | None = None,
    name: str | None = None,
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
    awkward thread ids), then ``max_examples`` random cases under Hypothesis,
    so failures shrink; one failure is kept per (check, constraint), with the
    smallest payload. ``cases`` are run first, before the boundary cases
    (``boundary=False`` leaves those out). ``validates``: whether the client claims to validate
    (``client_agrees``); None reads ``send.validates`` and otherwise
    auto-detects: a client that cleanly refused some invalid boundary payload
    (an object that could have been written as UTF-8 JSON) validates.
    """
    contract = contract if contract is not None else _default_contract("v2")
    selected = list(checks) if checks is not None else list(CLIENT_CHECKS)
    unknown = [c for c in selected if c not in CLIENT_CHECKS]
    if unknown:
        raise ValueError(f"unknown client checks: {', '.join(unknown)}")
    if validates is None:
        declared = getattr(send, "validates", None)
        validates = declared if isinstance(declared, bool) else None
    report = Report(
        target=name or getattr(send, "__qualname__", None) or type(send).__name__,
        contract=contract.source,
        seed=seed,
        checks=selected,
    )
    started = time.perf_counter()
    recorder: LoopbackRecorder | None = None
    if isinstance(send, InProcessClient):
        base_url, take = send.base_url, send.take
        send.version = contract.version
    else:
        prefix = contract.endpoint.path.split("/threads/", 1)[0]
        recorder = LoopbackRecorder(version=contract.version, prefix=prefix).start()
        base_url, take = recorder.base_url, recorder.take
    origin = base_url[: len(base_url) - len(contract.endpoint.path.split("/threads/", 1)[0])]
    run = ClientRun(
        send=send,
        contract=contract,
        report=report,
        checks={c: CLIENT_CHECKS[c] for c in selected},
        clean_errors=tuple(clean_errors),
        validates=validates,
        base_url=base_url,
        take=take,
        origin=origin,
    )
    try:
        for case in [*cases, *(boundary_examples(contract) if boundary else ())]:
            run.boundary_case(case)
        run.resolve_validates()
        if max_examples > 0:
            _random_phase(run, max_examples, seed, database)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        if recorder is not None:
            recorder.stop()
        report.duration_s = time.perf_counter() - started
    return report


def _random_phase(run: ClientRun, max_examples: int, seed: int | None, database: ExampleDatabase | None) -> None:
    strategy = case_strategy(run.contract)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=database,
        report_multiple_bugs=True,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        derandomize=False,
    )
    @given(strategy)
    def client_example(case: Case) -> None:
        keys = run.keep(case, run.evaluate(case))
        if keys:
            raise _found_class(keys[0])(json.dumps(keys[0]))

    test = hypothesis_seed(seed)(client_example) if seed is not None else client_example
    try:
        test()
    except BaseException as exc:  # an exception group of our own findings is the normal end
        if not _only_ours(exc):
            raise
