"""The emails allauth sends for the portal, as the product writes them
(templates/account/email/): its name, its voice, the link that does the job, and
the recipient's language."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, AccountFactory
from tests.reauth import sign_in_again

PRODUCT = {"en": "CRM Portal", "ru": "Портал CRM"}


def assert_product_voice(message, language: str = "en") -> None:
    """The product's name in subject and body, none of allauth's stock greeting or
    signature, plain text only."""
    assert PRODUCT[language] in message.subject
    assert PRODUCT[language] in message.body
    if language == "en":
        assert message.body.startswith("Hello,\n\n"), message.body
    for stock in ("Hello from", "Thank you for using", "testserver!"):
        assert stock not in message.subject + message.body
    assert not getattr(message, "alternatives", [])
    assert "\n" not in message.subject


def link_in(body: str, path_start: str) -> str:
    match = re.search(rf"http://testserver({re.escape(path_start)}\S+)", body)
    assert match, body
    return match.group(1)


def request_reset(client: Client, email: str) -> None:
    page = client.get(reverse("account_reset_password"))
    response = client.post(
        reverse("account_reset_password"),
        form_data(page.content.decode(), having="email", email=email),
    )
    assert response.status_code == 302


@pytest.fixture
def account(db):
    return AccountFactory(email="owner@example.com", language="en")


def test_password_reset_email_is_ours_and_its_link_resets(client, account):
    request_reset(client, "OWNER@example.com")

    (message,) = mail.outbox
    assert message.to == ["owner@example.com"]
    assert message.subject == "Reset your CRM Portal password"
    assert_product_voice(message)
    assert "your CRM Portal account owner@example.com" in message.body
    link = link_in(message.body, "/accounts/password/reset/key/")

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        form_data(
            form_page.content.decode(),
            having="password1",
            password1="reset-secret-5678",
            password2="reset-secret-5678",
        ),
    )
    assert done.status_code == 302
    account.refresh_from_db()
    assert account.check_password("reset-secret-5678")


def test_password_reset_email_speaks_the_accounts_language(client, account):
    account.language = "ru"
    account.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    request_reset(client, account.email)

    (message,) = mail.outbox
    assert_product_voice(message, "ru")
    link_in(message.body, "/accounts/password/reset/key/")


def test_reset_for_an_unknown_address_points_to_sign_up_and_the_crm_links(client, db):
    request_reset(client, "ghost@example.com")

    (message,) = mail.outbox
    assert message.to == ["ghost@example.com"]
    assert message.subject == "No CRM Portal account uses this address"
    assert_product_voice(message)
    assert "ghost@example.com" in message.body
    assert "http://testserver/accounts/signup/" in message.body
    # CRM staff have no Account: they are shown where their CRMs' links are.
    assert f"{settings.SITE_URL}{reverse('find_my_crms')}" in message.body


def test_reset_for_an_unknown_address_speaks_the_requesters_language(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    request_reset(client, "ghost@example.com")

    (message,) = mail.outbox
    assert_product_voice(message, "ru")


@pytest.mark.django_db(transaction=True)
def test_confirmation_email_at_sign_up_is_ours_and_its_link_confirms(client):
    page = client.get(reverse("account_signup"))
    response = client.post(
        reverse("account_signup"),
        form_data(
            page.content.decode(),
            having="email",
            email="founder@example.com",
            crm_name="Founder Shop",
            password1="a-long-secret-phrase",
            password2="a-long-secret-phrase",
        ),
    )
    assert response.status_code == 302

    (message,) = [m for m in mail.outbox if "Confirm" in m.subject]
    assert message.subject == "Confirm your email address for CRM Portal"
    assert_product_voice(message)
    assert "founder@example.com is the address of your CRM Portal" in message.body
    link = link_in(message.body, "/accounts/confirm-email/")

    html = client.get(link).content.decode()
    assert "Confirm your email address" in html
    # The page's one button confirms: its form holds nothing but the CSRF token.
    # (allauth signs the key anew for the page, with the time in it: the form's
    # key may differ from the e-mail's by a second and confirm all the same.)
    assert re.search(
        r'<form method="post" action="/accounts/confirm-email/[^"/]+/" class="form">',
        html,
    )
    client.post(link)
    account = Account.objects.get(email="founder@example.com")
    assert account.emailaddress_set.get().verified


def test_sign_up_with_a_taken_address_tells_its_owner_in_their_language(db, settings):
    """With verification mandatory, allauth does not tell the visitor that the
    address is taken; it writes to the address's owner instead."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    AccountFactory(email="taken@example.com", language="ru")
    english = AccountFactory(email="also-taken@example.com", language="en")

    for email in ("taken@example.com", english.email):
        visitor = Client()
        page = visitor.get(reverse("account_signup"))
        response = visitor.post(
            reverse("account_signup"),
            form_data(
                page.content.decode(),
                having="email",
                email=email,
                crm_name="Another Shop",
                password1="a-long-secret-phrase",
                password2="a-long-secret-phrase",
            ),
        )
        assert response.status_code == 302

    russian, english_message = mail.outbox
    assert russian.to == ["taken@example.com"]
    assert_product_voice(russian, "ru")
    assert english_message.subject == "You already have a CRM Portal account"
    assert_product_voice(english_message)
    assert f"{settings.SITE_URL}{reverse('account_login')}" in english_message.body
    assert "http://testserver/accounts/password/reset/" in english_message.body
    assert Account.objects.count() == 2


def test_any_other_allauth_email_gets_our_greeting_and_signature(
    client, account, settings
):
    """Notices the product does not send today (ACCOUNT_EMAIL_NOTIFICATIONS) still
    open and close as the product's emails do, if they are ever switched on."""
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    client.force_login(account)
    sign_in_again(client)
    page = client.get(reverse("account_change_password"))
    client.post(
        reverse("account_change_password"),
        form_data(
            page.content.decode(),
            having="oldpassword",
            oldpassword=DEFAULT_PASSWORD,
            password1="changed-secret-4321",
            password2="changed-secret-4321",
        ),
    )

    (message,) = mail.outbox
    assert message.body.startswith("Hello,")
    assert message.body.rstrip().endswith(f"— CRM Portal\n{settings.SITE_URL}")
    assert "Hello from" not in message.body
