"""Deleting a CRM: schedule, cancel, claim, purge, tombstone."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from crm.models import Crm, CrmTombstone, CrmUser
from crm.purge import PURGE_ORDER, ChunkPolicy, crm_purge
from crm.services.crm_deletion import (
    crm_cancel_deletion,
    crm_claim_due_purges,
    crm_schedule_deletion,
)
from crm.services.crms import crm_slug_generate
from crm.services.records import contact_save, deal_save, note_add
from tests.factories import AccountFactory, CrmUserFactory
from tests.outbox_helpers import hold_tasks


def schedule(crm, account=None, name=None):
    return crm_schedule_deletion(
        crm=crm,
        account=account or crm.owner,
        typed_name=crm.name if name is None else name,
    )


def make_due(crm):
    Crm.objects.filter(pk=crm.pk).update(deletion_due_at=timezone.now())


def fill(crm):
    """A bit of every kind of data, through the services."""
    owner = CrmUser.objects.get(crm=crm, role="owner")
    from crm.services.connection import connection_code_issue
    from crm.services.fields import custom_field_create
    from crm.services.pipelines import pipeline_create
    from crm.services.sso import sso_token_issue

    pipeline = pipeline_create(crm=crm, name="Main")
    custom_field_create(crm=crm, entity="contact", name="Tier", type="text")
    contact = contact_save(crm=crm, actor=owner, data={"name": "C"})
    deal = deal_save(
        crm=crm,
        actor=owner,
        data={"name": "D", "pipeline_id": pipeline.pk, "contact_ids": [contact.pk]},
    )
    note_add(crm=crm, actor=owner, entity="deal", record_id=deal.pk, text="n")
    from crm.services.records import company_save

    company = company_save(crm=crm, actor=owner, data={"name": "Co"})
    contact_save(
        crm=crm, actor=owner, contact_id=contact.pk, data={"company_ids": [company.pk]}
    )
    CrmUserFactory(crm=crm)
    sso_token_issue(crm_user=owner, account=crm.owner)
    connection_code_issue(crm_user=owner)


def census(crm_id, *, with_audit=True):
    return {
        m.__name__: m.objects.filter(crm_id=crm_id).count()
        for m in PURGE_ORDER
        if with_audit or m.__name__ != "AuditEvent"
    }


def test_only_the_owner_schedules_with_the_name(crm_a):
    with pytest.raises(PermissionDenied):
        schedule(crm_a, account=AccountFactory())
    with pytest.raises(ValidationError, match="Type the CRM's name"):
        schedule(crm_a, name="Wrong Name")
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.ACTIVE


def test_schedule_locks_the_crm_for_the_grace_period_and_mails_the_owner(
    crm_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        schedule(crm_a, name="  alpha TRADERS ")
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.PENDING_DELETION
    grace = crm_a.deletion_due_at - timezone.now()
    assert timedelta(days=6, hours=23) < grace <= timedelta(days=7)
    assert mail.outbox[-1].to == [crm_a.owner.email]
    assert "cancel" in mail.outbox[-1].body.lower()


def test_cancel_restores_the_crm_exactly(crm_a):
    fill(crm_a)
    before = census(crm_a.pk, with_audit=False)
    schedule(crm_a)
    crm_cancel_deletion(crm=crm_a, account=crm_a.owner)
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.ACTIVE and crm_a.deletion_due_at is None
    assert census(crm_a.pk, with_audit=False) == before  # the audit trail grew


def test_not_due_is_not_claimed_and_cancel_after_claim_is_refused(crm_a):
    schedule(crm_a)
    assert crm_claim_due_purges() == []
    make_due(crm_a)
    assert crm_claim_due_purges() == [crm_a.pk]
    with pytest.raises(ValidationError, match="already started"):
        crm_cancel_deletion(crm=crm_a, account=crm_a.owner)


def test_purge_removes_every_row_and_leaves_the_other_crm_alone(crm_a, crm_b):
    fill(crm_a)
    fill(crm_b)
    other_before = census(crm_b.pk)
    assert all(census(crm_a.pk)[name] > 0 for name in ("Contact", "Deal", "Note"))
    schedule(crm_a)
    make_due(crm_a)
    crm_claim_due_purges()

    tombstone = crm_purge(crm_id=crm_a.pk, policy=ChunkPolicy(first=2, largest=2))

    assert set(census(crm_a.pk).values()) == {0}
    assert census(crm_b.pk) == other_before
    assert not Crm.objects.filter(pk=crm_a.pk).exists()
    assert tombstone.slug == "alpha" and tombstone.owner_email == crm_a.owner.email
    # Its address is never handed out again.
    assert crm_slug_generate(name="Alpha") == "alpha-2"
    # A rerun is harmless.
    assert crm_purge(crm_id=crm_a.pk) == tombstone


def test_purge_of_a_crm_not_claimed_touches_nothing(crm_a):
    fill(crm_a)
    before = census(crm_a.pk)
    assert crm_purge(crm_id=crm_a.pk) is None
    assert census(crm_a.pk) == before
    assert not CrmTombstone.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_cancel_and_claim_racing_have_exactly_one_winner(crm_a, monkeypatch):
    # The purge itself is not the subject here: record that it was sent.
    sent = hold_tasks(monkeypatch, "crm.tasks.purge_crm")
    outcomes = []
    for _round in range(10):
        Crm.objects.filter(pk=crm_a.pk).update(
            status=Crm.Status.PENDING_DELETION, deletion_due_at=timezone.now()
        )
        barrier = threading.Barrier(2)
        result = {}

        def cancel(barrier=barrier, result=result):
            barrier.wait()
            try:
                crm_cancel_deletion(crm=crm_a, account=crm_a.owner)
                result["cancel"] = True
            except ValidationError:
                result["cancel"] = False
            finally:
                connections.close_all()  # this thread's own, persistent or not

        def claim(barrier=barrier, result=result):
            barrier.wait()
            try:
                result["claim"] = crm_claim_due_purges() == [crm_a.pk]
            finally:
                connections.close_all()  # this thread's own, persistent or not

        threads = [threading.Thread(target=cancel), threading.Thread(target=claim)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        status = Crm.objects.get(pk=crm_a.pk).status
        assert result["cancel"] != result["claim"], result
        assert status == (Crm.Status.ACTIVE if result["cancel"] else Crm.Status.PURGING)
        outcomes.append("cancel" if result["cancel"] else "claim")
        Crm.objects.filter(pk=crm_a.pk).update(
            status=Crm.Status.ACTIVE, deletion_due_at=None
        )
    assert len(outcomes) == 10
    assert len(sent) == outcomes.count("claim")


def test_a_tables_first_chunk_is_smaller_the_more_keys_point_at_it():
    from crm.models import Contact, Note

    policy = ChunkPolicy(first=2000, smallest=100, largest=20000, seconds=0.1)
    # A note is a leaf; a contact is checked against notes, tasks, changes,
    # phones, e-mails, contact-company and deal-contact links at every commit.
    assert policy.first_size(Note) == 2000
    assert policy.first_size(Contact) == 250
    assert ChunkPolicy(first=50, smallest=100, largest=50).first_size(Note) == 50


def test_chunks_aim_at_their_time_within_bounds():
    policy = ChunkPolicy(first=2000, smallest=100, largest=20000, seconds=0.1)
    # Quick chunks grow, at most doubling, up to the largest.
    assert policy.next_size(2000, 0.01) == 4000
    assert policy.next_size(2000, 0.08) == 2500
    assert policy.next_size(16000, 0.01) == 20000
    # A slow chunk is followed by one sized for the aim at once, never below the
    # smallest.
    assert policy.next_size(4000, 0.4) == 1000
    assert policy.next_size(400, 10.0) == 100
    assert policy.next_size(2000, 0.0) == 4000
    # Bounds that cross mean a fixed size.
    fixed = ChunkPolicy(first=50, smallest=100, largest=50, seconds=0.1)
    assert fixed.next_size(50, 0.001) == fixed.next_size(50, 5.0) == 50


def test_purge_sizes_each_chunk_by_the_time_of_the_one_before(crm_a, monkeypatch):
    from crm import purge
    from crm.models import Contact

    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    Contact.objects.bulk_create(
        Contact(crm=crm_a, responsible=owner, name=f"C{n}") for n in range(400)
    )
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    # Every chunk "takes" 0.1 s while aiming at 0.05 s: each is half the last.
    clock = iter(n * 0.1 for n in range(10_000))
    monkeypatch.setattr(purge.time, "perf_counter", lambda: next(clock))
    chunks = []
    policy = ChunkPolicy(first=960, smallest=10, largest=1000, seconds=0.05)

    crm_purge(
        crm_id=crm_a.pk,
        policy=policy,
        on_chunk=lambda model, rows, seconds: chunks.append((model, rows)),
    )

    contact_chunks = [rows for model, rows in chunks if model is Contact]
    # 960 / (1 + 7 keys: two links, notes, tasks, changes, phones, e-mails) =
    # 120 first, then halving down to the smallest; only a chunk that finds no
    # rows ends the table.
    assert contact_chunks == [120, 60, 30, 15] + [10] * 17 + [5, 0]
    assert not Contact.objects.filter(crm_id=crm_a.pk).exists()


def test_bury_refuses_while_rows_are_left_and_buries_nothing(crm_a):
    from crm.models import Contact
    from crm.purge import PurgeIncomplete, _crm_bury

    Contact.objects.filter(crm=crm_a).delete()
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    Contact.objects.create(crm=crm_a, responsible=owner, name="Written late")
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)

    with pytest.raises(PurgeIncomplete, match="crm_"):
        _crm_bury(crm_a.pk)

    assert Crm.objects.get(pk=crm_a.pk).status == Crm.Status.PURGING
    assert not CrmTombstone.objects.filter(crm_id=crm_a.pk).exists()


def test_a_crm_that_leaves_purging_mid_way_loses_no_further_row(crm_a):
    from crm.models import Contact

    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    Contact.objects.bulk_create(
        Contact(crm=crm_a, responsible=owner, name=f"C{n}") for n in range(50)
    )
    before = Contact.objects.filter(crm=crm_a).count()
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)

    def on_chunk(model, rows, seconds):
        if model is Contact and rows:
            # Whatever moved it (nothing should), the next chunk must notice.
            Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.ACTIVE)

    policy = ChunkPolicy(first=40, smallest=10, largest=10)
    assert crm_purge(crm_id=crm_a.pk, policy=policy, on_chunk=on_chunk) is None

    assert Contact.objects.filter(crm=crm_a).count() == before - 10
    assert Crm.objects.get(pk=crm_a.pk).status == Crm.Status.ACTIVE
    assert not CrmTombstone.objects.filter(crm_id=crm_a.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL session settings"
)
def test_the_purge_gives_its_connection_back_with_its_settings(crm_a):
    names = ("synchronous_commit", "enable_seqscan", "enable_bitmapscan")

    def settings_now():
        with connection.cursor() as cursor:
            values = []
            for name in names:
                cursor.execute(f"SHOW {name}")
                values.append(cursor.fetchone()[0])
            return values

    seen_during = []
    before = settings_now()
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    crm_purge(
        crm_id=crm_a.pk,
        on_chunk=lambda *chunk: seen_during.append(settings_now()),
    )

    assert before == ["on", "on", "on"]
    assert seen_during and all(seen == ["off"] * 3 for seen in seen_during)
    assert settings_now() == before


def test_the_purge_pauses_while_others_are_busy(crm_a, monkeypatch):
    from crm import purge
    from crm.models import Contact

    # Three full chunks, a short one, then the empty last; the database reports
    # others busy after the second one only (and the last, which ends the table).
    answers = iter([(10, False), (10, True), (10, False), (3, False), (0, True)])
    monkeypatch.setattr(purge, "_delete_chunk", lambda *args: next(answers))
    clock = iter(n * 0.02 for n in range(100))  # every chunk "takes" 20 ms
    monkeypatch.setattr(purge.time, "perf_counter", lambda: next(clock))
    slept = []
    monkeypatch.setattr(purge.time, "sleep", slept.append)
    policy = ChunkPolicy(first=40, smallest=10, largest=10, yield_share=1.5)

    purge._table_purge(Contact, crm_a.pk, policy, None)

    # Only after the busy full chunk, 1.5 times its 20 ms; never after the last.
    assert slept == [pytest.approx(0.03)]


def test_a_short_chunk_does_not_end_the_table(crm_a, monkeypatch):
    """A chunk may pass over a row another transaction was updating (the row has
    a new address); only an empty chunk says the table is done."""
    from crm import purge
    from crm.models import Contact

    answers = iter([(10, False), (2, False), (1, False), (0, False)])
    calls = []

    def chunk(*args):
        calls.append(args)
        return next(answers)

    monkeypatch.setattr(purge, "_delete_chunk", chunk)
    policy = ChunkPolicy(first=10, smallest=10, largest=10, yield_share=0)

    purge._table_purge(Contact, crm_a.pk, policy, None)

    assert len(calls) == 4


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's pg_stat_activity"
)
# Each chunk its own transaction, as in a worker: a transaction reads the sessions'
# states once and then keeps what it read.
@pytest.mark.django_db(transaction=True)
def test_a_chunk_sees_whether_another_session_is_running_a_query(crm_a):
    import psycopg

    from crm.models import Contact
    from crm.purge import _delete_chunk

    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    assert _delete_chunk(Contact, crm_a.pk, 10)[1] is False

    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    )
    busy = threading.Thread(target=lambda: other.execute("SELECT pg_sleep(2)"))
    busy.start()
    try:
        seen = False
        for _attempt in range(40):
            if _delete_chunk(Contact, crm_a.pk, 10)[1]:
                seen = True
                break
            threading.Event().wait(0.05)
        assert seen
        busy.join()
        # Done a moment ago still counts: a web request's queries come in bursts.
        assert _delete_chunk(Contact, crm_a.pk, 10)[1] is True
    finally:
        busy.join()
        other.close()
