"""The CRM's frame: a sidebar with a link per section, the user's menu, and the
phone's menu button that opens it without JavaScript."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from crm.templatetags.crm_shell import optional_url, section_of
from tests.crm.helpers import sign_in
from tests.factories import CrmUserFactory


def sidebar(client, url: str) -> str:
    page = client.get(url).content.decode()
    return page.split('<div class="sidebar"', 1)[1].split('class="nav-backdrop"', 1)[0]


def tasks_route_exists() -> bool:
    try:
        reverse("crm:task_list", kwargs={"slug": "alpha"})
    except NoReverseMatch:
        return False
    return True


@pytest.mark.django_db
def test_sidebar_links_every_section_and_marks_the_current_one(admin, crm_a):
    slug = crm_a.slug
    html = sidebar(admin, reverse("crm:contact_list", kwargs={"slug": slug}))
    for name in ("contact_list", "company_list", "deals_board", "users", "profile"):
        assert f'href="{reverse(f"crm:{name}", kwargs={"slug": slug})}"' in html, name
    contacts = reverse("crm:contact_list", kwargs={"slug": slug})
    assert re.search(rf'href="{contacts}" aria-current="page"', html)
    assert html.count('aria-current="page"') == 1
    assert f'action="{reverse("crm:logout", kwargs={"slug": slug})}"' in html
    assert 'id="language-select"' in html
    # Icons come from the page's own sprite, not from another site.
    assert '<use href="#i-contacts">' in html


@pytest.mark.django_db
def test_tasks_link_appears_once_its_route_exists(admin, crm_a):
    """crm:task_list may not exist yet: the sidebar shows Tasks exactly when it does."""
    html = sidebar(admin, reverse("crm:home", kwargs={"slug": crm_a.slug}))
    if tasks_route_exists():
        url = reverse("crm:task_list", kwargs={"slug": crm_a.slug})
        assert f'href="{url}"' in html
        assert "<span>Tasks</span>" in html
    else:
        assert "<span>Tasks</span>" not in html


def test_optional_url_is_none_for_a_missing_route():
    assert optional_url("crm:no_such_page", slug="alpha") is None
    assert optional_url("crm:contact_list", slug="alpha") == "/c/alpha/contacts/"


def test_each_page_belongs_to_its_section():
    assert section_of("contact_card") == "contacts"
    assert section_of("company_list") == "companies"
    assert section_of("deals_board") == "deals"
    assert section_of("deal_list") == "deals"
    assert section_of("task_list") == "tasks"
    assert section_of("api_keys") == "settings"
    assert section_of("user_edit") == "settings"
    assert section_of("home") == ""


@pytest.mark.django_db
def test_a_user_sees_no_settings_and_a_phone_menu_button(client, crm_a):
    staff = CrmUserFactory(crm=crm_a, role="user")
    sign_in(client, staff)
    page = client.get(reverse("crm:home", kwargs={"slug": crm_a.slug})).content.decode()
    assert f'href="{reverse("crm:users", kwargs={"slug": crm_a.slug})}"' not in page
    # The phone's menu: a checkbox before the sidebar, its label the button.
    assert '<input type="checkbox" id="nav-toggle" class="nav-toggle"' in page
    assert '<label for="nav-toggle" class="menu-button">' in page
    assert page.index('id="nav-toggle"') < page.index('<div class="sidebar"')


@pytest.mark.django_db
def test_sign_in_page_has_no_sidebar_but_the_language(client, crm_a):
    page = client.get(reverse("crm:login", kwargs={"slug": crm_a.slug}))
    html = page.content.decode()
    assert '<div class="sidebar"' not in html
    assert 'id="language-select"' in html
    assert crm_a.name in html.split("</header>", 1)[0]
