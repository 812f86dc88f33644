"""How another repository uses runcontract: the plugin's fixtures, the mock, and the endpoint tests."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from run_launcher import start_run, start_run_httpx, start_tagged_run

import runcontract


def test_start_run_agrees_with_the_contract(runcontract_mock):
    run = start_run(runcontract_mock.openai_client(), "thread_1", "asst_1", creativity=1.0)
    assert run.temperature == 2
    assert run.metadata == {"source": "support-bot"}


@settings(max_examples=50)
@given(creativity=st.floats(min_value=0, max_value=1), notes=st.none() | st.text())
def test_every_creativity_level_is_a_valid_request(creativity, notes):
    # The mock works inside @given: no function-scoped fixture, a context manager per example.
    with runcontract.mock() as m:
        start_run(m.openai_client(), "thread_1", "asst_1", creativity=creativity, notes=notes)


def test_httpx_code_through_respx():
    with runcontract.mock() as m, m.respx():
        run = start_run_httpx(httpx.Client(), "thread/with/slashes", "asst_1")
    assert run["tools"] == [{"type": "code_interpreter"}]


def test_the_planted_bug_is_caught_by_the_mock():
    tags = {f"tag{i}": "yes" for i in range(17)}  # a busy ticket: 17 tags
    with pytest.raises(AssertionError, match=r"metadata\.maxProperties"):
        with runcontract.mock() as m:
            try:
                start_tagged_run(m.openai_client(), "thread_1", "asst_1", tags)
            except Exception:  # the bot swallows API errors; the mock still fails the test
                pass


@pytest.mark.runcontract(strict=False)
def test_the_mock_records_what_was_wrong(runcontract_mock):
    try:
        start_tagged_run(runcontract_mock.openai_client(), "thread_1", "asst_1", {"x" * 65: "v"})
    except Exception:
        pass
    (call,) = runcontract_mock.calls
    assert [v.constraint for v in call.violations] == ["metadata.keys.maxLength"]


def test_the_contract_fixture(runcontract_contract):
    assert runcontract_contract.version == "v2"
    assert runcontract_contract.is_valid({"assistant_id": "asst_1", "temperature": 2})


# The whole endpoint check as pytest tests, one per check; skipped unless
# --runcontract-base-url (or base_url in [tool.runcontract]) names a target.
test_runs_endpoint = runcontract.endpoint_tests(max_examples=20)
