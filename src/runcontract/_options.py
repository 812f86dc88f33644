"""Option defaults and validation shared by the CLI, the plugin, the Python API and the settings.

Standard library only: the pytest plugin imports this while pytest starts.
Every validator raises :class:`UsageError` with one line that names the option
(``what``) and the value it was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from ._errors import UsageError

__all__ = [
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_DATABASE",
    "DEFAULT_VERSION",
    "VERSIONS",
    "base_url",
    "check_names",
    "contract_version",
    "parse_checks",
    "parse_duration",
    "parse_rate",
    "parse_statuses",
    "positive_number",
    "whole_number",
]

# contract.VERSIONS re-exports this tuple: the contract package is too heavy to import here.
VERSIONS = ("v1", "v2")
DEFAULT_VERSION = "v2"
# Where failures (and the plugin's Hypothesis database) are kept between runs.
DEFAULT_DATABASE = ".runcontract"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"

_UNLIMITED = ("unlimited", "none", "off", "0")
_DURATION = re.compile(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*")


def contract_version(value: object, *, what: str = "contract") -> str:
    """``v1`` or ``v2``."""
    text = str(value)
    if text not in VERSIONS:
        raise UsageError(f"{what} must be {' or '.join(VERSIONS)}, got {text!r}")
    return text


def base_url(value: object, *, what: str = "base URL") -> str:
    """An ``http(s)://host[:port][/path]`` URL, returned as given."""
    text = str(value)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError as exc:  # "http://[::1": an unclosed IPv6 bracket
        raise UsageError(f"{what} {text!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not text.lower().startswith(f"{parts.scheme}://"):
        raise UsageError(f"{what} must start with http:// or https://, got {text!r}")
    if not parts.hostname:
        raise UsageError(f"{what} {text!r} has no host (expected e.g. https://staging.example.com)")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise UsageError(f"{what} {text!r} is not a valid URL: it holds whitespace or control characters")
    return text


def check_names(names: Iterable[str], known: Iterable[str], *, what: str = "check") -> tuple[str, ...]:
    """``names``, each of which must be one of ``known``."""
    known = tuple(known)
    chosen = tuple(names)
    for name in chosen:
        if name not in known:
            raise UsageError(f"unknown {what} {name!r} (known: {', '.join(known)})")
    return chosen


def parse_checks(text: str, known: Iterable[str], default: Iterable[str], *, what: str = "check") -> tuple[str, ...]:
    """A comma-separated list of check names; ``all`` or empty for ``default``."""
    if text.strip() in ("", "all"):
        return tuple(default)
    return check_names((n.strip() for n in text.split(",") if n.strip()), known, what=what)


def parse_statuses(text: str, *, what: str = "--accept-status") -> frozenset[int]:
    """Comma-separated 4xx status codes, e.g. ``400,422``."""
    try:
        values = frozenset(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise UsageError(f"bad {what} {text!r} (expected e.g. 400,422)") from None
    if not values or any(not 400 <= v < 500 for v in values):
        raise UsageError(f"{what} takes 4xx codes, got {text!r}")
    return values


def parse_duration(text: str, *, what: str = "duration") -> float:
    """``90``, ``90s``, ``30m``, ``2h``, ``1h30m`` -> seconds."""
    match = _DURATION.fullmatch(text)
    if not text.strip() or not match or not any(match.groups()):
        raise UsageError(f"bad {what} {text!r} (examples: 90s, 30m, 2h)")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    total = h * 3600 + m * 60 + s
    if total <= 0:
        raise UsageError(f"{what} must be positive, got {text!r}")
    return total


def parse_rate(text: str, *, what: str = "rate") -> float:
    """Requests per second; ``0``, ``unlimited``, ``none`` or ``off`` for no cap (0.0)."""
    if text.strip().lower() in _UNLIMITED:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{what} must be requests per second or 'unlimited', got {text!r}") from None
    if not value >= 0 or value == float("inf"):  # NaN fails the first test
        raise UsageError(f"{what} must be >= 0 requests per second, got {text!r}")
    return value


def whole_number(value: object, *, what: str = "value", minimum: int = 0) -> int:
    """An integer (or its text) of at least ``minimum``."""
    # bool is an int, and int(2.5) is 2: neither is the whole number someone meant to give.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError(f"{what} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (ValueError, OverflowError):
        raise UsageError(f"{what} must be a whole number, got {value!r}") from None
    if number != value and not isinstance(value, str):
        raise UsageError(f"{what} must be a whole number, got {value!r}")
    if number < minimum:
        raise UsageError(f"{what} must be >= {minimum}, got {number}")
    return number


def positive_number(value: object, *, what: str = "value") -> float:
    """A number > 0 (or its text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise UsageError(f"{what} must be a number, got {value!r}") from None
    if not number > 0:  # NaN fails too
        raise UsageError(f"{what} must be a number > 0, got {value!r}")
    return number
