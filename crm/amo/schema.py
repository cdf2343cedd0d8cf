"""The v4 API's OpenAPI document, apart from ``/api/v1/``'s: its own at
``/api/v4/schema/`` with Swagger UI at ``/api/v4/docs/`` (v1's description links
there). v1's document leaves ``/api/v4/`` out (``without_v4``, a preprocessing
hook of the global settings); this one keeps only it.

The views serve ``contacts``, ``companies`` and ``leads`` through one
``{entity_type}`` pattern; the document spells each out, without a trailing
slash, as amoCRM's reference does, and adds amoCRM's problem answers, the list
parameters and ``Idempotency-Key``."""

from __future__ import annotations

import copy
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema

V4_PREFIX = "/api/v4/"
ENTITIES = ("leads", "contacts", "companies")
ENTITY_PLACEHOLDER = "{entity_type}"
PROBLEM_COMPONENT = "AmoProblem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "type": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "validation-errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "request_id": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "path": {"type": "string"},
                                "detail": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
    "required": ["title", "type", "status", "detail"],
}
PROBLEMS = {
    "400": _("Refused input: validation-errors says which item and field."),
    "401": _("No key, or an unknown, revoked or expired one."),
    "403": _(
        "A read-only key asked to write, the Export right is missing, "
        "or the CRM is closed."
    ),
    "404": _("No such record in this CRM (another CRM's ids too)."),
    "429": _("Too many requests for this key; see Retry-After."),
}
TAGS = [
    {"name": "account", "description": _("The CRM as an amoCRM account.")},
    {"name": "users", "description": _("The CRM's users, with=role,group.")},
    {
        "name": "leads",
        "description": _(
            "Deals; pipelines and their statuses (Won is 142, Lost is 143)."
        ),
    },
    {"name": "contacts", "description": _("Contacts.")},
    {"name": "companies", "description": _("Companies.")},
    {"name": "tasks", "description": _("Tasks.")},
]

# Query parameters of every list (an operation that may answer 204).
LIST_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1},
        "description": _("From 1."),
    },
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 250},
        "description": _("Rows per page, at most 250 (more is taken as 250)."),
    },
    {
        "name": "with",
        "in": "query",
        "schema": {"type": "string"},
        "description": _(
            "Comma-separated; values this list does not know are ignored."
        ),
    },
]
RECORD_LIST_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "query",
        "in": "query",
        "schema": {"type": "string"},
        "description": _("Finds by name, any phone (in any format) or e-mail."),
    },
    {
        "name": "filter",
        "in": "query",
        "style": "deepObject",
        "explode": True,
        "schema": {"type": "object", "additionalProperties": True},
        "description": _(
            "amoCRM's filters: `filter[id]`, `filter[name]`, "
            "`filter[responsible_user_id]`, `filter[created_at][from]`, "
            "`filter[updated_at][to]`, for leads `filter[price]` and "
            "`filter[statuses][0][pipeline_id]` with `filter[statuses][0][status_id]`. "
            "A list may be sent as `filter[id][0]=1`, `filter[id][]=1` or "
            "`filter[id]=1` repeated."
        ),
    },
    {
        "name": "order",
        "in": "query",
        "style": "deepObject",
        "explode": True,
        "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": _(
            "`order[id]`, `order[created_at]` or `order[updated_at]`, `asc` or `desc`."
        ),
    },
]
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "maxLength": 255},
    "description": _(
        "Optional. A create sent again with the same key within 24 hours answers "
        "what the first one did and makes nothing new; the same key with another "
        "body is a 422."
    ),
}

IDEMPOTENCY_CONFLICT = _(
    "This Idempotency-Key came before with another body; use a new key."
)

SETTINGS = {
    "TITLE": "amoCRM API v4",
    "DESCRIPTION": _(
        "amoCRM's (Kommo's) REST API v4, for integrations written for amoCRM. "
        "Give them this site's address as the amoCRM address (requests go to "
        "`https://<host>/api/v4/...`) and an API key from the CRM's Settings → "
        "API as a long-lived token (`Authorization: Bearer <key>`): the key "
        "decides the CRM. HAL answers (`application/hal+json`), Unix timestamps, "
        "`page` and `limit` (at most 250); an empty list is 204 with no body. Won "
        "and Lost are statuses 142 and 143 in every pipeline. Errors are "
        "`application/problem+json`; every 429 has `Retry-After`. Send "
        "`Idempotency-Key` with a create to make a retry safe; `values: null` or "
        "`[]` clears a custom field. The CRM's own API: [/api/v1/docs/](/api/v1/docs/)."
    ),
    "VERSION": "4",
    "TAGS": TAGS,
    "PREPROCESSING_HOOKS": ["crm.amo.schema.only_v4"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.amo.schema.postprocess",
    ],
}


def without_v4(endpoints: list, **kwargs: Any) -> list:
    """``/api/v1/``'s document: everything but v4."""
    return [e for e in endpoints if not e[0].startswith(V4_PREFIX)]


def only_v4(endpoints: list, **kwargs: Any) -> list:
    return [e for e in endpoints if e[0].startswith(V4_PREFIX)]


class AmoAutoSchema(AutoSchema):
    """Bodies are JSON as amoCRM takes them (an array of items; one object when
    the path names the record), and operation ids follow the path, placeholders
    included, so the views that serve several paths get one id per path."""

    def get_description(self) -> str:
        # The views' docstrings are written for this code's readers.
        return ""

    def get_operation_id(self) -> str:
        tokens = [re.sub(r"\W", "", token) for token in self.path.split("/")]
        tokens = [t for t in tokens[3:] if t]  # after "", "api", "v4"
        return "_".join([*tokens, self.method.lower()])

    def _get_request_for_media_type(self, serializer, direction="request"):
        if serializer in (None, dict, list):
            item = {"type": "object", "additionalProperties": True}
            if self.method == "PATCH" and self.path.rstrip("/").endswith("{id}"):
                return item, True
            return {"type": "array", "items": item, "minItems": 1}, True
        return super()._get_request_for_media_type(serializer, direction)


# The lists that take page and limit (the others answer whole).
PAGED = re.compile(
    r"^/api/v4/(users|tasks|(leads|contacts|companies)(/\{record_id\})?(/notes)?)$"
)


def _problem(description: Any) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{PROBLEM_COMPONENT}"}
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref}},
    }


def _spelled_out(paths: dict[str, Any]) -> dict[str, Any]:
    """``/api/v4/{entity_type}/...`` as one path per entity, no trailing slash."""
    result: dict[str, Any] = {}
    for path, operations in paths.items():
        path = path.rstrip("/")
        if ENTITY_PLACEHOLDER not in path:
            result[path] = operations
            continue
        for entity in ENTITIES:
            concrete = copy.deepcopy(operations)
            for operation in concrete.values():
                operation["parameters"] = [
                    p
                    for p in operation.get("parameters", [])
                    if p.get("name") != "entity_type"
                ]
                if not operation["parameters"]:
                    del operation["parameters"]
                operation["operationId"] = operation["operationId"].replace(
                    "entity_type", entity
                )
            result[path.replace(ENTITY_PLACEHOLDER, entity)] = concrete
    return dict(sorted(result.items()))


def postprocess(result: dict, generator: Any, request: Any, public: bool) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM_COMPONENT] = copy.deepcopy(PROBLEM_SCHEMA)
    result["paths"] = _spelled_out(result.get("paths", {}))
    for path, operations in result["paths"].items():
        tag = path[len(V4_PREFIX) :].split("/", 1)[0]
        for method, operation in operations.items():
            operation["tags"] = [tag]
            responses = operation.setdefault("responses", {})
            if "204" in responses:
                responses["204"]["description"] = _("An empty list: no body.")
            for code, description in PROBLEMS.items():
                responses.setdefault(code, _problem(description))
            parameters = operation.setdefault("parameters", [])
            if method == "get" and PAGED.match(path):
                parameters.extend(copy.deepcopy(LIST_PARAMETERS))
                if tag in ENTITIES and path.count("/") == 3:
                    parameters.extend(copy.deepcopy(RECORD_LIST_PARAMETERS))
            if method == "post" and not path.endswith("/unlink"):
                parameters.append(copy.deepcopy(IDEMPOTENCY_PARAMETER))
                responses.setdefault("422", _problem(IDEMPOTENCY_CONFLICT))
            if not parameters:
                del operation["parameters"]
    return result
