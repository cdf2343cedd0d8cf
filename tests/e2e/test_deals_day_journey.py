"""A salesperson's day with one deal, on the project as `make run` serves it, at a
desktop's 1280 px and on a phone: a deal added on the board is moved to the next
status (dragged on the desktop, through its Move menu on the phone, where touch
has no drag and drop) and both columns' counts and sums follow; on its card a task
due today is added, found on the CRM home, completed there with a result, and the
card's timeline shows the completion and the status change, newest first."""

import re

import pytest
from playwright.sync_api import Page, expect

from .pages import crm_row, sign_up, unique_email
from .test_accessibility import DESKTOP, PHONE, axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser


def figures(column):
    return column.locator("[data-count-of]"), column.locator("[data-sum-of]")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_deal_moves_on_the_board_and_its_task_is_done_from_home(
    project_tab: Page, viewport
):
    tab = project_tab
    tab.set_viewport_size(viewport)
    sign_up(tab, unique_email("day"), "Day Traders")
    crm_row(tab, "Day Traders").get_by_role("button", name="Enter").click()
    expect(tab).to_have_url(re.compile(r"/c/day-traders[\w-]*/$"))
    crm_url = tab.url

    tab.goto(crm_url + "deals/")
    first, second = (
        tab.locator(".board-column").nth(0),
        tab.locator(".board-column").nth(1),
    )
    first_name = first.locator("h2").inner_text()
    second_name = second.locator("h2").inner_text()
    first.locator(".board-quick-add summary").click()
    first.get_by_label("Deal name").fill("Annual supply")
    first.get_by_label("Amount").fill("1200")
    first.get_by_role("button", name="Add").click()
    first_count, first_sum = figures(first)
    second_count, second_sum = figures(second)
    expect(first_count).to_have_text("1 deal")
    expect(first_sum).to_have_text("1,200.00")
    expect(second_count).to_have_text("0 deals")
    assert axe_violations(tab) == []
    assert horizontal_overflow(tab) == 0

    card = first.locator(".board-card", has_text="Annual supply")
    if viewport == DESKTOP:
        tab.drag_and_drop(
            f"#{card.get_attribute('id')}", f"#{second.get_attribute('id')}"
        )
    else:
        card.locator("summary").click()
        card.get_by_label("Move to").select_option(label=second_name)
        card.get_by_role("button", name="Move", exact=True).click()
    expect(first_count).to_have_text("0 deals")
    expect(first_sum).to_have_text("0.00")
    expect(second_count).to_have_text("1 deal")
    expect(second_sum).to_have_text("1,200.00")

    second.get_by_role("link", name="Annual supply").click()
    expect(tab).to_have_url(re.compile(r"/deals/\d+/$"))
    card_url = tab.url
    tasks = tab.get_by_test_id("card-tasks")
    tasks.get_by_label("What is to be done").fill("Send the contract")
    tasks.get_by_role("button", name="Add task").last.click()
    expect(tasks).to_contain_text("Send the contract")

    tab.goto(crm_url)
    mine = tab.get_by_test_id("my-tasks")
    task = mine.locator("li.task", has_text="Send the contract")
    expect(task).to_contain_text("Annual supply")
    task.get_by_label("Result").fill("Signed copy received")
    task.get_by_role("button", name="Complete").click()
    expect(mine.locator("li.task-done")).to_contain_text("Signed copy received")
    assert horizontal_overflow(tab) == 0

    tab.goto(card_url)
    timeline = tab.get_by_test_id("timeline")
    expect(timeline.locator("li").first).to_have_attribute("data-kind", "task_done")
    expect(timeline.locator("li[data-kind=task_done]")).to_contain_text(
        "Signed copy received"
    )
    change = timeline.locator("li[data-kind=change]", has_text=second_name)
    expect(change).to_contain_text(f"{first_name} → {second_name}")
    assert horizontal_overflow(tab) == 0
