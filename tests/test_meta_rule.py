"""Does the meta stand-in cost points only for what it proves (issue 9, item 4)?

On a machine without a GPU the device checks also run on `meta`. Correct code that meta cannot execute (.item(),
.cpu(), reading values) must keep full marks there, exactly as it would on a machine with a GPU; code that creates a
tensor on the default device must still lose points.
"""
from __future__ import annotations

import pytest
import torch

from autograder.engine.devices import DeviceFailure, MixedDevicesError, gpu_devices
from autograder.engine.outcomes import FAILED, INCONCLUSIVE, NOT_ATTEMPTED, PASSED, Check, classify
from tests.grading import copy_solutions, grade

ITEM_READING_ONE_HOT = '''
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(labels.shape[0], num_classes, dtype=dtype, device=labels.device)
    for row in range(labels.shape[0]):
        out[row, int(labels[row].item())] = 1  # meta has no values to read: meta cannot run this
    return out
'''
DEFAULT_DEVICE_ONE_HOT = '''
def one_hot(labels, num_classes, dtype=torch.float32):
    encoded = torch.zeros(labels.shape[0], num_classes, dtype=dtype)  # on the default device, not the labels'
    return encoded.scatter_(1, labels[:, None], 1)
'''


def graded_one_hot(tmp_path, source: str):
    target = copy_solutions(tmp_path)
    with open(target / "ch01_tensors.py", "a", encoding="utf-8") as file:
        file.write(source)
    return grade(target, "autograder/test_ch01_tensors.py")


@pytest.mark.skipif(bool(gpu_devices()), reason="the meta stand-in runs only where there is no GPU")
def test_correct_code_meta_cannot_run_keeps_full_marks(tmp_path):
    score, maximum = graded_one_hot(tmp_path, ITEM_READING_ONE_HOT).exercise("1.4")
    assert score == maximum, f"a correct one_hot that reads values with .item() lost points: {score}/{maximum}"


def test_a_tensor_on_the_wrong_device_still_loses_points(tmp_path):
    result = graded_one_hot(tmp_path, DEFAULT_DEVICE_ONE_HOT)
    score, maximum = result.exercise("1.4")
    assert score < maximum, "a one_hot that ignores the labels' device kept full marks"
    assert "device" in result.outputs("1.4")


def test_on_meta_only_device_failures_count():
    assert classify(DeviceFailure("on cpu, expected meta"), 10, on_meta=True)[0] == FAILED
    assert classify(MixedDevicesError("two devices"), 10, on_meta=True)[0] == FAILED
    assert classify(AssertionError("Cannot copy out of meta tensor; no data!"), 10, on_meta=True)[0] == INCONCLUSIVE
    assert classify(RuntimeError("no meta kernel"), 10, on_meta=True)[0] == INCONCLUSIVE
    assert classify(NotImplementedError("Exercise 1.4 is not written yet"), 10, on_meta=True)[0] == NOT_ATTEMPTED
    # Off meta, the same failures count as usual.
    assert classify(AssertionError("values differ"), 10, on_meta=False)[0] == FAILED


def test_an_inconclusive_meta_run_neither_scores_nor_costs():
    check = Check("test_x", "Does it?", points=2, runs=[("[cpu]", PASSED, ""), ("[meta]", INCONCLUSIVE, "n/a")])
    assert (check.status, check.score) == (PASSED, 2)
    check.runs[0] = ("[cpu]", FAILED, "values differ")
    assert (check.status, check.score, check.message) == (FAILED, 0, "[cpu] values differ")


def test_device_failures_are_assertion_errors():
    """The report and the batch grader treat them as ordinary failed checks everywhere but on meta."""
    assert issubclass(DeviceFailure, AssertionError) and issubclass(MixedDevicesError, DeviceFailure)
    assert torch.device("meta").type == "meta"


def test_a_copy_out_of_meta_is_zeros_on_the_cpu_and_only_under_copies_out_of():
    """copies_out_of lets a detour through the cpu run on meta, so the result's device proves it (2.1, 3.4, 9.1,
    10.2, 12.4); the copy holds zeros, the same every run, never uninitialised memory."""
    from autograder.engine.devices import copies_out_of

    x = torch.ones(2, 3, device="meta", dtype=torch.float64)
    with pytest.raises(NotImplementedError):
        x.cpu()  # plain meta: no data to copy
    with copies_out_of("meta"):
        copied = x.cpu()
        moved = x.to("cpu", dtype=torch.float32)
    assert copied.device.type == "cpu" and copied.dtype == torch.float64 and copied.shape == (2, 3)
    assert torch.equal(copied, torch.zeros(2, 3, dtype=torch.float64))
    assert moved.dtype == torch.float32 and torch.equal(moved, torch.zeros(2, 3))
    with copies_out_of("cpu"):  # a real device is left alone
        assert torch.equal(torch.ones(2).cpu(), torch.ones(2))


def test_a_device_failure_after_a_copy_to_the_cpu_names_the_detour():
    """The copies copies_out_of sees are counted from the start of each check; a device failure after one names
    `result_brought_to_cpu`, one without it does not, and the exception keeps its class."""
    from autograder.engine import devices, mistakes

    named = mistakes.describe("result_brought_to_cpu")
    devices.forget_copies_to_cpu()
    plain = devices.DeviceFailure("It returned a tensor on cpu; expected one on meta.")
    devices.name_the_detour(plain)
    assert named not in str(plain)

    with devices.copies_out_of("meta"):
        torch.ones(2, device="meta").cpu()
    failure = devices.DeviceFailure("It returned a tensor on cpu; expected one on meta.")
    devices.name_the_detour(failure)
    assert type(failure) is devices.DeviceFailure and str(failure).endswith(named)
    devices.name_the_detour(failure)
    assert str(failure).count(named) == 1  # named once

    devices.forget_copies_to_cpu()  # the next check starts afresh
    later = devices.DeviceFailure("It returned a tensor on cpu; expected one on meta.")
    devices.name_the_detour(later)
    assert named not in str(later)


def test_the_detour_is_named_in_the_report_of_a_learner_who_brings_the_result_back(tmp_path):
    """End to end: 2.1 answered with `.cpu()` at the end fails on meta and the report names the mistake."""
    from tests.grading import copy_solutions, grade

    target = copy_solutions(tmp_path)
    source = (target / "ch02_autograd.py").read_text(encoding="utf-8")
    kept = "    return grad\n    ### END SOLUTION"
    assert source.count(kept) == 1
    (target / "ch02_autograd.py").write_text(source.replace(kept, "    return grad.cpu()  # to look at it\n"
                                                                  "    ### END SOLUTION"), encoding="utf-8")
    result = grade(target, "autograder/test_ch02_autograd.py", "--exercise", "2.1")
    score, max_score = result.exercise("2.1")
    assert score < max_score
    assert "copied a tensor to the cpu on the way" in result.output, result.output[-3000:]
