import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Crm, CrmUser
from tests.factories import (
    AccountFactory,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
)

LIST_URL = reverse("portal:crm_list")


@pytest.fixture
def owner(db):
    return AccountFactory(email="multi@example.com")


@pytest.fixture
def own_crm(owner):
    crm = CrmFactory(owner=owner, name="Own Shop")
    OwnerCrmUserFactory(crm=crm)
    return crm


def page(client, **extra) -> str:
    response = client.get(LIST_URL, **extra)
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, crm: Crm) -> str:
    found = re.search(rf'<tr id="crm-{crm.pk}".*?</tr>', html, re.S)
    assert found, f"no row for {crm.name}"
    return found[0]


def test_crm_list_shows_only_the_accounts_crms_with_roles(client, owner, crm_b):
    own = CrmFactory(owner=owner, name="Own Shop")
    OwnerCrmUserFactory(crm=own)
    joined = CrmFactory(name="Joined Agency")
    CrmUserFactory(crm=joined, account=owner, role="admin", email=owner.email)
    client.force_login(owner)

    html = page(client)

    assert "Own Shop" in html
    assert "Joined Agency" in html
    assert ">Administrator<" in row(html, joined)
    assert ">Owner<" in row(html, own)
    assert "Beta Works" not in html


def test_an_account_without_crms_is_offered_to_create_one(client, owner):
    client.force_login(owner)
    html = page(client)
    assert "You are not linked to any CRM yet." in html
    assert "<table" not in html


def _mixed_crms(owner, count: int) -> None:
    """``count`` CRMs of every kind a row shows: owned, joined, being created,
    scheduled for deletion."""
    for index in range(count):
        kind = index % 4
        if kind == 1:
            crm = CrmFactory()
            OwnerCrmUserFactory(crm=crm)
            CrmUserFactory(crm=crm, account=owner, role=CrmUser.Role.ADMIN)
            continue
        status = {
            0: Crm.Status.ACTIVE,
            2: Crm.Status.PROVISIONING,
            3: Crm.Status.PENDING_DELETION,
        }[kind]
        crm = CrmFactory(
            owner=owner,
            status=status,
            deletion_due_at=timezone.now() + timedelta(days=30)
            if status == Crm.Status.PENDING_DELETION
            else None,
        )
        OwnerCrmUserFactory(crm=crm)


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL).status_code == 200
    return len(queries)


def test_crm_list_runs_a_constant_number_of_queries(
    client, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    _mixed_crms(owner, 4)
    few = _queries(client)
    _mixed_crms(owner, 36)

    with django_assert_max_num_queries(few):
        html = page(client)

    assert html.count('<tr id="crm-') == 40
    assert few <= 6


def test_a_row_being_created_polls_soon_then_every_second(client, owner):
    crm = CrmFactory(owner=owner, status=Crm.Status.PROVISIONING)
    OwnerCrmUserFactory(crm=crm)
    client.force_login(owner)

    listed = row(page(client), crm)
    assert f'hx-get="/portal/crms/{crm.pk}/row/"' in listed
    assert 'hx-trigger="load delay:200ms, every 1s"' in listed
    assert "Enter" not in listed

    polled = client.get(reverse("portal:crm_row", kwargs={"crm_id": crm.pk}))
    assert polled.status_code == 200
    body = polled.content.decode()
    assert body.strip().startswith(f'<tr id="crm-{crm.pk}"')
    assert 'hx-trigger="every 1s"' in body


def test_the_row_endpoint_runs_a_constant_number_of_queries(
    client, owner, own_crm, django_assert_max_num_queries
):
    client.force_login(owner)
    _mixed_crms(owner, 20)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("portal:crm_row", kwargs={"crm_id": own_crm.pk}))
    assert response.content.decode().count('<tr id="crm-') == 1


def test_enter_button_posts_its_own_form_with_a_csrf_token(client, owner, own_crm):
    client.force_login(owner)
    client.handler.enforce_csrf_checks = True
    html = page(client)
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>',
        row(html, own_crm),
        re.S,
    )
    assert form[1] == reverse("portal:crm_enter", kwargs={"crm_id": own_crm.pk})
    assert 'aria-label="Enter Own Shop"' in form[2]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[2])[1]

    response = client.post(form[1], {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert response.url.startswith(f"/c/{own_crm.slug}/sso/")


def test_only_the_owner_role_gets_the_delete_link(client, owner, own_crm):
    joined = CrmFactory(name="Joined Agency")
    OwnerCrmUserFactory(crm=joined)
    CrmUserFactory(crm=joined, account=owner, role=CrmUser.Role.ADMIN)
    client.force_login(owner)
    html = page(client)
    delete_url = reverse("portal:crm_delete", kwargs={"crm_id": own_crm.pk})
    assert f'href="{delete_url}"' in row(html, own_crm)
    assert "/delete/" not in row(html, joined)


def test_a_crm_scheduled_for_deletion_is_listed_apart_and_can_be_cancelled(
    client, owner, own_crm
):
    Crm.objects.filter(pk=own_crm.pk).update(
        status=Crm.Status.PENDING_DELETION,
        deletion_due_at=timezone.now() + timedelta(days=30),
    )
    client.force_login(owner)
    client.handler.enforce_csrf_checks = True
    html = page(client)

    section = html[html.index('id="scheduled-for-deletion"') :]
    scheduled = row(section, own_crm)
    assert "Scheduled for deletion on" in scheduled
    assert "Enter" not in scheduled
    export_url = reverse("portal:crm_export", kwargs={"crm_id": own_crm.pk})
    assert f'href="{export_url}"' in scheduled
    cancel = re.search(
        r'<form method="post" action="([^"]+)".*?</form>', scheduled, re.S
    )
    assert cancel[1] == reverse(
        "portal:crm_cancel_deletion", kwargs={"crm_id": own_crm.pk}
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cancel[0])[1]

    assert client.post(cancel[1], {"csrfmiddlewaretoken": token}).status_code == 302
    own_crm.refresh_from_db()
    assert own_crm.status == Crm.Status.ACTIVE
    assert 'data-status="active"' in row(page(client), own_crm)


def test_a_crm_being_deleted_shows_so_without_actions(client, owner, own_crm):
    Crm.objects.filter(pk=own_crm.pk).update(status=Crm.Status.PURGING)
    client.force_login(owner)
    purging = row(page(client), own_crm)
    assert "Being deleted" in purging
    assert "<form" not in purging and "<button" not in purging


def test_each_host_gets_its_own_addresses(client, owner, own_crm):
    client.force_login(owner)
    assert f"localhost/c/{own_crm.slug}/" in page(client, HTTP_HOST="localhost")
    assert f"127.0.0.1/c/{own_crm.slug}/" in page(client, HTTP_HOST="127.0.0.1")


def test_a_polled_row_that_turned_active_replaces_the_being_created_message(client, db):
    from crm.models import Crm
    from tests.factories import AccountFactory, CrmFactory, OwnerCrmUserFactory

    account = AccountFactory()
    crm = CrmFactory(owner=account, name="Beta Works", status=Crm.Status.PROVISIONING)
    OwnerCrmUserFactory(crm=crm)
    client.force_login(account)
    url = f"/portal/crms/{crm.pk}/row/"

    waiting = client.get(url).content.decode()
    assert "hx-swap-oob" not in waiting

    Crm.objects.filter(pk=crm.pk).update(status=Crm.Status.ACTIVE)
    ready = client.get(url).content.decode()
    assert f'id="flash-crm-{crm.pk}-created" hx-swap-oob="true"' in ready
    assert "Beta Works is ready." in ready
