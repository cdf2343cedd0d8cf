"""amoCRM's request bodies as the services' arguments (the writing half).

Each item of a batch is read on its own, and what is wrong with it is reported
under its ``request_id`` with amoCRM's paths (``custom_fields_values.0.values``).
Only the types are checked here; what the values mean (a status of that pipeline,
a user of this CRM, an option of that field) is the services' to decide.
``custom_fields_values`` names a field by ``field_id`` or ``field_code``; PHONE and
EMAIL carry ``enum_code`` (or ``enum_id``) for the kind; ``values: null`` or ``[]``
clears a field. Tags and other parts we do not keep are accepted and ignored, as
amoCRM ignores what it does not know."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from crm.amo import ids
from crm.amo.problems import ItemErrors
from crm.models import CustomField, RecordEmail, RecordPhone
from crm.rights import Entity

MAX_ITEMS = 250
MAX_ID = 2**63 - 1

PREDEFINED_CODES = {
    "PHONE": ids.PHONE_FIELD_ID,
    "EMAIL": ids.EMAIL_FIELD_ID,
    "WEB": ids.WEB_FIELD_ID,
    "ADDRESS": ids.ADDRESS_FIELD_ID,
}
PHONE_ENUM_CODES = {number: code for code, number in ids.PHONE_ENUMS.items()}
EMAIL_ENUM_CODES = {number: code for code, number in ids.EMAIL_ENUMS.items()}


class Invalid(Exception):
    """One value refused; collected into the item's errors."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(detail)
        self.path = path
        self.detail = detail


def request_id_of(item: Any, index: int) -> str:
    """The client's ``request_id``, or the item's position, as text."""
    if isinstance(item, Mapping) and item.get("request_id") not in (None, ""):
        return str(item["request_id"])[:100]
    return str(index)


def an_int(value: Any, path: str, *, allow_null: bool = False) -> int | None:
    if value is None and allow_null:
        return None
    if isinstance(value, bool):
        raise Invalid(path, _("A whole number is expected."))
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise Invalid(path, _("A whole number is expected."))
    return value


def a_text(value: Any, path: str, *, allow_null: bool = True) -> str:
    if value is None and allow_null:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(path, _("Text is expected."))
    return str(value)


def a_time(value: Any, path: str) -> datetime.datetime:
    seconds = an_int(value, path)
    try:
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise Invalid(path, _("A Unix timestamp is expected.")) from None


def items_of(body: Any, *, single_ok: bool = False) -> list[Any]:
    """A batch body: a JSON array (an object alone where ``single_ok``)."""
    if single_ok and isinstance(body, Mapping):
        return [body]
    if not isinstance(body, list) or not body:
        raise Invalid("", _("Send a JSON array of objects."))
    if len(body) > MAX_ITEMS:
        raise Invalid("", _("At most %(n)d items at once.") % {"n": MAX_ITEMS})
    return body


def embedded_ids(item: Mapping, key: str, path: str) -> list[int] | None:
    """``_embedded[key]`` as ids (``[{"id": 1}]``); None when not sent."""
    embedded = item.get("_embedded")
    if not isinstance(embedded, Mapping) or key not in embedded:
        return None
    refs = embedded[key]
    if refs is None:
        return []
    if not isinstance(refs, list):
        raise Invalid(f"{path}_embedded.{key}", _("A list is expected."))
    found = []
    for index, ref in enumerate(refs):
        if not isinstance(ref, Mapping) or "id" not in ref:
            raise Invalid(f"{path}_embedded.{key}.{index}.id", _("An id is expected."))
        found.append(an_int(ref["id"], f"{path}_embedded.{key}.{index}.id"))
    return found


@dataclass
class RecordInput:
    """What one item asks of the record services."""

    data: dict[str, Any] = field(default_factory=dict)
    phones: list[tuple[str, str]] | None = None
    emails: list[tuple[str, str]] | None = None


class CustomValuesReader:
    """``custom_fields_values`` of one kind of record in one CRM."""

    def __init__(self, entity: str, fields: Sequence[CustomField]) -> None:
        self.entity = entity
        self.fields = {f.pk: f for f in fields}

    def _field_id(self, entry: Mapping, path: str) -> int:
        if entry.get("field_id") is not None:
            field_id = an_int(entry["field_id"], f"{path}.field_id")
            if field_id in self.fields or field_id in self._predefined():
                return field_id
            raise Invalid(
                f"{path}.field_id",
                _("There is no field %(id)s for this kind of record.")
                % {"id": field_id},
            )
        code = entry.get("field_code")
        if (
            isinstance(code, str)
            and PREDEFINED_CODES.get(code.upper()) in self._predefined()
        ):
            return PREDEFINED_CODES[code.upper()]
        raise Invalid(
            f"{path}.field_code" if code is not None else f"{path}.field_id",
            _("Name the field by field_id or field_code."),
        )

    def _predefined(self) -> set[int]:
        if self.entity == Entity.CONTACT:
            return {ids.PHONE_FIELD_ID, ids.EMAIL_FIELD_ID}
        if self.entity == Entity.COMPANY:
            return {
                ids.PHONE_FIELD_ID,
                ids.EMAIL_FIELD_ID,
                ids.WEB_FIELD_ID,
                ids.ADDRESS_FIELD_ID,
            }
        return set()

    @staticmethod
    def _values(entry: Mapping, path: str) -> list[Mapping]:
        values = entry.get("values")
        if values is None:
            return []
        if not isinstance(values, list):
            raise Invalid(f"{path}.values", _("A list is expected."))
        for index, value in enumerate(values):
            if not isinstance(value, Mapping):
                raise Invalid(
                    f"{path}.values.{index}",
                    _('An object like {"value": ...} is expected.'),
                )
        return values

    @staticmethod
    def _kind(value: Mapping, path: str, codes: Mapping[int, str], kinds: type) -> str:
        if value.get("enum_code") not in (None, ""):
            code = str(value["enum_code"]).upper()
            if code not in kinds.values:
                raise Invalid(
                    f"{path}.enum_code",
                    _("Use one of: %(codes)s.") % {"codes": ", ".join(kinds.values)},
                )
            return code
        if value.get("enum_id") not in (None, ""):
            enum_id = an_int(value["enum_id"], f"{path}.enum_id")
            if enum_id not in codes:
                raise Invalid(f"{path}.enum_id", _("No such enum_id for this field."))
            return codes[enum_id]
        return kinds.WORK

    def _custom(self, field: CustomField, values: list[Mapping], path: str) -> Any:
        if not values:
            return None
        options = {ids.option_enum_id(field.pk, o): o for o in field.options or []}

        def one(value: Mapping, value_path: str) -> Any:
            if field.type in (CustomField.Type.SELECT, CustomField.Type.MULTISELECT):
                if value.get("enum_id") not in (None, ""):
                    enum_id = an_int(value["enum_id"], f"{value_path}.enum_id")
                    if enum_id not in options:
                        raise Invalid(
                            f"{value_path}.enum_id", _("No such option of this field.")
                        )
                    return options[enum_id]
                return a_text(value.get("value"), f"{value_path}.value")
            raw = value.get("value")
            if (
                field.type == CustomField.Type.DATE
                and isinstance(raw, int | float)
                and not isinstance(raw, bool)
            ):
                return a_time(raw, f"{value_path}.value").date().isoformat()
            if (
                field.type == CustomField.Type.DATE
                and isinstance(raw, str)
                and raw.strip().isdigit()
            ):
                return a_time(raw, f"{value_path}.value").date().isoformat()
            if (
                field.type == CustomField.Type.DATE
                and isinstance(raw, str)
                and "T" in raw
            ):
                try:
                    return datetime.datetime.fromisoformat(raw).date().isoformat()
                except ValueError:
                    return raw
            if (
                field.type == CustomField.Type.NUMBER
                and raw is not None
                and not isinstance(raw, bool)
            ):
                return raw
            return a_text(raw, f"{value_path}.value")

        read = [one(v, f"{path}.values.{i}") for i, v in enumerate(values)]
        if field.type == CustomField.Type.MULTISELECT:
            return read
        return read[0]

    def read(self, raw: Any, path: str, into: RecordInput) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            raise Invalid(path, _("A list is expected."))
        custom: dict[str, Any] = {}
        for index, entry in enumerate(raw):
            entry_path = f"{path}.{index}"
            if not isinstance(entry, Mapping):
                raise Invalid(entry_path, _("An object is expected."))
            field_id = self._field_id(entry, entry_path)
            values = self._values(entry, entry_path)
            if field_id == ids.PHONE_FIELD_ID:
                into.phones = [
                    (
                        self._kind(
                            v,
                            f"{entry_path}.values.{i}",
                            PHONE_ENUM_CODES,
                            RecordPhone.Kind,
                        ),
                        a_text(v.get("value"), f"{entry_path}.values.{i}.value"),
                    )
                    for i, v in enumerate(values)
                ]
            elif field_id == ids.EMAIL_FIELD_ID:
                into.emails = [
                    (
                        self._kind(
                            v,
                            f"{entry_path}.values.{i}",
                            EMAIL_ENUM_CODES,
                            RecordEmail.Kind,
                        ),
                        a_text(v.get("value"), f"{entry_path}.values.{i}.value"),
                    )
                    for i, v in enumerate(values)
                ]
            elif field_id in (ids.WEB_FIELD_ID, ids.ADDRESS_FIELD_ID):
                key = "website" if field_id == ids.WEB_FIELD_ID else "address"
                into.data[key] = (
                    a_text(values[0].get("value"), f"{entry_path}.values.0.value")
                    if values
                    else ""
                )
            else:
                custom[str(field_id)] = self._custom(
                    self.fields[field_id], values, entry_path
                )
        if custom:
            into.data["custom"] = custom


def record_input(
    item: Any,
    *,
    entity: str,
    reader: CustomValuesReader,
    creating: bool,
    path: str = "",
) -> RecordInput:
    """One contact, company or lead of a create or update body."""
    if not isinstance(item, Mapping):
        raise Invalid(path.rstrip("."), _("An object is expected."))
    into = RecordInput()
    data = into.data
    name = item.get("name")
    if entity == Entity.CONTACT and name in (None, ""):
        parts = [
            a_text(item.get(key), f"{path}{key}")
            for key in ("first_name", "last_name")
            if item.get(key) not in (None, "")
        ]
        if parts:
            name = " ".join(parts)
    if name is not None or creating:
        data["name"] = a_text(name, f"{path}name")
    if item.get("responsible_user_id") is not None:
        data["responsible_id"] = an_int(
            item["responsible_user_id"], f"{path}responsible_user_id"
        )
    if entity == Entity.DEAL:
        if "price" in item:
            price = item["price"]
            if price is not None and (
                isinstance(price, bool) or not isinstance(price, int | float | str)
            ):
                raise Invalid(f"{path}price", _("A number is expected."))
            try:
                data["amount"] = (
                    Decimal(str(price)) if price not in (None, "") else Decimal(0)
                )
            except InvalidOperation:
                raise Invalid(f"{path}price", _("A number is expected.")) from None
        for key in ("status_id", "pipeline_id"):
            if item.get(key) is not None:
                data[key] = an_int(item[key], f"{path}{key}")
        if creating:
            contacts = embedded_ids(item, "contacts", path)
            if contacts:
                data["contact_ids"] = contacts
            companies = embedded_ids(item, "companies", path)
            if companies:
                data["company_id"] = companies[0]
    if entity == Entity.CONTACT and creating:
        companies = embedded_ids(item, "companies", path)
        if companies:
            data["company_ids"] = companies
    reader.read(item.get("custom_fields_values"), f"{path}custom_fields_values", into)
    return into


def errors_of(invalid: Invalid) -> ItemErrors:
    errors = ItemErrors()
    errors.add(invalid.path, invalid.detail)
    return errors
