"""Settings → API: admins make and revoke keys; the raw key is shown once."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import ApiKey, CrmUser
from crm.services.apikeys import api_key_create
from crm.services.secrets import secret_hash
from crm.views.apikeys import NEW_KEY_COOKIE
from tests.api.helpers import api_client
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, CrmUserFactory
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


@pytest.fixture
def admin(client, owner_a):
    return sign_in(client, owner_a)


def keys_url(crm) -> str:
    return reverse("crm:api_keys", kwargs={"slug": crm.slug})


def revoke_url(crm, api_key_id) -> str:
    return reverse(
        "crm:api_key_revoke", kwargs={"slug": crm.slug, "api_key_id": api_key_id}
    )


def raw_key_on(page: str) -> str:
    match = re.search(r'data-testid="raw-key">([^<]+)<', page)
    assert match, "the new key is not on the page"
    return match.group(1)


def create_key(client, crm, name="Website form"):
    """Fill in the page's form as a browser does; the POST's response."""
    page = client.get(keys_url(crm)).content.decode()
    return client.post(keys_url(crm), form_data(page, having="name", name=name))


def new_key_halves(client) -> list[str]:
    """The new-key entries in the client's session."""
    session = dict(client.session.items())
    return [key for key in session if key.startswith("crm_new_api_key")]


def assert_never_cached(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


def test_creating_a_key_shows_it_once_and_stores_a_hash(admin, crm_a, owner_a):
    response = create_key(admin, crm_a)

    # POST, then redirect, then GET: a reload repeats the GET, not the POST.
    assert response.status_code == 302 and response.url == keys_url(crm_a)
    assert_never_cached(response)
    api_key = ApiKey.objects.get(crm=crm_a)
    page_response = admin.get(response.url)
    assert page_response.status_code == 200
    assert_never_cached(page_response)
    page = page_response.content.decode()
    raw = raw_key_on(page)
    assert f'data-copy="{raw}"' in page  # the copy button
    assert api_key.name == "Website form"
    assert api_key.created_by == owner_a
    assert api_key.prefix == raw[:12]
    assert api_key.key_hash == secret_hash(purpose="api", value=raw)
    assert raw not in api_key.key_hash

    reloaded = admin.get(keys_url(crm_a))
    listing = reloaded.content.decode()
    assert raw not in listing and 'data-testid="raw-key"' not in listing
    assert "Website form" in listing and f"{api_key.prefix}…" in listing
    assert "Never" in listing
    assert ApiKey.objects.count() == 1

    assert api_client(raw).get("/api/v1/crm/").json()["id"] == crm_a.pk
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_the_page_says_what_to_give_an_amocrm_integration(admin, crm_a):
    page = admin.get(keys_url(crm_a)).content.decode()
    hint = re.search(r'data-testid="amo-move-in">(.*?)</p>', page, re.S).group(1)
    assert "<code>http://testserver/api/v4/</code>" in hint
    assert "<code>http://testserver</code>" in hint
    assert 'href="/api/v4/docs/"' in hint
    assert admin.get("/api/v4/docs/").status_code == 200


def test_the_raw_key_is_in_no_url_and_never_whole_in_the_session_or_a_cookie(
    admin, crm_a
):
    response = create_key(admin, crm_a)
    session = dict(admin.session.items())
    pad = admin.cookies[NEW_KEY_COOKIE]
    assert pad["httponly"] and pad["samesite"] == "Strict"
    assert pad["path"] == keys_url(crm_a)

    raw = raw_key_on(admin.get(response.url).content.decode())

    assert raw not in response.url
    assert raw not in repr(session)
    assert raw not in pad.value
    assert raw not in repr(dict(admin.session.items()))
    # Both halves are gone after that GET.
    assert not new_key_halves(admin)
    assert admin.cookies[NEW_KEY_COOKIE].value == ""


def test_the_session_half_alone_shows_nothing(admin, crm_a):
    response = create_key(admin, crm_a)
    del admin.cookies[NEW_KEY_COOKIE]
    page = admin.get(response.url).content.decode()
    assert 'data-testid="raw-key"' not in page
    # The session's half went with that GET: the pad cannot bring it back.
    assert not new_key_halves(admin)


def test_a_pad_from_another_post_shows_nothing(admin, crm_a):
    create_key(admin, crm_a, name="First")
    old_pad = admin.cookies[NEW_KEY_COOKIE].value
    second = create_key(admin, crm_a, name="Second")
    admin.cookies[NEW_KEY_COOKIE] = old_pad
    page = admin.get(second.url).content.decode()
    assert 'data-testid="raw-key"' not in page
    assert ApiKey.objects.count() == 2


def test_a_key_revoked_before_the_get_is_not_shown(admin, crm_a):
    response = create_key(admin, crm_a)
    ApiKey.objects.update(revoked_at=timezone.now())
    page = admin.get(response.url).content.decode()
    assert 'data-testid="raw-key"' not in page


def test_another_admin_signing_in_on_that_browser_does_not_see_it(admin, crm_a):
    response = create_key(admin, crm_a)
    admin.post(reverse("crm:logout", kwargs={"slug": crm_a.slug}))
    sign_in(admin, CrmUserFactory(crm=crm_a, role="admin"))
    page = admin.get(response.url).content.decode()
    assert 'data-testid="raw-key"' not in page


def test_the_new_key_of_one_crm_is_not_shown_in_another(client, crm_a, crm_b):
    sign_in(client, CrmUser.objects.get(crm=crm_a, role="owner"))
    sign_in(client, CrmUser.objects.get(crm=crm_b, role="owner"))
    create_key(client, crm_a)
    page = client.get(keys_url(crm_b)).content.decode()
    assert 'data-testid="raw-key"' not in page
    # CRM A's half waits for CRM A's page.
    assert f"crm_new_api_key:{crm_a.pk}" in client.session


def test_a_key_needs_a_name(admin, crm_a):
    response = create_key(admin, crm_a, name="   ")
    assert response.status_code == 400
    assert 'data-testid="raw-key"' not in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_a_key(admin, crm_a, owner_a):
    api_key, raw = api_key_create(crm=crm_a, name="Sync", created_by=owner_a)
    assert api_client(raw).get("/api/v1/crm/").status_code == 200

    page = admin.get(keys_url(crm_a)).content.decode()
    assert revoke_url(crm_a, api_key.pk) in page
    assert "confirm(" in page or "data-confirm=" in page  # asks before revoking

    response = admin.post(revoke_url(crm_a, api_key.pk))
    assert response.status_code == 302 and response.url == keys_url(crm_a)
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_client(raw).get("/api/v1/crm/").status_code == 401
    page = admin.get(keys_url(crm_a)).content.decode()
    assert "Revoked" in page
    assert revoke_url(crm_a, api_key.pk) not in page


def test_revoke_is_post_only(admin, crm_a, owner_a):
    api_key, _raw = api_key_create(crm=crm_a, name="Sync", created_by=owner_a)
    assert admin.get(revoke_url(crm_a, api_key.pk)).status_code == 405
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_another_crms_key_is_a_404(admin, crm_a, crm_b, owner_b):
    key_b, raw_b = api_key_create(crm=crm_b, name="Theirs", created_by=owner_b)
    assert admin.post(revoke_url(crm_a, key_b.pk)).status_code == 404
    key_b.refresh_from_db()
    assert key_b.revoked_at is None
    assert "Theirs" not in admin.get(keys_url(crm_a)).content.decode()
    assert api_client(raw_b).get("/api/v1/crm/").status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_who_are_not_admins_get_403(client, crm_a, owner_a, staff_a, method):
    api_key, _raw = api_key_create(crm=crm_a, name="Sync", created_by=owner_a)
    sign_in(client, staff_a)
    assert getattr(client, method)(keys_url(crm_a), {"name": "Mine"}).status_code == 403
    assert getattr(client, method)(revoke_url(crm_a, api_key.pk)).status_code in (
        403,
        405,
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_an_administrator_may_manage_keys(client, crm_a):
    admin_user = CrmUserFactory(crm=crm_a, role="admin")
    sign_in(client, admin_user)
    assert create_key(client, crm_a, name="Ops").status_code == 302
    assert ApiKey.objects.get().created_by == admin_user


def test_anonymous_visitors_go_to_the_crm_login(client, crm_a):
    response = client.get(keys_url(crm_a))
    assert response.status_code == 302
    assert response.url.startswith(f"/c/{crm_a.slug}/login/")
