"""Ids that cannot be one never answer 500.

Every parameter of a page, a form, a query string or the API that takes an id is
fed text that is not an id: letters, an empty value, an exponent, a superscript
digit, a sign, more digits than a 64-bit id holds, and SQL. Each answers 400 (a
form: its own page, with the field's error) or 404, and changes nothing. An empty
value means "not chosen" wherever a form offers that, so it is only held to never
answering 5xx.

Two page parameters are read as filters and selections rather than names of a
row, and ignore what names none, by design (tests/test_list_filters.py and
tests/crm/test_records_views.py pin it): a list's ``responsible`` and ``cf_<id>``,
and the bulk deletion's ticked ``ids``. They are fed the same junk here, held to
that and to changing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, reverse

import billing.urls as billing_urls
from crm import urls as crm_urls
from crm.models import (
    ApiKey,
    Company,
    Contact,
    CrmGroup,
    CrmUser,
    CustomField,
    Deal,
    Note,
    Pipeline,
    PipelineStatus,
)
from crm.services.apikeys import api_key_create
from portal import urls as portal_urls
from tests.api.helpers import api_client, assert_error
from tests.browser_forms import form_data
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    DealFactory,
)
from tests.test_cross_tenant import _patterns

JUNK = ["abc", "1e3", "²", "-1", "9" * 30, "1;DROP"]
EMPTY = ""
STATE_MODELS = (
    ApiKey,
    Company,
    Contact,
    CrmGroup,
    CrmUser,
    CustomField,
    Deal,
    Note,
    Pipeline,
    PipelineStatus,
)


def state() -> dict:
    """Every row a request could change, as it is now."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in STATE_MODELS
    }


@pytest.fixture
def world(client, crm_a, staff_a):
    """CRM A with one thing of each kind, its owner signed in to ``client``."""
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    response = client.post(
        reverse("crm:login", kwargs={"slug": crm_a.slug}),
        {"email": owner.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    deal = DealFactory(responsible=owner)
    CustomField.objects.create(crm=crm_a, entity="contact", name="Tier", type="text")
    return {
        "owner": owner,
        "staff": staff_a,
        "deal": deal,
        "contact": ContactFactory(responsible=staff_a),
        "company": CompanyFactory(responsible=staff_a),
        "group": CrmGroupFactory(crm=crm_a),
        "status": deal.status,
    }


# --- the pages and their forms ---------------------------------------------------


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    param: str
    # Route kwargs: a world key ("deal") stands for that object's id.
    kwargs: dict = field(default_factory=dict)
    # Sent besides the parameter under test (typed into the form, if there is one).
    data: dict = field(default_factory=dict)
    # The route whose page holds the form: its fields are sent as the page offers
    # them, found by a field the form has (the parameter itself unless a picker
    # shows none while nothing is chosen). None: a query's or a button's value.
    form_on: str | None = None
    form_kwargs: dict | None = None
    having: str | None = None
    # A filter or selection that ignores what names no row (see the docstring).
    ignored_with: int | None = None

    def __str__(self) -> str:
        return f"{self.method}-{self.route}-{self.param}"


def _form(route: str, param: str, **kwargs) -> Case:
    """A POST of the form on ``route``'s own page."""
    return Case("post", route, param, form_on=route, **kwargs)


NEW_USER = {"name": "Nia New", "email": "nia@example.com", "invite": "on"}
PAGE_CASES = [
    *(
        Case("get", f"{entity}_list", "responsible", ignored_with=200)
        for entity in ("contact", "company", "deal")
    ),
    Case("get", "deals_board", "pipeline_id"),
    Case(
        "get", "deals_board_column", "after", {"status_id": "status"}, ignored_with=200
    ),
    *(
        Case("get", "record_picker", name, {"entity": entity}, {"field": name})
        for entity, name in (
            ("company", "company"),
            ("company", "companies"),
            ("contact", "contacts"),
        )
    ),
    *(
        Case(
            "post",
            f"{entity}_bulk_delete",
            "ids",
            data={"confirm": "1", "confirmed_count": "1"},
            form_on=f"{entity}_list",
            ignored_with=302,
        )
        for entity in ("contact", "company", "deal")
    ),
    Case(
        "post",
        "deal_move",
        "status_id",
        {"record_id": "deal"},
        form_on="deals_board",
        form_kwargs={},
    ),
    # Buttons: their value is the id.
    Case("post", "custom_fields", "delete"),
    Case("post", "pipelines", "delete_status"),
    _form("pipelines", "pipeline_id", data={"name": "Next step"}),
    _form("user_deactivate", "recipient", kwargs={"crm_user_id": "staff"}),
    _form("user_delete", "recipient", kwargs={"crm_user_id": "staff"}),
    _form("user_add", "group", data=NEW_USER),
    _form("user_edit", "group", kwargs={"crm_user_id": "staff"}),
    _form("contact_new", "responsible", data={"name": "Zoe"}),
    _form("contact_new", "companies", data={"name": "Zoe"}, having="name"),
    _form("contact_edit", "companies", kwargs={"record_id": "contact"}, having="name"),
    _form("company_new", "responsible", data={"name": "Zeta"}),
    _form("deal_new", "status", data={"name": "Zap"}),
    _form("deal_new", "company", data={"name": "Zap"}),
    _form("deal_new", "contacts", data={"name": "Zap"}, having="name"),
    _form("deal_edit", "status", kwargs={"record_id": "deal"}),
]


def _url(route: str, kwargs: dict, world) -> str:
    kwargs = {
        key: world[value].pk if value in world else value
        for key, value in kwargs.items()
    }
    return reverse(f"crm:{route}", kwargs={"slug": "alpha", **kwargs})


def _send(client, world, case: Case, value: str):
    data = {**case.data, case.param: value}
    if case.form_on:
        form_kwargs = case.kwargs if case.form_kwargs is None else case.form_kwargs
        page = client.get(_url(case.form_on, form_kwargs, world))
        assert page.status_code == 200
        having = case.having or case.param
        data = form_data(page.content.decode(), having=having, **data)
    return getattr(client, case.method)(_url(case.route, case.kwargs, world), data)


def _page_params():
    for case in PAGE_CASES:
        for junk in JUNK:
            yield pytest.param(case, junk, id=f"{case}-{junk}")


@pytest.mark.parametrize(("case", "junk"), list(_page_params()))
def test_a_page_answers_a_malformed_id_with_400_or_404(client, world, case, junk):
    client.raise_request_exception = False
    before = state()

    response = _send(client, world, case, junk)

    expected = {case.ignored_with} if case.ignored_with else {400, 404}
    assert response.status_code in expected, response.content[:300]
    assert state() == before


@pytest.mark.parametrize("case", PAGE_CASES, ids=str)
def test_a_page_takes_an_empty_id_as_not_chosen(client, world, case):
    client.raise_request_exception = False
    assert _send(client, world, case, EMPTY).status_code < 500


@pytest.mark.parametrize("junk", [*JUNK, EMPTY])
def test_a_custom_field_filter_that_names_no_field_is_ignored(client, world, junk):
    before = state()
    response = client.get(
        reverse("crm:contact_list", kwargs={"slug": "alpha"}), {f"cf_{junk}": "Gold"}
    )
    assert response.status_code == 200
    assert response.context["count"].value == 1
    assert state() == before


ID_PARAMETERS = {
    "crm_user_id",
    "group_id",
    "record_id",
    "job_id",
    "api_key_id",
    "crm_id",
    "export_id",
    "status_id",
    "pipeline_id",
}


def _routes_with_ids() -> list[tuple[str, URLPattern]]:
    routes = []
    for namespace, module in (
        ("crm", crm_urls),
        ("portal", portal_urls),
        ("billing", billing_urls),
    ):
        routes += [
            (namespace, pattern)
            for pattern in _patterns(module)
            if set(pattern.pattern.regex.groupindex) & ID_PARAMETERS
        ]
    return routes


@pytest.mark.parametrize(
    ("namespace", "pattern"), _routes_with_ids(), ids=lambda x: getattr(x, "name", x)
)
def test_an_id_too_long_for_the_database_in_an_address_is_a_404(
    client, world, crm_a, namespace, pattern
):
    # An address takes digits only (<int:...>): other junk is no route at all.
    client.force_login(crm_a.owner)
    client.raise_request_exception = False
    params = set(pattern.pattern.regex.groupindex)
    kwargs = dict.fromkeys(params & ID_PARAMETERS, "9" * 30)
    if namespace == "crm":
        kwargs["slug"] = "alpha"
    if "action" in params:
        kwargs["action"] = "archive"
    url = reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)
    before = state()
    for method in ("get", "post"):
        response = getattr(client, method)(url, {"name": "Renamed"})
        assert response.status_code in (404, 405), (method, url)
    assert state() == before


# --- the API -------------------------------------------------------------------------


@pytest.fixture
def api(world, crm_a):
    _api_key, raw = api_key_create(crm=crm_a, name="Junk", created_by=world["owner"])
    client = api_client(raw)
    client.raise_request_exception = False
    # The key's first use notes the time; the requests under test change nothing.
    assert client.get("/api/v1/crm/").status_code == 200
    return client


API_QUERY_CASES = [
    ("contacts", "responsible_id"),
    ("companies", "responsible_id"),
    ("deals", "responsible_id"),
    ("deals", "pipeline_id"),
    ("deals", "status_id"),
    ("deals", "company_id"),
    ("notes", "contact_id"),
    ("notes", "company_id"),
    ("notes", "deal_id"),
]


@pytest.mark.parametrize(("path", "param"), API_QUERY_CASES)
@pytest.mark.parametrize("junk", [*JUNK, EMPTY])
def test_an_api_list_refuses_a_malformed_id_filter(api, path, param, junk):
    response = api.get(f"/api/v1/{path}/", {param: junk})
    error = assert_error(response, 400, "invalid")
    assert param in error["fields"]


@pytest.mark.parametrize("path", ["contacts", "companies", "deals"])
@pytest.mark.parametrize("junk", [*JUNK, EMPTY])
def test_an_api_custom_filter_with_a_malformed_field_id_is_refused(api, path, junk):
    response = api.get(f"/api/v1/{path}/", {f"custom[{junk}]": "Gold"})
    assert_error(response, 400, "invalid")


def _as_sent(param: str, junk: str):
    if param.endswith("_ids") or param == "ids":
        return [junk]
    if param == "custom":
        return {junk: "x"}
    return junk


API_BODY_CASES = [
    ("post", "contacts", "responsible_id", {"name": "Zoe"}),
    ("post", "contacts", "company_ids", {"name": "Zoe"}),
    ("post", "contacts", "custom", {"name": "Zoe"}),
    ("post", "companies", "responsible_id", {"name": "Zeta"}),
    ("post", "deals", "pipeline_id", {"name": "Zap"}),
    ("post", "deals", "status_id", {"name": "Zap"}),
    ("post", "deals", "company_id", {"name": "Zap"}),
    ("post", "deals", "contact_ids", {"name": "Zap"}),
    ("patch", "contacts/{contact}", "company_ids", {}),
    ("patch", "deals/{deal}", "status_id", {}),
    ("post", "contacts/bulk-delete", "ids", {}),
    ("post", "companies/bulk-delete", "ids", {}),
    ("post", "deals/bulk-delete", "ids", {}),
    ("post", "notes", "record_id", {"entity": "contact", "text": "Hi"}),
]


@pytest.mark.parametrize(
    ("method", "path", "param", "data"),
    API_BODY_CASES,
    ids=[f"{m}-{p}-{n}" for m, p, n, _d in API_BODY_CASES],
)
@pytest.mark.parametrize("junk", [*JUNK, EMPTY])
def test_an_api_body_with_a_malformed_id_is_refused(
    api, world, method, path, param, data, junk
):
    url = "/api/v1/" + path.format(**{k: v.pk for k, v in world.items()}) + "/"
    before = state()
    response = getattr(api, method)(
        url, {**data, param: _as_sent(param, junk)}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    # A list's item is named by its place: company_ids.0
    assert {name.split(".")[0] for name in error["fields"]} == {param}
    assert state() == before


@pytest.mark.parametrize(
    "path",
    [
        "contacts",
        "companies",
        "deals",
        "notes",
        "users",
        "groups",
        "pipelines",
        "custom-fields",
    ],
)
@pytest.mark.parametrize("junk", [*JUNK, "%C2%B2", "1%3BDROP"])
def test_an_api_address_with_a_malformed_id_is_a_404(api, path, junk):
    before = state()
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(f"/api/v1/{path}/{junk}/", {}, format="json")
        assert_error(response, 404, "not_found")
    assert state() == before


# --- the portal and billing ---------------------------------------------------------


@pytest.mark.parametrize("junk", [*JUNK, EMPTY])
def test_a_ledger_page_number_that_is_no_number_shows_a_page(client, crm_a, junk):
    client.force_login(crm_a.owner)
    url = reverse("billing:crm_billing", kwargs={"crm_id": crm_a.pk})
    assert client.get(url, {"page": junk}).status_code == 200
