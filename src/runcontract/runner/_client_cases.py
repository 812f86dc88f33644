"""What the client checks feed a client: the boundary plan first, then random cases.

Everything comes from the shared strategies package (``boundary_plan``,
``requests()``, ``thread_ids()``) behind the functions here, plus a few
deterministic probes of our own: awkward thread ids and numbers that a
serializer must carry exactly (2**70, 0.1 + 0.2, the smallest subnormal).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .._core import Case
from ..contract import Contract
from ..strategies import boundary_cases, boundary_plan, minimal_instance, requests, thread_ids

__all__ = [
    "EXACT_NUMBERS",
    "THREAD_IDS",
    "at_cases",
    "boundary_examples",
    "case_strategy",
    "probe_cases",
    "thread_id_strategy",
]

DEFAULT_THREAD = "thread_abc123"
# Thread ids that a careless client puts on the wire unencoded. "." and ".."
# are left out: as path segments they are dot-segments, which no encoding
# can carry faithfully (the openai SDK refuses them with ValueError).
THREAD_IDS = (
    "thread/with/slashes",
    "thread?q=1#frag",
    "thread with spaces",
    "thread_\u00e9\U0001f600",
    "%2F",
    "thread;a=b&c",
)
# Valid values a serializer must carry exactly (where the contract has the field).
EXACT_NUMBERS: dict[str, Any] = {
    "max_prompt_tokens": 2**70,
    "max_completion_tokens": 2**53 + 1,
    "temperature": 0.1 + 0.2,
    "top_p": 5e-324,
}


def at_cases(contract: Contract, constraints: tuple[str, ...]) -> list[Case]:
    """The single-constraint valid boundary cases of ``constraints`` (to tell which one a client refused)."""
    wanted = set(constraints)
    return [
        Case(b.payload, DEFAULT_THREAD, "valid", b.constraint, b.note, "boundary", covers=(b.constraint,))
        for b in boundary_cases(contract)
        if b.side == "at" and b.constraint in wanted
    ]


def probe_cases(contract: Contract) -> list[Case]:
    """Valid payloads with awkward thread ids, and numbers a serializer must carry exactly."""
    base = minimal_instance(contract.request_schema)
    out = [Case(base, tid, "valid", None, f"thread id {tid!r}", "boundary") for tid in THREAD_IDS]
    known = contract.request_schema.get("properties", {})
    for name, value in EXACT_NUMBERS.items():
        payload = {**base, name: value}
        if name in known and contract.is_valid(payload):
            out.append(Case(payload, DEFAULT_THREAD, "valid", None, f"exact {name}", "boundary"))
    return out


def boundary_examples(contract: Contract) -> list[Case]:
    """The shared boundary plan, then :func:`probe_cases` (all deterministic)."""
    return [*boundary_plan(contract), *probe_cases(contract)]


def thread_id_strategy() -> st.SearchStrategy[str]:
    """Thread ids: mostly the usual shape, sometimes ones a client must percent-encode."""
    return thread_ids()


def case_strategy(contract: Contract) -> st.SearchStrategy[Case]:
    """Random cases of either verdict, each with its thread id (the shared ``requests()`` strategy)."""
    return requests(contract, thread_id=thread_id_strategy())
