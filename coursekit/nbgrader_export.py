"""nbgrader: export the kit as an nbgrader course whose grades the students' notebooks cannot forge.

    coursekit nbgrader-export --out COURSE_DIR [--chapters ch01_tensors ...] [--course-id pytorch-course]

COURSE_DIR/source/chNN_topic/chNN_topic.ipynb holds, per chapter: the chapter's guide (docs/en/chapters/) as markdown
cells, its shared code (imports, helpers) in a read-only cell, one solution cell per exercise cut from solutions/ with
the same `### BEGIN SOLUTION` / `### END SOLUTION` markers, and at the end one autograded test cell per exercise, worth
the exercise's points. `nbgrader generate_assignment` turns each solution cell into the kit's own stub (the one in
exercises/, with its docstring and its "Exercise N.M ..." message), through KitClearSolutions
(nbgrader_preprocessors.py).

Where the verdict is made: not in the student's kernel. nbgrader runs the notebook's cells (a student's code can
replace anything in that kernel, including the function a test cell calls), then KitVerdict, a preprocessor that runs
in nbgrader's own process, grades the notebook's code with `coursekit grade-submission` (a separate, sandboxed
process) and writes each test cell's output from that grade: the points as the cell's result (nbgrader's partial
credit) and the feedback as its text. Whatever the kernel printed in a test cell is discarded. nbgrader_config.py
(written here, with course_id) puts both preprocessors in nbgrader's pipelines, so the machine that runs nbgrader needs
the kit installed (`pip install -e .` in a checkout: the checks need solutions/).
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from coursekit.batch import KIT_ROOT

CHECK_MARKER = "# coursekit: autograded check"
DEFAULT_COURSE_ID = "pytorch-course"
CONFIG = '''# nbgrader configuration written by `coursekit nbgrader-export`.
import os

from nbgrader.converters import Autograde, GenerateAssignment

c = get_config()
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
c.ExecutePreprocessor.timeout = 900
# The stubs are the kit's own (exercises/), not a bare `raise NotImplementedError()`.
c.GenerateAssignment.preprocessors = [
    "coursekit.nbgrader_preprocessors.KitClearSolutions" if p.__name__ == "ClearSolutions" else p
    for p in GenerateAssignment.class_traits()["preprocessors"].default()]
# The verdict is made outside the student's kernel, right after nbgrader has run the notebook.
_autograde = list(Autograde.class_traits()["autograde_preprocessors"].default())
_autograde.insert([p.__name__ for p in _autograde].index("Execute") + 1, "coursekit.nbgrader_preprocessors.KitVerdict")
c.Autograde.autograde_preprocessors = _autograde
'''
GUIDE_ADMONITION = re.compile(r'^(\?\?\?\+?|!!!) (\w+)(?: "([^"]*)")?\s*$')


def exercise_points(chapters: list[str] | None = None) -> dict[str, list[tuple[str, str, float]]]:
    """{chapter: [(exercise id, function, points), ...]} from the checks themselves (collected, not run)."""
    import pytest

    class Collector:
        items: list = []

        def pytest_collection_finish(self, session):
            Collector.items = list(session.items)

    files = sorted(str(p) for p in (KIT_ROOT / "autograder").glob("test_ch[0-9][0-9]_*.py")
                   if chapters is None or p.stem.removeprefix("test_") in chapters)
    shown, sys.stdout = sys.stdout, io.StringIO()
    try:
        pytest.main([*files, "--collect-only", "-q", "--rootdir", str(KIT_ROOT), "-c", str(KIT_ROOT / "pyproject.toml"),
                     "-p", "no:cacheprovider", "-p", "no:random_order"], plugins=[Collector()])
    finally:
        sys.stdout = shown
        from autograder.engine import global_state

        global_state.forget_internals()  # collected, nothing graded: no record to keep
    points: dict[str, dict[str, list]] = {}
    counted: set[tuple[str, str]] = set()
    for item in Collector.items:
        marker = item.get_closest_marker("exercise_check")
        if not marker or (marker.kwargs["exercise"].id, item.originalname) in counted:
            continue  # a check run on several devices counts once
        counted.add((marker.kwargs["exercise"].id, item.originalname))
        chapter = Path(item.path).stem.removeprefix("test_")
        exercise = marker.kwargs["exercise"]
        entry = points.setdefault(chapter, {}).setdefault(exercise.id, [exercise.function, 0.0])
        entry[1] += marker.kwargs["points"]
    return {chapter: [(i, f, p) for i, (f, p) in sorted(found.items(), key=lambda kv: tuple(
        int(x) for x in kv[0].split(".")))] for chapter, found in sorted(points.items())}


def _nbgrader(cell, grade_id: str, *, solution=False, grade=False, locked=False, points=None):
    cell.metadata["nbgrader"] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                                 "solution": solution, **({"points": points} if grade else {})}
    return cell


def _top_level(path: Path) -> list[tuple[str | None, str]]:
    """(name or None, source text) of each top-level statement of a file, comments and decorators kept with it."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    starts = [min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) - 1 for n in tree.body]
    segments = []
    for position, node in enumerate(tree.body):
        first = 0 if position == 0 else starts[position]
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        segments.append((getattr(node, "name", None), "".join(lines[first:end]).strip("\n")))
    return segments


def guide_sections(chapter: str) -> tuple[str, dict[str, str]]:
    """The chapter's guide as Jupyter markdown: (the text before the exercises, {exercise id: its section})."""
    pages = sorted((KIT_ROOT / "docs" / "en" / "chapters").glob(f"{chapter[:4]}-*.md"))
    if not pages:
        return f"# {chapter}\n", {}
    intro: list[str] = []
    sections: dict[str, list[str]] = {}
    current = intro
    for line in _jupyter_markdown(pages[0].read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"^## (Exercise (\d+\.\d+)\b.*|Grade this chapter)\s*$", line)
        if heading:
            current = sections.setdefault(heading.group(2) or "grade", [])
        current.append(line)
    text = {key: "\n".join(value).strip() + "\n" for key, value in sections.items() if key != "grade"}
    return "\n".join(intro).strip() + "\n", text


def _jupyter_markdown(page: str) -> str:
    """mkdocs-material's syntax in plain Markdown Jupyter renders: collapsible hints, notes, no stub directives."""
    out: list[str] = []
    block: str | None = None
    for line in page.splitlines():
        if block is not None and (line.startswith("    ") or not line.strip()):
            out.append(line[4:])
            continue
        if block is not None:
            out.append("</details>\n" if block == "details" else "")
            block = None
        admonition = GUIDE_ADMONITION.match(line)
        if admonition:
            kind, title = admonition.group(2), admonition.group(3) or admonition.group(2).title()
            if admonition.group(1).startswith("???"):
                out.append(f"<details><summary>{title}</summary>\n")
                block = "details"
            else:
                out.append(f"**{title}.**")
                block = "note"
            continue
        if line.startswith(":::stub"):
            continue  # the stub is the code cell that follows the section
        out.append(re.sub(r"\s*\{\s*#[\w-]+\s*\}\s*$", "", line))
    if block == "details":
        out.append("</details>\n")
    return "\n".join(out)


def chapter_notebook(chapter: str, exercises: list[tuple[str, str, float]]):
    """The nbgrader source notebook of one chapter, from solutions/, exercises/ and the chapter's guide."""
    import nbformat

    functions = {function: exercise_id for exercise_id, function, _ in exercises}
    stubs = dict(_top_level(KIT_ROOT / "exercises" / f"{chapter}.py"))
    intro, sections = guide_sections(chapter)
    cells = [nbformat.v4.new_markdown_cell(
        intro + "\n---\n\nFill in each exercise's code cell below (each stub raises `NotImplementedError` until you "
        "do), then run the cells at the end: they show your grade for each exercise.")]
    shared: list[str] = []

    def flush():
        if shared:
            cells.append(_nbgrader(nbformat.v4.new_code_cell("\n\n".join(shared)), f"{chapter}-shared-{len(cells)}",
                                   locked=True))
            shared.clear()

    for name, text in _top_level(KIT_ROOT / "solutions" / f"{chapter}.py"):
        if name in functions and "### BEGIN SOLUTION" in text:
            flush()
            if functions[name] in sections:
                cells.append(nbformat.v4.new_markdown_cell(sections[functions[name]]))
            cell = _nbgrader(nbformat.v4.new_code_cell(text), f"{chapter}-{name}", solution=True)
            cell.metadata["coursekit"] = {"stub": stubs.get(name, "")}
            cells.append(cell)
        elif name is None and text.lstrip().startswith(('"""', "'''")) and not shared and len(cells) == 1:
            continue  # the module docstring: the guide above says it better
        else:
            shared.append(text)
    flush()
    for exercise_id, function, points in exercises:
        check = (f"{CHECK_MARKER} of Exercise {exercise_id} ({function}), {points:g} points.\n"
                 "# Run it to see your grade now. When your course autogrades, the grade is made outside this "
                 "notebook.\n"
                 "from coursekit.notebook import score\n"
                 f"score({chapter!r}, {exercise_id!r})")
        cells.append(_nbgrader(nbformat.v4.new_code_cell(check), test_id(exercise_id), grade=True, locked=True,
                               points=points))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def test_id(exercise_id: str) -> str:
    return f"test-{exercise_id.replace('.', '-')}"


def export(out: Path, chapters: list[str] | None = None, course_id: str = DEFAULT_COURSE_ID) -> list[Path]:
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG.format(course_id=course_id), encoding="utf-8")
    written = []
    for chapter, exercises in exercise_points(chapters).items():
        path = out / "source" / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(chapter_notebook(chapter, exercises), str(path))
        written.append(path)
    return written


def grade_code(chapter: str, code: str) -> dict:
    """results.json of `coursekit grade-submission` on `code` as the chapter's file (sandboxed, its own process)."""
    with tempfile.TemporaryDirectory(prefix="coursekit-nbgrader-") as scratch:
        folder = Path(scratch) / "submission"
        folder.mkdir()
        os.chmod(scratch, 0o755)
        os.chmod(folder, 0o755)
        (folder / f"{chapter}.py").write_text(code, encoding="utf-8")
        results = Path(scratch) / "results" / "results.json"
        subprocess.run([sys.executable, "-m", "coursekit", "grade-submission", str(folder), "--results",
                        str(results), "--chapters", chapter], cwd=KIT_ROOT, capture_output=True, text=True,
                       timeout=1800, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        return json.loads(results.read_text(encoding="utf-8")) if results.exists() else {"tests": []}


def verdicts(results: dict) -> list[tuple[str, float, str]]:
    """(exercise id, points, feedback) per exercise of a results.json."""
    by_exercise: dict[str, list[dict]] = {}
    for test in results.get("tests", []):
        by_exercise.setdefault(test["number"], []).append(test)
    out = []
    for exercise_id, tests in by_exercise.items():
        got, points = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
        lines = [f"Exercise {exercise_id}: {got:g} / {points:g} points"]
        for test in tests:
            if test["score"] < test["max_score"] and test.get("output"):
                lines.append(f"- {test['name']}\n  " + test["output"].strip().replace("\n", "\n  "))
        out.append((exercise_id, float(got), "\n".join(lines)))
    return out


def _export(args) -> int:
    try:
        import nbformat  # noqa: F401
        import nbgrader  # noqa: F401
    except ImportError:
        print("nbgrader is not installed: pip install -e '.[instructor]'", file=sys.stderr)
        return 2
    written = export(args.out, args.chapters or None, args.course_id)
    for path in written:
        print(path)
    print(f"{len(written)} notebooks, course_id {args.course_id!r}. Next: cd {args.out} && nbgrader "
          f"generate_assignment {written[0].parent.name}")
    return 0


def add_parser(commands) -> None:
    export_parser = commands.add_parser("nbgrader-export", help="export the kit as an nbgrader course")
    export_parser.add_argument("--out", type=Path, required=True, help="the nbgrader course folder to write")
    export_parser.add_argument("--chapters", nargs="*", help="only these chapters, e.g. ch01_tensors")
    export_parser.add_argument("--course-id", default=DEFAULT_COURSE_ID,
                               help=f"nbgrader's course_id, for release and collect (default {DEFAULT_COURSE_ID})")
    export_parser.set_defaults(run=_export)
