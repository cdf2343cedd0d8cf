"""The API against its own OpenAPI schema: schemathesis generates requests for
every operation (valid and invalid ones) and no answer may be a server error or
break the documented shapes.

It runs in-process through the WSGI application on the test database, with a
real key of a seeded CRM, a few examples per operation and a fixed seed, so it is
fast and repeatable."""

import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi import checks as openapi_checks

from config.wsgi import application
from crm.models import CrmUser, CustomField
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    DealFactory,
    PipelineStatusFactory,
)
from tests.wsgi_api import api_key_header_for_wsgi

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "max-examples": 8,
            "deterministic": True,
            "database": "none",
        },
        # The coverage phase sends hundreds of boundary cases per operation; the
        # unit tests cover those boundaries, this test looks for the unexpected.
        "phases": {"coverage": {"enabled": False}},
    }
)


# Loaded once at collection: building the schema reads no database. (The lazy
# ``schemathesis.pytest.from_fixture`` loader does not work with pytest 9 yet.)
# schemathesis calls the WSGI app as http://localhost/.
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", application, config=CONFIG
    )


@pytest.fixture
def api_key_header(db, settings, crm_a, staff_a):
    # A run sends a few hundred requests with one key; the limit is tested elsewhere.
    settings.API_RATE_LIMIT = ""
    settings.ALLOWED_HOSTS = ["localhost"]
    _seed(crm_a, staff_a)
    owner = CrmUser.objects.get(crm=crm_a, role="owner")
    with api_key_header_for_wsgi(crm_a, owner) as header:
        yield header


def _seed(crm, staff) -> None:
    status = PipelineStatusFactory(pipeline__crm=crm)
    company = CompanyFactory(responsible=staff)
    contact = ContactFactory(responsible=staff)
    DealFactory(responsible=staff, status=status, pipeline=status.pipeline)
    CrmGroupFactory(crm=crm)
    CustomField.objects.create(crm=crm, entity="contact", name="Budget", type="number")
    contact.companies.add(company, through_defaults={"crm": crm})


@schema.parametrize()
# The key and the seeded records are made once per operation and shared by its
# examples on purpose: what one example creates or deletes, the next may meet.
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, api_key_header):
    case.call_and_validate(
        headers=api_key_header,
        checks=[
            schemathesis.checks.not_a_server_error,
            openapi_checks.response_schema_conformance,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_headers_conformance,
            openapi_checks.negative_data_rejection,
        ],
    )
