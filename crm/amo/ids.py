"""The numbers amoCRM fixes and integrations hard-code, and how ours map onto them.

- A deal in a won or lost status answers ``status_id`` 142 or 143, as in every
  amoCRM account; 142 and 143 sent back mean the pipeline's won and lost status.
  An open status whose own id happens to be 142 or 143 answers under an alias,
  so that every number means one status.
- Phones and e-mails are the predefined multitext fields PHONE and EMAIL, a
  company's website and address the fields WEB and ADDRESS; they get ids far above
  any custom field's, with one enum id per kind (``enum_code`` WORK, MOB, ...).
- Task types 1 and 2 are amoCRM's follow-up and meeting; our call is 3, and a
  CRM's own types answer above ``TASK_TYPE_CUSTOM_BASE``."""

from __future__ import annotations

import zlib

from crm.models import PipelineStatus, RecordEmail, RecordPhone, Task

WON_STATUS_ID = 142
LOST_STATUS_ID = 143
# An open status stored as 142 or 143 answers as this plus its id.
STATUS_ALIAS_BASE = 10**15

# Predefined fields, by code. Far above any id a database sequence reaches.
PREDEFINED_FIELD_BASE = 9 * 10**14
PHONE_FIELD_ID = PREDEFINED_FIELD_BASE + 1
EMAIL_FIELD_ID = PREDEFINED_FIELD_BASE + 2
WEB_FIELD_ID = PREDEFINED_FIELD_BASE + 3
ADDRESS_FIELD_ID = PREDEFINED_FIELD_BASE + 4

PHONE_ENUMS: dict[str, int] = {
    code: PHONE_FIELD_ID * 10 + index
    for index, code in enumerate(RecordPhone.Kind.values, start=1)
}
EMAIL_ENUMS: dict[str, int] = {
    code: EMAIL_FIELD_ID * 10 + index
    for index, code in enumerate(RecordEmail.Kind.values, start=1)
}

TASK_TYPE_IDS: dict[str, int] = {
    Task.Type.FOLLOW_UP: 1,
    Task.Type.MEETING: 2,
    Task.Type.CALL: 3,
}
TASK_TYPE_CODES: dict[str, str] = {
    Task.Type.FOLLOW_UP: "FOLLOW_UP",
    Task.Type.MEETING: "MEETING",
    Task.Type.CALL: "CALL",
}
TASK_TYPE_CUSTOM_BASE = 1000

# Roles as amoCRM's users list names them (with=role).
ROLE_IDS = {"owner": 1, "admin": 2, "user": 3}

# Our kinds of record and amoCRM's entity types, both ways.
ENTITY_TYPES = {"contact": "contacts", "company": "companies", "deal": "leads"}
ENTITIES = {plural: entity for entity, plural in ENTITY_TYPES.items()}


def status_out(status: PipelineStatus) -> int:
    """The id amoCRM's clients see for ``status``."""
    if status.kind == PipelineStatus.Kind.WON:
        return WON_STATUS_ID
    if status.kind == PipelineStatus.Kind.LOST:
        return LOST_STATUS_ID
    if status.pk in (WON_STATUS_ID, LOST_STATUS_ID):
        return STATUS_ALIAS_BASE + status.pk
    return status.pk


def status_kind_in(value: int) -> str | None:
    """``won``/``lost`` when a client names amoCRM's fixed status, else None."""
    if value == WON_STATUS_ID:
        return PipelineStatus.Kind.WON
    if value == LOST_STATUS_ID:
        return PipelineStatus.Kind.LOST
    return None


def status_pk_in(value: int) -> int:
    """Our id for an open status a client names (after ``status_kind_in``)."""
    if value - STATUS_ALIAS_BASE in (WON_STATUS_ID, LOST_STATUS_ID):
        return value - STATUS_ALIAS_BASE
    return value


def option_enum_id(field_id: int, option: str) -> int:
    """A select option's enum id: the same for the same text of the same field,
    whatever the options' order, so a client that kept it still finds it."""
    return zlib.crc32(f"{field_id}:{option}".encode()) & 0x7FFFFFFF


def task_type_out(task: Task) -> int:
    if task.custom_type_id is not None:
        return TASK_TYPE_CUSTOM_BASE + task.custom_type_id
    return TASK_TYPE_IDS.get(task.type, TASK_TYPE_IDS[Task.Type.FOLLOW_UP])


def task_type_in(value: int) -> str:
    """The value ``services.tasks.task_type_resolve`` reads: a built-in key or a
    custom type's id, as text."""
    for key, number in TASK_TYPE_IDS.items():
        if number == value:
            return key
    if value > TASK_TYPE_CUSTOM_BASE:
        return str(value - TASK_TYPE_CUSTOM_BASE)
    # No type has this number: the service refuses it as not a type.
    return "-"
