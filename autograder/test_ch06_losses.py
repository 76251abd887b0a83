"""Chapter 06, loss functions: do the learner's losses equal torch.nn.functional's, refuse mismatched shapes, and stay
finite at extreme logits?

torch.nn.functional is the oracle. Inputs are drawn by hypothesis: every floating dtype the docstrings allow, shapes
from one element up, exact zeros and ties, and (in float32 and float64) logits past float32's exp overflow (|z| > 88).
In float16 and bfloat16 the oracle is computed in float64 and rounded, with a tolerance that scales with the size of
the values: the learner's own arithmetic in that dtype rounds at every step.
"""
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from autograder.engine import Exercise, call, expect, generated, mistakes, strategies
from autograder.engine.raising import raises

mse_loss = Exercise("6.1", "mse_loss", clauses={
    "refuses": "mean squared error that refuses inputs of different shapes",
    "elementwise": "loss_i = (pred_i - target_i)^2 elementwise, same shape as pred",
    "reductions": 'reduction="mean" (the default): the mean of all loss_i (a 0-dim tensor); "sum": their sum; '
                  '"none": loss itself.',
    "dtype-device": "pred and target: any shape, the same floating dtype (float16 and bfloat16 included) and device; "
                    "the loss has that dtype and device.",
    "gradient": "Use torch operations only, so autograd can differentiate the loss with respect to pred.",
    "inputs-unchanged": "Leave pred and target unchanged.",
    "shape-error": "pred and target must have exactly the same shape: a (N, 1) prediction minus a (N,) target "
                   "broadcasts to (N, N) and gives a wrong loss without any error. Raise ValueError (saying both "
                   "shapes) when the shapes differ,",
    "reduction-error": 'ValueError for a reduction other than "mean", "sum" or "none".',
}, hints=[
    "Compare pred.shape with target.shape first and raise ValueError(...) naming both when they differ; then square "
    "the differences and reduce them as `reduction` asks.",
    "loss = (pred - target) ** 2; return loss.mean() for 'mean', loss.sum() for 'sum', loss itself for 'none', and "
    "raise ValueError for anything else. Never reshape silently: (N, 1) - (N,) is (N, N).",
], hints_zh=[
    "先比较 pred.shape 和 target.shape，不一致时抛出 ValueError(...) 并写明两个形状；然后对差值平方，再按 `reduction` 的要求归约。",
    "loss = (pred - target) ** 2；'mean' 返回 loss.mean()，'sum' 返回 loss.sum()，'none' 返回 loss 本身，其他值抛出 ValueError。绝不要悄悄改变形状：(N, 1) - (N,) 的结果是 (N, N)。",
])
bce_with_logits = Exercise("6.2", "bce_with_logits", clauses={
    "stable": "binary cross-entropy on raw logits, stable for |logit| up to 1e4.",
    "formula": "With p = sigmoid(z), the loss -[y log p + (1 - y) log(1 - p)] is rewritten so nothing overflows: "
               "loss_i = max(z_i, 0) - z_i * y_i + log(1 + exp(-|z_i|)) elementwise, targets y_i in [0, 1]",
    "reductions": 'reduction="mean" | "sum" | "none" as in Exercise 6.1 (default "mean").',
    "no-log-sigmoid": "Never take log(sigmoid(z)): it is -inf for z = -200, and exp(-z) overflows float32 for z < -88.",
    "dtype-device": "logits and targets: the same floating dtype (float16 and bfloat16 included) and device; the "
                    "loss has that dtype and device.",
    "gradient": "Keep the graph: autograd differentiates the loss with respect to the logits, finitely at any logit,",
    "gradient-at-zero": "and the gradient is sigmoid(z_i) - y_i at z_i = 0 too (mind the subgradients of max and |z| "
                        "there).",
    "inputs-unchanged": "Leave logits and targets unchanged.",
    "shape-error": "Raise ValueError when logits and targets differ in shape,",
    "reduction-error": "or for an unknown reduction.",
}, hints=[
    "Don't compute sigmoid(z) and then its log: for z = -200 the sigmoid is 0 in float32 and log(0) = -inf. Use the "
    "rewritten formula, which never exponentiates a large positive number.",
    "loss = torch.maximum(z, torch.zeros_like(z)) - z * y + torch.log1p(torch.exp(-z.abs())); then reduce as in "
    "Exercise 6.1, after checking that logits and targets have the same shape. torch.maximum (not clamp or relu) "
    "keeps the gradient right at z = 0 exactly: sigmoid(0) - y.",
], hints_zh=[
    "不要先算 sigmoid(z) 再取对数：当 z = -200 时，float32 下 sigmoid 为 0，而 log(0) = -inf。使用改写后的公式，它从不对大的正数求指数。",
    "loss = torch.maximum(z, torch.zeros_like(z)) - z * y + torch.log1p(torch.exp(-z.abs()))；在确认 logits 与 targets "
    "形状相同之后，像练习 6.1 那样归约。用 torch.maximum（而不是 clamp 或 relu）能让 z 恰好为 0 时的梯度仍然正确："
    "sigmoid(0) - y。",
])
cross_entropy = Exercise("6.3", "cross_entropy", clauses={
    "log-sum-exp": "cross-entropy from raw logits and integer class indices, through log-sum-exp.",
    "shapes": "logits: (N, C) raw scores (no softmax applied), targets: (N,) integers in [0, C)",
    "formula": "loss_i = -log softmax(z_i)[y_i] = logsumexp_k(z_ik) - z_i[y_i] (N,)",
    "stable": "logsumexp_k(z_k) = m + log(sum_k exp(z_k - m)), m = max_k z_k: stable for logits of 1000.",
    "reductions": 'reduction="mean" | "sum" | "none" as in Exercise 6.1 ("none" gives the (N,) losses; default '
                  '"mean").',
    "dtype-device": "logits: any floating dtype (float16 and bfloat16 included); targets int64 on the logits' "
                    "device; the loss has the logits' dtype and device.",
    "gradient": "Keep the graph: autograd differentiates the loss with respect to the logits.",
    "inputs-unchanged": "Leave logits and targets unchanged.",
    "reduction-error": "Raise ValueError for an unknown reduction.",
}, hints=[
    "Work with log-probabilities, never with probabilities: log softmax(z)[y] = z[y] - logsumexp(z). "
    "torch.logsumexp(logits, dim=1) subtracts the row's maximum before exponentiating, so 1000 does not overflow.",
    "Pick each row's true-class logit with logits.gather(1, targets[:, None]).squeeze(1) (or "
    "logits[torch.arange(N), targets]); loss = torch.logsumexp(logits, dim=1) - picked, then reduce.",
], hints_zh=[
    "用对数概率计算，绝不直接用概率：log softmax(z)[y] = z[y] - logsumexp(z)。torch.logsumexp(logits, dim=1) 会在求指数前减去该行的最大值，因此 1000 也不会溢出。",
    "用 logits.gather(1, targets[:, None]).squeeze(1)（或 logits[torch.arange(N), targets]）取出每行真实类别的 logit；loss = torch.logsumexp(logits, dim=1) - picked，然后归约。",
])

# Built at run time, so not interned: a `reduction is "mean"` must fail here as it does for a string read from a
# config file or a command line (only == compares strings).
REDUCTIONS = tuple("".join(letters) for letters in (["me", "an"], ["su", "m"], ["no", "ne"]))
LOW_PRECISION = (torch.float16, torch.bfloat16)
EPSILON = {torch.float16: 2.0 ** -10, torch.bfloat16: 2.0 ** -7, torch.float32: 2.0 ** -23, torch.float64: 2.0 ** -52}


# --------------------------------------------------------------------------------------------------------------------
# Drawn inputs. Low-precision dtypes get moderate values (their own rounding would swamp a comparison at 1e4);
# float32 and float64 get the extremes: 0, ties, |z| = 88.5 and 89 around float32's exp overflow, 200, 1000, 1e4.

WIDE_SPECIALS = (0.0, 1.0, -1.0, 88.5, -88.5, 89.0, -89.0, 200.0, -200.0, 1000.0, -1000.0, 1e4, -1e4)
MODERATE_SPECIALS = (0.0, 1.0, -1.0, 0.5, 2.0)


def values_for(dtype, wide_bound=1e4, moderate_bound=6.0):
    if dtype in LOW_PRECISION:
        return strategies.values(moderate_bound, MODERATE_SPECIALS)
    return strategies.values(wide_bound, WIDE_SPECIALS)


@st.composite
def regression_pairs(draw):
    """(pred, target) of one drawn shape and dtype, with exact zeros and exact ties (pred == target) mixed in."""
    dtype = draw(strategies.float_dtypes())
    shape = draw(strategies.shapes(draw(st.integers(1, 3)), max_size=4))
    elements = strategies.values(6.0 if dtype in LOW_PRECISION else 100.0, MODERATE_SPECIALS)
    pred = draw(strategies.tensors(shape, dtype, elements))
    target = draw(strategies.tensors(shape, dtype, elements))
    tie = draw(strategies.tensors(shape, torch.float64, st.sampled_from([0.0, 1.0]))).bool()
    return pred, torch.where(tie, pred, target)


@st.composite
def binary_pairs(draw):
    """(logits, targets): hard and soft labels in [0, 1], logits up to 1e4 in float32 and float64."""
    dtype = draw(strategies.float_dtypes())
    shape = draw(strategies.shapes(draw(st.integers(1, 2)), max_size=5))
    logits = draw(strategies.tensors(shape, dtype, values_for(dtype)))
    labels = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.0, 1.0))
    return logits, draw(strategies.tensors(shape, dtype, labels))


@st.composite
def classification_pairs(draw, low_precision=True):
    """((N, C) logits, (N,) int64 targets), N and C from 1 up, with ties and logits of +-1000 in float32/float64."""
    dtype = draw(strategies.float_dtypes(low_precision))
    rows, classes = draw(strategies.sizes(1, 7)), draw(strategies.sizes(1, 6))
    logits = draw(strategies.tensors((rows, classes), dtype, values_for(dtype, wide_bound=1000.0)))
    return logits, draw(strategies.labels(rows, classes))


def oracle(function, inputs, dtype, **kwargs):
    """torch.nn.functional's loss; for float16/bfloat16 computed in float64 and rounded to the dtype."""
    if dtype in LOW_PRECISION:
        widened = [t.double() if t.is_floating_point() else t for t in inputs]
        return function(*widened, **kwargs).to(dtype)
    return function(*inputs, **kwargs)


def tolerance(dtype, magnitude: float, count: int = 1) -> dict:
    """assert_close tolerances for a loss whose terms are about `magnitude`, summed over `count` of them."""
    eps = EPSILON[dtype]
    rtol = 1e-5 if dtype is torch.float32 else 1e-10 if dtype is torch.float64 else 16 * eps
    return dict(rtol=rtol, atol=16 * eps * (1 + magnitude) * count)


def input_size(*tensors) -> float:
    return max(float(t.detach().abs().max()) for t in tensors if t.is_floating_point() and t.numel())


def reduction_mistake(got, elementwise: torch.Tensor, reduction: str) -> str:
    """Name a mean/sum mix-up when the learner returned the other reduction."""
    if not isinstance(got, torch.Tensor) or got.is_meta or got.dim() != 0 or elementwise.numel() < 2:
        return ""
    others = {"mean": ("sum", elementwise.sum()), "sum": ("mean", elementwise.mean()), "none": (None, None)}
    name, other = others[reduction]
    if other is not None and got.dtype == other.dtype and torch.allclose(got.detach(), other, rtol=1e-3):
        return f" Known mistake: it returned the {name} where reduction={reduction!r} asks for the {reduction}."
    if reduction == "none":
        return " reduction='none' returns the unreduced, elementwise losses."
    return ""


def expect_matches_functional(function, functional, inputs, magnitude: float) -> None:
    """For every reduction, and for the default, the learner's loss equals torch.nn.functional's."""
    dtype = inputs[0].dtype
    elementwise = oracle(functional, inputs, dtype, reduction="none")
    for reduction in REDUCTIONS + (None,):
        kwargs = {} if reduction is None else {"reduction": reduction}
        got = call(function, *inputs, **kwargs)
        expected = oracle(functional, inputs, dtype, **kwargs)
        mistake = reduction_mistake(got.value, elementwise, reduction or "mean")
        if reduction is None:
            mistake += " Without a reduction argument the loss is the mean (reduction='mean' is the default)."
        count = elementwise.numel() if reduction == "sum" else 1
        expect.close(got.value, expected, what=f"Called {got.text}.{mistake}\nCompared with torch.nn.functional:",
                     **tolerance(dtype, magnitude, count))


def expect_inputs_unchanged(function, inputs, names) -> None:
    """Every reduction leaves the caller's tensors as they were: values, version counter and requires_grad."""
    for reduction in REDUCTIONS:
        originals = [(t.detach().clone(), t._version, t.requires_grad) for t in inputs]
        got = call(function, *inputs, reduction=reduction)
        for name, tensor, (values, version, requires_grad) in zip(names, inputs, originals):
            expect.unchanged(tensor.detach(), values, version, what=f"Called {got.text}.\nIt changed {name}.")
            expect.that(tensor.requires_grad == requires_grad,
                        f"Called {got.text}.\nIt switched {name}.requires_grad to {tensor.requires_grad}: leave the "
                        "caller's tensors as they came (no requires_grad_() on them).")


def expect_gradient_matches(function, functional, logits, others, *, what: str, **tolerances) -> None:
    """The gradient of the summed elementwise loss with respect to the logits equals the oracle's, and is finite."""
    leaf = logits.detach().clone().requires_grad_(True)
    got = call(function, leaf, *others, reduction="none")
    expect.connected(got, {"logits": leaf})
    (grad,) = torch.autograd.grad(got.value.sum(), [leaf])
    twin = logits.detach().clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(functional(twin, *others, reduction="none").sum(), [twin])
    expect.that(bool(torch.isfinite(grad).all()), f"Called {got.text}, then backward ({what}).\nThe gradient is not "
                f"finite: {grad.tolist()}. The stable formula also has a stable gradient.")
    expect.close(grad, expected, what=f"Called {got.text}, then backward ({what}).\nThe gradient with respect to "
                                      "the logits:", **tolerances)


# --------------------------------------------------------------------------------------------------------------------
# 6.1 mean squared error

@mse_loss.check(points=2, clauses=["elementwise", "reductions", "dtype-device"])
@generated.examples(pair=regression_pairs(), max_examples=15)
def test_6_1_matches_functional(learner, pair):
    """Does mse_loss equal F.mse_loss for reduction='mean' (the default), 'sum' and 'none', in every float dtype?"""
    pred, target = pair
    magnitude = input_size(pred, target) ** 2 * 4
    expect_matches_functional(learner.mse_loss, F.mse_loss, (pred, target), magnitude)


@mse_loss.check(points=1, clauses=["dtype-device"])
def test_6_1_device(learner, device):
    """Is the mean squared error on the inputs' device, with their dtype, for every reduction?"""
    generator = torch.Generator().manual_seed(1)
    pred, target = (torch.randn(5, 3, generator=generator).to(device) for _ in range(2))
    for reduction in REDUCTIONS:
        expect.close(call(learner.mse_loss, pred, target, reduction=reduction),
                     F.mse_loss(pred, target, reduction=reduction))


SHAPE_PAIRS = [((7, 1), (7,)), ((7,), (7, 1)), ((7,), (5,)), ((2, 3), (3,)), ((6,), (2, 3)), ((1,), (4,))]


@mse_loss.check(points=2, clauses=["refuses", "shape-error"])
def test_6_1_refuses_mismatched_shapes(learner):
    """Does mse_loss raise ValueError naming both shapes whenever they differ (broadcastable or not)?"""
    why = ("A (7, 1) tensor minus a (7,) one broadcasts to (7, 7): the loss would silently compare every prediction "
           "with every target. Check pred.shape == target.shape and raise ValueError naming both shapes.")
    generator = torch.Generator().manual_seed(3)
    for reduction in REDUCTIONS:
        for pred_shape, target_shape in SHAPE_PAIRS:
            pred, target = torch.randn(pred_shape, generator=generator), torch.randn(target_shape, generator=generator)
            error = raises(ValueError, learner.mse_loss, pred, target, reduction=reduction,
                           why=why + broadcast_mistake(learner.mse_loss, pred, target))
            shown = str(error)
            expect.that(all(str(n) in shown for n in pred_shape + target_shape),
                        f"mse_loss({pred_shape}, {target_shape}, reduction={reduction!r}) raised ValueError({shown!r})"
                        f": say both shapes in the message, e.g. f'pred has shape {{tuple(pred.shape)}} but target "
                        "has shape {tuple(target.shape)}'.")


@mse_loss.check(points=1, clauses=["reduction-error"])
def test_6_1_refuses_unknown_reduction(learner):
    """Does mse_loss raise ValueError for reductions other than 'mean', 'sum' and 'none'?"""
    pred, target = torch.ones(4), torch.zeros(4)
    for reduction in ("average", "Mean", "elementwise_mean", None, ""):
        raises(ValueError, learner.mse_loss, pred, target, reduction=reduction,
               why="Only 'mean', 'sum' and 'none' are reductions: anything else is a typo to report, not to guess.")


@mse_loss.check(points=1, clauses=["gradient"])
def test_6_1_gradient(learner):
    """Does mse_loss keep the graph, with autograd's gradient for every reduction (float64 gradcheck)?"""
    generator = torch.Generator().manual_seed(7)
    pred = torch.randn(4, 3, generator=generator, dtype=torch.float64).requires_grad_(True)
    target = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    for reduction in REDUCTIONS:
        got = call(learner.mse_loss, pred, target, reduction=reduction)
        expect.connected(got, {"pred": pred})
        expect.gradients_correct(lambda pred: learner.mse_loss(pred, target, reduction=reduction), {"pred": pred},
                                 what=f"Called {got.text} under float64 gradcheck.")


@mse_loss.check(points=1, clauses=["inputs-unchanged"])
def test_6_1_inputs_unchanged(learner):
    """Does mse_loss leave pred and target exactly as they were (values, version, requires_grad)?"""
    generator = torch.Generator().manual_seed(9)
    pred = torch.randn(5, 2, generator=generator).requires_grad_(True)
    target = torch.randn(5, 2, generator=generator)
    expect_inputs_unchanged(learner.mse_loss, (pred, target), ("pred", "target"))
    plain = pred.detach().clone()  # a prediction that does not require grad must not start to
    expect_inputs_unchanged(learner.mse_loss, (plain, target), ("pred", "target"))


def broadcast_mistake(function, pred: torch.Tensor, target: torch.Tensor) -> str:
    """The named mistake when function(pred, target) silently broadcast (N, 1) against (N,) into (N, N)."""
    try:
        value = function(pred, target, reduction="none")
    except Exception:  # noqa: BLE001 - refusing is right; any other error is reported by the check itself
        return ""
    n = max(pred.shape[0], target.shape[0])
    if isinstance(value, torch.Tensor) and tuple(value.shape) == (n, n):
        return " " + mistakes.describe("broadcast_n1_n")
    return ""


# --------------------------------------------------------------------------------------------------------------------
# 6.2 binary cross-entropy on logits

@bce_with_logits.check(points=2, clauses=["formula", "reductions", "dtype-device", "stable"])
@generated.examples(pair=binary_pairs(), max_examples=20)
def test_6_2_matches_functional(learner, pair):
    """Does bce_with_logits equal F.binary_cross_entropy_with_logits for every reduction, dtype and soft label?"""
    logits, targets = pair
    expect_matches_functional(learner.bce_with_logits, F.binary_cross_entropy_with_logits, (logits, targets),
                              input_size(logits))


@bce_with_logits.check(points=1, clauses=["dtype-device"])
def test_6_2_device(learner, device):
    """Is the binary cross-entropy on the inputs' device, with their dtype, for every reduction?"""
    generator = torch.Generator().manual_seed(1)
    logits = (torch.randn(6, 4, generator=generator) * 3).to(device)
    targets = torch.randint(0, 2, (6, 4), generator=generator).float().to(device)
    for reduction in REDUCTIONS:
        expect.close(call(learner.bce_with_logits, logits, targets, reduction=reduction),
                     F.binary_cross_entropy_with_logits(logits, targets, reduction=reduction))


EXTREME_LOGITS = [-1e4, -200.0, -89.0, -88.5, -30.0, 1.5, 30.0, 88.5, 89.0, 200.0, 1e4, -1e4, 200.0, 1e4]
EXTREME_TARGETS = [1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]


@bce_with_logits.check(points=3, clauses=["stable", "no-log-sigmoid", "gradient"])
def test_6_2_stable_at_large_logits(learner):
    """Are the loss and its gradient finite and exact for logits of +-88.5, +-89, +-200 and +-1e4 (float32)?"""
    logits, targets = torch.tensor(EXTREME_LOGITS), torch.tensor(EXTREME_TARGETS)
    got = call(learner.bce_with_logits, logits, targets, reduction="none")
    expected = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    value = got.value
    if isinstance(value, torch.Tensor) and value.shape == expected.shape and not torch.isfinite(value).all():
        raise AssertionError(f"Called {got.text} with logits {logits.tolist()}.\nIt returned {value.detach().tolist()}"
                             f": not finite (exp(-z) overflows float32 past z = -88 too). "
                             f"{mistakes.describe('log_sigmoid_unstable')}")
    expect.close(got, expected, what=f"Called {got.text} with logits {logits.tolist()}.\nAn epsilon inside the log "
                                     "(log(p + 1e-7)) or clamping p caps the loss near 16 or 100 where it should be "
                                     "1e4.")
    expect_gradient_matches(learner.bce_with_logits, F.binary_cross_entropy_with_logits, logits, (targets,),
                            what="logits up to 1e4")


@bce_with_logits.check(points=1, clauses=["gradient", "gradient-at-zero"])
@generated.examples(pair=binary_pairs(), max_examples=12)
def test_6_2_gradient_matches_functional(learner, pair):
    """Is the gradient with respect to the logits sigmoid(z) - y, as F's, for drawn logits (exact zeros included)?"""
    logits, targets = pair
    zeros = int((logits == 0).sum())
    hint = (f"logits with {zeros} exact zeros: at z = 0 the gradient is sigmoid(0) - y = 0.5 - y. z.clamp(min=0) "
            "passes the whole gradient at 0, relu none, and |z| none: torch.maximum(z, torch.zeros_like(z)) passes "
            "half, which is what the smooth loss needs") if zeros else "drawn logits"
    expect_gradient_matches(learner.bce_with_logits, F.binary_cross_entropy_with_logits, logits, (targets,),
                            what=hint, **tolerance(logits.dtype, 1.0))


@bce_with_logits.check(points=1, clauses=["gradient"])
def test_6_2_gradcheck(learner):
    """Does bce_with_logits pass float64 gradcheck with respect to the logits, for every reduction?"""
    generator = torch.Generator().manual_seed(4)
    logits = (torch.randn(5, 3, generator=generator, dtype=torch.float64) * 3).requires_grad_(True)
    targets = torch.rand(5, 3, generator=generator, dtype=torch.float64)
    for reduction in REDUCTIONS:
        expect.gradients_correct(lambda logits: learner.bce_with_logits(logits, targets, reduction=reduction),
                                 {"logits": logits}, what=f"Called bce_with_logits(logits, targets, reduction="
                                                          f"{reduction!r}) on float64 (5, 3) inputs under gradcheck.")


@bce_with_logits.check(points=1, clauses=["inputs-unchanged"])
def test_6_2_inputs_unchanged(learner):
    """Does bce_with_logits leave the logits and the targets exactly as they were (values, version, requires_grad)?"""
    generator = torch.Generator().manual_seed(6)
    logits = (torch.randn(5, 2, generator=generator) * 100).requires_grad_(True)
    targets = torch.rand(5, 2, generator=generator)
    expect_inputs_unchanged(learner.bce_with_logits, (logits, targets), ("logits", "targets"))
    expect_inputs_unchanged(learner.bce_with_logits, (logits.detach().clone(), targets), ("logits", "targets"))


@bce_with_logits.check(points=1, clauses=["shape-error", "reduction-error"])
def test_6_2_refuses_bad_arguments(learner):
    """Does bce_with_logits raise ValueError for logits and targets of different shapes, and for unknown reductions?"""
    generator = torch.Generator().manual_seed(7)
    for logits_shape, targets_shape in SHAPE_PAIRS:
        logits = torch.randn(logits_shape, generator=generator)
        targets = torch.randint(0, 2, targets_shape, generator=generator).float()
        raises(ValueError, learner.bce_with_logits, logits, targets,
               why="Like mse_loss: (7, 1) against (7,) broadcasts to (7, 7). F.binary_cross_entropy_with_logits "
                   "refuses it too." + broadcast_mistake(learner.bce_with_logits, logits, targets))
    for reduction in ("average", "Sum", None):
        raises(ValueError, learner.bce_with_logits, torch.zeros(3), torch.ones(3), reduction=reduction,
               why="Only 'mean', 'sum' and 'none' are reductions.")


# --------------------------------------------------------------------------------------------------------------------
# 6.3 cross-entropy

@cross_entropy.check(points=2, clauses=["shapes", "formula", "reductions", "dtype-device", "log-sum-exp", "stable"])
@generated.examples(pair=classification_pairs(), max_examples=20)
def test_6_3_matches_functional(learner, pair):
    """Does cross_entropy equal F.cross_entropy for (N, C) logits and (N,) targets, every reduction and dtype?"""
    logits, targets = pair
    got = call(learner.cross_entropy, logits, targets)
    if logits.dtype in (torch.float32, torch.float64) and isinstance(got.value, torch.Tensor) \
            and got.value.dim() == 0 and logits.shape[1] > 1:
        softmaxed = F.cross_entropy(torch.softmax(logits, dim=1), targets)
        expect.that(not torch.allclose(got.value.detach(), softmaxed) or torch.allclose(softmaxed, F.cross_entropy(
            logits, targets)), f"Called {got.text}.\nIt equals cross-entropy of softmax(logits). "
                               f"{mistakes.describe('softmax_before_cross_entropy')}")
    expect_matches_functional(learner.cross_entropy, F.cross_entropy, (logits, targets), input_size(logits))


@cross_entropy.check(points=1, clauses=["dtype-device"])
def test_6_3_device(learner, device):
    """Is the loss on the logits' device, with their dtype, for every reduction?"""
    generator = torch.Generator().manual_seed(1)
    logits = (torch.randn(6, 5, generator=generator) * 2).to(device)
    targets = torch.randint(0, 5, (6,), generator=generator).to(device)
    for reduction in REDUCTIONS:
        expect.close(call(learner.cross_entropy, logits, targets, reduction=reduction),
                     F.cross_entropy(logits, targets, reduction=reduction))


@cross_entropy.check(points=2, clauses=["stable", "gradient"])
def test_6_3_stable_at_large_logits(learner):
    """Is cross_entropy finite and exact, with autograd's gradient, for logits of +-89 and +-1000 (float32)?"""
    logits = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, 999.0, 1000.0], [5.0, 1000.0, 2.0],
                           [-1000.0, -1000.0, -999.0], [89.0, 89.0, -89.0], [-89.0, -89.0, -89.0]])
    targets = torch.tensor([0, 1, 2, 2, 1, 0])
    got = call(learner.cross_entropy, logits, targets, reduction="none")
    value = got.value
    if isinstance(value, torch.Tensor) and not torch.isfinite(value).all():
        raise AssertionError(f"Called {got.text} with logits of +-1000.\nIt returned {value.detach().tolist()}: not "
                             f"finite. {mistakes.describe('naive_softmax_overflow')}")
    expected = F.cross_entropy(logits, targets, reduction="none")
    expect.close(got, expected, what=f"Called {got.text} with logits of +-1000.\nAn epsilon inside the log "
                                     "(log(p + 1e-9)) caps the loss near 20 where it should be 1000 or 2000.",
                 rtol=1e-5, atol=1e-3)  # float32 resolution at 1000 is 6e-5: z - logsumexp(z) rounds
    expect_gradient_matches(learner.cross_entropy, F.cross_entropy, logits, (targets,), what="logits of +-1000",
                            rtol=1e-4, atol=1e-4)


@cross_entropy.check(points=1, clauses=["gradient"])
@generated.examples(pair=classification_pairs(low_precision=False), max_examples=10)
def test_6_3_gradient_matches_functional(learner, pair):
    """Is the gradient with respect to the logits softmax(z) - onehot(y), as F.cross_entropy's, for drawn logits?"""
    logits, targets = pair
    expect_gradient_matches(learner.cross_entropy, F.cross_entropy, logits, (targets,), what="drawn logits",
                            rtol=1e-4, atol=1e-5)


@cross_entropy.check(points=1, clauses=["shapes", "formula"])
def test_6_3_confident_logits(learner):
    """Do confident, correct logits give a loss near zero (no softmax applied before the loss)?"""
    targets = torch.tensor([2, 0, 1, 1])
    logits = F.one_hot(targets, 3).float() * 50 - 25  # the true class 50 above the others
    got = call(learner.cross_entropy, logits, targets)
    expect.that(isinstance(got.value, torch.Tensor) and got.value.dim() == 0 and got.value.item() < 1e-6,
                f"Called {got.text} where every true class leads by 50.\nIt returned {got.value!r}; expected a loss "
                "near 0."
                + (f" {mistakes.describe('softmax_before_cross_entropy')}" if isinstance(got.value, torch.Tensor)
                   and got.value.dim() == 0 and abs(got.value.item() - 0.5514) < 0.01 else
                   " A loss around 0.55 means softmax was applied to the logits before the loss: pass raw logits."))


@cross_entropy.check(points=1, clauses=["gradient"])
def test_6_3_gradcheck(learner):
    """Does cross_entropy pass float64 gradcheck with respect to the logits, for every reduction?"""
    generator = torch.Generator().manual_seed(8)
    logits = (torch.randn(5, 4, generator=generator, dtype=torch.float64) * 2).requires_grad_(True)
    targets = torch.randint(0, 4, (5,), generator=generator)
    for reduction in REDUCTIONS:
        expect.gradients_correct(lambda logits: learner.cross_entropy(logits, targets, reduction=reduction),
                                 {"logits": logits}, what=f"Called cross_entropy(logits, targets, reduction="
                                                          f"{reduction!r}) on float64 (5, 4) logits under gradcheck.")


@cross_entropy.check(points=1, clauses=["inputs-unchanged"])
def test_6_3_inputs_unchanged(learner):
    """Does cross_entropy leave the logits and the targets exactly as they were (values, version, requires_grad)?"""
    generator = torch.Generator().manual_seed(10)
    logits = (torch.randn(5, 4, generator=generator) * 50).requires_grad_(True)
    targets = torch.randint(0, 4, (5,), generator=generator)
    expect_inputs_unchanged(learner.cross_entropy, (logits, targets), ("logits", "targets"))
    plain = logits.detach().clone()  # without requires_grad an in-place max subtraction would go through
    expect_inputs_unchanged(learner.cross_entropy, (plain, targets), ("logits", "targets"))


@cross_entropy.check(points=1, clauses=["reduction-error"])
def test_6_3_refuses_unknown_reduction(learner):
    """Does cross_entropy raise ValueError for reductions other than 'mean', 'sum' and 'none'?"""
    for reduction in ("average", "Mean", None):
        raises(ValueError, learner.cross_entropy, torch.zeros(3, 2), torch.tensor([0, 1, 1]), reduction=reduction,
               why="Only 'mean', 'sum' and 'none' are reductions: anything else is a typo to report, not to guess.")
