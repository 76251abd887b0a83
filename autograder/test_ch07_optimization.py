"""Chapter 07, optimization: do the learner's descent loops, optimizers and schedule step exactly like PyTorch's?"""
import math

import torch
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close
from torch.utils._pytree import tree_flatten

from autograder.engine import Called, Exercise, call, curves, expect, generated, mistakes, strategies
from autograder.engine.optimizers import (GROUP_OF, NO_GRADIENT, SHAPES, _diagnosis, build, grouped, run_step,
                                          seeded_gradients, seeded_parameters)
from autograder.engine.raising import raises

full_batch = Exercise("7.1", "full_batch_gradient_descent", clauses={
    "whole-dataset": "plain gradient descent, every step on the gradient of the loss over the WHOLE dataset.",
    "update": "For each of `steps` steps: loss = loss_fn(model(x), y) (x: (N, D), y: (N, ...)) theta <- theta - lr * "
              "d loss / d theta for every parameter of the model",
    "in-place-leaves": "Update the parameters in place (they must stay the model's own leaf tensors)",
    "zero-grad": "and zero their gradients before each backward() (the model may arrive with stale ones), without "
                 "torch.optim.",
    "returns-floats": "Returns the loss before each step, as Python floats: a list of length `steps`.",
}, hints=[
    "Each step: loss on all of x, backward, then move every parameter against its gradient.",
    "Update under torch.no_grad() and in place (`p -= lr * p.grad`), then zero the gradients (model.zero_grad()): "
    "`p = p - lr * p.grad` only rebinds a local name, and without zeroing, the next backward adds to the old gradient.",
], hints_zh=[
    "每一步：在全部 x 上算损失，反向传播，然后让每个参数沿梯度的反方向移动。",
    "在 torch.no_grad() 下原地更新（`p -= lr * p.grad`），然后清零梯度（model.zero_grad()）：`p = p - lr * p.grad` 只是重新绑定了一个局部变量名；不清零的话，下一次 backward 会累加到旧梯度上。",
])
minibatch = Exercise("7.2", "minibatch_sgd", clauses={
    "one-update-per-batch": "minibatch stochastic gradient descent: one update per minibatch, reshuffled every epoch.",
    "fresh-permutation": "For each epoch: order = torch.randperm(N, generator=generator) (a fresh permutation every "
                         "epoch)",
    "slices": "for each slice b of `order` of length batch_size (the last one may be shorter, never dropped):",
    "update": "loss = loss_fn(model(x[b]), y[b]); theta <- theta - lr * d loss / d theta",
    "in-place": "Update in place without torch.optim, as in Exercise 7.1.",
    "generator-only": "Draw randomness only from `generator`.",
    "returns-floats": "Returns the loss of every minibatch before its update, as Python floats: epochs * ceil(N / "
                      "batch_size) of them.",
}, hints=[
    "At the start of every epoch draw order = torch.randperm(N, generator=generator), then walk through it in "
    "slices of batch_size: order[start:start + batch_size].",
    "range(0, N, batch_size) gives every start, so the last, shorter batch is kept. One update per batch, exactly "
    "as in Exercise 7.1, and no other source of randomness (no torch.manual_seed, no generator-less randperm).",
], hints_zh=[
    "每一轮开始时取 order = torch.randperm(N, generator=generator)，然后按 batch_size 分片遍历：order[start:start + batch_size]。",
    "range(0, N, batch_size) 给出每个起点，因此最后那个较短的批次也会保留。每个批次更新一次，与练习 7.1 完全相同，并且不使用其他随机来源（不要 torch.manual_seed，不要不带生成器的 randperm）。",
])
sgd = Exercise("7.3", "SGD", clauses={
    "equal-to-torch": "SGD with momentum, weight decay and Nesterov momentum, equal to torch.optim.SGD.",
    "own-group": "For every parameter p with a gradient g, using the hyperparameters of p's own parameter group:",
    "weight-decay": "d = g + weight_decay * p (L2 weight decay, added to the gradient)",
    "buffer": "b = d on p's first step (the momentum buffer, kept per parameter in self.state[p]) b = momentum * b + d "
              "afterwards",
    "nesterov": "d = d + momentum * b if nesterov, else d = b (only when momentum != 0) p <- p - lr * d",
    "skip-none": "Parameters whose .grad is None are skipped (their buffer is left as it is).",
    "buffer-own-tensor": "The buffer is a tensor of its own (d.clone() on the first step), never p.grad itself: "
                         "zero_grad(set_to_none=False) and backward() overwrite p.grad in place, and would overwrite "
                         "the buffer with it.",
    "dtype-device": "Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state "
                    "tensors (a 0-dim step counter aside) have the parameter's shape, dtype and device.",
    "grad-unchanged": "p.grad is read, never changed.",
    "defaults": "Defaults: lr=1e-3, momentum=0, weight_decay=0, nesterov=False.",
    "errors": "Raise ValueError for a negative lr, momentum or weight_decay, and for nesterov=True with momentum=0 "
              "(as torch.optim.SGD does).",
}, hints=[
    "Loop `for group in self.param_groups: for p in group['params']:`, skip p.grad None, read lr, momentum, "
    "weight_decay and nesterov from `group`.",
    "Keep the buffer in self.state[p]['momentum_buffer']: set it to d.clone() on p's first step, afterwards "
    "buf.mul_(momentum).add_(d). Add weight_decay * p to the gradient BEFORE the momentum; nesterov uses "
    "d + momentum * buf, plain momentum uses buf; finally p.add_(d, alpha=-lr).",
], hints_zh=[
    "循环 `for group in self.param_groups: for p in group['params']:`，跳过 p.grad 为 None 的参数，从 `group` 中读取 lr、momentum、weight_decay 和 nesterov。",
    "把缓冲区保存在 self.state[p]['momentum_buffer'] 中：p 第一次更新时设为 d.clone()，之后执行 buf.mul_(momentum).add_(d)。在动量之前先把 weight_decay * p 加到梯度上；nesterov 使用 d + momentum * buf，普通动量使用 buf；最后 p.add_(d, alpha=-lr)。",
])
rmsprop = Exercise("7.4", "RMSprop", clauses={
    "equal-to-torch": "RMSprop, an adaptive method (a step size per parameter), equal to torch.optim.RMSprop.",
    "own-group": "For every parameter p with a gradient g (hyperparameters from p's own group; s starts at zeros(p)):",
    "weight-decay": "g = g + weight_decay * p",
    "average": "s = alpha * s + (1 - alpha) * g^2 (moving average of squared gradients, self.state[p])",
    "eps-outside": "p <- p - lr * g / (sqrt(s) + eps) (eps added AFTER the square root)",
    "skip-none": "Parameters whose .grad is None are skipped.",
    "dtype-device": "Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state "
                    "tensors (a 0-dim step counter aside) have the parameter's shape, dtype and device.",
    "grad-unchanged": "p.grad is read, never changed.",
    "defaults": "Defaults: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.",
    "errors": "Raise ValueError for a negative lr, eps or weight_decay, or an alpha outside [0, 1).",
}, hints=[
    "Keep one moving average of squared gradients per parameter (self.state[p]), starting from "
    "torch.zeros_like(p), not from g^2.",
    "s.mul_(alpha).addcmul_(g, g, value=1 - alpha); then p.addcdiv_(g, s.sqrt() + eps, value=-lr): eps is added "
    "after the square root, not inside it.",
], hints_zh=[
    "为每个参数维护一个梯度平方的滑动平均（self.state[p]），从 torch.zeros_like(p) 开始，而不是从 g^2 开始。",
    "s.mul_(alpha).addcmul_(g, g, value=1 - alpha)；然后 p.addcdiv_(g, s.sqrt() + eps, value=-lr)：eps 加在开平方之后，而不是里面。",
])
adam = Exercise("7.5", "Adam", clauses={
    "equal-to-torch": "Adam with bias correction (and L2 weight decay in the gradient), equal to torch.optim.Adam.",
    "own-steps": "For every parameter p with a gradient g; t counts p's own steps (1 on its first); m, v start at "
                 "zeros(p):",
    "l2": "g = g + weight_decay * p (L2: the decay goes through the adaptive scaling)",
    "moments": "m = beta1 * m + (1 - beta1) * g v = beta2 * v + (1 - beta2) * g^2",
    "bias-correction": "m_hat = m / (1 - beta1^t) v_hat = v / (1 - beta2^t) (bias correction)",
    "update": "p <- p - lr * m_hat / (sqrt(v_hat) + eps)",
    "state": "Keep t, m and v per parameter in self.state[p].",
    "skip-none": "Parameters whose .grad is None are skipped.",
    "dtype-device": "Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state "
                    "tensors (a 0-dim step counter aside) have the parameter's shape, dtype and device.",
    "grad-unchanged": "p.grad is read, never changed.",
    "defaults": "Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.",
    "errors": "Raise ValueError for a negative lr, eps or weight_decay, or a beta outside [0, 1).",
}, hints=[
    "Per parameter keep a step count t and two moving averages m and v in self.state[p]; t is 1 on p's first step.",
    "Divide out the zero-start bias: m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t), then "
    "p -= lr * m_hat / (sqrt(v_hat) + eps). Adam's weight decay is L2: add weight_decay * p to the gradient first.",
], hints_zh=[
    "为每个参数在 self.state[p] 中保存步数 t 以及两个滑动平均 m 和 v；p 第一次更新时 t 为 1。",
    "去掉从零开始带来的偏差：m_hat = m / (1 - beta1**t)，v_hat = v / (1 - beta2**t)，然后 p -= lr * m_hat / (sqrt(v_hat) + eps)。Adam 的权重衰减是 L2：先把 weight_decay * p 加到梯度上。",
])
adamw = Exercise("7.6", "AdamW", clauses={
    "equal-to-torch": "AdamW, Adam with DECOUPLED weight decay, equal to torch.optim.AdamW.",
    "decoupled": "For every parameter p with a gradient g, first shrink the weights directly (not through the "
                 "gradient): p <- p * (1 - lr * weight_decay)",
    "raw-gradient": "then take the Adam step of Exercise 7.5 on the raw gradient g (no weight_decay * p added to g):",
    "adam-step": "m = beta1 * m + (1 - beta1) * g v = beta2 * v + (1 - beta2) * g^2 (t, m, v per parameter) p <- p - "
                 "lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)",
    "skip-none": "Parameters whose .grad is None are skipped (neither decayed nor stepped).",
    "dtype-device": "Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state "
                    "tensors (a 0-dim step counter aside) have the parameter's shape, dtype and device.",
    "grad-unchanged": "p.grad is read, never changed.",
    "defaults": "Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2 (AdamW decays by default).",
    "errors": "Raise ValueError for a negative lr, eps or weight_decay, or a beta outside [0, 1).",
}, hints=[
    "AdamW is Adam (Exercise 7.5) with one change: the weight decay never touches the gradient.",
    "First p.mul_(1 - lr * weight_decay), then the Adam step on the raw gradient (no weight_decay * p added to g).",
], hints_zh=[
    "AdamW 就是 Adam（练习 7.5）加一处改动：权重衰减从不碰梯度。",
    "先执行 p.mul_(1 - lr * weight_decay)，再用原始梯度做 Adam 的一步（不要把 weight_decay * p 加到 g 上）。",
])
schedule = Exercise("7.7", "warmup_cosine", clauses={
    "step-numbering": "the learning rate for optimizer step number `step` (0 for the first) under warmup + cosine.",
    "warmup": "step < warmup_steps: lr = base_lr * (step + 1) / warmup_steps (linear warmup; never 0)",
    "cosine": "warmup_steps <= step < total_steps: progress = (step - warmup_steps) / (total_steps - warmup_steps) "
              "lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * progress)) / 2",
    "end": "step >= total_steps: lr = min_lr",
    "returns-float": "Returns a Python float;",
    "default-min-lr": "min_lr defaults to 0.",
    "summary": "So the first step after warmup uses base_lr, and the rate falls to min_lr along a cosine.",
}, hints=[
    "Three cases: step < warmup_steps (linear ramp), warmup_steps <= step < total_steps (cosine), else min_lr.",
    "The ramp is base_lr * (step + 1) / warmup_steps, so step 0 already learns; the cosine's progress is "
    "(step - warmup_steps) / (total_steps - warmup_steps), 0 at its first step. Use math.cos and return a float.",
], hints_zh=[
    "三种情况：step < warmup_steps（线性升温），warmup_steps <= step < total_steps（余弦），其余为 min_lr。",
    "升温段是 base_lr * (step + 1) / warmup_steps，因此第 0 步就已经在学习；余弦段的进度是 (step - warmup_steps) / (total_steps - warmup_steps)，在它的第一步为 0。使用 math.cos 并返回 float。",
])
scheduled = Exercise("7.8", "train_with_schedule", clauses={
    "full-batch": "full-batch training for `steps` steps under a learning-rate scheduler, recording the lr.",
    "order": "Each step: zero the gradients, loss = loss_fn(model(x), y), backward, optimizer.step(), then "
             "scheduler.step().",
    "rate-used": "Record the learning rate each optimizer.step() actually used: optimizer.param_groups[0][\"lr\"] "
                 "read before it.",
    "returns": "Returns (losses, lrs): the loss before each step and the lr of each step, both lists of `steps` "
               "Python floats.",
}, hints=[
    "Read optimizer.param_groups[0]['lr'] just before optimizer.step(): that is the rate the step uses.",
    "The order inside a step is zero_grad, forward, backward, optimizer.step(), scheduler.step(): stepping the "
    "scheduler first skips the first learning rate of the schedule.",
], hints_zh=[
    "在 optimizer.step() 之前读取 optimizer.param_groups[0]['lr']：这就是这一步使用的学习率。",
    "一步之内的顺序是 zero_grad、前向、反向、optimizer.step()、scheduler.step()：先调用调度器会跳过调度表中的第一个学习率。",
])

NUMBERS = dict(rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------------------------------
# Shared fixtures: a seeded linear model and a small regression problem (distinct sizes: N=10, D=4, 2 outputs).

def regression(rows=10, features=4, outputs=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, features, generator=generator)  # (N, D)
    true_weight = torch.randn(features, outputs, generator=generator)  # (D, K)
    y = x @ true_weight + 0.1 * torch.randn(rows, outputs, generator=generator)  # (N, K)
    return x, y


def linear_model(features=4, outputs=2, seed=1):
    generator = torch.Generator().manual_seed(seed)
    model = nn.Linear(features, outputs)
    with torch.no_grad():
        model.weight.copy_(torch.randn(outputs, features, generator=generator) * 0.5)
        model.bias.copy_(torch.randn(outputs, generator=generator) * 0.5)
    return model


def twin_models(seed=1):
    learner_model = linear_model(seed=seed)
    reference_model = linear_model(seed=seed)
    return learner_model, reference_model


def float_list(got, length, what):
    return torch.tensor(expect.float_list(got, length, what=what), dtype=torch.float64)


def agree(a, b, **tolerances):
    """assert_close as a yes/no question (captured at import, so learner code cannot patch it)."""
    try:
        assert_close(a, b, **tolerances)
    except AssertionError:
        return False
    return True


def _short(value):
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


def same_parameters(model, expected_model, what, hint=""):
    for (name, got), (_, want) in zip(model.named_parameters(), expected_model.named_parameters()):
        expect.close(got, want, what=f"{what}\nParameter `{name}` afterwards:{hint}", **NUMBERS)


def unchanged_hint(model, initial):
    if all(torch.equal(p, q) for p, q in zip(model.parameters(), initial.parameters())):
        return " " + mistakes.describe("parameter_rebound")
    return ""


# --------------------------------------------------------------------------------------------------------------------
# 7.1 full-batch gradient descent

@full_batch.check(points=2, clauses=["whole-dataset", "update", "returns-floats", "zero-grad"])
def test_7_1_matches_reference(learner, reference):
    """Over 5 steps, do the losses and the final parameters equal the reference's on the same seeded model and data?"""
    x, y = regression()
    model, expected_model = twin_models()
    got = call(learner.full_batch_gradient_descent, model, nn.functional.mse_loss, x, y, 0.1, 5)
    expected = reference.full_batch_gradient_descent(expected_model, nn.functional.mse_loss, x, y, 0.1, 5)
    what = f"Called {got.text}."
    losses = float_list(got, 5, what)
    curves.record("loss", losses, expected)
    hint = unchanged_hint(model, linear_model())
    same_parameters(model, expected_model, what, hint)
    expected = torch.tensor(expected, dtype=torch.float64)
    if agree(losses[:2], expected[:2], **NUMBERS) and not agree(losses, expected, **NUMBERS):
        hint = (" The first steps agree and later ones drift: were the gradients zeroed every step? Without "
                "zero_grad, each backward adds to the previous gradient.")
    expect.close(losses, expected, what=f"{what}\nThe losses it returned:{hint}", **NUMBERS)


@full_batch.check(points=1, clauses=["in-place-leaves"])
def test_7_1_same_leaf_parameters(learner):
    """After training, does the model hold the same parameter tensors, still leaves that require grad?"""
    x, y = regression()
    model = linear_model()
    before = list(model.parameters())  # kept alive, so `is` compares objects (a freed tensor's id can be reused)
    # the storages themselves, kept alive: `p.data = ...` frees a parameter's memory, and a later tensor can be
    # given the same address, so comparing addresses alone once let that mistake through
    memory = [p.untyped_storage() for p in before]
    got = call(learner.full_batch_gradient_descent, model, nn.functional.mse_loss, x, y, 0.1, 3)
    expect_same_leaves(got, model, before, memory)


def expect_same_leaves(got, model, before, memory) -> None:
    """The model's parameters are the objects it had, still leaves that require grad, updated in their own memory."""
    for (name, p), old, storage in zip(model.named_parameters(), before, memory):
        expect.that(p is old and p.is_leaf and p.requires_grad,
                    f"Called {got.text}.\nAfterwards model.{name} is a different tensor, or no longer a leaf that "
                    f"requires grad. {mistakes.describe('parameter_not_leaf')}")
        expect.that(p.untyped_storage().data_ptr() == storage.data_ptr(),
                    f"Called {got.text}.\nAfterwards model.{name} is the same Parameter object but its values live in "
                    "new memory: `p.data = p.data - lr * p.grad` swaps in a new tensor instead of updating in place, "
                    "and anything else that holds p's memory (a view, a tied weight) keeps the old values. Update in "
                    "place under torch.no_grad(): `p -= lr * p.grad` or p.sub_(lr * p.grad).")


@full_batch.check(points=1, clauses=["update", "whole-dataset"])
def test_7_1_converges(learner):
    """With lr = 0.1, does the loss fall at every step and end below a tenth of where it started (60 steps)?"""
    x, y = regression(rows=12, seed=2)
    got = call(learner.full_batch_gradient_descent, linear_model(seed=3), nn.functional.mse_loss, x, y, 0.1, 60)
    losses = float_list(got, 60, f"Called {got.text}.")
    rises = [i for i in range(1, 60) if losses[i] > losses[i - 1] * (1 + 1e-6)]
    expect.that(not rises, f"Called {got.text}.\nThe loss rose at step {rises[:1]}: full-batch gradient descent "
                "with a small learning rate on least squares must go down every step. Is the step taken against the "
                "gradient (p -= lr * grad), with fresh gradients each step?")
    expect.that(losses[-1] < 0.1 * losses[0],
                f"Called {got.text}.\nThe loss went from {losses[0]:.4g} to {losses[-1]:.4g}; expected below "
                f"{0.1 * losses[0]:.4g}.")


def leave_stale_gradients(*models):
    """What a previous backward() leaves behind: .grad of 5 on the weight, -5 on the bias."""
    for model in models:
        model.weight.grad = torch.full_like(model.weight, 5.0)
        model.bias.grad = torch.full_like(model.bias, -5.0)


def stale_what(got) -> str:
    return (f"Called {got.text} on a model whose .grad already held stale gradients (5 for the weight, -5 for the "
            "bias).")


@full_batch.check(points=1, clauses=["zero-grad"])
def test_7_1_stale_gradients_on_entry(learner, reference):
    """Given a model whose .grad already holds a stale gradient, is the first step still on the fresh gradient alone?"""
    x, y = regression(seed=6)
    model, expected_model = twin_models(seed=7)
    leave_stale_gradients(model, expected_model)
    got = call(learner.full_batch_gradient_descent, model, nn.functional.mse_loss, x, y, 0.1, 2)
    expected = reference.full_batch_gradient_descent(expected_model, nn.functional.mse_loss, x, y, 0.1, 2)
    what = stale_what(got)
    losses = float_list(got, 2, what)
    same_parameters(model, expected_model, what, " Zero the gradients BEFORE each backward() (model.zero_grad(), or "
                    "p.grad = None), not only after the update: backward() adds to whatever .grad holds. "
                    + mistakes.describe("zero_grad_missing"))
    expect.close(losses, torch.tensor(expected, dtype=torch.float64), what=f"{what}\nThe losses:", **NUMBERS)


class OptimizerSpy:
    """Records every torch.optim.Optimizer built while it is active (each one's __init__ runs Optimizer.__init__)."""

    def __enter__(self):
        self.built = []
        self._original = original = torch.optim.Optimizer.__init__
        built = self.built

        def recording_init(optimizer, *args, **kwargs):
            built.append(type(optimizer).__name__)
            original(optimizer, *args, **kwargs)

        torch.optim.Optimizer.__init__ = recording_init
        return self

    def __exit__(self, *exc):
        torch.optim.Optimizer.__init__ = self._original
        return False


def no_optimizer_built(got, spy, exercise):
    expect.that(not spy.built, f"Called {got.text}.\nIt built a torch.optim optimizer ({', '.join(spy.built)}); "
                f"{exercise} asks for the update written out, without torch.optim: under torch.no_grad(), "
                "`p -= lr * p.grad` for every parameter.")


@full_batch.check(points=1, clauses=["zero-grad"])
def test_7_1_without_torch_optim(learner):
    """Does full_batch_gradient_descent update the parameters itself, building no torch.optim optimizer?"""
    x, y = regression()
    model = linear_model()
    with OptimizerSpy() as spy:
        got = call(learner.full_batch_gradient_descent, model, nn.functional.mse_loss, x, y, 0.1, 2)
    no_optimizer_built(got, spy, "Exercise 7.1")


class TiedLayers(nn.Module):
    """Two linear layers sharing one weight Parameter (tied weights): model.parameters() yields it once."""

    def __init__(self, seed: int):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.first, self.second = nn.Linear(4, 4), nn.Linear(4, 2)
        with torch.no_grad():
            for layer in (self.first, self.second):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * 0.3)
                layer.bias.copy_(torch.randn(layer.bias.shape, generator=generator) * 0.3)
        self.hidden = nn.Linear(4, 4)
        self.hidden.weight = self.first.weight  # the same Parameter in two modules
        with torch.no_grad():
            self.hidden.bias.copy_(torch.randn(4, generator=generator) * 0.3)

    def forward(self, x):
        return self.second(torch.tanh(self.hidden(torch.tanh(self.first(x)))))


@st.composite
def descent_runs(draw):
    """(steps, lr, tied, seed): no step at all, one, several; a plain linear model or one with a tied weight."""
    return (draw(st.sampled_from([0, 1, 2, 4])), draw(st.sampled_from([0.05, 0.1, 0.3])), draw(st.booleans()),
            draw(st.integers(0, 2**16)))


@full_batch.check(points=1, clauses=["update", "returns-floats"])
@generated.examples(run=descent_runs(), max_examples=8)
def test_7_1_drawn_runs_match_reference(learner, reference, run):
    """For drawn step counts (0 included), rates and models (one with a weight shared by two layers), are the losses
    and the parameters the reference's?"""
    steps, lr, tied, seed = run
    x, y = regression(seed=seed % 7)
    make = (lambda: TiedLayers(seed % 5)) if tied else (lambda: linear_model(seed=seed % 5))
    model, expected_model = make(), make()
    got = call(learner.full_batch_gradient_descent, model, nn.functional.mse_loss, x, y, lr, steps)
    expected = reference.full_batch_gradient_descent(expected_model, nn.functional.mse_loss, x, y, lr, steps)
    shown = "a model whose `first` and `hidden` layers share one weight Parameter" if tied else "a linear model"
    what = f"Called {got.text} on {shown}: expected {steps} losses, one per step."
    losses = float_list(got, steps, what)
    hint = (" Each step moves every parameter exactly once: walk model.parameters(), which yields a shared (tied) "
            "Parameter once, not each module's own parameters, which meet it twice." if tied else "")
    same_parameters(model, expected_model, what, hint)
    expect.close(losses, torch.tensor(expected, dtype=torch.float64), what=f"{what}\nThe losses:", **NUMBERS)


# --------------------------------------------------------------------------------------------------------------------
# 7.2 minibatch SGD

def run_minibatch(function, model, lr=0.05, epochs=2, batch_size=4, seed=0, data_seed=0):
    x, y = regression(seed=data_seed)
    generator = torch.Generator().manual_seed(seed)
    return call(function, model, nn.functional.mse_loss, x, y, lr, epochs, batch_size, generator)


@minibatch.check(points=2, clauses=["one-update-per-batch", "slices", "update", "returns-floats", "in-place"])
def test_7_2_matches_reference(learner, reference):
    """N=10, batches of 4, 2 epochs: do the 6 minibatch losses and final parameters equal the reference's?"""
    model, expected_model = twin_models()
    got = run_minibatch(learner.minibatch_sgd, model)
    expected = torch.tensor(run_minibatch(reference.minibatch_sgd, expected_model).value, dtype=torch.float64)
    what = f"Called {got.text} with N = 10."
    value = got.value
    if isinstance(value, list) and len(value) == 4:
        raise AssertionError(f"{what}\nIt returned 4 losses for 2 epochs of batches of 4; expected 6: the last, "
                             "shorter batch (2 samples) was dropped. Step through range(0, N, batch_size).")
    losses = float_list(got, 6, what)
    curves.record("minibatch loss", losses, expected)
    expect.close(losses, expected, what=f"{what}\nThe minibatch losses it returned (each epoch must start with "
                 "order = torch.randperm(N, generator=generator)):", **NUMBERS)
    same_parameters(model, expected_model, what, unchanged_hint(model, linear_model()))


@minibatch.check(points=1, clauses=["fresh-permutation"])
def test_7_2_shuffled_every_epoch(learner, reference):
    """With lr = 0 (nothing learns), are the batches shuffled, and differently in each epoch?"""
    got = run_minibatch(learner.minibatch_sgd, linear_model(), lr=0.0, epochs=2, batch_size=5, seed=3)
    losses = float_list(got, 4, f"Called {got.text} with N = 10.")
    x, y = regression()
    model = linear_model()
    with torch.no_grad():
        in_order = [nn.functional.mse_loss(model(x[s:s + 5]), y[s:s + 5]).item() for s in (0, 5)]
    expect.that(not agree(losses[:2], torch.tensor(in_order, dtype=torch.float64)),
                f"Called {got.text} with N = 10 and lr = 0.\nThe first epoch's batch losses equal those of the "
                f"samples taken in order (0-4, 5-9). {mistakes.describe('train_loader_not_shuffled')}")
    expect.that(not agree(losses[:2], losses[2:]),
                f"Called {got.text} with N = 10 and lr = 0.\nBoth epochs saw the same batches in the same order: "
                "the permutation was drawn once. Draw a fresh torch.randperm(N, generator=generator) at the start of "
                "every epoch.")


@minibatch.check(points=1, clauses=["generator-only"])
def test_7_2_seeded_by_generator(learner):
    """Do two runs with the same generator seed agree, and runs with different seeds differ?"""
    runs = [run_minibatch(learner.minibatch_sgd, linear_model(), seed=seed) for seed in (5, 5, 6)]
    first, again, other = (float_list(r, 6, f"Called {r.text}.") for r in runs)
    expect.that(torch.equal(first, again),
                f"Called {runs[0].text} twice with a generator seeded 5.\nThe two runs differ: the shuffling used "
                "randomness other than `generator` (torch.randperm(N) without generator= uses the global RNG).")
    expect.that(not torch.equal(first, other),
                f"Called {runs[0].text} with generators seeded 5 and 6.\nThe runs are identical: the generator "
                "passed in is ignored (a torch.manual_seed inside the function, or no shuffling at all).")


@minibatch.check(points=1, clauses=["update", "one-update-per-batch"])
def test_7_2_converges(learner):
    """Over 15 epochs of batches of 4 (lr = 0.05), does the loss on all the data fall below a tenth of its start?"""
    x, y = regression(rows=12, seed=2)
    model = linear_model(seed=3)
    with torch.no_grad():
        start = nn.functional.mse_loss(model(x), y).item()
    got = call(learner.minibatch_sgd, model, nn.functional.mse_loss, x, y, 0.05, 15, 4,
               torch.Generator().manual_seed(0))
    with torch.no_grad():
        end = nn.functional.mse_loss(model(x), y).item()
    expect.that(end < 0.1 * start, f"Called {got.text}.\nThe full-data loss went from {start:.4g} to {end:.4g}; "
                f"expected below {0.1 * start:.4g}.")


@st.composite
def minibatch_runs(draw):
    """(N, batch_size, epochs, seed): batch sizes that divide N and that do not, a batch of 1, one batch of all N."""
    rows = draw(st.integers(3, 9))
    batch_size = draw(st.one_of(st.sampled_from([1, rows, rows - 1]), st.integers(1, rows + 2)))
    return rows, batch_size, draw(st.integers(1, 2)), draw(st.integers(0, 2**16))


@minibatch.check(points=1, clauses=["in-place"])
def test_7_2_same_leaf_parameters(learner):
    """After minibatch training, does the model hold the same parameter tensors, still leaves that require grad?"""
    model = linear_model()
    before = list(model.parameters())  # kept alive, so `is` compares objects (a freed tensor's id can be reused)
    memory = [p.untyped_storage() for p in before]  # kept alive, as in 7.1
    got = run_minibatch(learner.minibatch_sgd, model)
    expect_same_leaves(got, model, before, memory)


@minibatch.check(points=1, clauses=["in-place"])
def test_7_2_without_torch_optim(learner):
    """Does minibatch_sgd update the parameters itself, building no torch.optim optimizer?"""
    with OptimizerSpy() as spy:
        got = run_minibatch(learner.minibatch_sgd, linear_model())
    no_optimizer_built(got, spy, "Exercise 7.2 (as 7.1)")


@minibatch.check(points=1, clauses=["in-place"])
def test_7_2_stale_gradients_on_entry(learner, reference):
    """Given a model whose .grad already holds a stale gradient, is the first update on the fresh gradient alone?"""
    model, expected_model = twin_models(seed=7)
    leave_stale_gradients(model, expected_model)
    got = run_minibatch(learner.minibatch_sgd, model, epochs=1, batch_size=5)
    expected = run_minibatch(reference.minibatch_sgd, expected_model, epochs=1, batch_size=5).value
    what = stale_what(got)
    losses = float_list(got, 2, what)
    same_parameters(model, expected_model, what, " As in Exercise 7.1, zero the gradients BEFORE each backward() "
                    "(model.zero_grad(), or p.grad = None), not only after the update: backward() adds to whatever "
                    ".grad holds. " + mistakes.describe("zero_grad_missing"))
    expect.close(losses, torch.tensor(expected, dtype=torch.float64), what=f"{what}\nThe losses:", **NUMBERS)


@minibatch.check(points=2, clauses=["slices", "returns-floats", "fresh-permutation", "update"])
@generated.examples(run=minibatch_runs(), max_examples=8)
def test_7_2_drawn_sizes_match_reference(learner, reference, run):
    """For drawn N, batch sizes (dividing N or not), epochs and seeds, are losses and parameters the reference's?"""
    rows, batch_size, epochs, seed = run
    x, y = regression(rows=rows, seed=seed % 7)
    model, expected_model = twin_models(seed=seed % 5)
    got = call(learner.minibatch_sgd, model, nn.functional.mse_loss, x, y, 0.05, epochs, batch_size,
               torch.Generator().manual_seed(seed))
    expected = reference.minibatch_sgd(expected_model, nn.functional.mse_loss, x, y, 0.05, epochs, batch_size,
                                       torch.Generator().manual_seed(seed))
    count = epochs * math.ceil(rows / batch_size)
    what = f"Called {got.text} with N = {rows}: expected {epochs} * ceil({rows} / {batch_size}) = {count} losses."
    losses = float_list(got, count, what)
    expect.close(losses, torch.tensor(expected, dtype=torch.float64), what=f"{what}\nThe minibatch losses:", **NUMBERS)
    same_parameters(model, expected_model, what)


@minibatch.check(points=1, clauses=["slices"])
def test_7_2_last_batch_is_the_remainder(learner, reference):
    """N = 7 in batches of 5, N = 10 in batches of 6: are the batches 5 + 2 and 6 + 4, as slices of `order` give?"""
    for rows, batch_size in ((7, 5), (10, 6)):
        x, y = regression(rows=rows, seed=3)
        model, expected_model = twin_models(seed=2)
        got = call(learner.minibatch_sgd, model, nn.functional.mse_loss, x, y, 0.1, 2, batch_size,
                   torch.Generator().manual_seed(4))
        expected = reference.minibatch_sgd(expected_model, nn.functional.mse_loss, x, y, 0.1, 2, batch_size,
                                           torch.Generator().manual_seed(4))
        rest = rows - batch_size
        what = (f"Called {got.text} with N = {rows}: each epoch's batches are order[0:{batch_size}] and "
                f"order[{batch_size}:{rows}] ({batch_size} and {rest} samples).")
        losses = float_list(got, 4, what)
        expect.close(losses, torch.tensor(expected, dtype=torch.float64),
                     what=f"{what}\nThe minibatch losses differ from the reference's: were the batches split evenly "
                          f"(order.chunk(2) gives {math.ceil(rows / 2)} and {rows // 2})? Only the last slice may be "
                          "shorter: order[start:start + batch_size] for start in range(0, N, batch_size).", **NUMBERS)
        same_parameters(model, expected_model, what)


# --------------------------------------------------------------------------------------------------------------------
# 7.3 - 7.6: optimizers next to torch.optim, step by step.
#
# Both get the same seeded parameters in two parameter groups, group 1 overriding one hyperparameter, and the same
# gradients for several steps, either assigned (p.grad = g) or accumulated the way a training loop does it:
# optimizer.zero_grad(set_to_none=False), then backward(), which writes into the existing p.grad in place. After every
# step: the parameters equal torch's, p.grad is as it was, and the state is the optimizer's own (not p.grad), in the
# parameter's shape, dtype and device.

LOW_PRECISION = (torch.float16, torch.bfloat16)
ASSIGNED, ACCUMULATED = "assigned (p.grad = g)", "accumulated (zero_grad(set_to_none=False), then backward())"


def oracle(cls, **settings):
    return lambda groups: cls(groups, foreach=False, **settings)


def tolerances(dtype) -> dict:
    """torch's defaults in float32 and float64; in float16 and bfloat16 a few roundings of the parameter per step."""
    if dtype in LOW_PRECISION:
        eps = torch.finfo(dtype).eps
        return dict(rtol=8 * eps, atol=8 * eps)
    return {}


def feed_gradients(params, optimizer, gradients, feed) -> None:
    if feed == ASSIGNED:
        for p, g in zip(params, gradients):
            p.grad = None if g is None else g.clone()
        return
    optimizer.zero_grad(set_to_none=False)  # zeroes every existing .grad in place; backward() then adds into it
    loss = sum((p * g).sum() for p, g in zip(params, gradients) if g is not None)
    loss.backward()


def state_tensors(optimizer, p) -> list[torch.Tensor]:
    state = optimizer.state[p] if p in optimizer.state else {}
    leaves, _ = tree_flatten(dict(state) if isinstance(state, dict) else state)
    return [leaf for leaf in leaves if isinstance(leaf, torch.Tensor)]


def same_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a is b:
        return True
    if a.is_meta or b.is_meta:
        return False  # meta tensors have no memory to compare; `is` above is the check there
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr() and a.numel() > 0


def expect_grads_untouched(params, before, text, step) -> None:
    for index, (p, old) in enumerate(zip(params, before)):
        if old is None or p.grad is None or p.grad.is_meta:
            continue
        expect.that(torch.equal(p.grad, old), f"{text}\nAfter step {step + 1}, parameter {index}'s .grad is not what "
                    f"backward() left there. {mistakes.describe('optimizer_changed_grad')}")


def expect_own_state(optimizer, params, text, step, needs_state: bool) -> None:
    for index, p in enumerate(params):
        tensors = state_tensors(optimizer, p)
        if p.grad is not None:
            expect.that(not any(same_memory(t, p.grad) for t in tensors),
                        f"{text}\nAfter step {step + 1}, self.state of parameter {index} holds p.grad itself. "
                        f"{mistakes.describe('momentum_buffer_aliases_grad')}")
        if needs_state and p.grad is not None:
            expect.that(any(t.shape == p.shape for t in tensors),
                        f"{text}\nAfter step {step + 1}, self.state[p] of parameter {index} holds no tensor shaped "
                        f"like p {tuple(p.shape)}: keep the optimizer's state per parameter in self.state[p].")
        for t in tensors:
            if t.dim() == 0:
                continue  # a step counter
            expect.that(t.shape == p.shape and t.dtype == p.dtype and t.device == p.device,
                        f"{text}\nAfter step {step + 1}, self.state of parameter {index} ({describe_tensor(p)}) holds "
                        f"a {describe_tensor(t)}: create the state with torch.zeros_like(p) or d.clone(), so it has "
                        "the parameter's shape, dtype and device.")


def describe_tensor(t: torch.Tensor) -> str:
    return f"{str(t.dtype).replace('torch.', '')} tensor of shape {tuple(t.shape)} on {t.device}"


def step_by_step(make_learner, make_oracle, *, setup: str, overrides: dict, dtype=torch.float64, device="cpu",
                 feed=ASSIGNED, steps: int = 4, seed: int = 0, needs_state: bool = True, first_step_hint: str = "",
                 later_step_hint: str = "") -> None:
    """Run the learner's optimizer and torch's side by side; fail at the first difference, saying why."""
    device = torch.device(device)
    mine, theirs = seeded_parameters(device, dtype, seed), seeded_parameters(device, dtype, seed)
    shown = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "nothing"
    skipped = (f" (parameter {NO_GRADIENT[0]} has no gradient at step {NO_GRADIENT[1] + 1})" if feed == ASSIGNED
               else "")
    text = (f"Built {setup} on {len(SHAPES)} {str(dtype).replace('torch.', '')} parameters on {device} in two "
            f"parameter groups (group 1 sets {shown}), and ran {steps} steps next to torch.optim, gradients "
            f"{feed}{skipped}.")
    learner_optimizer = build(make_learner, grouped(mine, overrides), text)
    torch_optimizer = make_oracle(grouped(theirs, overrides))
    for step in range(steps):
        gradients = seeded_gradients(step, device, dtype, seed)
        if feed == ACCUMULATED:
            gradients = [g if g is not None else torch.zeros_like(p) for g, p in zip(gradients, mine)]
        feed_gradients(mine, learner_optimizer, gradients, feed)
        feed_gradients(theirs, torch_optimizer, gradients, feed)
        before = [None if p.grad is None else p.grad.detach().clone() for p in mine]
        run_step(learner_optimizer, text)
        torch_optimizer.step()
        expect_grads_untouched(mine, before, text, step)
        expect_own_state(learner_optimizer, mine, text, step, needs_state)
        for index, (got, want) in enumerate(zip(mine, theirs)):
            where = (f"{text}\nAfter step {step + 1}, parameter {index} (group {GROUP_OF[index]}, shape "
                     f"{tuple(want.shape)})")
            same_parameter(got, want, where, dtype,
                           lambda: _diagnosis(step, index, mine, theirs, first_step_hint, later_step_hint)
                           if feed == ASSIGNED else _diagnosis(step, index, mine, theirs, first_step_hint,
                                                               later_step_hint).replace(
                               f"Parameter {NO_GRADIENT[0]} had no gradient",
                               f"Parameter {NO_GRADIENT[0]} had a zero gradient"))


def same_parameter(got, want, where: str, dtype, diagnosis) -> None:
    if not isinstance(got, torch.Tensor) or got.shape != want.shape or got.dtype != want.dtype \
            or got.device != want.device:
        raise AssertionError(f"{where} is {describe_tensor(got) if isinstance(got, torch.Tensor) else got!r}; expected "
                             f"a {describe_tensor(want)}. Update the parameter in place (p.add_(...), p.mul_(...)) so "
                             "it keeps its shape, dtype and device.")
    if want.is_meta:
        return
    if not agree(got.detach(), want.detach(), **tolerances(dtype)):
        try:
            assert_close(got.detach(), want.detach(), **tolerances(dtype))
        except AssertionError as error:
            detail = str(error)
        raise AssertionError(f"{where} differs from torch.optim's.\n{detail}\nYours:     {preview(got)}\n"
                             f"torch's:   {preview(want)}\n{diagnosis()}".rstrip())


def preview(tensor: torch.Tensor, count: int = 5) -> str:
    flat = tensor.detach().reshape(-1)[:count].tolist()
    return "[" + ", ".join(f"{v:.6g}" for v in flat) + (", ...]" if tensor.numel() > count else "]")


@st.composite
def optimizer_cases(draw, defaults: dict, alternatives: dict, dtypes=strategies.FLOAT_DTYPES):
    """(dtype, settings, overrides, feed, seed): each hyperparameter drawn, and group 1 overriding one of them."""
    settings = {name: draw(st.sampled_from(choices)) for name, choices in defaults.items()}
    if settings.get("nesterov") and not settings.get("momentum"):
        settings["momentum"] = 0.9
    overridden = draw(st.sampled_from(sorted(alternatives)))
    options = [v for v in alternatives[overridden] if v != settings.get(overridden)]
    overrides = {overridden: draw(st.sampled_from(options))}
    dtype = draw(st.sampled_from(dtypes))
    return dtype, settings, overrides, draw(st.sampled_from([ASSIGNED, ACCUMULATED])), draw(st.integers(0, 3))


def run_case(learner_class, torch_class, name, case, **hints) -> None:
    dtype, settings, overrides, feed, seed = case
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    needs_state = name != "SGD"  # SGD keeps no state without momentum, and a group may override momentum to 0
    step_by_step(lambda groups: learner_class(groups, **settings), oracle(torch_class, **settings),
                 setup=f"{name}(groups, {shown})", overrides=overrides, dtype=dtype, feed=feed, seed=seed,
                 needs_state=needs_state, **hints)


def expect_refuses(learner_class, name: str, bad: list[dict]) -> None:
    for settings in bad:
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        raises(ValueError, learner_class, [torch.zeros(2, requires_grad=True)], **settings,
               why=f"{name}({shown}) is not a valid optimizer: check the hyperparameters in __init__, as torch.optim "
                   "does, so a typo fails at once instead of training badly.")


def expect_accepts(learner_class, name: str, valid: list[dict]) -> None:
    """The edges the docstring allows build without an error: a zero lr, eps or beta is not negative."""
    for settings in valid:
        try:
            call(learner_class, [torch.zeros(2, requires_grad=True)], **settings)
        except AssertionError as error:
            raise AssertionError(f"{error}\nThe docstring refuses only negative values (and an alpha or beta outside "
                                 f"[0, 1)): {name} must accept this edge, as torch.optim does.") from None


def expect_defaults(learner_class, torch_class, name: str, torch_settings: dict) -> None:
    step_by_step(lambda groups: learner_class(groups), oracle(torch_class, **torch_settings),
                 setup=f"{name}(groups) with no hyperparameters (the defaults)", overrides={}, steps=3,
                 needs_state=name != "SGD",
                 first_step_hint="Are the default hyperparameters the docstring's?",
                 later_step_hint="Are the default hyperparameters the docstring's?")


# 7.3 SGD with momentum, weight decay and Nesterov

SGD_FIRST = ("With momentum, the first step is p -= lr * (g + weight_decay * p): the buffer starts as d itself "
             "(or zeros, then buf = momentum * buf + d). Weight decay joins the gradient before the momentum.")
SGD_LATER = (mistakes.describe("momentum_buffer_lost") + " And the weight decay joins the gradient before it enters "
             "the buffer: d = g + weight_decay * p.")
SGD_HINTS = dict(first_step_hint=SGD_FIRST, later_step_hint=SGD_LATER)
SGD_DEFAULTS = {"lr": [0.1, 0.03], "momentum": [0.0, 0.5, 0.9], "weight_decay": [0.0, 0.1], "nesterov": [False, True]}
# 1.0 is among the overrides: a step that treats momentum or weight_decay of exactly 1 apart is caught.
SGD_OVERRIDES = {"lr": [0.05, 0.2], "momentum": [0.0, 0.8, 1.0], "weight_decay": [0.0, 0.3, 1.0],
                 "nesterov": [False, True]}


@sgd.check(points=2, clauses=["equal-to-torch", "own-group", "weight-decay", "buffer", "nesterov", "skip-none",
                              "dtype-device", "grad-unchanged", "buffer-own-tensor"])
@generated.examples(case=optimizer_cases(SGD_DEFAULTS, SGD_OVERRIDES), max_examples=14)
def test_7_3_drawn_settings_match_torch(learner, case):
    """Does SGD equal torch.optim.SGD at every step, for drawn settings, dtypes, overrides and gradients?"""
    run_case(learner.SGD, torch.optim.SGD, "SGD", case, **SGD_HINTS)


@sgd.check(points=1, clauses=["equal-to-torch", "weight-decay"])
def test_7_3_plain_sgd(learner):
    """Without momentum, with and without weight decay, does SGD equal torch.optim.SGD, group by group?"""
    for settings in (dict(lr=0.1), dict(lr=0.1, weight_decay=0.1)):
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                     setup=f"SGD(groups, {shown})", overrides={"lr": 0.03}, needs_state=False,
                     first_step_hint="p -= lr * (p.grad + weight_decay * p): weight decay applies with momentum 0 "
                                     "too.")


@sgd.check(points=2, clauses=["own-group", "buffer", "weight-decay"])
def test_7_3_each_hyperparameter_overridden(learner):
    """With group 1 overriding lr, then momentum, then weight_decay, then nesterov, does SGD equal torch's?"""
    settings = dict(lr=0.1, momentum=0.9, weight_decay=0.1)
    for overrides in ({"lr": 0.05}, {"momentum": 0.5}, {"momentum": 0.0}, {"weight_decay": 0.0},
                      {"weight_decay": 0.3}, {"nesterov": True}):
        step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                     setup="SGD(groups, lr=0.1, momentum=0.9, weight_decay=0.1)", overrides=overrides, steps=5,
                     needs_state=False, **SGD_HINTS)


@sgd.check(points=1, clauses=["nesterov"])
def test_7_3_nesterov(learner):
    """With nesterov=True, does SGD equal torch.optim.SGD step by step?"""
    settings = dict(lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True)
    step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                 setup="SGD(groups, lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True)",
                 overrides={"momentum": 0.6}, first_step_hint=(
                     "Nesterov looks ahead: the update is d + momentum * buf (with buf already updated), not buf."),
                 later_step_hint=SGD_LATER)


@sgd.check(points=2, clauses=["buffer-own-tensor", "buffer"])
def test_7_3_gradients_accumulated_by_backward(learner):
    """With gradients accumulated by backward() after zero_grad(set_to_none=False), is SGD torch's, buffer apart?"""
    for nesterov in (False, True):
        settings = dict(lr=0.1, momentum=0.9, nesterov=nesterov)
        step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                     setup=f"SGD(groups, lr=0.1, momentum=0.9, nesterov={nesterov})", overrides={"lr": 0.05},
                     feed=ACCUMULATED, steps=4, **SGD_HINTS)


@sgd.check(points=1, clauses=["grad-unchanged"])
def test_7_3_grad_left_unchanged(learner):
    """With weight decay and momentum, does step() leave every p.grad exactly as backward() left it?"""
    settings = dict(lr=0.1, momentum=0.5, weight_decay=0.2)
    step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                 setup="SGD(groups, lr=0.1, momentum=0.5, weight_decay=0.2)", overrides={}, feed=ACCUMULATED,
                 steps=3, **SGD_HINTS)


@sgd.check(points=1, clauses=["dtype-device"])
def test_7_3_state_dtype(learner):
    """In float16, bfloat16, float32 and float64, is the buffer in the parameter's dtype, and the step torch's?"""
    settings = dict(lr=0.1, momentum=0.9, weight_decay=0.1)
    for dtype in (torch.float64, torch.float32, torch.bfloat16, torch.float16):
        step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                     setup="SGD(groups, lr=0.1, momentum=0.9, weight_decay=0.1)", overrides={"lr": 0.05},
                     dtype=dtype, steps=3, **SGD_HINTS)


@sgd.check(points=1, clauses=["dtype-device"])
def test_7_3_device(learner, device):
    """Does SGD keep its momentum buffers on the parameters' device (and dtype)?"""
    settings = dict(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)
    step_by_step(lambda groups: learner.SGD(groups, **settings), oracle(torch.optim.SGD, **settings),
                 setup="SGD(groups, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)",
                 overrides={"lr": 0.05}, device=device, steps=2, dtype=torch.float32, later_step_hint=SGD_LATER)


@sgd.check(points=1, clauses=["defaults", "errors"])
def test_7_3_defaults_and_errors(learner):
    """Built with no hyperparameters, does SGD step with the docstring's defaults, and does it refuse invalid ones?"""
    expect_defaults(learner.SGD, torch.optim.SGD, "SGD", dict(lr=1e-3))
    expect_refuses(learner.SGD, "SGD", [dict(lr=-0.1), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=-1.0),
                                        dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.0, nesterov=True)])
    expect_accepts(learner.SGD, "SGD", [dict(lr=0.0), dict(lr=0.1, momentum=0.0, weight_decay=0.0)])


# 7.4 RMSprop

RMS_FIRST = ("The moving average starts at zeros, so after one step s = (1 - alpha) * g^2; the step is "
             "lr * g / (sqrt(s) + eps), eps outside the square root.")
RMS_LATER = ("s must be an exponential moving average kept per parameter in self.state[p]: "
             "s = alpha * s + (1 - alpha) * g^2, not a sum, and not restarted each step.")
RMS_HINTS = dict(first_step_hint=RMS_FIRST, later_step_hint=RMS_LATER)
RMS_DEFAULTS = {"lr": [0.01, 0.03], "alpha": [0.99, 0.9], "eps": [1e-8, 1e-3], "weight_decay": [0.0, 0.1]}
RMS_OVERRIDES = {"lr": [0.05], "alpha": [0.5, 0.8, 0.2], "eps": [0.1], "weight_decay": [0.0, 0.3, 1.0]}


@rmsprop.check(points=2, clauses=["equal-to-torch", "own-group", "weight-decay", "average", "eps-outside",
                                  "skip-none", "dtype-device", "grad-unchanged"])
@generated.examples(case=optimizer_cases(RMS_DEFAULTS, RMS_OVERRIDES), max_examples=8)
def test_7_4_drawn_settings_match_torch(learner, case):
    """Does RMSprop equal torch.optim.RMSprop at every step, for drawn settings, dtypes, overrides and gradients?"""
    run_case(learner.RMSprop, torch.optim.RMSprop, "RMSprop", case, **RMS_HINTS)


@rmsprop.check(points=2, clauses=["equal-to-torch", "average", "weight-decay", "own-group"])
def test_7_4_matches_torch(learner):
    """Does RMSprop equal torch.optim.RMSprop step by step (5 steps, weight decay, each hyperparameter overridden)?"""
    settings = dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.1)
    for overrides in ({"alpha": 0.9, "lr": 0.03}, {"eps": 0.1}, {"weight_decay": 0.0}):
        step_by_step(lambda groups: learner.RMSprop(groups, **settings), oracle(torch.optim.RMSprop, **settings),
                     setup="RMSprop(groups, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.1)", overrides=overrides,
                     steps=5, **RMS_HINTS)


@rmsprop.check(points=1, clauses=["eps-outside"])
def test_7_4_tiny_gradients(learner):
    """With gradients of 1e-6, where eps matters, does RMSprop still equal torch.optim.RMSprop?"""
    param = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    expected = param.detach().clone().requires_grad_(True)
    optimizer = call(learner.RMSprop, [param], lr=0.01)
    torch_optimizer = torch.optim.RMSprop([expected], lr=0.01, foreach=False)
    for p in (param, expected):
        p.grad = torch.tensor([1e-6, -3e-6, 2e-7], dtype=torch.float64)
    call(optimizer.value.step)
    torch_optimizer.step()
    moved = param.detach() - torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    expect.close(param.detach(), expected.detach(), what=(
        "Built RMSprop([p], lr=0.01) and took one step with gradients [1e-6, -3e-6, 2e-7]: p afterwards.\n"
        f"It moved p by {[f'{v:.3g}' for v in moved.tolist()]}. With gradients this small the square root of the "
        "average is ~1e-7, close to eps: eps belongs outside the root, sqrt(s) + eps (sqrt(s + eps) would shrink "
        "the steps a thousandfold)."))


@rmsprop.check(points=1, clauses=["dtype-device", "grad-unchanged"])
def test_7_4_state_dtype_and_accumulated_gradients(learner):
    """In every float dtype, with gradients accumulated by backward(), is RMSprop's average in the parameter's dtype?"""
    settings = dict(lr=0.01, weight_decay=0.1)
    for dtype in (torch.float64, torch.float32, torch.bfloat16, torch.float16):
        step_by_step(lambda groups: learner.RMSprop(groups, **settings), oracle(torch.optim.RMSprop, **settings),
                     setup="RMSprop(groups, lr=0.01, weight_decay=0.1)", overrides={"alpha": 0.9}, dtype=dtype,
                     feed=ACCUMULATED, steps=3, **RMS_HINTS)


@rmsprop.check(points=1, clauses=["dtype-device"])
def test_7_4_device(learner, device):
    """Does RMSprop keep its averages on the parameters' device (and dtype)?"""
    settings = dict(lr=0.01, weight_decay=0.1)
    step_by_step(lambda groups: learner.RMSprop(groups, **settings), oracle(torch.optim.RMSprop, **settings),
                 setup="RMSprop(groups, lr=0.01, weight_decay=0.1)", overrides={"alpha": 0.9},
                 device=device, steps=2, dtype=torch.float32)


@rmsprop.check(points=1, clauses=["defaults", "errors"])
def test_7_4_defaults_and_errors(learner):
    """Built with no hyperparameters, does RMSprop step with the docstring's defaults, and does it refuse invalid ones?"""
    expect_defaults(learner.RMSprop, torch.optim.RMSprop, "RMSprop", dict(lr=1e-2))
    expect_refuses(learner.RMSprop, "RMSprop", [dict(lr=-0.1), dict(eps=-1e-8), dict(weight_decay=-0.1),
                                                dict(alpha=-0.5), dict(alpha=1.0), dict(alpha=1.5)])
    expect_accepts(learner.RMSprop, "RMSprop", [dict(lr=0.0), dict(eps=0.0), dict(alpha=0.0), dict(weight_decay=0.0)])


# 7.5 Adam

ADAM_FIRST = ("On its first step Adam moves each parameter by about lr whatever its gradient: "
              "m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t) with t = 1.")
ADAM_LATER = ("t, m and v belong to each parameter (self.state[p]): t counts that parameter's own steps, starting "
              "at 1. A single counter increased once per parameter (or never), or averages restarted every step, "
              "give the wrong bias correction.")
ADAM_HINTS = dict(first_step_hint=ADAM_FIRST, later_step_hint=ADAM_LATER)
ADAM_DEFAULTS = {"lr": [0.01, 0.05], "betas": [(0.9, 0.999), (0.8, 0.99), (0.7, 0.4)], "eps": [1e-8, 1e-3],
                 "weight_decay": [0.0, 0.1, 1.0]}
# A beta2 below 0.5 is among them: 1 - beta2 and 1 % beta2 agree for every beta2 above it.
ADAM_OVERRIDES = {"lr": [0.1], "betas": [(0.5, 0.9), (0.9, 0.999), (0.6, 0.3)], "eps": [0.1],
                  "weight_decay": [0.0, 0.3, 1.0]}


def first_step_moves(optimizer_class, grads, **settings):
    start = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)
    param = start.clone().requires_grad_(True)
    optimizer = call(optimizer_class, [param], **settings)
    param.grad = grads.clone()
    call(optimizer.value.step)
    return (param.detach() - start), optimizer.text


@adam.check(points=2, clauses=["bias-correction", "update"])
def test_7_5_bias_correction(learner):
    """On its first step, with gradients [1e-3, 1, 1e3], does Adam move every parameter by about lr (= 0.01)?"""
    grads = torch.tensor([1e-3, 1.0, 1e3], dtype=torch.float64)
    moves, text = first_step_moves(learner.Adam, grads, lr=0.01)
    expected, _ = first_step_moves(lambda params, **s: torch.optim.Adam(params, foreach=False, **s), grads, lr=0.01)
    ratios = (moves.abs() / 0.01).tolist()
    message = (f"Built {text} and took one step with gradients [1e-3, 1, 1e3].\nThe parameters moved by "
               f"{[f'{v:.4g}' for v in moves.tolist()]}: {[f'{r:.3g}' for r in ratios]} times lr; torch.optim.Adam "
               f"moves them by {[f'{v:.4g}' for v in expected.tolist()]}, about lr each.")
    if abs(ratios[1] - 1) < 1e-3 and abs(ratios[2] - 1) < 1e-3 and ratios[0] < 0.999:
        message += (" The smallest gradient moved less than lr: is eps inside the square root? Adam divides by "
                    "sqrt(v_hat) + eps.")
    elif all(abs(r - 0.1 / math.sqrt(0.001)) < 0.05 for r in ratios[1:]):
        message += (" Every move is ~3.16 lr: after one step m = 0.1 g and v = 0.001 g^2. "
                    + mistakes.describe("adam_bias_correction_missing"))
    expect.close(moves, expected, what=message)


@adam.check(points=2, clauses=["equal-to-torch", "own-steps", "moments", "bias-correction", "update", "state",
                               "skip-none", "l2", "dtype-device", "grad-unchanged"])
@generated.examples(case=optimizer_cases(ADAM_DEFAULTS, ADAM_OVERRIDES), max_examples=8)
def test_7_5_drawn_settings_match_torch(learner, case):
    """Does Adam equal torch.optim.Adam at every step, for drawn settings, dtypes, overrides and gradients?"""
    run_case(learner.Adam, torch.optim.Adam, "Adam", case, **ADAM_HINTS)


@adam.check(points=2, clauses=["equal-to-torch", "own-steps", "moments", "state", "skip-none"])
def test_7_5_matches_torch(learner):
    """Does Adam equal torch.optim.Adam step by step (5 steps, group 1 overriding betas, eps, weight_decay in turn)?"""
    settings = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    for overrides in ({"betas": (0.8, 0.99), "lr": 0.05}, {"eps": 0.1}, {"weight_decay": 0.2}, {"weight_decay": 1.0}):
        step_by_step(lambda groups: learner.Adam(groups, **settings), oracle(torch.optim.Adam, **settings),
                     setup="Adam(groups, lr=0.01)", overrides=overrides, steps=5, **ADAM_HINTS)


def decay_only(learner_class, torch_class, steps=3):
    """`steps` steps with all-zero data gradients and weight_decay=0.1: only the decay moves the parameter.

    Returns (start, the learner's parameter, torch's parameter, the Called construction of the learner's optimizer).
    """
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    param, expected = start.clone().requires_grad_(True), start.clone().requires_grad_(True)
    optimizer = call(learner_class, [param], lr=0.01, weight_decay=0.1)
    torch_optimizer = torch_class([expected], lr=0.01, weight_decay=0.1, foreach=False)
    for _ in range(steps):
        for p in (param, expected):
            p.grad = torch.zeros_like(p)
        call(optimizer.value.step)
        torch_optimizer.step()
    return start, param, expected, optimizer


@adam.check(points=1, clauses=["l2"])
def test_7_5_l2_weight_decay(learner):
    """With zero data gradients and weight_decay=0.1, does Adam move like torch.optim.Adam (L2 in the gradient)?"""
    start, param, expected, optimizer = decay_only(learner.Adam, torch.optim.Adam)
    message = (f"Built {optimizer.text} and took 3 steps with all-zero gradients: p afterwards (started at "
               "[1, -2, 0.5]).")
    if agree(param.detach(), start * (1 - 0.01 * 0.1) ** 3):
        message += (" It shrank p by (1 - lr * weight_decay) per step: that is AdamW's decoupled decay; Adam's L2 "
                    "decay moves each parameter by about lr towards 0. " + mistakes.describe("weight_decay_kind_swapped"))
    expect.close(param.detach(), expected.detach(), what=message)


@adam.check(points=1, clauses=["dtype-device", "grad-unchanged"])
def test_7_5_state_dtype_and_accumulated_gradients(learner):
    """In every float dtype, with gradients accumulated by backward(), are Adam's m and v in the parameter's dtype?"""
    settings = dict(lr=0.01, weight_decay=0.01)
    for dtype in (torch.float64, torch.float32, torch.bfloat16, torch.float16):
        step_by_step(lambda groups: learner.Adam(groups, **settings), oracle(torch.optim.Adam, **settings),
                     setup="Adam(groups, lr=0.01, weight_decay=0.01)", overrides={"lr": 0.05}, dtype=dtype,
                     feed=ACCUMULATED, steps=3, **ADAM_HINTS)


@adam.check(points=1, clauses=["dtype-device"])
def test_7_5_device(learner, device):
    """Does Adam keep its moving averages on the parameters' device (and dtype)?"""
    settings = dict(lr=0.01, weight_decay=0.01)
    step_by_step(lambda groups: learner.Adam(groups, **settings), oracle(torch.optim.Adam, **settings),
                 setup="Adam(groups, lr=0.01, weight_decay=0.01)", overrides={"lr": 0.1},
                 device=device, steps=2, dtype=torch.float32)


@adam.check(points=1, clauses=["defaults", "errors"])
def test_7_5_defaults_and_errors(learner):
    """Built with no hyperparameters, does Adam step with the docstring's defaults, and does it refuse invalid ones?"""
    expect_defaults(learner.Adam, torch.optim.Adam, "Adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                                                 weight_decay=0.0))
    expect_refuses(learner.Adam, "Adam", [dict(lr=-0.1), dict(eps=-1e-8), dict(weight_decay=-0.1),
                                          dict(betas=(1.0, 0.999)), dict(betas=(0.9, -0.1)), dict(betas=(1.5, 0.999)),
                                          dict(betas=(0.9, 1.5))])
    expect_accepts(learner.Adam, "Adam", [dict(lr=0.0), dict(eps=0.0), dict(betas=(0.0, 0.0)), dict(weight_decay=0.0)])


# 7.6 AdamW

ADAMW_DEFAULTS = {**ADAM_DEFAULTS, "weight_decay": [0.0, 0.05, 0.01]}


@adamw.check(points=2, clauses=["equal-to-torch", "decoupled", "raw-gradient", "adam-step", "skip-none",
                                "dtype-device", "grad-unchanged"])
@generated.examples(case=optimizer_cases(ADAMW_DEFAULTS, ADAM_OVERRIDES), max_examples=8)
def test_7_6_drawn_settings_match_torch(learner, case):
    """Does AdamW equal torch.optim.AdamW at every step, for drawn settings, dtypes, overrides and gradients?"""
    run_case(learner.AdamW, torch.optim.AdamW, "AdamW", case, first_step_hint=(
        "First p.mul_(1 - lr * weight_decay), then the bias-corrected Adam step on the raw gradient."),
        later_step_hint=ADAM_LATER)


@adamw.check(points=2, clauses=["equal-to-torch", "adam-step", "skip-none", "decoupled"])
def test_7_6_matches_torch(learner):
    """Does AdamW equal torch.optim.AdamW step by step (5 steps, group 1 overriding lr, weight_decay, eps in turn)?"""
    settings = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
    for overrides in ({"lr": 0.05, "weight_decay": 0.2}, {"weight_decay": 0.0}, {"eps": 0.1}):
        step_by_step(lambda groups: learner.AdamW(groups, **settings), oracle(torch.optim.AdamW, **settings),
                     setup="AdamW(groups, lr=0.01, weight_decay=0.05)", overrides=overrides, steps=5,
                     first_step_hint="First p.mul_(1 - lr * weight_decay), then the bias-corrected Adam step on "
                                     "the raw gradient.", later_step_hint=ADAM_LATER)


@adamw.check(points=2, clauses=["decoupled", "raw-gradient"])
def test_7_6_decoupled_decay(learner):
    """With zero data gradients, does AdamW shrink p by exactly (1 - lr * weight_decay) per step, as torch does?"""
    start, param, expected, optimizer = decay_only(learner.AdamW, torch.optim.AdamW)
    got = param.detach()
    message = (f"Built {optimizer.text} and took 3 steps with all-zero gradients: p afterwards (started at "
               "[1, -2, 0.5]; expected start * (1 - 0.01 * 0.1)**3).")
    if agree((got - start).abs(), torch.full_like(start, 0.03), rtol=0.05, atol=0.0):
        message += (" Every parameter moved by about 3 lr: the decay went into the gradient (L2), where Adam's "
                    "normalization turns it into a full-size step. " + mistakes.describe("weight_decay_kind_swapped"))
    elif agree(got, start * (1 - 0.1) ** 3):
        message += " It shrank p by (1 - weight_decay) per step: the decay must be scaled by the learning rate."
    expect.close(got, expected.detach(), what=message)


@adamw.check(points=1, clauses=["dtype-device", "grad-unchanged"])
def test_7_6_state_dtype_and_accumulated_gradients(learner):
    """In every float dtype, with gradients accumulated by backward(), are AdamW's m and v in the parameter's dtype?"""
    settings = dict(lr=0.01, weight_decay=0.1)
    for dtype in (torch.float64, torch.float32, torch.bfloat16, torch.float16):
        step_by_step(lambda groups: learner.AdamW(groups, **settings), oracle(torch.optim.AdamW, **settings),
                     setup="AdamW(groups, lr=0.01, weight_decay=0.1)", overrides={"lr": 0.05}, dtype=dtype,
                     feed=ACCUMULATED, steps=3, later_step_hint=ADAM_LATER)


@adamw.check(points=1, clauses=["dtype-device"])
def test_7_6_device(learner, device):
    """Does AdamW keep its moving averages on the parameters' device (and dtype)?"""
    settings = dict(lr=0.01, weight_decay=0.1)
    step_by_step(lambda groups: learner.AdamW(groups, **settings), oracle(torch.optim.AdamW, **settings),
                 setup="AdamW(groups, lr=0.01, weight_decay=0.1)", overrides={"lr": 0.1},
                 device=device, steps=2, dtype=torch.float32)


@adamw.check(points=1, clauses=["defaults", "errors"])
def test_7_6_defaults_and_errors(learner):
    """Built with no hyperparameters, does AdamW step with the docstring's defaults, and does it refuse invalid ones?"""
    expect_defaults(learner.AdamW, torch.optim.AdamW, "AdamW", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                                                    weight_decay=1e-2))
    expect_refuses(learner.AdamW, "AdamW", [dict(lr=-0.1), dict(eps=-1e-8), dict(weight_decay=-0.1),
                                            dict(betas=(1.0, 0.999)), dict(betas=(0.9, -0.1)), dict(betas=(1.5, 0.999)),
                                            dict(betas=(0.9, 1.5))])
    expect_accepts(learner.AdamW, "AdamW", [dict(lr=0.0), dict(eps=0.0), dict(betas=(0.0, 0.0)), dict(weight_decay=0.0)])


# --------------------------------------------------------------------------------------------------------------------
# 7.7 warmup + cosine schedule

def schedule_values(function, base_lr, warmup, total, min_lr, count):
    values = []
    for step in range(count):
        got = call(function, step, base_lr, warmup, total, min_lr)
        values.append(got.value)
    return values, got.text


@schedule.check(points=2, clauses=["step-numbering", "warmup", "cosine", "end", "summary", "returns-float"])
def test_7_7_matches_reference(learner, reference):
    """For base_lr=0.1, 3 warmup steps, 10 in all and min_lr=0.001, is the lr right at every step 0..12?"""
    settings = (0.1, 3, 10, 0.001)
    got, text = schedule_values(learner.warmup_cosine, *settings, 13)
    want, _ = schedule_values(reference.warmup_cosine, *settings, 13)
    shown = ", ".join(f"{v:.4g}" if isinstance(v, (int, float)) else repr(v) for v in got)
    what = (f"Called warmup_cosine(step, base_lr=0.1, warmup_steps=3, total_steps=10, min_lr=0.001) for steps 0..12.\n"
            f"It returned [{shown}]\nexpected    [{', '.join(f'{v:.4g}' for v in want)}].")
    expect.that(all(type(v) is float for v in got),
                f"{what}\nThe values are of type {sorted({type(v).__name__ for v in got})}; expected Python floats "
                "(use math.cos, not torch.cos or numpy.cos, and float arithmetic).")
    mistake = ""
    if got[0] == 0:
        mistake = (" The first step has lr 0 and learns nothing: the warmup is off by one. Use "
                   "base_lr * (step + 1) / warmup_steps.")
    elif all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(got[1:], want[:-1])) or \
            all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(got[:-1], want[1:])):
        mistake = " Your rates are the expected ones shifted by one step: check where each phase starts."
    elif not math.isclose(got[3], 0.1, rel_tol=1e-6):
        mistake = (" The first step after warmup (step 3) must use base_lr: the cosine's progress is "
                   "(step - warmup_steps) / (total_steps - warmup_steps), 0 there.")
    expect.close(torch.tensor(got, dtype=torch.float64), torch.tensor(want, dtype=torch.float64),
                 what=what + mistake, rtol=1e-9, atol=1e-12)


@schedule.check(points=1, clauses=["end", "warmup"])
def test_7_7_edges(learner, reference):
    """Without warmup, does the schedule start at base_lr; and with warmup_steps == total_steps, end at min_lr?"""
    for settings in ((0.5, 0, 4, 0.0), (0.2, 5, 5, 0.01)):
        got, text = schedule_values(learner.warmup_cosine, *settings, 7)
        want, _ = schedule_values(reference.warmup_cosine, *settings, 7)
        expect.close(torch.tensor([float(v) for v in got], dtype=torch.float64),
                     torch.tensor(want, dtype=torch.float64), rtol=1e-9, atol=1e-12,
                     what=f"Called warmup_cosine(step, {', '.join(map(str, settings))}) for steps 0..6 (base_lr, "
                          "warmup_steps, total_steps, min_lr). Guard the divisions: with no warmup there is no ramp, "
                          "and once step >= total_steps the rate is min_lr.")


@st.composite
def schedules(draw):
    """(base_lr, warmup_steps, total_steps, min_lr): no warmup, warmup == total, min_lr 0 or not."""
    warmup = draw(st.integers(0, 5))
    total = draw(st.integers(max(warmup, 1), warmup + 9))
    return draw(st.sampled_from([0.1, 1.0, 0.003])), warmup, total, draw(st.sampled_from([0.0, 1e-4, 0.05]))


@schedule.check(points=1, clauses=["step-numbering", "warmup", "cosine", "end", "returns-float", "default-min-lr"])
@generated.examples(settings=schedules(), max_examples=12)
def test_7_7_drawn_schedules(learner, reference, settings):
    """For drawn schedules, is every lr a Python float equal to the reference's, with min_lr given and defaulted?"""
    base_lr, warmup, total, min_lr = settings
    for step in range(total + 3):
        got = call(learner.warmup_cosine, step, base_lr, warmup, total, min_lr)
        default = call(learner.warmup_cosine, step, base_lr, warmup, total)
        for called, want in ((got, reference.warmup_cosine(step, base_lr, warmup, total, min_lr)),
                             (default, reference.warmup_cosine(step, base_lr, warmup, total))):
            expect.that(type(called.value) is float, f"Called {called.text}.\nIt returned {called.value!r} of type "
                        f"{type(called.value).__name__}; expected a Python float.")
            expect.that(math.isclose(called.value, want, rel_tol=1e-9, abs_tol=1e-12),
                        f"Called {called.text}.\nIt returned {called.value!r}; expected {want!r}"
                        + (" (min_lr defaults to 0)." if called is default else "."))


# --------------------------------------------------------------------------------------------------------------------
# 7.8 training under a scheduler

SCHEDULE = dict(base_lr=0.1, warmup_steps=2, total_steps=6, min_lr=0.01)


def scheduled_run(function, schedule_function, steps=6, stale=False):
    x, y = regression(seed=4)
    model = linear_model(seed=5)
    if stale:
        leave_stale_gradients(model)
    # Two parameter groups whose rates differ (and follow different schedules): param_groups[0] is the one to record.
    optimizer = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.3}],
                                lr=SCHEDULE["base_lr"], momentum=0.5)
    factor = lambda step: schedule_function(step, **SCHEDULE) / SCHEDULE["base_lr"]  # noqa: E731
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [factor, lambda step: 1.0 / (step + 1)])
    got = call(function, model, nn.functional.mse_loss, x, y, optimizer, scheduler, steps)
    return got, model, scheduler


def recorded_rates(got, what: str, advice: str = "") -> list:
    """The lrs of train_with_schedule's (losses, lrs), after checking they are a list of 6 Python floats."""
    value = got.value
    expect.that(isinstance(value, tuple) and len(value) == 2, f"{what}\nIt returned {_short(value)}; expected a "
                "tuple (losses, lrs).")
    rates = value[1]
    odd = sorted({type(r).__name__ for r in rates if not isinstance(r, float)}) if isinstance(rates, list) else []
    expect.that(isinstance(rates, list) and len(rates) == 6 and not odd,
                f"{what}\nThe lrs it returned are {_short(rates)}{' holding ' + ', '.join(odd) if odd else ''}; "
                f"expected a list of 6 Python floats.{advice}")
    return rates


def expected_rates(reference, steps=6):
    return [reference.warmup_cosine(step, **SCHEDULE) for step in range(steps)]


@scheduled.check(points=2, clauses=["rate-used", "returns", "order"])
def test_7_8_rates_per_step(learner, reference):
    """Does train_with_schedule record, for each of 6 steps, the lr that optimizer.step() used (warmup + cosine)?"""
    got, _, _ = scheduled_run(learner.train_with_schedule, reference.warmup_cosine)
    want = expected_rates(reference)
    what = (f"Called {got.text} with a LambdaLR scheduler following warmup_cosine(step, base_lr=0.1, warmup_steps=2, "
            "total_steps=6, min_lr=0.01).")
    rates = recorded_rates(got, what)
    mistake = ""
    if all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(rates[:-1], want[1:])):
        mistake = "\nEach recorded rate is the NEXT step's. " + mistakes.describe("scheduler_before_optimizer")
    expect.close(torch.tensor(rates, dtype=torch.float64), torch.tensor(want, dtype=torch.float64),
                 what=f"{what}\nThe lrs it returned:{mistake}", rtol=1e-9, atol=1e-12)


@scheduled.check(points=1, clauses=["full-batch", "order", "returns"])
def test_7_8_matches_reference(learner, reference):
    """Do the losses and final parameters equal the reference's (optimizer.step() before scheduler.step())?"""
    got, model, _ = scheduled_run(learner.train_with_schedule, reference.warmup_cosine)
    want, expected_model, _ = scheduled_run(reference.train_with_schedule, reference.warmup_cosine)
    what = f"Called {got.text}."
    value = got.value
    expect.that(isinstance(value, tuple) and len(value) == 2, f"{what}\nIt returned {_short(value)}; expected a "
                "tuple (losses, lrs).")
    losses = float_list(Called(value[0], got.text), 6, what)
    curves.record("loss", losses, want.value[0])
    hint = (" If the parameters differ while the losses start equal, the scheduler was stepped before the optimizer "
            "(the first step then runs at the second step's rate), or the gradients were not zeroed.")
    same_parameters(model, expected_model, what, hint)
    expect.close(losses, torch.tensor(want.value[0], dtype=torch.float64), what=f"{what}\nThe losses:", **NUMBERS)


@scheduled.check(points=1, clauses=["order"])
def test_7_8_scheduler_stepped_once_per_step(learner, reference):
    """After 6 training steps, has the scheduler been stepped exactly 6 times?"""
    got, _, scheduler = scheduled_run(learner.train_with_schedule, reference.warmup_cosine)
    expect.that(scheduler.last_epoch == 6,
                f"Called {got.text}.\nAfterwards scheduler.last_epoch is {scheduler.last_epoch}; expected 6, one "
                "scheduler.step() per optimizer.step().")


@scheduled.check(points=1, clauses=["rate-used", "returns"])
def test_7_8_tensor_learning_rate(learner, reference):
    """With the lr held as a 0-dim tensor (torch.optim allows it), are the recorded rates each step's, as floats?"""
    x, y = regression(seed=4)
    model = linear_model(seed=5)
    optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(SCHEDULE["base_lr"]), foreach=False)
    factor = lambda step: reference.warmup_cosine(step, **SCHEDULE) / SCHEDULE["base_lr"]  # noqa: E731
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    got = call(learner.train_with_schedule, model, nn.functional.mse_loss, x, y, optimizer, scheduler, 6)
    want = expected_rates(reference)
    what = (f"Called {got.text} with SGD(params, lr=torch.tensor(0.1)) and a LambdaLR scheduler following "
            "warmup_cosine(step, base_lr=0.1, warmup_steps=2, total_steps=6, min_lr=0.01).")
    rates = recorded_rates(got, what, " With a tensor lr, optimizer.param_groups[0]['lr'] is one tensor that the "
                           "scheduler changes in place: appending it keeps a reference, and every entry ends up the "
                           "last rate. Append float(optimizer.param_groups[0]['lr']).")
    expect.close(torch.tensor(rates, dtype=torch.float64), torch.tensor(want, dtype=torch.float64),
                 what=f"{what}\nThe lrs it returned:", rtol=1e-6, atol=1e-9)


@scheduled.check(points=1, clauses=["order"])
def test_7_8_stale_gradients_on_entry(learner, reference):
    """Under a scheduler too, are stale gradients in .grad cleared before the first backward, not after the step?"""
    got, model, _ = scheduled_run(learner.train_with_schedule, reference.warmup_cosine, stale=True)
    want, expected_model, _ = scheduled_run(reference.train_with_schedule, reference.warmup_cosine, stale=True)
    what = stale_what(got)
    same_parameters(model, expected_model, what, " Each step starts with optimizer.zero_grad(), BEFORE the backward: "
                    "zeroing only after optimizer.step() lets the first step use the stale gradient plus the fresh "
                    "one. " + mistakes.describe("zero_grad_missing"))


@scheduled.check(points=1, clauses=["returns", "full-batch"])
def test_7_8_zero_steps(learner, reference):
    """With steps=0, does train_with_schedule take no step at all and return two empty lists?"""
    got, model, scheduler = scheduled_run(learner.train_with_schedule, reference.warmup_cosine, steps=0)
    untouched = linear_model(seed=5)
    what = f"Called {got.text} (steps=0)."
    value = got.value
    expect.that(isinstance(value, (tuple, list)) and len(value) == 2
                and all(isinstance(part, list) and not part for part in value),
                f"{what}\nIt returned {_short(got.value)}; expected ([], []): `steps` losses and `steps` rates, none "
                "here. A loop that checks its count only after a step (while True: ... if len(losses) >= steps: "
                "break) takes one step too many when steps is 0: use for _ in range(steps).")
    expect.that(scheduler.last_epoch == 0,
                f"{what}\nAfterwards scheduler.last_epoch is {scheduler.last_epoch}; expected 0: no step was asked.")
    same_parameters(model, untouched, what, " With steps=0 the parameters must stay as they came.")
