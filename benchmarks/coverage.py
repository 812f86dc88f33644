"""Boundary coverage from the wire: which catalogued constraints each tool tried on both sides of the limit.

    python benchmarks/coverage.py [--max-examples 1000] [--at 200,1000] [--seed 1] [--update-readme]

Each tool runs against its own recording reference server
(``benchmarks/_server.py --record``, serving the published document's
contract) with the same ``--max-examples``; every request body is appended to
a JSONL file. After the first N requests (any requests: N counts what the
server received) the recorded payloads are classified by
``benchmarks/_coverage.py``, the same code for both tools, against the
catalogue of ``runcontract.load_contract(DOC)``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SPEC,
    Server,
    machine,
    md_table,
    run_timed,
    runcontract_cmd,
    schemathesis_cmd,
    text_table,
    update_readme,
)
from _coverage import RULES, Coverage, classify, read_payloads


def record(tool: str, n: int, seed: int, spec: Path, out: Path) -> int:
    with Server(record=out, spec=spec) as server:
        make = runcontract_cmd if tool == "runcontract" else schemathesis_cmd
        wall, result = run_timed(make(server.base_url, max_examples=n, seed=seed), timeout=900)
        requests = int(server.stats()["requests"])
    print(f"{tool}: {requests} requests in {wall:.1f}s (exit {result.returncode})", flush=True)
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=1000)
    parser.add_argument("--at", default="200,1000", help="request counts to evaluate at (plus the whole run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--keep", type=Path, help="keep the JSONL recordings in this directory")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    if not args.spec.exists():
        raise SystemExit(f"{args.spec} not found: this benchmark needs the published document")

    from runcontract import load_contract

    contract = load_contract(args.spec)
    total = len(contract.catalogue)
    points = [int(x) for x in args.at.split(",") if x.strip()]
    results: dict[tuple[str, str], Coverage] = {}
    sent: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for tool in ("runcontract", "schemathesis"):
            path = folder / f"{tool}.jsonl"
            path.unlink(missing_ok=True)
            sent[tool] = record(tool, args.max_examples, args.seed, args.spec, path)
            for n in [*points, None]:
                label = f"first {n}" if n is not None else f"whole run ({sent[tool]})"
                results[(tool, label)] = classify(contract, read_payloads(path, n))

    header = ["tool", "requests", "JSON payloads", "valid", "at limit", "past limit", "both sides", "share"]
    rows = []
    for (tool, label), cov in results.items():
        rows.append(
            [
                tool,
                label,
                cov.payloads,
                cov.valid,
                len(cov.at),
                len(cov.past),
                len(cov.both),
                f"{len(cov.both) / total:.0%}",
            ]
        )
    print()
    print(f"{machine()}\ncontract: {contract.source}, {total} catalogued constraints")
    print(text_table(header, rows))

    whole = {tool: cov for (tool, label), cov in results.items() if label.startswith("whole")}
    rc, st = whole["runcontract"], whole["schemathesis"]
    st_missing = sorted(rc.both - st.both)
    rc_missing = sorted(st.both - rc.both)
    never = sorted(set(rc.ids) - rc.both)
    print(f"\nboth sides for runcontract but not schemathesis ({len(st_missing)}): {', '.join(st_missing)}")
    print(f"both sides for schemathesis but not runcontract ({len(rc_missing)}): {', '.join(rc_missing)}")
    print(f"runcontract never on both sides ({len(never)}): {', '.join(never)}")

    if args.update_readme:
        md = [
            "### Boundary coverage",
            "",
            f"`python benchmarks/coverage.py --max-examples {args.max_examples} --seed {args.seed}`: {machine()}.",
            "",
            f"Share of the {total} constraints catalogued from the published document that each tool tried on "
            "both sides of the limit, judged from the bodies the server received (both tools with "
            f"`--max-examples {args.max_examples}`; *requests* counts every request the server saw, of any kind):",
            "",
            md_table(header, rows, "llrrrrrr"),
            "",
            f"Tried on both sides by runcontract but not by Schemathesis ({len(st_missing)}): "
            + (", ".join(f"`{c}`" for c in st_missing) or "none")
            + f". By Schemathesis but not by runcontract ({len(rc_missing)}): "
            + (", ".join(f"`{c}`" for c in rc_missing) or "none")
            + f". Never on both sides for runcontract ({len(never)}): "
            + (", ".join(f"`{c}`" for c in never) or "none")
            + ".",
            "",
            "How a payload is classified (`benchmarks/_coverage.py`, the same code for both tools): only "
            "JSON bodies of POSTs to a runs path count. A payload is *past the limit* of X when "
            "`contract.validate(payload)` names X (a payload with several violations counts for each). It is "
            "*at the limit* of X when the contract accepts the whole payload and a value at X's pointer "
            "(`*`: any index or key) is on the limit as below. *Both sides*: at least one payload of each.",
            "",
            md_table(["keyword", "at the limit (valid side) means"], [list(r) for r in RULES], "ll"),
        ]
        update_readme("coverage", "\n".join(md))


if __name__ == "__main__":
    main()
