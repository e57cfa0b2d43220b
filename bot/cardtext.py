"""Card JSON as readable terminal text, with numbered buttons (for `roombot ask` and `roombot demo`)."""
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


@dataclass
class CardText:
    """The card's text lines and its buttons' (label, value) in display order."""

    lines: list[str] = field(default_factory=list)
    buttons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

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


def _elements(elements: Iterable[dict[str, Any]], out: CardText) -> None:
    row: list[str] = []
    for element in elements:
        tag = element.get("tag")
        if tag == "button":
            label = element.get("text", {}).get("content", "")
            value = next((b.get("value", {}) for b in element.get("behaviors", [])
                          if b.get("type") == "callback"), {})
            out.buttons.append((label, value))
            row.append(f"[{len(out.buttons)}] {label}")
            continue
        _flush(row, out)
        if tag == "column_set":
            for column in element.get("columns", []):
                _elements(column.get("elements", []), out)
        elif tag in ("markdown", "div", "plain_text"):
            _text(element, out)
        elif tag == "hr":
            out.lines.append("─" * 40)
        elif tag == "table":
            _table(element, out)
        elif tag == "chart":
            _chart(element.get("chart_spec", {}), out)
        elif tag in ("collapsible_panel", "form", "interactive_container"):
            _elements(element.get("elements", []), out)
    _flush(row, out)


def _flush(row: list[str], out: CardText) -> None:
    if row:
        out.lines.append("   ".join(row))
        row.clear()


def _text(element: dict[str, Any], out: CardText) -> None:
    content = element.get("content") or element.get("text", {}).get("content", "")
    content = AT.sub(r"@\1", TAGS.sub("", content)).replace("**", "")
    out.lines.extend(content.splitlines() or [""])


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
