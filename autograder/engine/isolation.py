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
# compares nothing). What they hold is taken out with the base type's own C methods, which no subclass overrides.
_PLAIN_VALUE = {float: float.__float__, int: int.__int__, complex: complex.__complex__, str: str.__str__,
                bytes: bytes.__bytes__}
_HEAPTYPE = 1 << 9
_CHECKS = __import__("pathlib").Path(__file__).resolve().parents[1]  # autograder/: the checks and this engine
# What a namedtuple class defines for itself; anything else in a tuple subclass changes how it answers.
_NAMEDTUPLE_OWN = frozenset({"__new__", "__repr__", "_make", "_replace", "_asdict", "__getnewargs__", "__match_args__",
                             "_fields", "_field_defaults", "__slots__", "__doc__", "__module__", "__qualname__",
                             "__dict__", "__weakref__", "__orig_bases__", "__annotations__", "__parameters__",
                             "_field_types", "__getnewargs_ex__"})


def _trusted_file(name) -> bool:
    """Is `name` a file of the checks, Python or an installed package (not the learner's)?"""
    import sysconfig

    roots = {str(_CHECKS) + "/", *(sysconfig.get_paths()[k] + "/" for k in ("stdlib", "platstdlib", "purelib",
                                                                             "platlib"))}
    return isinstance(name, str) and name.startswith(tuple(roots))


def _answers_for_itself(kind: type, base: type) -> bool:
    """A Python class derived from `base`, not the checks' own (their Batch(dict) stays a Batch), that defines anything
    of its own but what a namedtuple does (names, fields, a repr)."""
    if not kind.__flags__ & _HEAPTYPE:
        return False  # a C type (numpy's float64): its methods are its library's, not the learner's
    for klass in kind.__mro__:
        if klass is base:
            return False
        module = __import__("sys").modules.get(getattr(klass, "__module__", "") or "")
        own = {name: value for name, value in vars(klass).items()
               if name not in _NAMEDTUPLE_OWN and type(value).__name__ != "_tuplegetter"}
        trusted = _trusted_file(getattr(module, "__file__", None)) and all(  # its methods too: __module__ can lie
            not callable(value) or _trusted_file(getattr(getattr(value, "__code__", None), "co_filename", None))
            for value in own.values())
        if own and not trusted:
            return True
    return False


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
        return value if kind in _KEPT_TENSOR_TYPES else _as_subclass(value, torch.Tensor)
    for base, take in _PLAIN_VALUE.items():
        if kind is not base and isinstance(value, base) and kind is not bool:
            return take(value) if _answers_for_itself(kind, base) else value
    if kind is not tuple and isinstance(value, tuple) and _answers_for_itself(kind, tuple):
        return plain(tuple.__getitem__(value, slice(None)))
    if kind is not list and isinstance(value, list) and _answers_for_itself(kind, list):
        return plain(list.__getitem__(value, slice(None)))
    if kind is not dict and isinstance(value, dict) and _answers_for_itself(kind, dict):
        return plain({key: item for key, item in dict.items(value)})
    if kind in (tuple, list) or (isinstance(value, tuple) and hasattr(value, "_make")):
        items = [plain(item) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return value._make(items) if hasattr(value, "_make") else kind(items)
    if kind is dict:
        items = {key: plain(item) for key, item in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    return value
