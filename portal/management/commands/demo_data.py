"""Demo data for `make run`: an owner with two CRMs and a staff user, printed with
their logins. Running it again changes nothing."""

from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from accounts.models import Account
from billing.services import payment_record
from crm.models import Crm, CrmUser
from crm.services.crms import crm_create
from crm.services.users import crm_user_create

OWNER_EMAIL = "owner@example.com"
STAFF_EMAIL = "staff@example.com"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo, never real


class Command(BaseCommand):
    help = "Create demo logins for local development (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        owner = Account.objects.filter(email=OWNER_EMAIL).first()
        if owner is None:
            owner = Account.objects.create_user(
                OWNER_EMAIL, DEMO_PASSWORD, name="Olena Owner"
            )
        # A confirmed address, as a real owner's would be: CRMs of an owner whose
        # address is not confirmed send no invitations.
        EmailAddress.objects.update_or_create(
            user=owner, email=OWNER_EMAIL, defaults={"verified": True, "primary": True}
        )
        crms = {crm.name: crm for crm in Crm.objects.filter(owner=owner)}
        for name in ("Acme Store", "Beta Studio"):
            if name not in crms:
                crms[name] = crm_create(owner=owner, name=name, provision_now=True)
        acme = crms["Acme Store"]
        if not CrmUser.objects.for_crm(acme).filter(email=STAFF_EMAIL).exists():
            crm_user_create(
                crm=acme, name="Sam Staff", email=STAFF_EMAIL, password=DEMO_PASSWORD
            )
        # A balance to look at: the payment id makes a second run a no-op.
        payment_record(
            crm_id=acme.pk,
            payment_id="demo-acme-top-up",
            amount=Decimal("250.00"),
            currency=settings.BILLING_DEFAULT_CURRENCY,
        )

        site = settings.SITE_URL
        names = " and ".join(crms)
        line = self.stdout.write
        line("")
        line(self.style.SUCCESS(f"Demo logins (password for both: {DEMO_PASSWORD})"))
        line(f"  Portal (Account): {site}{reverse('account_login')}  {OWNER_EMAIL}")
        line(f"    the owner enters {names} from there, with Enter")
        line(f"  Staff of {acme.name}: {site}{_crm_login(acme)}  {STAFF_EMAIL}")
        line("")


def _crm_login(crm: Crm) -> str:
    return reverse("crm:login", kwargs={"slug": crm.slug})
