"""The score report printed after a grading run, and the Gradescope results.json written with --results.

The report is the learner's tutor: a line per exercise with its status and points; for a failure the most telling
failing check (one that names a known mistake, if any does), its message within a length limit that says when it
cuts, the learner's own line when their code raised, how many other checks failed, what their code printed, the
hint at the learner's current level and the guide section; a progress bar per chapter and for the course; and at
the end where to start (untouched stubs) or which exercise is next. Colour only where the terminal supports it (the
caller decides), plain characters otherwise (pipes, CI, Gradescope). English or Chinese (i18n.py).
"""
from __future__ import annotations

import json
import time
from itertools import groupby
from pathlib import Path

from autograder.engine import i18n, mistakes
from autograder.engine.feedback import Failure
from autograder.engine.outcomes import BROKEN, FAILED, HIDDEN, NOT_ATTEMPTED, PASSED, TIMEOUT, ExerciseResult, sort_key
from autograder.engine.textstyle import ReportStyle, bar, hint_lines, localised_hints, pad  # noqa: F401

MESSAGE_LINES = 8  # of one failure's message in the report; a cut says so, and how to see the rest
OUTPUT_LINES = 6  # of what the learner's code printed, under the exercise
SITE = "http://127.0.0.1:8000"


def _points(value: float) -> str:
    return f"{value:g}"


def chapter_title(chapter: str, lang: str = "en") -> str:
    return i18n.chapter_title(chapter, lang)


def ordered(exercises: list[ExerciseResult]) -> list[ExerciseResult]:
    return sorted(exercises, key=lambda e: sort_key(e.id))


def _show_all_command(exercise_id: str, style: ReportStyle) -> str:
    return i18n.t("explain" if style.explain else "tb short", style.lang, id=exercise_id)


def cut(lines: list[str], limit: int, note) -> list[str]:
    """At most `limit` lines: the head (what was called, what came back) and the tail (what was expected, what to
    do), with a line in between that says how many were cut. `note(count)` writes that line."""
    if len(lines) <= limit:
        return lines
    head = (limit - 1) // 2 + (limit - 1) % 2
    tail = limit - 1 - head
    return lines[:head] + [note(len(lines) - head - tail)] + (lines[-tail:] if tail else [])


def failure_lines(failure: Failure | str, style: ReportStyle, exercise_id: str = "") -> list[str]:
    """The named mistakes (in the learner's language, each on its own line), then the message within
    MESSAGE_LINES (a cut says so), then the learner's own line when their code raised."""
    if isinstance(failure, str):
        failure = Failure(failure, mistakes.found_in(failure))
    lines = [style.paint(mistakes.describe_in(m, style.lang), "mistake") for m in failure.mistakes]
    body = mistakes.without(failure.message, list(failure.mistakes)) if failure.mistakes else failure.message
    body_lines = [line for line in body.strip().splitlines() if line.strip()]
    command = _show_all_command(exercise_id, style) if exercise_id else "--tb=short"
    lines += cut(body_lines, MESSAGE_LINES, lambda count: i18n.t("cut", style.lang, count=count, command=command))
    if failure.location is not None:
        lines.append(i18n.t("your code", style.lang, where=failure.location.text()))
    return lines


def text_report(exercises: list[ExerciseResult], *, target: str, devices: str,
                style: ReportStyle | None = None, not_graded: list[tuple[str, str]] | None = None,
                points_not_graded: float = 0.0) -> str:
    """The score report. `not_graded`: (id, function) of the exercises a Ctrl-C left ungraded, whose points
    (`points_not_graded`) still count in the course's bar."""
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
        lines.extend(_exercise_lines(group, style, target))
    lines.append("")
    score, points = sum(e.score for e in exercises), sum(e.points for e in exercises) + points_not_graded
    lines.append(f"{pad(i18n.t('progress', lang), 36)} {bar(score, points, style)} "
                 f"{round(100 * score / points) if points else 0:>4}%")
    lines.append(_total_line(exercises, lang))
    hidden = sum(e.hidden_points for e in exercises)
    if hidden:
        lines.append(i18n.t("instructor points", lang, points=_points(sum(e.points for e in exercises)),
                            hidden=_points(hidden)))
    if not_graded:
        separator = i18n.t("separator", lang)
        shown = separator.join(f"{i} {f}" for i, f in not_graded[:8]) + (separator + "..." if len(not_graded) > 8 else "")
        lines.append(style.paint(i18n.t("interrupted", lang, ids=shown), "failed"))
    lines.extend(next_step_lines(exercises, target, style))
    return "\n".join(lines)


def next_step_lines(exercises: list[ExerciseResult], target: str, style: ReportStyle) -> list[str]:
    """Where to go from here: on untouched stubs where to start, after any other run the next exercise to do."""
    if not exercises:
        return []
    lang = style.lang
    ahead = [e for e in ordered(exercises) if e.status not in (PASSED, HIDDEN)]
    if not ahead:
        return [i18n.t("all done", lang)]
    upcoming = ahead[0]
    path = f"{target}{upcoming.chapter}.py"
    if all(_untouched(e) for e in exercises if e.status != HIDDEN):
        guide = i18n.guide_link(upcoming.guide, lang)
        return [i18n.t("start here", lang, id=upcoming.id, function=upcoming.function, path=path, guide=guide,
                       url=site_url(upcoming.guide, lang))]
    return [i18n.t("next", lang, id=upcoming.id, function=upcoming.function, path=path,
                   status=i18n.status_word(upcoming.status, lang))]


def _untouched(exercise: ExerciseResult) -> bool:
    """Not started: every check that did not pass met the stub's NotImplementedError (a check may pass on a stub,
    e.g. one that only asks for the class to exist)."""
    failing = exercise.failing()
    return bool(failing) and all(c.status == NOT_ATTEMPTED for c in failing)


def site_url(guide: str, lang: str = "en") -> str:
    """docs/en/chapters/ch01-tensors.md#ex-1-1 -> http://127.0.0.1:8000/chapters/ch01-tensors.html#ex-1-1 (the page
    `mkdocs serve` shows: mkdocs.yml has use_directory_urls: false; Chinese under /zh/)."""
    page, _, anchor = guide.partition("#")
    page = page.removeprefix("docs/en/").removesuffix(".md") + ".html"
    return f"{SITE}/{'zh/' if lang == 'zh' else ''}{page}" + (f"#{anchor}" if anchor else "")


def _exercise_lines(group: list[ExerciseResult], style: ReportStyle, target: str = "") -> list[str]:
    lines, shown_broken = [], set()
    for exercise in group:
        status = style.paint(pad(i18n.status_word(exercise.status, style.lang), 19), exercise.status)
        hidden = i18n.t("instructor suffix", style.lang, points=_points(exercise.hidden_points)) \
            if exercise.hidden_points else ""
        lines.append(f"  {exercise.id:<5} {exercise.function:<32} {status} "
                     f"{_points(exercise.score):>5} / {_points(exercise.points)}{hidden}")
        indent = " " * 8
        if exercise.status == BROKEN:  # the file does not import: say why once per chapter; hints would not help
            message = exercise.first_failure.removeprefix("[cpu] ")
            if message not in shown_broken:
                shown_broken.add(message)
                lines.extend(indent + line for line in message.strip().splitlines()[:MESSAGE_LINES])
        elif exercise.status not in (PASSED, NOT_ATTEMPTED, HIDDEN):
            lines.extend(indent + line for line in _failed_lines(exercise, style))
        if exercise.status != BROKEN:
            lines.extend(indent + line for line in output_lines(exercise.output, style))
    return lines


def _failed_lines(exercise: ExerciseResult, style: ReportStyle) -> list[str]:
    """The most telling failure (one that names a known mistake, if any check's does), how many others failed, the
    hint and the guide."""
    lines = []
    telling = exercise.telling()
    if telling is not None:
        lines += failure_lines(telling[1], style, exercise.id)
    others = len([c for c in exercise.failing() if c.status != NOT_ATTEMPTED]) - 1
    if others > 0:
        command = _show_all_command(exercise.id, style)
        lines.append(i18n.t("one more failed" if others == 1 else "more failed", style.lang, count=others,
                            command=command))
    lines += hint_lines(exercise, style)
    guide = i18n.guide_link(exercise.guide, style.lang)
    lines.append(style.paint(i18n.t("guide", style.lang, guide=guide), "guide"))
    return lines


def output_lines(output: str, style: ReportStyle, limit: int = OUTPUT_LINES) -> list[str]:
    """What the learner's code printed, the first `limit` lines, each behind a bar so it reads as theirs."""
    printed = output.splitlines()
    if not printed:
        return []
    runs: list[list] = []  # [line, times]: a line printed many times in a row (a check calls your code often) once
    for line in printed:
        if runs and runs[-1][0] == line:
            runs[-1][1] += 1
        else:
            runs.append([line, 1])
    shown = i18n.t("printed first", style.lang, count=limit) if len(runs) > limit else ""
    return [i18n.t("printed", style.lang, count=len(printed), shown=shown)] + \
        [f"| {line}" + (f"   (x{times})" if times > 1 else "") for line, times in runs[:limit]]


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
            if check.status == HIDDEN:  # the learner edition's: no points either way, and no status to claim
                tests.append({"name": f"{exercise.id} {exercise.function}: {check.question}", "number": exercise.id,
                              "score": 0.0, "max_score": 0.0, "output": i18n.t("instructor", plain.lang) + ": "
                              + next(m for _, s, m in check.runs if s == HIDDEN), "visibility": visibility})
                continue
            failure = check.failure
            output = ""
            if failure is not None:
                guide = i18n.guide_link(exercise.guide, plain.lang)
                output = "\n".join(failure_lines_full(failure, plain) + hint_lines(exercise, plain)
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


def failure_lines_full(failure: Failure | str, style: ReportStyle) -> list[str]:
    """Like failure_lines, without cutting the message short (results.json and `coursekit explain` have room)."""
    if isinstance(failure, str):
        failure = Failure(failure, mistakes.found_in(failure))
    named = list(failure.mistakes)
    head = [mistakes.describe_in(m, style.lang) for m in named]
    lines = head + (mistakes.without(failure.message, named) if named else failure.message).splitlines()
    if failure.location is not None:
        lines.append(i18n.t("your code", style.lang, where=failure.location.text()))
    return lines


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
