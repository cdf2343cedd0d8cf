import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, AccountFactory
from tests.reauth import sign_in_again


@pytest.fixture
def account(db):
    return AccountFactory(email="owner@example.com")


def test_portal_login_and_logout(client, account):
    response = client.post(
        reverse("account_login"),
        {"login": "OWNER@example.com", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:crm_list")).status_code == 200

    client.post(reverse("account_logout"))
    response = client.get(reverse("portal:crm_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_portal_login_wrong_password_is_refused(client, account):
    response = client.post(
        reverse("account_login"), {"login": account.email, "password": "nope-nope"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_password_change_needs_current_password_and_confirmation(client, account):
    client.force_login(account)
    sign_in_again(client)
    url = reverse("account_change_password")

    wrong_current = client.post(
        url,
        {
            "oldpassword": "wrong",
            "password1": "new-secret-1234",
            "password2": "new-secret-1234",
        },
    )
    assert wrong_current.status_code == 200
    assert wrong_current.context["form"].errors["oldpassword"]

    mismatch = client.post(
        url,
        {
            "oldpassword": DEFAULT_PASSWORD,
            "password1": "new-secret-1234",
            "password2": "new-secret-9999",
        },
    )
    assert mismatch.context["form"].errors["password2"]

    ok = client.post(
        url,
        {
            "oldpassword": DEFAULT_PASSWORD,
            "password1": "new-secret-1234",
            "password2": "new-secret-1234",
        },
    )
    assert ok.status_code == 302
    account.refresh_from_db()
    assert account.check_password("new-secret-1234")


def test_password_reset_by_email_link(client, account):
    response = client.post(reverse("account_reset_password"), {"email": account.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body
    )
    assert link, mail.outbox[0].body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_password_url = (
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    )
    done = client.post(
        set_password_url,
        {"password1": "reset-secret-5678", "password2": "reset-secret-5678"},
    )
    assert done.status_code == 302
    account.refresh_from_db()
    assert account.check_password("reset-secret-5678")

    # The link is single-use.
    replay = client.get(link.group(1), follow=True)
    assert (
        "bad token" in replay.content.decode().lower()
        or "invalid" in replay.content.decode().lower()
    )


def test_password_reset_for_unknown_email_reveals_nothing(client, db):
    response = client.post(
        reverse("account_reset_password"), {"email": "ghost@example.com"}
    )
    assert response.status_code == 302
    # allauth tells the address it has no account, and tells the visitor nothing.
    assert response.url == reverse("account_reset_password_done")
