"""runcontract._options: one validator per repeated option; bad values are one-line UsageErrors naming the option."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from runcontract import _options
from runcontract._errors import UsageError
from runcontract.checks import DEFAULT_CHECKS, ENDPOINT_CHECKS
from runcontract.contract import VERSIONS


def one_line(exc: pytest.ExceptionInfo[UsageError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_versions_come_from_one_place() -> None:
    assert VERSIONS is _options.VERSIONS
    assert _options.DEFAULT_VERSION in VERSIONS


def test_importing_options_imports_nothing_heavy() -> None:
    code = (
        "import sys, runcontract._options; "
        "print(sorted(m for m in ('hypothesis', 'yaml', 'httpx', 'rich', 'runcontract.contract') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("value", ["v1", "v2"])
def test_contract_version_good(value: str) -> None:
    assert _options.contract_version(value) == value


def test_contract_version_bad() -> None:
    with pytest.raises(UsageError) as exc:
        _options.contract_version("v3", what="--contract")
    assert one_line(exc) == "--contract must be v1 or v2, got 'v3'"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "https://staging.example.com/v1", "http://[::1]:9", "HTTPS://Example.com"]
)
def test_base_url_good(url: str) -> None:
    assert _options.base_url(url) == url


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com", "must start with http:// or https://"),
        ("staging.example.com", "must start with http:// or https://"),
        ("http:/example.com", "must start with http:// or https://"),
        ("http://", "has no host"),
        ("https:///v1", "has no host"),
        ("http://[::1", "is not a valid URL"),
        ("http://example.com:99999", "is not a valid URL"),
        ("http://example.com:port", "is not a valid URL"),
        ("http://exa mple.com", "whitespace or control characters"),
        ("http://example.com\n", "whitespace or control characters"),
    ],
)
def test_base_url_bad(url: str, words: str) -> None:
    with pytest.raises(UsageError) as exc:
        _options.base_url(url, what="--base-url")
    line = one_line(exc)
    assert line.startswith("--base-url") and words in line


def test_check_names() -> None:
    assert _options.check_names(["a", "b"], ("a", "b", "c")) == ("a", "b")
    with pytest.raises(UsageError) as exc:
        _options.check_names(["a", "nope"], ("a", "b"))
    assert one_line(exc) == "unknown check 'nope' (known: a, b)"


def test_parse_checks() -> None:
    assert _options.parse_checks("all", ENDPOINT_CHECKS, DEFAULT_CHECKS) == DEFAULT_CHECKS
    assert _options.parse_checks(" ", ENDPOINT_CHECKS, DEFAULT_CHECKS) == DEFAULT_CHECKS
    assert _options.parse_checks("no_server_error, valid_accepted,", ENDPOINT_CHECKS, ()) == (
        "no_server_error",
        "valid_accepted",
    )
    with pytest.raises(UsageError) as exc:
        _options.parse_checks("no_server_error,nope", ENDPOINT_CHECKS, ())
    assert one_line(exc).startswith("unknown check 'nope' (known: valid_accepted,")


def test_parse_statuses() -> None:
    assert _options.parse_statuses("400, 422") == frozenset({400, 422})
    for bad, words in (("4xx", "bad --accept-status '4xx'"), ("200", "takes 4xx codes"), ("", "takes 4xx codes")):
        with pytest.raises(UsageError) as exc:
            _options.parse_statuses(bad)
        assert words in one_line(exc) and "--accept-status" in one_line(exc)


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200), ("1h30m", 5400)])
def test_parse_duration_good(text: str, seconds: float) -> None:
    assert _options.parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "words"), [("soon", "bad duration 'soon'"), ("", "bad duration"), ("0s", "positive")])
def test_parse_duration_bad(text: str, words: str) -> None:
    with pytest.raises(UsageError) as exc:
        _options.parse_duration(text)
    assert words in one_line(exc)


@pytest.mark.parametrize(("text", "rate"), [("0", 0.0), ("Unlimited", 0.0), ("off", 0.0), ("2.5", 2.5)])
def test_parse_rate_good(text: str, rate: float) -> None:
    assert _options.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["fast", "-3", "nan", "inf"])
def test_parse_rate_bad(text: str) -> None:
    with pytest.raises(UsageError) as exc:
        _options.parse_rate(text, what="--rate")
    assert one_line(exc).startswith("--rate must be") and repr(text) in one_line(exc)


@pytest.mark.parametrize(("value", "number"), [("7", 7), (0, 0), (12.0, 12)])
def test_whole_number_good(value: object, number: int) -> None:
    assert _options.whole_number(value) == number


@pytest.mark.parametrize(
    ("value", "words"),
    [("lots", "must be a whole number"), (2.5, "must be a whole number"), (True, "must be a whole number"),
     (None, "must be a whole number"), ("-1", "must be >= 0, got -1")],
)  # fmt: skip
def test_whole_number_bad(value: object, words: str) -> None:
    with pytest.raises(UsageError) as exc:
        _options.whole_number(value, what="max_examples")
    assert one_line(exc).startswith("max_examples " + words)


def test_positive_number() -> None:
    assert _options.positive_number("0.5") == 0.5
    for bad in ("0", "-1", "slow", "nan"):
        with pytest.raises(UsageError) as exc:
            _options.positive_number(bad, what="--timeout")
        assert one_line(exc).startswith("--timeout must be a number")


BAD_URLS = ["http://", "http://[::1", "ftp://example.com"]


def _plugin(url: str) -> None:
    from runcontract._config import PluginConfig

    PluginConfig.resolve({"base_url": url})


def _api(url: str) -> None:
    from runcontract._api import make_target
    from runcontract.contract import load_contract

    make_target(load_contract(), base_url=url)


def _staging(url: str) -> None:
    from runcontract._staging import StagingResources

    StagingResources(url)


@pytest.mark.parametrize("caller", [_plugin, _api, _staging], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("url", BAD_URLS)
def test_every_front_end_checks_the_base_url_the_same_way(caller: Callable[[str], None], url: str) -> None:
    with pytest.raises(UsageError) as exc:
        caller(url)
    assert repr(url) in one_line(exc)


@pytest.mark.parametrize("url", BAD_URLS)
def test_cli_base_url_errors_are_one_line_exit_2(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from runcontract.cli import main

    assert main(["fuzz", "--base-url", url, "--db", "", "--max-examples", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcontract: error: --base-url") and repr(url) in lines[0]
