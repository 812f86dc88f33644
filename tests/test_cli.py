"""The ``runcontract`` command line, run as a subprocess: summaries, exit codes, one-line errors, replay."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from faulty_servers import FAULTY
from hostile_server import HostileServer
from runcontract.server import BackgroundServer

TESTS = Path(__file__).parent


def run_cli(*args: str, timeout: float = 90, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HYPOTHESIS", "PYTEST"))}
    base.update({"PYTHONPATH": str(TESTS), "NO_COLOR": "1", "COLUMNS": "200", "OPENAI_API_KEY": "sk-cli-test"})
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "runcontract.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=base,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("runcontract: error:"), lines[0]
    return lines[0]


def test_fuzz_with_no_target_fuzzes_the_embedded_server(tmp_path: Path) -> None:
    result = run_cli("fuzz", "--db", str(tmp_path / "db"), "--max-examples", "5", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "embedded reference server" in result.stdout
    for check in ("valid_accepted", "invalid_rejected", "no_server_error", "stream_protocol"):
        assert check in result.stdout
    assert "the contract holds" in result.stdout
    assert result.stderr == ""


def test_duration_runs_until_time_is_up(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = run_cli("fuzz", "--duration", "3s", "--db", "", "--report-json", str(report))
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    # about 3.0 s on an idle machine; the boundary plan and Hypothesis set-up are not interruptible
    assert 3.0 <= data["duration_s"] < 15, data["duration_s"]
    assert data["requests"] >= 50
    assert data["ok"] is True and data["interrupted"] is False


def test_faulty_server_exits_1_with_the_failure_and_a_curl_line(tmp_path: Path) -> None:
    factory, check = FAULTY["temperature_max_2_01"]
    with BackgroundServer(app=factory()) as server:
        result = run_cli("fuzz", "--base-url", server.base_url, "--db", str(tmp_path), "--max-examples", "5")
    assert result.returncode == 1, result.stderr
    assert f"FAIL {check} [temperature.maximum]" in result.stdout
    assert "reproduce: curl -sS -X POST " + server.base_url in result.stdout
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in result.stdout
    assert "disagreement(s)" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--max-examples", "-1"], "--max-examples"),
        (["--checks", "nope"], "unknown check 'nope'"),
        (["--duration", "soon"], "bad duration 'soon'"),
        (["--header", "bad"], "bad --header 'bad'"),
        (["--contract", "v3"], "--contract"),
        (["--spec", "/nonexistent.yaml"], "nonexistent.yaml"),
        (["--accept-status", "200"], "--accept-status"),
        (["--rate", "fast"], "--rate"),
        (["--rate", "-3"], "--rate"),
        (["--breaker", "x"], "--breaker"),
        (["--breaker-window", "never"], "--breaker-window"),
        (["--base-url", "ftp://example.com"], "http://"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_options_give_one_line_and_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    result = run_cli("fuzz", "--db", str(tmp_path), *args, timeout=30)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert words in one_line_error(result)


def test_refused_connection_exits_3_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    result = run_cli("fuzz", "--base-url", f"http://127.0.0.1:{port}", "--db", str(tmp_path), timeout=30)
    assert result.returncode == 3, result.stderr
    line = one_line_error(result)
    assert f"127.0.0.1:{port}" in line and "connection failed" in line


def test_garbage_answers_do_not_crash_the_cli(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with HostileServer("garbage") as server:
        result = run_cli(
            "fuzz", "--base-url", server.base_url, "--db", "", "--duration", "2s", "--report-json", str(report)
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(report.read_text())
    assert {f["check"] for f in data["failures"]} == {"no_server_error"}
    assert "protocol error" in data["failures"][0]["message"]
    assert data["aborted"] is None


def test_target_that_stops_answering_exits_3_and_keeps_the_failures(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with HostileServer(lambda n, request: "ok" if n < 3 else "reset") as server:
        result = run_cli(
            "fuzz", "--base-url", server.base_url, "--db", str(tmp_path / "db"), "--report-json", str(report),
            "--breaker", "5", "--breaker-window", "1s", "--checks", "no_server_error", "--duration", "60s",
        )  # fmt: skip
        sent = server.requests
    assert result.returncode == 3, result.stderr
    assert "target stopped answering" in one_line_error(result)
    data = json.loads(report.read_text())
    assert data["aborted"].startswith("target stopped answering")
    assert [f["check"] for f in data["failures"]] == ["no_server_error"]
    assert list((tmp_path / "db" / "failures" / "v2").glob("*.json"))
    assert sent < 30  # the breaker stopped the run: no hammering
    assert data["duration_s"] < 20


def test_replay_reports_which_saved_failures_still_fail(tmp_path: Path) -> None:
    db = tmp_path / "db"
    factory, check = FAULTY["temperature_max_2_01"]
    with BackgroundServer(app=factory()) as server:
        first = run_cli("fuzz", "--base-url", server.base_url, "--db", str(db), "--max-examples", "5")
        assert first.returncode == 1, first.stderr
        saved = sorted((db / "failures" / "v2").glob("*.json"))
        assert saved
        again = run_cli("replay", "--db", str(db), "--base-url", server.base_url, "--report-json", str(tmp_path / "r"))
    assert again.returncode == 1, again.stderr
    assert f"{len(saved)} of {len(saved)} saved failure(s) reproduce" in again.stdout
    assert "reproduces" in again.stdout
    data = json.loads((tmp_path / "r").read_text())
    assert {f["check"] for f in data["failures"]} == {check}
    assert {f["origin"] for f in data["failures"]} == {"replay"}

    # the embedded (faithful) server fixed them; FILES instead of --db; --prune deletes the fixed ones
    fixed = run_cli("replay", str(saved[0]), "--prune")
    assert fixed.returncode == 0, fixed.stderr
    assert "0 of 1 saved failure(s) reproduce" in fixed.stdout and "fixed" in fixed.stdout
    assert not saved[0].exists() and all(p.exists() for p in saved[1:])


def test_replay_without_saved_failures_and_with_a_missing_file(tmp_path: Path) -> None:
    empty = run_cli("replay", "--db", str(tmp_path / "nothing"), timeout=30)
    assert empty.returncode == 0, empty.stderr
    assert "no saved failures" in empty.stderr
    missing = run_cli("replay", str(tmp_path / "missing.json"), timeout=30)
    assert missing.returncode == 2
    assert "missing.json" in one_line_error(missing)


def test_help_documents_rate_breaker_and_exit_codes() -> None:
    result = run_cli("fuzz", "--help", timeout=30)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for words in ("--rate 0 (or --rate unlimited)", "10 per second", "--breaker", "exits 3", "130", "SIGTERM"):
        assert words in text, words
    assert "replay" in run_cli("--help", timeout=30).stdout


@pytest.mark.parametrize(("text", "rate"), [("0", 0.0), ("unlimited", 0.0), ("none", 0.0), ("2.5", 2.5), ("10", 10.0)])
def test_rate_option(text: str, rate: float) -> None:
    from runcontract.cli import _rate

    assert _rate(text) == rate


# ---------------------------------------------------------------- fuzz-client


FAITHFUL_CLIENT = """
import json, os, sys, urllib.parse, urllib.request
try:  # NaN and Infinity are not JSON: refuse them cleanly (exit 3) rather than send them
    payload = json.dumps(json.loads(sys.stdin.read()), allow_nan=False).encode()
except ValueError as exc:
    print(exc, file=sys.stderr)
    sys.exit(3)
thread = urllib.parse.quote(os.environ["RUNCONTRACT_THREAD_ID"], safe="")
url = os.environ["RUNCONTRACT_BASE_URL"] + "/threads/" + thread + "/runs"
request = urllib.request.Request(url, data=payload, method="POST", headers={
    "Content-Type": "application/json", "OpenAI-Beta": "assistants=v2",
    "Authorization": "Bearer " + os.environ["RUNCONTRACT_API_KEY"]})
urllib.request.urlopen(request).read()
"""


def test_fuzz_client_command_faithful_and_faulty(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(FAITHFUL_CLIENT)
    result = run_cli("fuzz-client", "--command", f"{sys.executable} {good}", "--max-examples", "5", timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "the contract holds" in result.stdout
    # the planted bug: the OpenAI-Beta header is left out
    bad = tmp_path / "bad.py"
    bad.write_text(FAITHFUL_CLIENT.replace('"OpenAI-Beta": "assistants=v2",', ""))
    report = tmp_path / "client.json"
    result = run_cli(
        "fuzz-client",
        "--command",
        f"{sys.executable} {bad}",
        "--max-examples",
        "5",
        "--report-json",
        str(report),
        timeout=300,
    )
    assert result.returncode == 1
    assert {f["check"] for f in json.loads(report.read_text())["failures"]} == {"wire_format"}


def test_fuzz_client_sdk(tmp_path: Path) -> None:
    result = run_cli("fuzz-client", "--sdk", "openai", "--in-process", "--max-examples", "10", timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_fuzz_client_with_a_program_that_does_not_exist() -> None:
    result = run_cli("fuzz-client", "--command", "/nonexistent/program")
    assert result.returncode == 2
    assert "is not an executable program" in one_line_error(result)


def test_serve_with_a_bad_port() -> None:
    result = run_cli("serve", "--port", "70000")
    assert result.returncode == 2
    assert "--port must be 0..65535" in one_line_error(result)


def test_catalogue_lists_every_constraint() -> None:
    result = run_cli("catalogue", "--json")
    assert result.returncode == 0
    records = json.loads(result.stdout)
    ids = [record["id"] for record in records if record.get("kind") != "request"]
    assert "temperature.maximum" in ids and "metadata.keys.maxLength" in ids
    assert len(ids) == len(set(ids)) == 120  # 118 schema limits, unicode, json-number
    from runcontract.contract import REQUEST_CONSTRAINTS

    requests = {record["id"]: record["source"] for record in records if record.get("kind") == "request"}
    assert requests == {cid: source for cid, _k, _w, source, _s in REQUEST_CONSTRAINTS}
    assert requests["body.bom"] == "ours" and requests["header.authorization"] == "spec"


def test_fuzz_options_reach_the_run(tmp_path: Path, spec_path: Path) -> None:
    """--spec, --checks, --thread-id, --header and the three reports, against a faulty server."""
    factory, check = FAULTY["temperature_max_2_01"]
    out = {name: tmp_path / name for name in ("r.json", "j.xml", "r.html")}
    with BackgroundServer(app=factory()) as server:
        result = run_cli(
            "fuzz",
            "--base-url",
            server.base_url,
            "--spec",
            str(spec_path),
            "--checks",
            f"{check},no_server_error",
            "--thread-id",
            "thread_fixed",
            "--header",
            "X-Team: contract",
            "--max-examples",
            "10",
            "--quiet",
            "--db",
            str(tmp_path / "db"),
            "--report-json",
            str(out["r.json"]),
            "--junit",
            str(out["j.xml"]),
            "--html",
            str(out["r.html"]),
            timeout=300,
        )
    assert result.returncode == 1, result.stderr[-2000:]
    report = json.loads(out["r.json"].read_text())
    assert report["checks"] == [check, "no_server_error"]
    assert {f["thread_id"] for f in report["failures"]} == {"thread_fixed"}
    assert all("X-Team: contract" in f["curl"] for f in report["failures"])
    assert report["contract"].startswith("v2 (") and str(spec_path) in report["contract"]
    assert "<testsuite" in out["j.xml"].read_text() and "temperature.maximum" in out["r.html"].read_text()


def test_fuzz_with_two_workers(tmp_path: Path) -> None:
    result = run_cli(
        "fuzz", "--workers", "2", "--max-examples", "10", "--quiet", "--db", str(tmp_path / "db"), timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "the contract holds" in result.stdout


def test_serve_answers_until_stopped() -> None:
    import signal
    import time
    import urllib.request

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runcontract.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/v1/threads/t/runs",
                    data=b'{"assistant_id": "a"}',
                    method="POST",
                    headers={
                        "Authorization": "Bearer k",
                        "OpenAI-Beta": "assistants=v2",
                        "Content-Type": "application/json",
                    },
                )
                with urllib.request.urlopen(request, timeout=5) as answer:
                    assert json.loads(answer.read())["object"] == "thread.run"
                break
            except OSError:
                assert time.monotonic() < deadline, "runcontract serve did not start"
                time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
