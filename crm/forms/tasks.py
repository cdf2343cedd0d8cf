"""The task forms: a task's own page (new or edit), the card's quick add, the
completion with a result, and the CRM's own task types.

Every choice is scoped to the CRM and to what the person may see; the task
services then check the rights and write."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.entities import record_kind
from crm.forms.errors import form_add_service_errors
from crm.forms.records import RecordPicker
from crm.models import Crm, CrmUser, Task
from crm.models.tasks import TASK_TEXT_MAX_LENGTH
from crm.rights import scope_queryset
from crm.selectors.tasks import RECORD_ENTITIES, day_bounds, task_type_choices

DUE_FORMAT = "%Y-%m-%dT%H:%M"
# What a service's refusal names, and the form field that shows it.
SERVICE_ERROR_FIELDS = {"responsible_id": "responsible", "due_at": "due_at"}


def due_default(now: datetime.datetime | None = None) -> datetime.datetime:
    """A new task is due by the end of today unless the person says otherwise."""
    _start, tomorrow = day_bounds(now or timezone.now())
    return tomorrow - datetime.timedelta(minutes=1)


class DueInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format=DUE_FORMAT)


class TaskForm(forms.ModelForm):
    """A task: what, which type, by when and who does it. A new one is put on a
    record chosen with the pickers, or on the ``record`` it was opened from."""

    type = forms.ChoiceField(label=_("Type"))

    class Meta:
        model = Task
        fields = ["text", "type", "due_at", "responsible"]
        labels = {
            "text": _("What is to be done"),
            "due_at": _("Due"),
            "responsible": _("Responsible"),
        }
        widgets = {
            "text": forms.Textarea(
                attrs={"rows": 3, "maxlength": TASK_TEXT_MAX_LENGTH}
            ),
            "due_at": DueInput(),
        }

    def __init__(
        self,
        *args,
        crm: Crm,
        actor: CrmUser,
        entity: str | None = None,
        record=None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.crm, self.actor = crm, actor
        self.entity, self.record = entity, record
        self.fields["text"].error_messages["required"] = _("Write what is to be done.")
        self.fields["type"].choices = task_type_choices(crm=crm)
        due = self.fields["due_at"]
        due.input_formats = [DUE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        due.error_messages["required"] = _("Give a date and time.")
        responsible = self.fields["responsible"]
        choosable = Q(is_active=True)
        if self.instance.pk is not None:
            choosable |= Q(pk=self.instance.responsible_id)
        responsible.queryset = (
            CrmUser.objects.for_crm(crm).filter(choosable).order_by("name")
        )
        responsible.empty_label = None
        responsible.label_from_instance = lambda crm_user: crm_user.name
        if self.instance.pk is None:
            responsible.initial = actor.pk
            due.initial = due_default()
            self.fields["type"].initial = Task.Type.FOLLOW_UP
        else:
            self.initial["type"] = (
                str(self.instance.custom_type_id)
                if self.instance.custom_type_id
                else self.instance.type
            )
        self.pickers: list[str] = []
        if self.instance.pk is None and record is None:
            for picked in RECORD_ENTITIES:
                self._add_picker(picked)

    def _add_picker(self, entity: str) -> None:
        model = record_kind(entity).model
        visible = scope_queryset(
            self.actor, entity, "view", model.objects.for_crm(self.crm)
        )
        widget = RecordPicker(entity=entity, multiple=False)
        field = forms.ModelChoiceField(
            queryset=visible,
            required=False,
            widget=widget,
            label={
                "contact": _("Contact"),
                "company": _("Company"),
                "deal": _("Deal"),
            }[entity],
        )
        widget.choices = field.choices
        widget.search_url = reverse(
            "crm:record_picker", kwargs={"slug": self.crm.slug, "entity": entity}
        )
        self.fields[entity] = field
        self.pickers.append(entity)

    def _post_clean(self) -> None:
        # The task services build and check the task; the model's own checks of
        # a half-built instance (its type, its record) would only repeat them.
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        chosen = [entity for entity in self.pickers if cleaned.get(entity)]
        if len(chosen) > 1:
            raise ValidationError(
                _("Put the task on one record at most: a contact, a company or a deal.")
            )
        return cleaned

    def attached(self) -> tuple[str | None, int | None]:
        """The kind and id of the record the new task goes on, if any."""
        if self.record is not None:
            return self.entity, self.record.pk
        for entity in self.pickers:
            record = self.cleaned_data.get(entity)
            if record is not None:
                return entity, record.pk
        return None, None

    def service_data(self) -> dict[str, Any]:
        return {
            "text": self.cleaned_data["text"],
            "type": self.cleaned_data["type"],
            "due_at": self.cleaned_data["due_at"],
            "responsible_id": self.cleaned_data["responsible"].pk,
        }

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {
                    SERVICE_ERROR_FIELDS.get(key, key): messages
                    for key, messages in error.error_dict.items()
                }
            )
        form_add_service_errors(self, error)


class TaskCompleteForm(forms.Form):
    result = forms.CharField(
        label=_("Result"),
        required=False,
        max_length=TASK_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TaskTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
