"""Bugs found in the faulty-server set, and false alarms on the faithful server, for both tools.

    python benchmarks/bugs.py [--max-examples 200] [--seed 1] [--jobs 2] [--update-readme]

Every server of ``tests/faulty_servers.py`` (20 variants with one planted
bug each) and the faithful reference server runs as its own loopback server
process (``benchmarks/_server.py --faulty NAME``, on the published
document's contract). Against each, one after the other:

- ``runcontract fuzz --spec DOC --max-examples N`` (its default budget: the
  boundary plan, then N random cases; all checks);
- ``schemathesis run DOC --include-operation-id createRun --max-examples N
  --checks all`` (same headers, same seed; it stops at the first failure, its default);
- the same with ``--exclude-checks`` naming every check that fired on the
  faithful server (found first, by a probe run with ``--continue-on-failure``).

A bug counts as found when the tool reports a failure on the faulty server
while reporting none on the faithful one. Servers run ``--jobs`` at a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SPEC,
    Server,
    machine,
    md_table,
    run_timed,
    runcontract_cmd,
    schemathesis_cmd,
    tests_on_path,
    text_table,
    update_readme,
)

# Schemathesis failure codes and the check that raises each.
ST_CHECKS = {
    "ST100": "not_a_server_error",
    "ST101": "not_a_server_error",
    "ST102": "response_schema_conformance",
    "ST103": "status_code_conformance",
    "ST104": "response_headers_conformance",
    "ST105": "content_type_conformance",
    "ST108": "response_schema_conformance",
    "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance",
    "ST203": "missing_required_header",
    "ST204": "unsupported_method",
    "ST205": "allow_header_conformance",
    "ST401": "ignored_auth",
}

WHY = {
    "ST103": "the document lists only 200 and 429; the contract's 400 (and 401 for a bad key) are undocumented there",
    "ST105": "`stream: true` is answered with `text/event-stream`, which the document states only in prose",
    "ST201": "a `null` the contract allows (the document marks it `nullable: true` beside a `$ref`/in `allOf`, "
    "which Schemathesis does not apply to a 3.1 document) is sent as negative data and accepted",
    "ST202": "the limits the document gives only in prose (function name `^[a-zA-Z0-9_-]{1,64}$`, metadata "
    "16/64/512) are not in its schema, so payloads Schemathesis thinks valid are rightly refused with 400",
    "ST204": "a method the operation does not list (TRACE, ...) is not answered 405 with an `Allow` header; "
    "the reference server answers 405 with `Allow: POST`, so this fires only on a server that does not",
    "ST205": "the `Allow` header of the reference server's 405 answers lists the methods it serves, not every "
    "method the document declares for the path (it does not serve GET list-runs)",
    "ST401": "the reference server accepts any non-empty bearer token by design (`create_app(api_keys=None)`), "
    "so Schemathesis's made-up token is accepted",
}


def _st_name(failure: dict[str, Any]) -> str:
    return f"{failure['code']} {ST_CHECKS.get(failure['code'], failure.get('type', '?'))}"


def _st_run(server: Server, n: int, seed: int, out: Path, exclude: str | None, every: bool) -> dict[str, Any]:
    server.reset()
    cmd = schemathesis_cmd(
        server.base_url, max_examples=n, seed=seed, report_json=out, exclude_checks=exclude, continue_on_failure=every
    )
    wall, res = run_timed(cmd, timeout=300)
    st = json.loads(out.read_text()) if out.exists() else {"failures": []}
    return {
        "checks": sorted({_st_name(f) for f in st["failures"]}),
        "requests": server.stats()["requests"],
        "wall": wall,
        "exit": res.returncode,
        "stderr": res.stderr[-500:],
    }


def one_server(name: str | None, n: int, seed: int, spec: Path, tmp: Path, exclude: str | None) -> dict[str, Any]:
    """runcontract, then Schemathesis with all checks, then (when ``exclude``) Schemathesis without those."""
    label = name or "FAITHFUL"
    out: dict[str, Any] = {"server": label}
    with Server(faulty=name, spec=spec) as server:
        rc_json = tmp / f"{label}.rc.json"
        wall, res = run_timed(
            runcontract_cmd(server.base_url, max_examples=n, seed=seed, report_json=rc_json), timeout=300
        )
        report = json.loads(rc_json.read_text()) if rc_json.exists() else {"failures": [], "requests": 0}
        out["rc"] = {
            "checks": sorted({f["check"] for f in report["failures"]}),
            "requests": report.get("requests", 0),
            "wall": wall,
            "exit": res.returncode,
            "stderr": res.stderr[-500:],
        }
        # The probe (exclude None) continues past failures to list every check that fires on the faithful server.
        out["st"] = _st_run(server, n, seed, tmp / f"{label}.st.json", None, every=exclude is None)
        if exclude:
            out["fair"] = _st_run(server, n, seed, tmp / f"{label}.fair.json", exclude, every=False)
    print(
        f"{label}: runcontract {out['rc']['checks']}; schemathesis {out['st']['checks']}; "
        f"fair {out.get('fair', {}).get('checks')}",
        flush=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="comma-separated faulty servers (default: all 20)")
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    if not args.spec.exists():
        raise SystemExit(f"{args.spec} not found: this benchmark needs the published document")
    tests_on_path()
    from faulty_servers import FAULTY

    names = [s.strip() for s in args.only.split(",")] if args.only else list(FAULTY)
    n, seed, spec = args.max_examples, args.seed, args.spec
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        # The faithful server first: its Schemathesis alarms are the checks the fair variant leaves out.
        probe = one_server(None, n, seed, spec, Path(tmp), None)
        st_alarms = set(probe["st"]["checks"])
        exclude = ",".join(sorted(c.split()[-1] for c in st_alarms)) or None
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(one_server, name, n, seed, spec, Path(tmp), exclude) for name in [None, *names]]
            results = [f.result() for f in futures]
    faithful, faulty = results[0], results[1:]
    if exclude and not faithful["fair"]["requests"]:
        # A check name Schemathesis does not know makes it exit before sending anything: say so, not "0/20".
        raise SystemExit(f"schemathesis --exclude-checks {exclude} sent no request: {faithful['fair']['stderr']}")
    elapsed = (time.monotonic() - started) / 60
    rc_alarms = set(faithful["rc"]["checks"])
    fair_alarms = set(faithful.get("fair", {}).get("checks", []))

    def cell(checks: list[str], ignore: set[str]) -> str:
        kept = [c for c in checks if c not in ignore]
        return ", ".join(c.split()[-1] if " " in c else c for c in kept) or "—"

    header = [
        "faulty server (planted bug)",
        "expected check",
        "runcontract",
        "schemathesis (all checks)",
        "schemathesis --exclude-checks (faithful alarms)",
    ]
    rows = []
    found = {"rc": 0, "st_any": 0, "st_fair": 0}
    for r in faulty:
        expected = FAULTY[r["server"]][1]
        rc_hit = bool(r["rc"]["checks"]) and not rc_alarms
        st_any = bool(set(r["st"]["checks"]) - st_alarms)
        st_fair = bool(r.get("fair", {}).get("checks")) and not fair_alarms
        found["rc"] += rc_hit
        found["st_any"] += st_any
        found["st_fair"] += st_fair
        mark = {True: "**found**: ", False: "missed: "}
        rows.append(
            [
                f"`{r['server']}`",
                f"`{expected}`",
                mark[rc_hit] + cell(r["rc"]["checks"], set()),
                ("new check: " if st_any else "only faithful alarms: ") + cell(r["st"]["checks"], set()),
                mark[st_fair] + cell(r.get("fair", {}).get("checks", []), set()),
            ]
        )
    rows.append(
        [
            "**faithful reference server** (false alarms)",
            "none",
            cell(faithful["rc"]["checks"], set()),
            cell(faithful["st"]["checks"], set()),
            cell(faithful.get("fair", {}).get("checks", []), set()),
        ]
    )
    total = len(faulty)
    expected_hits = sum(FAULTY[r["server"]][1] in r["rc"]["checks"] for r in faulty)
    rc_req = sum(r["rc"]["requests"] for r in results) / len(results)
    st_req = sum(r["st"]["requests"] for r in results) / len(results)
    rc_wall = sum(r["rc"]["wall"] for r in results) / len(results)
    st_wall = sum(r["st"]["wall"] for r in results) / len(results)
    strict_st = sum(bool(r["st"]["checks"]) for r in faulty) if not st_alarms else 0
    fair_req = sum(r.get("fair", {}).get("requests", 0) for r in results) / len(results)
    fair_wall = sum(r.get("fair", {}).get("wall", 0.0) for r in results) / len(results)
    summary = [
        ["runcontract", f"{found['rc']}/{total}", len(rc_alarms), f"{rc_req:.0f}", f"{rc_wall:.1f}"],
        [
            "schemathesis --checks all (strict rule)",
            f"{strict_st}/{total}",
            len(st_alarms),
            f"{st_req:.0f}",
            f"{st_wall:.1f}",
        ],
        [
            "schemathesis --checks all, a check silent on the faithful server",
            f"{found['st_any']}/{total}",
            "(disregarded)",
            "",
            "",
        ],
        [
            f"schemathesis --exclude-checks {exclude}",
            f"{found['st_fair']}/{total}",
            len(fair_alarms),
            f"{fair_req:.0f}",
            f"{fair_wall:.1f}",
        ],
    ]
    s_header = ["tool / scoring", "bugs found", "false alarms (faithful)", "mean requests", "mean wall s"]
    print()
    print(machine())
    print(text_table(s_header, summary))
    print(f"runcontract's failures include the expected check on {expected_hits}/{total} servers")
    print(text_table(header, [[c.replace("**", "").replace("`", "") for c in row] for row in rows]))
    for r in results:
        for tool in ("rc", "st", "fair"):
            if tool in r and r[tool]["exit"] not in (0, 1):
                print(f"!! {r['server']} {tool} exit {r[tool]['exit']}: {r[tool]['stderr']}")

    if args.update_readme:
        md = [
            "### Bugs found",
            "",
            f"`python benchmarks/bugs.py --max-examples {args.max_examples} --seed {args.seed}`: {machine()}.",
            "",
            f"The {total} faulty servers of `tests/faulty_servers.py` (one planted bug each) and the faithful "
            "reference server, each its own loopback process serving the published document's contract; both "
            f"tools with `--max-examples {args.max_examples}`, the same seed and headers, all their checks "
            "(Schemathesis: `--checks all`, stopping at its first failure as by default; the fair variant adds "
            "`--exclude-checks` with every check that fired on the faithful server in a `--continue-on-failure` "
            "probe). A bug is found when the tool reports a "
            "failure on the faulty server and none on the faithful one.",
            "",
            md_table(s_header, summary),
            "",
            f"The script took {elapsed:.1f} min ({args.jobs} servers at a time; the fair variant spends "
            "Schemathesis's whole budget wherever it finds nothing). "
            f"runcontract's failures include the check the planted bug targets on {expected_hits}/{total} servers. "
            "Per server (the checks that fired):",
            "",
            md_table(header, rows, "lllll"),
        ]
        md += [
            "",
            "Why Schemathesis alarms on the faithful server (none is a break of our contract: `ignored_auth` "
            "meets a deliberate choice of the reference server, `unsupported_method` a genuine HTTP nit, the rest "
            "the document's gaps):",
            "",
        ]
        md += [f"- `{c}`: {WHY.get(c.split()[0], 'see its report')}" for c in sorted(st_alarms)]
        if not st_alarms:
            md.append("- none this run")
        update_readme("bugs", "\n".join(md))


if __name__ == "__main__":
    main()
