"""Lists in and out, on the project as `make run` serves it (its real Celery
worker runs the import and its undo): a CSV of 50 contacts with two phones each,
one of them a contact already here under a number typed differently, goes through
the columns and the preview, runs with a progress bar to 49 created and 1
updated; one is found by its second phone, the filtered list comes back as an
XLSX, and undoing the import removes the 49 and gives the updated one its old
name and number back."""

import csv
import io
import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from .pages import crm_row, sign_up, unique_email
from .test_accessibility import PHONE, axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser

JOB_TIMEOUT_MS = 90_000


def _people_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Full name", "Mobile", "Work phone", "Note"])
    for number in range(1, 51):
        if number == 3:
            # Olga, whose number is saved as +380 (67) 000-00-01.
            writer.writerow(["Olga Kovalenko", "067 000 0001", "044 999 88 77", "VIP"])
            continue
        writer.writerow(
            [
                f"Client {number:02d}",
                f"+380 50 {number:03d} 11 22",
                f"044 {number:03d} 33 44",
                "",
            ]
        )
    return buffer.getvalue().encode()


def test_import_fifty_contacts_find_export_and_undo(
    project_tab: Page, running_project, tmp_path
):
    tab = project_tab
    sign_up(tab, unique_email("imports"), "Import Traders")
    crm_row(tab, "Import Traders").get_by_role("button", name="Enter").click()
    expect(tab).to_have_url(re.compile(r"/c/import-traders[\w-]*/$"))
    crm_url = tab.url

    # Olga is here already, with her mobile typed one way.
    tab.goto(crm_url + "contacts/new/")
    tab.fill("#id_name", "Olga")
    tab.locator("input[name='phones-0-value']").fill("+380 (67) 000-00-01")
    tab.get_by_role("button", name="Save").click()
    expect(tab).to_have_url(re.compile(r"/contacts/\d+/$"))
    olga_url = tab.url

    # Contacts → Import: the file.
    tab.goto(crm_url + "contacts/")
    tab.get_by_role("link", name="Import", exact=True).click()
    expect(tab.get_by_label("Contacts")).to_be_checked()
    tab.get_by_label("File", exact=True).set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": _people_csv()}
    )
    assert axe_violations(tab) == []
    tab.get_by_role("button", name="Upload").click()

    # The columns, guessed from the headers.
    expect(tab).to_have_url(re.compile(r"/imports/\d+/columns/$"))
    expect(tab.get_by_label("Full name")).to_have_value("name")
    expect(tab.get_by_label("Mobile")).to_have_value("phone:MOB")
    expect(tab.get_by_label("Work phone")).to_have_value("phone:WORK")
    tab.get_by_label("Note").select_option(label="Skip this column")
    assert axe_violations(tab) == []
    tab.get_by_role("button", name="Preview", exact=True).click()

    # The preview: Olga's row is a duplicate by her number typed differently.
    expect(tab).to_have_url(re.compile(r"/imports/\d+/preview/$"))
    preview = tab.get_by_test_id("preview")
    expect(preview.locator("tr[data-line='2']")).to_contain_text("+380 50 001 11 22")
    expect(preview.locator("tr[data-line='4']")).to_contain_text(
        "already has the phone +380 (67) 000-00-01"
    )
    assert axe_violations(tab) == []
    tab.get_by_label("Update the existing record").check()

    # The job waits for the worker with its progress bar at nought, then the
    # bar's page turns into the report by itself once the worker has run it.
    with running_project.worker_paused():
        tab.get_by_role("button", name="Import 50 rows").click()
        expect(tab).to_have_url(re.compile(r"/imports/\d+/$"))
        progress = tab.get_by_role("status")
        expect(progress).to_contain_text("0 of 50 rows")
        expect(progress.get_by_role("progressbar")).to_have_attribute("value", "0")
        expect(tab.get_by_test_id("import-totals")).to_have_count(0)
    import_url = tab.url
    totals = tab.get_by_test_id("import-totals")
    expect(totals).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(tab).to_have_url(import_url)
    expect(tab.get_by_role("status")).to_contain_text("50 of 50 rows")
    expect(totals.locator("[data-outcome=created]")).to_have_text("49")
    expect(totals.locator("[data-outcome=updated]")).to_have_text("1")
    expect(
        tab.get_by_test_id("report").locator("tr[data-outcome=updated]")
    ).to_contain_text("Olga Kovalenko")
    assert axe_violations(tab) == []

    # One of them, found by its second phone typed without spaces.
    tab.goto(crm_url + "contacts/")
    tab.get_by_label("Search", exact=True).fill("0440073344")
    tab.get_by_role("button", name="Filter").click()
    rows = tab.locator("table.data-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Client 07")

    # Both its phones as a column of the list, the search kept.
    tab.get_by_role("link", name="Columns").click()
    tab.get_by_label("All phones", exact=True).check()
    tab.get_by_role("button", name="Save").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td[data-column=phones]")).to_have_text(
        "+380 50 007 11 22, 044 007 33 44"
    )

    # The filtered list as a workbook.
    tab.get_by_label("Export as").select_option("xlsx")
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Export", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = tmp_path / download.value.suggested_filename
    download.value.save_as(workbook)
    sheet = openpyxl.load_workbook(workbook).active
    exported = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = exported[0]
    assert header[:2] == ["ID", "Name"]
    assert len(exported) == 2, exported
    client = dict(zip(header, exported[1], strict=True))
    assert client["Name"] == "Client 07"
    assert client["Phone"] == "+380 50 007 11 22"
    assert client["All phones"] == "+380 50 007 11 22, 044 007 33 44"

    # Olga has the imported name and both her numbers meanwhile.
    tab.goto(olga_url)
    expect(tab.locator("h1")).to_contain_text("Olga Kovalenko")
    phones = tab.get_by_test_id("card-phones").locator("li")
    expect(phones).to_have_count(2)
    expect(phones.nth(0)).to_contain_text("+380 (67) 000-00-01")
    expect(phones.nth(1)).to_contain_text("044 999 88 77")
    expect(phones.nth(1).locator("a")).to_have_attribute("href", "tel:0449998877")

    # Undo: the 49 go, Olga is as she was.
    tab.goto(import_url)
    tab.get_by_role("link", name="Undo this import").click()
    expect(tab.locator("main")).to_contain_text("49 records it created will be deleted")
    tab.get_by_role("button", name="Undo the import").click()
    expect(tab.get_by_test_id("undone")).to_be_visible(timeout=JOB_TIMEOUT_MS)

    tab.goto(crm_url + "contacts/")
    rows = tab.locator("table.data-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Olga")
    # Their phones went with them.
    tab.get_by_label("Search", exact=True).fill("0440073344")
    tab.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.empty")).to_have_text("Nothing here yet.")
    tab.goto(olga_url)
    expect(tab.locator("h1")).to_have_text("Olga")
    phones = tab.get_by_test_id("card-phones").locator("li")
    expect(phones).to_have_count(1)
    expect(phones.first).to_contain_text("+380 (67) 000-00-01")

    # On a phone the import's pages fit the screen.
    tab.set_viewport_size(PHONE)
    for url in (crm_url + "imports/new/", import_url, crm_url + "imports/"):
        tab.goto(url)
        assert horizontal_overflow(tab) == 0, url
