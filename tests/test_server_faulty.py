"""Every planted bug in tests/faulty_servers.py shows on a witness request, and only there."""

from __future__ import annotations

import math
from typing import Any

import pytest

from faulty_servers import BUGS, FAITHFUL, FAULTY
from runcontract import Case, load_contract
from runcontract.drivers import ASGITarget, Exchange
from runcontract.server import param_from_pointer
from support import make_case

V2 = load_contract()
VALID = {"assistant_id": "asst_1"}

WITNESSES: dict[str, tuple[dict[str, Any], str]] = {
    "temperature_max_2_01": ({**VALID, "temperature": math.nextafter(2, 3)}, "thread_1"),
    "temperature_exclusive_max": ({**VALID, "temperature": 2}, "thread_1"),
    "metadata_17_pairs": ({**VALID, "metadata": {f"k{i}": "v" for i in range(17)}}, "thread_1"),
    "metadata_key_63": ({**VALID, "metadata": {"k" * 64: "v"}}, "thread_1"),
    "tools_not_nullable": ({**VALID, "tools": None}, "thread_1"),
    "unknown_fields_allowed": ({**VALID, "unexpected_field": 1}, "thread_1"),
    "retrieval_in_v2": ({**VALID, "tools": [{"type": "retrieval"}]}, "thread_1"),
    "metadata_full_crash": ({**VALID, "metadata": {f"k{i}": "v" for i in range(16)}}, "thread_1"),
    "non_ascii_instructions_crash": ({**VALID, "instructions": "héllo"}, "thread_1"),
    "temperature_rounded": ({**VALID, "temperature": 1.23}, "thread_1"),
    "token_limits_through_float": ({**VALID, "max_prompt_tokens": 2**53 + 1}, "thread_1"),
    "metadata_dropped": ({**VALID, "metadata": {"k": "v"}}, "thread_1"),
    "run_without_status": (VALID, "thread_1"),
    "created_at_string": (VALID, "thread_1"),
    "error_without_param": ({**VALID, "temperature": 3}, "thread_1"),
    "param_leaf_only": ({**VALID, "tools": [{"type": "function", "function": {"name": "a b"}}]}, "thread_1"),
    "stream_without_done": ({**VALID, "stream": True}, "thread_1"),
    "stream_starts_queued": ({**VALID, "stream": True}, "thread_1"),
    "thread_id_decoded_path": (VALID, "a/b"),
    "thread_id_double_decoded": (VALID, "a%41"),
}


def _case(payload: dict[str, Any], thread_id: str) -> Case:
    return make_case(payload, contract=V2, thread_id=thread_id)


def _local(check: str, case: Case, ex: Exchange) -> bool:
    """A minimal oracle per check name: True when the answer passes."""
    body: Any = None
    if ex.status and ex.content_type == "application/json":
        body = ex.json()
    if check == "valid_accepted":
        return not case.valid or 200 <= ex.status < 300
    if check == "invalid_rejected":
        return case.valid or 400 <= ex.status < 500
    if check == "no_server_error":
        return ex.error is None and ex.status < 500
    if check == "run_conforms":
        return ex.status != 200 or body is None or V2.run_errors(body) == []
    if check == "run_reflects_request":
        if ex.status != 200 or body is None:
            return True
        given = {k: v for k, v in case.payload.items() if v is not None and k != "stream"}
        same = all(body.get(k) == v and type(body.get(k)) is type(v) for k, v in given.items())
        return same and body.get("thread_id") == case.thread_id
    if check == "error_conforms":
        return not 400 <= ex.status < 500 or V2.error_body_errors(body) == []
    if check == "error_names_param":
        if ex.status != 400:
            return True
        pointer = V2.validate(case.payload)[0].pointer
        return bool(body["error"].get("param") == param_from_pointer(pointer))
    if check == "path_routing":
        if ex.status in (301, 302, 303, 307, 308, 404, 405):
            return False
        return not (200 <= ex.status < 300 and body is not None and body.get("thread_id") != case.thread_id)
    if check == "stream_protocol":
        if not case.payload.get("stream"):
            return True
        events = ex.events or []
        return bool(events) and events[0][0] == "thread.run.created" and events[-1][1] == "[DONE]"
    raise AssertionError(check)


def _lead_check(check: str, case: Case, ex: Exchange) -> bool | None:
    """The project's own check, when it exists: True when the answer passes."""
    try:
        from runcontract.checks import ENDPOINT_CHECKS, CheckContext
    except ImportError:
        return None
    fn = ENDPOINT_CHECKS.get(check)
    return None if fn is None else fn(CheckContext(V2, case, ex)) is None


def test_catalogue_of_faulty_servers() -> None:
    assert len(FAULTY) >= 12
    assert set(WITNESSES) == set(FAULTY)
    for name, (_factory, check) in FAULTY.items():
        assert check in BUGS[name], f"{name}: the docstring must name {check}"


@pytest.mark.parametrize("name", sorted(FAULTY))
def test_planted_bug_shows_on_its_witness(name: str) -> None:
    factory, check = FAULTY[name]
    payload, thread_id = WITNESSES[name]
    case = _case(payload, thread_id)

    faithful = ASGITarget(FAITHFUL(V2), contract=V2).send(case)
    faulty = ASGITarget(factory(V2), contract=V2).send(case)

    for each in ("valid_accepted", "invalid_rejected", "no_server_error", "run_conforms", "run_reflects_request"):
        assert _local(each, case, faithful), (each, faithful.excerpt())
    for each in ("error_conforms", "error_names_param", "stream_protocol"):
        assert _local(each, case, faithful), (each, faithful.excerpt())
    assert not _local(check, case, faulty), (check, faulty.status, faulty.excerpt())

    lead_faithful, lead_faulty = _lead_check(check, case, faithful), _lead_check(check, case, faulty)
    if lead_faithful is not None:
        assert lead_faithful, f"{check} flags the reference server"
        assert not lead_faulty, f"{check} misses {name}"


@pytest.mark.parametrize("name", sorted(FAULTY))
def test_faulty_servers_are_otherwise_faithful(name: str) -> None:
    """A plain valid request and a plain invalid one get the right answers (except where the bug is)."""
    factory, check = FAULTY[name]
    target = ASGITarget(factory(V2), contract=V2)
    ok = target.send(Case({"assistant_id": "a", "top_p": 0.5}, thread_id="t"))
    if check not in ("run_conforms",):
        assert ok.status == 200 and V2.run_errors(ok.json()) == [], name
    bad = target.send(Case({"assistant_id": "a", "top_p": 1.5}, thread_id="t"))
    assert bad.status == 400, name
