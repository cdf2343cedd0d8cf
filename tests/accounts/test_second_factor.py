"""An Account with a second factor, tried as someone who has its password: the
sign-in asks for the code, deleting a CRM asks for it again (not the password),
and the admin opens only to staff who have one."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal import auth as totp
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, AccountFactory
from tests.reauth import sign_in_again


@pytest.fixture
def step(monkeypatch):
    monkeypatch.setattr(totp, "yield_hotp_counters_from_time", lambda: iter([77]))
    return 77


def code(secret, step):
    return totp.format_hotp_value(totp.hotp_value(secret, step))


def sign_in(client, account):
    return client.post(
        reverse("account_login"),
        {"login": account.email, "password": DEFAULT_PASSWORD},
    )


def test_the_password_alone_does_not_sign_in(crm_a, step):
    account = crm_a.owner
    secret = totp.generate_totp_secret()
    TOTP.activate(account, secret)
    attacker = Client()
    asked = sign_in(attacker, account)
    assert asked["Location"] == reverse("mfa_authenticate")
    assert attacker.get(reverse("portal:crm_list")).status_code == 302
    wrong = attacker.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert attacker.get(reverse("portal:crm_list")).status_code == 302

    owner = Client()
    sign_in(owner, account)
    done = owner.post(reverse("mfa_authenticate"), {"code": code(secret, step)})
    assert done.status_code == 302
    assert owner.get(reverse("portal:crm_list")).status_code == 200


def test_deleting_a_crm_asks_for_the_second_factor_not_the_password(crm_a, step):
    account = crm_a.owner
    secret = totp.generate_totp_secret()
    TOTP.activate(account, secret)
    client = Client()
    client.force_login(account)
    delete_url = reverse("portal:crm_delete", kwargs={"crm_id": crm_a.pk})
    asked = client.get(delete_url)
    assert asked["Location"].startswith(reverse("mfa_reauthenticate"))
    # The password page refuses to stand in for the factor.
    by_password = client.post(
        reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD}
    )
    assert by_password.status_code == 302
    assert by_password["Location"].startswith(reverse("mfa_reauthenticate"))
    assert client.get(delete_url).status_code == 302

    client.post(reverse("mfa_reauthenticate"), {"code": code(secret, step)})
    page = client.get(delete_url)
    assert page.status_code == 200
    assert "deleted for good" in page.content.decode()


def test_the_admin_needs_a_second_factor(settings, db):
    settings.ADMIN_REQUIRES_SECOND_FACTOR = True
    staff = AccountFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    sent = client.get(reverse("admin:index"))
    assert sent.status_code == 302
    followed = client.get(sent["Location"])
    assert followed["Location"] == reverse("mfa_index")
    assert client.get(reverse("admin:accounts_account_changelist")).status_code == 302

    TOTP.activate(staff, totp.generate_totp_secret())
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_login_form_is_allauths(db):
    response = Client().get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# A transaction of its own: allauth sends the notice when its transaction
# commits, inside the request, as in production.
@pytest.mark.django_db(transaction=True)
def test_turning_on_the_app_emails_the_owner(crm_a, step, mailoutbox):
    account = crm_a.owner
    EmailAddress.objects.create(
        user=account, email=account.email, primary=True, verified=True
    )
    client = Client()
    client.force_login(account)
    sign_in_again(client)
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page)
    if secret is None:
        secret = re.search(r'value="([A-Z2-7]{32})"', page)
    done = client.post(
        reverse("mfa_activate_totp"),
        form_data(page, having="code", code=code(secret.group(1), step)),
    )
    assert done.status_code == 302, done.content.decode()[:300]
    assert done["Location"] == reverse("mfa_view_recovery_codes"), done["Location"]
    assert [message.to for message in mailoutbox] == [[account.email]]
    assert "authenticator" in mailoutbox[0].body.lower()
