"""Reports: JSON, JUnit XML, HTML and curl reproduction lines."""

from .._core import Coverage, Failure, Report, curl_line, payload_size
from ._html import to_html, write_html
from ._junit import to_junit, write_junit

__all__ = [
    "Coverage",
    "Failure",
    "Report",
    "curl_line",
    "payload_size",
    "to_html",
    "to_junit",
    "write_html",
    "write_junit",
]
