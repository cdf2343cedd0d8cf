"""The form where a CRM user chooses the columns of a list, their order and its
sort: a checkbox and a position per column, so it works without JavaScript."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms.errors import form_add_service_errors
from crm.selectors.layouts import NAME, Layout

MAX_POSITION = 99


class ListLayoutForm(forms.Form):
    def __init__(self, *args, layout: Layout, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        shown = [column.key for column in layout.columns]
        hidden = [key for key in layout.available if key not in shown]
        # The shown columns first, in their order, then the others.
        self.rows = []
        for number, key in enumerate(shown + hidden, start=1):
            column = layout.available[key]
            show = forms.BooleanField(
                label=column.label,
                required=False,
                initial=key in shown,
                # The name links each row to its record: always shown.
                disabled=key == NAME,
            )
            position = forms.IntegerField(
                label=_("Position of %(column)s") % {"column": column.label},
                min_value=1,
                max_value=MAX_POSITION,
                initial=number,
                required=False,
            )
            self.fields[f"show_{key}"] = show
            self.fields[f"position_{key}"] = position
            self.rows.append((key, self[f"show_{key}"], self[f"position_{key}"]))
        self.fields["sort_by"] = forms.ChoiceField(
            label=_("Sort by"),
            required=False,
            choices=[("", _("Newest first"))]
            + [(key, column.label) for key, column in layout.available.items()],
            initial=layout.sort.column.key if layout.sort else "",
        )
        self.fields["descending"] = forms.BooleanField(
            label=_("Descending"),
            required=False,
            initial=bool(layout.sort and layout.sort.descending),
        )
        self.order = shown + hidden

    def columns(self) -> list[str]:
        """The ticked columns' keys, by position (ties and blanks in the order the
        form lists them)."""
        data = self.cleaned_data
        ticked = [key for key in self.order if key == NAME or data.get(f"show_{key}")]
        return sorted(
            ticked,
            key=lambda key: (
                data.get(f"position_{key}") or MAX_POSITION + 1,
                self.order.index(key),
            ),
        )

    def sort(self) -> str:
        key = self.cleaned_data.get("sort_by") or ""
        return f"-{key}" if key and self.cleaned_data.get("descending") else key

    def add_service_error(self, error) -> None:
        form_add_service_errors(self, error)
