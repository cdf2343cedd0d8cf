"""Staff password recovery: "Forgot password?" on a CRM's login page, the emailed
single-use link, and an administrator's "Send a password reset link" and "Set a
new password" on a user's edit page."""

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import AuditEvent, Crm, CrmUser, PasswordResetToken
from crm.services.access import crm_user_change_own_password
from crm.services.password_reset import (
    PASSWORD_RESET_TTL,
    PasswordResetLinkInvalid,
    crm_password_reset_get,
    crm_password_reset_issue,
    crm_password_reset_redeem,
    crm_password_reset_request,
    crm_password_reset_send,
    crm_user_password_set_by_admin,
)
from tests.browser_forms import form_data
from tests.factories import DEFAULT_PASSWORD, CrmUserFactory

NEW_PASSWORD = "quiet-harbour-lantern-7"
LINK = re.compile(r"http://localhost:8000(/c/(?P<slug>[\w-]+)/password-reset/\S+/)")


def url(name, crm, **kwargs):
    return reverse(f"crm:{name}", kwargs={"slug": crm.slug, **kwargs})


def sign_in(client, crm_user, password=DEFAULT_PASSWORD):
    return client.post(
        url("login", crm_user.crm),
        {"email": crm_user.email, "password": password},
    )


def signed_in(client, crm) -> bool:
    return client.get(url("home", crm)).status_code == 200


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def admin_a(crm_a):
    return CrmUserFactory(crm=crm_a, role="admin", name="Adam Admin")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what a service enqueues after commit (the email), as production does."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def ask_for_link(client, crm, email, on_commit):
    """The login page's "Forgot password?", followed and filled in as a browser does."""
    login_page = client.get(url("login", crm)).content.decode()
    forgot = url("password_forgot", crm)
    assert f'href="{forgot}"' in login_page
    page = client.get(forgot)
    assert page.status_code == 200
    data = form_data(page.content.decode(), having="email", email=email)
    return on_commit(client.post, forgot, data)


# --- Asking for a link -------------------------------------------------------------


def test_login_page_offers_forgot_password_instead_of_an_administrator_promise(
    client, crm_a
):
    page = client.get(url("login", crm_a)).content.decode()
    assert "Forgot password?" in page
    assert "Your administrator can reset them" not in page


def test_known_and_unknown_emails_get_the_same_answer(
    client, crm_a, staff_a, on_commit
):
    known = ask_for_link(client, crm_a, "STAFF@alpha.example ", on_commit)
    unknown = ask_for_link(Client(), crm_a, "nobody@alpha.example", on_commit)

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == url("password_forgot_sent", crm_a)
    sent = client.get(known.url)
    assert sent.status_code == 200
    assert "Check your email" in sent.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [staff_a.email]
    assert PasswordResetToken.objects.count() == 1


def test_the_email_carries_a_link_to_this_crm_and_only_a_hash_is_stored(
    client, crm_a, staff_a, on_commit
):
    ask_for_link(client, crm_a, staff_a.email, on_commit)

    message = mail.outbox[0]
    assert "Alpha Traders" in message.subject
    assert staff_a.name in message.body
    assert "for 60 minutes" in message.body
    link = LINK.search(message.body)
    assert link["slug"] == "alpha"
    token = token_of(link[1])
    stored = PasswordResetToken.objects.get()
    assert stored.crm_user == staff_a
    assert token not in stored.token_hash
    assert (
        timedelta(minutes=59) < stored.expires_at - timezone.now() <= PASSWORD_RESET_TTL
    )


def test_another_crms_user_is_not_found_through_this_crms_page(
    client, crm_a, crm_b, staff_b, on_commit
):
    answer = ask_for_link(client, crm_a, staff_b.email, on_commit)

    assert answer.url == url("password_forgot_sent", crm_a)
    assert mail.outbox == []
    assert not PasswordResetToken.objects.exists()


def test_a_user_who_works_in_two_crms_gets_the_link_of_the_crm_asked(
    crm_a, crm_b, on_commit
):
    CrmUserFactory(crm=crm_a, email="both@example.com")
    in_b = CrmUserFactory(crm=crm_b, email="both@example.com")

    on_commit(crm_password_reset_request, crm=crm_b, email="both@example.com")

    assert PasswordResetToken.objects.get().crm_user == in_b
    assert "/c/beta/password-reset/" in mail.outbox[0].body


def test_a_deactivated_user_gets_no_link(crm_a, staff_a, on_commit):
    CrmUser.objects.filter(pk=staff_a.pk).update(is_active=False)

    on_commit(crm_password_reset_request, crm=crm_a, email=staff_a.email)

    assert mail.outbox == []
    assert not PasswordResetToken.objects.exists()


def test_a_malformed_email_is_a_clear_400(client, crm_a):
    page = client.get(url("password_forgot", crm_a)).content.decode()
    response = client.post(
        url("password_forgot", crm_a), form_data(page, having="email", email="nope")
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_a_new_link_replaces_the_earlier_one(crm_a, staff_a):
    first = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))
    second = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))

    with pytest.raises(PasswordResetLinkInvalid, match="not valid"):
        crm_password_reset_get(crm=crm_a, token=first)
    assert crm_password_reset_get(crm=crm_a, token=second).crm_user == staff_a
    assert PasswordResetToken.objects.count() == 1


def test_asking_is_rate_limited_per_address(client, crm_a, staff_a, on_commit):
    for _ in range(3):
        assert ask_for_link(client, crm_a, staff_a.email, on_commit).status_code == 302

    refused = ask_for_link(client, crm_a, staff_a.email, on_commit)
    assert refused.status_code == 429
    assert "Too many reset links" in refused.content.decode()
    assert len(mail.outbox) == 3
    # The limit is the address's: it holds for an unknown one alike, and
    # another address still gets through.
    for _ in range(3):
        ask_for_link(client, crm_a, "ghost@alpha.example", on_commit)
    assert ask_for_link(
        client, crm_a, "ghost@alpha.example", on_commit
    ).status_code == (429)
    colleague = CrmUserFactory(crm=crm_a, email="colleague@alpha.example")
    assert ask_for_link(client, crm_a, colleague.email, on_commit).status_code == 302
    assert mail.outbox[-1].to == [colleague.email]


def test_asking_is_rate_limited_per_ip(client, crm_a, on_commit):
    answers = [
        ask_for_link(client, crm_a, f"guess{n}@alpha.example", on_commit).status_code
        for n in range(11)
    ]
    assert answers == [302] * 10 + [429]


def test_the_same_address_in_another_crm_has_its_own_limit(
    client, crm_a, crm_b, staff_a, on_commit
):
    for _ in range(4):
        ask_for_link(client, crm_a, staff_a.email, on_commit)
    same_email_in_b = CrmUserFactory(crm=crm_b, email=staff_a.email)

    assert ask_for_link(client, crm_b, staff_a.email, on_commit).status_code == 302
    assert PasswordResetToken.objects.filter(crm_user=same_email_in_b).exists()


def test_asking_is_audited_without_an_actor(crm_a, staff_a):
    crm_password_reset_issue(crm_user=staff_a, sent_by=None)

    event = AuditEvent.objects.get(action="crm_user.password_reset_sent")
    assert event.crm == crm_a
    assert event.actor_crm_user is None
    assert event.details == {
        "crm_user_id": staff_a.pk,
        "name": staff_a.name,
        "via": "login page",
    }


# --- Using the link ----------------------------------------------------------------


def test_the_whole_reset_through_the_pages(client, crm_a, staff_a, on_commit):
    ask_for_link(client, crm_a, staff_a.email, on_commit)
    link = LINK.search(mail.outbox[0].body)[1]

    opened = client.get(link)
    # Off the token's URL at once: not kept in history, not sent as a Referer.
    assert opened.status_code == 302
    assert opened.url == url("password_reset_set", crm_a)
    page = client.get(opened.url)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert staff_a.email in html

    differ = client.post(
        opened.url,
        form_data(html, having="password1", password1=NEW_PASSWORD, password2="x"),
    )
    assert differ.status_code == 400
    assert "The two new passwords differ." in differ.content.decode()
    weak = client.post(
        opened.url,
        form_data(html, having="password1", password1="123", password2="123"),
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()

    done = client.post(
        opened.url,
        form_data(
            html, having="password1", password1=NEW_PASSWORD, password2=NEW_PASSWORD
        ),
    )
    assert done.status_code == 302
    assert done.url == url("login", crm_a)
    assert "Sign in with the new one" in client.get(done.url).content.decode()
    assert sign_in(Client(), staff_a).status_code == 400
    assert sign_in(client, staff_a, NEW_PASSWORD).status_code == 302
    assert signed_in(client, crm_a)

    replay = Client().get(link)
    assert replay.status_code == 403
    assert "already been used" in replay.content.decode()
    assert 'href="/c/alpha/login/forgot/"' in replay.content.decode()


def test_a_refused_password_leaves_the_link_usable(crm_a, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))

    with pytest.raises(ValidationError) as refused:
        crm_password_reset_redeem(crm=crm_a, token=token, password="password")
    assert "password1" in refused.value.message_dict

    crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD)


def test_the_link_works_once(crm_a, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))
    crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)

    with pytest.raises(PasswordResetLinkInvalid, match="already been used"):
        crm_password_reset_redeem(crm=crm_a, token=token, password="another-one-99x")
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused(client, crm_a, staff_a):
    link = crm_password_reset_issue(crm_user=staff_a, sent_by=None)
    PasswordResetToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(PasswordResetLinkInvalid, match="expired"):
        crm_password_reset_redeem(
            crm=crm_a, token=token_of(link), password=NEW_PASSWORD
        )
    page = client.get(link.removeprefix("http://localhost:8000"))
    assert page.status_code == 403
    assert "has expired" in page.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(DEFAULT_PASSWORD)


def test_a_link_that_expires_while_the_page_is_open_is_refused(client, crm_a, staff_a):
    link = crm_password_reset_issue(crm_user=staff_a, sent_by=None)
    page = client.get(client.get(link.removeprefix("http://localhost:8000")).url)
    PasswordResetToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    late = client.post(
        url("password_reset_set", crm_a),
        form_data(
            page.content.decode(),
            having="password1",
            password1=NEW_PASSWORD,
            password2=NEW_PASSWORD,
        ),
    )
    assert late.status_code == 403
    assert "has expired" in late.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(DEFAULT_PASSWORD)


def test_a_link_of_a_user_deactivated_since_is_refused(crm_a, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))
    CrmUser.objects.filter(pk=staff_a.pk).update(is_active=False)

    with pytest.raises(PasswordResetLinkInvalid, match="deactivated"):
        crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)


def test_a_guessed_or_missing_token_is_refused(client, crm_a, staff_a):
    crm_password_reset_issue(crm_user=staff_a, sent_by=None)

    guessed = client.get(url("password_reset", crm_a, token="A" * 43))
    assert guessed.status_code == 403
    assert "not valid" in guessed.content.decode()
    # The form page without a link opened first in this browser.
    assert client.get(url("password_reset_set", crm_a)).status_code == 403
    assert (
        client.post(
            url("password_reset_set", crm_a),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        ).status_code
        == 403
    )
    staff_a.refresh_from_db()
    assert staff_a.check_password(DEFAULT_PASSWORD)


def test_a_link_works_only_at_its_own_crm(client, crm_a, crm_b, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))

    elsewhere = client.get(url("password_reset", crm_b, token=token))
    assert elsewhere.status_code == 403
    assert staff_a.email not in elsewhere.content.decode()
    assert client.get(url("password_reset_set", crm_b)).status_code == 403
    with pytest.raises(PasswordResetLinkInvalid):
        crm_password_reset_redeem(crm=crm_b, token=token, password=NEW_PASSWORD)
    # Still good where it belongs.
    assert (
        crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)
        == staff_a
    )


def test_opening_the_link_in_one_crm_does_not_open_a_reset_in_another(
    client, crm_a, crm_b, staff_a, staff_b
):
    link_a = crm_password_reset_issue(crm_user=staff_a, sent_by=None)
    client.get(link_a.removeprefix("http://localhost:8000"))

    response = client.post(
        url("password_reset_set", crm_b),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    staff_b.refresh_from_db()
    assert staff_b.check_password(DEFAULT_PASSWORD)


def test_the_reset_ends_every_session_of_the_user(client, crm_a, staff_a):
    laptop, phone = Client(), Client()
    sign_in(laptop, staff_a)
    sign_in(phone, staff_a)
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))

    crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)

    assert not signed_in(laptop, crm_a)
    assert not signed_in(phone, crm_a)


def test_the_reset_lifts_the_failed_sign_in_limit(client, crm_a, staff_a, on_commit):
    for _ in range(5):
        sign_in(client, staff_a, "wrong-guess")
    assert sign_in(client, staff_a).status_code == 429
    ask_for_link(client, crm_a, staff_a.email, on_commit)
    link = LINK.search(mail.outbox[0].body)[1]
    form_page = client.get(client.get(link).url).content.decode()

    client.post(
        url("password_reset_set", crm_a),
        form_data(
            form_page,
            having="password1",
            password1=NEW_PASSWORD,
            password2=NEW_PASSWORD,
        ),
    )

    assert sign_in(client, staff_a, NEW_PASSWORD).status_code == 302


def test_the_reset_is_audited_as_the_user(crm_a, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))
    crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)

    event = AuditEvent.objects.get(action="crm_user.password_reset")
    assert event.crm == crm_a
    assert event.actor_crm_user == staff_a
    assert event.details == {"crm_user_id": staff_a.pk, "name": staff_a.name}


def test_changing_the_password_otherwise_drops_an_unused_link(crm_a, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))

    crm_user_change_own_password(crm_user=staff_a, password="changed-in-profile-1")

    with pytest.raises(PasswordResetLinkInvalid, match="not valid"):
        crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)
    staff_a.refresh_from_db()
    assert staff_a.check_password("changed-in-profile-1")


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeems_set_the_password_once(crm_a, staff_a):
    token = token_of(crm_password_reset_issue(crm_user=staff_a, sent_by=None))
    outcomes = []
    barrier = threading.Barrier(4)

    def redeem(password):
        barrier.wait()
        try:
            crm_password_reset_redeem(crm=crm_a, token=token, password=password)
            outcomes.append(password)
        except PasswordResetLinkInvalid as refusal:
            outcomes.append(refusal.message)
        finally:
            connections.close_all()  # this thread's own, persistent or not

    passwords = [f"concurrent-choice-{n}x" for n in range(4)]
    threads = [threading.Thread(target=redeem, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [outcome for outcome in outcomes if outcome in passwords]
    assert len(winners) == 1, outcomes
    refused = [outcome for outcome in outcomes if outcome not in passwords]
    assert len(refused) == 3
    assert all("already been used" in message for message in refused)
    staff_a.refresh_from_db()
    assert staff_a.check_password(winners[0])
    assert AuditEvent.objects.filter(action="crm_user.password_reset").count() == 1


# --- An administrator's actions on the user edit page -------------------------------


def test_edit_page_offers_both_actions_to_an_admin(client, crm_a, admin_a, staff_a):
    sign_in(client, admin_a)
    page = client.get(url("user_edit", crm_a, crm_user_id=staff_a.pk)).content.decode()
    link = url("user_password_link", crm_a, crm_user_id=staff_a.pk)
    set_page = url("user_password_set", crm_a, crm_user_id=staff_a.pk)
    assert f'href="{link}"' in page
    assert f'href="{set_page}"' in page


def test_admin_sends_a_link_after_confirming(
    client, crm_a, admin_a, staff_a, on_commit
):
    sign_in(client, admin_a)
    confirm_url = url("user_password_link", crm_a, crm_user_id=staff_a.pk)
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200
    assert staff_a.email in confirm.content.decode()
    assert mail.outbox == []  # opening the confirmation sends nothing

    sent = on_commit(
        client.post,
        confirm_url,
        form_data(confirm.content.decode(), having="csrfmiddlewaretoken"),
    )

    assert sent.status_code == 302
    assert sent.url == url("user_edit", crm_a, crm_user_id=staff_a.pk)
    assert mail.outbox[0].to == [staff_a.email]
    assert "Adam Admin sent you a link" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="crm_user.password_reset_sent")
    assert event.actor_crm_user == admin_a
    assert event.details["via"] == "administrator"
    # The user's password keeps working until the link is used.
    assert sign_in(Client(), staff_a).status_code == 302
    token = token_of(LINK.search(mail.outbox[0].body)[1])
    crm_password_reset_redeem(crm=crm_a, token=token, password=NEW_PASSWORD)
    assert sign_in(Client(), staff_a, NEW_PASSWORD).status_code == 302


def test_admin_sets_a_new_password_that_ends_the_users_sessions(
    client, crm_a, admin_a, staff_a
):
    staff_browser = Client()
    sign_in(staff_browser, staff_a)
    sign_in(client, admin_a)
    set_url = url("user_password_set", crm_a, crm_user_id=staff_a.pk)
    page = client.get(set_url)
    assert page.status_code == 200
    html = page.content.decode()

    weak = client.post(
        set_url,
        form_data(html, having="password1", password1="123", password2="123"),
    )
    assert weak.status_code == 400
    done = client.post(
        set_url,
        form_data(
            html, having="password1", password1=NEW_PASSWORD, password2=NEW_PASSWORD
        ),
    )

    assert done.status_code == 302
    assert not signed_in(staff_browser, crm_a)
    assert signed_in(client, crm_a)  # the admin's own session goes on
    assert sign_in(Client(), staff_a, NEW_PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="crm_user.password_set")
    assert event.actor_crm_user == admin_a
    assert event.details == {"crm_user_id": staff_a.pk, "name": staff_a.name}
    audit = client.get(url("audit", crm_a)).content.decode()
    assert "Password set by an administrator" in audit


def test_an_admin_cannot_touch_the_owners_password(
    client, crm_a, admin_a, owner_a, on_commit
):
    sign_in(client, admin_a)
    edit = client.get(url("user_edit", crm_a, crm_user_id=owner_a.pk)).content.decode()
    assert "Only the owner can reset the owner&#x27;s password." in edit
    assert url("user_password_set", crm_a, crm_user_id=owner_a.pk) not in edit

    for name in ("user_password_link", "user_password_set"):
        target = url(name, crm_a, crm_user_id=owner_a.pk)
        assert client.get(target).status_code == 403
        posted = on_commit(
            client.post,
            target,
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert posted.status_code == 403
    owner_a.refresh_from_db()
    assert owner_a.check_password(DEFAULT_PASSWORD)
    assert mail.outbox == []
    with pytest.raises(PermissionDenied):
        crm_password_reset_send(crm=crm_a, crm_user_id=owner_a.pk, actor=admin_a)


def test_the_owner_manages_an_admins_password_and_mails_them_a_link(
    crm_a, owner_a, admin_a, on_commit
):
    crm_user_password_set_by_admin(
        crm=crm_a, crm_user_id=admin_a.pk, actor=owner_a, password=NEW_PASSWORD
    )
    admin_a.refresh_from_db()
    assert admin_a.check_password(NEW_PASSWORD)

    on_commit(crm_password_reset_send, crm=crm_a, crm_user_id=admin_a.pk, actor=owner_a)
    assert mail.outbox[0].to == [admin_a.email]


def test_nobody_sets_their_own_password_here_without_the_current_one(
    client, crm_a, admin_a
):
    sign_in(client, admin_a)
    set_url = url("user_password_set", crm_a, crm_user_id=admin_a.pk)
    edit = client.get(url("user_edit", crm_a, crm_user_id=admin_a.pk)).content.decode()
    assert set_url not in edit
    assert url("profile", crm_a) in edit

    response = client.post(
        set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert "in My profile" in response.content.decode()
    admin_a.refresh_from_db()
    assert admin_a.check_password(DEFAULT_PASSWORD)


def test_a_deactivated_user_is_sent_no_link(client, crm_a, admin_a, staff_a):
    CrmUser.objects.filter(pk=staff_a.pk).update(is_active=False)
    sign_in(client, admin_a)

    response = client.post(url("user_password_link", crm_a, crm_user_id=staff_a.pk))

    assert response.status_code == 400
    assert "reactivate them first" in response.content.decode()
    assert not PasswordResetToken.objects.exists()


def test_a_plain_user_may_do_neither(client, crm_a, staff_a, on_commit):
    colleague = CrmUserFactory(crm=crm_a)
    sign_in(client, staff_a)
    for name in ("user_password_link", "user_password_set"):
        response = on_commit(
            client.post,
            url(name, crm_a, crm_user_id=colleague.pk),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.check_password(DEFAULT_PASSWORD)
    assert mail.outbox == []
    with pytest.raises(PermissionDenied):
        crm_user_password_set_by_admin(
            crm=crm_a, crm_user_id=colleague.pk, actor=staff_a, password=NEW_PASSWORD
        )


def test_an_admin_of_crm_a_cannot_reach_a_user_of_crm_b(
    client, crm_a, admin_a, staff_b, on_commit
):
    sign_in(client, admin_a)
    for name in ("user_password_link", "user_password_set"):
        response = on_commit(
            client.post,
            url(name, crm_a, crm_user_id=staff_b.pk),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 404
    staff_b.refresh_from_db()
    assert staff_b.check_password(DEFAULT_PASSWORD)
    assert mail.outbox == []


def test_a_crm_not_active_offers_no_reset(client, crm_a, staff_a):
    link = crm_password_reset_issue(crm_user=staff_a, sent_by=None)
    Crm.objects.filter(pk=crm_a.pk).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at="2030-01-01T00:00:00Z"
    )

    assert client.get(url("password_forgot", crm_a)).status_code == 403
    assert client.get(link.removeprefix("http://localhost:8000")).status_code == 403
    assert PasswordResetToken.objects.get().used_at is None
