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
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any, NoReturn, TypeVar

from . import _options
from ._errors import EXIT_CONFIG, EXIT_DISAGREEMENT, EXIT_OK, EXIT_UNREACHABLE, RuncontractError, UsageError
from ._options import DEFAULT_API_KEY_ENV, DEFAULT_DATABASE, DEFAULT_VERSION, VERSIONS, parse_duration

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


_T = TypeVar("_T")


def _arg(parse: Callable[[str], _T]) -> Callable[[str], _T]:
    """An argparse ``type`` from an _options parser: its UsageError becomes argparse's one-line error."""

    def convert(text: str) -> _T:
        try:
            return parse(text)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


_positive_int = _arg(_options.whole_number)
_positive_float = _arg(_options.positive_number)
_rate = _arg(_options.parse_rate)  # requests per second; 0, "unlimited" or "none" for no cap
_duration = _arg(parse_duration)


def _contract_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--contract", choices=VERSIONS, default=DEFAULT_VERSION, help=f"contract version (default {DEFAULT_VERSION})"
    )
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
    _fuzz_args(
        fuzz,
        max_examples=200,
        db_help="where failures are kept and replayed from: a directory or redis://host:port/N ('' to disable)",
    )

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
        default=DEFAULT_DATABASE,
        help="replay <DB>/failures/<contract version>/*.json, or the failures kept in a redis:// URL "
        f"(default {DEFAULT_DATABASE})",
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
        "RUNCONTRACT_API_KEY in its environment, the payload as JSON on stdin; exit 0 sent, 3 refused, "
        "4 cannot express",
    )
    client.add_argument(
        "--timeout", type=_positive_float, default=30.0, help="seconds one call may take (a hang is one finding)"
    )
    client.add_argument(
        "--strict-nulls",
        action="store_true",
        help="null and absent differ: leaving out an explicit null, or sending null or the default for a field "
        "not given, is a fidelity failure (by default the same request for a nullable optional field)",
    )
    client.add_argument(
        "--cannot-express",
        metavar="FIELD[,FIELD]",
        default="",
        help="fields the client has no way to send (reasoning_effort): one capability finding instead of drops",
    )
    client.add_argument("--in-process", action="store_true", help="SDK through a mock transport instead of loopback")
    _fuzz_args(
        client,
        max_examples=100,
        db_help="where the client's failures are kept (failures/client-<version>/) and replayed from: "
        "a directory or redis://host:port/N ('' to disable)",
    )

    compare = sub.add_parser(
        "compare-clients",
        help="one payload stream through several clients: a matrix of field by client (a report, not a verdict)",
        epilog="exit codes: 0 the comparison ran (whatever it shows); 2 usage error",
    )
    _contract_args(compare)
    compare.add_argument("--sdk", action="append", default=[], choices=("openai",), help="the installed openai SDK")
    compare.add_argument(
        "--command", dest="command_line", action="append", default=[], help="a program, as fuzz-client --command"
    )
    compare.add_argument(
        "--python", action="append", default=[], metavar="MODULE:CALLABLE", help="a send(base_url, thread_id, payload)"
    )
    compare.add_argument(
        "--max-examples", type=_positive_int, default=50, help="random payloads after the plan (default 50)"
    )
    compare.add_argument("--seed", type=int, default=0, help="seed of the random payloads (default 0)")
    compare.add_argument(
        "--no-boundary", action="store_true", help="only the random payloads, not the boundary plan before them"
    )
    compare.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds one call may take")
    compare.add_argument("--strict-nulls", action="store_true", help="null and absent differ (as fuzz-client)")
    compare.add_argument("--json", dest="json_out", metavar="PATH", help="write the matrix as JSON")
    compare.add_argument("--html", dest="html_out", metavar="PATH", help="write the matrix as an HTML page")

    serve = sub.add_parser("serve", help="run the reference server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive_int, default=8000)
    _contract_args(serve)

    cat = sub.add_parser("catalogue", help="list the contract's constraints")
    _contract_args(cat)
    cat.add_argument("--json", action="store_true", help="print JSON instead of a table")

    from .contract import DRIFT_KINDS as KINDS

    drift = sub.add_parser(
        "drift",
        help="where the document, the bundled contract, the SDK and v1/v2 disagree (a report, not a verdict)",
        epilog="kinds:\n"
        + "\n".join(f"  {k:<24} {v}" for k, v in KINDS.items())
        + "\n\nexit codes: 0 a report (whatever it says); 1 --fail-on named a kind that has rows; 2 usage error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _contract_args(drift)
    drift.add_argument("--sdk", choices=("openai", "none"), default="openai", help="SDK to compare (default openai)")
    shape = drift.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print JSON")
    shape.add_argument("--markdown", action="store_true", help="print a Markdown table")
    drift.add_argument("--fail-on", metavar="KIND[,KIND]", help="exit 1 when rows of these kinds exist")
    return parser


def _target_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="live target, e.g. https://staging.example.com (default: embedded server)")
    parser.add_argument("--api-key-env", default=DEFAULT_API_KEY_ENV, help="environment variable holding the API key")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra request header")
    parser.add_argument("--thread-id", help="send every request to this thread (default: generated ids)")
    parser.add_argument("--checks", default="all", help="comma-separated checks to run (default: all)")
    parser.add_argument("--accept-status", default="400", help="statuses that count as rejecting an invalid payload")
    parser.add_argument(
        "--probes",
        default="all",
        metavar="LIST",
        help="probe classes sent after the boundary plan, comma-separated, 'all' or 'none' (see README, Probes)",
    )
    parser.add_argument(
        "--strict",
        nargs="?",
        const="all",
        default=None,
        metavar="IDS",
        help="demand that runcontract's own constraints (catalogue source 'ours') be refused: all, or these ids",
    )
    parser.add_argument(
        "--strict-echo",
        action="store_true",
        help="judge the Run's echo exactly (no default for a null, no appended additional_instructions)",
    )
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


def _fuzz_args(parser: argparse.ArgumentParser, *, max_examples: int, db_help: str) -> None:
    """The run options ``fuzz`` and ``fuzz-client`` share: budget, seed, failure memory, workers, reports."""
    parser.add_argument(
        "--max-examples", type=_positive_int, default=max_examples, help="random examples after the boundary plan"
    )
    parser.add_argument(
        "--duration", help="run for this long instead of --max-examples (90s, 30m, 2h): random cases until time is up"
    )
    parser.add_argument("--seed", type=int, help="random seed (printed in the report)")
    parser.add_argument("--db", default=DEFAULT_DATABASE, help=db_help)
    parser.add_argument("--workers", type=_positive_int, default=1, help="fuzzing processes sharing --db (default 1)")
    _report_args(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report-json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--junit", metavar="PATH", help="write a JUnit XML report here")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report here")


def _finish(report: Any, args: argparse.Namespace, contract: Any) -> int:
    """Write the reports asked for, print the summary, and choose the exit code.

    SIGINT and SIGTERM are held off while this runs, so that a second Ctrl-C
    cannot leave a report half written (each is written atomically as well).
    """
    from .report import print_summary, write_reports

    with _SignalsHeld():
        write_reports(report, json=args.report_json, junit=args.junit, html=args.html, contract=contract)
        print_summary(report)
        return _exit_code(report)


def _exit_code(report: Any) -> int:
    from .runner import DEAD_TARGET

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
    from .report import Progress

    progress = Progress(enabled=not args.quiet and sys.stderr.isatty(), total=None if duration else args.max_examples)
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
            strict_nulls=args.strict_nulls,
            cannot_express=[f.strip() for f in args.cannot_express.split(",") if f.strip()],
        )
    return _finish(report, args, contract)


def _compare_clients(args: argparse.Namespace) -> int:
    from ._core import atomic_write
    from .clients import clients_from_options
    from .contract import load_contract
    from .report import comparison_html, print_comparison
    from .runner import compare_clients

    clients = clients_from_options(sdks=args.sdk, commands=args.command_line, pythons=args.python, timeout=args.timeout)
    contract = load_contract(args.spec, version=args.contract)
    comparison = compare_clients(
        clients,
        contract,
        max_examples=args.max_examples,
        seed=args.seed,
        boundary=not args.no_boundary,
        call_timeout=args.timeout,
        strict_nulls=args.strict_nulls,
    )
    data = comparison.to_dict()
    print_comparison(data)
    if args.json_out:
        atomic_write(args.json_out, comparison.to_json())
    if args.html_out:
        atomic_write(args.html_out, comparison_html(data))
    return EXIT_OK


def _catalogue(args: argparse.Namespace) -> int:
    from .contract import load_contract

    contract = load_contract(args.spec, version=args.contract)
    records = [c.to_dict() for c in contract.catalogue]
    # The request's own constraints (bytes and headers; the body and headers probes) come after.
    requests = [{**c.to_dict(), "kind": "request"} for c in contract.catalogue.requests.values()]
    if args.json:
        print(json.dumps(records + requests, indent=2))
    else:
        for r in records + requests:
            print(f"{r['id']:<70} {r['keyword']:<20} {r['source']:<6} {json.dumps(r['limit'])[:60]}")
        print(f"{len(records)} payload constraints and {len(requests)} request constraints ({contract.source})")
    return EXIT_OK


def _drift(args: argparse.Namespace) -> int:
    from .contract import drift, load_contract
    from .contract import parse_drift_kinds as parse_kinds

    fail_on = parse_kinds(args.fail_on) if args.fail_on is not None else set()
    report = drift(load_contract(version=args.contract), spec=args.spec, sdk=None if args.sdk == "none" else args.sdk)
    if args.json:
        print(report.to_json())
    elif args.markdown:
        print(report.to_markdown())
    else:
        from .report import printable

        print(printable(report.to_text()))
    hit = sorted(fail_on & report.kinds())
    if hit:
        print(f"runcontract: drift of kind {', '.join(hit)} (--fail-on)", file=sys.stderr)
        return EXIT_DISAGREEMENT
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

    return _options.parse_checks(text, ENDPOINT_CHECKS, DEFAULT_CHECKS)


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from .runner import FuzzSettings

    return FuzzSettings(
        checks=_checks(args.checks),
        accepted_invalid=_options.parse_statuses(args.accept_status),
        api_key_env=args.api_key_env,
        breaker_threshold=args.breaker,
        breaker_window=args.breaker_window,
        thread_id=args.thread_id,
        probes=_probes(args.probes),
        strict=_strict(args.strict),
        strict_echo=args.strict_echo,
        **extra,
    )


def _probes(text: str) -> tuple[str, ...] | None:
    from .strategies import PROBE_CLASSES

    if text.strip() == "all":
        return None
    if text.strip() == "none":
        return ()
    return _options.parse_checks(text, PROBE_CLASSES, PROBE_CLASSES, what="probe")


def _strict(text: str | None) -> bool | tuple[str, ...]:
    if text is None:
        return False
    if text.strip() == "all":
        return True
    return tuple(n.strip() for n in text.split(",") if n.strip())


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

        server = stack.enter_context(BackgroundServer(contract=contract, log_level="critical"))
        os.environ.setdefault(args.api_key_env, "sk-runcontract-local")
        return server.base_url, headers, f"embedded reference server ({server.base_url})"
    base_url = _options.base_url(base_url, what="--base-url")
    return base_url, headers, base_url


def _open_target(args: argparse.Namespace, contract: Any, stack: ExitStack) -> tuple[Any, str]:
    """The target named by --base-url (checked reachable), else the embedded server started in ``stack``."""
    from .drivers import make_target

    base_url, headers, name = _target_url(args, contract, stack)
    # make_target applies the default cap (none on loopback, 10/s elsewhere); 0 means none.
    target, _ = make_target(
        contract, base_url=base_url, headers=headers, api_key_env=args.api_key_env, rate=args.rate, timeout=args.timeout
    )
    stack.callback(target.close)
    return target, name


def _fuzz(args: argparse.Namespace) -> int:
    from .contract import load_contract
    from .report import Progress
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
        progress = Progress(
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

    from .drivers import default_rate
    from .runner import HTTPTargetFactory, run_workers
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
    from .report import print_replay
    from .runner import failure_dir, is_redis_url, load_failure_files, open_database, redact_url, replay_endpoint

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
    print_replay(outcomes)
    if args.prune and not report.interrupted and not report.aborted:
        for outcome in outcomes:
            if outcome.sent and not outcome.now and outcome.source:
                Path(outcome.source).unlink(missing_ok=True)
    return code


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
    from .runner import request_interrupt

    request_interrupt()  # in case this KeyboardInterrupt lands where Python swallows it (a gc callback)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    from ._errors import RuncontractWarning

    shown = warnings.formatwarning

    def one_line(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> str:
        if issubclass(category, RuncontractWarning):  # ours: one line, like the errors
            return f"runcontract: warning: {message}\n"
        return shown(message, category, *args, **kwargs)

    # Called as a function (tests, the plugin), main leaves the warning filters and format as it found them.
    with warnings.catch_warnings():
        warnings.simplefilter("always", RuncontractWarning)  # the run already says each one once
        warnings.formatwarning = one_line
        try:
            return _main(argv)
        finally:
            warnings.formatwarning = shown


def _main(argv: Sequence[str] | None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command in ("fuzz", "replay", "fuzz-client"):
        import runcontract.runner  # noqa: F401 - imported now, not inside the signal handler
    previous: dict[signal.Signals, Any] = {}
    try:
        # SIGTERM stops a run like Ctrl-C. A job started in the background by a
        # non-interactive shell inherits SIGINT ignored: it must still stop the run.
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _on_signal)
    except ValueError:
        pass  # not the main thread (called from a test): the signals keep their handlers
    unraisable = sys.unraisablehook
    sys.unraisablehook = _quiet_interrupt(unraisable)
    try:
        return _dispatch(args)
    finally:
        # Called as a function (tests, the plugin), main leaves the process's signals as it found them.
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.unraisablehook = unraisable


def _quiet_interrupt(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``hook``, except for the KeyboardInterrupt of our signal handler landing where Python swallows it.

    Raised inside a gc callback (Hypothesis registers one), it would be printed as "Exception
    ignored in ..." with a traceback; the run stops anyway, through ``request_interrupt``.
    """

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    return quiet


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "catalogue":
            return _catalogue(args)
        if args.command == "drift":
            return _drift(args)
        if args.command == "fuzz":
            return _fuzz(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "fuzz-client":
            return _fuzz_client(args)
        if args.command == "compare-clients":
            return _compare_clients(args)
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
