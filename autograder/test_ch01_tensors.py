"""Chapter 01, tensors: do the learner's tensor helpers return the right shapes, dtypes, devices and values?"""
import torch
from hypothesis import strategies as st

from autograder.engine import Exercise, call, expect, generated, strategies
from autograder.engine.devices import copies_out_of
from autograder.engine.operations import count_operations

add_bias_column = Exercise("1.1", "add_bias_column", clauses={
    "ones-first": "put a column of ones in front of the features",
    "shape": "x: (N, D)  ->  (N, D + 1)",
    "values": "out[:, 0] == 1 and out[:, 1:] == x",
    "dtype-device": "Same dtype and device as x: any floating dtype, float16 and bfloat16 included.",
    "non-contiguous": "x may be non-contiguous (a transpose, a slice)",
    "input-unchanged": "and is left unchanged.",
}, hints=[
    "Make a (N, 1) column of ones and join it to x along dim=1 with torch.cat; the ones go first.",
    "Create the ones with dtype=x.dtype and device=x.device so the result matches the input.",
], hints_zh=[
    "构造一个 (N, 1) 的全 1 列，用 torch.cat 沿 dim=1 与 x 拼接；全 1 列放在最前面。",
    "创建全 1 列时指定 dtype=x.dtype 和 device=x.device，使结果与输入一致。",
])
standardize = Exercise("1.2", "standardize", clauses={
    "columns": "scale every feature (column) to mean 0 and standard deviation 1",
    "mean": "mean = x.mean(0) (D,)",
    "std": "std = sqrt(mean((x - mean)^2, dim 0)) (D,) the population std (correction=0)",
    "z": "z = (x - mean) / max(std, eps) (N, D)",
    "dtype-device": "x is float32 or float64; z, mean and std have its dtype and device.",
    "eps-default": "eps defaults to 1e-8.",
    "returns": "Returns the tuple (z, mean, std).",
    "input-unchanged": "without changing x",
    "input-exactly": "x itself must be left exactly as it was.",
}, hints=[
    "Reduce over dim=0 (the samples) to get one mean and one std per feature.",
    "Use the population std (x.std(dim=0, correction=0)) and write z = (x - mean) / std.clamp_min(eps): "
    "`x -= mean` would change the caller's tensor.",
], hints_zh=[
    "沿 dim=0（样本维）做归约，得到每个特征各自的均值和标准差。",
    "使用总体标准差（x.std(dim=0, correction=0)），写成 z = (x - mean) / std.clamp_min(eps)：`x -= mean` 会改动调用者的张量。",
])
pairwise_squared_distances = Exercise("1.3", "pairwise_squared_distances", clauses={
    "every-pair": "squared Euclidean distance between every row of a and every row of b, by broadcasting",
    "shape": "a: (N, D), b: (M, D) -> (N, M)",
    "values": "out[i, j] = sum_k (a[i, k] - b[j, k])^2",
    "dtype-device": "a and b are float32 or float64, of one dtype and on one device; the result has their dtype and "
                    "device.",
    "no-loops": "No Python loops: the number of tensor operations must not grow with N or M.",
}, hints=[
    "Give a and b new axes so they broadcast: a[:, None, :] is (N, 1, D) and b[None, :, :] is (1, M, D).",
    "Subtract, square, and sum over the last dim: the (N, M, D) differences become (N, M) distances.",
], hints_zh=[
    "给 a 和 b 增加新轴使它们能够广播：a[:, None, :] 的形状是 (N, 1, D)，b[None, :, :] 的形状是 (1, M, D)。",
    "相减、平方，再对最后一维求和：(N, M, D) 的差变成 (N, M) 的距离。",
])
one_hot = Exercise("1.4", "one_hot", clauses={
    "device": "one-hot encode integer class labels, on the labels' device.",
    "shape": "labels: (N,) int64 in [0, num_classes) -> (N, num_classes)",
    "values": "out[i, labels[i]] == 1, else 0.",
    "dtype": "The result has dtype `dtype`",
    "dtype-default": "float32 unless told otherwise",
    "dtypes": "any floating dtype or int64.",
}, hints=[
    "Start from torch.zeros(N, num_classes) and put a 1 at column labels[i] of every row i (scatter_ or indexing).",
    "Create the zeros with device=labels.device and the requested dtype: labels on a GPU need a one-hot on the GPU.",
], hints_zh=[
    "从 torch.zeros(N, num_classes) 开始，在每一行 i 的第 labels[i] 列放一个 1（用 scatter_ 或索引）。",
    "创建全 0 张量时指定 device=labels.device 和所要求的 dtype：GPU 上的标签需要 GPU 上的独热编码。",
])



def features(device, rows=5, columns=3, dtype=torch.float32, seed=0):
    """Seeded inputs with distinct sizes, so a transpose or a wrong reduction cannot hide."""
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(rows, columns, generator=generator, dtype=dtype) * 3 + 2).to(device)


@st.composite
def non_contiguous(draw):
    """A strided view of a bigger tensor: a transpose, or every other column."""
    base = draw(strategies.tensors(strategies.shapes(2, min_size=2, max_size=6), dtype=strategies.float_dtypes()))
    return base.t() if draw(st.booleans()) else base[:, ::2]


@st.composite
def standardize_inputs(draw):
    """(x, eps): a (N, D) float32/float64 matrix whose columns have large, small and zero spreads, and an eps that is
    the default (None: not passed) or big enough to matter. D = 1 (one feature) too: mean and std stay (1,)."""
    x = draw(strategies.tensors(st.tuples(strategies.sizes(2, 6), strategies.sizes(1, 6)),
                                dtype=strategies.float_dtypes(False),
                                elements=strategies.values(special=(0.0, 1.0, -3.0))))
    spreads = draw(st.lists(st.sampled_from([1.0, 1e-2, 1e3]), min_size=x.shape[1], max_size=x.shape[1]))
    x = x * torch.tensor(spreads, dtype=x.dtype) + 5.0  # off-centre: a mean of 0 would hide `x - mean` missing
    return x, draw(st.sampled_from([None, 1e-8, 0.5, 20.0]))


@st.composite
def point_sets(draw):
    """(a, b): N and M rows of one dtype, N != M most of the time, with some rows of b copied from a (distance 0);
    N = 0 or M = 0 (an empty batch) now and then: the result is then (0, M) or (N, 0)."""
    dtype = draw(strategies.float_dtypes(False))
    n, m, d = draw(strategies.sizes(0, 6)), draw(strategies.sizes(0, 6)), draw(strategies.sizes(1, 4))
    a = draw(strategies.tensors((n, d), dtype=dtype))
    b = draw(strategies.tensors((m, d), dtype=dtype))
    if n and m and draw(st.booleans()):
        b[0] = a[-1]
    return a, b


@st.composite
def label_sets(draw):
    """(labels, num_classes): repeated labels, and classes that no label uses (the last one too, sometimes); an empty
    batch (N = 0); and, sometimes, thousands of classes (past 2048, where float16 stops telling integers apart)."""
    num_classes = draw(st.one_of(strategies.sizes(1, 7), st.integers(2049, 2200)))
    return draw(strategies.labels(strategies.sizes(0, 9), num_classes)), num_classes


def with_meta_as_default_device(function, *args, **kwargs):
    """Call learner code on cpu inputs with meta as the default device, or None when meta cannot run it.

    A tensor made without device= then lands on meta, as it lands on the cpu beside cuda inputs on a machine with a
    GPU: a result left on meta is the same proven device failure there. Code that meta cannot run (data-dependent
    operations, copies out of meta) raises instead, which proves nothing, so the cpu run of the other checks decides.
    """
    try:
        with torch.device("meta"):
            return call(function, *args, **kwargs)
    except AssertionError:
        return None


@add_bias_column.check(points=2, clauses=["ones-first", "shape", "values", "dtype-device"])
@generated.examples(x=strategies.tensors(st.tuples(strategies.sizes(0, 6),  # N = 0: an empty batch, on the device too
                                                    strategies.sizes(0, 6)),  # D = 0: no features
                                          dtype=strategies.float_dtypes(),
                                          # infinities: out[:, 1:] == x for any x, and ones made from x (x * 0 + 1)
                                          # are nan there
                                          elements=strategies.values(special=(0.0, float("inf"), -float("inf")))))
def test_1_1_matches_reference(learner, reference, device, x):
    """Does add_bias_column return (N, D + 1) with ones in column 0, on the input's device and dtype?"""
    x = x.to(device)
    expected = reference.add_bias_column(x)
    with copies_out_of(device):  # a result built from x.cpu() ends on the cpu, which meta can then prove
        got = call(learner.add_bias_column, x)
    expect.close(got, expected, rtol=0, atol=0)  # a copy: exact


@add_bias_column.check(points=1, clauses=["non-contiguous", "values"])
@generated.examples(x=non_contiguous(), max_examples=8)
def test_1_1_non_contiguous_input(learner, reference, x):
    """Does add_bias_column accept a transposed or sliced (non-contiguous) input?"""
    expected = reference.add_bias_column(x)
    got = call(learner.add_bias_column, x)
    expect.close(got, expected, rtol=0, atol=0)


@add_bias_column.check(points=1, clauses=["input-unchanged"])
@generated.examples(x=strategies.tensors(strategies.shapes(2, max_size=6), dtype=strategies.float_dtypes()),
                    max_examples=8)
def test_1_1_input_untouched(learner, x):
    """Does add_bias_column leave its input exactly as it was (values and version counter)?"""
    original, version = x.clone(), x._version
    got = call(learner.add_bias_column, x)
    expect.unchanged(x, original, version, what=f"Called {got.text}.")


@standardize.check(points=2, clauses=["columns", "mean", "std", "z", "dtype-device", "returns"])
@generated.examples(drawn=standardize_inputs(), max_examples=15)
def test_1_2_matches_reference(learner, reference, device, drawn):
    """Does standardize return the tuple (z, mean, std) equal to the reference's, in x's dtype and on its device?"""
    x, eps = drawn
    x = x.to(device)
    options = {} if eps is None else {"eps": eps}
    expected = reference.standardize(x, **options)
    with copies_out_of(device):  # statistics taken through x.cpu() or numpy end on the cpu, which meta can then prove
        got = call(learner.standardize, x, **options)
    expect.that(type(got.value) is tuple, f"Called {got.text}.\nIt returned a {type(got.value).__name__}; expected "
                "the tuple (z, mean, std).")
    if x.is_meta:
        expect.close(got, expected)  # shapes, dtypes and devices: meta has no values
        return
    expect.that(len(got.value) == 3, f"Called {got.text}.\nIt returned a tuple of {len(got.value)} items; expected "
                "the tuple (z, mean, std).")
    z_bound, centred_bound = rounding_bounds(x, expected[2], options.get("eps", 1e-8))
    settled = z_bound <= 1e-2  # columns whose z rounding does not decide
    # float64 must be float64-accurate: a variance taken in float32 and cast back is off by ~1e-7 relative, inside
    # float64's default rtol of 1e-7 but far outside its rounding (the bounds below keep correct orders apart).
    floor = 1e-5 if x.dtype == torch.float32 else 1e-10
    tolerances = (max(floor, float(z_bound[settled].max())) if settled.any() else floor,
                  max(floor, float(centred_bound.max())), max(floor, float(centred_bound.max())))
    for index, (mine, theirs, atol) in enumerate(zip(got.value, expected, tolerances)):
        if index == 0 and isinstance(mine, torch.Tensor) and mine.shape == theirs.shape:
            mine, theirs = mine[:, settled], theirs[:, settled]
        expect.close(mine, theirs, what=f"Called {got.text}.\nItem {index} of what it returned:", atol=atol,
                     rtol=1e-5 if x.dtype == torch.float32 else 1e-10)


def rounding_bounds(x: torch.Tensor, std: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per column: how far two correct implementations may differ in z, and in mean and std, from rounding alone.

    x - mean is known to about N * u * max|x| (u: the dtype's machine epsilon), so z to that over max(std, eps): in a
    column of nearly equal values (a spread far below the values themselves) z is rounding noise, and different
    correct orders of operations (x.std, torch.var_mean, a two-pass mean) give different z there."""
    centred = 8 * x.shape[0] * torch.finfo(x.dtype).eps * x.abs().amax(dim=0)  # (D,)
    return centred / std.clamp_min(eps), centred


@standardize.check(points=1, clauses=["eps-default"])
def test_1_2_default_eps(learner, reference):
    """Does standardize divide by eps = 1e-8 when it is not given and a feature's std is smaller than that?"""
    x = torch.tensor([[1.0, 2.0], [1.0 + 2e-9, 4.0], [1.0 - 2e-9, 6.0]], dtype=torch.float64)  # column 0: std 1.6e-9
    got = call(learner.standardize, x)
    expect.close(got, reference.standardize(x), atol=1e-6, rtol=1e-6)


@standardize.check(points=1, clauses=["input-unchanged", "input-exactly"])
@generated.examples(drawn=standardize_inputs(), max_examples=8)
def test_1_2_input_untouched(learner, drawn):
    """Does standardize leave its input exactly as it was (values and version counter)?"""
    x, _ = drawn
    original, version = x.clone(), x._version
    got = call(learner.standardize, x)
    expect.unchanged(x, original, version, what=f"Called {got.text}.")


@standardize.check(points=1, clauses=["z"])
def test_1_2_constant_feature(learner, reference):
    """Does standardize give finite zeros (not NaN) for a feature that never varies?"""
    x = features("cpu", rows=5, columns=3)
    x[:, 1] = 4.0
    got = call(learner.standardize, x)
    expect.that(isinstance(got.value, tuple) and torch.isfinite(got.value[0]).all().item(),
                f"Called {got.text} with column 1 constant.\nIt returned NaN or inf in z: dividing by a std of 0. "
                "Guard the division with std.clamp_min(eps).")
    expect.close(got, reference.standardize(x))


@pairwise_squared_distances.check(points=2, clauses=["every-pair", "shape", "values", "dtype-device"])
@generated.examples(points=point_sets(), max_examples=15)
def test_1_3_matches_reference(learner, reference, device, points):
    """Does pairwise_squared_distances return the (N, M) matrix of squared distances, in the inputs' dtype?"""
    a, b = points
    a, b = a.to(device), b.to(device)
    expected = reference.pairwise_squared_distances(a, b)
    got = call(learner.pairwise_squared_distances, a, b)
    # Subtracting first, any order of the D terms is this close; float64 inputs must be computed in float64 (a detour
    # through float32 is off by about 1e-7, far beyond float64's rounding).
    tight = a.dtype == torch.float64
    expect.close(got, expected, rtol=1e-9 if tight else 1e-5, atol=1e-10 if tight else 1e-6)


@pairwise_squared_distances.check(points=1, clauses=["values"])
def test_1_3_near_points_far_from_the_origin(learner, reference):
    """Is every squared distance >= 0, and exactly 0 from a row to itself, for float32 points near 1000?"""
    generator = torch.Generator().manual_seed(3)
    a = 1000 + torch.randn(40, 3, generator=generator)  # |a|^2 ~ 3e6: float32 keeps only ~0.25 of it
    b = torch.cat([a[:30], a[:10] + 1e-2])  # b's first 30 rows are a's own rows, the last 10 are 0.01 away
    got = call(learner.pairwise_squared_distances, a, b)
    expected = reference.pairwise_squared_distances(a, b)
    value = got.value
    if isinstance(value, torch.Tensor) and value.shape == (40, 40):
        expect.that(bool((value >= 0).all()) and bool((value.diagonal()[:30] == 0).all()),
                    f"{got.text}\nfor float32 rows near 1000 (b's first 30 rows are a's own rows) it returned a "
                    f"smallest value of {value.min().item():.4g} and a distance of a row to itself of up to "
                    f"{value.diagonal()[:30].abs().max().item():.4g}; a sum of squares is never negative, and a row "
                    "is at distance exactly 0 from itself. The expansion |a|^2 - 2 a.b + |b|^2 (and torch.cdist, "
                    "which uses it for more than 25 rows) cancels two numbers near 3e6 in float32. Subtract first, "
                    "by broadcasting: a[:, None, :] - b[None, :, :].")
    expect.close(got, expected, rtol=1e-4, atol=1e-4)


@pairwise_squared_distances.check(points=1, clauses=["no-loops"])
def test_1_3_no_python_loops(learner):
    """Does pairwise_squared_distances run the same number of tensor operations for 32 rows as for 16400?"""
    # Both sizes are above 25 rows, where torch.cdist settles on one algorithm: only a loop makes the counts differ.
    # 16400 rows is past every usual chunk size (a loop over chunks of 64, 1024, 4096 or 8192 rows is still a loop).
    small = count_operations(learner.pairwise_squared_distances, features("cpu", 32, 3), features("cpu", 40, 3))
    large = count_operations(learner.pairwise_squared_distances, features("cpu", 16400, 3), features("cpu", 40, 3))
    expect.that(small == large,
                f"pairwise_squared_distances ran {small} tensor operations for (32, 3) x (40, 3) inputs and {large} "
                "for (16400, 3) x (40, 3): the work grows with the number of rows, so there is a Python loop over them "
                "(chunks of rows are a loop too). "
                "Let broadcasting do the looping: a[:, None, :] - b[None, :, :].")


@one_hot.check(points=2, clauses=["device", "shape", "values", "dtype", "dtypes"])
@generated.examples(drawn=label_sets(), dtype=st.sampled_from(
    [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64]), max_examples=15)
def test_1_4_matches_reference(learner, reference, device, drawn, dtype):
    """Does one_hot return (N, C) of the requested dtype, with one 1 per row, on the labels' device?"""
    labels, num_classes = drawn
    labels = labels.to(device)
    expected = reference.one_hot(labels, num_classes, dtype=dtype)
    with copies_out_of(device):  # a one-hot built from labels.cpu() ends on the cpu, which meta can then prove
        got = call(learner.one_hot, labels, num_classes, dtype=dtype)
    expect.close(got, expected)


@one_hot.check(points=1, clauses=["dtype-default", "shape", "values"])
@generated.examples(drawn=label_sets(), max_examples=6)
def test_1_4_default_dtype(learner, reference, drawn):
    """Does one_hot return float32 when no dtype is given?"""
    labels, num_classes = drawn
    expected = reference.one_hot(labels, num_classes)
    got = call(learner.one_hot, labels, num_classes)
    expect.close(got, expected)


@one_hot.check(points=1, clauses=["device"])
@generated.examples(drawn=label_sets(), max_examples=4)
def test_1_4_device_is_the_labels(learner, reference, drawn):
    """Does one_hot put its result on the labels' device even when the default device is another one?"""
    labels, num_classes = drawn
    got = with_meta_as_default_device(learner.one_hot, labels, num_classes)
    returned_device = getattr(got.value, "device", labels.device) if got else labels.device  # None: inconclusive
    expect.that(returned_device == labels.device,
                f"Called {got and got.text} with meta as the default device.\nIt returned a tensor on "
                f"{returned_device}; expected one on {labels.device}, the labels' device. A "
                "tensor made without device= lands on the default device (the cpu, beside labels on a GPU): "
                "create the zeros with device=labels.device instead of moving the labels to them.")
