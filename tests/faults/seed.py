"""The people and the key the fault tests use, made in the throwaway database.
Prints them as JSON: ``python -m tests.faults.seed``."""

import json

import django

django.setup()

from crm.models import CrmUser  # noqa: E402
from crm.services.apikeys import api_key_create  # noqa: E402
from tests.factories import (  # noqa: E402
    DEFAULT_PASSWORD,
    AccountFactory,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
)

account = AccountFactory(email="owner@faults.example")
crm = CrmFactory(name="Faults", slug="faults", owner=account)
owner = OwnerCrmUserFactory(crm=crm)
member = CrmUserFactory(crm=crm, email="member@faults.example", role=CrmUser.Role.ADMIN)
_, raw_key = api_key_create(crm=crm, name="Faults", created_by=owner)
print(
    json.dumps(
        {
            "account": account.email,
            "crm": crm.slug,
            "member": member.email,
            "password": DEFAULT_PASSWORD,
            "api_key": raw_key,
        }
    )
)
