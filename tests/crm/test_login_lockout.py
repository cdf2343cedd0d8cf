"""A CRM's login: failures lock one address out, never the user; behind a proxy each
visitor is counted apart, and a forged X-Forwarded-For buys nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

IP_A = "203.0.113.7"
IP_B = "198.51.100.9"


def crm_login_status(crm_user, password, **extra) -> int:
    return (
        Client(**extra)
        .post(
            reverse("crm:login", kwargs={"slug": crm_user.crm.slug}),
            {"email": crm_user.email, "password": password},
        )
        .status_code
    )


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(staff_a):
    for attempt in range(5):
        assert crm_login_status(staff_a, f"guess-{attempt}", REMOTE_ADDR=IP_A) == 400
    assert crm_login_status(staff_a, DEFAULT_PASSWORD, REMOTE_ADDR=IP_A) == 429
    assert crm_login_status(staff_a, DEFAULT_PASSWORD, REMOTE_ADDR=IP_B) == 302


def test_a_forged_forwarded_for_does_not_buy_new_attempts(staff_a):
    """With no proxy configured, X-Forwarded-For is the client's own word."""
    for attempt in range(5):
        status = crm_login_status(
            staff_a,
            f"guess-{attempt}",
            REMOTE_ADDR=IP_A,
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
        assert status == 400
    forged = crm_login_status(
        staff_a, DEFAULT_PASSWORD, REMOTE_ADDR=IP_A, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert forged == 429


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def test_behind_a_proxy_each_client_has_its_own_limit(behind_one_proxy, staff_a):
    proxy = "10.0.0.1"
    for attempt in range(5):
        status = crm_login_status(
            staff_a,
            f"guess-{attempt}",
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=IP_A,
        )
        assert status == 400
    assert (
        crm_login_status(
            staff_a, DEFAULT_PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=IP_A
        )
        == 429
    )
    # Another visitor through the same proxy signs in.
    assert (
        crm_login_status(
            staff_a, DEFAULT_PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=IP_B
        )
        == 302
    )
