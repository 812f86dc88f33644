"""The ``runcontract`` command line: a thin front end over the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ._errors import EXIT_CONFIG, EXIT_OK, RuncontractError

__all__ = ["main"]


def _contract_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--contract", choices=("v1", "v2"), default="v2", help="contract version (default v2)")
    parser.add_argument("--spec", help="OpenAPI 3.0/3.1 document (path or URL) to take createRun's schemas from")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runcontract", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cat = sub.add_parser("catalogue", help="list the contract's constraints")
    _contract_args(cat)
    cat.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "catalogue":
            return _catalogue(args)
    except RuncontractError as exc:
        print(f"runcontract: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("runcontract: interrupted", file=sys.stderr)
        return 130
    return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
