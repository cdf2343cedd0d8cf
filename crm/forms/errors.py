"""A service's refusal shown on a form."""

from django import forms
from django.core.exceptions import ValidationError


def form_add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: messages for a field the form has
    go beside it, the others (and plain messages) above the form."""
    for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
        form.add_error(field if field in form.fields else None, errors)
