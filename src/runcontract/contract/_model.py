"""The Contract object and ``load_contract``."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import ContractError
from .._options import VERSIONS
from ._bundled import DEFAULTS, ERROR_BODY, IMPLIED_DEFAULTS, REQUEST_V1, REQUEST_V2, run_schema
from ._catalogue import Catalogue, build_catalogue
from ._openapi import enum_values_by_property, extract_create_run, read_document
from ._overlays import DEFAULT_OVERLAYS, Overlay, apply_overlays
from ._schema import Schema
from ._validator import Validator, Violation, compile_schema

__all__ = ["VERSIONS", "Contract", "Endpoint", "load_contract"]

INCLUDE_VALUES = ("step_details.tool_calls[*].file_search.results[*].content",)


@dataclass(frozen=True)
class Endpoint:
    """Where and how the request is sent, and what may come back."""

    version: str
    method: str = "POST"
    path: str = "/v1/threads/{thread_id}/runs"
    include_values: tuple[str, ...] = INCLUDE_VALUES
    statuses: tuple[int, ...] = (200, 400, 429)

    @property
    def headers(self) -> dict[str, str]:
        """Headers every request must carry (besides Authorization)."""
        return {"OpenAI-Beta": f"assistants={self.version}", "Content-Type": "application/json"}

    def url_path(self, quoted_thread_id: str) -> str:
        return self.path.replace("{thread_id}", quoted_thread_id)

    def relative_path(self, quoted_thread_id: str) -> str:
        """The path below the API's base URL (the SDK's ``base_url`` ends in ``/v1``): ``/threads/{id}/runs``."""
        path = self.url_path(quoted_thread_id)
        return path[len("/v1") :] if path.startswith("/v1/") else path


@dataclass
class Contract:
    """A CreateRunRequest contract: schemas, catalogue, validators, endpoint."""

    version: str
    source: str
    request_schema: Schema
    run_schema: Schema
    error_schema: Schema
    endpoint: Endpoint
    catalogue: Catalogue
    overlays: tuple[Overlay, ...] = ()
    # Property name -> the defaults the contract declares for it (``strict``: False, ...).
    defaults: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    # Property name -> the enums it has elsewhere: the other contract version's, then the loaded
    # document's other APIs' (the ``foreign-value`` probes send their members).
    foreign_values: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    _validator: Validator = field(init=False, repr=False)
    _run: Any = field(init=False, repr=False)
    _error: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._validator = Validator(self.request_schema, self.catalogue)
        self._run = compile_schema(self.run_schema)
        self._error = compile_schema(self.error_schema)

    def is_valid(self, payload: Any) -> bool:
        """True when the contract accepts ``payload`` (fast path)."""
        return self._validator.is_valid(payload)

    def validate(self, payload: Any) -> list[Violation]:
        """Every violation in ``payload``, each naming its constraint id."""
        return self._validator.violations(payload)

    def run_errors(self, body: Any) -> list[str]:
        """Why ``body`` is not a Run object of this contract (empty if it is)."""
        return _errors(self._run, body)

    def error_body_errors(self, body: Any) -> list[str]:
        """Why ``body`` is not the contract's error body (empty if it is)."""
        return _errors(self._error, body)


def _errors(compiled: Any, body: Any) -> list[str]:
    try:
        if compiled.is_valid(body):
            return []
        return [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}" for e in compiled.iter_errors(body)]
    except (UnicodeEncodeError, ValueError) as exc:
        return [f"(root): {exc}"]


def load_contract(
    spec: str | os.PathLike[str] | None = None,
    *,
    version: str = "v2",
    overlays: Sequence[Overlay] = DEFAULT_OVERLAYS,
) -> Contract:
    """Load a contract.

    With no ``spec``, the bundled contract of ``version``; with a path or URL
    to an OpenAPI 3.0/3.1 document, createRun's schemas taken from it and
    normalised. The prose ``overlays`` are applied in both cases.
    """
    if version not in VERSIONS:
        raise ContractError(f"unknown contract version {version!r} (expected one of: {', '.join(VERSIONS)})")
    overlays = tuple(overlays)
    if spec is None:
        request = copy.deepcopy(REQUEST_V2 if version == "v2" else REQUEST_V1)
        run, error, source, base = (
            run_schema(version),
            copy.deepcopy(ERROR_BODY),
            f"bundled:{version}",
            ("spec" if version == "v2" else "ours"),
        )
        include: tuple[str, ...] = INCLUDE_VALUES if version == "v2" else ()
        defaults = dict(DEFAULTS)
        elsewhere: dict[str, tuple[tuple[str, ...], ...]] = {}
    else:
        name = os.fspath(spec)
        extracted = extract_create_run(read_document(name), name)
        request, source, base = extracted.request, name, "spec"
        run = extracted.run or run_schema(version)
        error = extracted.error or copy.deepcopy(ERROR_BODY)
        include = extracted.include_values
        defaults = extracted.defaults
        elsewhere = extracted.enums
    defaults = {**IMPLIED_DEFAULTS, **defaults}
    other = enum_values_by_property(REQUEST_V1 if version == "v2" else REQUEST_V2)
    foreign = {
        name: tuple(dict.fromkeys([*other.get(name, ()), *elsewhere.get(name, ())])) for name in {*other, *elsewhere}
    }
    prose = apply_overlays(request, overlays)
    catalogue = build_catalogue(request, base_source=base, prose_paths=prose)
    _check_mapped(catalogue, source)
    return Contract(
        version=version,
        source=source,
        request_schema=request,
        run_schema=run,
        error_schema=error,
        endpoint=Endpoint(version=version, include_values=include),
        catalogue=catalogue,
        overlays=overlays,
        defaults=defaults,
        foreign_values=foreign,
    )


def _check_mapped(catalogue: Catalogue, source: str) -> None:
    if len(catalogue) < 2:
        raise ContractError(f"spec {source}: createRun's request schema has no constraints")
