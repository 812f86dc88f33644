"""Every catalogued constraint: a payload at its limit passes, one past it fails with exactly its id."""

from __future__ import annotations

import collections
import math

import pytest

from runcontract import load_contract
from runcontract.strategies import boundary_cases


def _sides(contract):
    sides = collections.defaultdict(lambda: {"at": [], "past": []})
    for case in boundary_cases(contract):
        sides[case.constraint][case.side].append(case.payload)
    return sides


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_every_bundled_constraint_at_and_past_its_limit(version):
    contract = load_contract(version=version)
    sides = _sides(contract)
    for constraint in contract.catalogue:
        at, past = sides[constraint.id]["at"], sides[constraint.id]["past"]
        assert at, f"no payload at the limit of {constraint.id}"
        assert past, f"no payload past the limit of {constraint.id}"
        for payload in at:
            assert contract.validate(payload) == [], (constraint.id, payload)
        for payload in past:
            assert [v.constraint for v in contract.validate(payload)] == [constraint.id], payload


def test_every_constraint_of_the_real_document(spec_path):
    contract = load_contract(spec_path)
    sides = _sides(contract)
    missing = [c.id for c in contract.catalogue if not (sides[c.id]["at"] and sides[c.id]["past"])]
    assert missing == []


def _ids(contract, payload):
    return [v.constraint for v in contract.validate(payload)]


A = {"assistant_id": "asst_1"}

# Hand-written: the limits DESIGN.md states, one step either side, independent of the builder.
LIMITS = [
    ({"temperature": 2}, {"temperature": math.nextafter(2, 3)}, "temperature.maximum"),
    ({"temperature": 0}, {"temperature": -0.0001}, "temperature.minimum"),
    ({"top_p": 1}, {"top_p": 1.01}, "top_p.maximum"),
    ({"max_prompt_tokens": 256}, {"max_prompt_tokens": 255}, "max_prompt_tokens.minimum"),
    ({"max_completion_tokens": 2**70}, {"max_completion_tokens": 255}, "max_completion_tokens.minimum"),
    (
        {"metadata": {f"k{i}": "v" for i in range(16)}},
        {"metadata": {f"k{i}": "v" for i in range(17)}},
        "metadata.maxProperties",
    ),
    ({"metadata": {"k" * 64: "v"}}, {"metadata": {"k" * 65: "v"}}, "metadata.keys.maxLength"),
    ({"metadata": {"k": "v" * 512}}, {"metadata": {"k": "v" * 513}}, "metadata.values.maxLength"),
    ({"tools": [{"type": "code_interpreter"}] * 20}, {"tools": [{"type": "code_interpreter"}] * 21}, "tools.maxItems"),
    (
        {"tools": [{"type": "function", "function": {"name": "f" * 64}}]},
        {"tools": [{"type": "function", "function": {"name": "f" * 65}}]},
        "tools.items.function.name.pattern",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": "a-b_C9"}}]},
        {"tools": [{"type": "function", "function": {"name": "a.b"}}]},
        "tools.items.function.name.pattern",
    ),
    ({"tools": [{"type": "file_search"}]}, {"tools": [{"type": "retrieval"}]}, "tools.items.type.enum"),
    (
        {"tools": [{"type": "file_search", "file_search": {"max_num_results": 50}}]},
        {"tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]},
        "tools.items.file_search.max_num_results.maximum",
    ),
    (
        {"truncation_strategy": {"type": "last_messages", "last_messages": 1}},
        {"truncation_strategy": {"type": "last_messages", "last_messages": 0}},
        "truncation_strategy.last_messages.minimum",
    ),
    ({"parallel_tool_calls": False}, {"parallel_tool_calls": None}, "parallel_tool_calls.type"),
    ({"reasoning_effort": "xhigh"}, {"reasoning_effort": "High"}, "reasoning_effort.enum"),
    ({"tool_choice": "required"}, {"tool_choice": "require"}, "tool_choice.enum"),
    ({"response_format": {"type": "json_object"}}, {"response_format": {"type": "json"}}, "response_format.type.enum"),
    ({"model": None}, {"model": 4}, "model.type"),
    ({}, {"unknown": 1}, "additionalProperties"),
    (
        {
            "additional_messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.io/a.png"}}]}
            ]
        },
        {"additional_messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "no uri"}}]}]},
        "additional_messages.items.content.items.image_url.url.format",
    ),
    (
        {"additional_messages": [{"role": "user", "content": "hi"}]},
        {"additional_messages": [{"role": "user", "content": []}]},
        "additional_messages.items.content.minItems",
    ),
    ({"instructions": "\U0001f600"}, {"instructions": "\ud800"}, "unicode"),
]


@pytest.mark.parametrize(("at", "past", "constraint"), LIMITS, ids=[c for _, _, c in LIMITS])
def test_hand_written_limits(at, past, constraint):
    contract = load_contract()
    assert _ids(contract, {**A, **at}) == []
    assert _ids(contract, {**A, **past}) == [constraint]


def test_missing_assistant_id():
    assert _ids(load_contract(), {}) == ["assistant_id.required"]


def test_v1_accepts_retrieval_and_v2_rejects_it():
    payload = {**A, "tools": [{"type": "retrieval"}]}
    assert _ids(load_contract(version="v1"), payload) == []
    assert _ids(load_contract(version="v2"), payload) == ["tools.items.type.enum"]


def test_several_violations_are_all_named():
    payload = {"temperature": 3, "metadata": {"k" * 65: "v"}, "extra": True}
    assert sorted(_ids(load_contract(), payload)) == [
        "additionalProperties",
        "assistant_id.required",
        "metadata.keys.maxLength",
        "temperature.maximum",
    ]


def test_violation_pointer_is_concrete():
    payload = {**A, "tools": [{"type": "code_interpreter"}, {"type": "function", "function": {"name": "a b"}}]}
    (violation,) = load_contract().validate(payload)
    assert violation.pointer == "/tools/1/function/name"


def test_catalogue_records():
    catalogue = load_contract().catalogue
    record = catalogue["metadata.maxProperties"]
    assert (record.pointer, record.keyword, record.limit, record.source) == ("/metadata", "maxProperties", 16, "prose")
    assert catalogue["temperature.maximum"].source == "spec"
    assert catalogue["tools.items.function.name.pattern"].pointer == "/tools/*/function/name"
    assert load_contract(version="v1").catalogue["metadata.maxProperties"].source == "prose"
    assert load_contract(version="v1").catalogue["tools.items.type.enum"].source == "ours"
    assert len({c.id for c in catalogue}) == len(catalogue)


def test_overlays_can_be_turned_off():
    contract = load_contract(overlays=())
    assert "metadata.maxProperties" not in contract.catalogue
    assert contract.validate({**A, "metadata": {"k" * 100: "v"}}) == []
