"""A person's day with tasks, on the project as `make run` serves it: a task due
today added on a deal's card, found on the CRM's home page, completed there with
a result (htmx swaps it in place), and read back in the card's timeline. The
Tasks page and the card pass the accessibility checks on the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from .pages import crm_row, sign_up, unique_email
from .test_accessibility import PHONE, axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser


def test_a_task_due_today_from_the_card_to_home_and_back(project_tab: Page):
    tab = project_tab
    sign_up(tab, unique_email("tasks"), "Tasks Traders")
    crm_row(tab, "Tasks Traders").get_by_role("button", name="Enter").click()
    expect(tab).to_have_url(re.compile(r"/c/tasks-traders[\w-]*/$"))
    crm_url = tab.url

    tab.goto(crm_url + "deals/new/")
    tab.fill("#id_name", "Annual supply")
    tab.get_by_role("button", name="Save").click()
    expect(tab).to_have_url(re.compile(r"/deals/\d+/$"))
    card_url = tab.url

    # The quick add is open on a card without tasks; it is due today already.
    tasks = tab.get_by_test_id("card-tasks")
    tasks.get_by_label("What is to be done").fill("Call Olga about the volume")
    tasks.get_by_label("Type").select_option(label="Call")
    tasks.get_by_role("button", name="Add task").last.click()
    expect(tab).to_have_url(card_url)
    expect(tasks).to_contain_text("Call Olga about the volume")
    assert axe_violations(tab) == []

    tab.goto(crm_url)
    mine = tab.get_by_test_id("my-tasks")
    task = mine.locator("li.task", has_text="Call Olga about the volume")
    expect(task).to_be_visible()
    expect(task).to_contain_text("Annual supply")
    task.get_by_label("Result").fill("She takes 40 tonnes")
    task.get_by_role("button", name="Complete").click()
    expect(mine.locator("li.task-done")).to_contain_text("She takes 40 tonnes")

    tab.goto(crm_url + "tasks/")
    expect(tab.get_by_test_id("bucket-done")).to_contain_text(
        "Call Olga about the volume"
    )
    assert axe_violations(tab) == []

    tab.goto(card_url)
    timeline = tab.get_by_test_id("timeline")
    done = timeline.locator("li[data-kind=task_done]")
    expect(done).to_contain_text("Call Olga about the volume")
    expect(done).to_contain_text("She takes 40 tonnes")
    # Newest first: the completion above the task's addition.
    expect(timeline.locator("li").first).to_have_attribute("data-kind", "task_done")

    # On a phone the card and the Tasks page fit the screen.
    tab.set_viewport_size(PHONE)
    for url in (card_url, crm_url + "tasks/", crm_url):
        tab.goto(url)
        assert horizontal_overflow(tab) == 0, url
