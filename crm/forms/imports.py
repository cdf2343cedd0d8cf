"""The import's forms: the upload, the columns, and what to do with duplicates.
They check what a person submitted; crm/services/imports.py does the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms.errors import form_add_service_errors
from crm.models import RecordImport
from crm.rights import Entity
from crm.services.import_files import EXTENSIONS, IMPORT_MAX_BYTES
from crm.services.imports import SKIP, Target

ENCODING_CHOICES = [
    ("auto", _("Find out from the file")),
    ("utf-8", "UTF-8"),
    ("cp1251", _("Windows-1251 (Cyrillic)")),
    ("cp1252", _("Windows-1252 (Western European)")),
]


class ImportUploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("Import"), widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV or Excel workbook (.xlsx), up to %(mb)d MB; the first row "
            "names the columns."
        )
        % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding of a CSV file"),
        choices=ENCODING_CHOICES,
        initial="auto",
        help_text=_(
            "Leave it to the file unless letters come out wrong in the next step."
        ),
    )

    def __init__(self, *args, entities: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Entity.choices)
        self.fields["entity"].choices = [(e, labels[e]) for e in entities]
        if len(entities) == 1:
            self.fields["entity"].initial = entities[0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB. Split it into smaller files.")
                % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def add_service_error(self, error) -> None:
        form_add_service_errors(self, error)


class ImportMappingForm(forms.Form):
    """One choice per column of the file: a field, or skip the column."""

    def __init__(
        self,
        *args,
        headers: list[str],
        samples: list[list[str]],
        targets: list[Target],
        mapping: list[str],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(SKIP, _("Skip this column")), *((t.key, t.label) for t in targets)]
        self.columns = []
        for index, header in enumerate(headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else SKIP,
            )
            column_samples = samples[index] if index < len(samples) else []
            self.columns.append((self[name], [s for s in column_samples if s]))

    def mapping(self) -> list[str]:
        return [
            self.cleaned_data.get(f"column_{index}") or SKIP
            for index in range(len(self.columns))
        ]

    def add_service_error(self, error) -> None:
        form_add_service_errors(self, error)


class ImportRunForm(forms.Form):
    duplicates = forms.ChoiceField(
        label=_("A row with the e-mail or phone number of a record already here"),
        choices=RecordImport.Duplicates.choices,
        initial=RecordImport.Duplicates.SKIP,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, can_update: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not can_update:
            self.fields["duplicates"].choices = [
                choice
                for choice in RecordImport.Duplicates.choices
                if choice[0] != RecordImport.Duplicates.UPDATE
            ]

    def add_service_error(self, error) -> None:
        form_add_service_errors(self, error)
