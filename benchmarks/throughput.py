"""Requests per second: `runcontract fuzz` vs `schemathesis run` vs a plain httpx keep-alive loop.

    python benchmarks/throughput.py [--max-examples 1000] [--seed 1] [--no-profile] [--update-readme]

One reference server process (``benchmarks/_server.py``, serving the contract
of the published document) on 127.0.0.1; against it, one after the other:

1. a plain ``httpx.Client`` keep-alive loop posting one fixed valid payload
   (``--loop-seconds``): the upper limit for one Python client;
2. ``runcontract fuzz --spec DOC --base-url http://127.0.0.1:P/v1 --max-examples N``
   (the ~200-case boundary plan, then N random cases);
3. ``schemathesis run DOC --url http://127.0.0.1:P/v1 --include-operation-id createRun
   --max-examples N --checks all --continue-on-failure`` (its coverage and fuzzing phases).

Requests are counted by the server. Reported: requests / wall time of the
whole command, and requests / the time between the server seeing the first
and the last request (process start-up and teardown excluded). Then
``runcontract.cli.main`` runs in-process twice: once with timers around the
HTTP send, the checks and the strategy build (no profiler overhead), once
under pyinstrument to split the rest between runcontract's strategies and
Hypothesis's engine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    AUTH_HEADERS,
    SPEC,
    Server,
    machine,
    md_table,
    run_timed,
    runcontract_cmd,
    schemathesis_cmd,
    text_table,
    tool_env,
    update_readme,
)

FIXED = {"assistant_id": "asst_abc123", "temperature": 1.5, "metadata": {"team": "bench"}}


def plain_loop(server: Server, seconds: float) -> float:
    import httpx

    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    headers = {**AUTH_HEADERS, "Content-Type": "application/json"}
    body = json.dumps(FIXED).encode()
    url = server.origin + "/v1/threads/thread_abc123/runs"
    with httpx.Client(transport=transport) as client:
        for _ in range(50):  # warm-up
            client.post(url, content=body, headers=headers).raise_for_status()
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            client.post(url, content=body, headers=headers).raise_for_status()
            n += 1
        return n / (time.perf_counter() - start)


def run_tool(server: Server, cmd: list[str]) -> dict[str, Any]:
    server.reset()
    wall, result = run_timed(cmd, timeout=900)
    stats = server.stats()
    n = stats["requests"]
    return {
        "requests": n,
        "wall": wall,
        "rate_wall": n / wall,
        "active": stats["active_s"],
        "rate_active": (n - 1) / stats["active_s"] if stats["active_s"] > 0 else float("nan"),
        "exit": result.returncode,
        "stdout": result.stdout,
    }


# ------------------------------------------------------------- in-process


def _cli_args(server: Server, n: int, seed: int) -> list[str]:
    return runcontract_cmd(server.base_url, max_examples=n, seed=seed)[1:]


def timed_breakdown(server: Server, n: int, seed: int) -> dict[str, float]:
    """Run ``runcontract.cli.main`` in-process with wall-clock timers around its parts."""
    import runcontract.strategies as strategies_mod
    from runcontract import checks as checks_mod
    from runcontract.cli import main
    from runcontract.drivers import HTTPTarget

    spent: dict[str, float] = defaultdict(float)

    def timer(key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t

        return wrapped

    saved_send, saved_requests, saved_plan = HTTPTarget.send, strategies_mod.requests, strategies_mod.boundary_plan
    saved_checks = dict(checks_mod.ENDPOINT_CHECKS)
    HTTPTarget.send = timer("http", saved_send)  # type: ignore[method-assign]
    strategies_mod.requests = timer("strategy build", saved_requests)  # type: ignore[assignment]
    strategies_mod.boundary_plan = timer("boundary plan", saved_plan)  # type: ignore[assignment]
    for name, fn in saved_checks.items():
        checks_mod.ENDPOINT_CHECKS[name] = timer("checks", fn)
    server.reset()
    os.environ.update({"BENCH_OPENAI_KEY": tool_env()["BENCH_OPENAI_KEY"]})
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            main(_cli_args(server, n, seed))
        spent["total"] = time.perf_counter() - start
    finally:
        HTTPTarget.send = saved_send  # type: ignore[method-assign]
        strategies_mod.requests = saved_requests  # type: ignore[assignment]
        strategies_mod.boundary_plan = saved_plan  # type: ignore[assignment]
        checks_mod.ENDPOINT_CHECKS.update(saved_checks)
    spent["requests"] = server.stats()["requests"]
    return dict(spent)


def profiled_split(server: Server, n: int, seed: int, out: Path | None) -> dict[str, float]:
    """pyinstrument over ``cli.main``: seconds under runcontract's strategies, HTTP, checks, and the rest."""
    from pyinstrument import Profiler

    from runcontract.cli import main

    server.reset()
    profiler = Profiler(interval=0.001)
    with contextlib.redirect_stdout(io.StringIO()):
        profiler.start()
        main(_cli_args(server, n, seed))
        profiler.stop()
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    assert root is not None
    buckets: dict[str, float] = defaultdict(float)

    def kind(frame: Any) -> str | None:
        path, fn = (frame.file_path or "").replace("\\", "/"), frame.function or ""
        if "runcontract/strategies/" in path and fn not in ("requests", "invalid_requests", "valid_requests"):
            return "drawing (runcontract strategies)"
        if "runcontract/strategies/" in path:
            return "strategy build"
        if "runcontract/drivers/" in path and fn == "send":
            return "http"
        if "runcontract/checks/" in path:
            return "checks"
        if "runcontract/report/" in path or fn == "record":
            return "report"
        return None

    def walk(frame: Any, inside_random: bool) -> None:
        k = kind(frame)
        if k is not None:
            buckets[k] += frame.time
            return
        here = inside_random or frame.function == "run_random"
        children = frame.children
        if not children:
            buckets["hypothesis engine and other" if here else "start-up, boundary plan, other"] += frame.time
            return
        own = frame.time - sum(c.time for c in children)
        buckets["hypothesis engine and other" if here else "start-up, boundary plan, other"] += max(own, 0.0)
        for child in children:
            walk(child, here)

    walk(root, False)
    buckets["total"] = root.time
    if out is not None:
        out.write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
    return dict(buckets)


# ------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--loop-seconds", type=float, default=5.0)
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--no-profile", action="store_true", help="skip the in-process breakdown")
    parser.add_argument("--profile-out", type=Path, help="write pyinstrument's text profile here")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    if not args.spec.exists():
        raise SystemExit(f"{args.spec} not found: this benchmark needs the published document")
    n = args.max_examples

    with Server(spec=args.spec) as server:
        print(f"server {server.base_url}; plain loop for {args.loop_seconds}s ...", flush=True)
        loop = plain_loop(server, args.loop_seconds)
        print(f"runcontract fuzz, --max-examples {n} ...", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            rc_report = Path(tmp) / "rc.json"
            rc = run_tool(
                server, runcontract_cmd(server.base_url, max_examples=n, seed=args.seed, report_json=rc_report)
            )
            rc_json = json.loads(rc_report.read_text())
        print(f"schemathesis run, --max-examples {n} ...", flush=True)
        st = run_tool(server, schemathesis_cmd(server.base_url, max_examples=n, seed=args.seed))
        timed: dict[str, float] = {}
        split: dict[str, float] = {}
        if not args.no_profile:
            print("in-process breakdown (timers, then pyinstrument) ...", flush=True)
            timed = timed_breakdown(server, n, args.seed)
            split = profiled_split(server, n, args.seed, args.profile_out)

    rc["rate_loop"] = rc_json["requests"] / rc_json["duration_s"]  # the runner's own clock
    rows = [
        ["plain httpx keep-alive loop (1 fixed payload)", "-", "-", "-", f"{loop:.0f}", "100%"],
    ]
    for name, r in (("runcontract fuzz", rc), ("schemathesis run", st)):
        rows.append(
            [
                name,
                r["requests"],
                f"{r['wall']:.1f}",
                f"{r['rate_wall']:.0f}",
                f"{r['rate_active']:.0f}",
                f"{r['rate_active'] / loop:.0%}",
            ]
        )
    header = ["client", "requests", "wall s", "req/s (wall)", "req/s (first→last request)", "share of plain loop"]
    ratio_wall = rc["rate_wall"] / st["rate_wall"]
    ratio_active = rc["rate_active"] / st["rate_active"]
    print()
    print(machine())
    print(text_table(header, rows))
    print(f"runcontract / schemathesis: {ratio_wall:.2f}x (wall), {ratio_active:.2f}x (first→last request)")
    print(f"runcontract exit {rc['exit']} ({len(rc_json['failures'])} failures); schemathesis exit {st['exit']}")

    md = [
        "### Throughput",
        "",
        f"`python benchmarks/throughput.py --max-examples {n} --seed {args.seed}`: {machine()}.",
        "",
        md_table(header, rows),
        "",
        f"runcontract / Schemathesis: **{ratio_wall:.2f}x** requests per second over the whole command, "
        f"**{ratio_active:.2f}x** between the first and the last request (target: 3x). "
        f"Same `--max-examples {n}`: runcontract sends its boundary plan plus {n} random cases "
        f"({rc['requests']} requests, exit {rc['exit']}, {len(rc_json['failures'])} disagreements); "
        f"Schemathesis runs its coverage and fuzzing phases ({st['requests']} requests, exit {st['exit']}: "
        "its failures are the false alarms listed under *Bugs found*). The server serves the contract of "
        "the published document (`_server.py --spec`).",
    ]
    if timed:
        total = timed["total"]
        other = total - sum(timed.get(k, 0.0) for k in ("http", "checks", "strategy build", "boundary plan"))
        parts = [
            ["HTTP send + receive (`HTTPTarget.send`)", timed.get("http", 0.0)],
            ["checks (8 oracles)", timed.get("checks", 0.0)],
            ["strategy build (`requests()`)", timed.get("strategy build", 0.0)],
            ["boundary plan build", timed.get("boundary plan", 0.0)],
            ["generation + Hypothesis engine + rest", other],
        ]
        t_rows = [[k, f"{v:.2f}", f"{v / total:.0%}"] for k, v in parts]
        per = total / max(timed["requests"], 1) * 1000
        http_per = timed.get("http", 0.0) / max(timed["requests"], 1) * 1000
        print()
        print(f"in-process `runcontract fuzz`: {timed['requests']:.0f} requests in {total:.2f}s ({per:.2f} ms each)")
        print(text_table(["part", "seconds", "share"], t_rows))
        md += [
            "",
            f"Where runcontract's time goes (in-process `runcontract.cli.main`, wall-clock timers, "
            f"{timed['requests']:.0f} requests in {total:.2f} s = {per:.2f} ms per request, of which "
            f"{http_per:.2f} ms HTTP; the plain loop needs {1000 / loop:.2f} ms):",
            "",
            md_table(["part", "seconds", "share"], t_rows),
        ]
    if split:
        total = split.pop("total")
        s_rows = [[k, f"{v:.2f}", f"{v / total:.0%}"] for k, v in sorted(split.items(), key=lambda kv: -kv[1])]
        print()
        print("pyinstrument split (profiler overhead inflates Python-heavy parts):")
        print(text_table(["part", "seconds", "share"], s_rows))
        md += [
            "",
            "The same run under pyinstrument (1 ms sampling; the profiler slows Python code more than I/O), "
            "frames attributed to the first runcontract module on their stack:",
            "",
            md_table(["part", "seconds", "share"], s_rows),
        ]
    md += ["", *_verdict(rc, st, loop, timed)]
    if args.update_readme:
        update_readme("throughput", "\n".join(md))


def _verdict(rc: dict[str, Any], st: dict[str, Any], loop: float, timed: dict[str, float]) -> list[str]:
    """The targets (3x Schemathesis; half the plain loop), met or missed and by how much, and why."""
    ratio = rc["rate_wall"] / st["rate_wall"]
    share = rc["rate_active"] / loop
    lines = [
        "**Targets.** runcontract >= 3x Schemathesis's requests per second: "
        + ("met" if ratio >= 3 else f"missed, {ratio:.2f}x ({3 / ratio:.1f}x short)")
        + ". At least half the plain loop's rate: "
        + ("met" if share >= 0.5 else f"missed, {share:.0%} ({0.5 / share:.1f}x short)")
        + "."
    ]
    if timed:
        n = max(timed["requests"], 1)
        http = timed.get("http", 0.0) / n * 1000
        build = timed.get("strategy build", 0.0)
        checks = timed.get("checks", 0.0) / n * 1000
        http_gain = (timed.get("http", 0.0) - n / loop) / timed["total"]
        other = timed["total"] - sum(timed.get(k, 0.0) for k in ("http", "checks", "strategy build", "boundary plan"))
        lines += [
            "",
            f"**Why.** HTTP is not the bottleneck: {http:.2f} ms per request inside `HTTPTarget.send` against "
            f"{1000 / loop:.2f} ms for the plain loop: the server validates bigger, varied payloads (about 1.2 kB "
            "against 80 bytes) and the client streams the answer in chunks into an `Exchange`; even at the plain "
            f"loop's speed the rate would rise by at most {http_gain:.0%}. The checks are cheap ({checks:.2f} ms). "
            f"The time goes to (1) generating payloads under Hypothesis, {other / n * 1000:.2f} ms per request on "
            "average (the random phase only: the boundary plan is precomputed): mostly Hypothesis's engine, "
            "a fixed cost per test case and then about as much again per choice it records, replays and "
            "mutates (the choices per payload are under *Generation*); runcontract's own drawing code is a "
            "small share; and (2) building "
            f"the strategy, {build:.2f} s before the first random request (the per-constraint invalid strategies "
            "are built lazily, on their first draw, inside the generation time above). Closing the gap needs "
            "fewer choices per payload or generation outside Hypothesis's engine for the examples that pass, "
            "not faster HTTP. Schemathesis, for its part, spends most of its time in its own generation and "
            "checks; its coverage phase sends many small deterministic cases quickly, its fuzzing phase is slower. "
            "Timings vary by 1.5x between runs on this shared 2-core machine (other jobs were running); the "
            "ratios are more stable than the absolute figures.",
        ]
    return lines


if __name__ == "__main__":
    main()
