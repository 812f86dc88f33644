"""Staging resources: an assistant and a thread that exist on the target, registered, then cleaned up."""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from runcontract import TargetUnreachable, UsageError, check_endpoint, load_contract
from runcontract._staging import StagingResources, register_values
from runcontract.drivers import ASGITarget
from runcontract.runner import FuzzSettings
from runcontract.runner._workers import run_workers
from runcontract.server import BackgroundServer, create_app
from runcontract.strategies import FieldRegistry, requests, thread_ids, valid_requests
from runcontract.strategies._registry import default_registry

ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-staging-test-0123456789")


def deletable_app(deleted: list[str]) -> Starlette:
    """The reference server plus the DELETE routes a real target has (recording what is deleted)."""

    async def delete(request):
        kind = request.url.path.split("/")[2]
        deleted.append(f"{kind}/{request.path_params['ident']}")
        return JSONResponse({"id": request.path_params["ident"], "deleted": True})

    return Starlette(
        routes=[
            Route("/v1/assistants/{ident}", delete, methods=["DELETE"]),
            Route("/v1/threads/{ident}", delete, methods=["DELETE"]),
            Mount("/", app=create_app()),
        ]
    )


def test_creates_registers_and_payloads_use_ids_that_exist():
    with BackgroundServer() as server, StagingResources(server.base_url) as staging:
        (assistant,) = staging.assistant_ids
        (thread,) = staging.thread_ids
        assert assistant.startswith("asst_") and thread.startswith("thread_")
        registry = staging.registry()
        seen = []

        @settings(max_examples=30, database=None)
        @given(valid_requests(registry=registry), thread_ids(registry=registry), requests(registry=registry))
        def draw(payload, tid, case):
            seen.append((payload["assistant_id"], tid, case.thread_id))

        draw()
        assert {a for a, _, _ in seen} == {assistant}
        assert {t for _, t, _ in seen} == {thread}
        assert {t for _, _, t in seen} == {thread}

        with registry.activate():
            report = check_endpoint(server.base_url, max_examples=20, seed=4)
        assert report.ok, report.to_json()
    # The reference server has no DELETE routes (it answers 404):
    # cleanup notes it and raises nothing.
    assert staging.cleanup_notes == [
        f"DELETE /v1/threads/{thread}: 404 (left in place)",
        f"DELETE /v1/assistants/{assistant}: 404 (left in place)",
    ]
    assert staging.values() == {}
    # Nothing leaked into the process-wide registry.
    assert "assistant_id" not in default_registry and "thread_id" not in default_registry


def test_cleanup_deletes_what_it_created_threads_first_and_keeps_given_ids():
    deleted: list[str] = []
    with BackgroundServer(app=deletable_app(deleted)) as server:
        with StagingResources(server.base_url, thread_ids=["thread_given"]) as staging:
            (assistant,) = staging.assistant_ids
            assert staging.values() == {"assistant_id": [assistant], "thread_id": ["thread_given"]}
            assert staging.environment() == {
                "RUNCONTRACT_ASSISTANT_IDS": assistant,
                "RUNCONTRACT_THREAD_IDS": "thread_given",
            }
        assert deleted == [f"assistants/{assistant}"]
        assert staging.cleanup_notes == []

        deleted.clear()
        with StagingResources(server.base_url) as staging:
            assistant, thread = staging.assistant_ids[0], staging.thread_ids[0]
        assert deleted == [f"threads/{thread}", f"assistants/{assistant}"]


def test_refused_credentials_and_unreachable_targets_are_one_line_errors():
    with BackgroundServer(app=create_app(api_keys={"sk-the-right-one"})) as server:
        with pytest.raises(UsageError, match="refused the credentials \\(401\\) creating assistants") as info:
            StagingResources(server.base_url).setup()
        assert "sk-staging-test" not in str(info.value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TargetUnreachable, match=re.escape(f"cannot reach http://127.0.0.1:{port}")):
        StagingResources(f"http://127.0.0.1:{port}").setup()
    with pytest.raises(UsageError, match="must start with http"):
        StagingResources("staging.example.com")


def test_register_values_into_a_registry():
    registry = FieldRegistry()
    register_values({"assistant_id": ["asst_1", "asst_2"], "thread_id": []}, registry=registry)
    assert "assistant_id" in registry
    assert "thread_id" not in registry


# --------------------------------------------------------- workers get the ids


class AssistantLog:
    """Target factory for workers: writes the assistant ids of random valid payloads to ``<dir>/<pid>.json``."""

    name = "assistant log"

    def __init__(self, log_dir: str) -> None:
        self.log_dir = log_dir

    def __call__(self, contract):
        return _AssistantLogTarget(self.log_dir)


class _AssistantLogTarget:
    def __init__(self, log_dir: str) -> None:
        self.target = ASGITarget(create_app())
        self.log_dir = log_dir
        self.ids: set[str] = set()

    def send(self, case):
        if case.origin == "random" and case.valid:
            self.ids.add(case.payload["assistant_id"])
        return self.target.send(case)

    def close(self) -> None:
        Path(self.log_dir, f"{os.getpid()}.json").write_text(json.dumps(sorted(self.ids)))


def test_workers_draw_the_staging_ids_through_setup(tmp_path):
    with BackgroundServer() as server, StagingResources(server.base_url) as staging:
        report = run_workers(
            AssistantLog(str(tmp_path)),
            load_contract(),
            FuzzSettings(max_examples=20, seed=2, boundary=False, database=None),
            workers=2,
            setup=functools.partial(register_values, staging.values()),
        )
        expected = set(staging.assistant_ids)
    assert report.ok, report.to_json()
    logs = [set(json.loads(p.read_text())) for p in tmp_path.glob("*.json")]
    assert len(logs) == 2
    assert set().union(*logs) == expected


def test_the_strategies_folder_module_creates_registers_exports_and_cleans_up():
    deleted: list[str] = []
    script = (
        "import runpy, os, json\n"
        "runpy.run_path('strategies/ids.py')\n"
        "runpy.run_path('strategies/staging.py')\n"
        "from runcontract.strategies import current_registry\n"
        "print(json.dumps({'fields': sorted(current_registry().as_dict()),"
        " 'assistants': os.environ['RUNCONTRACT_ASSISTANT_IDS'], 'threads': os.environ['RUNCONTRACT_THREAD_IDS']}))\n"
    )
    with BackgroundServer(app=deletable_app(deleted)) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCONTRACT_")}
        env["RUNCONTRACT_STAGING_URL"] = server.base_url
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert out["fields"] == ["assistant_id", "thread_id"]
        # atexit removed both, threads first
        assert deleted == [f"threads/{out['threads']}", f"assistants/{out['assistants']}"]
        # With ids already given (a worker process, or the job's own), nothing is created.
        deleted.clear()
        env.update(RUNCONTRACT_ASSISTANT_IDS="asst_given", RUNCONTRACT_THREAD_IDS="thread_given")
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout.strip().splitlines()[-1])["assistants"] == "asst_given"
        assert deleted == []
