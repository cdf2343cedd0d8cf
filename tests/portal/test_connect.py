"""Add existing CRM by a connection code from My profile → Basic info."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import AuditEvent, ConnectionCode, Crm, CrmUser
from crm.services.connection import connection_code_issue
from crm.services.secrets import READABLE_ALPHABET
from tests.factories import DEFAULT_PASSWORD, AccountFactory, CrmUserFactory

CONNECT_URL = reverse("portal:crm_connect")


@pytest.fixture
def account(db):
    return AccountFactory(email="boss@example.com")


@pytest.fixture
def staff_with_code(staff_a):
    return staff_a, connection_code_issue(crm_user=staff_a).code


def preview(client, code):
    return client.post(CONNECT_URL, {"code": code})


def confirm(client, code):
    return client.post(CONNECT_URL, {"code": code, "confirm": "1"})


def test_profile_shows_ids_and_makes_a_code_once(client, crm_a, staff_a):
    client.post(
        reverse("crm:login", kwargs={"slug": "alpha"}),
        {"email": staff_a.email, "password": DEFAULT_PASSWORD},
    )
    page = client.get(reverse("crm:profile", kwargs={"slug": "alpha"})).content.decode()
    assert f'data-testid="user-id">{staff_a.pk}<' in page
    assert f'data-testid="crm-id">{crm_a.pk}<' in page
    assert "15 minutes" in page

    made = client.post(reverse("crm:profile", kwargs={"slug": "alpha"}))
    assert made["Cache-Control"] == "no-store"
    code = re.search(r'data-testid="connection-code">([^<]+)<', made.content.decode())[
        1
    ]
    assert re.fullmatch(rf"[{READABLE_ALPHABET}]{{5}}-[{READABLE_ALPHABET}]{{5}}", code)
    row = ConnectionCode.objects.get()
    assert code not in row.code_hash
    # Shown once: the next visit does not show it again.
    again = client.get(
        reverse("crm:profile", kwargs={"slug": "alpha"})
    ).content.decode()
    assert code not in again


def test_code_has_at_least_40_bits_and_regenerating_cancels_the_old_one(staff_a):
    first = connection_code_issue(crm_user=staff_a).code
    second = connection_code_issue(crm_user=staff_a).code
    assert len(first.replace("-", "")) * 5 >= 40  # 32-letter alphabet: 5 bits each
    assert first != second
    assert ConnectionCode.objects.count() == 1


def test_connect_shows_confirmation_then_links(client, account, crm_a, staff_with_code):
    staff, code = staff_with_code
    client.force_login(account)

    shown = preview(client, code.lower().replace("-", " "))
    assert shown.status_code == 200
    body = shown.content.decode()
    assert "Alpha Traders" in body
    assert "User" in body  # the role they will have
    assert "<dd>/c/alpha/</dd>" in body  # the CRM's address
    staff.refresh_from_db()
    assert staff.account is None  # nothing happens before the confirmation

    done = confirm(client, code)
    assert done.status_code == 302
    staff.refresh_from_db()
    assert staff.account == account
    assert AuditEvent.objects.filter(crm=crm_a, action="crm.connected").exists()
    assert "Alpha Traders" in client.get(reverse("portal:crm_list")).content.decode()
    # And Enter works.
    entered = client.post(reverse("portal:crm_enter", kwargs={"crm_id": crm_a.pk}))
    client.get(entered.url)
    assert client.get("/c/alpha/").status_code == 200


def test_wrong_expired_and_used_codes_get_the_same_message(
    client, account, staff_with_code
):
    staff, code = staff_with_code
    client.force_login(account)
    confirm(client, code)
    other_account = AccountFactory()
    client.force_login(other_account)

    used = preview(client, code).context["form"].errors["code"]
    wrong = preview(client, "ABCDE-FGHJK").context["form"].errors["code"]
    fresh = connection_code_issue(crm_user=CrmUserFactory(crm=staff.crm)).code
    ConnectionCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = preview(client, fresh).context["form"].errors["code"]
    garbage = preview(client, "<script>").context["form"].errors["code"]

    assert used == wrong == expired == garbage
    assert "not valid" in used[0]


def test_code_cannot_be_confirmed_twice(client, account, staff_with_code):
    _staff, code = staff_with_code
    client.force_login(account)
    assert confirm(client, code).status_code == 302
    second = AccountFactory()
    client.force_login(second)
    assert confirm(client, code).status_code == 400
    assert not CrmUser.objects.filter(account=second).exists()


def test_crm_already_in_the_list_is_said_plainly(client, crm_a, staff_a):
    client.force_login(crm_a.owner)  # already linked through the owner's user
    code = connection_code_issue(crm_user=staff_a).code
    errors = preview(client, code).context["form"].errors["code"]
    assert "already in your list" in errors[0]


def test_same_user_connecting_again_is_told_it_is_in_the_list(
    client, account, staff_with_code
):
    staff, code = staff_with_code
    client.force_login(account)
    confirm(client, code)
    new_code = connection_code_issue(crm_user=staff).code
    errors = preview(client, new_code).context["form"].errors["code"]
    assert "already in your list" in errors[0]


def test_user_linked_to_another_account_is_said_plainly(client, account, staff_a):
    staff_a.account = AccountFactory()
    staff_a.save()
    code = connection_code_issue(crm_user=staff_a).code
    client.force_login(account)
    errors = preview(client, code).context["form"].errors["code"]
    assert "already linked to another account" in errors[0]


def test_crm_scheduled_for_deletion_cannot_be_added(client, account, staff_with_code):
    staff, code = staff_with_code
    Crm.objects.filter(pk=staff.crm_id).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at=timezone.now()
    )
    client.force_login(account)
    errors = confirm(client, code).context["form"].errors["code"]
    assert "scheduled for deletion" in errors[0]
    staff.refresh_from_db()
    assert staff.account is None


def test_connect_attempts_are_rate_limited_per_account(client, account):
    client.force_login(account)
    for _ in range(20):
        assert preview(client, "AAAAA-AAAAA").status_code == 400
    assert preview(client, "AAAAA-AAAAA").status_code == 429


def test_connect_needs_a_portal_login(client, staff_with_code):
    _staff, code = staff_with_code
    response = confirm(client, code)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
