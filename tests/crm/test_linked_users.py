"""A CRM user linked to an Account enters that CRM through the portal only: the
Account's password, its change and its reset are the only ones that count, and they
end every CRM session that came through the Account. Written as an attacker who
signed up first with somebody else's address would try it."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.hashers import is_password_usable, make_password
from django.core import mail
from django.test import Client
from django.urls import reverse

from crm.models import CrmUser, PasswordResetToken
from crm.services.crms import crm_create
from crm.services.password_reset import crm_password_reset_issue
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, AccountFactory, CrmUserFactory
from tests.reauth import sign_in_again

ATTACKER_PASSWORD = "attackers-own-secret-1"
VICTIM_PASSWORD = "victims-new-secret-22"


def enter(client, crm):
    """Enter from the portal, following the token's landing."""
    issued = client.post(reverse("portal:crm_enter", kwargs={"crm_id": crm.pk}))
    assert issued.status_code == 302, issued
    landed = client.get(issued.url)
    assert landed.status_code == 302
    assert landed.url == reverse("crm:home", kwargs={"slug": crm.slug})
    return client


def crm_home(client, crm):
    return client.get(reverse("crm:home", kwargs={"slug": crm.slug}))


def crm_password_login(client, crm, email, password):
    return client.post(
        reverse("crm:login", kwargs={"slug": crm.slug}),
        {"email": email, "password": password},
    )


@pytest.fixture
def hijacked(db):
    """The attacker signed up first with the victim's address; their first CRM."""
    attacker = Client()
    page = attacker.get(reverse("account_signup"))
    response = attacker.post(
        reverse("account_signup"),
        form_data(
            page.content.decode(),
            having="password1",
            email="victim@example.com",
            crm_name="Victim Shop",
            password1=ATTACKER_PASSWORD,
            password2=ATTACKER_PASSWORD,
        ),
    )
    assert response.status_code == 302
    crm = CrmUser.objects.get(email="victim@example.com").crm
    return attacker, crm


def victim_resets_the_account_password(victim: Client) -> None:
    mail.outbox.clear()
    page = victim.get(reverse("account_reset_password"))
    victim.post(
        reverse("account_reset_password"),
        form_data(page.content.decode(), having="email", email="victim@example.com"),
    )
    (message,) = [m for m in mail.outbox if m.to == ["victim@example.com"]]
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body
    )
    assert link, message.body
    form_page = victim.get(link.group(1), follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link[1]
    done = victim.post(
        set_url,
        form_data(
            form_page.content.decode(),
            having="password1",
            password1=VICTIM_PASSWORD,
            password2=VICTIM_PASSWORD,
        ),
    )
    assert done.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_owners_crm_user_has_no_password_of_its_own(hijacked):
    attacker, crm = hijacked
    owner = CrmUser.objects.get(crm=crm, role=CrmUser.Role.OWNER)
    assert owner.account is not None
    assert not is_password_usable(owner.password)

    # The Account's password does not open the CRM's own login page...
    refused = crm_password_login(Client(), crm, "victim@example.com", ATTACKER_PASSWORD)
    assert refused.status_code == 400
    # ...and Enter does.
    assert crm_home(enter(attacker, crm), crm).status_code == 200


def test_crm_create_gives_the_owner_no_password_copy(db):
    account = AccountFactory()
    crm = crm_create(owner=account, name="Copy Check", provision_now=True)
    owner = CrmUser.objects.get(crm=crm, role=CrmUser.Role.OWNER)
    assert owner.password != account.password
    assert not is_password_usable(owner.password)


@pytest.mark.django_db(transaction=True)
def test_victims_reset_shuts_the_attacker_out_of_the_crm(hijacked):
    attacker, crm = hijacked
    enter(attacker, crm)
    assert crm_home(attacker, crm).status_code == 200

    victim_resets_the_account_password(Client())

    # The attacker's CRM session, opened through Enter, has ended...
    home = crm_home(attacker, crm)
    assert home.status_code == 302
    assert home.url.startswith(reverse("crm:login", kwargs={"slug": crm.slug}))
    # ...and their old password opens neither the CRM's login page...
    fresh = Client()
    refused = crm_password_login(fresh, crm, "victim@example.com", ATTACKER_PASSWORD)
    assert refused.status_code == 400
    assert crm_home(fresh, crm).status_code == 302
    # ...nor the portal, to Enter again.
    portal = Client()
    portal.post(
        reverse("account_login"),
        {"login": "victim@example.com", "password": ATTACKER_PASSWORD},
    )
    assert portal.get(reverse("portal:crm_list")).status_code == 302
    # The victim enters with the new password.
    victim = Client()
    signed_in = victim.post(
        reverse("account_login"),
        {"login": "victim@example.com", "password": VICTIM_PASSWORD},
    )
    assert signed_in.status_code == 302
    assert crm_home(enter(victim, crm), crm).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_account_password_change_ends_its_crm_sessions_elsewhere(hijacked):
    elsewhere, crm = hijacked
    enter(elsewhere, crm)
    here = Client()
    here.post(
        reverse("account_login"),
        {"login": "victim@example.com", "password": ATTACKER_PASSWORD},
    )
    enter(here, crm)

    sign_in_again(here, ATTACKER_PASSWORD)
    page = here.get(reverse("account_change_password"))
    changed = here.post(
        reverse("account_change_password"),
        form_data(
            page.content.decode(),
            having="oldpassword",
            oldpassword=ATTACKER_PASSWORD,
            password1=VICTIM_PASSWORD,
            password2=VICTIM_PASSWORD,
        ),
    )
    assert changed.status_code == 302

    assert crm_home(elsewhere, crm).status_code == 302
    assert elsewhere.get(reverse("portal:crm_list")).status_code == 302
    # The browser that made the change stays signed in, to the portal and the CRM.
    assert here.get(reverse("portal:crm_list")).status_code == 200
    assert crm_home(here, crm).status_code == 200


def test_portal_logout_ends_the_crm_session_entered_through_it(client, crm_a):
    client.force_login(crm_a.owner)
    enter(client, crm_a)
    client.post(reverse("account_logout"))
    assert crm_home(client, crm_a).status_code == 302


def test_an_enter_token_carried_to_another_browser_opens_nothing(client, crm_a):
    client.force_login(crm_a.owner)
    issued = client.post(reverse("portal:crm_enter", kwargs={"crm_id": crm_a.pk}))
    other = Client()
    landed = other.get(issued.url)
    assert landed.status_code == 403
    assert "Sign in to the portal in this browser" in landed.content.decode()
    assert crm_home(other, crm_a).status_code == 302


def test_a_session_signed_in_as_another_account_does_not_keep_the_crm(
    client, crm_a, crm_b
):
    client.force_login(crm_a.owner)
    enter(client, crm_a)
    # Same browser, the portal now signed in as someone else.
    client.force_login(crm_b.owner)
    assert crm_home(client, crm_a).status_code == 302


def test_the_login_page_refuses_a_linked_user_like_a_wrong_password(client, crm_a):
    owner = CrmUser.objects.get(crm=crm_a, role=CrmUser.Role.OWNER)
    CrmUser.objects.filter(pk=owner.pk).update(password=make_password(None))
    linked = crm_password_login(client, crm_a, owner.email, DEFAULT_PASSWORD)
    unknown = crm_password_login(client, crm_a, "nobody@example.com", DEFAULT_PASSWORD)
    for response in (linked, unknown):
        assert response.status_code == 400
        page = response.content.decode()
        assert "The email or the password is not right for this CRM." in page
        assert 'data-testid="portal-hint"' in page
        assert reverse("portal:crm_list") in page
    # Alike but for the typed email and the per-response tokens (CSRF, nonces).
    strip = re.compile(r"[A-Za-z0-9+/=]{22,}")
    assert strip.sub("", linked.content.decode()).replace(
        owner.email, "E"
    ) == strip.sub("", unknown.content.decode()).replace("nobody@example.com", "E")


@pytest.fixture
def connected_staff(crm_a):
    """A CRM user who signed in with a password, then linked an Account by code."""
    staff = CrmUserFactory(crm=crm_a, email="staff@alpha.example", name="Sam Staff")
    browser = Client()
    crm_password_login(browser, crm_a, staff.email, DEFAULT_PASSWORD)
    assert crm_home(browser, crm_a).status_code == 200
    profile = browser.post(reverse("crm:profile", kwargs={"slug": crm_a.slug}))
    code = re.search(
        r'data-testid="connection-code">([^<]+)<', profile.content.decode()
    )[1]
    account = AccountFactory(email="sam@example.com")
    portal = Client()
    portal.force_login(account)
    done = portal.post(reverse("portal:crm_connect"), {"code": code, "confirm": "1"})
    assert done.status_code == 302, done.content.decode()[:2000]
    staff.refresh_from_db()
    assert staff.account_id == account.pk
    return staff, browser, portal


def test_connecting_an_account_ends_the_crm_password(crm_a, connected_staff):
    staff, browser, portal = connected_staff
    assert not is_password_usable(staff.password)
    # The session the password opened is over, and the password opens nothing.
    assert crm_home(browser, crm_a).status_code == 302
    fresh = Client()
    assert (
        crm_password_login(fresh, crm_a, staff.email, DEFAULT_PASSWORD).status_code
        == 400
    )
    assert crm_home(enter(portal, crm_a), crm_a).status_code == 200


def test_forgot_password_sends_a_linked_user_nothing(client, crm_a, connected_staff):
    staff, _browser, _portal = connected_staff
    mail.outbox.clear()
    response = client.post(
        reverse("crm:password_forgot", kwargs={"slug": crm_a.slug}),
        {"email": staff.email},
    )
    assert response.status_code == 302
    assert mail.outbox == []
    assert not PasswordResetToken.objects.filter(crm_user=staff).exists()


def test_a_reset_link_sent_before_linking_no_longer_opens(client, crm_a):
    staff = CrmUserFactory(crm=crm_a)
    link = crm_password_reset_issue(crm_user=staff, sent_by=None)
    CrmUser.objects.filter(pk=staff.pk).update(account=AccountFactory())
    response = client.get(link.split("testserver", 1)[-1], follow=True)
    assert response.status_code == 403
    assert "signs in through their portal account" in response.content.decode()


def test_my_profile_points_a_linked_user_to_the_portal(crm_a, connected_staff):
    staff, _browser, portal = connected_staff
    enter(portal, crm_a)
    page = portal.get(reverse("crm:profile", kwargs={"slug": crm_a.slug}))
    html = page.content.decode()
    assert 'data-testid="linked-password"' in html
    assert reverse("account_change_password") in html
    assert 'name="new_password1"' not in html
    refused = portal.post(
        reverse("crm:profile_password", kwargs={"slug": crm_a.slug}),
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password1": "a-brand-new-pass-9",
            "new_password2": "a-brand-new-pass-9",
        },
        follow=True,
    )
    assert "signs in through their portal account" in refused.content.decode()
    staff.refresh_from_db()
    assert not is_password_usable(staff.password)


@pytest.mark.parametrize("route", ["crm:user_password_set", "crm:user_password_link"])
def test_an_administrator_cannot_give_a_linked_user_a_password(
    crm_a, connected_staff, route
):
    staff, _browser, _portal = connected_staff
    admin = CrmUserFactory(
        crm=crm_a, role=CrmUser.Role.ADMIN, email="adm@alpha.example"
    )
    browser = Client()
    crm_password_login(browser, crm_a, admin.email, DEFAULT_PASSWORD)
    url = reverse(route, kwargs={"slug": crm_a.slug, "crm_user_id": staff.pk})
    page = browser.get(url)
    assert page.status_code == 403
    assert "signs in through their portal account" in page.content.decode()
    mail.outbox.clear()
    posted = browser.post(
        url, {"password1": "a-brand-new-pass-9", "password2": "a-brand-new-pass-9"}
    )
    assert posted.status_code == 403
    assert mail.outbox == []
    staff.refresh_from_db()
    assert not is_password_usable(staff.password)


def test_the_migration_makes_linked_users_passwords_unusable(crm_a):
    migration = import_module(
        "crm.migrations.0015_linked_users_enter_through_the_portal"
    )
    owner = CrmUser.objects.get(crm=crm_a, role=CrmUser.Role.OWNER)
    # What crm_create gave owners before: a copy of the Account's hash.
    CrmUser.objects.filter(pk=owner.pk).update(password=crm_a.owner.password)
    link = crm_password_reset_issue(
        crm_user=CrmUser.objects.get(pk=owner.pk), sent_by=None
    )
    assert link
    unlinked = CrmUserFactory(crm=crm_a)

    migration.linked_users_passwords_unusable(django_apps, None)

    owner.refresh_from_db()
    unlinked.refresh_from_db()
    assert not is_password_usable(owner.password)
    assert not owner.check_password(DEFAULT_PASSWORD)
    assert unlinked.check_password(DEFAULT_PASSWORD)
    assert not PasswordResetToken.objects.filter(crm_user=owner).exists()
