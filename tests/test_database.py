"""The example database: a directory or a real Redis server shared by runs, processes and machines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis.database import DirectoryBasedExampleDatabase

from faulty_servers import FAULTY
from runcontract import load_contract
from runcontract._errors import EXIT_CONFIG, UsageError
from runcontract.drivers import ASGITarget
from runcontract.runner import FailureStore, FuzzSettings, run_endpoint
from runcontract.runner._database import (
    Database,
    DatabaseUnavailable,
    RedisFailureStore,
    database_from_url,
    open_database,
    redact_url,
)
from support import RecordingTarget, make_failure

pytest_plugins = ["redis_server"]

TESTS = Path(__file__).parent


def _failure(payload, **fields):
    return make_failure(payload, origin="boundary", **fields)


# ------------------------------------------------------------------ directory


def test_directory_spec_is_the_json_files_and_hypothesis_directory(tmp_path):
    contract = load_contract()
    examples, failures = database_from_url(str(tmp_path / "db"), contract)
    assert isinstance(examples, DirectoryBasedExampleDatabase)
    assert isinstance(failures, FailureStore)
    failures.save(_failure({"assistant_id": "a", "temperature": 3}))
    assert list((tmp_path / "db" / "failures" / "v2").glob("*.json"))
    assert [f.payload for f in failures.load()] == [{"assistant_id": "a", "temperature": 3}]


def test_no_database_and_bad_specs(tmp_path):
    contract = load_contract()
    assert tuple(open_database(None, contract)) == (None, None)
    assert tuple(open_database("", contract)) == (None, None)
    with pytest.raises(UsageError, match="unsupported database URL 'mysql://u:\\*\\*\\*@h/db'"):
        open_database("mysql://u:pw@h/db", contract)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        open_database(a_file, contract)
    opened = open_database(tmp_path, contract)
    assert open_database(opened, contract) is opened


def test_redact_url():
    assert redact_url("redis://:hunter2@10.0.0.1:6379/1") == "redis://:***@10.0.0.1:6379/1"
    assert redact_url("redis://user:hunter2@cache/0") == "redis://user:***@cache/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


# ---------------------------------------------------------------------- redis


def _unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_redis_is_one_line_config_error_naming_the_url():
    url = f"redis://:hunter2secret@127.0.0.1:{_unused_port()}/3"
    with pytest.raises(DatabaseUnavailable) as info:
        open_database(url, load_contract())
    message = str(info.value)
    assert "\n" not in message
    assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in message
    assert "hunter2secret" not in message
    assert info.value.exit_code == EXIT_CONFIG


def test_redis_store_round_trips_failures(redis_url):
    import redis

    contract = load_contract()
    db = open_database(redis_url, contract)
    assert isinstance(db, Database)
    assert isinstance(db.failures, RedisFailureStore)
    invalid = _failure({"assistant_id": "a", "temperature": 3})
    valid = _failure({"assistant_id": "a", "temperature": 2}, check="valid_accepted", constraint="temperature.maximum")
    db.failures.save(invalid)
    db.failures.save(invalid)  # the same failure twice is kept once
    db.failures.save(valid)
    db.close()

    # A fresh connection (another process, another machine) sees them.
    again = open_database(redis_url, contract)
    loaded = again.failures.load()
    assert sorted(f.to_dict()["payload"]["temperature"] for f in loaded) == [2, 3]
    assert {json.dumps(f.to_dict(), sort_keys=True) for f in loaded} == {
        json.dumps(f.to_dict(), sort_keys=True) for f in (invalid, valid)
    }
    cases = {c.payload["temperature"]: c for c in again.failures.replay_cases()}
    assert cases[3].expected == "invalid" and cases[3].constraint == "temperature.maximum"
    assert cases[2].expected == "valid" and cases[2].constraint == "temperature.maximum"
    assert all(c.origin == "replay" for c in cases.values())

    client = redis.Redis.from_url(redis_url)
    assert client.hlen("runcontract:failures:v2") == 2
    # Versions are kept apart.
    assert open_database(redis_url, load_contract(version="v1")).failures.load() == []
    again.failures.clear()
    assert client.hlen("runcontract:failures:v2") == 0
    client.close()


def test_redis_store_never_keeps_a_credential(redis_url, monkeypatch):
    import redis

    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-0123456789abcdef")
    store = open_database(redis_url, load_contract()).failures
    leaky = _failure(
        {"assistant_id": "a", "temperature": 3}, curl="curl -H 'Authorization: Bearer sk-live-0123456789abcdef'"
    )
    store.save(leaky)
    client = redis.Redis.from_url(redis_url)
    (document,) = client.hvals("runcontract:failures:v2")
    assert b"sk-live" not in document
    assert b"[REDACTED]" in document
    client.close()


def test_redis_example_database_is_hypothesis_s(redis_url):
    import redis
    from hypothesis.extra.redis import RedisExampleDatabase

    examples, _ = database_from_url(redis_url, load_contract())
    assert isinstance(examples, RedisExampleDatabase)
    examples.save(b"key", b"value")
    assert list(examples.fetch(b"key")) == [b"value"]
    client = redis.Redis.from_url(redis_url)
    assert client.exists(b"runcontract:key")
    client.close()


def test_run_endpoint_with_a_redis_database_replays_failures_first(redis_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    factory, check = FAULTY["temperature_max_2_01"]
    contract = load_contract()
    first = run_endpoint(ASGITarget(factory()), contract, FuzzSettings(max_examples=10, seed=1, database=redis_url))
    assert check in {f.check for f in first.failures}
    recording = RecordingTarget(factory())
    second = run_endpoint(
        recording, contract, FuzzSettings(max_examples=0, boundary=False, seed=99, database=redis_url)
    )
    saved = {json.dumps(f.payload, sort_keys=True) for f in open_database(redis_url, contract).failures.load()}
    assert recording.sent and all(c.origin == "replay" for c in recording.sent)
    assert json.dumps(recording.sent[0].payload, sort_keys=True) in saved
    assert {f.key for f in second.failures} >= {f.key for f in first.failures}
    assert {f.origin for f in second.failures} == {"replay"}
    # Nothing was written to a directory named after the URL.
    assert [p.name for p in tmp_path.iterdir() if p.name != ".hypothesis"] == []


def test_directory_databases_still_work(tmp_path):
    factory, _ = FAULTY["temperature_max_2_01"]
    report = run_endpoint(
        ASGITarget(factory()), load_contract(), FuzzSettings(max_examples=5, seed=1, database=tmp_path)
    )
    assert report.failures
    assert list((tmp_path / "failures" / "v2").glob("*.json"))


# ------------------------------------------- two processes, one Redis server

_PROCESS = textwrap.dedent(
    """
    import json, sys
    from faulty_servers import FAULTY
    from runcontract import load_contract
    from runcontract.runner import FuzzSettings, run_endpoint
    from support import RecordingTarget

    url, seed, max_examples, boundary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
    factory, _ = FAULTY["temperature_max_2_01"]
    target = RecordingTarget(factory())
    settings = FuzzSettings(max_examples=max_examples, seed=seed, boundary=boundary, database=url)
    report = run_endpoint(target, load_contract(), settings, target_name="staging")
    sent = [{"payload": case.payload, "origin": case.origin} for case in target.sent[:3]]
    out = {"failures": [f.to_dict() for f in report.failures], "sent": sent, "requests": report.requests}
    print(json.dumps(out))
    """
)


def _process(url: str, seed: int, max_examples: int, boundary: bool, cwd: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _PROCESS, url, str(seed), str(max_examples), "1" if boundary else "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_a_real_redis_database(redis_url, tmp_path):
    """A failure found by one process is replayed first by a later run of another."""
    a = _process(redis_url, seed=1, max_examples=10, boundary=True, cwd=tmp_path)
    found = [(f["check"], f["constraint"]) for f in a["failures"]]
    assert ("invalid_rejected", "temperature.maximum") in found
    assert {f["origin"] for f in a["failures"]} != {"replay"}  # A found it itself

    b = _process(redis_url, seed=424242, max_examples=0, boundary=False, cwd=tmp_path)
    # Nothing was kept on disk (Hypothesis's own .hypothesis/ cache aside): no directory named after the URL.
    assert [p.name for p in tmp_path.iterdir() if p.name != ".hypothesis"] == []
    first_key = (b["failures"][0]["check"], b["failures"][0]["constraint"])
    assert first_key in found
    assert b["failures"][0]["origin"] == "replay"
    # B's very first request is a payload A saved.
    saved = [f.payload for f in open_database(redis_url, load_contract()).failures.load()]
    assert b["sent"][0]["origin"] == "replay"
    assert b["sent"][0]["payload"] in saved
    assert 1 <= b["requests"] <= len(saved)  # max_examples=0, no boundary plan: only the replay


def test_cli_fuzz_and_replay_through_redis(redis_url, tmp_path, running_server):
    """`runcontract fuzz --db redis://...` keeps the failures; `runcontract replay --db redis://...` replays them."""
    factory, check = FAULTY["temperature_max_2_01"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-redis-cli"}

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "runcontract.cli", *args],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            cwd=tmp_path,
        )

    base_url = running_server(factory())
    first = cli("fuzz", "--base-url", base_url, "--db", redis_url, "--max-examples", "5", "--quiet")
    assert first.returncode == 1, first.stderr
    again = cli("replay", "--db", redis_url, "--base-url", base_url)
    assert again.returncode == 1, again.stderr
    assert "saved failure(s) reproduce" in again.stdout
    assert check in again.stdout
    import redis

    client = redis.Redis.from_url(redis_url)
    stored = [v.decode() for v in client.hvals("runcontract:failures:v2")]
    client.close()
    assert stored and not any("sk-redis-cli" in v for v in stored)
