"""Do the engine's parts do what the checks rely on: loading by path, the same-device checker, gradcheck messages,
global-state restoration?"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from autograder.engine import expect, mistakes
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


def _mixed_device_message(body) -> str:
    with pytest.raises(MixedDevicesError) as raised, SameDeviceChecker():
        body()
    return str(raised.value)


@pytest.mark.parametrize("made_inside", [
    lambda x: x + torch.zeros(4),
    lambda x: x + torch.zeros(4) * 2,  # still made by the learner's code, one op later
    lambda x: x + torch.tensor([1.0, 2.0, 3.0, 4.0]),
    lambda x: x @ torch.eye(4),
])
def test_a_tensor_made_on_the_cpu_inside_is_named_as_created_on_the_default_device(made_inside):
    x = torch.randn(2, 4, device="meta")
    message = _mixed_device_message(lambda: made_inside(x))
    assert mistakes.describe("tensor_on_default_device") in message
    assert mistakes.describe("to_device_result_discarded") not in message


@pytest.mark.parametrize("handed_in", [
    lambda weight, batch: batch @ weight,  # a batch that never moved
    lambda weight, batch: (batch * 2) @ weight,  # an op on it before the mix: still the batch
    lambda weight, batch: (batch.to("meta"), batch @ weight),  # .to's result discarded
])
def test_a_cpu_tensor_handed_in_is_named_as_not_moved(handed_in):
    weight, batch = torch.randn(4, 3, device="meta"), torch.randn(2, 4)
    message = _mixed_device_message(lambda: handed_in(weight, batch))
    assert mistakes.describe("to_device_result_discarded") in message
    assert mistakes.describe("tensor_on_default_device") not in message


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


def test_the_childs_tamper_predicate_reads_functions_again_once_an_edit_was_counted():
    """In the class grader's child the predicate trusts the audit hook's count of function edits (sandbox.py; the
    hook's count is tested in test_sandbox.py): while it has not moved, code and defaults are not read."""
    from autograder.engine import global_state

    def guarded(x=1):
        return x

    namespace, original = {"guarded": guarded}, guarded.__code__
    entry = (namespace, None, "guarded", "test.guarded", guarded, original, (guarded.__defaults__, None))
    edits = [0]
    intact = global_state._intact_check((entry,), edits)
    assert intact()
    guarded.__code__ = (lambda x=1: 2).__code__
    assert intact()  # uncounted, so unread: in the child the hook counts every edit
    edits[0] += 1
    assert not intact() and not intact()  # counted: read, and changed until put back
    guarded.__code__ = original
    assert intact() and intact()
    guarded.__defaults__ = (5,)
    edits[0] += 1
    assert not intact()
    guarded.__defaults__ = tuple([1])
    assert not intact()  # an equal tuple, not the recorded one: the scan that names what changed decides
    namespace["guarded"] = lambda x=1: x
    assert not global_state._intact_check((entry,), None)()  # without a count every call reads everything


def test_shape_message_names_the_broadcast_trap():
    with pytest.raises(AssertionError, match=r"Known mistake: the loss broadcast \(N,1\) against \(N,\) into \(N,N\)"):
        expect.close(torch.zeros(4, 4), torch.zeros(4), what="mse(pred, target)")


def test_a_learner_error_carries_the_learners_file_and_line(tmp_path):
    from autograder.engine.calls import call
    from autograder.engine.feedback import learner_location

    folder = tmp_path / "target"
    folder.mkdir()
    (folder / "ch99_demo.py").write_text("import torch\n\n\ndef f(x):\n    return x.mean(dim=5)\n")
    module = load_chapter(folder, "ch99_demo")
    with pytest.raises(AssertionError) as raised:
        call(module.f, torch.ones(2))
    location = learner_location(raised.value, folder)
    assert location.line == 5 and location.source == "return x.mean(dim=5)" and location.path.endswith("ch99_demo.py")
    assert learner_location(raised.value, tmp_path / "elsewhere") is None


def test_a_named_mistake_travels_as_an_id():
    from autograder.engine import mistakes
    from autograder.engine.feedback import named_mistakes

    with pytest.raises(AssertionError) as raised:
        expect.mistake("zero_grad_missing", "Called train_one_epoch(...).")
    assert raised.value.mistake_ids == ("zero_grad_missing",)
    assert str(raised.value) == "Called train_one_epoch(...).\n" + mistakes.describe("zero_grad_missing")
    assert named_mistakes(raised.value, str(raised.value)) == ("zero_grad_missing",)
    as_text = AssertionError("x " + mistakes.describe("dims_swapped"))  # a check that embeds the sentence
    assert named_mistakes(as_text, str(as_text)) == ("dims_swapped",)


def test_dtype_advice_fits_the_case():
    from autograder.engine.calls import call

    def labels_to_float(labels):
        return labels  # int64 in, int64 out: the exercise asks for float32
    with pytest.raises(AssertionError, match="returns torch.float32 whatever it is given") as raised:
        expect.close(call(labels_to_float, torch.tensor([0, 1])), torch.tensor([0.0, 1.0]))
    assert "Keep the input's dtype" not in str(raised.value)
    with pytest.raises(AssertionError, match="Keep the input's dtype"):
        expect.close(call(lambda x: x.double(), torch.ones(2)), torch.ones(2))


def test_a_meta_value_read_is_explained():
    from autograder.engine.calls import call

    with pytest.raises(AssertionError, match=r"(?s)cannot be called on meta tensors.*stands in for a GPU"):
        call(lambda x: torch.tensor(x.sum().item()), torch.ones(3, device="meta"))
    with pytest.raises(AssertionError) as raised:  # a plain error on cpu gets no word about meta
        call(lambda x: x.mean(dim=5), torch.ones(3))
    assert "meta" not in str(raised.value)


def test_a_timeout_spent_printing_is_not_called_an_infinite_loop():
    from autograder.engine.outcomes import timeout_message

    assert "probably an infinite loop" in timeout_message(10, "x\n" * 10)
    printing = timeout_message(10, "x\n" * 5000)
    assert "printing a great deal (5000 lines so far)" in printing and "infinite loop" not in printing


def test_the_catalog_reads_guides_where_the_exercises_point():
    from autograder.engine import catalog, exercises

    assert catalog.GUIDE_ROOT == exercises.GUIDE_ROOT


def test_a_broken_chapter_raises_afresh_for_each_check(tmp_path):
    """Every check of a broken chapter raises its ChapterBroken. Raising the one stored exception again would lengthen
    its traceback by each raise before, and pytest's traceback filter made the 17th check of a missing ch01 cost more
    than grading a correct one."""
    import traceback

    from autograder.engine.loading import ChapterBroken
    from autograder.engine.plugin import GradingSession

    (tmp_path / "ch01_tensors.py").write_text("def add_bias_column(x:\n")
    session, lengths, messages = GradingSession(tmp_path, 10.0), [], set()
    for _ in range(3):
        with pytest.raises(ChapterBroken) as broken:
            session.chapter(tmp_path, "ch01_tensors")
        lengths.append(len(traceback.extract_tb(broken.value.__traceback__)))
        messages.add(str(broken.value))
    assert lengths[0] == lengths[1] == lengths[2], f"the traceback grew: {lengths}"
    assert len(messages) == 1 and "ch01_tensors.py" in messages.pop()
