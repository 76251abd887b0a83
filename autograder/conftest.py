"""Makes `pytest autograder` a grader: the hooks and fixtures live in engine/plugin.py."""
from autograder.engine.plugin import (  # noqa: F401 - pytest finds hooks and fixtures by name
    device,
    learner,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_collection_finish,
    pytest_configure,
    pytest_deselected,
    pytest_report_teststatus,
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_sessionfinish,
    pytest_terminal_summary,
    reference,
)
