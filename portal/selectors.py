from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from accounts.models import Account
from billing.models import Wallet
from crm.models import Crm, CrmUser

# What one row of the portal's CRM list shows, and nothing more: (key, column).
_CRM_ROW_COLUMNS = (
    ("crm_id", "crm_id"),
    ("role", "role"),
    ("name", "crm__name"),
    ("slug", "crm__slug"),
    ("status", "crm__status"),
    ("deletion_due_at", "crm__deletion_due_at"),
    ("owner_id", "crm__owner_id"),
    ("balance", "balance"),
    ("currency", "currency"),
)


def _crm_rows(queryset: QuerySet[CrmUser]) -> list[dict[str, Any]]:
    keys = [key for key, _column in _CRM_ROW_COLUMNS]
    columns = [column for _key, column in _CRM_ROW_COLUMNS]
    # The balance rides in the same query (no wallet yet: none, shown as zero).
    wallet = Wallet.objects.filter(crm_id=OuterRef("crm_id"))
    rows = queryset.annotate(
        balance=Subquery(wallet.values("balance")[:1]),
        currency=Subquery(wallet.values("currency")[:1]),
    ).values_list(*columns)
    return [dict(zip(keys, values, strict=True)) for values in rows]


def crm_memberships_for_account(*, account: Account) -> QuerySet[CrmUser]:
    """The Account's CRM users, one per CRM it is linked to, with their CRM."""
    return (
        CrmUser.objects.filter(account=account)
        .select_related("crm")
        .order_by("crm__name", "crm__pk")
    )


def crm_list_rows(*, account: Account) -> list[dict[str, Any]]:
    """The rows of the Account's CRM list: only the columns a row shows."""
    return _crm_rows(
        CrmUser.objects.filter(account=account).order_by("crm__name", "crm__pk")
    )


def crm_list_row(*, account: Account, crm_id: int) -> dict[str, Any]:
    """One row of that list; 404 when the Account is not linked to the CRM."""
    rows = _crm_rows(CrmUser.objects.filter(account=account, crm_id=crm_id))
    if not rows:
        raise Http404("No CRM of this account has this id.")
    return rows[0]


def _fingerprint_sql(connection) -> str:
    epoch = (
        "EXTRACT(EPOCH FROM {})"  # exact (numeric), to the microsecond
        if connection.vendor == "postgresql"
        else "JULIANDAY({})"  # SQLite: to the millisecond; MAX() adds the rest
    )
    users = connection.ops.quote_name(CrmUser._meta.db_table)
    crms = connection.ops.quote_name(Crm._meta.db_table)
    wallets = connection.ops.quote_name(Wallet._meta.db_table)
    # Only our own models' table names go into the text; the Account is a parameter.
    select = (
        f"SUM({epoch.format('u.updated_at')}), MAX(u.updated_at), "
        f"SUM({epoch.format('c.updated_at')}), MAX(c.updated_at), "
        # Owned CRMs' balances: every ledger entry counts one up.
        "SUM(w.entry_count)"
    )
    return (
        f"SELECT COUNT(u.id), SUM(u.id), {select} "  # noqa: S608
        f"FROM {users} u JOIN {crms} c ON c.id = u.crm_id "
        f"LEFT JOIN {wallets} w ON w.crm_id = c.id AND c.owner_id = u.account_id "
        "WHERE u.account_id = %s"
    )


def crm_list_fingerprint(*, account: Account) -> tuple[int, str]:
    """How many CRMs the Account is linked to, and a value that changes whenever
    anything its CRM list shows does: a CRM user linked, unlinked, deleted or
    changed, a CRM renamed, activated, scheduled for deletion or deleted, a
    ledger entry of a CRM it owns (its balance) written. One
    aggregate query, however long the list (raw SQL: the ORM would cost more than
    the query itself, on every page view).

    The sums of the ``updated_at`` stamps (not only their maximum) move even when
    a change with an older stamp commits after a newer one. Every write that
    changes a row must therefore set ``updated_at`` (``save()`` does;
    ``QuerySet.update()`` must name it)."""
    connection = connections[CrmUser.objects.db]
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql(connection), [account.pk])
        values = cursor.fetchone()
    return values[0], "|".join(str(value) for value in values)
