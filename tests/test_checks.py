"""Each endpoint check on hand-made exchanges: it fires on its fault and stays silent otherwise."""

from __future__ import annotations

import json

import pytest

from runcontract import Case, load_contract
from runcontract.checks import ENDPOINT_CHECKS, CheckContext
from runcontract.checks._endpoint import param_tokens
from runcontract.server import run_for
from support import make_exchange

CONTRACT = load_contract()
VALID = {"assistant_id": "asst_1", "temperature": 2, "metadata": {"k": "v"}, "max_prompt_tokens": 2**70}
INVALID = {"assistant_id": "asst_1", "temperature": 2.5}


def _run(payload=VALID, **over):
    """The reference server's Run for ``payload``, with ``over`` planted on top."""
    return {**run_for(payload, "thread_1", run_id="run_1", now=1_700_000_000), **over}


def _error(param="temperature", **over):
    error = {"type": "invalid_request_error", "message": "bad", "param": param, "code": None}
    error.update(over)
    return {"error": error}


def _fires(check, payload, exchange, expected="valid", constraint=None):
    case = Case(payload, "thread_1", expected, constraint)
    return ENDPOINT_CHECKS[check](CheckContext(CONTRACT, case, exchange))


GOOD_VALID = make_exchange(200, _run())
GOOD_INVALID = make_exchange(400, _error())

CASES = [
    # (check, payload, expected, constraint, faulty exchange)
    ("valid_accepted", VALID, "valid", None, make_exchange(400, _error())),
    ("invalid_rejected", INVALID, "invalid", "temperature.maximum", make_exchange(200, _run(INVALID))),
    ("invalid_rejected", INVALID, "invalid", "temperature.maximum", make_exchange(422, _error())),
    ("no_server_error", VALID, "valid", None, make_exchange(500, b"oops", content_type="text/plain")),
    ("no_server_error", VALID, "valid", None, make_exchange(0, b"", error="connection reset")),
    ("run_conforms", VALID, "valid", None, make_exchange(200, _run(status="sleeping"))),
    ("run_conforms", VALID, "valid", None, make_exchange(200, b"<html>", content_type="text/html")),
    ("run_reflects_request", VALID, "valid", None, make_exchange(200, _run(temperature=1.99))),
    ("run_reflects_request", VALID, "valid", None, make_exchange(200, _run(max_prompt_tokens=float(2**70)))),
    ("run_reflects_request", VALID, "valid", None, make_exchange(200, _run(thread_id="thread_2"))),
    ("error_conforms", INVALID, "invalid", "temperature.maximum", make_exchange(400, {"error": "bad"})),
    ("error_conforms", INVALID, "invalid", "temperature.maximum", make_exchange(400, {"error": {"message": "x"}})),
    ("error_names_param", INVALID, "invalid", "temperature.maximum", make_exchange(400, _error(param="top_p"))),
    ("error_names_param", INVALID, "invalid", "temperature.maximum", make_exchange(400, _error(param=None))),
    (
        "stream_protocol",
        {**VALID, "stream": True},
        "valid",
        None,
        make_exchange(200, b"", content_type="text/event-stream", events=[("thread.run.created", json.dumps(_run()))]),
    ),
    (
        "stream_protocol",
        {**VALID, "stream": True},
        "valid",
        None,
        make_exchange(
            200,
            b"",
            content_type="text/event-stream",
            events=[("thread.run.queued", json.dumps(_run())), ("done", "[DONE]")],
        ),
    ),
    ("stream_protocol", {**VALID, "stream": True}, "valid", None, make_exchange(200, _run())),
]


@pytest.mark.parametrize(("check", "payload", "expected", "constraint", "exchange"), CASES)
def test_check_fires_on_its_fault(check, payload, expected, constraint, exchange):
    assert _fires(check, payload, exchange, expected, constraint) is not None


@pytest.mark.parametrize("check", sorted(ENDPOINT_CHECKS))
def test_checks_silent_on_faithful_answers(check):
    assert _fires(check, VALID, GOOD_VALID) is None
    assert _fires(check, INVALID, GOOD_INVALID, "invalid", "temperature.maximum") is None
    stream = [("thread.run.created", json.dumps(_run())), ("thread.run.queued", json.dumps(_run())), ("done", "[DONE]")]
    assert (
        _fires(
            check, {**VALID, "stream": True}, make_exchange(200, b"", content_type="text/event-stream", events=stream)
        )
        is None
    )


def test_echo_tolerates_server_defaults_inside_objects():
    payload = {"assistant_id": "a", "tools": [{"type": "file_search"}]}
    run = _run(payload, tools=[{"type": "file_search", "file_search": {"max_num_results": 20}}])
    assert _fires("run_reflects_request", payload, make_exchange(200, run)) is None


def test_param_in_ancestor_form_is_accepted():
    payload = {
        "assistant_id": "a",
        "tools": [{"type": "code_interpreter"}, {"type": "function", "function": {"name": "a b"}}],
    }
    for param in ("tools", "tools[1]", "tools[1].function.name", "tools.1.function"):
        exchange = make_exchange(400, _error(param=param))
        assert _fires("error_names_param", payload, exchange, "invalid", "tools.items.function.name.pattern") is None
    exchange = make_exchange(400, _error(param="tools[0].function.name"))
    assert _fires("error_names_param", payload, exchange, "invalid", "tools.items.function.name.pattern") is not None


def test_param_tokens():
    assert param_tokens("tools[1].function.name") == ["tools", "1", "function", "name"]
    assert param_tokens("/metadata") == ["metadata"]
