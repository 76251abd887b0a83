"""Which kit a `coursekit` command acts on: the one around the working directory, not the clone the package was
installed from (a second clone, a copy for another course, a submission folder inside a kit)."""
from __future__ import annotations

import os
from pathlib import Path

INSTALLED_ROOT = Path(__file__).resolve().parents[1]


def is_kit(folder: Path) -> bool:
    return (folder / "autograder").is_dir() and (folder / "exercises").is_dir() and (folder / "pyproject.toml").is_file()


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (the working directory) laid out like the kit; else, when the command
    runs outside any kit, the kit this package was installed from."""
    try:
        here = Path(start or os.getcwd()).resolve()
    except FileNotFoundError:  # the working directory was deleted: cli.main says so; importing must not crash first
        return INSTALLED_ROOT
    for folder in (here, *here.parents):
        if is_kit(folder):
            return folder
    return INSTALLED_ROOT


def stub_sources(root: Path) -> Path:
    """Where an exercise's stub comes from: solutions/ in the author kit (its solution regions cleared), the stubs
    as published in the learner edition, which has no solutions/ (autograder/data/stubs/, coursekit/learner_edition.py)."""
    solutions = root / "solutions"
    return solutions if solutions.is_dir() else root / "autograder" / "data" / "stubs"
