"""The portal's CRM list is served from a cache keyed by a fingerprint of the
Account's memberships: every change a row shows must still appear at once."""

import re
from datetime import timedelta

import pytest
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

import portal.views
from crm.models import Crm, CrmUser
from crm.services import crm_provision, crm_user_update
from crm.services.lifecycle import crm_cancel_deletion, crm_schedule_deletion
from portal.selectors import crm_list_fingerprint
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
)

LIST_URL = reverse("portal:crm_list")


@pytest.fixture
def owner(db):
    return AccountFactory(email="lister@example.com")


@pytest.fixture
def own_crm(owner):
    crm = CrmFactory(owner=owner, name="Own Shop")
    OwnerCrmUserFactory(crm=crm)
    return crm


@pytest.fixture
def lister(client, owner, own_crm):
    """A signed-in client whose list is already cached."""
    client.force_login(owner)
    assert "Own Shop" in page(client)
    return client


def page(client, **extra) -> str:
    response = client.get(LIST_URL, **extra)
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, crm: Crm) -> str:
    found = re.search(rf'<tr id="crm-{crm.pk}".*?</tr>', html, re.S)
    assert found, f"no row for {crm.name}"
    return found[0]


def test_a_second_view_is_served_from_the_cache(lister, monkeypatch):
    def no_rows(**kwargs):
        raise AssertionError("the rows were read again")

    monkeypatch.setattr(portal.views, "crm_list_rows", no_rows)
    assert "Own Shop" in page(lister)


def test_renamed_crm_shows_its_new_name(lister, own_crm):
    own_crm.name = "Renamed Shop"
    own_crm.save()
    html = page(lister)
    assert "Renamed Shop" in html
    assert "Own Shop" not in html


def test_crm_turning_ready_shows_active_with_its_enter_button(lister, owner):
    crm = CrmFactory(owner=owner, name="Slow Shop", status=Crm.Status.PROVISIONING)
    OwnerCrmUserFactory(crm=crm)
    assert 'data-status="provisioning"' in row(page(lister), crm)

    crm_provision(crm_id=crm.pk)

    ready = row(page(lister), crm)
    assert 'data-status="active"' in ready
    assert "hx-get" not in ready
    assert f'formaction="/portal/crms/{crm.pk}/enter/"' in ready


def test_scheduling_and_cancelling_deletion_show_at_once(lister, owner, own_crm):
    crm_schedule_deletion(
        crm=own_crm, account=owner, typed_name="Own Shop", password=DEFAULT_PASSWORD
    )
    assert "Scheduled for deletion" in row(page(lister), own_crm)

    crm_cancel_deletion(crm=own_crm, account=owner)
    assert 'data-status="active"' in row(page(lister), own_crm)


def test_status_changed_by_a_queryset_update_that_stamps_updated_at(lister, own_crm):
    Crm.objects.filter(pk=own_crm.pk).update(
        status=Crm.Status.PURGING, updated_at=timezone.now()
    )
    assert "Being deleted" in row(page(lister), own_crm)


def test_role_change_shows_at_once(lister, owner):
    crm = CrmFactory(name="Joined Agency")
    boss = OwnerCrmUserFactory(crm=crm)
    member = CrmUserFactory(crm=crm, account=owner, role=CrmUser.Role.USER)
    assert ">User<" in row(page(lister), crm)

    crm_user_update(
        crm=crm,
        crm_user=member,
        actor=boss,
        name=member.name,
        role=CrmUser.Role.ADMIN,
        group_id=None,
        rights=None,
    )

    assert ">Administrator<" in row(page(lister), crm)


def test_newly_linked_and_unlinked_crms_appear_and_go(lister, owner):
    crm = CrmFactory(name="Linked Later")
    member = CrmUserFactory(crm=crm, account=owner)
    assert "Linked Later" in page(lister)

    CrmUser.objects.filter(pk=member.pk).update(account=None, updated_at=timezone.now())
    assert "Linked Later" not in page(lister)


def test_deleted_membership_and_deleted_crm_go_from_the_list(lister, owner):
    kept = CrmFactory(owner=owner, name="Kept Shop")
    OwnerCrmUserFactory(crm=kept)
    gone = CrmFactory(owner=owner, name="Gone Shop")
    OwnerCrmUserFactory(crm=gone)
    html = page(lister)
    assert "Kept Shop" in html and "Gone Shop" in html

    CrmUser.objects.filter(crm=gone).delete()
    gone.delete()

    html = page(lister)
    assert "Kept Shop" in html and "Gone Shop" not in html


def test_fingerprint_moves_even_when_an_older_stamp_commits_after_a_newer_one(
    owner, own_crm
):
    other = CrmFactory(owner=owner)
    OwnerCrmUserFactory(crm=other)
    latest = timezone.now() + timedelta(hours=1)
    Crm.objects.filter(pk=other.pk).update(updated_at=latest)
    before = crm_list_fingerprint(account=owner)
    # A change stamped earlier than the latest one, made visible only now (as a
    # transaction that started first and committed last would be): the maximum
    # stays the same, the fingerprint must not.
    older = own_crm.updated_at + timedelta(seconds=1)
    assert older < latest
    Crm.objects.filter(pk=own_crm.pk).update(updated_at=older)
    assert crm_list_fingerprint(account=owner) != before


def test_one_csrf_token_however_many_crms(client, owner):
    for _ in range(5):
        OwnerCrmUserFactory(crm=CrmFactory(owner=owner))
    client.force_login(owner)
    html = page(client)
    # The sign-out form, the language switcher and the one form every row's Enter
    # button submits.
    assert html.count('name="csrfmiddlewaretoken"') == 3
    assert '<form id="enter-form" method="post" hidden>' in html
    assert html.count('form="enter-form"') == 5


def test_enter_button_of_a_cached_list_works(lister, own_crm):
    html = page(lister)
    action = re.search(r'formaction="([^"]+)"', row(html, own_crm))[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    lister.handler.enforce_csrf_checks = True
    response = lister.post(action, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response.url.startswith(f"/c/{own_crm.slug}/sso/")


def test_a_row_being_created_polls_soon_then_every_second(lister, owner):
    crm = CrmFactory(owner=owner, status=Crm.Status.PROVISIONING)
    OwnerCrmUserFactory(crm=crm)
    listed = row(page(lister), crm)
    assert f'hx-get="/portal/crms/{crm.pk}/row/"' in listed
    assert 'hx-trigger="load delay:200ms, every 1s"' in listed

    polled = lister.get(reverse("portal:crm_row", kwargs={"crm_id": crm.pk}))
    assert 'hx-trigger="every 1s"' in polled.content.decode()


def test_each_host_gets_its_own_addresses(lister, own_crm):
    assert f"localhost/c/{own_crm.slug}/" in page(lister, HTTP_HOST="localhost")
    assert f"127.0.0.1/c/{own_crm.slug}/" in page(lister, HTTP_HOST="127.0.0.1")


def test_another_accounts_change_does_not_touch_this_list(lister, owner):
    stranger = AccountFactory()
    OwnerCrmUserFactory(crm=CrmFactory(owner=stranger, name="Not Mine"))
    before = crm_list_fingerprint(account=owner)
    html = page(lister)
    assert "Not Mine" not in html
    assert crm_list_fingerprint(account=owner) == before


def test_layout_links_resolved_once_still_point_at_the_right_places(lister):
    html = page(lister)
    assert f'<link rel="stylesheet" href="{static("css/app.css")}">' in html
    assert static("django_htmx/htmx-2.min.js") in html
    assert f'href="{reverse("account_change_password")}"' in html
    assert f'action="{reverse("account_logout")}"' in html
    lister.logout()
    signin = lister.get(reverse("find_my_crms")).content.decode()
    assert f'href="{reverse("account_login")}"' in signin
    assert f'href="{reverse("account_signup")}"' in signin
