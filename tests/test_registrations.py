"""Registrations: the strategies/ folder loader and ids that must exist on a target."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from runcontract import UsageError, boundary_plan
from runcontract.strategies import FieldRegistry, load_registrations, register_field, with_registered_ids


def test_empty_registry_is_used_not_the_current_one():
    mine = FieldRegistry()
    register_field("model", st.just("gpt-x"), registry=mine)
    assert mine.get("model") is not None


def test_plan_uses_registered_ids_and_drops_exotic_thread_ids():
    registry = FieldRegistry(
        {"assistant_id": st.sampled_from(["asst_real", "asst_other"]), "thread_id": st.just("thread_real")}
    )
    plan = with_registered_ids(boundary_plan(), registry)
    assert {c.thread_id for c in plan} == {"thread_real"}
    assert not any(c.label == "thread-id" for c in plan)
    about = [c for c in plan if c.constraint and c.constraint.startswith("assistant_id")]
    others = [
        c
        for c in plan
        if c not in about
        and c.constraint != "unicode"
        and isinstance(c.payload, dict)
        and "assistant_id" in c.payload
        and isinstance(c.payload["assistant_id"], str)
    ]
    assert about, "the cases about assistant_id itself are kept as they are"
    assert all(c.payload["assistant_id"] == "asst_real" for c in others)
    assert all(c.payload.get("assistant_id") != "asst_real" for c in about)


def test_no_registration_leaves_the_plan_alone():
    plan = boundary_plan()
    assert with_registered_ids(plan, FieldRegistry()) == plan


def test_loader_imports_the_folder(tmp_path):
    (tmp_path / "ids.py").write_text(
        "from hypothesis import strategies as st\n"
        "from runcontract.strategies import register_field\n"
        "register_field('model', st.just('gpt-loaded'))\n"
    )
    (tmp_path / "_private.py").write_text("raise RuntimeError('not loaded')\n")
    from runcontract.strategies import current_registry

    try:
        assert load_registrations(tmp_path) == [str(tmp_path / "ids.py")]
        assert current_registry().get("model") is not None
    finally:
        current_registry().unregister("model")
    assert load_registrations(tmp_path / "missing") == []


def test_loader_reports_a_broken_module_in_one_line(tmp_path):
    (tmp_path / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(UsageError, match=r"broken\.py failed to load: ModuleNotFoundError"):
        load_registrations(tmp_path)
