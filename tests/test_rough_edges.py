"""Rough edges a new user hit: URL typos, Ctrl-C noise, marker keywords, Redis errors, curl quoting, params."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from faulty_servers import FAULTY
from runcontract import Case, load_contract
from runcontract._errors import EXIT_CONFIG, RuncontractWarning
from runcontract.checks import CheckContext
from runcontract.checks._endpoint import error_names_param
from runcontract.drivers import ASGITarget, Exchange
from runcontract.report import curl_line
from runcontract.runner import FuzzSettings, run_endpoint
from runcontract.server import create_app

pytest_plugins = ["pytester", "redis_server"]

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = load_contract()


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcontract.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


# ------------------------------------------------------------- base URL typos


@pytest.mark.parametrize("url", ["http://", "http://[::1", "http://host:99999", "ftp://host"])
@pytest.mark.parametrize("command", ["fuzz", "replay"])
def test_a_bad_base_url_is_one_line_and_exit_2(command, url, tmp_path):
    done = _cli(command, "--base-url", url, "--db", str(tmp_path))
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("runcontract: error:")]
    assert len(errors) == 1 and url in errors[0]


# ---------------------------------------------- Ctrl-C against the embedded server


def test_the_app_answers_quietly_to_a_client_that_left_mid_body():
    app = create_app()
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/threads/t/runs",
        "raw_path": b"/v1/threads/t/runs",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))  # ClientDisconnect inside would raise here
    assert sent[0]["status"] == 499


_INTERRUPT_IN_GC = """
import gc, signal, sys, time
from runcontract import cli
start, fired = time.monotonic(), []
def land_in_gc(phase, info):
    # Ctrl-C arriving while the collector runs a callback (Hypothesis registers one): the handler runs there.
    if phase == "start" and not fired and time.monotonic() - start > 1.5:
        fired.append(True)
        cli._on_signal(signal.SIGINT, None)
gc.callbacks.append(land_in_gc)
sys.exit(cli.main(["fuzz", "--duration", "60s", "--quiet", "--db", sys.argv[1]]))
"""


def test_ctrl_c_inside_a_gc_callback_stops_the_run_without_a_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_IN_GC, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert "interrupted" in proc.stdout + proc.stderr
    assert proc.returncode in (0, 1, 130), proc.stderr


def test_ctrl_c_during_fuzz_prints_nothing_from_the_embedded_server(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "runcontract.cli", "fuzz", "--duration", "60s", "--db", str(tmp_path), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_until_serving(proc.pid)
    time.sleep(2)  # well into the run: requests in flight
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 1, 130), err
    assert "Traceback" not in err + out
    assert "ClientDisconnect" not in err + out
    # Nothing but runcontract's own lines on stderr.
    assert all(line.startswith("runcontract:") for line in err.splitlines() if line.strip()), err


def _wait_until_serving(pid: int, timeout: float = 60.0) -> None:
    """Until the embedded server's thread runs (on a loaded machine the imports alone can take seconds)."""
    status = Path(f"/proc/{pid}/status")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not status.exists():
            pytest.skip("needs /proc to see the run start")
        threads = next((line for line in status.read_text().splitlines() if line.startswith("Threads:")), "")
        if int(threads.split()[1] or 1) >= 2:
            return
        time.sleep(0.1)
    raise AssertionError("the fuzz run did not start its embedded server")


# ------------------------------------------------------------- marker keywords

MARKER_TESTS = """
import pytest

@pytest.mark.runcontract(version="v1")
def test_mock_version(runcontract_mock):
    assert runcontract_mock.contract.version == "v1"

@pytest.mark.runcontract(strict=False, version="v2")
def test_mock_strict(runcontract_mock):
    assert runcontract_mock.strict is False

@pytest.mark.runcontract(version="v1", max_examples=3)
def test_endpoint_version(runcontract_endpoint):
    assert runcontract_endpoint.contract.version == "v1"
    assert runcontract_endpoint.overrides == {"max_examples": 3}
"""


def test_marker_version_is_honoured_by_both_fixtures(pytester):
    pytester.makepyfile(MARKER_TESTS)
    result = pytester.runpytest("--runcontract-base-url", "http://127.0.0.1:9", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_marker_spec_is_honoured(pytester):
    spec = ROOT.parent / "shared" / "specs" / "openai-openapi-2.3.0.yaml"
    if not spec.is_file():
        pytest.skip(f"{spec} is absent")
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.runcontract(spec={str(spec)!r})
        def test_spec(runcontract_mock):
            assert runcontract_mock.contract.source == {str(spec)!r}
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("fixture", "keyword", "takes"),
    [
        ("runcontract_endpoint", "strict", "max_examples"),  # strict is the mock's, not check_endpoint's
        ("runcontract_mock", "max_examples", "strict"),
        ("runcontract_mock", "bogus", "version"),
    ],
)
def test_an_unknown_marker_keyword_is_a_usage_error(pytester, fixture, keyword, takes):
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.runcontract({keyword}=1)
        def test_x({fixture}):
            pass
        """
    )
    result = pytester.runpytest("--runcontract-base-url", "http://127.0.0.1:9", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{fixture} does not take '{keyword}' (it takes: *{takes}*"])


# ------------------------------------------------------------------ Redis errors


def test_replay_with_a_redis_that_errors_is_one_line_and_exit_2(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.set("runcontract:failures:v2", "not a hash")  # every read of the failures is now a Redis error
    client.close()
    done = _cli("replay", "--db", redis_url)
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "no saved failures" not in done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.strip()]
    assert line.startswith("runcontract: error: cannot read the database")


def test_fuzz_goes_on_when_redis_stops_mid_run(redis_server_factory):
    server = redis_server_factory()
    factory, _ = FAULTY["metadata_key_63"]
    state = {"stopped_at": None}

    def progress(report) -> None:
        if state["stopped_at"] is None and report.requests >= 5:
            server.stop()
            state["stopped_at"] = report.requests

    settings = FuzzSettings(max_examples=30, seed=3, database=server.url, progress=progress)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = run_endpoint(ASGITarget(factory()), CONTRACT, settings)
    assert state["stopped_at"] is not None
    assert report.requests > state["stopped_at"] + 100  # the plan and the random phase went on
    assert ("valid_accepted", "metadata.keys.maxLength") in {f.key for f in report.failures}
    ours = [w for w in caught if issubclass(w.category, RuncontractWarning)]
    assert len({str(w.message).split(":", 1)[0] for w in ours}) == len(ours) >= 1  # each kind said once
    assert any("kept in the report only" in str(w.message) for w in ours)


@pytest.fixture
def redis_server_factory():
    from redis_server import RedisServer

    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed (.ci/services.sh installs it)")
    pytest.importorskip("redis")
    started: list[RedisServer] = []

    def start() -> RedisServer:
        started.append(RedisServer(executable).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


# ------------------------------------------------------------------ curl quoting


@pytest.mark.parametrize("name", ["authorization", "Authorization", "AUTHORIZATION"])
def test_curl_expands_the_key_whatever_the_header_spelling(name):
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    exchange = Exchange(
        method="POST",
        url="https://api.example.com/v1/threads/t/runs",
        request_headers={name: "Bearer sk-secret-123456", "Content-Type": "application/json"},
        request_body=b'{"assistant_id": "a"}',
    )
    line = curl_line(exchange)
    assert "sk-secret" not in line
    assert f'"{name}: Bearer $OPENAI_API_KEY"' in line
    # What the shell passes to curl: the key from the environment.
    done = subprocess.run(
        ["bash", "-c", "curl() { printf '%s\\n' \"$@\"; }; " + line],
        capture_output=True,
        text=True,
        env={"OPENAI_API_KEY": "sk-from-env", "PATH": os.environ["PATH"]},
        check=True,
    )
    assert f"{name}: Bearer sk-from-env" in done.stdout.splitlines()


# ------------------------------------------------------- bracket-quoted params


def _param_answer(param: str) -> CheckContext:
    payload = {"assistant_id": "a", "metadata": {"a b": "x" * 513}}
    (violation,) = CONTRACT.validate(payload)
    case = Case(payload, expected="invalid", constraint=violation.constraint)
    body = f'{{"error": {{"type": "invalid_request_error", "message": "m", "param": {param}, "code": null}}}}'
    exchange = Exchange("POST", "u", {}, b"", status=400, headers={"content-type": "application/json"})
    exchange.body = body.encode()
    return CheckContext(CONTRACT, case, exchange)


@pytest.mark.parametrize("param", ['"metadata[\\"a b\\"]"', "\"metadata['a b']\"", '"metadata"', '"/metadata/a b"'])
def test_error_names_param_accepts_bracket_quoted_keys(param):
    assert error_names_param(_param_answer(param)) is None


@pytest.mark.parametrize("param", ['"metadata[\\"a c\\"]"', '"tools"', '"instructions[\\"a b\\"]"'])
def test_error_names_param_still_catches_the_wrong_field(param):
    assert error_names_param(_param_answer(param)) is not None


# ------------------------------------------------------------------ stale docs


def test_ci_services_names_only_test_files_that_exist():
    text = (ROOT / ".ci" / "services.sh").read_text()
    named = re.findall(r"tests/[\w/]+\.py", text)
    assert named and all((ROOT / path).is_file() for path in named)


def test_readme_benchmarks_print_no_machine_path():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- benchmarks:start -->", 1)[1].split("<!-- benchmarks:end -->", 1)[0]
    assert str(ROOT.parent) + "/" not in block
    assert "/work/" not in block


def test_a_conftest_importing_runcontract_draws_nothing_at_import(pytester):
    # Hypothesis warns (HypothesisSideeffectWarning) about strategies evaluated while pytest
    # loads conftests; a host repository that runs with -W error must not fail on ours.
    pytester.makeconftest("import runcontract.runner, runcontract.strategies\nfrom runcontract import valid_requests\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-W", "error::hypothesis.errors.HypothesisSideeffectWarning", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
