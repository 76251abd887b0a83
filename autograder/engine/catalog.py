"""Every exercise of the course, read from the checks' source without importing them (no torch: fast for the CLI).

Each autograder/test_chNN_topic.py declares `name = Exercise("N.M", "function", hints=[...])` and decorates checks with
`@name.check(points=P)`. Reading that with `ast` gives ids, functions, hints and points in milliseconds.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


AUTOGRADER = Path(__file__).resolve().parents[1]
GUIDE_ROOT = "docs/en/chapters"  # as engine/exercises.py has it (a test keeps them equal); that module imports pytest


@dataclass
class Entry:
    id: str
    function: str
    chapter: str
    hints: list[str]
    hints_zh: list[str] = field(default_factory=list)
    points: float = 0.0

    @property
    def guide(self) -> str:
        return f"{GUIDE_ROOT}/{self.chapter.replace('_', '-')}.md#ex-{self.id.replace('.', '-')}"


def chapters(root: Path = AUTOGRADER) -> list[str]:
    return [p.stem.removeprefix("test_") for p in sorted(root.glob("test_ch[0-9][0-9]_*.py"))]


def read(root: Path = AUTOGRADER) -> dict[str, Entry]:
    """{exercise id: Entry}, in course order."""
    entries: dict[str, Entry] = {}
    for chapter in chapters(root):
        entries.update(read_chapter(root / f"test_{chapter}.py", chapter))
    return entries


def _literal(node: ast.AST, default=None):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return default


def read_chapter(path: Path, chapter: str) -> dict[str, Entry]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, OSError):
        return {}
    by_name: dict[str, Entry] = {}
    entries: dict[str, Entry] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and getattr(node.value.func, "id", None) == "Exercise" and len(node.value.args) >= 2:
            keywords = {k.arg: _literal(k.value, []) for k in node.value.keywords}
            args = [_literal(a) for a in node.value.args]
            entry = Entry(args[0], args[1], chapter, list(args[2] if len(args) > 2 else keywords.get("hints", [])),
                          list(keywords.get("hints_zh") or []))
            entries[entry.id] = entry
            for target in node.targets:
                if isinstance(target, ast.Name):
                    by_name[target.id] = entry
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) \
                        and decorator.func.attr == "check" and getattr(decorator.func.value, "id", None) in by_name:
                    points = {k.arg: _literal(k.value, 1) for k in decorator.keywords}.get("points")
                    if points is None:
                        points = _literal(decorator.args[0], 1) if decorator.args else 1
                    by_name[decorator.func.value.id].points += points
    return entries
