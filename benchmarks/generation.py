"""Valid CreateRunRequest payloads per second: runcontract vs Schemathesis vs hypothesis-jsonschema.

    python benchmarks/generation.py [--seconds 4] [--spec ../shared/specs/openai-openapi-2.3.0.yaml] [--update-readme]
                                    [--only runcontract] [--before REV] [--json]

All three generators are measured the same way, on the same machine, in one
run, by CPU time: one ``@given`` test run per generator drawing examples with
``settings(max_examples=N, database=None, phases=[Phase.generate])``, stopped
once it has used ``--seconds`` of CPU (after a 10-example warm-up that builds
the strategy). ``--repeat`` rounds (default 3), each generator in turn, and the
median round reported: a shared machine's slow spells fall on all of them.
Reported per generator: payloads per second, the share the contract accepts,
mean JSON size, how many catalogued limits the sample reaches (the
boundary-heavy mix), and how many choices Hypothesis records per payload (in a
separate, untimed run of 300 examples: counting costs a span per draw). The
choices are what the rate mostly depends on: Hypothesis spends a fixed amount
per test case and then about as much again per choice, drawing, replaying and
mutating it.

``--before REV`` adds runcontract as it was at git revision REV, measured in
the same run (a temporary ``git worktree`` of REV, this script run on it in a
subprocess): before and after side by side on the same machine state.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from runcontract import load_contract
from runcontract.contract import Contract
from runcontract.strategies import valid_requests
from runcontract.strategies._coverage import limits_reached

SPEC = Path(__file__).resolve().parents[2] / "shared" / "specs" / "openai-openapi-2.3.0.yaml"


class _TimeUp(Exception):
    pass


def _run(strategy: st.SearchStrategy[Any], n: int, sink: Callable[[Any], None], budget: float) -> float:
    """Draw up to ``n`` examples in one ``@given`` run, stopping after ``budget`` CPU seconds."""
    start = time.process_time()  # CPU time: other work on a shared machine does not skew the ratios
    stopped: list[float] = []

    @settings(
        max_examples=n,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(strategy)
    def draw(value: Any) -> None:
        if stopped:
            raise _TimeUp
        sink(value)
        if time.process_time() - start > budget:
            stopped.append(time.process_time() - start)
            raise _TimeUp

    try:
        draw()
    except _TimeUp:
        pass
    return stopped[0] if stopped else time.process_time() - start


class _Counting(st.SearchStrategy[Any]):
    """``inner``, noting how many choices each draw of it took."""

    def __init__(self, inner: st.SearchStrategy[Any], counts: list[int]) -> None:
        super().__init__()
        self.inner, self.counts = inner, counts

    def do_draw(self, data: Any) -> Any:
        start = len(data.nodes)
        value = data.draw(self.inner)
        self.counts.append(len(data.nodes) - start)
        return value


def choices_per_payload(strategy: st.SearchStrategy[Any], n: int = 300) -> float:
    counts: list[int] = []
    _run(_Counting(strategy, counts), n, lambda _: None, 60.0)
    return sum(counts) / max(len(counts), 1)


def measure(strategy: st.SearchStrategy[Any], seconds: float, contract: Contract, *, choices: bool) -> dict[str, Any]:
    _run(strategy, 10, lambda _: None, seconds)  # warm-up: builds and caches the strategy
    sample: list[Any] = []
    elapsed = _run(strategy, 100_000, sample.append, seconds)
    sizes = [len(json.dumps(p, ensure_ascii=False).encode("utf-8", "surrogatepass")) for p in sample]
    reached: set[str] = set()
    for p in sample:
        reached |= limits_reached(contract, p)
    return {
        "n": len(sample),
        "rate": len(sample) / elapsed,
        "valid": sum(contract.is_valid(p) for p in sample) / max(len(sample), 1),
        "size": sum(sizes) / max(len(sizes), 1),
        "limits": len(reached),
        "catalogue": len(contract.catalogue),
        "choices": choices_per_payload(strategy) if choices else None,
    }


@contextlib.contextmanager
def worktree(rev: str | None) -> Iterator[Path | None]:
    """A temporary ``git worktree`` of ``rev`` (None: no tree), removed afterwards."""
    if rev is None:
        yield None
        return
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(tree), rev], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], check=False)


def measure_at(tree: Path, args: argparse.Namespace, *, choices: bool) -> dict[str, Any]:
    """runcontract's row as the code in ``tree`` draws it: one round of this script, in a subprocess, on it."""
    argv = [
        sys.executable,
        __file__,
        "--only",
        "runcontract",
        "--json",
        "--repeat",
        "1",
        "--seconds",
        str(args.seconds),
    ]
    child = subprocess.run(
        [*argv, "--spec", str(args.spec), *([] if choices else ["--no-choices"])],
        env={**os.environ, "PYTHONPATH": str(tree / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        raise SystemExit(f"--before {args.before}: the benchmark failed there: {child.stderr.strip()[-300:]}")
    row: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])["runcontract valid_requests()"]
    return row


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median rate, with the rates of all rounds and the choices of the first."""
    middle = sorted(rows, key=lambda r: r["rate"])[(len(rows) - 1) // 2]
    return {**middle, "rates": [r["rate"] for r in rows], "choices": rows[0]["choices"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="time per generator (default 4)")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the published OpenAPI document")
    parser.add_argument("--update-readme", action="store_true", help="rewrite this block of the README section")
    parser.add_argument("--only", metavar="NAME", help="run only the generators whose name starts with NAME")
    parser.add_argument("--before", metavar="REV", help="also measure runcontract at git revision REV")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, the generators taking turns (default 3)")
    parser.add_argument("--json", action="store_true", help="end with the results as one JSON line")
    parser.add_argument("--no-choices", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    have_spec = args.spec.exists()
    contract = load_contract(args.spec) if have_spec else load_contract()
    generators: list[tuple[str, Callable[[], st.SearchStrategy[Any]]]] = [
        ("runcontract valid_requests()", lambda: valid_requests(contract)),
    ]
    if have_spec:

        def schemathesis_bodies() -> st.SearchStrategy[Any]:
            import schemathesis

            schema = schemathesis.openapi.from_path(str(args.spec))
            operation = schema.find_operation_by_id("createRun")
            return operation.as_strategy().map(lambda case: case.body)

        generators.append(("schemathesis createRun as_strategy()", schemathesis_bodies))
    else:
        print(f"(no {args.spec}: Schemathesis skipped, bundled contract used)")

    def jsonschema_bodies() -> st.SearchStrategy[Any]:
        from hypothesis_jsonschema import from_schema

        # The canonical schema uses only keywords common to drafts 4/6/7 (and propertyNames, 6+).
        return from_schema({"$schema": "http://json-schema.org/draft-07/schema#", **contract.request_schema})

    generators.append(("hypothesis-jsonschema from_schema()", jsonschema_bodies))

    if args.only:
        generators = [(name, make) for name, make in generators if name.startswith(args.only)]
    print(f"contract: {contract.version} from {contract.source}, {len(contract.catalogue)} constraints")
    print(f"{'generator':<38} {'payloads/s':>10} {'n':>6} {'valid':>6} {'mean bytes':>10} {'limits':>7} {'choices':>7}")
    before = f"runcontract at {args.before}"
    rounds: dict[str, list[dict[str, Any]]] = {}
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    with worktree(args.before) as tree:
        # Rounds, each generator in turn, so that a slow spell of a shared machine falls on all of them.
        for r in range(args.repeat):
            choices = r == 0 and not args.no_choices
            for i, (name, make) in enumerate(generators):
                if name not in strategies:
                    strategies[name] = make()
                rounds.setdefault(name, []).append(measure(strategies[name], args.seconds, contract, choices=choices))
                if tree is not None and i == 0:
                    rounds.setdefault(before, []).append(measure_at(tree, args, choices=choices))
    results = {name: median_row(rows) for name, rows in rounds.items()}
    for name, row in results.items():
        choices_shown = "-" if row["choices"] is None else f"{row['choices']:.1f}"
        print(
            f"{name:<38} {row['rate']:>10.1f} {row['n']:>6} {row['valid']:>6.0%} {row['size']:>10.0f} "
            f"{row['limits']:>4}/{row['catalogue']} {choices_shown:>7}   rounds: "
            + ", ".join(f"{rate:.0f}" for rate in row["rates"])
        )
    if args.json:
        print(json.dumps(results))
    if "runcontract valid_requests()" not in results:
        return
    ours = results["runcontract valid_requests()"]["rate"]
    ratios = []
    for name, row in results.items():
        if not name.startswith("runcontract"):
            print(f"runcontract / {name.split()[0]}: {ours / row['rate']:.1f}x")
            ratios.append(f"{ours / row['rate']:.1f}x {name.split()[0]}'s")
    if before in results:
        rate = results[before]["rate"]
        print(f"runcontract / {before}: {ours / rate:.2f}x")
        ratios.append(f"{ours / rate:.2f}x its own at {args.before}")
    if args.update_readme:
        _readme(args, contract, results, ratios)


def _readme(
    args: argparse.Namespace, contract: Contract, results: dict[str, dict[str, Any]], ratios: list[str]
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine, md_table, update_readme

    total = len(contract.catalogue)
    rows = [
        [
            f"`{name}`",
            f"{r['rate']:.1f}",
            r["n"],
            f"{r['valid']:.0%}",
            f"{r['size']:.0f}",
            f"{r['limits']}/{r['catalogue']}",
            f"{r['choices']:.1f}",
            ", ".join(f"{rate:.0f}" for rate in r["rates"]),
        ]
        for name, r in results.items()
    ]
    md = [
        "### Generation",
        "",
        f"`python benchmarks/generation.py --seconds {args.seconds:g} --repeat {args.repeat}"
        + (f" --before {args.before}" if args.before else "")
        + f"`: {machine()}.",
        "",
        f"Payloads per CPU second, the median of {args.repeat} rounds in which the generators take turns (each "
        "a `@given` run: generate phase only, no database; the table shows the median round), "
        f"the share the contract ({_shown(contract.source)}) accepts, mean JSON size, how many of the catalogued "
        f"limits ({total}; an earlier revision may have had fewer) the sample reaches on the valid side, and the "
        "choices Hypothesis records per payload (a separate run of 300; the rate depends mostly on them):",
        "",
        md_table(["generator", "payloads/s", "n", "valid", "mean bytes", "limits reached", "choices", "rounds"], rows),
        "",
        f"runcontract draws {_joined(ratios)} payloads per second."
        + (
            f" `runcontract at {args.before}` is this benchmark run on the code of revision {args.before} "
            "(a temporary worktree), in turn with the others."
            if args.before
            else ""
        ),
    ]
    update_readme("generation", "\n".join(md))


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _shown(source: str) -> str:
    """A contract source as the README shows it: a file relative to the repository, not this machine's path."""
    path = Path(source)
    if not path.is_absolute():
        return source
    return os.path.relpath(path, Path(__file__).resolve().parents[1])


if __name__ == "__main__":
    main()
