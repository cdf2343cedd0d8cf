"""allauth's pages as the portal shows them (templates/account/): headings, buttons
and texts in sentence case and the product's voice, like every other page."""

import re
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    ResetPasswordKeyForm,
    SetPasswordForm,
)
from tests.browser_forms import form_data
from tests.factories import AccountFactory
from tests.reauth import sign_in_again

# allauth's own wording, each replaced on the portal's pages.
TITLE_CASE = (
    "Sign In",
    "Sign Out",
    "Sign Up",
    "Forgot Password",
    "Password Reset",
    "Reset My Password",
    "Change Password",
    "Set Password",
    "Bad Token",
    "Account Inactive",
    "Confirm Email Address",
    "Verify Your Email Address",
    "Email Addresses",
    "Please contact us",
)


class _Reader(HTMLParser):
    """The text a person reads on the page and its first heading."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.h1: list[str] = []
        self._tags: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self._tags.append(tag)
        self.texts += [v for k, v in attrs if k in ("placeholder", "title") and v]

    def handle_endtag(self, tag) -> None:
        while self._tags and self._tags.pop() != tag:
            pass

    def handle_data(self, data) -> None:
        if data.strip() and "script" not in self._tags and "style" not in self._tags:
            self.texts.append(" ".join(data.split()))
            if "h1" in self._tags:
                self.h1.append(data.strip())


def read(response) -> _Reader:
    assert response.status_code == 200
    reader = _Reader()
    reader.feed(response.content.decode())
    return reader


def assert_sentence_case(response, heading: str, *texts: str) -> None:
    reader = read(response)
    assert " ".join(reader.h1) == heading
    page = " | ".join(reader.texts)
    for text in texts:
        assert text in page
    for stock in TITLE_CASE:
        assert stock not in page, stock


@pytest.fixture
def account(db):
    return AccountFactory(email="owner@example.com")


def reset_link(client: Client, account) -> str:
    page = client.get(reverse("account_reset_password"))
    client.post(
        reverse("account_reset_password"),
        form_data(page.content.decode(), having="email", email=account.email),
    )
    (message,) = mail.outbox
    return re.search(r"http://testserver(\S+/key/\S+)", message.body).group(1)


def test_sign_in_page(client, db):
    assert_sentence_case(
        client.get(reverse("account_login")),
        "Sign in to your account",
        "Sign in",
        "Forgot your password?",
    )


def test_sign_up_page(client, db):
    assert_sentence_case(
        client.get(reverse("account_signup")),
        "Create your account and CRM",
        "Create account and CRM",
    )


def test_password_reset_pages(client, account):
    assert_sentence_case(
        client.get(reverse("account_reset_password")),
        "Reset your password",
        "Send me the link",
    )
    link = reset_link(client, account)
    assert_sentence_case(
        client.get(reverse("account_reset_password_done")),
        "Check your inbox",
        "a link to choose a new password is on its way",
    )

    form_page = client.get(link, follow=True)
    assert_sentence_case(form_page, "Choose a new password", "Change password")
    done = client.post(
        form_page.redirect_chain[-1][0],
        form_data(
            form_page.content.decode(),
            having="password1",
            password1="reset-secret-5678",
            password2="reset-secret-5678",
        ),
        follow=True,
    )
    assert_sentence_case(done, "Password changed", "Your password has been changed.")

    spent = client.get(link, follow=True)
    assert_sentence_case(
        spent, "This link no longer works", "has already been used", "Ask for a new one"
    )
    assert f'href="{reverse("account_reset_password")}"' in spent.content.decode()


def test_change_password_and_sign_out_pages(client, account):
    client.force_login(account)
    sign_in_again(client)
    assert_sentence_case(
        client.get(reverse("account_change_password")),
        "Change password",
        "Change password",
    )
    assert_sentence_case(
        client.get(reverse("account_logout")),
        "Sign out",
        "Are you sure you want to sign out?",
    )


def test_email_confirmation_pages(client, account):
    address = EmailAddress.objects.create(
        user=account, email=account.email, primary=True, verified=False
    )
    key = EmailConfirmationHMAC(address).key
    assert_sentence_case(
        client.get(reverse("account_confirm_email", args=[key])),
        "Confirm your email address",
        "Please confirm that owner@example.com is the address of your account.",
        "Confirm",
    )
    assert_sentence_case(
        client.get(reverse("account_confirm_email", args=["not-a-key"])),
        "Confirm your email address",
        "This confirmation link has expired or has already been used.",
    )


def test_check_your_inbox_and_inactive_pages(client, db):
    assert_sentence_case(
        client.get(reverse("account_email_verification_sent")),
        "Check your inbox",
        "Follow its link",
    )
    assert_sentence_case(
        client.get(reverse("account_inactive")),
        "This account cannot sign in",
        "This account is inactive.",
    )


@pytest.mark.parametrize(
    ("form_class", "labels"),
    [
        (LoginForm, {"password": "Password", "remember": "Remember me"}),
        (
            ChangePasswordForm,
            {
                "oldpassword": "Current password",
                "password1": "New password",
                "password2": "New password again",
            },
        ),
        (SetPasswordForm, {"password1": "Password", "password2": "Password again"}),
        (
            ResetPasswordKeyForm,
            {"password1": "New password", "password2": "New password again"},
        ),
    ],
)
def test_forms_label_their_fields_as_the_crms_forms_do(db, form_class, labels):
    kwargs = {} if form_class is LoginForm else {"user": AccountFactory.build()}
    form = form_class(**kwargs)
    for name, label in labels.items():
        assert str(form.fields[name].label) == label
        placeholder = form.fields[name].widget.attrs.get("placeholder")
        assert placeholder in (None, label)


def test_sign_in_form_leaves_the_reset_link_to_the_page(db):
    """The sign-in page offers "Forgot your password?" beside its button; the
    password field does not repeat it."""
    assert LoginForm().fields["password"].help_text == ""
