"""URLs of a CRM's pages without reversing them on every request.

A CRM page's URL differs from another CRM's only by the slug (and, for some,
a token): each URL name is reversed once per process with placeholders, which
are then replaced. ``{% url %}`` and ``reverse()`` would walk the URL patterns
again for every link of every page."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

# Placeholders that every converter of these URLs accepts and no URL contains.
_SLUG = "0crm-slug0"
_ARGUMENT = "0crm-{}-0"


@lru_cache(maxsize=256)
def _pattern(name: str, script_prefix: str, arguments: tuple[str, ...]) -> str:
    kwargs = {"slug": _SLUG} | {arg: _ARGUMENT.format(arg) for arg in arguments}
    return reverse(f"crm:{name}", kwargs=kwargs)


def crm_url(name: str, *, slug: str, **arguments: str) -> str:
    """``reverse(f"crm:{name}", kwargs={"slug": slug, **arguments})`` for a slug
    and arguments of URL-safe characters (slugs, tokens): the same URL."""
    url = _pattern(name, get_script_prefix(), tuple(sorted(arguments)))
    for argument, value in arguments.items():
        url = url.replace(_ARGUMENT.format(argument), quote(str(value), safe=""))
    return url.replace(_SLUG, slug)
