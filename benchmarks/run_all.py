"""Run the four side-by-side benchmarks, one after the other, and rewrite the README section.

    python benchmarks/run_all.py [--no-readme] [--only generation,throughput,coverage,bugs]

Each benchmark runs as its own process (``python benchmarks/<name>.py
--update-readme``), so servers and tools never overlap between benchmarks;
each rewrites only its own block between the README markers. Takes about
eight minutes on two cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("generation", "throughput", "coverage", "bugs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-readme", action="store_true", help="only print")
    parser.add_argument("--only", help="comma-separated subset")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    failed = []
    for name in names:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r} (known: {', '.join(BENCHMARKS)})")
        cmd = [sys.executable, str(HERE / f"{name}.py")] + ([] if args.no_readme else ["--update-readme"])
        print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd)
        print(f"=== {name}: exit {code} in {time.perf_counter() - start:.0f}s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
