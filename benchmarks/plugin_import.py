"""What the runcontract pytest plugin adds to ``pytest --collect-only`` in a project that does not use it.

    python benchmarks/plugin_import.py [--runs 21]

Runs pytest in a throwaway project with the plugin loaded (the default, via
the pytest11 entry point) and with ``-p no:runcontract``, interleaved, and
prints the medians and their difference (target: under 20 ms). Also prints the
plugin module's own import time from ``python -X importtime``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as project:
        Path(project, "test_plain.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        base = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        with_plugin, without = [], []
        _time(base, project)  # warm the file cache
        for _ in range(args.runs):
            with_plugin.append(_time(base, project))
            without.append(_time([*base, "-p", "no:runcontract"], project))
        importtime = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import runcontract.plugin"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
    # Self time of runcontract's own modules: in a pytest process, pytest itself is imported anyway.
    own_us = sum(
        int(line.split("|")[0].split(":")[1])
        for line in importtime.splitlines()
        if line.split("|")[-1].strip().startswith("runcontract")
    )
    med_with, med_without = statistics.median(with_plugin), statistics.median(without)
    print(f"pytest --collect-only, median of {args.runs} runs each")
    print(f"  with runcontract plugin    {med_with * 1000:8.1f} ms")
    print(f"  with -p no:runcontract     {med_without * 1000:8.1f} ms")
    print(f"  added by the plugin        {(med_with - med_without) * 1000:8.1f} ms   (target < 20 ms)")
    print(f"  runcontract's own modules  {own_us / 1000:8.1f} ms self time (python -X importtime; pytest excluded)")


if __name__ == "__main__":
    main()
