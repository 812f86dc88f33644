"""Reports: JSON shape, JUnit, curl lines that never carry a secret."""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET

from runcontract.drivers import redact_headers
from runcontract.report import Report, curl_line, to_junit
from support import SECRET, SECRET_HEADERS, make_exchange, make_failure


def _exchange():
    return make_exchange(
        400,
        b'{"error": {}}',
        url="http://127.0.0.1:9/v1/threads/a%2Fb/runs",
        request_headers=SECRET_HEADERS,
        request_body={"assistant_id": "it's"},
        headers={},
    )


def test_curl_line_is_runnable_and_secret_free():
    line = curl_line(_exchange())
    assert SECRET not in line
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in line
    words = shlex.split(line)
    assert words[:4] == ["curl", "-sS", "-X", "POST"]
    assert json.loads(words[words.index("--data-raw") + 1]) == {"assistant_id": "it's"}


def test_redact_headers():
    out = redact_headers({"authorization": f"Bearer {SECRET}", "x-api-key": SECRET, "Accept": "x"})
    assert SECRET not in json.dumps(out)
    assert out["Accept"] == "x"


def _failure(check="invalid_rejected", constraint="temperature.maximum", payload=None):
    return make_failure(
        payload,
        check=check,
        constraint=constraint,
        message="msg",
        thread_id="t",
        curl=curl_line(_exchange()),
        expected="valid",
        origin="random",
    )


def test_one_failure_per_check_and_constraint_keeping_the_smallest():
    report = Report(target="t", contract="v2")
    big = _failure(payload={"assistant_id": "a" * 100, "temperature": 3})
    small = _failure()
    assert report.add(big)
    assert not report.add(small)
    assert not report.add(big)
    assert report.failures == [small]
    assert report.add(_failure(constraint="top_p.maximum"))
    assert len(report.failures) == 2


def test_json_report_shape():
    report = Report(target="t", contract="v2", seed=3, checks=["invalid_rejected"])
    report.add(_failure())
    data = json.loads(report.to_json())
    for key in ("target", "contract", "seed", "examples", "requests", "duration_s", "failures", "coverage"):
        assert key in data
    assert set(data["failures"][0]) >= {
        "check",
        "constraint",
        "payload",
        "thread_id",
        "status",
        "response_excerpt",
        "curl",
    }
    assert SECRET not in report.to_json()
    assert not report.ok


def test_junit():
    report = Report(target="t", contract="v2", checks=["invalid_rejected", "valid_accepted"])
    report.add(_failure())
    root = ET.fromstring(to_junit(report))
    assert root.get("failures") == "1"
    assert [c.get("name") for c in root.iter("testcase")] == ["invalid_rejected", "valid_accepted"]
    assert SECRET not in to_junit(report)
