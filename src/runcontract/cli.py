"""The ``runcontract`` command line: a thin front end over the library.

Exit codes: 0 the contract holds (``replay``: no saved failure reproduces);
1 a disagreement was found (``replay``: a saved failure still fails); 2 usage
or configuration error (bad option, broken spec, refused credentials); 3 the
target is unreachable, or stopped answering during the run (the circuit
breaker); 130 interrupted (SIGINT or SIGTERM) before anything was found.
Interrupted or stopped runs still write every report asked for, with what
was found so far.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any, NoReturn

from ._errors import EXIT_CONFIG, EXIT_DISAGREEMENT, EXIT_OK, EXIT_UNREACHABLE, RuncontractError, UsageError

__all__ = ["main", "parse_duration"]

EXIT_INTERRUPTED = 130

_EXIT_CODES = """exit codes:
  0    the contract holds (replay: no saved failure reproduces)
  1    a disagreement was found (replay: a saved failure still fails)
  2    usage or configuration error: bad option, broken spec, credentials refused
  3    the target is unreachable, or stopped answering during the run (circuit breaker)
  130  interrupted (SIGINT/SIGTERM) before anything was found
An interrupted or stopped run still writes the reports asked for, with every
failure found so far; each failure is also saved under --db as it is found."""

_TARGET_HELP = """rate: with no --rate, requests to a host that is not loopback (127.0.0.0/8,
::1, localhost) are capped at 10 per second; loopback targets are not capped.
--rate 0 (or --rate unlimited) removes the cap.

circuit breaker: after --breaker consecutive requests without a healthy answer
(no answer, a 5xx, or a 429 after the Retry-After retries), runcontract probes
with a request that was answered before, backing off exponentially (0.5s
doubling up to 15s); if nothing healthy comes back within --breaker-window it
stops, reports 'target stopped answering' and exits 3. Any good answer (a 4xx
included) resets the count, so a server that answers 500 only to some
payloads is reported as a bug, not as dead."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, exit 2: the documented code for usage errors.
        self.exit(EXIT_CONFIG, f"runcontract: error: {message} (see runcontract {self.prog.split()[-1]} --help)\n")


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``2h``, ``1h30m`` -> seconds."""
    match = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not text.strip() or not match or not any(match.groups()):
        raise UsageError(f"bad duration {text!r} (examples: 90s, 30m, 2h)")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    total = h * 3600 + m * 60 + s
    if total <= 0:
        raise UsageError(f"duration must be positive, got {text!r}")
    return total


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _rate(text: str) -> float:
    """``--rate``: requests per second; ``0``, ``unlimited`` or ``none`` for no cap."""
    if text.strip().lower() in ("unlimited", "none", "off", "0"):
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected requests per second or 'unlimited', got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a rate >= 0, got {text!r}")
    return value


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _contract_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--contract", choices=("v1", "v2"), default="v2", help="contract version (default v2)")
    parser.add_argument("--spec", help="OpenAPI 3.0/3.1 document (path or URL) to take createRun's schemas from")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="runcontract", description="Contract testing for POST /v1/threads/{thread_id}/runs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    fuzz = sub.add_parser(
        "fuzz",
        help="fuzz an endpoint (default: the embedded reference server)",
        epilog=_TARGET_HELP + "\n\n" + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _contract_args(fuzz)
    _target_args(fuzz)
    fuzz.add_argument("--max-examples", type=_positive_int, default=200, help="random examples after the boundary plan")
    fuzz.add_argument(
        "--duration", help="run for this long instead of --max-examples (90s, 30m, 2h): random cases until time is up"
    )
    fuzz.add_argument("--seed", type=int, help="random seed (printed in the report)")
    fuzz.add_argument(
        "--db",
        default=".runcontract",
        help="where failures are kept and replayed from: a directory or redis://host:port/N ('' to disable)",
    )
    fuzz.add_argument("--workers", type=_positive_int, default=1, help="fuzzing processes sharing --db (default 1)")
    _report_args(fuzz)
    fuzz.add_argument("--quiet", action="store_true", help="no progress bar")

    replay = sub.add_parser(
        "replay",
        help="send saved failures to a target (default: the embedded reference server) and say which still fail",
        description="Send the request of each saved failure once, run the checks on the answers and say which "
        "failures still reproduce. Nothing new is saved.",
        epilog=_TARGET_HELP + "\n\n" + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument(
        "files", nargs="*", metavar="FILE", help="saved failure files or directories of them (default: from --db)"
    )
    _contract_args(replay)
    _target_args(replay)
    replay.add_argument(
        "--db",
        default=".runcontract",
        help="replay <DB>/failures/<contract version>/*.json, or the failures kept in a redis:// URL "
        "(default .runcontract)",
    )
    replay.add_argument("--prune", action="store_true", help="delete the saved files of failures that are fixed")
    client_side = replay.add_mutually_exclusive_group()
    client_side.add_argument(
        "--sdk", choices=("openai",), help="replay saved client failures (failures/client-<version>/) through the SDK"
    )
    client_side.add_argument(
        "--command", dest="command_line", help="replay saved client failures through this program (as fuzz-client)"
    )
    _report_args(replay)

    client = sub.add_parser("fuzz-client", help="check a client serializer (the openai SDK or any program)")
    _contract_args(client)
    which = client.add_mutually_exclusive_group(required=True)
    which.add_argument("--sdk", choices=("openai",), help="check the installed official SDK")
    which.add_argument(
        "--command",
        dest="command_line",  # not "command": that is the subcommand's name
        help="run this program once per example: RUNCONTRACT_BASE_URL, RUNCONTRACT_THREAD_ID and "
        "RUNCONTRACT_API_KEY in its environment, the payload as JSON on stdin; exit 0 sent, 3 refused",
    )
    client.add_argument(
        "--max-examples", type=_positive_int, default=100, help="random examples after the boundary plan"
    )
    client.add_argument("--seed", type=int, help="random seed")
    client.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per example for --command")
    client.add_argument("--in-process", action="store_true", help="SDK through a mock transport instead of loopback")
    client.add_argument(
        "--duration", help="run for this long instead of --max-examples (90s, 30m, 2h): random cases until time is up"
    )
    client.add_argument(
        "--db",
        default=".runcontract",
        help="where the client's failures are kept (failures/client-<version>/) and replayed from: "
        "a directory or redis://host:port/N ('' to disable)",
    )
    client.add_argument("--workers", type=_positive_int, default=1, help="fuzzing processes sharing --db (default 1)")
    _report_args(client)
    client.add_argument("--quiet", action="store_true", help="no progress bar")

    serve = sub.add_parser("serve", help="run the reference server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive_int, default=8000)
    _contract_args(serve)

    cat = sub.add_parser("catalogue", help="list the contract's constraints")
    _contract_args(cat)
    cat.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _target_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="live target, e.g. https://staging.example.com (default: embedded server)")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra request header")
    parser.add_argument("--thread-id", help="send every request to this thread (default: generated ids)")
    parser.add_argument("--checks", default="all", help="comma-separated checks to run (default: all)")
    parser.add_argument("--accept-status", default="400", help="statuses that count as rejecting an invalid payload")
    parser.add_argument(
        "--rate",
        type=_rate,
        metavar="R",
        help="cap on requests per second; 0 or 'unlimited' for none "
        "(default: 10 for a host that is not loopback, none for loopback)",
    )
    parser.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per request (default 30)")
    parser.add_argument(
        "--breaker",
        type=_positive_int,
        default=20,
        metavar="K",
        help="consecutive requests without a healthy answer that trip the circuit breaker (default 20; 0: never)",
    )
    parser.add_argument(
        "--breaker-window",
        type=_duration,
        default=60.0,
        metavar="DURATION",
        help="how long a tripped breaker probes before the run stops as 'target stopped answering' (default 60s)",
    )
    parser.add_argument(
        "--strategies",
        default="strategies",
        metavar="DIR",
        help="load field registrations (ids that exist on the target) from DIR/*.py (default: ./strategies)",
    )


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report-json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--junit", metavar="PATH", help="write a JUnit XML report here")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report here")


def _finish(report: Any, args: argparse.Namespace, contract: Any) -> int:
    """Write the reports asked for, print the summary, and choose the exit code.

    SIGINT and SIGTERM are held off while this runs, so that a second Ctrl-C
    cannot leave a report half written (each is written atomically as well).
    """
    with _SignalsHeld():
        _write_reports(report, args, contract)
        _summary(report)
        return _exit_code(report)


def _write_reports(report: Any, args: argparse.Namespace, contract: Any) -> None:
    from .report import to_junit, write_html, write_junit

    # Fuzzed payloads can hold lone surrogates, which UTF-8 cannot encode: the JSON
    # then escapes every non-ASCII character, and the XML writes them as \udXXX text.
    if args.report_json:
        try:
            report.write_json(args.report_json)
        except UnicodeEncodeError:
            _write_text(args.report_json, json.dumps(report.to_dict(), indent=2, ensure_ascii=True, default=str))
    if args.junit:
        try:
            write_junit(report, args.junit)
        except UnicodeEncodeError:
            _write_text(args.junit, to_junit(report).encode("utf-8", "backslashreplace").decode("utf-8"))
    if args.html:
        write_html(report, args.html, contract)


def _write_text(path: str, text: str) -> None:
    """Write ``text`` through a temporary file, so that nothing is ever half written."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _exit_code(report: Any) -> int:
    from .runner._breaker import DEAD_TARGET

    if report.aborted:
        print(f"runcontract: error: {report.aborted}", file=sys.stderr)
        return EXIT_UNREACHABLE if str(report.aborted).startswith(DEAD_TARGET) else EXIT_CONFIG
    if report.failures:
        return EXIT_DISAGREEMENT
    return EXIT_INTERRUPTED if report.interrupted else EXIT_OK


class _SignalsHeld:
    """While inside, SIGINT and SIGTERM are noted instead of raised (main thread only)."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self.received: int | None = None

    def _note(self, signum: int, frame: Any) -> None:
        self.received = signum

    def __enter__(self) -> _SignalsHeld:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._note)
            except ValueError:
                break  # not the main thread (called from a test): nothing to hold
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _fuzz_client(args: argparse.Namespace) -> int:
    from .clients import run_client_cli
    from .contract import load_contract

    duration = parse_duration(args.duration) if args.duration else None
    contract = load_contract(args.spec, version=args.contract)
    if args.workers == 0:
        raise UsageError("--workers must be at least 1")
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty(), total=None if duration else args.max_examples)
    with progress:
        report = run_client_cli(
            sdk=args.sdk,
            command=args.command_line,
            contract=contract,
            max_examples=args.max_examples,
            seed=args.seed,
            timeout=args.timeout,
            in_process=args.in_process,
            database=args.db or None,
            duration=duration,
            workers=args.workers,
            progress=progress.update,
        )
    return _finish(report, args, contract)


def _catalogue(args: argparse.Namespace) -> int:
    from .contract import load_contract

    contract = load_contract(args.spec, version=args.contract)
    records = [c.to_dict() for c in contract.catalogue]
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        for r in records:
            print(f"{r['id']:<70} {r['keyword']:<20} {r['source']:<6} {json.dumps(r['limit'])[:60]}")
        print(f"{len(records)} constraints ({contract.source})")
    return EXIT_OK


def _headers(raw: list[str]) -> dict[str, str]:
    out = {}
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"bad --header {item!r} (expected 'Name: value')")
        out[name.strip()] = value.strip()
    return out


def _checks(text: str) -> tuple[str, ...]:
    from .checks import DEFAULT_CHECKS, ENDPOINT_CHECKS

    if text.strip() in ("", "all"):
        return DEFAULT_CHECKS
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for name in names:
        if name not in ENDPOINT_CHECKS:
            raise UsageError(f"unknown check {name!r} (known: {', '.join(ENDPOINT_CHECKS)})")
    return names


def _statuses(text: str) -> frozenset[int]:
    try:
        values = frozenset(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise UsageError(f"bad --accept-status {text!r} (expected e.g. 400,422)") from None
    if not values or any(not 400 <= v < 500 for v in values):
        raise UsageError(f"--accept-status takes 4xx codes, got {text!r}")
    return values


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from .runner import FuzzSettings

    return FuzzSettings(
        checks=_checks(args.checks),
        accepted_invalid=_statuses(args.accept_status),
        api_key_env=args.api_key_env,
        breaker_threshold=args.breaker,
        breaker_window=args.breaker_window,
        thread_id=args.thread_id,
        **extra,
    )


def _client_settings(args: argparse.Namespace) -> Any:
    """Replay through a client: the client checks named by --checks (default: all of them)."""
    from .checks import CLIENT_CHECKS
    from .runner import FuzzSettings

    names = tuple(n.strip() for n in args.checks.split(",") if n.strip()) if args.checks.strip() != "all" else ()
    for name in names:
        if name not in CLIENT_CHECKS:
            raise UsageError(f"unknown client check {name!r} (known: {', '.join(CLIENT_CHECKS)})")
    return FuzzSettings(side="client", checks=names or tuple(CLIENT_CHECKS), database=None)


def _target_url(args: argparse.Namespace, contract: Any, stack: ExitStack) -> tuple[str, dict[str, str], str]:
    """(base URL, headers, name): --base-url, else the embedded server started in ``stack``."""
    from .strategies import load_registrations

    headers = _headers(args.header)
    load_registrations(args.strategies)
    base_url = args.base_url
    if base_url is None:
        from .server import BackgroundServer

        server = stack.enter_context(BackgroundServer(contract=contract))
        os.environ.setdefault(args.api_key_env, "sk-runcontract-local")
        return server.base_url, headers, f"embedded reference server ({server.base_url})"
    if not base_url.startswith(("http://", "https://")):
        raise UsageError(f"base URL must start with http:// or https://, got {base_url!r}")
    return base_url, headers, base_url


def _open_target(args: argparse.Namespace, contract: Any, stack: ExitStack) -> tuple[Any, str]:
    """The target named by --base-url (checked reachable), else the embedded server started in ``stack``."""
    from ._api import make_target

    base_url, headers, name = _target_url(args, contract, stack)
    # make_target applies the default cap (none on loopback, 10/s elsewhere); 0 means none.
    target, _ = make_target(
        contract, base_url=base_url, headers=headers, api_key_env=args.api_key_env, rate=args.rate, timeout=args.timeout
    )
    close = getattr(target, "close", None)
    if callable(close):
        stack.callback(close)
    return target, name


def _fuzz(args: argparse.Namespace) -> int:
    from .contract import load_contract
    from .runner import run_endpoint

    duration = parse_duration(args.duration) if args.duration else None
    settings = _settings(
        args, max_examples=args.max_examples, duration=duration, seed=args.seed, database=args.db or None
    )
    contract = load_contract(args.spec, version=args.contract)
    if args.workers == 0:
        raise UsageError("--workers must be at least 1")
    if args.workers > 1:
        return _fuzz_workers(args, contract, settings)
    with ExitStack() as stack:
        target, name = _open_target(args, contract, stack)
        progress = _Progress(
            enabled=not args.quiet and sys.stderr.isatty(), total=None if duration else args.max_examples
        )
        settings.progress = progress.update
        with progress:
            report = run_endpoint(target, contract, settings, target_name=name)
        # Reports first: closing the target or stopping the embedded server may take a moment.
        return _finish(report, args, contract)


def _fuzz_workers(args: argparse.Namespace, contract: Any, settings: Any) -> int:
    """--workers N: processes sharing --db, each with its own seed; the reports merged."""
    import functools

    from .drivers._http import default_rate
    from .runner._workers import HTTPTargetFactory, run_workers
    from .strategies import load_registrations

    with ExitStack() as stack:
        base_url, headers, name = _target_url(args, contract, stack)
        total = default_rate(base_url, args.rate)  # the cap for all workers together; 0: none
        factory = HTTPTargetFactory(base_url, tuple(headers.items()), args.api_key_env, total or 0.0, args.timeout)
        setup = functools.partial(load_registrations, args.strategies)
        report = run_workers(factory, contract, settings, workers=args.workers, target_name=name, setup=setup)
        return _finish(report, args, contract)


def _replay(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .contract import load_contract
    from .runner._database import is_redis_url, open_database, redact_url
    from .runner._fuzz import replay_endpoint
    from .runner._memory import failure_dir, load_failure_files

    client = args.sdk is not None or args.command_line is not None
    if client and args.base_url is not None:
        raise UsageError("replay: give --base-url (an endpoint) or --sdk/--command (a client), not both")
    side = "client" if client else "endpoint"
    settings = _client_settings(args) if client else _settings(args, database=None)
    contract = load_contract(args.spec, version=args.contract)
    saved: list[Any]  # Failures, or (file, Failure) pairs when they come from files
    if args.files:
        try:
            saved = list(load_failure_files(args.files))
        except FileNotFoundError as exc:
            raise UsageError(str(exc)) from None
        where = ", ".join(args.files)
    elif is_redis_url(args.db):
        database = open_database(args.db, contract, side=side)
        try:
            saved = list(database.failures.load()) if database.failures is not None else []
        finally:
            database.close()
        where = redact_url(args.db)
    else:
        directory = failure_dir(args.db, contract.version, side)
        saved = load_failure_files([directory]) if directory.is_dir() else []
        where = str(directory)
    if not saved:
        print(f"runcontract: no saved failures in {where}", file=sys.stderr)
    if client:
        from .clients import client_from_options
        from .runner import replay_client

        send, name = client_from_options(sdk=args.sdk, command_line=args.command_line, timeout=args.timeout)
        report, outcomes = replay_client(send, contract, saved, settings, name=name)
        code = _finish(report, args, contract)
    else:
        with ExitStack() as stack:
            target, name = _open_target(args, contract, stack)
            report, outcomes = replay_endpoint(target, contract, saved, settings, target_name=name)
            code = _finish(report, args, contract)
    _replay_table(outcomes)
    if args.prune and not report.interrupted and not report.aborted:
        for outcome in outcomes:
            if outcome.sent and not outcome.now and outcome.source:
                Path(outcome.source).unlink(missing_ok=True)
    return code


def _replay_table(outcomes: list[Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if not outcomes:
        return
    table = Table(title="saved failures replayed")
    table.add_column("outcome")
    table.add_column("saved check [constraint]")
    table.add_column("file", overflow="fold")
    for o in outcomes:
        style = "red" if o.reproduced else ("yellow" if o.now or not o.sent else "green")
        table.add_row(
            f"[{style}]{o.status}[/{style}]",
            escape(_printable(f"{o.saved.check} [{o.saved.constraint or '-'}]")),
            escape(o.source or "-"),
        )
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    still = sum(1 for o in outcomes if o.reproduced)
    console.print(f"{still} of {len(outcomes)} saved failure(s) reproduce")


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, *, enabled: bool, total: int | None) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None
        self._total = total

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]fuzzing"),
                BarColumn(),
                TextColumn("{task.fields[requests]} requests"),
                TextColumn("{task.fields[failures]} failures"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("fuzz", total=None, requests=0, failures=0)
        return self

    def update(self, report: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, requests=report.requests, failures=len(report.failures), advance=1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _printable(text: str) -> str:
    """``text`` with lone surrogates (fuzzed on purpose) written as ``\\udXXX``: UTF-8 output cannot carry them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _summary(report: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    covered = sum(1 for c in report.coverage.values() if c.at and c.past)
    table = Table(title=f"runcontract: {report.target}", show_lines=False)
    table.add_column("check")
    table.add_column("failures", justify="right")
    for check in report.checks:
        n = sum(1 for f in report.failures if f.check == check)
        table.add_row(check, f"[red]{n}[/red]" if n else "0")
    console.print(table)
    console.print(
        f"contract {report.contract}; seed {report.seed}; {report.requests} requests in {report.duration_s:.1f}s; "
        f"{covered} constraints tried on both sides" + ("; [yellow]interrupted[/yellow]" if report.interrupted else "")
    )
    for f in report.failures:
        payload = json.dumps(f.payload, ensure_ascii=False, default=str)
        head = _printable(f"{f.check} [{f.constraint or '-'}] status {f.status}: {f.message}")
        console.print(f"\n[bold red]FAIL[/bold red] {escape(head)}")
        console.print(f"  thread_id: {f.thread_id!r}", markup=False)
        console.print(_printable(f"  payload:   {payload[:600]}{'...' if len(payload) > 600 else ''}"), markup=False)
        console.print(_printable(f"  response:  {f.response_excerpt[:300]}"), markup=False)
        console.print(_printable(f"  reproduce: {f.curl[:2000]}"), markup=False)
    verdict = "[green]the contract holds[/green]" if report.ok else f"[red]{len(report.failures)} disagreement(s)[/red]"
    console.print(f"\n{verdict}")


def _serve(args: argparse.Namespace) -> int:
    from .contract import load_contract
    from .server import serve

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    contract = load_contract(args.spec, version=args.contract)
    try:
        serve(args.host, args.port, contract=contract)
    except OSError as exc:  # port in use, address not available
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK


def _on_signal(signum: int, frame: Any) -> None:
    from .runner._fuzz import request_interrupt

    request_interrupt()  # in case this KeyboardInterrupt lands where Python swallows it (a gc callback)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command in ("fuzz", "replay", "fuzz-client"):
        import runcontract.runner._fuzz  # noqa: F401 - imported now, not inside the signal handler
    previous: dict[signal.Signals, Any] = {}
    try:
        # SIGTERM stops a run like Ctrl-C. A job started in the background by a
        # non-interactive shell inherits SIGINT ignored: it must still stop the run.
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _on_signal)
    except ValueError:
        pass  # not the main thread (called from a test): the signals keep their handlers
    try:
        return _dispatch(args)
    finally:
        # Called as a function (tests, the plugin), main leaves the process's signals as it found them.
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "catalogue":
            return _catalogue(args)
        if args.command == "fuzz":
            return _fuzz(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "fuzz-client":
            return _fuzz_client(args)
        if args.command == "serve":
            return _serve(args)
        raise UsageError(f"unknown command {args.command!r}")
    except RuncontractError as exc:
        print(f"runcontract: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("runcontract: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
