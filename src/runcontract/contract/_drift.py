"""Drift: where the published document, the bundled contract, the SDK and the other version disagree.

Four sources are set beside each other, field by field (the catalogue's dotted
names, so rows carry catalogue ids): the bundled contract, the loaded OpenAPI
document (as written, and as normalised by ``_schema``), the installed SDK's
request types (``_sdk``), and the bundled contract of the other version. Each
difference is a :class:`DriftRow` saying what each source says and what a
server or client built from one source alone gets wrong. A report, not a
verdict: ``runcontract drift`` exits 0 unless ``--fail-on`` names a kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .._errors import UsageError
from ._model import VERSIONS, Contract, load_contract
from ._openapi import _find_operation, _resolver, extract_create_run, read_document
from ._overlays import DEFAULT_OVERLAYS
from ._schema import NULL, Schema

__all__ = ["KINDS", "DriftReport", "DriftRow", "drift"]

# kind -> what it means (README and --help list these)
KINDS = {
    "prose-only-limit": "a limit the document states only in a description, not in a schema keyword",
    "openapi-3.0-keyword": "an OpenAPI 3.0 keyword (nullable, x-stainless-const) in a document that says 3.1",
    "inapplicable-keyword": "a keyword that cannot apply where it stands (required beside items on an array)",
    "missing-field": "a field one source has and the other does not",
    "required-mismatch": "required in one source, optional in the other",
    "nullable-mismatch": "nullable in one source, not in the other",
    "enum-mismatch": "the allowed literal values differ",
    "type-mismatch": "the JSON types allowed differ",
    "version-only": "a field or literal value in one contract version only",
    "undocumented-status": "an answer the contract gives that the document does not list",
    "prose-only-media-type": "a content type the document states only in prose",
}

_STATUSES = {
    "200": "the Run (or, for stream: true, its event stream)",
    "400": "the contract's error body for an invalid request",
    "401": "the error body for missing or refused credentials",
    "429": "rate limited, with Retry-After",
}


@dataclass(frozen=True)
class DriftRow:
    """One difference: its kind, the constraint and pointers it concerns, each source's word, the consequence."""

    kind: str
    field: str
    constraint: str | None
    pointers: tuple[str, ...]
    sources: dict[str, Any]
    consequence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "field": self.field,
            "constraint": self.constraint,
            "pointers": list(self.pointers),
            "sources": self.sources,
            "consequence": self.consequence,
        }


@dataclass
class DriftReport:
    contract: str
    compared: dict[str, str]
    rows: list[DriftRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def kinds(self) -> set[str]:
        return {r.kind for r in self.rows}

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "compared": self.compared,
            "notes": self.notes,
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_markdown(self) -> str:
        lines = [f"# Drift: {self.contract}", ""]
        lines += [f"Compared: {', '.join(f'{k} ({v})' for k, v in self.compared.items())}.", ""]
        lines += [f"- note: {n}" for n in self.notes]
        lines += ["", "| kind | field | constraint | sources | consequence |", "| --- | --- | --- | --- | --- |"]
        for r in self.rows:
            said = "; ".join(f"{k}: {_text(v)}" for k, v in r.sources.items())
            cells = [r.kind, f"`{r.field or '-'}`", f"`{r.constraint}`" if r.constraint else "-", said, r.consequence]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
        lines.append(f"{len(self.rows)} difference(s).")
        return "\n".join(lines)

    def to_text(self) -> str:
        out = [f"drift: {self.contract}; compared {', '.join(self.compared)}"]
        out += [f"note: {n}" for n in self.notes]
        for r in self.rows:
            out.append(f"\n[{r.kind}] {r.field or '-'}" + (f" ({r.constraint})" if r.constraint else ""))
            out += [f"  {k}: {_text(v)}" for k, v in r.sources.items()]
            if r.pointers:
                out.append(f"  at: {', '.join(r.pointers[:5])}" + (" ..." if len(r.pointers) > 5 else ""))
            out.append(f"  so: {r.consequence}")
        out.append(f"\n{len(self.rows)} difference(s)")
        return "\n".join(out)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


# --------------------------------------------------------------- field facts


@dataclass
class _Facts:
    """What a schema says of one dotted field path, over all union branches."""

    types: set[str] = field(default_factory=set)
    enum: set[str] | None = None  # JSON texts of the allowed literals (None: not an enum anywhere)
    nullable: bool = False
    required: set[bool] = field(default_factory=set)


def _facts(schema: Schema) -> dict[str, _Facts]:
    out: dict[str, _Facts] = {}

    def branches(node: Schema) -> Iterator[Schema]:
        for key in ("anyOf", "oneOf"):
            if key in node:
                for b in node[key]:
                    yield from branches(b)
                return
        yield node

    def visit(node: Schema, fp: str, required: bool | None) -> None:
        facts = out.setdefault(fp, _Facts())
        if required is not None:
            facts.required.add(required)
        for b in branches(node):
            if b == NULL:
                facts.nullable = True
                continue
            if isinstance(b.get("type"), str):
                facts.types.add(b["type"])
            if "enum" in b:
                facts.enum = (facts.enum or set()) | {json.dumps(v) for v in b["enum"]}
            needed = set(b.get("required", ()))
            for name, sub in b.get("properties", {}).items():
                visit(sub, f"{fp}.{name}" if fp else name, name in needed)
            if isinstance(b.get("items"), dict) and b["items"]:
                visit(b["items"], f"{fp}.items" if fp else "items", None)
            extra = b.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                visit(extra, f"{fp}.values" if fp else "values", None)

    visit(schema, "", None)
    out.pop("", None)
    return out


def _compare(left: Schema, right: Schema, names: tuple[str, str], contract: Contract) -> Iterator[DriftRow]:
    """Rows for each field where ``left`` and ``right`` (canonical request schemas) differ."""
    a, b = _facts(left), _facts(right)
    ln, rn = names
    for fp in sorted(set(a) | set(b)):
        if fp not in a or fp not in b:
            parent = fp.rsplit(".", 1)[0] if "." in fp else ""
            if parent and (parent not in a or parent not in b):
                continue  # the parent is already the row
            has, lacks = (ln, rn) if fp in a else (rn, ln)
            yield DriftRow(
                "missing-field",
                fp,
                _cid(contract, fp, "type"),
                (),
                {has: "has it", lacks: "no such field"},
                f"a side built from {lacks} cannot send or accept {fp}; one built from {has} sends it "
                f"to a peer that {'refuses unknown fields' if lacks != 'sdk' else 'has no parameter for it'}",
            )
            continue
        x, y = a[fp], b[fp]
        if x.required != y.required and x.required and y.required:
            yield DriftRow(
                "required-mismatch",
                fp,
                _cid(contract, fp, "required"),
                (),
                {ln: _req(x), rn: _req(y)},
                f"a client built from the side where {fp} is optional leaves it out, and a server built from "
                "the other refuses that request",
            )
        if x.nullable != y.nullable:
            yield DriftRow(
                "nullable-mismatch",
                fp,
                _cid(contract, fp, "type"),
                (),
                {ln: "nullable" if x.nullable else "not nullable", rn: "nullable" if y.nullable else "not nullable"},
                f"null for {fp} is sent by one side and refused by the other",
            )
        if x.enum != y.enum and x.enum is not None and y.enum is not None:
            only_x, only_y = sorted(x.enum - y.enum), sorted(y.enum - x.enum)
            yield DriftRow(
                "enum-mismatch",
                fp,
                _cid(contract, fp, "enum"),
                (),
                {ln: f"also allows {', '.join(only_x) or 'nothing more'}", rn: f"also allows {', '.join(only_y)}"},
                f"a value of {fp} one side allows is refused by the other",
            )
        if x.types != y.types and x.types and y.types and not _numbers_agree(x.types, y.types):
            yield DriftRow(
                "type-mismatch",
                fp,
                _cid(contract, fp, "type"),
                (),
                {ln: sorted(x.types), rn: sorted(y.types)},
                f"a {fp} of a type one side allows is refused by the other",
            )


def _numbers_agree(x: set[str], y: set[str]) -> bool:
    # An SDK's int where the contract says number (or the reverse) serialises the same JSON.
    return {"number" if t == "integer" else t for t in x} == {"number" if t == "integer" else t for t in y}


def _req(facts: _Facts) -> str:
    return "required" if facts.required == {True} else "optional" if facts.required == {False} else "required in some"


def _cid(contract: Contract, fp: str, keyword: str) -> str | None:
    cid = f"{fp}.{keyword}"
    return cid if cid in contract.catalogue else None


# ----------------------------------------------------------- the document


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{pointer}/{_escape(k)}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{pointer}/{i}")


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _deref(doc: dict[str, Any], node: Any) -> Any:
    """``node``, or what its lone ``$ref`` points at (requestBody and responses may be refs)."""
    resolve = _resolver(doc, "the document")
    while isinstance(node, dict) and set(node) == {"$ref"}:
        node = resolve(node["$ref"])
    return node


def _field_map(doc: dict[str, Any], root: Any, root_pointer: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every schema node reachable from ``root`` (refs followed): JSON pointer -> (dotted field, node).

    The field is the catalogue's naming (``items`` for array items, ``values`` for map values),
    so a row on a raw document node names the field a reader of the contract knows.
    """
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    resolve = _resolver(doc, "the document")

    def visit(node: Any, field: str, pointer: str) -> None:
        if not isinstance(node, dict) or pointer in out:
            return
        out[pointer] = (field, node)
        ref = node.get("$ref")
        if isinstance(ref, str):
            visit(resolve(ref), field, ref[1:])
        for name, sub in (node.get("properties") or {}).items():
            visit(sub, f"{field}.{name}" if field else str(name), f"{pointer}/properties/{_escape(name)}")
        for key, step in (("items", "items"), ("additionalProperties", "values")):
            if isinstance(node.get(key), dict):
                visit(node[key], f"{field}.{step}" if field else step, f"{pointer}/{key}")
        for key in ("anyOf", "oneOf", "allOf"):
            for i, sub in enumerate(node.get(key) or ()):
                visit(sub, field, f"{pointer}/{key}/{i}")

    visit(root, "", root_pointer)
    return out


def _nullable_shape(node: dict[str, Any], pointer: str) -> str | None:
    if node.get("nullable") is not True:
        return None
    if "$ref" in node:
        return "beside $ref"
    if pointer.rsplit("/", 2)[-2] == "allOf":
        return "allOf: [{$ref}, {nullable: true}]"
    return "beside type"


def _document_rows(doc: dict[str, Any], contract: Contract) -> Iterator[DriftRow]:
    located = _find_operation(doc)
    if located is None:
        return
    op_path, operation = located
    op_pointer = f"/paths/{_escape(op_path)}/post"
    body = _deref(doc, operation.get("requestBody"))
    media = next((m for m in (body.get("content") or {}) if "json" in m), None) if isinstance(body, dict) else None
    request = body["content"][media].get("schema") if media else None
    fields = _field_map(doc, request, f"{op_pointer}/requestBody/content/{_escape(media)}/schema")
    shapes: dict[str, list[str]] = {}
    shapes_here: dict[str, list[str]] = {}
    consts: list[str] = []
    for pointer, node in _walk(doc):
        if not isinstance(node, dict):
            continue
        shape = _nullable_shape(node, pointer)
        if shape:
            shapes.setdefault(shape, []).append(pointer)
            if pointer in fields:
                shapes_here.setdefault(shape, []).append(pointer)
        if node.get("x-stainless-const") is True:
            consts.append(pointer)
    version = str(doc.get("openapi", ""))
    for shape in ("beside type", "allOf: [{$ref}, {nullable: true}]", "beside $ref"):
        found = shapes.get(shape, [])
        if not found:
            continue
        here = shapes_here.get(shape, [])
        yield DriftRow(
            "openapi-3.0-keyword",
            "",
            None,
            tuple(here or found),
            {
                "document": f"openapi: {version}; nullable: true {shape}: {len(found)} in the document, "
                f"{len(here)} in createRun's request schemas",
                "normalised": "anyOf [X, {type: null}]",
            },
            "a 3.1 tool ignores `nullable` (3.1 has no such keyword): it refuses a null the document means "
            "to allow" + (", and a null beside $ref is ignored even by 3.0 tools" if shape == "beside $ref" else ""),
        )
    if consts:
        yield DriftRow(
            "openapi-3.0-keyword",
            "",
            None,
            tuple(consts),
            {"document": f"x-stainless-const: {len(consts)} one-element enums", "normalised": "enum [value]"},
            "a tool that does not know the extension reads each as an open enum of one value (it still works)",
        )
    # Keywords that cannot apply where they stand, in createRun's request schemas.
    owners = {"required": "object", "properties": "object", "items": "array", "maxItems": "array"}
    for pointer, (fp, node) in fields.items():
        if node.get("type") not in ("array", "object", "string"):
            continue
        for keyword, owner in owners.items():
            if keyword in node and owner != node["type"]:
                yield DriftRow(
                    "inapplicable-keyword",
                    fp,
                    None,
                    (pointer,),
                    {
                        "document": f"{keyword}: {_text(node[keyword])} on a {node['type']}",
                        "normalised": "dropped (it can never fail there)",
                    },
                    f"a reader who moves `{keyword}` to where it was surely meant (the items) is stricter "
                    "than the document read as JSON Schema, and refuses requests the document allows",
                )
    documented = {str(k) for k in (operation.get("responses") or {})}
    for status, meaning in _STATUSES.items():
        if status not in documented:
            yield DriftRow(
                "undocumented-status",
                "",
                None,
                (f"{op_pointer}/responses",),
                {
                    "document": f"responses: {', '.join(sorted(documented)) or 'none'}",
                    "contract": f"{status}: {meaning}",
                },
                f"a client generated from the document has no type for the {status} answer; a conformance "
                f"tool that trusts the document calls every {status} undocumented",
            )
    ok = _deref(doc, (operation.get("responses") or {}).get("200")) or {}
    media = sorted((ok.get("content") or {}) if isinstance(ok, dict) else {})
    if "text/event-stream" not in media:
        yield DriftRow(
            "prose-only-media-type",
            "stream",
            _cid(contract, "stream", "type"),
            (f"{op_pointer}/responses/200/content",),
            {"document": f"200 content: {', '.join(media)}; the event stream only in the description of stream"},
            "a client or validator generated from the document expects JSON for stream: true and fails on "
            "the text/event-stream answer",
        )


def _prose_rows(contract: Contract) -> Iterator[DriftRow]:
    for c in contract.catalogue:
        if c.source != "prose":
            continue
        # metadata.keys / metadata.values are added by the overlay on metadata itself.
        owner = c.field.rsplit(".", 1)[0] if c.field.endswith((".keys", ".values")) else c.field
        said = next((o.prose for o in DEFAULT_OVERLAYS if o.matches(owner)), "")
        yield DriftRow(
            "prose-only-limit",
            c.field,
            c.id,
            (c.pointer or "/",),
            {"document": f"only in a description: {said!r}", "contract": f"{c.keyword}: {_text(c.limit)}"},
            f"a server or client generated from the document's schemas alone accepts {c.field or 'the value'} "
            f"past {c.keyword} {_text(c.limit)}",
        )


def drift(
    contract: Contract | None = None,
    *,
    spec: str | None = None,
    sdk: str | None = "openai",
    other_version: bool = True,
) -> DriftReport:
    """Compare ``contract`` (default: bundled v2) with the document ``spec``, the ``sdk`` and the other version.

    Rows come in that order: the document (prose-only limits, 3.0 keywords,
    inapplicable keywords, normalised schema vs bundled, answers and content
    types it leaves out), the SDK, the other version. ``sdk=None`` skips the SDK.
    """
    contract = contract if contract is not None else load_contract()
    bundled = load_contract(version=contract.version) if not contract.source.startswith("bundled:") else contract
    report = DriftReport(contract=f"{contract.version} ({contract.source})", compared={"bundled": bundled.source})
    if spec is not None:
        doc = read_document(spec)
        report.compared["document"] = str(spec)
        loaded = load_contract(spec, version=bundled.version)
        report.rows += list(_prose_rows(loaded))
        report.rows += list(_document_rows(doc, bundled))
        normalised = extract_create_run(doc, str(spec)).request
        report.rows += list(_compare(bundled.request_schema, normalised, ("bundled", "document"), bundled))
    if sdk is not None:
        from ._sdk import SdkUnavailable, sdk_request

        try:
            found = sdk_request(sdk)
        except SdkUnavailable as exc:
            report.notes.append(str(exc))
        else:
            report.compared["sdk"] = found.name
            report.rows += list(_compare(bundled.request_schema, found.schema, ("bundled", "sdk"), bundled))
            include = tuple(bundled.endpoint.include_values)
            if found.include is not None and set(found.include) != set(include):
                report.rows.append(
                    DriftRow(
                        "enum-mismatch",
                        "include[]",
                        None,
                        (),
                        {"bundled": list(include), "sdk": list(found.include)},
                        "an include[] value one side allows is refused by the other",
                    )
                )
            if found.unread:
                report.notes.append(f"SDK annotations read as 'any': {', '.join(found.unread)}")
    if other_version:
        other = load_contract(version=next(v for v in VERSIONS if v != bundled.version))
        report.compared["other_version"] = other.source
        for row in _compare(bundled.request_schema, other.request_schema, (bundled.version, other.version), bundled):
            report.rows.append(
                DriftRow(
                    "version-only",
                    row.field,
                    row.constraint,
                    row.pointers,
                    row.sources,
                    f"({row.kind}) a {other.version} client or server talking to a {bundled.version} peer: "
                    + row.consequence,
                )
            )
    return report


def parse_kinds(text: str) -> set[str]:
    """``--fail-on KIND[,KIND]``: a UsageError naming an unknown kind."""
    kinds = {k.strip() for k in text.split(",") if k.strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown or not kinds:
        raise UsageError(f"--fail-on: unknown kind {', '.join(unknown) or repr(text)} (kinds: {', '.join(KINDS)})")
    return kinds
