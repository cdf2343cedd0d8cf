"""Reading records in bulk through the API's lists is an export: it needs the
Export right, whose scope limits what a list holds as the View right's does. A key
acts as its CRM's owner, who holds every right; the rights still apply to whoever
the actor is, which these tests make a restricted user."""

import pytest
from django.urls import reverse

from crm.rights import rights_default
from crm.services.apikeys import api_key_authenticate
from tests.api.helpers import assert_error
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    CrmUserFactory,
    DealFactory,
)

LISTS = {"contact": "contacts", "company": "companies", "deal": "deals"}
FACTORIES = {"contact": ContactFactory, "company": CompanyFactory, "deal": DealFactory}


@pytest.fixture
def team(crm_a):
    group = CrmGroupFactory(crm=crm_a)
    return {
        "me": CrmUserFactory(crm=crm_a, group=group, name="Me"),
        "mate": CrmUserFactory(crm=crm_a, group=group, name="Mate"),
        "stranger": CrmUserFactory(crm=crm_a, name="Stranger"),
    }


@pytest.fixture
def records(team):
    """One record of each kind per person, by kind and then person."""
    return {
        entity: {who: factory(responsible=user) for who, user in team.items()}
        for entity, factory in FACTORIES.items()
    }


@pytest.fixture
def acting_as(monkeypatch, api_a):
    """The key's requests act as ``user`` instead of the owner: the API's own
    authentication runs, only the actor it finds is swapped."""

    def act(user):
        def authenticate(*, raw_key):
            api_key = api_key_authenticate(raw_key=raw_key)
            if api_key is not None:
                api_key.owner = user
            return api_key

        monkeypatch.setattr("crm.api.authentication.api_key_authenticate", authenticate)
        return api_a

    return act


def give(user, **scopes_by_action):
    """Set ``user``'s scope per action (view=..., export=...) on every kind."""
    rights = rights_default()
    for entity in rights:
        rights[entity].update(scopes_by_action)
    user.rights = rights
    user.save(update_fields=["rights"])


def listed(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_owners_key_lists_every_record(api_a, records):
    for entity, path in LISTS.items():
        expected = {record.pk for record in records[entity].values()}
        assert listed(api_a.get(f"/api/v1/{path}/")) == expected


@pytest.mark.parametrize("entity", LISTS)
def test_no_export_right_is_a_403_but_one_record_still_reads(
    acting_as, team, records, entity
):
    give(team["me"], view="all", export="none")
    api = acting_as(team["me"])
    error = assert_error(api.get(f"/api/v1/{LISTS[entity]}/"), 403, "permission_denied")
    assert "Export" in error["message"]
    one = records[entity]["stranger"]
    assert api.get(f"/api/v1/{LISTS[entity]}/{one.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("view", "export", "expected"),
    [
        ("all", "own", {"me"}),
        ("all", "group", {"me", "mate"}),
        ("all", "all", {"me", "mate", "stranger"}),
        # Both rights apply: a list never shows what the user may not view.
        ("own", "all", {"me"}),
        ("group", "own", {"me"}),
    ],
)
def test_the_export_scope_limits_the_list_as_the_view_scope_does(
    acting_as, team, records, view, export, expected
):
    give(team["me"], view=view, export=export)
    api = acting_as(team["me"])
    for entity, path in LISTS.items():
        wanted = {records[entity][who].pk for who in expected}
        assert listed(api.get(f"/api/v1/{path}/")) == wanted, entity


def test_one_kinds_export_right_opens_that_kind_only(acting_as, team, records):
    rights = rights_default()
    rights["deal"]["export"] = "all"
    team["me"].rights = rights
    team["me"].save(update_fields=["rights"])
    api = acting_as(team["me"])
    assert len(listed(api.get("/api/v1/deals/"))) == 3
    assert_error(api.get("/api/v1/contacts/"), 403, "permission_denied")
    assert_error(api.get("/api/v1/companies/"), 403, "permission_denied")


def test_notes_are_listed_as_their_records_may_be_exported(
    acting_as, api_a, team, records
):
    notes = {}
    for entity, path in LISTS.items():
        for who, record in records[entity].items():
            response = api_a.post(
                "/api/v1/notes/",
                {"entity": entity, "record_id": record.pk, "text": f"{who} {path}"},
            )
            assert response.status_code == 201, response.content
            notes[(entity, who)] = response.json()["id"]
    rights = rights_default()  # view all, export none
    rights["contact"]["export"] = "own"
    rights["deal"]["export"] = "group"
    team["me"].rights = rights
    team["me"].save(update_fields=["rights"])
    api = acting_as(team["me"])

    assert listed(api.get("/api/v1/notes/")) == {
        notes[("contact", "me")],
        notes[("deal", "me")],
        notes[("deal", "mate")],
    }
    stranger_company = records["company"]["stranger"].pk
    assert listed(api.get("/api/v1/notes/", {"company_id": stranger_company})) == set()
    # One note is a read of its record, on the View right.
    one = notes[("company", "stranger")]
    assert api.get(f"/api/v1/notes/{one}/").status_code == 200

    give(team["me"], view="all", export="none")
    assert_error(api.get("/api/v1/notes/"), 403, "permission_denied")


def test_an_inactive_actor_lists_nothing(acting_as, team, records):
    give(team["me"], view="all", export="all")
    team["me"].is_active = False
    team["me"].save(update_fields=["is_active"])
    api = acting_as(team["me"])
    assert api.get("/api/v1/contacts/").status_code == 403


@pytest.mark.parametrize("entity", LISTS)
def test_the_list_pages_stay_on_the_view_right(client, crm_a, team, records, entity):
    give(team["me"], view="all", export="none")
    client.post(
        reverse("crm:login", kwargs={"slug": crm_a.slug}),
        {"email": team["me"].email, "password": DEFAULT_PASSWORD},
    )
    page = client.get(reverse(f"crm:{entity}_list", kwargs={"slug": crm_a.slug}))
    assert page.status_code == 200
    shown = {record.pk for record in page.context["page"].object_list}
    assert shown == {record.pk for record in records[entity].values()}
