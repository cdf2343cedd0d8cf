"""Enter: the portal's one-time hand-off into a CRM."""

import threading
from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.db import IntegrityError, connections
from django.urls import reverse
from django.utils import timezone

from crm.models import AuditEvent, Crm, CrmUser, SsoToken
from crm.services.sso import SsoRefused, sso_token_issue, sso_token_redeem
from crm.services.users import crm_user_set_active
from tests.factories import DEFAULT_PASSWORD


def enter(client, crm):
    return client.post(reverse("portal:crm_enter", kwargs={"crm_id": crm.pk}))


def test_enter_lands_on_crm_home_signed_in_as_own_crm_user(client, crm_a, owner_a):
    client.force_login(crm_a.owner)

    response = enter(client, crm_a)
    assert response.status_code == 302
    assert response.url.startswith("/c/alpha/sso/")
    landed = client.get(response.url)
    assert landed.status_code == 302
    assert landed.url == "/c/alpha/"
    home = client.get("/c/alpha/")
    assert home.status_code == 200
    assert owner_a.name in home.content.decode()
    assert AuditEvent.objects.filter(
        crm=crm_a, action="crm.entered", actor_account=crm_a.owner
    ).exists()


def test_token_is_stored_hashed_and_short_lived(crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    row = SsoToken.objects.get()
    assert token not in row.token_hash
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert row.expires_at - timezone.now() <= timedelta(seconds=60)


def test_replayed_token_is_refused(client, crm_a, owner_a):
    client.force_login(crm_a.owner)
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    url = reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})
    assert client.get(url).status_code == 302

    other_browser = type(client)()
    replay = other_browser.get(url)
    assert replay.status_code == 403
    assert "already been used" in replay.content.decode()
    assert other_browser.get("/c/alpha/").status_code == 302


def test_expired_token_is_refused(client, crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    SsoToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})
    )
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert client.get("/c/alpha/").status_code == 302


def test_token_for_another_crm_is_refused_and_burnt(client, crm_a, crm_b, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    wrong = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "beta", "token": token})
    )
    assert wrong.status_code == 403
    assert "another CRM" in wrong.content.decode()
    assert client.get("/c/beta/").status_code == 302
    # Shown to the wrong CRM, it is used up: the right one refuses it too.
    right = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})
    )
    assert right.status_code == 403


def test_made_up_token_is_refused(client, crm_a):
    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": "x" * 43})
    )
    assert response.status_code == 403
    assert "not valid" in response.content.decode()


def test_user_deactivated_after_issue_is_refused(client, crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    crm_user_set_active(crm_user=owner_a, is_active=False)

    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})
    )
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


def test_user_unlinked_after_issue_is_refused(client, crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    CrmUser.objects.filter(pk=owner_a.pk).update(account=None)

    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})
    )
    assert response.status_code == 403
    assert "no longer linked" in response.content.decode()


def test_crm_no_longer_active_refuses_the_token(client, crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    Crm.objects.filter(pk=crm_a.pk).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at=timezone.now()
    )
    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})
    )
    assert response.status_code == 403
    assert "scheduled for deletion" in response.content.decode()


def test_enter_a_crm_the_account_is_not_linked_to_is_404(client, crm_a, crm_b):
    client.force_login(crm_a.owner)
    assert enter(client, crm_b).status_code == 404
    assert enter(client, Crm(pk=999_999)).status_code == 404
    assert SsoToken.objects.count() == 0


def test_enter_needs_post_and_a_portal_login(client, crm_a):
    assert enter(client, crm_a).status_code == 302  # to the portal login
    client.force_login(crm_a.owner)
    url = reverse("portal:crm_enter", kwargs={"crm_id": crm_a.pk})
    assert client.get(url).status_code == 405


def test_enter_a_crm_scheduled_for_deletion_says_so(client, crm_a):
    Crm.objects.filter(pk=crm_a.pk).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at=timezone.now()
    )
    client.force_login(crm_a.owner)
    response = enter(client, crm_a)
    assert response.status_code == 403
    assert "scheduled for deletion" in response.content.decode()
    assert SsoToken.objects.count() == 0


def test_enter_as_deactivated_crm_user_is_refused(client, crm_a, owner_a):
    crm_user_set_active(crm_user=owner_a, is_active=False)
    client.force_login(crm_a.owner)
    response = enter(client, crm_a)
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


def test_housekeeping_deletes_only_long_expired_tokens_and_codes(crm_a, owner_a):
    from crm.models import ConnectionCode
    from crm.services.connection import connection_code_issue
    from crm.services.sso import sso_tokens_delete_stale

    sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    connection_code_issue(crm_user=owner_a)
    old = SsoToken.objects.order_by("pk").first()
    SsoToken.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - timedelta(hours=2)
    )
    ConnectionCode.objects.update(expires_at=timezone.now() - timedelta(hours=2))

    assert sso_tokens_delete_stale() == 2
    assert SsoToken.objects.count() == 1
    assert ConnectionCode.objects.count() == 0


def test_enter_stamps_last_login_and_audits_the_sign_in_once(client, crm_a, owner_a):
    client.force_login(crm_a.owner)
    landed = client.get(enter(client, crm_a).url)
    assert landed.status_code == 302

    owner_a.refresh_from_db()
    assert owner_a.last_login is not None
    actions = list(
        AuditEvent.objects.filter(crm=crm_a).values_list("action", flat=True)
    )
    assert actions.count("crm.entered") == 1
    assert "crm_user.logged_in" not in actions  # the same sign-in, not twice


def test_first_enter_makes_a_new_session_key_and_ends_the_old_one(
    client, crm_a, owner_a
):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    client.force_login(crm_a.owner)
    before = client.session.session_key

    client.get(enter(client, crm_a).url)

    after = client.session.session_key
    assert after != before
    assert not store().exists(before)  # a planted session id is worthless
    assert client.get("/c/alpha/").status_code == 200
    assert client.get(reverse("portal:crm_list")).status_code == 200  # portal kept


def test_entering_again_as_the_same_user_keeps_the_session(client, crm_a, owner_a):
    client.force_login(crm_a.owner)
    client.get(enter(client, crm_a).url)
    signed_in = client.session.session_key

    again = client.get(enter(client, crm_a).url)

    assert again.status_code == 302
    assert again.url == "/c/alpha/"
    assert client.session.session_key == signed_in
    assert client.get("/c/alpha/").status_code == 200


def test_enter_as_another_user_of_the_same_crm_makes_a_new_key(
    client, crm_a, owner_a, staff_a
):
    client.post(
        reverse("crm:login", kwargs={"slug": "alpha"}),
        {"email": staff_a.email, "password": DEFAULT_PASSWORD},
    )
    as_staff = client.session.session_key
    client.force_login(crm_a.owner)
    portal_key = client.session.session_key

    client.get(enter(client, crm_a).url)

    assert client.session.session_key not in (as_staff, portal_key)
    assert owner_a.name in client.get("/c/alpha/").content.decode()


def test_a_deactivated_user_is_not_signed_in_and_the_token_is_used_up(crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    crm_user_set_active(crm_user=owner_a, is_active=False)

    with pytest.raises(SsoRefused, match="deactivated"):
        sso_token_redeem(crm=crm_a, token=token)
    owner_a.refresh_from_db()
    assert owner_a.last_login is None
    assert SsoToken.objects.get().used_at is not None  # used up all the same


@pytest.mark.django_db(transaction=True)
def test_a_token_is_never_stored_without_its_audit_record(crm_a, owner_a, monkeypatch):
    import crm.services.sso as sso

    def broken_audit_record(**kwargs):
        event = AuditEvent(crm=crm_a, actor_name="x")
        event.action = None  # NOT NULL: the audit INSERT fails
        event.save()

    monkeypatch.setattr(sso, "audit_record", broken_audit_record)
    with pytest.raises(IntegrityError):
        sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    assert not SsoToken.objects.exists()  # no token that could be used unaudited


def test_a_token_is_stored_with_its_audit_record(crm_a, owner_a):
    sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    event = AuditEvent.objects.get(action="crm.entered")
    assert SsoToken.objects.get().crm_user == owner_a
    assert event.actor_crm_user == owner_a
    assert event.actor_account == crm_a.owner
    assert event.actor_name == f"{owner_a.name} <{owner_a.email}>"
    assert event.details == {}


def test_a_crm_not_active_leaves_the_token_alone(client, crm_a, owner_a):
    client.force_login(crm_a.owner)
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PROVISIONING)
    url = reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": token})

    assert client.get(url).status_code == 503  # still being created: try again
    assert SsoToken.objects.get().used_at is None

    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.ACTIVE)
    assert client.get(url).status_code == 302  # the same token, now it is ready


def test_a_token_at_an_unknown_address_is_404_and_left_alone(client, crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "no-such-crm", "token": token})
    )
    assert response.status_code == 404
    assert SsoToken.objects.get().used_at is None


def test_refusal_page_shows_who_is_signed_in_to_this_crm(client, crm_a, staff_a):
    client.post(
        reverse("crm:login", kwargs={"slug": "alpha"}),
        {"email": staff_a.email, "password": DEFAULT_PASSWORD},
    )
    response = client.get(
        reverse("crm:sso_redeem", kwargs={"slug": "alpha", "token": "x" * 43})
    )
    assert response.status_code == 403
    assert staff_a.name in response.content.decode()


def test_enter_from_the_portal_stores_a_token_for_the_user_and_audits_it(
    client, crm_a, owner_a
):
    client.force_login(crm_a.owner)
    assert enter(client, crm_a).status_code == 302
    handoff = SsoToken.objects.get()
    assert (handoff.crm_id, handoff.crm_user_id) == (crm_a.pk, owner_a.pk)
    assert handoff.account_id == crm_a.owner.pk
    event = AuditEvent.objects.get(action="crm.entered")
    assert event.actor_crm_user == owner_a
    assert event.actor_account == crm_a.owner
    assert event.actor_name == f"{owner_a.name} <{owner_a.email}>"
    assert event.details == {}


def test_no_token_and_no_audit_when_enter_is_refused(client, crm_a, owner_a):
    client.force_login(crm_a.owner)
    crm_user_set_active(crm_user=owner_a, is_active=False)
    assert enter(client, crm_a).status_code == 403
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PROVISIONING)
    crm_user_set_active(crm_user=owner_a, is_active=True)
    assert enter(client, crm_a).status_code == 403
    assert not SsoToken.objects.exists()
    assert not AuditEvent.objects.filter(action="crm.entered").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeems_sign_in_once(crm_a, owner_a):
    token = sso_token_issue(crm_user=owner_a, account=crm_a.owner)
    outcomes = []
    barrier = threading.Barrier(4)

    def redeem():
        barrier.wait()
        try:
            outcomes.append(sso_token_redeem(crm=crm_a, token=token).pk)
        except SsoRefused as refusal:
            outcomes.append(refusal.message)
        finally:
            connections.close_all()  # this thread's own, persistent or not

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count(owner_a.pk) == 1, outcomes
    refused = [outcome for outcome in outcomes if outcome != owner_a.pk]
    assert len(refused) == 3
    assert all("already been used" in message for message in refused)
