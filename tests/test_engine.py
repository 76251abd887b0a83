"""Do the engine's parts do what the checks rely on: loading by path, the same-device checker, gradcheck messages,
global-state restoration?"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from autograder.engine import expect
from autograder.engine.devices import MixedDevicesError, SameDeviceChecker
from autograder.engine.global_state import changes_since, restore, snapshot
from autograder.engine.loading import load_chapter

KIT_ROOT = Path(__file__).resolve().parents[1]


def test_grading_the_stubs_never_imports_the_reference():
    reference = load_chapter(KIT_ROOT / "solutions", "ch01_tensors")
    stub = load_chapter(KIT_ROOT / "exercises", "ch01_tensors")
    assert reference.__name__ != stub.__name__
    assert Path(stub.__file__).parent == KIT_ROOT / "exercises"
    with pytest.raises(NotImplementedError, match="Exercise 1.1"):
        stub.add_bias_column(torch.ones(2, 3))
    assert reference.add_bias_column(torch.ones(2, 3)).shape == (2, 4)


def test_same_device_checker_catches_mixes_meta_alone_misses():
    weight, x = torch.randn(3, 4), torch.randn(2, 4, device="meta")
    x @ weight.T  # meta alone accepts a cpu weight in a matmul...
    with pytest.raises(MixedDevicesError, match="different devices"), SameDeviceChecker():
        x @ weight.T  # ...the checker does not


def test_same_device_checker_allows_cpu_scalars_and_index_tensors():
    x = torch.randn(5, 3, device="meta")
    with SameDeviceChecker():
        x * torch.tensor(2.0)
        torch.randn(5, 3)[torch.tensor([0, 2])]


def test_gradcheck_names_the_wrong_argument():
    class WrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a)
            return a * a + b

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * a, grad  # should be 2 * a

    a = torch.randn(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(AssertionError, match=r"with respect to `a` is wrong.*largest difference is at index \("):
        expect.gradients_correct(lambda a, b: WrongSquare.apply(a, b), {"a": a, "b": b}, what="WrongSquare")
    expect.gradients_correct(lambda a, b: a * a + b, {"a": a, "b": b}, what="a*a + b")


def test_connected_names_a_graph_break():
    w = torch.randn(3, requires_grad=True)
    with pytest.raises(AssertionError, match=r"\.item\(\)"):
        expect.connected(torch.tensor((w * 2).sum().item()), {"w": w}, what="f(w)")
    expect.connected(w * 2, {"w": w}, what="f(w)")


def test_global_state_changes_are_named_and_undone():
    before = snapshot()
    torch.set_default_dtype(torch.float64)
    torch.set_grad_enabled(False)
    original = torch.allclose
    torch.allclose = lambda *a, **k: True
    try:
        changes = changes_since(before)
    finally:
        restore(before)
    assert "default dtype" in changes and "grad mode" in changes and "torch.allclose was replaced" in changes
    assert torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled() and torch.allclose is original
    assert changes_since(before) == ""


def test_shape_message_names_the_broadcast_trap():
    with pytest.raises(AssertionError, match=r"Known mistake: the loss broadcast \(N,1\) against \(N,\) into \(N,N\)"):
        expect.close(torch.zeros(4, 4), torch.zeros(4), what="mse(pred, target)")
