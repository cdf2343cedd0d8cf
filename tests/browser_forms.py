"""What a browser submits for a form on a page, read from the page's HTML: the
tests of a form load it first and post exactly what it offers."""

from __future__ import annotations

from html.parser import HTMLParser

TEXT_TYPES = {
    "text",
    "email",
    "tel",
    "search",
    "hidden",
    "number",
    "date",
    "datetime-local",
    "password",
    "url",
    # A colour picker always sends its colour, as #rrggbb.
    "color",
}


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self.names: set[str] = set()
        self.select: dict | None = None
        self.option: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.inside = True
            self.pairs, self.names = [], set()
            self.forms.append({"pairs": self.pairs, "names": self.names})
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if name and tag in ("input", "select", "textarea"):
            self.names.add(name)
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in TEXT_TYPES:
                value = attrs.get("value") or ""
                if kind not in ("hidden", "password"):
                    # A one-line box holds no line breaks: browsers drop them.
                    value = value.replace("\r", "").replace("\n", "")
                self.pairs.append((name, value))
            elif kind in ("checkbox", "radio") and "checked" in attrs:
                value = attrs.get("value")
                self.pairs.append((name, "on" if value is None else value))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "opts": []}
        elif tag == "option" and self.select is not None:
            self.option = {
                "value": attrs.get("value"),
                "selected": "selected" in attrs,
                "text": "",
            }
            self.select["opts"].append(self.option)
        elif tag == "textarea" and name:
            self.textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["opts"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not self.select["multiple"] and options:
                chosen = options[:1]
            for option in chosen:
                value = option["value"]
                self.pairs.append(
                    (self.select["name"], option["text"] if value is None else value)
                )
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # As a browser has it: the line break right after <textarea> is not
            # part of the value, and line breaks are sent as CRLF.
            text = self.textarea["text"].removeprefix("\n")
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self.pairs.append((self.textarea["name"], text))
            self.textarea = None


def form_pairs(html: str, having: str) -> list[tuple[str, str]]:
    """The (name, value) pairs that the first POST form of ``html`` with a field
    named ``having`` sends as it is shown, CSRF token included."""
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if having in form["names"]:
            return form["pairs"]
    raise AssertionError(f"the page has no POST form with a field {having!r}")


def form_data(html: str, having: str = "name", **changes) -> dict[str, list[str]]:
    """That form's data as a dict of lists (what ``Client.post`` takes), with
    ``changes`` typed in: a string replaces a field's value, a list its values."""
    data: dict[str, list[str]] = {}
    for name, value in form_pairs(html, having):
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data
