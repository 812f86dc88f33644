"""The pytest plugin (entry point ``pytest11: runcontract``).

Cheap to import: this module imports only pytest; runcontract's heavy parts
(Hypothesis, the contract, HTTP drivers) are imported inside hooks and
fixtures, so a project that never uses runcontract pays almost nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._config import PluginConfig
    from .contract import Contract

GROUP = "runcontract"
MARKER = "runcontract"
_KEYS = ("base_url", "api_key_env", "contract", "spec", "profile", "max_examples")
_CONFIG_KEY = pytest.StashKey["PluginConfig"]()
_REPORTS_KEY = pytest.StashKey[list[Any]]()


def _option(key: str) -> str:
    return "--runcontract-" + key.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    from ._config import KEYS  # a tiny module: no heavy imports

    group = parser.getgroup(GROUP, "runcontract: contract testing for POST /v1/threads/{thread_id}/runs")
    for key, help_text in KEYS.items():
        group.addoption(_option(key), dest=f"runcontract_{key}", default=None, help=help_text)
        parser.addini(f"runcontract_{key}", help_text, default=None)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    from ._config import PluginConfig, read_pyproject
    from ._errors import UsageError

    config.addinivalue_line(
        "markers",
        f"{MARKER}(**kwargs): runcontract settings for this test: the keywords of runcontract.check_endpoint "
        "for runcontract_endpoint (version, spec, max_examples, checks, ...), of runcontract.mock for "
        "runcontract_mock (version, spec, strict, base_url); unknown keywords are a usage error",
    )
    try:
        values: dict[str, Any] = read_pyproject(config.rootpath)
        for key in _KEYS:
            ini = config.getini(f"runcontract_{key}")
            if ini:
                values[key] = ini
            opt = config.getoption(f"runcontract_{key}")
            if opt is not None:
                values[key] = opt
        settings = PluginConfig.resolve(values)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_CONFIG_KEY] = settings
    config.stash[_REPORTS_KEY] = []
    hypothesis_profile = config.getoption("hypothesis_profile", None)
    explicit = values.get("profile") is not None
    if explicit or (hypothesis_profile or "").startswith("runcontract-"):
        from ._profiles import register_hypothesis_profiles

        register_hypothesis_profiles()
        if explicit and not hypothesis_profile:
            from hypothesis import settings as hsettings

            hsettings.load_profile(f"runcontract-{settings.profile}")


def plugin_config(config: pytest.Config) -> PluginConfig:
    return config.stash[_CONFIG_KEY]


def record_report(config: pytest.Config, report: Any) -> None:
    config.stash[_REPORTS_KEY].append(report)


def _marker_kwargs(
    request: pytest.FixtureRequest, accepts: Any, *, fixture: str, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The marker's keywords, checked against what ``accepts`` (the fixture's consumer) takes."""
    import inspect

    marker = request.node.get_closest_marker(MARKER)
    kwargs = dict(marker.kwargs) if marker else {}
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    allowed = [n for n, p in inspect.signature(accepts).parameters.items() if p.kind in kinds and n not in exclude]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}({unknown[0]}=...) on {request.node.nodeid}: {fixture} does not take "
            f"{unknown[0]!r} (it takes: {', '.join(allowed)})"
        )
    return kwargs


def _with_contract(kwargs: dict[str, Any], default: Contract) -> dict[str, Any]:
    """``kwargs`` with ``contract`` set: the marker's own, or one loaded from its ``version``/``spec``."""
    from ._options import DEFAULT_VERSION
    from .contract import load_contract

    out = dict(kwargs)
    version, spec = out.pop("version", None), out.pop("spec", None)
    if "contract" not in out:
        out["contract"] = (
            default if version is None and spec is None else load_contract(spec, version=version or DEFAULT_VERSION)
        )
    return out


@pytest.fixture(scope="session")
def runcontract_contract(pytestconfig: pytest.Config) -> Contract:
    """The contract configured by --runcontract-contract / --runcontract-spec."""
    from .contract import load_contract

    cfg = plugin_config(pytestconfig)
    return load_contract(cfg.spec, version=cfg.contract)


class Endpoint:
    """The configured live endpoint; ``check()`` fuzzes it and returns a Report."""

    def __init__(self, config: pytest.Config, contract: Contract, overrides: dict[str, Any]) -> None:
        self._config = config
        self.contract = contract
        self.settings = plugin_config(config)
        self.base_url = self.settings.base_url
        self.overrides = overrides

    def check(self, **kwargs: Any) -> Any:
        from ._api import check_endpoint
        from ._options import DEFAULT_DATABASE
        from .strategies import load_registrations

        load_registrations(self._config.rootpath / "strategies")
        options: dict[str, Any] = {
            "contract": self.contract,
            "max_examples": self.settings.budget,
            "api_key_env": self.settings.api_key_env,
            "database": DEFAULT_DATABASE,
        }
        options.update(self.overrides)
        options.update(kwargs)
        report = check_endpoint(self.base_url, **options)
        record_report(self._config, report)
        return report


@pytest.fixture
def runcontract_endpoint(request: pytest.FixtureRequest, runcontract_contract: Contract) -> Endpoint:
    """The configured target, or a skip saying which option to set."""
    cfg = plugin_config(request.config)
    if cfg.base_url is None:
        pytest.skip(
            "no endpoint configured: set --runcontract-base-url (or the ini key runcontract_base_url, "
            "or base_url in [tool.runcontract])"
        )
    from ._api import check_endpoint

    kwargs = _marker_kwargs(request, check_endpoint, fixture="runcontract_endpoint", exclude=("base_url", "app"))
    options = _with_contract(kwargs, runcontract_contract)
    return Endpoint(request.config, options.pop("contract"), options)


@pytest.fixture
def runcontract_mock(request: pytest.FixtureRequest, runcontract_contract: Contract) -> Iterator[Any]:
    """A contract-enforcing mock of the runs endpoint; violations fail the test at teardown."""
    from ._mock import mock

    options = _with_contract(_marker_kwargs(request, mock, fixture="runcontract_mock"), runcontract_contract)
    with mock(**options) as m:
        yield m


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist each worker hands its runs' summaries to the controller.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["runcontract_reports"] = [_numbers(r) for r in session.config.stash.get(_REPORTS_KEY, [])]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    summaries = getattr(node, "workeroutput", {}).get("runcontract_reports", [])
    node.config.stash.setdefault(_REPORTS_KEY, []).extend(summaries)


def _numbers(report: Any) -> dict[str, Any]:
    """What the terminal summary needs from a Report (or from a worker's copy of it)."""
    if isinstance(report, dict):
        return report
    return {
        "covered": sorted(cid for cid, cov in report.coverage.items() if cov.at and cov.past),
        "failures": len(report.failures),
        "requests": report.requests,
    }


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reports = [_numbers(r) for r in config.stash.get(_REPORTS_KEY, [])]
    if not reports:
        return
    covered: set[str] = set()
    for numbers in reports:
        covered.update(numbers["covered"])
    failures = sum(n["failures"] for n in reports)
    requests = sum(n["requests"] for n in reports)
    terminalreporter.write_sep("=", "runcontract")
    terminalreporter.write_line(
        f"{len(reports)} run(s), {requests} requests: {len(covered)} constraints covered on both sides, "
        f"{failures} disagreement(s) found"
    )


def _format_failures(failures: list[Any]) -> str:
    from .report import failure_lines

    # The console's format, with room for more: a test's failure text is read on its own.
    return "\n".join(line for f in failures for line in failure_lines(f, payload=2000, response=500, curl=3000))


def _cached_run(request: pytest.FixtureRequest, key: str, run: Any) -> Any:
    cache = request.config.stash.setdefault(_RUNS_KEY, {})
    if key not in cache:
        cache[key] = run()
        if not any(r is cache[key] for r in request.config.stash[_REPORTS_KEY]):  # Endpoint.check records its own
            record_report(request.config, cache[key])
    return cache[key]


_RUNS_KEY = pytest.StashKey[dict[str, Any]]()


def endpoint_tests(**kwargs: Any) -> Any:
    """One pytest test per check, against the configured endpoint (run once, shared).

    In a consumer's test module::

        import runcontract
        test_runs_endpoint = runcontract.endpoint_tests(max_examples=300)
    """
    from .checks import DEFAULT_CHECKS

    checks = tuple(kwargs.get("checks") or DEFAULT_CHECKS)
    key = f"endpoint:{sorted(kwargs.items())!r}"

    @pytest.mark.parametrize("runcontract_check", checks)
    def test_endpoint_contract(runcontract_check: str, runcontract_endpoint: Endpoint, request: Any) -> None:
        report = _cached_run(request, key, lambda: runcontract_endpoint.check(**kwargs))
        if report.aborted:
            pytest.fail(f"runcontract could not run: {report.aborted}", pytrace=False)
        mine = [f for f in report.failures if f.check == runcontract_check]
        if mine:
            pytest.fail(_format_failures(mine), pytrace=False)

    return test_endpoint_contract


def client_tests(send: Any, **kwargs: Any) -> Any:
    """One pytest test per client check for ``send(base_url, thread_id, payload)``."""
    from .checks import CLIENT_CHECKS

    checks = tuple(kwargs.get("checks") or CLIENT_CHECKS)
    key = f"client:{id(send)}:{sorted(kwargs.items())!r}"

    @pytest.mark.parametrize("runcontract_check", checks)
    def test_client_contract(runcontract_check: str, runcontract_contract: Contract, request: Any) -> None:
        from .clients import check_client
        from .strategies import load_registrations

        load_registrations(request.config.rootpath / "strategies")
        cfg = plugin_config(request.config)
        options = {"contract": runcontract_contract, "max_examples": cfg.budget, **kwargs}
        report = _cached_run(request, key, lambda: check_client(send, **options))
        mine = [f for f in report.failures if f.check == runcontract_check]
        if mine:
            pytest.fail(_format_failures(mine), pytrace=False)

    return test_client_contract
