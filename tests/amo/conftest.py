import pytest

from crm.models import CrmUser
from crm.services.apikeys import api_key_create
from tests.api.helpers import api_client


@pytest.fixture
def owner_a(crm_a):
    return CrmUser.objects.get(crm=crm_a, role="owner")


@pytest.fixture
def owner_b(crm_b):
    return CrmUser.objects.get(crm=crm_b, role="owner")


@pytest.fixture
def key_a(crm_a, owner_a):
    _api_key, raw = api_key_create(crm=crm_a, name="Key A", created_by=owner_a)
    return raw


@pytest.fixture
def key_b(crm_b, owner_b):
    _api_key, raw = api_key_create(crm=crm_b, name="Key B", created_by=owner_b)
    return raw


@pytest.fixture
def amo_a(key_a):
    return api_client(key_a)


@pytest.fixture
def amo_b(key_b):
    return api_client(key_b)
