"""Adapters that turn a client serializer into a ``send(base_url, thread_id, payload)`` callable.

- :func:`openai_sdk`: the official ``openai`` Python SDK (3.x over httpx2, 2.x over httpx);
- :func:`httpx_client` / :func:`httpx2_client`: a function that sends with an
  ``httpx.Client`` (or ``httpx2.Client``) is given one whose transport records
  the request in process (no socket);
- :func:`command`: any program, once per example (see its docstring for the protocol).
"""

from __future__ import annotations

import inspect
import json
import os
import shlex
import shutil
import subprocess
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .._core import Captured
from ._recorder import Responder

__all__ = [
    "CANNOT_EXPRESS_EXIT",
    "REJECTED_EXIT",
    "ClientCannotExpress",
    "ClientCrashed",
    "ClientRejected",
    "InProcessClient",
    "SendFn",
    "command",
    "httpx2_client",
    "httpx_client",
    "openai_sdk",
    "sdk_major",
]

REJECTED_EXIT = 3
"""The exit code with which a program under :func:`command` says it refused the payload cleanly."""
CANNOT_EXPRESS_EXIT = 4
"""The exit code with which a program under :func:`command` says its library cannot send the payload."""

IN_PROCESS_BASE = "http://runcontract.invalid/v1"


class SendFn(Protocol):
    """Make the client under test send the create-run request for ``payload`` to ``base_url``."""

    def __call__(self, base_url: str, thread_id: str, payload: Any, /) -> None: ...


class ClientRejected(Exception):
    """Raised by an adapter when the client refused the payload cleanly (always a clean error)."""


class ClientCrashed(Exception):
    """Raised by an adapter when the client failed in some other way (a crash)."""


class ClientCannotExpress(Exception):
    """Raised by an adapter when its library has no way to send this payload (a value its language
    cannot represent, an option it lacks): a capability gap, reported once, not a fidelity bug."""


class InProcessClient:
    """A ``send`` callable that records its requests itself, so no loopback server is needed."""

    base_url = IN_PROCESS_BASE
    validates: bool | None = None

    def __init__(self, version: str = "v2") -> None:
        self.version = version
        self.responder = Responder(version)
        self._lock = threading.Lock()
        self._captured: list[Captured] = []

    def __call__(self, base_url: str, thread_id: str, payload: Any, /) -> None:
        raise NotImplementedError

    def keep(self, captured: Captured) -> tuple[int, list[tuple[str, str]], bytes]:
        """Record ``captured`` and return the answer the recorder would give."""
        with self._lock:
            self._captured.append(captured)
        return self.responder.answer(captured)

    def take(self) -> list[Captured]:
        with self._lock:
            out, self._captured = self._captured, []
        return out


def _captured_from(request: Any) -> Captured:
    """A Captured from an ``httpx.Request`` or ``httpx2.Request``."""
    raw = request.url.raw_path
    target = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    headers = tuple(
        (k.decode("latin-1") if isinstance(k, bytes) else k, v.decode("latin-1") if isinstance(v, bytes) else v)
        for k, v in request.headers.raw
    )
    return Captured(method=str(request.method), target=target, headers=headers, body=bytes(request.read()))


class _HttpxLike(InProcessClient):
    def __init__(self, module: Any, fn: Callable[[Any, str, str, Any], None]) -> None:
        super().__init__()
        self._module = module
        self._fn = fn
        self._client = module.Client(transport=module.MockTransport(self._handle))

    def _handle(self, request: Any) -> Any:
        status, headers, body = self.keep(_captured_from(request))
        return self._module.Response(status, headers=headers, content=body)

    def __call__(self, base_url: str, thread_id: str, payload: Any, /) -> None:
        self._fn(self._client, base_url, thread_id, payload)


def httpx_client(fn: Callable[[Any, str, str, Any], None]) -> InProcessClient:
    """In-process adapter: ``fn(client, base_url, thread_id, payload)`` sends with the ``httpx.Client`` given.

    The client's transport is an ``httpx.MockTransport`` that records the
    request and answers like the loopback recorder: no socket, no server.
    """
    import httpx

    return _HttpxLike(httpx, fn)


def httpx2_client(fn: Callable[[Any, str, str, Any], None]) -> InProcessClient:
    """Like :func:`httpx_client`, with an ``httpx2.Client`` (what openai 3.x sends through)."""
    import httpx2

    return _HttpxLike(httpx2, fn)


# ----------------------------------------------------------------- openai SDK

# The create-run body fields the SDK takes as keyword arguments; anything else
# in a payload goes through ``extra_body``, so the SDK's serializer still
# writes it (``include`` is a query parameter in the SDK, so it is body-extra here).
SDK_BODY_FIELDS = frozenset(
    {
        "assistant_id",
        "model",
        "stream",
        "additional_instructions",
        "additional_messages",
        "instructions",
        "max_completion_tokens",
        "max_prompt_tokens",
        "metadata",
        "parallel_tool_calls",
        "reasoning_effort",
        "response_format",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
        "truncation_strategy",
    }
)


def sdk_major() -> int:
    """The installed ``openai`` package's major version (ImportError when it is not installed)."""
    import openai

    return int(str(openai.__version__).split(".")[0])


def _sdk_kwargs(create: Callable[..., Any], payload: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        params = set(inspect.signature(create).parameters)
    except (TypeError, ValueError):
        params = set(SDK_BODY_FIELDS)
    names = SDK_BODY_FIELDS & params
    kwargs = {k: v for k, v in payload.items() if k in names}
    extra = {k: v for k, v in payload.items() if k not in names}
    return kwargs, extra


class _OpenAISDK:
    """``send`` for the official SDK; one client per base URL, kept across examples (keep-alive)."""

    validates = False  # a typed pass-through: it refuses only what it cannot build a request from

    def __init__(self, api_key: str, major: int, http_client: Any = None) -> None:
        self.api_key = api_key
        self.major = major
        self.http_client = http_client
        self._clients: dict[str, Any] = {}

    def client(self, base_url: str) -> Any:
        client = self._clients.get(base_url)
        if client is None:
            import openai

            options: dict[str, Any] = {"http_client": self.http_client} if self.http_client is not None else {}
            client = openai.OpenAI(api_key=self.api_key, base_url=base_url, max_retries=0, timeout=30.0, **options)
            self._clients[base_url] = client
        return client

    def __call__(self, base_url: str, thread_id: str, payload: Any, /) -> None:
        if not isinstance(payload, Mapping):
            raise ClientRejected("the SDK takes keyword arguments: a non-object body cannot be expressed")
        runs = self.client(base_url).beta.threads.runs
        kwargs, extra = _sdk_kwargs(runs.create, payload)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = runs.create(thread_id, **kwargs, extra_body=extra or None)
            if kwargs.get("stream"):
                try:
                    for _event in result:
                        pass
                finally:
                    close = getattr(result, "close", None)
                    if callable(close):
                        close()


class _OpenAISDKInProcess(InProcessClient):
    validates = False

    def __init__(self, api_key: str, major: int) -> None:
        super().__init__()
        module: Any
        if major >= 3:
            import httpx2 as module
        else:
            import httpx as module
        self._module = module
        self._sdk = _OpenAISDK(api_key, major, module.Client(transport=module.MockTransport(self._handle)))

    def _handle(self, request: Any) -> Any:
        status, headers, body = self.keep(_captured_from(request))
        return self._module.Response(status, headers=headers, content=body)

    def __call__(self, base_url: str, thread_id: str, payload: Any, /) -> None:
        self._sdk(base_url, thread_id, payload)


def openai_sdk(*, api_key: str = "sk-test", version: int | None = None, in_process: bool = False) -> SendFn:
    """``send`` for the installed official ``openai`` Python SDK (3.x or 2.x).

    It calls ``client.beta.threads.runs.create(thread_id, **payload)`` on a
    client built with ``max_retries=0``; payload fields the SDK has no keyword
    for go through ``extra_body`` (so its serializer still writes them), and
    its DeprecationWarning is silenced. A non-object payload cannot be
    expressed as keyword arguments and counts as a clean refusal.

    By default it talks real HTTP to the loopback recorder (any major version).
    ``in_process=True`` hands the SDK an ``httpx2.Client`` (3.x) or
    ``httpx.Client`` (2.x) with a recording ``MockTransport`` instead: no
    socket, several times faster. ``version`` forces the major version assumed
    (default: the installed one).
    """
    major = sdk_major() if version is None else int(version)
    if major < 2:
        raise ImportError(f"runcontract supports openai 2.x and 3.x, not {major}.x")
    if in_process:
        return _OpenAISDKInProcess(api_key, major)
    return _OpenAISDK(api_key, major)


# -------------------------------------------------------------------- command


class _Command:
    validates: bool | None = None

    def __init__(self, argv: list[str], timeout: float, env: Mapping[str, str] | None, api_key: str) -> None:
        self.argv = argv
        self.timeout = timeout
        self.env = dict(env) if env is not None else None
        self.api_key = api_key

    def __call__(self, base_url: str, thread_id: str, payload: Any, /) -> None:
        env = dict(os.environ if self.env is None else self.env)
        env.update(
            {
                "RUNCONTRACT_BASE_URL": base_url,
                "RUNCONTRACT_THREAD_ID": thread_id,
                "RUNCONTRACT_API_KEY": self.api_key,
            }
        )
        data = json.dumps(payload, ensure_ascii=True, allow_nan=True).encode("ascii")
        try:
            done = subprocess.run(
                self.argv, input=data, env=env, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ClientCrashed(f"{self.argv[0]} did not finish within {self.timeout}s") from exc
        except OSError as exc:
            raise ClientCrashed(f"{self.argv[0]} could not be run: {exc}") from exc
        tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        if done.returncode == 0:
            return
        if done.returncode == REJECTED_EXIT:
            raise ClientRejected(tail or f"exit {REJECTED_EXIT}")
        if done.returncode == CANNOT_EXPRESS_EXIT:
            raise ClientCannotExpress(tail or f"exit {CANNOT_EXPRESS_EXIT}")
        raise ClientCrashed(f"exit {done.returncode}: {tail}")


def command(
    cmd: str | Sequence[str],
    *,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    api_key: str = "sk-test",
) -> SendFn:
    """``send`` that runs a program once per example (any language).

    The program gets:

    - ``RUNCONTRACT_BASE_URL``: the base URL to send to (ends with ``/v1``; the
      request goes to ``$RUNCONTRACT_BASE_URL/threads/{thread_id}/runs``),
    - ``RUNCONTRACT_THREAD_ID``: the thread id (raw, not encoded),
    - ``RUNCONTRACT_API_KEY``: a dummy API key to authenticate with,
    - the payload as JSON on standard input (ASCII, non-ASCII as ``\\u`` escapes;
      a non-finite number as the token ``NaN``, ``Infinity`` or ``-Infinity``,
      which strict parsers such as ``JSON.parse`` refuse: the text is exact, so a
      program may read it with a lossless parser),

    and answers with its exit code: 0 = sent, 3 (``REJECTED_EXIT``) = refused
    the payload cleanly (say why on stderr), 4 (``CANNOT_EXPRESS_EXIT``) = the
    library has no way to send it (a value the language cannot represent, such
    as an integer above 2**53 in JavaScript: a capability gap, not a fidelity
    bug); anything else, or running longer
    than ``timeout`` seconds, is a crash. ``cmd`` is a list of arguments or a
    string split like a shell would (no shell is run); ``env`` replaces the
    inherited environment.
    """
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if not argv:
        raise ValueError("command: empty command")
    # A program that cannot be started is the user's configuration, not a client
    # bug to report once per payload.
    if shutil.which(argv[0], path=(env or os.environ).get("PATH")) is None:
        raise ValueError(f"command: {argv[0]!r} is not an executable program (not found, or not executable)")
    return _Command(argv, timeout, env, api_key)
