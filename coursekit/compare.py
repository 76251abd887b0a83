"""`coursekit compare N.M`: your solution next to the reference, once the exercise has passed (never before), and
only while your code is the code that passed (the progress store keeps a hash of its source)."""
from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

from autograder.engine import catalog
from autograder.engine.progress_store import ProgressStore, source_hash

KIT_ROOT = Path(__file__).resolve().parents[1]

_WORDS = {
    "unknown": {"en": "There is no exercise {id}.", "zh": "没有练习 {id}。"},
    "locked": {"en": "Exercise {id} has not passed yet (last result: {status}). The reference is shown only after "
                     "your own solution passes: grade it with `pytest autograder/test_{chapter}.py`, or ask for a "
                     "hint with `coursekit hint {id}`.",
               "zh": "练习 {id} 还没有通过（最近结果：{status}）。只有你自己的实现通过之后才会显示参考答案：用 "
                     "`pytest autograder/test_{chapter}.py` 评分，或用 `coursekit hint {id}` 获取提示。"},
    "missing": {"en": "{path} has no top-level `{name}`.", "zh": "{path} 中没有顶层的 `{name}`。"},
    "no reference": {"en": "This is the learner edition of the kit: it holds no reference solutions to compare with. "
                           "Your instructor may publish them after the deadline.",
                     "zh": "这是课程包的学习者版：其中没有可供对照的参考答案。教师可能会在截止日期之后公布。"},
    "changed": {"en": "Your `{name}` in {path} has changed since exercise {id} passed (or it passed before the kit "
                      "kept track of the passing code), so the reference stays hidden: it is shown only next to code "
                      "that passed. Grade it again with `pytest autograder/test_{chapter}.py`; once it passes, "
                      "`coursekit compare {id}` shows both.",
                "zh": "练习 {id} 通过之后，{path} 中你的 `{name}` 又被修改了（或者它通过时本工具还没有记录通过的代码），"
                      "所以参考答案仍然隐藏：它只会显示在已经通过的代码旁边。用 `pytest autograder/test_{chapter}.py` "
                      "重新评分；通过之后，`coursekit compare {id}` 会同时显示两者。"},
    "yours": {"en": "yours ({path})", "zh": "你的实现（{path}）"},
    "reference": {"en": "reference ({path})", "zh": "参考答案（{path}）"},
}
NEVER = {"en": "never graded", "zh": "尚未评分"}


def definition(path: Path, name: str) -> str | None:
    """The source of the top-level function or class `name` in `path`, without its docstring."""
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            lines = source.splitlines()
            start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
            body = lines[start:node.end_lineno]
            docstring = ast.get_docstring(node, clean=False)
            if docstring is not None and isinstance(node.body[0], ast.Expr):
                first, last = node.body[0].lineno - 1 - start, node.body[0].end_lineno - start
                body = body[:first] + body[last:]
            return "\n".join(line for line in body if "### BEGIN SOLUTION" not in line
                             and "### END SOLUTION" not in line)
    return None


def side_by_side(left: str, right: str, left_title: str, right_title: str, width: int) -> str:
    column = max((width - 3) // 2, 20)

    def wrapped(text: str) -> list[str]:
        out = []
        for line in text.expandtabs(4).splitlines() or [""]:
            indent = len(line) - len(line.lstrip())
            out += textwrap.wrap(line, column, subsequent_indent=" " * (indent + 4), drop_whitespace=False) or [""]
        return out

    a, b = wrapped(left), wrapped(right)
    rows = [f"{left_title[:column]:<{column}} | {right_title[:column]}", f"{'-' * column}-+-{'-' * column}"]
    for index in range(max(len(a), len(b))):
        rows.append(f"{(a[index] if index < len(a) else ''):<{column}} | {b[index] if index < len(b) else ''}".rstrip())
    return "\n".join(rows)


def compare(exercise_id: str, store: ProgressStore, lang: str = "en", *, target: Path | None = None,
            width: int | None = None, root: Path | None = None) -> tuple[int, str]:
    root = root or KIT_ROOT
    entry = catalog.read(root / "autograder").get(exercise_id)
    if entry is None:
        return 2, _WORDS["unknown"][lang].format(id=exercise_id)
    result = store.results().get(exercise_id)
    if not result or result["status"] != "passed":
        status = result["status"] if result else NEVER[lang]
        return 1, _WORDS["locked"][lang].format(id=exercise_id, status=status, chapter=entry.chapter)
    target = target or root / "exercises"
    mine_path, reference_path = target / f"{entry.chapter}.py", root / "solutions" / f"{entry.chapter}.py"
    passed_hash = result.get("source_hash")
    if mine_path.is_file() and (passed_hash is None or source_hash(mine_path, entry.function) != passed_hash):
        shown_path = mine_path.relative_to(root) if mine_path.is_relative_to(root) else mine_path
        return 1, _WORDS["changed"][lang].format(id=exercise_id, name=entry.function, path=shown_path,
                                                 chapter=entry.chapter)
    if not (root / "solutions").is_dir():
        return 1, _WORDS["no reference"][lang]
    texts = []
    for path in (mine_path, reference_path):
        text = definition(path, entry.function) if path.is_file() else None
        if text is None:
            return 1, _WORDS["missing"][lang].format(path=path, name=entry.function)
        texts.append(text)
    width = width or shutil.get_terminal_size((160, 40)).columns
    shown = [str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in (mine_path, reference_path)]
    return 0, side_by_side(texts[0], texts[1], _WORDS["yours"][lang].format(path=shown[0]),
                           _WORDS["reference"][lang].format(path=shown[1]), width)
