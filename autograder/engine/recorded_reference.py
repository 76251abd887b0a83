"""The learner edition's reference: what the reference solutions answered, recorded, instead of their code.

`coursekit edition` builds the edition a class gets (coursekit/edition.py): no solutions/. Before it leaves them
out, it grades the reference itself with `--record-reference`, and each check's `reference` fixture is then a
`RecordingReference`: every call the check makes to a reference function is fingerprinted (engine/fingerprints.py:
the name, the arguments and, if the call draws from torch's generator, its state) and its answer kept as plain data
(tensors, numbers, strings and containers of them, or the built-in exception it raised), with where it left torch's
generator and, when it changed its arguments (an optimizer's step, a training loop), what it left in them.

In the edition the fixture is a `ReplayingReference` over those records: a call whose fingerprint was recorded gets
the recorded answer (and leaves torch's generator where the reference left it); any other call cannot be answered
here. A check is left to the instructor's grader (outcomes.HIDDEN: it neither earns nor costs points in the
learner's run) when recording it met what cannot be replayed (a reference class built, an argument without a
fingerprint) or when, in the learner's run, a call comes that was never recorded (the learner's code led the check
elsewhere than the reference's did) or whose changes to its arguments cannot be put back. An answer that held an
autograd graph is replayed as its values: a pass on it stands, a failure is left to the instructor (it may be the
missing graph's). The records are loaded with `torch.load(weights_only=True)`: plain data, no code.
"""
from __future__ import annotations

import builtins
import io
from pathlib import Path
from typing import Any, Callable

import torch

from autograder.engine.fingerprints import Unknown, fingerprint, rng_state

RECORDS = Path(__file__).resolve().parents[1] / "data" / "recorded"
_ATTRIBUTE, _TENSOR, _GRAPH_TENSOR, _SIZE, _TUPLE, _LIST, _DICT, _RAISED = (
    "\0attr", "\0t", "\0graph", "\0size", "\0tuple", "\0list", "\0dict", "\0raised")


class NotCheckableHere(BaseException):
    """A reference answer the learner edition does not hold. Not an Exception: learner code that catches Exception
    must not turn it into a pass or a fail; the check is the instructor's to grade."""


class CheckRecord:
    """The recorded reference answers of one check (all its runs and drawn examples), and why it cannot be replayed
    if it cannot."""

    def __init__(self, answers: dict | None = None, hidden: str = ""):
        self.answers: dict[str, tuple] = answers if answers is not None else {}
        self.hidden = hidden

    def hide(self, why: str) -> None:
        self.hidden = self.hidden or why

    def as_data(self) -> dict:
        return {"hidden": self.hidden, "answers": {} if self.hidden else self.answers}


class RecordingReference:
    """The reference module, with every call answered by the reference and written down (author side)."""

    def __init__(self, module, record: CheckRecord):
        self._module, self._record = module, record

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if isinstance(value, type):
            self._record.hide(f"it builds the reference's {name}")
            return value
        if not callable(value):
            try:
                self._record.answers[f"{_ATTRIBUTE}{name}"] = (encode(value), None)
            except Unknown as why:
                self._record.hide(f"the reference's {name} is {why}")
            return value
        return self._recording(name, value)

    def _recording(self, name: str, function: Callable) -> Callable:
        record = self._record

        def recorded(*args, **kwargs):
            rng_before = rng_state()
            try:
                before = fingerprint(args, kwargs)
            except Unknown as why:
                record.hide(f"{name} was given {why}")
                return function(*args, **kwargs)
            try:
                answer = function(*args, **kwargs)
            except Exception as error:
                _keep(record, name, before, rng_before, _raised(error))
                raise
            try:
                after = fingerprint(args, kwargs)
                changed = None if after == before else (snapshot((args, kwargs)), after)
                _keep(record, name, before, rng_before, encode(answer), changed)
            except Unknown as why:
                record.hide(f"{name} answers with {why}")
            return answer

        recorded.__name__ = name
        return recorded


def call_keys(name: str, arguments: str, rng: bytes) -> tuple[str, str]:
    """(the key of a call that draws nothing from torch's generator, the key of one that draws from it): only a
    call that drew depends on where the generator stood, so only its key holds that."""
    return fingerprint(name, arguments), fingerprint(name, arguments, rng)


def _keep(record: CheckRecord, name: str, arguments: str, rng_before: bytes, encoded: Any,
          changed: tuple | None = None) -> None:
    """Keep one answer: the value, where the call left torch's generator (if it drew), and what it left in its
    arguments (if it changed them: an optimizer's step, a training loop) with their fingerprint after."""
    after = rng_state()
    steady, drawing = call_keys(name, arguments, rng_before)
    state, after_fingerprint = changed or (None, None)
    if after == rng_before:
        record.answers[steady] = (encoded, None, state, after_fingerprint)
    else:
        record.answers[drawing] = (encoded, torch.frombuffer(bytearray(after), dtype=torch.uint8), state,
                                   after_fingerprint)


def _raised(error: Exception):
    kind = type(error)
    if getattr(builtins, kind.__name__, None) is not kind:
        raise Unknown(f"an error of class {kind.__qualname__}")
    return (_RAISED, kind.__name__, str(error))


class ReplayingReference:
    """The recorded answers of one check, answering the calls that were recorded (learner edition)."""

    def __init__(self, record: CheckRecord, on_miss: Callable[[str], None], on_values_only: Callable[[str], None]):
        self._record, self._on_miss, self._on_values_only = record, on_miss, on_values_only

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        stored = self._record.answers.get(f"{_ATTRIBUTE}{name}")
        if stored is not None:
            return decode(stored[0])
        return self._replaying(name)

    def _miss(self, why: str):
        self._on_miss(why)
        raise NotCheckableHere(why)

    def _replaying(self, name: str) -> Callable:
        def replayed(*args, **kwargs):
            try:
                steady, drawing = call_keys(name, fingerprint(args, kwargs), rng_state())
            except Unknown as why:
                self._miss(f"{name} was given {why}")
            stored = self._record.answers.get(steady) or self._record.answers.get(drawing)
            if stored is None:
                self._miss(f"the reference's {name} was never asked this in the recorded run")
            encoded, rng_after, state, after_fingerprint = stored
            if state is not None:  # the reference changed its arguments: leave the learner's as it left them
                try:
                    restore((args, kwargs), state)
                    same = fingerprint(args, kwargs) == after_fingerprint
                except (Unknown, RuntimeError, ValueError, KeyError, TypeError):
                    same = False
                if not same:
                    self._miss(f"{name} changed its arguments in a way the edition cannot put back")
            if rng_after is not None:
                torch.random.set_rng_state(rng_after.clone())
            if holds_graph(encoded):
                self._on_values_only(f"the reference's {name} answered with an autograd graph, which the edition "
                                     "holds as values only")
            answer = decode(encoded)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        replayed.__name__ = name
        return replayed


def encode(value: Any) -> Any:
    """An answer as data weights_only loading gives back exactly; Unknown when it is not plain data."""
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, torch.dtype, torch.device):
        return value
    if kind in (torch.Tensor, torch.nn.Parameter):
        if value.grad_fn is not None:  # its values only: the graph back to the inputs cannot be recorded
            return (_GRAPH_TENSOR, value.detach().clone())
        return (_TENSOR, value.detach().clone(), value.requires_grad, kind is torch.nn.Parameter)
    if kind is torch.Size:
        return (_SIZE, list(value))
    if kind in (tuple, list):
        return (_TUPLE if kind is tuple else _LIST, [encode(item) for item in value])
    if kind is dict:
        return (_DICT, [(encode(key), encode(item)) for key, item in value.items()])
    raise Unknown(f"a {kind.__qualname__}")


def holds_graph(encoded: Any) -> bool:
    """Did the reference's answer hold an autograd graph (replayed as its values alone)?"""
    if not isinstance(encoded, tuple) or not encoded:
        return False
    if encoded[0] == _GRAPH_TENSOR:
        return True
    if encoded[0] in (_TUPLE, _LIST):
        return any(map(holds_graph, encoded[1]))
    if encoded[0] == _DICT:
        return any(holds_graph(item) for _, item in encoded[1])
    return False


def decode(encoded: Any) -> Any:
    if not isinstance(encoded, tuple):
        return encoded
    marker, *rest = encoded
    if marker == _TENSOR:
        tensor, requires_grad, parameter = rest
        tensor = tensor.clone()
        return torch.nn.Parameter(tensor, requires_grad) if parameter else tensor.requires_grad_(requires_grad)
    if marker == _GRAPH_TENSOR:
        return rest[0].clone()
    if marker == _SIZE:
        return torch.Size(rest[0])
    if marker in (_TUPLE, _LIST):
        items = [decode(item) for item in rest[0]]
        return tuple(items) if marker == _TUPLE else items
    if marker == _DICT:
        return {decode(key): decode(item) for key, item in rest[0]}
    if marker == _RAISED:
        return getattr(builtins, rest[0])(rest[1])
    raise ValueError(f"not a recorded answer: {marker!r}")


# -- what a call left in its arguments: taken after the reference's call, put into the learner's arguments -------

_STATE_TENSOR, _STATE_MODULE, _STATE_GENERATOR, _STATE_OPTIMIZER, _STATE_LOADER, _STATE_ITEMS, _STATE_DICT = (
    "\0s-tensor", "\0s-module", "\0s-generator", "\0s-optimizer", "\0s-loader", "\0s-items", "\0s-dict")


def snapshot(value: Any) -> Any:
    """The state of `value` a call may have changed, as plain data (None for what holds no state)."""
    if isinstance(value, torch.Tensor):
        grad = value.grad
        return (_STATE_TENSOR, value.detach().clone(), None if grad is None else grad.detach().clone())
    if isinstance(value, torch.nn.Module):
        return (_STATE_MODULE, [snapshot(t) for t in [*value.parameters(), *value.buffers()]],
                [m.training for m in value.modules()])
    if isinstance(value, torch.Generator):
        return (_STATE_GENERATOR, value.get_state())
    if isinstance(value, torch.optim.Optimizer):
        return (_STATE_OPTIMIZER, encode(value.state_dict()))
    if isinstance(value, torch.utils.data.DataLoader):
        return (_STATE_LOADER, snapshot(getattr(value.sampler, "generator", None)), snapshot(value.generator))
    if isinstance(value, (tuple, list)):
        return (_STATE_ITEMS, [snapshot(item) for item in value])
    if isinstance(value, dict):
        return (_STATE_DICT, encode(dict(value)), [snapshot(item) for item in value.values()])
    return None


def restore(value: Any, state: Any) -> None:
    """Put `state` (a snapshot) into `value`, the learner edition's own objects of the same shape."""
    if state is None:
        return
    marker, *rest = state
    if marker == _STATE_TENSOR:
        data, grad = rest
        with torch.no_grad():
            value.copy_(data)
        value.grad = None if grad is None else grad.clone()
    elif marker == _STATE_MODULE:
        tensors, modes = rest
        for tensor, kept in zip([*value.parameters(), *value.buffers()], tensors, strict=True):
            restore(tensor, kept)
        for module, training in zip(value.modules(), modes, strict=True):
            module.training = training
    elif marker == _STATE_GENERATOR:
        value.set_state(rest[0])
    elif marker == _STATE_OPTIMIZER:
        value.load_state_dict(decode(rest[0]))
    elif marker == _STATE_LOADER:
        restore(getattr(value.sampler, "generator", None), rest[0])
        restore(value.generator, rest[1])
    elif marker == _STATE_ITEMS:
        for item, kept in zip(value, rest[0], strict=True):
            restore(item, kept)
    elif marker == _STATE_DICT:
        contents, kept = rest
        if list(value) != list(decode(contents)):  # keys came or went (a state dict filled in): take them all
            value.clear()
            value.update(decode(contents))
        else:
            for item, state_of_item in zip(value.values(), kept, strict=True):
                restore(item, state_of_item)


# -- the records on disk: autograder/data/recorded/<check file>.pt, {check node name: CheckRecord.as_data()} -------

def write(check_file: str, records: dict[str, CheckRecord], folder: Path = RECORDS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{Path(check_file).stem}.pt"
    buffer = io.BytesIO()
    torch.save({name: record.as_data() for name, record in sorted(records.items())}, buffer)
    path.write_bytes(buffer.getvalue())
    return path


_loaded: dict[Path, dict[str, CheckRecord]] = {}


def read(check_file: str, folder: Path = RECORDS) -> dict[str, CheckRecord]:
    """The records of one check file (empty when there are none); plain data only (weights_only)."""
    path = folder / f"{Path(check_file).stem}.pt"
    if path not in _loaded:
        data = torch.load(path, weights_only=True) if path.is_file() else {}
        _loaded[path] = {name: CheckRecord(entry["answers"], entry["hidden"]) for name, entry in data.items()}
    return _loaded[path]
