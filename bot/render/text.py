"""Card JSON as readable terminal text, with numbered buttons (for `roombot ask` and `roombot demo`).

A form's components (card JSON 2.0 `input`, `select_static`, `date_picker`, `picker_time`,
`picker_datetime`) print as "Date: 2024-05-14" lines under their label, a select with its
options; its submit button is numbered like any button, and `CardText.forms` maps that number
to the form's fields so `roombot demo` can ask for them and send `action.form_value`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TAGS = re.compile(r"</?font[^>]*>|</?text_tag[^>]*>")
AT = re.compile(r"<at id=([^>]*)></at>")
FIELD = re.compile(r"\{(\w+)(?::[^}]*)?\}")  # a VChart string-template field: {value}, {value:~s}
BAR_CELLS = 10
TEXT_TAGS = ("markdown", "div", "plain_text")
INPUT_TAGS = ("input", "select_static", "date_picker", "picker_time", "picker_datetime")
INITIAL_KEYS = ("default_value", "initial_option", "initial_date", "initial_time",
                "initial_datetime")
SHOWN_OPTIONS = 8  # a select's options listed on the card; the demo lists all when it asks


@dataclass(frozen=True)
class FormField:
    """One named component of a form: what the card shows of it, and what it may send."""

    name: str  # the key of action.form_value
    tag: str  # input, select_static, date_picker, picker_time or picker_datetime
    label: str  # the text above it on the card, else its placeholder, else its name
    placeholder: str = ""
    initial: str = ""  # the value it holds when the card is shown (a select: an option value)
    options: tuple[tuple[str, str], ...] = ()  # a select's (label, value)
    required: bool = False
    max_length: int = 0  # an input's limit, 0 for none

    def shown(self) -> str:
        """Its value as the card shows it (a select's option label); the placeholder when empty."""
        if not self.initial:
            return f"_ ({self.placeholder})" if self.placeholder else "_"
        return next((label for label, value in self.options if value == self.initial),
                    self.initial)


@dataclass
class CardText:
    """The card's text lines, its buttons' (label, value) in display order, and for each form's
    submit button (by its number, from 1) the fields of its form in display order."""

    lines: list[str] = field(default_factory=list)
    buttons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    forms: dict[int, list[FormField]] = field(default_factory=dict)

    def __str__(self) -> str:
        return "\n".join(self.lines)


def card_to_text(card: dict[str, Any]) -> CardText:
    """Flatten a card into lines; buttons become "[1] Refresh"."""
    out = CardText()
    header = card.get("header", {})
    title = header.get("title", {}).get("content", "")
    subtitle = header.get("subtitle", {}).get("content", "")
    if title:
        out.lines.append(f"━━ {title} ━━" + (f"  ({subtitle})" if subtitle else ""))
    _elements(card.get("body", {}).get("elements", []), out)
    return out


def _elements(elements: Iterable[dict[str, Any]], out: CardText,
              form: list[FormField] | None = None) -> None:
    """Lines and buttons of `elements`; `form` collects the fields of the form they are in."""
    row: list[str] = []
    items = list(elements)
    label = ""  # a one-line text right above a form component is its label
    for index, element in enumerate(items):
        tag = element.get("tag")
        if tag == "button":
            _button(element, out, row, form)
            continue
        _flush(row, out)
        following = items[index + 1] if index + 1 < len(items) else {}
        if tag in TEXT_TAGS and _is_input(following) and "\n" not in _content(element).strip():
            label = _content(element).strip()
            continue
        if _is_input(element):
            _field(element, label, out, form)
        elif tag == "column_set":
            for column in element.get("columns", []):
                _elements(column.get("elements", []), out, form)
        elif tag in TEXT_TAGS:
            _text(element, out)
        elif tag == "hr":
            out.lines.append("─" * 40)
        elif tag == "table":
            _table(element, out)
        elif tag == "chart":
            _chart(element.get("chart_spec", {}), out)
        elif tag == "form":
            _elements(element.get("elements", []), out, [])
        elif tag in ("collapsible_panel", "interactive_container"):
            _elements(element.get("elements", []), out, form)
        label = ""
    _flush(row, out)


def _button(element: dict[str, Any], out: CardText, row: list[str],
            form: list[FormField] | None) -> None:
    """A numbered button; a form's submit button also names its form's fields."""
    action = element.get("form_action_type")
    if action == "reset":  # clears the form in the client; Feishu sends nothing
        return
    label = element.get("text", {}).get("content", "")
    value = next((b.get("value", {}) for b in element.get("behaviors", [])
                  if b.get("type") == "callback"), {})
    out.buttons.append((label, value))
    number = len(out.buttons)
    if action == "submit" and form is not None:
        out.forms[number] = form  # the same list: fields after the button join it too
        row.append(f"[{number}] {label} (form)")
    else:
        row.append(f"[{number}] {label}")


def _is_input(element: dict[str, Any]) -> bool:
    return element.get("tag") in INPUT_TAGS and bool(element.get("name"))


def _field(element: dict[str, Any], label: str, out: CardText,
           form: list[FormField] | None) -> None:
    """"Label: value" for a form component (a select: and its options)."""
    tag = element["tag"]
    placeholder = _plain_text(element.get("placeholder"))
    options = tuple((_plain_text(o.get("text")), str(o.get("value", "")))
                    for o in element.get("options", []) if isinstance(o, dict))
    initial = next((element[k] for k in INITIAL_KEYS if isinstance(element.get(k), str)), "")
    max_length = element.get("max_length")
    found = FormField(
        name=str(element["name"]), tag=tag,
        label=_plain_text(element.get("label")) or label or placeholder or str(element["name"]),
        placeholder=placeholder, initial=initial, options=options,
        required=element.get("required") is True,
        max_length=max_length if tag == "input" and isinstance(max_length, int) else 0)
    if form is not None:
        form.append(found)
    line = f"{found.label}: {found.shown()}"
    if options:
        names = [name for name, _value in options[:SHOWN_OPTIONS]]
        more = len(options) - SHOWN_OPTIONS
        line += "   options: " + " · ".join(names) + (f" · +{more} more" if more > 0 else "")
    out.lines.append(line)


def _plain_text(text: Any) -> str:
    """The content of a plain_text object (or a bare string)."""
    if isinstance(text, dict):
        return str(text.get("content", ""))
    return text if isinstance(text, str) else ""


def _flush(row: list[str], out: CardText) -> None:
    if row:
        out.lines.append("   ".join(row))
        row.clear()


def _text(element: dict[str, Any], out: CardText) -> None:
    out.lines.extend(_content(element).splitlines() or [""])


def _content(element: dict[str, Any]) -> str:
    """A text element's words, without markup."""
    content = element.get("content") or element.get("text", {}).get("content", "")
    return AT.sub(r"@\1", TAGS.sub("", content)).replace("**", "")


def _table(element: dict[str, Any], out: CardText) -> None:
    columns = element.get("columns", [])
    names = [c.get("name") for c in columns]
    out.lines.append(" | ".join(str(c.get("display_name", c.get("name"))) for c in columns))
    for row in element.get("rows", []):
        out.lines.append(" | ".join(TAGS.sub("", str(row.get(name, ""))) for name in names))


def _chart(spec: dict[str, Any], out: CardText) -> None:
    """A VChart bar or line chart as text bars, one line per datum: "Mercury ████████░░ 78%"."""
    title = spec.get("title", {})
    if isinstance(title, dict) and title.get("text"):
        out.lines.append(str(title["text"]))
    data = spec.get("data", [])
    rows = [row for part in ([data] if isinstance(data, dict) else data)
            for row in part.get("values", []) if isinstance(row, dict)]
    across = spec.get("direction") == "horizontal"
    category = spec.get("categoryField") or spec.get("yField" if across else "xField") or []
    value = spec.get("valueField") or spec.get("xField" if across else "yField") or ""
    fields = [category] if isinstance(category, str) else category
    names = [" · ".join(str(row.get(f, "")) for f in fields) for row in rows]
    numbers = [_number(row.get(value)) for row in rows]
    top = _axis_max(spec) or max(numbers, default=0) or 1
    label = spec.get("label")
    template = label.get("formatter") if isinstance(label, dict) else None
    width = max((_width(name) for name in names), default=0)
    for name, number, row in zip(names, numbers, rows, strict=True):
        filled = round(BAR_CELLS * min(max(number, 0) / top, 1))
        shown = _format(template, row) if isinstance(template, str) else _plain(number)
        bar = "█" * filled + "░" * (BAR_CELLS - filled)
        out.lines.append(f"{name}{' ' * (width - _width(name))} {bar} {shown}")


def _format(template: str, row: dict[str, Any]) -> str:
    """A label as VChart's string template makes it: "{value}%" -> "78%"."""
    return FIELD.sub(lambda m: _plain(row.get(m.group(1), "")), template)


def _number(value: Any) -> float:
    """A datum's value as a number (0 when it is none)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _plain(value: Any) -> str:
    """A value as VChart prints it: 78.0 as "78"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _axis_max(spec: dict[str, Any]) -> float:
    """The value axis's fixed maximum, if the spec sets one (e.g. 100 for percentages)."""
    for axis in spec.get("axes", []):
        if isinstance(axis, dict) and axis.get("type") == "linear" and "max" in axis:
            return _number(axis["max"])
    return 0.0


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
