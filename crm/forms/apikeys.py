"""Settings → API: a new API key."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from crm.services.apikeys import API_KEY_NAME_MAX_LENGTH


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=API_KEY_NAME_MAX_LENGTH,
        help_text=gettext_lazy(
            "What will use the key, e.g. “Website form” or “Accounting sync”."
        ),
    )
