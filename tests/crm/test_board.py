"""The deals board: per-status totals, columns a page at a time, moving a deal,
quick-add and the pipeline's settings."""

from decimal import Decimal

import pytest

from crm.selectors.pipelines import column_page, pipeline_status_totals
from tests.factories import (
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
