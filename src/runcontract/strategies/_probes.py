"""Probes real servers need, sent after the boundary plan: one entry per probe class.

The classes that concern one constraint (``enum-variant``, ``foreign-value``,
``lax-coercion``) are methods of that keyword's rule (``_rules``,
``Rule.probes``); the ones on number fields, the query and the request itself
are functions here.

The boundary plan puts every limit at, inside and past its edge; these are the
values real implementations get wrong beside the limits (seen on mocks, clones
and validating servers of this endpoint):

- ``enum-variant``: every member of every enum and union tag in upper case,
  title case and with surrounding whitespace (a server that lower-cases or
  strips before comparing accepts them), labelled ``enum-near-miss`` like the
  plan's own near misses;
- ``foreign-value``: the values a property of the same name takes elsewhere
  (other APIs of the loaded document, the other contract version): another
  API's tool types, roles, rankers;
- ``lax-coercion``: ``"1"`` for a number, ``0``/``"true"`` for a boolean, a
  number for a string, a lone item for an array (model layers that coerce);
- ``non-finite``: NaN and infinities in every number field (not JSON: a 400);
- ``edge-number``: ``-0.0`` where zero is valid, ``1e400`` (a JSON number no
  double holds) where a maximum applies;
- ``integral-float``: ``256.0`` for an integer field, an integer in JSON Schema;
- ``include``: the one documented ``include[]`` value, an unknown one, the
  parameter repeated;
- ``body``: bytes that are not UTF-8, a cut-off body, an empty one, one NUL
  byte, a byte-order mark, a duplicate key, 1,000 nested arrays, a valid
  body of about 1 MB (constraints ``body.*``, ``Catalogue.requests``);
- ``headers``: no Content-Type or text/plain, charset=latin-1 with latin-1
  bytes, no OpenAI-Beta or ``assistants=v9``, no Authorization (401).

Each case is checked against the contract's validator, so its verdict is the
contract's: an invalid probe breaks exactly the constraint it names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from .._core import Case
from .._errors import UsageError
from ..contract import (
    JSON_NUMBER,
    Constraint,
    Contract,
    Schema,
    number_fields,
)
from ._minimal import minimal_instance
from ._rules import rule_for

__all__ = ["PROBE_CLASSES", "probe_plan"]

INCLUDE_PARAM = "include[]"


def _invalid(contract: Contract, c: Constraint, payload: Any, label: str, **extra: Any) -> Iterator[Case]:
    if [v.constraint for v in contract.validate(payload)] == [c.id]:
        yield Case(payload, expected="invalid", constraint=c.id, label=label, origin="probe", covers=(c.id,), **extra)


def _per_constraint(kind: str) -> Callable[[Contract], Iterator[Case]]:
    """A probe class that a keyword's rule knows (``Rule.probes``): its candidates for every constraint."""

    def probes(contract: Contract) -> Iterator[Case]:
        for c in contract.catalogue:
            for payload, label in rule_for(c).probes(contract, c, kind):
                yield from _invalid(contract, c, payload, label)

    probes.__name__ = kind.replace("-", "_")
    return probes


def _number_fields(contract: Contract) -> list[tuple[str, Schema]]:
    return number_fields(contract.request_schema)


def non_finite(contract: Contract) -> Iterator[Case]:
    if JSON_NUMBER not in contract.catalogue:
        return
    c = contract.catalogue[JSON_NUMBER]
    base = minimal_instance(contract.request_schema)
    for name, _branch in _number_fields(contract):
        for value in (math.nan, math.inf, -math.inf):
            yield from _invalid(contract, c, {**base, name: value}, "non-finite")


def edge_numbers(contract: Contract) -> Iterator[Case]:
    base = minimal_instance(contract.request_schema)
    for name, branch in _number_fields(contract):
        if branch.get("type") == "number":
            payload = {**base, name: -0.0}
            if contract.is_valid(payload):
                yield Case(payload, expected="valid", label="edge-number", origin="probe")
        if "maximum" in branch:
            # 1e400 is a JSON number past every double: the body must carry the token itself.
            payload = {**base, name: math.inf}
            body = _encode({**base, name: "__RUNCONTRACT_HUGE__"}).replace(b'"__RUNCONTRACT_HUGE__"', b"1e400")
            violations = [v.constraint for v in contract.validate({**base, name: 10.0**308})]
            if len(violations) == 1:
                yield Case(
                    payload,
                    expected="invalid",
                    constraint=violations[0],
                    label="edge-number",
                    origin="probe",
                    covers=(violations[0],),
                    body=body,
                )


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def integral_floats(contract: Contract) -> Iterator[Case]:
    base = minimal_instance(contract.request_schema)
    for name, branch in _number_fields(contract):
        if branch.get("type") != "integer":
            continue
        for value in dict.fromkeys(
            float(v) for v in (branch.get("minimum", 1), branch.get("maximum")) if v is not None
        ):
            payload = {**base, name: value}
            if contract.is_valid(payload):
                yield Case(payload, expected="valid", constraint=f"{name}.type", label="integral-float", origin="probe")


def include_param(contract: Contract) -> Iterator[Case]:
    values = contract.endpoint.include_values
    if not values:
        return
    base = minimal_instance(contract.request_schema)
    yield Case(base, expected="valid", label="include", origin="probe", query={INCLUDE_PARAM: [values[0]]})
    yield Case(base, expected="valid", label="include", origin="probe", query={INCLUDE_PARAM: [values[0], values[0]]})
    yield Case(
        base,
        expected="invalid",
        constraint=INCLUDE_PARAM,
        label="include",
        origin="probe",
        query={INCLUDE_PARAM: ["step_details.no_such_field"]},
    )


def _request_case(cid: str, payload: Any, *, body: bytes | None = None, **extra: Any) -> Case:
    """A probe of the request itself: labelled with its constraint id, so one crash class is one finding."""
    return Case(
        payload, expected="invalid", constraint=cid, label=cid, origin="probe", covers=(cid,), body=body, **extra
    )


def body_probes(contract: Contract) -> Iterator[Case]:
    """Bodies that are not (good) JSON; ``payload`` says what the bytes hold, for reports."""
    base = minimal_instance(contract.request_schema)
    text = _encode(base)
    yield replace(
        _request_case("body.utf8", "<bytes that are not UTF-8>", body=b'{"assistant_id": "asst_\xff\xfe"}'),
    )
    if "type" in contract.catalogue:  # null, a number, a string, an array as the whole body
        for whole in ([], None, 1, "a", [base]):
            yield from _invalid(contract, contract.catalogue["type"], whole, "not-object")
    yield _request_case("body.truncated", "<JSON cut off mid-value>", body=text[: max(len(text) // 2, 1)])
    yield _request_case("body.empty", "<empty body>", body=b"")
    yield _request_case("body.nul", "<one NUL byte>", body=b"\x00")
    yield _request_case("body.bom", "<UTF-8 byte-order mark, then the JSON>", body=b"\xef\xbb\xbf" + text)
    first = next(iter(base), "assistant_id")
    duplicate = text[:-1] + b", " + json.dumps(first).encode() + b": 1}"
    yield _request_case("body.duplicate-keys", f"<{first} given twice, the second time as 1>", body=duplicate)
    deep = b"[" * 1000 + b"]" * 1000
    yield _request_case(
        "body.deep",
        "<1,000 nested arrays as a metadata value>",
        body=text[:-1] + b', "metadata": {"k": ' + deep + b"}}",
    )
    name = next(
        (n for n, sub in contract.request_schema.get("properties", {}).items() if _free_string(sub) and n != first),
        None,
    )
    if name is not None:
        big = {**base, name: "a" * (1_000_000 - len(text) - len(name) - 8)}
        if contract.is_valid(big):
            yield Case(
                big,
                expected="valid",
                constraint="body.at-cap",
                label="body.at-cap",
                origin="probe",
                covers=("body.at-cap",),
            )


def _free_string(schema: Schema) -> bool:
    branches = schema.get("anyOf") or [schema]
    return any(b.get("type") == "string" and len(b) == 1 for b in branches)


def header_probes(contract: Contract) -> Iterator[Case]:
    """Headers a broken client sends (or leaves out), on a valid body."""
    base = minimal_instance(contract.request_schema)
    for content_type in (None, "text/plain"):
        yield _request_case("header.content-type", base, headers={"Content-Type": content_type})
    latin = {**base, "assistant_id": "asst_\u00e9"}
    yield replace(
        _request_case(
            "header.charset",
            latin,
            body=json.dumps(latin, ensure_ascii=False).encode("latin-1"),
            headers={"Content-Type": "application/json; charset=latin-1"},
        ),
        label="body.utf8",  # the same bytes as body.utf8's: one crash class
    )
    for beta in (None, "assistants=v9"):
        yield _request_case("header.openai-beta", base, headers={"OpenAI-Beta": beta})
    yield _request_case("header.authorization", base, headers={"Authorization": None})


PROBE_CLASSES: dict[str, Callable[[Contract], Iterator[Case]]] = {
    "enum-variant": _per_constraint("enum-variant"),
    "foreign-value": _per_constraint("foreign-value"),
    "lax-coercion": _per_constraint("lax-coercion"),
    "non-finite": non_finite,
    "edge-number": edge_numbers,
    "integral-float": integral_floats,
    "include": include_param,
    "body": body_probes,
    "headers": header_probes,
}


def probe_plan(contract: Contract, *, probes: Sequence[str] | None = None) -> list[Case]:
    """The probe cases of ``probes`` (default: every class of ``PROBE_CLASSES``), in class order, deduplicated."""
    names = list(PROBE_CLASSES) if probes is None else list(probes)
    unknown = [n for n in names if n not in PROBE_CLASSES]
    if unknown:
        raise UsageError(f"unknown probe {unknown[0]!r} (expected one of: {', '.join(PROBE_CLASSES)})")
    out: list[Case] = []
    seen: set[tuple[str, ...]] = set()
    for name in names:
        for case in PROBE_CLASSES[name](contract):
            key = (
                repr(case.payload),
                repr(sorted(case.query.items())),
                case.expected,
                repr(case.body),
                repr(case.headers),
            )
            if key not in seen:
                seen.add(key)
                out.append(case)
    return out
