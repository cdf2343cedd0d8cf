"""Every request writes one JSON line carrying its request id, the CRM and who
made it; anything logged while it is served carries the same request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.observability import RequestContextMiddleware, structured_formatter
from crm.models import CrmUser
from crm.services.apikeys import api_key_create
from tests.crm.helpers import sign_in


class Captured:
    """What the production (JSON) formatter writes while a test runs."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def requests(self) -> list[dict]:
        return [line for line in self.lines() if line["event"] == "request"]


@pytest.fixture
def log_lines() -> Iterator[Captured]:
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(structured_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield captured
    root.removeHandler(handler)


def test_a_crm_page_logs_its_request_id_crm_and_crm_user(client, crm_a, log_lines):
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    sign_in(client, owner)
    response = client.get("/c/alpha/contacts/", HTTP_X_REQUEST_ID="lb-0123456789")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-0123456789"
    [line] = [
        line for line in log_lines.requests() if line["route"].endswith("contacts/")
    ]
    assert line["request_id"] == "lb-0123456789"
    assert line["crm"] == "alpha"
    assert line["crm_user_id"] == owner.pk
    assert line["status"] == 200
    assert line["level"] == "info"
    assert line["view"] == "crm:contact_list"


def test_a_portal_page_logs_the_account_and_a_fresh_request_id(
    client, crm_a, log_lines
):
    client.force_login(crm_a.owner)
    # Not a sane id (a space, a quote): replaced rather than written to the log.
    response = client.get("/portal/", HTTP_X_REQUEST_ID='bad id"')
    assert response.status_code == 200
    [line] = log_lines.requests()
    assert line["user_id"] == crm_a.owner.pk
    assert line["request_id"] == response["X-Request-ID"] != 'bad id"'
    assert len(line["request_id"]) == 32
    assert "crm" not in line


def test_an_api_call_logs_the_crm_of_its_key(client, crm_a, log_lines):
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    _key, raw = api_key_create(crm=crm_a, name="Logs", created_by=owner)
    response = client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    [line] = log_lines.requests()
    assert line["crm"] == "alpha"
    assert line["crm_user_id"] == owner.pk
    assert "user_id" not in line


def test_one_time_tokens_in_paths_stay_out_of_the_log(client, crm_a, log_lines):
    client.get("/c/alpha/sso/secret-one-time-token/")
    [line] = log_lines.requests()
    assert line["route"] == "/c/<slug:slug>/sso/<str:token>/"
    assert "secret-one-time-token" not in json.dumps(line)


def test_lines_logged_during_a_request_carry_its_context(log_lines):
    def view(request):
        logging.getLogger("crm.anything").warning("Something to know")
        return HttpResponse()

    middleware = RequestContextMiddleware(view)
    request = RequestFactory().get("/c/beta/", HTTP_X_REQUEST_ID="req-abcdefgh")

    def get_response(request):
        middleware.process_view(request, view, (), {"slug": "beta"})
        return view(request)

    middleware.get_response = get_response
    middleware(request)
    [line] = [
        line for line in log_lines.lines() if line["event"] == "Something to know"
    ]
    assert line["request_id"] == "req-abcdefgh"
    assert line["crm"] == "beta"
    assert line["level"] == "warning"
    assert line["logger"] == "crm.anything"
