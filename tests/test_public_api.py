import subprocess
import sys

import runcontract


def test_all_names_resolve():
    for name in runcontract.__all__:
        assert getattr(runcontract, name) is not None


def test_all_matches_public_names():
    submodules = {
        "contract",
        "strategies",
        "drivers",
        "checks",
        "plugin",
        "cli",
        "runner",
        "report",
        "server",
        "clients",
    }
    public = {name for name in dir(runcontract) if name[0].isalpha()} - submodules
    assert set(runcontract.__all__) - {"__version__"} == public - {"annotations", "importlib", "TYPE_CHECKING", "Any"}


def test_plugin_import_is_cheap():
    heavy = "{'hypothesis', 'jsonschema_rs', 'yaml', 'httpx', 'starlette', 'runcontract.contract'}"
    code = f"import sys, runcontract.plugin; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_subpackages_resolve_without_an_import():
    code = (
        "import runcontract; print(callable(runcontract.clients.openai_sdk), callable(runcontract.server.create_app))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True True"
