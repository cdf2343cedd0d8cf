"""Signing an Account in again, as allauth asks before a sensitive step."""

from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


def sign_in_again(client, password: str = DEFAULT_PASSWORD) -> None:
    """Give the Account's password on allauth's reauthentication page, as a person
    does when a sensitive page sends them there."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]


def sign_in_again_to_crm(client, crm_user, password: str = DEFAULT_PASSWORD) -> None:
    """The same for a CRM user with a password of the CRM, on the CRM's page."""
    response = client.post(
        reverse("crm:sign_in_again", kwargs={"slug": crm_user.crm.slug}),
        {"password": password},
    )
    assert response.status_code == 302, response.content.decode()[:500]
