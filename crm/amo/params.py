"""amoCRM's query strings: PHP's bracket notation, in the three ways clients write
a list (``filter[id][0]=1&filter[id][1]=2``, ``filter[id][]=1&filter[id][]=2``,
``filter[id]=1&filter[id]=2``), nested objects (``filter[updated_at][from]=...``,
``filter[statuses][0][pipeline_id]=...``), ``with=a,b``, ``page``, ``limit``,
``query`` and ``order[field]=asc|desc``. Anything unreadable is a 400 naming the
parameter; unknown ``with`` values and filters are ignored, as amoCRM does."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.amo.problems import AmoValidationFailed, ItemErrors

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
MAX_DEPTH = 4
MAX_LIST = 500
MAX_ID = 2**63 - 1
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def _refuse(name: str, detail: str) -> AmoValidationFailed:
    errors = ItemErrors()
    errors.add(name, detail)
    return AmoValidationFailed({"0": errors})


def _put(tree: dict, path: list[str], value: str) -> None:
    node: Any = tree
    for depth, segment in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, list):
            # ``a[]`` followed by more brackets: a new object each time.
            node.append({} if not last else value)
            if last:
                return
            node = node[-1]
            continue
        if segment == "":
            raise ValueError
        if last:
            if segment in node:
                existing = node[segment]
                if isinstance(existing, list):
                    existing.append(value)
                elif isinstance(existing, str):
                    node[segment] = [existing, value]
                else:
                    raise ValueError
            else:
                node[segment] = value
            return
        following = path[depth + 1]
        if following == "":
            node = node.setdefault(segment, [])
            if not isinstance(node, list):
                raise ValueError
        else:
            node = node.setdefault(segment, {})
            if not isinstance(node, dict):
                raise ValueError


def parse_query(params: Mapping[str, list[str]]) -> dict[str, Any]:
    """``{"filter": {"id": ["1", "2"]}, "page": "2", ...}`` from a QueryDict's
    lists. A dict whose keys are all indexes reads as a list later
    (``as_list``), so ``[0]`` and ``[]`` come out the same."""
    tree: dict[str, Any] = {}
    for key, values in params.lists():
        match = _KEY.match(key)
        if match is None:
            continue
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        if len(path) > MAX_DEPTH + 1:
            raise _refuse(key, _("Nested too deeply."))
        for value in values:
            try:
                _put(tree, path, value)
            except ValueError:
                raise _refuse(
                    key, _("This parameter is given in two shapes.")
                ) from None
    return tree


def as_list(value: Any, *, split: bool = False) -> list[Any]:
    """Scalars, ``[...]`` and ``{"0": ..., "1": ...}`` all as a flat list;
    with ``split``, ``1,2`` is two values (ids and ``with``, never names)."""
    if value is None:
        return []
    if isinstance(value, dict):
        if all(str(k).isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        else:
            return [value]
    if not isinstance(value, list):
        value = [value]
    items: list[Any] = []
    for item in value:
        if isinstance(item, str) and split:
            items.extend(part for part in item.split(",") if part.strip() != "")
        else:
            items.append(item)
    if len(items) > MAX_LIST:
        raise _refuse("filter", _("At most %(n)d values.") % {"n": MAX_LIST})
    return items


def to_int(value: Any, name: str, *, minimum: int = 0) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 19:
        raise _refuse(name, _("A whole number is expected."))
    number = int(text)
    if number < minimum or number > MAX_ID:
        raise _refuse(name, _("A whole number is expected."))
    return number


def id_list(value: Any, name: str) -> list[int]:
    return [to_int(item, name) for item in as_list(value, split=True)]


def to_time(value: Any, name: str) -> datetime.datetime:
    """A Unix timestamp (amoCRM's only time format) as an aware datetime."""
    seconds = to_int(value, name)
    try:
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise _refuse(name, _("A Unix timestamp is expected.")) from None


def time_range(value: Any, name: str) -> tuple[datetime.datetime | None, ...]:
    """``[from]``/``[to]``, or one timestamp meaning that second."""
    if isinstance(value, dict) and not all(str(k).isdigit() for k in value):
        start = value.get("from")
        end = value.get("to")
        return (
            to_time(start, f"{name}[from]") if start not in (None, "") else None,
            to_time(end, f"{name}[to]") if end not in (None, "") else None,
        )
    items = as_list(value)
    if not items:
        return None, None
    moment = to_time(items[0], name)
    return moment, moment


def with_values(tree: Mapping[str, Any]) -> set[str]:
    return {str(item).strip() for item in as_list(tree.get("with"), split=True)}


def page_and_limit(tree: Mapping[str, Any]) -> tuple[int, int]:
    """``page`` from 1; ``limit`` 50 by default, more than 250 is 250."""
    page = tree.get("page", "1")
    limit = tree.get("limit", str(DEFAULT_LIMIT))
    if not isinstance(page, str) or not isinstance(limit, str):
        raise _refuse("page", _("A whole number is expected."))
    page_number = to_int(page or "1", "page", minimum=1)
    size = to_int(limit or str(DEFAULT_LIMIT), "limit", minimum=1)
    return page_number, min(size, MAX_LIMIT)


def ordering(tree: Mapping[str, Any], allowed: Mapping[str, str]) -> list[str]:
    """``order[updated_at]=desc`` → ``["-updated_at", "-pk"]``; fields not in
    ``allowed`` (amoCRM's name → ours) are refused. Always ends with the id."""
    order = tree.get("order")
    if order in (None, ""):
        return ["pk"]
    if not isinstance(order, dict):
        raise _refuse("order", _("Use order[field]=asc or desc."))
    fields = []
    for name, direction in order.items():
        if name not in allowed:
            raise _refuse(
                f"order[{name}]",
                _("Sort by one of: %(fields)s.") % {"fields": ", ".join(allowed)},
            )
        direction = str(direction).lower()
        if direction not in ("asc", "desc"):
            raise _refuse(f"order[{name}]", _("Use asc or desc."))
        prefix = "-" if direction == "desc" else ""
        fields.append(prefix + allowed[name])
    if not fields:
        return ["pk"]
    last = "-pk" if fields[-1].startswith("-") else "pk"
    return [*fields, last] if fields[-1].lstrip("-") != "pk" else fields


def timestamp(moment: datetime.datetime | None) -> int | None:
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return int(moment.timestamp())
