import pytest

from crm.models import CrmUser
from tests.crm.helpers import sign_in


@pytest.fixture
def owner_a(crm_a):
    return CrmUser.objects.get(crm=crm_a, role="owner")


@pytest.fixture
def admin(client, owner_a):
    """A test client signed in to CRM A as its owner."""
    return sign_in(client, owner_a)
