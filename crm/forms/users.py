"""A CRM's users, their rights, groups and seats."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.forms.access import NewPasswordForm
from crm.models import CrmGroup, CrmUser
from crm.rights import Action, Entity, Scope, rights_clean


def _rights_field_name(entity: str, action: str) -> str:
    return f"rights__{entity}__{action}"


class RightsFieldsMixin:
    """One select per entity and action, laid out as a matrix by the template."""

    def add_rights_fields(self, initial_rights: dict | None) -> None:
        rights = rights_clean(initial_rights)
        for entity in Entity:
            for action in Action:
                self.fields[_rights_field_name(entity.value, action.value)] = (
                    forms.ChoiceField(
                        label=f"{entity.label}: {action.label}",
                        choices=Scope.choices,
                        initial=rights[entity.value][action.value],
                        required=False,
                    )
                )

    def rights_action_labels(self) -> list[str]:
        return list(Action.labels)

    def rights_matrix(self) -> list[tuple[str, list]]:
        return [
            (
                entity.label,
                [self[_rights_field_name(entity.value, a.value)] for a in Action],
            )
            for entity in Entity
        ]

    def cleaned_rights(self) -> dict[str, dict[str, str]]:
        # A scope left out of the submission keeps the value it had.
        return {
            entity: {
                action: self.cleaned_data.get(_rights_field_name(entity, action))
                or self.fields[_rights_field_name(entity, action)].initial
                for action in Action.values
            }
            for entity in Entity.values
        }


class CrmUserForm(RightsFieldsMixin, forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=150,
        help_text=_("First and last name."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (CrmUser.Role.USER, CrmUser.Role.USER.label),
            (CrmUser.Role.ADMIN, CrmUser.Role.ADMIN.label),
        ],
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=CrmGroup.objects.none(), required=False
    )

    def __init__(self, *args, crm, initial_rights=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = CrmGroup.objects.for_crm(crm).order_by("name")
        self.add_rights_fields(initial_rights)


class CrmUserAddForm(CrmUserForm):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(
            attrs={
                # Typing or pasting asks once the person pauses; leaving the box
                # asks nothing more, so a button under the pointer stays put.
                "hx-trigger": "input changed delay:500ms",
                "hx-sync": "this:replace",
                "hx-target": "#existing-person",
                "autocomplete": "off",
            }
        ),
    )
    invite = forms.BooleanField(
        label=_("Email an invitation so they choose their own password"),
        required=False,
        initial=True,
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Only when not inviting: you then pass it on to them yourself."),
    )

    field_order = ["name", "email", "invite", "password", "role", "group"]

    def __init__(self, *args, crm, **kwargs) -> None:
        super().__init__(*args, crm=crm, **kwargs)
        # Whether this email already works here, or in another CRM of the owner.
        self.fields["email"].widget.attrs["hx-get"] = reverse(
            "crm:user_lookup", kwargs={"slug": crm.slug}
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("invite") and not cleaned.get("password"):
            self.add_error(
                "password", _("Set a password, or send an invitation instead.")
            )
        return cleaned


class DeactivateForm(forms.Form):
    recipient = forms.ModelChoiceField(
        label=_("Hand their work over to"),
        queryset=CrmUser.objects.none(),
        required=False,
        empty_label=_("Not chosen"),
    )

    def __init__(self, *args, crm, target: CrmUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = (
            CrmUser.objects.for_crm(crm)
            .filter(is_active=True)
            .exclude(pk=target.pk)
            .order_by("name")
        )


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=100)


class SeatsForm(forms.Form):
    seat_limit = forms.IntegerField(
        label=_("Seats"),
        min_value=1,
        max_value=100000,
        required=False,
        help_text=_("Leave empty for no limit."),
    )


class UserPasswordSetForm(NewPasswordForm):
    """An administrator's new password for a user, to pass on to them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        note = _("It is not emailed: pass it on to them yourself.")
        rules = self.fields["password1"].help_text
        self.fields["password1"].help_text = format_html("<p>{}</p>{}", note, rules)
