"""Lists of contacts and companies can show every phone and e-mail (and a
company's website and address), chosen on the Columns page, sorted by the first
one, and exported as the list shows them."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from crm.services.records import company_save, contact_save
from tests.browser_forms import form_data


def _choose_columns(client, crm, entity: str, keys: list[str]) -> None:
    """On the list's Columns page: tick ``keys`` (the name always shows), untick
    the rest, in that order."""
    url = reverse(f"crm:{entity}_layout", kwargs={"slug": crm.slug})
    page = client.get(url).content.decode()
    data = form_data(page, having="position_name")
    for key in [k.removeprefix("show_") for k in list(data) if k.startswith("show_")]:
        del data[f"show_{key}"]
    for position, key in enumerate(["name", *keys], start=1):
        assert f'name="position_{key}"' in page, key
        data[f"position_{key}"] = [str(position)]
        if key != "name":
            data[f"show_{key}"] = ["on"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def _company(crm, actor, name, phones, emails, **data):
    return company_save(
        crm=crm,
        actor=actor,
        data={"name": name, **data},
        phones=[("WORK", number) for number in phones],
        emails=[("WORK", address) for address in emails],
    )


@pytest.fixture
def companies(crm_a, owner_a):
    return [
        _company(
            crm_a,
            owner_a,
            "Acme",
            ["044 555 66 77", "+380 67 123 45 67"],
            ["sales@acme.example", "boss@acme.example"],
            website="acme.example",
            address="Kyiv, Khreshchatyk 1",
        ),
        _company(crm_a, owner_a, "Bravo", ["032 000 11 22"], [], website=""),
        _company(crm_a, owner_a, "Zulu", [], ["zulu@example.com"]),
    ]


def test_a_companys_list_shows_all_its_phones_emails_website_and_address(
    admin, crm_a, owner_a, companies, django_assert_max_num_queries
):
    _choose_columns(admin, crm_a, "company", ["phones", "emails", "website", "address"])
    url = reverse("crm:company_list", kwargs={"slug": crm_a.slug})
    first = admin.get(url)
    # More companies cost no more queries: their phones and e-mails come in one
    # query each for the whole page.
    for n in range(20):
        _company(crm_a, owner_a, f"More {n}", [f"050 000 00 {n:02d}"], [f"m{n}@x.io"])
    with django_assert_max_num_queries(14):
        page = admin.get(url).content.decode()
    assert first.status_code == 200

    assert 'data-column="phones" class="col-points"' in page
    assert "044 555 66 77, +380 67 123 45 67" in page
    assert "sales@acme.example, boss@acme.example" in page
    assert "acme.example" in page and "Kyiv, Khreshchatyk 1" in page
    assert "More 19" in page and "050 000 00 19" in page

    # Sorted by the first phone: Bravo's 032 before Acme's 044; none last.
    sorted_page = admin.get(url, {"sort": "phones"}).content.decode()
    places = [sorted_page.index(f">{name}<") for name in ("Bravo", "Acme", "Zulu")]
    assert places == sorted(places)


def test_the_export_holds_every_phone_and_email_in_both_formats(
    admin, crm_a, owner_a, companies
):
    _choose_columns(admin, crm_a, "company", ["phones", "emails", "website", "address"])
    url = reverse("crm:company_export", kwargs={"slug": crm_a.slug})

    response = admin.get(url, {"q": "acme", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["Name", "All phones", "All emails", "Website", "Address"],
        [
            "Acme",
            "044 555 66 77, +380 67 123 45 67",
            "sales@acme.example, boss@acme.example",
            "acme.example",
            "Kyiv, Khreshchatyk 1",
        ],
    ]

    # A phone starting with + is text a spreadsheet keeps as text, not a formula.
    _company(crm_a, owner_a, "Plus", ["+380 44 000 00 00"], [])
    response = admin.get(url, {"q": "plus", "format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = list(workbook.active.iter_rows(min_row=2, values_only=True))
    assert cells == [("Plus", "+380 44 000 00 00", None, None, None)]


def test_a_contacts_list_and_export_show_its_second_phone(admin, crm_a, owner_a):
    contact_save(
        crm=crm_a,
        actor=owner_a,
        data={"name": "Olga"},
        phones=[("MOB", "067 123 45 67"), ("WORK", "044 555 66 77")],
        emails=[("WORK", "olga@work.example"), ("PRIV", "olga@home.example")],
    )
    _choose_columns(admin, crm_a, "contact", ["phone", "phones", "emails"])

    page = admin.get(reverse("crm:contact_list", kwargs={"slug": crm_a.slug}))
    assert "067 123 45 67, 044 555 66 77" in page.content.decode()
    response = admin.get(
        reverse("crm:contact_export", kwargs={"slug": crm_a.slug}), {"format": "csv"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Phone", "All phones", "All emails"],
        [
            "Olga",
            "067 123 45 67",
            "067 123 45 67, 044 555 66 77",
            "olga@work.example, olga@home.example",
        ],
    ]
