"""Who may call the API: a live key of an active CRM, within its rate limit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import ApiKey, Crm
from crm.services.apikeys import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
)
from crm.services.secrets import secret_hash
from tests.api.helpers import api_client, assert_error

# --- the key service ---------------------------------------------------------------


def test_a_new_key_is_returned_once_and_stored_only_hashed(crm_a, owner_a):
    api_key, raw = api_key_create(
        crm=crm_a, name="  Website   form ", created_by=owner_a
    )

    assert raw.startswith("crm_") and len(raw) >= 40
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert stored.name == "Website form"
    assert stored.prefix == raw[:12]
    assert stored.key_hash == secret_hash(purpose="api", value=raw)
    assert raw not in {stored.name, stored.prefix, stored.key_hash}
    assert stored.created_by == owner_a
    assert api_key_authenticate(raw_key=raw) == stored


def test_two_keys_differ(crm_a, owner_a):
    _k1, raw1 = api_key_create(crm=crm_a, name="One", created_by=owner_a)
    _k2, raw2 = api_key_create(crm=crm_a, name="Two", created_by=owner_a)
    assert raw1 != raw2


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_key_needs_a_sensible_name(crm_a, owner_a, name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_key_create(crm=crm_a, name=name, created_by=owner_a)
    assert not ApiKey.objects.exists()


def test_revoking_another_crms_key_is_a_404(crm_a, crm_b, owner_a, owner_b):
    from django.http import Http404

    key_b, raw_b = api_key_create(crm=crm_b, name="B", created_by=owner_b)
    with pytest.raises(Http404):
        api_key_revoke(crm=crm_a, api_key_id=key_b.pk, actor=owner_a)
    with pytest.raises(Http404):
        # Nor with B's CRM named but A's admin acting.
        api_key_revoke(crm=crm_b, api_key_id=key_b.pk, actor=owner_a)
    key_b.refresh_from_db()
    assert key_b.revoked_at is None
    assert api_key_authenticate(raw_key=raw_b) is not None


def test_revoking_twice_keeps_the_first_time(crm_a, owner_a):
    api_key, raw = api_key_create(crm=crm_a, name="A", created_by=owner_a)
    first = api_key_revoke(crm=crm_a, api_key_id=api_key.pk, actor=owner_a).revoked_at
    second = api_key_revoke(crm=crm_a, api_key_id=api_key.pk, actor=owner_a).revoked_at
    assert first == second
    assert api_key_authenticate(raw_key=raw) is None


def test_last_used_is_written_at_most_once_a_minute(
    crm_a, owner_a, django_assert_num_queries
):
    api_key, raw = api_key_create(crm=crm_a, name="A", created_by=owner_a)
    assert api_key.last_used_at is None

    with django_assert_num_queries(3):  # the key, its CRM's owner, "last used"
        api_key_authenticate(raw_key=raw)
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None

    with django_assert_num_queries(2):  # the key and the owner only
        api_key_authenticate(raw_key=raw)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first

    ApiKey.objects.filter(pk=api_key.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=2)
    )
    api_key_authenticate(raw_key=raw)
    api_key.refresh_from_db()
    assert api_key.last_used_at > first - timedelta(seconds=1)
    assert timezone.now() - api_key.last_used_at < timedelta(seconds=5)


# --- 401 ------------------------------------------------------------------------------


def test_no_key_is_a_401_asking_for_a_bearer_token(crm_a):
    response = api_client().get("/api/v1/contacts/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Token abc",
        "Basic dXNlcjpwYXNz",
        "Bearer two parts",
        "Bearer crm_doesnotexist",
        "Bearer " + "x" * 500,
        "Bearer é",
    ],
)
def test_malformed_or_unknown_keys_are_401(crm_a, key_a, header):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/contacts/")
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_scheme_name_is_case_insensitive(crm_a, key_a):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {key_a}")
    assert client.get("/api/v1/crm/").status_code == 200


def test_a_revoked_key_is_a_401(crm_a, owner_a, key_a, api_a):
    assert api_a.get("/api/v1/crm/").status_code == 200
    api_key = ApiKey.objects.get(crm=crm_a)
    api_key_revoke(crm=crm_a, api_key_id=api_key.pk, actor=owner_a)

    response = api_a.get("/api/v1/crm/")
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_key_revoked_elsewhere_is_refused_at_the_next_request(crm_a, api_a):
    """Another process's revocation: only the database knows of it."""
    assert api_a.get("/api/v1/crm/").status_code == 200
    ApiKey.objects.filter(crm=crm_a).update(revoked_at=timezone.now())
    for url in ("/api/v1/crm/", "/api/v1/contacts/"):
        response = api_a.get(url)
        assert_error(response, 401, "authentication_failed")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_crm_status_change_is_seen_at_the_next_request(crm_a, api_a):
    assert api_a.get("/api/v1/crm/").status_code == 200
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    assert_error(api_a.get("/api/v1/crm/"), 403, "crm_unavailable")


def test_the_key_acts_as_its_crms_owner(crm_a, owner_a, key_a):
    api_key = api_key_authenticate(raw_key=key_a)
    assert api_key.crm == crm_a
    assert api_key.owner == owner_a


def test_the_key_not_the_request_decides_the_crm(crm_a, crm_b, api_a):
    response = api_a.get(f"/api/v1/crm/?crm={crm_b.pk}&slug={crm_b.slug}")
    assert response.status_code == 200
    assert response.json() == {
        "id": crm_a.pk,
        "name": "Alpha Traders",
        "slug": "alpha",
        "status": "active",
        "seat_limit": None,
    }


# --- 403 ------------------------------------------------------------------------------


def test_a_crm_scheduled_for_deletion_is_a_403_saying_when(crm_a, api_a):
    due = timezone.now() + timedelta(days=7)
    Crm.objects.filter(pk=crm_a.pk).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at=due
    )
    for url in ("/api/v1/crm/", "/api/v1/contacts/"):
        error = assert_error(api_a.get(url), 403, "crm_unavailable")
        assert "scheduled for deletion" in error["message"]
        assert due.strftime("%Y-%m-%d") in error["message"]
    error = assert_error(
        api_a.post("/api/v1/contacts/", {"name": "Late"}), 403, "crm_unavailable"
    )
    from crm.models import Contact

    assert not Contact.objects.exists()


@pytest.mark.parametrize("status", [Crm.Status.PROVISIONING, Crm.Status.PURGING])
def test_a_crm_that_is_not_active_is_a_403(crm_a, api_a, status):
    Crm.objects.filter(pk=crm_a.pk).update(status=status)
    assert_error(api_a.get("/api/v1/crm/"), 403, "crm_unavailable")


# --- 429 ------------------------------------------------------------------------------


def test_past_the_rate_limit_is_a_429_with_retry_after(settings, api_a, api_b):
    settings.API_RATE_LIMIT = "3/m"
    for _ in range(3):
        assert api_a.get("/api/v1/crm/").status_code == 200

    response = api_a.get("/api/v1/crm/")
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60

    # Counted per key: another CRM's key is not slowed down.
    assert api_b.get("/api/v1/crm/").status_code == 200


def test_each_key_of_a_crm_has_its_own_limit(settings, crm_a, owner_a, api_a):
    settings.API_RATE_LIMIT = "1/m"
    _key, other = api_key_create(crm=crm_a, name="Other", created_by=owner_a)
    assert api_a.get("/api/v1/crm/").status_code == 200
    assert api_a.get("/api/v1/crm/").status_code == 429
    assert api_client(other).get("/api/v1/crm/").status_code == 200


def test_an_empty_rate_limit_means_no_limit(settings, api_a):
    settings.API_RATE_LIMIT = ""
    for _ in range(5):
        assert api_a.get("/api/v1/crm/").status_code == 200


def test_only_admins_may_revoke(crm_a, owner_a, staff_a):
    from django.core.exceptions import PermissionDenied

    api_key, raw = api_key_create(crm=crm_a, name="A", created_by=owner_a)
    with pytest.raises(PermissionDenied):
        api_key_revoke(crm=crm_a, api_key_id=api_key.pk, actor=staff_a)
    assert api_key_authenticate(raw_key=raw) is not None
