"""Chapter 01, tensors: do the learner's tensor helpers return the right shapes, dtypes, devices and values?"""
import torch

from autograder.engine import Exercise, call, expect, generated, strategies
from autograder.engine.operations import count_operations

add_bias_column = Exercise("1.1", "add_bias_column", clauses={
    "ones-first": "put a column of ones in front of the features",
    "shape": "x: (N, D)  ->  (N, D + 1)",
    "values": "out[:, 0] == 1 and out[:, 1:] == x",
    "dtype-device": "Same dtype and device as x.",
}, hints=[
    "Make a (N, 1) column of ones and join it to x along dim=1 with torch.cat; the ones go first.",
    "Create the ones with dtype=x.dtype and device=x.device so the result matches the input.",
], hints_zh=[
    "构造一个 (N, 1) 的全 1 列，用 torch.cat 沿 dim=1 与 x 拼接；全 1 列放在最前面。",
    "创建全 1 列时指定 dtype=x.dtype 和 device=x.device，使结果与输入一致。",
])
standardize = Exercise("1.2", "standardize", hints=[
    "Reduce over dim=0 (the samples) to get one mean and one std per feature.",
    "Use the population std (x.std(dim=0, correction=0)) and write z = (x - mean) / std.clamp_min(eps): "
    "`x -= mean` would change the caller's tensor.",
], hints_zh=[
    "沿 dim=0（样本维）做归约，得到每个特征各自的均值和标准差。",
    "使用总体标准差（x.std(dim=0, correction=0)），写成 z = (x - mean) / std.clamp_min(eps)：`x -= mean` 会改动调用者的张量。",
])
pairwise_squared_distances = Exercise("1.3", "pairwise_squared_distances", hints=[
    "Give a and b new axes so they broadcast: a[:, None, :] is (N, 1, D) and b[None, :, :] is (1, M, D).",
    "Subtract, square, and sum over the last dim: the (N, M, D) differences become (N, M) distances.",
], hints_zh=[
    "给 a 和 b 增加新轴使它们能够广播：a[:, None, :] 的形状是 (N, 1, D)，b[None, :, :] 的形状是 (1, M, D)。",
    "相减、平方，再对最后一维求和：(N, M, D) 的差变成 (N, M) 的距离。",
])
one_hot = Exercise("1.4", "one_hot", hints=[
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


@add_bias_column.check(points=2, clauses=["ones-first", "shape", "values", "dtype-device"])
@generated.examples(x=strategies.tensors(strategies.shapes(2, max_size=6), dtype=strategies.float_dtypes()))
def test_1_1_matches_reference(learner, reference, device, x):
    """Does add_bias_column return (N, D + 1) with ones in column 0, on the input's device and dtype?"""
    x = x.to(device)
    expect.close(call(learner.add_bias_column, x), reference.add_bias_column(x))


@add_bias_column.check(points=1)
def test_1_1_non_contiguous_input(learner, reference):
    """Does add_bias_column accept a transposed (non-contiguous) input and leave it unchanged?"""
    x = features("cpu", rows=3, columns=7).t()  # (7, 3), not contiguous
    original, version = x.clone(), x._version
    got = call(learner.add_bias_column, x)
    expect.close(got, reference.add_bias_column(x))
    expect.unchanged(x, original, version, what=f"Called {got.text}.")


@standardize.check(points=2)
def test_1_2_matches_reference(learner, reference, device):
    """Does standardize return z, mean and std equal to the reference's?"""
    x = features(device, rows=6, columns=4)
    expect.close(call(learner.standardize, x), reference.standardize(x))


@standardize.check(points=2)
def test_1_2_input_untouched(learner):
    """Does standardize leave its input exactly as it was?"""
    x = features("cpu", rows=6, columns=4)
    original, version = x.clone(), x._version
    got = call(learner.standardize, x)
    expect.unchanged(x, original, version, what=f"Called {got.text}.")


@standardize.check(points=1)
def test_1_2_constant_feature(learner, reference):
    """Does standardize give finite zeros (not NaN) for a feature that never varies?"""
    x = features("cpu", rows=5, columns=3)
    x[:, 1] = 4.0
    got = call(learner.standardize, x)
    expect.that(torch.isfinite(got.value[0]).all().item(),
                f"Called {got.text} with column 1 constant.\nIt returned NaN or inf in z: dividing by a std of 0. "
                "Guard the division with std.clamp_min(eps).")
    expect.close(got, reference.standardize(x))


@pairwise_squared_distances.check(points=2)
def test_1_3_matches_reference(learner, reference, device):
    """Does pairwise_squared_distances return the (N, M) matrix of squared distances?"""
    a, b = features(device, rows=5, columns=3, seed=1), features(device, rows=7, columns=3, seed=2)
    expect.close(call(learner.pairwise_squared_distances, a, b), reference.pairwise_squared_distances(a, b),
                 rtol=1e-4, atol=1e-4)


@pairwise_squared_distances.check(points=1)
def test_1_3_no_python_loops(learner):
    """Does pairwise_squared_distances run the same number of tensor operations for 32 rows as for 64?"""
    # Both sizes are above 25 rows, where torch.cdist settles on one algorithm: only a loop makes the counts differ.
    small = count_operations(learner.pairwise_squared_distances, features("cpu", 32, 3), features("cpu", 40, 3))
    large = count_operations(learner.pairwise_squared_distances, features("cpu", 64, 3), features("cpu", 80, 3))
    expect.that(small == large,
                f"pairwise_squared_distances ran {small} tensor operations for (32, 3) x (40, 3) inputs and {large} "
                "for (64, 3) x (80, 3): the work grows with the number of rows, so there is a Python loop over them. "
                "Let broadcasting do the looping: a[:, None, :] - b[None, :, :].")


@one_hot.check(points=2)
def test_1_4_matches_reference(learner, reference, device):
    """Does one_hot return (N, C) of the requested dtype, with one 1 per row, on the labels' device?"""
    labels = torch.tensor([2, 0, 3, 3, 1, 4]).to(device)  # 6 labels, 5 classes: a transpose cannot hide
    expect.close(call(learner.one_hot, labels, 5), reference.one_hot(labels, 5))
    expect.close(call(learner.one_hot, labels, 7, dtype=torch.float64), reference.one_hot(labels, 7, torch.float64))
