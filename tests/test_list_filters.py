"""The list pages and the API narrow a list alike: the same filter, spelled each
door's way, answers the same records, and only those of the CRM at hand."""

import pytest
from django.urls import reverse

from crm.entities import record_kind
from crm.models import Contact, CrmUser, CustomField
from crm.services.apikeys import api_key_create
from tests.api.helpers import api_client
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    ContactFactory,
    DealFactory,
)


def _field(crm, entity, name, type, options=()):
    return CustomField.objects.create(
        crm=crm, entity=entity, name=name, type=type, options=list(options)
    )


@pytest.fixture
def world(crm_a, crm_b, staff_a, staff_b):
    """Two CRMs whose records look alike: B's even carry values under the ids of
    A's custom fields."""
    owner_a = CrmUser.objects.get(crm=crm_a, role="owner")
    owner_b = CrmUser.objects.get(crm=crm_b, role="owner")
    f = {
        "tier": _field(crm_a, "contact", "Tier", "select", ["Gold", "Tin"]),
        "tags": _field(crm_a, "contact", "Tags", "multiselect", ["a", "b", "ab"]),
        "memo": _field(crm_a, "contact", "Memo", "text"),
        "size": _field(crm_a, "contact", "Size", "number"),
        "due": _field(crm_a, "contact", "Due", "date"),
        "sector": _field(crm_a, "company", "Sector", "select", ["IT", "Food"]),
        "source": _field(crm_a, "deal", "Source", "text"),
        "b_tier": _field(crm_b, "contact", "Tier", "select", ["Gold", "Tin"]),
    }

    def custom(**values):
        return {str(f[name].pk): value for name, value in values.items()}

    for responsible, tier in ((staff_b, "b_tier"), (owner_b, "tier")):
        # CRM B: names, emails and values that A's filters would match.
        ContactFactory(
            responsible=responsible,
            name="Ann Gold",
            email="ann@x.io",
            phone="+1 555 0100",
            custom={str(f[tier].pk): "Gold", **custom(tags=["b"], memo="tea")},
        )
        CompanyFactory(responsible=responsible, name="Acme", custom=custom(sector="IT"))
        DealFactory(responsible=responsible, custom=custom(source="Web fair"))
    records = {
        "ann": ContactFactory(
            responsible=staff_a,
            name="Ann Gold",
            email="ann@x.io",
            phone="+1 555 0100",
            custom=custom(
                tier="Gold",
                tags=["a", "b"],
                memo="Likes tea",
                size=12.5,
                due="2026-03-01",
            ),
        ),
        "bob": ContactFactory(
            responsible=staff_a,
            name="Bob Tin",
            email="bob@y.io",
            custom=custom(tier="Tin", tags=["ab"], memo="TEA? no", size=12),
        ),
        "cid": ContactFactory(
            responsible=owner_a,
            name="Cid",
            email="ann.friend@x.io",
            custom=custom(tier="Gold", size=3),
        ),
        "dee": ContactFactory(
            responsible=staff_a,
            name="Dee",
            phone="555 0100",
            is_archived=True,
            custom=custom(tier="Gold"),
        ),
        "eve": ContactFactory(responsible=owner_a, name="Eve Annan"),
        "acme": CompanyFactory(
            responsible=staff_a, name="Acme", custom=custom(sector="IT")
        ),
        "acme_food": CompanyFactory(
            responsible=owner_a, name="ACME Foods", custom=custom(sector="Food")
        ),
        "initech": CompanyFactory(
            responsible=staff_a, name="Initech", custom=custom(sector="IT")
        ),
        "fair": DealFactory(responsible=staff_a, custom=custom(source="Web fair")),
        "call": DealFactory(responsible=staff_a, custom=custom(source="Cold call")),
        "own": DealFactory(responsible=owner_a, custom=custom(source="Fair")),
    }
    users = {
        "staff_a": staff_a,
        "owner_a": owner_a,
        "staff_b": staff_b,
        "owner_b": owner_b,
    }
    return {"fields": f, "records": records, "users": users}


@pytest.fixture
def web_a(client, crm_a):
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    client.post(
        f"/c/{crm_a.slug}/login/",
        {"email": owner.email, "password": DEFAULT_PASSWORD},
    )
    return client


@pytest.fixture
def api_a(crm_a):
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    _key, raw = api_key_create(crm=crm_a, name="Filters", created_by=owner)
    return api_client(raw)


def _web_query(world, spec):
    query = {}
    if "q" in spec:
        query["q"] = spec["q"]
    if "responsible" in spec:
        query["responsible"] = world["users"][spec["responsible"]].pk
    if spec.get("archived"):
        query["archived"] = "1"
    for name, value in spec.get("custom", {}).items():
        query[f"cf_{world['fields'][name].pk}"] = value
    return query


def _api_query(world, spec):
    query = {"archived": "true" if spec.get("archived") else "false"}
    if "q" in spec:
        query["q"] = spec["q"]
    if "responsible" in spec:
        query["responsible_id"] = world["users"][spec["responsible"]].pk
    for name, value in spec.get("custom", {}).items():
        query[f"custom[{world['fields'][name].pk}]"] = value
    return query


def _answers(web, api, world, entity, spec):
    kind = record_kind(entity)
    list_url = reverse(kind.url_name("list"), kwargs={"slug": "alpha"})
    page = web.get(list_url, _web_query(world, spec))
    assert page.status_code == 200
    web_ids = sorted(record.pk for record in page.context["page"].object_list)
    response = api.get(reverse(f"api:{entity}-list"), _api_query(world, spec))
    assert response.status_code == 200, response.content
    api_ids = sorted(row["id"] for row in response.json()["results"])
    return web_ids, api_ids


def _ids(world, names):
    return sorted(world["records"][name].pk for name in names)


@pytest.mark.parametrize(
    ("entity", "spec", "expected"),
    [
        ("contact", {}, ["ann", "bob", "cid", "eve"]),
        # Part of the name, email or phone, in any case.
        ("contact", {"q": "ANN"}, ["ann", "cid", "eve"]),
        ("contact", {"q": " 555 0100 "}, ["ann"]),
        ("contact", {"q": "ann", "responsible": "staff_a"}, ["ann"]),
        ("contact", {"responsible": "owner_a"}, ["cid", "eve"]),
        ("contact", {"custom": {"tier": "Gold"}}, ["ann", "cid"]),
        (
            "contact",
            {"q": "ann", "responsible": "owner_a", "custom": {"tier": "Gold"}},
            ["cid"],
        ),
        ("contact", {"custom": {"tier": "Gold"}, "archived": True}, ["dee"]),
        # One of a multi-select's options, not a part of one.
        ("contact", {"custom": {"tags": "b"}}, ["ann"]),
        ("contact", {"custom": {"memo": "tea"}}, ["ann", "bob"]),
        # The number, however it is written.
        ("contact", {"custom": {"size": "12.50"}}, ["ann"]),
        ("contact", {"custom": {"size": "12.0"}}, ["bob"]),
        ("contact", {"custom": {"size": "twelve"}}, []),
        ("contact", {"custom": {"due": "2026-03-01"}}, ["ann"]),
        # Another CRM's user or field: no record of theirs, and B's field filters
        # nothing here.
        ("contact", {"responsible": "staff_b"}, []),
        ("contact", {"custom": {"b_tier": "Gold"}}, ["ann", "bob", "cid", "eve"]),
        ("company", {"q": "acme"}, ["acme", "acme_food"]),
        (
            "company",
            {"q": "acme", "responsible": "staff_a", "custom": {"sector": "IT"}},
            ["acme"],
        ),
        ("deal", {"custom": {"source": "FAIR"}}, ["fair", "own"]),
        ("deal", {"responsible": "staff_a", "custom": {"source": "fair"}}, ["fair"]),
    ],
)
def test_the_page_and_the_api_answer_the_same_records(
    web_a, api_a, world, entity, spec, expected
):
    web_ids, api_ids = _answers(web_a, api_a, world, entity, spec)
    assert web_ids == api_ids == _ids(world, expected)


@pytest.mark.parametrize(
    ("spec", "responsible"),
    [
        ({"q": "ann", "custom": {"b_tier": "Gold"}}, ["staff_b"]),
        # A's field is not one of B's: it filters nothing there.
        ({"q": "ann", "custom": {"tier": "Gold"}}, ["staff_b", "owner_b"]),
    ],
)
def test_the_other_crm_answers_its_own_records_alike(
    client, crm_b, world, spec, responsible
):
    owner_b = CrmUser.objects.get(crm=crm_b, role="owner")
    client.post(
        f"/c/{crm_b.slug}/login/",
        {"email": owner_b.email, "password": DEFAULT_PASSWORD},
    )
    _key, raw = api_key_create(crm=crm_b, name="Filters", created_by=owner_b)
    list_url = reverse("crm:contact_list", kwargs={"slug": "beta"})
    page = client.get(list_url, _web_query(world, spec))
    web_ids = sorted(record.pk for record in page.context["page"].object_list)
    response = api_client(raw).get("/api/v1/contacts/", _api_query(world, spec))
    api_ids = sorted(row["id"] for row in response.json()["results"])
    expected = sorted(
        Contact.objects.filter(
            crm=crm_b, responsible__in=[world["users"][name] for name in responsible]
        ).values_list("pk", flat=True)
    )
    assert web_ids == api_ids == expected


@pytest.mark.parametrize(
    "query",
    [
        {"responsible": "²"},
        {"responsible": "9" * 30},
        {"q": "ann\x00"},
        {"cf_²": "Gold"},
        {"cf_" + "9" * 30: "Gold"},
    ],
)
def test_the_page_ignores_what_names_no_filter(web_a, world, query):
    page = web_a.get(reverse("crm:contact_list", kwargs={"slug": "alpha"}), query)
    assert page.status_code == 200
    assert page.context["count"].value >= 1


@pytest.mark.parametrize(
    "query",
    [
        {"custom[tier]": "Gold"},
        {"custom": "Gold"},
        {"custom[1]": "x" * 1001},
        {"custom[1]": "a\x00"},
    ],
)
def test_the_api_refuses_a_malformed_custom_filter(api_a, query):
    response = api_a.get("/api/v1/contacts/", query)
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert fields and {name.split(".")[0] for name in fields} == {"custom"}
