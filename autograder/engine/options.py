"""The grader's command-line options, in a module without torch: the kit's root conftest.py registers them too, so
that `pytest autograder --target ...` works from any folder of the kit (see conftest.py at the root)."""
from __future__ import annotations

import argparse

from autograder.engine import i18n

DEFAULT_CHECK_TIMEOUT = 10.0


def add_options(parser) -> None:
    """The grader's command-line options (once: the root conftest.py and autograder/conftest.py both ask)."""
    group = parser.getgroup("autograder", "grading the course's exercises")
    if any("--target" in option.names() for option in group.options):
        return  # the kit's root conftest.py registered them already (for `pytest` run from a subfolder)
    group.addoption("--exercise", action="append", default=[], metavar="ID",
                    help="grade only this exercise (8.1), function (train_one_epoch) or chapter (8); repeatable. "
                         "`-k 8.1` and `-k train_one_epoch` do the same")
    group.addoption("--target", default="exercises",
                    help="folder to grade, laid out like exercises/ (default: exercises; `solutions` = reference)")
    group.addoption("--results", default=None, metavar="FILE",
                    help="also write a Gradescope-format results.json to FILE")
    group.addoption("--visibility", default="visible",
                    choices=["visible", "hidden", "after_due_date", "after_published"],
                    help="Gradescope visibility of the results (default: visible)")
    group.addoption("--check-timeout", type=float, default=DEFAULT_CHECK_TIMEOUT, metavar="SECONDS",
                    help="stop a check that runs longer than this: probably an infinite loop (default: 10)")
    group.addoption("--lang", default=None, choices=list(i18n.LANGUAGES),
                    help="language of the report: en or zh (default: COURSEKIT_LANG, then the locale, then en)")
    group.addoption("--record-progress", action=argparse.BooleanOptionalAction, default=None,
                    help="keep each exercise's result in .coursekit/progress.sqlite (default: only when grading "
                         "exercises/)")
    group.addoption("--hidden-inputs", default=None, metavar="SECRET",
                    help="(instructors; grade-class and the Gradescope bundle pass it) also run every drawn check "
                         "on examples drawn from SECRET, which no learner edition holds (default: "
                         "COURSEKIT_HIDDEN_INPUTS)")
    group.addoption("--record-reference", default=None, metavar="DIR",
                    help="(course authors; `coursekit edition` runs it) grade --target solutions and keep every "
                         "answer the reference gave the checks in DIR, for the learner edition")
    group.addoption("--plots", default=None, metavar="DIR",
                    help="save loss curves of training exercises (yours against the reference) as PNGs in DIR")
