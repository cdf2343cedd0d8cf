"""The v4 API's doors. Each reads amoCRM's query or body (``params``, ``bodies``),
calls the same services and selectors as every other door with the key's CRM and
the owner as the actor, and answers in amoCRM's shapes (``shapes``). The key, the
rights check and the rate limit are ``/api/v1/``'s own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.amo import bodies, ids, shapes
from crm.amo.idempotency import idempotent
from crm.amo.pagination import hal_list, links_self, paginated
from crm.amo.params import (
    as_list,
    id_list,
    ordering,
    parse_query,
    time_range,
    to_int,
    with_values,
)
from crm.amo.problems import (
    AmoValidationFailed,
    item_errors_from,
    problem_exception_handler,
)
from crm.amo.renderers import AlwaysHal, HalJSONParser, HalJSONRenderer
from crm.amo.schema import AmoAutoSchema
from crm.api.parsers import SafeJSONParser
from crm.models import Crm, CrmUser, Note, PipelineStatus, Task
from crm.rights import Entity, can
from crm.selectors.fields import custom_fields_list, pipelines_list
from crm.selectors.records import RecordFilters, notes_list, records_list
from crm.selectors.tasks import visible_tasks
from crm.selectors.users import crm_users_by_id
from crm.services.records import (
    company_save,
    contact_save,
    deal_save,
    note_add,
    record_get,
    record_links_add,
    visible_records,
)
from crm.services.tasks import task_complete, task_create, task_get, task_update

ENTITY_PATTERN = "contacts|companies|leads"
ID_PATTERN = "[0-9]{1,18}"
RECORD_ORDER = {"id": "pk", "created_at": "created_at", "updated_at": "updated_at"}
SAVERS: dict[str, Callable[..., Model]] = {
    Entity.CONTACT: contact_save,
    Entity.COMPANY: company_save,
    Entity.DEAL: deal_save,
}
NOTE_TYPES_AS_TEXT = {"common", "service_message", "extended_service_message"}
CALL_NOTE_TYPES = {"call_in", "call_out"}


class AmoView(APIView):
    """Authentication, rights and rate limits from ``settings.REST_FRAMEWORK`` (the
    same as ``/api/v1/``); HAL out, problems for errors."""

    renderer_classes: ClassVar[list] = [HalJSONRenderer]
    parser_classes: ClassVar[list] = [SafeJSONParser, HalJSONParser]
    content_negotiation_class = AlwaysHal
    schema = AmoAutoSchema()

    def get_exception_handler(self):
        return problem_exception_handler

    @property
    def crm(self) -> Crm:
        return self.request.crm

    @property
    def actor(self) -> CrmUser:
        return self.request.user

    def tree(self) -> dict[str, Any]:
        if not hasattr(self, "_tree"):
            self._tree = parse_query(self.request.query_params)
        return self._tree

    def with_(self) -> set[str]:
        return with_values(self.tree())

    def filters(self) -> dict[str, Any]:
        value = self.tree().get("filter") or {}
        if not isinstance(value, dict):
            raise AmoValidationFailed(
                {
                    "0": [
                        {
                            "code": "InvalidValue",
                            "path": "filter",
                            "detail": _("Use filter[name]=value."),
                        }
                    ]
                }
            )
        return value

    def entity(self) -> str:
        return ids.ENTITIES[self.kwargs["entity_type"]]

    def require_export(self, *entities: str) -> None:
        """A list is a read in bulk: the Export right, as on ``/api/v1/``."""
        if not any(can(self.actor, entity, "export") for entity in entities):
            raise exceptions.PermissionDenied(
                _("A list through the API is an export: it needs the Export right.")
            )


def _body_items(request: Request, *, single_ok: bool = False) -> list[Any]:
    try:
        return bodies.items_of(request.data, single_ok=single_ok)
    except bodies.Invalid as invalid:
        raise AmoValidationFailed({"0": bodies.errors_of(invalid)}) from None


def _range_filter(queryset: QuerySet, value: Any, name: str, column: str) -> QuerySet:
    start, end = time_range(value, f"filter[{name}]")
    if start is not None:
        queryset = queryset.filter(**{f"{column}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{column}__lte": end})
    return queryset


# --- the account, users, pipelines ----------------------------------------------------


class AccountView(AmoView):
    @extend_schema(
        summary="amoCRM: the account",
        parameters=[
            OpenApiParameter(
                "with",
                str,
                description="amojo_id, users_groups, task_types, version, …",
            )
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        return Response(shapes.account(request, self.crm, self.actor, self.with_()))


class UsersView(AmoView):
    @extend_schema(
        summary="amoCRM: users (with=role,group)",
        responses={200: dict, 204: None},
    )
    def get(self, request: Request) -> Response:
        with_ = self.with_()
        users = crm_users_by_id(crm=self.crm).select_related("group")
        return paginated(
            request,
            users,
            key="users",
            render=lambda rows: [shapes.user(request, u, with_) for u in rows],
            tree=self.tree(),
        )


class UserView(AmoView):
    @extend_schema(summary="amoCRM: one user", responses={200: dict})
    def get(self, request: Request, pk: str) -> Response:
        user = (
            crm_users_by_id(crm=self.crm).select_related("group").filter(pk=pk).first()
        )
        if user is None:
            raise Http404
        return Response(shapes.user(request, user, self.with_()))


def _first_pipeline_id(crm: Crm) -> int | None:
    first = pipelines_list(crm=crm).order_by("position", "pk").first()
    return first.pk if first else None


class PipelinesView(AmoView):
    @extend_schema(
        summary="amoCRM: deal pipelines with their statuses",
        responses={200: dict, 204: None},
    )
    def get(self, request: Request) -> Response:
        pipelines = list(pipelines_list(crm=self.crm).order_by("position", "pk"))
        first = pipelines[0].pk if pipelines else None
        items = [
            shapes.pipeline(request, self.crm, p, first_id=first) for p in pipelines
        ]
        response = hal_list(request, key="pipelines", items=items)
        if items:
            response.data["_total_items"] = len(items)
        return response


class PipelineView(AmoView):
    @extend_schema(summary="amoCRM: one pipeline", responses={200: dict})
    def get(self, request: Request, pk: str) -> Response:
        pipe = pipelines_list(crm=self.crm).filter(pk=pk).first()
        if pipe is None:
            raise Http404
        return Response(
            shapes.pipeline(
                request, self.crm, pipe, first_id=_first_pipeline_id(self.crm)
            )
        )


def _pipeline_status(crm: Crm, pipeline_id: Any, amo_id: int) -> PipelineStatus | None:
    statuses = PipelineStatus.objects.for_crm(crm).filter(pipeline_id=pipeline_id)
    kind = ids.status_kind_in(amo_id)
    if kind is not None:
        return statuses.filter(kind=kind).first()
    return (
        statuses.filter(
            pk=ids.status_pk_in(amo_id), kind=PipelineStatus.Kind.OPEN
        ).first()
        or statuses.filter(pk=amo_id).first()
    )


class PipelineStatusesView(AmoView):
    @extend_schema(
        summary="amoCRM: a pipeline's statuses (won 142, lost 143)",
        responses={200: dict, 204: None},
    )
    def get(self, request: Request, pipeline_id: str) -> Response:
        pipe = pipelines_list(crm=self.crm).filter(pk=pipeline_id).first()
        if pipe is None:
            raise Http404
        items = [
            shapes.status_of(request, self.crm, s)
            for s in shapes.statuses_in_order(pipe)
        ]
        response = hal_list(request, key="statuses", items=items)
        if items:
            response.data["_total_items"] = len(items)
        return response


class PipelineStatusView(AmoView):
    @extend_schema(summary="amoCRM: one status", responses={200: dict})
    def get(self, request: Request, pipeline_id: str, pk: str) -> Response:
        found = _pipeline_status(self.crm, pipeline_id, int(pk))
        if found is None:
            raise Http404
        return Response(shapes.status_of(request, self.crm, found))


# --- custom fields --------------------------------------------------------------------


class CustomFieldsView(AmoView):
    @extend_schema(
        summary="amoCRM: custom fields of contacts, companies or leads",
        responses={200: dict, 204: None},
    )
    def get(self, request: Request, entity_type: str) -> Response:
        entity = self.entity()
        items = shapes.predefined_fields(request, self.crm, entity) + [
            shapes.custom_field(request, self.crm, f)
            for f in custom_fields_list(crm=self.crm, entity=entity)
        ]
        wanted = set(id_list(self.filters().get("id"), "filter[id]"))
        if wanted:
            items = [item for item in items if item["id"] in wanted]
        page = to_int(self.tree().get("page") or "1", "page", minimum=1)
        if page > 1:
            items = []
        response = hal_list(
            request, key="custom_fields", items=items, page=1, total=len(items)
        )
        if items:
            response.data["_page_count"] = 1
        return response


class CustomFieldView(AmoView):
    @extend_schema(summary="amoCRM: one custom field", responses={200: dict})
    def get(self, request: Request, entity_type: str, pk: str) -> Response:
        entity = self.entity()
        for item in shapes.predefined_fields(request, self.crm, entity):
            if item["id"] == int(pk):
                return Response(item)
        field = custom_fields_list(crm=self.crm, entity=entity).filter(pk=pk).first()
        if field is None:
            raise Http404
        return Response(shapes.custom_field(request, self.crm, field))


# --- contacts, companies, leads -------------------------------------------------------


class RecordDoor(AmoView):
    """What the record routes share: reading one kind of record the amoCRM way
    and saving an item of a body through the record services."""

    def shaper(self, with_: set[str] | None = None) -> shapes.RecordShaper:
        entity = self.entity()
        return shapes.RecordShaper(
            self.request,
            crm=self.crm,
            actor=self.actor,
            entity=entity,
            with_=self.with_() if with_ is None else with_,
            fields=list(custom_fields_list(crm=self.crm, entity=entity)),
        )

    def records(self, entity: str, query: str = "") -> QuerySet:
        records = records_list(
            crm=self.crm,
            actor=self.actor,
            entity=entity,
            filters=RecordFilters(q=query),
            for_export=True,
        ).select_related("responsible")
        if entity == Entity.DEAL:
            records = records.select_related("status")
        return records.prefetch_related(
            *shapes.record_prefetches(self.crm, self.actor, entity, self.with_())
        )

    def reader(self, entity: str) -> bodies.CustomValuesReader:
        return bodies.CustomValuesReader(
            entity, list(custom_fields_list(crm=self.crm, entity=entity))
        )

    def _deal_status(self, data: dict[str, Any], deal_id: int | None) -> None:
        """amoCRM's 142/143 as the pipeline's won/lost status, an alias as the
        status it stands for; a status alone brings its pipeline along."""
        if "status_id" not in data:
            return
        amo_id = data["status_id"]
        pipeline_id = data.get("pipeline_id")
        if pipeline_id is None and deal_id is not None and ids.status_kind_in(amo_id):
            current = (
                records_list(crm=self.crm, actor=self.actor, entity="deal")
                .filter(pk=deal_id)
                .values_list("pipeline_id", flat=True)
                .first()
            )
            pipeline_id = current
        if pipeline_id is None and ids.status_kind_in(amo_id):
            pipeline_id = _first_pipeline_id(self.crm)
        if ids.status_kind_in(amo_id):
            found = _pipeline_status(self.crm, pipeline_id, amo_id)
            if found is None:
                raise ValidationError(
                    {"status_id": _("This pipeline has no such status.")}
                )
            data["status_id"] = found.pk
            data.setdefault("pipeline_id", found.pipeline_id)
            return
        data["status_id"] = ids.status_pk_in(amo_id)
        if pipeline_id is None:
            found = (
                PipelineStatus.objects.for_crm(self.crm)
                .filter(pk=data["status_id"])
                .first()
            )
            if found is not None:
                data["pipeline_id"] = found.pipeline_id

    def save(
        self, entity: str, item: bodies.RecordInput, record_id: int | None
    ) -> Model:
        data = dict(item.data)
        if entity == Entity.DEAL:
            self._deal_status(data, record_id)
            return deal_save(
                crm=self.crm, actor=self.actor, deal_id=record_id, data=data
            )
        return SAVERS[entity](
            crm=self.crm,
            actor=self.actor,
            data=data,
            phones=item.phones,
            emails=item.emails,
            **{f"{entity}_id": record_id},
        )

    def save_batch(
        self, items: list[Any], *, creating: bool, record_id: int | None = None
    ) -> list[tuple[str, Model]]:
        """Every item in one transaction: all saved, or none and every refused
        item's errors under its ``request_id``."""
        entity = self.entity()
        reader = self.reader(entity)
        saved: list[tuple[str, Model]] = []
        errors: dict[str, list] = {}
        with transaction.atomic():
            for index, raw in enumerate(items):
                request_id = bodies.request_id_of(raw, index)
                target = record_id
                try:
                    if not creating and target is None:
                        if not isinstance(raw, dict) or raw.get("id") is None:
                            raise bodies.Invalid("id", _("Each item needs its id."))
                        target = bodies.an_int(raw["id"], "id")
                    parsed = bodies.record_input(
                        raw, entity=entity, reader=reader, creating=creating
                    )
                    with transaction.atomic():
                        record = self.save(entity, parsed, target)
                except bodies.Invalid as invalid:
                    errors[request_id] = bodies.errors_of(invalid)
                    continue
                except ValidationError as error:
                    errors[request_id] = item_errors_from(error)
                    continue
                saved.append((request_id, record))
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise AmoValidationFailed(errors)
        return saved


class RecordsView(RecordDoor):
    """``GET|POST|PATCH /api/v4/{contacts,companies,leads}``."""

    def list_queryset(self) -> QuerySet:
        entity = self.entity()
        tree = self.tree()
        query = tree.get("query")
        query = query if isinstance(query, str) else ""
        records = self.records(entity, query.replace("\x00", "").strip()[:200])
        filters = self.filters()
        if "id" in filters:
            records = records.filter(pk__in=id_list(filters["id"], "filter[id]"))
        if "name" in filters:
            records = records.filter(
                name__in=[str(n) for n in as_list(filters["name"])]
            )
        if "responsible_user_id" in filters:
            records = records.filter(
                responsible_id__in=id_list(
                    filters["responsible_user_id"], "filter[responsible_user_id]"
                )
            )
        for name in ("created_at", "updated_at"):
            if name in filters:
                records = _range_filter(records, filters[name], name, name)
        if entity == Entity.DEAL:
            records = self._deal_filters(records, filters)
        return records.order_by(*ordering(tree, RECORD_ORDER))

    def _deal_filters(self, records: QuerySet, filters: dict) -> QuerySet:
        if "pipeline_id" in filters:
            records = records.filter(
                pipeline_id__in=id_list(filters["pipeline_id"], "filter[pipeline_id]")
            )
        if "statuses" in filters:
            match = Q(pk__in=[])
            for index, pair in enumerate(as_list(filters["statuses"])):
                if not isinstance(pair, dict):
                    continue
                one = Q()
                if pair.get("pipeline_id") not in (None, ""):
                    one &= Q(
                        pipeline_id=to_int(
                            pair["pipeline_id"],
                            f"filter[statuses][{index}][pipeline_id]",
                        )
                    )
                if pair.get("status_id") not in (None, ""):
                    amo_id = to_int(
                        pair["status_id"], f"filter[statuses][{index}][status_id]"
                    )
                    kind = ids.status_kind_in(amo_id)
                    one &= (
                        Q(status__kind=kind)
                        if kind
                        else Q(status_id=ids.status_pk_in(amo_id))
                    )
                match |= one
            records = records.filter(match)
        if "price" in filters:
            value = filters["price"]
            if isinstance(value, dict) and ("from" in value or "to" in value):
                if value.get("from") not in (None, ""):
                    records = records.filter(
                        amount__gte=to_int(value["from"], "filter[price][from]")
                    )
                if value.get("to") not in (None, ""):
                    records = records.filter(
                        amount__lte=to_int(value["to"], "filter[price][to]")
                    )
            else:
                records = records.filter(amount__in=id_list(value, "filter[price]"))
        return records

    @extend_schema(
        summary="amoCRM: a list (page, limit, query, filter, order, with)",
        responses={200: dict, 204: None},
    )
    def get(self, request: Request, entity_type: str) -> Response:
        self.require_export(self.entity())
        shaper = self.shaper()
        return paginated(
            request,
            self.list_queryset(),
            key=entity_type,
            render=shaper.many,
            tree=self.tree(),
        )

    @extend_schema(
        summary="amoCRM: create (a JSON array; Idempotency-Key honoured)",
        request=list,
        responses={200: dict},
    )
    def post(self, request: Request, entity_type: str) -> Response:
        return idempotent(request, lambda: self._create(request, entity_type))

    def _create(self, request: Request, entity_type: str) -> Response:
        saved = self.save_batch(_body_items(request), creating=True)
        return Response(
            {
                "_links": links_self(request, request.path),
                "_embedded": {
                    entity_type: [
                        {
                            "id": record.pk,
                            "request_id": request_id,
                            "_links": shapes.self_link(
                                request, "record", entity_type=entity_type, pk=record.pk
                            ),
                        }
                        for request_id, record in saved
                    ]
                },
            }
        )

    @extend_schema(
        summary="amoCRM: update several (a JSON array, each with its id)",
        request=list,
        responses={200: dict},
    )
    def patch(self, request: Request, entity_type: str) -> Response:
        saved = self.save_batch(_body_items(request), creating=False)
        return Response(
            {
                "_links": links_self(request, request.path),
                "_embedded": {
                    entity_type: [
                        _updated(request, entity_type, request_id, record)
                        for request_id, record in saved
                    ]
                },
            }
        )


def _updated(
    request: Request, entity_type: str, request_id: str, record: Model
) -> dict:
    return {
        "id": record.pk,
        "updated_at": shapes.timestamp(record.updated_at),
        "request_id": request_id,
        "_links": shapes.self_link(
            request, "record", entity_type=entity_type, pk=record.pk
        ),
    }


class RecordView(RecordDoor):
    """``GET|PATCH /api/v4/{contacts,companies,leads}/{id}``."""

    @extend_schema(
        summary="amoCRM: one record (with=contacts, leads, …)", responses={200: dict}
    )
    def get(self, request: Request, entity_type: str, pk: str) -> Response:
        entity = self.entity()
        record = record_get(crm=self.crm, actor=self.actor, entity=entity, record_id=pk)
        record = (
            self.records(entity)
            .model.objects.filter(pk=record.pk)
            .select_related("responsible")
        )
        if entity == Entity.DEAL:
            record = record.select_related("status")
        record = record.prefetch_related(
            *shapes.record_prefetches(self.crm, self.actor, entity, self.with_())
        ).get()
        return Response(self.shaper().one(record))

    @extend_schema(summary="amoCRM: update one", request=dict, responses={200: dict})
    def patch(self, request: Request, entity_type: str, pk: str) -> Response:
        items = _body_items(request, single_ok=True)
        [(request_id, record)] = self.save_batch(
            items[:1], creating=False, record_id=int(pk)
        )
        return Response(_updated(request, entity_type, request_id, record))


class ComplexView(RecordDoor):
    """``POST /api/v4/leads/complex``: a lead with a new contact and company."""

    def entity(self) -> str:
        return Entity.DEAL

    @extend_schema(
        summary="amoCRM: leads with their contact and company in one call",
        request=list,
        responses={200: {"type": "array", "items": {"type": "object"}}},
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _embedded_one(
        self, raw: dict, key: str, entity: str, path: str
    ) -> Model | None:
        embedded = raw.get("_embedded")
        if not isinstance(embedded, dict) or not embedded.get(key):
            return None
        items = embedded[key]
        if (
            not isinstance(items, list)
            or len(items) != 1
            or not isinstance(items[0], dict)
        ):
            raise bodies.Invalid(f"{path}_embedded.{key}", _("One object at most."))
        item = items[0]
        if item.get("id") is not None and set(item) <= {
            "id",
            "is_main",
            "_links",
            "request_id",
        }:
            return record_get(
                crm=self.crm,
                actor=self.actor,
                entity=entity,
                record_id=bodies.an_int(item["id"], f"{path}_embedded.{key}.0.id"),
            )
        parsed = bodies.record_input(
            item,
            entity=entity,
            reader=self.reader(entity),
            creating=True,
            path=f"{path}_embedded.{key}.0.",
        )
        return self.save(entity, parsed, None)

    def _create(self, request: Request) -> Response:
        items = _body_items(request)
        results: list[dict] = []
        errors: dict[str, list] = {}
        reader = self.reader(Entity.DEAL)
        with transaction.atomic():
            for index, raw in enumerate(items):
                request_id = bodies.request_id_of(raw, index)
                try:
                    if not isinstance(raw, dict):
                        raise bodies.Invalid("", _("An object is expected."))
                    with transaction.atomic():
                        company = self._embedded_one(
                            raw, "companies", Entity.COMPANY, ""
                        )
                        contact = self._embedded_one(
                            raw, "contacts", Entity.CONTACT, ""
                        )
                        if contact is not None and company is not None:
                            record_links_add(
                                crm=self.crm,
                                actor=self.actor,
                                entity="contact",
                                record_id=contact.pk,
                                ids=[company.pk],
                            )
                        lead_raw = {k: v for k, v in raw.items() if k != "_embedded"}
                        parsed = bodies.record_input(
                            lead_raw, entity=Entity.DEAL, reader=reader, creating=True
                        )
                        if contact is not None:
                            parsed.data["contact_ids"] = [contact.pk]
                        if company is not None:
                            parsed.data["company_id"] = company.pk
                        lead = self.save(Entity.DEAL, parsed, None)
                except bodies.Invalid as invalid:
                    errors[request_id] = bodies.errors_of(invalid)
                    continue
                except ValidationError as error:
                    errors[request_id] = item_errors_from(error)
                    continue
                results.append(
                    {
                        "id": lead.pk,
                        "contact_id": contact.pk if contact else None,
                        "company_id": company.pk if company else None,
                        "request_id": [request_id],
                        "merged": False,
                    }
                )
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise AmoValidationFailed(errors)
        return Response(results)


# --- notes ----------------------------------------------------------------------------


def _note_text(raw: dict, path: str) -> str:
    note_type = raw.get("note_type", "common")
    params = raw.get("params")
    if not isinstance(params, dict):
        raise bodies.Invalid(
            f"{path}params", _('An object like {"text": "..."} is expected.')
        )
    if note_type in NOTE_TYPES_AS_TEXT:
        return bodies.a_text(params.get("text"), f"{path}params.text")
    if note_type in CALL_NOTE_TYPES:
        # A call kept as text: who, how long, where to listen.
        direction = _("Incoming call") if note_type == "call_in" else _("Outgoing call")
        parts = [direction]
        for key in ("phone", "duration", "call_result", "link"):
            if params.get(key) not in (None, ""):
                parts.append(
                    f"{key}: {bodies.a_text(params[key], f'{path}params.{key}')}"
                )
        return "\n".join(parts)
    raise bodies.Invalid(
        f"{path}note_type",
        _("Supported note types: common, service_message, call_in, call_out."),
    )


class NotesView(AmoView):
    """``GET|POST /api/v4/{entity}/notes`` and ``/api/v4/{entity}/{id}/notes``."""

    def _notes(self, record_id: str | None) -> QuerySet:
        entity = self.entity()
        notes = notes_list(crm=self.crm, actor=self.actor, for_export=True).filter(
            **{f"{entity}__isnull": False}
        )
        if record_id is not None:
            record_get(
                crm=self.crm, actor=self.actor, entity=entity, record_id=record_id
            )
            notes = notes.filter(**{f"{entity}_id": record_id})
        filters = self.filters()
        if "id" in filters:
            notes = notes.filter(pk__in=id_list(filters["id"], "filter[id]"))
        if "entity_id" in filters:
            notes = notes.filter(
                **{
                    f"{entity}_id__in": id_list(
                        filters["entity_id"], "filter[entity_id]"
                    )
                }
            )
        if "note_type" in filters and "common" not in as_list(
            filters["note_type"], split=True
        ):
            notes = notes.none()
        if "updated_at" in filters:
            notes = _range_filter(
                notes, filters["updated_at"], "updated_at", "created_at"
            )
        return notes.order_by(
            *ordering(
                self.tree(),
                {"id": "pk", "updated_at": "created_at", "created_at": "created_at"},
            )
        )

    @extend_schema(summary="amoCRM: notes", responses={200: dict, 204: None})
    def get(
        self, request: Request, entity_type: str, record_id: str | None = None
    ) -> Response:
        self.require_export(self.entity())
        return paginated(
            request,
            self._notes(record_id),
            key="notes",
            render=lambda rows: [shapes.note(request, self.crm, n) for n in rows],
            tree=self.tree(),
        )

    @extend_schema(
        summary="amoCRM: add notes (common, service_message, call_in, call_out)",
        request=list,
        responses={200: dict},
    )
    def post(
        self, request: Request, entity_type: str, record_id: str | None = None
    ) -> Response:
        return idempotent(request, lambda: self._create(request, record_id))

    def _create(self, request: Request, record_id: str | None) -> Response:
        entity = self.entity()
        if record_id is not None:
            # Another CRM's record is a 404 whatever the body says.
            record_get(
                crm=self.crm, actor=self.actor, entity=entity, record_id=record_id
            )
        items = _body_items(request)
        created: list[tuple[str, Note]] = []
        errors: dict[str, list] = {}
        with transaction.atomic():
            for index, raw in enumerate(items):
                request_id = bodies.request_id_of(raw, index)
                try:
                    if not isinstance(raw, dict):
                        raise bodies.Invalid("", _("An object is expected."))
                    target = (
                        record_id
                        if record_id is not None
                        else bodies.an_int(raw.get("entity_id"), "entity_id")
                    )
                    text = _note_text(raw, "")
                    with transaction.atomic():
                        note = note_add(
                            crm=self.crm,
                            actor=self.actor,
                            entity=entity,
                            record_id=target,
                            text=text,
                        )
                except bodies.Invalid as invalid:
                    errors[request_id] = bodies.errors_of(invalid)
                    continue
                except ValidationError as error:
                    errors[request_id] = item_errors_from(error)
                    continue
                created.append((request_id, note))
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise AmoValidationFailed(errors)
        return Response(
            {
                "_links": links_self(request, request.path),
                "_embedded": {
                    "notes": [
                        {
                            "id": note.pk,
                            "entity_id": getattr(note, f"{entity}_id"),
                            "request_id": request_id,
                            "_links": shapes.note(request, self.crm, note)["_links"],
                        }
                        for request_id, note in created
                    ]
                },
            }
        )


class NoteView(AmoView):
    @extend_schema(summary="amoCRM: one note", responses={200: dict})
    def get(
        self, request: Request, entity_type: str, record_id: str, pk: str
    ) -> Response:
        entity = self.entity()
        note = (
            notes_list(crm=self.crm, actor=self.actor)
            .filter(pk=pk, **{f"{entity}_id": record_id})
            .first()
        )
        if note is None:
            raise Http404
        return Response(shapes.note(request, self.crm, note))


# --- tasks ----------------------------------------------------------------------------


def _task_fields(raw: dict, path: str, current: Task | None) -> dict[str, Any]:
    """A task item as ``task_create``/``task_update`` arguments (an update keeps
    what it does not send)."""
    fields: dict[str, Any] = {}
    if current is not None:
        fields = {
            "text": current.text,
            "type": str(current.custom_type_id)
            if current.custom_type_id
            else current.type,
            "due_at": current.due_at,
            "responsible_id": current.responsible_id,
        }
    if "text" in raw or current is None:
        fields["text"] = bodies.a_text(raw.get("text"), f"{path}text")
    if raw.get("task_type_id") is not None or raw.get("task_type") is not None:
        value = raw.get("task_type_id", raw.get("task_type"))
        fields["type"] = ids.task_type_in(bodies.an_int(value, f"{path}task_type_id"))
    elif current is None:
        fields["type"] = Task.Type.FOLLOW_UP
    if raw.get("complete_till") is not None:
        fields["due_at"] = bodies.a_time(raw["complete_till"], f"{path}complete_till")
    elif current is None:
        raise bodies.Invalid(f"{path}complete_till", _("A Unix timestamp is expected."))
    if raw.get("responsible_user_id") is not None:
        fields["responsible_id"] = bodies.an_int(
            raw["responsible_user_id"], f"{path}responsible_user_id"
        )
    return fields


def _task_result(raw: dict, path: str) -> str | None:
    """The result text when the item completes the task, else None."""
    if raw.get("is_completed") is not True:
        return None
    result = raw.get("result")
    if isinstance(result, dict):
        return bodies.a_text(result.get("text"), f"{path}result.text")
    return ""


class TasksView(AmoView):
    """``GET|POST|PATCH /api/v4/tasks``."""

    def _tasks(self) -> QuerySet:
        tasks = visible_tasks(crm=self.crm, actor=self.actor)
        filters = self.filters()
        if "id" in filters:
            tasks = tasks.filter(pk__in=id_list(filters["id"], "filter[id]"))
        if "responsible_user_id" in filters:
            tasks = tasks.filter(
                responsible_id__in=id_list(
                    filters["responsible_user_id"], "filter[responsible_user_id]"
                )
            )
        if "is_completed" in filters:
            value = str(
                as_list(filters["is_completed"])[:1]
                and as_list(filters["is_completed"])[0]
            ).lower()
            tasks = tasks.filter(completed_at__isnull=value not in ("1", "true"))
        type_filter = filters.get("task_type_id", filters.get("task_type"))
        if type_filter is not None:
            match = Q(pk__in=[])
            for number in id_list(type_filter, "filter[task_type_id]"):
                key = ids.task_type_in(number)
                match |= (
                    Q(type=key, custom_type__isnull=True)
                    if key in Task.Type.values
                    else Q(custom_type_id=key if key.isdigit() else None)
                )
            tasks = tasks.filter(match)
        if "entity_type" in filters:
            entity = ids.ENTITIES.get(
                str(
                    as_list(filters["entity_type"])[:1][0]
                    if as_list(filters["entity_type"])
                    else ""
                )
            )
            if entity is None:
                return tasks.none()
            tasks = tasks.filter(**{f"{entity}__isnull": False})
            if "entity_id" in filters:
                tasks = tasks.filter(
                    **{
                        f"{entity}_id__in": id_list(
                            filters["entity_id"], "filter[entity_id]"
                        )
                    }
                )
        if "updated_at" in filters:
            tasks = _range_filter(
                tasks, filters["updated_at"], "updated_at", "updated_at"
            )
        return tasks.order_by(
            *ordering(
                self.tree(),
                {
                    "id": "pk",
                    "created_at": "created_at",
                    "complete_till": "due_at",
                    "updated_at": "updated_at",
                },
            )
        )

    @extend_schema(summary="amoCRM: tasks", responses={200: dict, 204: None})
    def get(self, request: Request) -> Response:
        return paginated(
            request,
            self._tasks(),
            key="tasks",
            render=lambda rows: [shapes.task(request, self.crm, t) for t in rows],
            tree=self.tree(),
        )

    @extend_schema(summary="amoCRM: add tasks", request=list, responses={200: dict})
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._save(request, creating=True))

    @extend_schema(
        summary="amoCRM: update or complete tasks", request=list, responses={200: dict}
    )
    def patch(self, request: Request) -> Response:
        return self._save(request, creating=False)

    def save_one(self, raw: Any, path: str, task_id: int | None) -> Task:
        if not isinstance(raw, dict):
            raise bodies.Invalid("", _("An object is expected."))
        if task_id is None:
            entity = None
            record_id = None
            if raw.get("entity_type") not in (None, ""):
                entity = ids.ENTITIES.get(str(raw["entity_type"]))
                if entity is None:
                    raise bodies.Invalid(
                        f"{path}entity_type", _("Use leads, contacts or companies.")
                    )
                record_id = bodies.an_int(raw.get("entity_id"), f"{path}entity_id")
            fields = _task_fields(raw, path, None)
            fields.setdefault("responsible_id", self.actor.pk)
            task = task_create(
                crm=self.crm,
                actor=self.actor,
                entity=entity,
                record_id=record_id,
                **fields,
            )
        else:
            current = task_get(crm=self.crm, actor=self.actor, task_id=task_id)
            task = current
            sends_change = any(
                k in raw
                for k in (
                    "text",
                    "task_type_id",
                    "task_type",
                    "complete_till",
                    "responsible_user_id",
                )
            )
            if sends_change and current.completed_at is None:
                task = task_update(
                    crm=self.crm,
                    actor=self.actor,
                    task_id=task_id,
                    **_task_fields(raw, path, current),
                )
        result = _task_result(raw, path)
        if result is not None and task.completed_at is None:
            task = task_complete(
                crm=self.crm, actor=self.actor, task_id=task.pk, result=result
            )
        return task

    def _save(
        self, request: Request, *, creating: bool, task_id: int | None = None
    ) -> Response:
        items = _body_items(request, single_ok=task_id is not None)
        saved: list[tuple[str, Task]] = []
        errors: dict[str, list] = {}
        with transaction.atomic():
            for index, raw in enumerate(items):
                request_id = bodies.request_id_of(raw, index)
                try:
                    target = task_id
                    if not creating and target is None:
                        if not isinstance(raw, dict) or raw.get("id") is None:
                            raise bodies.Invalid("id", _("Each item needs its id."))
                        target = bodies.an_int(raw["id"], "id")
                    with transaction.atomic():
                        task = self.save_one(raw, "", target)
                except bodies.Invalid as invalid:
                    errors[request_id] = bodies.errors_of(invalid)
                    continue
                except ValidationError as error:
                    errors[request_id] = item_errors_from(error)
                    continue
                saved.append((request_id, task))
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise AmoValidationFailed(errors)
        shaped = [
            {
                "id": task.pk,
                "request_id": request_id,
                "updated_at": shapes.timestamp(task.updated_at),
                "_links": shapes.self_link(request, "task", pk=task.pk),
            }
            for request_id, task in saved
        ]
        if task_id is not None:
            return Response(shaped[0])
        return Response(
            {
                "_links": links_self(request, request.path),
                "_embedded": {"tasks": shaped},
            }
        )


class TaskView(TasksView):
    http_method_names: ClassVar[list] = ["get", "patch", "head", "options"]

    @extend_schema(summary="amoCRM: one task", responses={200: dict})
    def get(self, request: Request, pk: str) -> Response:
        task = task_get(crm=self.crm, actor=self.actor, task_id=pk)
        return Response(shapes.task(request, self.crm, task))

    @extend_schema(
        summary="amoCRM: update or complete one task",
        request=dict,
        responses={200: dict},
    )
    def patch(self, request: Request, pk: str) -> Response:
        return self._save(request, creating=False, task_id=int(pk))


# --- links ----------------------------------------------------------------------------

LINKABLE = {
    Entity.DEAL: {Entity.CONTACT, Entity.COMPANY},
    Entity.CONTACT: {Entity.DEAL, Entity.COMPANY},
    Entity.COMPANY: {Entity.DEAL, Entity.CONTACT},
}


class LinksView(AmoView):
    """``GET /{entity}/{id}/links``, ``POST /{entity}/{id}/link`` and ``/unlink``,
    and the batch ``POST /{entity}/link`` and ``/unlink`` (each item with its
    ``entity_id``). Links: a lead's contacts and company, a contact's companies."""

    mode: ClassVar[str] = "link"

    def _visible_ids(self, entity: str, record: Model, other: str) -> list[int]:
        visible = visible_records(crm=self.crm, actor=self.actor, entity=other)
        if entity == Entity.DEAL and other == Entity.CONTACT:
            return list(
                visible.filter(deals=record).order_by("pk").values_list("pk", flat=True)
            )
        if entity == Entity.DEAL and other == Entity.COMPANY:
            return (
                [record.company_id]
                if record.company_id and visible.filter(pk=record.company_id).exists()
                else []
            )
        if entity == Entity.CONTACT and other == Entity.DEAL:
            return list(
                visible.filter(contacts=record)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        if entity == Entity.CONTACT and other == Entity.COMPANY:
            return list(
                visible.filter(contacts=record)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        if entity == Entity.COMPANY and other == Entity.DEAL:
            return list(
                visible.filter(company=record)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return list(
            visible.filter(companies=record).order_by("pk").values_list("pk", flat=True)
        )

    def all_links(
        self, entity: str, record: Model, wanted: str | None = None
    ) -> list[dict]:
        found = []
        for other in sorted(LINKABLE[entity]):
            if wanted and other != wanted:
                continue
            for index, pk in enumerate(self._visible_ids(entity, record, other)):
                metadata = (
                    {"main_contact": index == 0}
                    if entity == Entity.DEAL and other == Entity.CONTACT
                    else None
                )
                found.append(shapes.link(entity, record.pk, other, pk, metadata))
        return found

    @extend_schema(summary="amoCRM: a record's links", responses={200: dict, 204: None})
    def get(self, request: Request, entity_type: str, record_id: str) -> Response:
        entity = self.entity()
        record = record_get(
            crm=self.crm, actor=self.actor, entity=entity, record_id=record_id
        )
        filters = self.filters()
        wanted = None
        if filters.get("to_entity_type"):
            wanted = ids.ENTITIES.get(str(filters["to_entity_type"]))
            if wanted is None:
                return Response(status=status.HTTP_204_NO_CONTENT)
        found = self.all_links(entity, record, wanted)
        if filters.get("to_entity_id"):
            to_ids = set(id_list(filters["to_entity_id"], "filter[to_entity_id]"))
            found = [link for link in found if link["to_entity_id"] in to_ids]
        return hal_list(request, key="links", items=found, total=len(found))

    @extend_schema(
        summary="amoCRM: link or unlink records",
        request=list,
        responses={200: dict, 204: None},
    )
    def post(
        self, request: Request, entity_type: str, record_id: str | None = None
    ) -> Response:
        if self.mode == "link":
            return idempotent(request, lambda: self._change(request, record_id))
        return self._change(request, record_id)

    def _one(self, entity: str, record_id: int, other: str, other_id: int) -> None:
        linking = self.mode == "link"
        if entity == Entity.COMPANY and other == Entity.DEAL:
            entity, record_id, other, other_id = other, other_id, entity, record_id
        if entity == Entity.CONTACT and other == Entity.DEAL:
            entity, record_id, other, other_id = other, other_id, entity, record_id
        record = record_get(
            crm=self.crm, actor=self.actor, entity=entity, record_id=record_id
        )
        if entity == Entity.DEAL and other == Entity.COMPANY:
            record_get(
                crm=self.crm, actor=self.actor, entity="company", record_id=other_id
            )
            if linking:
                deal_save(
                    crm=self.crm,
                    actor=self.actor,
                    deal_id=record.pk,
                    data={"company_id": other_id},
                )
            elif record.company_id == other_id:
                deal_save(
                    crm=self.crm,
                    actor=self.actor,
                    deal_id=record.pk,
                    data={"company_id": None},
                )
            return
        if entity == Entity.DEAL:
            current = self._visible_ids(entity, record, Entity.CONTACT)
            wanted = (
                sorted(set(current) | {other_id})
                if linking
                else [pk for pk in current if pk != other_id]
            )
            if linking:
                record_get(
                    crm=self.crm, actor=self.actor, entity="contact", record_id=other_id
                )
            if wanted != current:
                deal_save(
                    crm=self.crm,
                    actor=self.actor,
                    deal_id=record.pk,
                    data={"contact_ids": wanted},
                )
            return
        # A contact and a company, from either side.
        if entity == Entity.COMPANY:
            entity, record_id, other, other_id = other, other_id, entity, record_id
            record = record_get(
                crm=self.crm, actor=self.actor, entity="contact", record_id=record_id
            )
        if linking:
            record_links_add(
                crm=self.crm,
                actor=self.actor,
                entity="contact",
                record_id=record.pk,
                ids=[other_id],
            )
            return
        current = self._visible_ids(Entity.CONTACT, record, Entity.COMPANY)
        if other_id in current:
            contact_save(
                crm=self.crm,
                actor=self.actor,
                contact_id=record.pk,
                data={"company_ids": [pk for pk in current if pk != other_id]},
            )

    def _change(self, request: Request, record_id: str | None) -> Response:
        entity = self.entity()
        if record_id is not None:
            record_get(
                crm=self.crm, actor=self.actor, entity=entity, record_id=record_id
            )
        items = _body_items(request)
        done: list[dict] = []
        errors: dict[str, list] = {}
        with transaction.atomic():
            for index, raw in enumerate(items):
                request_id = bodies.request_id_of(raw, index)
                try:
                    if not isinstance(raw, dict):
                        raise bodies.Invalid("", _("An object is expected."))
                    target = (
                        int(record_id)
                        if record_id is not None
                        else bodies.an_int(raw.get("entity_id"), "entity_id")
                    )
                    other = ids.ENTITIES.get(str(raw.get("to_entity_type")))
                    if other is None or other not in LINKABLE[entity]:
                        raise bodies.Invalid(
                            "to_entity_type",
                            _("Link to one of: %(types)s.")
                            % {
                                "types": ", ".join(
                                    ids.ENTITY_TYPES[e]
                                    for e in sorted(LINKABLE[entity])
                                )
                            },
                        )
                    other_id = bodies.an_int(raw.get("to_entity_id"), "to_entity_id")
                    with transaction.atomic():
                        self._one(entity, target, other, other_id)
                except bodies.Invalid as invalid:
                    errors[request_id] = bodies.errors_of(invalid)
                    continue
                except ValidationError as error:
                    errors[request_id] = item_errors_from(error)
                    continue
                done.append(
                    shapes.link(
                        entity,
                        target,
                        other,
                        other_id,
                        raw.get("metadata")
                        if isinstance(raw.get("metadata"), dict)
                        else None,
                    )
                )
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise AmoValidationFailed(errors)
        if self.mode == "unlink":
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            {
                "_total_items": len(done),
                "_links": links_self(request, request.path),
                "_embedded": {"links": done},
            }
        )


class UnlinkView(LinksView):
    mode = "unlink"
    http_method_names: ClassVar[list] = ["post", "options"]


# --- anything else under /api/v4/ -----------------------------------------------------


@extend_schema(exclude=True)
class UnknownEndpointView(AmoView):
    """A problem 404 instead of the site's HTML page."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []
    throttle_classes: ClassVar[list] = []

    def http_method_not_allowed(self, request: Request, *args, **kwargs) -> Response:
        raise exceptions.NotFound(_("There is no such API endpoint."))

    options = http_method_not_allowed
