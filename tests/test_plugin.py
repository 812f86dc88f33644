"""The pytest plugin, tested in a pytester sandbox: options, ini keys, pyproject, fixtures, marker, profiles."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_options_are_in_one_group(pytester):
    result = pytester.runpytest("--help")
    out = result.stdout.str()
    assert "runcontract: contract testing" in out
    for option in (
        "--runcontract-base-url",
        "--runcontract-api-key-env",
        "--runcontract-contract",
        "--runcontract-spec",
        "--runcontract-profile",
        "--runcontract-max-examples",
    ):
        assert option in out
    for ini in ("runcontract_base_url", "runcontract_profile", "runcontract_max_examples"):
        assert ini in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runcontract-contract", "v3"], "contract must be v1 or v2, got 'v3'"),
        (["--runcontract-profile", "weekly"], "profile must be one of dev, ci, nightly, got 'weekly'"),
        (["--runcontract-max-examples", "lots"], "max_examples must be a whole number, got 'lots'"),
        (["--runcontract-base-url", "staging.example.com"], "base URL must start with http:// or https://"),
    ],
)
def test_bad_options_are_usage_errors(pytester, args, message):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


SHOW_CONFIG = """
from runcontract.plugin import plugin_config

def test_show(pytestconfig):
    cfg = plugin_config(pytestconfig)
    print("CFG", cfg.base_url, cfg.api_key_env, cfg.contract, cfg.profile, cfg.budget, cfg.spec)
"""


def test_ini_keys(pytester):
    pytester.makepyfile(SHOW_CONFIG)
    pytester.makeini(
        """
        [pytest]
        runcontract_base_url = http://127.0.0.1:9
        runcontract_api_key_env = STAGING_KEY
        runcontract_contract = v1
        runcontract_profile = nightly
        runcontract_spec = openapi.yaml
        """
    )
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*CFG http://127.0.0.1:9 STAGING_KEY v1 nightly 5000 openapi.yaml*"])


def test_pyproject_table_and_precedence(pytester):
    pytester.makepyfile(SHOW_CONFIG)
    pytester.makepyprojecttoml(
        """
        [tool.runcontract]
        base_url = "http://127.0.0.1:1"
        profile = "ci"
        max_examples = 7
        """
    )
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*CFG http://127.0.0.1:1 OPENAI_API_KEY v2 ci 7 None*"])
    # the command line wins over the file
    result = pytester.runpytest("-s", "--runcontract-max-examples", "3", "--runcontract-base-url", "http://127.0.0.1:2")
    result.stdout.fnmatch_lines(["*CFG http://127.0.0.1:2 OPENAI_API_KEY v2 ci 3 None*"])


def test_unknown_pyproject_key(pytester):
    pytester.makepyfile("def test_x(): pass")
    pytester.makepyprojecttoml("[tool.runcontract]\nbase-urll = 'x'\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown key 'base-urll'*"])


def test_endpoint_fixture_skips_with_the_option_to_set(pytester):
    pytester.makepyfile("def test_live(runcontract_endpoint): pass")
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*set --runcontract-base-url*"])


def test_contract_fixture(pytester):
    pytester.makepyfile(
        """
        def test_contract(runcontract_contract):
            assert runcontract_contract.version == "v1"
            assert "tools.items.type.enum" in runcontract_contract.catalogue
        """
    )
    pytester.runpytest("--runcontract-contract", "v1").assert_outcomes(passed=1)


def test_profiles_registered_and_database_explicit(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            current = settings.default
            assert settings.get_current_profile_name() == "runcontract-ci"
            assert current.database is not None
            assert current.max_examples == 200
            for name in ("runcontract-dev", "runcontract-nightly"):
                assert settings.get_profile(name).database is not None
        """
    )
    pytester.runpytest("--runcontract-profile", "ci").assert_outcomes(passed=1)
    pytester.runpytest(
        "-p", "hypothesis", "--hypothesis-profile", "runcontract-nightly", "-k", "nothing"
    ).assert_outcomes()


MOCK_TESTS = """
import pytest

def good_code(client):
    return client.beta.threads.runs.create("thread_1", assistant_id="asst_1", temperature=2)

def buggy_code(client):
    # the planted bug: a 65-character metadata key
    return client.beta.threads.runs.create("thread_1", assistant_id="asst_1", metadata={"k" * 65: "v"})

def test_good(runcontract_mock):
    run = good_code(runcontract_mock.openai_client())
    assert run.temperature == 2

def test_buggy(runcontract_mock):
    try:
        buggy_code(runcontract_mock.openai_client())
    except Exception:
        pass  # code that swallows the 400 still fails the test at teardown

@pytest.mark.runcontract(strict=False)
def test_not_strict(runcontract_mock):
    try:
        buggy_code(runcontract_mock.openai_client())
    except Exception:
        pass
    assert [v.constraint for c in runcontract_mock.calls for v in c.violations] == ["metadata.keys.maxLength"]
"""


def test_mock_fixture_and_marker(pytester):
    pytester.makepyfile(MOCK_TESTS)
    result = pytester.runpytest("-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=3, errors=1)  # test_buggy passes its body, fails at teardown
    result.stdout.fnmatch_lines(["*metadata.keys.maxLength at /metadata*"])


def test_mock_in_given(pytester):
    pytester.makepyfile(
        """
        import warnings
        from hypothesis import given, settings, strategies as st
        import runcontract

        @settings(max_examples=20)
        @given(st.floats(min_value=0, max_value=2))
        def test_temperatures(t):
            with runcontract.mock() as m:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    m.openai_client().beta.threads.runs.create("t", assistant_id="a", temperature=t)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_endpoint_tests_in_three_lines_and_summary(pytester, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    from runcontract.server import BackgroundServer

    pytester.makepyfile(
        """
        import runcontract
        test_runs = runcontract.endpoint_tests(max_examples=10)
        """
    )
    with BackgroundServer() as server:
        result = pytester.runpytest(
            "--runcontract-base-url", server.base_url, "-p", "no:cacheprovider", "--runcontract-max-examples", "10"
        )
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["*runcontract*", "*constraints covered on both sides, 0 disagreement(s) found*"])
