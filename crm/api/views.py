"""The API's doors. Each parses its input with a serializer, calls the services
(or a selector for reads) with the key's CRM and the owner as the actor, and
renders the result. Authentication, rights, rate limits, pagination and the error
shape come from ``settings.REST_FRAMEWORK``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.pagination import RecordCursorPagination
from crm.api.serializers import (
    CUSTOM_FILTER_PARAMETER,
    BulkDeleteResultSerializer,
    BulkDeleteSerializer,
    CompanyListQuery,
    CompanySerializer,
    ContactListQuery,
    ContactSerializer,
    CrmGroupSerializer,
    CrmSerializer,
    CrmUserSerializer,
    CustomFieldListQuery,
    CustomFieldSerializer,
    DealListQuery,
    DealSerializer,
    NoteListQuery,
    NoteSerializer,
    PipelineSerializer,
)
from crm.entities import RECORD_KINDS
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
)
from crm.rights import can
from crm.selectors.fields import custom_fields_list, pipelines_list
from crm.selectors.records import (
    RecordFilters,
    note_get,
    notes_list,
    record_relations,
    records_list,
)
from crm.selectors.users import crm_groups_list, crm_users_by_id
from crm.services.record_deletion import record_delete, records_delete
from crm.services.records import (
    company_save,
    contact_save,
    deal_save,
    note_add,
    note_delete,
    record_get,
    record_set_archived,
)

# At most 18 digits: every such number fits a 64-bit id, so a path can never make
# the database driver overflow. Anything else is not a route at all (404).
ID_PATTERN = "[0-9]{1,18}"


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The validated query string of a list (400 on a bad value)."""
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class ApiViewSet(viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN

    @property
    def crm(self) -> Crm:
        return self.request.crm

    @property
    def actor(self) -> CrmUser:
        return self.request.user

    def require_export(self, *entities: str) -> None:
        """A list of records is a read in bulk: it needs the Export right for at
        least one of ``entities`` (its scope then limits what the list holds)."""
        if not any(can(self.actor, entity, "export") for entity in entities):
            raise exceptions.PermissionDenied(
                _("A list through the API is an export: it needs the Export right.")
            )

    def schema_only(self) -> bool:
        # drf-spectacular builds views without a key to read their types.
        return getattr(self, "swagger_fake_view", False)


class CrmView(APIView):
    """The CRM the key belongs to."""

    @extend_schema(responses=CrmSerializer, summary=gettext_lazy("The key's CRM"))
    def get(self, request: Request) -> Response:
        return Response(CrmSerializer(request.crm).data)


# --- the CRM's set-up, read only ------------------------------------------------------


class _ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    selector: ClassVar[Callable[..., QuerySet]]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return self.queryset
        return type(self).selector(crm=self.crm)


class CrmUserViewSet(_ReadOnlyViewSet):
    queryset = CrmUser.objects.none()
    serializer_class = CrmUserSerializer
    selector = crm_users_by_id


class CrmGroupViewSet(_ReadOnlyViewSet):
    queryset = CrmGroup.objects.none()
    serializer_class = CrmGroupSerializer
    selector = crm_groups_list


class PipelineViewSet(_ReadOnlyViewSet):
    queryset = Pipeline.objects.none()
    serializer_class = PipelineSerializer
    selector = pipelines_list


@extend_schema_view(list=extend_schema(parameters=[CustomFieldListQuery]))
class CustomFieldViewSet(_ReadOnlyViewSet):
    queryset = CustomField.objects.none()
    serializer_class = CustomFieldSerializer

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return self.queryset
        query = (
            _query(CustomFieldListQuery, self.request) if self.action == "list" else {}
        )
        return custom_fields_list(crm=self.crm, entity=query.get("entity"))


# --- contacts, companies, deals -------------------------------------------------------


class RecordViewSet(mixins.ListModelMixin, ApiViewSet):
    """List, read, create, change, delete and bulk-delete one kind of record."""

    entity: ClassVar[str]
    list_query: ClassVar[type[serializers.Serializer]]
    save_service: ClassVar[Callable[..., Model]]
    pagination_class = RecordCursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return self.queryset
        query = _query(self.list_query, self.request)
        ordering = query.pop("ordering", "id")
        records = records_list(
            crm=self.crm,
            actor=self.actor,
            entity=self.entity,
            filters=RecordFilters(**query),
            ordering=ordering,
            for_export=True,
        )
        return records.prefetch_related(*self._relations())

    def page_rows(self) -> QuerySet:
        """Where a page's records are read by id, with their links
        (``RecordCursorPagination``)."""
        return self.queryset.model.objects.prefetch_related(*self._relations())

    def _relations(self) -> list:
        return record_relations(crm=self.crm, actor=self.actor, entity=self.entity)

    def _shown(self, record: Model) -> Model:
        """The record as its JSON shows it, with the links the actor may see."""
        prefetch_related_objects([record], *self._relations())
        return record

    def list(self, request: Request) -> Response:
        self.require_export(self.entity)
        return super().list(request)

    def _save(self, *, record_id: int | None, data: dict[str, Any]) -> Model:
        data = dict(data)
        archived = data.pop("is_archived", None)
        # A contact's or company's phones and e-mails, as the service takes them.
        points = {
            name: [(point["kind"], point["value"]) for point in data.pop(name)]
            for name in ("phones", "emails")
            if name in data
        }
        # The archive flag has its own service; one transaction keeps a refused
        # flag from leaving the rest of the change saved.
        with transaction.atomic():
            record = type(self).save_service(
                crm=self.crm,
                actor=self.actor,
                data=data,
                **points,
                **{f"{self.entity}_id": record_id},
            )
            if archived is not None and archived != record.is_archived:
                record = record_set_archived(
                    crm=self.crm,
                    actor=self.actor,
                    entity=self.entity,
                    record_id=record.pk,
                    archived=archived,
                )
        return record

    def retrieve(self, request: Request, pk: str) -> Response:
        record = record_get(
            crm=self.crm, actor=self.actor, entity=self.entity, record_id=pk
        )
        return Response(self.get_serializer(self._shown(record)).data)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self._save(record_id=None, data=serializer.validated_data)
        return Response(
            self.get_serializer(self._shown(record)).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        record = self._save(record_id=int(pk), data=serializer.validated_data)
        return Response(self.get_serializer(self._shown(record)).data)

    def destroy(self, request: Request, pk: str) -> Response:
        record_delete(crm=self.crm, actor=self.actor, entity=self.entity, record_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=BulkDeleteSerializer,
        responses=BulkDeleteResultSerializer,
        summary=gettext_lazy("Delete many records at once"),
    )
    @action(detail=False, methods=["post"], url_path="bulk-delete")
    def bulk_delete(self, request: Request) -> Response:
        serializer = BulkDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = records_delete(
            crm=self.crm,
            actor=self.actor,
            entity=self.entity,
            ids=serializer.validated_data["ids"],
            description=_("Deleted through the API"),
        )
        body = {
            "deleted": result.deleted,
            "not_found": result.not_found,
            "job_id": result.job.pk if result.job else None,
        }
        return Response(
            BulkDeleteResultSerializer(body).data,
            status=status.HTTP_202_ACCEPTED if result.job else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(parameters=[ContactListQuery, CUSTOM_FILTER_PARAMETER])
)
class ContactViewSet(RecordViewSet):
    queryset = Contact.objects.none()
    serializer_class = ContactSerializer
    entity = "contact"
    list_query = ContactListQuery
    save_service = contact_save


@extend_schema_view(
    list=extend_schema(parameters=[CompanyListQuery, CUSTOM_FILTER_PARAMETER])
)
class CompanyViewSet(RecordViewSet):
    queryset = Company.objects.none()
    serializer_class = CompanySerializer
    entity = "company"
    list_query = CompanyListQuery
    save_service = company_save


@extend_schema_view(
    list=extend_schema(parameters=[DealListQuery, CUSTOM_FILTER_PARAMETER])
)
class DealViewSet(RecordViewSet):
    queryset = Deal.objects.none()
    serializer_class = DealSerializer
    entity = "deal"
    list_query = DealListQuery
    save_service = deal_save


# --- notes ------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[NoteListQuery]))
class NoteViewSet(mixins.ListModelMixin, ApiViewSet):
    queryset = Note.objects.none()
    serializer_class = NoteSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return self.queryset
        query = _query(NoteListQuery, self.request)
        ordering = query.pop("ordering", "id")
        return notes_list(
            crm=self.crm,
            actor=self.actor,
            record_ids=query,
            ordering=ordering,
            for_export=True,
        )

    def list(self, request: Request) -> Response:
        # A note follows its record's rights: the notes of a kind the actor may
        # not export are left out of the list.
        self.require_export(*RECORD_KINDS)
        return super().list(request)

    def retrieve(self, request: Request, pk: str) -> Response:
        note = note_get(crm=self.crm, actor=self.actor, note_id=pk)
        return Response(self.get_serializer(note).data)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        note = note_add(
            crm=self.crm,
            actor=self.actor,
            entity=data["entity"],
            record_id=data["record_id"],
            text=data["text"],
        )
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        note_delete(crm=self.crm, actor=self.actor, note_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- anything else under /api/v1/ -----------------------------------------------------


@extend_schema(exclude=True)
class UnknownEndpointView(APIView):
    """A JSON 404 in the API's error shape instead of the site's HTML page."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []
    throttle_classes: ClassVar[list] = []

    def http_method_not_allowed(self, request: Request, *args, **kwargs) -> Response:
        raise exceptions.NotFound(_("There is no such API endpoint."))

    options = http_method_not_allowed
