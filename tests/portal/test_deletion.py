"""Deleting a CRM from the portal: only its owner, signed in again, with the name."""

import pytest
from django.urls import reverse

from crm.models import Crm, CrmExport
from tests.factories import AccountFactory, CrmUserFactory
from tests.reauth import sign_in_again


def delete_url(crm):
    return reverse("portal:crm_delete", kwargs={"crm_id": crm.pk})


def cancel_url(crm):
    return reverse("portal:crm_cancel_deletion", kwargs={"crm_id": crm.pk})


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_owner_schedules_then_cancels_and_the_crm_is_back(client, crm_a):
    client.force_login(crm_a.owner)
    asked = client.get(delete_url(crm_a))
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    sign_in_again(client)
    page = client.get(delete_url(crm_a)).content.decode()
    assert "deleted for good" in page and "Alpha Traders" in page

    wrong = client.post(delete_url(crm_a), {"typed_name": "Alpha"})
    assert wrong.status_code == 400
    assert "Type the CRM" in wrong.content.decode()
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.ACTIVE

    done = client.post(delete_url(crm_a), {"typed_name": "alpha traders"})
    assert done.status_code == 302
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.PENDING_DELETION
    listing = client.get(reverse("portal:crm_list")).content.decode()
    assert "Scheduled for deletion" in listing

    client.post(cancel_url(crm_a))
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.ACTIVE


@pytest.mark.parametrize("who", ["admin", "staff", "stranger"])
def test_nobody_but_the_owner_can_delete_or_cancel(client, crm_a, who):
    account = AccountFactory()
    if who != "stranger":
        CrmUserFactory(
            crm=crm_a, account=account, role="admin" if who == "admin" else "user"
        )
    client.force_login(account)
    expected = 404 if who == "stranger" else 403

    assert client.get(delete_url(crm_a)).status_code == expected
    sign_in_again(client)
    response = client.post(delete_url(crm_a), {"typed_name": crm_a.name})
    assert response.status_code == expected
    Crm.objects.filter(pk=crm_a.pk).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at="2030-01-01T00:00:00Z"
    )
    assert client.post(cancel_url(crm_a)).status_code == expected
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.PENDING_DELETION


def test_owner_exports_and_downloads_a_zip(
    client, crm_a, django_capture_on_commit_callbacks
):
    client.force_login(crm_a.owner)
    url = reverse("portal:crm_export", kwargs={"crm_id": crm_a.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    export = CrmExport.objects.get(crm=crm_a)
    page = client.get(url).content.decode()
    assert 'data-testid="export-download"' in page
    download_url = reverse(
        "portal:crm_export_download",
        kwargs={"crm_id": crm_a.pk, "export_id": export.pk},
    )
    asked = client.get(download_url)
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    sign_in_again(client)
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_exports_of_another_crm_cannot_be_downloaded(client, crm_a, crm_b):
    other = CrmExport.objects.create(
        crm=crm_b, requested_by_id=crm_b.owner_id, status="done", file_name="x.zip"
    )
    client.force_login(crm_a.owner)
    sign_in_again(client)
    response = client.get(
        reverse(
            "portal:crm_export_download",
            kwargs={"crm_id": crm_a.pk, "export_id": other.pk},
        )
    )
    assert response.status_code == 404
