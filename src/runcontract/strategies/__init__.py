"""Strategies: valid, boundary and single-violation CreateRunRequest payloads."""

from ._boundary import BoundaryCase, boundary_cases, minimal_instance
from ._case import Case

__all__ = ["BoundaryCase", "Case", "boundary_cases", "minimal_instance"]
