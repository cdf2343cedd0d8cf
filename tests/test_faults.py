"""Each rate limit's stated choice while Redis, which holds its counters, is away
(``RATE_LIMITS_IF_CACHE_DOWN``), and the cache that makes Redis errors misses.
Under a real Redis stopped and started: tests/faults/."""

import re
from pathlib import Path

import pytest
from allauth.account import app_settings
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIRequestFactory

from config.cache import RateLimitUnavailable, ResilientRedisCache
from crm.api.throttling import ApiKeyRateThrottle
from crm.models import ApiKey
from tests.servers import free_port

CONSUMED = re.compile(r"""\baction=["']([a-z_]+)["']""")


def _actions_in_code() -> set[str]:
    found = set()
    for app in ("accounts", "crm", "portal", "billing"):
        for source in Path(settings.BASE_DIR, app).rglob("*.py"):
            found.update(CONSUMED.findall(source.read_text()))
    return found


def test_every_rate_limit_states_whether_it_fails_open_or_closed():
    limits = set(app_settings.RATE_LIMITS) | _actions_in_code()
    choices = settings.RATE_LIMITS_IF_CACHE_DOWN
    assert limits - set(choices) == set()
    assert set(choices.values()) == {"open", "closed"}
    # Those that stop guessing a secret never go uncounted.
    for guessed in ("login_failed", "crm_login_failed", "crm_code_failed"):
        assert choices[guessed] == "closed"


@pytest.fixture
def dead_redis():
    """The cache as settings make it, pointed at a port where no Redis listens."""
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {
            "KEY_PREFIX": "dead",
            "OPTIONS": {"socket_connect_timeout": 0.2, "RETRY_AFTER": 60},
        },
    )
    yield cache
    ResilientRedisCache._down_until.pop(cache._server_key, None)
    ResilientRedisCache._dropped.pop(cache._server_key, None)


def test_a_cache_without_redis_misses_and_each_limit_keeps_its_choice(dead_redis):
    assert dead_redis.get("anything", "missed") == "missed"
    dead_redis.set("anything", 1)
    assert dead_redis.get_many(["a", "b"]) == {}
    with pytest.raises(ValueError):
        dead_redis.incr("anything")

    # allauth's keys: "allauth:rl:<app>:<action>:..."; a closed one refuses.
    with pytest.raises(RateLimitUnavailable):
        dead_redis.get("allauth:rl:account:login_failed:10/m:ip:127.0.0.1")
    with pytest.raises(RateLimitUnavailable):
        dead_redis.add("allauth:rl:crm:crm_code_failed:5/5m:key:x", 1)
    # An open one goes on uncounted; its lock counts as taken.
    assert dead_redis.get("allauth:rl:account:reset_password:5/m:key:x", []) == []
    assert dead_redis.add("allauth:rl:account:reset_password:5/m:key:x:lock", 1)


def test_the_api_throttle_fails_open_without_its_history(dead_redis, settings):
    settings.API_RATE_LIMIT = "1/m"
    request = APIRequestFactory().get("/api/v1/contacts/")
    request.auth = ApiKey(pk=1)

    def allowed(cache) -> list[bool]:
        throttle = ApiKeyRateThrottle()
        throttle.cache = cache
        return [throttle.allow_request(request, None) for _ in range(3)]

    assert allowed(LocMemCache("throttle", {})) == [True, False, False]
    assert allowed(dead_redis) == [True, True, True]
