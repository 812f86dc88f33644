"""hypothesis-jsonschema is an optional fallback: the pinned pair works, and without it runcontract says why."""

from __future__ import annotations

import sys

import hypothesis
import pytest
from hypothesis import given, settings

from runcontract import ContractError
from runcontract.strategies._build import _JSONSCHEMA_WORKS_BELOW, _fallback

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 3}}, "required": ["a"]}
UNKNOWN_NODE = {"type": "integer", "not": {"enum": [3]}}  # `not`: a keyword the walker does not know

pinned = pytest.mark.skipif(
    hypothesis.version.__version_info__ >= _JSONSCHEMA_WORKS_BELOW,
    reason="hypothesis-jsonschema 0.23.1 does not work with this Hypothesis (the newest-Hypothesis CI pass)",
)


@pinned
def test_hypothesis_jsonschema_generates_objects():
    from_schema = pytest.importorskip("hypothesis_jsonschema").from_schema

    @settings(max_examples=20)
    @given(from_schema(SCHEMA))
    def check(value):
        assert isinstance(value, dict)
        assert value["a"] >= 3

    check()


@pinned
def test_fallback_uses_hypothesis_jsonschema_where_it_works():
    pytest.importorskip("hypothesis_jsonschema")

    @settings(max_examples=20)
    @given(_fallback(UNKNOWN_NODE))
    def check(value):
        assert isinstance(value, int) and value != 3

    check()


def test_without_hypothesis_jsonschema_an_unknown_keyword_is_a_contract_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis_jsonschema", None)  # import fails as if not installed
    with pytest.raises(ContractError, match=r"uses not, .*runcontract\[jsonschema\].* is not installed"):
        _fallback(UNKNOWN_NODE)


def test_the_core_does_not_cap_hypothesis():
    import re
    from pathlib import Path

    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    (requirement,) = [d for d in project["dependencies"] if re.match(r"hypothesis\b(?!-)", d)]
    assert "<" not in requirement
    assert not any(d.startswith("hypothesis-jsonschema") for d in project["dependencies"])
