"""A second seal on what a verdict depends on, for the class grader's child (child.py), wider than global_state's.

global_state.guard_internals records the identity of the callables of the grader's own modules and of a list of
torch's. What it leaves out, a learner's file could change to forge a verdict, with nothing named:

- a NEW attribute that shadows an inherited one: `torch.Tensor.__bool__ = lambda self: True` (every `if
  torch.all(matches)` in assert_close passes), `TensorLikePair._fail = ...` (Pair._fail, inherited, never raises);
- a new module global that shadows a builtin: `plugin.getattr = ...` (a check's runs read as meta runs, where a
  failure proves nothing);
- the classes of torch the checks use as oracles (`torch.optim.SGD.step`), pytest's own classes beyond the runner
  (`_pytest._code.code.ExceptionInfo.value`: every failure reads as no exception), and the modules a check computes
  its expected values with (`numpy.linalg.lstsq`, `numpy.var`, `math.isclose`);
- sys.modules: a grader module imported lazily (`from autograder.engine.gradients import gradcheck_message` inside a
  check) replaced by a module of the learner's.

`record()` takes all of that, before any learner code runs, and returns `(changed_hot, changed, restore)`: `changed()`
names what differs (a few C-speed passes over flat tuples while nothing did; `changed_hot()` asks only about what a
verdict reads right away, cheap enough for every return of learner code), `restore()` puts it back and removes what
was added. The child holds them where learner code cannot reach them (child._sealed_checks).
"""
from __future__ import annotations

import builtins
import operator
import sys
import types

from autograder.engine.isolation import HEAPTYPE

# Modules (and the classes defined in them) whose state a verdict depends on. Not here: what the checks themselves
# patch while they run (torch.cuda.is_available in ch12; torch.optim.Optimizer.__init__ in ch07, left out below),
# and what pytest replaces around every test (warnings, threading's hooks).
MODULE_PREFIXES = ("autograder", "_pytest", "pytest", "pluggy", "pytest_timeout", "hypothesis.core", "hypothesis.control",
                   "hypothesis.internal.conjecture.engine", "hypothesis.internal.entropy", "torch.testing",
                   "torch.optim", "torch.nn", "torch.autograd", "torch.utils.data", "torch.utils._pytree",
                   "torch.random", "torch.linalg", "torch.special", "torch.functional", "torch._tensor",
                   "torch.overrides", "torch._tensor_str")
MODULES = ("torch", "math", "cmath", "operator", "functools", "copy", "itertools", "random", "statistics",
           # numpy's Python layer under what the checks compute with (hstack, lstsq, mean, var, asarray)
           "numpy", "numpy.linalg", "numpy.linalg.linalg", "numpy.core.fromnumeric", "numpy.core._methods",
           "numpy.core.shape_base", "numpy.core.numeric", "numpy.core.multiarray", "numpy.lib.function_base")
# Modules whose classes are recorded too (pytest's on the reporting path, torch's, the kit's, hypothesis's runner).
CLASS_MODULES = ("autograder", "torch", "_pytest._code", "_pytest.runner", "_pytest.reports", "_pytest.python",
                 "_pytest.outcomes", "_pytest.fixtures", "_pytest.main", "_pytest.nodes", "_pytest.skipping",
                 "hypothesis")
# Asked each time learner code returns (calls.call), the rest after every check: what a verdict reads right away.
HOT = ("autograder", "torch.testing", "_pytest._code", "torch.optim")  # and what is under them
HOT_EXACT = ("_pytest.runner", "_pytest.reports", "_pytest.python", "_pytest.outcomes", "numpy", "numpy.linalg",
             "numpy.linalg.linalg", "numpy.core.fromnumeric", "numpy.core._methods", "math", "torch._tensor",
             "torch.Tensor", "torch.nn.modules.module.Module", "torch.nn.parameter.Parameter")
LEFT_OUT = {("torch.optim.optimizer.Optimizer", "__init__")}  # ch07's check records optimizers through it
_BUILTIN_NAMES = frozenset(vars(builtins))
_CACHES = frozenset({"__slotnames__"})  # what Python itself caches on a class (copyreg, for copy and pickle)


def _wanted(name: str) -> bool:
    return name in MODULES or name.startswith(tuple(p + "." for p in MODULE_PREFIXES)) or name in MODULE_PREFIXES


def _kept(value) -> bool:
    return callable(value) or isinstance(value, (types.ModuleType, property, staticmethod, classmethod))


def record(skip_modules: frozenset = frozenset()):
    """(changed_hot, changed, restore) for the modules, classes and sys.modules entries as they are now:
    changed_hot() asks about the HOT modules only (cheap enough for every return of learner code), changed() about
    all of them."""
    _settle_optimizers()
    modules = [(name, module) for name, module in list(sys.modules.items())
               if isinstance(module, types.ModuleType) and _wanted(name) and name not in skip_modules]
    spaces = []  # (namespace, label, kind, owner): what a module or a class may gain, see added()
    for name, module in modules:
        spaces.append((vars(module), name, "module", module))
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__flags__ & HEAPTYPE and getattr(value, "__module__", None) == name \
                    and (name in CLASS_MODULES or name.startswith(tuple(c + "." for c in CLASS_MODULES))):
                spaces.append((value.__dict__, f"{name}.{value.__qualname__}", "class", value))
    flat_spaces, flat_keys, flat_values, where = [], [], [], []
    for index, (namespace, label, kind, _) in enumerate(spaces):
        for key, value in list(namespace.items()):
            if (kind == "class" or _kept(value)) and (label, key) not in LEFT_OUT:
                flat_spaces.append(namespace)
                flat_keys.append(key)
                flat_values.append(value)
                where.append((index, key))
    hot_label = lambda label: label in HOT or label in HOT_EXACT or label.startswith(  # noqa: E731
        tuple(h + "." for h in (*HOT, *HOT_EXACT)))
    flat_spaces, flat_keys, flat_values, where = tuple(flat_spaces), tuple(flat_keys), tuple(flat_values), tuple(where)
    namespaces = tuple(space[0] for space in spaces)
    sizes = tuple(map(len, namespaces))
    keysets = tuple(frozenset(namespace) for namespace in namespaces)
    names, held = tuple(name for name, _ in modules), tuple(module for _, module in modules)
    missing, length, module_of = object(), len, sys.modules.get
    full, rebase_full = _predicate(spaces, where, flat_values, lambda label: True, names, held)
    quick, rebase_quick = _predicate(spaces, where, flat_values, hot_label, names, held)
    registries_changed, restore_registries = _registries([module for _, module in modules])

    def lookup(namespace, key):
        return namespace.get(key, missing)  # a class's mappingproxy has .get too

    def changed_hot() -> str:
        return "" if quick() and not registries_changed() else changed()

    def added(index: int) -> list:
        """Names added to namespace `index` that matter: in a class, one that shadows an inherited attribute or a
        special method (copyreg's __slotnames__ cache aside); in a module, a builtin's name."""
        new = set(namespaces[index]) - keysets[index]
        if spaces[index][2] == "module":
            return sorted(new & _BUILTIN_NAMES)
        inherited = set().union(*(vars(base) for base in spaces[index][3].__mro__[1:]))
        return sorted(key for key in new if key not in _CACHES and (
            key in inherited or (key.startswith("__") and key.endswith("__"))))

    def changed() -> str:
        registries = registries_changed()
        if full() and not registries:
            return ""
        found = registries + [f"{spaces[index][1]}.{key} was replaced" for (index, key), namespace, value
                              in zip(where, flat_spaces, flat_values) if lookup(namespace, key) is not value]
        for index, namespace in enumerate(namespaces):
            if length(namespace) != sizes[index]:
                found.extend(f"{spaces[index][1]}.{key} was added" for key in added(index))
        found.extend(f"sys.modules[{name!r}] was replaced" for name, module in zip(names, held)
                     if module_of(name) is not module)
        if not found:  # a name that does not matter was added (a submodule, a cache): the fast answer again
            rebase_full()
            rebase_quick()
        return "; ".join(found)

    def restore() -> None:
        restore_registries()
        for (index, key), namespace, value in zip(where, flat_spaces, flat_values):
            if lookup(namespace, key) is not value:
                _put(spaces[index][3], key, value)
        for index, namespace in enumerate(namespaces):
            if length(namespace) != sizes[index]:
                for key in added(index):
                    _remove(spaces[index][3], key)
        for name, module in zip(names, held):
            if module_of(name) is not module:
                sys.modules[name] = module
        rebase_full()
        rebase_quick()

    return changed_hot, changed, restore


def _registry_places(modules: list) -> list:
    """(label, owner, attribute, registry, added_counts) for the dispatch tables that make the grader's own copies,
    pickles and tree walks do what they say: copy's (the checks' examples are deep-copied for every run), copyreg's,
    pickle's Python pickler's, torch's pytree node table (calls.call finds meta inputs with tree_flatten), and the
    registries of functools.singledispatch functions in the recorded modules. `added_counts(key)`: whether a key
    added to it matters (pytree: a tensor or builtin container type; torch registers its own types there lazily)."""
    import copy
    import copyreg
    import pickle

    always = lambda key: True  # noqa: E731
    places = [("copy._deepcopy_dispatch", copy, "_deepcopy_dispatch", copy._deepcopy_dispatch, always),
              ("copy._copy_dispatch", copy, "_copy_dispatch", copy._copy_dispatch, always),
              ("copyreg.dispatch_table", copyreg, "dispatch_table", copyreg.dispatch_table, always),
              ("copyreg._extension_registry", copyreg, "_extension_registry", copyreg._extension_registry, always),
              ("copyreg._inverted_registry", copyreg, "_inverted_registry", copyreg._inverted_registry, always),
              ("pickle._Pickler.dispatch", pickle._Pickler, "dispatch", pickle._Pickler.dispatch, always),
              ("pickle._Unpickler.dispatch", pickle._Unpickler, "dispatch", pickle._Unpickler.dispatch, always)]
    pytree = sys.modules.get("torch.utils._pytree")
    if pytree is not None and isinstance(getattr(pytree, "SUPPORTED_NODES", None), dict):
        import torch

        def matters(key) -> bool:
            return isinstance(key, type) and (issubclass(key, torch.Tensor) or key.__module__ in (
                "builtins", "collections", "torch.nn.parameter"))

        places.append(("torch.utils._pytree.SUPPORTED_NODES", pytree, "SUPPORTED_NODES", pytree.SUPPORTED_NODES,
                       matters))
    for module in modules:
        for name, value in list(vars(module).items()):
            registry = getattr(value, "registry", None) if callable(value) and hasattr(value, "dispatch") else None
            if isinstance(registry, types.MappingProxyType):
                places.append((f"{module.__name__}.{name}.registry", value, "registry", registry, always))
    return places


def _registries(modules: list):
    """(changed, restore) for the dispatch tables of _registry_places: changed() lists the tables whose entries were
    replaced, removed or added (where an addition matters), or which were themselves replaced; restore() puts each
    back as it was (a singledispatch registry cannot be edited from outside: naming it fails the check)."""
    places = _registry_places(modules)
    kept = tuple((label, owner, attr, registry, matters, tuple(registry.keys()), tuple(registry.values()))
                 for label, owner, attr, registry, matters in places)
    import itertools

    filled = tuple(registry for *_, registry, _, keys, _ in kept if keys)
    getters = tuple(operator.itemgetter(*keys, keys[0]) for *_, keys, _ in kept if keys)
    expected = tuple(itertools.chain.from_iterable((*values, values[0]) for *_, values in kept if values))
    owners, attrs = tuple(entry[1] for entry in kept), tuple(entry[2] for entry in kept)
    registries = tuple(entry[3] for entry in kept)
    sizes = [tuple(len(keys) for *_, keys, _ in kept)]  # moved on when what was added does not matter (changed)
    same, length, missing, apply = operator.is_, len, object(), operator.itemgetter.__call__
    chain = itertools.chain.from_iterable

    def intact() -> bool:  # a few C-level passes, as in _predicate
        try:
            return (tuple(map(length, registries)) == sizes[0]
                    and all(map(same, map(getattr, owners, attrs, itertools.repeat(missing)), registries))
                    and all(map(same, chain(map(apply, getters, filled)), expected)))
        except KeyError:
            return False

    def changed() -> list:
        if intact():
            return []
        found = []
        for label, owner, attr, registry, matters, keys, values in kept:
            if getattr(owner, attr, missing) is not registry:
                found.append(f"{label} was replaced")
                continue
            now = dict(registry)
            if (any(now.get(key, missing) is not value for key, value in zip(keys, values))
                    or any(key not in keys and matters(key) for key in now)):
                found.append(f"{label} was changed")
        if not found:  # an addition that does not matter (torch registering a type of its own): the fast answer again
            sizes[0] = tuple(map(length, registries))
        return found

    def restore() -> None:
        for label, owner, attr, registry, matters, keys, values in kept:
            if getattr(owner, attr, missing) is not registry:
                _put(owner, attr, registry)
            if isinstance(registry, dict):
                for key in [key for key in registry if key not in keys and matters(key)]:
                    registry.pop(key, None)
                for key, value in zip(keys, values):
                    if registry.get(key, missing) is not value:
                        registry[key] = value

    return changed, restore


def _predicate(spaces, where, values, chosen, names, held):
    """(intact, rebase): intact() is true while every recorded entry of the chosen namespaces is the object
    recorded, no namespace changed size and sys.modules holds the recorded modules (one C-level lookup per namespace:
    an itemgetter of all its keys); rebase() takes the sizes of now as the ones to compare with."""
    import itertools

    by_space: dict[int, tuple[list, list]] = {}
    for (index, key), value in zip(where, values):
        if chosen(spaces[index][1]):
            keys, kept = by_space.setdefault(index, ([], []))
            keys.append(key)
            kept.append(value)
    indexes = tuple(i for i, space in enumerate(spaces) if chosen(space[1]))
    namespaces = tuple(spaces[i][0] for i in indexes)  # every chosen one: their sizes are asked
    sizes = [tuple(map(len, namespaces))]
    filled = tuple(spaces[i][0] for i in indexes if i in by_space)  # those with entries: their entries are asked
    getters = tuple(operator.itemgetter(*by_space[i][0], by_space[i][0][0]) for i in indexes if i in by_space)
    expected = [(*by_space[i][1], by_space[i][1][0]) for i in indexes if i in by_space]  # always tuples
    expected = tuple(itertools.chain.from_iterable(expected))
    apply, same, length, module_of = operator.itemgetter.__call__, operator.is_, len, sys.modules.get
    chain = itertools.chain.from_iterable

    def intact() -> bool:  # identity, never ==: a replacement's own __eq__ would answer for it
        try:
            found = chain(map(apply, getters, filled))
            return (all(map(same, found, expected)) and tuple(map(length, namespaces)) == sizes[0]
                    and all(map(same, map(module_of, names), held)))
        except KeyError:
            return False

    def rebase() -> None:
        """The sizes as they are now become the ones asked about (what was added that matters was named first)."""
        sizes[0] = tuple(map(length, namespaces))

    return intact, rebase


def _settle_optimizers() -> None:
    """torch wraps an optimizer class's step in its profiling hook the first time the class is instantiated
    (Optimizer._patch_step_function): done now, so that the oracle's first use in a check is not a change."""
    try:
        import torch
    except ImportError:
        return
    parameter = torch.zeros(1, requires_grad=True)
    for name in dir(torch.optim):
        kind = getattr(torch.optim, name, None)
        if isinstance(kind, type) and issubclass(kind, torch.optim.Optimizer) and kind is not torch.optim.Optimizer:
            for arguments in ({"lr": 0.01}, {}):
                try:
                    kind([parameter], **arguments)
                    break
                except Exception:  # noqa: BLE001 - an optimizer that needs other arguments (or sparse gradients)
                    continue


def _put(owner, key, value) -> None:
    try:
        setattr(owner, key, value)
    except (AttributeError, TypeError):
        pass


def _remove(owner, key) -> None:
    try:
        delattr(owner, key)
    except (AttributeError, TypeError):
        pass
