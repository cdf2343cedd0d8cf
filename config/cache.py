"""The cache that a Redis outage cannot break.

Django's ``RedisCache`` lets every Redis error through, so a restart of Redis would
answer 500 on any page that touches the cache (the sessions, every rate limit). Here
an error is a miss: reads find nothing, writes are dropped, ``add`` reports that it
stored nothing. Sessions then come from the database (``cached_db``), DRF's throttle
finds no history (it fails open), and each allauth rate limit fails open or closed
as ``RATE_LIMITS_IF_CACHE_DOWN`` in the settings says: closed raises
``RateLimitUnavailable``, which ``config.faults`` answers with a 503.

After an error Redis is left alone for ``RETRY_AFTER`` seconds (a circuit breaker),
so that a page does not wait on a dead server for every cache call. Keys written or
deleted while Redis was away are deleted when it answers again: a value Redis kept
through the outage (a session ended meanwhile) must not come back stale.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

# allauth's rate-limit keys: "allauth:rl:<app>:<action>:<rate>:<source>[:lock]".
RATE_LIMIT_KEY = "allauth:rl:"
# At most this many dropped keys are kept for deleting later, per process.
DROPPED_KEYS_MAX = 10_000


class RateLimitUnavailable(Exception):
    """A rate limit that fails closed was needed while its counters were away."""

    def __init__(self, action: str):
        super().__init__(f"rate limit {action!r} unavailable: the cache is down")
        self.action = action


def rate_limit_action(key: str) -> str | None:
    """The allauth action a cache key counts, or None for any other key."""
    if not key.startswith(RATE_LIMIT_KEY):
        return None
    parts = key.split(":")
    return parts[3] if len(parts) > 3 else ""


def rate_limit_fails_open(action: str) -> bool:
    """The stated choice for ``action``; a limit with no choice fails closed."""
    return getattr(settings, "RATE_LIMITS_IF_CACHE_DOWN", {}).get(action) == "open"


class ResilientRedisCache(RedisCache):
    """Django's RedisCache whose errors are misses (see the module's docstring).

    OPTIONS takes ``RETRY_AFTER`` (seconds, default 5) besides redis-py's own
    connection options."""

    # Per process and server: every thread's instance shares what it learnt.
    _down_until: dict[str, float] = {}
    _dropped: dict[str, set[str]] = {}

    def __init__(self, server, params):
        super().__init__(server, params)
        self._options = dict(self._options)
        self._retry_after = float(self._options.pop("RETRY_AFTER", 5))
        # redis-py retries a failed command three times with backoff by default:
        # seconds per cache call while Redis is away. One quick retry is enough for
        # a connection that went stale.
        self._options.setdefault("retry", Retry(NoBackoff(), 1))
        self._server_key = ",".join(self._servers)
        self._dropped.setdefault(self._server_key, set())

    # --- the breaker -----------------------------------------------------------------

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until.get(self._server_key, 0.0)

    def _trip(self, error: Exception) -> None:
        was_up = not self._is_down()
        self._down_until[self._server_key] = time.monotonic() + self._retry_after
        if was_up:
            logger.warning(
                "Redis cache unavailable (%s): misses for %ss.",
                error,
                self._retry_after,
            )

    def _forget_dropped(self) -> None:
        """Delete what was written or deleted while Redis was away."""
        dropped = self._dropped[self._server_key]
        if dropped:
            keys = list(dropped)
            self._cache.delete_many(keys)
            dropped.difference_update(keys)
            logger.info("Redis cache back: %d stale keys deleted.", len(keys))

    def _guarded(
        self,
        keys: list[str],
        operation: Callable[[], Any],
        fallback: Any,
        *,
        writes: bool = False,
    ) -> Any:
        if not self._is_down():
            try:
                self._forget_dropped()
                return operation()
            except RedisError as error:
                self._trip(error)
        for key in keys:
            action = rate_limit_action(key)
            if action is not None and not rate_limit_fails_open(action):
                raise RateLimitUnavailable(action)
        if writes:
            dropped = self._dropped[self._server_key]
            if len(dropped) < DROPPED_KEYS_MAX:
                dropped.update(self.make_key(key) for key in keys)
        return fallback

    # --- Django's cache API ----------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Stored nothing: a lock is not taken, a "first one wins" step is skipped.
        # A rate limit that fails open pretends it stored, so its lock is taken.
        action = rate_limit_action(key)
        stored = action is not None and rate_limit_fails_open(action)
        return self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            stored,
            writes=True,
        )

    def get(self, key, default=None, version=None):
        return self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            default,
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            None,
            writes=True,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            False,
        )

    def delete(self, key, version=None):
        return self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).delete(key, version),
            False,
            writes=True,
        )

    def get_many(self, keys, version=None):
        keys = list(keys)
        return self._guarded(
            keys,
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            {},
        )

    def has_key(self, key, version=None):
        return self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            False,
        )

    def incr(self, key, delta=1, version=None):
        # Django's own answer for a key that is not there.
        def missing():
            raise ValueError(f"Key '{key}' not found.")

        result = self._guarded(
            [key],
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            missing,
            writes=True,
        )
        return missing() if result is missing else result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        keys = list(data)
        failed = self._guarded(
            keys,
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            keys,
            writes=True,
        )
        return failed or []

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._guarded(
            keys,
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            None,
            writes=True,
        )

    def clear(self):
        return self._guarded(
            [], lambda: super(ResilientRedisCache, self).clear(), False
        )
