"""How long a key lives and what it may do, tried as an attacker would: keys of a
deactivated or deleted admin, expired keys, read-only keys that try to write."""

import datetime
import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import ApiKey, AuditEvent, Contact, CrmUser
from crm.services.apikeys import (
    API_KEY_MAX_LIFETIME,
    api_key_authenticate,
    api_key_create,
)
from crm.services.users import crm_user_deactivate, crm_user_delete
from tests.api.helpers import api_client, assert_error
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, ContactFactory, CrmUserFactory
from tests.reauth import sign_in_again_to_crm


def sign_in(client, crm_user):
    """Signed in, and just now again, as making a key asks."""
    response = client.post(
        reverse("crm:login", kwargs={"slug": crm_user.crm.slug}),
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    sign_in_again_to_crm(client, crm_user)
    return client


def url(name, crm, **kwargs):
    return reverse(f"crm:{name}", kwargs={"slug": crm.slug, **kwargs})


def raw_key_made_on_the_page(client, crm, **changes) -> str:
    page = client.get(url("api_keys", crm)).content.decode()
    response = client.post(
        url("api_keys", crm), form_data(page, having="name", **changes)
    )
    assert response.status_code == 302, response.content.decode()
    shown = client.get(response.url).content.decode()
    return shown.split('data-testid="raw-key">', 1)[1].split("<", 1)[0]


@pytest.fixture
def staff_admin(crm_a):
    return CrmUserFactory(crm=crm_a, role="admin", name="Ada Admin")


@pytest.fixture
def staff_admin_key(crm_a, staff_admin):
    """A key the staff admin made on the Settings → API page."""
    raw = raw_key_made_on_the_page(sign_in(Client(), staff_admin), crm_a, name="Mine")
    assert api_client(raw).get("/api/v1/crm/").status_code == 200
    return raw


@pytest.fixture
def owner_client(client, owner_a):
    return sign_in(client, owner_a)


# --- the creator goes, the keys go -------------------------------------------------


def test_a_deactivated_admins_key_stops_working(
    owner_client, crm_a, owner_a, staff_admin, staff_admin_key
):
    _owner_key, owner_raw = api_key_create(crm=crm_a, name="Own", created_by=owner_a)
    link = url("user_deactivate", crm_a, crm_user_id=staff_admin.pk)
    page = owner_client.get(link).content.decode()
    assert owner_client.post(link, form_data(page, having="recipient")).status_code == (
        302
    )

    response = api_client(staff_admin_key).get("/api/v1/contacts/")
    assert_error(response, 401, "authentication_failed")
    assert_error(
        api_client(staff_admin_key).post("/api/v1/contacts/", {"name": "Mallory"}),
        401,
        "authentication_failed",
    )
    assert not Contact.objects.filter(name="Mallory").exists()
    key = ApiKey.objects.get(created_by=staff_admin)
    assert key.revoked_at is not None
    event = AuditEvent.objects.get(crm=crm_a, action="api_key.revoked")
    assert event.actor_crm_user == owner_a
    assert event.details["reason"] == "creator_deactivated"
    assert event.details["prefix"] == key.prefix
    # Nobody else's keys are touched.
    assert api_client(owner_raw).get("/api/v1/crm/").status_code == 200

    # Coming back does not bring the key back.
    staff_admin.is_active = True
    staff_admin.save(update_fields=["is_active"])
    assert api_client(staff_admin_key).get("/api/v1/crm/").status_code == 401


def test_a_deleted_admins_key_stops_working(
    owner_client, crm_a, owner_a, staff_admin, staff_admin_key
):
    key = ApiKey.objects.get(created_by=staff_admin)
    link = url("user_delete", crm_a, crm_user_id=staff_admin.pk)
    page = owner_client.get(link).content.decode()
    assert owner_client.post(link, form_data(page, having="recipient")).status_code == (
        302
    )
    assert not CrmUser.objects.filter(pk=staff_admin.pk).exists()

    assert_error(
        api_client(staff_admin_key).get("/api/v1/contacts/"),
        401,
        "authentication_failed",
    )
    key.refresh_from_db()
    assert key.created_by is None and key.revoked_at is not None
    event = AuditEvent.objects.get(crm=crm_a, action="api_key.revoked")
    assert event.details["reason"] == "creator_deleted"
    assert event.details["created_by_name"] == "Ada Admin"

    # The page still says whose it was: nobody's any more.
    listing = owner_client.get(url("api_keys", crm_a)).content.decode()
    assert "Deleted user" in listing


def test_a_refused_deactivation_leaves_the_keys_working(
    crm_a, owner_a, staff_admin, staff_admin_key
):
    ContactFactory(crm=crm_a, responsible=staff_admin)
    with pytest.raises(ValidationError):
        # Records need a recipient: nothing of the deactivation happens.
        crm_user_deactivate(
            crm=crm_a, crm_user_id=staff_admin.pk, recipient_id=None, actor=owner_a
        )
    assert api_client(staff_admin_key).get("/api/v1/crm/").status_code == 200
    assert ApiKey.objects.get(created_by=staff_admin).revoked_at is None


def test_deletion_revokes_every_key_of_the_user_once(crm_a, owner_a, staff_admin):
    for name in ("One", "Two"):
        api_key_create(crm=crm_a, name=name, created_by=staff_admin)
    crm_user_delete(
        crm=crm_a, crm_user_id=staff_admin.pk, recipient_id=None, actor=owner_a
    )
    assert not ApiKey.objects.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 2


def test_a_key_whose_creator_is_gone_or_inactive_is_refused_anyway(
    crm_a, owner_a, staff_admin
):
    """Keys left from before revocation went with the creator."""
    _key, raw_orphan = api_key_create(crm=crm_a, name="Orphan", created_by=owner_a)
    ApiKey.objects.filter(name="Orphan").update(created_by=None)
    _key, raw_inactive = api_key_create(crm=crm_a, name="Old", created_by=staff_admin)
    CrmUser.objects.filter(pk=staff_admin.pk).update(is_active=False)

    for raw in (raw_orphan, raw_inactive):
        assert api_key_authenticate(raw_key=raw) is None
        assert api_client(raw).get("/api/v1/crm/").status_code == 401


def test_the_migration_revokes_keys_left_without_a_live_creator(
    crm_a, owner_a, staff_admin
):
    live, _raw = api_key_create(crm=crm_a, name="Live", created_by=owner_a)
    orphan, _raw = api_key_create(crm=crm_a, name="Orphan", created_by=owner_a)
    ApiKey.objects.filter(pk=orphan.pk).update(created_by=None)
    left, _raw = api_key_create(crm=crm_a, name="Left", created_by=staff_admin)
    CrmUser.objects.filter(pk=staff_admin.pk).update(is_active=False)
    (path,) = Path(apps.get_app_config("crm").path, "migrations").glob(
        "*_api_key_expiry_and_scope.py"
    )
    migration = importlib.import_module(f"crm.migrations.{path.stem}")

    migration.revoke_keys_without_a_live_creator(apps, None)

    revoked = set(
        ApiKey.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)
    )
    assert revoked == {orphan.pk, left.pk}
    assert live.pk not in revoked


# --- expiry ------------------------------------------------------------------------


def test_an_expired_key_is_refused(crm_a, owner_a):
    soon = timezone.now() + timedelta(hours=1)
    key, raw = api_key_create(
        crm=crm_a, name="Soon", created_by=owner_a, expires_at=soon
    )
    assert api_client(raw).get("/api/v1/crm/").status_code == 200

    ApiKey.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api_client(raw).get("/api/v1/contacts/")
    error = assert_error(response, 401, "authentication_failed")
    # Exactly what an unknown key gets: expiry says nothing about the key.
    unknown = assert_error(
        api_client("crm_" + "x" * 43).get("/api/v1/contacts/"),
        401,
        "authentication_failed",
    )
    assert error["message"] == unknown["message"]


@pytest.mark.parametrize(
    "expires_at",
    [
        lambda now: now - timedelta(minutes=1),
        lambda now: now,
        lambda now: now + API_KEY_MAX_LIFETIME + timedelta(days=1),
    ],
    ids=["past", "now", "too-far"],
)
def test_the_service_refuses_an_expiry_out_of_bounds(crm_a, owner_a, expires_at):
    with pytest.raises(ValidationError) as caught:
        api_key_create(
            crm=crm_a,
            name="Bad",
            created_by=owner_a,
            expires_at=expires_at(timezone.now()),
        )
    assert "expires_at" in caught.value.message_dict
    assert not ApiKey.objects.exists()


def test_the_service_refuses_an_unknown_scope(crm_a, owner_a):
    with pytest.raises(ValidationError):
        api_key_create(crm=crm_a, name="Bad", created_by=owner_a, scope="admin")
    assert not ApiKey.objects.exists()


# --- read-only keys ----------------------------------------------------------------


@pytest.fixture
def read_only_raw(crm_a, owner_a):
    _key, raw = api_key_create(
        crm=crm_a, name="Reader", created_by=owner_a, scope=ApiKey.Scope.READ_ONLY
    )
    return raw


def test_a_read_only_key_reads(crm_a, read_only_raw):
    contact = ContactFactory(crm=crm_a, name="Rita Reader")
    client = api_client(read_only_raw)
    assert client.get("/api/v1/contacts/").status_code == 200
    assert client.get(f"/api/v1/contacts/{contact.pk}/").json()["name"] == "Rita Reader"
    assert client.head("/api/v1/contacts/").status_code == 200
    options = client.options("/api/v1/contacts/")
    assert options.status_code == 200
    # What it may not do is not offered.
    assert "POST" not in options.json().get("actions", {})


def test_a_read_only_key_changes_nothing(crm_a, read_only_raw):
    contact = ContactFactory(crm=crm_a, name="Rita Reader", email="rita@a.example")
    client = api_client(read_only_raw)
    item = f"/api/v1/contacts/{contact.pk}/"

    attempts = [
        client.post("/api/v1/contacts/", {"name": "Mallory"}, format="json"),
        client.patch(item, {"name": "Mallory"}, format="json"),
        client.put(item, {"name": "Mallory"}, format="json"),
        client.delete(item),
    ]

    for response in attempts:
        error = assert_error(response, 403, "read_only_key")
        assert "read-only" in error["message"]
    contact.refresh_from_db()
    assert contact.name == "Rita Reader" and contact.email == "rita@a.example"
    assert list(Contact.objects.values_list("pk", flat=True)) == [contact.pk]


def test_a_full_key_still_writes(crm_a, owner_a):
    _key, raw = api_key_create(crm=crm_a, name="Writer", created_by=owner_a)
    response = api_client(raw).post(
        "/api/v1/contacts/", {"name": "Wanda"}, format="json"
    )
    assert response.status_code == 201, response.content
    # OPTIONS checks the key once per method it describes, on a copy of the request.
    options = api_client(raw).options("/api/v1/contacts/")
    assert options.status_code == 200


def test_the_schema_mentions_read_only_keys(db):
    schema = api_client().get("/api/v1/schema/?format=json").json()
    described = schema["components"]["securitySchemes"]["ApiKey"]["description"]
    assert "read-only" in described


# --- Settings → API ----------------------------------------------------------------


def test_the_page_makes_a_read_only_key_that_expires(owner_client, crm_a, owner_a):
    day = timezone.now().date() + timedelta(days=30)
    raw = raw_key_made_on_the_page(
        owner_client,
        crm_a,
        name="Reports",
        scope="read_only",
        expires_at=day.isoformat(),
    )

    key = ApiKey.objects.get()
    assert key.scope == ApiKey.Scope.READ_ONLY
    assert key.expires_at == datetime.datetime.combine(
        day, datetime.time.min, tzinfo=datetime.UTC
    )
    assert key.created_by == owner_a
    assert api_client(raw).get("/api/v1/crm/").status_code == 200
    assert_error(
        api_client(raw).post("/api/v1/contacts/", {"name": "X"}, format="json"),
        403,
        "read_only_key",
    )


def test_the_page_offers_a_full_key_without_expiry_by_default(owner_client, crm_a):
    raw_key_made_on_the_page(owner_client, crm_a, name="Default")
    key = ApiKey.objects.get()
    assert key.scope == ApiKey.Scope.FULL and key.expires_at is None


@pytest.mark.parametrize(
    "days, message",
    [
        (-1, "Choose an expiry date in the future."),
        (0, "Choose an expiry date in the future."),
        (2 * 365 + 2, "A key can expire at most two years from now."),
    ],
)
def test_the_page_refuses_an_expiry_out_of_bounds(owner_client, crm_a, days, message):
    page = owner_client.get(url("api_keys", crm_a)).content.decode()
    day = timezone.now().date() + timedelta(days=days)
    response = owner_client.post(
        url("api_keys", crm_a),
        form_data(page, having="name", name="Late", expires_at=day.isoformat()),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'data-testid="raw-key"' not in body
    assert 'value="Late"' in body  # nothing typed is lost
    assert not ApiKey.objects.exists()


def test_the_page_refuses_a_date_that_is_no_date(owner_client, crm_a):
    page = owner_client.get(url("api_keys", crm_a)).content.decode()
    response = owner_client.post(
        url("api_keys", crm_a),
        form_data(page, having="name", name="Odd", expires_at="2026-02-30"),
    )
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_the_list_shows_creator_scope_expiry_and_state(
    owner_client, crm_a, owner_a, staff_admin
):
    later = timezone.now() + timedelta(days=10)
    reader, _raw = api_key_create(
        crm=crm_a,
        name="Reader",
        created_by=staff_admin,
        scope=ApiKey.Scope.READ_ONLY,
        expires_at=later,
    )
    expired, _raw = api_key_create(
        crm=crm_a, name="Bygone", created_by=owner_a, expires_at=later
    )
    ApiKey.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    orphan, _raw = api_key_create(crm=crm_a, name="Orphan", created_by=owner_a)
    ApiKey.objects.filter(pk=orphan.pk).update(created_by=None)

    page = owner_client.get(url("api_keys", crm_a)).content.decode()

    def row(key):
        return page.split(f'id="api-key-{key.pk}"', 1)[1].split("</tr>", 1)[0]

    assert "Ada Admin" in row(reader) and "Read only" in row(reader)
    assert later.strftime("%Y") in row(reader)
    assert "Active" in row(reader) and "Expired" not in row(reader)
    assert owner_a.name in row(expired) and "Full access" in row(expired)
    assert "Expired" in row(expired)
    assert "Deleted user" in row(orphan)
    assert 'data-testid="key-expires">Never<' in row(orphan)
    # The form offers both choices, labelled.
    assert '<label for="id_scope">' in page and '<label for="id_expires_at">' in page
    assert 'type="date"' in page


def test_an_admin_made_a_user_loses_the_keys_they_made(
    owner_client, crm_a, owner_a, staff_admin, staff_admin_key
):
    # Another administrator stays, so the role can change.
    CrmUserFactory(crm=crm_a, role="admin")
    link = url("user_edit", crm_a, crm_user_id=staff_admin.pk)
    page = owner_client.get(link).content.decode()

    saved = owner_client.post(link, form_data(page, having="role", role="user"))

    assert saved.status_code == 302
    assert_error(
        api_client(staff_admin_key).get("/api/v1/contacts/"),
        401,
        "authentication_failed",
    )
    event = AuditEvent.objects.get(crm=crm_a, action="api_key.revoked")
    assert event.details["reason"] == "creator_demoted"
