"""The one registry of a CRM's records: contacts, companies and deals.

Everything that treats the three alike reads it: the pages' URL names and
labels, the record services and forms, custom fields, record deletion and its
dependents; rights and custom fields take their keys from ``rights.Entity``.
What differs between the kinds (their fields and forms, their routes in
crm/urls.py and the API's) is written out where it is used."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model

from crm.models import (
    Company,
    Contact,
    ContactCompany,
    CrmRecord,
    Deal,
    DealContact,
    Note,
    RecordChange,
    RecordEmail,
    RecordPhone,
    Task,
)
from crm.rights import Entity


@dataclass(frozen=True)
class RecordKind:
    key: Entity
    model: type[CrmRecord]
    # Rows that exist only with a record of this kind, and the column naming it:
    # deleting the record deletes them, as the models' CASCADE says.
    dependents: tuple[tuple[type[Model], str], ...]
    # Rows that point at a record of this kind and outlive it, the column set to
    # NULL (SET_NULL): a deal keeps going when its company is deleted.
    unlinked: tuple[tuple[type[Model], str], ...] = ()

    @property
    def label(self):
        """The plural name people read: "Contacts"."""
        return self.key.label

    def url_name(self, page: str) -> str:
        """The URL name of one of its pages: list, new, card, edit, action,
        bulk_delete, layout (``crm:contact_list``)."""
        return f"crm:{self.key}_{page}"

    @property
    def url_names(self) -> dict[str, str]:
        """Its pages' URL names, for ``{% url kind.url_names.card ... %}``."""
        pages = ("list", "new", "card", "edit", "action", "bulk_delete", "layout")
        return {page: self.url_name(page) for page in pages}


RECORD_KINDS: dict[str, RecordKind] = {
    kind.key.value: kind
    for kind in (
        RecordKind(
            Entity.CONTACT,
            Contact,
            (
                (ContactCompany, "contact_id"),
                (DealContact, "contact_id"),
                (Note, "contact_id"),
                (Task, "contact_id"),
                (RecordChange, "contact_id"),
                (RecordPhone, "contact_id"),
                (RecordEmail, "contact_id"),
            ),
        ),
        RecordKind(
            Entity.COMPANY,
            Company,
            (
                (ContactCompany, "company_id"),
                (Note, "company_id"),
                (Task, "company_id"),
                (RecordChange, "company_id"),
                (RecordPhone, "company_id"),
                (RecordEmail, "company_id"),
            ),
            unlinked=((Deal, "company_id"),),
        ),
        RecordKind(
            Entity.DEAL,
            Deal,
            (
                (DealContact, "deal_id"),
                (Note, "deal_id"),
                (Task, "deal_id"),
                (RecordChange, "deal_id"),
            ),
        ),
    )
}


def record_kind(key: str) -> RecordKind:
    """The kind named ``key`` ("contact"); KeyError for anything else."""
    return RECORD_KINDS[key]


def record_kind_of(model: type[Model]) -> RecordKind:
    return next(kind for kind in RECORD_KINDS.values() if kind.model is model)
