"""Bulk deletion deletes with set-based SQL: it must leave exactly the rows the
ORM's own cascade leaves."""

import pytest
from django.apps import apps
from django.db import transaction

from crm.entities import RECORD_KINDS
from crm.models import (
    ContactCompany,
    CrmScopedModel,
    CrmUser,
    DealContact,
    Note,
    RecordEmail,
    RecordPhone,
)
from crm.services.record_deletion import records_delete
from tests.factories import CompanyFactory, ContactFactory, DealFactory


class Rollback(Exception):
    pass


# What the service adds beside deleting: its audit record (and a job past the
# inline limit).
ADDED_BY_THE_SERVICE = {"crm.AuditEvent", "crm.BulkDeleteJob"}


def every_row() -> set[tuple]:
    """Every CRM-scoped row, whole: a column set to NULL counts as a change."""
    return {
        (model._meta.label, *(str(value) for value in row))
        for model in apps.get_models()
        if issubclass(model, CrmScopedModel)
        and model._meta.label not in ADDED_BY_THE_SERVICE
        for row in model.objects.values_list()
    }


def rows_after_orm_delete(model, ids) -> set[tuple]:
    try:
        with transaction.atomic():
            model.objects.filter(pk__in=ids).delete()
            left = every_row()
            raise Rollback
    except Rollback:
        return left


@pytest.fixture
def linked_records(crm_a, crm_b):
    for crm in (crm_a, crm_b):
        owner = CrmUser.objects.get(crm=crm, role="owner")
        companies = CompanyFactory.create_batch(3, responsible=owner)
        contacts = ContactFactory.create_batch(6, responsible=owner)
        deals = DealFactory.create_batch(4, responsible=owner, company=companies[0])
        for n, contact in enumerate(contacts):
            ContactCompany.objects.create(
                crm=crm, contact=contact, company=companies[n % 3]
            )
            DealContact.objects.create(crm=crm, deal=deals[n % 4], contact=contact)
            Note.objects.create(crm=crm, contact=contact, text="c")
        for record in (*companies, *deals):
            kind = type(record)._meta.model_name
            Note.objects.create(crm=crm, text="r", **{kind: record})
        # Phones and e-mails of contacts and companies, two of each.
        for n, record in enumerate((*contacts, *companies)):
            kind = type(record)._meta.model_name
            for position in range(2):
                RecordPhone.objects.create(
                    crm=crm,
                    value=f"+380 67 {n}{position}",
                    position=position,
                    **{kind: record},
                )
                RecordEmail.objects.create(
                    crm=crm,
                    value=f"{kind}{n}.{position}@example.com",
                    position=position,
                    **{kind: record},
                )
    return crm_a


@pytest.mark.parametrize("entity", list(RECORD_KINDS))
def test_bulk_delete_leaves_what_the_orm_cascade_leaves(linked_records, entity):
    crm = linked_records
    model = RECORD_KINDS[entity].model
    ids = list(model.objects.for_crm(crm).order_by("pk").values_list("pk", flat=True))
    ids = ids[::2]
    expected = rows_after_orm_delete(model, ids)
    owner = CrmUser.objects.get(crm=crm, role="owner")

    result = records_delete(crm=crm, actor=owner, entity=entity, ids=ids)

    assert sorted(result.deleted) == sorted(ids)
    assert every_row() == expected
