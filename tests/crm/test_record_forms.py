"""The record forms as a browser uses them: each test loads the form, then posts
what the page offers with a person's changes typed in."""

import pytest

from crm.models import Contact, ContactCompany, CrmUser, CustomField, Deal, DealContact
from crm.rights import rights_default
from crm.services.records import contact_save, deal_save
from tests.browser_forms import form_data
from tests.crm.helpers import sign_in
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    PipelineStatusFactory,
)


def _edit(client, url, **changes):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, form_data(page.content.decode(), **changes))


def test_editing_a_contacts_phone_keeps_its_companies_and_custom_values(
    admin, crm_a, owner_a
):
    tags = CustomField.objects.create(
        crm=crm_a,
        entity="contact",
        name="Tags",
        type="multiselect",
        options=["VIP", "Wholesale", "Late payer"],
    )
    since = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Since", type="date"
    )
    acme, globex = CompanyFactory.create_batch(2, responsible=owner_a)
    # Written by the service, as the API writes them: the form first meets these
    # links and values at the edit.
    contact = contact_save(
        crm=crm_a,
        actor=owner_a,
        data={
            "name": "Olga",
            "phone": "+380 1",
            "company_ids": [acme.pk, globex.pk],
            "custom": {
                str(tags.pk): ["VIP", "Late payer"],
                str(since.pk): "2024-02-29",
            },
        },
    )

    saved = _edit(
        admin, f"/c/alpha/contacts/{contact.pk}/edit/", **{"phones-0-value": "+380 2"}
    )

    assert saved.status_code == 302, saved.content.decode()[:2000]
    contact.refresh_from_db()
    assert contact.phone == "+380 2"
    assert set(contact.companies.values_list("pk", flat=True)) == {acme.pk, globex.pk}
    assert contact.custom == {
        str(tags.pk): ["VIP", "Late payer"],
        str(since.pk): "2024-02-29",
    }


def test_editing_a_deals_amount_keeps_its_company_contacts_and_status(
    admin, crm_a, owner_a
):
    won = PipelineStatusFactory(pipeline__crm=crm_a, name="Won")
    deal = DealFactory(responsible=owner_a, status=won, pipeline=won.pipeline)
    company = CompanyFactory(responsible=owner_a)
    people = ContactFactory.create_batch(2, responsible=owner_a)
    deal_save(
        crm=crm_a,
        actor=owner_a,
        deal_id=deal.pk,
        data={"company_id": company.pk, "contact_ids": [p.pk for p in people]},
    )

    saved = _edit(admin, f"/c/alpha/deals/{deal.pk}/edit/", amount="1234.50")

    assert saved.status_code == 302, saved.content.decode()[:2000]
    deal.refresh_from_db()
    assert str(deal.amount) == "1234.50"
    assert deal.company_id == company.pk
    assert deal.status_id == won.pk
    assert set(deal.contacts.values_list("pk", flat=True)) == {p.pk for p in people}


def test_a_new_contact_is_put_at_a_company_found_through_the_picker(
    admin, crm_a, owner_a
):
    CompanyFactory.create_batch(30, responsible=owner_a)
    wanted = CompanyFactory(responsible=owner_a, name="Zeta Logistics")
    page = admin.get("/c/alpha/contacts/new/").content.decode()
    assert 'name="picker_q"' in page

    found = admin.get(
        "/c/alpha/pick/company/",
        {"field": "companies", "multiple": "1", "picker_q": "zeta log"},
    ).content.decode()
    assert "Zeta Logistics" in found
    # What the picker draws once the match is ticked: the company chosen.
    ticked = admin.get(
        "/c/alpha/pick/company/",
        {"field": "companies", "multiple": "1", "companies": [wanted.pk]},
    ).content.decode()
    assert f'value="{wanted.pk}" checked' in ticked

    created = admin.post(
        "/c/alpha/contacts/new/",
        form_data(page, name="Ivan", companies=[str(wanted.pk)]),
    )

    assert created.status_code == 302
    contact = Contact.objects.get(crm=crm_a, name="Ivan")
    assert list(contact.companies.values_list("pk", flat=True)) == [wanted.pk]
    assert contact.responsible_id == owner_a.pk


def test_a_new_deal_gets_its_company_and_contacts(admin, crm_a, owner_a):
    status = PipelineStatusFactory(pipeline__crm=crm_a, name="First")
    company = CompanyFactory(responsible=owner_a)
    person = ContactFactory(responsible=owner_a)
    page = admin.get("/c/alpha/deals/new/").content.decode()

    created = admin.post(
        "/c/alpha/deals/new/",
        form_data(
            page,
            name="Big one",
            amount="10",
            status=str(status.pk),
            company=str(company.pk),
            contacts=[str(person.pk)],
        ),
    )

    assert created.status_code == 302, created.content.decode()[:2000]
    deal = Deal.objects.get(crm=crm_a, name="Big one")
    assert (deal.company_id, deal.status_id, deal.pipeline_id) == (
        company.pk,
        status.pk,
        status.pipeline_id,
    )
    assert list(deal.contacts.values_list("pk", flat=True)) == [person.pk]


def test_unticking_a_company_unlinks_it_and_only_it(admin, crm_a, owner_a):
    keep, drop = CompanyFactory.create_batch(2, responsible=owner_a)
    contact = ContactFactory(responsible=owner_a)
    for company in (keep, drop):
        ContactCompany.objects.create(crm=crm_a, contact=contact, company=company)

    _edit(admin, f"/c/alpha/contacts/{contact.pk}/edit/", companies=[str(keep.pk)])

    assert list(contact.companies.values_list("pk", flat=True)) == [keep.pk]


def test_links_the_person_cannot_see_survive_their_edit(
    client, crm_a, owner_a, staff_a
):
    rights = rights_default()
    rights["contact"].update(view="own", edit="own")
    rights["company"].update(view="own")
    rights["deal"].update(view="own", edit="own")
    staff_a.rights = rights
    staff_a.save()
    theirs = ContactFactory(responsible=staff_a)
    hidden_company = CompanyFactory(responsible=owner_a, name="Hidden Holdings")
    hidden_person = ContactFactory(responsible=owner_a, name="Hidden Person")
    ContactCompany.objects.create(crm=crm_a, contact=theirs, company=hidden_company)
    deal = DealFactory(responsible=staff_a, company=hidden_company)
    DealContact.objects.create(crm=crm_a, deal=deal, contact=hidden_person)
    sign_in(client, staff_a)

    page = client.get(f"/c/alpha/contacts/{theirs.pk}/edit/").content.decode()
    assert "Hidden Holdings" not in page
    _edit(client, f"/c/alpha/contacts/{theirs.pk}/edit/", **{"phones-0-value": "555"})
    _edit(client, f"/c/alpha/deals/{deal.pk}/edit/", amount="5")

    theirs.refresh_from_db()
    deal.refresh_from_db()
    assert theirs.phone == "555"
    assert list(theirs.companies.all()) == [hidden_company]
    assert deal.company_id == hidden_company.pk
    assert list(deal.contacts.all()) == [hidden_person]


def test_choices_of_another_crm_are_refused_beside_their_field(
    admin, crm_a, owner_a, staff_b
):
    foreign_company = CompanyFactory(responsible=staff_b)
    foreign_status = PipelineStatusFactory(pipeline__crm=staff_b.crm)
    status = PipelineStatusFactory(pipeline__crm=crm_a)
    page = admin.get("/c/alpha/deals/new/").content.decode()

    refused = admin.post(
        "/c/alpha/deals/new/",
        form_data(
            page,
            name="Sneaky",
            status=str(foreign_status.pk),
            company=str(foreign_company.pk),
            responsible=str(staff_b.pk),
        ),
    )

    assert refused.status_code == 400
    assert not Deal.objects.filter(name="Sneaky").exists()
    body = refused.content.decode()
    assert body.count('class="errorlist"') == 3
    # What was typed is still there to correct.
    assert 'value="Sneaky"' in body
    ok = admin.post(
        "/c/alpha/deals/new/",
        form_data(body, status=str(status.pk), company="", responsible=str(owner_a.pk)),
    )
    assert ok.status_code == 302
    assert Deal.objects.get(name="Sneaky").company_id is None


def test_the_responsible_list_offers_this_crms_active_users_only(
    admin, crm_a, owner_a, staff_a, staff_b
):
    gone = CrmUser.objects.create(crm=crm_a, email="gone@a.io", name="Gone Person")
    gone.is_active = False
    gone.save()
    page = admin.get("/c/alpha/companies/new/").content.decode()
    assert "Anna Staff" in page
    assert "Gone Person" not in page
    assert "Boris Staff" not in page


def test_picker_answers_404_for_another_crms_ids_and_400_for_junk(
    admin, crm_a, staff_b
):
    foreign = CompanyFactory(responsible=staff_b)
    url = "/c/alpha/pick/company/"
    base = {"field": "companies", "multiple": "1"}
    assert admin.get(url, {**base, "companies": [foreign.pk]}).status_code == 404
    assert admin.get(url, {**base, "companies": ["1e3"]}).status_code == 400
    assert admin.get(url, {"field": "secret"}).status_code == 404
    assert admin.get("/c/alpha/pick/deal/", base).status_code == 404


def test_picker_shows_only_what_the_person_may_see(client, crm_a, owner_a, staff_a):
    rights = rights_default()
    rights["company"].update(view="own")
    staff_a.rights = rights
    staff_a.save()
    CompanyFactory(responsible=owner_a, name="Owner Co")
    mine = CompanyFactory(responsible=staff_a, name="Staff Co")
    sign_in(client, staff_a)

    found = client.get(
        "/c/alpha/pick/company/",
        {"field": "companies", "picker_q": "co"},
    ).content.decode()

    assert "Staff Co" in found and "Owner Co" not in found
    owner_co = CompanyFactory(responsible=owner_a)
    refused = client.get(
        "/c/alpha/pick/company/",
        {"field": "companies", "companies": [owner_co.pk, mine.pk]},
    )
    assert refused.status_code == 404


def test_a_picker_of_records_one_may_not_view_is_refused(client, crm_a, staff_a):
    rights = rights_default()
    rights["company"].update(view="none")
    staff_a.rights = rights
    staff_a.save()
    sign_in(client, staff_a)
    answer = client.get("/c/alpha/pick/company/", {"field": "companies"})
    assert answer.status_code == 403


def test_a_deal_amount_takes_the_languages_decimal_comma(admin, crm_a, owner_a):
    owner_a.language = "uk"
    owner_a.save()
    deal = DealFactory(
        responsible=owner_a, status=PipelineStatusFactory(pipeline__crm=crm_a)
    )
    page = admin.get(f"/c/alpha/deals/{deal.pk}/edit/").content.decode()
    assert 'lang="uk"' in page

    saved = admin.post(
        f"/c/alpha/deals/{deal.pk}/edit/", form_data(page, amount="1234,50")
    )

    assert saved.status_code == 302
    deal.refresh_from_db()
    assert str(deal.amount) == "1234.50"


@pytest.mark.parametrize("entity", ["contact", "company", "deal"])
def test_every_kind_of_custom_value_survives_an_edit_of_the_name(
    admin, crm_a, owner_a, entity
):
    make = {"text": "Line one\nLine two ", "number": 1234567.125, "date": "2025-01-31"}
    fields = {
        kind: CustomField.objects.create(
            crm=crm_a, entity=entity, name=f"F {kind}", type=kind
        )
        for kind in make
    }
    fields["select"] = CustomField.objects.create(
        crm=crm_a, entity=entity, name="S", type="select", options=["A", "B"]
    )
    fields["multiselect"] = CustomField.objects.create(
        crm=crm_a, entity=entity, name="M", type="multiselect", options=["X", "Y"]
    )
    values = {
        **{str(fields[k].pk): v for k, v in make.items()},
        str(fields["select"].pk): "B",
        str(fields["multiselect"].pk): ["Y"],
    }
    factory = {"contact": ContactFactory, "company": CompanyFactory}.get(entity)
    if factory is None:
        status = PipelineStatusFactory(pipeline__crm=crm_a)
        record = DealFactory(responsible=owner_a, status=status, custom=values)
    else:
        record = factory(responsible=owner_a, custom=values)
    plural = {"contact": "contacts", "company": "companies", "deal": "deals"}[entity]

    saved = _edit(admin, f"/c/alpha/{plural}/{record.pk}/edit/", name="Renamed")

    assert saved.status_code == 302, saved.content.decode()[:2000]
    record.refresh_from_db()
    assert record.name == "Renamed"
    assert record.custom == values


def test_a_deal_at_a_company_one_may_not_see_keeps_it_and_says_so(
    client, crm_a, owner_a, staff_a
):
    rights = rights_default()
    rights["deal"].update(view="own", edit="own")
    rights["company"].update(view="own")
    staff_a.rights = rights
    staff_a.save()
    hidden = CompanyFactory(responsible=owner_a, name="Hidden Holdings")
    mine = CompanyFactory(responsible=staff_a, name="Mine Ltd")
    deal = DealFactory(responsible=staff_a, company=hidden)
    sign_in(client, staff_a)
    url = f"/c/alpha/deals/{deal.pk}/edit/"

    page = client.get(url).content.decode()
    assert "A company you may not see" in page
    assert "Hidden Holdings" not in page
    # Even a forged choice cannot move it.
    client.post(url, form_data(page, company=str(mine.pk)))

    deal.refresh_from_db()
    assert deal.company_id == hidden.pk
    card = client.get(f"/c/alpha/deals/{deal.pk}/").content.decode()
    assert "A company you may not see" in card and "Hidden Holdings" not in card


def test_a_card_names_only_the_linked_records_one_may_see(
    client, crm_a, owner_a, staff_a
):
    rights = rights_default()
    rights["contact"].update(view="all")
    rights["company"].update(view="own")
    staff_a.rights = rights
    staff_a.save()
    contact = ContactFactory(responsible=owner_a)
    seen = CompanyFactory(responsible=staff_a, name="Seen Co")
    unseen = CompanyFactory(responsible=owner_a, name="Unseen Co")
    for company in (seen, unseen):
        ContactCompany.objects.create(crm=crm_a, contact=contact, company=company)
    sign_in(client, staff_a)

    card = client.get(f"/c/alpha/contacts/{contact.pk}/").content.decode()

    assert "Seen Co" in card and "Unseen Co" not in card


def test_a_responsible_who_left_stays_until_someone_chooses_another(
    admin, crm_a, owner_a, staff_a
):
    contact = ContactFactory(responsible=staff_a)
    CrmUser.objects.filter(pk=staff_a.pk).update(is_active=False)

    _edit(admin, f"/c/alpha/contacts/{contact.pk}/edit/", phone="1")

    contact.refresh_from_db()
    assert contact.responsible_id == staff_a.pk
    new_page = admin.get("/c/alpha/contacts/new/").content.decode()
    assert "Anna Staff" not in new_page


def test_a_failed_save_keeps_what_was_typed_and_the_saved_heading(
    admin, crm_a, owner_a
):
    contact = ContactFactory(responsible=owner_a, name="Saved Name")
    url = f"/c/alpha/contacts/{contact.pk}/edit/"
    page = admin.get(url).content.decode()

    refused = admin.post(
        url, form_data(page, name="Typed", **{"emails-0-value": "not an email"})
    )

    body = refused.content.decode()
    assert refused.status_code == 400
    assert "<h1>Saved Name" in body
    assert 'value="Typed"' in body


def test_a_deal_form_without_pipelines_says_to_create_one(admin, crm_a):
    from crm.models import Pipeline

    Pipeline.objects.filter(crm=crm_a).delete()
    page = admin.get("/c/alpha/deals/new/").content.decode()

    refused = admin.post("/c/alpha/deals/new/", form_data(page, name="X"))

    assert refused.status_code == 400
    assert "Create a pipeline first." in refused.content.decode()


def test_the_list_filter_shows_only_the_filter_in_force(admin, crm_a, owner_a):
    tier = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Tier", type="select", options=["VIP", "Low"]
    )
    note = CustomField.objects.create(
        crm=crm_a, entity="contact", name="Note", type="text"
    )

    page = admin.get(
        "/c/alpha/contacts/", {"q": "VIP", f"cf_{note.pk}": "called"}
    ).content.decode()

    assert "<option selected>VIP</option>" not in page
    assert f'name="cf_{note.pk}" placeholder="Note" value="called"' in page
    chosen = admin.get("/c/alpha/contacts/", {f"cf_{tier.pk}": "VIP"}).content.decode()
    assert "<option selected>VIP</option>" in chosen
