import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

from tests.factories import CrmFactory, CrmUserFactory, OwnerCrmUserFactory


def _clear_cache() -> None:
    """Forget rate-limit counters and cached sessions between tests.

    On Redis only this run's own keys go (the broker may share the database)."""
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def fresh_cache():
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def crm_a(db):
    crm = CrmFactory(name="Alpha Traders", slug="alpha")
    OwnerCrmUserFactory(crm=crm)
    return crm


@pytest.fixture
def crm_b(db):
    crm = CrmFactory(name="Beta Works", slug="beta")
    OwnerCrmUserFactory(crm=crm)
    return crm


@pytest.fixture
def staff_a(crm_a):
    return CrmUserFactory(crm=crm_a, email="staff@alpha.example", name="Anna Staff")


@pytest.fixture
def staff_b(crm_b):
    return CrmUserFactory(crm=crm_b, email="staff@beta.example", name="Boris Staff")
