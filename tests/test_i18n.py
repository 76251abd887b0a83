"""Feedback in English or Chinese, by choice or locale, from the same checks: is every part of the frame, every status
and every named mistake translated, and are the Chinese hints complete?"""
from __future__ import annotations

import re

import pytest

from autograder.engine import catalog, i18n, mistakes
from autograder.engine.outcomes import Check, ExerciseResult
from autograder.engine.report import ReportStyle, text_report
from tests.grading import grade

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("explicit, environ, expected", [
    ("zh", {"COURSEKIT_LANG": "en"}, "zh"),
    (None, {"COURSEKIT_LANG": "zh_CN", "LANG": "en_US.UTF-8"}, "zh"),
    (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, {"LANG": "C.UTF-8"}, "en"),
    (None, {}, "en"),
])
def test_language_choice_order(explicit, environ, expected):
    assert i18n.choose(explicit, environ) == expected


def test_every_named_mistake_has_english_and_chinese():
    for mistake in mistakes.CATALOG.values():
        assert mistake.name and mistake.advice and CJK.search(mistake.name_zh) and CJK.search(mistake.advice_zh)
        assert mistakes.found_in("context\n" + mistakes.describe(mistake.id)) == [mistake.id]


def exercise(status, message=""):
    result = ExerciseResult("1.1", "add_bias_column", "ch01_tensors", ["h1", "h2"],
                            "docs/en/chapters/ch01-tensors.md#ex-1-1")
    check = Check("test_a", "q", 2)
    check.runs.append(("test_a", status, message))
    result.checks["test_a"] = check
    return result


def test_chinese_report_frame_is_fully_translated():
    message = "Called add_bias_column(x).\n" + mistakes.describe("dims_swapped")
    report = text_report([exercise("failed", message)], target="exercises/", devices="Devices checked: cpu.",
                         style=ReportStyle(lang="zh", integrity=("0" * 64, "unmodified")))
    frame = report.replace("Called add_bias_column(x).", "").replace("add_bias_column", "")
    for english in ("Graded", "Autograder", "Chapter", "failed", "Known mistake", "Hint", "Guide", "Total", "points",
                    "Exercises", "Progress", "unmodified", "Devices checked"):
        assert english not in frame, english
    assert "维度顺序反了" in report and "docs/zh/chapters/ch01-tensors.md#ex-1-1" in report
    assert "总分：0 / 2 分。练习：未通过 1 个。" in report


def test_every_exercise_has_two_hints_and_chinese_ones_match():
    """At least two hints per exercise; a Chinese translation, where there is one, has as many hints."""
    entries = catalog.read()
    assert len(entries) >= 40
    few = [e.id for e in entries.values() if len(e.hints) < 2]
    assert not few, f"exercises with fewer than two hints: {few}"
    stale = [e.id for e in entries.values() if e.hints_zh and len(e.hints_zh) != len(e.hints)]
    assert not stale, f"Chinese hints out of step with the English ones: {stale}"
    untranslated = [e.id for e in entries.values() if not e.hints_zh]
    assert not untranslated, f"exercises without Chinese hints (hints_zh=[...] beside hints=[...]): {untranslated}"


def test_a_real_run_in_chinese():
    graded = grade("solutions", "autograder/test_ch02_autograd.py", extra=("--lang", "zh"))
    report = graded.output.split("score report")[-1]
    assert "第 02 章 · 自动求导" in report and "总分：" in report and "通过" in report and "Total:" not in report
