"""Chapter 06, loss functions: do the learner's losses equal torch.nn.functional's, refuse mismatched shapes, and stay
finite at extreme logits?"""
import torch
import torch.nn.functional as F

from autograder.engine import Exercise, call, expect, mistakes
from autograder.engine.raising import raises

mse_loss = Exercise("6.1", "mse_loss", hints=[
    "Compare pred.shape with target.shape first and raise ValueError(...) naming both when they differ; then square "
    "the differences and reduce them as `reduction` asks.",
    "loss = (pred - target) ** 2; return loss.mean() for 'mean', loss.sum() for 'sum', loss itself for 'none', and "
    "raise ValueError for anything else. Never reshape silently: (N, 1) - (N,) is (N, N).",
], hints_zh=[
    "先比较 pred.shape 和 target.shape，不一致时抛出 ValueError(...) 并写明两个形状；然后对差值平方，再按 `reduction` 的要求归约。",
    "loss = (pred - target) ** 2；'mean' 返回 loss.mean()，'sum' 返回 loss.sum()，'none' 返回 loss 本身，其他值抛出 ValueError。绝不要悄悄改变形状：(N, 1) - (N,) 的结果是 (N, N)。",
])
bce_with_logits = Exercise("6.2", "bce_with_logits", hints=[
    "Don't compute sigmoid(z) and then its log: for z = -200 the sigmoid is 0 in float32 and log(0) = -inf. Use the "
    "rewritten formula, which never exponentiates a large positive number.",
    "loss = z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs())); then reduce as in Exercise 6.1, after "
    "checking that logits and targets have the same shape.",
], hints_zh=[
    "不要先算 sigmoid(z) 再取对数：当 z = -200 时，float32 下 sigmoid 为 0，而 log(0) = -inf。使用改写后的公式，它从不对大的正数求指数。",
    "loss = z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))；在确认 logits 与 targets 形状相同之后，像练习 6.1 那样归约。",
])
cross_entropy = Exercise("6.3", "cross_entropy", hints=[
    "Work with log-probabilities, never with probabilities: log softmax(z)[y] = z[y] - logsumexp(z). "
    "torch.logsumexp(logits, dim=1) subtracts the row's maximum before exponentiating, so 1000 does not overflow.",
    "Pick each row's true-class logit with logits.gather(1, targets[:, None]).squeeze(1) (or "
    "logits[torch.arange(N), targets]); loss = torch.logsumexp(logits, dim=1) - picked, then reduce.",
], hints_zh=[
    "用对数概率计算，绝不直接用概率：log softmax(z)[y] = z[y] - logsumexp(z)。torch.logsumexp(logits, dim=1) 会在求指数前减去该行的最大值，因此 1000 也不会溢出。",
    "用 logits.gather(1, targets[:, None]).squeeze(1)（或 logits[torch.arange(N), targets]）取出每行真实类别的 logit；loss = torch.logsumexp(logits, dim=1) - picked，然后归约。",
])

REDUCTIONS = ("mean", "sum", "none")


def values(shape, device="cpu", dtype=torch.float32, seed=0, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=generator, dtype=dtype) * scale).to(device)


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


def reduction_mistake(got, elementwise: torch.Tensor, reduction: str) -> str:
    """Name a mean/sum mix-up when the learner returned the other reduction."""
    if not isinstance(got, torch.Tensor) or got.is_meta or got.dim() != 0:
        return ""
    others = {"mean": ("sum", elementwise.sum()), "sum": ("mean", elementwise.mean()), "none": (None, None)}
    name, other = others[reduction]
    if other is not None and torch.allclose(got.detach(), other, rtol=1e-5):
        return f" Known mistake: it returned the {name} where reduction={reduction!r} asks for the {reduction}."
    if reduction == "none":
        return " reduction='none' returns the unreduced, elementwise losses."
    return ""


def expect_matches_functional(function, oracle, args, device_is_meta: bool) -> None:
    """For each reduction, the learner's loss equals the torch.nn.functional oracle, mean/sum mix-ups named."""
    elementwise = oracle(*args, reduction="none")
    for reduction in REDUCTIONS:
        got = call(function, *args, reduction=reduction)
        mistake = "" if device_is_meta else reduction_mistake(got.value, elementwise, reduction)
        expect.close(got.value, oracle(*args, reduction=reduction),
                     what=f"Called {got.text}.{mistake}\nCompared with torch.nn.functional:")


@mse_loss.check(points=2)
def test_6_1_matches_functional(learner, device):
    """Does mse_loss equal F.mse_loss for reduction='mean', 'sum' and 'none'?"""
    pred, target = values((5, 3), device, seed=1), values((5, 3), device, seed=2)
    expect_matches_functional(learner.mse_loss, F.mse_loss, (pred, target), device.type == "meta")


@mse_loss.check(points=2)
def test_6_1_refuses_mismatched_shapes(learner):
    """Does mse_loss raise ValueError for a (N, 1) prediction with a (N,) target, and the other way round?"""
    why = ("A (7, 1) tensor minus a (7,) one broadcasts to (7, 7): the loss would silently compare every prediction "
           "with every target. Check pred.shape == target.shape and raise ValueError naming both shapes.")
    column, flat = values((7, 1), seed=3), values((7,), seed=4)
    for pred, target in ((column, flat), (flat, column), (values((7,), seed=5), values((5,), seed=6))):
        error = raises(ValueError, learner.mse_loss, pred, target,
                       why=why + broadcast_mistake(learner.mse_loss, pred, target))
        expect.that(str(error).strip() != "", f"mse_loss({tuple(pred.shape)}, {tuple(target.shape)}) raised a "
                                              "ValueError with no message: say which shapes differ.")
    raises(ValueError, learner.mse_loss, values((7,), seed=5), values((7,), seed=6), reduction="average",
           why="Only 'mean', 'sum' and 'none' are reductions: anything else is a typo to report, not to guess.")


@mse_loss.check(points=1)
def test_6_1_gradient(learner):
    """Does mse_loss keep the graph, with gradient 2 (pred - target) / numel for the mean (float64 gradcheck)?"""
    pred = values((4, 3), dtype=torch.float64, seed=7).requires_grad_(True)
    target = values((4, 3), dtype=torch.float64, seed=8)
    got = call(learner.mse_loss, pred, target)
    expect.connected(got, {"pred": pred})
    expect.gradients_correct(lambda pred: learner.mse_loss(pred, target), {"pred": pred},
                             what=f"Called {got.text} under float64 gradcheck.")


def binary_targets(shape, device="cpu", seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, shape, generator=generator).float().to(device)


@bce_with_logits.check(points=2)
def test_6_2_matches_functional(learner, device):
    """Does bce_with_logits equal F.binary_cross_entropy_with_logits for every reduction?"""
    logits, targets = values((6, 4), device, seed=1, scale=3.0), binary_targets((6, 4), device, seed=2)
    expect_matches_functional(learner.bce_with_logits, F.binary_cross_entropy_with_logits, (logits, targets),
                              device.type == "meta")
    soft = torch.rand(6, 4, generator=torch.Generator().manual_seed(3)).to(device)  # soft labels in [0, 1]
    expect_matches_functional(learner.bce_with_logits, F.binary_cross_entropy_with_logits, (logits, soft),
                              device.type == "meta")


@bce_with_logits.check(points=3)
def test_6_2_stable_at_large_logits(learner):
    """Are the loss and its gradient finite and exact for logits of -1e4, -200, 200 and 1e4?"""
    logits = torch.tensor([-1e4, -200.0, -30.0, 1.5, 30.0, 200.0, 1e4, -1e4, 200.0, 1e4])
    targets = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    logits.requires_grad_(True)
    got = call(learner.bce_with_logits, logits, targets, reduction="none")
    expected = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    value = got.value
    if isinstance(value, torch.Tensor) and value.shape == expected.shape and not torch.isfinite(value).all():
        raise AssertionError(f"Called {got.text} with logits {logits.detach().tolist()}.\nIt returned "
                             f"{value.detach().tolist()}: not finite (exp(-z) overflows too). "
                             f"{mistakes.describe('log_sigmoid_unstable')}")
    expect.close(got, expected, what=f"Called {got.text} with logits {logits.detach().tolist()}.\nAn epsilon inside "
                                     "the log (log(p + 1e-7)) or clamping p caps the loss near 16 or 100 where it "
                                     "should be 1e4.")
    expect.connected(got, {"logits": logits})
    (grad,) = torch.autograd.grad(value.sum(), [logits])
    (expected_grad,) = torch.autograd.grad(expected.sum(), [logits])
    expect.that(torch.isfinite(grad).all(), f"Called {got.text}, then backward.\nThe gradient is not finite: "
                                            f"{grad.tolist()}. The stable formula also has a stable gradient.")
    expect.close(grad, expected_grad, what=f"Called {got.text}, then backward.\nThe gradient with respect to logits:")


@bce_with_logits.check(points=1)
def test_6_2_gradcheck(learner):
    """Does bce_with_logits pass float64 gradcheck with respect to the logits?"""
    logits = values((5, 3), dtype=torch.float64, seed=4, scale=3.0).requires_grad_(True)
    targets = binary_targets((5, 3), seed=5).double()
    expect.gradients_correct(lambda logits: learner.bce_with_logits(logits, targets), {"logits": logits},
                             what="Called bce_with_logits(logits, targets) on float64 (5, 3) inputs under gradcheck.")


@bce_with_logits.check(points=1)
def test_6_2_refuses_mismatched_shapes(learner):
    """Does bce_with_logits raise ValueError for (N, 1) logits with (N,) targets?"""
    logits, targets = values((7, 1), seed=6), binary_targets((7,), seed=7)
    raises(ValueError, learner.bce_with_logits, logits, targets,
           why="Like mse_loss: (7, 1) against (7,) broadcasts to (7, 7). F.binary_cross_entropy_with_logits refuses "
               "it too." + broadcast_mistake(learner.bce_with_logits, logits, targets))


def class_targets(n, classes, device="cpu", seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, classes, (n,), generator=generator).to(device)


@cross_entropy.check(points=2)
def test_6_3_matches_functional(learner, device):
    """Does cross_entropy equal F.cross_entropy for (N, C) logits and (N,) class indices, for every reduction?"""
    logits, targets = values((6, 5), device, seed=1, scale=2.0), class_targets(6, 5, device, seed=2)
    got = call(learner.cross_entropy, logits, targets)
    if not logits.is_meta and isinstance(got.value, torch.Tensor) and got.value.dim() == 0:
        softmaxed = F.cross_entropy(torch.softmax(logits, dim=1), targets)
        expect.that(not torch.allclose(got.value, softmaxed),
                    f"Called {got.text}.\nIt equals cross-entropy of softmax(logits). "
                    f"{mistakes.describe('softmax_before_cross_entropy')}")
    expect_matches_functional(learner.cross_entropy, F.cross_entropy, (logits, targets), device.type == "meta")


@cross_entropy.check(points=2)
def test_6_3_stable_at_large_logits(learner):
    """Is cross_entropy finite and exact for logits of +-1000?"""
    logits = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, 999.0, 1000.0], [5.0, 1000.0, 2.0],
                           [-1000.0, -1000.0, -999.0]], requires_grad=True)
    targets = torch.tensor([0, 1, 2, 2])
    got = call(learner.cross_entropy, logits, targets, reduction="none")
    value = got.value
    if isinstance(value, torch.Tensor) and not torch.isfinite(value).all():
        raise AssertionError(f"Called {got.text} with logits of +-1000.\nIt returned {value.detach().tolist()}: not "
                             f"finite. {mistakes.describe('naive_softmax_overflow')}")
    expected = F.cross_entropy(logits, targets, reduction="none")
    expect.close(got, expected, what=f"Called {got.text} with logits of +-1000.\nAn epsilon inside the log "
                                     "(log(p + 1e-9)) caps the loss near 20 where it should be 1000 or 2000.",
                 rtol=1e-5, atol=1e-3)  # float32 resolution at 1000 is 6e-5: z - logsumexp(z) rounds
    expect.connected(got, {"logits": logits})
    (grad,) = torch.autograd.grad(value.sum(), [logits])
    (expected_grad,) = torch.autograd.grad(expected.sum(), [logits])
    expect.close(grad, expected_grad, what=f"Called {got.text}, then backward.\nThe gradient with respect to logits:",
                 rtol=1e-4, atol=1e-4)


@cross_entropy.check(points=1)
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


@cross_entropy.check(points=1)
def test_6_3_gradcheck(learner):
    """Does cross_entropy pass float64 gradcheck with respect to the logits?"""
    logits = values((5, 4), dtype=torch.float64, seed=8, scale=2.0).requires_grad_(True)
    targets = class_targets(5, 4, seed=9)
    expect.gradients_correct(lambda logits: learner.cross_entropy(logits, targets), {"logits": logits},
                             what="Called cross_entropy(logits, targets) on float64 (5, 4) logits under gradcheck.")
