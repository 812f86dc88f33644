"""Ids that exist on a staging target: create (or adopt) an assistant and a thread, register them, clean up.

Against a real endpoint almost every valid payload with a made-up
``assistant_id`` is refused with 404, and a run on a thread that does not
exist likewise. :class:`StagingResources` makes the ids real::

    with StagingResources("https://staging.example.com") as staging:   # POST /v1/assistants, POST /v1/threads
        with staging.registry().activate():                              # assistant_id, thread_id
            report = runcontract.check_endpoint("https://staging.example.com")
    # DELETE /v1/assistants/{id}, DELETE /v1/threads/{id} for what it created

Ids the job already has (``assistant_ids=``, ``thread_ids=``) are used as
they are and never deleted. Worker processes do not share this process's
registrations: pass ``functools.partial(register_values, staging.values())``
as the ``setup`` of ``run_workers``. Requests carry the key from
``$OPENAI_API_KEY`` (``api_key_env``); it is never written into an error
message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from . import _options
from ._errors import RuncontractError, TargetUnreachable, UsageError
from .contract import Contract, load_contract
from .strategies import FieldRegistry

__all__ = ["ASSISTANT_ID", "THREAD_ID", "StagingResources", "register_values"]

ASSISTANT_ID = "assistant_id"
THREAD_ID = "thread_id"
# Deleting something that is already gone, or a target without DELETE routes: not a problem.
_GONE = (404, 405)


class StagingResources:
    """An assistant and a thread on ``base_url`` for the payloads to name; see the module docstring.

    ``model``: the model of the assistant it creates. ``assistant_ids`` /
    ``thread_ids``: existing ids to use instead of creating any (not deleted
    afterwards). ``client``: an ``httpx.Client`` to send through (tests).
    """

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        contract: Contract | None = None,
        model: str = "gpt-4o",
        assistant_ids: Sequence[str] = (),
        thread_ids: Sequence[str] = (),
        name: str = "runcontract",
        timeout: float = 30.0,
        client: Any = None,
    ) -> None:
        base_url = _options.base_url(base_url)
        from .drivers import request_headers

        self.base_url = base_url.rstrip("/")
        self.contract = contract if contract is not None else load_contract()
        api_key = os.environ.get(api_key_env) if api_key_env else None
        self._headers = request_headers(self.contract, api_key or None, headers)
        self.model = model
        self.name = name
        self.timeout = timeout
        self.assistant_ids: list[str] = list(assistant_ids)
        self.thread_ids: list[str] = list(thread_ids)
        self.created: list[tuple[str, str]] = []  # (kind, id), in creation order
        self.cleanup_notes: list[str] = []
        self._client = client
        self._own_client = client is None

    # ------------------------------------------------------------ lifecycle

    def setup(self) -> StagingResources:
        """Create the assistant and the thread that are not given; idempotent."""
        if not self.assistant_ids:
            body = {"model": self.model, "name": f"{self.name}-assistant", "metadata": {"created_by": self.name}}
            self.assistant_ids.append(self._create("assistants", body))
        if not self.thread_ids:
            self.thread_ids.append(self._create("threads", {"metadata": {"created_by": self.name}}))
        return self

    def cleanup(self) -> list[str]:
        """Delete what :meth:`setup` created (threads first); return notes on what could not be.

        404 (already gone) and 405 (the target has no DELETE route, like the
        bundled reference server) are noted, not raised; nothing here raises,
        so a cleanup never hides the run's own result.
        """
        notes: list[str] = []
        for kind, ident in sorted(self.created, key=lambda item: item[0] != "threads"):
            path = f"/v1/{kind}/{ident}"
            try:
                response = self.client.delete(self.base_url + path, headers=self._headers, timeout=self.timeout)
            except Exception as exc:
                notes.append(f"DELETE {path}: {type(exc).__name__}")
                continue
            if response.status_code in _GONE:
                notes.append(f"DELETE {path}: {response.status_code} (left in place)")
            elif not 200 <= response.status_code < 300:
                notes.append(f"DELETE {path}: {response.status_code}")
            if kind == "assistants" and ident in self.assistant_ids:
                self.assistant_ids.remove(ident)
            if kind == "threads" and ident in self.thread_ids:
                self.thread_ids.remove(ident)
        self.created.clear()
        self.cleanup_notes = notes
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        return notes

    def __enter__(self) -> StagingResources:
        return self.setup()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    # --------------------------------------------------------- registrations

    def values(self) -> dict[str, list[str]]:
        """The ids by field (``assistant_id``, ``thread_id``): plain data that pickles to worker processes."""
        out: dict[str, list[str]] = {}
        if self.assistant_ids:
            out[ASSISTANT_ID] = list(self.assistant_ids)
        if self.thread_ids:
            out[THREAD_ID] = list(self.thread_ids)
        return out

    def registry(self, parent: FieldRegistry | None = None) -> FieldRegistry:
        """A registry drawing ``assistant_id`` and ``thread_id`` from the ids (a child of ``parent``, if given)."""
        registry = parent.child() if parent is not None else FieldRegistry()
        register_values(self.values(), registry=registry)
        return registry

    def register(self, registry: FieldRegistry | None = None) -> None:
        """Register the ids in ``registry`` (default: the current registry)."""
        register_values(self.values(), registry=registry)

    def environment(self) -> dict[str, str]:
        """The ids as ``strategies/ids.py`` reads them (``RUNCONTRACT_ASSISTANT_IDS``, ``RUNCONTRACT_THREAD_IDS``)."""
        env = {}
        if self.assistant_ids:
            env["RUNCONTRACT_ASSISTANT_IDS"] = ",".join(self.assistant_ids)
        if self.thread_ids:
            env["RUNCONTRACT_THREAD_IDS"] = ",".join(self.thread_ids)
        return env

    # --------------------------------------------------------------- HTTP

    @property
    def client(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    def _create(self, kind: str, body: dict[str, Any]) -> str:
        import httpx

        url = f"{self.base_url}/v1/{kind}"
        try:
            response = self.client.post(url, headers=self._headers, content=json.dumps(body).encode())
        except httpx.HTTPError as exc:
            raise TargetUnreachable(f"cannot reach {self.base_url} to create {kind}: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise UsageError(
                f"{self.base_url} refused the credentials ({response.status_code}) creating {kind}: "
                "check the API key (--api-key-env) and headers"
            )
        try:
            ident = response.json()["id"] if response.status_code == 200 else None
        except (ValueError, KeyError, TypeError):
            ident = None
        if not isinstance(ident, str) or not ident:
            raise RuncontractError(f"POST {url} answered {response.status_code} without an id: {response.text[:200]!r}")
        self.created.append((kind, ident))
        return ident

    def __repr__(self) -> str:
        return f"StagingResources({self.base_url!r}, {self.values()!r})"


def register_values(values: Mapping[str, Sequence[str]], *, registry: FieldRegistry | None = None) -> None:
    """Register, per field, a strategy sampling the given ids (a picklable worker ``setup``)."""
    from hypothesis import strategies as st

    from .strategies import register_field

    for field, ids in values.items():
        if not ids:
            continue
        if registry is not None:
            # Not register_field(..., registry=registry): an empty FieldRegistry is falsy there.
            registry.register(field, st.sampled_from(list(ids)))
        else:
            register_field(field, st.sampled_from(list(ids)))
