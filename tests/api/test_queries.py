"""A list page costs the same number of queries for 5 records as for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import CustomField, Note
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CrmGroupFactory,
    CrmUserFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)

# Authentication (key + owner), the count and the page, and one query per
# prefetched relation (a contact's companies, phones and e-mails). The first
# request of a key also writes "last used".
MAX_QUERIES = 8


def _seed_contacts(crm, staff, n):
    company = CompanyFactory(responsible=staff)
    for contact in ContactFactory.create_batch(n, responsible=staff):
        contact.companies.add(company, through_defaults={"crm": crm})


def _seed_deals(crm, staff, n):
    status = PipelineStatusFactory(pipeline__crm=crm)
    contact = ContactFactory(responsible=staff)
    for deal in DealFactory.create_batch(
        n, responsible=staff, status=status, pipeline=status.pipeline
    ):
        deal.contacts.add(contact, through_defaults={"crm": crm})


def _seed_companies(crm, staff, n):
    CompanyFactory.create_batch(n, responsible=staff)


def _seed_notes(crm, staff, n):
    contact = ContactFactory(responsible=staff)
    Note.objects.bulk_create(
        [Note(crm=crm, contact=contact, text=f"n{i}") for i in range(n)]
    )


def _seed_users(crm, staff, n):
    CrmUserFactory.create_batch(n, crm=crm)


def _seed_groups(crm, staff, n):
    CrmGroupFactory.create_batch(n, crm=crm)


def _seed_custom_fields(crm, staff, n):
    CustomField.objects.bulk_create(
        [
            CustomField(crm=crm, entity="contact", name=f"F{i}", type="text")
            for i in range(n)
        ]
    )


def _seed_pipelines(crm, staff, n):
    for pipeline in PipelineFactory.create_batch(n, crm=crm):
        PipelineStatusFactory.create_batch(2, pipeline=pipeline)


@pytest.mark.parametrize(
    "url, seed",
    [
        ("/api/v1/contacts/", _seed_contacts),
        ("/api/v1/companies/", _seed_companies),
        ("/api/v1/deals/", _seed_deals),
        ("/api/v1/notes/", _seed_notes),
        ("/api/v1/users/", _seed_users),
        ("/api/v1/groups/", _seed_groups),
        ("/api/v1/custom-fields/", _seed_custom_fields),
        ("/api/v1/pipelines/", _seed_pipelines),
    ],
)
def test_lists_run_a_constant_number_of_queries(
    api_a, crm_a, staff_a, url, seed, django_assert_max_num_queries
):
    api_a.get("/api/v1/crm/")  # the key's first use writes "last used"; not counted
    counts = []
    for n in (5, 45):
        seed(crm_a, staff_a, n)
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get(f"{url}?page_size=100")
        assert response.status_code == 200
        assert len(response.json()["results"]) >= n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(MAX_QUERIES):
        api_a.get(f"{url}?page_size=100")
