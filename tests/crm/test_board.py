"""The deals board: per-status totals, columns a page at a time, moving a deal,
quick-add and the pipeline's settings."""

import re
from decimal import Decimal

import pytest

from crm.models import Deal, PipelineStatus
from crm.selectors.pipelines import (
    COLUMN_PAGE_SIZE,
    column_page,
    pipeline_status_totals,
)
from tests.browser_forms import form_data
from tests.crm.helpers import sign_in
from tests.factories import (
    CompanyFactory,
    CrmUserFactory,
    DealFactory,
    PipelineFactory,
    PipelineStatusFactory,
)


@pytest.fixture
def pipeline(crm_a):
    pipeline = PipelineFactory(crm=crm_a, name="Sales")
    first = PipelineStatusFactory(pipeline=pipeline, name="First", position=0)
    second = PipelineStatusFactory(pipeline=pipeline, name="Second", position=1)
    won = PipelineStatusFactory(
        pipeline=pipeline, name="Won", position=1000, kind="won", color="#1a7f37"
    )
    lost = PipelineStatusFactory(
        pipeline=pipeline, name="Lost", position=1001, kind="lost", color="#b42318"
    )
    pipeline.board = [first, second, won, lost]
    return pipeline


def _deals(n, status, responsible, amount="10.50", **extra):
    return [
        DealFactory(
            status=status,
            pipeline=status.pipeline,
            responsible=responsible,
            amount=Decimal(amount),
            **extra,
        )
        for _ in range(n)
    ]


def test_totals_count_and_sum_every_deal_of_a_status_in_one_query(
    crm_a, owner_a, pipeline, django_assert_num_queries
):
    first, second, won, _lost = pipeline.board
    _deals(60, first, owner_a)
    _deals(3, second, owner_a, amount="100")
    _deals(2, second, owner_a, amount="100", is_archived=True)
    with django_assert_num_queries(2):  # the statuses, one aggregate
        totals = pipeline_status_totals(crm=crm_a, actor=owner_a, pipeline=pipeline)
    assert [(t.status, t.count, t.amount) for t in totals] == [
        (first, 60, Decimal("630.00")),
        (second, 3, Decimal("300.00")),
        (won, 0, Decimal("0")),
        (pipeline.board[3], 0, Decimal("0")),
    ]


def test_totals_hold_only_the_deals_the_viewer_may_see(crm_a, owner_a, pipeline):
    first = pipeline.board[0]
    own_only = CrmUserFactory(crm=crm_a, name="Olga Own")
    own_only.rights = {"deal": {"view": "own"}}
    own_only.save()
    _deals(4, first, owner_a, amount="1000")
    _deals(2, first, own_only, amount="5")
    totals = pipeline_status_totals(crm=crm_a, actor=own_only, pipeline=pipeline)
    assert (totals[0].count, totals[0].amount) == (2, Decimal("10.00"))
    owner_totals = pipeline_status_totals(crm=crm_a, actor=owner_a, pipeline=pipeline)
    assert (owner_totals[0].count, owner_totals[0].amount) == (6, Decimal("4010.00"))


def test_a_column_pages_through_its_deals_without_repeats(crm_a, owner_a, pipeline):
    first = pipeline.board[0]
    made = {d.pk for d in _deals(7, first, owner_a)}
    seen, after, pages = [], None, 0
    while True:
        page = column_page(crm=crm_a, actor=owner_a, status=first, after=after, size=3)
        seen += [d.pk for d in page.deals]
        pages += 1
        after = page.next_after
        if after is None:
            break
    assert pages == 3
    assert seen == sorted(made, reverse=True)


# --- the board's page ---


def _board(client, pipeline):
    response = client.get(f"/c/alpha/deals/?pipeline_id={pipeline.pk}")
    assert response.status_code == 200
    return response.content.decode()


def _cards_in(html, status):
    """The deal ids of the cards in a status's column, as the page shows them."""
    column = html.split(f'id="column-{status.pk}"', 1)[1].split("</section>", 1)[0]
    return [int(i) for i in re.findall(r'data-deal="(\d+)"', column)]


def test_a_column_counts_every_deal_and_shows_its_first_page(
    admin, crm_a, owner_a, pipeline
):
    first, second, won, lost = pipeline.board
    deals = _deals(COLUMN_PAGE_SIZE + 5, first, owner_a, amount="1000")
    _deals(2, won, owner_a, amount="7.25")

    html = _board(admin, pipeline)

    total = COLUMN_PAGE_SIZE + 5
    assert f'data-count-of="{first.pk}">{total} deals<' in html
    assert f'data-sum-of="{first.pk}">{total},000.00<' in html
    assert f'data-count-of="{second.pk}">0 deals<' in html
    # Won's figures stand in its column and in the strip that stays on screen.
    assert html.count(f'data-count-of="{won.pk}">2 deals<') == 2
    assert html.count(f'data-sum-of="{won.pk}">14.50<') == 2
    assert 'data-testid="drop-lost"' in html and f'data-status="{lost.pk}"' in html
    newest = sorted((d.pk for d in deals), reverse=True)
    assert _cards_in(html, first) == newest[:COLUMN_PAGE_SIZE]
    last_shown = newest[COLUMN_PAGE_SIZE - 1]
    assert f"/c/alpha/deals/board/{first.pk}/?after={last_shown}" in html
    assert f"/deals/board/{second.pk}/?after=" not in html


def test_show_more_gives_the_next_cards_without_repeats(
    admin, crm_a, owner_a, pipeline
):
    first = pipeline.board[0]
    made = sorted(
        (d.pk for d in _deals(COLUMN_PAGE_SIZE + 3, first, owner_a)), reverse=True
    )
    html = _board(admin, pipeline)
    more = re.search(rf'hx-get="(/c/alpha/deals/board/{first.pk}/\?after=\d+)"', html)

    page = admin.get(more.group(1), headers={"HX-Request": "true"}).content.decode()

    shown = _cards_in(html, first) + [
        int(i) for i in re.findall(r'data-deal="(\d+)"', page)
    ]
    assert shown == made
    assert "<html" not in page  # a fragment for htmx
    assert "?after=" not in page  # nothing more to show
    # Without JavaScript the same link opens a page of the column's next cards.
    full = admin.get(more.group(1)).content.decode()
    assert "<html" in full and re.findall(r'data-deal="(\d+)"', full) == [
        str(i) for i in made[COLUMN_PAGE_SIZE:]
    ]


def test_the_board_counts_only_what_the_viewer_may_see(
    client, crm_a, owner_a, pipeline
):
    first = pipeline.board[0]
    olga = CrmUserFactory(crm=crm_a, name="Olga Own", rights={"deal": {"view": "own"}})
    _deals(3, first, owner_a, amount="500")
    mine = _deals(1, first, olga, amount="20")

    html = _board(sign_in(client, olga), pipeline)

    assert f'data-count-of="{first.pk}">1 deal<' in html
    assert f'data-sum-of="{first.pk}">20.00<' in html
    assert _cards_in(html, first) == [mine[0].pk]
    assert "Set up" not in html  # the settings are the administrators'


def test_a_card_names_only_the_company_its_reader_may_see(
    client, crm_a, owner_a, pipeline
):
    olga = CrmUserFactory(
        crm=crm_a, name="Olga Own", rights={"company": {"view": "own"}}
    )
    deal = _deals(1, pipeline.board[0], olga)[0]
    deal.company = CompanyFactory(responsible=owner_a, name="Secret Ltd")
    deal.save()
    html = _board(sign_in(client, olga), pipeline)
    assert "Secret Ltd" not in html
    assert "Olga Own" in html  # the responsible


# --- moving ---


def test_moving_answers_both_columns_new_counts_and_sums(
    admin, crm_a, owner_a, pipeline
):
    first, second, *_ = pipeline.board
    deal, *_ = _deals(3, first, owner_a, amount="100")
    _deals(1, second, owner_a, amount="1")

    response = admin.post(
        f"/c/alpha/deals/{deal.pk}/move/",
        {"status_id": second.pk},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    body = response.json()
    totals = {t["status_id"]: t for t in body["totals"]}
    assert (totals[first.pk]["count"], totals[first.pk]["amount_text"]) == (2, "200.00")
    assert (totals[second.pk]["count"], totals[second.pk]["amount"]) == (2, "101.00")
    assert totals[second.pk]["count_text"] == "2 deals"
    deal.refresh_from_db()
    assert deal.status == second


def test_the_move_menu_works_without_javascript(admin, crm_a, owner_a, pipeline):
    first, _second, won, _lost = pipeline.board
    deal = _deals(1, first, owner_a)[0]
    html = _board(admin, pipeline)

    response = admin.post(
        f"/c/alpha/deals/{deal.pk}/move/",
        form_data(html, having="status_id", status_id=str(won.pk)),
    )

    assert response.status_code == 302
    assert response.url.endswith(f"?pipeline_id={pipeline.pk}#column-{won.pk}")
    html = _board(admin, pipeline)
    assert _cards_in(html, won) == [deal.pk]
    assert f'data-count-of="{first.pk}">0 deals<' in html


def test_a_status_of_another_pipeline_is_refused_clearly(
    admin, crm_a, owner_a, pipeline
):
    deal = _deals(1, pipeline.board[0], owner_a)[0]
    elsewhere = PipelineStatusFactory(pipeline=PipelineFactory(crm=crm_a), name="Far")

    as_json = admin.post(
        f"/c/alpha/deals/{deal.pk}/move/",
        {"status_id": elsewhere.pk},
        headers={"Accept": "application/json"},
    )
    page = admin.post(f"/c/alpha/deals/{deal.pk}/move/", {"status_id": elsewhere.pk})

    assert as_json.status_code == 400
    assert "Far is a status of another pipeline" in as_json.json()["error"]
    assert page.status_code == 400
    assert "Far is a status of another pipeline" in page.content.decode()
    deal.refresh_from_db()
    assert deal.status == pipeline.board[0]


def test_another_crms_status_is_a_404(admin, crm_a, crm_b, owner_a, pipeline):
    deal = _deals(1, pipeline.board[0], owner_a)[0]
    theirs = PipelineStatusFactory(pipeline=PipelineFactory(crm=crm_b))
    response = admin.post(
        f"/c/alpha/deals/{deal.pk}/move/",
        {"status_id": theirs.pk},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.status == pipeline.board[0]


def test_a_deal_the_user_may_not_edit_has_no_move_and_cannot_be_moved(
    client, crm_a, owner_a, pipeline
):
    first, second, *_ = pipeline.board
    olga = CrmUserFactory(crm=crm_a, name="Olga Own")  # edits her own deals only
    theirs = _deals(1, first, owner_a)[0]
    html = _board(sign_in(client, olga), pipeline)
    card = html.split(f'data-deal="{theirs.pk}"', 1)[1].split("</article>", 1)[0]
    assert "move/" not in card and 'draggable="true"' not in card

    response = client.post(
        f"/c/alpha/deals/{theirs.pk}/move/",
        {"status_id": second.pk},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == first


# --- quick-add ---


def test_quick_add_puts_a_deal_in_its_column(admin, crm_a, owner_a, pipeline):
    second = pipeline.board[1]
    html = _board(admin, pipeline)
    action = f"/c/alpha/deals/board/{second.pk}/add/"
    assert f'action="{action}"' in html
    # The second open column's form: the first form with an amount is the first's.
    column = html.split(f'id="column-{second.pk}"', 1)[1]

    response = admin.post(
        action, form_data(column, having="amount", name="Fresh lead", amount="250.5")
    )

    assert response.status_code == 302
    deal = Deal.objects.get(name="Fresh lead")
    assert (deal.status, deal.pipeline, deal.amount) == (
        second,
        pipeline,
        Decimal("250.50"),
    )
    assert deal.responsible == owner_a
    html = _board(admin, pipeline)
    assert f'data-count-of="{second.pk}">1 deal<' in html
    assert f'data-sum-of="{second.pk}">250.50<' in html


def test_quick_add_refuses_bad_input_with_a_message(admin, crm_a, pipeline):
    first = pipeline.board[0]
    html = _board(admin, pipeline)
    response = admin.post(
        f"/c/alpha/deals/board/{first.pk}/add/",
        form_data(html, having="amount", name="", amount="12"),
    )
    assert response.status_code == 400
    assert "A name is required." in response.content.decode()
    assert not Deal.objects.exists()


def test_closing_columns_have_no_quick_add(admin, crm_a, pipeline):
    _first, _second, won, lost = pipeline.board
    html = _board(admin, pipeline)
    assert f"/deals/board/{won.pk}/add/" not in html
    assert f"/deals/board/{lost.pk}/add/" not in html


# --- set-up ---


def test_set_up_renames_recolours_and_reorders_statuses(admin, crm_a, pipeline):
    first, second, won, lost = pipeline.board
    board = _board(admin, pipeline)
    setup_url = f"/c/alpha/settings/pipelines/{pipeline.pk}/"
    assert f'href="{setup_url}"' in board
    page = admin.get(setup_url).content.decode()

    response = admin.post(
        setup_url,
        form_data(
            page,
            having=f"name_{first.pk}",
            **{
                f"name_{first.pk}": "  Qualified  ",
                f"color_{first.pk}": "#0A7F3F",
                f"order_{first.pk}": "2",
                f"order_{second.pk}": "1",
                f"name_{won.pk}": "Paid",
            },
        ),
    )

    assert response.status_code == 302
    statuses = list(PipelineStatus.objects.filter(pipeline=pipeline))
    assert [(s.pk, s.name) for s in statuses] == [
        (second.pk, second.name),
        (first.pk, "Qualified"),
        (won.pk, "Paid"),
        (lost.pk, lost.name),
    ]
    assert PipelineStatus.objects.get(pk=first.pk).color == "#0a7f3f"
    board = _board(admin, pipeline)
    assert board.index(f'id="column-{second.pk}"') < board.index(
        f'id="column-{first.pk}"'
    )


def test_set_up_refuses_a_bad_colour_and_keeps_won_and_lost(admin, crm_a, pipeline):
    first, _second, won, _lost = pipeline.board
    url = f"/c/alpha/settings/pipelines/{pipeline.pk}/"
    page = admin.get(url).content.decode()
    response = admin.post(
        url,
        form_data(page, having=f"name_{first.pk}", **{f"color_{first.pk}": "red"}),
    )
    assert response.status_code == 400
    assert "Choose a colour like #1a7f37." in response.content.decode()

    refused = admin.post(url, {"delete_status": won.pk})
    assert refused.status_code == 400
    assert "cannot be deleted" in refused.content.decode()
    assert PipelineStatus.objects.filter(pk=won.pk).exists()
    assert f'name="delete_status" value="{first.pk}"' in page
    assert f'name="delete_status" value="{won.pk}"' not in page


def test_set_up_is_for_administrators(client, crm_a, pipeline):
    user = CrmUserFactory(crm=crm_a)
    response = sign_in(client, user).get(f"/c/alpha/settings/pipelines/{pipeline.pk}/")
    assert response.status_code == 403
