"""Create new CRM: at once as "being created", ready by a worker, live in the list."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from crm.models import Crm, CrmUser
from crm.tasks import provision_crm, requeue_stuck_provisioning
from tests.factories import AccountFactory, CrmFactory, OwnerCrmUserFactory
from tests.outbox_helpers import hold_tasks

NEW_URL = reverse("portal:crm_new")


@pytest.fixture
def owner(db):
    return AccountFactory(email="maker@example.com")


@pytest.mark.django_db(transaction=True)
def test_create_crm_provisions_it_and_mails_the_owner(client, owner):
    client.force_login(owner)

    response = client.post(NEW_URL, {"name": "Second Shop"})

    assert response.status_code == 302
    crm = Crm.objects.get(owner=owner)
    assert crm.status == Crm.Status.ACTIVE  # the eager worker ran after commit
    owner_user = CrmUser.objects.get(crm=crm)
    assert (owner_user.role, owner_user.account) == ("owner", owner)
    ready = [m for m in mail.outbox if "is ready" in m.subject]
    assert len(ready) == 1
    assert "/c/second-shop/login/" in ready[0].body
    assert "maker@example.com" in ready[0].body


def test_new_crm_shows_as_being_created_and_its_row_polls(
    client, owner, monkeypatch, django_capture_on_commit_callbacks
):
    sent = hold_tasks(monkeypatch, provision_crm.name)
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW_URL, {"name": "Slow Shop"}, follow=True)

    crm = Crm.objects.get(owner=owner)
    assert sent == [(provision_crm.name, [crm.pk])]  # handed over, not run yet
    assert crm.status == Crm.Status.PROVISIONING
    page = response.content.decode()
    assert "Being created" in page
    assert f'hx-get="/portal/crms/{crm.pk}/row/"' in page
    row = client.get(reverse("portal:crm_row", kwargs={"crm_id": crm.pk}))
    assert "Being created" in row.content.decode()

    provision_crm(crm.pk)  # the worker's turn
    row = client.get(reverse("portal:crm_row", kwargs={"crm_id": crm.pk}))
    body = row.content.decode()
    assert "hx-get" not in body  # polling stops once ready
    assert "Enter" in body


def test_broker_outage_delays_the_crm_but_never_loses_it(
    client, owner, monkeypatch, django_capture_on_commit_callbacks
):
    attempts = hold_tasks(monkeypatch, provision_crm.name, broker_down=True)
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW_URL, {"name": "Outage Shop"})

    assert response.status_code == 302
    assert len(attempts) == 1
    crm = Crm.objects.get(owner=owner)
    assert crm.status == Crm.Status.PROVISIONING
    assert "Being created" in client.get(reverse("portal:crm_list")).content.decode()
    Crm.objects.filter(pk=crm.pk).update(created_at=crm.created_at.replace(year=2020))
    monkeypatch.undo()
    assert requeue_stuck_provisioning() == 1
    crm.refresh_from_db()
    assert crm.status == Crm.Status.ACTIVE


def test_row_of_a_crm_the_account_is_not_linked_to_is_404(client, owner, crm_b):
    client.force_login(owner)
    url = reverse("portal:crm_row", kwargs={"crm_id": crm_b.pk})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give your CRM a name."), ("y" * 101, "at most 100 characters")],
)
def test_bad_names_are_refused(client, owner, name, message):
    client.force_login(owner)
    response = client.post(NEW_URL, {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Crm.objects.exists()


@override_settings(CRM_MAX_OWNED_PER_ACCOUNT=2)
def test_per_account_limit_has_a_clear_message(client, owner):
    for _ in range(2):
        OwnerCrmUserFactory(crm=CrmFactory(owner=owner))
    client.force_login(owner)
    response = client.post(NEW_URL, {"name": "One Too Many"})
    assert response.status_code == 400
    assert "You already own 2 CRMs" in response.content.decode()
    assert Crm.objects.filter(owner=owner).count() == 2


def test_create_needs_a_portal_login(client, db):
    response = client.post(NEW_URL, {"name": "Sneaky"})
    assert response.status_code == 302
    assert not Crm.objects.exists()
