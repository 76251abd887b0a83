"""Is the course consistent with itself? Four mirrored files per chapter, stubs generated, ids everywhere."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

KIT_ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"))
_ID = re.compile(r"Exercise (\d+\.\d+)")


def solution_exercises(chapter: str) -> dict[str, str]:
    """{exercise id: function or class name} from the docstrings of a solution file."""
    tree = ast.parse((KIT_ROOT / "solutions" / f"{chapter}.py").read_text())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            match = _ID.match(ast.get_docstring(node) or "")
            if match:  # the outermost definition names the exercise (a class before its methods)
                found.setdefault(match.group(1), node.name)
    return found


def exercise_ids() -> list[str]:
    return sorted({e for c in CHAPTERS for e in solution_exercises(c)}, key=lambda e: tuple(map(int, e.split("."))))


def test_stubs_are_generated_from_solutions():
    """Does exercises/ hold exactly what `coursekit stubs` generates from solutions/?"""
    done = subprocess.run([sys.executable, "-m", "coursekit", "stubs", "--check"], cwd=KIT_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.stem for p in (KIT_ROOT / "exercises").glob("ch*.py")) == CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_its_four_files(chapter):
    """Does every chapter have its solution, stub, checks and guide pages in both languages?"""
    slug = chapter.replace("_", "-")
    for path in (f"exercises/{chapter}.py", f"autograder/test_{chapter}.py",
                 f"docs/en/chapters/{slug}.md", f"docs/zh/chapters/{slug}.md"):
        assert (KIT_ROOT / path).is_file(), f"{chapter} lacks {path}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_is_checked_and_guided(chapter):
    """Is every exercise of the solution declared in the checks and given an anchored section in both guides?"""
    exercises = solution_exercises(chapter)
    assert exercises, f"solutions/{chapter}.py has no 'Exercise N.M' docstrings"
    number = int(chapter[2:4])
    assert all(e.split(".")[0] == str(number) for e in exercises), f"ids of {chapter} must start with {number}."
    checks = (KIT_ROOT / f"autograder/test_{chapter}.py").read_text()
    slug = chapter.replace("_", "-")
    for exercise, name in exercises.items():
        assert re.search(rf'Exercise\(\s*"{re.escape(exercise)}",\s*"{name}"', checks), \
            f"autograder/test_{chapter}.py declares no Exercise(\"{exercise}\", \"{name}\", ...)"
        anchor = "{ #ex-" + exercise.replace(".", "-") + " }"
        for language in ("en", "zh"):
            page = (KIT_ROOT / f"docs/{language}/chapters/{slug}.md").read_text()
            assert anchor in page, f"docs/{language}/chapters/{slug}.md has no heading with {anchor}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_and_exercises_import_neither_each_other_nor_the_grader(chapter):
    """Do solutions and stubs import only torch, numpy and the standard library (DESIGN.md: dependencies one way)?"""
    for folder in ("solutions", "exercises"):
        tree = ast.parse((KIT_ROOT / folder / f"{chapter}.py").read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in ("autograder", "solutions", "exercises", "tests", "coursekit"), \
                    f"{folder}/{chapter}.py imports {name}"
