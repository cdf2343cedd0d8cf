"""Custom fields: deleting one takes its values off every record of its CRM."""

import re

import pytest
from django.http import Http404

from crm.models import Contact, CustomField
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


# Editing and ordering fields on Settings → Custom fields, as a browser does.

FIELDS_URL = "/c/alpha/settings/fields/"


def _form_sending(html: str, **sent) -> dict[str, list[str]]:
    """The data of the page's POST form that sends every pair of ``sent`` (a
    row's Up or Down form), as the browser submits it."""
    from tests.browser_forms import _FormReader

    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if set(sent.items()) <= set(form["pairs"]):
            data: dict[str, list[str]] = {}
            for name, value in form["pairs"]:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"the page has no POST form sending {sent!r}")


def _create_on_page(client, **changes) -> CustomField:
    from tests.browser_forms import form_data

    page = client.get(FIELDS_URL).content.decode()
    response = client.post(FIELDS_URL, form_data(page, having="entity", **changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    return CustomField.objects.get(name=changes["name"])


def test_a_field_is_renamed_given_options_and_required_on_its_edit_page(
    admin, crm_a, owner_a
):
    from tests.browser_forms import form_data

    field = _create_on_page(
        admin, entity="contact", name="Source", type="select", options="Web, Fair"
    )
    assert field.is_required is False
    listing = admin.get(FIELDS_URL).content.decode()
    edit_url = f"{FIELDS_URL}{field.pk}/"
    assert f'href="{edit_url}"' in listing

    page = admin.get(edit_url).content.decode()
    assert "Web\nFair" in page
    saved = admin.post(
        edit_url,
        form_data(
            page,
            name="  Lead   source ",
            options="Web\r\nFair\r\nReferral",
            is_required="on",
        ),
    )

    assert saved.status_code == 302 and saved.url == FIELDS_URL
    field.refresh_from_db()
    assert (field.name, field.options, field.is_required) == (
        "Lead source",
        ["Web", "Fair", "Referral"],
        True,
    )
    assert field.type == "select" and field.entity == "contact"

    # The contact form now refuses to save without it, and keeps what was typed.
    form = admin.get("/c/alpha/contacts/new/").content.decode()
    refused = admin.post("/c/alpha/contacts/new/", form_data(form, name="Ivan"))
    assert refused.status_code == 400
    assert "Lead source is required." in refused.content.decode()
    assert 'value="Ivan"' in refused.content.decode()
    assert not Contact.objects.filter(name="Ivan").exists()
    created = admin.post(
        "/c/alpha/contacts/new/",
        form_data(form, name="Ivan", **{f"cf_{field.pk}": "Referral"}),
    )
    assert created.status_code == 302
    assert Contact.objects.get(name="Ivan").custom == {str(field.pk): "Referral"}

    # Unticked, it is optional again; a text field's page has no options.
    page = admin.get(edit_url).content.decode()
    data = form_data(page)
    assert data["is_required"] == ["on"]
    del data["is_required"]
    assert admin.post(edit_url, data).status_code == 302
    field.refresh_from_db()
    assert field.is_required is False
    note = _create_on_page(admin, entity="deal", name="Note", type="text")
    assert 'name="options"' not in admin.get(f"{FIELDS_URL}{note.pk}/").content.decode()


def test_a_new_field_can_be_required_from_the_start(admin, crm_a):
    field = _create_on_page(
        admin, entity="company", name="Tax number", type="text", is_required="on"
    )
    assert field.is_required is True
    assert "Yes" in admin.get(FIELDS_URL).content.decode()


def test_an_option_records_still_hold_cannot_be_taken_away(admin, crm_a, owner_a):
    from tests.browser_forms import form_data

    source = _create_on_page(
        admin, entity="contact", name="Source", type="select", options="Web, Fair"
    )
    tags = _create_on_page(
        admin,
        entity="contact",
        name="Tags",
        type="multiselect",
        options="VIP, Late payer, Wholesale",
    )
    ContactFactory(
        responsible=owner_a,
        custom={str(source.pk): "Web", str(tags.pk): ["Late payer", "VIP"]},
    )

    page = admin.get(f"{FIELDS_URL}{source.pk}/").content.decode()
    refused = admin.post(
        f"{FIELDS_URL}{source.pk}/", form_data(page, name="Origin", options="Fair")
    )
    assert refused.status_code == 400
    # Beside the options box.
    assert re.search(
        r'<textarea name="options"[^>]*>\s*Fair</textarea>\s*'
        r'<ul class="errorlist"[^>]*><li>Records still have “Web”',
        refused.content.decode(),
    )
    # What was typed is still on the page.
    assert 'value="Origin"' in refused.content.decode()
    source.refresh_from_db()
    assert (source.name, source.options) == ("Source", ["Web", "Fair"])

    page = admin.get(f"{FIELDS_URL}{tags.pk}/").content.decode()
    refused = admin.post(
        f"{FIELDS_URL}{tags.pk}/", form_data(page, options="VIP\r\nWholesale")
    )
    assert refused.status_code == 400
    assert "Late payer" in refused.content.decode()
    # An option no record holds goes.
    page = admin.get(f"{FIELDS_URL}{tags.pk}/").content.decode()
    saved = admin.post(
        f"{FIELDS_URL}{tags.pk}/",
        form_data(page, options="VIP\r\nLate payer\r\nRetail"),
    )
    assert saved.status_code == 302
    tags.refresh_from_db()
    assert tags.options == ["VIP", "Late payer", "Retail"]

    page = admin.get(f"{FIELDS_URL}{tags.pk}/").content.decode()
    emptied = admin.post(f"{FIELDS_URL}{tags.pk}/", form_data(page, name=""))
    assert emptied.status_code == 400
    assert "Give the field a name." in emptied.content.decode()


def test_up_and_down_move_a_field_among_its_kind(admin, crm_a, owner_a):
    first, second, third = (
        _create_on_page(admin, entity="contact", name=name, type="text")
        for name in ("First", "Second", "Third")
    )
    only = _create_on_page(admin, entity="company", name="Only", type="text")
    page = admin.get(FIELDS_URL).content.decode()
    # No Up for the first of its kind, no Down for the last, none for the only.
    for field, step in ((first, "-1"), (third, "1"), (only, "-1"), (only, "1")):
        with pytest.raises(AssertionError):
            _form_sending(page, move=str(field.pk), step=step)

    moved = admin.post(FIELDS_URL, _form_sending(page, move=str(third.pk), step="-1"))
    assert moved.status_code == 302
    page = admin.get(FIELDS_URL).content.decode()
    admin.post(FIELDS_URL, _form_sending(page, move=str(first.pk), step="1"))

    order = list(
        CustomField.objects.for_crm(crm_a)
        .filter(entity="contact")
        .order_by("position")
        .values_list("name", flat=True)
    )
    assert order == ["Third", "First", "Second"]
    # The contact form shows them in that order.
    form = admin.get("/c/alpha/contacts/new/").content.decode()
    places = [form.index(f'name="cf_{f.pk}"') for f in (third, first, second)]
    assert places == sorted(places)

    bad = admin.post(FIELDS_URL, {"move": str(first.pk), "step": "5"})
    assert bad.status_code == 400
    assert "Move a field up or down." in bad.content.decode()


def test_another_crms_field_cannot_be_edited_or_moved(admin, crm_a, crm_b):
    theirs = custom_field_create(crm=crm_b, entity="contact", name="X", type="text")
    custom_field_create(crm=crm_a, entity="contact", name="Mine", type="text")
    url = f"{FIELDS_URL}{theirs.pk}/"

    assert admin.get(url).status_code == 404
    posted = admin.post(url, {"name": "Hijack", "is_required": "on"})
    assert posted.status_code == 404
    for step in ("-1", "1"):
        moved = admin.post(FIELDS_URL, {"move": str(theirs.pk), "step": step})
        assert moved.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_required, theirs.position) == ("X", False, 1)
    # An id too long for the database is no field either.
    too_long = "9" * 30
    assert admin.get(f"{FIELDS_URL}{too_long}/").status_code == 404
    assert admin.post(FIELDS_URL, {"move": too_long, "step": "1"}).status_code == 404


def test_the_services_refuse_another_crms_field(crm_a, crm_b):
    from crm.services.fields import custom_field_move, custom_field_update

    theirs = custom_field_create(crm=crm_b, entity="deal", name="X", type="text")
    with pytest.raises(Http404):
        custom_field_update(crm=crm_a, field_id=theirs.pk, name="Y")
    with pytest.raises(Http404):
        custom_field_move(crm=crm_a, field_id=theirs.pk, step=1)
    with pytest.raises(Http404):
        custom_field_move(crm=crm_a, field_id="junk", step=1)
