"""Contacts, companies and deals through the API: the services' rules with the
API's parsing, filters, pagination and error shape."""

import json

import pytest
from django.test import override_settings

from crm.models import Company, Contact, ContactCompany, CustomField, Deal
from tests.api.helpers import assert_error
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmUserFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)

# --- contacts: the whole round -------------------------------------------------------


def test_contact_create_read_update_delete(api_a, crm_a, owner_a, staff_a):
    company = CompanyFactory(responsible=staff_a)

    response = api_a.post(
        "/api/v1/contacts/",
        {
            "name": "  Olena   Koval ",
            "email": "olena@example.com",
            "phone": "+380 44 000 00 00",
            "company_ids": [company.pk],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == {
        "id",
        "name",
        "email",
        "phone",
        "phones",
        "emails",
        "company_ids",
        "responsible_id",
        "custom",
        "is_archived",
        "created_at",
        "updated_at",
    }
    assert created["name"] == "Olena Koval"
    assert created["company_ids"] == [company.pk]
    assert created["responsible_id"] == owner_a.pk  # the key acts as the owner
    assert created["custom"] == {}
    assert created["is_archived"] is False
    contact = Contact.objects.get(pk=created["id"])
    assert contact.crm == crm_a

    url = f"/api/v1/contacts/{contact.pk}/"
    assert api_a.get(url).json() == created

    response = api_a.patch(
        url, {"phone": "", "responsible_id": staff_a.pk, "is_archived": True}
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert changed["phone"] == ""
    assert changed["email"] == "olena@example.com"  # not sent, kept
    assert changed["company_ids"] == [company.pk]
    assert changed["responsible_id"] == staff_a.pk
    assert changed["is_archived"] is True

    assert api_a.patch(url, {"company_ids": []}).json()["company_ids"] == []
    assert not ContactCompany.objects.filter(contact=contact).exists()

    assert api_a.delete(url).status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert_error(api_a.get(url), 404, "not_found")
    assert_error(api_a.delete(url), 404, "not_found")


def test_a_name_is_required_on_create_only(api_a, staff_a):
    error = assert_error(api_a.post("/api/v1/contacts/", {"email": ""}), 400, "invalid")
    assert list(error["fields"]) == ["name"]
    contact = ContactFactory(responsible=staff_a, name="Kept")
    response = api_a.patch(f"/api/v1/contacts/{contact.pk}/", {"email": "a@b.example"})
    assert response.status_code == 200
    assert response.json()["name"] == "Kept"


def test_put_is_not_offered(api_a, staff_a):
    contact = ContactFactory(responsible=staff_a)
    response = api_a.put(f"/api/v1/contacts/{contact.pk}/", {"name": "X"})
    assert_error(response, 405, "method_not_allowed")


# --- input errors ---------------------------------------------------------------------


def test_unknown_fields_are_refused_and_nothing_is_written(api_a, staff_a):
    error = assert_error(
        api_a.post("/api/v1/contacts/", {"name": "Typo", "emial": "a@b.example"}),
        400,
        "invalid",
    )
    assert error["fields"] == {"emial": ["Unknown field."]}
    assert not Contact.objects.exists()

    contact = ContactFactory(responsible=staff_a, name="Same")
    error = assert_error(
        api_a.patch(f"/api/v1/contacts/{contact.pk}/", {"name": "New", "x": 1}),
        400,
        "invalid",
    )
    assert error["fields"] == {"x": ["Unknown field."]}
    contact.refresh_from_db()
    assert contact.name == "Same"


@pytest.mark.parametrize("field", ["id", "created_at", "updated_at"])
def test_read_only_fields_are_refused(api_a, field):
    error = assert_error(
        api_a.post("/api/v1/contacts/", {"name": "X", field: 5}), 400, "invalid"
    )
    assert error["fields"] == {field: ["This field is read-only."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ["a list"]}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "X", "email": "not an email"}, "email"),
        ({"name": "X", "phone": 12}, None),  # a number is accepted as text
        ({"name": "X", "responsible_id": "abc"}, "responsible_id"),
        ({"name": "X", "responsible_id": 2**70}, "responsible_id"),
        ({"name": "X", "responsible_id": None}, "responsible_id"),
        ({"name": "X", "company_ids": "1"}, "company_ids"),
        ({"name": "X", "company_ids": ["a"]}, "company_ids.0"),
        ({"name": "X", "company_ids": [0]}, "company_ids.0"),
        ({"name": "X", "is_archived": "maybe"}, "is_archived"),
        ({"name": "X", "custom": []}, "custom"),
        ({"name": "X", "custom": {"abc": 1}}, "custom"),
        ({"name": "X", "custom": {"1": True}}, "custom.1"),
        ({"name": "X", "custom": {"1": {"nested": 1}}}, "custom.1"),
        ({"name": "X", "custom": {"1": "a\x00b"}}, "custom.1"),
        ({"name": "a\x00b"}, "name"),
    ],
)
def test_wrong_types_are_400_per_field(api_a, body, field):
    response = api_a.post("/api/v1/contacts/", body)
    if field is None:
        assert response.status_code == 201
        return
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"], error
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["{bad json", '{"name": "X",}', "", "[1, 2", '{"name": NaN}', "[" * 100000],
)
def test_malformed_json_is_a_400_in_the_error_shape(api_a, body):
    response = api_a.post("/api/v1/contacts/", body, content_type="application/json")
    if body == "":
        # An empty body is an empty object: the name is missing.
        assert_error(response, 400, "invalid")
    else:
        assert_error(response, 400, "parse_error")
    assert not Contact.objects.exists()


@pytest.mark.parametrize("body", ['["X"]', '"X"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400(api_a, body):
    response = api_a.post("/api/v1/contacts/", body, content_type="application/json")
    assert_error(response, 400, "invalid")


def test_only_json_is_accepted(api_a):
    response = api_a.post("/api/v1/contacts/", {"name": "Form"}, format="multipart")
    assert_error(response, 415, "unsupported_media_type")
    assert not Contact.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_upload_limit_is_a_413(api_a):
    body = json.dumps({"name": "X", "phone": "1" * 2000})
    response = api_a.post("/api/v1/contacts/", body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_services_validation_errors_come_back_per_field(api_a, crm_a):
    inactive = CrmUserFactory(crm=crm_a, is_active=False)
    error = assert_error(
        api_a.post("/api/v1/contacts/", {"name": "X", "responsible_id": inactive.pk}),
        400,
        "invalid",
    )
    assert "responsible_id" in error["fields"]
    assert not Contact.objects.exists()


# --- custom fields -------------------------------------------------------------------


def test_custom_values_are_checked_against_their_field(api_a, crm_a, staff_a):
    budget = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Budget", type="number"
    )
    stage = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Stage", type="select", options=["A", "B"]
    )
    response = api_a.post(
        "/api/v1/contacts/",
        {"name": "X", "custom": {str(budget.pk): "1500", str(stage.pk): "B"}},
    )
    assert response.status_code == 201, response.content
    assert response.json()["custom"] == {str(budget.pk): 1500, str(stage.pk): "B"}

    url = f"/api/v1/contacts/{response.json()['id']}/"
    cleared = api_a.patch(url, {"custom": {str(stage.pk): None}}).json()
    assert cleared["custom"] == {str(budget.pk): 1500}


def test_a_wrong_custom_value_is_a_400_without_a_partial_write(api_a, crm_a, staff_a):
    budget = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Budget", type="number"
    )
    company = CompanyFactory(responsible=staff_a)
    contact = ContactFactory(responsible=staff_a, name="Before", custom={})

    response = api_a.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {
            "name": "After",
            "company_ids": [company.pk],
            "is_archived": True,
            "custom": {str(budget.pk): "lots"},
        },
    )

    error = assert_error(response, 400, "invalid")
    assert "custom" in error["fields"]
    contact.refresh_from_db()
    assert contact.name == "Before"
    assert contact.is_archived is False
    assert contact.custom == {}
    assert not ContactCompany.objects.filter(contact=contact).exists()

    response = api_a.post(
        "/api/v1/contacts/", {"name": "New", "custom": {str(budget.pk): "lots"}}
    )
    assert_error(response, 400, "invalid")
    assert Contact.objects.count() == 1


def test_another_entitys_custom_field_is_refused(api_a, crm_a):
    deal_field = CustomField.objects.create(
        crm=crm_a, entity="deal", name="Probability", type="number"
    )
    response = api_a.post(
        "/api/v1/contacts/", {"name": "X", "custom": {str(deal_field.pk): 5}}
    )
    assert_error(response, 400, "invalid")


# --- lists: filters, ordering, pagination ---------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_contact_filters(api_a, crm_a, staff_a, owner_a):
    olena = ContactFactory(
        responsible=staff_a, name="Olena", email="Olena@Example.com", phone="111"
    )
    petro = ContactFactory(responsible=owner_a, name="Petro", email="", phone="222")
    archived = ContactFactory(
        responsible=staff_a, name="Old", email="old@example.com", is_archived=True
    )

    assert _ids(api_a.get("/api/v1/contacts/")) == [olena.pk, petro.pk, archived.pk]
    assert _ids(api_a.get("/api/v1/contacts/?q=len")) == [olena.pk]
    assert _ids(api_a.get("/api/v1/contacts/?q=example.com")) == [
        olena.pk,
        archived.pk,
    ]
    # A phone is found by a fragment of its digits from three on.
    assert _ids(api_a.get("/api/v1/contacts/?q=222")) == [petro.pk]
    assert _ids(api_a.get("/api/v1/contacts/?q=22")) == []
    assert _ids(api_a.get("/api/v1/contacts/?email=olena@example.COM")) == [olena.pk]
    assert _ids(api_a.get("/api/v1/contacts/?email=")) == [petro.pk]
    assert _ids(api_a.get("/api/v1/contacts/?phone=111")) == [olena.pk]
    assert _ids(api_a.get(f"/api/v1/contacts/?responsible_id={owner_a.pk}")) == [
        petro.pk
    ]
    assert _ids(api_a.get("/api/v1/contacts/?archived=true")) == [archived.pk]
    assert _ids(api_a.get("/api/v1/contacts/?archived=false")) == [
        olena.pk,
        petro.pk,
    ]


def test_ordering(api_a, staff_a):
    b = ContactFactory(responsible=staff_a, name="Bohdan")
    a = ContactFactory(responsible=staff_a, name="Anna")
    c = ContactFactory(responsible=staff_a, name="Chris")
    assert _ids(api_a.get("/api/v1/contacts/?ordering=name")) == [a.pk, b.pk, c.pk]
    assert _ids(api_a.get("/api/v1/contacts/?ordering=-name")) == [c.pk, b.pk, a.pk]
    assert _ids(api_a.get("/api/v1/contacts/?ordering=-id")) == [c.pk, a.pk, b.pk]
    assert _ids(api_a.get("/api/v1/contacts/?ordering=created_at")) == [
        b.pk,
        a.pk,
        c.pk,
    ]


@pytest.mark.parametrize(
    "query",
    [
        "ordering=email",
        "responsible_id=abc",
        "responsible_id=-1",
        "archived=perhaps",
        "q=" + "x" * 201,
    ],
)
def test_bad_list_parameters_are_400(api_a, query):
    error = assert_error(api_a.get(f"/api/v1/contacts/?{query}"), 400, "invalid")
    assert error["fields"]


def test_unknown_list_parameters_are_ignored(api_a, staff_a):
    contact = ContactFactory(responsible=staff_a)
    assert _ids(api_a.get("/api/v1/contacts/?colour=red")) == [contact.pk]


def test_pages_are_bounded(api_a, crm_a, staff_a):
    Contact.objects.bulk_create(
        [Contact(crm=crm_a, responsible=staff_a, name=f"C{i}") for i in range(105)]
    )
    first = api_a.get("/api/v1/contacts/").json()
    assert first["count"] == 105
    assert len(first["results"]) == 50
    assert "after=" in first["next"]

    clamped = api_a.get("/api/v1/contacts/?page_size=1000").json()
    assert len(clamped["results"]) == 100
    last = api_a.get(clamped["next"]).json()
    assert len(last["results"]) == 5 and last["next"] is None

    assert len(api_a.get("/api/v1/contacts/?page_size=0").json()["results"]) == 50
    assert_error(api_a.get("/api/v1/contacts/?page=99"), 400, "invalid")


def test_a_large_list_is_not_counted(api_a, crm_a, staff_a, monkeypatch):
    from crm.selectors import paging

    monkeypatch.setattr(paging, "COUNT_LIMIT", 60)
    Contact.objects.bulk_create(
        [Contact(crm=crm_a, responsible=staff_a, name=f"C{i}") for i in range(70)]
    )
    first = api_a.get("/api/v1/contacts/").json()
    assert first["count"] is None and len(first["results"]) == 50
    assert api_a.get("/api/v1/contacts/?q=C6").json()["count"] == 11


def test_company_filters_and_round(api_a, staff_a, owner_a):
    acme = CompanyFactory(responsible=staff_a, name="Acme Ltd")
    CompanyFactory(responsible=owner_a, name="Globex")
    assert _ids(api_a.get("/api/v1/companies/?q=acme")) == [acme.pk]
    assert _ids(api_a.get(f"/api/v1/companies/?responsible_id={staff_a.pk}")) == [
        acme.pk
    ]

    response = api_a.post("/api/v1/companies/", {"name": "Initech"})
    assert response.status_code == 201
    assert set(response.json()) == {
        "id",
        "name",
        "website",
        "address",
        "phones",
        "emails",
        "responsible_id",
        "custom",
        "is_archived",
        "created_at",
        "updated_at",
    }
    url = f"/api/v1/companies/{response.json()['id']}/"
    assert api_a.patch(url, {"name": "Initrode"}).json()["name"] == "Initrode"
    assert_error(
        api_a.post("/api/v1/companies/", {"name": "X", "email": ""}), 400, "invalid"
    )
    assert api_a.delete(url).status_code == 204
    assert not Company.objects.filter(name="Initrode").exists()


# --- deals ---------------------------------------------------------------------------


@pytest.fixture
def pipeline_a(crm_a):
    pipeline = PipelineFactory(crm=crm_a, name="Sales", position=0)
    PipelineStatusFactory(pipeline=pipeline, name="New", position=0)
    PipelineStatusFactory(pipeline=pipeline, name="Won", kind="won", position=1)
    return pipeline


def test_deal_round(api_a, crm_a, staff_a, pipeline_a):
    new, won = pipeline_a.statuses.all()
    company = CompanyFactory(responsible=staff_a)
    contact = ContactFactory(responsible=staff_a)

    response = api_a.post(
        "/api/v1/deals/",
        {
            "name": "Big one",
            "amount": "1200.50",
            "company_id": company.pk,
            "contact_ids": [contact.pk],
        },
    )
    assert response.status_code == 201, response.content
    deal = response.json()
    assert deal["pipeline_id"] == pipeline_a.pk  # the first pipeline
    assert deal["status_id"] == new.pk  # and its first status
    assert deal["amount"] == "1200.50"
    assert deal["company_id"] == company.pk
    assert deal["contact_ids"] == [contact.pk]

    url = f"/api/v1/deals/{deal['id']}/"
    moved = api_a.patch(url, {"status_id": won.pk, "company_id": None, "amount": 7})
    assert moved.status_code == 200, moved.content
    assert moved.json()["status_id"] == won.pk
    assert moved.json()["company_id"] is None
    assert moved.json()["amount"] == "7.00"


def test_deal_input_errors(api_a, crm_a, pipeline_a):
    other = PipelineStatusFactory(pipeline__crm=crm_a)
    error = assert_error(
        api_a.post(
            "/api/v1/deals/",
            {"name": "X", "pipeline_id": pipeline_a.pk, "status_id": other.pk},
        ),
        400,
        "invalid",
    )
    assert "status_id" in error["fields"]
    for amount in ["lots", "1e20", "NaN", "0.001"]:
        error = assert_error(
            api_a.post("/api/v1/deals/", {"name": "X", "amount": amount}),
            400,
            "invalid",
        )
        assert "amount" in error["fields"]
    assert not Deal.objects.exists()


def test_a_deal_needs_a_pipeline(api_a):
    error = assert_error(api_a.post("/api/v1/deals/", {"name": "X"}), 400, "invalid")
    assert "pipeline_id" in error["fields"]


def test_deal_filters(api_a, staff_a, owner_a, pipeline_a):
    new, won = pipeline_a.statuses.all()
    company = CompanyFactory(responsible=staff_a)
    one = DealFactory(responsible=staff_a, status=new, pipeline=pipeline_a)
    two = DealFactory(
        responsible=owner_a, status=won, pipeline=pipeline_a, company=company
    )
    elsewhere = DealFactory(responsible=staff_a)

    assert _ids(api_a.get("/api/v1/deals/")) == [one.pk, two.pk, elsewhere.pk]
    assert _ids(api_a.get(f"/api/v1/deals/?pipeline_id={pipeline_a.pk}")) == [
        one.pk,
        two.pk,
    ]
    assert _ids(api_a.get(f"/api/v1/deals/?status_id={won.pk}")) == [two.pk]
    assert _ids(api_a.get(f"/api/v1/deals/?company_id={company.pk}")) == [two.pk]
    assert _ids(api_a.get(f"/api/v1/deals/?responsible_id={owner_a.pk}")) == [two.pk]
