"""Signing an Account in again, as allauth asks before a sensitive step."""

from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


def sign_in_again(client, password: str = DEFAULT_PASSWORD) -> None:
    """Give the Account's password on allauth's reauthentication page, as a person
    does when a sensitive page sends them there."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]
