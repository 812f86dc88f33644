"""Long runs against hostile or failing targets: the circuit breaker, hostile answers, interrupts, secrets.

Every server here is on 127.0.0.1; every run has a small budget and a short
per-request timeout, and every subprocess a timeout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from faulty_servers import FAULTY
from hostile_server import HostileServer
from runcontract import load_contract
from runcontract.drivers import Exchange, HTTPTarget
from runcontract.drivers._http import DEFAULT_REMOTE_RATE, default_rate, is_loopback
from runcontract.report import Failure, to_html, to_junit
from runcontract.runner import FuzzSettings, run_endpoint
from runcontract.runner._breaker import DEAD_TARGET, CircuitBreaker, TargetDead, unhealthy
from runcontract.runner._fuzz import replay_endpoint
from runcontract.server import BackgroundServer
from support import make_exchange, make_failure

CONTRACT = load_contract()
TESTS = Path(__file__).parent


def _fuzz(url: str, *, timeout: float = 0.3, max_retries: int = 0, **overrides: Any) -> Any:
    """run_endpoint over HTTP with a small budget: a few random cases, a few shrink requests."""
    options: dict[str, Any] = {
        "max_examples": 3,
        "boundary": False,
        "database": None,
        "seed": 1,
        "shrink_requests": 3,
    }
    options.update(overrides)
    with HTTPTarget(url, contract=CONTRACT, api_key="k", timeout=timeout, max_retries=max_retries) as target:
        return run_endpoint(target, CONTRACT, FuzzSettings(**options), target_name=url)


# ------------------------------------------------------------------ the breaker, alone


@pytest.mark.parametrize(
    ("status", "error", "counts"),
    [
        (200, None, False),
        (400, None, False),
        (404, None, False),
        (500, None, True),
        (503, None, True),
        (429, None, True),
        (0, "connection failed: [Errno 111] Connection refused", True),
        (0, "read error: [Errno 104] Connection reset by peer", True),
        (0, "read timed out: timed out", True),
        (0, "protocol error: Server disconnected without sending a response.", True),
        (0, "timed out after 5.0s (in-process app)", True),
        (0, "answer larger than 1048576 bytes (status 200); truncated", False),
        (0, "answer not complete after 30s (status 200); truncated", False),
        (0, "protocol error: illegal status line: bytearray(b'garbage')", False),
    ],
)
def test_what_counts_against_the_target(status: int, error: str | None, counts: bool) -> None:
    assert (unhealthy(make_exchange(status, error=error)) is not None) is counts


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_breaker_trips_on_consecutive_failures_only_and_resets_on_a_good_answer() -> None:
    breaker = CircuitBreaker(threshold=3)
    bad, good = make_exchange(500), make_exchange(400)
    assert [breaker.observe(e) for e in (bad, bad, good, bad, bad)] == [False] * 5
    assert breaker.observe(bad) is True  # the third in a row
    assert CircuitBreaker(threshold=0).observe(bad) is False  # disabled


def test_breaker_probes_with_exponential_backoff_then_declares_the_target_dead() -> None:
    clock = _Clock()
    breaker = CircuitBreaker(threshold=2, window=10.0, backoff=0.5, max_backoff=4.0, clock=clock, sleep=clock.sleep)
    breaker.observe(make_exchange(503))
    assert breaker.observe(make_exchange(503))
    probes: list[float] = []

    def probe() -> Exchange:
        probes.append(clock.now)
        return make_exchange(0, error="connection failed: refused")

    with pytest.raises(TargetDead) as info:
        breaker.recover(probe)
    assert clock.slept[:4] == [0.5, 1.0, 2.0, 4.0]  # doubling, then capped
    assert max(clock.slept) <= 4.0
    assert probes[0] == 0.0 and clock.now == pytest.approx(10.0)  # first probe at once, never past the window
    assert info.value.reason.startswith(DEAD_TARGET)
    assert "connection failed" in info.value.reason and "\n" not in info.value.reason


def test_breaker_recovers_on_a_healthy_probe_and_stops_at_the_run_deadline() -> None:
    clock = _Clock()
    breaker = CircuitBreaker(threshold=1, window=100.0, backoff=1.0, clock=clock, sleep=clock.sleep)
    answers = iter([make_exchange(502), make_exchange(502), make_exchange(200)])
    assert breaker.recover(lambda: next(answers)) is True
    assert breaker.consecutive == 0 and clock.slept == [1.0, 2.0]
    clock2 = _Clock()
    breaker2 = CircuitBreaker(threshold=1, window=100.0, backoff=1.0, clock=clock2, sleep=clock2.sleep)
    assert breaker2.recover(lambda: make_exchange(502), deadline=5.0) is False  # the run's time is up first
    assert clock2.now == pytest.approx(5.0)


# ------------------------------------------------------------------ the breaker in a run


def test_dead_target_stops_the_run_and_keeps_the_failures() -> None:
    with HostileServer("reset") as server:
        started = time.monotonic()
        report = _fuzz(
            server.base_url,
            max_examples=200,
            shrink_requests=None,
            breaker_threshold=5,
            breaker_window=1.0,
            breaker_backoff=0.1,
        )
        elapsed = time.monotonic() - started
    assert report.aborted is not None and report.aborted.startswith(DEAD_TARGET)
    assert "reset" in report.aborted
    assert not report.ok and not report.interrupted
    assert {f.check for f in report.failures} == {"no_server_error"}
    # 5 requests trip it, then a handful of probes over the 1 s window: no hammering.
    assert server.requests <= 5 + 8, server.requests
    assert 0.9 <= elapsed < 15, elapsed  # the 1 s window, plus start-up (slow on a loaded machine)
    json.loads(report.to_json())


def test_target_that_dies_mid_run() -> None:
    def behaviour(n: int, request: bytes) -> str:
        return "ok" if n < 4 else "unavailable"

    with HostileServer(behaviour) as server:
        report = _fuzz(
            server.base_url,
            max_examples=100,
            shrink_requests=None,
            breaker_threshold=4,
            breaker_window=0.5,
            breaker_backoff=0.05,
        )
    assert report.aborted is not None and report.aborted.startswith(DEAD_TARGET)
    assert "503" in report.aborted
    assert "no_server_error" in {f.check for f in report.failures}
    assert server.requests < 40


def test_a_server_that_fails_some_inputs_is_a_bug_not_an_outage() -> None:
    """500 for every payload carrying ``metadata``: bursts while Hypothesis shrinks, but probes answer."""

    def behaviour(n: int, request: bytes) -> str:
        return "error_500" if b'"metadata"' in request else "bad_request"

    with HostileServer(behaviour) as server:
        report = _fuzz(
            server.base_url,
            max_examples=30,
            shrink_requests=60,
            breaker_threshold=2,
            breaker_window=0.5,
            breaker_backoff=0.05,
        )
    assert report.aborted is None
    assert "no_server_error" in {f.check for f in report.failures}


def test_target_that_comes_back_within_the_window() -> None:
    served: list[str] = []
    outage: list[float] = []

    def behaviour(n: int, request: bytes) -> str:
        if n == 2:
            outage.append(time.monotonic())  # down from the third request, for 0.6 s
        down = bool(outage) and time.monotonic() - outage[0] < 0.6
        served.append("close" if down else "bad_request")
        return served[-1]

    with HostileServer(behaviour) as server:
        report = _fuzz(
            server.base_url,
            max_examples=20,
            shrink_requests=0,
            breaker_threshold=3,
            breaker_window=5.0,
            breaker_backoff=0.1,
        )
    assert report.aborted is None, report.aborted
    assert report.requests > report.examples  # probes were sent
    assert served.count("close") >= 3 and served[-1] == "bad_request"  # it tripped, and the run went on after
    assert report.examples > served.index("close") + 3


def test_retry_after_on_429_is_honoured_in_a_run() -> None:
    def behaviour(n: int, request: bytes) -> str:
        return "rate_limited" if n < 2 else "bad_request"

    with HostileServer(behaviour) as server:
        contract = CONTRACT
        with HTTPTarget(server.base_url, contract=contract, api_key="k", timeout=1, backoff_seconds=5) as target:
            started = time.monotonic()
            settings = FuzzSettings(checks=("invalid_rejected", "no_server_error"))
            report = replay_endpoint(target, contract, [_saved({"assistant_id": "a", "temperature": 9})], settings)[0]
            elapsed = time.monotonic() - started
        assert target.retries == 2
    # Retry-After: 0 was obeyed (the 5 s exponential backoff was not used)
    assert elapsed < 2
    assert report.failures == [] and report.aborted is None


def test_an_interrupt_python_swallowed_still_stops_the_run() -> None:
    """A KeyboardInterrupt raised inside a gc callback is lost; the CLI's handler also calls request_interrupt."""
    from runcontract.runner._fuzz import request_interrupt

    def progress(report: Any) -> None:
        if report.requests == 5:
            request_interrupt()  # what the signal handler does, without the (lost) exception

    with HostileServer("bad_request") as server:
        report = _fuzz(server.base_url, max_examples=1000, progress=progress, checks=("no_server_error",))
    assert report.interrupted and report.requests == 5
    with HostileServer("bad_request") as server:  # the next run starts afresh
        assert not _fuzz(server.base_url, max_examples=3, checks=("no_server_error",)).interrupted


# ------------------------------------------------------------------ rate defaults


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.3.4.5", True),
        ("http://[::1]:80/v1", True),
        ("http://localhost:9000", True),
        ("http://LOCALHOST.", True),
        ("http://[::ffff:127.0.0.1]:80", True),
        ("https://staging.example.com", False),
        ("http://10.0.0.5:8000", False),
        ("http://128.0.0.1", False),
        ("http://localhost.example.com", False),
    ],
)
def test_rate_cap_defaults_to_conservative_off_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback
    assert default_rate(url) == (None if loopback else DEFAULT_REMOTE_RATE)
    assert default_rate(url, 0) is None  # --rate 0 / unlimited
    assert default_rate(url, 3.5) == 3.5


# ------------------------------------------------------------------ hostile answers


@pytest.mark.parametrize(
    ("behaviour", "checks", "words"),
    [
        ("huge", {"no_server_error"}, "larger than"),
        ("invalid_json", {"run_conforms", "invalid_rejected"}, "not json"),
        ("drip", {"no_server_error"}, "not complete"),
        ("reset", {"no_server_error"}, "reset"),
        ("close", {"no_server_error"}, "disconnected"),
        ("wrong_content_type", {"run_conforms", "invalid_rejected", "run_reflects_request"}, "content type text/html"),
        ("garbage", {"no_server_error"}, "protocol error"),
        ("hang", {"no_server_error"}, "timed out"),
    ],
)
def test_hostile_answers_never_crash_the_runner(behaviour: str, checks: set[str], words: str) -> None:
    with HostileServer(behaviour) as server:
        started = time.monotonic()
        report = _fuzz(server.base_url, max_examples=4)
        elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed  # at most 8 requests of at most ~0.3 s each, plus start-up
    assert report.aborted is None and not report.interrupted
    found = {f.check for f in report.failures}
    assert found and found <= checks, found
    text = " ".join(f.message + " " + f.response_excerpt for f in report.failures).lower()
    assert words in text
    assert all(len(f.response_excerpt) <= 600 for f in report.failures)
    # every report format renders whatever came back
    json.loads(report.to_json())
    to_junit(report)
    to_html(report, CONTRACT)


# ------------------------------------------------------------------ replay


def _saved(payload: dict[str, Any], check: str = "invalid_rejected", constraint: str | None = None) -> Failure:
    return make_failure(payload, check=check, constraint=constraint, message="saved")


def test_replay_says_which_saved_failures_still_fail() -> None:
    factory, _ = FAULTY["temperature_max_2_01"]
    saved = [
        ("a.json", _saved({"assistant_id": "a", "temperature": 2.005}, constraint="temperature.maximum")),
        ("b.json", _saved({"assistant_id": "a", "top_p": 1.5}, constraint="top_p.maximum")),
        ("c.json", _saved({"assistant_id": "a", "temperature": 2.005}, "valid_accepted")),
    ]
    with BackgroundServer(app=factory()) as server, HTTPTarget(server.base_url, api_key="k") as target:
        report, outcomes = replay_endpoint(target, CONTRACT, saved)
    assert [o.status for o in outcomes] == ["reproduces", "fixed", "fails differently: invalid_rejected"]
    assert report.requests == 2  # the same request is sent once
    assert {f.key for f in report.failures} == {("invalid_rejected", "temperature.maximum")}


# ------------------------------------------------------------------ the CLI under signals


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "runcontract.cli", *args]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYPOTHESIS", "PYTEST"))}
    env.update({"PYTHONPATH": str(TESTS), "NO_COLOR": "1", "COLUMNS": "200", **extra})
    return env


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_writes_every_report_and_keeps_the_failures(tmp_path: Path, sig: signal.Signals) -> None:
    factory, check = FAULTY["metadata_full_crash"]
    db = tmp_path / "db"
    reports = {"--report-json": tmp_path / "r.json", "--junit": tmp_path / "r.xml", "--html": tmp_path / "r.html"}
    with BackgroundServer(app=factory()) as server:
        args = ["fuzz", "--base-url", server.base_url, "--duration", "60s", "--db", str(db), "--seed", "3"]
        for option, path in reports.items():
            args += [option, str(path)]
        proc = subprocess.Popen(
            _cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(OPENAI_API_KEY="sk-x")
        )
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and proc.poll() is None:
                if list((db / "failures").glob("*/*.json")):
                    break
                time.sleep(0.05)
            assert proc.poll() is None, proc.communicate()
            sent = time.monotonic()
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=10)
            latency = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert latency < 5, latency
    assert proc.returncode == 1, (proc.returncode, err.decode())  # failures were found: 1, not 130
    assert b"Traceback" not in err
    data = json.loads(reports["--report-json"].read_text())
    assert data["interrupted"] is True and data["ok"] is False
    assert check in {f["check"] for f in data["failures"]}
    assert "<testsuite" in reports["--junit"].read_text()
    assert "no_server_error" in reports["--html"].read_text()
    assert list((db / "failures" / "v2").glob("*.json"))
    assert b"interrupted" in out


def test_interrupt_before_anything_is_found_exits_130(tmp_path: Path) -> None:
    with HostileServer("bad_request") as server:
        proc = subprocess.Popen(
            _cli("fuzz", "--base-url", server.base_url, "--duration", "60s", "--db", "", "--checks",
                 "no_server_error", "--report-json", str(tmp_path / "r.json")),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while server.requests < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["interrupted"] is True and data["failures"] == [] and data["requests"] >= 10


# ------------------------------------------------------------------ secrets


def test_api_key_never_reaches_a_report_a_saved_file_or_the_output(tmp_path: Path) -> None:
    """The server echoes every request header (Authorization included) into half of its answers."""
    key = "sk-LEAKCHECK-7f3a9c2e1b"

    def behaviour(n: int, request: bytes) -> str:
        return "echo_headers" if n % 2 else "ok"

    db = tmp_path / "db"
    written = [tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.html"]
    with HostileServer(behaviour) as server:
        result = subprocess.run(
            _cli("fuzz", "--base-url", server.base_url, "--max-examples", "5", "--db", str(db),
                 "--checks", "no_server_error,run_conforms",
                 "--api-key-env", "RC_LEAK_KEY", "--header", f"X-Api-Key: {key}",
                 "--report-json", str(written[0]), "--junit", str(written[1]), "--html", str(written[2])),
            capture_output=True,
            timeout=60,
            env=_env(RC_LEAK_KEY=key),
        )  # fmt: skip
        echoed = b"".join(server.seen)
    assert key.encode() in echoed  # the key was sent, and the server echoed it back
    assert result.returncode == 1, result.stderr.decode()
    saved = list(db.rglob("*.json"))
    assert saved
    for path in [*written, *saved]:
        assert key not in path.read_text(encoding="utf-8", errors="replace"), path
    assert key.encode() not in result.stdout and key.encode() not in result.stderr
    assert "[REDACTED]" in written[0].read_text()
