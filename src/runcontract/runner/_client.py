"""A client serializer as a fuzz-loop subject: ``send(base_url, thread_id, payload)`` judged by the client checks.

Requests go to a loopback recorder on 127.0.0.1 (or, for an
:class:`InProcessClient`, straight into its transport). Each example ends as
*sent*, *rejected* (``send`` raised one of ``clean_errors`` or
``ClientRejected``) or *crashed* (anything else), and the client checks
(``runcontract.checks.CLIENT_CHECKS``) judge it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._core import Captured, Case, Exchange, Failure, Report, curl_line
from ..checks import CLIENT_CHECKS, ClientContext, Outcome
from ..contract import Contract
from ..drivers import ClientCrashed, ClientRejected, InProcessClient, LoopbackRecorder, SendFn
from ._client_cases import at_cases, boundary_examples, case_strategy
from ._subject import Evaluation

# What a Python client raises when it refuses a payload cleanly (anything else is a crash).
DEFAULT_CLEAN_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["ClientSubject"]


class ClientSubject:
    """One client under test: where its requests go, and what its checks need to remember between cases.

    ``validates``: whether the client claims to validate (``client_agrees``);
    None reads ``send.validates`` and otherwise auto-detects after the plan: a
    client that cleanly refused some invalid payload (an object that could have
    been written as UTF-8 JSON) validates. Until then its ``client_agrees``
    failures are held back. ``cases`` run first, before the boundary plan.
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
        self.pending_agrees: list[Failure] = []
        self.rejected_invalid = 0
        self.crash_sites: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self._recorder: LoopbackRecorder | None = None
        if isinstance(send, InProcessClient):
            self.base_url, self._take = send.base_url, send.take
            send.version = contract.version
        else:
            prefix = contract.endpoint.path.split("/threads/", 1)[0]
            self._recorder = LoopbackRecorder(version=contract.version, prefix=prefix).start()
            self.base_url, self._take = self._recorder.base_url, self._recorder.take
        prefix = contract.endpoint.path.split("/threads/", 1)[0]
        self.origin = self.base_url[: len(self.base_url) - len(prefix)]

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
        self._take()
        outcome: Outcome = "sent"
        error: BaseException | None = None
        try:
            self.send(self.base_url, case.thread_id, copy.deepcopy(case.payload))
        except ClientRejected as exc:
            outcome, error = "rejected", exc
        except Exception as exc:
            outcome, error = ("rejected" if isinstance(exc, self.clean_errors) else "crashed"), exc
        return outcome, error, self._take()

    def evaluate(self, case: Case) -> Evaluation:
        outcome, error, requests = self._call(case)
        sent = [1]
        if not case.valid and outcome == "rejected" and _representable(case.payload):
            self.rejected_invalid += 1
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
        )
        request = requests[0] if requests else None
        failures = []
        for name, check in self._checks.items():
            problem = check(ctx)
            if problem is not None:
                failures.append(self._failure(case, name, problem.constraint, problem.message, request))
        site = _crash_site(error) if outcome == "crashed" else None
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

    def _failure(
        self, case: Case, check: str, constraint: str | None, message: str, request: Captured | None
    ) -> Failure:
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
            constraint=constraint,
            message=message,
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
        for failure in evaluation.failures:
            check = failure.check
            if check == "client_agrees" and self.validates is None:
                self.pending_agrees.append(failure)
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
        """Auto-detect: a client that refused some invalid payload cleanly claims to validate."""
        released: list[Failure] = []
        if self.validates is None:
            self.validates = self.rejected_invalid > 0
            if self.validates:
                released = list(self.pending_agrees)
            self.pending_agrees.clear()
        return released

    def probe(self, case: Case) -> Exchange:
        raise NotImplementedError("a client's answers come from our own recorder: there is nothing to probe")

    def close(self) -> None:
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
