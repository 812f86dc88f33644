"""The ``runcontract`` command line: a thin front end over the library.

Exit codes: 0 the contract holds; 1 a disagreement was found; 2 usage or
configuration error (bad option, broken spec, refused credentials); 3 the
target is unreachable; 130 interrupted before anything was found.
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

from ._errors import EXIT_CONFIG, EXIT_DISAGREEMENT, EXIT_OK, RuncontractError, UsageError

__all__ = ["main", "parse_duration"]

EXIT_INTERRUPTED = 130


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

    fuzz = sub.add_parser("fuzz", help="fuzz an endpoint (default: the embedded reference server)")
    _contract_args(fuzz)
    fuzz.add_argument("--base-url", help="live target, e.g. https://staging.example.com (default: embedded server)")
    fuzz.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    fuzz.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra request header")
    fuzz.add_argument("--thread-id", help="send every request to this thread (default: generated ids)")
    fuzz.add_argument("--checks", default="all", help="comma-separated checks to run (default: all)")
    fuzz.add_argument("--accept-status", default="400", help="statuses that count as rejecting an invalid payload")
    fuzz.add_argument("--max-examples", type=_positive_int, default=200, help="random examples after the boundary plan")
    fuzz.add_argument("--duration", help="run for this long instead (90s, 30m, 2h)")
    fuzz.add_argument("--rate", type=_positive_float, help="cap on requests per second")
    fuzz.add_argument("--seed", type=int, help="random seed (printed in the report)")
    fuzz.add_argument("--db", default=".runcontract", help="where failures are kept and replayed from ('' to disable)")
    _report_args(fuzz)
    fuzz.add_argument("--quiet", action="store_true", help="no progress bar")

    client = sub.add_parser("fuzz-client", help="check a client serializer (the openai SDK or any program)")
    _contract_args(client)
    which = client.add_mutually_exclusive_group(required=True)
    which.add_argument("--sdk", choices=("openai",), help="check the installed official SDK")
    which.add_argument(
        "--command",
        help="run this program once per example: RUNCONTRACT_BASE_URL, RUNCONTRACT_THREAD_ID and "
        "RUNCONTRACT_API_KEY in its environment, the payload as JSON on stdin; exit 0 sent, 3 refused",
    )
    client.add_argument(
        "--max-examples", type=_positive_int, default=100, help="random examples after the boundary plan"
    )
    client.add_argument("--seed", type=int, help="random seed")
    client.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per example for --command")
    client.add_argument("--in-process", action="store_true", help="SDK through a mock transport instead of loopback")
    _report_args(client)

    serve = sub.add_parser("serve", help="run the reference server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive_int, default=8000)
    _contract_args(serve)

    cat = sub.add_parser("catalogue", help="list the contract's constraints")
    _contract_args(cat)
    cat.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report-json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--junit", metavar="PATH", help="write a JUnit XML report here")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report here")


def _finish(report: Any, args: argparse.Namespace, contract: Any) -> int:
    """Write the reports asked for, print the summary, and choose the exit code."""
    from .report import write_html, write_junit

    if args.report_json:
        report.write_json(args.report_json)
    if args.junit:
        write_junit(report, args.junit)
    if args.html:
        write_html(report, args.html, contract)
    _summary(report)
    if report.aborted:
        print(f"runcontract: error: {report.aborted}", file=sys.stderr)
        return EXIT_CONFIG
    if report.failures:
        return EXIT_DISAGREEMENT
    return EXIT_INTERRUPTED if report.interrupted else EXIT_OK


def _fuzz_client(args: argparse.Namespace) -> int:
    from .clients import run_client_cli
    from .contract import load_contract

    contract = load_contract(args.spec, version=args.contract)
    report = run_client_cli(
        sdk=args.sdk,
        command=args.command,
        contract=contract,
        max_examples=args.max_examples,
        seed=args.seed,
        timeout=args.timeout,
        in_process=args.in_process,
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


class _FixedThread:
    """Send every case to one thread (a staging thread that exists)."""

    def __init__(self, target: Any, thread_id: str) -> None:
        self.target, self.thread_id = target, thread_id

    def send(self, case: Any) -> Any:
        from dataclasses import replace

        return self.target.send(replace(case, thread_id=self.thread_id))


def _fuzz(args: argparse.Namespace) -> int:
    from ._api import make_target
    from .contract import load_contract
    from .runner import FuzzSettings, run_endpoint

    duration = parse_duration(args.duration) if args.duration else None
    settings = FuzzSettings(
        max_examples=args.max_examples,
        duration=duration,
        seed=args.seed,
        checks=_checks(args.checks),
        accepted_invalid=_statuses(args.accept_status),
        database=args.db or None,
        api_key_env=args.api_key_env,
    )
    headers = _headers(args.header)
    contract = load_contract(args.spec, version=args.contract)
    with ExitStack() as stack:
        base_url = args.base_url
        if base_url is None:
            from .server import BackgroundServer

            server = stack.enter_context(BackgroundServer(contract=contract))
            base_url = server.base_url
            os.environ.setdefault(args.api_key_env, "sk-runcontract-local")
        target, name = make_target(
            contract, base_url=base_url, headers=headers, api_key_env=args.api_key_env, rate=args.rate
        )
        if args.base_url is None:
            name = f"embedded reference server ({base_url})"
        if args.thread_id:
            target = _FixedThread(target, args.thread_id)
        progress = _Progress(
            enabled=not args.quiet and sys.stderr.isatty(), total=None if duration else args.max_examples
        )
        settings.progress = progress.update
        with progress:
            report = run_endpoint(target, contract, settings, target_name=name)
        close = getattr(target, "close", None)
        if callable(close):
            close()
    return _finish(report, args, contract)


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


def _summary(report: Any) -> None:
    from rich.console import Console
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
        console.print(f"\n[bold red]FAIL[/bold red] {f.check} [{f.constraint or '-'}] status {f.status}: {f.message}")
        console.print(f"  thread_id: {f.thread_id!r}")
        console.print(f"  payload:   {payload[:600]}{'...' if len(payload) > 600 else ''}", markup=False)
        console.print(f"  response:  {f.response_excerpt[:300]}", markup=False)
        console.print(f"  reproduce: {f.curl[:2000]}", markup=False)
    verdict = "[green]the contract holds[/green]" if report.ok else f"[red]{len(report.failures)} disagreement(s)[/red]"
    console.print(f"\n{verdict}")


def _serve(args: argparse.Namespace) -> int:
    from .contract import load_contract
    from .server import serve

    serve(args.host, args.port, contract=load_contract(args.spec, version=args.contract))
    return EXIT_OK


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        pass  # not the main thread (called from a test): SIGTERM keeps its default
    try:
        if args.command == "catalogue":
            return _catalogue(args)
        if args.command == "fuzz":
            return _fuzz(args)
        if args.command == "fuzz-client":
            return _fuzz_client(args)
        if args.command == "serve":
            return _serve(args)
    except RuncontractError as exc:
        print(f"runcontract: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("runcontract: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
