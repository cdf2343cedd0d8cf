import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm.models import Crm, CrmGroup, CrmUser, Pipeline, PipelineStatus
from crm.services.access import crm_user_authenticate
from crm.services.crms import (
    crm_create,
    crm_name_clean,
    crm_provision,
    crm_slug_generate,
)
from crm.services.pipelines import pipeline_create
from crm.services.users import crm_user_create
from tests.factories import AccountFactory, CrmFactory


def test_crm_name_is_trimmed_and_inner_whitespace_folded():
    assert crm_name_clean("  Acme \n  Store ") == "Acme Store"


@pytest.mark.parametrize("bad", ["", "   ", None, "x" * 101])
def test_crm_name_bad_values_raise(bad):
    with pytest.raises(ValidationError):
        crm_name_clean(bad)


@pytest.mark.django_db
def test_slug_skips_taken_and_reserved_words():
    CrmFactory(slug="acme")
    CrmFactory(slug="acme-2")
    assert crm_slug_generate(name="ACME") == "acme-3"
    assert crm_slug_generate(name="api") == "api-crm"
    assert crm_slug_generate(name="!!!") == "my-crm"


@pytest.mark.django_db
def test_slug_generation_is_one_query_however_many_share_the_name(
    django_assert_num_queries,
):
    for n in range(2, 30):
        CrmFactory(slug=f"shop-{n}")
    CrmFactory(slug="shop")
    with django_assert_num_queries(1):
        assert crm_slug_generate(name="Shop") == "shop-30"


@pytest.mark.django_db(transaction=True)
def test_crm_create_then_provision_is_idempotent():
    owner = AccountFactory()
    crm = crm_create(owner=owner, name="Later")
    assert crm.status == Crm.Status.PROVISIONING
    crm_provision(crm_id=crm.pk)
    crm_provision(crm_id=crm.pk)

    crm.refresh_from_db()
    assert crm.status == Crm.Status.ACTIVE
    owners = CrmUser.objects.for_crm(crm).filter(role=CrmUser.Role.OWNER)
    assert [u.account_id for u in owners] == [owner.pk]
    pipelines = list(Pipeline.objects.for_crm(crm))
    assert [p.name for p in pipelines] == ["Sales"]
    kinds = list(PipelineStatus.objects.for_crm(crm).values_list("kind", flat=True))
    assert kinds.count("won") == 1 and kinds.count("lost") == 1 and len(kinds) == 6
    assert CrmGroup.objects.for_crm(crm).count() == 2


# The names a new CRM starts with, in English, the source.
DEFAULT_STATUSES = ["New", "Qualified", "Proposal sent", "Negotiation", "Won", "Lost"]
DEFAULT_GROUPS = ["Management", "Sales"]


def translated(names: list[str], language: str) -> list[str]:
    with translation.override(language):
        return [translation.gettext(name) for name in names]


def crm_defaults(crm: Crm) -> tuple[list[str], list[str], list[str]]:
    pipelines = list(Pipeline.objects.for_crm(crm).values_list("name", flat=True))
    statuses = PipelineStatus.objects.for_crm(crm).order_by("position")
    groups = CrmGroup.objects.for_crm(crm).order_by("pk")
    return (
        pipelines,
        list(statuses.values_list("name", flat=True)),
        list(groups.values_list("name", flat=True)),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "ru"])
@pytest.mark.parametrize("provision_now", [True, False])
def test_crm_defaults_are_named_in_the_owners_language(language, provision_now):
    """Whoever provisions it (the sign-up request in another language, or a worker
    with none), the defaults are stored in the owner's language."""
    owner = AccountFactory(language=language)
    with translation.override("en" if provision_now else None):
        crm = crm_create(owner=owner, name="Крамниця", provision_now=provision_now)
        crm_provision(crm_id=crm.pk)

    pipelines, statuses, groups = crm_defaults(crm)
    assert pipelines == translated(["Sales"], language)
    assert statuses == translated(DEFAULT_STATUSES, language)
    assert sorted(groups) == sorted(translated(["Sales", "Management"], language))
    # The catalogues do translate them: nothing is left in English.
    assert not set(statuses + groups + pipelines) & {*DEFAULT_STATUSES, *DEFAULT_GROUPS}


@pytest.mark.django_db
def test_crm_defaults_of_an_owner_with_no_language_are_english():
    owner = AccountFactory(language="")
    with translation.override("uk"):
        crm = crm_create(owner=owner, name="Shop", provision_now=True)
    pipelines, statuses, groups = crm_defaults(crm)
    assert (pipelines, statuses) == (["Sales"], DEFAULT_STATUSES)
    assert sorted(groups) == DEFAULT_GROUPS


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "ru"])
def test_new_pipeline_closes_in_the_owners_language(language):
    """A CRM user speaking English adds a pipeline to a CRM whose owner speaks
    another language: its statuses are named as the CRM's first pipeline is."""
    crm = CrmFactory(owner=AccountFactory(language=language))
    with translation.override("en"):
        pipeline = pipeline_create(crm=crm, name="Wholesale")
    statuses = PipelineStatus.objects.for_crm(crm).filter(pipeline=pipeline)
    names = list(statuses.order_by("position").values_list("name", flat=True))
    assert names == translated(["New", "Won", "Lost"], language)
    assert not set(names) & {"New", "Won", "Lost"}
    assert translation.get_language() == "en"


@pytest.mark.django_db
def test_provision_does_not_revive_a_crm_in_another_state(crm_a):
    Crm.objects.filter(pk=crm_a.pk).update(status=Crm.Status.PURGING)
    crm_provision(crm_id=crm_a.pk)
    crm_a.refresh_from_db()
    assert crm_a.status == Crm.Status.PURGING


@pytest.mark.django_db
def test_crm_user_email_is_unique_within_a_crm_only(crm_a, crm_b):
    crm_user_create(
        crm=crm_a, name="Ann", email="ann@example.com", password="p-1234567890"
    )
    with pytest.raises(ValidationError) as error:
        crm_user_create(
            crm=crm_a, name="Ann 2", email="ANN@example.com", password="p-1234567890"
        )
    assert "already has a user with this email" in str(error.value)
    other = crm_user_create(
        crm=crm_b, name="Ann", email="ann@example.com", password="p-1234567890"
    )
    assert other.crm == crm_b


@pytest.mark.django_db
def test_crm_user_passwords_are_hashed(crm_a):
    user = crm_user_create(
        crm=crm_a, name="Ann", email="ann@example.com", password="p-1234567890"
    )
    assert "p-1234567890" not in user.password
    assert crm_user_authenticate(
        crm=crm_a, email="ann@example.com", password="p-1234567890"
    )
    assert (
        crm_user_authenticate(crm=crm_a, email="ann@example.com", password="wrong")
        is None
    )


@pytest.mark.django_db
def test_apostrophes_do_not_split_words_in_the_address():
    assert crm_slug_generate(name="Olga's Shop") == "olgas-shop"
