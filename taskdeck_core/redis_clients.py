"""Redis clients from a URL, for a plain Redis or one under Redis Sentinel.

TaskDeck takes the broker as one URL everywhere (backend, worker plug-in, console).
Besides ``redis://``, ``rediss://`` and ``unix://`` it takes Sentinel URLs in two forms:

- ``sentinel://[:password@]host1:26379,host2:26379,host3:26379/0?master_name=mymaster``
- Celery's own, ``sentinel://host1:26379;sentinel://host2:26379/0?master_name=mymaster``

``master_name`` names the monitored master (Celery keeps it in
``broker_transport_options``; TaskDeck keeps it in the URL so one string says where the
broker is). The password, if any, is the Redis servers' (master and replicas); a
``sentinel_password`` query parameter is the Sentinels' own, when they have one.

A client made here for a Sentinel URL asks the Sentinels for the master before each
new connection and drops its idle connections when the master changed, so a failover
is followed without anything being restarted: commands fail while the Sentinels elect
a new master, then succeed on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "sentinel"
SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelTarget:
    """Where a Sentinel-managed Redis is: the Sentinels and the master's name."""

    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None

    def kombu_url(self) -> str:
        """The URL kombu and Celery take (one ``sentinel://`` per Sentinel joined by ``;``,
        the password on the first); the master's name goes in the transport options."""
        auth = ""
        if self.password is not None:
            auth = f"{quote(self.username or '', safe='')}:{quote(self.password, safe='')}@"
        parts = [f"sentinel://{auth}{host}:{port}/{self.db}" for host, port in self.sentinels[:1]]
        parts += [f"sentinel://{host}:{port}/{self.db}" for host, port in self.sentinels[1:]]
        return ";".join(parts)

    def transport_options(self) -> dict[str, Any]:
        """kombu's ``broker_transport_options`` (and Celery's result backend's) for it."""
        options: dict[str, Any] = {"master_name": self.master_name}
        if self.sentinel_password is not None:
            options["sentinel_kwargs"] = {"password": self.sentinel_password}
        return options

    def describe(self) -> str:
        """For messages: the master's name and the Sentinels, never a password."""
        hosts = ",".join(f"{host}:{port}" for host, port in self.sentinels)
        return f"sentinel://{hosts}/{self.db}?master_name={self.master_name}"


def is_sentinel_url(url: str) -> bool:
    return url.strip().lower().startswith(f"{SENTINEL_SCHEME}://")


def _host_port(text: str, url: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, str(SENTINEL_PORT)
    host = host.strip("[]")
    if not host:
        raise ValueError(f"{url!r} names a Sentinel without a host, e.g. 127.0.0.1:26379")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{url!r} has a bad Sentinel port {port!r}: a number from 1 to 65535")
    return host, int(port)


def parse_sentinel_url(url: str, master_name: str | None = None) -> SentinelTarget:
    """The Sentinels, master name, database and passwords in ``url``; ``master_name``
    (e.g. from Celery's transport options) is used when the URL names none. Raises
    ValueError saying what is wrong and what a good URL looks like."""
    text = url.strip()
    example = "sentinel://127.0.0.1:26379,127.0.0.1:26380/0?master_name=mymaster"
    shown = redact_sentinel_url(text)  # for messages: never a password
    pieces = [p.strip() for p in text.split(";") if p.strip()]
    if not pieces or not all(p.lower().startswith("sentinel://") for p in pieces):
        raise ValueError(f"{shown!r} is not a Sentinel URL; e.g. {example}")
    hosts: list[tuple[str, int]] = []
    query: dict[str, str] = {}
    db = 0
    username = password = None
    for index, piece in enumerate(pieces):
        rest = piece[len("sentinel://") :]
        rest, _, query_text = rest.partition("?")
        netloc, _, path = rest.partition("/")
        query.update(parse_qsl(query_text, keep_blank_values=True))
        userinfo, at, hostlist = netloc.rpartition("@")
        if at and index == 0:
            user, colon, secret = userinfo.partition(":")
            username = unquote(user) or None
            password = unquote(secret) if colon else None
        elif at:
            raise ValueError(
                f"{shown!r}: give the password once, on the first Sentinel; e.g. {example}"
            )
        if not hostlist:
            raise ValueError(f"{shown!r} names no Sentinel; e.g. {example}")
        hosts.extend(_host_port(h.strip(), shown) for h in hostlist.split(","))
        path = path.strip("/")
        if path:
            if not path.isdigit():
                raise ValueError(
                    f"{shown!r}: the database must be a number, as in .../0; e.g. {example}"
                )
            db = int(path)
    name = query.pop("master_name", None) or master_name
    if not name:
        raise ValueError(
            f"{shown!r} does not name the master the Sentinels watch: add "
            f"?master_name=NAME (the name in sentinel.conf's 'sentinel monitor'); e.g. {example}"
        )
    sentinel_password = query.pop("sentinel_password", None)
    query.pop("password", None)
    if query:
        raise ValueError(
            f"{shown!r} has parameters TaskDeck does not use with Sentinel: "
            f"{', '.join(sorted(query))}; only master_name and sentinel_password are read"
        )
    return SentinelTarget(
        tuple(dict.fromkeys(hosts)), name, db, username, password, sentinel_password
    )


def redact_sentinel_url(url: str) -> str:
    """``url`` with passwords (user-info and ``*password=`` parameters) shown as ``***``."""
    out = []
    for piece in url.split(";"):
        head, q, query_text = piece.partition("?")
        scheme, sep, rest = head.partition("://")
        userinfo, at, hostlist = rest.rpartition("@")
        if at and ":" in userinfo:
            rest = f"{userinfo.partition(':')[0]}:***@{hostlist}"
        if q:
            pairs = [
                (k, "***" if k.endswith("password") else v)
                for k, v in parse_qsl(query_text, keep_blank_values=True)
            ]
            query_text = urlencode(pairs, safe="*")
        out.append(f"{scheme}{sep}{rest}" + (f"?{query_text}" if q else ""))
    return ";".join(out)


def _sentinel_kwargs(target: SentinelTarget, kwargs: dict[str, Any]) -> dict[str, Any]:
    sentinel_kwargs = {k: v for k, v in kwargs.items() if k.startswith("socket_")}
    if target.sentinel_password is not None:
        sentinel_kwargs["password"] = target.sentinel_password
    return sentinel_kwargs


def sync_client(url: str, master_name: str | None = None, **kwargs: Any) -> redis.Redis:
    """A redis-py client for ``url`` (``kwargs`` as for ``redis.Redis.from_url``)."""
    if not is_sentinel_url(url):
        return redis.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url, master_name)
    manager = Sentinel(list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(target, kwargs))
    return manager.master_for(
        target.master_name,
        db=target.db,
        username=target.username,
        password=target.password,
        **kwargs,
    )


def async_client(url: str, master_name: str | None = None, **kwargs: Any) -> aioredis.Redis:
    """An asyncio redis-py client for ``url`` (``kwargs`` as for ``from_url``)."""
    if not is_sentinel_url(url):
        return aioredis.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url, master_name)
    manager = AsyncSentinel(
        list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(target, kwargs)
    )
    return manager.master_for(
        target.master_name,
        db=target.db,
        username=target.username,
        password=target.password,
        **kwargs,
    )


def celery_url_and_options(url: str) -> tuple[str, dict[str, Any]]:
    """What to give Celery for ``url``: the URL it understands and the transport options
    to add (both for the broker and the result backend); a plain Redis URL as is."""
    if not is_sentinel_url(url):
        return url, {}
    from taskdeck_core import sentinel_transport  # kombu only where Celery is used

    sentinel_transport.register()
    target = parse_sentinel_url(url)
    return target.kombu_url(), target.transport_options()


def master_address(client: redis.Redis | aioredis.Redis) -> tuple[str, int] | None:
    """The master a Sentinel client last connected to (None for a plain client)."""
    pool: Any = client.connection_pool
    address = getattr(pool, "master_address", None)
    return (str(address[0]), int(address[1])) if address else None
