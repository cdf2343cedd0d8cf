"""Phones and e-mails of contacts and companies: what makes two numbers one, and
replacing a record's list of them.

A list comes in as ``[(kind, text), ...]`` (forms, the API, imports). Blank
entries are skipped, repeats (the same e-mail, or the same number however typed)
kept once, in the order given; anything that cannot be a phone or an e-mail is
refused with a message naming it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from crm.models import Company, Contact, RecordEmail, RecordPhone

PHONE_MAX_LENGTH = 40
EMAIL_MAX_LENGTH = 254
# A record keeps at most this many of each: a list that long is a mistake (a
# column of a file read as one cell), not a person.
MAX_PER_RECORD = 50

# Two numbers are the same when their last nine digits are. People type one
# number with the country code or without, with the trunk 0 or without
# ("+380 67 123 45 67", "0671234567", "67-123-45-67"), so only the digits after
# those are the number itself; nine is the length of a national number in
# Ukraine and most of Europe. Shorter numbers (extensions, short codes) match
# only as a whole. Two different numbers with the same last nine digits would
# only be offered as a possible duplicate, never merged.
PHONE_MATCH_DIGITS = 9
# Search looks for a fragment of a number from this many digits on; fewer would
# match most of the CRM.
PHONE_SEARCH_MIN_DIGITS = 3

_NOT_DIGITS = re.compile(r"\D+")


def phone_digits(text: str | None) -> str:
    """Only the digits of ``text``: "+380 (67) 123-45-67" → "380671234567"."""
    return _NOT_DIGITS.sub("", text or "")


def phone_match_key(text: str | None) -> str:
    """What makes two numbers one: the last ``PHONE_MATCH_DIGITS`` digits."""
    return phone_digits(text)[-PHONE_MATCH_DIGITS:]


def phone_href(text: str) -> str:
    """A ``tel:`` link's number: the digits, with the + when it was typed."""
    digits = phone_digits(text)
    return f"+{digits}" if text.strip().startswith("+") else digits


def _kind(kinds: type, kind: Any, field: str):
    code = str(kind or "").strip().upper() or kinds.WORK
    if code not in kinds.values:
        raise ValidationError(
            {
                field: _("“%(kind)s” is not a type; use one of: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(kinds.values)}
            }
        )
    return code


def _pairs(items: Iterable[Any], field: str) -> list[tuple[Any, str]]:
    """``items`` as (kind, text) pairs; a bare string is a number or address of
    the default kind."""
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise ValidationError({field: _("A list is expected.")})
    pairs = []
    for item in items:
        if isinstance(item, str):
            item = (None, item)
        try:
            kind, text = item
        except (TypeError, ValueError):
            raise ValidationError(
                {field: _("Each entry is a type and a value.")}
            ) from None
        pairs.append((kind, "" if text is None else str(text)))
    if len(pairs) > MAX_PER_RECORD:
        raise ValidationError(
            {field: _("At most %(n)d per record.") % {"n": MAX_PER_RECORD}}
        )
    return pairs


def phones_clean(items: Iterable[Any]) -> list[tuple[str, str]]:
    """(kind, number) pairs checked and without repeats; a ValidationError under
    ``phones`` otherwise."""
    cleaned, seen = [], set()
    for kind, text in _pairs(items, "phones"):
        number = " ".join(text.split())
        if not number:
            continue
        code = _kind(RecordPhone.Kind, kind, "phones")
        if len(number) > PHONE_MAX_LENGTH:
            raise ValidationError(
                {
                    "phones": _("“%(phone)s” is longer than %(n)d characters.")
                    % {"phone": number[:60], "n": PHONE_MAX_LENGTH}
                }
            )
        if not phone_digits(number):
            raise ValidationError(
                {
                    "phones": _("“%(phone)s” has no digits: it is not a phone number.")
                    % {"phone": number}
                }
            )
        key = phone_match_key(number)
        if key not in seen:
            seen.add(key)
            cleaned.append((code, number))
    return cleaned


def emails_clean(items: Iterable[Any]) -> list[tuple[str, str]]:
    """(kind, address) pairs, lower-cased, checked and without repeats; a
    ValidationError under ``emails`` otherwise."""
    cleaned, seen = [], set()
    for kind, text in _pairs(items, "emails"):
        address = text.strip().lower()
        if not address:
            continue
        code = _kind(RecordEmail.Kind, kind, "emails")
        try:
            if len(address) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {
                    "emails": _("“%(email)s” is not an e-mail address.")
                    % {"email": address[:100]}
                }
            ) from None
        if address not in seen:
            seen.add(address)
            cleaned.append((code, address))
    return cleaned


def _owner(record: Contact | Company) -> dict[str, Any]:
    return {"contact" if isinstance(record, Contact) else "company": record}


def contact_points_set(
    *,
    record: Contact | Company,
    phones: Sequence[tuple[str, str]] | None,
    emails: Sequence[tuple[str, str]] | None,
) -> bool:
    """Replace the record's phones and/or e-mails (already cleaned; None keeps
    them). Returns whether anything changed. Rows already there are kept when
    the list is the same, so a save that changes nothing writes nothing."""
    changed = False
    owner = _owner(record)
    # A prefetch of the old rows would now be stale.
    cache = getattr(record, "_prefetched_objects_cache", {})
    for name, given in (("phones", phones), ("emails", emails)):
        if given is not None:
            cache.pop(name, None)
    if phones is not None:
        current = list(RecordPhone.objects.for_crm(record.crm_id).filter(**owner))
        if [(p.kind, p.value) for p in current] != list(phones):
            RecordPhone.objects.filter(pk__in=[p.pk for p in current]).delete()
            RecordPhone.objects.bulk_create(
                [
                    RecordPhone(
                        crm_id=record.crm_id,
                        kind=kind,
                        value=number,
                        digits=phone_digits(number),
                        match_key=phone_match_key(number),
                        position=position,
                        **owner,
                    )
                    for position, (kind, number) in enumerate(phones)
                ]
            )
            changed = True
    if emails is not None:
        current = list(RecordEmail.objects.for_crm(record.crm_id).filter(**owner))
        if [(e.kind, e.value) for e in current] != list(emails):
            RecordEmail.objects.filter(pk__in=[e.pk for e in current]).delete()
            RecordEmail.objects.bulk_create(
                [
                    RecordEmail(
                        crm_id=record.crm_id,
                        kind=kind,
                        value=address,
                        position=position,
                        **owner,
                    )
                    for position, (kind, address) in enumerate(emails)
                ]
            )
            record.emails_text = emails_text(address for _kind, address in emails)
            type(record).objects.filter(pk=record.pk).update(
                emails_text=record.emails_text
            )
            changed = True
    return changed


def emails_text(addresses: Iterable[str]) -> str:
    """A record's ``emails_text``: its addresses, space-separated (no address
    has a space, so a search text without one matches within one address)."""
    return " ".join(addresses)


def contact_points_of(record: Contact | Company) -> tuple[list, list]:
    """The record's (kind, value) phones and e-mails, in order (from a prefetch
    when there is one)."""
    if record.pk is None:
        return [], []
    return (
        [(p.kind, p.value) for p in record.phones.all()],
        [(e.kind, e.value) for e in record.emails.all()],
    )
