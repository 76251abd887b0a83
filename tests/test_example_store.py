"""Are the examples the kit ships (autograder/data/examples/) the ones the checks would draw, current, and safe to
load; and does a run without them, or with a tampered one, still grade the same way (engine/example_store.py)?"""
from __future__ import annotations

import collections
import dataclasses
import importlib
import io
import math
import pickle
import types

import hypothesis
import numpy
import pytest
import torch

from autograder.engine import example_store, integrity

CHECK_FILES = sorted(example_store.AUTOGRADER.glob("test_ch*.py"))
UPDATE = "run `coursekit doctor --update-integrity` (it stores the examples and records the digest)"


def stored_file(check_file):
    path = example_store.store_path(check_file)
    if not path.exists():
        return None
    return torch.load(path, weights_only=True)


def same(a, b, where="") -> str:
    """'' when a and b are the same example (type, tensor dtype, shape, strides, device, grad flags and values, NaN
    equal to NaN, numpy arrays likewise, dataclasses field by field, functions and classes the same objects); else
    where they differ. Written apart from example_store.same, which decides what is stored."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, (types.FunctionType, type)):
        return "" if a is b else f"{where}: {a!r} is not {b!r}"
    if isinstance(a, numpy.ndarray):
        if (a.dtype, a.shape, a.strides) != (b.dtype, b.shape, b.strides):
            return f"{where}: {(a.dtype, a.shape, a.strides)} vs {(b.dtype, b.shape, b.strides)}"
        return "" if numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc") else f"{where}: values differ"
    if dataclasses.is_dataclass(a):
        return next((d for f in dataclasses.fields(a)
                     if (d := same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}"))), "")
    if isinstance(a, torch.Tensor):
        facts = lambda t: (t.dtype, t.shape, t.stride(), t.device, t.requires_grad, t.is_leaf)  # noqa: E731
        if facts(a) != facts(b):
            return f"{where}: {facts(a)} vs {facts(b)}"
        return "" if torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(0), b.nan_to_num(0)) else \
            f"{where}: values differ"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{where}: keys {list(a)} vs {list(b)}"
        return next((d for k in a if (d := same(a[k], b[k], f"{where}[{k!r}]"))), "")
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{where}: length {len(a)} vs {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := same(x, y, f"{where}[{i}]"))), "")
    if isinstance(a, float) and math.isnan(a):
        return "" if math.isnan(b) else f"{where}: nan vs {b!r}"
    return "" if a == b else f"{where}: {a!r} vs {b!r}"


@pytest.mark.parametrize("check_file", CHECK_FILES, ids=lambda p: p.stem)
def test_the_store_is_current(check_file):
    data = stored_file(check_file)
    assert data is not None, f"no stored examples for {check_file.name}: {UPDATE}"
    assert data["fingerprint"] == example_store.fingerprint(check_file), (
        f"{check_file.name} (or the engine that draws) changed since its examples were stored: {UPDATE}")


@pytest.mark.parametrize("check_file", CHECK_FILES, ids=lambda p: p.stem)
def test_stored_examples_are_what_the_checks_draw(check_file):
    data = stored_file(check_file)
    if data is None or data["fingerprint"] != example_store.fingerprint(check_file):
        pytest.skip("stale or missing: test_the_store_is_current says so")
    if data["hypothesis"] != hypothesis.__version__:
        pytest.skip(f"stored with hypothesis {data['hypothesis']}, this is {hypothesis.__version__}: another "
                    "version may draw other examples (the store keeps the kit's)")
    module = importlib.import_module(f"autograder.{check_file.stem}")
    checks = {check.__name__: check for check in example_store.checks_of(module)}
    assert set(data["examples"]) <= set(checks)
    for name, encoded in data["examples"].items():
        stored = [example_store.decode(example, module.__name__) for example in encoded]
        drawn = checks[name].record_examples(fresh=True)
        assert len(drawn) == len(stored), name
        difference = next((d for i, (x, y) in enumerate(zip(stored, drawn)) if (d := same(x, y, f"example {i}"))), "")
        assert not difference, f"{name}: the stored example differs from a fresh draw at {difference}"


def test_every_check_that_can_be_stored_is():
    """A check left out of the store draws at every run: only those whose examples hold what cannot be stored (a
    module object, a name outside the check file, torch and collections)."""
    for check_file in CHECK_FILES:
        data = stored_file(check_file)
        module = importlib.import_module(f"autograder.{check_file.stem}")
        for check in example_store.checks_of(module):
            if check.__name__ not in (data or {}).get("examples", {}):
                drawn = check.record_examples(fresh=True)
                assert drawn is None or example_store._storable(drawn, module.__name__) is None, (
                    f"{check.__name__} could be stored: {UPDATE}")


def test_a_run_uses_the_store_and_draws_without_it(monkeypatch):
    """A check with stored examples does not ask hypothesis to draw; with the store switched off it draws them, the
    same ones."""
    import hypothesis.core

    real_engine, engine_runs = hypothesis.core.StateForActualGivenExecution.run_engine, []

    def counted(self, *args, **kwargs):
        engine_runs.append(1)
        return real_engine(self, *args, **kwargs)

    monkeypatch.setattr(hypothesis.core.StateForActualGivenExecution, "run_engine", counted)

    def fresh_check():  # a freshly imported module: its checks have drawn nothing in this process
        module = importlib.reload(importlib.import_module("autograder.test_ch01_tensors"))
        return next(c for c in example_store.checks_of(module) if c.__name__ == "test_1_2_matches_reference")

    from_store = fresh_check().record_examples()
    assert from_store and not engine_runs
    monkeypatch.setattr(example_store, "enabled", False)
    drawn = fresh_check().record_examples()
    assert engine_runs and len(drawn) == len(from_store)


def test_a_tampered_or_foreign_store_is_ignored_and_never_runs_code(tmp_path, monkeypatch):
    check_file = example_store.AUTOGRADER / "test_ch01_tensors.py"
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    monkeypatch.setattr(example_store, "STORE", tmp_path)
    for content in (pickle.dumps({"fingerprint": example_store.fingerprint(check_file), "examples": Payload()}),
                    b"not a torch file", b""):
        (tmp_path / "test_ch01_tensors.pt").write_bytes(content)
        assert example_store._load(check_file) is None
    torch.save({"fingerprint": "an older check file", "examples": {"test_1_2_matches_reference": [{}]}},
               tmp_path / "test_ch01_tensors.pt")
    assert example_store._load(check_file) is None
    torch.save({"fingerprint": example_store.fingerprint(check_file), "examples": {"x": "not a list"}},
               tmp_path / "test_ch01_tensors.pt")
    assert example_store._load(check_file) is None
    assert not ran.exists()


def test_the_store_is_part_of_the_digest():
    stored = [p for p in integrity.files() if p.suffix == ".pt"]
    assert stored and all(p.parent == example_store.STORE for p in stored)


@dataclasses.dataclass(frozen=True)
class Plan:
    size: int
    shuffle: bool


class Batch(dict):
    pass


Pair = collections.namedtuple("Pair", "x y")


def kinked(x):
    return x.abs().sum()


def test_functions_arrays_and_the_check_files_classes_are_stored_by_name_and_come_back_the_same():
    here = __name__
    drawn = [{"f": kinked, "layer": torch.nn.ReLU, "a": numpy.arange(6, dtype=numpy.float16).reshape(2, 3)[:, ::2],
              "plan": Plan(7, True), "batch": Batch(x=torch.ones(2), y=[collections.OrderedDict(z=torch.zeros(1))]),
              "pair": Pair(torch.ones(1), (1, 2.5))}]
    encoded = example_store._storable(drawn, here)
    assert encoded is not None
    buffer = io.BytesIO()
    torch.save(encoded, buffer)
    loaded = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)  # plain data: no code runs on load
    back = [example_store.decode(example, here) for example in loaded]
    assert not same(drawn, back)
    assert back[0]["f"] is kinked and back[0]["layer"] is torch.nn.ReLU
    assert type(back[0]["batch"]) is Batch and type(back[0]["pair"]) is Pair


def test_what_cannot_come_back_exactly_is_not_stored():
    def local(x):  # not reachable by name
        return x

    for example in ({"f": local}, {"m": torch.nn.Linear(2, 2)}, {"g": (i for i in range(2))},
                    {"f": numpy.add}, {"t": ("\0ref", "os", "system")}):
        assert example_store._storable([example], __name__) is None, example


def test_a_stored_name_is_looked_up_only_in_the_check_file_torch_and_collections_and_never_imported():
    for module, name in (("os", "system"), ("builtins", "eval"), ("subprocess", "run")):
        with pytest.raises(LookupError):
            example_store.decode(("\0ref", module, name), "autograder.test_ch01_tensors")
    with pytest.raises(LookupError):  # a torch module not loaded yet is not imported to find the name
        example_store.decode(("\0ref", "torch.not_a_module_here", "x"), "autograder.test_ch01_tensors")
