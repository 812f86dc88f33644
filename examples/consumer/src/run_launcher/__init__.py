"""Starts Assistants runs for a support bot: the code under test in this example project."""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx

__all__ = ["start_run", "start_run_httpx", "start_tagged_run"]


def start_run(
    client: Any, thread_id: str, assistant_id: str, *, creativity: float = 0.5, notes: str | None = None
) -> Any:
    """Start a run with the openai SDK; ``creativity`` 0..1 maps onto temperature 0..2."""
    return client.beta.threads.runs.create(
        thread_id,
        assistant_id=assistant_id,
        temperature=round(creativity * 2, 3),
        additional_instructions=notes,
        metadata={"source": "support-bot"},
    )


def start_tagged_run(client: Any, thread_id: str, assistant_id: str, tags: dict[str, str]) -> Any:
    """Start a run carrying the ticket's tags as metadata.

    The planted bug: tags are copied into metadata as they are, so a ticket
    with more than 16 tags, or a tag name over 64 characters, breaks the
    contract (the API answers 400, and the bot loses the run).
    """
    return client.beta.threads.runs.create(thread_id, assistant_id=assistant_id, metadata=dict(tags))


def start_run_httpx(client: httpx.Client, thread_id: str, assistant_id: str) -> dict[str, Any]:
    """The same call without the SDK, for teams that use plain httpx."""
    answer = client.post(
        f"https://api.openai.com/v1/threads/{urllib.parse.quote(thread_id, safe='')}/runs",
        json={"assistant_id": assistant_id, "tools": [{"type": "code_interpreter"}]},
        headers={"OpenAI-Beta": "assistants=v2", "Authorization": "Bearer sk-example"},
    )
    answer.raise_for_status()
    return dict(answer.json())
