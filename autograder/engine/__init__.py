"""The grading engine the chapters' checks share: loading, assertions, devices, global state, reports.

The names below are imported on first use (PEP 562), so that tools which only read the course's metadata
(`coursekit progress`, `coursekit hint`: engine.catalog, engine.progress_store) start without importing torch.
"""
import importlib

__all__ = ["Called", "Exercise", "call", "expect", "generated", "strategies"]
_HOMES = {"Called": "autograder.engine.calls", "call": "autograder.engine.calls",
          "Exercise": "autograder.engine.exercises", "expect": "autograder.engine.expect",
          "generated": "autograder.engine.generated", "strategies": "autograder.engine.strategies"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_HOMES[name])
    value = module if module.__name__.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value
