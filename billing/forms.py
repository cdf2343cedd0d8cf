from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class PayoutRequestForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(label=_("Currency"))
    destination = forms.CharField(
        label=_("Payout destination"),
        max_length=200,
        help_text=_("Where to send the money: a card number, IBAN or PayPal address."),
    )

    def __init__(self, *args, currencies: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["currency"].initial = currencies[0]
        if len(currencies) == 1:
            self.fields["currency"].widget = forms.HiddenInput()
