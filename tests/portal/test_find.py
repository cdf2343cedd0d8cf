"""Find my CRMs: a public page that mails a person the CRMs they can sign in to."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from crm.models import Crm
from tests.factories import CrmUserFactory

FIND_URL = reverse("find_my_crms")


@pytest.fixture
def find(client, django_capture_on_commit_callbacks):
    """Post the form; the email is sent after commit, so run that as a commit would."""

    def post(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(FIND_URL, {"email": email})

    return post


def without_csrf(html: str) -> str:
    """The page without what differs on every response: CSRF token and nonce."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r' nonce="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_lists_the_crms_of_the_address_by_email(find, crm_a, crm_b):
    CrmUserFactory(crm=crm_a, email="worker@example.com")
    CrmUserFactory(crm=crm_b, email="Worker@Example.com")
    CrmUserFactory(crm=crm_b, email="someone-else@example.com")

    response = find("WORKER@example.com")

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["worker@example.com"]
    assert "/c/alpha/login/" in message.body
    assert "/c/beta/login/" in message.body


def test_answers_the_same_whether_or_not_the_address_exists(find, crm_a):
    CrmUserFactory(crm=crm_a, email="known@example.com")
    known = find("known@example.com").content.decode()
    unknown = find("unknown@example.com").content.decode()
    assert without_csrf(known.replace("known@", "X@")) == without_csrf(
        unknown.replace("unknown@", "X@")
    )
    assert len(mail.outbox) == 1  # nothing is sent to an address with no CRMs


def test_deactivated_users_and_inactive_crms_are_left_out(find, crm_a, crm_b):
    CrmUserFactory(crm=crm_a, email="gone@example.com", is_active=False)
    CrmUserFactory(crm=crm_b, email="gone@example.com")
    Crm.objects.filter(pk=crm_b.pk).update(status=Crm.Status.PURGING)
    find("gone@example.com")
    assert mail.outbox == []


def test_is_rate_limited(find, db):
    statuses = [find("probe@example.com").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_bad_email_gets_a_message(find, db):
    response = find("not an email")
    assert response.status_code == 400
    assert "valid email" in response.content.decode()
