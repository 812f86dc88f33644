"""pytest plugin entry point. Cheap to import: heavy imports happen inside hooks."""

from __future__ import annotations
