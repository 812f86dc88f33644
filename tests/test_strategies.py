"""Strategies: valid payloads validate, invalid ones break exactly their label, every limit is reached."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from runcontract import Case, UsageError, load_contract
from runcontract.strategies import (
    FieldRegistry,
    boundary_examples,
    boundary_plan,
    boundary_requests,
    invalid_requests,
    register_field,
    requests,
    thread_ids,
    valid_requests,
)
from runcontract.strategies._coverage import limits_reached
from runcontract.strategies._rules import LABELS
from runcontract.strategies._values import choice, lists, maps, picker
from support.strategies import assert_all_examples, draw_many, find_any, minimal

V2 = load_contract()
V1 = load_contract(version="v1")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def real(spec_path):
    return load_contract(spec_path)


def _ids(contract, payload) -> list[str]:
    return [v.constraint for v in contract.validate(payload)]


def assert_both_sides(contract, *, n: int = 800) -> None:
    """Every catalogued constraint: a valid example at its limit and an invalid one breaking it."""
    reached: set[str] = set()
    for payload in draw_many(valid_requests(contract), n):
        reached |= limits_reached(contract, payload)
    for cid in contract.catalogue.ids:
        if cid not in reached:
            find_any(valid_requests(contract), lambda p, cid=cid: cid in limits_reached(contract, p))
    for cid in contract.catalogue.ids:
        case = find_any(invalid_requests(contract, constraints=[cid]), max_examples=50)
        assert _ids(contract, case.payload) == [cid]


# -- valid payloads ---------------------------------------------------------------------------


@FAST
@given(valid_requests())
def test_valid_v2_examples_validate(payload):
    assert V2.validate(payload) == []
    json.dumps(payload)  # plain JSON: no NaN, no lone surrogates


@FAST
@given(valid_requests(V1))
def test_valid_v1_examples_validate(payload):
    assert V1.validate(payload) == []


def test_valid_examples_of_the_real_document_validate(real):
    assert_all_examples(valid_requests(real), lambda payload: real.validate(payload) == [], max_examples=60)


BREAKERS = {
    "null for a nullable field": lambda p: p.get("model", 0) is None,
    "empty tools": lambda p: p.get("tools") == [],
    "empty metadata": lambda p: p.get("metadata") == {},
    "exactly 16 metadata pairs": lambda p: len(p.get("metadata") or {}) == 16,
    "a 64-char metadata key": lambda p: any(len(k) == 64 for k in p.get("metadata") or {}),
    "a 512-char metadata value": lambda p: any(len(v) == 512 for v in (p.get("metadata") or {}).values()),
    "non-ASCII text": lambda p: any(ord(c) > 127 for c in p.get("instructions") or ""),
    "astral text": lambda p: any(ord(c) > 0xFFFF for c in json.dumps(p, ensure_ascii=False)),
    "quotes and backslashes": lambda p: any(c in (p.get("instructions") or "") for c in '"\\'),
    "control characters": lambda p: any(ord(c) < 32 for c in p.get("instructions") or ""),
    "U+2028": lambda p: "\u2028" in json.dumps(p, ensure_ascii=False),
    "max tokens above 2**53": lambda p: (p.get("max_completion_tokens") or 0) > 2**53,
    "temperature 0": lambda p: p.get("temperature", 1) == 0,
    "temperature 2": lambda p: p.get("temperature") == 2,
    "20 tools": lambda p: len(p.get("tools") or []) == 20,
    "a 1-char function name": lambda p: any(
        len(t.get("function", {}).get("name", "..")) == 1 for t in p.get("tools") or []
    ),
    "a 64-char function name": lambda p: any(
        len(t.get("function", {}).get("name", "")) == 64 for t in p.get("tools") or []
    ),
    "nested function parameters": lambda p: any(
        any(
            isinstance(s, dict) and s.get("type") in ("object", "array")
            for s in (t.get("function", {}).get("parameters") or {}).get("properties", {}).values()
        )
        for t in p.get("tools") or []
    ),
}


@pytest.mark.parametrize("name", list(BREAKERS))
def test_valid_payloads_include_what_breaks_real_code(name):
    payload = find_any(valid_requests(), BREAKERS[name])
    assert V2.is_valid(payload)


def test_valid_shrinks_to_the_smallest_payload():
    assert minimal(valid_requests()) == {"assistant_id": ""}
    payload = minimal(valid_requests(), lambda p: len(p.get("tools") or []) >= 20)
    assert set(payload) == {"assistant_id", "tools"}
    assert payload["tools"] == [{"type": "code_interpreter"}] * 20


# -- invalid payloads -------------------------------------------------------------------------


@FAST
@given(invalid_requests())
def test_invalid_examples_break_exactly_their_constraint(case):
    assert isinstance(case, Case)
    assert case.expected == "invalid" and not case.valid
    assert case.label in LABELS
    assert case.covers == (case.constraint,)
    assert _ids(V2, case.payload) == [case.constraint]


def test_invalid_examples_of_the_real_document(real):
    assert_all_examples(
        invalid_requests(real), lambda case: _ids(real, case.payload) == [case.constraint], max_examples=60
    )


@pytest.mark.parametrize(
    ("constraint", "condition"),
    [
        ("tools.items.type.enum", lambda c: any(t.get("type") == "retrieval" for t in c.payload["tools"])),
        ("reasoning_effort.enum", lambda c: c.payload["reasoning_effort"] in ("HIGH", " high", "high ", "h\u0456gh")),
        ("parallel_tool_calls.type", lambda c: c.label == "null-not-nullable"),
        ("assistant_id.required", lambda c: "assistant_id" not in c.payload),
        ("additionalProperties", lambda c: c.label == "unknown-property"),
        ("tools.maxItems", lambda c: len(c.payload["tools"]) >= 100),
        ("metadata.values.maxLength", lambda c: any(len(v) > 512 for v in c.payload["metadata"].values())),
        ("unicode", lambda c: c.label == "lone-surrogate"),
        ("temperature.maximum", lambda c: c.payload["temperature"] == math.nextafter(2, 3)),
        ("max_prompt_tokens.minimum", lambda c: c.payload["max_prompt_tokens"] == 255),
        ("model.type", lambda c: c.label == "wrong-type"),
    ],
)
def test_violation_classes(constraint, condition):
    case = find_any(invalid_requests(constraints=[constraint]), condition)
    assert _ids(V2, case.payload) == [constraint]


def test_retrieval_is_valid_under_v1():
    payload = find_any(valid_requests(V1), lambda p: any(t.get("type") == "retrieval" for t in p.get("tools") or []))
    assert V1.is_valid(payload)


def test_invalid_shrinks_to_one_overlong_key():
    # Narrowed to metadata's constraints: over all 119 the search for a long key depends on which
    # modules the worker imported (Hypothesis mixes constants from loaded source into generation).
    case = minimal(
        invalid_requests(constraints=["metadata.*"]),
        lambda c: (
            isinstance(c.payload, dict)
            and isinstance(c.payload.get("metadata"), dict)
            and any(len(k) > 64 for k in c.payload["metadata"])
        ),
    )
    (key,) = case.payload["metadata"]
    assert len(key) == 65
    assert set(case.payload) == {"assistant_id", "metadata"}
    assert case.constraint == "metadata.keys.maxLength" and case.label == "too-long"


# -- both sides of every constraint -----------------------------------------------------------


def test_every_v2_constraint_is_reached_from_both_sides():
    assert_both_sides(V2)


def test_every_v1_constraint_is_reached_from_both_sides():
    assert_both_sides(V1, n=200)


def test_every_constraint_of_the_real_document_is_reached_from_both_sides(real):
    assert_both_sides(real)


# -- the boundary plan ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v2", "v1", "real"])
def test_boundary_plan_covers_both_sides_in_at_most_200(name, request):
    contract = {"v2": V2, "v1": V1}.get(name) or request.getfixturevalue("real")
    plan = boundary_plan(contract)
    assert len(plan) <= 200
    at, past = set(), set()
    for case in plan:
        assert case.origin == "boundary"
        if case.valid:
            assert contract.validate(case.payload) == []
            at.update(case.covers)
        else:
            assert _ids(contract, case.payload) == [case.constraint]
            assert case.label in LABELS
            past.add(case.constraint)
    assert at == past == set(contract.catalogue.ids)


def test_boundary_plan_combines_valid_limits_into_few_payloads():
    plan = boundary_plan()
    valid = [c for c in plan if c.valid]
    assert len(plan) == 200 and len(V2.catalogue) == 120
    assert len(valid) <= 15
    assert plan[: len(valid)] == valid  # the valid ones go first
    first = valid[0].payload
    assert len(first["metadata"]) <= 16 and V2.is_valid(first)
    assert boundary_plan() == plan and boundary_plan() is not boundary_plan()  # cached, but a fresh list


def test_boundary_plan_respects_max_cases():
    assert len(boundary_plan(max_cases=150)) == 150
    with pytest.raises(UsageError, match="max_cases=20"):
        boundary_plan(max_cases=20)
    with pytest.raises(UsageError, match="max_cases"):
        boundary_plan(max_cases=0)


def test_boundary_requests_and_examples_run_the_plan_first():
    plan = boundary_plan(V1)
    seen: list[Case] = []

    @boundary_examples(V1, argname="case")
    @settings(max_examples=5, database=None, phases=[Phase.explicit, Phase.generate])
    @given(case=boundary_requests(V1))
    def check(case):
        seen.append(case)

    check()
    assert seen[: len(plan)] == plan
    assert all(c in plan for c in seen)


# -- the mix, thread ids, registries ----------------------------------------------------------


@FAST
@given(requests())
def test_requests_carry_their_verdict(case):
    assert case.thread_id
    if case.valid:
        assert case.constraint is None and V2.is_valid(case.payload)
    else:
        assert _ids(V2, case.payload) == [case.constraint]


@FAST
@given(thread_ids())
def test_thread_ids_are_valid(thread_id):
    assert thread_id and thread_id not in (".", "..")
    thread_id.encode("utf-8")
    assert not any(ord(c) < 32 for c in thread_id)


def test_thread_ids_need_percent_encoding_sometimes():
    for char in "/?#% ":
        find_any(thread_ids(), lambda t, char=char: char in t)
    find_any(thread_ids(), lambda t: any(ord(c) > 127 for c in t))
    plain = [t for t in draw_many(thread_ids(), 200) if t.startswith("thread_") and t[7:].isalnum()]
    assert len(plain) > 100


def test_field_overrides():
    assert_all_examples(
        valid_requests(assistant_id=st.just("asst_x"), model=st.just("gpt-4o")),
        lambda p: p["assistant_id"] == "asst_x" and p.get("model", "gpt-4o") == "gpt-4o",
        max_examples=40,
    )


def test_registry_context_and_explicit_registry():
    registry = FieldRegistry({"tools.items.function.name": st.just("lookup"), "thread_id": st.just("thread_x")})
    with registry.activate():
        names = valid_requests()
        cases = requests(invalid=False)
    payload = find_any(names, lambda p: any(t.get("type") == "function" for t in p.get("tools") or []))
    assert {t["function"]["name"] for t in payload["tools"] if t["type"] == "function"} == {"lookup"}
    assert {c.thread_id for c in draw_many(cases, 20)} == {"thread_x"}
    explicit = draw_many(invalid_requests(registry=registry, constraints=["temperature.*"]), 20)
    assert {c.thread_id for c in explicit} == {"thread_x"}


def test_register_field_in_a_registry_and_ignored_fields():
    registry = FieldRegistry()
    register_field("assistant_id", st.just("asst_1"), registry=registry)
    register_field("no.such.field", st.just(1), registry=registry)  # registries are shared: ignored
    assert {p["assistant_id"] for p in draw_many(valid_requests(registry=registry), 20)} == {"asst_1"}
    child = registry.child({"assistant_id": st.just("asst_2")})
    assert {p["assistant_id"] for p in draw_many(valid_requests(registry=child), 20)} == {"asst_2"}


def test_strategies_are_cached_per_contract():
    assert valid_requests() is valid_requests()
    assert valid_requests(V1) is not valid_requests()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: valid_requests("v2"), "contract must be"),
        (lambda: valid_requests(bogus=st.just(1)), "unknown field 'bogus'"),
        (lambda: valid_requests(assistant_id="asst_1"), "must be a Hypothesis strategy"),
        (lambda: valid_requests(registry={}), "registry must be"),
        (lambda: invalid_requests(constraints=["temperature.maximun"]), "unknown constraint 'temperature.maximun'"),
        (lambda: invalid_requests(constraints="temperature.maximum"), "list of catalogue ids"),
        (lambda: invalid_requests(constraints=[]), "constraints is empty"),
        (lambda: requests(valid=False, invalid=False), "would draw nothing"),
        (lambda: requests(valid=1), "valid must be True or False"),
        (lambda: register_field("model", "gpt-4o", registry=FieldRegistry()), "st.just"),
        (lambda: boundary_examples(argname="not an identifier"), "argname"),
    ],
)
def test_options_are_checked_eagerly(call, message):
    with pytest.raises(UsageError, match=message):
        call()


def test_the_strategy_helpers_fail_when_they_should():
    from hypothesis.errors import NoSuchExample

    with pytest.raises(AssertionError):
        assert_all_examples(st.integers(0, 10), lambda n: n < 5)
    with pytest.raises(NoSuchExample):
        find_any(st.integers(0, 10), lambda n: n > 10, max_examples=50)
    assert minimal(st.integers(), lambda n: n > 100) == 101


# -- the building blocks: choice, lists, maps and pickers -------------------------------------


def test_lists_keep_their_sizes():
    for elements in (st.integers(0, 9), choice([st.just("a"), st.text(max_size=2)]), st.sampled_from("xyz")):
        strategy = lists(elements, min_size=1, max_size=4)
        assert_all_examples(strategy, lambda xs: 1 <= len(xs) <= 4)
        assert len(find_any(strategy, lambda xs: len(xs) == 4)) == 4
        assert len(find_any(strategy, lambda xs: len(xs) == 1)) == 1
    assert_all_examples(lists(st.integers(), min_size=3, max_size=3), lambda xs: len(xs) == 3)


def test_lists_shrink_as_st_lists_do():
    assert minimal(lists(st.integers(0, 100), max_size=5)) == []
    assert minimal(lists(st.integers(0, 100), max_size=6), lambda xs: sum(x > 10 for x in xs) >= 2) == [11, 11]
    # Elements whose branch comes from the list's own bytes shrink to the first branch, and the
    # ones that do not matter go wherever they are in the list.
    mixed = lists(choice([st.just("a"), st.text("bc", min_size=1, max_size=3)]), max_size=5)
    assert minimal(mixed, lambda xs: len(xs) >= 2) == ["a", "a"]
    assert minimal(mixed, lambda xs: xs.count("cc") >= 1) == ["cc"]


def test_unique_lists_and_maps():
    keys = st.text("ab", max_size=2)
    assert_all_examples(lists(keys, max_size=5, unique_by=len), lambda xs: len({len(x) for x in xs}) == len(xs))
    assert len(find_any(lists(st.integers(0, 3), min_size=4, max_size=4, unique_by=int))) == 4
    assert_all_examples(maps(keys, st.integers(), min_size=1, max_size=3), lambda m: 1 <= len(m) <= 3)
    assert minimal(maps(keys, st.integers(0, 9), max_size=3), lambda m: len(m) >= 2) == {"": 0, "a": 0}


def test_pickers_take_only_small_finite_strategies():
    assert picker(choice([st.just(1), st.integers()]), bits=1) is not None
    assert picker(st.sampled_from(range(32)), bits=5) is not None
    assert picker(st.booleans(), bits=1) is not None
    for strategy in (st.integers(0, 3), st.sampled_from(range(33)), st.sampled_from("ab").filter(bool)):
        assert picker(strategy, bits=5) is None
    assert picker(choice([st.just(1), st.just(2), st.integers()]), bits=1) is None
    pick = picker(st.sampled_from("abc"), bits=2)
    assert pick is not None and [pick(None, bits) for bits in range(4)] == ["a", "b", "c", "a"]


@pytest.mark.parametrize(("low", "high"), [(-1, 3), (4, 3)])
def test_lists_check_their_sizes_eagerly(low, high):
    with pytest.raises(ValueError, match="min_size"):
        lists(st.integers(), min_size=low, max_size=high)


# -- the keyword-rule table -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cid", "at", "not_at"),
    [
        ("temperature.maximum", [2, 2.0], [1.9, True, "2"]),
        ("max_prompt_tokens.minimum", [256], [257]),
        ("metadata.maxProperties", [{f"k{i}": "" for i in range(16)}], [{"k": ""}, [0] * 16]),
        ("metadata.keys.maxLength", [{"k" * 64: ""}], [{"k" * 63: ""}]),
        ("metadata.values.maxLength", ["v" * 512], ["v" * 511, ["v"] * 512]),
        ("tools.maxItems", [[{}] * 20], [[{}] * 19]),
        ("tools.items.function.name.pattern", ["n" * 64], ["n" * 63, "a b" * 20]),
        ("reasoning_effort.enum", ["high"], ["HIGH"]),
        ("unicode", [{"x": "\U0001f600"}], [{"x": "é"}]),
    ],
)
def test_rule_table_knows_when_a_value_sits_on_its_limit(cid, at, not_at):
    from runcontract.strategies._rules import at_limit

    c = V2.catalogue[cid]
    assert all(at_limit(c, v) for v in at)
    assert not any(at_limit(c, v) for v in not_at)


@pytest.mark.parametrize(
    ("cid", "value", "label"),
    [
        ("model.type", None, "null-not-nullable"),
        ("model.type", 1, "wrong-type"),
        ("reasoning_effort.enum", "HIGH", "enum-near-miss"),
        ("reasoning_effort.enum", "bogus", "unknown-value"),
        ("tools.items.type.enum", "retrieval", "unknown-tag"),
        ("tools.items.type.required", "", "missing-required"),
        ("metadata.keys.maxLength", "", "too-long"),
        ("tools.maxItems", [], "too-many-items"),
        ("additional_messages.items.content.minItems", [], "too-few-items"),
        ("unicode", "", "lone-surrogate"),
    ],
)
def test_rule_table_labels(cid, value, label):
    from runcontract.strategies._rules import label_for

    assert label_for(V2.catalogue[cid], value) == label


@pytest.mark.parametrize("contract", [V2, V1], ids=["v2", "v1"])
def test_every_rule_labels_with_a_known_violation_class(contract):
    from runcontract.strategies._rules import label_for, near_misses

    for c in contract.catalogue:
        members = list(c.limit) if isinstance(c.limit, list) else []
        for value in (None, 1, 1.5, "x", [], {}, *near_misses(members)[:2]):
            assert label_for(c, value) in LABELS, (c.id, value)
