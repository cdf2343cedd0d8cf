import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.utils import translation
from django.utils.translation import trans_real

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


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The catalogues compiled as ``make setup`` does, when a .mo is missing or
    older than its .po (a bare ``pytest`` after editing a translation)."""
    stale = [
        po
        for po in Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    for po in stale:
        subprocess.run(
            ["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)],
            check=True,
        )
    if stale:
        # Forget catalogues loaded before they were compiled.
        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = trans_real.Local()


@pytest.fixture(autouse=True)
def source_language():
    """Each test starts in English, whatever language a request before it left
    active in this thread (LocaleMiddleware activates one and never resets it)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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
