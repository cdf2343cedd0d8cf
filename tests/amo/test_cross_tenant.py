"""With CRM A's key, nothing of CRM B can be read, changed or linked through
/api/v4/: every id of B, in a path or in a body, is a 404; B's rows never show up
in A's lists."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from crm.amo import urls as amo_urls
from crm.models import Contact, Deal, Note, Task
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)

pytestmark = pytest.mark.django_db

ID_PARAMS = {"pk", "record_id", "pipeline_id"}
ROUTES = [
    p
    for p in amo_urls.urlpatterns
    if isinstance(p, URLPattern) and set(p.pattern.regex.groupindex) & ID_PARAMS
]
ENTITY_TYPES = ("contacts", "companies", "leads")


@pytest.fixture
def world_b(crm_b, staff_b):
    pipeline = PipelineFactory(crm=crm_b)
    status = PipelineStatusFactory(pipeline=pipeline)
    contact = ContactFactory(responsible=staff_b, name="Secret Contact")
    company = CompanyFactory(responsible=staff_b, name="Secret Company")
    deal = DealFactory(
        responsible=staff_b, name="Secret Deal", pipeline=pipeline, status=status
    )
    note = Note.objects.create(crm=crm_b, contact=contact, text="Secret note")
    task = Task.objects.create(
        crm=crm_b,
        text="Secret task",
        due_at=deal.created_at,
        responsible=staff_b,
        deal=deal,
    )
    return {
        "contacts": contact,
        "companies": company,
        "leads": deal,
        "note": note,
        "task": task,
        "pipeline": pipeline,
        "status": status,
        "user": staff_b,
    }


def _urls(pattern: URLPattern, world: dict) -> list[str]:
    """Every way to fill ``pattern`` with B's ids."""
    params = set(pattern.pattern.regex.groupindex)
    urls = []
    types = ENTITY_TYPES if "entity_type" in params else (None,)
    for entity_type in types:
        kwargs = {}
        if entity_type:
            kwargs["entity_type"] = entity_type
        if "record_id" in params:
            kwargs["record_id"] = world[entity_type].pk
        if "pipeline_id" in params:
            kwargs["pipeline_id"] = world["pipeline"].pk
        if "pk" in params:
            kwargs["pk"] = {
                "user": world["user"].pk,
                "pipeline": world["pipeline"].pk,
                "pipeline_status": world["status"].pk,
                "task": world["task"].pk,
                "record_note": world["note"].pk,
                "custom_field": 1,
            }.get(pattern.name, world[entity_type].pk if entity_type else 1)
        from django.urls import reverse

        urls.append(reverse(f"amo:{pattern.name}", kwargs=kwargs))
    return urls


@pytest.mark.parametrize("pattern", ROUTES, ids=lambda p: p.name)
def test_b_ids_in_the_path_are_404_for_a(pattern, amo_a, world_b):
    for url in _urls(pattern, world_b):
        for method in ("get", "patch", "post"):
            body = [{"name": "x", "to_entity_id": 1, "to_entity_type": "contacts"}]
            if method == "get":
                response = amo_a.get(url)
            else:
                response = getattr(amo_a, method)(url, body, format="json")
            assert response.status_code in (404, 405), (method, url, response.content)
            assert b"Secret" not in response.content
    assert Deal.objects.get(pk=world_b["leads"].pk).name == "Secret Deal"


def test_b_ids_in_a_body_are_404(amo_a, world_b, owner_a):
    mine = ContactFactory(responsible=owner_a)
    PipelineStatusFactory(pipeline=PipelineFactory(crm=owner_a.crm))
    cases = [
        (
            "/api/v4/leads",
            [
                {
                    "name": "x",
                    "_embedded": {"contacts": [{"id": world_b["contacts"].pk}]},
                }
            ],
        ),
        (
            "/api/v4/contacts",
            [{"name": "x", "responsible_user_id": world_b["user"].pk}],
        ),
        (
            "/api/v4/contacts/notes",
            [
                {
                    "entity_id": world_b["contacts"].pk,
                    "note_type": "common",
                    "params": {"text": "x"},
                }
            ],
        ),
        (
            "/api/v4/tasks",
            [
                {
                    "text": "x",
                    "complete_till": 1893456000,
                    "entity_type": "leads",
                    "entity_id": world_b["leads"].pk,
                }
            ],
        ),
        (
            f"/api/v4/contacts/{mine.pk}/link",
            [{"to_entity_type": "companies", "to_entity_id": world_b["companies"].pk}],
        ),
        (
            "/api/v4/leads/complex",
            [
                {
                    "name": "x",
                    "_embedded": {"companies": [{"id": world_b["companies"].pk}]},
                }
            ],
        ),
    ]
    for url, body in cases:
        response = amo_a.post(url, body, format="json")
        assert response.status_code == 404, (url, response.content)
        assert response["Content-Type"] == "application/problem+json"
    patch = [{"id": world_b["contacts"].pk, "name": "Hijacked"}]
    assert amo_a.patch("/api/v4/contacts", patch, format="json").status_code == 404
    assert Contact.objects.get(pk=world_b["contacts"].pk).name == "Secret Contact"
    assert not Deal.objects.filter(crm=owner_a.crm).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v4/contacts",
        "/api/v4/companies",
        "/api/v4/leads",
        "/api/v4/tasks",
        "/api/v4/contacts/notes",
        "/api/v4/users",
        "/api/v4/leads/pipelines",
        "/api/v4/leads/custom_fields",
    ],
)
def test_lists_never_hold_b_rows(url, amo_a, world_b):
    response = amo_a.get(url)
    assert b"Secret" not in response.content
    assert str(world_b["user"].email).encode() not in response.content
