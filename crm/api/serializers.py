"""What goes in and out of the API. Serializers here only parse and render: types,
lengths, unknown keys. Every rule about the data itself (rights, references inside
the CRM, custom field types) is the services' job, reached from the views."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from crm.models import (
    Company,
    Contact,
    Crm,
    CrmGroup,
    CrmUser,
    CustomField,
    Deal,
    Note,
    Pipeline,
    PipelineStatus,
    RecordEmail,
    RecordPhone,
)
from crm.rights import Entity
from crm.selectors.records import ORDER_BY, note_entity
from crm.services.contact_points import (
    EMAIL_MAX_LENGTH,
    MAX_PER_RECORD,
    PHONE_MAX_LENGTH,
)
from crm.services.record_deletion import API_BULK_MAX_IDS
from crm.services.records import TEXT_VALUE_MAX_LENGTH

# Ids are 64-bit in every database we run on; a bigger number is refused here with
# a 400 instead of overflowing in the database driver.
MAX_ID = 2**63 - 1
# One record linked to more than this many others in one request is a mistake.
MAX_LINKED_IDS = 1000
MAX_CUSTOM_VALUES = 200
MAX_CHOICES_IN_VALUE = 100
CUSTOM_KEY = re.compile(r"[0-9]{1,18}")

RECORD_ORDERINGS = list(ORDER_BY)
NOTE_ORDERINGS = ["id", "-id", "created_at", "-created_at"]


class IdField(serializers.IntegerField):
    """A positive id that fits the database."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class RelatedIdsField(serializers.ListField):
    """Ids of linked records, read from a (prefetched) many-to-many relation."""

    def __init__(self, *, relation: str, **kwargs: Any) -> None:
        self.relation = relation
        kwargs.setdefault("child", IdField())
        kwargs.setdefault("max_length", MAX_LINKED_IDS)
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> list[int]:
        return sorted(related.pk for related in getattr(instance, self.relation).all())


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "array", "items": {"type": "string"}},
        ],
        "nullable": True,
        "description": gettext_lazy(
            "Text, a number, a date (2026-12-31), one option or a list of options, "
            "by the field's type; null clears the value."
        ),
    }
)
class CustomValueField(serializers.Field):
    """One custom field's value as JSON. Only its JSON type is checked here; the
    service checks it against the field's own type and options."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def _check_text(self, value: str) -> str:
        # What DRF's CharField refuses too: neither can be stored in PostgreSQL.
        try:
            ProhibitNullCharactersValidator()(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        ProhibitSurrogateCharactersValidator()(value)
        if len(value) > TEXT_VALUE_MAX_LENGTH:
            raise serializers.ValidationError(
                _("At most %(n)d characters.") % {"n": TEXT_VALUE_MAX_LENGTH}
            )
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            raise serializers.ValidationError(
                _("Expected text, a number, a list of text or null.")
            )
        if isinstance(data, int | float):
            return data
        if isinstance(data, str):
            return self._check_text(data)
        if (
            isinstance(data, list)
            and len(data) <= MAX_CHOICES_IN_VALUE
            and all(isinstance(item, str) for item in data)
        ):
            return [self._check_text(item) for item in data]
        raise serializers.ValidationError(
            _("Expected text, a number, a list of at most %(n)d texts or null.")
            % {"n": MAX_CHOICES_IN_VALUE}
        )

    def to_representation(self, value: Any) -> Any:
        return value


class CustomValuesField(serializers.DictField):
    """``{"<custom field id>": value}``; only the keys sent change."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", CustomValueField())
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Custom field values by field id (see /custom-fields/). Only the "
                "fields sent change; null clears one."
            ),
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            if len(data) > MAX_CUSTOM_VALUES:
                raise serializers.ValidationError(
                    _("At most %(n)d values at once.") % {"n": MAX_CUSTOM_VALUES}
                )
            if not all(CUSTOM_KEY.fullmatch(str(key)) for key in data):
                raise serializers.ValidationError(
                    _('The keys are custom field ids, e.g. {"12": "value"}.')
                )
        return super().to_internal_value(data)


class StrictInput:
    """Refuses keys it does not know (DRF would silently drop them, and a client's
    typo would look like a successful save) and keys that cannot be written."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {
                name for name, field in self.fields.items() if not field.read_only
            }
            errors = {
                str(key): [
                    _("This field is read-only.")
                    if key in self.fields
                    else _("Unknown field.")
                ]
                for key in data
                if key not in writable
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# --- the CRM and its set-up (read only) ----------------------------------------------


class CrmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Crm
        fields = ["id", "name", "slug", "status", "seat_limit"]
        read_only_fields = fields


class CrmUserSerializer(serializers.ModelSerializer):
    group_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = CrmUser
        fields = ["id", "name", "email", "role", "is_active", "group_id", "created_at"]
        read_only_fields = fields


class CrmGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = CrmGroup
        fields = ["id", "name", "created_at"]
        read_only_fields = fields


class PipelineStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = PipelineStatus
        fields = ["id", "name", "kind", "position", "color"]
        read_only_fields = fields


class PipelineSerializer(serializers.ModelSerializer):
    statuses = PipelineStatusSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "statuses"]
        read_only_fields = fields


class CustomFieldSerializer(serializers.ModelSerializer):
    options = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CustomField
        fields = ["id", "entity", "name", "type", "options", "position", "is_required"]
        read_only_fields = fields
        extra_kwargs = {
            "is_required": {
                "help_text": gettext_lazy(
                    "Whether the CRM's record forms require a value; the API does not."
                )
            }
        }


# --- records -------------------------------------------------------------------------

# What contacts, companies and deals share, after each kind's own fields.
RECORD_FIELDS = ["responsible_id", "custom", "is_archived", "created_at", "updated_at"]


class RecordSerializer(StrictInput, serializers.ModelSerializer):
    # The model gives the types and lengths; the views pass validated_data to the
    # services, which save (never ``save()`` here).
    responsible_id = IdField(
        required=False,
        help_text=gettext_lazy("A user of this CRM; by default the key's owner."),
    )
    custom = CustomValuesField(required=False)

    class Meta:
        read_only_fields = ["created_at", "updated_at"]


class PhoneSerializer(StrictInput, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=RecordPhone.Kind.choices,
        default=RecordPhone.Kind.WORK,
        help_text=gettext_lazy("amoCRM's codes; WORK when left out."),
    )
    value = serializers.CharField(
        max_length=PHONE_MAX_LENGTH,
        help_text=gettext_lazy("The number as typed; it needs digits."),
    )


class EmailSerializer(StrictInput, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=RecordEmail.Kind.choices,
        default=RecordEmail.Kind.WORK,
        help_text=gettext_lazy("amoCRM's codes; WORK when left out."),
    )
    value = serializers.CharField(
        max_length=EMAIL_MAX_LENGTH,
        help_text=gettext_lazy("Kept lower-cased."),
    )


class ContactPointsSerializer(RecordSerializer):
    """What contacts and companies share: their phones and e-mails, in order.
    A list sent replaces the record's; the views pass them to the service as
    ``phones``/``emails``."""

    phones = PhoneSerializer(many=True, required=False, max_length=MAX_PER_RECORD)
    emails = EmailSerializer(many=True, required=False, max_length=MAX_PER_RECORD)


class ContactSerializer(ContactPointsSerializer):
    """A person. ``company_ids`` replaces the contact's companies when sent.
    ``email`` and ``phone`` are the first of ``emails`` and ``phones``: sent
    alone, each replaces only that first one."""

    company_ids = RelatedIdsField(relation="companies", required=False)

    class Meta(RecordSerializer.Meta):
        model = Contact
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "phones",
            "emails",
            "company_ids",
            *RECORD_FIELDS,
        ]


class CompanySerializer(ContactPointsSerializer):
    """An organisation; its people are contacts with its id in ``company_ids``."""

    class Meta(RecordSerializer.Meta):
        model = Company
        fields = [
            "id",
            "name",
            "website",
            "address",
            "phones",
            "emails",
            *RECORD_FIELDS,
        ]


class DealSerializer(RecordSerializer):
    """A sale in a pipeline. ``contact_ids`` replaces the deal's contacts when
    sent; ``company_id`` null unlinks the company."""

    pipeline_id = IdField(
        required=False,
        help_text=gettext_lazy("By default the CRM's first pipeline."),
    )
    status_id = IdField(
        required=False,
        help_text=gettext_lazy("A status of the pipeline; by default its first."),
    )
    company_id = IdField(required=False, allow_null=True)
    contact_ids = RelatedIdsField(relation="contacts", required=False)

    class Meta(RecordSerializer.Meta):
        model = Deal
        fields = [
            "id",
            "name",
            "amount",
            "pipeline_id",
            "status_id",
            "company_id",
            "contact_ids",
            *RECORD_FIELDS,
        ]


class NoteEntityField(serializers.ChoiceField):
    def get_attribute(self, instance: Note) -> str:
        return note_entity(instance)


class NoteRecordIdField(IdField):
    def get_attribute(self, instance: Note) -> int | None:
        return getattr(instance, f"{note_entity(instance)}_id", None)


class NoteSerializer(StrictInput, serializers.ModelSerializer):
    entity = NoteEntityField(choices=Entity.choices)
    record_id = NoteRecordIdField()
    author_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Note
        fields = ["id", "entity", "record_id", "text", "author_id", "created_at"]
        read_only_fields = ["created_at"]


# --- bulk delete ----------------------------------------------------------------------


class BulkDeleteSerializer(StrictInput, serializers.Serializer):
    ids = serializers.ListField(
        child=IdField(), allow_empty=False, max_length=API_BULK_MAX_IDS
    )


class BulkDeleteResultSerializer(serializers.Serializer):
    deleted = serializers.ListField(child=serializers.IntegerField())
    not_found = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=gettext_lazy("Ids that are not records of this CRM."),
    )
    job_id = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "Set when the records are deleted in the background (very large "
            "deletions only); then 'deleted' is empty."
        ),
    )


# --- list filters (query parameters) --------------------------------------------------


class CustomFilterField(serializers.DictField):
    """``custom[<field id>]=value`` in a query string (OpenAPI's deepObject
    style), as ``{field id: value}``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "child",
            serializers.CharField(
                allow_blank=True,
                max_length=TEXT_VALUE_MAX_LENGTH,
                trim_whitespace=False,
            ),
        )
        super().__init__(**kwargs)

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        if self.field_name in dictionary:
            return dictionary[self.field_name]  # not an object: refused
        prefix = f"{self.field_name}["
        values = {
            key[len(prefix) : -1]: value
            for key, value in dictionary.items()
            if key.startswith(prefix) and key.endswith("]")
        }
        return values or empty

    def to_internal_value(self, data: Any) -> dict[int, str]:
        if isinstance(data, Mapping):
            if len(data) > MAX_CUSTOM_VALUES:
                raise serializers.ValidationError(
                    _("At most %(n)d values at once.") % {"n": MAX_CUSTOM_VALUES}
                )
            if not all(CUSTOM_KEY.fullmatch(str(key)) for key in data):
                raise serializers.ValidationError(
                    _("Use custom[<field id>]=value, e.g. custom[12]=Gold.")
                )
        return {
            int(key): value for key, value in super().to_internal_value(data).items()
        }


# The schema of ``CustomFilterField``: a serializer cannot give a parameter its style.
CUSTOM_FILTER_PARAMETER = OpenApiParameter(
    name="custom",
    type={
        "type": "object",
        "additionalProperties": {
            "type": "string",
            "maxLength": TEXT_VALUE_MAX_LENGTH,
        },
    },
    location=OpenApiParameter.QUERY,
    style="deepObject",
    explode=True,
    description=gettext_lazy(
        "By custom field (see /custom-fields/): custom[12]=Gold. Part of a text "
        "(any case), one of a multi-select's options, or the exact number, date or "
        "option. An id that is not a field of this kind of record filters nothing."
    ),
)


class RecordListQuery(serializers.Serializer):
    """The filters mean what ``crm.selectors.records.RecordFilters`` says, and the
    list pages' filters mean the same."""

    ordering = serializers.ChoiceField(choices=RECORD_ORDERINGS, required=False)
    responsible_id = IdField(required=False)
    archived = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy("true: archived only; false: not archived; omit: all."),
    )
    custom = CustomFilterField(required=False)


class ContactListQuery(RecordListQuery):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=gettext_lazy(
            "Part of the name, of an email, or of a phone's digits (at least 3)."
        ),
    )
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text=gettext_lazy(
            "One of its emails, any case; empty finds records without one."
        ),
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=gettext_lazy(
            "One of its phones, however typed; empty finds records without one."
        ),
    )


class CompanyListQuery(ContactListQuery):
    pass


class DealListQuery(RecordListQuery):
    pipeline_id = IdField(required=False)
    status_id = IdField(required=False)
    company_id = IdField(required=False)


class NoteListQuery(serializers.Serializer):
    ordering = serializers.ChoiceField(choices=NOTE_ORDERINGS, required=False)
    contact_id = IdField(required=False)
    company_id = IdField(required=False)
    deal_id = IdField(required=False)


class CustomFieldListQuery(serializers.Serializer):
    entity = serializers.ChoiceField(choices=Entity.choices, required=False)
