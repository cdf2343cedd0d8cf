"""A contact's and company's ``emails_text``: every address it has, kept by the
one service that writes addresses, and filled for records made before it by
migration 0027 — search for part of an address reads it (selectors/records.py),
so a record whose text fell behind its addresses would be lost to search."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from crm.models import Company, Contact, RecordEmail
from crm.selectors.records import RecordFilters, records_list
from crm.services.records import company_save, contact_save

MIGRATION = "0027_record_emails_text"


def _found(crm, actor, entity, q):
    filters = RecordFilters(q=q)
    records = records_list(crm=crm, actor=actor, entity=entity, filters=filters)
    return set(records.values_list("pk", flat=True))


def _addresses(record):
    return " ".join(
        RecordEmail.objects.filter(**{record._meta.model_name: record})
        .order_by("position", "pk")
        .values_list("value", flat=True)
    )


@pytest.mark.parametrize("save", [contact_save, company_save])
def test_the_text_follows_the_addresses(crm_a, owner_a, save):
    record = save(
        crm=crm_a,
        actor=owner_a,
        data={"name": "Kept"},
        emails=[("WORK", "Sales@Kept.example"), ("PRIV", "owner@home.example")],
    )
    model = type(record)
    assert model.objects.get(pk=record.pk).emails_text == _addresses(record)
    assert _found(crm_a, owner_a, model._meta.model_name, "home.exa") == {record.pk}

    entity = model._meta.model_name
    save(
        crm=crm_a,
        actor=owner_a,
        data={"name": "Kept"},
        emails=[("WORK", "new@kept.example")],
        **{f"{entity}_id": record.pk},
    )
    stored = model.objects.get(pk=record.pk)
    assert stored.emails_text == "new@kept.example" == _addresses(record)
    assert _found(crm_a, owner_a, entity, "home.exa") == set()
    assert _found(crm_a, owner_a, entity, "new@kept") == {record.pk}

    save(
        crm=crm_a,
        actor=owner_a,
        data={"name": "Kept"},
        emails=[],
        **{f"{entity}_id": record.pk},
    )
    assert model.objects.get(pk=record.pk).emails_text == ""
    assert _found(crm_a, owner_a, entity, "kept.example") == set()


def test_the_migration_fills_the_text_of_records_made_before_it(
    crm_a, crm_b, owner_a, staff_b
):
    # Written as they were before: addresses without the record's text.
    two = Contact.objects.create(crm=crm_a, responsible=owner_a, name="Two")
    none = Contact.objects.create(crm=crm_a, responsible=owner_a, name="None")
    company = Company.objects.create(crm=crm_a, responsible=owner_a, name="Co")
    theirs = Contact.objects.create(crm=crm_b, responsible=staff_b, name="Theirs")
    for position, (owner, value) in enumerate(
        [
            (two, "second@two.example"),
            (two, "first@two.example"),
            (company, "office@co.example"),
            (theirs, "b@theirs.example"),
        ]
    ):
        RecordEmail.objects.create(
            crm=owner.crm,
            position=position if owner is not two else 1 - position,
            value=value,
            **{owner._meta.model_name: owner},
        )
    assert not Contact.objects.exclude(emails_text="").exists()

    module = importlib.import_module(f"crm.migrations.{MIGRATION}")
    state = MigrationLoader(connection).project_state(("crm", MIGRATION))

    class Editor:
        connection = connection

    module.fill_emails_text(state.apps, Editor())

    assert Contact.objects.get(pk=two.pk).emails_text == (
        "first@two.example second@two.example"
    )
    assert Contact.objects.get(pk=none.pk).emails_text == ""
    assert Company.objects.get(pk=company.pk).emails_text == "office@co.example"
    assert Contact.objects.get(pk=theirs.pk).emails_text == "b@theirs.example"
    assert _found(crm_a, owner_a, "contact", "first@two") == {two.pk}
