"""Links for a record's phones, e-mails and website on its card."""

from __future__ import annotations

from django import template

from crm.services.contact_points import phone_href

register = template.Library()


@register.filter
def tel_href(number: str) -> str:
    """``tel:`` and the number's digits, with the + when it was typed."""
    return f"tel:{phone_href(number or '')}"


@register.filter
def website_href(website: str) -> str:
    """A web address as a link: http(s) as typed, anything else as https, so a
    stored value can never be a ``javascript:`` link."""
    website = (website or "").strip()
    if website.lower().startswith(("http://", "https://")):
        return website
    return f"https://{website}"
