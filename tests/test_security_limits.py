"""Guessing a password where a signed-in person confirms with theirs, the way an
attacker with a session left open would."""

from django.test import Client
from django.urls import reverse

from crm.models import Crm
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD

IP_A = "203.0.113.7"
IP_B = "198.51.100.9"
NEW_PASSWORD = "a-brand-new-secret-42"


def crm_url(name, crm):
    return reverse(f"crm:{name}", kwargs={"slug": crm.slug})


def crm_sign_in(crm_user, **extra):
    client = Client(**extra)
    done = client.post(
        crm_url("login", crm_user.crm),
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )
    assert done.status_code == 302
    return client


# --- My profile: the current password -------------------------------------------------


def change_own_password(client, crm, current):
    page = client.get(crm_url("profile", crm)).content.decode()
    return client.post(
        crm_url("profile_password", crm),
        form_data(
            page,
            having="current_password",
            current_password=current,
            new_password1=NEW_PASSWORD,
            new_password2=NEW_PASSWORD,
        ),
    )


def test_guessing_the_current_password_on_my_profile_stops(staff_a):
    crm = staff_a.crm
    left_open = crm_sign_in(staff_a, REMOTE_ADDR=IP_A)
    for attempt in range(5):
        wrong = change_own_password(left_open, crm, f"guess-{attempt}")
        assert wrong.status_code == 400
    # The right one, once the limit is reached, is not even checked.
    stopped = change_own_password(left_open, crm, DEFAULT_PASSWORD)
    assert stopped.status_code == 429
    assert "Too many failed attempts" in stopped.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(DEFAULT_PASSWORD)

    # The user themself, from their own address, is not locked out.
    own = crm_sign_in(staff_a, REMOTE_ADDR=IP_B)
    assert change_own_password(own, crm, DEFAULT_PASSWORD).status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD)


def test_an_empty_current_password_is_not_a_guess(staff_a):
    client = crm_sign_in(staff_a, REMOTE_ADDR=IP_A)
    for _ in range(6):
        assert change_own_password(client, staff_a.crm, "").status_code == 400
    assert change_own_password(client, staff_a.crm, DEFAULT_PASSWORD).status_code == 302


# --- Deleting a CRM: signing in again first -----------------------------------------


def sign_in_again_as(client, password):
    return client.post(reverse("account_reauthenticate"), {"password": password})


def test_guessing_the_password_before_deleting_a_crm_stops(crm_a):
    left_open = Client(REMOTE_ADDR=IP_A)
    left_open.force_login(crm_a.owner)
    delete_url = reverse("portal:crm_delete", kwargs={"crm_id": crm_a.pk})
    asked = left_open.get(delete_url)
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    for attempt in range(5):
        assert sign_in_again_as(left_open, f"guess-{attempt}").status_code == 200
    assert sign_in_again_as(left_open, DEFAULT_PASSWORD).status_code == 429
    # Still asked: once stopped, even the right password opens nothing.
    assert left_open.get(delete_url).status_code == 302
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.ACTIVE
