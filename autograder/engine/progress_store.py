"""The learner's lasting progress: the last result of every exercise, hint levels and a log of runs, in SQLite.

The file is .coursekit/progress.sqlite at the kit's root (git-ignored), or COURSEKIT_PROGRESS (a path) when set.
`pytest autograder` writes it after grading exercises/ (not --target solutions or another folder, unless
--record-progress); `coursekit progress` reads it; `coursekit hint N.M` raises an exercise's hint level;
`coursekit explain N.M` shows every failing check of the last grading, in full (the `failures` column).
Plain sqlite3: no server, safe when two runs finish at once (each write is one transaction).

A passed exercise also keeps a hash of its source (the function or class as graded), so `coursekit compare` can tell
when the learner's code has changed since it passed.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    exercise TEXT PRIMARY KEY, chapter TEXT, function TEXT, status TEXT, score REAL, points REAL,
    message TEXT, updated REAL, first_passed REAL, source_hash TEXT, failures TEXT);
CREATE TABLE IF NOT EXISTS hints (exercise TEXT PRIMARY KEY, level INTEGER, updated REAL);
CREATE TABLE IF NOT EXISTS runs (started REAL, finished REAL, target TEXT, score REAL, points REAL,
    exercises INTEGER);
"""


def definition_source(path: Path, name: str) -> str | None:
    """The source text of the top-level function or class `name` in `path`, decorators included; of the last one
    when it is defined twice (that is the one Python keeps). None when the file or the name is missing."""
    try:
        source = Path(path).read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return None
    found = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            found = node
    if found is None:
        return None
    lines = source.splitlines()
    start = min([d.lineno for d in found.decorator_list] + [found.lineno]) - 1
    return "\n".join(lines[start:found.end_lineno])


def source_hash(path: Path, name: str) -> str | None:
    """sha256 of the definition's source, trailing spaces ignored; None when it cannot be found."""
    text = definition_source(path, name)
    if text is None:
        return None
    normalized = "\n".join(line.rstrip() for line in text.splitlines())
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


FAILURE_CHARS = 20000  # of one check's message kept for `coursekit explain`


def failures_of(result) -> list[dict]:
    """Every failing check of an ExerciseResult, as fields: name, question, status, message, mistake ids, the
    learner's line and what their code printed (for `coursekit explain`)."""
    kept = []
    for check in result.failing():
        failure = check.failure
        location = failure.location if failure else None
        kept.append({"check": check.name, "question": check.question, "status": check.status,
                     "message": (failure.message if failure else check.message)[:FAILURE_CHARS],
                     "mistakes": list(failure.mistakes) if failure else [],
                     "location": [location.path, location.line, location.source] if location else None,
                     "output": "".join(check.outputs.values())[:FAILURE_CHARS]})
    return kept


def default_path(root: Path | None = None) -> Path:
    """COURSEKIT_PROGRESS when set, else .coursekit/progress.sqlite in the kit at `root` (default: this one)."""
    return Path(os.environ.get("COURSEKIT_PROGRESS") or Path(root or KIT_ROOT) / ".coursekit" / "progress.sqlite")


class ProgressStore:
    def __init__(self, path: Path | None = None, root: Path | None = None):
        self.path = Path(path) if path else default_path(root)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.executescript(_SCHEMA)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(results)")}
        for column in ("source_hash", "failures"):  # a store written before these were kept
            if column not in columns:
                with connection:
                    connection.execute(f"ALTER TABLE results ADD COLUMN {column} TEXT")
        return connection

    def record_run(self, results, *, target: str, started: float) -> None:
        """Keep the last result of every exercise graded in this run (an ExerciseResult list); for a passed one, the
        hash of its source in the graded folder `target`."""
        now = time.time()
        with closing(self._connect()) as db, db:
            for r in results:
                previous = db.execute("SELECT first_passed FROM results WHERE exercise = ?", (r.id,)).fetchone()
                first_passed = previous[0] if previous and previous[0] else (now if r.status == "passed" else None)
                digest = source_hash(Path(target) / f"{r.chapter}.py", r.function) if r.status == "passed" else None
                db.execute("INSERT OR REPLACE INTO results (exercise, chapter, function, status, score, points, "
                           "message, updated, first_passed, source_hash, failures) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (r.id, r.chapter, r.function, r.status, r.score, r.points,
                            r.first_failure[:2000], now, first_passed, digest, json.dumps(failures_of(r))))
            db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                       (started, now, target, sum(r.score for r in results), sum(r.points for r in results),
                        len(results)))

    def results(self) -> dict[str, dict]:
        if not self.path.is_file():
            return {}
        with closing(self._connect()) as db:
            db.row_factory = sqlite3.Row
            return {row["exercise"]: dict(row) for row in db.execute("SELECT * FROM results")}

    def runs(self, limit: int = 20) -> list[dict]:
        if not self.path.is_file():
            return []
        with closing(self._connect()) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM runs ORDER BY finished DESC LIMIT ?", (limit,)).fetchall()
            return [dict(row) for row in rows]

    def hint_level(self, exercise: str) -> int:
        """How many hints the learner has asked for beyond the first (0: only the nudge so far)."""
        if not self.path.is_file():
            return 0
        with closing(self._connect()) as db:
            row = db.execute("SELECT level FROM hints WHERE exercise = ?", (exercise,)).fetchone()
            return row[0] if row else 0

    def hint_levels(self) -> dict[str, int]:
        if not self.path.is_file():
            return {}
        with closing(self._connect()) as db:
            return dict(db.execute("SELECT exercise, level FROM hints").fetchall())

    def set_hint_level(self, exercise: str, level: int) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO hints VALUES (?, ?, ?)", (exercise, level, time.time()))

    def export(self) -> dict:
        """Everything, as JSON-ready data (for the website's progress page)."""
        return {"exported": time.time(), "results": self.results(), "hint_levels": self.hint_levels(),
                "runs": self.runs(50)}


def export_script(data: dict) -> str:
    """The export as a small script the progress page loads (works from file:// and `mkdocs serve` alike)."""
    return "window.COURSEKIT_PROGRESS = " + json.dumps(data, ensure_ascii=False, indent=1) + ";\n"
