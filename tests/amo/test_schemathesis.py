"""/api/v4/ against its own OpenAPI document: schemathesis generates requests for
every operation (valid and invalid ones) and no answer may be a server error or
break the documented statuses, media types and shapes.

In-process through the WSGI application on the test database, with a real key of
a seeded CRM, a few examples per operation and a fixed seed (as tests/api's)."""

import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi import checks as openapi_checks

from config.wsgi import application
from crm.models import CrmUser, CustomField, PipelineStatus
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)
from tests.wsgi_api import api_key_header_for_wsgi

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 5, "deterministic": True, "database": "none"},
        "phases": {"coverage": {"enabled": False}},
    }
)

with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v4/schema/?format=json", application, config=CONFIG
    )


@pytest.fixture
def api_key_header(db, settings, crm_a):
    settings.API_RATE_LIMIT = ""
    settings.ALLOWED_HOSTS = ["localhost"]
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    _seed(crm_a, owner)
    with api_key_header_for_wsgi(crm_a, owner) as header:
        yield header


def _seed(crm, owner) -> None:
    pipeline = PipelineFactory(crm=crm)
    new = PipelineStatusFactory(pipeline=pipeline, position=0)
    PipelineStatusFactory(pipeline=pipeline, kind=PipelineStatus.Kind.WON, position=1)
    company = CompanyFactory(responsible=owner)
    contact = ContactFactory(responsible=owner)
    deal = DealFactory(responsible=owner, status=new, pipeline=pipeline)
    deal.contacts.add(contact, through_defaults={"crm": crm})
    CustomField.objects.create(crm=crm, entity="contact", name="Budget", type="number")
    contact.companies.add(company, through_defaults={"crm": crm})


@schema.parametrize()
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_v4_conforms_to_its_schema(case, api_key_header):
    case.call_and_validate(
        headers=api_key_header,
        checks=[
            schemathesis.checks.not_a_server_error,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_schema_conformance,
        ],
    )
