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
from collections.abc import Iterator
from pathlib import Path

from ..contract import Contract
from ..report import Failure
from ..strategies._case import Case

__all__ = ["FailureStore"]


class FailureStore:
    def __init__(self, root: str | Path, contract: Contract) -> None:
        self.dir = Path(root) / "failures" / contract.version
        self.contract = contract

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
        out: list[Failure] = []
        if not self.dir.is_dir():
            return out
        for path in sorted(self.dir.glob("*.json")):
            try:
                out.append(Failure.from_dict(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return out

    def replay_cases(self) -> Iterator[Case]:
        seen = set()
        for failure in self.load():
            key = json.dumps([failure.thread_id, failure.payload], sort_keys=True, default=str)
            if key in seen:
                continue
            seen.add(key)
            # The verdict comes from today's contract, not from the file.
            violations = self.contract.validate(failure.payload)
            if violations:
                yield Case(failure.payload, failure.thread_id, "invalid", violations[0].constraint, "replay", "replay")
            else:
                # A valid payload's constraint is the limit it sat at: keep it so the
                # replayed failure is reported under the same key.
                yield Case(failure.payload, failure.thread_id, "valid", failure.constraint, "replay", "replay")
