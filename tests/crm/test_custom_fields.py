"""Custom fields: deleting one takes its values off every record of its CRM."""

import pytest
from django.http import Http404

from crm.models import CustomField
from crm.services.fields import custom_field_create, custom_field_delete
from tests.factories import ContactFactory


def test_deleting_a_field_removes_its_values_and_nothing_else(crm_a, owner_a, staff_b):
    tier = custom_field_create(crm=crm_a, entity="contact", name="Tier", type="text")
    city = custom_field_create(crm=crm_a, entity="contact", name="City", type="text")
    both = ContactFactory(
        responsible=owner_a, custom={str(tier.pk): "Gold", str(city.pk): "Lviv"}
    )
    only_tier = ContactFactory(responsible=owner_a, custom={str(tier.pk): "Tin"})
    neither = ContactFactory(responsible=owner_a, custom={})
    # Another CRM's record that happens to use the same key is not this field's.
    foreign = ContactFactory(responsible=staff_b, custom={str(tier.pk): "Theirs"})

    custom_field_delete(crm=crm_a, field_id=tier.pk)

    for record in (both, only_tier, neither, foreign):
        record.refresh_from_db()
    assert both.custom == {str(city.pk): "Lviv"}
    assert only_tier.custom == {}
    assert neither.custom == {}
    assert foreign.custom == {str(tier.pk): "Theirs"}
    assert not CustomField.objects.filter(pk=tier.pk).exists()


def test_another_crms_field_is_not_found(crm_a, crm_b):
    theirs = custom_field_create(crm=crm_b, entity="deal", name="X", type="text")
    with pytest.raises(Http404):
        custom_field_delete(crm=crm_a, field_id=theirs.pk)
    assert CustomField.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("junk", ["abc", "", "-1", "1e3", "²", "9" * 30, None])
def test_ids_that_cannot_be_ids_are_not_found(crm_a, junk):
    from crm.services.pipelines import pipeline_status_create, pipeline_status_delete

    with pytest.raises(Http404):
        custom_field_delete(crm=crm_a, field_id=junk)
    with pytest.raises(Http404):
        pipeline_status_create(crm=crm_a, pipeline_id=junk, name="New")
    with pytest.raises(Http404):
        pipeline_status_delete(crm=crm_a, status_id=junk)
