"""The OpenAPI loader: the real document, crafted 3.0/3.1 documents, bad input."""

from __future__ import annotations

import json
import socket

import pytest
import yaml

from runcontract import ContractError, load_contract
from runcontract.contract import canonicalise


def _doc(openapi, schemas, request_ref="#/components/schemas/Req"):
    return {
        "openapi": openapi,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/threads/{thread_id}/runs": {
                "post": {
                    "operationId": "createRun",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": request_ref}}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": schemas},
    }


SHAPES = {
    "Req": {
        "type": "object",
        "additionalProperties": False,
        "required": ["assistant_id"],
        "properties": {
            "assistant_id": {"type": "string", "description": "an id", "example": "asst"},
            # shape 1: plain nullable
            "temperature": {"type": "number", "minimum": 0, "maximum": 2, "nullable": True},
            # shape 2: allOf [$ref, {nullable: true}]
            "truncation_strategy": {"allOf": [{"$ref": "#/components/schemas/Trunc"}, {"nullable": True}]},
            # shape 3: nullable as a sibling of $ref
            "response_format": {"$ref": "#/components/schemas/Fmt", "nullable": True},
            "kind": {"type": "string", "enum": ["auto"], "x-stainless-const": True},
        },
    },
    "Trunc": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["auto"]}}},
    "Fmt": {
        "oneOf": [{"type": "string", "enum": ["auto"]}, {"type": "object", "properties": {"x": {"type": "integer"}}}]
    },
}


@pytest.mark.parametrize("openapi", ["3.0.3", "3.1.0"])
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_crafted_document_each_nullable_shape(tmp_path, openapi, fmt):
    path = tmp_path / f"doc.{fmt}"
    doc = _doc(openapi, SHAPES)
    path.write_text(yaml.safe_dump(doc) if fmt == "yaml" else json.dumps(doc))
    contract = load_contract(path)
    a = {"assistant_id": "x"}
    for field in ("temperature", "truncation_strategy", "response_format"):
        assert contract.validate({**a, field: None}) == [], field
    assert [v.constraint for v in contract.validate({**a, "temperature": 2.5})] == ["temperature.maximum"]
    assert [v.constraint for v in contract.validate({**a, "truncation_strategy": {}})] == [
        "truncation_strategy.type.required"
    ]
    assert [v.constraint for v in contract.validate({**a, "response_format": 5})] == ["response_format.type"]
    assert [v.constraint for v in contract.validate({**a, "kind": "Auto"})] == ["kind.enum"]
    assert contract.catalogue["temperature.type"].limit == ["null", "number"]
    assert "example" not in json.dumps(contract.request_schema)


def test_openapi_31_type_list_nullable(tmp_path):
    schemas = {"Req": {"type": "object", "properties": {"model": {"type": ["string", "null"], "maxLength": 3}}}}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(_doc("3.1.0", schemas)))
    contract = load_contract(path)
    assert contract.validate({"model": None}) == []
    assert [v.constraint for v in contract.validate({"model": "abcd"})] == ["model.maxLength"]


def test_canonical_forms():
    assert canonicalise({"type": "string", "nullable": True}) == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert canonicalise({"const": 1}) == {"enum": [1]}
    # model: anyOf [string, enum of strings] is a string
    assert canonicalise({"anyOf": [{"type": "string"}, {"type": "string", "enum": ["a"]}]}) == {"type": "string"}
    # keywords that cannot apply to the node's type are dropped
    assert canonicalise({"type": "array", "required": ["a"], "items": {}}) == {"type": "array", "items": {}}


def test_real_document_agrees_with_bundled_v2(spec_path):
    loaded, bundled = load_contract(spec_path), load_contract()
    assert loaded.source == str(spec_path)
    left = {c.id: (c.keyword, c.limit, c.source) for c in loaded.catalogue}
    right = {c.id: (c.keyword, c.limit, c.source) for c in bundled.catalogue}
    # No difference: the document's `required: [file_id, tools]` beside `items` of
    # `attachments` (on the array, where JSON Schema ignores it) is not applied to each
    # attachment by the bundled contract either; the SDK's Attachment is total=False.
    assert set(right) - set(left) == set()
    assert set(left) - set(right) == set()
    assert {k: v for k, v in left.items() if right.get(k) != v} == {}
    assert loaded.endpoint.include_values == bundled.endpoint.include_values
    assert loaded.run_schema == bundled.run_schema
    assert loaded.error_schema == bundled.error_schema


# A hand-written differential corpus: the two must give the same verdict and ids.
CORPUS = [
    {"assistant_id": "a"},
    {"assistant_id": "a", "model": None, "instructions": None, "tools": None, "metadata": None},
    {"assistant_id": "a", "temperature": 2.0000001},
    {"assistant_id": "a", "tools": [{"type": "function", "function": {"name": "x" * 65}}]},
    {"assistant_id": "a", "tools": [{"type": "retrieval"}]},
    {"assistant_id": "a", "tool_choice": {"type": "function", "function": {"name": "f"}}},
    {"assistant_id": "a", "tool_choice": {"type": "function", "function": {}}},
    {"assistant_id": "a", "response_format": {"type": "json_schema", "json_schema": {"name": "n", "strict": None}}},
    {"assistant_id": "a", "response_format": {"type": "json_schema"}},
    {"assistant_id": "a", "additional_messages": [{"role": "system", "content": "x"}]},
    {
        "assistant_id": "a",
        "additional_messages": [{"role": "user", "content": [{"type": "text", "text": "t"}], "x": 1}],
    },
    {"assistant_id": "a", "metadata": {str(i): "v" for i in range(17)}},
    {"assistant_id": "a", "truncation_strategy": {"type": "last_messages", "last_messages": None}},
    {"assistant_id": "a", "max_prompt_tokens": 255.5},
    {"assistant_id": "a", "stream": "true"},
    {"assistant_id": 7},
    [],
]


@pytest.mark.parametrize("payload", CORPUS)
def test_differential_corpus(spec_path, payload):
    loaded, bundled = load_contract(spec_path), load_contract()
    assert sorted(v.constraint for v in loaded.validate(payload)) == sorted(
        v.constraint for v in bundled.validate(payload)
    )


def test_document_without_create_run(tmp_path):
    doc = _doc("3.1.0", SHAPES)
    doc["paths"] = {"/models": {"get": {"responses": {}}}}
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ContractError, match="no createRun operation"):
        load_contract(path)


def test_broken_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("openapi: 3.1.0\npaths: [unclosed\n")
    with pytest.raises(ContractError, match="not valid YAML or JSON") as info:
        load_contract(path)
    assert "\n" not in str(info.value)


def test_not_openapi(tmp_path):
    path = tmp_path / "swagger.json"
    path.write_text(json.dumps({"swagger": "2.0"}))
    with pytest.raises(ContractError, match=r"not OpenAPI 3\.0 or 3\.1"):
        load_contract(path)


def test_missing_file(tmp_path):
    with pytest.raises(ContractError, match="cannot read spec"):
        load_contract(tmp_path / "nope.yaml")


def test_unreachable_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ContractError, match="cannot fetch spec"):
        load_contract(f"http://127.0.0.1:{port}/openapi.yaml")


def test_spec_from_url(tmp_path):
    import http.server
    import threading

    doc = _doc("3.0.3", SHAPES)
    (tmp_path / "doc.json").write_text(json.dumps(doc))

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        contract = load_contract(f"http://127.0.0.1:{server.server_port}/doc.json")
        assert "temperature.maximum" in contract.catalogue
    finally:
        server.shutdown()


def test_unknown_version():
    with pytest.raises(ContractError, match="unknown contract version 'v3'"):
        load_contract(version="v3")


def test_recursive_ref(tmp_path):
    schemas = {"Req": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Req"}}}}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(_doc("3.1.0", schemas)))
    with pytest.raises(ContractError, match="recursive"):
        load_contract(path)


def test_dangling_ref(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(_doc("3.1.0", SHAPES, request_ref="#/components/schemas/Nope")))
    with pytest.raises(ContractError, match="points nowhere"):
        load_contract(path)
