"""The board's set-up form: every status of one pipeline with its name, colour and
place, in one form that works without JavaScript."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from crm.models import PipelineStatus

# Open statuses are placed 1, 2, 3...; Won and Lost always close the pipeline.
MAX_ORDER = 1000


class ColorInput(forms.TextInput):
    input_type = "color"


class PipelineSetupForm(forms.Form):
    """``name_<id>``, ``color_<id>`` and, for open statuses, ``order_<id>``."""

    def __init__(self, *args, statuses: list[PipelineStatus], **kwargs):
        super().__init__(*args, **kwargs)
        self.statuses = statuses
        color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Choose a colour like #1a7f37."))
        open_number = 0
        for status in statuses:
            self.fields[f"name_{status.pk}"] = forms.CharField(
                label=_("Name"), max_length=100, initial=status.name
            )
            self.fields[f"color_{status.pk}"] = forms.CharField(
                label=_("Colour"),
                max_length=7,
                initial=status.color,
                validators=[color],
                widget=ColorInput,
            )
            if status.kind == PipelineStatus.Kind.OPEN:
                open_number += 1
                self.fields[f"order_{status.pk}"] = forms.IntegerField(
                    label=_("Order"),
                    min_value=1,
                    max_value=MAX_ORDER,
                    initial=open_number,
                )

    def rows(self) -> list[dict]:
        """Each status with its bound fields, for the template's table."""
        return [
            {
                "status": status,
                "name": self[f"name_{status.pk}"],
                "color": self[f"color_{status.pk}"],
                "order": self[f"order_{status.pk}"]
                if f"order_{status.pk}" in self.fields
                else None,
            }
            for status in self.statuses
        ]

    def changes(self) -> list[dict]:
        """What the service takes, from the cleaned data."""
        data = self.cleaned_data
        return [
            {
                "status_id": status.pk,
                "name": data[f"name_{status.pk}"],
                "color": data[f"color_{status.pk}"],
                "order": data.get(f"order_{status.pk}"),
            }
            for status in self.statuses
        ]
