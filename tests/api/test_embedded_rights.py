"""A record's JSON names linked records (``company_ids``, ``contact_ids``) only
where the actor may view them, and a write through it keeps the links it did not
show. The key acts as a restricted user here: the API's own authentication
runs, only the actor it finds is swapped."""

import pytest

from crm.models import ContactCompany, DealContact
from crm.rights import rights_default
from crm.services.apikeys import api_key_authenticate
from tests.factories import CompanyFactory, ContactFactory, CrmUserFactory, DealFactory


@pytest.fixture
def restricted(crm_a):
    """A user who sees only their own companies and contacts, and every deal."""
    user = CrmUserFactory(crm=crm_a, name="Rita Restricted")
    rights = rights_default()
    rights["company"].update(view="own", edit="own", export="own")
    rights["contact"].update(view="own", edit="own", export="own")
    rights["deal"].update(view="all", edit="all", export="all")
    user.rights = rights
    user.save(update_fields=["rights"])
    return user


@pytest.fixture
def api_as(monkeypatch, api_a, restricted):
    def authenticate(*, raw_key):
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is not None:
            api_key.owner = restricted
        return api_key

    monkeypatch.setattr("crm.api.authentication.api_key_authenticate", authenticate)
    return api_a


@pytest.fixture
def linked(crm_a, owner_a, restricted):
    mine = CompanyFactory(responsible=restricted, name="Mine Co")
    hidden = CompanyFactory(responsible=owner_a, name="Hidden Co")
    contact = ContactFactory(responsible=restricted)
    for company in (mine, hidden):
        ContactCompany.objects.create(crm=crm_a, contact=contact, company=company)
    person = ContactFactory(responsible=restricted)
    hidden_person = ContactFactory(responsible=owner_a)
    deal = DealFactory(responsible=owner_a)
    for someone in (person, hidden_person):
        DealContact.objects.create(crm=crm_a, deal=deal, contact=someone)
    return {
        "mine": mine,
        "hidden": hidden,
        "contact": contact,
        "person": person,
        "hidden_person": hidden_person,
        "deal": deal,
    }


def test_every_embed_names_only_what_the_actor_may_view(api_as, linked):
    contact, deal = linked["contact"], linked["deal"]
    answers = {
        "contact": api_as.get(f"/api/v1/contacts/{contact.pk}/").json(),
        "contact in list": next(
            row
            for row in api_as.get("/api/v1/contacts/").json()["results"]
            if row["id"] == contact.pk
        ),
        "deal": api_as.get(f"/api/v1/deals/{deal.pk}/").json(),
        "deal in list": next(
            row
            for row in api_as.get("/api/v1/deals/").json()["results"]
            if row["id"] == deal.pk
        ),
    }

    assert answers["contact"]["company_ids"] == [linked["mine"].pk]
    assert answers["contact in list"]["company_ids"] == [linked["mine"].pk]
    assert answers["deal"]["contact_ids"] == [linked["person"].pk]
    assert answers["deal in list"]["contact_ids"] == [linked["person"].pk]


def test_a_write_keeps_the_links_it_did_not_show(api_as, linked):
    contact, deal = linked["contact"], linked["deal"]

    emptied = api_as.patch(
        f"/api/v1/contacts/{contact.pk}/", {"company_ids": []}, format="json"
    )
    api_as.patch(f"/api/v1/deals/{deal.pk}/", {"contact_ids": []}, format="json")

    assert emptied.status_code == 200, emptied.content
    assert emptied.json()["company_ids"] == []
    assert list(contact.companies.all()) == [linked["hidden"]]
    assert list(deal.contacts.all()) == [linked["hidden_person"]]


def test_linking_a_record_one_may_not_view_is_not_found(api_as, linked):
    contact = linked["contact"]

    response = api_as.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"company_ids": [linked["hidden"].pk, linked["mine"].pk]},
        format="json",
    )

    assert response.status_code == 404
    assert set(contact.companies.all()) == {linked["mine"], linked["hidden"]}
