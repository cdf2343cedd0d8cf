"""/api/v4/ through a plain HTTP client: the shapes amoCRM's clients rely on, its
errors, filters in every encoding, and what we do better (idempotent creates,
clearing a field, a next link only when there is a next page)."""

from __future__ import annotations

import pytest

from crm.amo import ids
from crm.models import (
    ApiKey,
    Contact,
    Crm,
    CustomField,
    Deal,
    Note,
    PipelineStatus,
    Task,
)
from crm.services.apikeys import api_key_create
from tests.api.helpers import api_client
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    CrmUserFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(crm_a):
    pipe = PipelineFactory(crm=crm_a, name="Sales")
    statuses = {
        "new": PipelineStatusFactory(pipeline=pipe, name="New", position=0),
        "won": PipelineStatusFactory(
            pipeline=pipe, name="Won", kind=PipelineStatus.Kind.WON, position=1
        ),
        "lost": PipelineStatusFactory(
            pipeline=pipe, name="Lost", kind=PipelineStatus.Kind.LOST, position=2
        ),
    }
    return pipe, statuses


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"].endswith(str(status))
    assert "detail" in body
    return body


def _post(client, url, body, **headers):
    return client.post(url, body, format="json", **headers)


# --- authentication, rights, limits -------------------------------------------------


def test_no_key_is_401_problem_with_a_challenge(crm_a):
    response = api_client().get("/api/v4/account")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_key_is_401(crm_a):
    assert_problem(api_client("crm_nope").get("/api/v4/contacts"), 401)


def test_read_only_key_reads_but_may_not_write(crm_a, owner_a):
    _key, raw = api_key_create(
        crm=crm_a, name="RO", created_by=owner_a, scope=ApiKey.Scope.READ_ONLY
    )
    client = api_client(raw)
    assert client.get("/api/v4/account").status_code == 200
    assert_problem(_post(client, "/api/v4/contacts", [{"name": "X"}]), 403)
    assert not Contact.objects.exists()


def test_a_closed_crm_is_a_403_problem_as_on_v1(crm_a, amo_a):
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    assert_problem(amo_a.get("/api/v4/account"), 403)
    assert_problem(_post(amo_a, "/api/v4/contacts", [{"name": "Late"}]), 403)
    assert not Contact.objects.exists()


def test_missing_records_and_unknown_endpoints_are_404_problems(amo_a):
    assert_problem(amo_a.get("/api/v4/contacts/999999"), 404)
    assert_problem(amo_a.get("/api/v4/leads/pipelines/999999/statuses"), 404)
    assert_problem(amo_a.get("/api/v4/catalogs"), 404)


def test_every_429_says_when_to_come_back(amo_a, settings):
    settings.API_RATE_LIMIT = "1/m"
    assert amo_a.get("/api/v4/account").status_code == 200
    response = amo_a.get("/api/v4/account")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1


# --- HAL, pages, 204 ----------------------------------------------------------------


def test_empty_list_is_204_without_a_body(amo_a):
    response = amo_a.get("/api/v4/contacts")
    assert response.status_code == 204
    assert response.content == b""


def test_pages_link_next_only_when_there_is_one(amo_a, owner_a):
    for n in range(5):
        ContactFactory(responsible=owner_a, name=f"P{n}")
    first = amo_a.get("/api/v4/contacts?limit=2")
    assert first["Content-Type"] == "application/hal+json"
    body = first.json()
    assert body["_page"] == 1
    assert body["_total_items"] == 5
    assert "page=2" in body["_links"]["next"]["href"]
    assert "prev" not in body["_links"]
    last = amo_a.get("/api/v4/contacts?limit=2&page=3").json()
    assert len(last["_embedded"]["contacts"]) == 1
    assert "next" not in last["_links"]
    assert "page=2" in last["_links"]["prev"]["href"]
    assert amo_a.get("/api/v4/contacts?limit=2&page=4").status_code == 204


def test_limit_is_capped_at_250_and_a_bad_one_is_a_problem(amo_a, owner_a):
    ContactFactory(responsible=owner_a)
    assert amo_a.get("/api/v4/contacts?limit=1000").status_code == 200
    body = assert_problem(amo_a.get("/api/v4/contacts?limit=lots"), 400)
    assert body["validation-errors"][0]["errors"][0]["path"] == "limit"


@pytest.mark.parametrize(
    "query",
    [
        "filter[id][0]={a}&filter[id][1]={b}",
        "filter[id][]={a}&filter[id][]={b}",
        "filter[id]={a}&filter[id]={b}",
    ],
)
def test_filter_by_id_in_every_encoding(amo_a, owner_a, query):
    a, b, _c = (ContactFactory(responsible=owner_a) for _ in range(3))
    response = amo_a.get("/api/v4/contacts?" + query.format(a=a.pk, b=b.pk))
    assert {c["id"] for c in response.json()["_embedded"]["contacts"]} == {a.pk, b.pk}


def test_filter_by_updated_at_and_order(amo_a, owner_a):
    old = ContactFactory(responsible=owner_a, name="Old")
    new = ContactFactory(responsible=owner_a, name="New")
    Contact.objects.filter(pk=old.pk).update(
        updated_at=old.updated_at.replace(year=2020)
    )
    since = int(new.updated_at.timestamp()) - 60
    body = amo_a.get(f"/api/v4/contacts?filter[updated_at][from]={since}").json()
    assert [c["id"] for c in body["_embedded"]["contacts"]] == [new.pk]
    body = amo_a.get("/api/v4/contacts?order[id]=desc").json()
    assert [c["id"] for c in body["_embedded"]["contacts"]] == [new.pk, old.pk]
    assert_problem(amo_a.get("/api/v4/contacts?order[colour]=asc"), 400)


def test_filter_leads_by_status_pairs_with_won_as_142(amo_a, owner_a, pipeline):
    pipe, statuses = pipeline
    won = DealFactory(responsible=owner_a, pipeline=pipe, status=statuses["won"])
    DealFactory(responsible=owner_a, pipeline=pipe, status=statuses["new"])
    url = (
        f"/api/v4/leads?filter[statuses][0][pipeline_id]={pipe.pk}"
        "&filter[statuses][0][status_id]=142"
    )
    body = amo_a.get(url).json()
    assert [(d["id"], d["status_id"]) for d in body["_embedded"]["leads"]] == [
        (won.pk, 142)
    ]


def test_users_with_role_and_group(amo_a, crm_a, owner_a):
    group = CrmGroupFactory(crm=crm_a, name="Sales team")
    staff = CrmUserFactory(crm=crm_a, name="Sam Staff", group=group)
    body = amo_a.get("/api/v4/users?with=role,group").json()
    users = {u["id"]: u for u in body["_embedded"]["users"]}
    assert set(users) == {owner_a.pk, staff.pk}
    assert users[staff.pk]["_embedded"]["groups"] == [
        {"id": group.pk, "name": "Sales team"}
    ]
    assert users[staff.pk]["rights"]["group_id"] == group.pk
    [role] = users[staff.pk]["_embedded"]["roles"]
    assert role["id"] != users[owner_a.pk]["_embedded"]["roles"][0]["id"]
    plain = amo_a.get(f"/api/v4/users/{staff.pk}").json()
    assert plain["name"] == "Sam Staff"
    assert "_embedded" not in plain


def test_unknown_with_is_ignored(amo_a):
    assert amo_a.get("/api/v4/account?with=whatever,task_types").status_code == 200


# --- pipelines ----------------------------------------------------------------------


def test_won_and_lost_answer_as_142_and_143(amo_a, pipeline):
    pipe, statuses = pipeline
    [shaped] = amo_a.get("/api/v4/leads/pipelines").json()["_embedded"]["pipelines"]
    ids_ = [s["id"] for s in shaped["_embedded"]["statuses"]]
    assert ids_ == [statuses["new"].pk, 142, 143]
    one = amo_a.get(f"/api/v4/leads/pipelines/{pipe.pk}/statuses/142").json()
    assert one["name"] == "Won"


def test_an_open_status_stored_as_142_answers_under_an_alias():
    status = PipelineStatus(pk=142, kind=PipelineStatus.Kind.OPEN)
    alias = ids.status_out(status)
    assert alias not in (142, 143)
    assert ids.status_kind_in(alias) is None
    assert ids.status_pk_in(alias) == 142


# --- records ------------------------------------------------------------------------


def test_create_echoes_request_id_and_moves_to_won_with_142(amo_a, pipeline):
    pipe, statuses = pipeline
    body = [
        {"name": "A", "price": 10, "request_id": "form-1"},
        {"name": "B", "status_id": 142, "pipeline_id": pipe.pk},
    ]
    created = _post(amo_a, "/api/v4/leads", body).json()["_embedded"]["leads"]
    assert [c["request_id"] for c in created] == ["form-1", "1"]
    assert Deal.objects.get(pk=created[1]["id"]).status == statuses["won"]
    response = amo_a.patch(
        f"/api/v4/leads/{created[0]['id']}", {"status_id": 143}, format="json"
    )
    assert response.status_code == 200
    assert Deal.objects.get(pk=created[0]["id"]).status == statuses["lost"]


def test_invalid_items_are_reported_by_request_id_and_nothing_is_saved(amo_a, pipeline):
    body = [
        {"name": "Fine"},
        {"name": "", "request_id": "r2"},
        {"name": "Bad price", "price": "lots"},
    ]
    problem = assert_problem(_post(amo_a, "/api/v4/leads", body), 400)
    errors = {e["request_id"]: e["errors"] for e in problem["validation-errors"]}
    assert set(errors) == {"r2", "2"}
    assert errors["r2"][0]["path"] == "name"
    assert errors["2"][0]["path"] == "price"
    assert not Deal.objects.exists()


def test_custom_fields_by_id_and_enum_and_cleared_with_null(amo_a, crm_a):
    size = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Size", type="select", options=["S", "M"]
    )
    note = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Note", type="text"
    )
    fields = amo_a.get("/api/v4/contacts/custom_fields").json()["_embedded"][
        "custom_fields"
    ]
    [shaped] = [f for f in fields if f["id"] == size.pk]
    enum_m = next(e["id"] for e in shaped["enums"] if e["value"] == "M")
    body = [
        {
            "name": "Cleo",
            "custom_fields_values": [
                {"field_id": size.pk, "values": [{"enum_id": enum_m}]},
                {"field_id": note.pk, "values": [{"value": "VIP"}]},
                {"field_code": "PHONE", "values": [{"value": "555 0101"}]},
            ],
        }
    ]
    [ref] = _post(amo_a, "/api/v4/contacts", body).json()["_embedded"]["contacts"]
    contact = Contact.objects.get(pk=ref["id"])
    assert contact.custom == {str(size.pk): "M", str(note.pk): "VIP"}
    patch = [
        {
            "id": contact.pk,
            "custom_fields_values": [
                {"field_id": note.pk, "values": None},
                {"field_id": size.pk, "values": []},
                {"field_code": "PHONE", "values": []},
            ],
        }
    ]
    assert amo_a.patch("/api/v4/contacts", patch, format="json").status_code == 200
    contact.refresh_from_db()
    assert contact.custom == {}
    assert contact.phone == ""
    again = [
        {
            "id": contact.pk,
            "custom_fields_values": [
                {"field_id": size.pk, "values": [{"enum_id": enum_m}]}
            ],
        }
    ]
    assert amo_a.patch("/api/v4/contacts", again, format="json").status_code == 200
    read = amo_a.get(f"/api/v4/contacts/{contact.pk}").json()
    assert read["custom_fields_values"] == [
        {
            "field_id": size.pk,
            "field_name": "Size",
            "field_code": None,
            "field_type": "select",
            "values": [{"value": "M", "enum_id": enum_m}],
        }
    ]


def test_a_field_of_another_kind_is_a_validation_error(amo_a, crm_a):
    deal_field = CustomField.objects.create(
        crm=crm_a, entity="deal", name="Source", type="text"
    )
    body = [{"name": "X", "custom_fields_values": [{"field_id": deal_field.pk}]}]
    problem = assert_problem(_post(amo_a, "/api/v4/contacts", body), 400)
    [item] = problem["validation-errors"]
    assert item["errors"][0]["path"] == "custom_fields_values.0.field_id"


def test_query_finds_a_contact_by_any_of_its_phones(amo_a):
    body = [
        {
            "name": "Dana",
            "custom_fields_values": [
                {
                    "field_code": "PHONE",
                    "values": [
                        {"value": "+1 202 555 0100", "enum_code": "WORK"},
                        {"value": "+44 20 7946 0958", "enum_code": "MOB"},
                    ],
                }
            ],
        }
    ]
    _post(amo_a, "/api/v4/contacts", body)
    hits = amo_a.get("/api/v4/contacts?query=442079460958").json()
    assert [c["name"] for c in hits["_embedded"]["contacts"]] == ["Dana"]
    assert amo_a.get("/api/v4/contacts?query=Nobody").status_code == 204


def test_complex_creates_lead_contact_and_company(amo_a, pipeline):
    body = [
        {
            "name": "From the site",
            "price": 99,
            "_embedded": {
                "contacts": [
                    {
                        "first_name": "Eve",
                        "custom_fields_values": [
                            {"field_code": "EMAIL", "values": [{"value": "e@x.io"}]}
                        ],
                    }
                ],
                "companies": [{"name": "Eve Ltd"}],
                "tags": [{"name": "site"}],
            },
        }
    ]
    [result] = _post(amo_a, "/api/v4/leads/complex", body).json()
    deal = Deal.objects.get(pk=result["id"])
    assert deal.company_id == result["company_id"]
    assert list(deal.contacts.values_list("pk", flat=True)) == [result["contact_id"]]
    contact = Contact.objects.get(pk=result["contact_id"])
    assert contact.email == "e@x.io"
    assert list(contact.companies.values_list("pk", flat=True)) == [deal.company_id]
    assert result["request_id"] == ["0"]


def test_with_contacts_embeds_only_what_is_asked(amo_a, owner_a, pipeline):
    pipe, statuses = pipeline
    contact = ContactFactory(responsible=owner_a)
    company = CompanyFactory(responsible=owner_a)
    deal = DealFactory(
        responsible=owner_a, pipeline=pipe, status=statuses["new"], company=company
    )
    deal.contacts.add(contact, through_defaults={"crm": deal.crm})
    plain = amo_a.get(f"/api/v4/leads/{deal.pk}").json()["_embedded"]
    assert "contacts" not in plain
    assert [c["id"] for c in plain["companies"]] == [company.pk]
    full = amo_a.get(f"/api/v4/leads/{deal.pk}?with=contacts").json()["_embedded"]
    assert [(c["id"], c["is_main"]) for c in full["contacts"]] == [(contact.pk, True)]


def test_links_and_unlink(amo_a, owner_a):
    contact = ContactFactory(responsible=owner_a)
    company = CompanyFactory(responsible=owner_a)
    url = f"/api/v4/companies/{company.pk}"
    body = [{"to_entity_id": contact.pk, "to_entity_type": "contacts"}]
    assert _post(amo_a, f"{url}/link", body).status_code == 200
    links = amo_a.get(f"{url}/links").json()["_embedded"]["links"]
    assert [(link["to_entity_type"], link["to_entity_id"]) for link in links] == [
        ("contacts", contact.pk)
    ]
    assert _post(amo_a, f"{url}/unlink", body).status_code == 204
    assert not contact.companies.exists()


# --- notes and tasks ----------------------------------------------------------------


def test_notes_on_a_record(amo_a, owner_a):
    contact = ContactFactory(responsible=owner_a)
    body = [{"note_type": "common", "params": {"text": "Called back"}}]
    response = _post(amo_a, f"/api/v4/contacts/{contact.pk}/notes", body)
    [ref] = response.json()["_embedded"]["notes"]
    assert Note.objects.get(pk=ref["id"]).text == "Called back"
    listed = amo_a.get("/api/v4/contacts/notes").json()["_embedded"]["notes"]
    assert [(n["entity_id"], n["params"]["text"]) for n in listed] == [
        (contact.pk, "Called back")
    ]
    bad = [{"entity_id": contact.pk, "note_type": "geolocation", "params": {}}]
    problem = assert_problem(_post(amo_a, "/api/v4/contacts/notes", bad), 400)
    assert problem["validation-errors"][0]["errors"][0]["path"] == "note_type"


def test_tasks_create_and_complete(amo_a, owner_a, pipeline):
    pipe, statuses = pipeline
    deal = DealFactory(responsible=owner_a, pipeline=pipe, status=statuses["new"])
    body = [
        {
            "text": "Call back",
            "complete_till": 1893456000,
            "entity_id": deal.pk,
            "entity_type": "leads",
            "task_type_id": 1,
        }
    ]
    [ref] = _post(amo_a, "/api/v4/tasks", body).json()["_embedded"]["tasks"]
    task = Task.objects.get(pk=ref["id"])
    assert (task.deal_id, task.type) == (deal.pk, Task.Type.FOLLOW_UP)
    done = {"is_completed": True, "result": {"text": "Sold"}}
    assert (
        amo_a.patch(f"/api/v4/tasks/{task.pk}", done, format="json").status_code == 200
    )
    task.refresh_from_db()
    assert (task.is_done, task.result) == (True, "Sold")
    shaped = amo_a.get(f"/api/v4/tasks/{task.pk}").json()
    assert shaped["is_completed"] is True
    assert shaped["entity_type"] == "leads"
    open_only = amo_a.get("/api/v4/tasks?filter[is_completed]=0")
    assert open_only.status_code == 204


# --- idempotency --------------------------------------------------------------------


def test_a_retried_create_with_the_same_key_makes_one_record(amo_a):
    body = [{"name": "Once"}]
    first = _post(amo_a, "/api/v4/contacts", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    again = _post(amo_a, "/api/v4/contacts", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.filter(name="Once").count() == 1
    other = _post(
        amo_a, "/api/v4/contacts", [{"name": "Twice"}], HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert_problem(other, 422)
    _post(amo_a, "/api/v4/contacts", body)
    assert Contact.objects.filter(name="Once").count() == 2


def test_a_failed_create_leaves_the_key_free(amo_a):
    bad = _post(amo_a, "/api/v4/contacts", [{"name": ""}], HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    fixed = _post(amo_a, "/api/v4/contacts", [{"name": "Ok"}], HTTP_IDEMPOTENCY_KEY="k")
    assert fixed.status_code == 200
    assert Contact.objects.filter(name="Ok").count() == 1


def test_idempotency_keys_are_per_crm(amo_a, amo_b):
    body = [{"name": "Same"}]
    _post(amo_a, "/api/v4/contacts", body, HTTP_IDEMPOTENCY_KEY="shared")
    _post(amo_b, "/api/v4/contacts", body, HTTP_IDEMPOTENCY_KEY="shared")
    assert Contact.objects.filter(name="Same").count() == 2
