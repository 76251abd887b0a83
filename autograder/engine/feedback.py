"""A failure as data: what the report needs to lead a learner to the bug, gathered where it is known.

DESIGN.md, "Feedback is data": the check's message, the named mistakes (ids, not sentences), the learner's own file,
line and source line when their code raised, and what their code printed. The report renders these fields; nothing
here parses prose back into meaning, except `mistakes.found_in` for messages that arrive as plain text (a check that
embeds `mistakes.describe(...)` in its own sentence, or a result that crossed a pipe from a grading child).
"""
from __future__ import annotations

import linecache
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.engine import mistakes

OUTPUT_CHARS = 4000  # what a check's captured output may keep (the report shows fewer lines still)


@dataclass(frozen=True)
class Location:
    """Where in the learner's own file an exception came from."""

    path: str   # as the learner would type it (relative to the working directory where possible)
    line: int
    source: str

    def text(self) -> str:
        return f"{self.path}, line {self.line}: {self.source}"


@dataclass
class Failure:
    """One failing run of one check, as fields."""

    message: str
    mistakes: tuple[str, ...] = ()
    location: Location | None = None
    output: str = ""

    def text(self) -> str:
        """Everything as one message, for consumers of plain text (pytest's --tb, the batch pipe, the progress store)."""
        lines = [self.message]
        if self.location and self.location.text() not in self.message:
            lines.append("Your code: " + self.location.text())
        return "\n".join(lines)


def named_mistakes(exception: BaseException | None, message: str) -> tuple[str, ...]:
    """The ids of the mistakes a failure names: carried on the exception (expect.mistake), else found in the text."""
    carried = []
    seen: set[int] = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        carried += list(getattr(exception, "mistake_ids", ()))
        exception = exception.__cause__ or exception.__context__
    found = [m for m in mistakes.found_in(message) if m not in carried]
    return tuple(dict.fromkeys(carried + found))


def learner_location(exception: BaseException | None, folder: Path | None) -> Location | None:
    """The deepest frame in `folder` (the graded folder) of the exception or of what caused it: the learner's line."""
    if exception is None or folder is None:
        return None
    root = str(Path(folder).resolve()) + os.sep
    seen: set[int] = set()
    found = None
    while exception is not None and id(exception) not in seen and found is None:
        seen.add(id(exception))
        tb = exception.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(root) or os.path.realpath(filename).startswith(root):
                found = (filename, tb.tb_lineno)
            tb = tb.tb_next
        exception = exception.__cause__ or exception.__context__
    if found is None:
        return None
    filename, line = found
    source = linecache.getline(filename, line).strip()
    try:
        shown = os.path.relpath(filename)
    except ValueError:
        shown = filename
    return Location(shown, line, source)


def capped(text: str, limit: int = OUTPUT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"

