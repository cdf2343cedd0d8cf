import pytest
from django.core.exceptions import ValidationError

from crm.models import Crm, CrmGroup, CrmUser, Pipeline, PipelineStatus
from crm.services.access import crm_user_authenticate
from crm.services.crms import (
    crm_create,
    crm_name_clean,
    crm_provision,
    crm_slug_generate,
)
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
