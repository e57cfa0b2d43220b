"""How many seats a message asks for: "for 8 people", "10-seater", "能坐十个人", "room for 5"."""
from __future__ import annotations

import re

_RULES = (
    re.compile(r"(?<![\d.:])(\d{1,4})\s*-?\s*(?:people|persons?|ppl|pax|guests?|attendees|"
               r"participants|folks|heads|seats?|seater|pp)(?![a-z])"),
    re.compile(r"(?:能坐|可坐|坐得下|坐下|可容纳|容纳|至少|坐)\s*(\d{1,4})\s*(?:个|名)?\s*(?:人|位)?"),
    re.compile(r"(?<![\d.:])(\d{1,4})\s*(?:个|名)?\s*(?:人|位)(?!以下)"),
    re.compile(r"\b(?:for|fits?|seats?|seating|holds?|capacity(?:\s+of)?|at\s+least|min(?:imum)?)"
               r"\s+(\d{1,4})(?![\d:])(?!\s*(?:f\b|楼|层|点|pm|am))"),
)


def find_capacity(text: str) -> tuple[int, list[tuple[int, int]]]:
    """The seat count asked for (0 if none) and the span it was read from."""
    for rule in _RULES:
        match = rule.search(text)
        if match and int(match.group(1)) > 0:
            return int(match.group(1)), [match.span()]
    return 0, []
