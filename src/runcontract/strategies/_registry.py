"""Field registries: how values that must exist on a target are drawn.

A contract says only that ``assistant_id`` is a string; a real target accepts
only the ids of assistants it has. A :class:`FieldRegistry` maps a dotted field
path (the catalogue's naming: ``assistant_id``, ``model``,
``tools.items.function.name``; ``thread_id`` for the URL parameter) to the
Hypothesis strategy that draws it. The strategies look the current registry up
when they are *called*, so register before building them.

Three ways in, most global first::

    register_field("assistant_id", st.sampled_from(["asst_1", "asst_2"]))  # default registry
    with FieldRegistry({"model": st.just("gpt-4o")}).activate(): ...        # scoped
    valid_requests(registry=my_registry, assistant_id=st.just("asst_x"))     # explicit
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from hypothesis.strategies import SearchStrategy

from .._errors import UsageError

__all__ = [
    "FieldRegistry",
    "current_registry",
    "default_registry",
    "load_registrations",
    "register_field",
    "resolve_registered",
]

THREAD_ID = "thread_id"


def check_strategy(field: str, strategy: object) -> SearchStrategy[Any]:
    if not isinstance(field, str) or not field:
        raise UsageError(f"field must be a non-empty dotted path, not {field!r}")
    if not isinstance(strategy, SearchStrategy):
        raise UsageError(
            f"the value for field {field!r} must be a Hypothesis strategy, not {strategy!r:.80} "
            f"(wrap a constant in st.just(...))"
        )
    return strategy


class FieldRegistry:
    """Strategies by dotted field path; later registrations replace earlier ones."""

    def __init__(self, fields: Mapping[str, SearchStrategy[Any]] | None = None, *, parent: FieldRegistry | None = None):
        self._fields: dict[str, SearchStrategy[Any]] = {}
        self._parent = parent
        for field, strategy in (fields or {}).items():
            self.register(field, strategy)

    def register(self, field: str, strategy: SearchStrategy[Any]) -> None:
        """Draw ``field`` from ``strategy`` in every payload built while this registry is used."""
        self._fields[field] = check_strategy(field, strategy)

    def unregister(self, field: str) -> None:
        self._fields.pop(field, None)

    def get(self, field: str) -> SearchStrategy[Any] | None:
        if field in self._fields:
            return self._fields[field]
        return self._parent.get(field) if self._parent is not None else None

    def as_dict(self) -> dict[str, SearchStrategy[Any]]:
        """Every registration, this registry's own winning over its parent's."""
        inherited = self._parent.as_dict() if self._parent is not None else {}
        return {**inherited, **self._fields}

    def child(self, fields: Mapping[str, SearchStrategy[Any]] | None = None) -> FieldRegistry:
        """A registry that falls back to this one."""
        return FieldRegistry(fields, parent=self)

    def __contains__(self, field: object) -> bool:
        return isinstance(field, str) and self.get(field) is not None

    def __len__(self) -> int:
        return len(self.as_dict())

    def __repr__(self) -> str:
        return f"FieldRegistry({sorted(self.as_dict())})"

    @contextmanager
    def activate(self) -> Iterator[FieldRegistry]:
        """Make this the registry that strategies built inside the block use."""
        _STACK.append(self)
        try:
            yield self
        finally:
            _STACK.remove(self)


default_registry = FieldRegistry()
_STACK: list[FieldRegistry] = []


def current_registry() -> FieldRegistry:
    """The innermost activated registry, else the default one."""
    return _STACK[-1] if _STACK else default_registry


def register_field(field: str, strategy: SearchStrategy[Any], *, registry: FieldRegistry | None = None) -> None:
    """Register ``strategy`` for ``field`` in ``registry`` (default: the current registry).

    This is what modules in a repository's ``strategies/`` folder call.
    """
    (registry if registry is not None else current_registry()).register(field, strategy)


def load_registrations(directory: str | os.PathLike[str] = "strategies") -> list[str]:
    """Import every ``*.py`` in ``directory`` (a repository's ``strategies/`` folder).

    The modules register fields as they are imported. Returns the files
    loaded; a missing folder loads nothing. A module that fails to import is a
    UsageError naming the file, not a traceback.
    """
    import importlib.util
    import pathlib

    folder = pathlib.Path(directory)
    loaded: list[str] = []
    if not folder.is_dir():
        return loaded
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        # Keyed by the file, not just its stem: two folders' ids.py are two modules.
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        name = f"runcontract_registrations.{path.stem}_{digest}"
        if name in sys.modules:
            loaded.append(str(path))
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a user's module: report it in one line
            del sys.modules[name]
            raise UsageError(f"{path} failed to load: {type(exc).__name__}: {exc}") from None
        loaded.append(str(path))
    return loaded


def resolve_registered(field: str, registry: FieldRegistry | None = None) -> Any:
    """The simplest value the registration for ``field`` draws (None if unregistered).

    Deterministic (Hypothesis's minimal example), so the boundary plan stays
    the same from run to run: the first of ``st.sampled_from([...])``.
    """
    strategy = (registry if registry is not None else current_registry()).get(field)
    if strategy is None:
        return None
    from hypothesis import find

    return find(strategy, lambda _: True)
