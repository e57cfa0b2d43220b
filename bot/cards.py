"""Render a Reply into Feishu card JSON 2.0 from its Jinja2 template, and check the result."""
from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from bot.queries import Reply

MAX_CARD_BYTES = 30 * 1024  # Feishu rejects larger card bodies (230025 / 19036)
MAX_ELEMENTS = 200
MAX_TABLES = 5
TOP_LEVEL_KEYS = {"schema", "config", "header", "body", "card_link", "i18n_header"}
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


class CardError(ValueError):
    """A template produced something Feishu would reject."""


@pass_context
def _t(ctx: Context, zh: str, en: str) -> str:
    """Pick the wording for the reply's language."""
    return zh if ctx.get("lang") == "zh" else en


def _hm(value: datetime) -> str:
    return value.strftime("%H:%M")


@pass_context
def _day(ctx: Context, value: date | datetime) -> str:
    """A short local date: "11月17日 周二" or "Tue 17 Nov"."""
    weekday = value.weekday()
    if ctx.get("lang") == "zh":
        return f"{value.month}月{value.day}日 周{WEEKDAYS['zh'][weekday]}"
    return f"{WEEKDAYS['en'][weekday]} {value.day} {value.strftime('%b')}"


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment for cards."""
    env = Environment(
        # bot/templates is the top-level templates/ folder, shipped in the wheel as package data
        loader=PackageLoader("bot", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["tojson"] = _tojson
    env.filters["hm"] = _hm
    env.filters["day"] = _day
    env.globals["t"] = _t
    return env


def render(reply: Reply) -> dict[str, Any]:
    """Render `templates/<reply.card>.json.j2` with the reply's data and validate the card."""
    template = environment().get_template(f"{reply.card}.json.j2")
    text = template.render(lang=reply.lang, **reply.data)
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CardError(f"template {reply.card} rendered invalid JSON: {exc}\n{text[:2000]}") from exc
    validate(card)
    return card


def card_bytes(card: dict[str, Any]) -> int:
    """Size of the card as it is sent (a JSON string inside the message body)."""
    return len(json.dumps(json.dumps(card, ensure_ascii=False), ensure_ascii=False).encode())


def validate(card: dict[str, Any]) -> None:
    """Check the card JSON 2.0 rules that Feishu enforces, so a bad card fails here, not in Feishu."""
    if card.get("schema") != "2.0":
        raise CardError('card must declare "schema": "2.0"')
    unknown = set(card) - TOP_LEVEL_KEYS
    if unknown:
        raise CardError(f"unknown top-level card properties: {sorted(unknown)}")
    if card.get("config", {}).get("update_multi") is False:
        raise CardError("card JSON 2.0 requires config.update_multi true")
    elements = list(_walk(card.get("body", {}).get("elements", [])))
    if len(elements) > MAX_ELEMENTS:
        raise CardError(f"card has {len(elements)} elements; Feishu allows {MAX_ELEMENTS}")
    tables = [e for e in elements if e.get("tag") == "table"]
    if len(tables) > MAX_TABLES:
        raise CardError(f"card has {len(tables)} tables; Feishu allows {MAX_TABLES}")
    for element in elements:
        _check_element(element)
    if card_bytes(card) > MAX_CARD_BYTES:
        raise CardError(f"card is {card_bytes(card)} bytes; Feishu allows {MAX_CARD_BYTES}")


def _walk(elements: list[dict[str, Any]]):
    for element in elements:
        yield element
        for column in element.get("columns", []) if element.get("tag") == "column_set" else []:
            yield from _walk(column.get("elements", []))
        yield from _walk(element.get("elements", []))


def _check_element(element: dict[str, Any]) -> None:
    tag = element.get("tag")
    if tag in ("note", "action"):
        raise CardError(f"card JSON 2.0 has no '{tag}' component")
    if tag == "table" and not 1 <= element.get("page_size", 5) <= 10:
        raise CardError("table page_size must be 1-10")
    if tag == "button":
        for behavior in element.get("behaviors", []):
            if behavior.get("type") == "callback" and not isinstance(behavior.get("value"), dict):
                raise CardError("button callback value must be an object (the SDK rejects strings)")
