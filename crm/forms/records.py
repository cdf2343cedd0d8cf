"""The create and edit forms of contacts, companies and deals.

Forms validate what a person submitted, with every choice scoped to the CRM and to
what the person may see; the record services then write it. An edit form shows every
field it saves and saves every field it shows: links to records the person cannot
see are not on the form and are kept as they are."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.entities import record_kind_of
from crm.forms.errors import form_add_service_errors
from crm.models import (
    Company,
    Contact,
    Crm,
    CrmUser,
    CustomField,
    Deal,
    Pipeline,
    PipelineStatus,
    RecordEmail,
    RecordPhone,
)
from crm.rights import scope_queryset
from crm.services.contact_points import (
    EMAIL_MAX_LENGTH,
    MAX_PER_RECORD,
    PHONE_MAX_LENGTH,
    contact_points_of,
    phone_digits,
)
from crm.services.records import TEXT_VALUE_MAX_LENGTH, custom_fields_for

CUSTOM_PREFIX = "cf_"
# What a service's refusal names, and the form field that shows it.
SERVICE_ERROR_FIELDS = {
    "responsible_id": "responsible",
    "status_id": "status",
    "pipeline_id": "status",
    "company_id": "company",
    "company_ids": "companies",
    "contact_ids": "contacts",
}


class RecordPicker(forms.Widget):
    """A searchable choice of records of a CRM: the chosen ones as checked boxes
    (radios for a single choice), a search box and the matches to tick, served
    by ``crm:record_picker`` through htmx. Only the chosen records are rendered,
    so a CRM with a hundred thousand companies costs one small query. Without
    JavaScript the chosen ones can still be unticked."""

    template_name = "crm/widgets/record_picker.html"

    def __init__(self, *, entity: str, multiple: bool, attrs=None) -> None:
        super().__init__(attrs)
        self.entity = entity
        self.multiple = multiple
        self.search_url = ""

    def value_from_datadict(self, data, files, name):
        if self.multiple:
            return data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        return data.get(name)

    def id_for_label(self, id_):
        # The field's label names the search box: the first thing to type in.
        return f"{id_}_q" if id_ else id_

    def value_omitted_from_data(self, data, files, name):
        # An unticked box sends nothing: a missing name means "none chosen".
        return False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        ids = value if isinstance(value, list | tuple) else [value]
        chosen = picker_chosen(self.choices.queryset, ids)
        context["picker"] = {
            "name": name,
            "multiple": self.multiple,
            "url": self.search_url,
            "chosen": chosen,
            "results": [],
            "query": "",
            "entity": self.entity,
        }
        return context


def picker_chosen(queryset, ids) -> list:
    """The records of ``queryset`` among ``ids`` (junk ids are left out)."""
    wanted = {int(i) for i in ids if str(i).isascii() and str(i).isdigit()}
    if not wanted:
        return []
    return list(queryset.filter(pk__in=wanted).order_by("name").only("pk", "name"))


class TextValueField(forms.CharField):
    """A custom text value. Browsers send a text area's line breaks as CRLF;
    they are stored as the API stores them, LF."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


def _custom_form_field(field: CustomField) -> forms.Field:
    label = field.name
    if field.type == CustomField.Type.NUMBER:
        # As many digits as the service stores: a value put in over the API
        # must not stop the record's form from saving.
        return forms.DecimalField(label=label, required=False, localize=True)
    if field.type == CustomField.Type.DATE:
        return forms.DateField(
            label=label,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if field.type == CustomField.Type.SELECT:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), *((o, o) for o in field.options)],
        )
    if field.type == CustomField.Type.MULTISELECT:
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=[(o, o) for o in field.options],
            widget=forms.CheckboxSelectMultiple,
        )
    # Several lines and the spaces around them are kept as they came (the API
    # takes them): an edit of another field leaves the text exactly as it was.
    return TextValueField(
        label=label,
        required=False,
        strip=False,
        max_length=TEXT_VALUE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _custom_initial(field: CustomField, value: Any) -> Any:
    if value is None:
        return [] if field.type == CustomField.Type.MULTISELECT else None
    return value


class PhoneRowForm(forms.Form):
    """One phone of a contact or company: its type and the number as typed. A
    row left empty is no phone (the way to remove one)."""

    kind = forms.ChoiceField(
        label=_("Type"), choices=RecordPhone.Kind.choices, required=False
    )
    value = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=PHONE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def clean_value(self) -> str:
        value = " ".join(self.cleaned_data["value"].split())
        if value and not phone_digits(value):
            raise ValidationError(_("A phone number needs digits."))
        return value


class EmailRowForm(forms.Form):
    """One e-mail of a contact or company, with its type; empty is none."""

    kind = forms.ChoiceField(
        label=_("Type"), choices=RecordEmail.Kind.choices, required=False
    )
    value = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


# Every phone and e-mail the record has, and one empty row for another (with
# JavaScript, "Add another" clones the empty row).
PhoneFormSet = forms.formset_factory(
    PhoneRowForm, extra=1, max_num=MAX_PER_RECORD, validate_max=True
)
EmailFormSet = forms.formset_factory(
    EmailRowForm, extra=1, max_num=MAX_PER_RECORD, validate_max=True
)


class RecordForm(forms.ModelForm):
    """What every record's form has: name, responsible and the CRM's custom
    fields of the entity, each as a typed form field ``cf_<field id>``."""

    entity: str = ""

    def __init__(self, *args, crm: Crm, actor: CrmUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.crm, self.actor = crm, actor
        self.fields["name"].error_messages["required"] = _("A name is required.")
        responsible = self.fields["responsible"]
        # Active users, and whoever is responsible now: an edit of another field
        # must not hand the record to someone else.
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
        self.custom_fields = custom_fields_for(crm=crm, entity=self.entity)
        current = self.instance.custom or {}
        for field in self.custom_fields:
            form_field = _custom_form_field(field)
            form_field.initial = _custom_initial(field, current.get(str(field.pk)))
            form_field.help_text = _("Field ID %(id)s") % {"id": field.pk}
            if field.is_required:
                form_field.required = True
                form_field.error_messages["required"] = _("%(field)s is required.") % {
                    "field": field.name
                }
            self.fields[f"{CUSTOM_PREFIX}{field.pk}"] = form_field
        # Phones and e-mails of contacts and companies: every one the record
        # has, so the form saves the whole list it shows.
        self.point_formsets: dict[str, forms.BaseFormSet] = {}
        if self.entity in ("contact", "company"):
            data = args[0] if args else kwargs.get("data")
            phones, emails = contact_points_of(self.instance)
            for name, formset_class, points in (
                ("phones", PhoneFormSet, phones),
                ("emails", EmailFormSet, emails),
            ):
                self.point_formsets[name] = formset_class(
                    data,
                    prefix=name,
                    initial=[{"kind": kind, "value": value} for kind, value in points],
                )

    @property
    def phones(self):
        return self.point_formsets.get("phones")

    @property
    def emails(self):
        return self.point_formsets.get("emails")

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or not self.point_formsets:
            return
        if not all(formset.is_valid() for formset in self.point_formsets.values()):
            self.add_error(None, _("Check the phones and e-mails."))

    def contact_points(self) -> dict[str, list[tuple[str, str]]]:
        """The phones and e-mails as the service takes them (nothing for a
        deal): the filled rows, in the form's order."""
        return {
            name: [
                (row["kind"], row["value"])
                for row in formset.cleaned_data
                if row.get("value")
            ]
            for name, formset in self.point_formsets.items()
        }

    def visible(self, model):
        """The records of ``model`` in this CRM that the person may see."""
        kind = record_kind_of(model)
        records = model.objects.for_crm(self.crm)
        return scope_queryset(self.actor, kind.key, "view", records)

    def setup_picker(self, name: str, model) -> None:
        field = self.fields[name]
        field.queryset = self.visible(model)
        widget = field.widget
        widget.choices = field.choices
        widget.search_url = reverse(
            "crm:record_picker",
            kwargs={"slug": self.crm.slug, "entity": widget.entity},
        )

    def custom_values(self) -> dict[str, Any]:
        values = {}
        for field in self.custom_fields:
            value = self.cleaned_data.get(f"{CUSTOM_PREFIX}{field.pk}")
            if value in (None, "", []):
                values[str(field.pk)] = None
            elif field.type == CustomField.Type.DATE:
                values[str(field.pk)] = value.isoformat()
            elif field.type == CustomField.Type.NUMBER:
                values[str(field.pk)] = str(value)
            else:
                values[str(field.pk)] = value
        return values

    def service_data(self) -> dict[str, Any]:
        data = {
            "name": self.cleaned_data["name"],
            "responsible_id": self.cleaned_data["responsible"].pk,
            "custom": self.custom_values(),
        }
        return data

    def add_service_error(self, error: ValidationError) -> None:
        """A service's refusal beside the field it names, else above the form."""
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {
                    SERVICE_ERROR_FIELDS.get(key, key): messages
                    for key, messages in error.error_dict.items()
                }
            )
        form_add_service_errors(self, error)


class ContactForm(RecordForm):
    entity = "contact"

    class Meta:
        model = Contact
        fields = ["name", "companies", "responsible"]
        labels = {
            "name": pgettext_lazy("person", "Name"),
            "companies": _("Companies"),
            "responsible": _("Responsible"),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autofocus": True}),
            "companies": RecordPicker(entity="company", multiple=True),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_picker("companies", Company)

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        # Only what the form shows: the service keeps links to what it does not.
        data["company_ids"] = [c.pk for c in self.cleaned_data["companies"]]
        return data


class CompanyForm(RecordForm):
    entity = "company"

    class Meta:
        model = Company
        fields = ["name", "website", "address", "responsible"]
        labels = {
            "name": _("Name"),
            "website": _("Website"),
            "address": _("Address"),
            "responsible": _("Responsible"),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autofocus": True}),
            "website": forms.TextInput(
                attrs={"inputmode": "url", "autocomplete": "off"}
            ),
            "address": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["website"] = self.cleaned_data["website"]
        data["address"] = self.cleaned_data["address"]
        return data


class StatusChoiceField(forms.ModelChoiceField):
    """A status, offered grouped by its pipeline."""

    def __init__(self, *, crm: Crm, **kwargs) -> None:
        statuses = (
            PipelineStatus.objects.for_crm(crm)
            .select_related("pipeline")
            .order_by("pipeline__position", "pipeline_id", "position", "pk")
        )
        super().__init__(queryset=statuses, empty_label=None, **kwargs)
        groups: dict[Pipeline, list] = {}
        for status in statuses:
            groups.setdefault(status.pipeline, []).append((status.pk, status.name))
        self.widget.choices = [
            (pipeline.name, options) for pipeline, options in groups.items()
        ]


class DealForm(RecordForm):
    entity = "deal"

    class Meta:
        model = Deal
        fields = ["name", "amount", "status", "company", "contacts", "responsible"]
        localized_fields = ["amount"]
        labels = {
            "name": _("Name"),
            "amount": _("Amount"),
            "company": _("Company"),
            "contacts": _("Contacts"),
            "responsible": _("Responsible"),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autofocus": True}),
            "amount": forms.TextInput(attrs={"inputmode": "decimal"}),
            "company": RecordPicker(entity="company", multiple=False),
            "contacts": RecordPicker(entity="contact", multiple=True),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read before validation copies the submitted company onto the instance.
        self.company_id_before = self.instance.company_id
        self.fields["status"] = StatusChoiceField(
            crm=self.crm,
            label=_("Pipeline and status"),
            initial=self.instance.status_id if self.instance.pk else None,
        )
        if not self.fields["status"].queryset.exists():
            self.fields["status"].error_messages["required"] = _(
                "Create a pipeline first."
            )
        self.fields["amount"].required = False
        self.setup_picker("company", Company)
        self.setup_picker("contacts", Contact)
        current = self.company_id_before
        self.company_hidden = bool(
            current and not self.visible(Company).filter(pk=current).exists()
        )
        if self.company_hidden:
            # The deal is at a company this person may not see: they cannot
            # change it, and are told so rather than shown "none".
            self.fields["company"] = forms.CharField(
                label=_("Company"), required=False, disabled=True
            )
            self.initial["company"] = _("A company you may not see")
        self.order_fields(["name", "amount", "status", "company", "contacts"])

    def clean_company(self):
        if self.company_hidden:
            return self.instance.company
        return self.cleaned_data["company"]

    def kept_company(self) -> int | None:
        """The company ticked, or the one the person may not see, unchanged."""
        if self.company_hidden:
            return self.company_id_before
        chosen = self.cleaned_data["company"]
        return chosen.pk if chosen else None

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        status = self.cleaned_data["status"]
        data["amount"] = self.cleaned_data["amount"] or 0
        data["pipeline_id"] = status.pipeline_id
        data["status_id"] = status.pk
        data["company_id"] = self.kept_company()
        data["contact_ids"] = [c.pk for c in self.cleaned_data["contacts"]]
        return data


class RecordLinkForm(forms.Form):
    """The card's "Link": contacts to a company, or companies to a contact,
    chosen with the searchable picker among those the person may see."""

    # The card's kind: the picker's field, and the kind of record it links.
    LINKS = {
        "company": ("contacts", Contact, "contact"),
        "contact": ("companies", Company, "company"),
    }

    def __init__(self, *args, crm: Crm, actor: CrmUser, entity: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.name, model, other = self.LINKS[entity]
        widget = RecordPicker(entity=other, multiple=True)
        field = forms.ModelMultipleChoiceField(
            queryset=scope_queryset(actor, other, "view", model.objects.for_crm(crm)),
            widget=widget,
            label=_("Link contacts") if other == "contact" else _("Link companies"),
            error_messages={"required": _("Choose at least one to link.")},
        )
        widget.choices = field.choices
        widget.search_url = reverse(
            "crm:record_picker", kwargs={"slug": crm.slug, "entity": other}
        )
        self.fields[self.name] = field

    def linked_ids(self) -> list[int]:
        return [record.pk for record in self.cleaned_data[self.name]]


RECORD_FORMS: dict[str, type[RecordForm]] = {
    "contact": ContactForm,
    "company": CompanyForm,
    "deal": DealForm,
}
