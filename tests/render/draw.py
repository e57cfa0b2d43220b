"""Draw card chart elements with the real VChart in Node (tests/render/vchart) and judge the PNGs.

Feishu clients draw a card's `chart` element with the VChart they embed (1.10 in clients
7.16-7.26, 1.12 from 7.27). `draw` sends every element to one Node process, which draws each with
every pinned version at a desktop and a mobile width and counts the pixels in the series colours.
A spec whose fields do not match its data draws axes and a title but no bar, and no error.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RENDERER = Path(__file__).with_name("vchart")
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian's fonts-wqy-microhei
FONT_FAMILY = "WenQuanYi Micro Hei"
SCREENS = {"desktop": 600, "mobile": 343}  # the chart's width in a card: a chat pane, a phone
DPR = 2
MIN_DATA_SHARE = 0.005  # below half a percent of the image in series colours: nothing was drawn
MIN_SERIES_SHARE = 0.001  # a series colour on less than this is a legend symbol, not bars
INSTALL = "run `sh scripts/ensure_chart_tools.sh` (Debian's fonts-wqy-microhei and npm ci)"


@dataclass(frozen=True)
class Drawing:
    """One chart drawn by one VChart version at one width."""

    name: str  # the chart and screen, e.g. "usage-by-room-zh.mobile"
    vchart: str  # the package alias, e.g. "vchart-1.10"
    version: str  # the VChart version behind it, e.g. "1.10.3"
    ok: bool  # drawn without an exception
    error: str | None
    logged: tuple[str, ...]  # what VChart wrote on the console while drawing
    png: Path
    data_pixels: int  # pixels in the series colours: bars and their labels
    colours: Mapping[str, int]  # those pixels by series colour, e.g. {"#1664ff": 81234}
    width: int  # of the PNG, in device pixels
    height: int

    @property
    def drew_data(self) -> bool:
        """Whether the chart shows its data, not only axes and a title."""
        return self.ok and self.data_pixels >= MIN_DATA_SHARE * self.width * self.height

    @property
    def series_drawn(self) -> int:
        """How many series colours cover more than a legend symbol would."""
        return sum(n >= MIN_SERIES_SHARE * self.width * self.height for n in self.colours.values())


def unavailable() -> str | None:
    """Why charts cannot be drawn here, or None when Node, the packages and the font are in place."""
    if shutil.which("node") is None:
        return f"Node.js is not installed; {INSTALL}"
    manifest = json.loads((RENDERER / "package.json").read_text())
    missing = [name for name in manifest["dependencies"]
               if not (RENDERER / "node_modules" / name / "package.json").exists()]
    if missing:
        return f"the chart renderer's packages are not installed ({', '.join(missing)}); {INSTALL}"
    if not FONT.exists():
        return f"the CJK font {FONT} is missing; {INSTALL}"
    return None


def size(element: Mapping[str, Any], width: int) -> tuple[int, int]:
    """The chart's size in CSS pixels at `width`, as Feishu lays it out: a fixed height ("300px")
    wins over the aspect ratio ("16:9", the default)."""
    height = str(element.get("height", "auto"))
    if height.endswith("px"):
        return width, int(height[:-2])
    across, down = (int(n) for n in str(element.get("aspect_ratio", "16:9")).split(":"))
    return width, round(width * down / across)


def draw(elements: Mapping[str, Mapping[str, Any]], out: Path, timeout: float = 300) -> list[Drawing]:
    """Draw each named chart element at every screen width with every pinned VChart version,
    in one Node process; the PNGs go to `out` as <name>.<screen>.<alias>.png."""
    jobs = []
    for name, element in elements.items():
        for screen, screen_width in SCREENS.items():
            width, height = size(element, screen_width)
            jobs.append({"name": f"{name}.{screen}", "spec": element["chart_spec"],
                         "width": width, "height": height})
    request = {"out": str(out), "font": {"path": str(FONT), "family": FONT_FAMILY}, "dpr": DPR,
               "jobs": jobs}
    done = subprocess.run(["node", str(RENDERER / "render.mjs")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the chart renderer failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    return [Drawing(name=r["name"], vchart=r["vchart"], version=report["versions"][r["vchart"]],
                    ok=r["ok"], error=r["error"], logged=tuple(r["logged"]), png=Path(r["png"]),
                    data_pixels=r["data_pixels"], colours=r["colours"], width=r["width"],
                    height=r["height"])
            for r in report["results"]]
