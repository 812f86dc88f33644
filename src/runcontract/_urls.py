"""Checking a base URL once, before anything tries to connect to it."""

from __future__ import annotations

from urllib.parse import urlsplit

from ._errors import UsageError

__all__ = ["check_base_url"]


def check_base_url(url: str, what: str = "base URL") -> str:
    """``url`` unchanged if it is an http(s) URL with a host and a valid port, else :class:`UsageError`.

    urlsplit and ``.port`` raise ValueError for ``http://[::1`` or ``:99999``; a
    typo in a URL is a usage error (exit 2), never a traceback or a "disagreement".
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise UsageError(f"{what} must start with http:// or https://, got {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{what} {url!r} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise UsageError(f"{what} {url!r} has no host (expected e.g. https://staging.example.com)")
    if port == 0:
        raise UsageError(f"{what} {url!r} has port 0")
    return url
