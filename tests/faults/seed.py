"""The people and the key the fault tests use, made in the throwaway database.
Prints them as JSON: ``python -m tests.faults.seed``."""

import json

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402

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
# A confirmed owner: its CRM may send invitations.
EmailAddress.objects.create(
    user=account, email=account.email, primary=True, verified=True
)
crm = CrmFactory(name="Faults", slug="faults", owner=account)
owner = OwnerCrmUserFactory(crm=crm)
member = CrmUserFactory(crm=crm, email="member@faults.example", role=CrmUser.Role.ADMIN)
# Asks for e-mails while the broker is away: no other test mails this address.
forgetful = CrmUserFactory(crm=crm, email="forgetful@faults.example")
# Waits for an e-mail while the worker sending it is killed.
patient = CrmUserFactory(crm=crm, email="patient@faults.example")
_, raw_key = api_key_create(crm=crm, name="Faults", created_by=owner)
print(
    json.dumps(
        {
            "account": account.email,
            "crm": crm.slug,
            "crm_id": crm.pk,
            "member": member.email,
            "forgetful": forgetful.email,
            "patient": patient.email,
            "password": DEFAULT_PASSWORD,
            "api_key": raw_key,
        }
    )
)
