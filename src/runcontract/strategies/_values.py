"""Leaf strategies: texts that break real code, numbers, URIs, JSON values, ids.

Every strategy here lists its choices simplest-first, so Hypothesis shrinks a
failing value towards short ASCII text, small numbers and empty containers
before anything exotic.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from hypothesis import reject
from hypothesis import strategies as st

from ._registry import THREAD_ID, FieldRegistry, current_registry

__all__ = [
    "ID_CHARS",
    "RESERVED_THREAD_IDS",
    "SPECIAL_CHARS",
    "Drawn",
    "Picker",
    "built",
    "choice",
    "drawer",
    "eager",
    "free_text",
    "free_text_choices",
    "json_objects",
    "json_schema_objects",
    "json_values",
    "lists",
    "maps",
    "padded",
    "picker",
    "thread_ids",
    "uris",
]

T = TypeVar("T")
ID_CHARS = string.ascii_lowercase + string.digits + "_"
# What breaks serializers and parsers: JSON escapes, control characters, the
# JavaScript line separators, a BOM, bidi overrides, combining and astral text.
SPECIAL_CHARS = (
    '"',
    "\\",
    "/",
    "\b",
    "\f",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\u0301",
    "é",
    "中",
    "\U0001f600",
    "\U0001d11e",
    "'",
    "<",
    "&",
    "%",
    "{",
    "}",
    " ",
)
# Fill characters for exact-length strings: ASCII, 2-byte, 3-byte and 4-byte UTF-8.
_FILL = st.sampled_from(["a", "é", "中", "\U0001f600"])


def eager(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``strategy`` without its lazy wrapper: Hypothesis unwraps one (a weak-dict lookup) on every draw.

    Only ``LazyStrategy`` (what ``st.integers()`` and friends return) is
    unwrapped, never ``st.deferred``, which may refer to itself.
    """
    while type(strategy).__name__ == "LazyStrategy":
        strategy = strategy.wrapped_strategy  # type: ignore[attr-defined]
    return strategy


def choice(branches: list[st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """Like ``st.one_of(branches)``, at a third of the cost per draw.

    ``one_of`` draws a filtered ``sampled_from`` (a nested draw) on every
    draw; this takes one raw integer choice (shrinking towards 0, the first
    and simplest branch) and draws that branch. Payloads nest dozens of
    unions, so the difference is most of the generation time.
    """
    if len(branches) == 1:
        return branches[0]
    return _Choice(branches)


# Hypothesis strategies that take at most one choice. A parent below draws them with their own
# do_draw, inside the parent's span: a span of their own would hold that one choice and cost
# more than the choice (data.draw validates, checks emptiness and opens and closes a span).
# A name that a later Hypothesis no longer uses only makes that leaf go through data.draw.
_ONE_CHOICE = frozenset(
    {"TextStrategy", "IntegersStrategy", "SampledFromStrategy", "BooleansStrategy", "JustStrategy", "FloatStrategy"}
)


def drawer(strategy: st.SearchStrategy[T]) -> Callable[[Any], T]:
    """How a strategy below draws ``strategy`` from its ConjectureData: directly for a one-choice leaf."""
    strategy = eager(strategy)
    if type(strategy).__name__ in _ONE_CHOICE and not getattr(strategy, "_transformations", ()):
        strategy.validate()
        return strategy.do_draw
    return lambda data: data.draw(strategy)


class Drawn(st.SearchStrategy[T]):
    """A strategy over ``parts``, each drawn with its ``drawer`` inside this strategy's span.

    A SearchStrategy subclass, as Hypothesis's own ``one_of`` and ``builds``
    are (``st.composite`` would add a span per draw). A subclass says how its
    parts make a value (``do_draw``), when it can produce none
    (``calc_is_empty``) and, if a parent can make its first decision for it,
    how (``picker``).
    """

    def __init__(self, parts: Iterable[st.SearchStrategy[Any]]) -> None:
        super().__init__()
        self.parts = tuple(eager(p) for p in parts)
        self._draws = [drawer(p) for p in self.parts]

    def do_validate(self) -> None:
        for part in self.parts:
            part.validate()

    def picker(self, bits: int) -> Picker[T] | None:
        """See :func:`picker`; a subclass whose first decision a parent can make says how."""
        return None


class _Choice(Drawn[T]):
    # The branch index is one raw integer choice, shrinking towards the first branch.
    def __init__(self, branches: list[st.SearchStrategy[T]]) -> None:
        super().__init__(branches)
        self._last = len(branches) - 1

    def calc_is_empty(self, recur: Any) -> bool:
        return all(recur(b) for b in self.parts)

    def do_draw(self, data: Any) -> T:
        draw: Callable[[Any], T] = self._draws[data.draw_integer(0, self._last)]
        return draw(data)

    def picker(self, bits: int) -> Picker[T] | None:
        branches = self.parts
        if len(branches) > 1 << bits:
            return None
        return lambda data, b: data.draw(branches[b % len(branches)])

    def __repr__(self) -> str:
        return f"choice({', '.join(map(repr, self.parts))})"


# A picker draws a value whose first decision (which branch, which constant) its parent has
# already made, as ``bits``: the parent draws the bits of several values as one raw bytes choice,
# where each value would otherwise take a choice of its own.
Picker = Callable[[Any, int], T]


def picker(strategy: st.SearchStrategy[T], *, bits: int) -> Picker[T] | None:
    """How a parent draws ``strategy`` from a number of ``bits`` it drew itself, or None if it cannot.

    A ``choice`` draws the branch the bits select (with a span of its own, so
    that Hypothesis's mutator can still copy the value to another place); a
    ``sampled_from`` (or ``booleans``) is the value they select; either needs
    at most ``2**bits`` options. Bits shrink towards 0: the first branch, the
    first value, as the strategy itself would.
    """
    strategy = eager(strategy)
    if isinstance(strategy, Drawn):
        return strategy.picker(bits)
    kind = type(strategy).__name__
    values: tuple[Any, ...] = ()
    if kind == "BooleansStrategy":
        values = (False, True)
    elif kind == "SampledFromStrategy" and not getattr(strategy, "_transformations", True):
        values = tuple(strategy.elements)  # type: ignore[attr-defined]
    if not 2 <= len(values) <= 1 << bits:
        return None
    return lambda data, b: values[b % len(values)]


def built(target: Callable[..., T], *parts: st.SearchStrategy[Any]) -> st.SearchStrategy[T]:
    """``st.builds(target, *parts)`` whose one-choice parts take no span of their own (see ``drawer``)."""
    return _Built(target, parts)


class _Built(Drawn[T]):
    def __init__(self, target: Callable[..., T], parts: tuple[st.SearchStrategy[Any], ...]) -> None:
        super().__init__(parts)
        self.target = target

    def calc_is_empty(self, recur: Any) -> bool:
        return any(recur(p) for p in self.parts)

    def do_draw(self, data: Any) -> T:
        return self.target(*[draw(data) for draw in self._draws])

    def __repr__(self) -> str:
        return f"built({getattr(self.target, '__name__', self.target)!r}, {', '.join(map(repr, self.parts))})"


def lists(
    elements: st.SearchStrategy[T],
    *,
    min_size: int = 0,
    max_size: int,
    unique_by: Callable[[T], Any] | None = None,
) -> st.SearchStrategy[list[T]]:
    """Like ``st.lists``, for fewer choices: the size is drawn first, as one choice.

    ``st.lists`` spends a boolean and a span per element deciding whether to
    go on. Here the size is one integer choice, or, when the elements have a
    :func:`picker` (unions, enums), one raw bytes choice whose length is the
    size and whose bytes make each element's first decision. Each element is
    one span. It shrinks as ``st.lists`` does: the size goes down (Hypothesis's
    shrinker deletes the elements no longer read) and the elements towards
    their simplest. With ``unique_by``, a duplicate is drawn again, up to three
    times, then the list ends there (below ``min_size`` the example is
    rejected).
    """
    if not 0 <= min_size <= max_size:
        raise ValueError(f"need 0 <= min_size <= max_size, got min_size={min_size!r}, max_size={max_size!r}")
    return _Lists(elements, min_size, max_size, unique_by)


class _Lists(Drawn[list[T]]):
    def __init__(
        self, elements: st.SearchStrategy[T], low: int, high: int, unique_by: Callable[[T], Any] | None
    ) -> None:
        super().__init__([elements])
        self.low, self.high, self.unique_by = low, high, unique_by
        self.pick = picker(self.parts[0], bits=8)

    def calc_is_empty(self, recur: Any) -> bool:
        return self.low > 0 and bool(recur(self.parts[0]))

    def do_draw(self, data: Any) -> list[T]:
        (elements,) = self.parts
        pick, firsts = self.pick, b""
        if pick is not None:
            firsts = data.draw_bytes(self.low, self.high)
            size = len(firsts)
        else:
            size = data.draw_integer(self.low, self.high) if self.high > self.low else self.low
        out: list[T] = []
        seen: set[Any] = set()
        for i in range(size):
            value = pick(data, firsts[i]) if pick is not None else data.draw(elements)
            if self.unique_by is not None:
                key, retries = self.unique_by(value), 3
                while key in seen and retries:
                    value = data.draw(elements)
                    key, retries = self.unique_by(value), retries - 1
                if key in seen:
                    break
                seen.add(key)
            out.append(value)
        if len(out) < self.low:
            reject()
        return out

    def __repr__(self) -> str:
        return f"lists({self.parts[0]!r}, min_size={self.low}, max_size={self.high})"


def maps(
    keys: st.SearchStrategy[Any], values: st.SearchStrategy[T], *, min_size: int = 0, max_size: int
) -> st.SearchStrategy[dict[Any, T]]:
    """Like ``st.dictionaries``: :func:`lists` of pairs unique by key, each pair's key and value
    taking their first decision from the list's byte for that pair (four bits each)."""
    return built(dict, lists(_Pairs([keys, values]), min_size=min_size, max_size=max_size, unique_by=_first))


class _Pairs(Drawn[tuple[Any, T]]):
    def calc_is_empty(self, recur: Any) -> bool:
        return any(recur(p) for p in self.parts)

    def do_draw(self, data: Any) -> tuple[Any, T]:
        key, value = self._draws
        return key(data), value(data)

    def picker(self, bits: int) -> Picker[tuple[Any, T]] | None:
        if bits < 8:
            return None
        (key, value), (key_pick, value_pick) = self._draws, [picker(p, bits=4) for p in self.parts]
        if key_pick is None and value_pick is None:
            return None
        return lambda data, b: (
            key_pick(data, b & 15) if key_pick else key(data),
            value_pick(data, b >> 4) if value_pick else value(data),
        )


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def padded(
    min_len: int, max_len: int | None = None, *, alphabet: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[str]:
    """Strings of ``min_len``..``max_len`` code points (default exactly ``min_len``).

    A short random prefix, then one fill character repeated: cheap at any
    length (a few draws, not one per character), and it shrinks to the
    shortest run of the simplest character. With ``alphabet`` both come from
    it; otherwise the prefix is any text and the fill ASCII, 2-, 3- or 4-byte
    UTF-8.
    """
    sizes = st.just(min_len) if max_len is None or max_len <= min_len else st.integers(min_len, max_len)
    prefix = st.text(alphabet if alphabet is not None else st.characters(codec="utf-8"), max_size=min(min_len, 8))
    fill = alphabet if alphabet is not None else _FILL
    return built(_pad, sizes, prefix, fill)


def _pad(n: int, prefix: str, fill: str) -> str:
    prefix = prefix[:n]
    return prefix + fill * (n - len(prefix))


def free_text(*, min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    """Strings for a field with at most length limits.

    Choices, simplest first: id-like ASCII (``asst_abc123``), any Unicode
    (non-ASCII and astral, never lone surrogates), JSON-special characters
    (quotes, backslashes, control characters, U+2028, a BOM, emoji), then
    exactly ``max_size`` and exactly ``min_size`` code points.
    """
    return choice(free_text_choices(min_size=min_size, max_size=max_size))


def free_text_choices(*, min_size: int = 0, max_size: int | None = None) -> list[st.SearchStrategy[str]]:
    """The branches of :func:`free_text`, for callers that splice them into a larger ``one_of``."""
    if max_size is not None and max_size < min_size:
        raise ValueError(f"max_size={max_size} < min_size={min_size}")
    cap = 24 if max_size is None else min(max_size, 24)
    cap = max(cap, min_size)
    branches = [
        st.text(ID_CHARS, min_size=min_size, max_size=cap),
        st.text(min_size=min_size, max_size=cap),
    ]
    if cap > 0:
        branches.append(st.text("".join(SPECIAL_CHARS), min_size=max(min_size, 1), max_size=cap))
    if max_size is not None and max_size > cap:
        branches.append(padded(max_size))
    if min_size > 0:
        branches.append(padded(min_size))
    return branches


# Valid thread ids that only survive a client that percent-encodes the path
# segment and a server that decodes it exactly once.
RESERVED_THREAD_IDS = ("thread_a/b", "thread_a?b=c", "thread_a#b", "thread_%41", "thread a", "thread_\u00e9\U0001f600")


def thread_ids(*, registry: FieldRegistry | None = None) -> st.SearchStrategy[str]:
    """Valid thread ids: mostly ``thread_abc123``-style, sometimes ones a client must percent-encode.

    The unusual ones carry reserved URL characters (``/ ? # %`` and space),
    non-ASCII and astral text; none is empty, ``.`` or ``..`` (which URL
    normalisation would rewrite) or contains a control character or lone
    surrogate. A ``thread_id`` registration in the registry (ids that exist on
    the target) replaces all of this. Shrinks to ``thread_``.
    """
    registered = (registry if registry is not None else current_registry()).get(THREAD_ID)
    if registered is not None:
        return registered
    plain = st.text(string.ascii_lowercase + string.digits, max_size=24).map("thread_".__add__)
    reserved = st.text("/?#% &+=;:@[]" + ID_CHARS, min_size=1, max_size=24).map("thread_".__add__)
    unicode_ = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=24)
    weird = choice([reserved, unicode_]).filter(lambda s: s.strip(".") != "")
    # Three draws in four are plain ids: exotic ids are for encoding bugs, not the default.
    return choice([plain, plain, plain, weird])


def uris() -> st.SearchStrategy[str]:
    """Absolute URIs that a ``format: uri`` check accepts, including percent-encoded non-ASCII."""
    host = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
    segment = choice(
        [
            st.text(string.ascii_letters + string.digits + "-._~", max_size=12),
            st.sampled_from(["%E7%94%BB%E5%83%8F", "a%20b", "%F0%9F%98%80"]),
        ]
    )
    path = built("/".join, lists(segment, max_size=3))
    return choice(
        [
            st.sampled_from(["https://example.com/image.png", "http://localhost:8080/a?b=c#d"]),
            built("https://{}.example/{}".format, host, path),
            st.sampled_from(["https://xn--r8jz45g.jp/%E7%94%BB.png", "data:image/png;base64,iVBORw0KGgo="]),
        ]
    )


def _finite_floats() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=False, allow_infinity=False)


@functools.lru_cache(maxsize=1)
def _scalars() -> st.SearchStrategy[Any]:
    # Built on first use, not at import: free_text() unwraps lazy strategies (eager), which
    # Hypothesis warns about while pytest loads a conftest that imports runcontract.
    return choice([st.none(), st.booleans(), st.integers(-(2**63), 2**63), _finite_floats(), free_text()])


def json_values(*, max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """Any JSON value (finite numbers, no lone surrogates); shrinks to ``None``."""
    return st.recursive(_scalars(), _nest_values, max_leaves=max_leaves)


def _nest_values(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A named function, not a lambda: Hypothesis reads the source to check that
    # ``extend`` uses its argument, and a lambda's source is not always found.
    return choice([lists(inner, max_size=3), maps(free_text(), inner, max_size=3)])


def json_objects() -> st.SearchStrategy[dict[str, Any]]:
    """Any JSON object; shrinks to ``{}``."""
    return maps(free_text(), json_values(max_leaves=4), max_size=4)


_NAME = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=12)


@functools.lru_cache(maxsize=1)
def _leaf_schemas() -> st.SearchStrategy[dict[str, Any]]:
    # Built on first use (see _scalars).
    return choice(
        [
            st.sampled_from([{"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}]),
            built(_enum_schema, lists(st.text(ID_CHARS, max_size=8), min_size=1, max_size=4, unique_by=str)),
            st.fixed_dictionaries(
                {"type": st.just("integer")}, optional={"minimum": st.integers(-10, 10), "description": free_text()}
            ),
            st.fixed_dictionaries(
                {"type": st.just("string")},
                optional={"maxLength": st.integers(0, 100), "format": st.sampled_from(["date-time", "email", "uri"])},
            ),
        ]
    )


def _enum_schema(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values}


def json_schema_objects() -> st.SearchStrategy[dict[str, Any]]:
    """Function-parameter JSON Schemas: ``{}`` first, then nested object/array schemas.

    A hand-written recursive strategy rather than hypothesis-jsonschema on the
    metaschema: it is what real tool definitions look like (objects of typed
    properties, arrays, enums, nesting a few levels deep), at the cost of one
    ``st.recursive``.
    """

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        props = maps(_NAME, inner, max_size=4)
        obj = built(
            lambda p, req, closed: {
                "type": "object",
                "properties": p,
                "required": sorted(p)[: req % (len(p) + 1)],
                **({"additionalProperties": False} if closed else {}),
            },
            props,
            st.integers(0, 4),
            st.booleans(),
        )
        return choice([obj, built(lambda i: {"type": "array", "items": i}, inner)])

    top = st.recursive(_leaf_schemas(), extend, max_leaves=8).map(
        lambda s: s if s.get("type") == "object" else {"type": "object", "properties": {"value": s}}
    )
    return choice([st.just({}), top, json_objects()])


def step_up(limit: float, *, integer: bool) -> Any:
    return int(limit) + 1 if integer else math.nextafter(limit, math.inf)


def step_down(limit: float, *, integer: bool) -> Any:
    return math.ceil(limit) - 1 if integer else math.nextafter(limit, -math.inf)
