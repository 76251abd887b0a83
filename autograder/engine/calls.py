"""Calling learner code: errors become sentences, and meta-device calls run under the same-device checker."""
from __future__ import annotations

import _thread
import contextlib
import gc as _gc
from dataclasses import dataclass
from typing import Any, Callable

import torch

from autograder.engine.devices import DeviceFailure, MixedDevicesError, SameDeviceChecker
from autograder.engine.isolation import plain


@dataclass
class Called:
    """What a learner's function returned, and a description of the call for failure messages."""

    value: Any
    text: str
    input_dtypes: tuple = ()  # the dtypes of the tensors it was given (to say whether "keep the input's dtype" fits)


def describe(value: Any) -> str:
    """A short description of an argument: tensors by dtype, shape and device; containers by their items."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{dtype} tensor of shape {tuple(value.shape)} on {value.device}"
    if isinstance(value, torch.nn.Module):
        return f"a {type(value).__name__} module"
    if isinstance(value, (list, tuple)) and len(value) <= 4:
        inner = ", ".join(describe(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict) and len(value) <= 4:
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def describe_call(function: Callable, args: tuple, kwargs: dict) -> str:
    name = getattr(function, "__name__", repr(function))
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _uses_meta(values) -> bool:
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(values)
    for leaf in leaves:
        if isinstance(leaf, torch.Tensor) and leaf.is_meta:
            return True
        if isinstance(leaf, torch.nn.Module) and any(p.is_meta for p in leaf.parameters()):
            return True
    return False


def is_unwritten_stub(error: BaseException) -> bool:
    """The stub's own NotImplementedError ("Exercise N.M is not written yet"), or a bare one a learner left."""
    return isinstance(error, NotImplementedError) and (not str(error) or "is not written yet" in str(error))


# Set by the class grader's child (child.py) to its sealed tampering check, which names what learner code changed in
# the grader and puts it back. Looked at the moment learner code returns: a patch that undoes itself when the check
# uses it (so the end of the check finds everything in place) is caught before any comparison runs.
after_learner_code: Callable[[], str] | None = None


class GraderTampered(AssertionError):
    """Learner code changed the grader during the call (its check fails, whatever the call returned or raised)."""


# Set by the class grader's child too: told whenever a call is failed for what learner code changed or left behind
# (the child then ends after the check, and a fresh one grades the rest: what did it may still be in the heap).
on_tampering: Callable[[], None] | None = None


def _tell_the_child() -> None:
    told = on_tampering
    if told is not None:
        told()


def _refuse_tampering(text: str) -> None:
    check = after_learner_code
    tampered = check() if check is not None else ""
    if tampered:
        _tell_the_child()
        raise GraderTampered(f"Called {text}: it changed the grader itself ({tampered}). Exercise code must not touch "
                             "the grader, pytest or torch's own functions.")


# Learner code that keeps running after its call returned could act while the check decides: a thread that resizes
# the check's input again once it was put back, a gc callback that patches the comparison and undoes it. A call that
# leaves a Python thread running (in the class grader's child, beyond those it had when the walls went up:
# `threads_allowed`), or that adds a gc callback or changes gc's thresholds, fails; the callbacks and thresholds
# are put back.
_thread_count, _gc_callbacks, _gc_get_threshold, _gc_set_threshold = (_thread._count, _gc.callbacks,
                                                                      _gc.get_threshold, _gc.set_threshold)
threads_allowed: int | None = None


_function_modes, _dispatch_modes = torch._C._len_torch_function_stack, torch._C._len_torch_dispatch_stack
_pop_function_mode, _pop_dispatch_mode = torch._C._pop_torch_function_stack, torch._C._pop_torch_dispatch_stack


def _modes() -> tuple:
    return _function_modes(), _dispatch_modes()


def _left_modes(modes: tuple) -> str:
    """A torch function or dispatch mode that learner code pushed and left on sees (and can answer) every comparison
    the check makes next, and can pop itself before the check ends (a finalizer of what it returned): popped now."""
    if _modes() == modes:
        return ""
    try:
        while _function_modes() > modes[0]:
            _pop_function_mode()
        while _dispatch_modes() > modes[1]:
            _pop_dispatch_mode(None)  # None: a user mode (not one of torch's infra mode keys)
    except (RuntimeError, TypeError):  # the child ends after this check anyway (on_tampering)
        pass
    return "it left a torch function or dispatch mode on (it would see the check's own computations)"


def _own_attributes(args, kwargs) -> list:
    """(object, the names in its instance __dict__) for what a call is given at the top level that has one: an
    attribute learner code adds to the check's own tensor or module (x.mean = ..., model.forward = ...) would answer
    for torch's method when the check uses that object after the call (the reference, computed on the same x)."""
    kept, given = [], [*args, *kwargs.values()]
    for value in list(given):  # and what lists and tuples at the top level hold (a list of parameters to step)
        if type(value) in (list, tuple) and len(value) <= 64:
            given.extend(value)
    for value in given:
        try:
            own = object.__getattribute__(value, "__dict__")
        except (AttributeError, TypeError):
            continue
        if type(own) is dict and not isinstance(value, type) and type(value).__module__ not in ("builtins",):
            kept.append((value, own, frozenset(own)))
    return kept


def _shadowed(kept: list) -> str:
    """Names learner code added to a given object's __dict__ that shadow its class's attributes; removed."""
    found = []
    for value, own, keys in kept:
        try:
            now = object.__getattribute__(value, "__dict__")
        except (AttributeError, TypeError):
            continue
        if now is own and len(now) == len(keys) and now.keys() == keys:
            continue
        kind = type(value)
        for name in [name for name in list(now) if name not in keys and isinstance(name, str)
                     and any(name in vars(base) for base in kind.__mro__)]:
            try:
                del now[name]
            except KeyError:
                pass
            found.append(f"{kind.__name__}.{name}")
    if not found:
        return ""
    return ("it set attributes on what the check gave it that shadow the class's own (" + ", ".join(found[:5]) +
            "): the check would call them in place of torch's")


def _left_running(text: str, threads: int, callbacks: tuple, thresholds: tuple, modes: tuple = (0, 0),
                  attributes: list = ()) -> str:
    import time

    found = list(filter(None, [_left_modes(modes), _shadowed(attributes)]))
    if tuple(_gc_callbacks) != callbacks:
        _gc_callbacks[:] = list(callbacks)
        found.append("it added a garbage-collector callback (gc.callbacks)")
    if _gc_get_threshold() != thresholds:
        _gc_set_threshold(*thresholds)
        found.append("it changed the garbage collector's thresholds")
    # Only where the baseline is known (the class grader's child, whose time is kept from outside: no watchdog
    # thread of the grader's own comes and goes there).
    allowed = None if threads_allowed is None else min(threads, threads_allowed)
    if allowed is not None and _thread_count() > allowed:
        deadline = time.monotonic() + 0.2  # a thread that is ending anyway (a worker told to stop) gets a moment
        while _thread_count() > allowed and time.monotonic() < deadline:
            time.sleep(0.005)
        if _thread_count() > allowed:
            found.append("it left a Python thread running, which could change the check's inputs or the grader "
                         "while the check decides")
    if not found:
        return ""
    return (f"Called {text}: {'; '.join(found)}. Exercise code must finish its work before it returns (join the "
            "threads it starts; leave the garbage collector, torch's modes and the objects it is given alone).")


def call(function: Callable, *args, **kwargs) -> Called:
    """Run learner code and return Called(value, text).

    The stub's own NotImplementedError passes through untouched: that is how the report knows an exercise was not
    attempted. Any other exception (a NotImplementedError from torch included) becomes an AssertionError that says
    what was called and what it raised.
    """
    text = describe_call(function, args, kwargs)
    checker = SameDeviceChecker() if _uses_meta((args, kwargs)) else contextlib.nullcontext()
    inputs = _kept_inputs(args, kwargs)
    threads, callbacks, thresholds = _thread_count(), tuple(_gc_callbacks), _gc_get_threshold()
    modes, attributes = _modes(), _own_attributes(args, kwargs)
    value, not_plain = None, None
    try:
        try:
            with checker:
                value = function(*args, **kwargs)
            # Made plain now, before anything looks: a subclass's __del__ (learner code) runs when the original goes.
            try:
                value = plain(value)
            except AssertionError as error:
                value, not_plain = None, error
        finally:
            left = _left_running(text, threads, callbacks, thresholds, modes, attributes)
            _refuse_tampering(text)
            value = _restore_inputs(inputs, value)
            if left:
                _tell_the_child()
                raise GraderTampered(left)
    except GraderTampered:
        raise
    except NotImplementedError as error:
        if is_unwritten_stub(error):
            raise
        raise AssertionError(f"Called {text}: it raised NotImplementedError: {error}. (Some operations have no "
                             "implementation on every device; a plainer torch operation usually does.)"
                             f"{meta_note(error, (args, kwargs))}") from error
    except MixedDevicesError as error:
        raise DeviceFailure(f"Called {text}: {error}") from None
    except Exception as error:  # noqa: BLE001 - any learner error becomes feedback
        raise AssertionError(f"Called {text}: it raised {type(error).__name__}: {error}"
                             f"{meta_note(error, (args, kwargs))}") from error
    if not_plain is not None:
        raise AssertionError(f"Called {text}.\n{not_plain}") from None
    return Called(value, text, _dtypes((args, kwargs)))  # made plain above: a tensor subclass answers for itself


# A check may compute the reference's answer after the learner's call, on the same input tensor: learner code that
# changed its input in place (x.zero_()) would make the reference answer for the changed input, zeros for zeros. So
# what a call is given at the top level is copied before, and put back after (with its version counter moving on, so
# the checks that ask "was the input left alone?" still see that it was not); what the call returned that shares
# memory with such an input is copied first, so the learner's answer stays what it returned. Tensors inside lists
# are the learner's to update (a list of parameters stepped in place).
_tensor_equal, _isnan, _nan_to_num, _no_grad = torch.equal, torch.isnan, torch.nan_to_num, torch.no_grad


# What a call is given is also put back where it was: learner code can re-point a tensor in place (resize_, set_,
# as_strided_) to other memory, another shape or overlapping strides, where its values could not be copied back. Its
# storage, offset, shape and strides are recorded and set back (set_) first.
def _kept_inputs(args, kwargs) -> list:
    kept = []
    for value in (*args, *kwargs.values()):
        if type(value) in (torch.Tensor, torch.nn.Parameter) and not value.is_meta and value.layout == torch.strided:
            try:
                kept.append((value, value.detach().clone(), (value.untyped_storage(), value.storage_offset(),
                                                             value.size(), value.stride())))
            except RuntimeError:
                pass
    return kept


def _put_back_where_it_was(tensor: torch.Tensor, where: tuple) -> bool:
    """Point `tensor` at its recorded storage, offset, shape and strides again; True if it had moved."""
    storage, offset, size, stride = where
    try:
        if (tensor.untyped_storage().data_ptr() == storage.data_ptr() and tensor.storage_offset() == offset
                and tensor.size() == size and tensor.stride() == stride):
            return False
        with _no_grad():
            tensor.set_(storage, offset, size, stride)
    except RuntimeError:
        pass
    return True


def _same_values(tensor: torch.Tensor, copy: torch.Tensor) -> bool:
    now = tensor.detach()
    if _tensor_equal(now, copy):
        return True
    return (now.is_floating_point() and _tensor_equal(_isnan(now), _isnan(copy))
            and _tensor_equal(_nan_to_num(now, 0.0, 0.0, 0.0), _nan_to_num(copy, 0.0, 0.0, 0.0)))


def _restore_inputs(kept: list, value):
    changed, storages = [], set()
    for tensor, copy, where in kept:
        try:
            moved = tensor.untyped_storage().data_ptr()
            if _put_back_where_it_was(tensor, where):
                storages.add(moved)
            if tensor.shape == copy.shape and tensor.dtype == copy.dtype and not _same_values(tensor, copy):
                changed.append((tensor, copy))
        except RuntimeError:
            pass
    if not changed and not storages:
        return value
    storages |= {tensor.untyped_storage().data_ptr() for tensor, _ in changed}

    def own(item):
        try:
            if isinstance(item, torch.Tensor) and not item.is_meta and item.untyped_storage().data_ptr() in storages:
                return item.clone()
        except RuntimeError:  # a tensor without storage of its own shares none with the input
            pass
        return item

    if isinstance(value, torch.Tensor):
        value = own(value)
    elif type(value) in (tuple, list):
        value = type(value)(own(item) for item in value)
    elif type(value) is dict:
        value = {key: own(item) for key, item in value.items()}
    with _no_grad():
        for tensor, copy in changed:
            try:
                tensor.copy_(copy)
            except RuntimeError:  # overlapping memory (an expanded view): left as the learner's code left it
                pass
    return value


def _dtypes(values) -> tuple:
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(values)
    return tuple(dict.fromkeys(leaf.dtype for leaf in leaves if isinstance(leaf, torch.Tensor)))


def dtype_advice(expected: torch.dtype, input_dtypes: tuple | None) -> str:
    """What to do about a wrong dtype, fitted to the case: keeping the input's dtype is the advice only where the
    expected dtype is the input's (one_hot takes int64 labels and returns float32; a numerical gradient is float64
    whatever it was given)."""
    if input_dtypes and expected in input_dtypes:
        return ("Keep the input's dtype: create new tensors with dtype=x.dtype (or *_like functions), and avoid numpy "
                "round trips.")
    if input_dtypes:
        given = ", ".join(str(d) for d in input_dtypes)
        return (f"The exercise returns {expected} whatever it is given (here {given}), as its docstring says: create "
                f"the result with dtype={expected}, or convert it with .to({expected}).")
    return (f"The docstring says which dtype to return ({expected}): tensors made without dtype= are "
            f"{torch.get_default_dtype()}, torch.tensor of Python ints is int64.")


META_NOTE = ("\nThis run used the `meta` device, which stands in for a GPU on a machine without one: its tensors "
             "have shapes, dtypes and a device but no values, so that a tensor created on the wrong device is "
             "caught. Code that reads a value out of a tensor (.item(), .tolist(), float(t), `if t > 0:`, print(t)) "
             "cannot run there, and on a real GPU it makes the GPU wait for the answer: keep the computation in "
             "tensor operations (torch.where instead of `if`, tensors instead of Python numbers).")


def meta_note(error: BaseException, values) -> str:
    """Why a meta run failed where a cpu run would not, when the error is about meta tensors."""
    return META_NOTE if "meta" in str(error).lower() and _uses_meta(values) else ""
