"""Our rows as amoCRM's entities (the reading half of the v4 API).

Every entity has ``_links.self``, Unix timestamps and ``account_id`` (the CRM's
id). What we do not have answers the way amoCRM answers an entity without it:
``0`` for "nobody" (``created_by`` of a record), empty ``tags``, ``null``
``closed_at``. Links to records the reader may not see are left out."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Model, Prefetch
from django.urls import reverse
from rest_framework.request import Request

from crm.amo import ids
from crm.amo.params import timestamp
from crm.models import (
    Company,
    Crm,
    CrmGroup,
    CrmUser,
    CustomField,
    Deal,
    DealContact,
    Note,
    Pipeline,
    PipelineStatus,
    Task,
    TaskType,
)
from crm.rights import Action, Entity, Scope, rights_of
from crm.selectors.tasks import visible_tasks
from crm.services.records import visible_records

SCOPE_LETTERS = {Scope.ALL: "A", Scope.GROUP: "G", Scope.OWN: "M", Scope.NONE: "D"}
RIGHT_ACTIONS = {
    Action.VIEW: "view",
    Action.EDIT: "edit",
    Action.CREATE: "add",
    Action.DELETE: "delete",
    Action.EXPORT: "export",
}


def self_link(request: Request, name: str, **kwargs: Any) -> dict[str, Any]:
    return {
        "self": {
            "href": request.build_absolute_uri(reverse(f"amo:{name}", kwargs=kwargs))
        }
    }


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral() else float(amount)


# --- the account, its users, pipelines ------------------------------------------------


def account(request: Request, crm: Crm, actor: CrmUser, with_: set[str]) -> dict:
    owner = CrmUser.objects.for_crm(crm).filter(role=CrmUser.Role.OWNER).first()
    currency = settings.BILLING_DEFAULT_CURRENCY
    body: dict[str, Any] = {
        "id": crm.pk,
        "name": crm.name,
        "subdomain": crm.slug,
        "created_at": timestamp(crm.created_at),
        "created_by": owner.pk if owner else 0,
        "updated_at": timestamp(crm.updated_at),
        "updated_by": owner.pk if owner else 0,
        "current_user_id": actor.pk,
        "country": "",
        "currency": currency,
        "currency_symbol": currency,
        "customers_mode": "disabled",
        "is_unsorted_on": False,
        "is_loss_reason_enabled": False,
        "is_helpbot_enabled": False,
        "is_technical_account": False,
        "contact_name_display_order": 1,
        "_links": self_link(request, "account"),
    }
    embedded: dict[str, Any] = {}
    if "amojo_id" in with_:
        body["amojo_id"] = None
    if "uuid" in with_:
        body["uuid"] = None
    if "version" in with_:
        body["version"] = 1
    if "is_api_filter_enabled" in with_:
        body["is_api_filter_enabled"] = True
    if "amojo_rights" in with_:
        embedded["amojo_rights"] = {"can_direct": False, "can_create_groups": False}
    if "users_groups" in with_:
        embedded["users_groups"] = [
            {"id": group.pk, "name": group.name, "uuid": None}
            for group in CrmGroup.objects.for_crm(crm).order_by("pk")
        ]
    if "task_types" in with_:
        embedded["task_types"] = task_types(crm)
    if "datetime_settings" in with_:
        embedded["datetime_settings"] = {
            "date_pattern": "Y-m-d H:i",
            "short_date_pattern": "Y-m-d",
            "short_time_pattern": "H:i",
            "date_format": "Y-m-d",
            "time_format": "H:i:s",
            "timezone": settings.TIME_ZONE,
            "timezone_offset": datetime.datetime.now(datetime.UTC)
            .astimezone()
            .strftime("%z"),
        }
    if embedded:
        body["_embedded"] = embedded
    return body


def task_types(crm: Crm) -> list[dict]:
    builtin = [
        {
            "id": number,
            "name": str(Task.Type(key).label),
            "color": None,
            "icon_id": None,
            "code": ids.TASK_TYPE_CODES[key],
        }
        for key, number in ids.TASK_TYPE_IDS.items()
    ]
    own = [
        {
            "id": ids.TASK_TYPE_CUSTOM_BASE + task_type.pk,
            "name": task_type.name,
            "color": None,
            "icon_id": None,
            "code": None,
        }
        for task_type in TaskType.objects.for_crm(crm)
    ]
    return builtin + own


def user_rights(user: CrmUser) -> dict[str, Any]:
    rights = rights_of(user)
    body: dict[str, Any] = {}
    for entity, plural in ids.ENTITY_TYPES.items():
        body[plural] = {
            amo: SCOPE_LETTERS.get(rights[entity][ours], "D")
            for ours, amo in RIGHT_ACTIONS.items()
        }
    body.update(
        {
            "tasks": {
                "edit": "A" if user.is_admin else "M",
                "delete": "A" if user.is_admin else "M",
            },
            "mail_access": False,
            "catalog_access": False,
            "files_access": False,
            "status_rights": [],
            "is_admin": user.is_admin,
            "is_free": False,
            "is_active": user.is_active,
            "group_id": user.group_id,
            "role_id": ids.ROLE_IDS.get(user.role),
        }
    )
    return body


def user(request: Request, crm_user: CrmUser, with_: set[str]) -> dict:
    body: dict[str, Any] = {
        "id": crm_user.pk,
        "name": crm_user.name,
        "email": crm_user.email,
        "lang": crm_user.language or settings.LANGUAGE_CODE,
        "rights": user_rights(crm_user),
        "_links": self_link(request, "user", pk=crm_user.pk),
    }
    embedded: dict[str, Any] = {}
    if "role" in with_:
        embedded["roles"] = [
            {
                "id": ids.ROLE_IDS.get(crm_user.role),
                "name": str(crm_user.get_role_display()),
            }
        ]
    if "group" in with_:
        group = crm_user.group
        embedded["groups"] = [{"id": group.pk, "name": group.name}] if group else []
    if "uuid" in with_:
        body["uuid"] = None
    if "amojo_id" in with_:
        body["amojo_id"] = None
    if embedded:
        body["_embedded"] = embedded
    return body


def status_of(request: Request, crm: Crm, status: PipelineStatus) -> dict:
    amo_id = ids.status_out(status)
    open_kind = status.kind == PipelineStatus.Kind.OPEN
    return {
        "id": amo_id,
        "name": status.name,
        "sort": (status.position + 1) * 10
        if open_kind
        else (10000 if amo_id == ids.WON_STATUS_ID else 11000),
        "is_editable": open_kind,
        "pipeline_id": status.pipeline_id,
        "color": status.color,
        "type": 0,
        "account_id": crm.pk,
        "_links": self_link(
            request, "pipeline_status", pipeline_id=status.pipeline_id, pk=amo_id
        ),
    }


def statuses_in_order(pipeline: Pipeline) -> list[PipelineStatus]:
    """Open statuses by position, then won, then lost (amoCRM's order)."""
    rank = {
        PipelineStatus.Kind.OPEN: 0,
        PipelineStatus.Kind.WON: 1,
        PipelineStatus.Kind.LOST: 2,
    }
    return sorted(
        pipeline.statuses.all(), key=lambda s: (rank.get(s.kind, 0), s.position, s.pk)
    )


def pipeline(
    request: Request, crm: Crm, pipe: Pipeline, *, first_id: int | None
) -> dict:
    return {
        "id": pipe.pk,
        "name": pipe.name,
        "sort": (pipe.position + 1) * 10,
        "is_main": pipe.pk == first_id,
        "is_unsorted_on": False,
        "is_archive": False,
        "account_id": crm.pk,
        "_links": self_link(request, "pipeline", pk=pipe.pk),
        "_embedded": {
            "statuses": [status_of(request, crm, s) for s in statuses_in_order(pipe)]
        },
    }


# --- custom fields --------------------------------------------------------------------

FIELD_TYPES = {
    CustomField.Type.TEXT: "text",
    CustomField.Type.NUMBER: "numeric",
    CustomField.Type.DATE: "date",
    CustomField.Type.SELECT: "select",
    CustomField.Type.MULTISELECT: "multiselect",
}


def _field_base(request: Request, crm: Crm, entity: str, field_id: int) -> dict:
    return {
        "id": field_id,
        "account_id": crm.pk,
        "is_api_only": False,
        "group_id": None,
        "required_statuses": [],
        "remind": None,
        "triggers": [],
        "currency": None,
        "hidden_statuses": [],
        "chained_lists": None,
        "entity_type": ids.ENTITY_TYPES[entity],
        "_links": self_link(
            request, "custom_field", entity_type=ids.ENTITY_TYPES[entity], pk=field_id
        ),
    }


def predefined_fields(request: Request, crm: Crm, entity: str) -> list[dict]:
    """PHONE and EMAIL of contacts and companies, WEB and ADDRESS of companies."""
    if entity == Entity.DEAL:
        return []
    from django.utils.translation import gettext as _

    fields = [
        (ids.PHONE_FIELD_ID, "PHONE", _("Phone"), "multitext", ids.PHONE_ENUMS, -2),
        (ids.EMAIL_FIELD_ID, "EMAIL", _("Email"), "multitext", ids.EMAIL_ENUMS, -1),
    ]
    if entity == Entity.COMPANY:
        fields += [
            (ids.WEB_FIELD_ID, "WEB", _("Website"), "url", {}, 0),
            (ids.ADDRESS_FIELD_ID, "ADDRESS", _("Address"), "textarea", {}, 0),
        ]
    shaped = []
    for field_id, code, name, kind, enums, sort in fields:
        body = _field_base(request, crm, entity, field_id)
        body.update(
            {
                "name": name,
                "type": kind,
                "code": code,
                "sort": sort,
                "is_predefined": True,
                "is_deletable": False,
                "enums": [
                    {"id": enum_id, "value": value, "sort": (index + 1) * 2}
                    for index, (value, enum_id) in enumerate(enums.items())
                ]
                or None,
            }
        )
        shaped.append(body)
    return shaped


def custom_field(request: Request, crm: Crm, field: CustomField) -> dict:
    body = _field_base(request, crm, field.entity, field.pk)
    options = (
        field.options
        if field.type in (CustomField.Type.SELECT, CustomField.Type.MULTISELECT)
        else []
    )
    body.update(
        {
            "name": field.name,
            "type": FIELD_TYPES.get(field.type, "text"),
            "code": None,
            "sort": field.position,
            "is_predefined": False,
            "is_deletable": True,
            "enums": [
                {
                    "id": ids.option_enum_id(field.pk, option),
                    "value": option,
                    "sort": index + 1,
                }
                for index, option in enumerate(options)
            ]
            or None,
        }
    )
    return body


def _date_value(value: Any) -> Any:
    try:
        day = datetime.date.fromisoformat(str(value))
    except ValueError:
        return value
    return int(
        datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp()
    )


def custom_values(
    record: Model, entity: str, fields: Sequence[CustomField]
) -> list[dict] | None:
    """``custom_fields_values`` of a record: phones and e-mails first, then the
    custom fields that have a value; ``null`` when there is none, as amoCRM."""
    values: list[dict] = []
    if entity in (Entity.CONTACT, Entity.COMPANY):
        phones = [
            {
                "value": p.value,
                "enum_id": ids.PHONE_ENUMS.get(p.kind),
                "enum_code": p.kind,
            }
            for p in record.phones.all()
        ]
        emails = [
            {
                "value": e.value,
                "enum_id": ids.EMAIL_ENUMS.get(e.kind),
                "enum_code": e.kind,
            }
            for e in record.emails.all()
        ]
        for field_id, code, kind, items in (
            (ids.PHONE_FIELD_ID, "PHONE", "multitext", phones),
            (ids.EMAIL_FIELD_ID, "EMAIL", "multitext", emails),
        ):
            if items:
                values.append(
                    {
                        "field_id": field_id,
                        "field_name": code.capitalize(),
                        "field_code": code,
                        "field_type": kind,
                        "values": items,
                    }
                )
    if entity == Entity.COMPANY:
        for field_id, code, kind, value in (
            (ids.WEB_FIELD_ID, "WEB", "url", record.website),
            (ids.ADDRESS_FIELD_ID, "ADDRESS", "textarea", record.address),
        ):
            if value:
                values.append(
                    {
                        "field_id": field_id,
                        "field_name": code.capitalize(),
                        "field_code": code,
                        "field_type": kind,
                        "values": [{"value": value}],
                    }
                )
    custom = record.custom or {}
    for field in fields:
        if str(field.pk) not in custom:
            continue
        stored = custom[str(field.pk)]
        if field.type == CustomField.Type.MULTISELECT:
            items = [
                {"value": option, "enum_id": ids.option_enum_id(field.pk, option)}
                for option in (stored if isinstance(stored, list) else [stored])
            ]
        elif field.type == CustomField.Type.SELECT:
            items = [{"value": stored, "enum_id": ids.option_enum_id(field.pk, stored)}]
        elif field.type == CustomField.Type.DATE:
            items = [{"value": _date_value(stored)}]
        elif field.type == CustomField.Type.NUMBER:
            items = [{"value": str(stored)}]
        else:
            items = [{"value": stored}]
        values.append(
            {
                "field_id": field.pk,
                "field_name": field.name,
                "field_code": None,
                "field_type": FIELD_TYPES.get(field.type, "text"),
                "values": items,
            }
        )
    return values or None


# --- records --------------------------------------------------------------------------


def record_prefetches(crm: Crm, actor: CrmUser, entity: str, with_: set[str]) -> list:
    """What a page of records needs, in one query each, only what the reader may
    see."""
    prefetches: list[Any] = []
    if entity in (Entity.CONTACT, Entity.COMPANY):
        prefetches += ["phones", "emails"]
    if entity == Entity.CONTACT:
        prefetches.append(
            Prefetch(
                "companies",
                queryset=visible_records(crm=crm, actor=actor, entity="company").only(
                    "pk"
                ),
            )
        )
        if "leads" in with_:
            prefetches.append(
                Prefetch(
                    "deals",
                    queryset=visible_records(crm=crm, actor=actor, entity="deal").only(
                        "pk"
                    ),
                )
            )
    if entity == Entity.COMPANY and "contacts" in with_:
        prefetches.append(
            Prefetch(
                "contacts",
                queryset=visible_records(crm=crm, actor=actor, entity="contact").only(
                    "pk"
                ),
            )
        )
    return prefetches


class RecordShaper:
    """Shapes a page of one kind of record for one reader: the custom fields,
    the links they may see (read once per page)."""

    def __init__(
        self,
        request: Request,
        *,
        crm: Crm,
        actor: CrmUser,
        entity: str,
        with_: set[str],
        fields: Sequence[CustomField],
    ) -> None:
        self.request = request
        self.crm = crm
        self.actor = actor
        self.entity = entity
        self.with_ = with_
        self.fields = fields
        self.plural = ids.ENTITY_TYPES[entity]

    def _ref(self, plural: str, pk: int, **extra: Any) -> dict:
        return {
            "id": pk,
            **extra,
            "_links": self_link(self.request, "record", entity_type=plural, pk=pk),
        }

    def _deal_links(self, records: list[Deal]) -> tuple[dict, set]:
        """A page of deals' visible contacts (in the order they were linked,
        the first one main) and which of their companies the reader may see."""
        contacts: dict[int, list[int]] = defaultdict(list)
        visible_contacts = visible_records(
            crm=self.crm, actor=self.actor, entity="contact"
        )
        links = (
            DealContact.objects.for_crm(self.crm)
            .filter(deal__in=[r.pk for r in records], contact__in=visible_contacts)
            .order_by("pk")
            .values_list("deal_id", "contact_id")
        )
        for deal_id, contact_id in links:
            contacts[deal_id].append(contact_id)
        company_ids = {r.company_id for r in records if r.company_id}
        visible_companies = set(
            visible_records(crm=self.crm, actor=self.actor, entity="company")
            .filter(pk__in=company_ids)
            .values_list("pk", flat=True)
        )
        return contacts, visible_companies

    def _company_deals(self, records: list[Company]) -> dict[int, list[int]]:
        deals: dict[int, list[int]] = defaultdict(list)
        rows = (
            visible_records(crm=self.crm, actor=self.actor, entity="deal")
            .filter(company__in=[r.pk for r in records])
            .order_by("pk")
            .values_list("company_id", "pk")
        )
        for company_id, deal_id in rows:
            deals[company_id].append(deal_id)
        return deals

    def many(self, records: Iterable[Model]) -> list[dict]:
        records = list(records)
        deal_contacts: dict = {}
        deal_companies: set = set()
        company_deals: dict = {}
        if self.entity == Entity.DEAL:
            deal_contacts, deal_companies = self._deal_links(records)
        if self.entity == Entity.COMPANY and "leads" in self.with_:
            company_deals = self._company_deals(records)
        shaped = []
        for record in records:
            body = self._common(record)
            embedded: dict[str, Any] = {"tags": []}
            if self.entity == Entity.CONTACT:
                body["first_name"] = record.name
                body["last_name"] = ""
                body["is_unsorted"] = False
                embedded["companies"] = [
                    self._ref("companies", c.pk) for c in record.companies.all()
                ]
                if "leads" in self.with_:
                    embedded["leads"] = [
                        self._ref("leads", d.pk) for d in record.deals.all()
                    ]
            elif self.entity == Entity.COMPANY:
                if "contacts" in self.with_:
                    embedded["contacts"] = [
                        self._ref("contacts", c.pk) for c in record.contacts.all()
                    ]
                if "leads" in self.with_:
                    embedded["leads"] = [
                        self._ref("leads", pk)
                        for pk in company_deals.get(record.pk, [])
                    ]
            else:
                body.update(
                    {
                        "price": _number(record.amount),
                        "status_id": ids.status_out(record.status),
                        "pipeline_id": record.pipeline_id,
                        "loss_reason_id": None,
                        "closed_at": None,
                        "score": None,
                        "labor_cost": None,
                    }
                )
                company = (
                    record.company_id if record.company_id in deal_companies else None
                )
                embedded["companies"] = (
                    [self._ref("companies", company)] if company else []
                )
                if "contacts" in self.with_:
                    embedded["contacts"] = [
                        self._ref("contacts", pk, is_main=index == 0)
                        for index, pk in enumerate(deal_contacts.get(record.pk, []))
                    ]
            body["_embedded"] = embedded
            shaped.append(body)
        return shaped

    def one(self, record: Model) -> dict:
        return self.many([record])[0]

    def _common(self, record: Model) -> dict[str, Any]:
        return {
            "id": record.pk,
            "name": record.name,
            "responsible_user_id": record.responsible_id,
            "group_id": record.responsible.group_id or 0,
            "created_by": 0,
            "updated_by": 0,
            "created_at": timestamp(record.created_at),
            "updated_at": timestamp(record.updated_at),
            "closest_task_at": None,
            "is_deleted": False,
            "custom_fields_values": custom_values(record, self.entity, self.fields),
            "account_id": self.crm.pk,
            "_links": self_link(
                self.request, "record", entity_type=self.plural, pk=record.pk
            ),
        }


# --- notes, tasks, links --------------------------------------------------------------


def note(request: Request, crm: Crm, row: Note) -> dict:
    entity = next(e for e in ids.ENTITY_TYPES if getattr(row, f"{e}_id") is not None)
    plural = ids.ENTITY_TYPES[entity]
    entity_id = getattr(row, f"{entity}_id")
    created = timestamp(row.created_at)
    return {
        "id": row.pk,
        "entity_id": entity_id,
        "created_by": row.author_id or 0,
        "updated_by": row.author_id or 0,
        "created_at": created,
        "updated_at": created,
        "responsible_user_id": row.author_id or 0,
        "group_id": 0,
        "note_type": "common",
        "params": {"text": row.text},
        "account_id": crm.pk,
        "_links": self_link(
            request, "record_note", entity_type=plural, record_id=entity_id, pk=row.pk
        ),
    }


def task(request: Request, crm: Crm, row: Task) -> dict:
    entity = row.entity
    return {
        "id": row.pk,
        "created_by": row.created_by_id or 0,
        "updated_by": row.created_by_id or 0,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "responsible_user_id": row.responsible_id,
        "group_id": row.responsible.group_id or 0,
        "entity_id": getattr(row, f"{entity}_id") if entity else None,
        "entity_type": ids.ENTITY_TYPES[entity] if entity else None,
        "duration": 0,
        "is_completed": row.completed_at is not None,
        "task_type_id": ids.task_type_out(row),
        "text": row.text,
        "result": {"text": row.result} if row.completed_at is not None else [],
        "complete_till": timestamp(row.due_at),
        "account_id": crm.pk,
        "_links": self_link(request, "task", pk=row.pk),
    }


def tasks_query(crm: Crm, actor: CrmUser):
    return visible_tasks(crm=crm, actor=actor)


def link(
    entity: str,
    entity_id: int,
    to_entity: str,
    to_id: int,
    metadata: dict | None = None,
) -> dict:
    return {
        "entity_id": entity_id,
        "entity_type": ids.ENTITY_TYPES[entity],
        "to_entity_id": to_id,
        "to_entity_type": ids.ENTITY_TYPES[to_entity],
        "metadata": metadata,
    }
