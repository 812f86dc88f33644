"""Reports: JSON, JUnit XML, HTML, console output and curl reproduction lines."""

from .._core import Coverage, Failure, Report, curl_line, payload_size
from ._console import Progress, failure_lines, print_comparison, print_replay, print_summary
from ._html import comparison_html, to_html, write_html
from ._junit import to_junit, write_junit
from ._write import printable, write_reports

__all__ = [
    "Coverage",
    "Failure",
    "Progress",
    "Report",
    "comparison_html",
    "curl_line",
    "failure_lines",
    "payload_size",
    "print_comparison",
    "print_replay",
    "print_summary",
    "printable",
    "to_html",
    "to_junit",
    "write_html",
    "write_junit",
    "write_reports",
]
