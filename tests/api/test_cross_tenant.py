"""With CRM A's key, nothing of CRM B can be read, changed, deleted or linked to:
every id of B is a 404 (never a 403, which would say it exists), and B's rows never
show up in A's lists."""

import pytest
from django.urls import URLPattern

from crm.api import urls as api_urls
from crm.models import Company, Contact, CustomField, Deal, Note
from tests.api.helpers import assert_error
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    DealFactory,
)

DETAIL_ROUTES = [
    p
    for p in api_urls.urlpatterns
    if isinstance(p, URLPattern) and "pk" in p.pattern.regex.groupindex
]
LIST_URLS = [
    "/api/v1/users/",
    "/api/v1/groups/",
    "/api/v1/pipelines/",
    "/api/v1/custom-fields/",
    "/api/v1/contacts/",
    "/api/v1/companies/",
    "/api/v1/deals/",
    "/api/v1/notes/",
]


@pytest.fixture
def world_b(crm_b, staff_b):
    """One of everything in CRM B, by the API's name for it."""
    contact = ContactFactory(responsible=staff_b, name="Secret Contact")
    company = CompanyFactory(responsible=staff_b, name="Secret Company")
    deal = DealFactory(responsible=staff_b, name="Secret Deal")
    contact.companies.add(company, through_defaults={"crm": crm_b})
    note = Note.objects.create(crm=crm_b, contact=contact, text="Secret note")
    return {
        "user": staff_b,
        "group": CrmGroupFactory(crm=crm_b, name="Secret Group"),
        "pipeline": deal.pipeline,
        "custom-field": CustomField.objects.create(
            crm=crm_b, entity="contact", name="Secret Field", type="text"
        ),
        "contact": contact,
        "company": company,
        "deal": deal,
        "note": note,
        "status": deal.status,
    }


def _basename(pattern: URLPattern) -> str:
    return pattern.name.rsplit("-", 1)[0]


def test_every_detail_route_is_covered():
    assert {_basename(p) for p in DETAIL_ROUTES} == {
        "user",
        "group",
        "pipeline",
        "custom-field",
        "contact",
        "company",
        "deal",
        "note",
    }


@pytest.mark.parametrize("pattern", DETAIL_ROUTES, ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "patch", "put", "delete", "post"])
def test_crm_b_ids_are_404_with_crm_a_key(api_a, world_b, pattern, method):
    target = world_b[_basename(pattern)]
    prefix = pattern.pattern.regex.pattern.lstrip("^").split("/")[0]
    url = f"/api/v1/{prefix}/{target.pk}/"

    response = getattr(api_a, method)(url, {"name": "Hijack"})

    writable = {"contact", "company", "deal", "note"}
    if (
        method == "get"
        or (method == "delete" and _basename(pattern) in writable)
        or (method == "patch" and _basename(pattern) in writable - {"note"})
    ):
        assert_error(response, 404, "not_found")
    else:
        assert response.status_code in (404, 405)
    type(target).objects.get(pk=target.pk)  # still there
    assert "Secret" not in response.content.decode()
    if hasattr(target, "name"):
        target.refresh_from_db()
        assert target.name != "Hijack"


@pytest.mark.parametrize("url", LIST_URLS)
def test_crm_b_rows_never_appear_in_crm_a_lists(api_a, api_b, world_b, staff_a, url):
    ContactFactory(responsible=staff_a)
    ids_b = {row["id"] for row in api_b.get(url).json()["results"]}
    assert ids_b  # B does have rows here

    body = api_a.get(f"{url}?page_size=100").json()
    assert "Secret" not in str(body)
    assert (
        not ({row["id"] for row in body["results"]} & ids_b) or url == "/api/v1/users/"
    )
    if url == "/api/v1/users/":
        emails = {row["email"] for row in body["results"]}
        assert world_b["user"].email not in emails


@pytest.mark.parametrize(
    "url, param",
    [
        ("/api/v1/contacts/", "responsible_id"),
        ("/api/v1/deals/", "pipeline_id"),
        ("/api/v1/deals/", "status_id"),
        ("/api/v1/deals/", "company_id"),
        ("/api/v1/notes/", "contact_id"),
    ],
)
def test_filtering_by_crm_b_ids_finds_nothing(api_a, world_b, url, param):
    target = {
        "responsible_id": world_b["user"],
        "pipeline_id": world_b["pipeline"],
        "status_id": world_b["status"],
        "company_id": world_b["company"],
        "contact_id": world_b["contact"],
    }[param]
    body = api_a.get(f"{url}?{param}={target.pk}").json()
    assert body["count"] == 0 and body["results"] == []


@pytest.mark.parametrize("entity", ["contact", "company", "deal"])
def test_bulk_delete_with_crm_b_ids_reports_them_not_found(api_a, world_b, entity):
    plural = {"contact": "contacts", "company": "companies", "deal": "deals"}[entity]
    target = world_b[entity]
    response = api_a.post(f"/api/v1/{plural}/bulk-delete/", {"ids": [target.pk]})
    assert response.status_code == 200
    assert response.json() == {"deleted": [], "not_found": [target.pk], "job_id": None}
    assert type(target).objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize(
    "url, body",
    [
        ("/api/v1/contacts/", {"name": "X", "company_ids": ["company"]}),
        ("/api/v1/contacts/", {"name": "X", "responsible_id": "user"}),
        ("/api/v1/companies/", {"name": "X", "responsible_id": "user"}),
        ("/api/v1/deals/", {"name": "X", "pipeline_id": "pipeline"}),
        ("/api/v1/deals/", {"name": "X", "company_id": "company"}),
        ("/api/v1/deals/", {"name": "X", "contact_ids": ["contact"]}),
        ("/api/v1/notes/", {"entity": "contact", "record_id": "contact", "text": "X"}),
        ("/api/v1/notes/", {"entity": "deal", "record_id": "deal", "text": "X"}),
    ],
)
def test_linking_to_crm_b_records_is_a_404_and_writes_nothing(
    api_a, crm_a, world_b, url, body
):
    from tests.factories import PipelineStatusFactory

    PipelineStatusFactory(pipeline__crm=crm_a)  # so that A could make deals at all

    def resolve(value):
        # Placeholders name one of B's objects; everything else is sent as is.
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return world_b[value].pk if value in world_b else value

    resolved = {
        key: value if key in ("name", "text", "entity") else resolve(value)
        for key, value in body.items()
    }
    response = api_a.post(url, resolved)

    assert_error(response, 404, "not_found")
    for model in (Contact, Company, Deal, Note):
        assert not model.objects.filter(crm=crm_a).exists()


def test_changing_a_crm_a_record_to_point_at_crm_b_is_a_404(api_a, world_b, staff_a):
    contact = ContactFactory(responsible=staff_a, name="Mine")
    response = api_a.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"name": "Changed", "company_ids": [world_b["company"].pk]},
    )
    assert_error(response, 404, "not_found")
    contact.refresh_from_db()
    assert contact.name == "Mine"
    assert not contact.companies.exists()
