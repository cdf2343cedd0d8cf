"""CSV injection: whatever a CRM user types into a record ends up in the owner's
export, and a spreadsheet runs a cell that starts like a formula."""

import csv
import io
import zipfile

import pytest
from django.core.files.storage import default_storage

from crm.models import CrmUser, Note
from crm.services.export import crm_export_build, crm_export_request
from tests.factories import CompanyFactory, ContactFactory, DealFactory
from tests.outbox_helpers import hold_tasks

ATTACKS = [
    '=HYPERLINK("http://x","y")',
    "+380501234567",
    "@SUM(1)",
    "-2+3",
    "\tx",
    "\rx",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _export_tables(crm, monkeypatch) -> dict[str, list[dict]]:
    hold_tasks(monkeypatch, "crm.tasks.build_export")
    export = crm_export_build(
        export_id=crm_export_request(crm=crm, account=crm.owner).pk
    )
    with (
        default_storage.open(export.file_name) as handle,
        zipfile.ZipFile(handle) as archive,
    ):
        return {
            name.removesuffix(".csv"): list(
                csv.DictReader(io.StringIO(archive.read(name).decode(), newline=""))
            )
            for name in archive.namelist()
            if name.endswith(".csv")
        }


def test_formula_like_cells_are_quoted_in_every_table(staff_a, monkeypatch):
    crm = staff_a.crm
    for attack in ATTACKS:
        ContactFactory(responsible=staff_a, name=attack, phone=attack)
    CompanyFactory(responsible=staff_a, name="=cmd|' /C calc'!A0")
    deal = DealFactory(responsible=staff_a, name="@evil")
    Note.objects.create(crm=crm, deal=deal, author=staff_a, text="+1+1")
    staff_a.name = "=1+1"
    staff_a.save(update_fields=["name"])

    tables = _export_tables(crm, monkeypatch)

    contacts = tables["contacts"]
    assert [row["name"] for row in contacts] == ["'" + a for a in ATTACKS]
    assert [row["phone"] for row in contacts] == ["'" + a for a in ATTACKS]
    assert tables["companies"][0]["name"] == "'=cmd|' /C calc'!A0"
    assert tables["deals"][0]["name"] == "'@evil"
    assert tables["notes"][0]["text"] == "'+1+1"
    assert "'=1+1" in {row["name"] for row in tables["users"]}


def test_ordinary_values_are_left_as_typed(staff_a, monkeypatch):
    ContactFactory(
        responsible=staff_a,
        name="Ada O'Neil = friend",
        email="ada@example.com",
        phone="050 123 45 67",
        custom={"3": "-5"},
    )
    DealFactory(responsible=staff_a, name="Deal", amount=-20)

    tables = _export_tables(staff_a.crm, monkeypatch)

    (contact,) = tables["contacts"]
    assert contact["name"] == "Ada O'Neil = friend"
    assert contact["email"] == "ada@example.com"
    assert contact["phone"] == "050 123 45 67"
    # JSON starts with a brace: a spreadsheet keeps it as text.
    assert contact["custom"] == '{"3": "-5"}'
    # A number from the database is data, not someone's typing.
    assert tables["deals"][0]["amount"] == "-20.00"
    owner = CrmUser.objects.get(crm=staff_a.crm, role="owner")
    assert owner.email in {row["email"] for row in tables["users"]}
