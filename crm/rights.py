"""Who may do what with a CRM's records.

Rights are per user, per entity (contact, company, deal) and per action (view,
create, edit, delete, export), each with a scope: none, own (records the user is
responsible for), group (records of anyone in the user's group) or all. The owner
and administrators have everything. Every view and API route asks here; nothing
else decides.

Export governs reading records in bulk: the API's lists of records and of their
notes need it, and hold what the user may both view and export. One record, and
the list pages, are read on View."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, TextChoices
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from crm.models import CrmRecord, CrmUser


class Entity(TextChoices):
    CONTACT = "contact", _("Contacts")
    COMPANY = "company", _("Companies")
    DEAL = "deal", _("Deals")


class Action(TextChoices):
    # Nouns in a table of rights, where a button would say "Edit" or "Delete".
    VIEW = "view", pgettext_lazy("rights action", "View")
    CREATE = "create", pgettext_lazy("rights action", "Create")
    EDIT = "edit", pgettext_lazy("rights action", "Edit")
    DELETE = "delete", pgettext_lazy("rights action", "Delete")
    EXPORT = "export", pgettext_lazy("rights action", "Export")


class Scope(TextChoices):
    NONE = "none", _("None")
    OWN = "own", _("Own")
    GROUP = "group", pgettext_lazy("rights scope", "Group")
    ALL = "all", _("All")


# A new user's rights unless the admin picks others: work with everything, change
# their own records, delete and export nothing.
DEFAULT_SCOPES: dict[str, str] = {
    Action.VIEW: Scope.ALL,
    Action.CREATE: Scope.ALL,
    Action.EDIT: Scope.OWN,
    Action.DELETE: Scope.NONE,
    Action.EXPORT: Scope.NONE,
}


def rights_default() -> dict[str, dict[str, str]]:
    return {entity: dict(DEFAULT_SCOPES) for entity in Entity.values}


def rights_full() -> dict[str, dict[str, str]]:
    return {entity: dict.fromkeys(Action.values, Scope.ALL) for entity in Entity.values}


def rights_clean(raw: object) -> dict[str, dict[str, str]]:
    """Rights as stored: every entity and action present, every scope valid.
    Unknown keys are dropped, missing ones get the default, bad scopes raise."""
    cleaned = rights_default()
    if not isinstance(raw, dict):
        return cleaned
    for entity in Entity.values:
        actions = raw.get(entity) or {}
        if not isinstance(actions, dict):
            continue
        for action in Action.values:
            scope = actions.get(action)
            if scope is None:
                continue
            if scope not in Scope.values:
                raise ValidationError(
                    _("%(scope)r is not a valid scope for %(entity)s / %(action)s.")
                    % {"scope": scope, "entity": entity, "action": action}
                )
            cleaned[entity][action] = scope
    return cleaned


def rights_of(crm_user: CrmUser) -> dict[str, dict[str, str]]:
    if crm_user.is_admin:
        return rights_full()
    return rights_clean(crm_user.rights)


def scope_of(crm_user: CrmUser, entity: str, action: str) -> str:
    if crm_user.is_admin:
        return Scope.ALL
    return rights_clean(crm_user.rights)[entity][action]


def can(
    crm_user: CrmUser, entity: str, action: str, record: CrmRecord | None = None
) -> bool:
    """May ``crm_user`` do ``action`` on ``entity`` (on ``record``, when given)?

    Without a record the answer is whether the user may do it to any record at all
    (to show a button, or to accept a create)."""
    if not crm_user.is_active:
        return False
    scope = scope_of(crm_user, entity, action)
    if scope == Scope.NONE:
        return False
    if scope == Scope.ALL or record is None:
        return True
    if record.crm_id != crm_user.crm_id:
        return False
    if record.responsible_id == crm_user.pk:
        return True
    if scope == Scope.GROUP and crm_user.group_id is not None:
        return record.responsible.group_id == crm_user.group_id
    return False


def scope_queryset(
    crm_user: CrmUser, entity: str, action: str, queryset: QuerySet
) -> QuerySet:
    """The records of ``queryset`` that ``crm_user`` may ``action`` (one query)."""
    queryset = queryset.filter(crm_id=crm_user.crm_id)
    if not crm_user.is_active:
        return queryset.none()
    scope = scope_of(crm_user, entity, action)
    if scope == Scope.ALL:
        return queryset
    if scope == Scope.NONE:
        return queryset.none()
    mine = Q(responsible_id=crm_user.pk)
    if scope == Scope.GROUP and crm_user.group_id is not None:
        mine |= Q(responsible__group_id=crm_user.group_id)
    return queryset.filter(mine)


def rights_summary(crm_user: CrmUser) -> str:
    """A short line for the users list, e.g. "Full access" or "Deals: view all…"."""
    if crm_user.is_admin:
        return str(_("Full access"))
    rights = rights_clean(crm_user.rights)
    if rights == rights_default():
        return str(_("Standard"))
    parts = []
    nothing = _("none")  # outside the f-string, where makemessages finds it
    for entity in Entity:
        scopes = rights[entity.value]
        granted = [
            f"{Action(action).label.lower()} {Scope(scope).label.lower()}"
            for action, scope in scopes.items()
            if scope != Scope.NONE
        ]
        parts.append(f"{entity.label}: {', '.join(granted) or nothing}")
    return "; ".join(parts)
