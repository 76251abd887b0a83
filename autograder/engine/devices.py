"""Which devices the checks run on, and the same-device checker that makes the meta device catch device bugs.

On a machine with a GPU, device-taking checks run on cpu and on cuda/mps: real mixes fail there. On a CPU-only
machine they also run on the `meta` device (tensors with shapes and no data). Meta alone misses many mixes:
`mm`, `matmul`, `einsum`, bias-free `linear`... accept a cpu tensor beside a meta one. So meta runs happen under
SameDeviceChecker, a TorchDispatchMode that raises as soon as one op sees tensors on two devices (MISTAKES.md B5).
"""
from __future__ import annotations

import contextlib
import functools
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from autograder.engine import edition, mistakes


@functools.cache
def gpu_devices() -> tuple[str, ...]:
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return tuple(found)


def checked_devices() -> list[str]:
    """cpu, every GPU present, and meta (under the same-device checker) when there is none. The learner edition and
    its recording always check cpu and meta: its recorded answers are the reference's on those two (edition.py)."""
    if gpu_devices() and not edition.meta_only():
        return ["cpu", *gpu_devices()]
    return ["cpu", "meta"]


def describe_devices() -> str:
    if gpu_devices() and not edition.meta_only():
        return "Devices checked: " + ", ".join(checked_devices()) + "."
    return (
        "Devices checked: cpu, and meta under a same-device checker. No GPU was available, so nothing ran on "
        "CUDA or MPS; the meta checks catch tensors created on the wrong device, and cost points for nothing else."
    )


class DeviceFailure(AssertionError):
    """A failure that the device itself proves: tensors on two devices in one operation, or a result on the wrong
    device. On the meta stand-in only these cost points (see META_RULE)."""


class MixedDevicesError(DeviceFailure):
    """An operation received tensors that live on different devices."""


META_RULE = (
    "On meta a run can only fail for what meta proves: tensors on two devices in one operation, or a result on the "
    "wrong device. Anything meta cannot do (.item(), .cpu(), reading values, data-dependent operations) leaves that "
    "run inconclusive, and the cpu run of the same check decides: the grade is the same with or without a GPU."
)


def is_meta_run(params: dict) -> bool:
    """Is this run of a check the one on the meta stand-in (the `device` fixture's meta parameter)?"""
    return str(params.get("device", "")) == "meta"


class SameDeviceChecker(TorchDispatchMode):
    """Raise when one aten op gets tensors on more than one device.

    0-dim cpu tensors are allowed beside any device (PyTorch itself treats them as scalars), and so are integer
    and bool cpu tensors used as indices by advanced indexing (`x[idx]`, `x[idx] = v`), which CUDA accepts too.
    gather, scatter and index_select are not exempt: on CUDA they fail with an index on another device.

    The error names the likely mistake from where the cpu tensor came from: the checker remembers the cpu tensors
    that learner code created (a factory op such as torch.zeros(n), torch.tensor(...), or an op on one of those).
    A cpu tensor it never saw created was handed in (an argument, a batch from the loader) and never moved.
    """

    _INDEX_OPS = ("index", "index_put", "index_put_", "_index_put_impl_")
    _LIFTS = ("lift_fresh", "lift_fresh_copy")  # torch.tensor(data) inside the mode

    def __init__(self):
        super().__init__()
        self._created: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        leaves, _ = tree_flatten((args, kwargs))
        tensors = [t for t in leaves if isinstance(t, torch.Tensor)]
        devices = {t.device for t in tensors if not self._exempt(func, t)}
        if len(devices) > 1:
            raise MixedDevicesError(self._diagnosis(func, tensors, devices))
        out = func(*args, **kwargs)
        name = func.__name__.split(".")[0]
        if not tensors or name in self._LIFTS or any(self._was_created(t) for t in tensors):
            for leaf in tree_flatten(out)[0]:
                if isinstance(leaf, torch.Tensor) and leaf.device.type == "cpu":
                    self._created[id(leaf)] = leaf
        return out

    def _was_created(self, tensor: torch.Tensor) -> bool:
        return self._created.get(id(tensor)) is tensor

    def _diagnosis(self, func, tensors: list[torch.Tensor], devices: set) -> str:
        shown = ", ".join(sorted(str(d) for d in devices))
        stray = [t for t in tensors if t.device.type == "cpu" and not self._exempt(func, t)]
        mistake = ("tensor_on_default_device" if not stray or any(self._was_created(t) for t in stray)
                   else "to_device_result_discarded")
        return f"operation {func} received tensors on different devices ({shown}). " + mistakes.describe(mistake)

    def _exempt(self, func, tensor: torch.Tensor) -> bool:
        if tensor.device.type == "cpu" and tensor.dim() == 0:
            return True
        name = func.__name__.split(".")[0]
        return name in self._INDEX_OPS and tensor.device.type == "cpu" and not tensor.is_floating_point()


_copies_to_cpu = [0]  # copies of a tensor to the cpu made under copies_out_of since the check began


def forget_copies_to_cpu() -> None:
    """A check begins (the plugin calls it): no copy to the cpu seen yet."""
    _copies_to_cpu[0] = 0


def _is_copy_to_cpu(func, args, kwargs) -> bool:
    return (func is torch.ops.aten._to_copy.default and isinstance(args[0], torch.Tensor)
            and args[0].device.type != "cpu" and kwargs.get("device") is not None
            and torch.device(kwargs["device"]).type == "cpu")


def name_the_detour(failure: DeviceFailure) -> None:
    """A device failure after learner code copied a tensor to the cpu: add the named mistake to its message (in
    place, so the exception keeps its class and traceback)."""
    text = mistakes.describe("result_brought_to_cpu")
    if _copies_to_cpu[0] and len(failure.args) == 1 and isinstance(failure.args[0], str) \
            and text not in failure.args[0]:
        failure.args = (f"{failure.args[0]} {text}",)


class CountsCopiesToCpu(TorchDispatchMode):
    """On a real device: lets every operation run as it is, and counts the copies of a tensor to the cpu, so that a
    device failure can name the detour (name_the_detour) there as on meta."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if _is_copy_to_cpu(func, args, kwargs):
            _copies_to_cpu[0] += 1
        return func(*args, **kwargs)


class MetaCopiesOutAsZeros(TorchDispatchMode):
    """Lets a copy out of meta to the cpu run, as a cpu tensor of zeros of the same shape. On a real GPU that copy
    works, so under this mode a meta run can prove where a result ends up: learner code that brings its result back
    to the cpu (`.cpu()`, `.to("cpu")`) fails a device check on a CPU-only machine as it does beside a GPU, instead of
    leaving the meta run inconclusive (META_RULE). Only for checks that look at devices, never at values."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if _is_copy_to_cpu(func, args, kwargs) and args[0].is_meta:
            _copies_to_cpu[0] += 1
            # zeros, not empty: code that goes on with the copied values (int(x.cpu().sum())) sees the same
            # numbers every run, never uninitialised memory that could be NaN one run and finite the next
            return torch.zeros(args[0].shape, dtype=kwargs.get("dtype") or args[0].dtype, device="cpu")
        return func(*args, **kwargs)


def copies_out_of(device) -> contextlib.AbstractContextManager:
    """MetaCopiesOutAsZeros on the meta run, CountsCopiesToCpu on a GPU, nothing on the cpu."""
    kind = torch.device(device).type
    if kind == "meta":
        return MetaCopiesOutAsZeros()
    return CountsCopiesToCpu() if kind != "cpu" else contextlib.nullcontext()
