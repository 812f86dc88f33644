"""What the fuzz loop drives: a *subject*, an endpoint or a client serializer.

The loop (``_fuzz``) owns everything both sides share: saved failures first,
the boundary plan, Hypothesis with one failure key per (check, constraint),
budget and duration, interrupts, progress, the database, the Report. A
subject owns what differs: how a case is sent, which checks judge it, which of
their failures are worth recording, and how a refused combined at-limit
payload is split into its single-limit cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .._core import Case, Exchange, Failure, Report, Target, curl_line, redact_headers
from .._errors import UsageError
from ..checks import ENDPOINT_CHECKS, CheckContext
from ..contract import Contract

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["EndpointSubject", "Evaluation", "Subject", "Target"]


@dataclass
class Evaluation:
    """One case sent and judged: what the subject's checks found, and what the loop needs to know.

    ``failures`` are every problem the checks found (the subject's ``admit``
    decides which are recorded); ``outcome`` is the coverage label (a status,
    ``error``; ``sent``/``rejected``/``crashed`` for a client); ``requests`` how
    many requests it took (a client's culprit search sends more than one);
    ``exchange`` the answer, for the loop's auth and circuit-breaker watch (None
    for a client, whose answers come from our own recorder); ``crash_site``
    where a client crashed, so that one crash site is reported as one bug.
    """

    failures: list[Failure]
    outcome: str
    requests: int = 1
    exchange: Exchange | None = None
    crash_site: tuple[str, ...] | None = field(default=None, compare=False)


class Subject(Protocol):
    """An endpoint or a client, as the fuzz loop drives it."""

    @property
    def name(self) -> str:
        """The report's target name."""
        ...

    @property
    def side(self) -> str:
        """``endpoint`` or ``client``: whose failure memory and Hypothesis examples it uses."""
        ...

    @property
    def checks(self) -> Sequence[str]:
        """The names of the checks that judge it."""
        ...

    @property
    def refused_check(self) -> str:
        """The check whose failure on a combined at-limit payload means "a valid payload was refused"."""
        ...

    @property
    def shardable(self) -> bool:
        """Whether workers may each send only their share of the plan (see ``ClientSubject``)."""
        ...

    def plan(self, boundary: bool) -> list[Case]:
        """The deterministic cases, in order (``boundary=False``: only what was asked for explicitly)."""
        ...

    def strategy(self) -> SearchStrategy[Case]:
        """The random cases Hypothesis draws after the plan."""
        ...

    def evaluate(self, case: Case) -> Evaluation:
        """Send ``case`` and run the checks on what happened; records nothing."""
        ...

    def admit(self, case: Case, evaluation: Evaluation, report: Report) -> list[Failure]:
        """Which of ``evaluation.failures`` to record now (the rest are duplicates, or held back)."""
        ...

    def singles(self, combined: Case) -> list[Case]:
        """For a refused combined at-limit payload, its single-limit cases; [] when it is not one."""
        ...

    def after_plan(self) -> list[Failure]:
        """Called once the plan has run: failures held back until then that now count."""
        ...

    def notes(self) -> list[str]:
        """What a reader should know about the run that is not a failure."""
        ...

    def probe(self, case: Case) -> Exchange:
        """Send ``case`` unjudged (the circuit breaker's probe; only subjects that return exchanges)."""
        ...

    def close(self) -> None: ...


class EndpointSubject:
    """A Target judged by the endpoint checks (``runcontract.checks.ENDPOINT_CHECKS``).

    Failures carry a curl line and the response excerpt; any credential the
    request carried is scrubbed from both (a server may echo headers back).
    """

    side = "endpoint"
    refused_check = "valid_accepted"
    shardable = True

    def __init__(
        self,
        target: Target,
        contract: Contract,
        *,
        checks: Sequence[str],
        accepted_invalid: frozenset[int] = frozenset({400}),
        api_key_env: str | None = "OPENAI_API_KEY",
        name: str = "target",
        strict: bool | Sequence[str] = False,
        strict_echo: bool = False,
        probes: Sequence[str] | None = None,
    ) -> None:
        self.target = target
        self.contract = contract
        self.checks = tuple(checks)
        self._checks = [(name, ENDPOINT_CHECKS[name]) for name in self.checks]
        self.accepted_invalid = accepted_invalid
        self.api_key_env = api_key_env
        self.name = name
        self.lenient = lenient_constraints(contract, strict)
        self.strict_echo = strict_echo
        self.probes = probes
        self._after_failure = False  # the previous answer was a 5xx
        self._plain_routed = False  # a thread id that needs no encoding has reached the route

    def plan(self, boundary: bool) -> list[Case]:
        from ..strategies import boundary_plan, probe_plan, with_registered_ids

        if not boundary:
            return []
        # Every limit first (its first 200 requests), then the probe classes.
        cases = boundary_plan(self.contract) + probe_plan(self.contract, probes=self.probes)
        # Ids that must exist on the target come from the strategies/ registrations.
        return with_registered_ids(cases, contract=self.contract)

    def strategy(self) -> SearchStrategy[Case]:
        from ..strategies import requests

        return requests(self.contract)

    def evaluate(self, case: Case) -> Evaluation:
        exchange = self.target.send(case)
        requests = 1
        if exchange.error is not None and self._after_failure:
            # A reset right after a 5xx is the previous request's doing
            # (a worker restarting): ask again before charging this payload with it.
            exchange, requests = self.target.send(case), 2
        self._after_failure = exchange.status >= 500
        ctx = CheckContext(
            self.contract,
            case,
            exchange,
            self.accepted_invalid,
            lenient=case.constraint in self.lenient,
            strict_echo=self.strict_echo,
            plain_routed=self._plain_routed,
        )
        if exchange.status and exchange.status not in _PATH_STATUSES and _plain(case.thread_id):
            self._plain_routed = True
        secrets = _secrets(exchange)
        found = []
        for name, check in self._checks:
            problem = check(ctx)
            if problem is None:
                continue
            found.append(
                Failure(
                    check=name,
                    constraint=problem.constraint,
                    message=_scrub(problem.message, secrets),
                    payload=case.payload,
                    thread_id=case.thread_id,
                    status=exchange.status,
                    response_excerpt=_scrub(exchange.error or exchange.excerpt(), secrets),
                    curl=_scrub(curl_line(exchange, api_key_env=self.api_key_env), secrets),
                    expected=case.expected,
                    origin=case.origin,
                    cause=_scrub(problem.cause or "", secrets),
                    label=case.label,
                    raw_body=case.body,
                    header_changes=dict(case.headers),
                    query=dict(case.query),
                )
            )
        outcome = "error" if exchange.error else str(exchange.status)
        return Evaluation(found, outcome, requests=requests, exchange=exchange)

    def admit(self, case: Case, evaluation: Evaluation, report: Report) -> list[Failure]:
        return list(evaluation.failures)

    def singles(self, combined: Case) -> list[Case]:
        from ..strategies import boundary_cases, with_registered_ids

        if combined.origin != "boundary":
            return []
        fields = set(combined.payload) if isinstance(combined.payload, dict) else set()
        singles = [
            Case(b.payload, combined.thread_id, "valid", b.constraint, "boundary-at", "boundary")
            for b in boundary_cases(self.contract)
            if b.side == "at" and set(b.payload) <= fields and len(b.payload) >= 2 and b.payload != combined.payload
        ]
        return with_registered_ids(singles, contract=self.contract)

    def notes(self) -> list[str]:
        return []

    def after_plan(self) -> list[Failure]:
        return []

    def probe(self, case: Case) -> Exchange:
        return self.target.send(case)

    def close(self) -> None:
        """Nothing: whoever made the target closes it."""


def as_subject(made: Any, contract: Contract, settings: Any, name: str) -> Subject:
    """``made`` if it is a Subject already (a client factory's product), else an EndpointSubject for the Target."""
    if callable(getattr(made, "evaluate", None)):
        return made  # type: ignore[no-any-return]
    return endpoint_subject(made, contract, settings, name)


# The FuzzSettings fields each kind of subject takes as keyword arguments of the same name.
ENDPOINT_OPTIONS = ("checks", "accepted_invalid", "api_key_env", "strict", "strict_echo", "probes")
CLIENT_OPTIONS = ("checks", "strict_nulls", "cannot_express", "call_timeout")


def options_of(settings: Any, names: Sequence[str]) -> dict[str, Any]:
    """``settings``' fields ``names``, as keyword arguments for a subject."""
    return {name: getattr(settings, name) for name in names}


def endpoint_subject(target: Target, contract: Contract, settings: Any, name: str) -> EndpointSubject:
    """The EndpointSubject for ``target`` judged with ``settings``' checks, accepted statuses and API-key variable."""
    return EndpointSubject(target, contract, name=name, **options_of(settings, ENDPOINT_OPTIONS))


def lenient_constraints(contract: Contract, strict: bool | Sequence[str]) -> frozenset[str]:
    """The constraints of runcontract's own (source ``ours``) a server may accept or refuse, less the strict ones.

    ``strict`` True: none (every one must be refused); a list of ids: all but those.
    """
    if strict is True:
        return frozenset()
    named = frozenset(() if strict is False else strict)
    every = [*contract.catalogue, *contract.catalogue.requests.values()]
    unknown = sorted(named - {c.id for c in every})
    if unknown:
        raise UsageError(f"--strict: {unknown[0]!r} is not a constraint of the contract (see runcontract catalogue)")
    return frozenset(c.id for c in every if c.source == "ours" and c.id not in named)


_PATH_STATUSES = frozenset({301, 302, 303, 307, 308, 404, 405})


def _plain(thread_id: str) -> bool:
    return thread_id.isascii() and all(ch.isalnum() or ch in "-._~" for ch in thread_id)


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
