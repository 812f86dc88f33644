"""HTML: one self-contained page (inline CSS and a little inline JS, nothing fetched).

The page has three parts: a summary of the run, a coverage matrix with one row
per catalogued constraint (constraints never tried are highlighted), and every
failure with its payload, the response excerpt and the curl line.

Everything taken from the report is escaped; lone surrogates (which the
fuzzer produces on purpose) are written as ``\\udXXX`` escapes rather than
crashing the UTF-8 encoder. A Content-Security-Policy allows only the page's
own style and script (by hash), so even a payload that slipped past escaping
could neither run script nor load anything from the network.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .._core import Coverage, Failure, Report, atomic_write
from ._write import printable

if TYPE_CHECKING:
    from ..contract import Contract

__all__ = ["comparison_html", "to_html", "write_html"]

_CSS = """
:root{--fg:#1d1f23;--muted:#5b6270;--bg:#fff;--panel:#f5f6f8;--line:#d9dce1;--ok:#1a7f37;--bad:#c62828;
--warn:#9a6700;--miss:#fff1f0;--partial:#fff8e1;--code:#f0f2f5}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa3ad;--bg:#15171a;--panel:#1d2024;--line:#343a40;
--ok:#3fb950;--bad:#ff7b72;--warn:#d29922;--miss:#3a1d1d;--partial:#33290f;--code:#22262b}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{padding:0 24px}
header{border-bottom:1px solid var(--line);padding-top:12px;padding-bottom:12px}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px}
h3{font-size:15px;margin:0 0 8px}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--code);padding:8px 10px;border-radius:4px;margin:4px 0 10px;white-space:pre-wrap;
overflow-wrap:anywhere;max-height:24em;overflow:auto}
.verdict{display:inline-block;font-weight:700;padding:2px 10px;border-radius:4px;color:#fff}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--bad)}.verdict.aborted{background:var(--warn)}
.note{border-left:4px solid var(--warn);background:var(--partial);padding:6px 10px;margin:8px 0}
.note.bad{border-color:var(--bad);background:var(--miss)}
td.ok{color:var(--ok)}td.bad{color:var(--bad);background:var(--miss)}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:12px 0}
dl.summary dt{color:var(--muted)}dl.summary dd{margin:0;overflow-wrap:anywhere}
.tools{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0}
.tools input[type=search]{font:inherit;padding:4px 8px;min-width:22em;border:1px solid var(--line);border-radius:4px;
background:var(--bg);color:var(--fg)}
.muted{color:var(--muted)}
table.matrix{border-collapse:separate;border-spacing:0;width:100%}
table.matrix th,table.matrix td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
table.matrix thead th{position:sticky;top:0;z-index:1;background:var(--panel);border-bottom:2px solid var(--line)}
table.matrix td.outcomes{min-width:13em}
table.matrix td.num{text-align:right;font-variant-numeric:tabular-nums}
table.matrix td.limit{min-width:12em;max-width:30em}table.matrix td.limit code{overflow-wrap:break-word}
table.matrix td.cid{min-width:14em}table.matrix td.cid code{overflow-wrap:break-word}
nav a{margin-right:14px}
tr.not-covered td{background:var(--miss)}
tr.partial td{background:var(--partial)}
tr.failing td:first-child{box-shadow:inset 4px 0 0 var(--bad)}
.state{font-weight:600;white-space:nowrap}
tr.not-covered .state{color:var(--bad)}tr.partial .state{color:var(--warn)}tr.covered .state{color:var(--ok)}
.outcome{display:inline-block;border:1px solid var(--line);border-radius:3px;padding:0 5px;margin:0 3px 3px 0;
white-space:nowrap;font-variant-numeric:tabular-nums}
.outcome.s2{border-color:var(--ok)}.outcome.s4{border-color:var(--warn)}
.outcome.s5,.outcome.error{border-color:var(--bad)}
section.failure{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:4px;padding:10px 14px;
margin:0 0 14px;background:var(--panel)}
section.failure dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 8px}
section.failure dt{color:var(--muted)}section.failure dd{margin:0;overflow-wrap:anywhere}
.label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
a{color:inherit}
footer{padding:24px;color:var(--muted);font-size:12px}
"""

# Static: no report data ever goes into the script, so its hash is fixed.
_JS = """
(function () {
  "use strict";
  var box = document.getElementById("matrix-filter");
  var onlyMissing = document.getElementById("matrix-missing");
  var count = document.getElementById("matrix-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#matrix tbody tr"));
  function apply() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) !== -1; });
      if (onlyMissing.checked && !row.classList.contains("not-covered")) { keep = false; }
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " constraints shown";
  }
  var hash = window.location.hash;
  if (hash.indexOf("#q=") === 0) {
    try { box.value = decodeURIComponent(hash.slice(3)); } catch (e) { box.value = hash.slice(3); }
  }
  box.addEventListener("input", apply);
  onlyMissing.addEventListener("change", apply);
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


_CSP = (
    "default-src 'none'; "
    f"style-src {_csp_hash(_CSS)}; "
    f"script-src {_csp_hash(_JS)}; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _clean(value: Any) -> str:
    """``str(value)`` that the UTF-8 encoder accepts: lone surrogates become ``\\udXXX``."""
    return printable(value if isinstance(value, str) else str(value))


def _e(value: Any) -> str:
    """Escape for HTML text and double- or single-quoted attribute values."""
    return html.escape(_clean(value), quote=True)


def _json(value: Any, *, indent: int | None = None) -> str:
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, default=str, sort_keys=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {secs:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def _outcome_key(item: tuple[str, int]) -> tuple[int, str]:
    name = item[0]
    return (0, name.zfill(3)) if name.isdigit() else (1, name)


def _outcomes(outcomes: Mapping[str, int]) -> str:
    if not outcomes:
        return '<span class="muted">&mdash;</span>'
    parts = []
    for name, count in sorted(outcomes.items(), key=_outcome_key):
        cls = f"s{name[0]}" if name.isdigit() else "error"
        parts.append(f'<span class="outcome {cls}" title="{_e(name)}: {count}">{_e(name)} &times; {count}</span>')
    return "".join(parts)


def _state(cov: Coverage | None) -> tuple[str, str]:
    """(row class, label) for a constraint's coverage."""
    if cov is None or (cov.at == 0 and cov.past == 0):
        return "not-covered", "not covered"
    if cov.at == 0:
        return "partial", "invalid only"
    if cov.past == 0:
        return "partial", "valid only"
    return "covered", "covered"


@dataclass(frozen=True)
class _Row:
    constraint_id: str
    keyword: str
    limit: str
    source: str
    known: bool


def _rows(report: Report, contract: Contract | None) -> list[_Row]:
    rows: list[_Row] = []
    seen: set[str] = set()
    if contract is not None:
        for constraint in contract.catalogue:
            seen.add(constraint.id)
            rows.append(_Row(constraint.id, constraint.keyword, _json(constraint.limit), constraint.source, True))
    extra = sorted(cid for cid in report.coverage if cid not in seen)
    for cid in extra:
        source = "not in the contract's catalogue" if contract is not None else ""
        rows.append(_Row(cid, "", "", source, contract is None))
    return rows


def _summary(report: Report, contract: Contract | None, rows: list[_Row]) -> str:
    if report.aborted is not None:
        verdict = '<span class="verdict aborted">ABORTED</span>'
    elif report.failures:
        n = len(report.failures)
        verdict = f'<span class="verdict fail">FAIL</span> {n} disagreement{"s" if n != 1 else ""}'
    else:
        verdict = '<span class="verdict pass">PASS</span> the contract held'
    tried = sum(1 for r in rows if r.known and _state(report.coverage.get(r.constraint_id))[0] != "not-covered")
    known = sum(1 for r in rows if r.known)
    outside = len(rows) - known
    tried_text = f"{tried} of {known}" + (" catalogued" if contract is not None else "")
    if outside:
        tried_text += f" (and {outside} outside the catalogue)"
    started = datetime.fromtimestamp(report.started, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    items: list[tuple[str, str]] = [
        ("Verdict", verdict),
        ("Target", f"<code>{_e(report.target)}</code>"),
        ("Contract", f"<code>{_e(report.contract)}</code>"),
    ]
    if contract is not None:
        items.append(
            (
                "Contract source",
                f"<code>{_e(contract.source)}</code> (version {_e(contract.version)}, "
                f"{len(contract.catalogue)} constraints)",
            )
        )
    items += [
        ("Seed", _e(report.seed) if report.seed is not None else '<span class="muted">none</span>'),
        ("Examples", str(report.examples)),
        ("Requests", str(report.requests)),
        ("Duration", _e(_duration(report.duration_s))),
        ("Started", _e(started)),
        ("Checks", _e(", ".join(report.checks)) if report.checks else '<span class="muted">none recorded</span>'),
        ("Constraints tried", _e(tried_text)),
    ]
    body = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in items)
    notes = []
    if report.interrupted:
        notes.append(
            '<p class="note" id="note-interrupted"><strong>Interrupted.</strong> '
            "The run was stopped before its budget was spent; the results cover only the part that ran.</p>"
        )
    if report.aborted is not None:
        notes.append(f'<p class="note bad" id="note-aborted"><strong>Aborted:</strong> {_e(report.aborted)}</p>')
    return f'<section id="summary"><dl class="summary">{body}</dl>{"".join(notes)}</section>'


def _matrix(report: Report, contract: Contract | None, rows: list[_Row], first_failure: dict[str, int]) -> str:
    failures_by_constraint: dict[str, int] = {}
    for failure in report.failures:
        if failure.constraint is not None:
            failures_by_constraint[failure.constraint] = failures_by_constraint.get(failure.constraint, 0) + 1
    body = []
    for row in rows:
        cov = report.coverage.get(row.constraint_id)
        cls, label = _state(cov)
        n_fail = failures_by_constraint.get(row.constraint_id, 0)
        if n_fail:
            cls += " failing"
            fail_cell = f'<a href="#failure-{first_failure[row.constraint_id]}">{n_fail}</a>'
        else:
            fail_cell = '<span class="muted">0</span>'
        if not row.known:
            cls += " unknown"
        limit = f"<code>{_e(row.limit)}</code>" if row.limit else ""
        body.append(
            f'<tr class="{cls}" data-constraint="{_e(row.constraint_id)}">'
            f'<td class="cid"><code>{_e(row.constraint_id).replace(".", ".<wbr>")}</code></td>'
            f"<td>{_e(row.keyword)}</td>"
            f'<td class="limit">{limit}</td>'
            f"<td>{_e(row.source)}</td>"
            f'<td class="num">{cov.at if cov else 0}</td>'
            f'<td class="num">{cov.past if cov else 0}</td>'
            f'<td class="outcomes">{_outcomes(cov.outcomes if cov else {})}</td>'
            f'<td class="num">{fail_cell}</td>'
            f'<td class="state">{label}</td>'
            "</tr>"
        )
    if contract is None:
        intro = (
            '<p class="muted">No contract was given: only the constraints that were tried are listed. '
            "Pass the contract to list every catalogued constraint.</p>"
        )
    else:
        intro = (
            '<p class="muted">Every constraint of the contract\'s catalogue. '
            "<em>Valid boundary</em>: payloads at the limit that the contract accepts; "
            "<em>invalid</em>: payloads that break it; <em>outcomes</em>: what the target answered.</p>"
        )
    empty = '<p class="muted" id="matrix-empty">No constraint was tried.</p>' if not rows else ""
    return (
        '<section id="coverage"><h2>Coverage</h2>'
        + intro
        + '<div class="tools"><input type="search" id="matrix-filter" placeholder="Filter constraints&hellip;" '
        'aria-label="Filter constraints" autocomplete="off">'
        '<label><input type="checkbox" id="matrix-missing"> only not covered</label>'
        f'<span id="matrix-count" class="muted">{len(rows)} constraints</span></div>'
        + empty
        + '<table class="matrix" id="matrix"><thead><tr>'
        "<th>Constraint</th><th>Keyword</th><th>Limit</th><th>Source</th>"
        '<th title="payloads at the limit, accepted by the contract">Valid boundary tried</th>'
        '<th title="payloads past the limit, rejected by the contract">Invalid tried</th>'
        "<th>Outcomes (status &times; count)</th><th>Failures</th><th>State</th>"
        "</tr></thead><tbody>" + "".join(body) + "</tbody></table></section>"
    )


def _failure(index: int, failure: Failure) -> str:
    fields = [
        ("Check", f"<code>{_e(failure.check)}</code>"),
        (
            "Constraint",
            f"<code>{_e(failure.constraint)}</code>" if failure.constraint else '<span class="muted">none</span>',
        ),
        ("Message", _e(failure.message)),
        ("Expected", _e(failure.expected)),
        ("Status", _e(failure.status)),
        ("Thread", f"<code>{_e(failure.thread_id)}</code>"),
        ("Origin", _e(failure.origin)),
    ]
    meta = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in fields)
    title = _e(failure.check) + (f" &middot; {_e(failure.constraint)}" if failure.constraint else "")
    return (
        f'<section class="failure" id="failure-{index}">'
        f"<h3>{index}. {title}</h3>"
        f"<dl>{meta}</dl>"
        '<div class="label">Payload</div>'
        f'<pre class="payload">{_e(_json(failure.payload, indent=2))}</pre>'
        '<div class="label">Response excerpt</div>'
        f'<pre class="response">{_e(failure.response_excerpt) or "(empty)"}</pre>'
        '<div class="label">Reproduce</div>'
        f'<pre class="curl">{_e(failure.curl)}</pre>'
        "</section>"
    )


def _findings(report: Report) -> str:
    """One row per root cause, linking to its example failure below."""
    findings = report.findings()
    if not findings:
        return '<section id="findings"><h2>Findings</h2><p class="muted">None.</p></section>'
    index = {id(f): i for i, f in enumerate(report.failures, start=1)}
    rows = []
    for number, finding in enumerate(findings, start=1):
        example = index.get(id(finding.example))
        link = f'<a href="#failure-{example}">example</a>' if example else ""
        constraints = ", ".join(f"<code>{_e(c)}</code>" for c in finding.constraints[:12])
        more = " &hellip;" if len(finding.constraints) > 12 else ""
        rows.append(
            f"<tr><td>{number}</td><td><code>{_e(finding.check)}</code></td><td>{_e(finding.summary)}</td>"
            f"<td>{constraints}{more}</td><td>{finding.count}</td><td>{finding.first_request or ''}</td>"
            f"<td>{link}</td></tr>"
        )
    return (
        f'<section id="findings"><h2>Findings ({len(findings)})</h2>'
        '<p class="muted">One row per root cause; every instance is listed under Failures.</p>'
        "<table><thead><tr><th>#</th><th>Check</th><th>What is wrong</th><th>Constraints</th>"
        "<th>Failures</th><th>First request</th><th></th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _failures(report: Report) -> str:
    if not report.failures:
        return '<section id="failures"><h2>Failures</h2><p class="muted">None.</p></section>'
    items = "".join(_failure(i, f) for i, f in enumerate(report.failures, start=1))
    return f'<section id="failures"><h2>Failures ({len(report.failures)})</h2>{items}</section>'


def _comparison(data: Mapping[str, Any]) -> str:
    """The clients-side-by-side section: one row per field, one column per client, the row's verdict."""
    clients = list(data.get("clients", ()))
    head = "".join(f"<th>{_e(c)}</th>" for c in clients)
    body = []
    for row in data.get("rows", ()):
        cells = []
        for client in clients:
            cell = row["cells"].get(client, {})
            status = str(cell.get("status", ""))
            counts = ", ".join(f"{k} {v}" for k, v in sorted(cell.get("counts", {}).items()))
            invalid = f"refused {cell.get('invalid_refused', 0)} / sent {cell.get('invalid_sent', 0)} invalid"
            css = "ok" if status in ("exact", "sent", "not sent") else "bad"
            cells.append(f'<td class="{css}"><b>{_e(status)}</b><br><small>{_e(counts)}; {_e(invalid)}</small></td>')
        verdict = str(row.get("verdict", ""))
        css = "ok" if verdict == "agree" else "bad"
        body.append(
            f'<tr><td><code>{_e(row["field"])}</code></td>{"".join(cells)}<td class="{css}">{_e(verdict)}</td></tr>'
        )
    return (
        '<section id="clients"><h2>Clients side by side</h2>'
        f"<p>{_e(data.get('cases', 0))} payloads, the same for every client (contract {_e(data.get('contract', ''))}, "
        f"seed {_e(data.get('seed'))}). Each cell: what became of the field in the valid payloads that held it "
        "(worst first), and how many invalid values of it the client refused or sent.</p>"
        f"<table><thead><tr><th>field</th>{head}<th>verdict</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</section>"
    )


def comparison_html(data: Mapping[str, Any]) -> str:
    """``runcontract compare-clients --html``: the comparison (``Comparison.to_dict()``) as one page."""
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        "<title>runcontract: clients side by side</title>"
        f"<style>{_CSS}</style></head><body><header><h1>runcontract: clients side by side</h1></header><main>"
        + _comparison(data)
        + f"</main><footer>Generated by runcontract.</footer><script>{_JS}</script></body></html>\n"
    )
    return _clean(page)


def to_html(report: Report, contract: Contract | None = None, comparison: Mapping[str, Any] | None = None) -> str:
    """The report as one self-contained HTML page.

    With ``contract``, the coverage matrix lists every catalogued constraint
    (those never tried are highlighted); without it, only the constraints in
    ``report.coverage``. With ``comparison`` (``Comparison.to_dict()``), a
    section shows clients side by side.
    """
    rows = _rows(report, contract)
    first_failure: dict[str, int] = {}
    for i, failure in enumerate(report.failures, start=1):
        if failure.constraint is not None:
            first_failure.setdefault(failure.constraint, i)
    if report.aborted is not None:
        verdict = "ABORTED"
    elif report.failures:
        verdict = "FAIL"
    else:
        verdict = "PASS"
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f"<title>runcontract {verdict}: {_e(report.target)}</title>"
        f"<style>{_CSS}</style></head>"
        "<body><header>"
        f"<h1>runcontract report: {_e(report.target)}</h1>"
        '<nav><a href="#summary">Summary</a>'
        f'<a href="#findings">Findings ({len(report.findings())})</a>'
        f'<a href="#failures">Failures ({len(report.failures)})</a>'
        f'<a href="#coverage">Coverage ({len(rows)} constraints)</a></nav>'
        "</header><main>"
        + _summary(report, contract, rows)
        + (_comparison(comparison) if comparison is not None else "")
        + _findings(report)
        + _failures(report)
        + _matrix(report, contract, rows, first_failure)
        + "</main><footer>Generated by runcontract. Reproduction lines read the API key from the environment; "
        "the report never contains it.</footer>"
        f"<script>{_JS}</script></body></html>\n"
    )
    # Every piece was cleaned already; this keeps the promise for anything added later.
    return _clean(page)


def write_html(report: Report, path: str | os.PathLike[str], contract: Contract | None = None) -> None:
    """Write :func:`to_html` to ``path`` atomically (a temporary file, then a rename)."""
    atomic_write(path, to_html(report, contract))
