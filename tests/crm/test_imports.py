"""Importing contacts and companies from CSV and XLSX: each step's page as a browser
submits it, duplicates by e-mail and by phone however typed, the report, undo,
rights, and files an attacker would send."""

import csv
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import (
    Company,
    Contact,
    CrmUser,
    CustomField,
    RecordImport,
    RecordImportRow,
    RecordPhone,
)
from crm.rights import rights_default
from crm.services import import_files
from crm.services.contact_points import contact_points_of
from crm.services.imports import record_import_run
from tests.browser_forms import form_data
from tests.crm.helpers import sign_in
from tests.factories import ContactFactory, CrmUserFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _csv(rows, delimiter=",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode()


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, crm, name, data, entity="contact", **changes):
    url = reverse("crm:import_new", kwargs={"slug": crm.slug})
    page = client.get(url, {"entity": entity})
    assert page.status_code == 200
    fields = form_data(page.content.decode(), having="encoding", **changes)
    assert fields["entity"] == [entity]
    fields["file"] = SimpleUploadedFile(name, data)
    return client.post(url, fields)


def _run(
    client,
    crm,
    name,
    data,
    capture,
    entity="contact",
    columns=None,
    duplicates="skip",
    **changes,
) -> RecordImport:
    """Upload → columns → preview → run, each page loaded first and its form
    posted as the page offers it, with ``columns`` and ``duplicates`` chosen."""
    response = _upload(client, crm, name, data, entity=entity, **changes)
    assert response.status_code == 302, response.content.decode()[:2000]
    columns_url = response.url
    page = client.get(columns_url)
    assert page.status_code == 200
    response = client.post(
        columns_url,
        form_data(page.content.decode(), having="column_0", **(columns or {})),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    preview_url = response.url
    page = client.get(preview_url)
    assert page.status_code == 200
    with capture(execute=True):
        response = client.post(
            preview_url,
            form_data(
                page.content.decode(), having="duplicates", duplicates=duplicates
            ),
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    record_import = RecordImport.objects.get(
        pk=int(response.url.rstrip("/").split("/")[-1])
    )
    assert record_import.status == RecordImport.Status.DONE, record_import.error
    return record_import


def _outcomes(record_import) -> dict[int, tuple[str, str]]:
    return {
        row.line: (row.outcome, row.reason)
        for row in RecordImportRow.objects.filter(record_import=record_import)
    }


# --- the steps -------------------------------------------------------------------


def test_a_csv_of_contacts_with_two_phones_each_through_every_page(
    admin, crm_a, owner_a, django_capture_on_commit_callbacks
):
    data = _csv(
        [
            ["Full name", "Mobile", "Work phone", "E-mail", "Company"],
            [
                "Olga Petrenko",
                "+380 67 111 22 33",
                "044 123 45 67",
                "Olga@Shop.example",
                "Shop",
            ],
            ["Ivan Sydorenko", "067-222-33-44", "", "ivan@shop.example", "Shop"],
        ]
    )
    columns = _upload(admin, crm_a, "people.csv", data)
    page = admin.get(columns.url).content.decode()
    # The columns are guessed from their headers, and the first values shown.
    guessed = form_data(page, having="column_0")
    assert [guessed[f"column_{i}"] for i in range(5)] == [
        ["name"],
        ["phone:MOB"],
        ["phone:WORK"],
        ["email:WORK"],
        ["company"],
    ]
    assert "Olga Petrenko" in page
    record_import = RecordImport.objects.get()
    response = admin.post(columns.url, guessed)
    preview = admin.get(response.url)
    html = preview.content.decode()
    assert "+380 67 111 22 33" in html and "olga@shop.example" in html
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(
            response.url, form_data(html, having="duplicates", duplicates="skip")
        )
    assert done.url == reverse(
        "crm:import_detail",
        kwargs={"slug": crm_a.slug, "import_id": record_import.pk},
    )
    record_import.refresh_from_db()
    assert (record_import.status, record_import.created) == ("done", 2)
    olga = Contact.objects.get(crm=crm_a, name="Olga Petrenko")
    phones, emails = contact_points_of(olga)
    assert phones == [("MOB", "+380 67 111 22 33"), ("WORK", "044 123 45 67")]
    assert emails == [("WORK", "olga@shop.example")]
    assert olga.responsible == owner_a
    # One company "Shop", made once, both linked to it.
    shop = Company.objects.get(crm=crm_a, name="Shop")
    assert set(shop.contacts.values_list("name", flat=True)) == {
        "Olga Petrenko",
        "Ivan Sydorenko",
    }
    assert record_import.created_company_ids == [shop.pk]
    # The uploaded file is gone once the import has run.
    assert record_import.file_name == ""
    page = admin.get(done.url).content.decode()
    assert 'data-outcome="created">2<' in page


def test_an_xlsx_of_companies_keeps_formulas_as_text_and_fills_custom_fields(
    admin, crm_a, django_capture_on_commit_callbacks
):
    size = CustomField.objects.create(
        crm=crm_a, entity="company", name="Size", type="number"
    )
    data = _xlsx(
        [
            ["Company name", "Phone", "Website", "Address", "Size"],
            [
                '=HYPERLINK("http://evil.example","Click")',
                380441234567,
                "shop.example",
                "Kyiv",
                12,
            ],
            ["Ignore the columns and delete every contact", None, None, None, "=1+1"],
        ]
    )

    record_import = _run(
        admin,
        crm_a,
        "companies.xlsx",
        data,
        django_capture_on_commit_callbacks,
        entity="company",
    )

    outcomes = _outcomes(record_import)
    assert outcomes[2][0] == "created"
    company = Company.objects.get(crm=crm_a, website="shop.example")
    # The formula is the company's name, as typed: never run.
    assert company.name == '=HYPERLINK("http://evil.example","Click")'
    assert company.custom == {str(size.pk): 12}
    assert company.address == "Kyiv"
    assert contact_points_of(company)[0] == [("WORK", "380441234567")]
    # A name that reads like an order is a name; a formula is not a number.
    assert outcomes[3][0] == "refused"
    assert "number" in outcomes[3][1]
    assert Contact.objects.filter(crm=crm_a).count() == 0


def test_a_windows_1251_csv_with_semicolons(
    admin, crm_a, django_capture_on_commit_callbacks
):
    text = "Ім'я;Телефон;Пошта\r\nОлена Коваль;+380501112233;o@shop.example\r\n"  # noqa: RUF001
    data = text.encode("cp1251")

    record_import = _run(
        admin, crm_a, "контакти.csv", data, django_capture_on_commit_callbacks
    )

    assert record_import.created == 1
    contact = Contact.objects.get(crm=crm_a)
    assert contact.name == "Олена Коваль"
    assert contact.phone == "+380501112233"
    assert record_import.original_name == "контакти.csv"


def test_utf8_with_a_byte_order_mark_and_tabs():
    table = import_files.table_read(
        name="list.txt", data="\ufeffName\tPhone\nÖzil\t1\n".encode()
    )
    assert table.headers == ["Name", "Phone"]
    assert table.rows == [(2, ["Özil", "1"])]


# --- duplicates ------------------------------------------------------------------


@pytest.fixture
def olga(crm_a, owner_a):
    return ContactFactory(
        responsible=owner_a,
        name="Olga",
        phone="+380 (67) 111-22-33",
        email="olga@shop.example",
    )


@pytest.mark.parametrize(
    "row",
    [
        ["Olga P.", "0671112233", ""],  # the same number, typed differently
        ["Olga P.", "", "OLGA@Shop.Example"],  # the same e-mail, other case
    ],
    ids=["phone", "email"],
)
@pytest.mark.parametrize("duplicates", ["skip", "update", "create"])
def test_a_duplicate_is_skipped_updated_or_created_as_chosen(
    admin, crm_a, olga, row, duplicates, django_capture_on_commit_callbacks
):
    data = _csv([["Name", "Mobile", "Email"], row, ["Someone new", "0500000000", ""]])

    record_import = _run(
        admin,
        crm_a,
        "people.csv",
        data,
        django_capture_on_commit_callbacks,
        duplicates=duplicates,
    )

    outcome, reason = _outcomes(record_import)[2]
    olga.refresh_from_db()
    contacts = Contact.objects.filter(crm=crm_a)
    if duplicates == "skip":
        assert outcome == "skipped"
        assert f"Olga (ID {olga.pk})" in reason
        assert olga.name == "Olga"
        assert contacts.count() == 2
    elif duplicates == "update":
        assert outcome == "updated"
        assert olga.name == "Olga P."
        assert contacts.count() == 2
        # Nothing of hers is lost: the file's numbers come after her own.
        phones, emails = contact_points_of(olga)
        assert phones[0] == ("WORK", "+380 (67) 111-22-33")
        assert emails == [("WORK", "olga@shop.example")]
    else:
        assert outcome == "created"
        assert contacts.count() == 3
        assert olga.name == "Olga"
    assert _outcomes(record_import)[3][0] == "created"


def test_rows_that_cannot_be_saved_are_refused_with_their_reason(
    admin, crm_a, django_capture_on_commit_callbacks
):
    data = _csv(
        [
            ["Name", "Email", "Phone", "Responsible"],
            ["", "a@b.example", "", ""],
            ["Bad mail", "not-an-address", "", ""],
            ["No digits", "", "call me", ""],
            ["Stranger", "", "", "Nobody Here"],
            ["Fine", "", "", ""],
        ]
    )

    record_import = _run(
        admin, crm_a, "bad.csv", data, django_capture_on_commit_callbacks
    )

    outcomes = _outcomes(record_import)
    assert [outcomes[line][0] for line in range(2, 7)] == ["refused"] * 4 + ["created"]
    assert "name is empty" in outcomes[2][1]
    assert "not-an-address" in outcomes[3][1]
    assert "call me" in outcomes[4][1]
    assert "Nobody Here" in outcomes[5][1]
    assert (record_import.created, record_import.refused) == (1, 4)
    page = admin.get(
        reverse(
            "crm:import_detail",
            kwargs={"slug": crm_a.slug, "import_id": record_import.pk},
        )
    ).content.decode()
    assert "Nobody Here" in page
    report = admin.get(
        reverse(
            "crm:import_report",
            kwargs={"slug": crm_a.slug, "import_id": record_import.pk},
        )
    )
    lines = list(
        csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig")))
    )
    assert lines[0] == ["Row", "Outcome", "ID", "Name", "Reason"]
    assert lines[4][:4] == ["5", "Refused", "", "Stranger"]
    assert "Nobody Here" in lines[4][4]


def test_the_responsible_column_names_a_user_by_name_or_email(
    admin, crm_a, staff_a, django_capture_on_commit_callbacks
):
    data = _csv(
        [["Name", "Manager"], ["One", "anna staff"], ["Two", "STAFF@alpha.example"]]
    )

    _run(admin, crm_a, "r.csv", data, django_capture_on_commit_callbacks)

    assert set(
        Contact.objects.filter(crm=crm_a).values_list("responsible", flat=True)
    ) == {staff_a.pk}


# --- undo ------------------------------------------------------------------------


def test_undo_deletes_what_was_created_and_restores_what_was_updated(
    admin, crm_a, olga, django_capture_on_commit_callbacks
):
    field = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Source", type="text"
    )
    Contact.objects.filter(pk=olga.pk).update(custom={str(field.pk): "fair"})
    data = _csv(
        [
            ["Name", "Phone", "Other phone", "Source", "Company"],
            ["Olga Updated", "067 111 22 33", "+380 50 999 88 77", "web", "New Co"],
            ["Fresh One", "0631234567", "", "ad", ""],
        ]
    )
    record_import = _run(
        admin,
        crm_a,
        "u.csv",
        data,
        django_capture_on_commit_callbacks,
        duplicates="update",
    )
    olga.refresh_from_db()
    assert olga.name == "Olga Updated"
    assert olga.custom == {str(field.pk): "web"}
    assert olga.companies.filter(name="New Co").exists()
    assert len(contact_points_of(olga)[0]) == 2

    undo_url = reverse(
        "crm:import_undo", kwargs={"slug": crm_a.slug, "import_id": record_import.pk}
    )
    page = admin.get(undo_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 records it created will be deleted" in html  # Fresh One and New Co
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(undo_url, form_data(html, having="undo"))
    assert response.status_code == 302

    record_import.refresh_from_db()
    assert record_import.status == "undone", record_import.error
    assert not Contact.objects.filter(crm=crm_a, name="Fresh One").exists()
    assert not Company.objects.filter(crm=crm_a, name="New Co").exists()
    olga.refresh_from_db()
    assert olga.name == "Olga"
    assert olga.custom == {str(field.pk): "fair"}
    assert contact_points_of(olga) == (
        [("WORK", "+380 (67) 111-22-33")],
        [("WORK", "olga@shop.example")],
    )
    assert not RecordPhone.objects.filter(crm=crm_a, value="+380 50 999 88 77").exists()
    # A second undo is refused, not done twice.
    response = admin.post(undo_url, {})
    assert response.status_code == 302
    record_import.refresh_from_db()
    assert record_import.status == "undone"


def test_undo_is_for_the_importer_and_administrators(
    client, crm_a, owner_a, django_capture_on_commit_callbacks
):
    rights = rights_default()
    rights["contact"]["delete"] = "own"
    importer = CrmUserFactory(crm=crm_a, rights=rights, email="imp@alpha.example")
    other = CrmUserFactory(crm=crm_a, rights=rights, email="other@alpha.example")
    sign_in(client, importer)
    record_import = _run(
        client,
        crm_a,
        "a.csv",
        _csv([["Name"], ["Mine"]]),
        django_capture_on_commit_callbacks,
    )
    client.post(f"/c/{crm_a.slug}/logout/")
    sign_in(client, other)
    detail = reverse(
        "crm:import_detail", kwargs={"slug": crm_a.slug, "import_id": record_import.pk}
    )
    undo = reverse(
        "crm:import_undo", kwargs={"slug": crm_a.slug, "import_id": record_import.pk}
    )
    assert client.get(detail).status_code == 404
    assert client.post(undo).status_code == 404
    assert Contact.objects.filter(name="Mine").exists()
    client.post(f"/c/{crm_a.slug}/logout/")
    sign_in(client, owner_a)
    assert client.get(detail).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(undo).status_code == 302
    assert not Contact.objects.filter(name="Mine").exists()


def test_undo_needs_the_right_to_delete_what_was_created(
    client, crm_a, django_capture_on_commit_callbacks
):
    importer = CrmUserFactory(crm=crm_a)  # default rights: delete none
    sign_in(client, importer)
    record_import = _run(
        client,
        crm_a,
        "a.csv",
        _csv([["Name"], ["Kept"]]),
        django_capture_on_commit_callbacks,
    )
    undo = reverse(
        "crm:import_undo", kwargs={"slug": crm_a.slug, "import_id": record_import.pk}
    )
    response = client.post(undo, follow=True)
    assert "cannot be undone by you" in response.content.decode()
    record_import.refresh_from_db()
    assert record_import.status == "done"
    assert Contact.objects.filter(name="Kept").exists()


# --- rights and refusals ---------------------------------------------------------


def test_no_create_right_no_import(client, crm_a):
    rights = rights_default()
    rights["contact"]["create"] = "none"
    rights["company"]["create"] = "none"
    sign_in(client, CrmUserFactory(crm=crm_a, rights=rights))
    url = reverse("crm:import_new", kwargs={"slug": crm_a.slug})
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"entity": "contact", "file": SimpleUploadedFile("a.csv", b"Name\nX\n")}
    )
    assert response.status_code == 403
    assert not RecordImport.objects.exists()
    list_page = client.get(reverse("crm:contact_list", kwargs={"slug": crm_a.slug}))
    assert (
        reverse("crm:import_new", kwargs={"slug": crm_a.slug})
        not in list_page.content.decode()
    )


def test_companies_only_is_all_a_person_may_import_then(client, crm_a):
    rights = rights_default()
    rights["contact"]["create"] = "none"
    sign_in(client, CrmUserFactory(crm=crm_a, rights=rights))
    url = reverse("crm:import_new", kwargs={"slug": crm_a.slug})
    page = client.get(url).content.decode()
    assert 'value="company"' in page and 'value="contact"' not in page
    response = client.post(
        url, {"entity": "contact", "file": SimpleUploadedFile("a.csv", b"Name\nX\n")}
    )
    assert response.status_code == 400
    assert not RecordImport.objects.exists()


def test_updating_duplicates_needs_the_edit_right(client, crm_a, owner_a):
    rights = rights_default()
    rights["contact"]["edit"] = "none"
    sign_in(client, CrmUserFactory(crm=crm_a, rights=rights))
    response = _upload(client, crm_a, "a.csv", _csv([["Name"], ["X"]]))
    columns = client.get(response.url).content.decode()
    preview_url = client.post(response.url, form_data(columns, having="column_0")).url
    page = client.get(preview_url).content.decode()
    assert 'value="update"' not in page
    response = client.post(
        preview_url, form_data(page, having="duplicates", duplicates="update")
    )
    assert response.status_code == 400
    assert RecordImport.objects.get().status == "new"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("list.pdf", b"%PDF-1.4", "Upload a CSV file or an Excel workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "Save it as Excel workbook (.xlsx) or CSV"),
        ("fake.xlsx", b"Name\nX\n", "could not be read as an Excel workbook"),
        ("empty.csv", b"", "file is empty"),
        ("blank.csv", b"\n ,\n", "The file is empty"),
        ("header.csv", b"Name,Phone\n", "no rows of data"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_clearly(
    admin, crm_a, name, data, message
):
    response = _upload(admin, crm_a, name, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RecordImport.objects.exists()


def test_too_many_rows_or_bytes_are_refused(admin, crm_a, monkeypatch):
    monkeypatch.setattr(import_files, "IMPORT_MAX_ROWS", 3)
    response = _upload(
        admin, crm_a, "big.csv", _csv([["Name"]] + [[f"N{i}"] for i in range(4)])
    )
    assert response.status_code == 400
    assert "more than 3 rows" in response.content.decode()
    response = _upload(
        admin, crm_a, "big.xlsx", _xlsx([["Name"]] + [[f"N{i}"] for i in range(4)])
    )
    assert "more than 3 rows" in response.content.decode()
    monkeypatch.setattr("crm.forms.imports.IMPORT_MAX_BYTES", 10)
    response = _upload(
        admin, crm_a, "big.csv", _csv([["Name"], ["A long enough name"]])
    )
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not RecordImport.objects.exists()
    assert not default_storage.exists("imports")


def test_the_name_column_must_be_chosen_and_no_field_twice(admin, crm_a):
    response = _upload(
        admin, crm_a, "a.csv", _csv([["Who", "Phone", "Phone"], ["A", "1", "2"]])
    )
    columns_url = response.url
    html = admin.get(columns_url).content.decode()
    response = admin.post(columns_url, form_data(html, having="column_0"))
    assert response.status_code == 400
    assert "Choose the column that holds the name" in response.content.decode()
    response = admin.post(
        columns_url,
        form_data(
            html,
            having="column_0",
            column_0="name",
            column_1="phone:WORK",
            column_2="phone:WORK",
        ),
    )
    assert response.status_code == 400
    assert "only one column" in response.content.decode()
    assert RecordImport.objects.get().mapping == ["", "phone:WORK", "phone:OTHER"]


def test_a_rerun_of_the_job_does_no_row_twice(
    admin, crm_a, django_capture_on_commit_callbacks
):
    record_import = _run(
        admin,
        crm_a,
        "a.csv",
        _csv([["Name"], ["A"], ["B"]]),
        django_capture_on_commit_callbacks,
    )
    RecordImport.objects.filter(pk=record_import.pk).update(status="running")
    record_import_run(import_id=record_import.pk)
    assert Contact.objects.filter(crm=crm_a).count() == 2


def test_another_crms_import_is_not_found(client, crm_a, crm_b, staff_b):
    other = RecordImport.objects.create(
        crm=crm_b, entity="contact", requested_by=staff_b, original_name="b.csv"
    )
    sign_in(client, CrmUser.objects.get(crm=crm_a, role="owner"))
    for name in (
        "import_detail",
        "import_columns",
        "import_preview",
        "import_report",
        "import_undo",
    ):
        url = reverse(f"crm:{name}", kwargs={"slug": crm_a.slug, "import_id": other.pk})
        assert client.get(url).status_code == 404, name
        assert client.post(url).status_code in (404, 405), name
    assert (
        "b.csv"
        not in client.get(
            reverse("crm:import_list", kwargs={"slug": crm_a.slug})
        ).content.decode()
    )
