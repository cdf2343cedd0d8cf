"""The one registry of a CRM's records: contacts, companies and deals.

Everything that treats the three alike reads it: the pages and their URLs, the
API, rights (whose ``Entity`` choices are the keys), custom fields, record
deletion and its dependents. A fourth kind of record is added here once."""

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
)
from crm.rights import Entity


@dataclass(frozen=True)
class RecordKind:
    key: Entity
    model: type[CrmRecord]
    # The path segment of its pages (/c/<crm>/contacts/) and of the API.
    plural: str
    # Rows that exist only with a record of this kind, and the column naming it:
    # deleting the record deletes them (the database cascades the same way).
    dependents: tuple[tuple[type[Model], str], ...]

    @property
    def label(self):
        """The plural name people read: "Contacts"."""
        return self.key.label

    def url_name(self, page: str) -> str:
        """The URL name of one of its pages: list, new, card, edit, action,
        bulk_delete (``crm:contact_list``)."""
        return f"crm:{self.key}_{page}"

    @property
    def url_names(self) -> dict[str, str]:
        """Its pages' URL names, for ``{% url kind.url_names.card ... %}``."""
        pages = ("list", "new", "card", "edit", "action", "bulk_delete")
        return {page: self.url_name(page) for page in pages}


RECORD_KINDS: dict[str, RecordKind] = {
    kind.key.value: kind
    for kind in (
        RecordKind(
            Entity.CONTACT,
            Contact,
            "contacts",
            (
                (ContactCompany, "contact_id"),
                (DealContact, "contact_id"),
                (Note, "contact_id"),
            ),
        ),
        RecordKind(
            Entity.COMPANY,
            Company,
            "companies",
            ((ContactCompany, "company_id"), (Note, "company_id")),
        ),
        RecordKind(
            Entity.DEAL, Deal, "deals", ((DealContact, "deal_id"), (Note, "deal_id"))
        ),
    )
}


def record_kind(key: str) -> RecordKind:
    """The kind named ``key`` ("contact"); KeyError for anything else."""
    return RECORD_KINDS[key]


def record_kind_of(model: type[Model]) -> RecordKind:
    return next(kind for kind in RECORD_KINDS.values() if kind.model is model)
