"""A list's rows are rendered straight from the columns (``RowRenderer``); each
must be exactly what the record's own serializer makes of the model instance,
which is what a single record's GET answers."""

import datetime

import pytest
from django.utils import timezone

from crm.api.serializers import CompanySerializer, ContactSerializer, DealSerializer
from crm.models import Company, Contact, ContactCompany, CustomField, Deal, DealContact
from tests.factories import CompanyFactory, ContactFactory, DealFactory


@pytest.fixture
def records(crm_a, staff_a):
    """Records with and without custom values and links, archived or not, with
    dates that have a fraction of a second and dates that have none."""
    size = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Size", type="number"
    )
    tags = CustomField.objects.create(
        crm=crm_a,
        entity="contact",
        name="Tags",
        type="multi_select",
        options=["a", "b"],
    )
    company = CompanyFactory(responsible=staff_a, custom={"7": "x"})
    plain = ContactFactory(responsible=staff_a)
    rich = ContactFactory(
        responsible=staff_a,
        email="rich@example.com",
        is_archived=True,
        custom={str(size.pk): 12.5, str(tags.pk): ["a", "b"], "99": None},
    )
    # Linked later to the older company: the ids must still come sorted.
    ContactCompany.objects.create(
        crm=crm_a, contact=rich, company=CompanyFactory(responsible=staff_a)
    )
    ContactCompany.objects.create(crm=crm_a, contact=rich, company=company)
    whole_second = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    Contact.objects.filter(pk=plain.pk).update(
        created_at=whole_second, updated_at=whole_second
    )
    deal = DealFactory(responsible=staff_a, company=company, amount="10.50")
    DealContact.objects.create(crm=crm_a, deal=deal, contact=rich)
    DealFactory(responsible=staff_a, company=None)


@pytest.mark.parametrize(
    ("url", "model", "serializer"),
    [
        ("/api/v1/contacts/", Contact, ContactSerializer),
        ("/api/v1/companies/", Company, CompanySerializer),
        ("/api/v1/deals/", Deal, DealSerializer),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow"])
def test_list_rows_are_what_the_serializer_makes(
    api_a, records, settings, url, model, serializer, zone
):
    settings.TIME_ZONE = zone
    response = api_a.get(f"{url}?page_size=100")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == model.objects.count() >= 2
    with timezone.override(zone):
        expected = [
            serializer(record).data
            for record in model.objects.order_by("pk").prefetch_related(
                *(("companies",) if model is Contact else ()),
                *(("contacts",) if model is Deal else ()),
            )
        ]
    assert rows == [dict(item) for item in expected]
