"""What goes in and out of the API. Serializers here only parse and render: types,
lengths, unknown keys. Every rule about the data itself (rights, references inside
the CRM, custom field types) is the services' job, reached from the views."""

from __future__ import annotations

import datetime
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from crm.api.selectors import datetime_from_text, iso_utc_from_text, note_entity
from crm.models import Note
from crm.rights import Entity
from crm.services.deletion import API_BULK_MAX_IDS
from crm.services.records import TEXT_VALUE_MAX_LENGTH

# Ids are 64-bit in every database we run on; a bigger number is refused here with
# a 400 instead of overflowing in the database driver.
MAX_ID = 2**63 - 1
# One record linked to more than this many others in one request is a mistake.
MAX_LINKED_IDS = 1000
MAX_CUSTOM_VALUES = 200
MAX_CHOICES_IN_VALUE = 100
CUSTOM_KEY = re.compile(r"[0-9]{1,18}")

RECORD_ORDERINGS = ["id", "-id", "name", "-name", "created_at", "-created_at"]
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


class StrictSerializer(serializers.Serializer):
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


# --- lists of records as rows ---------------------------------------------------------


class RowRenderer:
    """Renders the rows of ``selectors.RecordRows`` as ``serializer_class``
    renders model instances, to the same JSON, without a model instance and a
    serializer per record: each readable field's source is a column, each
    :class:`RelatedIdsField` a column of linked ids.

    Made once per serializer class (:meth:`for_serializer`); a field it cannot
    read from a column makes it refuse the class, and the caller serializes."""

    _made: ClassVar[dict[type, RowRenderer | None]] = {}

    def __init__(self, serializer_class: type[serializers.Serializer]) -> None:
        self.columns: list[str] = []
        self.links: dict[str, str] = {}
        # Dates rendered in DRF's default format (ISO 8601).
        self.iso_columns: list[str] = []
        # (output name, row key, how to render a value that is not None).
        self.plan: list[tuple[str, str, Any]] = []
        for name, field in serializer_class().fields.items():
            if field.write_only:
                continue
            if isinstance(field, RelatedIdsField):
                self.links[name] = field.relation
                self.plan.append((name, name, _linked))
                continue
            if field.source == "*" or len(field.source_attrs) != 1:
                raise ValueError(f"{serializer_class.__name__}.{name}: not a column")
            self.columns.append(field.source)
            self.plan.append((name, field.source, _renderer(field)))
            if isinstance(self.plan[-1][2], _Dt):
                self.iso_columns.append(field.source)

    @classmethod
    def for_serializer(
        cls, serializer_class: type[serializers.Serializer]
    ) -> RowRenderer | None:
        if serializer_class not in cls._made:
            try:
                cls._made[serializer_class] = cls(serializer_class)
            except ValueError:
                cls._made[serializer_class] = None
        return cls._made[serializer_class]

    def row_maker(
        self, columns: list[tuple[str, Any, list]], connection: Any
    ) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """A function from a row fetched with ``columns`` (name, ORM column, ORM
        converters; see ``selectors.RecordRows``) to the record's JSON object:
        each value converted as the ORM would, then rendered as the field would.
        A value the field would return unchanged is copied as it is."""
        # DateTimeField renders in the current time zone, as of this request.
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        position = {name: i for i, (name, _col, _converters) in enumerate(columns)}
        steps = []
        for name, key, how in self.plan:
            _key, col, converters = columns[position[key]]
            if converters == [iso_utc_from_text] and isinstance(how, _Dt):
                # Already the text DRF writes (the current zone is UTC).
                render = None
            elif converters == [datetime_from_text] and isinstance(how, _Dt) and tz:
                # Parsed and rendered in one go.
                converters, render = [], _datetime_text_renderer(how, tz, connection)
            elif isinstance(how, _Dt):
                render = _datetime_renderer(how, tz)
            elif how in (_linked, _same) or (not converters and _unchanged(how, col)):
                render = None
            else:
                render = how
            steps.append((name, position[key], col, converters, render))

        # Most values are copied as fetched; the few that need work are put in
        # front of the row (which may carry more columns than ``columns`` at its
        # end), and one itemgetter picks every output value in order.
        names = [name for name, *_rest in steps]
        work = [
            _value_maker(i, col, converters, render, connection)
            for _name, i, col, converters, render in steps
            if converters or render is not None
        ]
        picks: list[int] = []
        worked = 0
        for _name, i, _col, converters, render in steps:
            if converters or render is not None:
                picks.append(worked)
                worked += 1
            else:
                picks.append(len(work) + i)
        pick = operator.itemgetter(*picks)

        def make(values: Sequence[Any]) -> dict[str, Any]:
            row = [*(fn(values) for fn in work), *values]
            picked = pick(row)
            return dict(
                zip(names, picked if len(names) > 1 else (picked,), strict=True)
            )

        return make


def _value_maker(
    i: int, col: Any, converters: list, render: Any, connection: Any
) -> Callable[[Sequence[Any]], Any]:
    """Column ``i`` of a row converted as the ORM would, then rendered."""

    def value(values: Sequence[Any]) -> Any:
        value = values[i]
        for converter in converters:
            value = converter(value, col, connection)
        # As Serializer.to_representation: None stays None.
        return value if render is None or value is None else render(value)

    return value


_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallAutoField",
    "SmallIntegerField",
}
_TEXT_TYPES = {"CharField", "TextField"}


def _unchanged(render: Any, col: Any) -> bool:
    """Whether ``render`` (int or str) returns the column's values unchanged: an
    integer column rendered by an IntegerField, a text column by a CharField."""
    if col is None:
        return False
    field = col.target
    if field.is_relation:
        field = field.target_field
    kind = field.get_internal_type()
    return (render is int and kind in _INTEGER_TYPES) or (
        render is str and kind in _TEXT_TYPES
    )


def _linked(ids: list[int]) -> list[int]:
    return ids  # sorted ids, as RelatedIdsField renders them (``RecordRows``)


def _same(value: Any) -> Any:
    """A value the field renders as it is (see :func:`_renderer`)."""
    return value


class _Dt:
    """A DateTimeField in DRF's default format (ISO 8601 in the current zone)."""

    def __init__(self, field: serializers.DateTimeField) -> None:
        self.field = field


def _renderer(field: serializers.Field) -> Any:
    """What ``field.to_representation`` does to a column's value, shortened for
    the field types whose output is the database value itself."""
    kind = type(field)
    if kind in (serializers.IntegerField, IdField):
        return int
    if kind in (serializers.CharField, serializers.EmailField):
        return str
    if kind is CustomValuesField and type(field.child) is CustomValueField:
        # A JSON object from the database: its keys are text already and each
        # value renders as it is, so DictField's rendering would copy it key by
        # key for nothing.
        return _same
    if kind is serializers.BooleanField:
        fallback = field.to_representation
        return lambda value: (
            value if value is True or value is False else fallback(value)
        )
    if (
        kind is serializers.DateTimeField
        and not hasattr(field, "timezone")
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower()
        == ISO_8601
    ):
        return _Dt(field)
    return field.to_representation


def _datetime_text_renderer(dt: _Dt, tz: Any, connection: Any) -> Any:
    """``datetime_from_text`` and DRF's rendering of the result, in one."""
    naive_zone = connection.timezone

    def render(text: str) -> str:
        value = datetime.datetime.fromisoformat(text)
        if value.utcoffset() is None:
            value = value.replace(tzinfo=naive_zone)
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


def _datetime_renderer(dt: _Dt, tz: Any) -> Any:
    fallback = dt.field.to_representation
    if tz is None:
        return fallback

    def render(value: Any) -> Any:
        if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
            return fallback(value)
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


# --- the CRM and its set-up (read only) ----------------------------------------------


class CrmSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    seat_limit = serializers.IntegerField(read_only=True, allow_null=True)


class CrmUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    group_id = serializers.IntegerField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class CrmGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class PipelineStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    color = serializers.CharField(read_only=True)


class PipelineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    statuses = PipelineStatusSerializer(many=True, read_only=True)


class CustomFieldSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    entity = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True)
    options = serializers.ListField(child=serializers.CharField(), read_only=True)
    position = serializers.IntegerField(read_only=True)


# --- records -------------------------------------------------------------------------


class RecordSerializer(StrictSerializer):
    # What contacts, companies and deals share; ``field_order`` puts the fields of
    # each kind where people expect them in the JSON, between id and the dates.
    field_order: tuple[str, ...] = ()

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    responsible_id = IdField(
        required=False,
        help_text=gettext_lazy("A user of this CRM; by default the key's owner."),
    )
    custom = CustomValuesField(required=False)
    is_archived = serializers.BooleanField(required=False)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        first = ("id", "name", *self.field_order)
        order = [*first, *(name for name in fields if name not in first)]
        return {name: fields[name] for name in order}


class ContactSerializer(RecordSerializer):
    """A person. ``company_ids`` replaces the contact's companies when sent."""

    field_order = ("email", "phone", "company_ids")
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    company_ids = RelatedIdsField(relation="companies", required=False)


class CompanySerializer(RecordSerializer):
    """An organisation; its people are contacts with its id in ``company_ids``."""


class DealSerializer(RecordSerializer):
    """A sale in a pipeline. ``contact_ids`` replaces the deal's contacts when
    sent; ``company_id`` null unlinks the company."""

    field_order = (
        "amount",
        "pipeline_id",
        "status_id",
        "company_id",
        "contact_ids",
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
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


class NoteEntityField(serializers.ChoiceField):
    def get_attribute(self, instance: Note) -> str:
        return note_entity(instance)


class NoteRecordIdField(IdField):
    def get_attribute(self, instance: Note) -> int | None:
        return getattr(instance, f"{note_entity(instance)}_id", None)


class NoteSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    entity = NoteEntityField(choices=Entity.choices)
    record_id = NoteRecordIdField()
    text = serializers.CharField(max_length=10000)
    author_id = serializers.IntegerField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


# --- bulk delete ----------------------------------------------------------------------


class BulkDeleteSerializer(StrictSerializer):
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


class RecordListQuery(serializers.Serializer):
    ordering = serializers.ChoiceField(choices=RECORD_ORDERINGS, required=False)
    responsible_id = IdField(required=False)
    archived = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy("true: archived only; false: not archived; omit: all."),
    )


class ContactListQuery(RecordListQuery):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=gettext_lazy("Part of the name, email or phone."),
    )
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text=gettext_lazy("Exact, any case; empty finds contacts without one."),
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=gettext_lazy("Exact; empty finds contacts without one."),
    )


class CompanyListQuery(RecordListQuery):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=gettext_lazy("Part of the name."),
    )


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
