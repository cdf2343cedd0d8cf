"""A rate limit per API key, ``settings.API_RATE_LIMIT`` (e.g. "600/m")."""

from __future__ import annotations

import secrets
import weakref
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from crm.models import ApiKey
from crm.services.apikeys import revoked_marker

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

# DRF's sliding window (a request counts for ``duration`` seconds after it was let
# through; a refused one does not count) in one atomic Redis call: drop the times
# that have left the window, count the rest, record this request if it fits.
# First, though, whether the key was revoked since this process read its row
# (``crm.services.apikeys.revoked_marker``).
# KEYS: the window, the revocation marker. ARGV: now, now - duration, the limit,
# a unique member, the duration in whole seconds. Returns {1} when allowed, {-1}
# when the key is revoked, else {0, requests in the window, time of the oldest}.
_SLIDING_WINDOW = """
if redis.call('EXISTS', KEYS[2]) == 1 then
    return {-1}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return {1}
end
return {0, count, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
"""


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Counts requests per key in the Django cache (Redis in production, so every
    web process shares the count). Past the limit DRF answers 429 with
    ``Retry-After``.

    With Redis the window is a sorted set of request times kept by one script: one
    round trip per request whatever the limit, atomic across processes. With any
    other cache it is DRF's own list of times, read and written back."""

    scope = "api_key"
    # Not the key DRF's list would use: this one holds a sorted set.
    cache_format = "throttle_%(scope)s_window_%(ident)s"
    _script: Any = None
    # (requests in the window, time of the oldest) when Redis refused one.
    _refused: tuple[int, float | None] | None = None

    def get_rate(self) -> str | None:
        # Read at every request, not from DRF's cached THROTTLE_RATES, so that the
        # setting (and tests overriding it) take effect at once. Empty: no limit.
        return getattr(settings, "API_RATE_LIMIT", "") or None

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiKey):
            # Refused before throttling anyway (401); nothing to count against.
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        # ``django.core.cache.cache`` is a proxy to this thread's backend.
        backend = caches["default"] if self.cache is default_cache else self.cache
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        key = backend.make_and_validate_key(self.key)
        client = _client(backend, key)
        script = type(self)._script
        if script is None:
            script = type(self)._script = client.register_script(_SLIDING_WINDOW)
        marker = backend.make_and_validate_key(revoked_marker(request.auth.pk))
        result = script(
            keys=[key, marker],
            args=[
                repr(self.now),
                repr(self.now - self.duration),
                self.num_requests,
                f"{self.now!r}:{secrets.token_hex(4)}",
                self.duration,
            ],
            client=client,
        )
        if result[0] == -1:
            # As authentication would have said with a fresh row.
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        if result[0]:
            return True
        # No oldest time when the window is empty (a limit of 0).
        self._refused = (int(result[1]), float(result[2]) if result[2:] else None)
        return False

    def wait(self) -> float | None:
        """DRF's answer, from what the script saw."""
        if self._refused is None:
            return super().wait()
        count, oldest = self._refused
        available_requests = self.num_requests - count + 1
        if available_requests <= 0:
            return None
        remaining = (
            self.duration if oldest is None else self.duration - (self.now - oldest)
        )
        return remaining / available_requests


def revocations_are_checked() -> bool:
    """Whether every request passes through the Redis script above, which
    refuses a revoked key even when the process answers from a row it read a
    few seconds ago: a rate limit is set and the cache, shared by every
    process, is Redis."""
    return bool(getattr(settings, "API_RATE_LIMIT", "")) and isinstance(
        caches["default"], RedisCache
    )


# One redis-py client per cache backend: Django makes a new one for every command,
# and making one (its table of reply parsers) costs more than the round trip.
_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _client(backend: RedisCache, key: str) -> Any:
    cache_client = backend._cache
    client = _clients.get(cache_client)
    if client is None:
        client = _clients[cache_client] = cache_client.get_client(key, write=True)
    return client
