"""Settings → API: a new API key."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy

from crm.models import ApiKey
from crm.services.apikeys import API_KEY_NAME_MAX_LENGTH


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=API_KEY_NAME_MAX_LENGTH,
        help_text=gettext_lazy(
            "What will use the key, e.g. “Website form” or “Accounting sync”."
        ),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=ApiKey.Scope.choices,
        initial=ApiKey.Scope.FULL,
        help_text=gettext_lazy(
            "A read-only key can read every record but change nothing."
        ),
    )
    # Named as the service's argument, so that its refusals land on this field.
    expires_at = forms.DateField(
        label=gettext_lazy("Expires on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy(
            "The key stops working at the start of this day (UTC), at most two "
            "years from now. Leave empty for a key that does not expire."
        ),
    )

    def clean_expires_at(self) -> datetime.datetime | None:
        """The date as the moment the key stops working; the service decides
        whether that moment is allowed."""
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
