"""torch's process-wide settings: take a snapshot, say what changed, put it back.

Learner code runs in the grader's process, so a stray `torch.set_default_dtype(torch.float64)` or a patched
`torch.allclose` would change every later check. Each check (and each import of a chapter) is wrapped: what it
changed is named, undone, and costs only that check.
"""
from __future__ import annotations

import gc as _gc
import sys

import torch
import torch.nn.modules.module as _module_hooks
import torch.optim.optimizer as _optimizer_hooks
import torch.testing

# How deep Python code may recurse while grading. A learner's sys.setrecursionlimit(10**8) turns a runaway recursion
# into gigabytes of frames and a traceback that takes minutes to format; capped, it is a RecursionError within
# milliseconds that costs its check. Far above what any exercise (or pytest, or hypothesis) needs.
RECURSION_CAP = 4_000
_set_recursion_limit = sys.setrecursionlimit


def _capped_recursion_limit(limit: int) -> None:
    """sys.setrecursionlimit while grading: at most RECURSION_CAP."""
    _set_recursion_limit(min(int(limit), RECURSION_CAP))


def cap_recursion() -> None:
    """Install the cap (before any learner code runs; guard_internals then guards it like the grader's own)."""
    if sys.getrecursionlimit() > RECURSION_CAP:
        _set_recursion_limit(RECURSION_CAP)
    sys.setrecursionlimit = _capped_recursion_limit

# The functions the checks rely on, as they were when the grader started (before any learner code ran).
_PROTECTED = {
    "torch.testing.assert_close": (torch.testing, "assert_close"),
    "torch.allclose": (torch, "allclose"),
    "torch.isclose": (torch, "isclose"),
    "torch.equal": (torch, "equal"),
    "torch.autograd.gradcheck": (torch.autograd, "gradcheck"),
    "torch.manual_seed": (torch, "manual_seed"),
    "torch.Tensor.__eq__": (torch.Tensor, "__eq__"),
}


_HOOK_REGISTRIES = tuple((owner, name) for owner in (_module_hooks, _optimizer_hooks) for name in sorted(vars(owner))
                         if name.startswith("_global_") and isinstance(getattr(owner, name), dict))


_REGISTRIES = frozenset({"torch's global module and optimizer hooks", "saved-tensor hooks",
                         "garbage-collector callbacks"})


def _global_hooks() -> tuple:
    """The keys of every global hook registry of torch.nn and torch.optim, in order (empty tuples while none)."""
    return tuple(tuple(getattr(owner, name)) for owner, name in _HOOK_REGISTRIES)


def _put_back_global_hooks(before: tuple) -> None:
    for (owner, name), keys in zip(_HOOK_REGISTRIES, before):
        registry = getattr(owner, name)
        for key in [key for key in registry if key not in keys]:
            registry.pop(key, None)


def _saved_tensor_hooks():
    try:
        return torch._C._autograd._top_saved_tensors_default_hooks(False)
    except (AttributeError, TypeError, RuntimeError):
        return None


def _put_back_saved_tensor_hooks(before) -> None:
    for _ in range(10_000):
        top = _saved_tensor_hooks()
        if top is None or top == before:
            return
        torch._C._autograd._pop_saved_tensors_default_hooks()


def _put_back_gc_callbacks(before: tuple) -> None:
    _gc.callbacks[:] = list(before)


# Thread-local dispatcher state that learner code can leave behind for every later check: an inference mode never
# exited (tensors stop tracking gradients and versions), dispatch keys excluded or included by hand (AutogradCPU
# excluded: no backward anywhere; meta included: every operation runs on meta), denormals flushed to zero.
_DENORMAL = torch.tensor([1e-39], dtype=torch.float32)
_exclude_set, _include_set = torch._C._dispatch_tls_local_exclude_set, torch._C._dispatch_tls_local_include_set
_KEYS = tuple(torch._C.DispatchKey.__members__.values())
_KEPT_GUARDS: list = []  # inference-mode guards that put inference mode back off; never destroyed (that re-enters it)


def _flushes_denormals() -> bool:
    return (_DENORMAL * 1.0).item() == 0.0


def _put_back_inference_mode(enabled: bool) -> None:
    _KEPT_GUARDS.append(torch._C._InferenceMode(enabled))


def _put_back_keys(raw: int, now, set_key) -> None:
    before = torch._C.DispatchKeySet.from_raw_repr(raw)
    current = now()
    for key in _KEYS:
        try:
            if before.has(key) != current.has(key):
                set_key(key, before.has(key))
        except (RuntimeError, TypeError, ValueError):  # an alias key, or one that is not a runtime key
            pass


def snapshot() -> dict:
    state = {
        # First: restoring inference mode moves the dispatch keys and grad mode, which are put back after it.
        "inference mode": torch.is_inference_mode_enabled(),
        "dispatch keys excluded in this thread": _exclude_set().raw_repr(),
        "dispatch keys included in this thread": _include_set().raw_repr(),
        "meta included in this thread's dispatch": torch._C._meta_in_tls_dispatch_include(),
        "flushing of denormal numbers": _flushes_denormals(),
        "default dtype": torch.get_default_dtype(),
        "grad mode": torch.is_grad_enabled(),
        "anomaly detection": torch.is_anomaly_enabled(),
        "deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
        "number of threads": torch.get_num_threads(),
        "default device": torch.get_default_device(),
        # Put back quietly, never named: hypothesis raises the limit for a test and, when a time limit interrupts
        # it, leaves it raised, which is no fault of the learner's.
        "_recursion limit": sys.getrecursionlimit(),
        # A torch function mode left pushed would see (and could answer) every comparison a check makes after the
        # learner's code returned; so would a dispatch mode.
        "torch function modes": torch._C._len_torch_function_stack(),
        "torch dispatch modes": torch._C._len_torch_dispatch_stack(),
        # Registries that make learner code run inside the checks' own computations: a global forward hook sees (and
        # can rewrite) the reference model's output, a global optimizer hook undoes torch's own SGD's step, a
        # saved-tensor hook or a gc callback runs while the check compares. Put back and named.
        "torch's global module and optimizer hooks": _global_hooks(),
        "saved-tensor hooks": _saved_tensor_hooks(),
        "garbage-collector callbacks": tuple(_gc.callbacks),
        "garbage-collector thresholds": _gc.get_threshold(),
        "_switch interval": sys.getswitchinterval(),
    }
    for name, (owner, attr) in _PROTECTED.items():
        state[name] = getattr(owner, attr)
    return state


def changes_since(before: dict) -> str:
    """A sentence listing what differs from the snapshot, or '' when nothing does."""
    after = snapshot()
    changed = []
    for key, old in before.items():
        new = after[key]
        if key.startswith("_"):
            if new != old:
                _SETTERS[key](old)
        elif key in _PROTECTED:
            if new is not old:
                changed.append(f"{key} was replaced")
        elif new != old:
            changed.append(f"{key} were changed (learner code registered its own)" if key in _REGISTRIES
                           else f"{key} went from {old} to {new}")
    internals = tampered_internals()
    if internals:
        changed.append(internals)
    return "; ".join(changed)


_SETTERS = {
    "inference mode": _put_back_inference_mode,
    "dispatch keys excluded in this thread": lambda raw: _put_back_keys(
        raw, _exclude_set, torch._C._dispatch_tls_set_dispatch_key_excluded),
    "dispatch keys included in this thread": lambda raw: _put_back_keys(
        raw, _include_set, torch._C._dispatch_tls_set_dispatch_key_included),
    "meta included in this thread's dispatch": torch._C._set_meta_in_tls_dispatch_include,
    "flushing of denormal numbers": torch.set_flush_denormal,
    "default dtype": torch.set_default_dtype,
    "grad mode": torch.set_grad_enabled,
    "anomaly detection": torch.autograd.set_detect_anomaly,
    "deterministic algorithms": torch.use_deterministic_algorithms,
    "number of threads": torch.set_num_threads,
    "default device": torch.set_default_device,
    "_recursion limit": _set_recursion_limit,
    "torch's global module and optimizer hooks": _put_back_global_hooks,
    "saved-tensor hooks": _put_back_saved_tensor_hooks,
    "garbage-collector callbacks": _put_back_gc_callbacks,
    "garbage-collector thresholds": lambda thresholds: _gc.set_threshold(*thresholds),
    "_switch interval": sys.setswitchinterval,
}


def restore(before: dict) -> None:
    # Only what changed is set again: some setters (use_deterministic_algorithms) import half of torch on first use.
    after = snapshot()
    for key, setter in _SETTERS.items():
        if after[key] != before[key]:
            setter(before[key])
            after = snapshot() if key == "inference mode" else after  # it moved the keys and grad mode too
    for name, (owner, attr) in _PROTECTED.items():
        if getattr(owner, attr) is not before[name]:
            setattr(owner, attr, before[name])
    while torch._C._len_torch_function_stack() > before["torch function modes"]:
        torch._C._pop_torch_function_stack()
    while torch._C._len_torch_dispatch_stack() > before["torch dispatch modes"]:
        torch._C._pop_torch_dispatch_stack()
    restore_internals()


# The grader's own machinery, guarded like _PROTECTED: the engine's and the chapters' check modules, pytest's and
# pluggy's reporting path, and the torch functions the checks use as oracles. `guard_internals()` records, before any
# learner code runs, the identity of every function, class and module in these namespaces (and the code and
# defaults of Python functions, and the attributes of the classes defined there); a learner's file that replaces one
# (`outcomes.classify = ...`, `Check.score = property(...)`, `torch.testing.assert_close.__code__ = ...`) is named by
# changes_since() and undone by restore(), so it fails the check or the chapter import where it happened.
_GUARDED_MODULE_PREFIXES = ("autograder", "_pytest.runner", "_pytest.reports", "_pytest.python", "_pytest.outcomes",
                            "_pytest.fixtures", "_pytest.main", "_pytest.skipping", "pytest_timeout", "pluggy",
                            "coursekit.batch", "coursekit.sandbox", "coursekit.child")
# Modules on the verdict's path whose classes are guarded too (assert_close's comparison pairs, hypothesis' runner).
_GUARDED_WITH_CLASSES = ("torch.testing._comparison", "hypothesis.core")
_GUARDED_TORCH = ("torch", "torch.testing", "torch.nn.functional", "torch.autograd", "torch.optim", "torch.nn",
                  "torch.nn.init", "torch.utils.data")
_GUARD: dict[tuple[int, str], tuple] = {}  # (id(owner), attr) -> (namespace, owner, attr, label, value, code, defaults)
# Asked before every scan of _GUARD: true while nothing recorded has changed (built by guard_internals). A scan of
# thousands of entries in Python after every check was 7% of a whole-kit run.
_INTACT: list = [lambda: True]
_MISSING = object()


def _guard_namespace(owner, name: str, classes_from: str | None) -> None:
    import types

    namespace = vars(owner)  # a module's dict, or a class's live mappingproxy
    for attr, value in list(namespace.items()):
        if not (callable(value) or isinstance(value, (types.ModuleType, property, staticmethod, classmethod))):
            continue
        is_function = type(value) is types.FunctionType
        _GUARD[(id(owner), attr)] = (namespace, owner, attr, f"{name}.{attr}", value,
                                     value.__code__ if is_function else None,
                                     (value.__defaults__, value.__kwdefaults__) if is_function else None)
        if classes_from and isinstance(value, type) and value.__module__ == classes_from:
            _guard_namespace(value, f"{name}.{attr}", None)


def guard_internals(extra: tuple = (), function_edits: list | None = None) -> int:
    """Record the grader's internals as they are now (call it before any learner code runs); returns how many.
    `function_edits`: see _intact_check."""
    import builtins

    cap_recursion()

    names = [n for n in list(sys.modules) if n.startswith(_GUARDED_MODULE_PREFIXES) or n in _GUARDED_TORCH]
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            _guard_namespace(module, name, name if not name.startswith("torch") else None)
    for name in _GUARDED_WITH_CLASSES:
        if name in sys.modules:
            _guard_namespace(sys.modules[name], name, name)
    for owner in (torch.Tensor, torch.nn.Module, builtins, sys, *extra):
        _guard_namespace(owner, getattr(owner, "__qualname__", getattr(owner, "__name__", "?")), None)
    _INTACT[0] = _intact_check(tuple(_GUARD.values()), function_edits)
    return len(_GUARD)


def _tampered() -> list[tuple]:
    if _INTACT[0]():  # the usual answer, at C speed; the scan below only names what changed
        return []
    missing = _MISSING
    return [entry for entry in _GUARD.values()
            if entry[0].get(entry[2], missing) is not entry[4]
            or (entry[5] is not None and (entry[4].__code__ is not entry[5]
                                          or (entry[4].__defaults__, entry[4].__kwdefaults__) != entry[6]))]




def sealed(function_edits: list | None = None) -> tuple:
    """(tampered, restore): tampered_internals and restore_internals bound to a private copy of the record, for a
    process that runs learner code (the class grader's child). Learner code that replaces this module's functions or
    empties _GUARD blinds the module-level pair, not these: the copy is reachable only through their closures (the
    sandbox refuses learner code the frames and gc that would find them)."""
    entries, missing = tuple(_GUARD.values()), _MISSING
    intact = _intact_check(entries, function_edits)

    def changed() -> list:
        if intact():
            return []
        return [e for e in entries if e[0].get(e[2], missing) is not e[4]
                or (e[5] is not None and (e[4].__code__ is not e[5]
                                          or (e[4].__defaults__, e[4].__kwdefaults__) != e[6]))]

    def tampered() -> str:
        return "; ".join(f"{entry[3]} was replaced" for entry in changed())

    def restore(setattr=setattr, vars=vars) -> None:
        for _, owner, attr, _, value, code, defaults in changed():
            try:
                if code is not None:
                    value.__code__ = code
                    value.__defaults__, value.__kwdefaults__ = defaults
                if vars(owner).get(attr, missing) is not value:
                    setattr(owner, attr, value)
            except (AttributeError, TypeError):
                pass

    return tampered, restore


def _intact_check(entries: tuple, function_edits: list | None = None):
    """A predicate, true while every entry is as recorded, asked at C speed (after every check, and in the class
    grader's child each time learner code returns: thousands of entries each time). It may say "changed" when
    nothing did (defaults reassigned with equal values); the scan that names what changed then decides.

    `function_edits`: in the class grader's child, a counter its audit hook moves on every set or delete of a
    function's __code__, __defaults__ or __kwdefaults__ (sandbox._audit_hook). While it has not moved, the functions'
    code and defaults are not read: each read of __code__ is itself an audit event, and reading 1,200 of them after
    every return of learner code was most of a graded submission's CPU time."""
    import operator

    namespaces = tuple(entry[0] for entry in entries)
    attrs = tuple(entry[2] for entry in entries)
    values = tuple(entry[4] for entry in entries)
    functions = tuple(entry[4] for entry in entries if entry[5] is not None)
    codes = tuple(entry[5] for entry in entries if entry[5] is not None)
    defaults = tuple(entry[6][0] for entry in entries if entry[5] is not None)
    kwdefaults = tuple(entry[6][1] for entry in entries if entry[5] is not None)
    getitem, same = operator.getitem, operator.is_
    code_of = operator.attrgetter("__code__")
    defaults_of, kwdefaults_of = operator.attrgetter("__defaults__"), operator.attrgetter("__kwdefaults__")

    def functions_intact() -> bool:
        return (all(map(same, map(code_of, functions), codes))
                and all(map(same, map(defaults_of, functions), defaults))
                and all(map(same, map(kwdefaults_of, functions), kwdefaults)))

    def namespaces_intact() -> bool:
        try:
            return all(map(same, map(getitem, namespaces, attrs), values))
        except KeyError:  # an entry was deleted
            return False

    def intact() -> bool:
        return namespaces_intact() and functions_intact()

    if function_edits is None:
        return intact
    seen = [function_edits[0]]

    def intact_since_edits() -> bool:
        if not namespaces_intact():
            return False
        edits = function_edits[0]  # read first: an edit made while the functions are read moves it past this
        if edits == seen[0]:
            return True
        if functions_intact():  # a function was edited (perhaps the learner's own): none of the recorded ones
            seen[0] = edits
            return True
        return False

    return intact_since_edits


def tampered_internals() -> str:
    """A sentence naming the grader's internals that were replaced since guard_internals(), or ''."""
    return "; ".join(f"{entry[3]} was replaced" for entry in _tampered())


def restore_internals() -> None:
    for _, owner, attr, _, value, code, defaults in _tampered():
        try:
            if code is not None:
                value.__code__ = code
                value.__defaults__, value.__kwdefaults__ = defaults
            if vars(owner).get(attr, _MISSING) is not value:
                setattr(owner, attr, value)
        except (AttributeError, TypeError):  # builtin types refuse setattr; nothing can have replaced those
            pass


def forget_internals() -> None:
    """Drop the record (a grading session run inside another program is over; pytest's own attributes may change)."""
    _GUARD.clear()
    _INTACT[0] = lambda: True
    sys.setrecursionlimit = _set_recursion_limit
