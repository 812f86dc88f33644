"""One engine for both sides: client runs get the runner's failure memory, duration, workers and replay."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

import faulty_clients as fc
from runcontract import load_contract
from runcontract._errors import UsageError
from runcontract.checks import CLIENT_CHECKS, DEFAULT_CHECKS
from runcontract.clients import check_client, httpx_client, probe_cases
from runcontract.runner import FailureStore, FuzzSettings

pytest_plugins = ["redis_server"]

CONTRACT = load_contract()
SRC = Path(__file__).resolve().parents[1] / "src" / "runcontract"


def _given_calls(tree: ast.AST) -> list[int]:
    """Lines that call Hypothesis's ``given`` (imported under any name, or as ``hypothesis.given``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "hypothesis":
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "given"}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in names:
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and func.attr == "given" and isinstance(func.value, ast.Name):
            if func.value.id == "hypothesis":
                lines.append(node.lineno)
    return lines


def test_only_the_runner_drives_hypothesis_given() -> None:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        lines = _given_calls(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[path.relative_to(SRC).as_posix()] = lines
    assert found, "the scan must see the runner's own call to given()"
    assert all(name.startswith("runner/") for name in found), found


def test_the_scan_sees_a_given_call_elsewhere() -> None:
    planted = "from hypothesis import given as g\n\ndef f(s):\n    return g(s)(lambda x: None)\n"
    assert _given_calls(ast.parse(planted)) == [4]
    # A local function that happens to be called ``given`` (as in server/) is not Hypothesis's.
    assert _given_calls(ast.parse("def given(a, b):\n    return a\n\ngiven(1, 2)\n")) == []


def test_settings_check_names_per_side() -> None:
    assert tuple(FuzzSettings().checks) == DEFAULT_CHECKS
    assert tuple(FuzzSettings(side="client").checks) == tuple(CLIENT_CHECKS)
    with pytest.raises(UsageError, match="unknown check 'valid_accepted'"):
        FuzzSettings(side="client", checks=["valid_accepted"])
    with pytest.raises(UsageError, match="unknown check 'wire_format'"):
        FuzzSettings(checks=["wire_format"])
    with pytest.raises(UsageError, match="side must be"):
        FuzzSettings(side="server")


def test_a_client_run_remembers_its_failures_and_replays_them_first(tmp_path: Path) -> None:
    db = tmp_path / "db"
    first = check_client(fc.no_beta_header, contract=CONTRACT, max_examples=0, database=str(db))
    assert {f.key for f in first.failures} == {("wire_format", "openai-beta")}
    saved = list((db / "failures" / "client-v2").glob("*.json"))
    assert saved and not (db / "failures" / "v2").exists()  # kept apart from endpoint failures
    assert FailureStore(db, CONTRACT).load() == []  # an endpoint run replays none of them
    payloads = [json.loads(p.read_text())["payload"] for p in saved]

    sent: list[object] = []

    def logging(base_url: str, thread_id: str, payload: object) -> None:
        sent.append(payload)
        fc.no_beta_header(base_url, thread_id, payload)

    again = check_client(logging, contract=CONTRACT, max_examples=0, boundary=False, database=str(db))
    dump = lambda values: sorted(json.dumps(v, sort_keys=True) for v in values)  # noqa: E731
    assert dump(sent) == dump(payloads)  # only the saved failures, nothing else without the plan
    assert {f.key for f in again.failures} == {("wire_format", "openai-beta")}
    assert {f.origin for f in again.failures} == {"replay"}
    # A faithful client replays the same failures and finds nothing.
    fixed = check_client(fc.faithful, contract=CONTRACT, max_examples=0, boundary=False, database=str(db))
    assert fixed.ok and fixed.examples == len(saved)


def test_redis_keeps_a_hash_per_side(redis_url: str) -> None:
    from runcontract.runner._database import open_database

    first = check_client(fc.no_beta_header, contract=CONTRACT, max_examples=0, boundary=False,
                         cases=probe_cases(CONTRACT)[:2], database=redis_url)  # fmt: skip
    assert first.failures
    client = open_database(redis_url, CONTRACT, side="client").failures
    assert client is not None and client.key.endswith(":failures:client-v2")  # type: ignore[attr-defined]
    assert len(client.load()) == 2
    assert open_database(redis_url, CONTRACT).failures.load() == []  # type: ignore[union-attr]


def test_check_client_duration_runs_until_time_is_up() -> None:
    send = httpx_client(fc.httpx_faithful)
    # 3 s: on a loaded CI worker building the strategies alone can take over a second.
    report = check_client(send, contract=CONTRACT, max_examples=0, boundary=False, duration=3.0, seed=0)
    assert report.ok and report.duration_s >= 3.0
    # max_examples=0 alone sends nothing: the examples are the duration's.
    assert report.examples > 0 and check_client(send, contract=CONTRACT, max_examples=0, boundary=False).examples == 0


# ----------------------------------------------------------------- the CLI


def _cli(*args: str, timeout: float = 300):
    from test_cli import run_cli

    return run_cli(*args, timeout=timeout)


def test_fuzz_client_duration_and_db(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = _cli(
        "fuzz-client", "--sdk", "openai", "--in-process", "--duration", "2s", "--db", str(tmp_path / "db"),
        "--seed", "1", "--report-json", str(out), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["duration_s"] >= 2 and data["seed"] == 1 and data["checks"] == list(CLIENT_CHECKS)


def test_fuzz_client_with_two_workers(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = _cli(
        "fuzz-client", "--sdk", "openai", "--in-process", "--workers", "2", "--max-examples", "10",
        "--db", str(tmp_path / "db"), "--seed", "3", "--report-json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads(out.read_text())
    single = check_client(httpx_client(fc.httpx_faithful), contract=CONTRACT, max_examples=0)
    # The SDK declares it does not validate, so the plan is dealt out; each worker adds its random share.
    assert data["ok"] and data["examples"] >= single.examples + 10
    assert data["target"].startswith("sdk:openai")


def test_replay_through_a_client(tmp_path: Path) -> None:
    db = tmp_path / "db"
    # openai always sends OpenAI-Beta: assistants=v2, so a v1 contract makes every request a failure.
    found = _cli("fuzz-client", "--sdk", "openai", "--in-process", "--contract", "v1", "--max-examples", "0",
                 "--db", str(db))  # fmt: skip
    assert found.returncode == 1, found.stderr[-2000:]
    saved = list((db / "failures" / "client-v1").glob("*.json"))
    assert saved
    again = _cli("replay", "--sdk", "openai", "--contract", "v1", "--db", str(db), "--report-json", str(tmp_path / "r"))
    assert again.returncode == 1, again.stderr[-2000:]
    assert f"{len(saved)} of {len(saved)} saved failure(s) reproduce" in again.stdout
    assert {f["check"] for f in json.loads((tmp_path / "r").read_text())["failures"]} == {"wire_format"}
    # Under v2 the same requests are right: the SDK "fixed" them.
    fixed = _cli("replay", "--sdk", "openai", *map(str, saved[:1]))
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert "0 of 1 saved failure(s) reproduce" in fixed.stdout and "fixed" in fixed.stdout
    # The endpoint side keeps its own failures: none were saved there.
    endpoint = _cli("replay", "--contract", "v1", "--db", str(db), timeout=60)
    assert endpoint.returncode == 0 and "no saved failures" in endpoint.stderr
    both = _cli("replay", "--sdk", "openai", "--base-url", "http://127.0.0.1:9", timeout=60)
    assert both.returncode == 2 and "not both" in both.stderr


def test_replay_command_needs_a_program() -> None:
    result = _cli("replay", "--command", "/nonexistent/program", timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not an executable program" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_fuzz_client_bad_database_is_a_usage_error(tmp_path: Path) -> None:
    a_file = tmp_path / "f"
    a_file.write_text("x")
    result = _cli("fuzz-client", "--sdk", "openai", "--in-process", "--db", str(a_file), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not a directory" in result.stderr
