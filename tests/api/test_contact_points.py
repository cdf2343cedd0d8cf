"""Several phones and e-mails of contacts and companies through the API: the
arrays written and read in order, and every one of them found by the filters,
not only the first."""

import pytest

from crm.models import Contact, RecordPhone
from tests.api.helpers import assert_error


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("kind", ["contacts", "companies"])
def test_every_phone_and_email_is_written_read_and_found(api_a, api_b, kind):
    created = api_a.post(
        f"/api/v1/{kind}/",
        {
            "name": "Olga",
            "phones": [
                {"kind": "MOB", "value": "+380 (67) 123-45-67"},
                {"kind": "WORK", "value": "044 555 66 77"},
            ],
            "emails": [
                {"value": "Olga@Work.example"},
                {"kind": "PRIV", "value": "olga@home.example"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phones"] == [
        {"kind": "MOB", "value": "+380 (67) 123-45-67"},
        {"kind": "WORK", "value": "044 555 66 77"},
    ]
    assert body["emails"] == [
        {"kind": "WORK", "value": "olga@work.example"},
        {"kind": "PRIV", "value": "olga@home.example"},
    ]
    if kind == "contacts":
        # The old single fields are the first of each.
        assert (body["phone"], body["email"]) == (
            "+380 (67) 123-45-67",
            "olga@work.example",
        )
    other = api_a.post(f"/api/v1/{kind}/", {"name": "Other"}, format="json")
    assert other.status_code == 201

    url = f"/api/v1/{kind}/"
    # The second ones, typed another way, find it as the first ones do.
    assert _ids(api_a.get(url, {"phone": "+38 044 5556677"})) == [body["id"]]
    assert _ids(api_a.get(url, {"phone": "0671234567"})) == [body["id"]]
    assert _ids(api_a.get(url, {"email": "OLGA@HOME.example"})) == [body["id"]]
    assert _ids(api_a.get(url, {"q": "5556677"})) == [body["id"]]
    assert _ids(api_a.get(url, {"q": "home.example"})) == [body["id"]]
    assert _ids(api_a.get(url, {"phone": ""})) == [other.json()["id"]]
    # Another CRM's key finds none of them.
    assert _ids(api_b.get(url, {"phone": "0445556677"})) == []

    # A list sent replaces the record's; one left out keeps it.
    record_url = f"{url}{body['id']}/"
    changed = api_a.patch(
        record_url, {"phones": [{"kind": "HOME", "value": "032 111 22 33"}]}, "json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["phones"] == [{"kind": "HOME", "value": "032 111 22 33"}]
    assert len(changed.json()["emails"]) == 2
    assert _ids(api_a.get(url, {"phone": "0445556677"})) == []
    assert RecordPhone.objects.filter(value="044 555 66 77").count() == 0


def test_a_bad_phone_or_type_is_a_400_naming_it(api_a):
    before = Contact.objects.count()
    error = assert_error(
        api_a.post(
            "/api/v1/contacts/",
            {"name": "X", "phones": [{"kind": "PAGER", "value": "1"}]},
            format="json",
        ),
        400,
        "invalid",
    )
    assert "phones" in str(error["fields"])
    error = assert_error(
        api_a.post(
            "/api/v1/contacts/",
            {"name": "X", "phones": [{"value": "call me"}]},
            format="json",
        ),
        400,
        "invalid",
    )
    assert "phones" in str(error["fields"])
    assert Contact.objects.count() == before
