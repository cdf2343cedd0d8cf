"""The portal's login: failures lock one address out, never the Account."""

from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, AccountFactory

IP_A = "203.0.113.7"
IP_B = "198.51.100.9"


def login_status(email, password, ip) -> int:
    return (
        Client(REMOTE_ADDR=ip)
        .post(reverse("account_login"), {"login": email, "password": password})
        .status_code
    )


def test_failures_from_one_address_do_not_lock_the_account_out_elsewhere(db):
    account = AccountFactory(email="owner@example.com")
    for attempt in range(5):
        assert login_status(account.email, f"guess-{attempt}", IP_A) == 200
    locked = Client(REMOTE_ADDR=IP_A).post(
        reverse("account_login"),
        {"login": account.email, "password": DEFAULT_PASSWORD},
    )
    assert "Too many failed login attempts" in locked.content.decode()
    assert login_status(account.email, DEFAULT_PASSWORD, IP_B) == 302
