from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


def money_clean(value: Decimal) -> Decimal:
    """A finite amount with at most two decimal places that the ledger can hold."""
    if not value.is_finite():
        raise ValidationError(_("Give the amount as a number."))
    # Compared by magnitude first: abs() of a huge exponent (1E+1000000000)
    # overflows the decimal context instead of answering.
    if value.adjusted() > MAX_AMOUNT.adjusted() or abs(value) > MAX_AMOUNT:
        raise ValidationError(_("This amount is too large."))
    if value != value.quantize(CENT):
        raise ValidationError(_("Give the amount with at most two decimal places."))
    return value.quantize(CENT)
