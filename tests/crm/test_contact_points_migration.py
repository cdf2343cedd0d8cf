"""Migration 0022: each contact's one phone and one e-mail, as they were before
contacts had several, become its first RecordPhone and RecordEmail, so search
and duplicate checks find old contacts as they find new ones.

The migration's data step runs here on today's tables with the models as they
were at that migration (the tables it reads and writes are the same), which
checks the copy itself without migrating the whole database back and forth."""

import importlib

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from crm.models import Contact, RecordEmail, RecordPhone
from crm.selectors.records import records_filtered
from crm.services.contact_points import phone_digits, phone_match_key

MIGRATION = "0022_contact_phones_and_emails"


def _run_copy() -> None:
    module = importlib.import_module(f"crm.migrations.{MIGRATION}")
    state = MigrationLoader(connection).project_state(("crm", MIGRATION))
    module.copy_phone_and_email(state.apps, None)  # it needs no schema editor


def test_each_contacts_phone_and_email_become_its_first_ones(
    crm_a, crm_b, owner_a, staff_b
):
    # Written as they were before: the contact's own columns only.
    both = Contact.objects.create(
        crm=crm_a,
        responsible=owner_a,
        name="Both",
        phone="+380 (67) 123-45-67",
        email=" Olga@Example.COM ",
    )
    phone_only = Contact.objects.create(
        crm=crm_a, responsible=owner_a, name="Phone only", phone="ext. 12"
    )
    neither = Contact.objects.create(crm=crm_a, responsible=owner_a, name="Neither")
    theirs = Contact.objects.create(
        crm=crm_b, responsible=staff_b, name="Theirs", email="b@example.com"
    )
    assert not RecordPhone.objects.exists() and not RecordEmail.objects.exists()

    _run_copy()

    phone = RecordPhone.objects.get(contact=both)
    assert (phone.crm_id, phone.kind, phone.value, phone.position) == (
        crm_a.pk,
        "WORK",
        "+380 (67) 123-45-67",
        0,
    )
    # The same digits and key as the services work out for a new number.
    assert phone.digits == phone_digits(phone.value)
    assert phone.match_key == phone_match_key("067 123 45 67")
    email = RecordEmail.objects.get(contact=both)
    assert (email.crm_id, email.kind, email.value) == (
        crm_a.pk,
        "WORK",
        "olga@example.com",
    )
    both.refresh_from_db()
    assert both.email == "olga@example.com"
    assert both.phone == "+380 (67) 123-45-67"
    # Nothing dropped, nothing invented.
    assert RecordPhone.objects.get(contact=phone_only).value == "ext. 12"
    assert not RecordEmail.objects.filter(contact=phone_only).exists()
    assert not RecordPhone.objects.filter(contact=neither).exists()
    assert not RecordEmail.objects.filter(contact=neither).exists()
    their_email = RecordEmail.objects.get(contact=theirs)
    assert their_email.crm_id == crm_b.pk
    assert RecordPhone.objects.count() == 2 and RecordEmail.objects.count() == 2

    # An old contact is found by its number typed another way.
    found = records_filtered(
        crm=crm_a, actor=owner_a, entity="contact", params={"q": "0671234567"}
    )
    assert list(found) == [both]
