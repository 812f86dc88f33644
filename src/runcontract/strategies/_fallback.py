"""The optional fallback for schema nodes the walker does not know: hypothesis-jsonschema.

It is an extra (``pip install runcontract[jsonschema]``) because it caps
Hypothesis: 0.23.1 fails on Hypothesis 6.170.10 and newer. It is used only
where it is installed and works with the installed Hypothesis; otherwise a node
the walker cannot build is a one-line error naming its keywords.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any

from hypothesis import strategies as st

from .._errors import UsageError

__all__ = ["fallback", "fallback_available"]

Schema = dict[str, Any]
# The first Hypothesis release hypothesis-jsonschema <= 0.23.1 breaks on.
_BROKEN_FROM = (6, 170, 10)
_LAST_BROKEN_HJS = (0, 23, 1)


def _version(dist: str) -> tuple[int, ...] | None:
    try:
        raw = metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
    parts: list[int] = []
    for piece in raw.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@lru_cache(maxsize=1)
def fallback_available() -> bool:
    """hypothesis-jsonschema is importable and known to work with this Hypothesis."""
    hjs, hyp = _version("hypothesis-jsonschema"), _version("hypothesis")
    if hjs is None or hyp is None:
        return False
    if hjs <= _LAST_BROKEN_HJS and hyp >= _BROKEN_FROM:
        return False
    try:
        import hypothesis_jsonschema  # noqa: F401
    except ImportError:
        return False
    return True


def fallback(node: Schema, unknown: list[str], where: str) -> st.SearchStrategy[Any]:
    """hypothesis-jsonschema for ``node`` (slow: for that node only), or a UsageError naming ``unknown``."""
    if not fallback_available():
        at = f" at {where}" if where else ""
        raise UsageError(
            f"the schema node{at} uses {', '.join(unknown)}, which runcontract's generator does not know; "
            "install runcontract[jsonschema] (hypothesis-jsonschema, with a Hypothesis it works with) "
            "for a fallback"
        )
    from hypothesis_jsonschema import from_schema

    return from_schema(node)
