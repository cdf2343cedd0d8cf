"""The OpenAPI schema and the interactive docs: complete, valid, and served without
any outside host (the machines are offline; no CDN)."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.api.helpers import api_client, assert_error


@pytest.fixture(scope="module")
def openapi() -> dict:
    response = api_client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_valid_and_builds_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )


def test_the_schema_is_public_and_needs_no_key(db):
    assert api_client().get("/api/v1/schema/").status_code == 200


def test_every_operation_asks_for_the_bearer_key(db, openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert schemes == {
        "ApiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["ApiKey"]["description"],
        }
    }
    operations = [op for item in openapi["paths"].values() for op in item.values()]
    assert len(operations) >= 30
    for operation in operations:
        assert operation["security"] == [{"ApiKey": []}]
        for code in ("400", "401", "403", "404", "429"):
            error = operation["responses"][code]["content"]["application/json"]
            assert error["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_documented_paths(db, openapi):
    assert set(openapi["paths"]) == {
        "/api/v1/crm/",
        "/api/v1/users/",
        "/api/v1/users/{id}/",
        "/api/v1/groups/",
        "/api/v1/groups/{id}/",
        "/api/v1/pipelines/",
        "/api/v1/pipelines/{id}/",
        "/api/v1/custom-fields/",
        "/api/v1/custom-fields/{id}/",
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/contacts/bulk-delete/",
        "/api/v1/companies/",
        "/api/v1/companies/{id}/",
        "/api/v1/companies/bulk-delete/",
        "/api/v1/deals/",
        "/api/v1/deals/{id}/",
        "/api/v1/deals/bulk-delete/",
        "/api/v1/notes/",
        "/api/v1/notes/{id}/",
    }
    contacts_list = openapi["paths"]["/api/v1/contacts/"]["get"]
    names = {p["name"] for p in contacts_list["parameters"]}
    assert {"q", "email", "phone", "responsible_id", "archived", "ordering"} <= names
    assert {"after", "before", "page_size"} <= names


def test_request_bodies_refuse_unknown_keys_in_the_schema_too(db, openapi):
    schemas = openapi["components"]["schemas"]
    for name in ("ContactRequest", "PatchedContactRequest", "NoteRequest"):
        assert schemas[name]["additionalProperties"] is False
    assert "id" not in schemas["ContactRequest"]["properties"]


def _texts(node):
    """Every description and summary in the document: Markdown in the docs."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


def test_the_description_shows_the_bearer_placeholder(db, openapi):
    description = openapi["info"]["description"]
    assert "`Authorization: Bearer <key>`" in description


def test_angle_brackets_in_the_docs_are_in_code_spans(db, openapi):
    # Markdown outside a code span takes <key> for an HTML tag, which the docs drop.
    texts = list(_texts(openapi))
    assert len(texts) > 50
    for text in texts:
        outside_code = re.sub(r"`[^`]*`", "", text)
        assert not re.search(r"<[A-Za-z/!?]", outside_code), text


def test_swagger_ui_is_served_from_our_own_static_files(db):
    response = api_client().get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/v1/schema/" in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith("/") and not url.startswith("//"), url
    # No other host: neither a full address nor a protocol-relative one
    # ("//cdn…") anywhere, the scripts' strings included. (Not the word "cdn":
    # the page's random CSRF token holds it now and then.)
    assert "https://" not in page and "http://" not in page
    assert not re.search(r"[\"'(]//[\w.-]", page)
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/nothing/", "/api/v1/contacts", "/api/v1/v2/x/"]
)
def test_unknown_api_paths_are_a_json_404(db, path):
    for method in ("get", "post", "delete", "options"):
        response = getattr(api_client(), method)(path)
        assert_error(response, 404, "not_found")


def test_ids_too_long_for_the_database_are_not_routes(api_a):
    assert_error(api_a.get(f"/api/v1/contacts/{'9' * 20}/"), 404, "not_found")
    assert_error(api_a.get("/api/v1/contacts/-1/"), 404, "not_found")
