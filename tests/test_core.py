"""The dependency-free core: stdlib only, and the one home of the shared types."""

from __future__ import annotations

import subprocess
import sys

import runcontract
from runcontract import _core
from runcontract.checks import Captured
from runcontract.drivers import ASGITarget, BaseTarget, Exchange, HTTPTarget, redact_headers
from runcontract.report import Failure, Report, curl_line
from runcontract.runner import Target
from runcontract.strategies import Case

_THIRD_PARTY_PROBE = """
import sys
before = set(sys.modules)
import runcontract._core
loaded = {name.split(".")[0] for name in set(sys.modules) - before}
print(sorted(loaded - set(sys.stdlib_module_names) - {"runcontract"}))
"""


def test_importing_the_core_loads_no_third_party_module():
    done = subprocess.run([sys.executable, "-c", _THIRD_PARTY_PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_public_packages_re_export_the_core_types_not_copies():
    assert Case is _core.Case and runcontract.Case is _core.Case
    assert Exchange is _core.Exchange and redact_headers is _core.redact_headers
    assert Captured is _core.Captured
    assert Failure is _core.Failure and Report is _core.Report and curl_line is _core.curl_line
    assert Target is _core.Target
    assert set(_core.__all__) <= set(dir(_core))


class _Answering(BaseTarget):
    def send(self, case: Case) -> Exchange:
        return Exchange("POST", "http://x/v1/threads/t/runs", {}, b"{}", status=200)


def test_a_base_target_closes_on_leaving_a_with_block_and_close_is_a_no_op_by_default():
    BaseTarget().close()  # nothing to release: harmless
    closed = []

    class Tracked(_Answering):
        def close(self) -> None:
            closed.append(True)

    with Tracked() as target:
        assert target.send(Case({"assistant_id": "a"})).status == 200
        assert closed == []
    assert closed == [True]


def test_the_drivers_are_base_targets():
    assert issubclass(ASGITarget, BaseTarget) and issubclass(HTTPTarget, BaseTarget)


_LIGHT_PROBE = """
import sys
import runcontract.drivers, runcontract.report
heavy = sorted(name for name in ("hypothesis", "runcontract.strategies", "runcontract.server") if name in sys.modules)
print(heavy)
"""


def test_importing_drivers_or_report_loads_neither_hypothesis_nor_the_server():
    done = subprocess.run([sys.executable, "-c", _LIGHT_PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_client_facade_re_exports_the_drivers_adapters():
    import runcontract.clients as clients
    import runcontract.drivers as drivers

    for name in ("LoopbackRecorder", "openai_sdk", "command", "httpx_client", "httpx2_client", "InProcessClient"):
        assert getattr(clients, name) is getattr(drivers, name)
