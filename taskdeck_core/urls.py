"""URL helpers shared by the backend, the worker plug-in and the console."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from taskdeck_core.redis_clients import parse_sentinel_url, redact_sentinel_url


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and logs."""
    if url.strip().lower().startswith("sentinel://"):
        return redact_sentinel_url(url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


REDIS_SCHEMES = ("redis", "rediss", "unix", "sentinel")


def check_redis_url(url: str, what: str = "URL") -> str:
    url = url.strip()
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        raise ValueError(
            f"{what} {redact_url(url)!r} is not a Redis URL: it must start with "
            "redis://, rediss:// (TLS), unix:// or sentinel:// (Redis Sentinel), "
            "e.g. redis://user:password@127.0.0.1:6379/0"
        )
    if scheme == "sentinel":
        try:
            parse_sentinel_url(url)
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from None
        return url
    if scheme != "unix" and not urlsplit(url).hostname:
        raise ValueError(f"{what} {redact_url(url)!r} names no host, e.g. redis://127.0.0.1:6379/0")
    try:
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{what} {redact_url(url)!r} has a bad port: {exc}") from None
    return url
