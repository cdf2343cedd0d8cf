"""Each CRM user's own columns and sort of the contacts, companies and deals lists:
chosen on a form, kept per user and list, and never a door to another CRM or to
sorting by what the list does not show."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from crm.models import CustomField, ListLayout
from crm.services.layouts import list_layout_save
from tests.browser_forms import form_data
from tests.crm.helpers import sign_in
from tests.factories import (
    ContactFactory,
    CrmUserFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)


def url(name: str, slug: str = "alpha") -> str:
    return reverse(f"crm:{name}", kwargs={"slug": slug})


def header(page: str) -> list[str]:
    """The list's column keys as its header row names them, in order."""
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return re.findall(r'name="sort" value="-?([\w]+)"', head)


def names_in_order(response) -> list[str]:
    return [record.name for record in response.context["page"].object_list]


@pytest.fixture
def tier(crm_a):
    return CustomField.objects.create(
        crm=crm_a, entity="contact", name="Tier", type="text"
    )


def test_chosen_columns_are_kept_for_that_user_only(
    admin, client, crm_a, crm_b, owner_a, staff_a, staff_b, tier
):
    ContactFactory(responsible=owner_a, name="Ann", custom={str(tier.pk): "Gold"})
    assert header(admin.get(url("contact_list")).content.decode()) == [
        "id",
        "name",
        "email",
        "phone",
        "responsible",
    ]
    form = admin.get(url("contact_layout")).content.decode()
    data = form_data(
        form,
        having="sort_by",
        show_id=[],
        show_phone=[],
        show_email="on",
        show_responsible="on",
        **{f"show_cf_{tier.pk}": "on", f"position_cf_{tier.pk}": "1"},
        position_email="3",
    )
    response = admin.post(url("contact_layout"), data)
    assert response.status_code == 302
    assert response.url == url("contact_list")
    page = admin.get(url("contact_list")).content.decode()
    assert header(page) == [f"cf_{tier.pk}", "name", "email", "responsible"]
    assert "Gold" in page

    # Another user of the same CRM, and one of another CRM, still see the default.
    colleague = Client()
    sign_in(colleague, staff_a)
    assert header(colleague.get(url("contact_list")).content.decode())[:2] == [
        "id",
        "name",
    ]
    other_crm = Client()
    sign_in(other_crm, staff_b)
    assert "phone" in header(
        other_crm.get(url("contact_list", "beta")).content.decode()
    )
    assert ListLayout.objects.filter(crm=crm_b).count() == 0
    assert list(ListLayout.objects.values_list("crm_user", "entity")) == [
        (owner_a.pk, "contact")
    ]
    # The companies list keeps its own layout.
    assert header(admin.get(url("company_list")).content.decode()) == [
        "id",
        "name",
        "responsible",
    ]


def test_the_name_column_stays_and_back_to_default(admin, crm_a):
    form = admin.get(url("company_layout")).content.decode()
    data = form_data(form, having="sort_by", show_id=[], show_responsible=[])
    admin.post(url("company_layout"), data)
    assert header(admin.get(url("company_list")).content.decode()) == ["name"]
    admin.post(url("company_layout"), {"reset": "1"})
    assert header(admin.get(url("company_list")).content.decode()) == [
        "id",
        "name",
        "responsible",
    ]


def test_another_crms_layout_cannot_be_touched(client, admin, crm_a, crm_b, staff_b):
    """A's session posting to B's layout page signs in at B; and the service
    keeps only the actor's own layout in the actor's own CRM."""
    before = ListLayout.objects.filter(crm=crm_b).count()
    response = admin.post(url("contact_layout", "beta"), {"sort": "name"})
    assert response.status_code == 302
    assert response.url.startswith(url("login", "beta"))
    assert ListLayout.objects.filter(crm=crm_b).count() == before
    from django.http import Http404

    with pytest.raises(Http404):
        list_layout_save(crm=crm_a, actor=staff_b, entity="contact", sort="name")
    assert not ListLayout.objects.filter(crm_user=staff_b).exists()


def test_sorting_by_a_standard_column_both_ways_and_ties_by_id(admin, owner_a):
    for name in ("Cleo", "Abe", "Bea", "Abe"):
        ContactFactory(responsible=owner_a, name=name)
    assert names_in_order(admin.get(url("contact_list"))) == [
        "Abe",
        "Bea",
        "Abe",
        "Cleo",
    ]  # newest first until the person sorts
    response = admin.post(url("contact_layout"), {"sort": "name", "q": "e"})
    assert response.status_code == 302
    assert response.url == url("contact_list") + "?q=e"
    ascending = admin.get(url("contact_list"))
    assert names_in_order(ascending) == ["Abe", "Abe", "Bea", "Cleo"]
    abes = [r.pk for r in ascending.context["page"].object_list][:2]
    assert abes == sorted(abes)
    page = ascending.content.decode()
    assert 'aria-sort="ascending"' in page
    # The sorted column's button now offers the other way.
    assert 'name="sort" value="-name"' in page

    admin.post(url("contact_layout"), {"sort": "-name"})
    descending = admin.get(url("contact_list"))
    assert names_in_order(descending) == ["Cleo", "Bea", "Abe", "Abe"]
    abes = [r.pk for r in descending.context["page"].object_list][2:]
    assert abes == sorted(abes, reverse=True)
    assert ListLayout.objects.get().sort == "-name"


def test_sorting_by_a_custom_column_puts_empty_values_last(admin, owner_a, tier):
    for name, value in (("Mid", "Silver"), ("None", None), ("Top", "Bronze")):
        custom = {str(tier.pk): value} if value else {}
        ContactFactory(responsible=owner_a, name=name, custom=custom)
    key = f"cf_{tier.pk}"
    assert names_in_order(admin.get(url("contact_list"), {"sort": key})) == [
        "Top",
        "Mid",
        "None",
    ]
    assert names_in_order(admin.get(url("contact_list"), {"sort": f"-{key}"})) == [
        "Mid",
        "Top",
        "None",
    ]
    # A sort in the query string is for that page: it is not kept.
    assert not ListLayout.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "password"},
        {"sort": "responsible__password"},
        {"sort": "-"},
        {"sort": "--name"},
        {"sort": "cf_999999999"},
        {"sort": "cf_²"},
        {"sort": "name; DROP TABLE crm_contact"},
        {"sort": "x" * 5000},
        {"sort": ["name", "email"], "columns": "password"},
        {"sort": "\x00"},
        {"page": "last", "sort": "__class__"},
    ],
)
def test_junk_in_the_query_string_is_ignored(admin, owner_a, query):
    ContactFactory(responsible=owner_a, name="Old")
    ContactFactory(responsible=owner_a, name="New")
    response = admin.get(url("contact_list"), query)
    assert response.status_code == 200
    if query["sort"] != ["name", "email"]:
        assert names_in_order(response)[:2] == ["New", "Old"]


@pytest.mark.parametrize(
    "data",
    [
        {"sort": "responsible__password"},
        {"sort": "cf_999999999"},
        {"sort": "x" * 300},
    ],
)
def test_a_sort_button_naming_no_column_saves_nothing(admin, data):
    response = admin.post(url("contact_layout"), data, follow=True)
    assert response.status_code == 200
    assert "This list cannot be sorted that way." in response.content.decode()
    assert not ListLayout.objects.exists()


def test_the_form_refuses_what_it_does_not_offer(admin):
    form = admin.get(url("contact_layout")).content.decode()
    bad_position = form_data(form, having="sort_by", position_email="first")
    response = admin.post(url("contact_layout"), bad_position)
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()
    bad_sort = form_data(form, having="sort_by", sort_by="responsible__password")
    response = admin.post(url("contact_layout"), bad_sort)
    assert response.status_code == 400
    assert not ListLayout.objects.exists()


def test_the_form_keeps_a_sort_and_the_filters(admin, owner_a):
    page = admin.get(url("contact_layout"), {"q": "ann", "junk": "1"})
    form = page.content.decode()
    data = form_data(form, having="sort_by", sort_by="email", descending="on")
    response = admin.post(url("contact_layout"), data)
    assert response.url == url("contact_list") + "?q=ann"
    assert ListLayout.objects.get().sort == "-email"


def test_deals_list_shows_status_and_pipeline_and_sorts_by_status(
    admin, crm_a, owner_a, django_assert_max_num_queries
):
    pipeline = PipelineFactory(crm=crm_a, name="Wholesale", position=0)
    first = PipelineStatusFactory(crm=crm_a, pipeline=pipeline, name="New", position=0)
    later = PipelineStatusFactory(
        crm=crm_a, pipeline=pipeline, name="Negotiation", position=1
    )
    DealFactory(responsible=owner_a, name="Later", pipeline=pipeline, status=later)
    for n in range(20):
        DealFactory(
            responsible=owner_a, name=f"First {n}", pipeline=pipeline, status=first
        )
    with django_assert_max_num_queries(12):
        response = admin.get(url("deal_list"), {"sort": "-status"})
    page = response.content.decode()
    assert "status" in header(page) and "pipeline" in header(page)
    assert names_in_order(response)[0] == "Later"
    assert 'class="chip chip-open"' in page
    assert ">Negotiation</span>" in page
    assert ">Wholesale</span>" in page


def test_a_user_without_the_right_to_view_gets_no_layout(client, crm_a):
    from crm.rights import rights_default

    rights = rights_default()
    rights["contact"]["view"] = "none"
    user = CrmUserFactory(crm=crm_a, role="user", rights=rights)
    sign_in(client, user)
    assert client.get(url("contact_layout")).status_code == 403
    assert client.post(url("contact_layout"), {"sort": "name"}).status_code == 403
    assert not ListLayout.objects.exists()


def test_a_deleted_custom_fields_column_disappears(admin, owner_a, tier):
    ContactFactory(responsible=owner_a, name="Ann")
    list_layout_save(
        crm=owner_a.crm,
        actor=owner_a,
        entity="contact",
        columns=["name", f"cf_{tier.pk}"],
        sort=f"cf_{tier.pk}",
    )
    tier.delete()
    response = admin.get(url("contact_list"))
    assert response.status_code == 200
    assert header(response.content.decode()) == ["name"]
