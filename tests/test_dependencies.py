"""hypothesis-jsonschema is an optional fallback; the core works without it, on any Hypothesis."""

import pytest
from hypothesis import given, settings

from runcontract import UsageError, load_contract
from runcontract.strategies import _fallback as fb
from runcontract.strategies._build import Builder

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 3}}, "required": ["a"]}


@pytest.mark.skipif(not fb.fallback_available(), reason="hypothesis-jsonschema absent or broken on this Hypothesis")
def test_hypothesis_jsonschema_generates_objects():
    from hypothesis_jsonschema import from_schema

    @settings(max_examples=20)
    @given(from_schema(SCHEMA))
    def check(value):
        assert isinstance(value, dict)
        assert value["a"] >= 3

    check()


def test_the_contracts_need_no_fallback(monkeypatch, spec_path):
    monkeypatch.setattr(fb, "fallback_available", lambda: False)
    for contract in (load_contract(version="v1"), load_contract(), load_contract(spec_path)):
        builder = Builder(contract, {})  # a fresh builder: the cached strategies may predate the patch
        builder.valid(builder.root)  # builds every node: one needing the fallback raises
        for c in contract.catalogue:
            builder.violations(c)


def test_a_node_the_walker_does_not_know_names_its_keyword(monkeypatch):
    monkeypatch.setattr(fb, "fallback_available", lambda: False)
    builder = Builder(load_contract(), {})
    node = {"type": "object", "properties": {"n": {"allOf": [{"type": "integer"}]}}, "required": ["n"]}
    with pytest.raises(UsageError, match=r"at n uses allOf"):
        builder.valid(node, ("x",))


def test_an_unknown_keyword_without_the_fallback_is_a_one_line_error(monkeypatch):
    monkeypatch.setattr(fb, "fallback_available", lambda: False)
    with pytest.raises(UsageError, match=r"at x uses allOf.*runcontract\[jsonschema\]") as info:
        fb.fallback({"allOf": [{"type": "integer"}]}, ["allOf"], "x")
    assert "\n" not in str(info.value)


def test_the_broken_pair_is_not_used(monkeypatch):
    fb.fallback_available.cache_clear()
    versions = {"hypothesis-jsonschema": (0, 23, 1), "hypothesis": (6, 170, 15)}
    monkeypatch.setattr(fb, "_version", versions.get)
    try:
        assert fb.fallback_available() is False
    finally:
        fb.fallback_available.cache_clear()
