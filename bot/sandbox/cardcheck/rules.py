"""Card JSON 2.0 component rules, one table per tag roombot uses, transcribed from Feishu's pages.

A table lists every property its page documents (`allowed`), the required ones, and enums. Pages
not transcribed property by property are marked `strict=False`: only their required properties
and enums are checked, every other property is let through (the docs are not silent, but this
sandbox does not claim to know them all, so it never invents a refusal).
"""
from __future__ import annotations

from dataclasses import dataclass, field

DOCS = "https://open.feishu.cn/document/feishu-cards/"
COMMON = frozenset({"tag", "element_id", "margin"})  # every 2.0 component [card-json-v2-structure]
SPACING = None  # "small" | "medium" | "large" | "extra_large" | "<n>px": checked as a string


@dataclass(frozen=True)
class Rule:
    """What one tag may carry."""

    doc: str
    allowed: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    enums: dict[str, frozenset[object]] = field(default_factory=dict)
    strict: bool = True  # False: properties not in `allowed` are not refused (see module doc)


def _rule(doc: str, allowed: str, required: str = "", strict: bool = True,
          **enums: tuple[object, ...]) -> Rule:
    return Rule(DOCS + doc, COMMON | frozenset(allowed.split()), frozenset(required.split()),
                {k: frozenset(v) for k, v in enums.items()}, strict)


ALIGN = ("left", "center", "right")
VALIGN = ("top", "center", "bottom")
HEADER_COLORS = ("blue", "wathet", "turquoise", "green", "yellow", "orange", "red", "carmine",
                 "violet", "purple", "indigo", "grey", "default")

# The card and its top-level objects [card-json-v2-structure].
CARD = _rule("card-json-v2-structure", "schema config card_link header body")
CONFIG = _rule("card-json-v2-structure", "streaming_mode streaming_config summary locales "
               "enable_forward update_multi width_mode use_custom_translation "
               "enable_forward_interaction style", width_mode=("default", "compact", "fill"))
HEADER = _rule("card-json-v2-structure", "title subtitle text_tag_list i18n_text_tag_list template "
               "icon padding", "title", template=HEADER_COLORS)
BODY = _rule("card-json-v2-structure", "direction padding horizontal_spacing horizontal_align "
             "vertical_spacing vertical_align elements", direction=("vertical", "horizontal"),
             horizontal_align=ALIGN, vertical_align=VALIGN)
TEXT = _rule("card-json-v2-components/content-components/plain-text",
             "content i18n_content text_size text_color text_align lines", "content",
             strict=False)  # a text object (title, button text, placeholder): lenient

COMPONENTS: dict[str, Rule] = {
    "button": _rule(
        "card-json-v2-components/interactive-components/button",
        # `value` is the historical callback value, still in the page's own examples
        "type size width text icon hover_tips disabled disabled_tips confirm behaviors "
        "name form_action_type value", "behaviors",
        type=("default", "primary", "danger", "text", "primary_text", "danger_text",
              "primary_filled", "danger_filled", "laser"),
        size=("tiny", "small", "medium", "large"), form_action_type=("submit", "reset")),
    "column_set": _rule(
        "card-json-v2-components/containers/column-set",
        "horizontal_spacing horizontal_align flex_mode background_style action columns", "columns",
        flex_mode=("none", "stretch", "flow", "bisect", "trisect"), horizontal_align=ALIGN),
    "column": _rule(
        "card-json-v2-components/containers/column-set",
        "background_style width weight horizontal_spacing horizontal_align vertical_align "
        "vertical_spacing direction padding elements action",
        horizontal_align=ALIGN, vertical_align=VALIGN, direction=("vertical", "horizontal"),
        weight=(1, 2, 3, 4, 5)),
    "form": _rule(
        "card-json-v2-components/containers/form-container",
        "direction horizontal_spacing vertical_spacing horizontal_align vertical_align padding "
        "name elements", "name elements", direction=("vertical", "horizontal"),
        horizontal_align=ALIGN, vertical_align=VALIGN),
    "table": _rule(
        "card-json-v2-components/content-components/table",
        "page_size row_height row_max_height freeze_first_column header_style columns rows",
        "columns rows", page_size=tuple(range(1, 11))),
    # Transcribed for required properties and enums only (strict=False), see the module doc.
    "markdown": _rule("card-json-v2-components/content-components/rich-text",
                      "content text_align text_size icon i18n_content href", "content",
                      strict=False, text_align=ALIGN),
    "div": _rule("card-json-v2-components/content-components/plain-text", "text icon", "text",
                 strict=False),
    "hr": _rule("card-json-v2-components/content-components/divider", "", strict=False),
    "chart": _rule("card-json-v2-components/content-components/chart",
                   "chart_spec aspect_ratio color_theme preview height", "chart_spec", strict=False,
                   aspect_ratio=("1:1", "2:1", "4:3", "16:9")),
    "input": _rule("card-json-v2-components/interactive-components/input",
                   "name required placeholder default_value width max_length", "", strict=False),
    "date_picker": _rule("card-json-v2-components/interactive-components/date-picker",
                         "name required placeholder initial_date width", "", strict=False),
    "picker_time": _rule("card-json-v2-components/interactive-components/time-selector",
                         "name required placeholder initial_time width", "", strict=False),
    "select_static": _rule("card-json-v2-components/interactive-components/single-select-dropdown-menu",
                           "name required placeholder options initial_option width type",
                           "options", strict=False),
}
TABLE_COLUMN = _rule("card-json-v2-components/content-components/table",
                     "name display_name width vertical_align horizontal_align data_type format "
                     "date_format", "name data_type",
                     data_type=("text", "lark_md", "options", "number", "persons", "date", "markdown"),
                     vertical_align=VALIGN, horizontal_align=ALIGN)
BEHAVIOR_TYPES = frozenset({"open_url", "callback"})  # [configuring-card-interactions]

# Tags of card JSON 1.0 that 2.0 no longer supports [card-json-v2-breaking-changes-release-notes]:
# sending one gives 200861.
V1_ONLY = frozenset({"action", "note"})
# Where a component may sit [each page's 嵌套规则].
ROOT_ONLY = frozenset({"form", "table"})  # "只可放在卡片根节点下"
NOT_IN_FORM = frozenset({"form", "table", "chart"})  # form-container: 不支持内嵌表格、图表、和表单容器
NOT_IN_COLUMN = frozenset({"form", "table"})  # column-set: 支持内嵌除表单容器和表格组件外的其它所有组件
INTERACTIVE = frozenset({"input", "date_picker", "picker_time", "select_static", "button",
                         "checker", "picker_datetime", "select_person", "multi_select_static"})

MAX_ELEMENTS = 200  # card-json-v2-structure: 一张卡片最多支持 200 个元素或组件 (11310)
MAX_TABLES = 5  # table: 单张卡片最多支持放置五个表格组件
MAX_CHARTS = 5  # chart page: at most five charts a card
