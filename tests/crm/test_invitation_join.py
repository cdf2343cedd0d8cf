"""An invitation accepted by a person signed in to their Account: they join with
their name, enter through the portal, and have the CRM in their list at once.
Nothing about them shows in the CRM before they accept."""

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import is_password_usable
from django.test import Client
from django.urls import reverse

from crm.models import CrmUser
from crm.services.invitations import crm_user_invite
from tests.browser_forms import form_data
from tests.factories import AccountFactory, CrmUserFactory


def invitation_link(crm, email="new.person@example.com"):
    EmailAddress.objects.get_or_create(
        user=crm.owner, email=crm.owner.email, primary=True, verified=True
    )
    invited = CrmUserFactory(crm=crm, email=email, name="Invited Name", password="!")
    link = crm_user_invite(crm_user=invited, invited_by=None)
    return invited, link.split("testserver")[-1].split("localhost:8000")[-1]


def path_of(link):
    return "/" + link.split("://", 1)[-1].split("/", 1)[-1]


def test_an_account_signed_in_joins_with_its_name_and_sees_the_crm(crm_a):
    invited, link = invitation_link(crm_a)
    account = AccountFactory(name="Olena Koval", email="olena@example.com")
    client = Client()
    client.force_login(account)
    page = client.get(path_of(link)).content.decode()
    assert "olena@example.com" in page
    # The page's first form is the join form; its button sends join=1.
    assert page.index('name="join" value="1"') < page.index('name="password1"')
    joined = client.post(
        path_of(link), {**form_data(page, having="csrfmiddlewaretoken"), "join": "1"}
    )
    assert joined.status_code == 302
    assert joined["Location"] == reverse("crm:home", kwargs={"slug": crm_a.slug})

    invited.refresh_from_db()
    assert invited.account == account
    assert invited.name == "Olena Koval"
    assert not is_password_usable(invited.password)
    assert client.get(joined["Location"]).status_code == 200
    listing = client.get(reverse("portal:crm_list")).content.decode()
    assert "Alpha Traders" in listing

    # The link is spent: neither a replay nor someone else gets the user.
    other = Client()
    other.force_login(AccountFactory())
    assert other.post(path_of(link), {"join": "1"}).status_code == 403
    invited.refresh_from_db()
    assert invited.account == account


def test_an_account_already_in_the_crm_cannot_take_a_second_user(crm_a):
    invited, link = invitation_link(crm_a)
    client = Client()
    client.force_login(crm_a.owner)
    refused = client.post(path_of(link), {"join": "1"})
    assert refused.status_code == 302
    invited.refresh_from_db()
    assert invited.account is None
    # Not used up: the person it was meant for can still accept it.
    assert Client().get(path_of(link)).status_code == 200


def test_without_an_account_the_page_offers_only_a_password(crm_a):
    invited, link = invitation_link(crm_a)
    page = Client().get(path_of(link)).content.decode()
    assert 'name="join"' not in page
    assert Client().post(path_of(link), {"join": "1"}).status_code == 400
    assert CrmUser.objects.get(pk=invited.pk).account is None
