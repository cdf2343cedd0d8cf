"""Factories for the test suite. Child factories take their CRM from their parent,
so a CrmUser made for CRM A can never end up in CRM B by accident."""

import factory
from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Account
from billing.models import Referral, ReferralClick, ReferralProgram
from crm.models import (
    Company,
    Contact,
    Crm,
    CrmGroup,
    CrmUser,
    Deal,
    Pipeline,
    PipelineStatus,
    Task,
)

DEFAULT_PASSWORD = "correct-horse-battery"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"account{n}@example.com")
    name = factory.Faker("name")
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))


class CrmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Crm

    name = factory.Sequence(lambda n: f"CRM {n}")
    slug = factory.Sequence(lambda n: f"crm-{n}")
    owner = factory.SubFactory(AccountFactory)
    status = Crm.Status.ACTIVE


class CrmUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrmUser

    crm = factory.SubFactory(CrmFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))
    role = CrmUser.Role.USER
    is_active = True


class OwnerCrmUserFactory(CrmUserFactory):
    """The owner's own CRM user, linked to the owning Account."""

    role = CrmUser.Role.OWNER
    account = factory.LazyAttribute(lambda o: o.crm.owner)
    email = factory.LazyAttribute(lambda o: o.crm.owner.email)


class CrmGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrmGroup

    crm = factory.SubFactory(CrmFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    crm = factory.SubFactory(CrmFactory)
    name = factory.Sequence(lambda n: f"Pipeline {n}")


class PipelineStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PipelineStatus

    pipeline = factory.SubFactory(PipelineFactory)
    crm = factory.SelfAttribute("pipeline.crm")
    name = factory.Sequence(lambda n: f"Status {n}")


class _RecordFactory(factory.django.DjangoModelFactory):
    """A record of the responsible user's CRM."""

    responsible = factory.SubFactory(CrmUserFactory)
    crm = factory.SelfAttribute("responsible.crm")


class ContactFactory(_RecordFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    name = factory.Faker("name")

    @factory.post_generation
    def contact_points(self, create, extracted, **kwargs):
        """A ``phone``/``email`` given is also the contact's first RecordPhone
        and RecordEmail, as the services keep them."""
        if not create:
            return
        from crm.services.contact_points import contact_points_set

        contact_points_set(
            record=self,
            phones=[("WORK", self.phone)] if self.phone else None,
            emails=[("WORK", self.email.lower())] if self.email else None,
        )


class CompanyFactory(_RecordFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")


class DealFactory(_RecordFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")
    status = factory.SubFactory(
        PipelineStatusFactory,
        pipeline__crm=factory.SelfAttribute("...responsible.crm"),
    )
    pipeline = factory.SelfAttribute("status.pipeline")


class TaskFactory(_RecordFactory):
    class Meta:
        model = Task

    text = factory.Sequence(lambda n: f"Call back #{n}")
    due_at = factory.LazyFunction(timezone.now)


class ReferralProgramFactory(factory.django.DjangoModelFactory):
    """An Account that has activated the referral program."""

    class Meta:
        model = ReferralProgram

    account = factory.SubFactory(AccountFactory)
    code = factory.Sequence(lambda n: f"code{n:06d}")


class ReferralClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralClick

    referrer = factory.SubFactory(ReferralProgramFactory)


class ReferralFactory(factory.django.DjangoModelFactory):
    """An Account attributed to a referrer, within its reward period."""

    class Meta:
        model = Referral

    referrer = factory.SubFactory(ReferralProgramFactory)
    account = factory.SubFactory(AccountFactory)
    email = factory.SelfAttribute("account.email")
    signed_up_at = factory.LazyFunction(timezone.now)
    rewards_until = factory.LazyAttribute(
        lambda o: o.signed_up_at + relativedelta(months=12)
    )
