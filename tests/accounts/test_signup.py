import pytest
from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.core import mail
from django.urls import reverse

from accounts.models import Account
from crm.models import AuditEvent, Crm, CrmUser

SIGNUP_URL = reverse("account_signup")


def signup_data(**overrides):
    data = {
        "email": "founder@example.com",
        "crm_name": "Founder Shop",
        "password1": "a-long-secret-phrase",
        "password2": "a-long-secret-phrase",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db(transaction=True)
def test_signup_creates_account_crm_and_linked_owner_crm_user(client):
    response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 302
    account = Account.objects.get(email="founder@example.com")
    assert account.check_password("a-long-secret-phrase")
    crm = Crm.objects.get(owner=account)
    assert crm.name == "Founder Shop"
    assert crm.slug == "founder-shop"
    assert crm.status == Crm.Status.ACTIVE
    owner_user = CrmUser.objects.get(crm=crm)
    assert owner_user.role == CrmUser.Role.OWNER
    assert owner_user.account == account
    assert owner_user.email == "founder@example.com"
    # No CRM password of its own: the owner enters through the portal.
    assert not is_password_usable(owner_user.password)
    assert not owner_user.check_password("a-long-secret-phrase")
    assert AuditEvent.objects.filter(crm=crm, action="crm.created").exists()
    # The welcome email went out after commit (tasks run eagerly in tests).
    (welcome,) = [m for m in mail.outbox if "Welcome" in m.subject]
    assert welcome.to == ["founder@example.com"]
    assert f"Sign in at {settings.SITE_URL}/accounts/login/ to see" in welcome.body
    # Signed in to the portal, which lists the new CRM.
    page = client.get(reverse("portal:crm_list"))
    assert "Founder Shop" in page.content.decode()


@pytest.mark.django_db
def test_signup_with_cyrillic_crm_name_gets_a_readable_address(client):
    client.post(SIGNUP_URL, signup_data(crm_name="Моя Крамниця"))
    assert Crm.objects.get().slug == "moia-kramnitsia"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"crm_name": "   "}, "crm_name", "Give your CRM a name."),
        ({"crm_name": "x" * 101}, "crm_name", "at most 100 characters"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        (
            {"password1": "password123456", "password2": "password123456"},
            "password1",
            "too common",
        ),
        ({"password2": "something-else-entirely"}, "password2", "same password"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_signup_bad_input_shows_message_and_creates_nothing(
    client, overrides, field, message
):
    response = client.post(SIGNUP_URL, signup_data(**overrides))

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert Account.objects.count() == 0
    assert Crm.objects.count() == 0


@pytest.mark.django_db
def test_signup_duplicate_email_is_refused_case_insensitively(client):
    client.post(SIGNUP_URL, signup_data())
    client.logout()

    response = client.post(
        SIGNUP_URL, signup_data(email="Founder@Example.COM", crm_name="Second")
    )

    assert response.status_code == 200
    assert "already registered" in " ".join(response.context["form"].errors["email"])
    assert Account.objects.count() == 1
    assert Crm.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_signup_is_all_or_nothing_when_the_crm_cannot_be_created(client, monkeypatch):
    def broken_provision(**kwargs):
        raise RuntimeError("provisioning failed")

    monkeypatch.setattr("crm.services.crms.crm_provision", broken_provision)
    client.raise_request_exception = False

    response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 500
    assert Account.objects.count() == 0
    assert Crm.objects.count() == 0
    assert CrmUser.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_signup_with_same_crm_name_gets_next_free_address(client):
    client.post(SIGNUP_URL, signup_data())
    client.logout()
    client.post(SIGNUP_URL, signup_data(email="other@example.com"))

    assert sorted(Crm.objects.values_list("slug", flat=True)) == [
        "founder-shop",
        "founder-shop-2",
    ]


@pytest.mark.django_db
def test_crm_name_that_is_a_reserved_word_gets_a_safe_address(client):
    client.post(SIGNUP_URL, signup_data(crm_name="Admin"))
    assert Crm.objects.get().slug == "admin-crm"
