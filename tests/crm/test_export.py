import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from crm.models import CrmExport, CrmUser
from crm.services.export import crm_export_build, crm_export_request
from tests.factories import ContactFactory, DealFactory
from tests.outbox_helpers import hold_tasks


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_export_zip_has_json_and_csv_of_this_crm_only(
    crm_a, crm_b, staff_b, django_capture_on_commit_callbacks
):
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    ContactFactory(responsible=owner, name="Ada Export", custom={"7": ["a", "b"]})
    DealFactory(responsible=owner, name="Deal Export")
    ContactFactory(responsible=staff_b, name="Not Ours")

    with django_capture_on_commit_callbacks(execute=True):
        export = crm_export_request(crm=crm_a, account=crm_a.owner)
    export.refresh_from_db()

    assert export.status == CrmExport.Status.DONE and export.progress == 100
    with (
        default_storage.open(export.file_name) as handle,
        zipfile.ZipFile(handle) as zf,
    ):
        names = set(zf.namelist())
        assert {"contacts.json", "contacts.csv", "deals.json", "notes.csv"} <= names
        contacts = json.loads(zf.read("contacts.json"))
        assert [c["name"] for c in contacts] == ["Ada Export"]
        assert contacts[0]["custom"] == {"7": ["a", "b"]}
        csv_text = zf.read("contacts.csv").decode()
        assert "Ada Export" in csv_text and "Not Ours" not in csv_text
        users = json.loads(zf.read("users.json"))
        assert {u["email"] for u in users} == {owner.email}


def test_only_one_export_runs_at_a_time(crm_a, monkeypatch):
    hold_tasks(monkeypatch, "crm.tasks.build_export")
    first = crm_export_request(crm=crm_a, account=crm_a.owner)
    again = crm_export_request(crm=crm_a, account=crm_a.owner)
    assert first.pk == again.pk
    assert crm_export_build(export_id=first.pk).status == CrmExport.Status.DONE
