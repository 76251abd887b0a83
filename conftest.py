"""The kit's root: bare `pytest` here grades your exercises (pyproject.toml's `testpaths = ["autograder"]`), and
`pytest tests` is still the kit's own suite (testpaths apply only when no path is given).

pytest uses testpaths only when started from this folder. Started from a subfolder, this file makes the same
commands work: `pytest` in exercises/ or docs/ grades, and `pytest autograder ...` finds the kit's autograder/.
The grader's options are registered here too (torch-free), so `--target`, `--exercise` and the others parse from
anywhere in the kit.
"""
from __future__ import annotations

from pathlib import Path

from autograder.engine.options import add_options

KIT_ROOT = Path(__file__).resolve().parent
_OWN_SUITES = ("autograder", "tests", "benchmarks")  # started inside these, pytest collects what is there


def pytest_addoption(parser) -> None:
    add_options(parser)


def pytest_configure(config) -> None:
    here = Path(config.invocation_params.dir).resolve()
    if here == KIT_ROOT or not here.is_relative_to(KIT_ROOT):
        return
    if here.relative_to(KIT_ROOT).parts[0] in _OWN_SUITES:
        return
    grader = str(KIT_ROOT / "autograder")
    if config.args_source == config.ArgsSource.INVOCATION_DIR:  # bare `pytest` in a subfolder: grade, as at the root
        config.args[:] = [grader]
        return
    for index, argument in enumerate(config.args):  # `pytest autograder/test_ch01_tensors.py` from exercises/
        path = argument.split("::")[0]
        if not (here / path).exists() and (KIT_ROOT / path).exists():
            config.args[index] = str(KIT_ROOT / argument)
