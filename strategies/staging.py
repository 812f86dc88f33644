"""Ids created on a staging target for the night's run, and removed after it.

Opt-in: nothing happens unless ``RUNCONTRACT_STAGING_URL`` is set (and then
only when the job has not already given ids, see ``ids.py``). When it is,
this module creates one assistant and one thread on that target
(``POST /v1/assistants``, ``POST /v1/threads``, with the key from
``$OPENAI_API_KEY`` or the variable named by ``RUNCONTRACT_API_KEY_ENV``),
registers them for ``assistant_id`` and ``thread_id``, exports them as
``RUNCONTRACT_ASSISTANT_IDS`` / ``RUNCONTRACT_THREAD_IDS`` so that worker
processes (which inherit the environment and import this folder again)
reuse them instead of creating their own, and deletes them when the process
that created them exits.

In code the same is ``runcontract._staging.StagingResources``::

    with StagingResources(url) as staging, staging.registry().activate():
        report = runcontract.check_endpoint(url)
"""

from __future__ import annotations

import atexit
import os

from runcontract._staging import StagingResources

_URL = os.environ.get("RUNCONTRACT_STAGING_URL", "").strip()
_GIVEN = os.environ.get("RUNCONTRACT_ASSISTANT_IDS") or os.environ.get("RUNCONTRACT_THREAD_IDS")

if _URL and not _GIVEN:
    staging = StagingResources(
        _URL,
        api_key_env=os.environ.get("RUNCONTRACT_API_KEY_ENV", "OPENAI_API_KEY"),
        model=os.environ.get("RUNCONTRACT_STAGING_MODEL", "gpt-4o"),
        name="runcontract-nightly",
    ).setup()
    staging.register()
    os.environ.update(staging.environment())
    atexit.register(staging.cleanup)
