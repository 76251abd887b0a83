"""`coursekit reset N.M`: put one exercise back to its stub, like `rustlings reset`; the rest of the file is left
as it is, and the whole file is first copied to .coursekit/backups/ (nothing of yours is lost).

The stub is made from the reference solution as `coursekit stubs` makes it (nbgrader's ClearSolutions: each
`### BEGIN SOLUTION` ... `### END SOLUTION` region becomes `# YOUR CODE HERE` and the NotImplementedError that
says the exercise is not written yet), without needing nbgrader: the kit's tests check that it gives, for every
exercise, exactly the definition in the generated exercises/.
"""
from __future__ import annotations

import ast
import shutil
import time
from pathlib import Path

from autograder.engine import catalog
from coursekit.kit import stub_sources

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

_WORDS = {
    "unknown": {"en": "There is no exercise {id}. Exercises are numbered like 1.1 ... 12.4 (see `coursekit progress`).",
                "zh": "没有练习 {id}。练习编号形如 1.1 … 12.4（见 `coursekit progress`）。"},
    "no reference": {"en": "{path} has no `{name}` to make the stub from.", "zh": "{path} 中没有可用来生成存根的 `{name}`。"},
    "unparsable": {"en": "{path} does not parse (line {line}: {error}), so its `{name}` cannot be found to reset it. "
                         "Fix that line first; your file is unchanged.",
                   "zh": "{path} 无法解析（第 {line} 行：{error}），因此找不到要重置的 `{name}`。请先修好这一行；"
                         "你的文件没有被改动。"},
    "already": {"en": "Exercise {id} in {path} is already the stub: nothing to reset.",
                "zh": "{path} 中的练习 {id} 已经是存根：无需重置。"},
    "done": {"en": "Exercise {id} `{name}` in {path} is back to its stub; the whole file as it was is in {backup}.",
             "zh": "{path} 中的练习 {id} `{name}` 已恢复为存根；原来的整个文件保存在 {backup}。"},
}


def word(key: str, lang: str, **values) -> str:
    return _WORDS[key].get(lang, _WORDS[key]["en"]).format(**values)


def _definition_span(tree: ast.Module, name: str) -> tuple[int, int] | None:
    """(first line, last line), 1-based, of the last top-level definition of `name` (the one Python keeps)."""
    found = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            found = (min([d.lineno for d in node.decorator_list] + [node.lineno]), node.end_lineno)
    return found


def stub_definition(solution_text: str, name: str, exercise_id: str, guide: str) -> str | None:
    """The stub of the top-level definition `name`: its solution regions cleared, as `coursekit stubs` does."""
    span = _definition_span(ast.parse(solution_text), name)
    if span is None:
        return None
    lines, out, inside = solution_text.splitlines()[span[0] - 1:span[1]], [], False
    for line in lines:
        if BEGIN in line:
            indent = line[:len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE",
                    f'{indent}raise NotImplementedError("Exercise {exercise_id} is not written yet. Guide: {guide}")']
            inside = True
        elif END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def reset(exercise_id: str, root: Path, lang: str = "en", target: Path | None = None) -> tuple[int, str]:
    """(exit code, text)."""
    entry = catalog.read(root / "autograder").get(exercise_id)
    if entry is None:
        return 2, word("unknown", lang, id=exercise_id)
    mine = (target or root / "exercises") / f"{entry.chapter}.py"
    reference = stub_sources(root) / f"{entry.chapter}.py"
    stub = stub_definition(reference.read_text(encoding="utf-8"), entry.function, entry.id, entry.guide) \
        if reference.is_file() else None
    if stub is None:
        return 1, word("no reference", lang, path=reference, name=entry.function)
    text = mine.read_text(encoding="utf-8") if mine.is_file() else ""
    try:
        span = _definition_span(ast.parse(text), entry.function)
    except SyntaxError as error:
        return 1, word("unparsable", lang, path=mine, line=error.lineno, error=error.msg, name=entry.function)
    lines = text.splitlines()
    if span is None:  # deleted or renamed: the stub goes back at the end of the file
        new_lines = lines + ["", ""] + stub.splitlines()
    else:
        if "\n".join(lines[span[0] - 1:span[1]]) == stub:
            return 0, word("already", lang, id=exercise_id, path=mine)
        new_lines = lines[:span[0] - 1] + stub.splitlines() + lines[span[1]:]
    backup = root / ".coursekit" / "backups" / f"{mine.stem}.{time.strftime('%Y%m%d-%H%M%S')}.{exercise_id}.py"
    backup.parent.mkdir(parents=True, exist_ok=True)
    if mine.is_file():
        shutil.copy2(mine, backup)
    mine.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
    return 0, word("done", lang, id=exercise_id, name=entry.function, path=mine, backup=backup)
