"""Writing reports to files: atomically, and always encodable as UTF-8.

Fuzzed payloads hold lone surrogates on purpose, which UTF-8 cannot encode:
each writer escapes them itself (``\\udXXX``), so no caller needs a fallback.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..contract import Contract
    from ._model import Report

__all__ = ["atomic_write", "printable", "write_reports"]


def printable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX``: UTF-8 output cannot carry them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Write through a temporary file and a rename, so an interrupted run never leaves half a report."""
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = f"{target}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):  # the write failed: leave no temporary file behind
            os.unlink(tmp)


def write_reports(
    report: Report,
    *,
    json: str | os.PathLike[str] | None = None,
    junit: str | os.PathLike[str] | None = None,
    html: str | os.PathLike[str] | None = None,
    contract: Contract | None = None,
) -> None:
    """Write each report that has a path: JSON, JUnit XML, HTML (``contract`` lists every constraint in it)."""
    # Imported here: _model imports this module for atomic_write.
    from ._html import write_html
    from ._junit import write_junit

    if json:
        report.write_json(json)
    if junit:
        write_junit(report, junit)
    if html:
        write_html(report, html, contract)
