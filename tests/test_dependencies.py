"""The pinned Hypothesis works with hypothesis-jsonschema (0.23.1 breaks on >= 6.170.10)."""

from hypothesis import given, settings
from hypothesis_jsonschema import from_schema

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 3}}, "required": ["a"]}


@settings(max_examples=20)
@given(from_schema(SCHEMA))
def test_hypothesis_jsonschema_generates_objects(value):
    assert isinstance(value, dict)
    assert value["a"] >= 3
