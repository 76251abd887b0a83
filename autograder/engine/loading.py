"""Load one chapter's module from a target folder by path, so nothing leaks between targets.

Every (target, chapter) pair gets its own module name, derived from the folder's absolute path. Grading the stubs can
therefore never pick up `solutions.ch01_tensors` (or a module cached from another target) by accident: the name that
is imported is unique to the file that was asked for.
"""
from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from types import ModuleType

from autograder.engine import global_state

_ALIASES: dict[str, Path] = {}


def alias_dir() -> Path:
    """A folder on sys.path holding, for each graded module, a link named after its unique module name.

    Worker processes started with "spawn" (DataLoader workers) re-import functions by module name; they inherit
    sys.path, so they find the graded modules there. Made on first use, removed when the process that made it exits
    (not when a forked child does).
    """
    if "path" not in _ALIASES:
        folder = Path(tempfile.mkdtemp(prefix="autograder-modules-"))
        folder.chmod(0o755)  # the class grader's children run as another uid and must read the links
        sys.path.append(str(folder))
        creator = os.getpid()
        atexit.register(lambda: os.getpid() == creator and shutil.rmtree(folder, ignore_errors=True))
        _ALIASES["path"] = folder
    return _ALIASES["path"]


class ChapterBroken(Exception):
    """The chapter's file could not be imported; every check of the chapter reports this message as 'broken'."""


def module_name(target: Path, chapter: str) -> str:
    digest = hashlib.sha1(str(target.resolve()).encode()).hexdigest()[:10]
    return f"graded_{digest}_{chapter}"


def load_chapter(target: Path, chapter: str) -> ModuleType:
    """Import target/chapter.py under a name unique to that file; raise ChapterBroken with a teaching message."""
    path = (target / f"{chapter}.py").resolve()
    shown = _shown_path(path)
    if not path.is_file():
        raise ChapterBroken(f"{shown} does not exist. The graded folder needs one file per chapter, named like exercises/.")
    name = module_name(target, chapter)
    alias = alias_dir() / f"{name}.py"
    if not alias.exists():
        alias.symlink_to(path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    before = global_state.snapshot()
    try:
        exec(_compiled(path), module.__dict__)  # never spec.loader.exec_module: it would run a cached .pyc
    except SyntaxError as error:
        raise ChapterBroken(_syntax_message(shown, error)) from None
    except SystemExit as error:
        raise ChapterBroken(
            f"{shown} called sys.exit({error.code!r}) while being imported. Nothing at the top level of an exercise file "
            "should stop the program: remove the call (or move it under `if __name__ == '__main__':`)."
        ) from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - a learner's file may raise anything, timeouts included
        raise ChapterBroken(_import_error_message(shown, path, error)) from None
    finally:
        changes = global_state.changes_since(before)
        if changes:
            global_state.restore(before)
    if changes:
        sys.modules.pop(name, None)
        raise ChapterBroken(
            f"Importing {shown} changed global state that other code relies on: {changes}. "
            "Keep such settings inside a function (or a `with` block) and undo them there."
        )
    return module


def _compiled(path: Path):
    """The chapter's code, compiled from its source now. A .pyc in __pycache__ is taken by Python's loader whenever
    its header matches the source's size and time, which anyone can forge: an untouched stub next to a planted .pyc
    would grade as a full solution. Compiling a chapter takes milliseconds."""
    return compile(path.read_bytes(), str(path), "exec", dont_inherit=True)


def text_of(error: BaseException) -> str:
    """str(error), even for an exception whose __str__ raises or returns something that is not a string."""
    try:
        text = str(error)
    except BaseException:  # noqa: BLE001 - learner code decides what __str__ does
        return f"<a {type(error).__name__} whose message could not be shown: its __str__ raised>"
    return text if type(text) is str else f"<a {type(error).__name__}>"


def showable(error: BaseException | None) -> BaseException | None:
    """`error` itself when its message can be read, else an AssertionError that says what was raised: the report is
    built from messages, and an exception whose __str__ raises must cost its check, not the whole run."""
    if error is None:
        return None
    try:
        text = str(error)
        if type(text) is str:
            return error
    except BaseException:  # noqa: BLE001 - learner code decides what __str__ does
        pass
    shown = AssertionError(f"The code under test raised {text_of(error)}. Raise an ordinary exception (ValueError, "
                           "TypeError, ...) with a plain message, or better, return the result.")
    shown.__traceback__ = error.__traceback__
    return shown


def _shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _syntax_message(shown: str, error: SyntaxError) -> str:
    line = (error.text or "").rstrip("\n")
    pointer = " " * max((error.offset or 1) - 1, 0) + "^"
    return (
        f"{shown} does not import: Python found a syntax error on line {error.lineno}: {error.msg}.\n"
        f"    {line}\n    {pointer}\n"
        "Every exercise in this chapter scores zero until the file imports; the other chapters are graded as usual."
    )


def _import_error_message(shown: str, path: Path, error: BaseException) -> str:
    if "Timeout" in text_of(error):
        return (
            f"{shown} did not finish importing in time: probably an infinite loop at the top level of the file. "
            "Code at module level runs on import; keep loops inside functions."
        )
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path]
    where = f" on line {frames[-1].lineno} ({frames[-1].line})" if frames else ""
    return (
        f"{shown} does not import: {type(error).__name__}: {text_of(error)}{where}.\n"
        "Every exercise in this chapter scores zero until the file imports; the other chapters are graded as usual."
    )
