"""The Run object a create-run request yields: shared by the reference server and the client recorder.

It lives in the contract (not in the server) so that the loopback recorder in
``drivers`` builds the same answer without importing the web server.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_MODEL", "run_for"]

DEFAULT_MODEL = "gpt-4o"
_TRUNCATION_DEFAULT: dict[str, Any] = {"type": "auto", "last_messages": None}


def run_for(payload: Any, thread_id: str, *, version: str = "v2", run_id: str, now: int) -> dict[str, Any]:
    """A Run reflecting ``payload``; any JSON value is taken (what it lacks gets defaults).

    Shared by the reference server (accepted payloads only) and the client
    recorder, which answers whatever a client sent so that SDKs can parse it.
    """
    body: dict[str, Any] = payload if isinstance(payload, dict) else {}

    def given(name: str, default: Any) -> Any:
        value = body.get(name)
        return default if value is None else value

    run: dict[str, Any] = {
        "id": run_id,
        "object": "thread.run",
        "created_at": now,
        "assistant_id": given("assistant_id", "asst_unknown"),
        "thread_id": thread_id,
        "status": "queued",
        "started_at": None,
        "expires_at": now + 600,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "required_action": None,
        "last_error": None,
        "model": given("model", DEFAULT_MODEL),
        "instructions": given("instructions", ""),
        "tools": given("tools", []),
        "metadata": given("metadata", {}),
        "usage": None,
    }
    if version == "v1":
        run["file_ids"] = []
        return run
    run.update(
        {
            "incomplete_details": None,
            "temperature": given("temperature", 1.0),
            "top_p": given("top_p", 1.0),
            "max_prompt_tokens": body.get("max_prompt_tokens"),
            "max_completion_tokens": body.get("max_completion_tokens"),
            "truncation_strategy": given("truncation_strategy", dict(_TRUNCATION_DEFAULT)),
            "tool_choice": given("tool_choice", "auto"),
            "parallel_tool_calls": given("parallel_tool_calls", True),
            "response_format": given("response_format", "auto"),
        }
    )
    if body.get("reasoning_effort") is not None:
        run["reasoning_effort"] = body["reasoning_effort"]
    return run
