"""The HTML report: escaping, every constraint row, failures, no secrets; and a real headless browser."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from runcontract.contract import load_contract
from runcontract.drivers import Exchange
from runcontract.report import Coverage, Failure, Report, curl_line
from runcontract.report._html import to_html, write_html
from support import SECRET, SECRET_HEADERS, make_exchange

NASTY = "</pre><script>alert('x')</script>\"'&<b>"
BROWSER_TIMEOUT_S = 60


# ---------------------------------------------------------------- test data


def _exchange(body: object) -> Exchange:
    url = "https://staging.example.com/v1/threads/thread_abc/runs"
    return make_exchange(200, url=url, request_headers=SECRET_HEADERS, request_body=body, headers={})


def _report() -> Report:
    report = Report(
        target="https://staging.example.com",
        contract="v2",
        seed=424242,
        examples=900,
        requests=1234,
        duration_s=1803.4,
        checks=["valid_accepted", "invalid_rejected", "error_conformance"],
    )
    report.coverage["temperature.maximum"] = Coverage(at=12, past=9, outcomes={"200": 14, "400": 5, "500": 2})
    report.coverage["metadata.keys.maxLength"] = Coverage(at=0, past=4, outcomes={"400": 4})
    report.coverage["top_p.minimum"] = Coverage(at=3, past=0, outcomes={"200": 3})
    payload = {"assistant_id": "asst_1", "temperature": 2.5, "instructions": NASTY, "lone": "x\ud800y"}
    report.add(
        Failure(
            check="invalid_rejected",
            constraint="temperature.maximum",
            message=f"the target accepted temperature=2.5 {NASTY}",
            payload=payload,
            thread_id="thread_abc",
            status=200,
            response_excerpt='{"id": "run_1", "instructions": "</pre><script>alert(2)</script>"}',
            curl=curl_line(_exchange({"assistant_id": "asst_1", "temperature": 2.5}), api_key_env="STAGING_API_KEY"),
            expected="invalid",
        )
    )
    report.add(
        Failure(
            check="error_conformance",
            constraint=None,
            message="400 body lacks error.param",
            payload={"assistant_id": "asst_\udfff"},
            thread_id="thread_abc",
            status=400,
            response_excerpt='{"error": {"type": "invalid_request_error"}}',
            curl=curl_line(_exchange({"assistant_id": "asst_2"}), api_key_env="STAGING_API_KEY"),
        )
    )
    return report


@pytest.fixture(scope="module")
def contract():
    return load_contract()


class _Page(HTMLParser):
    """Rows of the matrix, scripts, styles, links and the CSP, from a page or a dumped DOM."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[str, dict[str, str | None]] = {}
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.csp: str | None = None
        self.ids: set[str] = set()
        self.body: dict[str, str | None] = {}
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "tr" and "data-constraint" in a:
            self.rows[a["data-constraint"]] = a
        if tag == "body":
            self.body = a
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if a.get(name) is not None:
                self.urls.append(a[name])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = a.get("content")
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# ---------------------------------------------------------------- the page itself


def test_every_catalogued_constraint_has_a_row_with_keyword_limit_and_source(contract):
    text = to_html(_report(), contract)
    page = _Page(text)
    assert list(page.rows) == [c.id for c in contract.catalogue]
    for c in contract.catalogue:
        assert f"<td>{c.keyword}</td>" in text
        assert f"<td>{c.source}</td>" in text
    assert 'class="not-covered"' in text


def test_coverage_states(contract):
    page = _Page(to_html(_report(), contract))
    assert page.rows["temperature.maximum"]["class"] == "covered failing"
    assert page.rows["metadata.keys.maxLength"]["class"] == "partial"
    assert page.rows["top_p.minimum"]["class"] == "partial"
    assert page.rows["temperature.minimum"]["class"] == "not-covered"
    tried = {"temperature.maximum", "metadata.keys.maxLength", "top_p.minimum"}
    assert all(row["class"] == "not-covered" for cid, row in page.rows.items() if cid not in tried)


def test_matrix_row_shows_counts_and_outcomes(contract):
    text = to_html(_report(), contract)
    row = text[text.index('data-constraint="temperature.maximum"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">12</td><td class="num">9</td>' in row
    assert "200 &times; 14" in row and "400 &times; 4" not in row and "500 &times; 2" in row
    assert row.index("200 &times;") < row.index("400 &times;") < row.index("500 &times;")
    assert 'href="#failure-1"' in row
    assert "<code>2</code>" in row  # the limit


def test_coverage_outside_the_catalogue_is_listed_too(contract):
    report = _report()
    report.coverage['odd."<id>'] = Coverage(past=1, outcomes={"error": 1})
    page = _Page(to_html(report, contract))
    assert list(page.rows)[-1] == 'odd."<id>'
    assert len(page.rows) == len(contract.catalogue) + 1


def test_without_a_contract_only_tried_constraints_are_listed():
    page = _Page(to_html(_report()))
    assert sorted(page.rows) == ["metadata.keys.maxLength", "temperature.maximum", "top_p.minimum"]


def test_escaping_keeps_payloads_inert(contract):
    text = to_html(_report(), contract)
    assert text.count("<script") == 1  # our own, at the end
    assert "alert(" not in "".join(_Page(text).scripts)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "</pre><script>" not in text
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)" in text


def test_lone_surrogates_do_not_crash_and_are_shown_escaped(contract, tmp_path):
    report = _report()
    report.target = "https://x\udc80.example"
    report.coverage["weird\ud800"] = Coverage(at=1)
    text = to_html(report, contract)
    text.encode("utf-8")  # strict: no surrogate left
    assert "x\\ud800y" in text
    assert "asst_\\udfff" in text
    assert "weird\\ud800" in _Page(text).rows
    out = tmp_path / "sub" / "report.html"
    write_html(report, out, contract)
    assert out.read_text(encoding="utf-8") == text
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temporary file left


def test_every_failure_is_shown_with_payload_response_and_curl(contract):
    report = _report()
    text = to_html(report, contract)
    page = _Page(text)
    assert {"failure-1", "failure-2"} <= page.ids
    for failure in report.failures:
        assert failure.check in text
        assert str(failure.status) in text
    assert "the target accepted temperature=2.5 &lt;/pre&gt;" in text
    assert "400 body lacks error.param" in text
    # Pretty JSON, escaped.
    assert "\n  &quot;temperature&quot;: 2.5,\n" in text
    # The curl lines, escaped, reading the key from the environment.
    assert "curl -sS -X POST" in text
    assert "&quot;Authorization: Bearer $STAGING_API_KEY&quot;" in text
    assert '{"error": {"type": "invalid_request_error"}}'.replace('"', "&quot;") in text


def test_no_secrets(contract):
    text = to_html(_report(), contract)
    assert SECRET not in text
    assert "sk-live" not in text


def test_self_contained_and_locked_down(contract):
    page = _Page(to_html(_report(), contract))
    assert all(url.startswith(("#", "data:")) for url in page.urls), page.urls
    assert page.csp is not None and "default-src 'none'" in page.csp
    # The CSP allows exactly our inline script and style, by hash: nothing injected could run.
    assert len(page.scripts) == 1 and len(page.styles) == 1
    assert f"script-src {_sha256(page.scripts[0])};" in page.csp
    assert f"style-src {_sha256(page.styles[0])};" in page.csp
    assert "unsafe-inline" not in page.csp


def test_summary():
    report = _report()
    text = to_html(report)
    assert "FAIL" in text and "2 disagreements" in text
    for value in ("https://staging.example.com", "424242", "1234", "30 min 3 s", "valid_accepted"):
        assert value in text
    assert "note-interrupted" not in text and "note-aborted" not in text

    report = Report(target="t", contract="v1", interrupted=True)
    text = to_html(report)
    assert "PASS" in text and 'id="note-interrupted"' in text

    report = Report(target="t", contract="v1", aborted="target unreachable: <connection refused>")
    text = to_html(report)
    assert "ABORTED" in text and 'id="note-aborted"' in text
    assert "target unreachable: &lt;connection refused&gt;" in text
    assert 'id="matrix-empty"' in text


# ---------------------------------------------------------------- a real browser


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


needs_chromium = pytest.mark.skipif(
    _chromium() is None,
    reason="chromium is not on PATH (Debian: apt-get install -y chromium); the browser check is skipped",
)
CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught")


def _browse(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium once on ``url``, in a fresh profile, bounded in time."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        _chromium() or "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        url,
    ]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=BROWSER_TIMEOUT_S,
            env={**os.environ, "HOME": str(tmp_path)},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # pragma: no cover - only on a broken browser
        pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT_S}s: {exc}")


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


@needs_chromium
def test_chromium_renders_the_page_without_console_errors(contract, tmp_path):
    path = tmp_path / "report.html"
    write_html(_report(), path, contract)
    result = _browse(tmp_path, path.as_uri(), "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_lines(result.stderr) == [], "the page logged to the console"
    dom = _Page(result.stdout)
    # The script ran to its end ...
    assert dom.body.get("data-ready") == "1"
    n = len(contract.catalogue)
    assert f"{n} of {n} constraints shown" in result.stdout
    # ... and the coverage matrix is in the rendered DOM, every row visible.
    assert list(dom.rows) == [c.id for c in contract.catalogue]
    assert all("hidden" not in row for row in dom.rows.values())
    assert {"summary", "coverage", "failures", "matrix", "failure-1", "failure-2"} <= dom.ids
    # Nothing injected executed.
    assert "alert(" not in "".join(dom.scripts)


@needs_chromium
def test_chromium_filter_from_the_url(contract, tmp_path):
    path = tmp_path / "report.html"
    write_html(_report(), path, contract)
    result = _browse(tmp_path, path.as_uri() + "#q=temperature.max%20MAXIMUM", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_lines(result.stderr) == []
    dom = _Page(result.stdout)
    shown = [cid for cid, row in dom.rows.items() if "hidden" not in row]
    assert shown == ["temperature.maximum"]
    assert f"1 of {len(contract.catalogue)} constraints shown" in result.stdout


@needs_chromium
def test_chromium_blocks_and_reports_injected_script(contract, tmp_path):
    """Negative control: an inline script that slipped past escaping is blocked and shows up on the console."""
    path = tmp_path / "tampered.html"
    text = to_html(_report(), contract).replace("<main>", "<main><script>document.title='pwned'</script>", 1)
    path.write_text(text, encoding="utf-8")
    result = _browse(tmp_path, path.as_uri(), "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = _console_lines(result.stderr)
    assert lines and "Content Security Policy" in lines[0]
    assert "<title>pwned</title>" not in result.stdout


@needs_chromium
def test_chromium_screenshot(contract, tmp_path):
    path = tmp_path / "report.html"
    write_html(_report(), path, contract)
    shot = tmp_path / "report.png"
    result = _browse(tmp_path, path.as_uri(), f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_lines(result.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a blank page compresses to a few kilobytes
    keep = os.environ.get("RUNCONTRACT_KEEP_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
