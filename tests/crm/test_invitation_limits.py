"""Invitation e-mails as a phishing channel: a throwaway Account names its CRM
"Account suspended - verify at ..." and invites whoever it likes, or one CRM floods
a mailbox. Only CRMs whose owner confirmed their address send them, and not many."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from crm.models import CrmUser
from crm.services.invitations import crm_user_invite
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, CrmFactory, CrmUserFactory


def confirm_owner(crm):
    EmailAddress.objects.create(
        user=crm.owner, email=crm.owner.email, primary=True, verified=True
    )


def admin_of(crm):
    admin = CrmUserFactory(crm=crm, role=CrmUser.Role.ADMIN)
    client = Client()
    signed_in = client.post(
        reverse("crm:login", kwargs={"slug": crm.slug}),
        {"email": admin.email, "password": DEFAULT_PASSWORD},
    )
    assert signed_in.status_code == 302
    return client


def invite(client, crm, email, capture):
    url = reverse("crm:user_add", kwargs={"slug": crm.slug})
    page = client.get(url).content.decode()
    data = form_data(page, having="invite", name="Victim", email=email, invite="on")
    with capture(execute=True):
        return client.post(url, data)


def test_an_unconfirmed_owners_crm_sends_no_invitation(
    db, django_capture_on_commit_callbacks
):
    crm = CrmFactory(name="Account suspended - verify at evil.example")
    EmailAddress.objects.create(
        user=crm.owner, email=crm.owner.email, primary=True, verified=False
    )
    client = admin_of(crm)

    refused = invite(
        client, crm, "victim@example.com", django_capture_on_commit_callbacks
    )

    assert refused.status_code == 403
    assert "Confirm your email address first" in refused.content.decode()
    assert mail.outbox == []
    # Nothing half-done: no user waits for an invitation that never left.
    assert not CrmUser.objects.filter(crm=crm, email="victim@example.com").exists()


def test_the_service_itself_refuses_for_an_unconfirmed_owner(staff_a):
    with pytest.raises(ValidationError, match="Confirm your email address first"):
        crm_user_invite(crm_user=staff_a, invited_by=None)


def test_a_confirmed_owners_crm_invites(db, django_capture_on_commit_callbacks):
    crm = CrmFactory()
    confirm_owner(crm)
    sent = invite(
        admin_of(crm), crm, "new@example.com", django_capture_on_commit_callbacks
    )
    assert sent.status_code == 302
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_one_crm_cannot_send_invitations_in_bulk(
    db, django_capture_on_commit_callbacks
):
    crm = CrmFactory()  # no seat limit
    confirm_owner(crm)
    client = admin_of(crm)
    for number in range(20):
        sent = invite(
            client,
            crm,
            f"target{number}@example.com",
            django_capture_on_commit_callbacks,
        )
        assert sent.status_code == 302
    stopped = invite(
        client, crm, "target20@example.com", django_capture_on_commit_callbacks
    )
    assert stopped.status_code == 429
    assert "Too many invitations were sent lately" in stopped.content.decode()
    assert len(mail.outbox) == 20
    assert not CrmUser.objects.filter(email="target20@example.com").exists()


def test_one_mailbox_cannot_be_flooded_from_many_crms(
    db, django_capture_on_commit_callbacks
):
    statuses = []
    for _ in range(6):
        crm = CrmFactory()
        confirm_owner(crm)
        response = invite(
            admin_of(crm), crm, "Victim@Example.com", django_capture_on_commit_callbacks
        )
        statuses.append(response.status_code)
    assert statuses == [302] * 5 + [429]
    assert len(mail.outbox) == 5
