"""The kit's own test suite: shared fixtures and the closing tally of variants caught."""
import pytest

_TALLY: list = []


@pytest.fixture(scope="session")
def variant_tally():
    return _TALLY


def _tally_rows() -> list[tuple[str, bool, bool]]:
    """(exercise, is it a correct variant, did it lose points) for each variant graded in this process."""
    return [(variant.exercise, variant.is_correct, bool(lost)) for variant, lost in _TALLY]


_FROM_WORKERS: list = []  # under pytest-xdist (`-n`): the rows each worker sent back when it finished


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    _FROM_WORKERS.extend(tuple(row) for row in getattr(node, "workeroutput", {}).get("variant_tally", ()))


def pytest_terminal_summary(terminalreporter):
    rows = _tally_rows() + _FROM_WORKERS
    if not rows:
        return
    exercises = {exercise for exercise, _, _ in rows}
    wrong = [lost for _, is_correct, lost in rows if not is_correct]
    correct = [lost for _, is_correct, lost in rows if is_correct]
    terminalreporter.write_sep("=", "known mistakes")
    terminalreporter.write_line(
        f"{len(exercises)} exercises; {len(wrong)} wrong implementations, {sum(wrong)} caught; "
        f"{len(correct)} correct implementations in other styles, {len(correct) - sum(correct)} accepted.")


def pytest_sessionfinish(session):
    from tests.grading import PROGRESS_STORE

    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller prints the tally
        session.config.workeroutput["variant_tally"] = _tally_rows()

    PROGRESS_STORE.unlink(missing_ok=True)


def pytest_configure(config):
    # tests/test_contract.py imports the chapters' checks, whose decorator marks them for the grader.
    config.addinivalue_line("markers", "exercise_check(exercise, points): a check of one exercise, worth points")
