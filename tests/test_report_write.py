"""Writing reports and console output: lone surrogates and control characters never break a file or the terminal."""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from runcontract.report import (
    Failure,
    Progress,
    Report,
    failure_lines,
    print_replay,
    print_summary,
    to_junit,
    write_reports,
)
from runcontract.report._write import atomic_write

LONE = "\udc80"  # what the fuzzer sends on purpose; UTF-8 cannot encode it


def hostile_report() -> Report:
    report = Report(target="t", contract="v2", seed=1, checks=["no_server_error", "valid_accepted"])
    report.add(
        Failure(
            check="no_server_error",
            constraint="instructions.type",
            message=f"status 500 for {LONE!r}\x01",
            payload={"assistant_id": "a", "instructions": f"x{LONE}y\x00"},
            thread_id=f"th{LONE}\x1b",
            status=500,
            response_excerpt=f"oops {LONE}\x0b",
            curl=f"curl -sS --data-raw 'x{LONE}'",
        )
    )
    return report


def test_every_report_of_a_hostile_payload_is_a_valid_utf8_file(tmp_path: Path) -> None:
    report = hostile_report()
    paths = {kind: tmp_path / "out" / f"r.{kind}" for kind in ("json", "xml", "html")}
    write_reports(report, json=paths["json"], junit=paths["xml"], html=paths["html"])
    texts = {kind: path.read_bytes().decode("utf-8") for kind, path in paths.items()}  # strict: raises if not UTF-8
    data = json.loads(texts["json"])
    assert data["failures"][0]["payload"]["instructions"] == f"x{LONE}y\x00"  # JSON escapes keep the exact value
    case = ET.fromstring(texts["xml"]).find("testcase/failure")  # parses: no raw control character in the XML
    assert case is not None and "\\udc80" in (case.text or "") and "\\x1b" in (case.text or "")
    assert "\\udc80" in texts["html"]
    assert sorted(os.listdir(tmp_path / "out")) == ["r.html", "r.json", "r.xml"]  # no temporary file left


def test_write_reports_writes_only_what_has_a_path(tmp_path: Path) -> None:
    write_reports(hostile_report(), junit=tmp_path / "j.xml")
    assert os.listdir(tmp_path) == ["j.xml"]


def test_to_junit_text_is_always_encodable() -> None:
    to_junit(hostile_report()).encode("utf-8")


def test_atomic_write_replaces_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    atomic_write(target, "old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        atomic_write(tmp_path / "dir", "cannot replace a directory")
    assert sorted(os.listdir(tmp_path)) == ["dir", "r.json"]


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, highlight=False, soft_wrap=True, no_color=True, width=200), out


def test_print_summary_shows_each_failure_escaped_and_the_verdict() -> None:
    console, out = _console()
    print_summary(hostile_report(), console=console)
    text = out.getvalue()
    text.encode("utf-8")
    assert "FAIL no_server_error [instructions.type] status 500" in text
    assert "reproduce: curl -sS --data-raw 'x\\udc80'" in text
    assert "1 disagreement(s)" in text


def test_print_summary_of_a_clean_run() -> None:
    console, out = _console()
    print_summary(Report(target="[bold]t", contract="v2", checks=["valid_accepted"]), console=console)
    assert "runcontract: [bold]t" in out.getvalue()  # the target name is text, not markup
    assert "the contract holds" in out.getvalue()


def test_failure_lines_cut_long_fields() -> None:
    failure = hostile_report().failures[0]
    failure.payload = {"assistant_id": "a" * 100}
    head, thread, payload, response, curl = failure_lines(failure, payload=10, response=2, curl=4)
    assert head.startswith("no_server_error [instructions.type] status 500: ")
    assert thread == "  thread_id: 'th\\udc80\\x1b'"
    assert payload.endswith("...") and len(payload.split("payload:", 1)[1].strip()) == 13
    assert response == "  response:  oo" and curl == "  reproduce: curl"


def test_plugin_failures_use_the_console_format_with_more_room() -> None:
    from runcontract.plugin import _format_failures

    failure = hostile_report().failures[0]
    text = _format_failures([failure])
    text.encode("utf-8")
    assert text.splitlines()[0] == failure_lines(failure)[0]
    assert "\\udc80" in text


def test_print_replay_table() -> None:
    saved = SimpleNamespace(check="valid_accepted", constraint=f"x{LONE}")
    outcomes = [
        SimpleNamespace(reproduced=True, now=True, sent=True, status="reproduces", saved=saved, source="a.json"),
        SimpleNamespace(reproduced=False, now=False, sent=True, status="fixed", saved=saved, source=None),
    ]
    console, out = _console()
    print_replay(outcomes, console=console)
    text = out.getvalue()
    assert "reproduces" in text and "fixed" in text and "x\\udc80" in text
    assert "1 of 2 saved failure(s) reproduce" in text


def test_progress_off_the_terminal_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress(enabled=False, total=5) as progress:
        progress.update(hostile_report())
    assert capsys.readouterr() == ("", "")
