"""Generate the learner's stubs in exercises/ from the reference solutions, through nbgrader's ClearSolutions.

Each solution file becomes a one-cell notebook; nbgrader replaces every `### BEGIN SOLUTION` ... `### END SOLUTION`
region with a placeholder stub; the placeholder is then given the exercise id found in the enclosing docstring.
A stub carries the hash of its generated text in its first line, so a later run can tell an untouched stub (safe to
replace) from one a learner has edited (never replaced without --force).
"""
from __future__ import annotations

import ast
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
PLACEHOLDER = "raise NotImplementedError(__EXERCISE__)"
HEADER = ("# Generated from solutions/{source} by `coursekit stubs` (stub {digest}). This file is yours: fill in each "
          "exercise, then run `pytest autograder`.\n")
_HEADER_DIGEST = re.compile(r"\(stub ([0-9a-f]{12})\)")
_EXERCISE_ID = re.compile(r"Exercise (\d+\.\d+)")


class StubError(Exception):
    """A solution file that cannot be turned into a stub; the message names the file and line."""


def check_markers(path: Path, text: str) -> None:
    """Refuse nested, stray or unterminated solution markers, naming the line (nbgrader's own errors don't)."""
    open_at = None
    for number, line in enumerate(text.splitlines(), start=1):
        if BEGIN in line:
            if open_at is not None:
                raise StubError(f"{path}:{number}: nested {BEGIN!r}: the region opened on line {open_at} is not closed")
            open_at = number
        elif END in line:
            if open_at is None:
                raise StubError(f"{path}:{number}: {END!r} without a {BEGIN!r} before it")
            open_at = None
    if open_at is not None:
        raise StubError(f"{path}:{open_at}: {BEGIN!r} is never closed by {END!r}")


def clear_solutions(text: str) -> str:
    """nbgrader's ClearSolutions on a one-cell notebook holding the whole file."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"language": "python", "name": "python3", "display_name": "Python 3"}
    notebook.cells.append(nbformat.v4.new_code_cell(text))
    preprocessor = ClearSolutions(code_stub={"python": f"# YOUR CODE HERE\n{PLACEHOLDER}"}, enforce_metadata=False)
    cleared, _ = preprocessor.preprocess(notebook, {})
    return cleared.cells[0].source


def _exercise_at(tree: ast.Module, line: int) -> str | None:
    """The exercise id in the docstring of the innermost function or class (walking outwards) around `line`."""
    enclosing = [node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.lineno <= line <= node.end_lineno]
    for node in sorted(enclosing, key=lambda n: n.lineno, reverse=True):
        found = _EXERCISE_ID.search(ast.get_docstring(node) or "")
        if found:
            return found.group(1)
    return None


def name_exercises(path: Path, text: str, chapter: str) -> str:
    tree = ast.parse(text)
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if PLACEHOLDER in line:
            exercise = _exercise_at(tree, index + 1)
            if exercise is None:
                raise StubError(f"{path}: a solution region (stub line {index + 1}) is not inside a function or class "
                                "whose docstring says 'Exercise N.M'")
            guide = f"docs/en/chapters/{chapter.replace('_', '-')}.md#ex-{exercise.replace('.', '-')}"
            message = f'"Exercise {exercise} is not written yet. Guide: {guide}"'
            lines[index] = line.replace("__EXERCISE__", message)
    return "\n".join(lines)


def generate(solution: Path) -> str:
    """The stub text for one solution file, header included."""
    text = solution.read_text(encoding="utf-8")
    check_markers(solution, text)
    try:
        body = name_exercises(solution, clear_solutions(text), solution.stem)
    except RuntimeError as error:  # nbgrader's own complaints, should check_markers ever miss one
        raise StubError(f"{solution}: {error}") from None
    return HEADER.format(source=solution.name, digest=_digest(body)) + body


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def learner_edited(stub: Path) -> bool:
    """True when the file is no longer the text its header says was generated."""
    first, _, body = stub.read_text(encoding="utf-8").partition("\n")
    recorded = _HEADER_DIGEST.search(first)
    return recorded is None or recorded.group(1) != _digest(body)


@dataclass
class Outcome:
    path: Path
    action: str  # "written", "unchanged", "kept (edited by you)", "replaced (old copy in ...)", "differs"


def write_stubs(solutions: Path, exercises: Path, *, force: bool = False, check: bool = False,
                chapters: list[str] | None = None) -> list[Outcome]:
    """Regenerate every stub; with check=True write nothing and report the files that differ."""
    outcomes = []
    exercises.mkdir(parents=True, exist_ok=True)
    for solution in sorted(solutions.glob("ch[0-9][0-9]_*.py")):
        if chapters and solution.stem not in chapters:
            continue
        stub, text = exercises / solution.name, generate(solution)
        current = stub.read_text(encoding="utf-8") if stub.exists() else None
        if current == text:
            outcomes.append(Outcome(stub, "unchanged"))
        elif check:
            outcomes.append(Outcome(stub, "differs"))
        elif current is not None and learner_edited(stub) and not force:
            outcomes.append(Outcome(stub, "kept (edited by you; --force replaces it)"))
        else:
            action = "written"
            if current is not None and learner_edited(stub):
                backup = stub.with_name(stub.name + ".bak")
                shutil.copy2(stub, backup)
                action = f"replaced (your version is in {backup.name})"
            stub.write_text(text, encoding="utf-8")
            outcomes.append(Outcome(stub, action))
    return outcomes
