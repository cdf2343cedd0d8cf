"""Settings → Users through the browser's door: admins only, and what they see."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import is_password_usable
from django.core import mail
from django.test import Client
from django.urls import URLPattern, reverse

from crm import urls as crm_urls
from crm.models import Contact, Crm, CrmUser, Task
from tests.browser_forms import form_data
from tests.factories import (
    DEFAULT_PASSWORD,
    ContactFactory,
    CrmUserFactory,
    DealFactory,
    TaskFactory,
)

SETTINGS_PATTERNS = [
    p
    for p in crm_urls.urlpatterns
    if isinstance(p, URLPattern) and str(p.pattern).startswith("settings/")
]


def sign_in(client, crm_user):
    response = client.post(
        reverse("crm:login", kwargs={"slug": crm_user.crm.slug}),
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def admin_client(client, owner_a):
    return sign_in(client, owner_a)


def url(name, crm, **kwargs):
    return reverse(f"crm:{name}", kwargs={"slug": crm.slug, **kwargs})


@pytest.mark.parametrize("pattern", SETTINGS_PATTERNS, ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_non_admins_get_403_on_every_settings_page(
    client, crm_a, staff_a, pattern, method
):
    colleague = CrmUserFactory(crm=crm_a)
    sign_in(client, staff_a)
    kwargs = {
        k: colleague.pk if k == "crm_user_id" else 1
        for k in pattern.pattern.regex.groupindex
    }
    response = getattr(client, method)(url(pattern.name, crm_a, **kwargs))
    assert response.status_code in (403, 405)
    colleague.refresh_from_db()
    assert colleague.is_active


def test_users_page_lists_everyone_with_seats_counter(admin_client, crm_a, staff_a):
    Crm.objects.filter(pk=crm_a.pk).update(seat_limit=5)
    CrmUserFactory(crm=crm_a, is_active=False, name="Gone Person")
    page = admin_client.get(url("users", crm_a)).content.decode()
    assert "2 of 5 seats used" in page
    assert "Anna Staff" in page and "Gone Person" in page
    assert f"<code>{staff_a.pk}</code>" in page
    assert "Deactivated" in page


def test_users_page_runs_a_constant_number_of_queries(
    admin_client, crm_a, django_assert_max_num_queries
):
    CrmUserFactory.create_batch(25, crm=crm_a)
    with django_assert_max_num_queries(8):
        assert admin_client.get(url("users", crm_a)).status_code == 200


def test_add_user_with_password(admin_client, crm_a):
    response = admin_client.post(
        url("user_add", crm_a),
        {
            "name": "Pat  Newman",
            "email": "PAT@example.com",
            "password": "a-fine-password-1",
            "role": "user",
            "rights__deal__delete": "own",
        },
    )
    assert response.status_code == 302
    pat = CrmUser.objects.get(crm=crm_a, email="pat@example.com")
    assert pat.name == "Pat Newman"
    assert pat.rights["deal"]["delete"] == "own"
    assert pat.check_password("a-fine-password-1")


def test_add_user_with_weak_password_or_taken_email_is_refused(
    admin_client, crm_a, staff_a
):
    weak = admin_client.post(
        url("user_add", crm_a),
        {"name": "W", "email": "w@example.com", "password": "123", "role": "user"},
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    taken = admin_client.post(
        url("user_add", crm_a),
        {
            "name": "A",
            "email": staff_a.email,
            "password": "fine-pass-2026",
            "role": "user",
        },
    )
    assert "already has a user with this email" in taken.content.decode()
    assert CrmUser.objects.filter(crm=crm_a).count() == 2


def test_invited_user_sets_their_own_password_once(
    admin_client, crm_a, django_capture_on_commit_callbacks
):
    # Only a CRM whose owner confirmed their address sends invitations.
    EmailAddress.objects.create(
        user=crm_a.owner, email=crm_a.owner.email, primary=True, verified=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url("user_add", crm_a),
            {
                "name": "Ivy Invited",
                "email": "ivy@example.com",
                "invite": "on",
                "role": "user",
            },
        )
    ivy = CrmUser.objects.get(email="ivy@example.com")
    assert not is_password_usable(ivy.password)
    link = re.search(
        r"http://localhost:8000(/c/alpha/invite/\S+/)", mail.outbox[-1].body
    )[1]

    browser = Client()
    assert browser.get(link).status_code == 200
    done = browser.post(
        link, {"password1": "ivy-chooses-this", "password2": "ivy-chooses-this"}
    )
    assert done.status_code == 302
    assert browser.get("/c/alpha/").status_code == 200
    ivy.refresh_from_db()
    assert ivy.check_password("ivy-chooses-this")
    again = Client().get(link)
    assert again.status_code == 403


def test_deactivate_through_the_page_hands_work_over_and_ends_sessions(
    admin_client, crm_a, staff_a
):
    colleague = CrmUserFactory(crm=crm_a)
    ContactFactory.create_batch(2, responsible=staff_a)
    staff_browser = sign_in(Client(), staff_a)

    page = admin_client.get(url("user_deactivate", crm_a, crm_user_id=staff_a.pk))
    assert "2 contacts" in page.content.decode()
    missing = admin_client.post(url("user_deactivate", crm_a, crm_user_id=staff_a.pk))
    assert missing.status_code == 400
    done = admin_client.post(
        url("user_deactivate", crm_a, crm_user_id=staff_a.pk),
        {"recipient": colleague.pk},
    )
    assert done.status_code == 302
    assert set(Contact.objects.values_list("responsible_id", flat=True)) == {
        colleague.pk
    }
    assert staff_browser.get("/c/alpha/").status_code == 302
    audit = admin_client.get(url("audit", crm_a)).content.decode()
    assert "User deactivated" in audit and colleague.name in audit


def test_the_hand_over_page_counts_records_and_says_the_open_tasks_go_along(
    admin_client, crm_a, staff_a
):
    colleague = CrmUserFactory(crm=crm_a, name="Carl Colleague")
    ContactFactory.create_batch(2, responsible=staff_a)
    DealFactory(responsible=staff_a)
    TaskFactory.create_batch(4, responsible=staff_a)
    link = url("user_deactivate", crm_a, crm_user_id=staff_a.pk)

    page = admin_client.get(link).content.decode()
    assert "2 contacts, 0 companies and 1 deals" in page
    assert "Their 4 open tasks go along" in page

    done = admin_client.post(
        link, form_data(page, having="recipient", recipient=str(colleague.pk))
    )
    assert done.status_code == 302
    shown = admin_client.get(done.url).content.decode()
    assert "3 records were handed over" in shown
    assert Task.objects.filter(responsible=colleague).count() == 4


def test_a_user_with_only_tasks_is_deactivated_as_the_page_offers(
    admin_client, crm_a, owner_a, staff_a
):
    TaskFactory.create_batch(2, responsible=staff_a)
    link = url("user_deactivate", crm_a, crm_user_id=staff_a.pk)

    page = admin_client.get(link).content.decode()
    assert "They are not responsible for any records." in page
    assert "Their 2 open tasks go along" in page and "or else to you" in page

    done = admin_client.post(link, form_data(page, having="recipient"))
    assert done.status_code == 302
    staff_a.refresh_from_db()
    assert not staff_a.is_active
    # Nothing is left with a deactivated user: the tasks went to the admin.
    assert Task.objects.filter(responsible=owner_a).count() == 2


def test_own_password_change_keeps_this_session_and_ends_others(client, crm_a, staff_a):
    sign_in(client, staff_a)
    other_device = sign_in(Client(), staff_a)
    change = url("profile_password", crm_a)

    wrong = client.post(
        change,
        {
            "current_password": "nope",
            "new_password1": "brand-new-pass-1",
            "new_password2": "brand-new-pass-1",
        },
    )
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.content.decode()

    ok = client.post(
        change,
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password1": "brand-new-pass-1",
            "new_password2": "brand-new-pass-1",
        },
    )
    assert ok.status_code == 302
    assert client.get("/c/alpha/").status_code == 200
    assert other_device.get("/c/alpha/").status_code == 302


def test_profile_shows_group_role_and_ids(client, crm_a, staff_a):
    sign_in(client, staff_a)
    page = client.get(url("profile", crm_a)).content.decode()
    assert "No group" in page
    assert str(staff_a.pk) in page and str(crm_a.pk) in page


def test_lookup_names_no_one_from_another_crm_or_account(admin_client, crm_a, crm_b):
    """An administrator probing addresses learns nothing outside their CRM:
    another CRM's user, an Account and an unknown address answer alike."""
    CrmUserFactory(crm=crm_b, email="known@example.com", name="Kim Known")
    lookup = url("user_lookup", crm_a)

    answers = [
        admin_client.get(lookup, {"email": email}).content.decode()
        for email in ("KNOWN@example.com", crm_b.owner.email, "nobody@example.com")
    ]

    assert "Kim Known" not in answers[0]
    assert answers[0] == answers[1] == answers[2]
    here = admin_client.get(lookup, {"email": crm_a.owner.email}).content.decode()
    assert "already has a user with this email" in here


def test_lookup_offers_to_reactivate_a_deactivated_user_here(admin_client, crm_a):
    gone = CrmUserFactory(crm=crm_a, email="back@example.com", name="Bo Back")
    CrmUser.objects.filter(pk=gone.pk).update(is_active=False)

    answer = admin_client.get(
        url("user_lookup", crm_a), {"email": "BACK@example.com"}
    ).content.decode()

    assert "Reactivate Bo Back" in answer
    assert url("user_edit", crm_a, crm_user_id=gone.pk) in answer


def test_the_add_user_forms_email_lookup_asks_the_lookup_page(admin_client, crm_a):
    page = admin_client.get(url("user_add", crm_a)).content.decode()
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    lookup = re.search(r'hx-get="([^"]+)"', email_input).group(1)

    assert lookup == url("user_lookup", crm_a)
    answer = admin_client.get(lookup, {"email": "someone@example.com"})
    assert answer.status_code == 200
