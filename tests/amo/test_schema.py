"""/api/v4/ in OpenAPI: its own document and docs page, linked from /api/v1/'s,
valid, spelled out as amoCRM's reference spells its paths, and true to the routes."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.urls import resolve

from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

PROBLEM_REF = {"$ref": "#/components/schemas/AmoProblem"}


@pytest.fixture(scope="module")
def v4() -> dict:
    response = api_client().get("/api/v4/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_v4_document_is_valid_and_builds_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--custom-settings",
        "crm.amo.schema.SETTINGS",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "v4.yaml"),
    )
    assert "/api/v4/leads/pipelines/{pipeline_id}/statuses:" in (
        (tmp_path / "v4.yaml").read_text()
    )


def test_v1_keeps_its_own_paths_and_links_to_the_v4_docs():
    v1 = api_client().get("/api/v1/schema/?format=json").json()
    assert not [path for path in v1["paths"] if path.startswith("/api/v4/")]
    assert "(/api/v4/docs/)" in v1["info"]["description"]


def test_amocrm_paths_are_spelled_out_without_a_trailing_slash(v4):
    paths = set(v4["paths"])
    assert {
        "/api/v4/account",
        "/api/v4/users",
        "/api/v4/users/{id}",
        "/api/v4/leads/pipelines",
        "/api/v4/leads/pipelines/{pipeline_id}/statuses",
        "/api/v4/leads/complex",
        "/api/v4/tasks",
    } <= paths
    for entity in ("leads", "contacts", "companies"):
        assert {
            f"/api/v4/{entity}",
            f"/api/v4/{entity}/{{id}}",
            f"/api/v4/{entity}/custom_fields",
            f"/api/v4/{entity}/notes",
            f"/api/v4/{entity}/{{record_id}}/notes",
            f"/api/v4/{entity}/{{record_id}}/link",
            f"/api/v4/{entity}/{{record_id}}/links",
            f"/api/v4/{entity}/unlink",
        } <= paths
    for path in paths:
        assert path.startswith("/api/v4/")
        assert not path.endswith("/")
        assert "{entity_type}" not in path
    ids = [operation["operationId"] for _p, _m, operation in _operations(v4)]
    assert len(ids) == len(set(ids))


def test_every_documented_path_is_a_route(v4):
    for path in v4["paths"]:
        match = resolve(re.sub(r"\{[a-z_]+\}", "7", path))
        assert match.view_name != "amo:unknown", path


def test_every_operation_takes_the_key_and_answers_problems(v4):
    assert v4["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    for path, method, operation in _operations(v4):
        assert operation["security"] == [{"ApiKey": []}], (path, method)
        for code in ("400", "401", "403", "404", "429"):
            content = operation["responses"][code]["content"]
            assert content == {"application/problem+json": {"schema": PROBLEM_REF}}
        assert "application/hal+json" in operation["responses"]["200"]["content"]


def test_lists_document_204_pages_and_filters_and_creates_the_idempotency_key(v4):
    contacts = v4["paths"]["/api/v4/contacts"]
    listing = contacts["get"]
    assert "204" in listing["responses"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == 250
    assert {"page", "with", "query", "filter", "order"} <= set(parameters)
    assert parameters["filter"]["style"] == "deepObject"
    for path in ("/api/v4/contacts", "/api/v4/leads/complex", "/api/v4/tasks"):
        names = {p["name"] for p in v4["paths"][path]["post"]["parameters"]}
        assert "Idempotency-Key" in names, path
    body = contacts["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
    one = v4["paths"]["/api/v4/contacts/{id}"]["patch"]["requestBody"]
    assert one["content"]["application/json"]["schema"]["type"] == "object"


def test_the_v4_description_says_how_to_move_in(v4):
    description = v4["info"]["description"]
    assert "`Authorization: Bearer <key>`" in description
    assert "`https://<host>/api/v4/...`" in description
    assert "142" in description and "143" in description
    outside_code = re.sub(r"`[^`]*`", "", description)
    assert not re.search(r"<[A-Za-z/!?]", outside_code)


def test_the_v4_docs_page_is_public_and_serves_the_v4_document():
    response = api_client().get("/api/v4/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/v4/schema/" in page
    assert "cdn." not in page
    assert api_client().get("/api/v4/schema/").status_code == 200
