import runcontract


def test_all_matches_public_names():
    public = {name for name in dir(runcontract) if name[0].isalpha()} - {
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
        "mock",
    }
    assert set(runcontract.__all__) - {"__version__"} == public
