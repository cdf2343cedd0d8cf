"""CRM login through a CRM's direct link, and the wall between CRMs and between the
portal and the CRMs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Crm
from crm.services.access import crm_user_set_password
from crm.services.users import crm_user_set_active
from tests.factories import DEFAULT_PASSWORD, CrmUserFactory


def login(client, crm, email, password=DEFAULT_PASSWORD, **extra):
    return client.post(
        reverse("crm:login", kwargs={"slug": crm.slug}),
        {"email": email, "password": password, **extra},
    )


def home(client, crm):
    return client.get(reverse("crm:home", kwargs={"slug": crm.slug}))


def test_crm_user_logs_in_through_the_direct_link(client, crm_a, staff_a):
    response = login(client, crm_a, "STAFF@alpha.example")

    assert response.status_code == 302
    assert response.url == "/c/alpha/"
    page = home(client, crm_a)
    assert page.status_code == 200
    assert "Anna Staff" in page.content.decode()
    assert "Alpha Traders" in page.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.last_login is not None


def test_anonymous_visitor_is_sent_to_that_crms_login(client, crm_a):
    response = home(client, crm_a)
    assert response.status_code == 302
    assert response.url == "/c/alpha/login/?next=%2Fc%2Falpha%2F"


def test_wrong_password_and_unknown_email_get_the_same_message(client, crm_a, staff_a):
    wrong_password = login(client, crm_a, staff_a.email, "not-the-password")
    unknown_email = login(client, crm_a, "nobody@alpha.example")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert "The email or the password is not right for this CRM." in (
            response.content.decode()
        )
    assert home(client, crm_a).status_code == 302


def test_user_of_crm_a_cannot_log_in_at_crm_b(client, crm_a, crm_b, staff_a):
    response = login(client, crm_b, staff_a.email)
    assert response.status_code == 400
    assert home(client, crm_b).status_code == 302


def test_login_to_crm_a_gives_nothing_in_crm_b(client, crm_a, crm_b, staff_a):
    login(client, crm_a, staff_a.email)
    assert home(client, crm_a).status_code == 200
    response = home(client, crm_b)
    assert response.status_code == 302
    assert response.url.startswith("/c/beta/login/")


def test_same_email_in_two_crms_are_two_separate_users(client, crm_a, crm_b):
    CrmUserFactory(crm=crm_a, email="shared@example.com")
    CrmUserFactory(crm=crm_b, email="shared@example.com", password="x")  # unusable

    assert login(client, crm_a, "shared@example.com").status_code == 302
    assert login(client, crm_b, "shared@example.com").status_code == 400


def test_logout_ends_only_that_crms_session(client, crm_a, crm_b, staff_a):
    other = CrmUserFactory(crm=crm_b, email="staff@beta.example")
    login(client, crm_a, staff_a.email)
    login(client, crm_b, other.email)

    client.post(reverse("crm:logout", kwargs={"slug": "alpha"}))

    assert home(client, crm_a).status_code == 302
    assert home(client, crm_b).status_code == 200


def test_logout_needs_post(client, crm_a, staff_a):
    login(client, crm_a, staff_a.email)
    assert (
        client.get(reverse("crm:logout", kwargs={"slug": "alpha"})).status_code == 405
    )
    assert home(client, crm_a).status_code == 200


def test_password_change_ends_the_users_crm_sessions(client, crm_a, staff_a):
    login(client, crm_a, staff_a.email)
    crm_user_set_password(crm_user=staff_a, password="brand-new-secret")

    assert home(client, crm_a).status_code == 302
    assert login(client, crm_a, staff_a.email, "brand-new-secret").status_code == 302


def test_deactivation_ends_the_users_crm_sessions_and_refuses_login(
    client, crm_a, staff_a
):
    login(client, crm_a, staff_a.email)
    crm_user_set_active(crm_user=staff_a, is_active=False)

    assert home(client, crm_a).status_code == 302
    assert login(client, crm_a, staff_a.email).status_code == 400


def test_unknown_slug_gets_a_clear_404_page(client, db):
    response = client.get("/c/no-such-crm/login/")
    assert response.status_code == 404
    assert "no CRM" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (Crm.Status.PROVISIONING, 503, "being created"),
        (Crm.Status.PENDING_DELETION, 403, "scheduled for deletion"),
        (Crm.Status.PURGING, 403, "being deleted"),
    ],
)
def test_crm_that_is_not_active_gets_a_page_saying_why(
    client, crm_a, staff_a, status, code, text
):
    login(client, crm_a, staff_a.email)
    Crm.objects.filter(pk=crm_a.pk).update(
        status=status,
        deletion_due_at="2030-01-01T00:00:00Z"
        if status == Crm.Status.PENDING_DELETION
        else None,
    )

    for response in (home(client, crm_a), login(client, crm_a, staff_a.email)):
        assert response.status_code == code
        assert text in response.content.decode()


def test_failed_crm_logins_are_rate_limited(client, crm_a, staff_a):
    for _ in range(5):
        assert login(client, crm_a, staff_a.email, "wrong-guess").status_code == 400

    # Even the right password is refused while the limit holds.
    response = login(client, crm_a, staff_a.email)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert home(client, crm_a).status_code == 302


def test_rate_limit_for_one_user_does_not_lock_out_another(client, crm_a, staff_a):
    colleague = CrmUserFactory(crm=crm_a, email="colleague@alpha.example")
    for _ in range(5):
        login(client, crm_a, staff_a.email, "wrong-guess")
    assert login(client, crm_a, colleague.email).status_code == 302


def test_login_redirects_only_inside_the_same_crm(client, crm_a, staff_a):
    evil = login(client, crm_a, staff_a.email, next="https://evil.example/")
    assert evil.url == "/c/alpha/"
    client.post(reverse("crm:logout", kwargs={"slug": "alpha"}))
    other_crm = login(client, crm_a, staff_a.email, next="/c/beta/")
    assert other_crm.url == "/c/alpha/"
    client.post(reverse("crm:logout", kwargs={"slug": "alpha"}))
    same_crm = login(client, crm_a, staff_a.email, next="/c/alpha/profile/")
    assert same_crm.url == "/c/alpha/profile/"


def test_crm_login_changes_the_session_key(client, crm_a, staff_a):
    client.get(reverse("crm:login", kwargs={"slug": "alpha"}))
    client.session.save()
    before = client.session.session_key
    login(client, crm_a, staff_a.email)
    assert client.session.session_key != before


def test_portal_session_does_not_open_crm_pages(client, crm_a):
    client.force_login(crm_a.owner)
    response = home(client, crm_a)
    assert response.status_code == 302
    page = client.get(response.url)
    assert "That does not sign you in to this CRM" in page.content.decode()


def test_crm_session_does_not_open_the_portal(client, crm_a, staff_a):
    login(client, crm_a, staff_a.email)
    response = client.get(reverse("portal:crm_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_crm_user_credentials_do_not_work_at_the_portal_login(client, crm_a, staff_a):
    response = client.post(
        reverse("account_login"), {"login": staff_a.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_portal_logout_does_not_touch_crm_login_of_another_browser(
    client, crm_a, staff_a
):
    from django.test import Client

    other_browser = Client()
    login(other_browser, crm_a, staff_a.email)
    client.force_login(crm_a.owner)
    client.post(reverse("account_logout"))
    assert home(other_browser, crm_a).status_code == 200


def test_all_my_crms_link_only_with_a_portal_login(client, crm_a, staff_a):
    login(client, crm_a, staff_a.email)
    assert "All my CRMs" not in home(client, crm_a).content.decode()

    client.force_login(crm_a.owner)  # the portal too, in the same browser
    login(client, crm_a, staff_a.email)
    assert "All my CRMs" in home(client, crm_a).content.decode()


def test_crm_home_finds_crm_and_user_in_one_query_without_the_account(
    client, crm_a, staff_a
):
    client.force_login(crm_a.owner)
    login(client, crm_a, staff_a.email)
    home(client, crm_a)
    with CaptureQueriesContext(connection) as queries:
        page = home(client, crm_a)
    assert "All my CRMs" in page.content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    app_queries = [s for s in sql if "django_session" not in s]
    # The dashboard reads tasks, deals by status, notes and changes, a few
    # queries whatever their number; the door itself, one.
    dashboard = (
        "crm_task",
        "crm_pipelinestatus",
        "crm_deal",
        "crm_note",
        "crm_recordchange",
    )
    door = [s for s in app_queries if not any(table in s for table in dashboard)]
    assert len(door) == 1, sql  # the CRM and its signed-in user, joined
    assert len(app_queries) <= 6, sql
    assert not any("accounts_account" in s for s in sql)


def test_top_bar_follows_the_users_rights_name_and_language(client, crm_a, staff_a):
    """A change of the user's role, name or language shows in the top bar at the
    next page."""
    users_url = reverse("crm:users", kwargs={"slug": crm_a.slug})
    login(client, crm_a, staff_a.email)
    page = home(client, crm_a).content.decode()
    assert f'href="{users_url}"' not in page
    assert f'<span class="user-name">{staff_a.name}</span>' in page

    staff_a.role = staff_a.Role.ADMIN
    staff_a.name = "Renamed Person"
    staff_a.language = "uk"
    staff_a.save()
    page = home(client, crm_a).content.decode()
    assert f'href="{users_url}"' in page
    assert '<span class="user-name">Renamed Person</span>' in page
    assert "<span>Контакти</span></a>" in page
