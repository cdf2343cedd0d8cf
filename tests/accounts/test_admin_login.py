"""/admin/login/ is a door for guessing passwords: it must be the throttled one."""

from django.urls import reverse

from tests.factories import AccountFactory


def test_admin_login_sends_to_the_rate_limited_login(client, db):
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302
    assert page["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


def test_guessing_a_staff_password_at_admin_login_checks_nothing(client, db):
    AccountFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    guess = client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss@example.com", "password": "guess-1"},
    )
    assert guess.status_code == 302
    assert guess["Location"].startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302


def test_brute_force_at_the_login_it_sends_to_gets_429(client, db):
    AccountFactory(email="boss@example.com", is_staff=True)
    login = reverse("account_login")
    statuses = [
        client.post(
            login, {"login": "boss@example.com", "password": f"guess-{attempt}"}
        ).status_code
        for attempt in range(31)
    ]
    assert statuses[0] == 200
    assert statuses[-1] == 429


def test_staff_reach_the_admin_after_the_allauth_login(client, db):
    AccountFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    done = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": "boss@example.com", "password": "correct-horse-battery"},
    )
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
