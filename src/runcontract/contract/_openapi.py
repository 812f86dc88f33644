"""Load an OpenAPI 3.0/3.1 document and extract the createRun operation."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from .._errors import ContractError
from ._schema import Schema, canonicalise

__all__ = ["Extracted", "enum_values_by_property", "extract_create_run", "read_document"]

_PATH_SUFFIX = "/threads/{thread_id}/runs"


def read_document(spec: str | os.PathLike[str], *, timeout: float = 15.0) -> dict[str, Any]:
    """Read and parse a document from a path or an http(s) URL."""
    name = os.fspath(spec)
    if name.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(name, timeout=timeout) as answer:  # noqa: S310 - the user's own URL
                text = answer.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ContractError(f"cannot fetch spec {name}: {reason}") from None
        return _parse(text, name)
    try:
        stat = os.stat(name)
    except OSError as exc:
        raise ContractError(f"cannot read spec {name}: {exc.strerror or exc}") from None
    return _parse_file(name, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _parse_file(name: str, mtime_ns: int, size: int) -> dict[str, Any]:
    # Keyed on mtime and size so an edited file is read again; parsing the
    # published document takes seconds, so a test session parses it once.
    try:
        with open(name, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read spec {name}: {exc}") from None
    return _parse(text, name)


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        if text.lstrip().startswith("{"):
            doc = json.loads(text)
        else:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ContractError(f"spec {name} is not valid YAML or JSON: {first}") from None
    if not isinstance(doc, dict):
        raise ContractError(f"spec {name} is not an OpenAPI document (top level is not a mapping)")
    version = str(doc.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        found = f"openapi: {version}" if version else ("swagger 2" if "swagger" in doc else "no 'openapi' field")
        raise ContractError(f"spec {name} is not OpenAPI 3.0 or 3.1 ({found})")
    return doc


@dataclass(frozen=True)
class Extracted:
    request: Schema
    run: Schema | None
    error: Schema | None
    path: str
    include_values: tuple[str, ...]
    # Property name -> the defaults the document declares for it (canonical schemas drop them).
    defaults: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    # Property name -> every enum of string values it has anywhere in the document (every API's).
    enums: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


def _resolver(doc: dict[str, Any], name: str) -> Any:
    def resolve(ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ContractError(f"spec {name}: external $ref {ref} is not supported")
        node: Any = doc
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or token not in node:
                raise ContractError(f"spec {name}: $ref {ref} points nowhere")
            node = node[token]
        return node

    return resolve


def _find_operation(doc: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    paths = doc.get("paths") or {}
    if not isinstance(paths, dict):
        return None
    fallback = None
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        op = item.get("post")
        if not isinstance(op, dict):
            continue
        if op.get("operationId") == "createRun":
            return path, op
        if str(path).endswith(_PATH_SUFFIX) and fallback is None:
            fallback = (path, op)
    return fallback


def _json_schema(node: Any) -> Any:
    content = (node or {}).get("content") or {}
    for media, body in content.items():
        if "json" in media and isinstance(body, dict) and "schema" in body:
            return body["schema"]
    return None


def extract_create_run(doc: dict[str, Any], name: str) -> Extracted:
    """Canonical request, Run and error schemas of the createRun operation."""
    found = _find_operation(doc)
    if found is None:
        raise ContractError(f"spec {name} has no createRun operation (POST /threads/{{thread_id}}/runs)")
    path, op = found
    resolve = _resolver(doc, name)

    def deref(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            node = resolve(node["$ref"])
        return node

    body = deref(op.get("requestBody"))
    raw_request = _json_schema(body)
    if raw_request is None:
        raise ContractError(f"spec {name}: createRun has no application/json request body schema")
    request = canonicalise(raw_request, resolve)
    if request.get("type") != "object":
        raise ContractError(f"spec {name}: createRun's request body is not an object schema")

    responses = op.get("responses") or {}
    raw_run = _json_schema(deref(responses.get("200") or responses.get(200)))
    run = canonicalise(raw_run, resolve) if raw_run is not None else None
    raw_error = None
    for code in ("400", "429", "default"):
        raw_error = _json_schema(deref(responses.get(code)))
        if raw_error is not None:
            break
    error = canonicalise(raw_error, resolve) if raw_error is not None else None

    include: tuple[str, ...] = ()
    for param in op.get("parameters") or []:
        param = deref(param)
        if isinstance(param, dict) and param.get("in") == "query" and str(param.get("name", "")).startswith("include"):
            items = ((param.get("schema") or {}).get("items")) or {}
            include = tuple(deref(items).get("enum", ()))
    defaults = declared_defaults(raw_request, resolve)
    return Extracted(request, run, error, str(path), include, defaults, enum_values_by_property(doc, resolve))


def enum_values_by_property(node: Any, resolve: Any = None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every enum (or ``const``) of strings, by the name of the property it constrains, in document order.

    Walks any schema or whole document; with ``resolve``, a property whose
    schema is a ``$ref`` is read through it (once per walk, no recursion).
    """
    found: dict[str, dict[tuple[str, ...], None]] = {}

    def members(sub: Any, depth: int = 0) -> list[str]:
        if isinstance(sub, dict) and isinstance(sub.get("$ref"), str) and resolve is not None and depth < 4:
            try:
                sub = resolve(sub["$ref"])
            except ContractError:
                return []
        if not isinstance(sub, dict) or depth > 4:
            return []
        out = [v for v in sub.get("enum") or () if isinstance(v, str)]
        if isinstance(sub.get("const"), str):
            out.append(sub["const"])
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in sub.get(key) or ():
                out += members(branch, depth + 1)
        return out

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            properties = value.get("properties")
            if isinstance(properties, dict):
                for name, sub in properties.items():
                    enum = tuple(dict.fromkeys(members(sub)))
                    if enum:
                        found.setdefault(str(name), {})[enum] = None
            for item in value.values():
                walk(item)

    walk(node)
    return {name: tuple(enums) for name, enums in found.items()}


def declared_defaults(raw: Any, resolve: Any) -> dict[str, tuple[Any, ...]]:
    """Every ``default`` the raw request schema declares, by property name (refs followed once each).

    Names, not paths: a Run may echo a request's null as "its default", and
    the default of ``strict`` is the same wherever a ``strict`` appears.
    """
    found: dict[str, list[Any]] = {}
    seen: set[str] = set()

    def deref(node: Any) -> Any:
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 32:
            node, hops = resolve(node["$ref"]), hops + 1
        return node

    def defaults_of(node: Any, depth: int = 0) -> list[Any]:
        node = deref(node)
        if not isinstance(node, dict) or depth > 4:
            return []
        if "default" in node:
            return [node["default"]]
        return [
            d for key in ("allOf", "anyOf", "oneOf") for b in node.get(key) or [] for d in defaults_of(b, depth + 1)
        ]

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref not in seen:
                seen.add(ref)
                walk(resolve(ref))
            return
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, sub in properties.items():
                for value in defaults_of(sub):
                    if value not in found.setdefault(str(name), []):
                        found[str(name)].append(value)
        for value in node.values():
            walk(value)

    walk(raw)
    return {name: tuple(enums) for name, enums in found.items()}
