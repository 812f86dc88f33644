"""The test kit's fixtures, for every test module (the factories are imported from ``support``)."""

from support import running_server

__all__ = ["running_server"]
