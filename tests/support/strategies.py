"""Hypothesis-style helpers for testing strategies (after Hypothesis's own tests/common/debug.py).

Each runs one quiet, derandomized search with no database, so a test reads as
what it claims: some example satisfies a condition (``find_any``), the simplest
one looks like this (``minimal``), every example satisfies a predicate
(``assert_all_examples``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

__all__ = ["assert_all_examples", "draw_many", "find_any", "minimal"]

T = TypeVar("T")


def quiet(max_examples: int, *, shrink: bool = False) -> settings:
    return settings(
        max_examples=max_examples,
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def _always(_: Any) -> bool:
    return True


def find_any(
    strategy: st.SearchStrategy[T], condition: Callable[[T], bool] = _always, *, max_examples: int = 2000
) -> T:
    """The first example satisfying ``condition``, unshrunk; fails the test (``NoSuchExample``) if none does."""
    return find(strategy, condition, settings=quiet(max_examples))


def minimal(strategy: st.SearchStrategy[T], condition: Callable[[T], bool] = _always, *, max_examples: int = 2000) -> T:
    """The example satisfying ``condition`` that Hypothesis shrinks to."""
    return find(strategy, condition, settings=quiet(max_examples, shrink=True))


def assert_all_examples(
    strategy: st.SearchStrategy[T], predicate: Callable[[T], Any], *, max_examples: int = 100
) -> None:
    """Every one of ``max_examples`` examples satisfies ``predicate`` (which may also assert itself)."""

    @quiet(max_examples)
    @given(strategy)
    def check(value: T) -> None:
        result = predicate(value)
        assert result is None or result, f"{value!r:.300} fails the predicate"

    check()


def draw_many(strategy: st.SearchStrategy[T], n: int) -> list[T]:
    """``n`` examples from one derandomized run (for statistics over a sample)."""
    out: list[T] = []

    @quiet(n)
    @given(strategy)
    def collect(value: T) -> None:
        out.append(value)

    collect()
    return out
