"""The deals board in a real browser: on a desktop a deal dragged to the next
status changes both columns' counts and sums, with Won and Lost on screen; on a
phone the card's Move menu, used from the keyboard, moves a deal."""

import pytest
from playwright.sync_api import Page, expect

from crm.models import Deal, PipelineStatus
from crm.services.crms import crm_create
from tests.factories import DEFAULT_PASSWORD, AccountFactory, CrmUserFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def board(db):
    owner = AccountFactory(email="owner@board.example", name="Olena Owner")
    crm = crm_create(owner=owner, name="Board Shop", provision_now=True)
    admin = CrmUserFactory(
        crm=crm, email="admin@board.example", name="Andrii Admin", role="admin"
    )
    statuses = list(PipelineStatus.objects.filter(crm=crm).order_by("position"))
    new = statuses[0]
    deals = [
        Deal.objects.create(
            crm=crm,
            name=name,
            amount=amount,
            pipeline=new.pipeline,
            status=new,
            responsible=admin,
        )
        for name, amount in (("Coffee machines", 1500), ("Office chairs", 250))
    ]
    return crm, admin, statuses, deals


def _sign_in(page: Page, crm, email: str) -> None:
    page.goto(f"/c/{crm.slug}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{page.url.split('/c/')[0]}/c/{crm.slug}/")


def _figures(page: Page, status) -> tuple:
    column = page.locator(f"#column-{status.pk}")
    return column.locator("[data-count-of]"), column.locator("[data-sum-of]")


def test_dragging_a_deal_changes_both_columns_figures(tab: Page, board):
    crm, admin, statuses, deals = board
    new, qualified = statuses[0], statuses[1]
    _sign_in(tab, crm, admin.email)
    tab.goto(f"/c/{crm.slug}/deals/")

    count, total = _figures(tab, new)
    expect(count).to_have_text("2 deals")
    expect(total).to_have_text("1,750.00")
    for kind in ("won", "lost"):
        expect(tab.get_by_test_id(f"drop-{kind}")).to_be_in_viewport()

    tab.drag_and_drop(f"#deal-{deals[0].pk}", f"#column-{qualified.pk}")

    expect(count).to_have_text("1 deal")
    expect(total).to_have_text("250.00")
    next_count, next_total = _figures(tab, qualified)
    expect(next_count).to_have_text("1 deal")
    expect(next_total).to_have_text("1,500.00")
    expect(tab.locator(f"#column-{qualified.pk} #deal-{deals[0].pk}")).to_be_visible()
    deals[0].refresh_from_db()
    assert deals[0].status == qualified

    # Onto the Won strip at the bottom, which stays on screen.
    won = next(s for s in statuses if s.kind == "won")
    tab.drag_and_drop(f"#deal-{deals[1].pk}", "[data-testid=drop-won]")
    expect(tab.get_by_test_id("drop-won").locator("[data-count-of]")).to_have_text(
        "1 deal"
    )
    expect(count).to_have_text("0 deals")
    deals[1].refresh_from_db()
    assert deals[1].status == won


def test_on_a_phone_the_move_menu_moves_a_deal_from_the_keyboard(tab: Page, board):
    crm, admin, statuses, deals = board
    new, qualified = statuses[0], statuses[1]
    tab.set_viewport_size(PHONE)
    _sign_in(tab, crm, admin.email)
    tab.goto(f"/c/{crm.slug}/deals/")
    # The board scrolls sideways inside itself; the page stays the phone's width.
    assert (
        tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        <= 0
    )

    card = tab.locator(f"#deal-{deals[1].pk}")
    card.locator("summary").focus()
    tab.keyboard.press("Enter")
    menu = card.get_by_label("Move to")
    expect(menu).to_be_visible()
    tab.keyboard.press("Tab")
    expect(menu).to_be_focused()
    menu.select_option(label=qualified.name)
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")

    expect(tab.locator(f"#column-{qualified.pk} #deal-{deals[1].pk}")).to_be_attached()
    count, total = _figures(tab, qualified)
    expect(count).to_have_text("1 deal")
    expect(total).to_have_text("250.00")
    expect(_figures(tab, new)[0]).to_have_text("1 deal")
    deals[1].refresh_from_db()
    assert deals[1].status == qualified


def test_a_long_column_loads_its_next_cards_as_it_is_scrolled(tab: Page, board):
    """A column shows its first cards; scrolled to its end, the next ones come
    without a click, each card once, until the column's count is on screen."""
    from crm.selectors.pipelines import COLUMN_PAGE_SIZE

    crm, admin, statuses, deals = board
    new = statuses[0]
    more = 2 * COLUMN_PAGE_SIZE + 3
    Deal.objects.bulk_create(
        Deal(
            crm=crm,
            name=f"Bulk deal {n}",
            amount=10,
            pipeline=new.pipeline,
            status=new,
            responsible=admin,
        )
        for n in range(more)
    )
    total = more + len(deals)
    _sign_in(tab, crm, admin.email)
    tab.goto(f"/c/{crm.slug}/deals/")
    cards = tab.locator(f"#column-{new.pk} .board-card")
    expect(_figures(tab, new)[0]).to_have_text(f"{total} deals")
    expect(cards).to_have_count(COLUMN_PAGE_SIZE)

    for shown in (2 * COLUMN_PAGE_SIZE, total):
        # As a person scrolls: "Show more" comes into view (JavaScript's own
        # scroll, as the link may be replaced while Playwright scrolls to it).
        tab.evaluate(
            "id => document.querySelector(`#column-${id} .board-more`)"
            "?.scrollIntoView()",
            new.pk,
        )
        expect(cards).to_have_count(shown)

    ids = [card.get_attribute("data-deal") for card in cards.all()]
    assert len(set(ids)) == total
    expect(tab.locator(f"#column-{new.pk} .board-more")).to_have_count(0)
