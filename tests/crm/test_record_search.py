"""Search over every phone and e-mail of a record, and lists paged by keyset:
the same records on the list page and through the API, only the CRM's own."""

import pytest
from django.urls import reverse

from crm.models import Contact, CrmUser
from crm.selectors import paging
from crm.selectors.records import RecordFilters, records_list
from crm.services.apikeys import api_key_create
from crm.services.records import company_save, contact_save
from tests.api.helpers import api_client
from tests.crm.helpers import sign_in
from tests.factories import ContactFactory, DealFactory


@pytest.fixture
def people(crm_a, crm_b, owner_a):
    """Olha has two phones and two e-mails; a contact of CRM B has the same."""
    owner_b = CrmUser.objects.get(crm=crm_b, role="owner")
    points = {
        "phones": [("MOB", "+380 67 123 45 67"), ("WORK", "(044) 555-12-34")],
        "emails": [("WORK", "olha@corp.example"), ("PRIV", "o.kravets@mail.example")],
    }
    olha = contact_save(crm=crm_a, actor=owner_a, data={"name": "Olha"}, **points)
    other = contact_save(
        crm=crm_a,
        actor=owner_a,
        data={"name": "Taras"},
        phones=[("MOB", "+380 50 765 43 21")],
        emails=[("WORK", "taras@corp.example")],
    )
    company = company_save(
        crm=crm_a,
        actor=owner_a,
        data={"name": "Kravets Ltd"},
        phones=[("WORK", "+380 44 999 88 77")],
        emails=[("WORK", "office@kravets.example")],
    )
    contact_save(crm=crm_b, actor=owner_b, data={"name": "Olha"}, **points)
    return {"olha": olha, "taras": other, "company": company}


def _found(crm, actor, entity, q):
    records = records_list(
        crm=crm, actor=actor, entity=entity, filters=RecordFilters(q=q)
    )
    return set(records.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "q",
    [
        "+380 67 123 45 67",
        "0671234567",
        "67-123-45-67",
        "380671234567",
        "(067) 123 45 67",
        "123 45",  # a fragment of the digits
        "555-12",  # of the second phone
        "0445551234",
        "olha@corp",
        "KRAVETS@MAIL",  # the second e-mail, in any case
        "mail.example",
        "olh",  # the name
    ],
)
def test_a_contact_is_found_by_any_of_its_phones_and_emails(crm_a, owner_a, people, q):
    assert _found(crm_a, owner_a, "contact", q) == {people["olha"].pk}


@pytest.mark.parametrize("q", ["+380 50 765 43 21", "0507654321", "50-765-43-21"])
def test_a_number_finds_only_its_owner(crm_a, owner_a, people, q):
    assert _found(crm_a, owner_a, "contact", q) == {people["taras"].pk}


@pytest.mark.parametrize(
    "q", ["0449998877", "999-88", "kravets.example", "kravets ltd"]
)
def test_a_company_is_found_by_its_phones_emails_and_name(crm_a, owner_a, people, q):
    assert _found(crm_a, owner_a, "company", q) == {people["company"].pk}


@pytest.mark.parametrize("q", ["Zqxwv", "12", "+380 99 000 00 00", "nobody@"])
def test_no_match_finds_nothing(crm_a, owner_a, people, q):
    assert _found(crm_a, owner_a, "contact", q) == set()


def test_a_search_finds_several_records_once_each(crm_a, owner_a, people):
    # Both contacts have an address at corp.example; Olha matches twice.
    assert _found(crm_a, owner_a, "contact", "corp.example") == {
        people["olha"].pk,
        people["taras"].pk,
    }
    assert records_list(
        crm=crm_a, actor=owner_a, entity="contact", filters=RecordFilters(q="o")
    ).count() == len(_found(crm_a, owner_a, "contact", "o"))


def test_deals_are_searched_by_name(crm_a, owner_a):
    deal = DealFactory(responsible=owner_a, name="Roof for Kravets")
    DealFactory(responsible=owner_a, name="Windows")
    assert _found(crm_a, owner_a, "deal", "kravets") == {deal.pk}


def test_the_list_page_and_the_api_find_the_same(client, crm_a, owner_a, people):
    sign_in(client, owner_a)
    _key, raw = api_key_create(crm=crm_a, name="k", created_by=owner_a)
    api = api_client(raw)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    for q in ("+380 67 123 45 67", "0671234567", "67-123-45-67", "mail.example"):
        page = client.get(url, {"q": q})
        assert [r.pk for r in page.context["page"]] == [people["olha"].pk]
        rows = api.get("/api/v1/contacts/", {"q": q}).json()["results"]
        assert [row["id"] for row in rows] == [people["olha"].pk]


# --- keyset paging ----------------------------------------------------------------


def _walk(client, url, params, step):
    """Every page of a list, following its Next (or Previous) links."""
    seen, query = [], dict(params)
    for _ in range(50):
        response = client.get(url, query)
        assert response.status_code == 200
        seen.append([record.pk for record in response.context["page"]])
        link = response.context[f"{step}_link"]
        if not link:
            return seen, response
        key, value = link.split("=", 1)
        query = {**params, key: value}
    raise AssertionError("the pages never end")


@pytest.mark.parametrize("sort", ["", "name", "-name", "email", "-created_at"])
def test_pages_follow_each_other_without_repeats_or_gaps(client, crm_a, owner_a, sort):
    for n in range(120):
        ContactFactory(
            responsible=owner_a,
            name=f"Same name {n % 3}",
            email="" if n % 4 == 0 else f"p{n % 7}@x.example",
        )
    sign_in(client, owner_a)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    params = {"sort": sort} if sort else {}
    pages, last = _walk(client, url, params, "next")
    assert [len(page) for page in pages] == [50, 50, 20]
    expected = [r.pk for r in client.get(url, {**params}).context["page"]]
    assert pages[0] == expected
    assert sorted([pk for page in pages for pk in page]) == sorted(
        Contact.objects.filter(crm=crm_a).values_list("pk", flat=True)
    )
    assert last.context["count"].value == 120 and last.context["count"].exact
    # And back again from the last page.
    back = last.context["previous_link"].split("=", 1)
    backwards, first = _walk(client, url, {**params, back[0]: back[1]}, "previous")
    assert backwards == [pages[1], pages[0]]
    assert not first.context["previous_link"]


def test_a_custom_field_sort_pages_through_empty_values(client, crm_a, owner_a):
    from crm.models import CustomField

    field = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Tier", type="text"
    )
    for n in range(60):
        value = {} if n % 2 else {str(field.pk): f"t{n % 5}"}
        ContactFactory(responsible=owner_a, custom=value)
    sign_in(client, owner_a)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    for sort in (f"cf_{field.pk}", f"-cf_{field.pk}"):
        pages, _last = _walk(client, url, {"sort": sort}, "next")
        ids = [pk for page in pages for pk in page]
        assert len(ids) == len(set(ids)) == 60


@pytest.mark.parametrize(
    "cursor", ["", "garbage", "W10", "WyJ4Il0", "WyIyMDI2LTk5Il0", "x" * 3000]
)
def test_a_cursor_that_does_not_fit_starts_at_the_beginning(
    client, crm_a, owner_a, cursor
):
    for _ in range(55):
        ContactFactory(responsible=owner_a)
    sign_in(client, owner_a)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    first = [r.pk for r in client.get(url).context["page"]]
    for key in ("after", "before"):
        response = client.get(url, {key: cursor})
        assert response.status_code == 200
        assert [r.pk for r in response.context["page"]] == first
    # A created_at cursor on the id sort: values of the wrong kind.
    response = client.get(url, {"after": paging.cursor_encode(["not a number"])})
    assert [r.pk for r in response.context["page"]] == first


def test_a_large_list_is_counted_only_up_to_the_limit(
    client, crm_a, owner_a, monkeypatch
):
    monkeypatch.setattr(paging, "COUNT_LIMIT", 60)
    for _ in range(70):
        ContactFactory(responsible=owner_a)
    sign_in(client, owner_a)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    response = client.get(url)
    count = response.context["count"]
    assert (count.value, count.exact) == (60, False)
    body = response.content.decode()
    assert "More than 60 records" in body
    assert "Delete all matching records" in body


def test_another_crms_records_never_page_in(client, crm_a, crm_b, owner_a):
    owner_b = CrmUser.objects.get(crm=crm_b, role="owner")
    mine = [ContactFactory(responsible=owner_a).pk for _ in range(60)]
    theirs = ContactFactory(responsible=owner_b)
    sign_in(client, owner_a)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    # A cursor made from B's newest contact still lists only A's.
    response = client.get(url, {"after": paging.cursor_encode([theirs.pk + 1])})
    assert set(r.pk for r in response.context["page"]) <= set(mine)
    pages, _ = _walk(client, url, {}, "next")
    assert sorted([pk for page in pages for pk in page]) == sorted(mine)


def test_a_text_with_a_space_is_looked_for_in_names(crm_a, owner_a, people):
    full = contact_save(crm=crm_a, actor=owner_a, data={"name": "Olha Kravets"})
    assert _found(crm_a, owner_a, "contact", "olha krav") == {full.pk}
    assert _found(crm_a, owner_a, "contact", "corp .example") == set()


@pytest.mark.parametrize("limit", [0, 1, 4])
@pytest.mark.parametrize(
    "q", ["o", "ol", "olena", "corp.example", "+380 67 123 45 67", "123 45", "Zqxwv"]
)
def test_a_search_that_finds_many_finds_the_same_records(
    crm_a, owner_a, people, monkeypatch, q, limit
):
    """Past ``SEARCH_IDS_MAX`` matches, in one part or in the parts together,
    the records are tested one by one: the same records as through the
    indexes."""
    from crm.selectors import records as selectors

    for n in range(5):
        ContactFactory(
            responsible=owner_a, name=f"Olena {n}", email=f"o{n}@corp.example"
        )
    # Found by an e-mail alone, and by two of its e-mails at once.
    for name, emails in (
        ("Ivan", [("WORK", "olena.ivan@corp.example")]),
        ("Petro", [("WORK", "olena@mail.example"), ("PRIV", "olena@corp.example")]),
    ):
        contact_save(crm=crm_a, actor=owner_a, data={"name": name}, emails=emails)
    through_indexes = _found(crm_a, owner_a, "contact", q)
    monkeypatch.setattr(selectors, "SEARCH_IDS_MAX", limit)
    assert _found(crm_a, owner_a, "contact", q) == through_indexes
    if q != "Zqxwv":
        assert through_indexes


@pytest.mark.parametrize("sort", ["", "name"])
def test_a_later_page_starts_reading_at_its_cursor(client, crm_a, owner_a, sort):
    """An id or a required name is never empty, so the page after a cursor is
    the rows beyond it alone, which PostgreSQL reads from the cursor on in the
    order's index (with "or empty" it read every row before it, too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(60):
        ContactFactory(responsible=owner_a, name=f"Name {n:02d}")
    sign_in(client, owner_a)
    url = reverse("crm:contact_list", kwargs={"slug": crm_a.slug})
    params = {"sort": sort} if sort else {}
    first = client.get(url, params)
    key, value = first.context["next_link"].split("=", 1)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url, {**params, key: value})
    page_query = next(q["sql"] for q in queries if "keyset_value_0" in q["sql"])
    assert "IS NULL" not in page_query
    shown = [r.pk for r in first.context["page"]] + [
        r.pk for r in second.context["page"]
    ]
    assert len(shown) == len(set(shown)) == 60
