"""The broker (Redis) away while people ask for e-mails and jobs: nothing is lost,
and nothing happens twice when a message is delivered twice."""

import re
import time

import pytest
import requests

from tests.faults.conftest import form_submit, restored, signed_in
from tests.faults.services import run_python, sent_emails, sql
from tests.servers import wait_for

pytestmark = pytest.mark.faults

# A delivery that ran nothing: its message was done already.
TWIN = re.compile(
    r"outbox\.tasks\.deliver\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: False"
)

# Every outbox message not done yet, handed to the broker twice: the worst a relay
# and a redelivery together can do.
PUBLISH_TWICE = """
from outbox.models import OutboxMessage
from outbox.services import outbox_publish
ids = list(OutboxMessage.objects.filter(done_at=None).values_list("pk", flat=True))
print(*(outbox_publish(message_ids=ids, relay=True) for _ in range(2)))
"""


def test_work_asked_for_while_the_broker_is_down_is_done_once_it_is_back(
    web, seeded, redis_server, postgres_server, app_env, outbox_folder, media_folder,
    worker_for,
):  # fmt: skip
    crm, forgetful = seeded["crm"], seeded["forgetful"]
    invitee = "invitee@faults.example"
    account, admin = signed_in(web, seeded)
    db = postgres_server.url()
    (last_id,) = sql(db, "select coalesce(max(id), 0) from outbox_outboxmessage")[0]

    with restored(redis_server):
        redis_server.stop()
        started = time.monotonic()

        # Find my CRMs, a forgotten password, an invitation, a CRM's export.
        found = form_submit(requests.Session(), web.url + "/find/", "email",
                            email=forgetful)  # fmt: skip
        assert found.status_code == 200 and forgetful in found.text
        forgot = form_submit(requests.Session(), f"{web.url}/c/{crm}/login/forgot/",
                             "email", email=forgetful)  # fmt: skip
        assert forgot.status_code == 302, forgot.text[:2000]
        invited = form_submit(admin, f"{web.url}/c/{crm}/settings/users/new/",
                              "email", name="Ivy Invitee", email=invitee)  # fmt: skip
        assert invited.status_code == 302, invited.text[:2000]
        export_url = f"{web.url}/portal/crms/{seeded['crm_id']}/export/"
        export = form_submit(account, export_url, "csrfmiddlewaretoken")
        assert export.status_code == 302, export.text[:2000]
        # Answered without waiting on the broker once per request.
        assert time.monotonic() - started < 15

        # Each is a row in PostgreSQL, committed with the change that asked for it.
        waiting = sql(
            db,
            "select id, task from outbox_outboxmessage where id > %s and"
            " published_at is null and done_at is null order by id",
            last_id,
        )
        assert sorted(task for _, task in waiting) == [
            "crm.tasks.build_export",
            "crm.tasks.send_invitation_email",
            "crm.tasks.send_memberships_email",
            "crm.tasks.send_password_reset_email",
        ]
        assert not sent_emails(outbox_folder, to=forgetful)
        assert not sent_emails(outbox_folder, to=invitee)

        redis_server.start()

    # Back (and empty). Every message offered twice, then a worker comes.
    published = run_python(
        app_env, "manage.py", "shell", "-v", "0", "-c", PUBLISH_TWICE
    ).split()
    assert [int(n) >= len(waiting) for n in published] == [True, True]
    worker = worker_for()
    ids = [message_id for message_id, _ in waiting]
    wait_for(
        lambda: sql(
            db,
            "select count(*) = %s from outbox_outboxmessage"
            " where id = any(%s) and done_at is not null",
            len(ids),
            ids,
        )[0][0],
        60,
        "every message done",
    )
    # The second copies were delivered too, and found their work done.
    wait_for(
        lambda: len(TWIN.findall(worker.output())) >= len(ids),
        30,
        "the second copies delivered",
    )

    # Each e-mail arrived once; the export was built once and downloads.
    to_forgetful = sent_emails(outbox_folder, to=forgetful)
    assert len(to_forgetful) == 2, to_forgetful
    assert sum("/password-reset/" in m for m in to_forgetful) == 1
    assert len(sent_emails(outbox_folder, to=invitee)) == 1
    built = list((media_folder / "exports" / str(seeded["crm_id"])).iterdir())
    assert len(built) == 1, built
    ((export_id,),) = sql(
        db, "select id from crm_crmexport where status = 'done' and crm_id = %s",
        seeded["crm_id"],
    )  # fmt: skip
    again = form_submit(account, web.url + "/accounts/reauthenticate/", "password",
                        password=seeded["password"])  # fmt: skip
    assert again.status_code == 302, again.text[:2000]
    download = account.get(f"{export_url}{export_id}/download/", timeout=10)
    assert download.status_code == 200, download.url
    assert download.content.startswith(b"PK")
