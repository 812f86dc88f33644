"""compare-clients: one payload stream through several clients, a field-by-client matrix."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import faulty_clients as fc
from runcontract import load_contract
from runcontract.cli import main
from runcontract.report import comparison_html
from runcontract.runner import CALL, compare_clients

CONTRACT = load_contract()
HERE = Path(__file__).parent


def rows(comparison):
    return {row["field"]: row for row in comparison.to_dict()["rows"]}


def test_the_matrix_tells_each_client_s_defect_apart():
    clients = {"faithful": fc.faithful, "allowlist": fc.allowlist, "truthy": fc.truthy_filter, "nulls": fc.drops_nulls}
    comparison = compare_clients(clients, CONTRACT, max_examples=20, seed=0)
    table = rows(comparison)
    assert comparison.cases > 200 and next(iter(table)) == CALL
    for row in table.values():  # faithful ways of writing a client agree with the contract everywhere
        assert row["cells"]["faithful"]["status"] in ("exact", "sent"), row
        assert row["cells"]["nulls"]["status"] in ("exact", "sent"), row
    # The allowlist drops every field it does not forward; the truthy filter drops a 0 temperature but not tools.
    assert table["temperature"]["cells"]["allowlist"]["status"] == "dropped"
    assert table["tool_choice"]["cells"]["allowlist"]["status"] == "dropped"
    assert table["tool_choice"]["cells"]["truthy"]["status"] == "exact"
    assert table["temperature"]["cells"]["truthy"]["status"] == "dropped"
    assert table["instructions"]["cells"]["allowlist"]["status"] == "exact"
    assert table["metadata"]["verdict"] == "agree"
    assert (
        table["temperature"]["verdict"].startswith("differ: ")
        and "allowlist dropped" in table["temperature"]["verdict"]
    )
    example = table["temperature"]["cells"]["allowlist"]["example"]
    assert "temperature" in example  # a sample payload for each difference


def test_refusals_and_validation_are_counted_where_they_belong():
    clients = {"loose": fc.temperature_limit_loose, "signature": fc.signature_error}
    table = rows(compare_clients(clients, CONTRACT, max_examples=10, seed=1))
    loose = table["temperature"]["cells"]["loose"]
    assert loose["invalid_refused"] >= 1 and loose["invalid_sent"] >= 1 and loose["status"] == "exact"
    # A valid payload refused is the call's row, not every field's.
    assert table[CALL]["cells"]["signature"]["status"] == "refused"
    assert table["temperature"]["cells"]["signature"]["status"] == "exact"


def test_the_same_seed_gives_the_same_stream():
    first = compare_clients({"a": fc.faithful}, CONTRACT, max_examples=15, seed=4, boundary=False).to_dict()
    again = compare_clients({"a": fc.faithful}, CONTRACT, max_examples=15, seed=4, boundary=False).to_dict()
    assert first == again and first["cases"] >= 10


def test_the_cli_writes_console_json_and_html(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    out, page = tmp_path / "m.json", tmp_path / "m.html"
    code = main(
        [
            "compare-clients",
            "--python",
            "faulty_clients:faithful",
            "--python",
            "faulty_clients:allowlist",
            "--command",
            f"{sys.executable} {HERE / 'clients' / 'send_openai.py'}",
            "--no-boundary",
            "--max-examples",
            "6",
            "--json",
            str(out),
            "--html",
            str(page),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    # SDKs, then commands, then Python callables, each in the order given.
    assert data["clients"][1:] == ["python:faulty_clients:faithful", "python:faulty_clients:allowlist"]
    assert "[3] python:faulty_clients:allowlist" in printed
    by_field = {row["field"]: row for row in data["rows"]}
    # The openai SDK, run as a program through the command protocol, carries every field it was given
    # exactly (six random payloads need not carry every field: "not sent" is no evidence either way).
    statuses = [row["cells"][data["clients"][0]]["status"] for row in data["rows"]]
    assert set(statuses) <= {"exact", "sent", "not sent"}, by_field
    assert "exact" in statuses, by_field
    html = page.read_text()
    assert "Clients side by side" in html and "python:faulty_clients:allowlist" in html
    assert html == comparison_html(data)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["compare-clients"], "at least one --sdk, --command or --python"),
        (["compare-clients", "--python", "nocolon"], "expected MODULE:CALLABLE"),
        (["compare-clients", "--python", "no_such_module_xyz:send"], "cannot import"),
        (["compare-clients", "--python", "json:no_such_attr"], "has no"),
        (["compare-clients", "--python", "json:__doc__"], "not callable"),
    ],
)
def test_bad_options_are_one_line_exit_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_fuzz_client_cli_client_options(capsys):
    code = main(["fuzz-client", "--sdk", "openai", "--cannot-express", "no_such_field", "--max-examples", "1"])
    assert code == 2 and "is not a field of the contract" in capsys.readouterr().err
