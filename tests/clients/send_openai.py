"""runcontract's command protocol with the openai Python SDK installed beside the Python that runs this.

Stdlib and ``openai`` only, so it runs in a separate environment (openai 2.x beside a runcontract
on openai 3.x): ``runcontract fuzz-client --command '/path/to/venv-openai2/bin/python send_openai.py'``.
Environment: RUNCONTRACT_BASE_URL (ends with /v1), RUNCONTRACT_THREAD_ID, RUNCONTRACT_API_KEY; the
payload as JSON on stdin. Exit 0 sent, 3 refused cleanly, anything else crashed.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import warnings

import openai

REJECTED = 3


def main() -> int:
    payload = json.loads(sys.stdin.read())  # Python reads NaN tokens and big integers exactly
    if not isinstance(payload, dict):
        print("refused: the SDK takes keyword arguments, the payload is not an object", file=sys.stderr)
        return REJECTED
    client = openai.OpenAI(
        api_key=os.environ["RUNCONTRACT_API_KEY"], base_url=os.environ["RUNCONTRACT_BASE_URL"], max_retries=0
    )
    runs = client.beta.threads.runs
    # What the SDK names goes as keyword arguments, anything else in extra_body (as a user would).
    known = set(inspect.signature(runs.create).parameters) - {"thread_id", "extra_headers", "extra_query", "timeout"}
    kwargs = {k: v for k, v in payload.items() if k in known}
    extra = {k: v for k, v in payload.items() if k not in known}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = runs.create(os.environ["RUNCONTRACT_THREAD_ID"], **kwargs, extra_body=extra or None)
            if kwargs.get("stream"):
                for _event in result:
                    pass
    except (ValueError, TypeError) as exc:
        print(f"refused: {type(exc).__name__}: {exc}", file=sys.stderr)
        return REJECTED
    except openai.OpenAIError as exc:
        if isinstance(exc, openai.APIError):
            raise
        print(f"refused: {exc}", file=sys.stderr)
        return REJECTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
