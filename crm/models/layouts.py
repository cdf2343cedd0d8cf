"""How each CRM user lays out a list of records: which columns, in what order,
sorted by which. One row per user and list, made the first time they change it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser
from crm.rights import Entity

# The longest column key: "cf_" and a 64-bit id, with a "-" for descending.
LAYOUT_KEY_MAX_LENGTH = 24


class ListLayout(CrmScopedModel):
    crm_user = models.ForeignKey(
        CrmUser, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    entity = models.CharField(_("entity"), max_length=10, choices=Entity.choices)
    # Column keys in the order shown (crm/selectors/layouts.py names them); a key
    # that names no column any more (a deleted custom field) is skipped.
    columns = models.JSONField(_("columns"), default=list, blank=True)
    # A column key, "-" before it for descending; empty: newest first.
    sort = models.CharField(
        _("sort"), max_length=LAYOUT_KEY_MAX_LENGTH, blank=True, default=""
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("list layout")
        verbose_name_plural = _("list layouts")
        constraints = [
            models.UniqueConstraint(
                fields=["crm", "crm_user", "entity"], name="list_layout_one_per_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.crm_user_id}: {self.entity}"
