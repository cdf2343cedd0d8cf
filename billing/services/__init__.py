"""What billing does: every money change is one transaction that locks the row it
changes first (a CRM's ``Wallet``, a referrer's ``ReferralProgram``).

Lock order, to never deadlock: a CRM's wallet before a referrer; a referrer before
one of its payout requests."""

from billing.services.errors import BillingRefused
from billing.services.ledger import (
    ledger_entry_add,
    payment_record,
    refund_record,
)
from billing.services.payouts import payout_decide, payout_request
from billing.services.referrals import (
    email_normalized,
    referral_click_record,
    referral_program_activate,
    referral_signup_attribute,
)

__all__ = [
    "BillingRefused",
    "email_normalized",
    "ledger_entry_add",
    "payment_record",
    "payout_decide",
    "payout_request",
    "referral_click_record",
    "referral_program_activate",
    "referral_signup_attribute",
    "refund_record",
]
