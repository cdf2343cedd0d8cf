"""Exporting a list as its person sees it: search, filters, sort and chosen
columns, as CSV or XLSX, with the Export right, and no formula left to run."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from crm.models import CrmUser, ListLayout
from crm.rights import rights_default
from tests.crm.helpers import sign_in
from tests.factories import ContactFactory, CrmUserFactory, DealFactory

ATTACKS = ['=HYPERLINK("http://x","y")', "+380501234567", "@SUM(1)", "-2+3"]


def _xlsx_rows(response) -> list[list]:
    content = b"".join(response.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _export_url(crm, entity="contact") -> str:
    return reverse(f"crm:{entity}_export", kwargs={"slug": crm.slug})


@pytest.fixture
def contacts(crm_a, owner_a, staff_a):
    ContactFactory(responsible=owner_a, name="Olga Shop", email="olga@shop.example")
    ContactFactory(responsible=staff_a, name="Ivan Shop", phone="+380671112233")
    ContactFactory(responsible=owner_a, name="Petro Farm")


def test_the_list_page_offers_export_with_its_filters_and_format(
    admin, crm_a, owner_a, contacts
):
    page = admin.get(
        reverse("crm:contact_list", kwargs={"slug": crm_a.slug}),
        {"q": "shop", "responsible": owner_a.pk},
    ).content.decode()
    assert _export_url(crm_a) in page
    # The export form is a GET form: read its fields from the page's HTML.
    start = page.index('data-testid="export-form"')
    form = page[page.rindex("<form", 0, start) : page.index("</form>", start)]
    assert 'name="q" value="shop"' in form
    assert f'name="responsible" value="{owner_a.pk}"' in form
    assert '<option value="xlsx">' in form and '<option value="csv">' in form

    response = admin.get(
        _export_url(crm_a), {"q": "shop", "responsible": owner_a.pk, "format": "xlsx"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = _xlsx_rows(response)
    assert rows[0] == ["ID", "Name", "Email", "Phone", "Responsible"]
    assert [row[1] for row in rows[1:]] == ["Olga Shop"]
    assert rows[1][2:] == ["olga@shop.example", None, owner_a.name]


def test_csv_follows_the_chosen_columns_and_sort(admin, crm_a, owner_a, contacts):
    ListLayout.objects.create(
        crm=crm_a, crm_user=owner_a, entity="contact", columns=["name", "phone"]
    )

    response = admin.get(_export_url(crm_a), {"format": "csv", "sort": "name"})

    rows = _csv_rows(response)
    assert rows[0] == ["Name", "Phone"]
    # A phone starting with "+" is quoted so a spreadsheet does not add it up.
    assert rows[1:] == [
        ["Ivan Shop", "'+380671112233"],
        ["Olga Shop", ""],
        ["Petro Farm", ""],
    ]


def test_export_needs_the_export_right(client, crm_a, contacts):
    staff = CrmUserFactory(crm=crm_a)  # default rights: export none
    sign_in(client, staff)
    list_page = client.get(reverse("crm:contact_list", kwargs={"slug": crm_a.slug}))
    assert _export_url(crm_a) not in list_page.content.decode()
    for file_format in ("csv", "xlsx"):
        response = client.get(_export_url(crm_a), {"format": file_format})
        assert response.status_code == 403


def test_export_holds_only_what_the_person_may_view_and_export(client, crm_a, contacts):
    rights = rights_default()
    rights["contact"]["export"] = "own"
    staff = CrmUserFactory(crm=crm_a, rights=rights)
    ContactFactory(responsible=staff, name="Staff's own")
    sign_in(client, staff)

    rows = _xlsx_rows(client.get(_export_url(crm_a), {"format": "xlsx"}))

    assert [row[1] for row in rows[1:]] == ["Staff's own"]


def test_formula_cells_are_neutralised_in_both_formats(admin, crm_a, owner_a):
    for text in ATTACKS:
        ContactFactory(responsible=owner_a, name=text)

    csv_names = [
        row[1]
        for row in _csv_rows(admin.get(_export_url(crm_a), {"format": "csv"}))[1:]
    ]
    response = admin.get(_export_url(crm_a), {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [row[1] for row in workbook.active.iter_rows(min_row=2)]

    assert sorted(csv_names) == sorted("'" + text for text in ATTACKS)
    # In the workbook each is a string cell, shown as typed and never run.
    assert sorted(cell.value for cell in cells) == sorted(ATTACKS)
    assert {cell.data_type for cell in cells} == {"s"}


def test_deals_export_with_status_pipeline_and_amount(admin, crm_a, owner_a):
    deal = DealFactory(responsible=owner_a, name="Big one", amount="1250.50")

    rows = _xlsx_rows(admin.get(_export_url(crm_a, "deal"), {"format": "xlsx"}))

    assert rows[0] == ["ID", "Name", "Amount", "Status", "Pipeline", "Responsible"]
    assert rows[1] == [
        deal.pk,
        "Big one",
        1250.5,
        deal.status.name,
        deal.pipeline.name,
        owner_a.name,
    ]


def test_an_unknown_format_is_a_clear_refusal(admin, crm_a):
    response = admin.get(_export_url(crm_a), {"format": "pdf"})
    assert response.status_code == 400
    assert b"CSV or XLSX" in response.content


def test_another_crms_filters_name_nothing_of_it(admin, crm_a, crm_b, staff_b):
    ContactFactory(responsible=staff_b, name="Beta's secret")
    owner_b = CrmUser.objects.get(crm=crm_b, role="owner")

    rows = _csv_rows(
        admin.get(_export_url(crm_a), {"format": "csv", "responsible": owner_b.pk})
    )

    assert rows[1:] == []
