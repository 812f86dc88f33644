"""Where a run keeps what it learned: a directory, or a Redis server shared by many runs.

A database spec is what ``--db`` / ``FuzzSettings.database`` holds:

- a directory path (``.runcontract``): Hypothesis examples under
  ``<dir>/examples`` (:class:`~hypothesis.database.DirectoryBasedExampleDatabase`)
  and failures as JSON files under ``<dir>/failures/<version>/`` (:class:`FailureStore`;
  a client run's under ``<dir>/failures/client-<version>/``);
- a Redis URL (``redis://host:6379/0``, ``rediss://...``, ``unix:///path?db=0``):
  Hypothesis's :class:`~hypothesis.extra.redis.RedisExampleDatabase` under the
  key prefix ``runcontract:`` and a :class:`RedisFailureStore` (one JSON document
  per failure in the hash ``runcontract:failures:<version>``, a client run's in
  ``runcontract:failures:client-<version>``), so that every
  worker on every machine replays the failures any of them found, first;
- an already opened :class:`Database`, or ``None``/``""`` (nothing kept).

Failures are stored as the JSON of ``Failure.to_dict()``: no request headers,
and the curl line reads the key from ``$OPENAI_API_KEY``. As a second guard,
the Redis store blanks the value of any credential-looking environment
variable (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``) that still appears in a
document before it leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Union
from urllib.parse import urlsplit, urlunsplit

from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from .._core import Case, Failure
from .._errors import EXIT_CONFIG, RuncontractError, UsageError
from ..contract import Contract
from ._memory import FailureStore, failures_name

__all__ = [
    "REDIS_SCHEMES",
    "Database",
    "DatabaseSpec",
    "DatabaseUnavailable",
    "FailureMemory",
    "RedisFailureStore",
    "TolerantExampleDatabase",
    "database_from_url",
    "is_redis_url",
    "open_database",
    "redact_url",
]

REDIS_SCHEMES = ("redis", "rediss", "unix")
KEY_PREFIX = "runcontract:"
_CONNECT_TIMEOUT = 3.0
_SECRET_ENV = re.compile(r"(API_KEY|_TOKEN|_SECRET)$", re.IGNORECASE)


class DatabaseUnavailable(RuncontractError):
    """The example database could not be opened (a configuration problem: exit 2)."""

    exit_code = EXIT_CONFIG


class FailureMemory(Protocol):
    """What the fuzz loop needs from a failure store (``FailureStore`` and ``RedisFailureStore``)."""

    def save(self, failure: Failure) -> None: ...

    def load(self) -> list[Failure]: ...

    def replay_cases(self) -> Iterator[Case]: ...


def _for_side(failures: FailureMemory | None, side: str) -> FailureMemory | None:
    """``failures`` switched to ``side``'s store, where the store knows how (both of ours do)."""
    switch = getattr(failures, "for_side", None)
    return switch(side) if callable(switch) else failures


@dataclass
class Database:
    """An opened database: Hypothesis's example store and the failure memory, and what they came from."""

    examples: ExampleDatabase | None
    failures: FailureMemory | None
    url: str = ""

    def close(self) -> None:
        client = getattr(self.failures, "redis", None)
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: S110 - closing is best effort
                pass

    def __iter__(self) -> Iterator[Any]:
        """``examples, failures = open_database(...)`` unpacks like a pair."""
        yield self.examples
        yield self.failures


DatabaseSpec = Union[str, "os.PathLike[str]", Database, ExampleDatabase, None]


def is_redis_url(spec: object) -> bool:
    return isinstance(spec, str) and urlsplit(spec).scheme.lower() in REDIS_SCHEMES and "://" in spec


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for error messages and reports)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def open_database(spec: DatabaseSpec, contract: Contract, *, side: str = "endpoint") -> Database:
    """Open what ``spec`` names (see the module docstring); ``None`` or ``""``: nothing is kept.

    ``side`` (``endpoint`` or ``client``) chooses whose saved failures the store holds:
    a client run never replays an endpoint's failures, nor the other way round.

    Raises :class:`DatabaseUnavailable` (one line naming the URL, exit code 2)
    when a Redis server does not answer, and :class:`UsageError` for a spec
    that is neither a directory nor a Redis URL.
    """
    if spec is None or spec == "":
        return Database(None, None, "")
    if isinstance(spec, Database):
        sided = _for_side(spec.failures, side)
        return spec if sided is spec.failures else Database(spec.examples, sided, spec.url)
    if isinstance(spec, ExampleDatabase):
        return Database(spec, None, repr(spec))  # Hypothesis's store only: no failure files
    if isinstance(spec, str) and is_redis_url(spec):
        db = _open_redis(spec, contract)
        return Database(db.examples, _for_side(db.failures, side), db.url)
    if isinstance(spec, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", spec):
        raise UsageError(f"unsupported database URL {redact_url(spec)!r}: give a directory or a redis:// URL")
    if not isinstance(spec, (str, os.PathLike)):
        raise UsageError(f"database must be a directory, a redis:// URL or None, not {spec!r:.80}")
    root = Path(spec)
    if root.exists() and not root.is_dir():
        raise UsageError(f"database {str(root)!r} exists and is not a directory")
    store = FailureStore(root, contract, side=side)
    return Database(DirectoryBasedExampleDatabase(str(root / "examples")), store, str(root))


def database_from_url(url: str, contract: Contract) -> tuple[ExampleDatabase | None, FailureMemory | None]:
    """``(hypothesis example database, failure store)`` for a directory path or a Redis URL."""
    db = open_database(url, contract)
    return db.examples, db.failures


def _open_redis(url: str, contract: Contract) -> Database:
    shown = redact_url(url)
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise UsageError(f"database {shown!r} needs the redis client: pip install 'runcontract[redis]'") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=_CONNECT_TIMEOUT, socket_timeout=10.0)
        client.ping()
    except (redis.exceptions.RedisError, OSError, ValueError) as exc:
        raise DatabaseUnavailable(f"cannot open the database {shown}: {_reason(exc)}") from None
    examples = RedisExampleDatabase(client, key_prefix=KEY_PREFIX.encode())
    return Database(examples, RedisFailureStore(client, contract), shown)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class TolerantExampleDatabase(ExampleDatabase):
    """Hypothesis's example store, where an error (Redis gone mid-run) warns once instead of ending the run.

    Hypothesis calls its database inside the test loop; an exception there
    would end the run and lose what it was about to find.
    """

    def __init__(self, inner: ExampleDatabase, warn: Any) -> None:
        super().__init__()
        self.inner = inner
        self._warn = warn

    def _safe(self, action: str, call: Any, default: Any = None) -> Any:
        try:
            return call()
        except Exception as exc:
            self._warn(f"the example database failed to {action} ({_reason(exc)}); going on without it")
            return default

    def fetch(self, key: bytes) -> Any:
        return iter(self._safe("read", lambda: list(self.inner.fetch(key)), []))

    def save(self, key: bytes, value: bytes) -> None:
        self._safe("save", lambda: self.inner.save(key, value))

    def delete(self, key: bytes, value: bytes) -> None:
        self._safe("delete", lambda: self.inner.delete(key, value))

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self._safe("move", lambda: self.inner.move(src, dest, value))


def _secrets() -> list[str]:
    return [value for name, value in os.environ.items() if _SECRET_ENV.search(name) and len(value) >= 8]


def _scrub(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, "[REDACTED]")
    return text


class RedisFailureStore(FailureStore):
    """:class:`FailureStore`'s twin in Redis: ``save(failure)``, ``load()``, ``replay_cases()``.

    One hash per contract version and side (``runcontract:failures:v2``,
    ``runcontract:failures:client-v2``); a field per
    distinct (check, constraint, thread id, payload), whose value is the
    failure's JSON. Fields are named like the files of the directory store, so
    both stores keep the same failures apart. Failures never expire: they
    outlive Hypothesis upgrades and are replayed first by any run, anywhere.
    Errors are raised as :class:`DatabaseUnavailable`: the fuzz loop warns once
    and goes on (the failure stays in the report), ``replay`` stops with exit 2.
    """

    def __init__(self, client: Any, contract: Contract, *, prefix: str = KEY_PREFIX, side: str = "endpoint") -> None:
        # FailureStore.__init__ sets up a directory: deliberately not called.
        self.redis = client
        self.contract = contract
        self.side = side
        self.prefix = prefix
        self.key = f"{prefix}failures:{failures_name(contract.version, side)}"

    def for_side(self, side: str) -> RedisFailureStore:
        if side == self.side:
            return self
        return RedisFailureStore(self.redis, self.contract, prefix=self.prefix, side=side)

    @staticmethod
    def field_name(failure: Failure) -> str:
        key = json.dumps(
            [failure.check, failure.constraint, failure.thread_id, failure.payload],
            sort_keys=True,
            default=str,
            ensure_ascii=True,
        )
        return f"{failure.check}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"

    def save(self, failure: Failure) -> None:
        """Raises :class:`DatabaseUnavailable` when Redis errors (the fuzz loop warns once and goes on)."""
        document = _scrub(json.dumps(failure.to_dict(), ensure_ascii=True, default=str, sort_keys=True))
        try:
            self.redis.hset(self.key, self.field_name(failure), document)
        except Exception as exc:
            raise DatabaseUnavailable(f"cannot save to the database {self.key}: {_reason(exc)}") from None

    def load(self) -> list[Failure]:
        """Raises :class:`DatabaseUnavailable` when Redis errors: "no saved failures" must mean none."""
        try:
            entries = self.redis.hgetall(self.key)
        except Exception as exc:
            raise DatabaseUnavailable(f"cannot read the database {self.key}: {_reason(exc)}") from None
        out: list[Failure] = []
        for name in sorted(entries):
            try:
                out.append(Failure.from_dict(json.loads(entries[name])))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def clear(self) -> None:
        """Forget every saved failure of this contract version."""
        self.redis.delete(self.key)

    def __repr__(self) -> str:
        return f"RedisFailureStore({self.key!r})"
