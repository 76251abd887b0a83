"""The checks' drawn examples, shipped with the kit: a run replays them instead of asking hypothesis to draw them.

Drawing is a good share of what grading a correct chapter costs (engine/generated.py; benchmarks/bench_grading.py), and
it gives the same examples on every machine: `derandomize=True` seeds each check from its name. So the course author draws them once,
`coursekit doctor --update-integrity` writes them here (autograder/data/examples/<check file>.pt), and a run
loads them. They are plain data and are loaded with `torch.load(weights_only=True)`, which builds tensors, numbers,
strings and containers and never runs code. The files are part of the autograder's digest (engine/integrity.py), so
a changed file shows as "modified" in every report; and a file is used only when its fingerprint (the bytes of the
check file and of the engine modules that draw) is today's. Otherwise the check draws its examples itself, as
before: a stale or missing store makes grading slower, never different (tests/test_example_store.py compares every
stored example with a fresh draw). Stored examples also make a grade independent of the hypothesis a learner has
installed: a later hypothesis may draw other examples, the store does not change.

A check whose examples hold anything else (functions, modules, numpy arrays) is not stored: it always draws.
"""
from __future__ import annotations

import hashlib
import inspect
import io
from pathlib import Path
from typing import Any

AUTOGRADER = Path(__file__).resolve().parents[1]
STORE = AUTOGRADER / "data" / "examples"
# What the drawing depends on besides the check file itself.
_DRAWING_MODULES = ("strategies.py", "generated.py", "example_store.py")
MAX_BYTES = 16 * 2**20  # a store file larger than this is not what the kit wrote: ignored
_loaded: dict[Path, dict[str, list] | None] = {}
enabled = True  # False while the store is being rebuilt: every check draws


def fingerprint(check_file: Path) -> str:
    """What the stored examples were drawn from: the check file and the engine modules that draw. Not the versions
    of hypothesis or torch: the stored examples are the kit's, the same on every machine whichever hypothesis a
    learner has (tests/test_example_store.py compares them with fresh draws under the version that wrote them)."""
    hasher = hashlib.sha256()
    for path in (check_file, *(Path(__file__).parent / name for name in _DRAWING_MODULES)):
        hasher.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return hasher.hexdigest()


def store_path(check_file: Path) -> Path:
    return STORE / f"{check_file.stem}.pt"


def stored(check: Any) -> list[dict[str, Any]] | None:
    """The stored examples of this check function, or None (then it draws)."""
    if not enabled:
        return None
    try:
        check_file = Path(inspect.getsourcefile(check) or "").resolve()
    except TypeError:
        return None
    if check_file.parent != AUTOGRADER:
        return None
    if check_file not in _loaded:
        _loaded[check_file] = _load(check_file)
    examples = (_loaded[check_file] or {}).get(check.__name__)
    return examples


def _load(check_file: Path) -> dict[str, list] | None:
    path = store_path(check_file)
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        import torch

        data = torch.load(io.BytesIO(path.read_bytes()), weights_only=True)
    except Exception:  # noqa: BLE001 - unreadable or not ours: draw instead
        return None
    if not (isinstance(data, dict) and data.get("fingerprint") == fingerprint(check_file)
            and isinstance(data.get("examples"), dict)):
        return None
    examples = data["examples"]
    for name, drawn in examples.items():
        if not (isinstance(name, str) and isinstance(drawn, list)
                and all(isinstance(e, dict) and all(isinstance(k, str) for k in e) for e in drawn)):
            return None
    return examples


def write(check_file: Path, checks: list[Any]) -> tuple[int, int]:
    """Draw the examples of `checks` (functions of `check_file`) afresh and store those that are plain data; returns
    (stored, drawn at run time)."""
    import torch

    global enabled
    examples, skipped = {}, 0
    enabled = False
    try:
        for check in checks:
            drawn = check.record_examples(fresh=True)
            if drawn is not None and _plain(drawn):
                examples[check.__name__] = drawn
            else:
                skipped += 1
    finally:
        enabled = True
    path = store_path(check_file)
    if not examples:
        path.unlink(missing_ok=True)
        return 0, skipped
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    import hypothesis

    torch.save({"fingerprint": fingerprint(check_file), "hypothesis": hypothesis.__version__, "examples": examples},
               buffer)
    path.write_bytes(buffer.getvalue())
    _loaded.pop(check_file.resolve(), None)
    return len(examples), skipped


def _plain(drawn: list) -> bool:
    """Would weights_only loading give these examples back?"""
    import torch

    buffer = io.BytesIO()
    try:
        torch.save(drawn, buffer)
        torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    except Exception:  # noqa: BLE001 - a function, a module, a numpy array: the check draws at run time
        return False
    return True


def checks_of(module) -> list[Any]:
    """The functions of a check module that draw examples."""
    return [value for name, value in vars(module).items()
            if name.startswith("test_") and callable(getattr(value, "record_examples", None))]


def rebuild() -> dict[str, tuple[int, int]]:
    """Store the examples of every check file in autograder/ (what `coursekit doctor --update-integrity` runs)."""
    import importlib

    written = {}
    for check_file in sorted(AUTOGRADER.glob("test_ch*.py")):
        module = importlib.import_module(f"autograder.{check_file.stem}")
        written[check_file.stem] = write(check_file, checks_of(module))
    return written
