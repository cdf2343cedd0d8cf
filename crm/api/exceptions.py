"""One shape for every error the API answers:

    {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}

``code`` is stable and meant for programs, ``message`` for people (translated),
``fields`` maps an input field to its messages (``"company_ids.0"`` for an item of
a list) and is empty unless the input was refused."""

from __future__ import annotations

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

NON_FIELD_KEY = "non_field_errors"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def _encodable(text: Any) -> str:
    """Error messages may quote what the client sent, lone surrogates included,
    which no UTF-8 response can carry; they are shown escaped instead."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as ``{"field.sub.0": ["message", ...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            key = _encodable(key)
            name = f"{prefix}.{key}" if prefix else key
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list) and any(isinstance(d, dict | list) for d in detail):
        flat = {}
        for item in detail:
            flat.update(_flatten(item, prefix))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD_KEY: [_encodable(m) for m in messages]}


def _from_django_validation_error(
    error: DjangoValidationError,
) -> exceptions.APIException:
    """The services' ValidationError: with a field dict, a 400 per field."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({NON_FIELD_KEY: error.messages})


def error_body(*, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: DRF's own handler (which sets
    ``WWW-Authenticate`` and ``Retry-After``), then the body in our shape. Anything
    it does not know stays a 500, logged by Django as usual."""
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)
    elif isinstance(exc, RequestDataTooBig):
        # Past DATA_UPLOAD_MAX_MEMORY_SIZE; Django alone would answer an HTML 400.
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        non_field = fields.get(NON_FIELD_KEY)
        message = (
            " ".join(non_field)
            if non_field and len(fields) == 1
            else _("Some of the data sent is not valid.")
        )
        response.data = error_body(code="invalid", message=message, fields=fields)
        return response
    detail = getattr(exc, "detail", "")
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if not isinstance(code, str):
        code = getattr(exc, "default_code", "error")
    response.data = error_body(code=code, message=_encodable(detail))
    return response
