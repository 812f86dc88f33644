"""Console output: the run summary, the replay table, the progress bar, and failure text.

Rich is imported only when something is printed, so importing ``report`` stays cheap.
Everything printed goes through :func:`printable`: UTF-8 output cannot carry lone surrogates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._write import printable

if TYPE_CHECKING:
    from .._core import Failure, Finding, Report

__all__ = ["Progress", "failure_lines", "finding_head", "print_comparison", "print_replay", "print_summary"]


def failure_lines(failure: Failure, *, payload: int = 600, response: int = 300, curl: int = 2000) -> list[str]:
    """A failure as text: a head line (check, constraint, status, message), then thread, payload,
    response and the curl line, each cut to the given number of characters."""
    body = json.dumps(failure.payload, ensure_ascii=False, default=str)
    lines = [
        f"{failure.check} [{failure.constraint or '-'}] status {failure.status}: {failure.message}",
        f"  thread_id: {failure.thread_id!r}",
        f"  payload:   {body[:payload]}{'...' if len(body) > payload else ''}",
        f"  response:  {failure.response_excerpt[:response]}",
        f"  reproduce: {failure.curl[:curl]}",
    ]
    return [printable(line) for line in lines]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def finding_head(finding: Finding) -> str:
    """A finding's two-line header: its check and root cause, then its size, constraints and first request."""
    constraints = ", ".join(finding.constraints[:8]) + (" ..." if len(finding.constraints) > 8 else "")
    first = f"; first seen at request {finding.first_request}" if finding.first_request else ""
    return printable(
        f"{finding.check}: {finding.summary}\n  {finding.count} failure(s)"
        + (f" on {constraints}" if constraints else "")
        + first
    )


def print_summary(report: Report, *, console: Any = None) -> None:
    """Findings and failures per check, the run's figures, each finding with its example and curl line, the verdict.

    A finding is one root cause (``Report.findings``); its example is one of
    its failures, and ``failures`` in the JSON report holds every one.
    """
    from rich.markup import escape
    from rich.table import Table

    console = console or _console()
    findings = report.findings()
    covered = sum(1 for c in report.coverage.values() if c.at and c.past)
    table = Table(title=f"runcontract: {escape(printable(report.target))}", show_lines=False)
    table.add_column("check")
    table.add_column("findings", justify="right")
    table.add_column("failures", justify="right")
    for check in report.checks:
        n = sum(1 for f in report.failures if f.check == check)
        k = sum(1 for f in findings if f.check == check)
        table.add_row(check, f"[red]{k}[/red]" if k else "0", f"[red]{n}[/red]" if n else "0")
    console.print(table)
    console.print(
        f"contract {escape(printable(report.contract))}; seed {report.seed}; {report.requests} requests in "
        f"{report.duration_s:.1f}s; {covered} constraints tried on both sides"
        + ("; [yellow]interrupted[/yellow]" if report.interrupted else "")
    )
    for note in report.notes:
        console.print(f"note: {escape(printable(note))}")
    for number, finding in enumerate(findings, start=1):
        head, detail = finding_head(finding).split("\n", 1)
        console.print(f"\n[bold]FINDING {number}[/bold] {escape(head)}")
        console.print(detail, markup=False)
        first, *rest = failure_lines(finding.example)
        console.print(f"[bold red]FAIL[/bold red] {escape(first)}")
        for line in rest:
            console.print(line, markup=False)
    if report.ok:
        verdict = "[green]the contract holds[/green]"
    else:
        verdict = f"[red]{len(findings)} finding(s), {len(report.failures)} disagreement(s)[/red]"
    console.print(f"\n{verdict}")


def print_comparison(data: Mapping[str, Any], *, console: Any = None) -> None:
    """``compare-clients``: one row per field, one column per client (worst status and its count), the verdict.

    Columns are numbered (the legend names each client) so the verdict can name them briefly.
    """
    from rich.markup import escape
    from rich.table import Table

    console = console or _console()
    clients = list(data.get("clients", ()))
    table = Table(title=f"clients side by side: {data.get('cases', 0)} payloads, contract {data.get('contract', '')}")
    table.add_column("field")
    for number in range(1, len(clients) + 1):
        table.add_column(f"[{number}]")
    table.add_column("verdict")
    for row in data.get("rows", ()):
        cells, wrong = [], []
        for number, client in enumerate(clients, start=1):
            cell = row["cells"].get(client, {})
            status = str(cell.get("status", ""))
            counts = cell.get("counts", {})
            total = sum(counts.values())
            good = status in ("exact", "sent", "not sent")
            text = status if good else f"{status} {counts.get(status, 0)}/{total}"
            if cell.get("invalid_refused"):
                text += f" (refuses {cell['invalid_refused']}/{cell['invalid_refused'] + cell['invalid_sent']} bad)"
            cells.append(f"[green]{escape(text)}[/green]" if good else f"[red]{escape(text)}[/red]")
            if not good:
                wrong.append(f"[{number}] {status}")
        verdict = "[green]agree[/green]" if not wrong else escape("differ: " + ", ".join(wrong))
        table.add_row(escape(row["field"]), *cells, verdict)
    console.print(table)
    for number, client in enumerate(clients, start=1):
        console.print(f"[{number}] {escape(printable(client))}", markup=False)


def print_replay(outcomes: Sequence[Any], *, console: Any = None) -> None:
    """One row per replayed saved failure (reproduces, fixed, not sent ...), then how many still fail."""
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
            escape(printable(f"{o.saved.check} [{o.saved.constraint or '-'}]")),
            escape(printable(o.source or "-")),
        )
    console = console or _console()
    console.print(table)
    still = sum(1 for o in outcomes if o.reproduced)
    console.print(f"{still} of {len(outcomes)} saved failure(s) reproduce")


class Progress:
    """A rich progress bar on stderr while ``enabled`` (a terminal); nothing otherwise.

    Pass :meth:`update` as the run's progress callback.
    """

    def __init__(self, *, enabled: bool, total: int | None = None) -> None:
        self.enabled = enabled
        self.total = total
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("[bold]fuzzing"),
                BarColumn(),
                TextColumn("{task.fields[requests]} requests"),
                TextColumn("{task.fields[failures]} failures"),
                TimeElapsedColumn(),
                console=_console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("fuzz", total=None, requests=0, failures=0)
        return self

    def update(self, report: Report) -> None:
        if self._bar is not None:
            self._bar.update(self._task, requests=report.requests, failures=len(report.failures), advance=1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
