"""What a list answers: each item as the record's own GET renders it, pages in
DRF's shape, and only the records the actor may view in the key's CRM."""

import datetime

import pytest

from crm.models import Contact, ContactCompany, CustomField, DealContact, Note
from crm.rights import rights_default
from crm.selectors.records import notes_list, records_list
from tests.api.helpers import assert_error
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    CrmUserFactory,
    DealFactory,
)

WHOLE_SECOND = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


@pytest.fixture
def records(crm_a, staff_a):
    """Records with and without custom values and links, archived or not, with
    dates that have a fraction of a second and dates that have none."""
    size = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Size", type="number"
    )
    tags = CustomField.objects.create(
        crm=crm_a,
        entity="contact",
        name="Tags",
        type="multiselect",
        options=["a", "b"],
    )
    company = CompanyFactory(responsible=staff_a, custom={"7": "x"})
    plain = ContactFactory(responsible=staff_a)
    rich = ContactFactory(
        responsible=staff_a,
        email="rich@example.com",
        is_archived=True,
        custom={str(size.pk): 12.5, str(tags.pk): ["a", "b"]},
    )
    # Linked to the newer company first: the ids still come sorted.
    newer = CompanyFactory(responsible=staff_a)
    ContactCompany.objects.create(crm=crm_a, contact=rich, company=newer)
    ContactCompany.objects.create(crm=crm_a, contact=rich, company=company)
    Contact.objects.filter(pk=plain.pk).update(
        created_at=WHOLE_SECOND, updated_at=WHOLE_SECOND
    )
    deal = DealFactory(responsible=staff_a, company=company, amount="10.50")
    DealContact.objects.create(crm=crm_a, deal=deal, contact=rich)
    DealContact.objects.create(crm=crm_a, deal=deal, contact=plain)
    DealFactory(responsible=staff_a, company=None)
    return {"plain": plain, "rich": rich, "companies": sorted([company.pk, newer.pk])}


@pytest.mark.parametrize("plural", ["contacts", "companies", "deals"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow"])
def test_a_list_item_is_what_the_records_get_answers(
    api_a, records, settings, plural, zone
):
    settings.TIME_ZONE = zone
    rows = api_a.get(f"/api/v1/{plural}/").json()["results"]
    assert len(rows) >= 2
    for row in rows:
        assert api_a.get(f"/api/v1/{plural}/{row['id']}/").json() == row


@pytest.mark.parametrize(
    ("zone", "written"),
    [("UTC", "2026-01-02T03:04:05Z"), ("Europe/Moscow", "2026-01-02T06:04:05+03:00")],
)
def test_dates_are_iso_8601_in_the_current_zone(
    api_a, records, settings, zone, written
):
    settings.TIME_ZONE = zone
    rows = api_a.get("/api/v1/contacts/").json()["results"]
    plain = next(row for row in rows if row["id"] == records["plain"].pk)
    assert plain["created_at"] == plain["updated_at"] == written


def test_links_and_custom_values_in_a_list(api_a, records):
    rows = {row["id"]: row for row in api_a.get("/api/v1/contacts/").json()["results"]}
    rich, plain = rows[records["rich"].pk], rows[records["plain"].pk]
    assert rich["company_ids"] == records["companies"]
    assert rich["custom"] == records["rich"].custom
    assert rich["is_archived"] is True
    assert plain["company_ids"] == [] and plain["custom"] == {}
    deals = api_a.get("/api/v1/deals/").json()["results"]
    assert deals[0]["contact_ids"] == sorted([records["plain"].pk, records["rich"].pk])
    assert deals[0]["amount"] == "10.50"
    assert deals[1]["contact_ids"] == [] and deals[1]["company_id"] is None


def test_pages_have_drfs_shape_with_cursors(api_a, crm_a, staff_a):
    empty = api_a.get("/api/v1/contacts/").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}

    Contact.objects.bulk_create(
        [Contact(crm=crm_a, responsible=staff_a, name=f"C{i}") for i in range(5)]
    )
    first = api_a.get("/api/v1/contacts/?page_size=2").json()
    assert first["previous"] is None
    second = api_a.get(first["next"]).json()
    assert list(second) == ["count", "next", "previous", "results"]
    assert second["count"] == 5
    assert "after=" in second["next"] and "page_size=2" in second["next"]
    assert "before=" in second["previous"] and "page_size=2" in second["previous"]
    assert [row["name"] for row in second["results"]] == ["C2", "C3"]
    third = api_a.get(second["next"]).json()
    assert [row["name"] for row in third["results"]] == ["C4"]
    assert third["next"] is None
    back = api_a.get(third["previous"]).json()
    assert [row["name"] for row in back["results"]] == ["C2", "C3"]


def test_a_page_number_is_refused_with_a_way_forward(api_a, staff_a):
    ContactFactory.create_batch(3, responsible=staff_a)
    response = api_a.get("/api/v1/contacts/?page_size=1&page=2")
    assert_error(response, 400, "invalid")
    assert "next" in response.content.decode()


def test_page_one_is_the_first_page_for_clients_that_count_pages(api_a, staff_a):
    ContactFactory.create_batch(3, responsible=staff_a)
    first = api_a.get("/api/v1/contacts/?page_size=2&page=1")
    assert first.status_code == 200
    body = first.json()
    assert len(body["results"]) == 2 and "after=" in body["next"]
    assert (
        body["results"] == api_a.get("/api/v1/contacts/?page_size=2").json()["results"]
    )


@pytest.mark.parametrize("cursor", ["", "two", "W10", "WyJ4Il0", "x" * 3000])
def test_a_cursor_that_is_not_one_of_the_list_gives_the_first_page(
    api_a, staff_a, cursor
):
    ContactFactory.create_batch(3, responsible=staff_a)
    first = api_a.get("/api/v1/contacts/?page_size=1").json()["results"]
    for key in ("after", "before"):
        response = api_a.get(f"/api/v1/contacts/?page_size=1&{key}={cursor}")
        assert response.status_code == 200
        assert response.json()["results"] == first


# --- the selectors: the CRM and the actor's rights ---------------------------------


def _ids(queryset) -> list[int]:
    return [record.pk for record in queryset]


def _with_view(crm_user, scope: str, group=None):
    rights = rights_default()
    for actions in rights.values():
        actions["view"] = scope
    crm_user.rights = rights
    crm_user.group = group
    crm_user.save()
    return crm_user


@pytest.fixture
def team(crm_a, staff_a):
    """Staff A and a colleague in one group, and someone outside it, each
    responsible for one contact."""
    group = CrmGroupFactory(crm=crm_a)
    staff_a.group = group
    staff_a.save()
    colleague = CrmUserFactory(crm=crm_a, group=group)
    outsider = CrmUserFactory(crm=crm_a)
    return {
        "group": group,
        "mine": ContactFactory(responsible=staff_a),
        "colleagues": ContactFactory(responsible=colleague),
        "outsiders": ContactFactory(responsible=outsider),
    }


@pytest.mark.parametrize(
    ("scope", "seen"),
    [
        ("all", ["mine", "colleagues", "outsiders"]),
        ("group", ["mine", "colleagues"]),
        ("own", ["mine"]),
        ("none", []),
    ],
)
def test_records_list_keeps_to_the_actors_view_rights(
    crm_a, staff_a, team, scope, seen
):
    actor = _with_view(staff_a, scope, group=team["group"])
    records = records_list(crm=crm_a, actor=actor, entity="contact")
    assert _ids(records) == [team[name].pk for name in seen]


def test_records_list_of_another_crm_is_empty(crm_a, owner_b, staff_b, team):
    ContactFactory(responsible=staff_b)
    for actor in (staff_b, owner_b):
        records = records_list(crm=crm_a, actor=actor, entity="contact")
        assert _ids(records) == []


def test_an_inactive_actor_sees_nothing(crm_a, staff_a, team):
    staff_a.is_active = False
    staff_a.save()
    records = records_list(crm=crm_a, actor=staff_a, entity="contact")
    assert _ids(records) == []
    assert _ids(notes_list(crm=crm_a, actor=staff_a)) == []


def test_notes_list_keeps_to_the_records_the_actor_may_view(crm_a, staff_a, team):
    notes = {
        name: Note.objects.create(crm=crm_a, contact=team[name], text=name)
        for name in ("mine", "colleagues", "outsiders")
    }
    company_note = Note.objects.create(
        crm=crm_a, company=CompanyFactory(responsible=staff_a), text="company"
    )
    actor = _with_view(staff_a, "own", group=team["group"])
    assert _ids(notes_list(crm=crm_a, actor=actor)) == [
        notes["mine"].pk,
        company_note.pk,
    ]
    actor = _with_view(staff_a, "all", group=team["group"])
    assert _ids(notes_list(crm=crm_a, actor=actor, ordering="-id")) == [
        company_note.pk,
        *(notes[n].pk for n in ("outsiders", "colleagues", "mine")),
    ]
