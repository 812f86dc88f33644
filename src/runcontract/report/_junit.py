"""JUnit XML: one test case per check, a failure element per disagreement."""

from __future__ import annotations

import json
import os
import re
from xml.etree import ElementTree as ET

from .._core import Report, atomic_write

__all__ = ["to_junit", "write_junit"]

# Characters XML 1.0 cannot hold, even as references: controls, lone surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def to_junit(report: Report) -> str:
    suite = ET.Element(
        "testsuite",
        name="runcontract",
        tests=str(max(len(report.checks), 1)),
        failures=str(len({f.check for f in report.failures})),
        time=f"{report.duration_s:.3f}",
    )
    ET.SubElement(suite, "properties").extend(
        [
            ET.Element("property", name="target", value=report.target),
            ET.Element("property", name="contract", value=report.contract),
            ET.Element("property", name="seed", value=str(report.seed)),
        ]
    )
    findings = report.findings()
    for check in report.checks or ["contract"]:
        case = ET.SubElement(suite, "testcase", classname="runcontract", name=check)
        # One <failure> per finding (root cause), its example in the text.
        for finding in (f for f in findings if f.check == check):
            failure = finding.example
            element = ET.SubElement(case, "failure", message=finding.summary[:500], type=failure.check)
            element.text = "\n".join(
                [
                    f"constraints: {', '.join(finding.constraints) or '-'}",
                    f"failures: {finding.count}; first seen at request {finding.first_request}",
                    f"example: {failure.constraint or '-'}: {failure.message}",
                    f"status: {failure.status}",
                    f"thread_id: {failure.thread_id}",
                    f"payload: {json.dumps(failure.payload, ensure_ascii=False, default=str)[:4000]}",
                    f"response: {failure.response_excerpt}",
                    f"reproduce: {failure.curl}",
                ]
            )
    if report.aborted:
        run = ET.SubElement(suite, "testcase", classname="runcontract", name="run")
        ET.SubElement(run, "error", message=report.aborted)
    # ElementTree writes such characters as they are, which no XML parser reads back.
    return _NOT_XML.sub(_escape_char, ET.tostring(suite, encoding="unicode", xml_declaration=True))


def write_junit(report: Report, path: str | os.PathLike[str]) -> None:
    atomic_write(path, to_junit(report))
