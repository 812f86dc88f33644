"""Failure memory: each failure saved as a JSON file, replayed first next time.

Plain JSON files survive Hypothesis upgrades (its own database does not
promise that), can be read by people, and can be replayed against any target.
API keys never reach them: the curl line carries ``$OPENAI_API_KEY``, and
request headers are not stored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._core import Case, Failure
from ..contract import Contract

__all__ = [
    "REPLAY_VALIDATED",
    "SIDES",
    "FailureStore",
    "case_for",
    "failure_dir",
    "failures_name",
    "load_failure_files",
    "replay_key",
]

# What a run drives: an endpoint (a server) or a client serializer. Their failures are kept apart.
SIDES = ("endpoint", "client")


def failures_name(version: str, side: str = "endpoint") -> str:
    """The name under which one side's failures of a contract version are kept: ``v2``, ``client-v2``.

    Endpoint failures keep the plain version name they always had, so existing databases still replay.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return version if side == "endpoint" else f"{side}-{version}"


def failure_dir(root: str | os.PathLike[str], version: str, side: str = "endpoint") -> Path:
    """Where a directory database keeps one side's saved failures: ``<root>/failures/<name>/``."""
    return Path(root) / "failures" / failures_name(version, side)


class FailureStore:
    """Saved failures of one contract version and one side, as JSON files under ``<root>/failures/``."""

    def __init__(self, root: str | Path, contract: Contract, *, side: str = "endpoint") -> None:
        self.root = Path(root)
        self.dir = failure_dir(root, contract.version, side)
        self.contract = contract
        self.side = side

    def for_side(self, side: str) -> FailureStore:
        """The same database's store for ``side`` (itself when it is that side's already)."""
        return self if side == self.side else FailureStore(self.root, self.contract, side=side)

    def _name(self, failure: Failure) -> Path:
        key = json.dumps(
            [failure.check, failure.constraint, failure.thread_id, failure.payload],
            sort_keys=True,
            default=str,
            ensure_ascii=True,
        )
        return self.dir / f"{failure.check}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def save(self, failure: Failure) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            path = self._name(failure)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(failure.to_dict(), indent=2, ensure_ascii=True, default=str), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # memory is a convenience; never lose a run over it

    def load(self) -> list[Failure]:
        return [failure for _, failure in self.load_with_paths()]

    def load_with_paths(self) -> list[tuple[Path, Failure]]:
        """Every readable saved failure of this contract version, with its file (unreadable files skipped)."""
        if not self.dir.is_dir():
            return []
        return load_failure_files([self.dir])

    def replay_cases(self) -> Iterator[Case]:
        seen = set()
        for failure in self.load():
            key = replay_key(failure)
            if key in seen:
                continue
            seen.add(key)
            yield case_for(failure, self.contract)


def replay_key(failure: Failure) -> str:
    """Saved failures with the same key are one request: replay it once."""
    return json.dumps([failure.thread_id, failure.payload], sort_keys=True, default=str)


REPLAY_VALIDATED = "replay-validated"


def case_for(failure: Failure, contract: Contract) -> Case:
    """The Case that repeats ``failure``'s request; its verdict comes from ``contract``, not from the file."""
    extras: dict[str, Any] = {"body": failure.raw_body, "headers": failure.header_changes, "query": failure.query}
    if failure.constraint in contract.catalogue.requests:
        # A probe of the request itself: its payload only describes the bytes; the verdict is the probe's.
        expected: Any = "valid" if failure.expected == "valid" else "invalid"
        return Case(failure.payload, failure.thread_id, expected, failure.constraint, failure.label, "replay", **extras)
    violations = contract.validate(failure.payload)
    if violations:
        # A client_agrees failure was judged when found (the client had shown it validates that
        # constraint): its label says so, since one replayed request cannot show it again.
        label = REPLAY_VALIDATED if failure.check == "client_agrees" else "replay"
        return Case(failure.payload, failure.thread_id, "invalid", violations[0].constraint, label, "replay", **extras)
    # A valid payload's constraint is the limit it sat at: keep it so the
    # replayed failure is reported under the same key.
    return Case(failure.payload, failure.thread_id, "valid", failure.constraint, "replay", "replay", **extras)


def load_failure_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, Failure]]:
    """Saved failures from files and directories (searched for ``*.json`` recursively), in a stable order.

    Files that are not saved failures (unreadable, not JSON, no ``check``)
    are skipped; a path that does not exist raises ``FileNotFoundError``.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {raw}")
    out: list[tuple[Path, Failure]] = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("check"), str):
                out.append((path, Failure.from_dict(data)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return out
