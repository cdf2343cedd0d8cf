"""Errors as amoCRM answers them: ``application/problem+json`` (RFC 7807)

    {"title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
     "detail": "Request validation failed",
     "validation-errors": [{"request_id": "0", "errors": [
         {"code": "NotSupportedChoice", "path": "status_id", "detail": "..."}]}]}

``validation-errors`` appears on a 400 for input that was refused, one entry per
item of the request (its ``request_id``: the one the client sent, or its position).
Every 429 carries ``Retry-After``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from crm.api.exceptions import PayloadTooLarge

PROBLEM_CONTENT_TYPE = "application/problem+json"
# What amoCRM puts in ``type``; clients compare the status, not this.
TYPE_URL = "https://httpstatus.es/{status}"
# Our field names in the services' messages, as amoCRM's clients call them.
FIELD_PATHS = {
    "responsible_id": "responsible_user_id",
    "amount": "price",
    "custom": "custom_fields_values",
    "phones": "custom_fields_values",
    "emails": "custom_fields_values",
    "website": "custom_fields_values",
    "address": "custom_fields_values",
    "company_ids": "_embedded.companies",
    "contact_ids": "_embedded.contacts",
    "company_id": "_embedded.companies",
    "due_at": "complete_till",
    "type": "task_type_id",
    "__all__": "",
}


class ItemErrors(list):
    """The errors of one item: ``[{"code", "path", "detail"}]``."""

    def add(self, path: str, detail: Any, code: str = "InvalidValue") -> None:
        self.append({"code": code, "path": path, "detail": str(detail)})


def item_errors_from(error: DjangoValidationError, prefix: str = "") -> ItemErrors:
    """A service's ValidationError as one item's errors, under amoCRM's names."""
    errors = ItemErrors()
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            path = FIELD_PATHS.get(field, field)
            path = ".".join(p for p in (prefix, path) if p)
            for message in messages:
                errors.add(path, message)
    else:
        for message in error.messages:
            errors.add(prefix, message)
    return errors


class AmoValidationFailed(exceptions.APIException):
    """A 400 with ``validation-errors``: ``{request_id: ItemErrors}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("Request validation failed")
    default_code = "invalid"

    def __init__(self, errors: dict[str, list[dict]]) -> None:
        super().__init__()
        self.errors = errors


class NotAcceptableBody(exceptions.ParseError):
    default_detail = gettext_lazy("The body must be a JSON array of objects.")


def _problem(status_code: int, detail: Any) -> dict[str, Any]:
    try:
        title = HTTPStatus(status_code).phrase
    except ValueError:
        title = "Error"
    return {
        "title": title,
        "type": TYPE_URL.format(status=status_code),
        "status": status_code,
        "detail": str(detail).encode("utf-8", "backslashreplace").decode("utf-8"),
    }


def _detail_text(detail: Any) -> str:
    if isinstance(detail, dict):
        return " ".join(_detail_text(value) for value in detail.values())
    if isinstance(detail, list):
        return " ".join(_detail_text(value) for value in detail)
    return str(detail)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """The v4 views' exception handler: DRF's (``WWW-Authenticate``,
    ``Retry-After``), then the body as a problem."""
    if isinstance(exc, DjangoValidationError):
        exc = AmoValidationFailed({"0": item_errors_from(exc)})
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, AmoValidationFailed):
        body = _problem(response.status_code, exc.detail)
        body["validation-errors"] = [
            {"request_id": request_id, "errors": errors}
            for request_id, errors in exc.errors.items()
        ]
    elif isinstance(exc, exceptions.ValidationError):
        body = _problem(response.status_code, _("Request validation failed"))
        body["validation-errors"] = [
            {
                "request_id": "0",
                "errors": [
                    {
                        "code": "InvalidValue",
                        "path": "",
                        "detail": _detail_text(exc.detail),
                    }
                ],
            }
        ]
    else:
        body = _problem(response.status_code, _detail_text(getattr(exc, "detail", "")))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    # DRF leaves it out when the wait rounds to nothing; clients need it.
    too_many = response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    if too_many and not response.has_header("Retry-After"):
        response["Retry-After"] = "1"
    return response
