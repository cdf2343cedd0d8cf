"""What the CRM's frame (the sidebar in crm/includes/sidebar.html) asks of its
pages: which section is open, and links to pages that may not exist in every
build."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# The URL names of each sidebar section's pages: a name is in the first section
# whose prefix it starts with.
SECTIONS = (
    ("contacts", ("contact_",)),
    ("companies", ("company_",)),
    ("deals", ("deal_", "deals_")),
    ("tasks", ("task_", "tasks_")),
    (
        "settings",
        (
            "users",
            "user_",
            "seats",
            "group",
            "custom_fields",
            "pipelines",
            "audit",
            "api_key",
        ),
    ),
    ("profile", ("profile",)),
)


def section_of(url_name: str) -> str:
    for section, prefixes in SECTIONS:
        if url_name.startswith(prefixes):
            return section
    return ""


@register.simple_tag(takes_context=True)
def nav_section(context) -> str:
    """The sidebar section the page belongs to ("contacts"), marked as current."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return section_of(match.url_name or "") if match else ""


@register.simple_tag
def optional_url(name: str, **kwargs) -> str | None:
    """The URL named ``name``, or None where no route has that name: the sidebar
    shows a section only once its pages exist (``crm:task_list``)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None
