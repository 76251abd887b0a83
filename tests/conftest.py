"""The kit's own test suite: shared fixtures and the closing tally of variants caught."""
import pytest

_TALLY: list = []


@pytest.fixture(scope="session")
def variant_tally():
    return _TALLY


def pytest_terminal_summary(terminalreporter):
    if not _TALLY:
        return
    exercises = {v.exercise for v, _ in _TALLY}
    wrong = [lost for v, lost in _TALLY if not v.is_correct]
    correct = [lost for v, lost in _TALLY if v.is_correct]
    terminalreporter.write_sep("=", "known mistakes")
    terminalreporter.write_line(
        f"{len(exercises)} exercises; {len(wrong)} wrong implementations, {sum(wrong)} caught; "
        f"{len(correct)} correct implementations in other styles, {len(correct) - sum(correct)} accepted.")


def pytest_sessionfinish():
    from tests.grading import PROGRESS_STORE

    PROGRESS_STORE.unlink(missing_ok=True)


def pytest_configure(config):
    # tests/test_contract.py imports the chapters' checks, whose decorator marks them for the grader.
    config.addinivalue_line("markers", "exercise_check(exercise, points): a check of one exercise, worth points")
