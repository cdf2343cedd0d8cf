"""Record writes: rights, custom field types, scoping, deletion in chunks."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from crm.models import (
    AuditEvent,
    BulkDeleteJob,
    Contact,
    ContactCompany,
    CrmUser,
    CustomField,
    Note,
)
from crm.rights import rights_default
from crm.services import record_deletion
from crm.services.records import company_save, contact_save, deal_save, note_add
from tests.factories import CompanyFactory, ContactFactory, CrmUserFactory, DealFactory
from tests.outbox_helpers import hold_tasks


def test_contact_with_companies_and_typed_custom_fields(crm_a, owner_a):
    size = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Size", type="number"
    )
    tier = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Tier", type="select", options=["A", "B"]
    )
    company = company_save(crm=crm_a, actor=owner_a, data={"name": "Acme"})

    contact = contact_save(
        crm=crm_a,
        actor=owner_a,
        data={
            "name": "  Jane   Doe ",
            "email": "jane@example.com",
            "company_ids": [company.pk],
            "custom": {str(size.pk): "42", str(tier.pk): "B"},
        },
    )
    assert contact.name == "Jane Doe"
    assert contact.custom == {str(size.pk): 42, str(tier.pk): "B"}
    assert list(contact.companies.all()) == [company]

    with pytest.raises(ValidationError) as wrong:
        contact_save(
            crm=crm_a,
            actor=owner_a,
            contact_id=contact.pk,
            data={"custom": {str(size.pk): "many", str(tier.pk): "Z", "999999": 1}},
        )
    messages = " ".join(wrong.value.message_dict["custom"])
    assert "a number is expected" in messages
    assert "choose one of: A, B" in messages
    assert "no field 999999" in messages
    contact.refresh_from_db()
    assert contact.custom[str(size.pk)] == 42  # nothing half-written


def test_references_to_another_crm_are_404(crm_a, crm_b, owner_a, staff_b):
    foreign_company = CompanyFactory(responsible=staff_b)
    with pytest.raises(Http404):
        contact_save(
            crm=crm_a,
            actor=owner_a,
            data={"name": "X", "company_ids": [foreign_company.pk]},
        )
    with pytest.raises(Http404):
        contact_save(
            crm=crm_a, actor=owner_a, data={"name": "X", "responsible_id": staff_b.pk}
        )
    foreign_contact = ContactFactory(responsible=staff_b)
    with pytest.raises(Http404):
        contact_save(
            crm=crm_a, actor=owner_a, contact_id=foreign_contact.pk, data={"name": "Y"}
        )
    assert not Contact.objects.filter(crm=crm_a).exists()


def test_rights_are_enforced_on_writes(crm_a, staff_a):
    rights = rights_default()
    rights["deal"]["create"] = "none"
    CrmUser.objects.filter(pk=staff_a.pk).update(rights=rights)
    staff_a.refresh_from_db()
    with pytest.raises(PermissionDenied):
        deal_save(crm=crm_a, actor=staff_a, data={"name": "Nope"})
    someone_elses = ContactFactory(responsible=CrmUserFactory(crm=crm_a))
    with pytest.raises(PermissionDenied):  # edit is "own" by default
        contact_save(
            crm=crm_a, actor=staff_a, contact_id=someone_elses.pk, data={"name": "Z"}
        )


def test_deal_status_must_belong_to_its_pipeline(crm_a, owner_a):
    deal = DealFactory(responsible=owner_a)
    other_status = DealFactory(responsible=owner_a).status
    with pytest.raises(ValidationError, match="not in that pipeline"):
        deal_save(
            crm=crm_a,
            actor=owner_a,
            deal_id=deal.pk,
            data={"status_id": other_status.pk},
        )


def test_delete_reports_not_found_and_removes_links_and_notes(
    crm_a, crm_b, owner_a, staff_b
):
    contacts = ContactFactory.create_batch(3, responsible=owner_a)
    company = CompanyFactory(responsible=owner_a)
    ContactCompany.objects.create(crm=crm_a, contact=contacts[0], company=company)
    note_add(
        crm=crm_a, actor=owner_a, entity="contact", record_id=contacts[0].pk, text="hi"
    )
    foreign = ContactFactory(responsible=staff_b)

    result = record_deletion.records_delete(
        crm=crm_a,
        actor=owner_a,
        entity="contact",
        ids=[c.pk for c in contacts[:2]] + [foreign.pk, 987654],
    )

    assert result.deleted == sorted(c.pk for c in contacts[:2])
    assert result.not_found == sorted([foreign.pk, 987654])
    assert Contact.objects.filter(pk=foreign.pk).exists()
    assert not ContactCompany.objects.exists()
    assert not Note.objects.exists()
    assert AuditEvent.objects.filter(action="records.deleted").count() == 1


def test_delete_without_the_right_is_refused_whole(crm_a, staff_a):
    mine = ContactFactory(responsible=staff_a)
    with pytest.raises(PermissionDenied):
        record_deletion.records_delete(
            crm=crm_a, actor=staff_a, entity="contact", ids=[mine.pk]
        )
    assert Contact.objects.filter(pk=mine.pk).exists()


def test_big_delete_becomes_a_job_that_resumes(crm_a, owner_a, monkeypatch):
    monkeypatch.setattr(record_deletion, "BULK_INLINE_LIMIT", 5)
    monkeypatch.setattr(record_deletion, "CHUNK_SIZE", 4)
    ContactFactory.create_batch(10, responsible=owner_a)
    ids = list(Contact.objects.values_list("pk", flat=True))
    hold_tasks(monkeypatch, "crm.tasks.run_bulk_delete")

    result = record_deletion.records_delete(
        crm=crm_a, actor=owner_a, entity="contact", ids=ids
    )
    job = result.job
    assert job is not None and job.total == 10
    assert Contact.objects.count() == 10  # nothing yet: the worker does it

    BulkDeleteJob.objects.filter(pk=job.pk).update(deleted=4)  # a crashed first run
    Contact.objects.filter(pk__in=sorted(ids)[:4]).delete()
    finished = record_deletion.bulk_delete_job_run(job_id=job.pk)
    assert finished.status == "done" and finished.percent == 100
    assert Contact.objects.count() == 0
