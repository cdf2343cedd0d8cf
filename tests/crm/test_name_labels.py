# ruff: noqa: RUF001, RUF002, RUF003 - Ukrainian spells «Ім’я» with its own apostrophe
"""A person's name is labelled as a person's («Имя», «Ім’я»), a thing's as a
thing's («Название», «Назва»): the msgid "Name" with the context "person" for
people, the plain one for everything else."""

import re

import pytest

from crm.models import CrmUser
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, ContactFactory

PERSON = {"ru": "Имя", "uk": "Ім’я", "en": "Name"}
THING = {"ru": "Название", "uk": "Назва", "en": "Name"}


@pytest.fixture
def owner(crm_a):
    return CrmUser.objects.get(crm=crm_a, role=CrmUser.Role.OWNER)


def signed_in(client, crm_user, language):
    crm_user.language = language
    crm_user.save(update_fields=["language"])
    response = client.post(
        f"/c/{crm_user.crm.slug}/login/",
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    return client


def name_column(html: str) -> tuple[str, list[str]]:
    """The list's name column: its header and the label each row gives it."""
    header = re.findall(
        r'<button [^>]*value="-?name" class="th-sort[^"]*">([^<]*)<', html
    )[0]
    cells = re.findall(r'<td data-label="([^"]*)" data-column="name"', html)
    return header, cells


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_contact_list_names_a_person(client, owner, language):
    ContactFactory(responsible=owner, name="Ivan Petrov")
    signed_in(client, owner, language)

    html = client.get(f"/c/{owner.crm.slug}/contacts/").content.decode()

    assert name_column(html) == (PERSON[language], [PERSON[language]])


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_company_list_names_a_thing(client, owner, language):
    CompanyFactory(responsible=owner, name="Acme")
    signed_in(client, owner, language)

    html = client.get(f"/c/{owner.crm.slug}/companies/").content.decode()

    assert name_column(html) == (THING[language], [THING[language]])


def test_contact_form_labels_a_person(client, owner):
    signed_in(client, owner, "ru")

    html = client.get(f"/c/{owner.crm.slug}/contacts/new/").content.decode()

    assert re.search(r'<label for="id_name">Имя</label>', html)
