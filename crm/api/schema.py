"""The OpenAPI document: the Bearer scheme, the error shape on every operation,
and request bodies that say unknown keys are refused (as the serializers do)."""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": _("Stable, for programs: e.g. not_found, invalid."),
                },
                "message": {"type": "string", "description": _("For people.")},
                "fields": {
                    "type": "object",
                    "description": _(
                        "Messages per input field; empty unless the input was refused."
                    ),
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "string"},
                    },
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_RESPONSES = {
    "400": _("The input is not valid; see error.fields."),
    "401": _("No key, a malformed header, or an unknown, revoked or expired key."),
    "403": _(
        "The CRM is not active (e.g. scheduled for deletion), or a read-only key "
        "asked to change something."
    ),
    "404": _("No such record in this CRM."),
    "429": _("Too many requests for this key; see the Retry-After header."),
}
BODY_ERROR_RESPONSES = {
    "413": _("The request body is too large."),
    "415": _("The body must be application/json."),
}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "An API key from Settings → API of the CRM: "
                "`Authorization: Bearer crm_…`. The key decides the CRM. A "
                "read-only key may only use GET, HEAD and OPTIONS."
            ),
        }


def _error_response(description: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
            }
        },
    }


def postprocess(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = copy.deepcopy(ERROR_SCHEMA)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            body = operation.get("requestBody")
            errors = dict(ERROR_RESPONSES)
            if body:
                errors.update(BODY_ERROR_RESPONSES)
            for code, description in errors.items():
                responses.setdefault(code, _error_response(description))
            for content in (body or {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                component = schemas.get(ref.rsplit("/", 1)[-1])
                if component is not None and component.get("type") == "object":
                    component["additionalProperties"] = False
    return result
