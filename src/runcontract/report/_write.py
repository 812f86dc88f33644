"""Writing reports to files: atomically, and always encodable as UTF-8.

Fuzzed payloads hold lone surrogates on purpose, which UTF-8 cannot encode:
each writer escapes them itself (``\\udXXX``), so no caller needs a fallback.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .._core import Report, atomic_write

if TYPE_CHECKING:
    from ..contract import Contract

__all__ = ["atomic_write", "printable", "write_reports"]


def printable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX``: UTF-8 output cannot carry them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_reports(
    report: Report,
    *,
    json: str | os.PathLike[str] | None = None,
    junit: str | os.PathLike[str] | None = None,
    html: str | os.PathLike[str] | None = None,
    contract: Contract | None = None,
) -> None:
    """Write each report that has a path: JSON, JUnit XML, HTML (``contract`` lists every constraint in it)."""
    from ._html import write_html
    from ._junit import write_junit

    if json:
        report.write_json(json)
    if junit:
        write_junit(report, junit)
    if html:
        write_html(report, html, contract)
