"""Files in object storage: with AWS_STORAGE_BUCKET_NAME set, default_storage is
S3 (here moto's server on loopback), so what one process writes another reads,
wherever each runs; without it, the local disk of the process that wrote it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from crm.models import Contact, CrmExport, CrmUser
from crm.services.export import crm_export_build, crm_export_request
from tests.reauth import sign_in_again

ROOT = Path(__file__).resolve().parents[2]

# One process of the project doing one thing with default_storage, then exiting.
SCRIPT = """
import sys
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import storages
default_storage = storages["default"]
action, name = sys.argv[1], sys.argv[2]
print(type(default_storage).__name__)
if action == "write":
    print(default_storage.save(name, ContentFile(sys.argv[3].encode())))
elif default_storage.exists(name):
    with default_storage.open(name) as handle:
        print(handle.read().decode())
else:
    print("MISSING")
"""


def in_process_of_its_own(folder: Path, env: dict[str, str], *args: str) -> list[str]:
    """Run SCRIPT in a fresh process whose working directory and MEDIA_ROOT are
    its own, as on another machine."""
    folder.mkdir(parents=True, exist_ok=True)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "DJANGO_SETTINGS_MODULE"
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=folder,
        env={
            **base,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "MEDIA_ROOT": str(folder / "media"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_file_written_by_one_process_is_read_by_another_through_s3(
    s3, bucket, tmp_path
):
    env = s3.environment(bucket)
    backend, name = in_process_of_its_own(
        tmp_path / "worker", env, "write", "exports/1/a.zip", "built-by-the-worker"
    )
    assert backend == "S3Storage"
    assert s3.keys(bucket) == [name]
    assert in_process_of_its_own(tmp_path / "web", env, "read", name) == [
        "S3Storage",
        "built-by-the-worker",
    ]


def test_without_a_bucket_each_process_has_only_its_own_disk(tmp_path):
    backend, name = in_process_of_its_own(
        tmp_path / "worker", {}, "write", "exports/1/a.zip", "local"
    )
    assert backend == "FileSystemStorage"
    assert (tmp_path / "worker" / "media" / name).read_text() == "local"
    # Which is why production sets a bucket: another machine finds nothing.
    assert in_process_of_its_own(tmp_path / "web", {}, "read", name) == [
        "FileSystemStorage",
        "MISSING",
    ]


@pytest.fixture
def s3_storage(settings, s3, bucket):
    settings.STORAGES = {**settings.STORAGES, "default": s3.storages_setting(bucket)}
    storages._storages.pop("default", None)
    yield bucket
    storages._storages.pop("default", None)


def test_an_export_is_built_into_the_bucket_and_downloads_from_it(
    client, crm_a, s3, s3_storage, django_capture_on_commit_callbacks
):
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    Contact.objects.create(crm=crm_a, name="Stored in S3", responsible=owner)
    with django_capture_on_commit_callbacks(execute=False):
        export = crm_export_request(crm=crm_a, account=crm_a.owner)
    crm_export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == CrmExport.Status.DONE
    assert s3.keys(s3_storage) == [export.file_name]
    assert export.size > 0

    client.force_login(crm_a.owner)
    sign_in_again(client)
    response = client.get(
        reverse(
            "portal:crm_export_download",
            kwargs={"crm_id": crm_a.pk, "export_id": export.pk},
        )
    )
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert len(data) == export.size
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert "Stored in S3" in archive.read("contacts.json").decode()
