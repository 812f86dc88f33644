"""The reference server: a faithful ASGI implementation of the create-run contract.

``create_app`` builds the Starlette app; ``RunsService`` holds its behaviour
in small overridable methods (faulty variants subclass it and use
``build_app``); ``serve`` runs it with uvicorn and ``BackgroundServer`` runs
it in a thread on a free loopback port.
"""

from ..contract import DEFAULT_MODEL, run_for
from ._app import build_app, create_app, thread_id_from_scope
from ._background import BackgroundServer, serve
from ._service import Answer, ApiError, RunsService, param_from_pointer

__all__ = [
    "DEFAULT_MODEL",
    "Answer",
    "ApiError",
    "BackgroundServer",
    "RunsService",
    "build_app",
    "create_app",
    "param_from_pointer",
    "run_for",
    "serve",
    "thread_id_from_scope",
]
