"""The dashboard's chart specs, drawn in the browser by the VChart the package serves (the one
the chart test pins for Feishu's cards). Pure: numbers in, VChart spec dicts out.

Like the cards' specs they set `"media": []`, so a spec draws the same wherever it is drawn.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WEEKDAYS = {"zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
HEAT = ["#e8f3ff", "#bedaff", "#94bfff", "#5f9bff", "#3370ff", "#1d4fd1", "#0f2f8f"]


def _title(text: str) -> dict[str, Any]:
    return {"visible": True, "text": text}


def heatmap(cells: Sequence[dict[str, Any]], lang: str, title: str) -> dict[str, Any]:
    """Weekday (rows) × hour (columns), coloured by the share of the hour held (%)."""
    names = WEEKDAYS[lang]
    values = [{"hour": c["hour"], "weekday": names[c["weekday"]], "value": c["value"] or 0}
              for c in cells]
    return {
        "type": "heatmap", "title": _title(title), "media": [],
        "data": [{"id": "cells", "values": values}],
        "xField": "hour", "yField": "weekday", "valueField": "value",
        "cell": {"style": {"fill": {"field": "value", "scale": "color"}, "stroke": "#ffffff",
                           "lineWidth": 1}},
        "color": {"type": "linear", "domain": [{"dataId": "cells", "fields": ["value"]}],
                  "range": HEAT},
        "label": {"visible": True, "formatter": "{value}", "smartInvert": True},
        "axes": [{"orient": "bottom", "type": "band", "grid": {"visible": False}},
                 {"orient": "left", "type": "band", "grid": {"visible": False},
                  "inverse": True}],
        "legends": {"visible": True, "type": "color", "orient": "right", "field": "value"},
    }


def lines(points: Sequence[dict[str, Any]], x: str, y: str, series: str, title: str,
          percent: bool = False) -> dict[str, Any]:
    """One line per `series` value over `x` (weeks)."""
    axis: dict[str, Any] = {"orient": "left", "type": "linear", "min": 0}
    if percent:
        axis["max"] = 100
    return {
        "type": "line", "title": _title(title), "media": [],
        "data": {"values": [p for p in points if p[y] is not None]},
        "xField": x, "yField": y, "seriesField": series,
        "point": {"visible": True},
        "axes": [{"orient": "bottom", "type": "band"}, axis],
        "legends": {"visible": True, "orient": "bottom"},
    }


def bars(rows: Sequence[dict[str, Any]], category: str, value: str, title: str,
         series: str | None = None) -> dict[str, Any]:
    """Vertical bars of `value` per `category` (grouped by `series` when given)."""
    spec: dict[str, Any] = {
        "type": "bar", "title": _title(title), "media": [],
        "data": {"values": list(rows)}, "xField": [category, series] if series else category,
        "yField": value, "label": {"visible": True},
        "axes": [{"orient": "bottom", "type": "band"}, {"orient": "left", "type": "linear", "min": 0}],
    }
    if series:
        spec["seriesField"] = series
        spec["legends"] = {"visible": True, "orient": "bottom"}
    return spec
