"""The circuit breaker: stop instead of hammering a target that stopped answering.

A target is *unhealthy* for one exchange when it gave no answer at all
(connection refused or reset, a timeout, a close before any byte), a 5xx,
or a 429 that outlived the driver's own retries. Any other answer, a 4xx
included, is healthy: a server that answers 500 to *some* payloads has a
bug to report, not an outage, and each good answer resets the count.

After ``threshold`` consecutive unhealthy exchanges the breaker trips. The
loop then probes with a request that was answered well before (so a burst
of 500s that one kind of payload causes, as when Hypothesis shrinks a
crash, is told apart from an outage at the cost of one request): a healthy
probe closes the breaker; otherwise it waits, doubling the wait from
``backoff`` up to ``max_backoff``, and probes again, until ``window``
seconds have passed since the trip. Then the target is dead and the run
stops with ``report.aborted`` starting with ``DEAD_TARGET``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .._core import Exchange

__all__ = ["DEAD_TARGET", "CircuitBreaker", "TargetDead", "unhealthy"]

DEAD_TARGET = "target stopped answering"

# Errors after which something did answer (malformed, too big, too slow to
# finish, an app that crashed mid-answer): a buggy target, not a dead one.
_ANSWERED = (
    "answer larger than",
    "answer not complete after",
    "the app raised",
    "protocol error",
)
_NOT_ANSWERED = ("protocol error: server disconnected without sending a response",)


def unhealthy(exchange: Exchange) -> str | None:
    """Why ``exchange`` counts against the target's health, or None when it is a real answer."""
    if exchange.error is not None:
        low = exchange.error.lower()
        if low.startswith(_ANSWERED) and not low.startswith(_NOT_ANSWERED):
            return None
        return exchange.error
    if exchange.status >= 500:
        return f"status {exchange.status}"
    if exchange.status == 429:
        return "status 429 after retries"
    return None


class TargetDead(BaseException):
    """The breaker's window passed without a healthy answer.

    A BaseException so that it passes through Hypothesis (which would take an
    Exception for a failure of the test and start shrinking it).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CircuitBreaker:
    """Counts consecutive unhealthy exchanges; ``recover`` probes with backoff or raises ``TargetDead``.

    ``threshold`` 0 disables the breaker. ``clock`` and ``sleep`` are
    injectable for tests.
    """

    threshold: int = 20
    window: float = 60.0
    backoff: float = 0.5
    max_backoff: float = 15.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    consecutive: int = 0
    trips: int = 0
    probes: int = 0
    last_problem: str | None = None
    tripped_for: float = 0.0  # seconds spent tripped (probing and waiting), over the run

    def __post_init__(self) -> None:
        if self.threshold < 0:
            raise ValueError(f"breaker threshold must be >= 0, got {self.threshold}")
        if self.window < 0:
            raise ValueError(f"breaker window must be >= 0 seconds, got {self.window}")

    @property
    def enabled(self) -> bool:
        return self.threshold > 0

    def observe(self, exchange: Exchange) -> bool:
        """Count ``exchange``; True when the breaker has just tripped (the caller then calls ``recover``)."""
        problem = unhealthy(exchange)
        if problem is None:
            self.consecutive = 0
            return False
        self.consecutive += 1
        self.last_problem = problem
        return self.enabled and self.consecutive >= self.threshold

    def recover(self, probe: Callable[[], Exchange], *, deadline: float | None = None) -> bool:
        """Probe until a healthy answer (True) or the run's ``deadline`` (False); raise ``TargetDead`` after the window.

        The first probe goes at once; each later one after a wait that
        doubles from ``backoff`` up to ``max_backoff``, never past the end of
        the window or the run's ``deadline``.
        """
        self.trips += 1
        started = self.clock()
        failed = self.consecutive
        probes = 0
        wait = 0.0
        try:
            while True:
                if wait > 0:
                    left = started + self.window - self.clock()
                    if deadline is not None:
                        left = min(left, deadline - self.clock())
                    self.sleep(max(0.0, min(wait, left)))
                if deadline is not None and self.clock() >= deadline:
                    return False
                self.probes += 1
                probes += 1
                problem = unhealthy(probe())
                if problem is None:
                    self.consecutive = 0
                    return True
                self.last_problem = problem
                elapsed = self.clock() - started
                if elapsed >= self.window:
                    raise TargetDead(
                        f"{DEAD_TARGET}: {failed} consecutive requests without a healthy answer, "
                        f"then none to {probes} probe(s) over {elapsed:.1f}s "
                        f"(last: {_one_line(self.last_problem)})"
                    )
                wait = self.backoff if wait == 0 else min(wait * 2, self.max_backoff)
        finally:
            self.tripped_for += self.clock() - started


def _one_line(text: str | None, limit: int = 200) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
