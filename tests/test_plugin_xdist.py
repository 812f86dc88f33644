"""The pytest plugin under pytest-xdist: a consumer's module, run with ``-n 2`` in a pytester sandbox."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("xdist", reason="pytest-xdist is not installed")

pytest_plugins = ["pytester"]

CONSUMER = """
import warnings

import pytest
import runcontract

test_runs_endpoint = runcontract.endpoint_tests(max_examples=5)


def test_contract(runcontract_contract):
    assert runcontract_contract.version == "v2"
    assert "temperature.maximum" in runcontract_contract.catalogue


@pytest.mark.parametrize("temperature", [0, 1, 2])
def test_my_code_with_the_mock(runcontract_mock, temperature):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runcontract_mock.openai_client().beta.threads.runs.create(
            "thread_abc", assistant_id="asst_1", temperature=temperature
        )
    assert [c.ok for c in runcontract_mock.calls] == [True]


def test_the_mock_catches_a_violation(runcontract_mock):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            runcontract_mock.openai_client().beta.threads.runs.create("t", assistant_id="a", temperature=2.5)
        except Exception:
            pass
    assert [v.constraint for c in runcontract_mock.calls for v in c.violations] == ["temperature.maximum"]
    runcontract_mock.calls.clear()  # handled here: nothing left for teardown to fail on
"""


def test_consumer_module_passes_under_xdist(pytester, monkeypatch):
    from runcontract.server import BackgroundServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-xdist")
    pytester.makepyfile(test_consumer=CONSUMER)
    with BackgroundServer() as server:
        result = pytester.runpytest_subprocess(
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--runcontract-base-url",
            server.base_url,
            "--runcontract-max-examples",
            "5",
            timeout=120,
        )
    # 8 endpoint checks + contract + 3 mock + 1 violation test, all passing, on two workers.
    result.assert_outcomes(passed=14)
    out = result.stdout.str()
    assert re.search(r"created: 2/2 workers|2 workers \[13 items\]", out), out[-2000:]
    assert "sk-test-xdist" not in out
    # the controller prints the workers' runs together
    assert re.search(
        r"\d run\(s\), \d+ requests: \d+ constraints covered on both sides, 0 disagreement\(s\) found", out
    )
