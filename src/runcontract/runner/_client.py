"""A client serializer as a fuzz-loop subject: ``send(base_url, thread_id, payload)`` judged by the client checks.

Requests go to a loopback recorder on 127.0.0.1 (or, for an
:class:`InProcessClient`, straight into its transport). Each example ends as
*sent*, *rejected* (``send`` raised one of ``clean_errors`` or
``ClientRejected``) or *crashed* (anything else), and the client checks
(``runcontract.checks.CLIENT_CHECKS``) judge it.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._core import Captured, Case, Exchange, Failure, Report, curl_line
from ..checks import CLIENT_CHECKS, ClientContext, Outcome, Problem, argument_error, crash_site, request_prefix
from ..contract import Contract
from ..drivers import (
    ClientCannotExpress,
    ClientCrashed,
    ClientRejected,
    InProcessClient,
    LoopbackRecorder,
    Responder,
    SendFn,
)
from ._breaker import TargetDead
from ._client_cases import at_cases, boundary_examples, case_strategy
from ._memory import REPLAY_VALIDATED
from ._subject import Evaluation

# Calls in a row that did not return within the call timeout before the run stops (the client is stuck).
_HANGS_TO_STOP = 3

# What a Python client raises when it refuses a payload cleanly (anything else is a crash).
DEFAULT_CLEAN_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["ClientSubject"]


class ClientSubject:
    """One client under test: where its requests go, and what its checks need to remember between cases.

    ``validates``: whether the client validates every constraint
    (``client_agrees``); None reads ``send.validates`` and otherwise decides
    per constraint: a client validates a constraint once it has refused some
    payload that breaks it cleanly (an object that could have been written as
    UTF-8 JSON; a Python argument error refuses that argument, nothing more).
    Until then that constraint's ``client_agrees`` failures are held back.
    ``cannot_express`` (and ``send.cannot_express``): dotted fields the library
    has no way to send, a capability gap reported once instead of a drop.
    ``strict_nulls``: null and absent differ. ``call_timeout``: seconds one call
    may take (a hang is a crash; three in a row stop the run). ``cases`` run
    first, before the boundary plan.
    """

    side = "client"
    refused_check = "client_accepts_valid"

    def __init__(
        self,
        send: SendFn,
        contract: Contract,
        *,
        checks: Sequence[str] | None = None,
        clean_errors: tuple[type[BaseException], ...] = DEFAULT_CLEAN_ERRORS,
        validates: bool | None = None,
        cases: Iterable[Case] = (),
        name: str | None = None,
        cannot_express: Iterable[str] = (),
        strict_nulls: bool = False,
        call_timeout: float = 30.0,
    ) -> None:
        self.send = send
        self.contract = contract
        self.checks = tuple(checks) if checks is not None else tuple(CLIENT_CHECKS)
        unknown = [c for c in self.checks if c not in CLIENT_CHECKS]
        if unknown:
            raise ValueError(f"unknown client checks: {', '.join(unknown)}")
        self._checks = {c: CLIENT_CHECKS[c] for c in self.checks}
        self.clean_errors = tuple(clean_errors)
        if validates is None:
            declared = getattr(send, "validates", None)
            validates = declared if isinstance(declared, bool) else None
        self.validates = validates
        self.cases = list(cases)
        self.name = name or getattr(send, "__qualname__", None) or type(send).__name__
        self.cannot_express = frozenset(cannot_express) | frozenset(getattr(send, "cannot_express", None) or ())
        self.strict_nulls = strict_nulls
        self.call_timeout = call_timeout
        # Per constraint: the client's clean refusals of payloads breaking it, and the
        # client_agrees failures held back until it has shown that it validates it.
        self.refusals: dict[str, int] = {}
        self.pending_agrees: dict[str, list[Failure]] = {}
        self.crash_sites: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self.prefixes: dict[str, int] = {}
        self._hangs = 0
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="runcontract-client")
        self._recorder: LoopbackRecorder | None = None
        self.responder: Responder
        if isinstance(send, InProcessClient):
            self.base_url, self._take = send.base_url, send.take
            send.version = send.responder.version = contract.version
            self.responder = send.responder
        else:
            prefix = contract.endpoint.path.split("/threads/", 1)[0]
            self._recorder = LoopbackRecorder(version=contract.version, prefix=prefix).start()
            self.base_url, self._take = self._recorder.base_url, self._recorder.take
            self.responder = self._recorder.responder
        self.prefix = contract.endpoint.path.split("/threads/", 1)[0]
        self.origin = self.base_url[: len(self.base_url) - len(self.prefix)]

    @property
    def shardable(self) -> bool:
        # Auto-detecting ``validates`` needs the whole plan: a worker that saw only
        # its share could decide otherwise than one process would.
        return self.validates is not None

    # ------------------------------------------------------------ the plan

    def plan(self, boundary: bool) -> list[Case]:
        return [*self.cases, *(boundary_examples(self.contract) if boundary else ())]

    def strategy(self) -> SearchStrategy[Case]:
        return case_strategy(self.contract)

    def singles(self, combined: Case) -> list[Case]:
        if len(combined.covers) < 2:
            return []
        return at_cases(self.contract, combined.covers)

    # ------------------------------------------------------------ one example

    def _call(self, case: Case) -> tuple[Outcome, BaseException | None, list[Captured]]:
        """Call ``send`` in a worker thread, so a client that never returns costs one timeout."""
        if self._hangs >= _HANGS_TO_STOP:
            raise TargetDead(f"the client did not return within {self.call_timeout:g}s {self._hangs} times in a row")
        self._take()
        self.responder.created()
        outcome: Outcome = "sent"
        error: BaseException | None = None
        future = self._pool.submit(self.send, self.base_url, case.thread_id, copy.deepcopy(case.payload))
        try:
            future.result(timeout=self.call_timeout)
            self._hangs = 0
        except concurrent.futures.TimeoutError:
            # The stuck thread is left behind (Python cannot stop it); later calls get a fresh one.
            self._pool.shutdown(wait=False)
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="runcontract-client")
            self._hangs += 1
            outcome, error = "crashed", ClientCrashed(f"the call did not return within {self.call_timeout:g} s")
        except ClientRejected as exc:
            outcome, error = "rejected", exc
        except ClientCannotExpress as exc:
            outcome, error = "unsupported", exc
        except Exception as exc:
            outcome, error = ("rejected" if isinstance(exc, self.clean_errors) else "crashed"), exc
        return outcome, error, self._take()

    def call(self, case: Case) -> tuple[Outcome, list[Captured]]:
        """Give ``case`` to the client unjudged: how the call ended and what arrived (``compare_clients``)."""
        outcome, _error, requests = self._call(case)
        self.responder.created()
        return outcome, requests

    def evaluate(self, case: Case) -> Evaluation:
        outcome, error, requests = self._call(case)
        threads = frozenset(self.responder.created())
        sent = [1]
        if (
            not case.valid
            and case.constraint
            and case.origin == "boundary"  # a minimal payload breaking one constraint: refused for that one
            and outcome == "rejected"
            and _representable(case.payload)
            and not argument_error(error)
        ):
            self.refusals[case.constraint] = self.refusals.get(case.constraint, 0) + 1
        for captured in requests:
            prefix = request_prefix(captured)
            if captured.method == "POST" and captured.raw_path.endswith("/runs") and prefix != self.prefix:
                self.prefixes[prefix] = self.prefixes.get(prefix, 0) + 1
        found: list[str | None] = []

        def culprit() -> str | None:
            """For a valid payload the client refused: the top-level field whose removal makes it send."""
            if len(case.covers) > 1:
                return None  # a combined boundary payload: its single cases are tried instead
            if not found:
                found.append(self._culprit(case, sent))
            return found[0]

        ctx = ClientContext(
            contract=self.contract,
            case=case,
            outcome=outcome,
            requests=requests,
            error=error,
            validates=self.validates is not False,  # undecided: judged as if it validates, kept pending
            culprit=culprit,
            strict_nulls=self.strict_nulls,
            cannot_express=self.cannot_express,
            threads=threads,
        )
        request = _run_request(requests)
        failures = []
        for name, check in self._checks.items():
            problem = check(ctx)
            if problem is not None:
                failures.append(self._failure(case, name, problem, request))
        site = crash_site(error) if outcome == "crashed" else None
        return Evaluation(failures, outcome, requests=sent[0], crash_site=site)

    def _culprit(self, case: Case, sent: list[int]) -> str | None:
        payload = case.payload
        if not isinstance(payload, dict):
            return None
        required = set(self.contract.request_schema.get("required", ()))
        for name in sorted(payload):
            if name in required:
                continue
            smaller = {k: v for k, v in payload.items() if k != name}
            outcome, _, _ = self._call(Case(smaller, case.thread_id, "valid", None, "", "culprit"))
            sent[0] += 1
            if outcome == "sent":
                return str(name)
        return None

    def _failure(self, case: Case, check: str, problem: Problem, request: Captured | None) -> Failure:
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
            cause=problem.cause or "",
            label=case.label,
            payload=case.payload,
            thread_id=case.thread_id,
            status=200 if request is not None else 0,
            response_excerpt="",
            curl=curl_line(exchange),
            expected=case.expected,
            origin=case.origin,
        )

    # --------------------------------------------------------------- results

    def _covered(self, report: Report, check: str, constraint: str | None) -> bool:
        """A random refusal already explained by a boundary failure of the same field."""
        if constraint is None:
            return False
        return any(
            f.check == check
            and f.origin == "boundary"
            and f.constraint is not None
            and (f.constraint == constraint or f.constraint.startswith(constraint + "."))
            for f in report.failures
        )

    def admit(self, case: Case, evaluation: Evaluation, report: Report) -> list[Failure]:
        kept: list[Failure] = []
        if case.constraint and self.refusals.get(case.constraint):
            # The client has now shown it validates this constraint: what it let through before counts.
            kept.extend(self.pending_agrees.pop(case.constraint, ()))
        for failure in evaluation.failures:
            check = failure.check
            if check == "client_agrees" and self.validates is None and case.label != REPLAY_VALIDATED:
                # A saved failure was judged when it was found; a fresh one waits for a refusal.
                if not self.refusals.get(failure.constraint or ""):
                    failure.request = failure.request or report.requests
                    self.pending_agrees.setdefault(failure.constraint or "", []).append(failure)
                    continue
            if (
                case.origin != "boundary"
                and check == "client_accepts_valid"
                and self._covered(report, check, failure.constraint)
            ):
                continue
            if evaluation.crash_site is not None and check in ("client_accepts_valid", "client_no_crash"):
                # One crash site is one bug, whichever constraint the payload that reached it broke.
                first = self.crash_sites.setdefault(evaluation.crash_site, failure.key)
                if first != failure.key:
                    continue
            kept.append(failure)
        return kept

    def after_plan(self) -> list[Failure]:
        """Nothing to release: ``client_agrees`` failures are released per constraint as refusals show up."""
        return []

    def notes(self) -> list[str]:
        """What a reader should know that is not a failure: create-run requests under another path prefix."""
        return [
            f"create-run requests arrived under {prefix!r} ({count}), not {self.prefix!r}: accepted"
            for prefix, count in sorted(self.prefixes.items())
        ]

    def probe(self, case: Case) -> Exchange:
        raise NotImplementedError("a client's answers come from our own recorder: there is nothing to probe")

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        if self._recorder is not None:
            self._recorder.stop()
            self._recorder = None


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


def _run_request(requests: list[Captured]) -> Captured | None:
    """The create-run request among a call's requests (for the failure's curl line)."""
    runs = [r for r in requests if r.method == "POST" and r.raw_path.endswith("/runs")]
    chosen = runs or requests
    return chosen[0] if chosen else None


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
