"""``run_workers``: N spawned processes sharing one database, one merged Report."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from faulty_servers import FAULTY
from runcontract import TargetUnreachable, UsageError, load_contract
from runcontract.drivers import ASGITarget
from runcontract.report import Coverage, Report
from runcontract.runner import FuzzSettings
from runcontract.runner._database import DatabaseUnavailable, open_database
from runcontract.runner._workers import AppTargetFactory, HTTPTargetFactory, merge_reports, run_workers
from support import make_failure

pytest_plugins = ["redis_server"]

BUG = "temperature_max_2_01"
KEY = ("invalid_rejected", "temperature.maximum")


def faulty_app():
    """Module-level (picklable) app factory for worker processes."""
    return FAULTY[BUG][0]()


class CountingTarget:
    """Counts what one worker sent; writes ``<pid>.json`` into ``log_dir`` when the worker closes it."""

    def __init__(self, log_dir: str, delay: float = 0.0) -> None:
        self.target = ASGITarget(faulty_app())
        self.log_dir = log_dir
        self.delay = delay
        self.origins: dict[str, int] = {}

    def send(self, case):
        if self.delay:
            time.sleep(self.delay)
        self.origins[case.origin] = self.origins.get(case.origin, 0) + 1
        return self.target.send(case)

    def close(self) -> None:
        Path(self.log_dir, f"{os.getpid()}.json").write_text(json.dumps(self.origins))


class CountingFactory:
    def __init__(self, log_dir: str, delay: float = 0.0) -> None:
        self.log_dir = log_dir
        self.delay = delay
        self.name = "counting"

    def __call__(self, contract):
        return CountingTarget(self.log_dir, self.delay)


def _logs(log_dir: Path) -> list[dict[str, int]]:
    return [json.loads(p.read_text()) for p in sorted(log_dir.glob("*.json"))]


def test_two_workers_share_a_directory_database_and_merge_into_one_failure(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    settings = FuzzSettings(max_examples=20, seed=3, database=tmp_path / "db", shrink_requests=50)
    report = run_workers(CountingFactory(str(logs)), load_contract(), settings, workers=2)

    per_worker = _logs(logs)
    assert len(per_worker) == 2, "both workers ran"
    assert all(sum(origins.values()) > 0 for origins in per_worker)
    assert all(o.get("boundary", 0) > 0 for o in per_worker), "the boundary plan is dealt out between the workers"
    both = {cid for cid, cov in report.coverage.items() if cov.at and cov.past}
    assert both == set(load_contract().catalogue.ids), "together the workers cover every limit from both sides"
    assert report.requests == sum(sum(o.values()) for o in per_worker)
    assert [f.key for f in report.failures].count(KEY) == 1
    assert report.seed == 3 and report.target == "counting" and not report.interrupted
    assert list((tmp_path / "db" / "failures" / "v2").glob("*.json"))
    assert report.coverage["temperature.maximum"].past >= 1


def test_workers_with_an_app_factory_and_a_redis_database(redis_url):
    contract = load_contract()
    settings = FuzzSettings(max_examples=10, seed=5, database=redis_url, shrink_requests=50)
    report = run_workers(AppTargetFactory(faulty_app), contract, settings, workers=2)
    assert KEY in {f.key for f in report.failures}
    assert report.target == "ASGI app faulty_app"
    saved = open_database(redis_url, contract).failures.load()
    assert KEY in {f.key for f in saved}


def test_interrupt_reaches_workers_and_returns_the_partial_merged_report(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    fired = []

    def progress(partial: Report) -> None:
        # Ctrl-C in the parent once the workers are well under way.
        if partial.requests >= 10 and not fired:
            fired.append(partial.requests)
            raise KeyboardInterrupt

    settings = FuzzSettings(duration=60, seed=1, database=None, progress=progress)
    start = time.monotonic()
    report = run_workers(CountingFactory(str(logs), delay=0.01), load_contract(), settings, workers=2, grace=10)
    elapsed = time.monotonic() - start
    assert fired
    assert elapsed < 30
    assert report.interrupted
    assert report.requests >= fired[0]
    assert len(_logs(logs)) == 2, "each worker stopped cleanly and closed its target"


def test_a_worker_that_cannot_reach_its_target_is_a_one_line_error():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TargetUnreachable, match=re.escape(f"cannot reach http://127.0.0.1:{port}")):
        run_workers(
            HTTPTargetFactory(f"http://127.0.0.1:{port}"),
            load_contract(),
            FuzzSettings(max_examples=5, database=None),
            workers=2,
        )


def test_unusable_inputs_fail_before_any_worker_starts(tmp_path):
    contract = load_contract()
    with pytest.raises(DatabaseUnavailable, match=re.escape("redis://127.0.0.1:9/0")):
        run_workers(AppTargetFactory(faulty_app), contract, FuzzSettings(database="redis://127.0.0.1:9/0"))
    with pytest.raises(UsageError, match="picklable"):
        run_workers(lambda c: None, contract, FuzzSettings(database=None))
    with pytest.raises(UsageError, match="workers must be >= 1"):
        run_workers(AppTargetFactory(faulty_app), contract, FuzzSettings(database=None), workers=0)


def test_http_factory_splits_the_rate():
    factory = HTTPTargetFactory("http://127.0.0.1:1", rate=8.0)
    assert factory.share(4).rate == 2.0
    assert HTTPTargetFactory("http://127.0.0.1:1").share(4).rate is None


def test_merge_keeps_the_smallest_payload_per_key_and_sums():
    def failure(payload):
        return make_failure(payload, check=KEY[0], constraint=KEY[1])

    a = Report("t", "v2", requests=5, examples=5, failures=[failure({"assistant_id": "a", "temperature": 2.5})])
    a.coverage["temperature.maximum"] = Coverage(at=1, past=2, outcomes={"200": 3})
    b = Report("t", "v2", requests=7, examples=6, failures=[failure({"assistant_id": "a", "temperature": 3})])
    b.coverage["temperature.maximum"] = Coverage(at=0, past=1, outcomes={"200": 1, "400": 1})
    b.interrupted = True
    merged = merge_reports([a, b], target="t", contract="v2", seed=1, checks=["invalid_rejected"])
    assert (merged.requests, merged.examples) == (12, 11)
    assert [f.payload["temperature"] for f in merged.failures] == [3]
    cov = merged.coverage["temperature.maximum"]
    assert (cov.at, cov.past, cov.outcomes) == (1, 3, {"200": 4, "400": 1})
    assert merged.interrupted
