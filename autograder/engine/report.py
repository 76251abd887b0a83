"""The score report printed after a grading run, and the Gradescope results.json written with --results."""
from __future__ import annotations

import json
import time
from itertools import groupby
from pathlib import Path

from autograder.engine.outcomes import NOT_ATTEMPTED, PASSED, TIMEOUT, ExerciseResult, sort_key

_STATUS_WORD = {TIMEOUT: "failed (time limit)"}


def _points(value: float) -> str:
    return f"{value:g}"


def chapter_title(chapter: str) -> str:
    number, _, topic = chapter.partition("_")
    return f"Chapter {number[2:]} · {topic.replace('_', ' ').capitalize()}"


def ordered(exercises: list[ExerciseResult]) -> list[ExerciseResult]:
    return sorted(exercises, key=lambda e: sort_key(e.id))


def text_report(exercises: list[ExerciseResult], *, target: str, devices: str) -> str:
    lines = [f"Graded: {target}", devices, ""]
    for chapter, group in groupby(ordered(exercises), key=lambda e: e.chapter):
        group = list(group)
        score, points = sum(e.score for e in group), sum(e.points for e in group)
        lines.append(f"{chapter_title(chapter):<58} {_points(score):>5} / {_points(points)}")
        lines.extend(_exercise_lines(group))
    lines.append("")
    lines.append(_total_line(exercises))
    return "\n".join(lines)


def _exercise_lines(group: list[ExerciseResult]) -> list[str]:
    lines = []
    for exercise in group:
        status = _STATUS_WORD.get(exercise.status, exercise.status)
        lines.append(f"  {exercise.id:<5} {exercise.function:<32} {status:<19} "
                     f"{_points(exercise.score):>5} / {_points(exercise.points)}")
        if exercise.status not in (PASSED, NOT_ATTEMPTED):
            message = exercise.first_failure.strip().splitlines()
            lines.extend(f"        {line}" for line in message[:8])
            lines.append(f"        Hint: {exercise.hints[0]}")
            lines.append(f"        Guide: {exercise.guide}")
    return lines


def _total_line(exercises: list[ExerciseResult]) -> str:
    score, points = sum(e.score for e in exercises), sum(e.points for e in exercises)
    counts = {}
    for exercise in exercises:
        word = "failed" if exercise.status == TIMEOUT else exercise.status
        counts[word] = counts.get(word, 0) + 1
    parts = ", ".join(f"{counts[w]} {w}" for w in ("passed", "failed", "not attempted", "broken") if w in counts)
    return f"Total: {_points(score)} / {_points(points)} points. Exercises: {parts}."


def gradescope_results(exercises: list[ExerciseResult], *, report: str, started: float,
                       visibility: str = "visible") -> dict:
    """Gradescope's results.json: https://gradescope-autograders.readthedocs.io/en/latest/specs/"""
    tests = []
    for exercise in ordered(exercises):
        for check in exercise.checks.values():
            output = check.message
            if output:
                output += f"\nHint: {exercise.hints[0]}\nGuide: {exercise.guide}"
            tests.append({
                "name": f"{exercise.id} {exercise.function}: {check.question}",
                "number": exercise.id,
                "score": check.score,
                "max_score": check.points,
                "status": "passed" if check.status == PASSED else "failed",
                "output": output,
                "visibility": visibility,
            })
    return {
        "score": sum(e.score for e in exercises),
        "max_score": sum(e.points for e in exercises),
        "execution_time": round(time.time() - started, 2),
        "output": report,
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
