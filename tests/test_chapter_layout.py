"""Is every chapter guide laid out the same way, in both languages?

The order (issue 13): a title and an introduction; the chapter's teaching sections; its exercises, each with its
stub (and on a Chinese page the Chinese specification right after it), then what is checked, then the common
mistakes; then "grade this chapter"; then a summary and two or three open "try this" questions, in that order, last.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [p for language in ("en", "zh") for p in sorted((ROOT / "docs" / language / "chapters").glob("ch*.md"))]
WORDS = {
    "en": {"exercise": "Exercise", "grade": "Grade this chapter", "summary": "Summary", "try": "Try this",
           "checked": "**What is checked.**", "mistakes": "**Common mistakes"},
    "zh": {"exercise": "练习", "grade": "为本章评分", "summary": "小结", "try": "动手试试",
           "checked": "**检查内容。**", "mistakes": "**常见错误"},
}
ZH_SPEC = '!!! abstract "中文规格"'


def language(path: Path) -> str:
    return path.parent.parent.name


def sections(text: str) -> list[tuple[str, list[str]]]:
    """(level-2 heading, its lines) in order; the part before the first one is keyed ''. Code fences are skipped."""
    out, heading, lines, fenced = [], "", [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            out.append((heading, lines))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    out.append((heading, lines))
    return out


def first_line(lines: list[str], predicate) -> int | None:
    return next((i for i, line in enumerate(lines) if predicate(line)), None)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT / "docs").as_posix())
def test_chapter_page_sections_come_in_order(path):
    words = WORDS[language(path)]
    text = path.read_text(encoding="utf-8")
    parts = sections(text)
    title, intro = parts[0]
    assert any(line.startswith("# ") for line in intro), f"{path.name}: no title"
    assert sum(1 for line in intro if line.strip() and not line.startswith("# ")) >= 1, f"{path.name}: no introduction"
    headings = [h for h, _ in parts[1:]]
    kinds = ["exercise" if h.startswith(words["exercise"] + " ") else
             "grade" if h == words["grade"] else "summary" if h == words["summary"] else
             "try" if h == words["try"] else "teaching" for h in headings]
    assert kinds[-3:] == ["grade", "summary", "try"], f"{path.name}: the page should end with " \
        f"{words['grade']!r}, {words['summary']!r}, {words['try']!r}; it ends with {headings[-3:]}"
    body = kinds[:-3]
    assert "exercise" in body, f"{path.name}: no exercise section"
    first_exercise = body.index("exercise")
    assert body[first_exercise:] == ["exercise"] * (len(body) - first_exercise), \
        f"{path.name}: teaching sections must come before the exercises, and the exercises together: {headings}"
    assert first_exercise >= 1, f"{path.name}: no teaching section before the exercises"
    chapter = int(re.search(r"ch(\d\d)", path.name).group(1))
    ids = [re.search(r"(\d+)\.(\d+)", h).groups() for h in headings[first_exercise:len(body)]]
    assert ids == [(str(chapter), str(n)) for n in range(1, len(ids) + 1)], f"{path.name}: exercise ids {ids}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT / "docs").as_posix())
def test_every_exercise_has_stub_then_checks_then_mistakes(path):
    lang = language(path)
    words = WORDS[lang]
    problems = []
    for heading, lines in sections(path.read_text(encoding="utf-8"))[1:]:
        if not heading.startswith(words["exercise"] + " "):
            continue
        stub = first_line(lines, lambda line: line.startswith(":::stub "))
        checked = first_line(lines, lambda line: line.startswith(words["checked"]))
        mistakes = first_line(lines, lambda line: line.startswith(words["mistakes"]))
        if None in (stub, checked, mistakes) or not stub < checked < mistakes:
            problems.append(f"{heading}: stub at {stub}, {words['checked']} at {checked}, "
                            f"{words['mistakes']} at {mistakes} (all three, in this order)")
            continue
        if lang == "zh":
            after = first_line(lines[stub + 1:], lambda line: line.strip() != "")
            if after is None or lines[stub + 1 + after].strip() != ZH_SPEC:
                problems.append(f"{heading}: the Chinese specification should follow the stub")
        if len(" ".join(lines[mistakes:mistakes + 1]).split()) < 4:
            problems.append(f"{heading}: the common mistakes paragraph is empty")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT / "docs").as_posix())
def test_summary_and_two_or_three_open_questions(path):
    words = WORDS[language(path)]
    parts = dict(sections(path.read_text(encoding="utf-8"))[1:])
    summary = " ".join(line for line in parts[words["summary"]] if line.strip())
    assert len(summary) > 80, f"{path.name}: the summary is too short"
    questions = [line for line in parts[words["try"]] if re.match(r"^\d+\. ", line)]
    assert 2 <= len(questions) <= 3, f"{path.name}: {len(questions)} try-this questions"
    assert all(("?" in q) or ("？" in q) for q in questions), f"{path.name}: each try-this item asks a question"


def test_english_and_chinese_chapters_have_the_same_exercises():
    for en in (p for p in PAGES if language(p) == "en"):
        zh = ROOT / "docs" / "zh" / "chapters" / en.name
        ids = [re.findall(r"\{ #(ex-\d+-\d+) \}", p.read_text(encoding="utf-8")) for p in (en, zh)]
        assert ids[0] == ids[1], en.name
