"""Saving a CRM user's layout of a list: the columns they chose, in order, and the
sort. Only ever their own (the actor's) layout in their own CRM, and only columns
and sorts the list has."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from crm.entities import RECORD_KINDS
from crm.models import Crm, CrmUser, CustomField, ListLayout
from crm.rights import can
from crm.selectors.layouts import DEFAULT_COLUMNS, NAME, list_columns, parse_sort

# More columns than anyone reads across a screen.
MAX_COLUMNS = 40


def list_layout_save(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    columns: Sequence[str] | None = None,
    sort: str | None = None,
) -> ListLayout:
    """Keep the actor's ``columns`` (keys, in order; empty: the default) and/or
    ``sort`` (a column key, "-" first for descending; empty: newest first) for
    their list of ``entity``. What is not given stays as it was."""
    if entity not in RECORD_KINDS or actor.crm_id != crm.pk:
        raise Http404
    if not can(actor, entity, "view"):
        raise PermissionDenied(_("Your rights do not allow this."))
    available = list_columns(
        entity=entity,
        custom_fields=CustomField.objects.for_crm(crm).filter(entity=entity),
    )
    changes: dict = {}
    if columns is not None:
        keys = list(dict.fromkeys(columns))
        unknown = [key for key in keys if key not in available]
        if unknown:
            raise ValidationError(
                _("This list has no column %(key)s.") % {"key": unknown[0]}
            )
        if len(keys) > MAX_COLUMNS:
            raise ValidationError(
                _("Choose at most %(n)d columns.") % {"n": MAX_COLUMNS}
            )
        if keys and NAME not in keys:
            # The name is each row's link to its record: it is always shown.
            keys.insert(0, NAME)
        changes["columns"] = [] if list(keys) == list(DEFAULT_COLUMNS[entity]) else keys
    if sort is not None:
        if sort and parse_sort(sort, available) is None:
            raise ValidationError(_("This list cannot be sorted that way."))
        changes["sort"] = sort
    layout, _created = ListLayout.objects.update_or_create(
        crm=crm, crm_user=actor, entity=entity, defaults=changes
    )
    return layout
