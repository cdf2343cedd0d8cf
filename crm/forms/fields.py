"""The form that changes one custom field: its name, a select's options and
whether the record forms require it. Its kind of record and type stay."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import CustomField

SELECT_TYPES = (CustomField.Type.SELECT, CustomField.Type.MULTISELECT)


class CustomFieldEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    options = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("An option that records still have cannot be taken away."),
    )
    is_required = forms.BooleanField(
        label=_("Required: a record's form cannot be saved without it"),
        required=False,
    )

    def __init__(self, *args, field: CustomField, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": field.name,
                "options": "\n".join(field.options),
                "is_required": field.is_required,
            },
        )
        super().__init__(*args, **kwargs)
        self.field = field
        self.fields["name"].error_messages["required"] = _("Give the field a name.")
        if field.type not in SELECT_TYPES:
            del self.fields["options"]

    def changes(self) -> dict:
        """What ``custom_field_update`` takes (options None: kept)."""
        return {
            "name": self.cleaned_data["name"],
            "options": self.cleaned_data.get("options"),
            "is_required": self.cleaned_data["is_required"],
        }
