"""Notes, bulk delete and the read-only set-up endpoints."""

import pytest

from crm.models import Contact, CustomField, Deal, Note
from crm.services import record_deletion
from crm.services.record_deletion import API_BULK_MAX_IDS
from tests.api.helpers import assert_error
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    CrmUserFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)

# --- notes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entity, factory",
    [("contact", ContactFactory), ("company", CompanyFactory), ("deal", DealFactory)],
)
def test_note_round(api_a, owner_a, staff_a, entity, factory):
    record = factory(responsible=staff_a)
    response = api_a.post(
        "/api/v1/notes/", {"entity": entity, "record_id": record.pk, "text": " Hi "}
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["entity"] == entity
    assert note["record_id"] == record.pk
    assert note["text"] == "Hi"
    assert note["author_id"] == owner_a.pk

    url = f"/api/v1/notes/{note['id']}/"
    assert api_a.get(url).json() == note
    listed = api_a.get(f"/api/v1/notes/?{entity}_id={record.pk}").json()
    assert [n["id"] for n in listed["results"]] == [note["id"]]

    assert api_a.delete(url).status_code == 204
    assert not Note.objects.exists()
    assert_error(api_a.get(url), 404, "not_found")


def test_notes_list_filters(api_a, staff_a):
    contact = ContactFactory(responsible=staff_a)
    company = CompanyFactory(responsible=staff_a)
    on_contact = api_a.post(
        "/api/v1/notes/", {"entity": "contact", "record_id": contact.pk, "text": "a"}
    ).json()
    on_company = api_a.post(
        "/api/v1/notes/", {"entity": "company", "record_id": company.pk, "text": "b"}
    ).json()
    ids = [n["id"] for n in api_a.get("/api/v1/notes/").json()["results"]]
    assert ids == [on_contact["id"], on_company["id"]]
    ids = [n["id"] for n in api_a.get("/api/v1/notes/?ordering=-id").json()["results"]]
    assert ids == [on_company["id"], on_contact["id"]]
    only = api_a.get(f"/api/v1/notes/?company_id={company.pk}").json()["results"]
    assert [n["id"] for n in only] == [on_company["id"]]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"entity": "task", "record_id": 1, "text": "x"}, "entity"),
        ({"entity": "contact", "record_id": "x", "text": "x"}, "record_id"),
        ({"entity": "contact", "text": "x"}, "record_id"),
        ({"entity": "contact", "record_id": 1, "text": ""}, "text"),
        ({"entity": "contact", "record_id": 1, "text": "x" * 10001}, "text"),
        (
            {"entity": "contact", "record_id": 1, "text": "x", "author_id": 1},
            "author_id",
        ),
    ],
)
def test_note_input_errors(api_a, staff_a, body, field):
    contact = ContactFactory(responsible=staff_a)
    if body.get("record_id") == 1:
        body = {**body, "record_id": contact.pk}
    error = assert_error(api_a.post("/api/v1/notes/", body), 400, "invalid")
    assert field in error["fields"]
    assert not Note.objects.exists()


def test_a_note_on_a_missing_record_is_a_404(api_a):
    response = api_a.post(
        "/api/v1/notes/", {"entity": "contact", "record_id": 999999, "text": "x"}
    )
    assert_error(response, 404, "not_found")


def test_notes_cannot_be_changed(api_a, staff_a):
    contact = ContactFactory(responsible=staff_a)
    note = api_a.post(
        "/api/v1/notes/", {"entity": "contact", "record_id": contact.pk, "text": "a"}
    ).json()
    response = api_a.patch(f"/api/v1/notes/{note['id']}/", {"text": "b"})
    assert_error(response, 405, "method_not_allowed")


# --- bulk delete ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "plural, factory",
    [
        ("contacts", ContactFactory),
        ("companies", CompanyFactory),
        ("deals", DealFactory),
    ],
)
def test_bulk_delete_reports_deleted_and_not_found(api_a, staff_a, plural, factory):
    one, two, kept = factory.create_batch(3, responsible=staff_a)
    model = type(one)
    response = api_a.post(
        f"/api/v1/{plural}/bulk-delete/", {"ids": [two.pk, one.pk, 99999, one.pk]}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "deleted": [one.pk, two.pk],
        "not_found": [99999],
        "job_id": None,
    }
    assert list(model.objects.values_list("pk", flat=True)) == [kept.pk]


def test_bulk_delete_takes_linked_notes_and_links_along(api_a, staff_a):
    company = CompanyFactory(responsible=staff_a)
    contact = ContactFactory(responsible=staff_a)
    contact.companies.add(company, through_defaults={"crm": contact.crm})
    Note.objects.create(crm=contact.crm, contact=contact, text="x")
    response = api_a.post("/api/v1/companies/bulk-delete/", {"ids": [company.pk]})
    assert response.json()["deleted"] == [company.pk]
    assert api_a.get(f"/api/v1/contacts/{contact.pk}/").json()["company_ids"] == []
    api_a.post("/api/v1/contacts/bulk-delete/", {"ids": [contact.pk]})
    assert not Note.objects.exists()


def test_bulk_delete_of_too_many_ids_is_a_400_and_deletes_nothing(api_a, staff_a):
    contact = ContactFactory(responsible=staff_a)
    ids = [contact.pk, *range(10**6, 10**6 + API_BULK_MAX_IDS)]
    error = assert_error(
        api_a.post("/api/v1/contacts/bulk-delete/", {"ids": ids}), 400, "invalid"
    )
    assert "ids" in error["fields"]
    assert Contact.objects.filter(pk=contact.pk).exists()

    ids = [contact.pk, *range(10**6, 10**6 + API_BULK_MAX_IDS - 1)]
    response = api_a.post("/api/v1/contacts/bulk-delete/", {"ids": ids})
    assert response.status_code == 200
    assert response.json()["deleted"] == [contact.pk]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "1,2"},
        {"ids": ["a"]},
        {"ids": [-1]},
        {"ids": [1], "x": 1},
    ],
)
def test_bulk_delete_input_errors(api_a, staff_a, body):
    contact = ContactFactory(responsible=staff_a)
    assert_error(api_a.post("/api/v1/contacts/bulk-delete/", body), 400, "invalid")
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_bulk_delete_reports_a_background_job(
    api_a, staff_a, monkeypatch, django_capture_on_commit_callbacks
):
    """Past the inline limit the service hands the work to a job; the API says so."""

    monkeypatch.setattr(record_deletion, "BULK_INLINE_LIMIT", 1)
    deals = DealFactory.create_batch(2, responsible=staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(
            "/api/v1/deals/bulk-delete/", {"ids": [d.pk for d in deals]}
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["deleted"] == [] and body["not_found"] == []
    assert isinstance(body["job_id"], int)
    # Queued after commit; Celery runs eagerly in tests, so the job is done.
    assert not Deal.objects.exists()


# --- the CRM's set-up, read only ------------------------------------------------------


def test_users_and_groups(api_a, crm_a, owner_a, staff_a):
    group = CrmGroupFactory(crm=crm_a, name="Sales")
    member = CrmUserFactory(crm=crm_a, group=group, is_active=False)
    users = api_a.get("/api/v1/users/").json()["results"]
    assert [u["id"] for u in users] == [owner_a.pk, staff_a.pk, member.pk]
    assert users[2] == {
        "id": member.pk,
        "name": member.name,
        "email": member.email,
        "role": "user",
        "is_active": False,
        "group_id": group.pk,
        "created_at": users[2]["created_at"],
    }
    assert "password" not in api_a.get(f"/api/v1/users/{owner_a.pk}/").json()
    groups = api_a.get("/api/v1/groups/").json()["results"]
    assert [(g["id"], g["name"]) for g in groups] == [(group.pk, "Sales")]
    assert api_a.get(f"/api/v1/groups/{group.pk}/").json()["name"] == "Sales"


def test_pipelines_nest_their_statuses_in_order(api_a, crm_a):
    pipeline = PipelineFactory(crm=crm_a, name="Sales")
    late = PipelineStatusFactory(pipeline=pipeline, name="Won", kind="won", position=5)
    early = PipelineStatusFactory(pipeline=pipeline, name="New", position=1)
    body = api_a.get(f"/api/v1/pipelines/{pipeline.pk}/").json()
    assert body["name"] == "Sales"
    assert body["statuses"] == [
        {
            "id": early.pk,
            "name": "New",
            "kind": "open",
            "position": 1,
            "color": early.color,
        },
        {
            "id": late.pk,
            "name": "Won",
            "kind": "won",
            "position": 5,
            "color": late.color,
        },
    ]
    assert [p["id"] for p in api_a.get("/api/v1/pipelines/").json()["results"]] == [
        pipeline.pk
    ]


def test_custom_fields(api_a, crm_a):
    budget = CustomField.objects.create(
        crm=crm_a, entity="deal", name="Budget", type="number"
    )
    stage = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Stage", type="select", options=["A", "B"]
    )
    listed = api_a.get("/api/v1/custom-fields/").json()["results"]
    assert [f["id"] for f in listed] == [stage.pk, budget.pk]
    only = api_a.get("/api/v1/custom-fields/?entity=deal").json()["results"]
    assert [f["id"] for f in only] == [budget.pk]
    assert api_a.get(f"/api/v1/custom-fields/{stage.pk}/").json() == {
        "id": stage.pk,
        "entity": "contact",
        "name": "Stage",
        "type": "select",
        "options": ["A", "B"],
        "position": 0,
        "is_required": False,
    }
    assert_error(api_a.get("/api/v1/custom-fields/?entity=task"), 400, "invalid")


@pytest.mark.parametrize(
    "url", ["/api/v1/users/", "/api/v1/groups/", "/api/v1/pipelines/", "/api/v1/crm/"]
)
def test_set_up_endpoints_are_read_only(api_a, url):
    assert_error(api_a.post(url, {"name": "x"}), 405, "method_not_allowed")
