"""Fuzzing in N processes that share one database, merged into one Report.

Each worker is a fresh process (the ``spawn`` start method: no forked HTTP
clients, event loops or locks) that rebuilds the contract, runs its optional
``setup`` (strategy registrations), builds its own target from a picklable
factory and runs the ordinary fuzz loop (:func:`run_subject`) with a seed of
its own. A factory makes an endpoint Target, or a client subject
(``runcontract.clients.ClientFactory``), so clients fuzz in workers too.
All of them read and write the same database (a directory or a
Redis URL, see ``_database``): every worker replays the saved failures first,
the boundary plan is dealt out between them (worker i sends every N-th case
from the i-th), and ``max_examples`` is split between them (with
``duration``, each runs until the time is up).

The parent merges the workers' Reports as they arrive: one failure per
(check, constraint), the smallest payload winning; requests, examples and
coverage summed. Interrupting the parent (Ctrl-C, SIGTERM through the CLI)
interrupts the workers, waits a bounded time for their partial Reports, then
terminates stragglers; the merged partial Report is returned with
``interrupted`` set, exactly as :func:`run_endpoint` does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import pickle
import queue as queue_module
import random
import signal
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .. import _errors
from .._core import BaseTarget, Case, Coverage, Exchange, Report, Target
from .._errors import RuncontractError, UsageError
from ..contract import Contract
from ._database import Database, DatabaseUnavailable, open_database
from ._fuzz import FuzzSettings, run_subject
from ._subject import as_subject

__all__ = [
    "AppTargetFactory",
    "HTTPTargetFactory",
    "TargetFactory",
    "WorkerCrashed",
    "merge_reports",
    "run_workers",
]

TargetFactory = Callable[[Contract], Target]
# Seeds of worker i: seed + i * _SEED_STRIDE (run_random adds small chunk numbers to a seed).
_SEED_STRIDE = 1_000_003
# How often a worker sends the parent a snapshot of its Report.
_SNAPSHOT_EVERY = 0.5
# After an interrupt: how long workers get to send their partial Reports, and how often they are reminded.
_GRACE = 10.0
_NUDGE_EVERY = 2.0


class WorkerCrashed(RuntimeError):
    """A worker process failed with an unexpected error (its traceback is the message)."""


@dataclass(frozen=True)
class HTTPTargetFactory:
    """Build an HTTP target in each worker. ``rate`` is the total cap; each worker gets its share."""

    base_url: str
    headers: tuple[tuple[str, str], ...] = ()
    api_key_env: str | None = "OPENAI_API_KEY"
    rate: float | None = None
    timeout: float = 30.0
    thread_id: str | None = None

    def __call__(self, contract: Contract) -> Target:
        from ..drivers import make_target

        target, _ = make_target(
            contract,
            base_url=self.base_url,
            headers=dict(self.headers),
            api_key_env=self.api_key_env,
            rate=self.rate,
            timeout=self.timeout,
        )
        return _FixedThread(target, self.thread_id) if self.thread_id else target

    def share(self, workers: int) -> HTTPTargetFactory:
        return dataclasses.replace(self, rate=self.rate / workers) if self.rate else self

    @property
    def name(self) -> str:
        return self.base_url


@dataclass(frozen=True)
class AppTargetFactory:
    """Build an in-process ASGI target in each worker from ``app_factory()`` (a module-level callable)."""

    app_factory: Callable[[], Any]
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, contract: Contract) -> Target:
        from ..drivers import ASGITarget

        return ASGITarget(self.app_factory(), contract=contract, headers=dict(self.headers))

    @property
    def name(self) -> str:
        return f"ASGI app {getattr(self.app_factory, '__name__', type(self.app_factory).__name__)}"


class _FixedThread(BaseTarget):
    """Send every case to one thread (a staging thread that exists)."""

    def __init__(self, target: Target, thread_id: str) -> None:
        self.target, self.thread_id = target, thread_id

    def send(self, case: Case) -> Exchange:
        return self.target.send(dataclasses.replace(case, thread_id=self.thread_id))

    def close(self) -> None:
        self.target.close()


@dataclass
class _Job:
    index: int
    contract_fields: dict[str, Any]
    factory: TargetFactory
    settings: FuzzSettings
    target_name: str
    setup: Callable[[], object] | None
    stop: Any = None  # a multiprocessing Event: set when the parent was interrupted


def _contract_fields(contract: Contract) -> dict[str, Any]:
    """The constructor arguments of ``contract`` (its compiled validators do not pickle)."""
    return {f.name: getattr(contract, f.name) for f in dataclasses.fields(contract) if f.init}


def _empty_report(job: _Job, contract: str = "") -> Report:
    return Report(target=job.target_name, contract=contract, seed=job.settings.seed, checks=list(job.settings.checks))


def _request_interrupt() -> None:
    """Tell the fuzz loop to stop at its next request, where it supports that (``_fuzz.request_interrupt``)."""
    from . import _fuzz

    request = getattr(_fuzz, "request_interrupt", None)
    if callable(request):
        request()


def _on_sigint(signum: int, frame: Any) -> None:
    # Raised inside a gc callback a KeyboardInterrupt is lost: the loop's own flag is not.
    _request_interrupt()
    raise KeyboardInterrupt


def _detach() -> None:
    """Take Ctrl-C from the parent only, and stop if the parent dies.

    A worker leaves the terminal's process group, so that one Ctrl-C reaches
    it once (forwarded by the parent) rather than twice; a thread watches
    the parent and interrupts the worker if it disappears (killed with -9),
    so no worker fuzzes on, orphaned, until its duration is up.
    """
    import _thread
    import threading

    if hasattr(os, "setpgrp"):
        with contextlib.suppress(OSError):
            os.setpgrp()
    # A worker started from a shell's background job inherits SIGINT ignored: it must still obey its parent.
    signal.signal(signal.SIGINT, _on_sigint)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        while True:  # again and again: Python drops a KeyboardInterrupt raised inside a gc callback
            _request_interrupt()
            _thread.interrupt_main()
            time.sleep(1.0)

    threading.Thread(target=watch, name="runcontract-parent-watch", daemon=True).start()


def _worker_main(job: _Job, results: Any) -> None:
    """The body of one worker process: fuzz, and send snapshots and the final Report."""
    index = job.index
    target: Target | None = None
    try:
        _detach()
        # From here on a SIGINT from the parent is handled: say so, then look whether one was due already.
        results.put(("ready", index, None))
        if job.stop is not None and job.stop.is_set():
            raise KeyboardInterrupt
        contract = Contract(**job.contract_fields)
        if job.setup is not None:
            job.setup()
        target = job.factory(contract)
        subject = as_subject(target, contract, job.settings, job.target_name)
        last = [0.0]

        def snapshot(report: Report) -> None:
            now = time.monotonic()
            if now - last[0] >= _SNAPSHOT_EVERY:
                last[0] = now
                results.put(("snapshot", index, pickle.dumps(report)))

        settings = dataclasses.replace(job.settings, progress=snapshot)
        report = run_subject(subject, contract, settings)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the Report is complete: let nothing cut it off
        results.put(("report", index, pickle.dumps(report)))
    except KeyboardInterrupt:
        # Interrupted outside run_subject's own handling: the parent keeps this worker's last snapshot.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        results.put(("interrupted", index, None))
    except RuncontractError as exc:
        results.put(("error", index, (type(exc).__name__, exc.exit_code, str(exc))))
    except BaseException:
        results.put(("crash", index, traceback.format_exc()))
    finally:
        if target is not None:
            with contextlib.suppress(Exception):
                target.close()


def merge_reports(
    reports: Iterable[Report],
    *,
    target: str,
    contract: str,
    seed: int | None,
    checks: list[str],
) -> Report:
    """One Report from many: failures deduplicated by key (smallest payload wins), counts and coverage summed."""
    merged = Report(target=target, contract=contract, seed=seed, checks=list(checks))
    for report in reports:
        merged.examples += report.examples
        merged.requests += report.requests
        merged.interrupted = merged.interrupted or report.interrupted
        merged.aborted = merged.aborted or report.aborted
        merged.notes.extend(n for n in report.notes if n not in merged.notes)
        for failure in report.failures:
            merged.add(failure)
        for cid, cov in report.coverage.items():
            into = merged.coverage.setdefault(cid, Coverage())
            into.at += cov.at
            into.past += cov.past
            for outcome, count in cov.outcomes.items():
                into.outcomes[outcome] = into.outcomes.get(outcome, 0) + count
    return merged


def _worker_settings(settings: FuzzSettings, index: int, workers: int, seed: int) -> FuzzSettings:
    share, extra = divmod(settings.max_examples, workers)
    return dataclasses.replace(
        settings,
        seed=seed + index * _SEED_STRIDE,
        max_examples=share + (1 if index < extra else 0),
        boundary_shard=(index, workers),
        progress=None,
    )


def _error_from(name: str, exit_code: int, message: str) -> RuncontractError:
    cls = getattr(_errors, name, None)
    if name == DatabaseUnavailable.__name__:
        cls = DatabaseUnavailable
    if isinstance(cls, type) and issubclass(cls, RuncontractError):
        return cls(message)
    error = RuncontractError(message)
    error.exit_code = exit_code
    return error


def run_workers(
    factory: TargetFactory,
    contract: Contract,
    settings: FuzzSettings | None = None,
    *,
    workers: int = 2,
    target_name: str | None = None,
    setup: Callable[[], object] | None = None,
    grace: float = _GRACE,
) -> Report:
    """Fuzz with ``workers`` processes sharing ``settings.database``; return the merged Report.

    ``factory(contract) -> target`` and ``setup()`` run in every worker, so
    both must be picklable (module-level callables, or instances of
    :class:`HTTPTargetFactory` / :class:`AppTargetFactory` / ``functools.partial``).
    Registrations made in this process (``register_field``) do not reach the
    workers: make them in ``setup``. Raises what a worker raised for a
    configuration problem (:class:`RuncontractError`: unreachable target or
    database), :class:`WorkerCrashed` for anything else.
    """
    settings = settings or FuzzSettings()
    if workers < 1:
        raise UsageError(f"workers must be >= 1, got {workers}")
    if isinstance(settings.database, Database):
        raise UsageError("with workers, give the database as a directory or a redis:// URL, not an opened Database")
    # Fail fast, once, on a database nobody can open (and say which).
    open_database(settings.database, contract, side=settings.side).close()
    share = getattr(factory, "share", None)
    if callable(share):
        factory = share(workers)
    name = target_name or str(getattr(factory, "name", "target"))
    seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
    fields = _contract_fields(contract)
    jobs = [_Job(i, fields, factory, _worker_settings(settings, i, workers, seed), name, setup) for i in range(workers)]
    for job in jobs:
        try:
            pickle.dumps(job)
        except Exception as exc:
            raise UsageError(
                f"the target factory, setup and settings must be picklable to reach worker processes: {exc}"
            ) from None

    ctx = multiprocessing.get_context("spawn")
    results: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_worker_main, args=(job, results), name=f"runcontract-worker-{job.index}", daemon=True)
        for job in jobs
    ]
    stop = ctx.Event()
    for job in jobs:
        job.stop = stop
    latest: dict[int, Report] = {}
    ready: set[int] = set()
    final: set[int] = set()
    problem: tuple[str, int, Any] | None = None
    interrupted = False
    start = time.monotonic()

    def merged() -> Report:
        report = merge_reports(
            (latest[i] for i in sorted(latest)),
            target=name,
            contract=f"{contract.version} ({contract.source})",
            seed=seed,
            checks=list(settings.checks),
        )
        report.duration_s = time.monotonic() - start
        return report

    def receive(timeout: float) -> bool:
        nonlocal problem
        try:
            kind, index, data = results.get(timeout=timeout)
        except queue_module.Empty:
            return False
        if kind == "interrupted":
            final.add(index)
            latest.setdefault(index, _empty_report(jobs[index])).interrupted = True
        elif kind == "ready":
            ready.add(index)
            if stop.is_set():
                _interrupt([procs[index]])
        elif kind in ("snapshot", "report"):
            if index not in final:
                latest[index] = pickle.loads(data)  # noqa: S301 - our own child processes
            if kind == "report":
                final.add(index)
            if settings.progress is not None:
                settings.progress(merged())
        elif problem is None:
            problem = (kind, index, data)
            final.add(index)
        else:
            final.add(index)
        return True

    def collect(deadline: float | None) -> None:
        """Receive until every worker has answered or died, or ``deadline`` passes."""
        nudged = time.monotonic()
        while len(final) < workers and problem is None:
            now = time.monotonic()
            if deadline is not None and now > deadline:
                return
            if stop.is_set() and now - nudged > _NUDGE_EVERY:
                # A KeyboardInterrupt can be lost in a worker (raised inside a gc callback): ask again.
                nudged = now
                _interrupt([procs[i] for i in sorted(ready - final)])
            if receive(0.2):
                continue
            for i, proc in enumerate(procs):
                if i not in final and proc.exitcode is not None:
                    # Its last message may still be in the pipe: drain, then give up on it.
                    while receive(0.5):
                        pass
                    if i not in final:
                        final.add(i)
                        lost = latest.setdefault(i, _empty_report(jobs[i]))
                        if stop.is_set():
                            lost.interrupted = True
                        else:
                            lost.aborted = (
                                lost.aborted or f"worker {i} exited with code {proc.exitcode} without a report"
                            )

    try:
        for proc in procs:
            proc.start()
        try:
            collect(None)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            # Only workers that are past their start-up handle SIGINT; the others see ``stop`` when they get there.
            _interrupt([procs[i] for i in sorted(ready)])
            try:
                collect(time.monotonic() + grace)
            except KeyboardInterrupt:
                pass  # a second Ctrl-C: stop waiting
        if problem is not None:
            stop.set()  # one worker cannot run: stop the others (joined below)
            _interrupt([procs[i] for i in sorted(ready)])
    finally:
        _stop(procs)
        results.close()
        results.cancel_join_thread()

    if problem is not None:
        kind, index, data = problem
        if kind == "error":
            raise _error_from(*data)
        raise WorkerCrashed(f"runcontract worker {index} crashed:\n{data}")
    report = merged()
    report.interrupted = report.interrupted or interrupted
    return report


def _interrupt(procs: list[Any]) -> None:
    """Ask every live worker to stop the way Ctrl-C would (it then sends its partial Report)."""
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGINT)


def _stop(procs: list[Any], timeout: float = 2.0) -> None:
    """Join every worker; terminate, then kill, any that does not end."""
    deadline = time.monotonic() + timeout
    for proc in procs:
        if proc.pid is None:
            continue
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.pid is not None and proc.is_alive():
            proc.terminate()
            proc.join(timeout)
        if proc.pid is not None and proc.is_alive():
            proc.kill()
            proc.join(timeout)
