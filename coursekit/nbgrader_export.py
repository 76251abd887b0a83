"""nbgrader: export the kit as an nbgrader course.

    coursekit nbgrader-export --out COURSE_DIR [--chapters ch01_tensors ...]

COURSE_DIR/source/chNN_topic/chNN_topic.ipynb holds, per chapter: the chapter's shared code (imports, helpers) in a
read-only cell; one solution cell per exercise, cut from solutions/ with the same `### BEGIN SOLUTION` /
`### END SOLUTION` markers (nbgrader's generate_assignment clears them); and, at the end, one autograded test cell per
exercise, worth the exercise's points, that grades the notebook's code with the kit's own checks (coursekit.notebook).
Run nbgrader from COURSE_DIR: `nbgrader generate_assignment chNN_topic`, then collect, then `nbgrader autograde`.
The machine that autogrades needs the kit installed (`pip install -e .` in a checkout: the checks need solutions/).
"""
from __future__ import annotations

import ast
import io
import json
import sys
from pathlib import Path

import nbformat

from coursekit.batch import KIT_ROOT

CHECK_MARKER = "# coursekit: autograded check"
CONFIG = '''# nbgrader configuration written by `coursekit nbgrader-export`.
c = get_config()
c.CourseDirectory.root = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
c.ExecutePreprocessor.timeout = 900
'''


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


def chapter_notebook(chapter: str, exercises: list[tuple[str, str, float]]):
    """The nbgrader source notebook of one chapter, from solutions/chapter.py."""
    source = (KIT_ROOT / "solutions" / f"{chapter}.py").read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    starts = [min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) - 1 for n in tree.body]
    segments = []
    for position, start in enumerate(starts):
        first = 0 if position == 0 else starts[position]
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        segments.append((tree.body[position], "".join(lines[first:end]).strip("\n")))
    functions = {function for _, function, _ in exercises}
    cells = [nbformat.v4.new_markdown_cell(
        f"# {chapter}\n\nFill in each cell marked `YOUR CODE HERE`; the guide for this chapter is "
        f"`docs/en/chapters/{chapter.replace('_', '-')}.md`. The cells at the end grade your code with the course "
        "kit's own checks: run them to see your score.")]
    shared: list[str] = []

    def flush():
        if shared:
            cells.append(_nbgrader(nbformat.v4.new_code_cell("\n\n".join(shared)), f"{chapter}-shared-{len(cells)}",
                                   locked=True))
            shared.clear()

    for node, text in segments:
        name = getattr(node, "name", None)
        if name in functions and "### BEGIN SOLUTION" in text:
            flush()
            cells.append(_nbgrader(nbformat.v4.new_code_cell(text), f"{chapter}-{name}", solution=True))
        else:
            shared.append(text)
    flush()
    for exercise_id, function, points in exercises:
        check = (f"{CHECK_MARKER} of Exercise {exercise_id} ({function}), {points:g} points.\n"
                 "from coursekit.notebook import score\n"
                 f"score({chapter!r}, {exercise_id!r})")
        cells.append(_nbgrader(nbformat.v4.new_code_cell(check), f"test-{exercise_id.replace('.', '-')}",
                               grade=True, locked=True, points=points))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def export(out: Path, chapters: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    written = []
    for chapter, exercises in exercise_points(chapters).items():
        path = out / "source" / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(chapter_notebook(chapter, exercises), str(path))
        written.append(path)
    return written


def _export(args) -> int:
    written = export(args.out, args.chapters or None)
    for path in written:
        print(path)
    print(f"{len(written)} notebooks. Next: cd {args.out} && nbgrader generate_assignment {written[0].parent.name}")
    return 0


def add_parser(commands) -> None:
    export_parser = commands.add_parser("nbgrader-export", help="export the kit as an nbgrader course")
    export_parser.add_argument("--out", type=Path, required=True, help="the nbgrader course folder to write")
    export_parser.add_argument("--chapters", nargs="*", help="only these chapters, e.g. ch01_tensors")
    export_parser.set_defaults(run=_export)
