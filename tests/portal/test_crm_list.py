import pytest
from django.urls import reverse

from tests.factories import (
    AccountFactory,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
)


@pytest.fixture
def owner(db):
    return AccountFactory(email="multi@example.com")


def test_crm_list_shows_only_the_accounts_crms_with_roles(client, owner, crm_b):
    own = CrmFactory(owner=owner, name="Own Shop")
    OwnerCrmUserFactory(crm=own)
    joined = CrmFactory(name="Joined Agency")
    CrmUserFactory(crm=joined, account=owner, role="admin", email=owner.email)
    client.force_login(owner)

    page = client.get(reverse("portal:crm_list")).content.decode()

    assert "Own Shop" in page
    assert "Joined Agency" in page
    assert "Administrator" in page
    assert "Beta Works" not in page


def test_crm_list_runs_a_constant_number_of_queries(
    client, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    for _ in range(30):
        OwnerCrmUserFactory(crm=CrmFactory(owner=owner))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal:crm_list"))
    assert response.content.decode().count("/c/crm-") >= 30
