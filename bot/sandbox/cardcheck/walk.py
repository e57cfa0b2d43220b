"""Walk a card JSON 2.0 the way Feishu's server checks it; the first violation, with its sub-code
and an ErrPath such as `ROOT -> body -> elements -> [2](tag: chart)`.

Sub-codes [contract §12]: 200621 the card JSON is not valid (unknown property, wrong type, enum,
missing property); 200861 a 1.0-only tag; 200550 an invalid chart_spec; 11310 over 200 elements;
200914 table rows that are not a list of objects, 200915 a cell that does not fit its column's
data_type (the docs name both codes "invalid table rows" without telling them apart: this split is
the sandbox's). Feishu documents no sub-code of its own for a nesting error or a form without a
submit button; those answer 200621, the card's JSON being invalid.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from bot.sandbox.cardcheck import rules
from bot.sandbox.cardcheck.rules import Rule

INVALID, V1_TAG, BAD_CHART, TOO_MANY, BAD_ROWS, BAD_CELL = 200621, 200861, 200550, 11310, 200914, 200915


@dataclass(frozen=True)
class Violation:
    """Why Feishu would refuse the card."""

    code: int
    path: str
    message: str

    def feishu_msg(self) -> str:
        """The 230099 message as Feishu words it: the sub-code, what is wrong and where."""
        return (f"Failed to create card content, ext=ErrCode: {self.code}; ErrMsg: {self.message}; "
                f"ErrPath: {self.path}")


class _Refused(Exception):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def check_card(card: Any) -> Violation | None:
    """The first rule a card breaks, or None. Only 2.0 cards (`"schema": "2.0"`) are checked."""
    if not isinstance(card, dict):
        return Violation(INVALID, "ROOT", "card is not a JSON object")
    if card.get("schema") != "2.0":
        return None  # a 1.0 card: not modelled here
    try:
        _Card(card).check()
    except _Refused as refused:
        return refused.violation
    return None


class _Card:
    def __init__(self, card: dict[str, Any]) -> None:
        self.card = card
        self.names: dict[str, str] = {}
        self.counts = {"elements": 0, "table": 0, "chart": 0}

    def check(self) -> None:
        card = self.card
        self.props(card, rules.CARD, "ROOT")
        config = card.get("config")
        if config is not None:
            self.props(self.obj(config, "ROOT -> config"), rules.CONFIG, "ROOT -> config")
            if config.get("update_multi") is False:  # "JSON 2.0 暂时仅支持设为 true"
                fail(INVALID, "ROOT -> config -> update_multi", "update_multi must be true in 2.0")
        header = card.get("header")
        if header is not None:
            path = "ROOT -> header"
            self.props(self.obj(header, path), rules.HEADER, path)
            for key in ("title", "subtitle"):
                if key in header:
                    self.text(header[key], f"{path} -> {key}")
        body = card.get("body")
        if body is not None:
            path = "ROOT -> body"
            self.props(self.obj(body, path), rules.BODY, path)
            self.elements(body.get("elements", []), f"{path} -> elements", parents=())
        if self.counts["elements"] > rules.MAX_ELEMENTS:
            fail(TOO_MANY, "ROOT", f"{self.counts['elements']} elements, at most {rules.MAX_ELEMENTS}")
        for tag, limit in (("table", rules.MAX_TABLES), ("chart", rules.MAX_CHARTS)):
            if self.counts[tag] > limit:
                fail(INVALID, "ROOT", f"{self.counts[tag]} {tag} components, at most {limit}")

    # -- components -------------------------------------------------------------------------

    def elements(self, items: Any, path: str, parents: tuple[str, ...]) -> None:
        if not isinstance(items, list):
            fail(INVALID, path, "elements must be an array")
        for i, element in enumerate(items):
            self.component(element, f"{path} -> [{i}]", parents)

    def component(self, element: Any, path: str, parents: tuple[str, ...]) -> None:
        element = self.obj(element, path)
        tag = element.get("tag")
        here = f"{path}(tag: {tag})"
        self.counts["elements"] += 1
        if tag in rules.V1_ONLY:
            fail(V1_TAG, here, f"cards of schema V2 no longer support this capability: unsupported tag {tag}")
        rule = rules.COMPONENTS.get(tag)
        if rule is None:
            fail(INVALID, here, f"unknown tag {tag!r}")
        if tag in rules.ROOT_ONLY and parents:
            fail(INVALID, here, f"{tag} may only sit at the card's root, not in {parents[-1]}")
        if "form" in parents and tag in rules.NOT_IN_FORM:
            fail(INVALID, here, f"a form may not hold a {tag}")
        if "column" in parents and tag in rules.NOT_IN_COLUMN:
            fail(INVALID, here, f"a column may not hold a {tag}")
        self.props(element, rule, here)
        if tag in self.counts:
            self.counts[tag] += 1
        if "name" in element:
            self.name(element["name"], here)
        if "form" in parents and tag in rules.INTERACTIVE and not element.get("name"):
            fail(INVALID, here, f"a {tag} inside a form needs a name")
        getattr(self, f"_{tag}", lambda e, p, ps: None)(element, here, parents)

    def _button(self, e: dict[str, Any], path: str, parents: tuple[str, ...]) -> None:
        if "text" in e:
            self.text(e["text"], f"{path} -> text")
        behaviors = e.get("behaviors")
        if not isinstance(behaviors, list) or not behaviors:
            fail(INVALID, f"{path} -> behaviors", "behaviors must be a non-empty array")
        for i, b in enumerate(behaviors):
            where = f"{path} -> behaviors -> [{i}]"
            b = self.obj(b, where)
            if b.get("type") not in rules.BEHAVIOR_TYPES:
                fail(INVALID, where, f"behavior type {b.get('type')!r} is not one of {sorted(rules.BEHAVIOR_TYPES)}")
            if b["type"] == "callback" and not isinstance(b.get("value"), dict):
                fail(INVALID, f"{where} -> value", "a callback's value must be an object")
        if e.get("form_action_type") and "form" not in parents:
            fail(INVALID, path, "form_action_type outside a form")

    def _column_set(self, e: dict[str, Any], path: str, parents: tuple[str, ...]) -> None:
        columns = e.get("columns")
        if not isinstance(columns, list):
            fail(INVALID, f"{path} -> columns", "columns must be an array")
        for i, column in enumerate(columns):
            where = f"{path} -> columns -> [{i}]"
            column = self.obj(column, where)
            if column.get("tag") != "column":
                fail(INVALID, where, "a column_set holds only columns")
            self.counts["elements"] += 1
            self.props(column, rules.COMPONENTS["column"], where)
            self.elements(column.get("elements", []), f"{where} -> elements", (*parents, "column"))

    def _form(self, e: dict[str, Any], path: str, parents: tuple[str, ...]) -> None:
        self.elements(e["elements"], f"{path} -> elements", (*parents, "form"))
        if not any(b.get("form_action_type") == "submit" for b in walk(e["elements"], "button")):
            fail(INVALID, path, "a form needs a button with form_action_type submit")

    def _table(self, e: dict[str, Any], path: str, parents: tuple[str, ...]) -> None:
        columns = e["columns"]
        if not isinstance(columns, list) or not columns:
            fail(INVALID, f"{path} -> columns", "columns must be a non-empty array")
        kinds = {}
        for i, column in enumerate(columns):
            where = f"{path} -> columns -> [{i}]"
            self.props(self.obj(column, where), rules.TABLE_COLUMN, where)
            kinds[column["name"]] = column["data_type"]
        rows = e["rows"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            fail(BAD_ROWS, f"{path} -> rows", "rows must be an array of objects")
        for i, row in enumerate(rows):
            for name, value in row.items():
                if kinds.get(name) == "number" and value is not None and (
                        isinstance(value, bool) or not isinstance(value, (int, float))):
                    fail(BAD_CELL, f"{path} -> rows -> [{i}] -> {name}",
                         f"column {name} is a number column, got {type(value).__name__}")

    def _chart(self, e: dict[str, Any], path: str, parents: tuple[str, ...]) -> None:
        spec = e.get("chart_spec")
        if not isinstance(spec, dict):
            fail(BAD_CHART, path, "chart_spec must be an object")
        if not isinstance(spec.get("type"), str):
            fail(BAD_CHART, path, "chart_spec.type must be a string")
        data = spec.get("data")
        if not isinstance(data, (dict, list)):
            fail(BAD_CHART, path, "chart_spec.data must be an object or an array")

    def _select_static(self, e: dict[str, Any], path: str, parents: tuple[str, ...]) -> None:
        options = e.get("options")
        if not isinstance(options, list):
            fail(INVALID, f"{path} -> options", "options must be an array")
        for i, option in enumerate(options):
            where = f"{path} -> options -> [{i}]"
            option = self.obj(option, where)
            if not isinstance(option.get("value"), str):
                fail(INVALID, f"{where} -> value", "an option's value must be a string")
            self.text(option.get("text"), f"{where} -> text")

    # -- pieces -----------------------------------------------------------------------------

    def props(self, obj: dict[str, Any], rule: Rule, path: str) -> None:
        for key in rule.required:
            if key not in obj:
                fail(INVALID, path, f"{key} is required ({rule.doc})")
        for key, value in obj.items():
            if rule.strict and key not in rule.allowed:
                fail(INVALID, f"{path} -> {key}", f"unknown property {key!r} ({rule.doc})")
            allowed = rule.enums.get(key)
            if allowed is not None and value not in allowed:
                fail(INVALID, f"{path} -> {key}", f"{value!r} is not one of {sorted(map(str, allowed))}")

    def text(self, obj: Any, path: str) -> None:
        obj = self.obj(obj, path)
        if obj.get("tag") not in ("plain_text", "lark_md"):
            fail(INVALID, f"{path} -> tag", "a text's tag is plain_text or lark_md")
        self.counts["elements"] += 1
        self.props(obj, rules.TEXT, path)
        if not isinstance(obj.get("content"), str):
            fail(INVALID, f"{path} -> content", "content must be a string")

    def name(self, name: Any, path: str) -> None:
        if not isinstance(name, str) or not name:
            fail(INVALID, f"{path} -> name", "name must be a non-empty string")
        if name in self.names:
            fail(INVALID, f"{path} -> name", f"name {name!r} is used twice (also at {self.names[name]})")
        self.names[name] = path

    @staticmethod
    def obj(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            fail(INVALID, path, "must be a JSON object")
        return value


def walk(elements: list[Any], tag: str) -> Iterator[dict[str, Any]]:
    """Every component with this tag under `elements`, however deep."""
    for e in elements:
        if not isinstance(e, dict):
            continue
        if e.get("tag") == tag:
            yield e
        for column in e.get("columns") or ():
            if isinstance(column, dict):
                yield from walk(column.get("elements") or [], tag)
        yield from walk(e.get("elements") or [], tag)


def fail(code: int, path: str, message: str) -> NoReturn:
    raise _Refused(Violation(code, path, message))
