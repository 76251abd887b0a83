"""Text styling shared by the score report and the kit's commands: colour, widths, bars, hints at a level.

No torch here (the `coursekit` commands import it and should start fast).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from autograder.engine import i18n

BAR_WIDTH = 20
_COLOURS = {"passed": "32", "failed": "31", "timeout": "31", "not attempted": "33", "broken": "35",
            "mistake": "1;33", "hint": "36", "guide": "34", "bar": "32", "title": "1"}


@dataclass
class ReportStyle:
    """How the report is written: language, colour, hint levels, the autograder's integrity."""

    lang: str = "en"
    colour: bool = False
    hint_levels: dict[str, int] = field(default_factory=dict)
    integrity: tuple[str, str] | None = None   # (sha256, "unmodified" | "modified" | "no manifest")
    explain: bool = False  # can `coursekit explain N.M` show this run's failures (they are in the progress store)?

    def paint(self, text: str, what: str) -> str:
        return f"\033[{_COLOURS[what]}m{text}\033[0m" if self.colour and what in _COLOURS else text


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def bar(done: float, total: float, style: ReportStyle, width: int = BAR_WIDTH) -> str:
    """[#######-------------] in plain text; solid blocks in colour."""
    filled = round(width * done / total) if total else 0
    if style.colour:
        return style.paint("█" * filled, "bar") + "░" * (width - filled)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def hint_lines(exercise, style: ReportStyle) -> list[str]:
    """The hint at the learner's level: hints[0] is the nudge, `coursekit hint N.M` asks for the next. The report
    stays on the most explicit concrete hint reached: `coursekit hint` ends with a pointer into the guide, but the
    report never swaps a concrete hint for it (the guide has its own line under the hint)."""
    hints = localised_hints(exercise.id, exercise.hints, style.lang, getattr(exercise, "hints_zh", None))
    count = len(hints) + 1  # the levels of `coursekit hint`: the hints, then the guide
    level = min(style.hint_levels.get(exercise.id, 0), len(hints) - 1)
    text = i18n.t("hint", style.lang, level=level + 1, count=count, text=hints[level])
    if level < len(hints) - 1:
        text += " " + i18n.t("more hints", style.lang, id=exercise.id)
    return [style.paint(text, "hint")]


def localised_hints(exercise_id: str, hints: list[str], lang: str, hints_zh: list[str] | None = None) -> list[str]:
    """The hints in the report's language; the English ones where a translation is missing or out of step."""
    if lang != "zh":
        return list(hints)
    translated = list(hints_zh or [])
    return translated if len(translated) == len(hints) else list(hints)


