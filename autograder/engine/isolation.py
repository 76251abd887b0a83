"""Grade one exercise at a time when one exercise's function calls another's (DESIGN.md).

`accuracy` may call the chapter's own `predict_labels`; `regularized_loss` calls `l1_penalty` and `l2_penalty`. A
check of the caller swaps in the reference's versions of what it calls, for the duration of that check only (through
pytest's monkeypatch), so a bug or an unwritten stub in one exercise never costs points in another.

And what learner code returns is looked at for what it is (`plain`): a tensor subclass cannot answer for itself.
"""
from __future__ import annotations

import pytest
import torch


def use_reference(monkeypatch: pytest.MonkeyPatch, learner, reference, *names: str) -> None:
    """Inside the learner's module, replace each of `names` with the reference's until the check ends.

    What goes in is a stand-in that calls the reference's function and holds it where learner code cannot look
    (a generator's frame, which the class grader's sandbox refuses it): the function itself would hand over, as its
    __globals__, the whole reference module, the graded exercise's solution with it."""
    module = getattr(learner, "_module", learner)  # the plugin's LearnerModule wraps the real module
    for name in names:
        monkeypatch.setattr(module, name, sealed_function(getattr(reference, name)), raising=False)


def _keeper(function):
    """Calls `function` with what is sent, in a frame of its own; hands back (value, error)."""
    request = yield
    while True:
        args, kwargs = request
        try:
            answer = function(*args, **kwargs), None
        except Exception as error:  # noqa: BLE001 - raised again by the stand-in, without this frame
            answer = None, error.with_traceback(None)
        request = yield answer


def sealed_function(function):
    """A stand-in for `function`: same name and docstring, same results and errors, no __globals__, __closure__ or
    __wrapped__ that leads to it (only a generator's bound send, whose frame is the sandbox's to refuse)."""
    if not callable(function) or isinstance(function, type):
        return function
    send = _keeper(function).send
    send(None)

    def stand_in(*args, **kwargs):
        try:
            value, error = send((args, kwargs))
        except ValueError:  # "generator already executing": the function called its stand-in again
            raise RuntimeError(f"{stand_in.__name__} was called again while it was running") from None
        if error is not None:
            raise error
        return value

    stand_in.__name__ = getattr(function, "__name__", "reference")
    stand_in.__qualname__ = getattr(function, "__qualname__", stand_in.__name__)
    stand_in.__doc__ = getattr(function, "__doc__", None)
    return stand_in


# A tensor subclass returned by learner code could answer the checks' own questions about it: `__sub__`, `__eq__`,
# `allclose`, `shape` defined in Python to agree with whatever they are compared with. What a learner's function
# returns is therefore looked at as a plain tensor: same data, same autograd graph, torch's own methods. (The class
# grader also runs every check with subclass __torch_function__ disabled.) Saved now, before any learner code runs:
# a subclass may define its own as_subclass.
_as_subclass = torch.Tensor.as_subclass
_KEPT_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter, *((torch.nn.Buffer,) if hasattr(torch.nn, "Buffer") else ()))


# Python classes derived from these answer the checks' questions (==, -, abs, len, iteration) in their own way: a float
# whose __sub__ returns 0.0, a tuple whose __len__ says 2 and whose __iter__ yields nothing (zip(got, expected) then
# compares nothing). Where a method comes from proves nothing (a standard-library function can be made a method:
# `__iter__ = ast.iter_child_nodes` yields nothing, `__sub__ = functools._gt_from_lt` is always False), so the rule
# looks at names only: a Python subclass keeps its type only when it defines nothing that answers (a namedtuple's
# fields and its generated methods, or a class that only names itself, like the checks' Batch(dict)); anything else
# is looked at as its base type, its contents taken out with the base type's own C methods. Containers are rebuilt
# by their base's constructors, never by the value's own (_make).
_PLAIN_VALUE = {float: float.__float__, int: int.__int__, complex: complex.__complex__, str: str.__str__,
                bytes: bytes.__bytes__}
HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made at run time (a class statement), not one of C's
_INERT = frozenset({"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__orig_bases__",
                    "__annotations__", "__parameters__", "__match_args__", "__slots__", "__firstlineno__",
                    "__static_attributes__", "__slotnames__", "_fields", "_field_defaults", "_field_types"})
# What collections.namedtuple generates, allowed in a tuple subclass only: none of it takes part in a comparison.
_NAMEDTUPLE_METHODS = frozenset({"__new__", "__repr__", "_make", "_replace", "_asdict", "__getnewargs__",
                                 "__getnewargs_ex__"})
_TUPLEGETTER = type(__import__("collections").namedtuple("_Probe", "field").field)
_TENSOR_NAMES = frozenset(dir(torch.Tensor))
_tuple_new, _tuple_iter, _list_iter, _dict_items = tuple.__new__, tuple.__iter__, list.__iter__, dict.items


def _keeps_its_type(kind: type, base: type) -> bool:
    """Does `kind`, derived from `base`, answer every question as `base` does (it defines nothing that answers)?"""
    for klass in kind.__mro__:
        if klass is base:
            return True
        if not klass.__flags__ & HEAPTYPE:
            continue  # a C type (numpy's float64, torch.Size): its methods are its library's, not the learner's
        for name, attribute in vars(klass).items():
            if name in _INERT:
                continue
            if base is tuple and (name in _NAMEDTUPLE_METHODS or (type(attribute) is _TUPLEGETTER
                                                                  and not name.startswith("__"))):
                continue
            return False
    return True


def _refuse_shadowing(tensor: torch.Tensor) -> None:
    """A tensor's own attributes come before torch's methods (`t.detach = ...`, `t.item = ...`): learner code would
    run, or answer, inside the check's own comparison."""
    try:
        own = tensor.__dict__
    except AttributeError:
        return
    shadowing = sorted(name for name in own if name in _TENSOR_NAMES)
    if shadowing:
        raise AssertionError(f"It returned a tensor with attributes of its own that hide torch's "
                             f"({', '.join(shadowing)}): return a plain tensor.")


def _rebuilt(kind: type, base: type, items, keep: bool):
    if not keep:
        return base(items)
    if base is tuple and "_fields" in dir(kind):
        return _tuple_new(kind, items)  # a namedtuple: tuple's constructor, not its own _make or __new__
    try:
        return kind(items)  # it defines no constructor of its own: its base's runs
    except Exception:  # noqa: BLE001 - a C subclass that will not take its items back (a structseq)
        return base(items)


def plain(value):
    """`value` with every tensor of a subclass (in it, or in a tuple, list or dict it is) turned into a torch.Tensor,
    and every Python subclass of a number, string or container that answers for itself turned into its base type."""
    kind = type(value)
    try:
        claimed = value.__class__
    except Exception:  # noqa: BLE001 - a __class__ that raises claims nothing
        claimed = kind
    if claimed is not kind and not isinstance(claimed, type(torch.Tensor)):  # isinstance() believes __class__
        raise AssertionError(f"It returned an object of a class of its own ({kind.__name__}) that claims to be a "
                             f"{getattr(claimed, '__name__', claimed)!s}: return the value itself.")
    if isinstance(value, torch.Tensor):
        if kind not in _KEPT_TENSOR_TYPES:
            value = _as_subclass(value, torch.Tensor)
        _refuse_shadowing(value)
        return value
    if kind in _PLAIN_VALUE or kind is bool or value is None:
        return value
    for base, take in _PLAIN_VALUE.items():
        if isinstance(value, base):
            return value if _keeps_its_type(kind, base) else take(value)
    for base, items_of in ((tuple, _tuple_iter), (list, _list_iter)):
        if isinstance(value, base):
            keep = kind is base or _keeps_its_type(kind, base)
            old = list(items_of(value))
            items = [plain(item) for item in old]
            if keep and all(new is was for new, was in zip(items, old)):
                return value
            return _rebuilt(kind, base, items, keep)
    if isinstance(value, dict):
        keep = kind is dict or _keeps_its_type(kind, dict)
        old = list(_dict_items(value))
        items = [(plain(key), plain(item)) for key, item in old]
        if keep and all(k is a and v is b for (k, v), (a, b) in zip(items, old)):
            return value
        return _rebuilt(kind, dict, items, keep)
    return value
