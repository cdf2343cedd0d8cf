"""A second factor for CRM users, tried the way an attacker with a password would:
an authenticator app turned on in My profile, its code at every sign-in, a CRM
whose owner requires it of everyone, and signing in again before a key is made."""

import re
from itertools import count

import pytest
from allauth.mfa.totp.internal import auth as totp
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from crm.models import ApiKey, CrmUser
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, CrmUserFactory


@pytest.fixture
def clock(monkeypatch):
    """allauth's TOTP time step, moved on by hand: each code a test reads is the
    one of a step of its own, as when a person waits for the next code."""
    steps = count(1_000_000)
    state = {"step": next(steps)}
    monkeypatch.setattr(
        totp, "yield_hotp_counters_from_time", lambda: iter([state["step"]])
    )

    def tick() -> None:
        state["step"] = next(steps)

    state["tick"] = tick
    return state


def code_now(secret: str, clock) -> str:
    return totp.format_hotp_value(totp.hotp_value(secret, clock["step"]))


def url(name, crm, **kwargs):
    return reverse(f"crm:{name}", kwargs={"slug": crm.slug, **kwargs})


def password_step(client, crm_user):
    return client.post(
        url("login", crm_user.crm),
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )


def turn_on(client, crm_user, clock) -> str:
    page = client.get(url("two_factor", crm_user.crm)).content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = client.post(
        url("two_factor", crm_user.crm),
        form_data(page, having="code", code=code_now(secret, clock)),
    )
    assert done.status_code == 302
    return secret


@pytest.fixture
def with_app(staff_a, clock):
    client = Client()
    password_step(client, staff_a)
    turn_on(client, staff_a, clock)
    staff_a.refresh_from_db()
    clock["tick"]()
    return staff_a


def test_turning_it_on_needs_a_working_code_and_ends_other_sessions(staff_a, clock):
    elsewhere = Client()
    assert password_step(elsewhere, staff_a).status_code == 302
    here = Client()
    password_step(here, staff_a)
    page = here.get(url("two_factor", staff_a.crm)).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    wrong = here.post(
        url("two_factor", staff_a.crm), form_data(page, having="code", code="000000")
    )
    assert wrong.status_code == 400
    assert "This code is not right" in wrong.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.totp_secret == ""

    turn_on(here, staff_a, clock)
    staff_a.refresh_from_db()
    assert staff_a.totp_secret
    assert here.get(url("home", staff_a.crm)).status_code == 200
    assert elsewhere.get(url("home", staff_a.crm)).status_code == 302


def test_a_password_alone_opens_nothing(with_app, clock):
    attacker = Client()
    asked = password_step(attacker, with_app)
    assert asked["Location"] == url("login_code", with_app.crm)
    assert attacker.get(url("home", with_app.crm)).status_code == 302
    page = attacker.get(url("login_code", with_app.crm)).content.decode()
    wrong = attacker.post(
        url("login_code", with_app.crm), form_data(page, having="code", code="123456")
    )
    assert wrong.status_code == 400
    assert attacker.get(url("home", with_app.crm)).status_code == 302

    owner = Client()
    password_step(owner, with_app)
    page = owner.get(url("login_code", with_app.crm)).content.decode()
    code = code_now(with_app.totp_secret, clock)
    assert (
        owner.post(
            url("login_code", with_app.crm), form_data(page, having="code", code=code)
        ).status_code
        == 302
    )
    assert owner.get(url("home", with_app.crm)).status_code == 200

    # The same code seen over a shoulder, in the same time step: used up.
    password_step(attacker, with_app)
    replay = attacker.post(url("login_code", with_app.crm), {"code": code})
    assert replay.status_code == 400
    assert attacker.get(url("home", with_app.crm)).status_code == 302


def test_guessing_codes_stops(with_app, clock):
    attacker = Client()
    password_step(attacker, with_app)
    for guess in range(5):
        response = attacker.post(
            url("login_code", with_app.crm), {"code": f"{guess:06}"}
        )
        assert response.status_code == 400
    right = code_now(with_app.totp_secret, clock)
    stopped = attacker.post(url("login_code", with_app.crm), {"code": right})
    assert stopped.status_code == 429
    assert attacker.get(url("home", with_app.crm)).status_code == 302


def test_the_code_step_needs_the_password_step_first(with_app, clock):
    stranger = Client()
    code = code_now(with_app.totp_secret, clock)
    response = stranger.post(url("login_code", with_app.crm), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == url("login", with_app.crm)
    assert stranger.get(url("home", with_app.crm)).status_code == 302


def test_turning_it_off_needs_a_code(with_app, clock):
    client = Client()
    password_step(client, with_app)
    client.post(
        url("login_code", with_app.crm),
        {"code": code_now(with_app.totp_secret, clock)},
    )
    clock["tick"]()
    page = client.get(url("two_factor", with_app.crm)).content.decode()
    wrong = client.post(
        url("two_factor", with_app.crm), form_data(page, having="code", code="000000")
    )
    assert wrong.status_code == 400
    off = client.post(
        url("two_factor", with_app.crm),
        form_data(page, having="code", code=code_now(with_app.totp_secret, clock)),
    )
    assert off.status_code == 302
    with_app.refresh_from_db()
    assert with_app.totp_secret == ""


def test_only_an_admin_of_the_same_crm_turns_a_users_app_off(with_app, crm_b, owner_a):
    reset = url("user_two_factor_reset", with_app.crm, crm_user_id=with_app.pk)
    colleague = CrmUserFactory(crm=with_app.crm)
    client = Client()
    password_step(client, colleague)
    assert client.post(reset).status_code == 403

    other = Client()
    password_step(other, CrmUserFactory(crm=crm_b, role="admin"))
    across = url("user_two_factor_reset", crm_b, crm_user_id=with_app.pk)
    assert other.post(across).status_code == 404
    with_app.refresh_from_db()
    assert with_app.totp_secret

    admin = Client()
    password_step(admin, owner_a)
    page = admin.get(
        url("user_edit", with_app.crm, crm_user_id=with_app.pk)
    ).content.decode()
    assert reset in page
    assert admin.post(reset).status_code == 302
    with_app.refresh_from_db()
    assert with_app.totp_secret == ""


def test_the_owner_requires_it_only_with_a_factor_of_their_own(crm_a, owner_a):
    client = Client()
    password_step(client, owner_a)
    page = client.get(url("security", crm_a)).content.decode()
    refused = client.post(
        url("security", crm_a),
        form_data(page, having="require_two_factor", require_two_factor="on"),
    )
    assert refused.status_code == 400
    assert "Turn on two-factor authentication for yourself first" in (
        refused.content.decode()
    )
    crm_a.refresh_from_db()
    assert not crm_a.require_two_factor

    TOTP.activate(owner_a.account, totp.generate_totp_secret())
    done = client.post(
        url("security", crm_a),
        form_data(page, having="require_two_factor", require_two_factor="on"),
    )
    assert done.status_code == 302
    crm_a.refresh_from_db()
    assert crm_a.require_two_factor


def test_an_admin_who_is_not_the_owner_cannot_change_the_requirement(crm_a):
    admin = CrmUserFactory(crm=crm_a, role=CrmUser.Role.ADMIN)
    client = Client()
    password_step(client, admin)
    assert client.get(url("security", crm_a)).status_code == 200
    assert (
        client.post(url("security", crm_a), {"require_two_factor": "on"}).status_code
        == 403
    )
    crm_a.refresh_from_db()
    assert not crm_a.require_two_factor


def test_where_it_is_required_a_user_sets_it_up_before_anything_else(
    crm_a, staff_a, clock
):
    signed_in_before = Client()
    password_step(signed_in_before, staff_a)
    crm_a.require_two_factor = True
    crm_a.save()

    sent = signed_in_before.get(url("contact_list", crm_a))
    assert sent.status_code == 302
    assert sent["Location"] == url("two_factor", crm_a)

    fresh = Client()
    asked = password_step(fresh, staff_a)
    assert asked["Location"] == url("login_code", crm_a)
    page = fresh.get(url("login_code", crm_a)).content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert fresh.get(url("home", crm_a)).status_code == 302
    done = fresh.post(
        url("login_code", crm_a),
        form_data(page, having="code", code=code_now(secret, clock)),
    )
    assert done.status_code == 302
    assert fresh.get(url("contact_list", crm_a)).status_code == 200
    staff_a.refresh_from_db()
    assert staff_a.totp_secret == secret


def test_where_it_is_required_an_account_without_one_is_told_to_turn_it_on(
    client, crm_a, owner_a
):
    crm_a.require_two_factor = True
    crm_a.save()
    client.force_login(owner_a.account)
    issued = client.post(reverse("portal:crm_enter", kwargs={"crm_id": crm_a.pk}))
    client.get(issued.url)
    page = client.get(url("home", crm_a))
    assert page.status_code == 403
    assert reverse("mfa_index") in page.content.decode()

    TOTP.activate(owner_a.account, totp.generate_totp_secret())
    assert client.get(url("home", crm_a)).status_code == 200


def test_making_an_api_key_asks_for_the_password_and_code_again(with_app, clock):
    with_app.role = CrmUser.Role.ADMIN
    with_app.save()
    client = Client()
    password_step(client, with_app)
    client.post(
        url("login_code", with_app.crm),
        {"code": code_now(with_app.totp_secret, clock)},
    )
    clock["tick"]()
    keys = url("api_keys", with_app.crm)
    page = client.get(keys).content.decode()
    asked = client.post(keys, form_data(page, having="name", name="Website"))
    assert asked.status_code == 302
    assert asked["Location"].startswith(url("sign_in_again", with_app.crm))
    assert not ApiKey.objects.filter(crm=with_app.crm).exists()

    again = client.get(asked["Location"]).content.decode()
    no_code = client.post(
        asked["Location"],
        form_data(again, having="password", password=DEFAULT_PASSWORD, code="000000"),
    )
    assert no_code.status_code == 400
    confirmed = client.post(
        asked["Location"],
        form_data(
            again,
            having="password",
            password=DEFAULT_PASSWORD,
            code=code_now(with_app.totp_secret, clock),
        ),
    )
    assert confirmed["Location"] == keys
    page = client.get(keys).content.decode()
    made = client.post(keys, form_data(page, having="name", name="Website"))
    assert made["Location"] == keys
    assert ApiKey.objects.filter(crm=with_app.crm).count() == 1
