"""The API reads a key's row at most every few seconds per process; a revoked key
is still refused at once, and "last used" is still written at most once a
minute."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.api.throttling import revocations_are_checked
from crm.models import ApiKey, Crm
from crm.services import apikeys
from tests.api.helpers import api_client, assert_error

pytestmark = pytest.mark.skipif(
    not revocations_are_checked(),
    reason="the key's row is reused only with a rate limit on a Redis cache",
)


def _key_lookups(queries) -> int:
    return sum('FROM "crm_apikey" k' in q["sql"] for q in queries.captured_queries)


def _forget_the_clock(monkeypatch) -> None:
    """As if every row this process holds had been read long ago."""
    monkeypatch.setattr(apikeys, "KEY_CACHE_SECONDS", 0.0)


def test_a_recent_row_spares_the_lookup(api_a):
    with CaptureQueriesContext(connection) as first:
        assert api_a.get("/api/v1/crm/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert api_a.get("/api/v1/crm/").status_code == 200
    assert _key_lookups(first) == 1
    assert _key_lookups(second) == 0


def test_a_key_revoked_by_another_process_is_refused_at_once(crm_a, api_a):
    assert api_a.get("/api/v1/contacts/").status_code == 200  # row read
    api_key = ApiKey.objects.get(crm=crm_a)
    # Another process revokes it: the database says so, but this process still
    # holds the row it read...
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    assert api_a.get("/api/v1/crm/").status_code == 200
    # ...until the other process's revocation is committed and announced.
    cache.set(apikeys.revoked_marker(api_key.pk), 1)
    for url in ("/api/v1/crm/", "/api/v1/contacts/"):
        response = api_a.get(url)
        assert_error(response, 401, "authentication_failed")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_revoking_announces_it_once_committed_and_forgets_the_row(
    crm_a, owner_a, api_a, django_capture_on_commit_callbacks
):
    assert api_a.get("/api/v1/crm/").status_code == 200
    api_key = ApiKey.objects.get(crm=crm_a)
    marker = apikeys.revoked_marker(api_key.pk)
    cache.delete(marker)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apikeys.api_key_revoke(crm=crm_a, api_key_id=api_key.pk, actor=owner_a)
    assert cache.get(marker) is None  # not before the commit...
    # ...but this process refuses the key already: it dropped the row.
    assert_error(api_a.get("/api/v1/crm/"), 401, "authentication_failed")

    for callback in callbacks:
        callback()
    assert cache.get(marker) == 1
    # Kept longer than any process may hold the row.
    redis = cache._cache.get_client(write=False)
    assert redis.ttl(cache.make_key(marker)) > apikeys.KEY_CACHE_SECONDS


def test_a_crm_status_change_is_seen_once_the_row_is_old(crm_a, api_a, monkeypatch):
    assert api_a.get("/api/v1/crm/").status_code == 200
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    _forget_the_clock(monkeypatch)
    assert_error(api_a.get("/api/v1/crm/"), 403, "crm_unavailable")


def test_last_used_is_written_once_a_minute_with_recent_rows(crm_a, api_a):
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert api_a.get("/api/v1/crm/").status_code == 200
    writes = [q for q in queries.captured_queries if '"last_used_at" =' in q["sql"]]
    assert len(writes) == 1
    api_key = ApiKey.objects.get(crm=crm_a)
    first = api_key.last_used_at
    assert first is not None

    # A minute later (in the database and in this process's memory of its own
    # write), the next request writes again.
    earlier = first - timedelta(minutes=2)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=earlier)
    apikeys._last_used_written[api_key.key_hash] = earlier
    apikeys._recent_rows.pop(api_key.key_hash, None)
    assert api_a.get("/api/v1/crm/").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at > first - timedelta(seconds=1)


def test_a_process_does_not_rewrite_last_used_from_an_old_row(crm_a, api_a):
    assert api_a.get("/api/v1/crm/").status_code == 200  # writes, reads the row
    api_key = ApiKey.objects.get(crm=crm_a)
    # The row this process holds still says "never used"; its own write is
    # what tells it not to write again.
    row_time, row = apikeys._recent_rows[api_key.key_hash]
    with CaptureQueriesContext(connection) as queries:
        assert api_a.get("/api/v1/crm/").status_code == 200
    assert not [q for q in queries.captured_queries if "UPDATE" in q["sql"]]
    assert apikeys._recent_rows[api_key.key_hash] == (row_time, row)


def test_a_view_without_the_rate_limit_reads_the_row_every_time(
    crm_a, key_a, monkeypatch
):
    from crm.api.views import CrmView

    monkeypatch.setattr(CrmView, "throttle_classes", [])
    client = api_client(key_a)
    assert client.get("/api/v1/crm/").status_code == 200
    ApiKey.objects.filter(crm=crm_a).update(revoked_at=timezone.now())
    assert_error(client.get("/api/v1/crm/"), 401, "authentication_failed")
