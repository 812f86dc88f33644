"""Findings per server: the faithful ones (false alarms) and every faulty one of tests/ (one planted bug each).

    python benchmarks/verdicts.py [--max-examples 100] [--seed 1]

For each server: failures (instances), findings (root causes), the checks of
the findings, and the request at which the first finding was first seen;
then the median and maximum requests to first detection over the faulty ones.
Runs in-process (ASGI), the default checks and probes, no database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from faulty_servers import FAULTY
from runcontract.drivers import ASGITarget
from runcontract.runner import FuzzSettings, run_endpoint
from runcontract.server import build_app, create_app
from verdict_servers import V2, ZOO, habits_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = FuzzSettings(max_examples=args.max_examples, seed=args.seed, database=None)
    servers = {"faithful: reference": create_app(V2), "faithful: real habits": habits_app()}
    servers |= {f"faulty: {name}": factory(V2) for name, (factory, _check) in sorted(FAULTY.items())}
    servers |= {f"faulty: {name}": build_app(service(V2)) for name, (service, _check) in sorted(ZOO.items())}
    expected = {f"faulty: {n}": c for n, (_f, c) in FAULTY.items()} | {f"faulty: {n}": c for n, (_s, c) in ZOO.items()}
    print(f"{'server':<42} {'failures':>8} {'findings':>8} {'first':>6}  checks (expected check caught?)")
    firsts = []
    for name, app in servers.items():
        report = run_endpoint(ASGITarget(app, contract=V2), V2, settings)
        findings = report.findings()
        first = min((f.first_request for f in findings), default=0)
        want = expected.get(name)
        caught = "" if want is None else (" ok" if want in {f.check for f in findings} else f" MISSED {want}")
        checks = ",".join(sorted({f.check for f in findings})) or "-"
        print(f"{name:<42} {len(report.failures):>8} {len(findings):>8} {first or '-':>6}  {checks}{caught}")
        if want is not None and first:
            firsts.append(first)
    if firsts:
        print(
            f"\nrequests to first detection over {len(firsts)} faulty servers: "
            f"median {statistics.median(firsts):g}, max {max(firsts)}"
        )


if __name__ == "__main__":
    main()
