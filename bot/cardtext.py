"""Card JSON as readable terminal text, with numbered buttons (for `roombot ask` and `roombot demo`)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TAGS = re.compile(r"</?font[^>]*>|</?text_tag[^>]*>")
AT = re.compile(r"<at id=([^>]*)></at>")


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
