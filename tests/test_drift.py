"""runcontract drift: the document, the bundled contract, the openai SDK and v1/v2 set beside each other."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runcontract import load_contract
from runcontract.contract._drift import KINDS, drift

SPEC = Path(__file__).resolve().parents[2] / "shared" / "specs" / "openai-openapi-2.3.0.yaml"
V2 = load_contract()


@pytest.fixture(scope="module")
def spec() -> str:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is absent")
    return str(SPEC)


@pytest.fixture(scope="module")
def document_report(spec):
    return drift(spec=spec, sdk=None, other_version=False)


def _rows(report, kind):
    return [r for r in report.rows if r.kind == kind]


def test_the_document_names_its_prose_only_limits(document_report):
    ids = {r.constraint for r in _rows(document_report, "prose-only-limit")}
    for field in ("metadata", "additional_messages.items.metadata"):
        assert {f"{field}.maxProperties", f"{field}.keys.maxLength", f"{field}.values.maxLength"} <= ids
    assert "tools.items.function.name.pattern" in ids
    for row in _rows(document_report, "prose-only-limit"):
        assert (
            "only in a description" in row.sources["document"]
            and row.sources["document"] != "only in a description: ''"
        )


def test_the_document_counts_each_nullable_shape(document_report):
    said = [r.sources["document"] for r in _rows(document_report, "openapi-3.0-keyword")]
    counts = {}
    for text in said:
        for shape in ("beside type", "allOf: [{$ref}, {nullable: true}]", "beside $ref"):
            if f"nullable: true {shape}:" in text:
                whole, here = text.split(": ")[-1].split(", ")
                counts[shape] = (int(whole.split()[0]), int(here.split()[0]))
    # The document says openapi 3.1.0 and uses the 3.0 keyword in all three shapes, createRun too.
    assert set(counts) == {"beside type", "allOf: [{$ref}, {nullable: true}]", "beside $ref"}
    assert all(whole >= here >= 1 for whole, here in counts.values())
    assert sum(whole for whole, _ in counts.values()) == 111  # DESIGN.md: `nullable: true` 111 times
    assert any("x-stainless-const" in text for text in said)


def test_the_document_puts_required_beside_items_on_attachments(document_report):
    (row,) = _rows(document_report, "inapplicable-keyword")
    assert row.field == "additional_messages.items.attachments"
    assert row.sources["document"].startswith('required: ["file_id", "tools"] on a array')
    assert row.pointers == ("/components/schemas/CreateMessageRequest/properties/attachments/anyOf/0",)


def test_the_document_leaves_out_400_401_and_the_event_stream(document_report):
    statuses = {r.sources["contract"].split(":")[0] for r in _rows(document_report, "undocumented-status")}
    assert statuses == {"400", "401"}  # 200 and 429 are documented
    (media,) = _rows(document_report, "prose-only-media-type")
    assert media.field == "stream" and "application/json" in media.sources["document"]


def test_the_normalised_document_agrees_with_bundled_v2(document_report):
    # After the attachments fix the document's createRun schema and bundled v2 describe the same fields.
    kinds = {"missing-field", "required-mismatch", "nullable-mismatch", "enum-mismatch", "type-mismatch"}
    assert [r for r in document_report.rows if r.kind in kinds] == []


def test_v1_and_v2_differ_in_the_fields_v2_added_and_the_retrieval_tool():
    report = drift(sdk=None)
    rows = _rows(report, "version-only")
    assert rows == report.rows
    added = {r.field for r in rows if r.sources.get("v1") == "no such field"}
    assert {"temperature", "top_p", "stream", "tool_choice", "response_format", "additional_messages"} <= added
    (tool_types,) = [r for r in rows if r.field == "tools.items.type"]
    assert tool_types.sources == {"v2": 'also allows "file_search"', "v1": 'also allows "retrieval"'}


def test_bundled_v2_agrees_with_the_openai_sdk():
    pytest.importorskip("openai")
    report = drift(sdk="openai", other_version=False)
    assert report.compared["sdk"].startswith("openai ")
    # Every difference named here with its reason; today there is none: the attachments
    # (file_id and tools optional, as the SDK's total=False Attachment) were the last one.
    explained: dict[tuple[str, str], str] = {}
    assert {(r.kind, r.field) for r in report.rows} == set(explained)


def test_the_sdk_comparison_sees_a_difference_when_there_is_one():
    pytest.importorskip("openai")
    schema = copy.deepcopy(V2.request_schema)
    schema["required"] = [*schema["required"], "model"]  # required here, optional in the SDK
    schema["properties"]["reasoning_effort"]["anyOf"][0]["enum"].remove("max")
    changed = dataclasses.replace(V2, request_schema=schema)
    rows = {(r.kind, r.field) for r in drift(changed, sdk="openai", other_version=False).rows}
    assert ("required-mismatch", "model") in rows
    assert ("enum-mismatch", "reasoning_effort") in rows


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "runcontract.cli", "drift", *args], capture_output=True, text=True, check=False
    )


def test_cli_json_parses_and_is_a_report_not_a_verdict(spec):
    done = _cli("--spec", spec, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"contract", "compared", "notes", "rows"}
    assert {r["kind"] for r in data["rows"]} <= set(KINDS)
    row = data["rows"][0]
    assert set(row) == {"kind", "field", "constraint", "pointers", "sources", "consequence"}


def test_cli_markdown_and_text():
    md = _cli("--markdown", "--sdk", "none")
    assert md.returncode == 0 and "| kind | field |" in md.stdout and "version-only" in md.stdout
    text = _cli()
    assert text.returncode == 0 and "difference(s)" in text.stdout


def test_cli_fail_on():
    assert _cli("--fail-on", "version-only").returncode == 1
    assert _cli("--fail-on", "required-mismatch").returncode == 0
    bad = _cli("--fail-on", "nonsense")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()] and "unknown kind nonsense" in bad.stderr
