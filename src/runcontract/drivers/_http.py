"""A live HTTP endpoint: one keep-alive ``httpx.Client``, retries, a rate cap, a body cap."""

from __future__ import annotations

import email.utils
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx

from .._core import Case, Exchange
from .._errors import TargetUnreachable
from ..contract import Contract, load_contract
from ._wire import DEFAULT_BODY_CAP, WireTarget, quote_thread_id, request_headers

__all__ = [
    "DEFAULT_REMOTE_RATE",
    "RETRY_STATUSES",
    "HTTPTarget",
    "RateLimiter",
    "default_rate",
    "is_loopback",
    "retry_after_seconds",
]

RETRY_STATUSES = frozenset({429, 503})

# Requests per second when nobody said otherwise and the target is not this
# machine: a nightly job must not load a shared staging server like a benchmark.
DEFAULT_REMOTE_RATE = 10.0


def is_loopback(base_url: str) -> bool:
    """True when ``base_url``'s host is this machine: ``localhost``, 127.0.0.0/8 or ::1."""
    host = (urlsplit(base_url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def default_rate(base_url: str, rate: float | None = None) -> float | None:
    """The rate cap to use: ``rate`` if given (0: no cap), else none on loopback, else ``DEFAULT_REMOTE_RATE``."""
    if rate is not None:
        return rate if rate > 0 else None
    return None if is_loopback(base_url) else DEFAULT_REMOTE_RATE


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class RateLimiter:
    """At most ``rate`` request starts per second (a minimum interval), shared by threads."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may start; return the seconds slept."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)
        return max(0.0, delay)


class HTTPTarget(WireTarget):
    """Send cases to ``base_url`` over HTTP; ``send(case)`` returns an ``Exchange``, never raises for the network.

    ``base_url`` is taken as given, like the SDK's: the request goes to
    ``POST {base_url}/threads/{thread_id}/runs``, so a target mounted under
    ``/openai`` or at the root (``http://host/``) needs no proxy. A bare origin
    (``https://api.example.com``, no path at all) means the standard layout, ``/v1``. The bearer key
    is ``api_key``, else the environment variable ``api_key_env`` (no
    Authorization header when neither is set). 429 and 503 answers are
    retried up to ``max_retries`` times, waiting ``Retry-After`` (seconds or
    an HTTP date) or an exponential backoff, each wait capped at
    ``retry_cap_seconds``; ``rate`` caps request starts per second. Answers
    are read up to ``body_cap`` bytes and within ``timeout`` seconds in
    total; a bigger or slower answer is an ``Exchange.error``.
    ``Exchange.elapsed`` is the duration of the last attempt.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        contract: Contract | None = None,
        api_key: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_cap_seconds: float = 30.0,
        backoff_seconds: float = 0.5,
        rate: float | None = None,
        body_cap: int = DEFAULT_BODY_CAP,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.contract = contract if contract is not None else load_contract()
        self.base_url = api_base(base_url)
        if api_key is None and api_key_env:
            api_key = os.environ.get(api_key_env) or None
        self.headers = request_headers(self.contract, api_key, headers)
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_cap_seconds = retry_cap_seconds
        self.backoff_seconds = backoff_seconds
        self.body_cap = body_cap
        self.limiter = RateLimiter(rate) if rate else None
        self.retries = 0  # retries made over this target's life
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport if transport is not None else _transport(),
        )

    def close(self) -> None:
        self._client.close()

    def path_for(self, thread_id: str) -> str:
        return self.contract.endpoint.relative_path(quote_thread_id(thread_id))

    def check_reachable(self) -> None:
        """Raise ``TargetUnreachable`` (one line) unless something answers at ``base_url``.

        Only the status line is waited for (at most 10 seconds). A connection
        refused, a name that does not resolve, or no answer at all is
        unreachable; an answer that is not HTTP, or a connection reset or
        closed after it was accepted, is a target with a bug for the fuzz
        run to report, not an unreachable one.
        """
        try:
            with self._client.stream("GET", self.base_url + "/", timeout=min(self.timeout, 10.0)):
                pass  # the body is not needed (and a hostile one could drip forever)
        except (httpx.ConnectError, httpx.TimeoutException, httpx.UnsupportedProtocol, httpx.ProxyError) as exc:
            raise TargetUnreachable(f"cannot reach {self.base_url}: {_describe(exc)}") from None
        except (httpx.HTTPError, OSError):
            return

    def send(self, case: Case) -> Exchange:
        attempt = 0
        while True:
            if self.limiter is not None:
                self.limiter.wait()
            exchange = self._once(self.outgoing(case))
            if exchange.status not in RETRY_STATUSES or attempt >= self.max_retries:
                return exchange
            lower = {k.lower(): v for k, v in exchange.headers.items()}
            wait = retry_after_seconds(lower.get("retry-after"))
            if wait is None:
                wait = self.backoff_seconds * (2**attempt)
            time.sleep(min(wait, self.retry_cap_seconds))
            attempt += 1
            self.retries += 1

    def _once(self, exchange: Exchange) -> Exchange:
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream(
                exchange.method, exchange.url, content=exchange.request_body, headers=exchange.request_headers
            ) as response:
                status = response.status_code
                exchange.headers = dict(response.headers.items())
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.body_cap:
                        chunks.append(chunk[: len(chunk) - (size - self.body_cap)])
                        exchange.body = b"".join(chunks)
                        exchange.error = f"answer larger than {self.body_cap} bytes (status {status}); truncated"
                        return exchange
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        exchange.body = b"".join(chunks)
                        exchange.error = f"answer not complete after {self.timeout}s (status {status}); truncated"
                        return exchange
                exchange.body = b"".join(chunks)
                exchange.status = status
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            exchange.error = _describe(exc)
        finally:
            exchange.elapsed = time.perf_counter() - started
        self.read_events(exchange)
        return exchange


def _transport() -> httpx.HTTPTransport:
    # Without TCP_NODELAY, headers and body go out in two segments and Nagle's
    # algorithm meets the server's delayed ACK: 40 ms per request on loopback.
    return httpx.HTTPTransport(
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )


def api_base(base_url: str) -> str:
    """The URL the run paths hang from: ``base_url`` as given, or ``{origin}/v1`` for a bare origin."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base URL {base_url!r} has a query or fragment")
    if not parts.path:
        return base_url + "/v1"
    return base_url.rstrip("/")


def _describe(exc: BaseException) -> str:
    kinds = {
        httpx.ConnectError: "connection failed",
        httpx.ConnectTimeout: "connect timed out",
        httpx.ReadTimeout: "read timed out",
        httpx.WriteTimeout: "write timed out",
        httpx.PoolTimeout: "pool timed out",
        httpx.RemoteProtocolError: "protocol error",
        httpx.ReadError: "read error",
        httpx.WriteError: "write error",
    }
    label = next((text for kind, text in kinds.items() if isinstance(exc, kind)), type(exc).__name__)
    detail = " ".join(str(exc).split())
    return f"{label}: {detail}" if detail else label
