"""Render a Reply into Feishu card JSON 2.0 from its Jinja2 template, and check the result."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from bot.queries import Reply

MAX_CARD_BYTES = 30 * 1024  # Feishu rejects larger card bodies (230025 / 19036)
MAX_ELEMENTS = 200
MAX_TABLES = 5
MAX_CHARTS = 5  # Feishu's advice for card JSON 2.0 charts
CHART_KEYS = {"tag", "element_id", "margin", "aspect_ratio", "color_theme", "chart_spec", "preview",
              "height"}
ASPECT_RATIOS = {"1:1", "2:1", "4:3", "16:9"}
XY = ("xField", "yField")
CHART_FIELDS = {"bar": XY, "line": XY, "area": XY, "scatter": XY, "pie": ("categoryField", "valueField")}
TOP_LEVEL_KEYS = {"schema", "config", "header", "body", "card_link", "i18n_header"}
FORM_FIELDS = {"input", "date_picker", "picker_time", "picker_datetime", "select_static",
               "multi_select_static", "select_person", "multi_select_person", "checker", "button"}
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
    charts = [e for e in elements if e.get("tag") == "chart"]
    if len(charts) > MAX_CHARTS:
        raise CardError(f"card has {len(charts)} charts; Feishu allows {MAX_CHARTS}")
    for element in elements:
        _check_element(element)
    _check_forms(card.get("body", {}).get("elements", []))
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
    if tag == "chart":
        _check_chart(element)
    if tag == "button":
        for behavior in element.get("behaviors", []):
            if behavior.get("type") == "callback" and not isinstance(behavior.get("value"), dict):
                raise CardError("button callback value must be an object (the SDK rejects strings)")


def _check_chart(element: dict[str, Any]) -> None:
    """The chart element's own properties, and a VChart spec with data whose rows hold its fields
    (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/chart)."""
    unknown = set(element) - CHART_KEYS
    if unknown:
        raise CardError(f"unknown chart properties: {sorted(unknown)}")
    if element.get("aspect_ratio", "16:9") not in ASPECT_RATIOS:
        raise CardError(f"chart aspect_ratio must be one of {sorted(ASPECT_RATIOS)}")
    height = element.get("height", "auto")
    if height != "auto" and not (re.fullmatch(r"\d{1,3}px", str(height))
                                 and 1 <= int(height[:-2]) <= 999):
        raise CardError('chart height must be "auto" or "1px"-"999px"')
    spec = element.get("chart_spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise CardError("chart_spec must be a VChart spec object with a type")
    data = spec.get("data")
    sets = [data] if isinstance(data, dict) else data
    if not isinstance(sets, list) or not sets or not all(
            isinstance(s, dict) and isinstance(s.get("values"), list) for s in sets):
        raise CardError("chart_spec.data must be {values: [...]} or a list of them")
    fields = []
    for key in CHART_FIELDS.get(spec["type"], ()):
        named = spec.get(key)
        if not named:
            raise CardError(f"a {spec['type']} chart_spec needs {key}")
        fields.extend(named if isinstance(named, list) else [named])
    for row in (row for s in sets for row in s["values"]):
        if not isinstance(row, dict) or any(f not in row for f in fields):
            raise CardError(f"chart data rows must be objects with {fields}")


def _check_forms(body: list[dict[str, Any]]) -> None:
    """Forms as Feishu takes them: only at the body's root, no table or form inside, every field
    named (unique in the card: the names key action.form_value) and a submit button in each;
    a submit or reset button only inside a form."""
    names: set[str] = set()
    for top in body:
        inside = list(_walk(_children(top)))
        if any(e.get("tag") == "form" for e in inside):
            raise CardError("a form must sit at the root of the card body")
        if top.get("tag") != "form":
            if any("form_action_type" in e for e in [top, *inside]):
                raise CardError("a submit or reset button must be inside a form")
            continue
        if any(e.get("tag") == "table" for e in inside):
            raise CardError("a form cannot hold a table")
        for element in (e for e in inside if e.get("tag") in FORM_FIELDS):
            name = element.get("name")
            if not isinstance(name, str) or not name or name in names:
                raise CardError(f"every field of a form needs a name unique in the card: {name!r}")
            names.add(name)
        if not any(e.get("form_action_type") == "submit" for e in inside):
            raise CardError("a form needs a button with form_action_type submit")


def _children(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The elements directly inside a container (a column set's columns' elements included)."""
    if element.get("tag") == "column_set":
        return [e for column in element.get("columns", []) for e in column.get("elements", [])]
    return list(element.get("elements", []))
