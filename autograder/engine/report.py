"""The score report printed after a grading run, and the Gradescope results.json written with --results.

The report is the learner's tutor: a line per exercise with its status and points; for a failure the known mistake
it matches (if any), the first failing message, the hint at the learner's current level and the guide section;
a progress bar per chapter and for the course. Colour only where the terminal supports it (the caller decides),
plain characters otherwise (pipes, CI, Gradescope). English or Chinese (i18n.py).
"""
from __future__ import annotations

import json
import time
from itertools import groupby
from pathlib import Path

from autograder.engine import i18n, mistakes
from autograder.engine.outcomes import BROKEN, FAILED, NOT_ATTEMPTED, PASSED, TIMEOUT, ExerciseResult, sort_key
from autograder.engine.textstyle import ReportStyle, bar, hint_lines, localised_hints, pad  # noqa: F401

MESSAGE_LINES = 8


def _points(value: float) -> str:
    return f"{value:g}"


def chapter_title(chapter: str, lang: str = "en") -> str:
    return i18n.chapter_title(chapter, lang)


def ordered(exercises: list[ExerciseResult]) -> list[ExerciseResult]:
    return sorted(exercises, key=lambda e: sort_key(e.id))


def failure_lines(message: str, style: ReportStyle) -> list[str]:
    """The named mistake (translated, on its own line), then the first lines of the message."""
    named = mistakes.found_in(message)
    lines = [style.paint(mistakes.describe_in(m, style.lang), "mistake") for m in named]
    body = mistakes.without(message, named).strip().splitlines() if named else message.strip().splitlines()
    return lines + body[:MESSAGE_LINES]


def text_report(exercises: list[ExerciseResult], *, target: str, devices: str,
                style: ReportStyle | None = None) -> str:
    style = style or ReportStyle()
    lang = style.lang
    lines = [i18n.t("graded", lang, target=target)]
    if style.integrity:
        digest, state = style.integrity
        lines.append(i18n.t("autograder", lang, digest=digest[:16], state=i18n.t(state, lang)))
    lines += [i18n.devices_line(devices, lang), ""]
    for chapter, group in groupby(ordered(exercises), key=lambda e: e.chapter):
        group = list(group)
        score, points = sum(e.score for e in group), sum(e.points for e in group)
        lines.append(f"{pad(style.paint(chapter_title(chapter, lang), 'title'), 36 + len(style.paint('', 'title')))}"
                     f" {bar(score, points, style)} {_points(score):>5} / {_points(points)}")
        lines.extend(_exercise_lines(group, style))
    lines.append("")
    score, points = sum(e.score for e in exercises), sum(e.points for e in exercises)
    lines.append(f"{pad(i18n.t('progress', lang), 36)} {bar(score, points, style)} "
                 f"{round(100 * score / points) if points else 0:>4}%")
    lines.append(_total_line(exercises, lang))
    return "\n".join(lines)


def _exercise_lines(group: list[ExerciseResult], style: ReportStyle) -> list[str]:
    lines, shown_broken = [], set()
    for exercise in group:
        status = style.paint(pad(i18n.status_word(exercise.status, style.lang), 19), exercise.status)
        lines.append(f"  {exercise.id:<5} {exercise.function:<32} {status} "
                     f"{_points(exercise.score):>5} / {_points(exercise.points)}")
        indent = " " * 8
        if exercise.status == BROKEN:  # the file does not import: say why once per chapter; hints would not help
            message = exercise.first_failure.removeprefix("[cpu] ")
            if message not in shown_broken:
                shown_broken.add(message)
                lines.extend(indent + line for line in message.strip().splitlines()[:MESSAGE_LINES])
        elif exercise.status not in (PASSED, NOT_ATTEMPTED):
            lines.extend(indent + line for line in failure_lines(exercise.first_failure, style))
            lines.extend(indent + line for line in hint_lines(exercise, style))
            guide = i18n.guide_link(exercise.guide, style.lang)
            lines.append(indent + style.paint(i18n.t("guide", style.lang, guide=guide), "guide"))
    return lines


def _total_line(exercises: list[ExerciseResult], lang: str = "en") -> str:
    score, points = sum(e.score for e in exercises), sum(e.points for e in exercises)
    counts = {}
    for exercise in exercises:
        word = FAILED if exercise.status == TIMEOUT else exercise.status
        counts[word] = counts.get(word, 0) + 1
    parts = i18n.t("separator", lang).join(i18n.t("count", lang, count=counts[w], status=i18n.status_word(w, lang))
                                           for w in (PASSED, FAILED, NOT_ATTEMPTED, BROKEN) if w in counts)
    return i18n.t("total", lang, score=_points(score), points=_points(points), parts=parts)


def gradescope_results(exercises: list[ExerciseResult], *, report: str, started: float,
                       visibility: str = "visible", style: ReportStyle | None = None) -> dict:
    """Gradescope's results.json: https://gradescope-autograders.readthedocs.io/en/latest/specs/"""
    style = style or ReportStyle()
    plain = ReportStyle(lang=style.lang, hint_levels=style.hint_levels, integrity=style.integrity)
    tests = []
    for exercise in ordered(exercises):
        for check in exercise.checks.values():
            output = check.message
            if output:
                guide = i18n.guide_link(exercise.guide, plain.lang)
                output = "\n".join(failure_lines_full(output, plain) + hint_lines(exercise, plain)
                                   + [i18n.t("guide", plain.lang, guide=guide)])
            tests.append({
                "name": f"{exercise.id} {exercise.function}: {check.question}",
                "number": exercise.id,
                "score": check.score,
                "max_score": check.points,
                "status": "passed" if check.status == PASSED else "failed",
                "output": output,
                "visibility": visibility,
            })
    results = {
        "score": sum(e.score for e in exercises),
        "max_score": sum(e.points for e in exercises),
        "execution_time": round(time.time() - started, 2),
        "output": report,
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if style.integrity:
        digest, state = style.integrity
        results["extra_data"] = {"autograder_sha256": digest, "autograder_integrity": state}
    return results


def failure_lines_full(message: str, style: ReportStyle) -> list[str]:
    """Like failure_lines, without cutting the message short (results.json has room)."""
    named = mistakes.found_in(message)
    head = [mistakes.describe_in(m, style.lang) for m in named]
    return head + (mistakes.without(message, named) if named else message).splitlines()


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
