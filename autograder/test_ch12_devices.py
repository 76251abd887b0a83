"""Chapter 12, devices: does the learner's code pick the right device, move whole batches, and create every tensor
beside the data it works with?"""
from collections import OrderedDict, defaultdict, namedtuple

import torch
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, Subset, SubsetRandomSampler, TensorDataset

from autograder.engine import Exercise, call, expect, generated, mistakes, strategies
from autograder.engine.calls import describe
from autograder.engine.devices import DeviceFailure, SameDeviceChecker, copies_out_of
from autograder.engine.operations import count_operations
from autograder.engine.spies import ModeSpy

choose_device = Exercise("12.1", "choose_device", clauses={
    "order": "the best device this machine offers: CUDA if available, else Apple's MPS, else the CPU.",
    "returns": 'Returns a torch.device: torch.device("cuda"), torch.device("mps") or torch.device("cpu").',
    "call-time": "Ask PyTorch at call time (torch.cuda.is_available(), torch.backends.mps.is_available()); never "
                 "assume a GPU is there.",
}, hints=[
    "Ask PyTorch, in order: torch.cuda.is_available(), then torch.backends.mps.is_available(); otherwise the cpu.",
    "Call the functions (mind the parentheses: `torch.cuda.is_available` without them is a function object, which "
    "is always true) and return torch.device('cuda'), torch.device('mps') or torch.device('cpu').",
], hints_zh=[
    "按顺序询问 PyTorch：先 torch.cuda.is_available()，再 torch.backends.mps.is_available()；否则用 cpu。",
    "要调用这些函数（注意括号：不带括号的 `torch.cuda.is_available` 是函数对象，永远为真），并返回 torch.device('cuda')、torch.device('mps') 或 torch.device('cpu')。",
])
to_device = Exercise("12.2", "to_device", clauses={
    "moved": "a copy of `batch` with every tensor in it moved to `device`, however deeply nested.",
    "tensor": "Tensors become tensor.to(device).",
    "containers": "Dicts (OrderedDict and other dict subclasses too), lists and tuples become new containers of the "
                  "same type (a namedtuple stays the same namedtuple) whose items are moved the same way, recursively.",
    "others": "Anything else (ints, strings, None) is returned as it is.",
    "unchanged": "The caller's batch and its containers are left unchanged.",
}, hints=[
    "Write it recursively: a tensor returns tensor.to(device); a dict, list or tuple returns a new container of the "
    "same type built from to_device(item, device) of each item; anything else is returned unchanged.",
    "tensor.to(device) returns a NEW tensor; it does not move the old one, so use what it returns. Build the new "
    "containers with type(batch)(...) (a namedtuple needs type(batch)(*items)), and never assign into the caller's.",
], hints_zh=[
    "递归地写：张量返回 tensor.to(device)；dict、list 或 tuple 返回一个同类型的新容器，其中每一项都是 to_device(item, device)；其他东西原样返回。",
    "tensor.to(device) 返回一个新张量，它不会移动原来的张量，所以要使用它的返回值。用 type(batch)(...) 构建新容器（namedtuple 需要 type(batch)(*items)），绝不要往调用者的容器里赋值。",
])
masked_mean_pool = Exercise("12.3", "MaskedMeanPool", clauses={
    "real-steps": "average padded sequences over their real time steps only,",
    "device": "on whatever device x is on.",
}, hints=[
    "Compare positions with lengths by broadcasting: torch.arange(T)[None, :] < lengths[:, None] is a (B, T) mask. "
    "Multiply x by the mask, sum over the time dim and divide by the lengths.",
    "Create the arange on the input's device: torch.arange(T, device=x.device). Convert the mask and the lengths to "
    "x.dtype before multiplying and dividing.",
], hints_zh=[
    "通过广播比较位置和长度：torch.arange(T)[None, :] < lengths[:, None] 是一个 (B, T) 的掩码。用掩码乘以 x，在时间维上求和，再除以长度。",
    "在输入所在的设备上创建 arange：torch.arange(T, device=x.device)。在相乘和相除之前把掩码和长度转换为 x.dtype。",
])
predict = Exercise("12.4", "predict", clauses={
    "all-in-order": "the model's outputs for every sample of `loader`, in order, as one tensor on `device`.",
    "setup": "The model already sits on `device`; the loader yields (inputs, targets) batches on the cpu (targets are "
             "not needed).",
    "eval": "Switch to eval mode,",
    "no-grad": "turn off gradient tracking,",
    "move": "move each batch's inputs to `device`,",
    "concat": "and concatenate the outputs along dim 0: (N, ...) for N samples.",
    "any-device": "Nothing may assume a particular device.",
}, hints=[
    "model.eval(), then inside `with torch.no_grad():` collect model(inputs.to(device)) for every (inputs, _) batch, "
    "and torch.cat the list along dim 0.",
    "Use the `device` argument, never .cuda() or 'cuda', and keep what .to(device) returns: it does not move the "
    "tensor it is called on.",
], hints_zh=[
    "model.eval()，然后在 `with torch.no_grad():` 中对每个 (inputs, _) 批次收集 model(inputs.to(device))，最后沿第 0 维 torch.cat 这个列表。",
    "使用 `device` 参数，绝不要用 .cuda() 或 'cuda'，并保留 .to(device) 的返回值：它不会移动调用它的那个张量。",
])

Pair = namedtuple("Pair", ["features", "label"])


# ------------------------------------------------------------------------------------------------ 12.1 choose_device

def pretend(monkeypatch, cuda: bool, mps: bool, mps_built: bool | None = None) -> str:
    """Make PyTorch report these accelerators (pytest's monkeypatch puts the real functions back afterwards).
    mps_built: whether this PyTorch was built with MPS support (default: as available); built is not available."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1 if cuda else 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: mps if mps_built is None else mps_built)
    accelerator = torch.device("cuda") if cuda else torch.device("mps") if mps else None
    if hasattr(torch, "accelerator"):
        monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda check_available=False: accelerator)
        monkeypatch.setattr(torch.accelerator, "is_available", lambda: accelerator is not None)
    found = [name for name, present in (("CUDA", cuda), ("MPS", mps)) if present]
    built = " (PyTorch built with MPS support, but no MPS device available)" if mps_built and not mps else ""
    return f"On a machine pretending to have {' and '.join(found) if found else 'no GPU'}{built}"


def expect_device(learner, monkeypatch, cuda, mps, expected, mps_built=None):
    situation = pretend(monkeypatch, cuda, mps, mps_built)
    got = call(learner.choose_device)
    context = f"{situation}, called {got.text}."
    expect.that(isinstance(got.value, torch.device),
                f"{context}\nIt returned {got.value!r} ({type(got.value).__name__}); expected torch.device("
                f"{expected!r}). Wrap the name: torch.device({expected!r}).")
    advice = ""
    if got.value.type == "cuda" and not cuda:
        advice = (" Was `torch.cuda.is_available` written without parentheses? The function itself is always true; "
                  "call it.")
    elif got.value.type == "mps" and cuda:
        advice = " CUDA comes first: check it before MPS."
    elif got.value.type == "mps" and not mps:
        advice = (" torch.backends.mps.is_built() only says this PyTorch was compiled with MPS support; ask "
                  "torch.backends.mps.is_available() whether there is an MPS device.")
    elif got.value.type == "cpu" and mps:
        advice = " MPS (Apple silicon) was never checked: torch.backends.mps.is_available()."
    elif got.value.type not in ("cuda", "mps", "cpu"):
        advice = (f" That is the default device ({got.value.type}, set by the program: torch.set_default_device or "
                  "a `with torch.device(...)` block), not the machine's best one: return torch.device('cpu') "
                  "itself.")
    expect.that(got.value == torch.device(expected),
                f"{context}\nIt returned {got.value!r}; expected torch.device({expected!r}).{advice}")


@choose_device.check(points=1, clauses=["order", "returns", "call-time"])
def test_12_1_prefers_cuda(learner, monkeypatch):
    """Does choose_device pick CUDA when it is there, even when MPS is too?"""
    expect_device(learner, monkeypatch, cuda=True, mps=True, expected="cuda")
    expect_device(learner, monkeypatch, cuda=True, mps=False, expected="cuda")


@choose_device.check(points=1, clauses=["order", "returns", "call-time"])
def test_12_1_then_mps(learner, monkeypatch):
    """Without CUDA, does choose_device pick MPS when it is there?"""
    expect_device(learner, monkeypatch, cuda=False, mps=True, expected="mps")


@choose_device.check(points=1, clauses=["order", "returns", "call-time"])
def test_12_1_falls_back_to_cpu(learner, monkeypatch):
    """With no GPU at all (MPS support built in or not), does choose_device return the cpu?"""
    expect_device(learner, monkeypatch, cuda=False, mps=False, expected="cpu")
    expect_device(learner, monkeypatch, cuda=False, mps=False, expected="cpu", mps_built=True)
    with torch.device("meta"):  # a program that set another default device: the answer is still the cpu
        expect_device(learner, monkeypatch, cuda=False, mps=False, expected="cpu")


# ---------------------------------------------------------------------------------------------------- 12.2 to_device

def nested_batch():
    generator = torch.Generator().manual_seed(0)
    return {
        "inputs": (torch.randn(3, 5, generator=generator), [torch.randn(3, 7, generator=generator), 3]),
        "labels": torch.tensor([2, 0, 1]),
        "pair": Pair(torch.randn(3, 2, generator=generator), torch.tensor([1, 0, 1])),
        "name": "batch-0",
        "weights": None,
    }


def expect_same_structure(got, want, where, context):
    """Walk both batches together: same container types, tensors alike, other values the very same objects."""
    if isinstance(want, torch.Tensor):
        discarded = (isinstance(got, torch.Tensor) and got.device != want.device
                     and " " + mistakes.describe("to_device_result_discarded") or "")
        expect.close(got, want, what=f"{context}\nAt {where}:{discarded}")
        expect.that(got.requires_grad == want.requires_grad,
                    f"{context}\nAt {where} the tensor came back with requires_grad={got.requires_grad}; "
                    f"tensor.to(device) gives requires_grad={want.requires_grad}: it keeps the autograd graph, so "
                    "no .detach() (or .data, or torch.no_grad()) on the way.")
        return
    if isinstance(want, (dict, list, tuple)):
        expect.that(type(got) is type(want),
                    f"{context}\nAt {where} it returned {describe(got)} ({type(got).__name__}); expected a "
                    f"{type(want).__name__}. Keep each container's type: build the new one with type(batch)(...)"
                    f"{' and, for a namedtuple, type(batch)(*items)' if hasattr(want, '_fields') else ''}.")
        if isinstance(want, dict):
            expect.that(list(got) == list(want), f"{context}\nAt {where} the keys are {list(got)}; expected "
                                                 f"{list(want)}.")
            for key in want:
                expect_same_structure(got[key], want[key], f"{where}[{key!r}]", context)
        else:
            expect.that(len(got) == len(want), f"{context}\nAt {where} it has {len(got)} items; expected {len(want)}.")
            for index, (a, b) in enumerate(zip(got, want)):
                expect_same_structure(a, b, f"{where}[{index}]", context)
        return
    expect.that(got is want, f"{context}\nAt {where} it returned {got!r}; expected {want!r} untouched: only tensors "
                             "move, other values pass through as they are.")


class Batch(dict):
    """A dict subclass: isinstance(batch, dict) holds, and type(batch) must survive the move."""


class Items(list):
    """A list subclass: type(batch) must survive the move (a plain list() loses it)."""


class Row(tuple):
    """A tuple subclass that is not a namedtuple: type(batch)(items) rebuilds it, tuple(items) loses it."""


class Note:
    """An object to_device knows nothing about: it must come back as the very same object (never a copy)."""

    def __repr__(self):
        return "Note()"


LEAVES = st.one_of(
    st.builds(lambda n, dtype: torch.arange(n).to(dtype), strategies.sizes(0, 4),
              st.sampled_from([torch.float32, torch.int64, torch.float16, torch.bool])),
    st.integers(-3, 3), st.sampled_from(["tokens", "", None, 2.5, True, b"raw", range(2), frozenset({1})]))


def containers(children):
    keys = st.lists(st.sampled_from(["x", "y", "mask", "ids"]), unique=True, max_size=3)
    dicts = keys.flatmap(lambda names: st.tuples(*(children for _ in names)).map(lambda items: list(zip(names, items))))
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.tuples(children, children).map(lambda pair: Pair(*pair)),
        dicts.map(dict), dicts.map(OrderedDict), dicts.map(Batch),
        st.lists(children, max_size=3).map(Items), st.lists(children, max_size=3).map(Row))


NESTED_BATCHES = st.recursive(LEAVES, containers, max_leaves=8)


@to_device.check(points=2, clauses=["moved", "tensor", "containers", "others"])
@generated.examples(batch=NESTED_BATCHES, max_examples=20)
def test_12_2_moves_nested_batch(learner, reference, device, batch):
    """Does to_device move every tensor of a nested batch (dicts, OrderedDicts, dict subclasses, lists, tuples,
    namedtuples, any depth) to the device, and pass everything else through?"""
    expected = reference.to_device(batch, device)
    got = call(learner.to_device, batch, device)
    expect_same_structure(got.value, expected, "batch",
                          f"Called {got.text}.\nEvery tensor must come back on {device}, wherever it sits.")


@to_device.check(points=1, clauses=["containers", "moved", "others", "tensor"])
def test_12_2_keeps_container_types(learner, reference):
    """Does to_device keep tuples as tuples, lists as lists and namedtuples as namedtuples, subclasses included (a
    defaultdict, whose constructor takes a default_factory first), pass sets and other objects through as the very
    same objects, and keep a tensor's graph (requires_grad) as .to does?"""
    meta = torch.device("meta")
    for batch in ((torch.ones(2), torch.zeros(3)), [torch.ones(2), (torch.zeros(3),)], Pair(torch.ones(2), 5),
                  nested_batch(), Items([torch.ones(2), Row((torch.zeros(3), "ids"))]),
                  [torch.ones(2), {1, 2}, frozenset({3}), Note(), {"seen": {"a"}}],
                  {"weight": torch.ones(3, requires_grad=True), "scaled": [torch.ones(2, requires_grad=True) * 2]},
                  # a dict subclass whose constructor is not dict's: a defaultdict takes its default_factory first
                  defaultdict(list, {"ids": torch.arange(3), "spans": [torch.zeros(2)]}),
                  [defaultdict(int, x=torch.ones(2)), {"inner": defaultdict(list, y=(torch.zeros(1), "s"))}]):
        got = call(learner.to_device, batch, meta)
        expect_same_structure(got.value, reference.to_device(batch, meta), "batch", f"Called {got.text}.")


@to_device.check(points=1, clauses=["unchanged"])
def test_12_2_leaves_input_alone(learner):
    """Does to_device leave the caller's batch, its containers and its tensors as they were?"""
    batch = nested_batch()
    inner_list = batch["inputs"][1]
    before = {key: batch[key] for key in batch}
    got = call(learner.to_device, batch, torch.device("meta"))
    changed = [repr(key) for key in before if batch[key] is not before[key]]
    if len(inner_list) != 2 or inner_list[0].device.type != "cpu":
        changed.append("the list inside batch['inputs']")
    expect.that(not changed,
                f"Called {got.text}.\nAfterwards the caller's batch was changed ({', '.join(changed)}): to_device "
                "assigned into the containers it was given. Build and return new containers; the caller may still "
                "need the batch where it was.")


# ---------------------------------------------------------------------------------------------- 12.3 MaskedMeanPool

def padded(device, dtype=torch.float32, seed=0):
    """Three sequences of lengths 7, 2, 4 padded to T=7 with large junk, so counting the padding cannot hide."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 7, 5, generator=generator, dtype=dtype)  # (B, T, D)
    lengths = torch.tensor([7, 2, 4])
    for b, length in enumerate(lengths.tolist()):
        x[b, length:] = 100.0
    return x.to(device), lengths.to(device)


def call_explaining_meta(function, *args):
    """call(), with a word on why reading a value fails on meta (it has none) and what to do instead."""
    try:
        return call(function, *args)
    except AssertionError as error:
        if "meta tensors" not in str(error):
            raise
        raise AssertionError(
            f"{error}\nOn the meta device, this grader's stand-in for a GPU, tensors have shapes but no values, so "
            "code that reads a value back into Python (.item(), int(t), x[b, :lengths[b]], a loop over lengths) "
            "cannot run. On a GPU that code would also wait for the device at every step. Build the mask with "
            "tensor operations on x's device instead.") from None


@masked_mean_pool.check(points=1, clauses=["real-steps", "device"])
def test_12_3_padding_ignored(learner, reference, device):
    """Does MaskedMeanPool leave the padding out (lengths 7, 2 and 4, padding of 100), on the input's device?"""
    for dtype in (torch.float32, torch.float64):
        x, lengths = padded(device, dtype)
        got = call_explaining_meta(learner.MaskedMeanPool(), x, lengths)
        want = reference.MaskedMeanPool()(x, lengths)
        if device.type == "cpu" and isinstance(got.value, torch.Tensor) and got.value.shape == want.shape:
            expect.that(not torch.allclose(got.value.to(dtype), x.mean(dim=1)),
                        f"Called {got.text} with lengths [7, 2, 4] and padding filled with 100.\nIt returned the mean "
                        "over all T steps, padding included. Multiply by a (B, T) mask of t < lengths[b] and divide "
                        "by the lengths.")
        expect.close(got, want, rtol=1e-5, atol=1e-5)


@st.composite
def padded_batches(draw):
    """(x, lengths): B sequences padded to T with junk of 100, lengths in [1, T] (full, one step, ties)."""
    b, t, d = draw(strategies.sizes(1, 4)), draw(strategies.sizes(1, 6)), draw(strategies.sizes(1, 3))
    x = draw(strategies.tensors((b, t, d), dtype=strategies.float_dtypes(low_precision=False)))
    lengths = torch.tensor(draw(st.lists(st.integers(1, t), min_size=b, max_size=b)))
    for row, length in enumerate(lengths.tolist()):
        x[row, length:] = 100.0
    return x, lengths


@masked_mean_pool.check(points=2, clauses=["real-steps", "device"])
@generated.examples(drawn=padded_batches(), max_examples=12)
def test_12_3_matches_reference(learner, reference, device, drawn):
    """Does MaskedMeanPool equal the reference on any B, T, D and lengths, in the input's dtype and on its device?"""
    x, lengths = (t.to(device) for t in drawn)
    want = reference.MaskedMeanPool()(x, lengths)
    got = call_explaining_meta(learner.MaskedMeanPool(), x, lengths)
    if x.dtype == torch.float64:  # float64's own precision: a float32 mask, cumsum or copy cast back shows here
        expect.close(got, want, rtol=1e-10, atol=1e-10,
                     what=f"Called {got.text} with a float64 x.\n"
                          + mistakes.describe("float32_constant_in_float64"))
    else:
        expect.close(got, want, rtol=1e-5, atol=1e-5)


class DefaultDeviceChecker(SameDeviceChecker):
    """The same-device checker for a run whose default device is meta: a 0-dim tensor made there (torch.tensor(2.0))
    is a cpu scalar on a real machine, which PyTorch lets sit beside a tensor on any device."""

    def _exempt(self, func, tensor):
        return (tensor.dim() == 0 and tensor.is_meta) or super()._exempt(func, tensor)


def with_meta_as_default_device(function, *args):
    """Call learner code on cpu inputs with meta as the default device; None when meta could not run it.

    A tensor made without device= lands on meta, as it lands on the cpu beside cuda inputs on a machine with a GPU:
    one operation mixing it with the inputs, or a result left on it, is the same proven device failure there. Code
    meta cannot run (reading values out of meta, ops without a meta kernel) proves nothing: the cpu runs decide.
    """
    try:
        with torch.device("meta"), DefaultDeviceChecker():
            return call(function, *args)
    except DeviceFailure:
        raise
    except AssertionError:
        return None


@masked_mean_pool.check(points=1, clauses=["device"])
@generated.examples(drawn=padded_batches(), max_examples=4)
def test_12_3_mask_made_beside_x(learner, drawn):
    """Does MaskedMeanPool build its mask on x's device even when the default device is another one?"""
    x, lengths = drawn
    got = with_meta_as_default_device(learner.MaskedMeanPool(), x, lengths)
    returned_device = getattr(got.value, "device", x.device) if got else x.device  # None: inconclusive
    if returned_device != x.device:
        raise DeviceFailure(f"Called {got.text} with meta as the default device.\nIt returned a tensor on "
                            f"{returned_device}; expected one on {x.device}, x's device. "
                            + mistakes.describe("tensor_on_default_device"))


@masked_mean_pool.check(points=1, clauses=["real-steps", "device"])
@generated.examples(dtype=st.sampled_from([torch.float16, torch.bfloat16]), max_examples=2)
def test_12_3_low_precision_keeps_dtype(learner, reference, dtype):
    """Given float16 or bfloat16 x, does MaskedMeanPool return the mean in x's own dtype, for long sequences too?"""
    x, lengths = padded("cpu", torch.float32)
    x = x.to(dtype)
    got = call(learner.MaskedMeanPool(), x, lengths)
    expect.close(got, reference.MaskedMeanPool()(x, lengths), rtol=1e-2, atol=1e-2,
                 what=f"Called {got.text} with a {dtype} x: the output is (B, D) in x's dtype (convert the mask and "
                      "the lengths to x.dtype, never to float32).")
    length = 257 if dtype == torch.bfloat16 else 2049  # the first integer the dtype cannot hold
    x = torch.zeros(1, length + 40, 2, dtype=dtype)
    x[0, length - 1] = 50.0  # the last real step
    x[0, length:] = 100.0  # padding
    lengths = torch.tensor([length])
    got = call(learner.MaskedMeanPool(), x, lengths)
    expect.close(got, reference.MaskedMeanPool()(x, lengths), rtol=1e-2, atol=1e-2,
                 what=f"Called {got.text}: one {dtype} sequence of {length} real steps (the last one 50, the others "
                      f"0) padded to {length + 40}.\nThe positions t < lengths[b] are counted in integers: "
                      f"{dtype} cannot hold {length} (nor every step past it), so a mask made from "
                      "torch.arange(T, dtype=x.dtype) drops the last real step. Make the arange in its default "
                      "integer dtype and convert only the mask.")


@masked_mean_pool.check(points=1, clauses=["real-steps"])
def test_12_3_no_loop_over_the_batch(learner):
    """Does MaskedMeanPool run the same number of tensor operations for a batch of 2 as for a batch of 6?"""
    small_x, small_lengths = padded_of(2)
    large_x, large_lengths = padded_of(6)
    small = count_operations(learner.MaskedMeanPool(), small_x, small_lengths)
    large = count_operations(learner.MaskedMeanPool(), large_x, large_lengths)
    expect.that(small == large,
                f"MaskedMeanPool ran {small} tensor operations for a batch of 2 sequences and {large} for a batch "
                "of 6: the work grows with the batch, so there is a Python loop over it. Build one (B, T) mask by "
                "broadcasting, torch.arange(T, device=x.device)[None, :] < lengths[:, None], and reduce once.")


def padded_of(batch):
    """(x, lengths) of `batch` sequences of T=5, D=3 with lengths cycling 1..5."""
    generator = torch.Generator().manual_seed(batch)
    x = torch.randn(batch, 5, 3, generator=generator)
    return x, torch.tensor([1 + row % 5 for row in range(batch)])


@masked_mean_pool.check(points=1, clauses=["real-steps"])
def test_12_3_gradients(learner):
    """Do gradients flow from MaskedMeanPool's output to x, and are they right (float64 gradcheck)?"""
    x, lengths = padded("cpu", torch.float64)
    x.requires_grad_(True)
    pool = learner.MaskedMeanPool()
    got = call(pool, x, lengths)
    expect.connected(got, {"x": x})
    expect.gradients_correct(lambda x: pool(x, lengths), {"x": x}, what=f"Called {got.text}.")


# ------------------------------------------------------------------------------------------------------ 12.4 predict

def prediction_setup(device, dropout=0.0, samples=10, batch_size=4, outputs=3):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Dropout(dropout), nn.Linear(6, outputs)).to(device)
    generator = torch.Generator().manual_seed(1)
    x, y = torch.randn(samples, 5, generator=generator), torch.randint(0, 3, (samples,), generator=generator)
    return model, DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


@st.composite
def loader_sizes(draw):
    """(N, batch_size): a batch size that divides N, or one that leaves a smaller last batch, about half the time each."""
    batch_size, full_batches = draw(strategies.sizes(2, 5)), draw(strategies.sizes(1, 3))
    remainder = draw(st.integers(1, batch_size - 1)) if draw(st.booleans()) else 0
    return batch_size * full_batches + remainder, batch_size


@predict.check(points=2, clauses=["all-in-order", "setup", "move", "concat", "any-device"])
@generated.examples(sizes=loader_sizes(), outputs=strategies.sizes(1, 3), max_examples=6)
def test_12_4_matches_reference(learner, reference, device, sizes, outputs):
    """With the model on `device` and a cpu loader, does predict return every output, in order, on the device?"""
    n, batch_size = sizes
    model, loader = prediction_setup(device, dropout=0.5, samples=n, batch_size=batch_size, outputs=outputs)
    expected = reference.predict(model, loader, device)
    got = call(learner.predict, model, loader, device)
    expect.close(got, expected, what=f"Called {got.text} with {n} samples in batches of {batch_size}, not shuffled.")


@predict.check(points=1, clauses=["all-in-order", "any-device"])
def test_12_4_result_on_device(learner, device):
    """With the model on `device`, is the one tensor predict returns on `device` too (not brought back to the cpu)?"""
    model, loader = prediction_setup(device, samples=7, batch_size=3)
    with copies_out_of(device):
        got = call(learner.predict, model, loader, device)
    returned = getattr(got.value, "device", None)
    if returned != device:
        raise DeviceFailure(f"Called {got.text} with the model on {device}.\nIt returned {describe(got.value)} on "
                            f"{returned}; expected one tensor on {device}: keep the outputs where the model made "
                            "them (no .cpu() before torch.cat).")


def ordered_loaders():
    """(description, make_loader): loaders whose order is not the dataset's, each made afresh with the same seed."""
    generator = torch.Generator().manual_seed(2)
    x, y = torch.randn(9, 5, generator=generator), torch.zeros(9, dtype=torch.long)
    dataset = TensorDataset(x, y)
    return [
        ("shuffle=True with a seeded generator", lambda: DataLoader(
            dataset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3))),
        ("a SubsetRandomSampler of 6 samples", lambda: DataLoader(
            dataset, batch_size=4, sampler=SubsetRandomSampler([8, 1, 5, 0, 3, 6],
                                                               generator=torch.Generator().manual_seed(4)))),
        ("a Subset in reversed order", lambda: DataLoader(Subset(dataset, [7, 2, 4, 0, 8]), batch_size=2)),
    ]


@predict.check(points=1, clauses=["all-in-order", "concat", "setup", "move", "any-device"])
def test_12_4_follows_the_loaders_order(learner, reference):
    """For a shuffled loader, a sampler and a Subset, does predict return the outputs in the loader's order, also for
    a float64 model and for a model without parameters?"""
    model, _ = prediction_setup("cpu")
    for description, make_loader in ordered_loaders():
        got = call(learner.predict, model, make_loader(), torch.device("cpu"))
        expect.close(got, reference.predict(model, make_loader(), torch.device("cpu")),
                     what=f"Called {got.text} with {description}.\nThe outputs, in the order the loader yields its "
                          "samples (iterate over the loader itself; never index its dataset):")
    _, loader = prediction_setup("cpu", samples=7, batch_size=3)
    inputs, targets = loader.dataset.tensors
    doubles = DataLoader(TensorDataset(inputs.double(), targets), batch_size=3)  # float64 data, float64 model
    double = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    scores = nn.Sequential(nn.Linear(5, 1), nn.Flatten(0))  # one number per sample: outputs (B,), result (N,)
    for description, some_model, some_batches in (("a float64 model and float64 inputs", double, doubles),
                                                  ("a model without parameters (nn.Tanh())", nn.Tanh(), loader),
                                                  ("a model with 1-dim outputs (B,) (torch.vstack would stack "
                                                   "them as rows)", scores, loader)):
        got = call(learner.predict, some_model, some_batches, torch.device("cpu"))
        expect.close(got, reference.predict(some_model, some_batches, torch.device("cpu")),
                     what=f"Called {got.text} with {description}.\nMove each batch with inputs.to(device) alone: no "
                          "dtype of its own (the model decides that), and the device is the argument, not "
                          "next(model.parameters()).device (a model may have no parameters).")


@predict.check(points=1, clauses=["eval", "no-grad"])
def test_12_4_eval_mode_without_gradients(learner):
    """Does predict run every forward pass in eval mode with gradients off, and return a tensor with no graph?"""
    model, loader = prediction_setup("cpu", dropout=0.5)
    spy = ModeSpy(model).train()
    got = call(learner.predict, spy, loader, torch.device("cpu"))
    expect.that(spy.records and all(not training and not grad for training, grad in spy.records),
                f"Called {got.text} on a model in training mode.\nForward calls: {spy.describe()}. Predict in eval "
                "mode (model.eval(): no Dropout) and inside `with torch.no_grad():` (no graph to keep).")
    expect.that(isinstance(got.value, torch.Tensor) and got.value.grad_fn is None,
                f"Called {got.text}.\nIt returned {describe(got.value)} still attached to an autograd graph.")
    expect.that(torch.is_grad_enabled(),
                f"Called {got.text}.\nAfter it returned, gradient tracking was still off for the caller "
                "(torch.is_grad_enabled() is False): torch.set_grad_enabled(False) without putting it back turns "
                "autograd off for every later line of the program. Use `with torch.no_grad():`, which restores it.")
