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

Examples that hold a few other things are stored encoded (`encode`, `decode`): a function or class by name (only
the check file's own, torch's or `collections`', looked up among the modules already loaded, never imported), a
numpy array as a tensor, a range or frozenset by its contents, and a dataclass, namedtuple or dict subclass by its
class and contents. An example is stored only when its decoded copy is the drawn example again (`same`); one that
holds anything else (a module object, a generator) is not stored: its check always draws.
"""
from __future__ import annotations

import hashlib
import inspect
import io
import sys
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
    if examples is None:
        return None
    try:
        return [decode(example, check.__module__) for example in examples]
    except (LookupError, TypeError, ValueError):  # a name that is not there (any more): draw instead
        return None


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
            encoded = _storable(drawn, check.__module__) if drawn is not None else None
            if encoded is not None:
                examples[check.__name__] = encoded
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


def _storable(drawn: list, module_name: str) -> list | None:
    """The examples encoded for the store, or None when weights_only loading and decoding would not give exactly
    them back."""
    import torch

    buffer = io.BytesIO()
    try:
        encoded = [encode(example, module_name) for example in drawn]
        torch.save(encoded, buffer)
        loaded = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
        back = [decode(example, module_name) for example in loaded]
    except Exception:  # noqa: BLE001 - a module object, a generator...: the check draws at run time
        return None
    if len(back) != len(drawn) or not all(map(same, drawn, back)):
        return None
    return encoded


# Encoded values are tuples led by one of these; a drawn tuple that starts with one is not stored.
_REF, _ARRAY, _DATACLASS, _TUPLE, _DICT = "\0ref", "\0ndarray", "\0dataclass", "\0tuple", "\0dict"
_RANGE, _FROZENSET = "\0range", "\0frozenset"
_MARKERS = (_REF, _ARRAY, _DATACLASS, _TUPLE, _DICT, _RANGE, _FROZENSET)


def encode(value: Any, module_name: str) -> Any:
    """`value` as plain data that weights_only loading accepts (see the module docstring); TypeError if it cannot."""
    import dataclasses
    import types

    import torch

    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes, torch.dtype, torch.device, torch.Tensor):
        return value
    if kind in (list, tuple):
        if kind is tuple and value and isinstance(value[0], str) and value[0] in _MARKERS:
            raise TypeError("a drawn tuple that looks encoded")
        return kind(encode(item, module_name) for item in value)
    if kind is dict:
        return {key: encode(item, module_name) for key, item in value.items()}
    if kind is range:
        return (_RANGE, value.start, value.stop, value.step)
    if kind is frozenset:
        return (_FROZENSET, [encode(item, module_name) for item in value])
    if isinstance(value, (types.FunctionType, type)):
        return (_REF, *_name_of(value, module_name))
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray":
        return (_ARRAY, torch.from_numpy(value))
    reference = (_REF, *_name_of(kind, module_name))
    if dataclasses.is_dataclass(value):
        return (_DATACLASS, reference, {field.name: encode(getattr(value, field.name), module_name)
                                        for field in dataclasses.fields(value)})
    if isinstance(value, tuple) and hasattr(kind, "_fields"):  # a namedtuple
        return (_TUPLE, reference, [encode(item, module_name) for item in value])
    if isinstance(value, dict) and (kind.__module__ == module_name or kind.__module__ == "collections"):
        return (_DICT, reference, [(key, encode(item, module_name)) for key, item in value.items()])
    raise TypeError(f"cannot store a {kind.__qualname__}")


def _name_of(value: Any, module_name: str) -> tuple[str, str]:
    """(module, qualified name) of a function or class that the check file or torch defines, and that this name
    finds again."""
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if not (module == module_name or module == "collections" or module == "torch" or str(module).startswith("torch.")):
        raise TypeError(f"{value!r} is not the check file's or torch's")
    if _look_up(module, name) is not value:
        raise TypeError(f"{module}.{name} does not name {value!r}")
    return module, name


def _look_up(module: str, name: str) -> Any:
    """A name among the modules already loaded; nothing is imported (LookupError when it is not there)."""
    if "<" in name:
        raise LookupError(name)
    found = sys.modules[module]
    for part in name.split("."):
        found = getattr(found, part)
    return found


def decode(value: Any, module_name: str) -> Any:
    """The drawn value back from `encode`'s form."""
    kind = type(value)
    if kind is dict:
        return {key: decode(item, module_name) for key, item in value.items()}
    if kind is list:
        return [decode(item, module_name) for item in value]
    if kind is not tuple:
        return value
    if not (value and isinstance(value[0], str) and value[0] in _MARKERS):
        return tuple(decode(item, module_name) for item in value)
    marker = value[0]
    if marker == _REF:
        module, name = value[1], value[2]
        if not (module == module_name or module == "collections" or module == "torch" or module.startswith("torch.")):
            raise LookupError(module)
        return _look_up(module, name)
    if marker == _ARRAY:
        return value[1].numpy()
    if marker == _RANGE:
        return range(*value[1:])
    if marker == _FROZENSET:
        return frozenset(decode(item, module_name) for item in value[1])
    cls = decode(value[1], module_name)
    if marker == _DATACLASS:
        return cls(**{key: decode(item, module_name) for key, item in value[2].items()})
    if marker == _TUPLE:
        return cls(*(decode(item, module_name) for item in value[2]))
    return cls((key, decode(item, module_name)) for key, item in value[2])


def same(a: Any, b: Any) -> bool:
    """Is `b` exactly the example `a`: the same types all the way down, tensors with the same dtype, shape, strides,
    device, grad flags and values (NaN equal to NaN), functions and classes the same objects?"""
    import dataclasses
    import math
    import types

    import torch

    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        facts = lambda t: (t.dtype, t.shape, t.stride(), t.device, t.requires_grad, t.is_leaf)  # noqa: E731
        return (facts(a) == facts(b) and torch.equal(a.isnan(), b.isnan())
                and torch.equal(a.nan_to_num(0), b.nan_to_num(0)))
    if type(a).__module__ == "numpy" and type(a).__name__ == "ndarray":
        return (a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
                and same(torch.from_numpy(a), torch.from_numpy(b)))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (types.FunctionType, type)):
        return a is b
    return a == b


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
