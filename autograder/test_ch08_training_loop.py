"""Chapter 08, the training loop: does one epoch train like the reference, does evaluation leave the model alone,
and does fit stop early and give back the best weights?"""
import math
import weakref
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, SubsetRandomSampler, TensorDataset

from hypothesis import strategies as st

from autograder.engine import Exercise, call, curves, expect, generated, mistakes
from autograder.engine.calls import describe
from autograder.engine.spies import ModeSpy, Recorder, expect_same_state, state_of, valueless_on_meta

train_one_epoch = Exercise("8.1", "train_one_epoch", clauses={
    "one-pass": "train `model` for one pass over `loader`",
    "float": "return the mean loss per sample, as a Python float.",
    "device": "The model (and so its optimizer) already sits on `device`; the loader yields (inputs, targets) "
              "batches on the cpu",
    "batches": "maybe shuffled, and its last batch may be smaller.",
    "train-mode": "Put the model in training mode",
    "per-batch": "then for every batch: move it to `device`, zero the gradients",
    "old-gradients": "(the model may arrive with old gradients in .grad)",
    "step": "compute loss_fn(model(inputs), targets) (the mean over the batch), backpropagate, and take one "
            "optimizer step.",
    "sample-mean": "Return the mean over samples, not over batches: with n_b samples and mean loss l_b in batch b, "
                   "epoch_loss = sum_b n_b * l_b / sum_b n_b",
    "plain-numbers": "Accumulate plain numbers (loss.item()), never the loss tensors themselves: those keep every "
                     "batch's graph alive.",
}, hints=[
    "Call model.train() first. Then, for each (inputs, targets) batch: move both to `device`, "
    "optimizer.zero_grad(), loss = loss_fn(model(inputs), targets), loss.backward(), optimizer.step().",
    "Keep two plain numbers: total += loss.item() * len(inputs) and count += len(inputs); return total / count. "
    "Adding the loss tensor itself (total += loss) keeps every batch's graph alive, and averaging the batch means "
    "gives the smaller last batch too much weight.",
], hints_zh=[
    "先调用 model.train()。然后对每个 (inputs, targets) 批次：把两者都移到 `device`，optimizer.zero_grad()，loss = loss_fn(model(inputs), targets)，loss.backward()，optimizer.step()。",
    "维护两个普通数值：total += loss.item() * len(inputs) 和 count += len(inputs)；返回 total / count。直接累加损失张量（total += loss）会让每个批次的计算图一直存活，而对各批次均值再取平均会让较小的最后一个批次权重过大。",
])
evaluate = Exercise("8.2", "evaluate", clauses={
    "result": 'measure `model` on `loader` without training it: {"loss": mean loss, "metric": mean metric}.',
    "eval-mode": "Put the model in evaluation mode (Dropout off, BatchNorm uses its running statistics)",
    "no-grad": "turn gradient tracking off (torch.no_grad()).",
    "device": "For every (inputs, targets) batch, moved to `device`",
    "values": "compute loss_fn(outputs, targets) and, when `metric` is given, metric(outputs, targets): both are "
              "means over the batch.",
    "floats": "Return per-sample means, as Python floats,",
    "weighted": "weighted by batch size as in Exercise 8.1 (a smaller last batch counts less):",
    "metric-none": '{"loss": sum_b n_b * loss_b / N} when metric is None (the default): no other key',
    "metric-given": '{"loss": ..., "metric": sum_b n_b * metric_b / N} otherwise',
    "unchanged": "No parameter, buffer or .grad may change (the model may hold gradients from training)",
    "no-graph": "and no autograd graph may be built.",
}, hints=[
    "Call model.eval() and run the whole loop inside `with torch.no_grad():`. No backward, no optimizer.",
    "Weight each batch by its size as in Exercise 8.1: loss_total += float(loss_fn(outputs, targets)) * len(inputs), "
    "the same for the metric, and divide both by the number of samples. Return {'loss': ..., 'metric': ...}.",
], hints_zh=[
    "调用 model.eval()，并把整个循环放在 `with torch.no_grad():` 之中。不要反向传播，不要优化器。",
    "像练习 8.1 那样按批次大小加权：loss_total += float(loss_fn(outputs, targets)) * len(inputs)，指标也一样，两者都除以样本数。返回 {'loss': ..., 'metric': ...}。",
])
fit = Exercise("8.3", "fit", clauses={
    "epochs": "train for up to `epochs` epochs with early stopping;",
    "best-weights": "leave the model with its best weights.",
    "epoch-calls": "Every epoch: train_loss = train_epoch(model, train_loader, loss_fn, optimizer, device), then "
                   'val_loss = evaluate_epoch(model, val_loader, loss_fn, device)["loss"]; append both to the history.',
    "defaults": "(train_epoch and evaluate_epoch default to this chapter's train_one_epoch and evaluate.)",
    "improves": "An epoch improves when val_loss < the best val_loss so far (a tie is no improvement);",
    "copy": "then keep a copy of the weights (one that later training cannot change).",
    "patience": "Stop once `patience` epochs in a row have not improved (epochs >= 1, patience >= 1, and every loss is "
                "a finite number).",
    "restore": "At the end, load the best weights back into the model's own parameters (the ones the optimizer holds)",
    "history": 'and return {"train_loss": [float per epoch run], "val_loss": [float per epoch run], "best_epoch": '
               "index of the best}",
    "floats": "The losses are Python floats, whatever number type the epoch functions return;",
    "zero-based": "best_epoch counts from 0.",
}, hints=[
    "Loop over range(epochs): call train_epoch, then evaluate_epoch(...)['loss']; append both to the history. Keep "
    "the best validation loss so far and a counter of epochs without improvement; break when it reaches patience.",
    "Save the best weights as a copy: {k: v.detach().clone() for k, v in model.state_dict().items()} (or "
    "copy.deepcopy(model.state_dict())). model.state_dict() alone holds the live tensors, which the next epochs "
    "change. After the loop, model.load_state_dict(best) even when training never stopped early.",
], hints_zh=[
    "循环 range(epochs)：调用 train_epoch，再调用 evaluate_epoch(...)['loss']；把两者都追加到历史记录中。记下目前最好的验证损失和连续没有改进的轮数；当它达到 patience 时 break。",
    "把最好的权重保存为副本：{k: v.detach().clone() for k, v in model.state_dict().items()}（或 copy.deepcopy(model.state_dict())）。单独的 model.state_dict() 持有的是活的张量，之后的训练会改变它们。循环结束后，即使没有提前停止，也要 model.load_state_dict(best)。",
])

BATCH_SIZES = "3 batches of 4, 4 and 2 samples, not shuffled"
CPU = torch.device("cpu")


@dataclass(frozen=True)
class LoaderPlan:
    """How a check's loader batches its samples: a batch size that may or may not divide N, shuffled or not."""

    samples: int
    batch_size: int
    shuffle: bool
    seed: int
    part: str = "all"  # "all" the dataset; "drop_last": the short last batch dropped; "sampler": a sampler over some
    kept: int = 0  # with part="sampler", the number of samples the sampler yields (the first `kept`, shuffled)

    def loader(self, x, y):
        """A fresh loader; two loaders of one plan give the same batches in the same order (a seeded generator)."""
        generator = torch.Generator().manual_seed(self.seed)
        if self.part == "sampler":
            sampler = SubsetRandomSampler(range(self.kept), generator=generator)
            return DataLoader(TensorDataset(x, y), batch_size=self.batch_size, sampler=sampler)
        return DataLoader(TensorDataset(x, y), batch_size=self.batch_size, shuffle=self.shuffle,
                          generator=generator, drop_last=self.part == "drop_last")

    @property
    def batch_sizes(self) -> list[int]:
        full, rest = divmod(self.kept if self.part == "sampler" else self.samples, self.batch_size)
        return [self.batch_size] * full + ([rest] if rest and self.part != "drop_last" else [])

    def describe(self) -> str:
        if self.part == "sampler":
            return (f"a dataset of {self.samples} samples, of which the loader's sampler yields {self.kept}, in "
                    f"batches of {self.batch_sizes}")
        if self.part == "drop_last":
            return (f"a dataset of {self.samples} samples in batches of {self.batch_sizes} (drop_last=True: the last "
                    f"{self.samples % self.batch_size} never come), {'shuffled' if self.shuffle else 'not shuffled'}")
        return (f"{self.samples} samples in batches of {self.batch_sizes}, "
                f"{'shuffled' if self.shuffle else 'not shuffled'}")


@st.composite
def loader_plans(draw) -> LoaderPlan:
    batch_size = draw(st.integers(2, 5))
    samples = batch_size * draw(st.integers(1, 3)) + draw(st.integers(0, batch_size - 1))
    return LoaderPlan(samples, batch_size, draw(st.booleans()), draw(st.integers(0, 10_000)))


@st.composite
def partial_loader_plans(draw) -> LoaderPlan:
    """Loaders that yield only part of their dataset: drop_last with a short last batch, or a sampler over some of
    the samples. The samples a loop sees are then fewer than len(loader.dataset)."""
    batch_size = draw(st.integers(2, 4))
    samples = batch_size * draw(st.integers(1, 3)) + draw(st.integers(1, batch_size - 1))
    part = draw(st.sampled_from(["drop_last", "sampler"]))
    kept = draw(st.integers(2, samples - 1)) if part == "sampler" else 0
    return LoaderPlan(samples, batch_size, draw(st.booleans()), draw(st.integers(0, 10_000)), part, kept)


def regression_data(samples=10, features=3, outputs=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=generator)  # (N, D)
    y = x @ torch.randn(features, outputs, generator=generator) + 0.1 * torch.randn(samples, outputs,
                                                                                    generator=generator)  # (N, O)
    return x, y


def classification_data(samples=10, features=3, classes=4, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(samples, features, generator=generator), torch.randint(0, classes, (samples,),
                                                                              generator=generator)


def loader_of(x, y, batch_size=4):
    """Unshuffled, with an uneven last batch: 10 samples in batches of 4 give 4, 4 and 2."""
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


def twin_models(make, seed=0):
    """Two models with the same starting weights (load_state_dict), one for the learner and one for the reference."""
    torch.manual_seed(seed)
    first, second = make(), make()
    second.load_state_dict(first.state_dict())
    return first, second


def with_old_gradients(*models, seed=5):
    """Give every parameter of each model the same stale .grad, as a model fresh from another epoch has."""
    for model in models:
        generator = torch.Generator().manual_seed(seed)
        for parameter in model.parameters():
            parameter.grad = torch.randn(parameter.shape, generator=generator).to(parameter.device)


def mlp(inputs=3, hidden=5, outputs=2):
    return nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, outputs))


def sgd(model):
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean()


def python_float(value, context, what="the mean loss per sample"):
    """value must be a Python float (a tensor, even a 0-dim one without a graph, is a teaching failure)."""
    if isinstance(value, torch.Tensor) and value.grad_fn is not None:
        raise AssertionError(f"{context}\nIt returned a tensor that is still attached to an autograd graph (grad_fn="
                             f"{type(value.grad_fn).__name__}). {mistakes.describe('graph_kept_alive')}")
    expect.that(type(value) is float,
                f"{context}\nIt returned {describe(value)} (type {type(value).__name__}); expected a Python float, "
                f"{what}: call .item() (or float(...)) on a one-element tensor.")
    return value


def recorded_losses(recorder):
    """(batch size, loss value) for every call the loop made to the recording loss function."""
    return [(len(args[1]), float(result)) for (args, _), result in zip(recorder.calls, recorder.results)]


class LossRecorder(Recorder):
    """A Recorder that also keeps what each call returned."""

    def __init__(self, function, name="loss_fn"):
        super().__init__(function, name)
        self.results = []

    def __call__(self, *args, **kwargs):
        result = super().__call__(*args, **kwargs)
        self.results.append(result.detach() if isinstance(result, torch.Tensor) else result)
        return result


def expect_weighted_mean(got, batches, context, what="loss"):
    """got equals sum(n_b * value_b) / sum(n_b); name the mean-of-batch-means mistake when that is what came back."""
    weighted = sum(n * v for n, v in batches) / sum(n for n, _ in batches)
    unweighted = sum(v for _, v in batches) / len(batches)
    shown = ", ".join(f"{v:.4f} (n={n})" for n, v in batches)
    if math.isclose(got, unweighted, rel_tol=1e-5) and not math.isclose(got, weighted, rel_tol=1e-5):
        raise AssertionError(
            f"{context}\nIt returned {what} {got:.6f}, the mean of the batch means ({shown}); expected the mean per "
            f"sample, {weighted:.6f}. {mistakes.describe('mean_of_batch_means')}")
    expect.that(math.isclose(got, weighted, rel_tol=1e-5, abs_tol=1e-7),
                f"{context}\nIt returned {what} {got:.6f}; expected {weighted:.6f}, the mean per sample of the batch "
                f"values your loop computed ({shown}).")


# ----------------------------------------------------------------------------------------------- 8.1 train_one_epoch

@train_one_epoch.check(points=3, clauses=["one-pass", "batches", "per-batch", "old-gradients", "step"])
@generated.examples(plan=loader_plans(), max_examples=10)
def test_8_1_parameters_match_reference(learner, reference, plan):
    """After one epoch (a shuffled or uneven loader, a model holding old gradients), are the parameters those of the
    reference loop from the same starting weights?"""
    x, y = regression_data(samples=plan.samples, seed=plan.seed)
    mine, theirs = twin_models(mlp)
    with_old_gradients(mine, theirs)
    got = call(learner.train_one_epoch, mine, plan.loader(x, y), nn.MSELoss(), sgd(mine), CPU)
    reference.train_one_epoch(theirs, plan.loader(x, y), nn.MSELoss(), sgd(theirs), CPU)
    expect_same_state(mine, state_of(theirs), what=(
        f"Called {got.text} for one epoch ({plan.describe()}; SGD lr=0.1, momentum=0.9; every parameter holding an "
        "old .grad) from the same starting weights as the reference."), hint=diagnose_epoch(mine, plan, x, y))


def diagnose_epoch(model, plan, x, y):
    """Name the known mistake whose parameters the learner's model ended with, if any."""
    for mistake, loop in KNOWN_LOOP_MISTAKES.items():
        start = twin_models(mlp)[0]
        with_old_gradients(start)
        loop(start, plan.loader(x, y), nn.MSELoss(), sgd(start))
        if all(torch.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(start.parameters(), model.parameters())):
            return mistakes.describe(mistake)
    return ("Usual causes: optimizer.zero_grad() missing or only after the step (the model came with old gradients), "
            "optimizer.step() called before loss.backward(), a batch skipped (the last, smaller one?), a second pass "
            "over the loader (a shuffled loader gives another order each pass), or more than one step per batch.")


def _no_zero_grad(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        loss_fn(model(inputs), targets).backward()
        optimizer.step()


def _step_before_backward(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        optimizer.step()
        loss.backward()


KNOWN_LOOP_MISTAKES = {  # engine/mistakes.py names them in the learner's language
    "zero_grad_missing": _no_zero_grad,
    "step_before_backward": _step_before_backward,
}


@train_one_epoch.check(points=2, clauses=["float", "sample-mean", "plain-numbers"])
@generated.examples(plan=loader_plans(), max_examples=10)
def test_8_1_returns_sample_weighted_mean(learner, plan):
    """Does train_one_epoch return a Python float with no graph: the loss per sample, batches weighted by size?"""
    x, y = regression_data(samples=plan.samples, seed=plan.seed)
    model = twin_models(mlp)[0]
    loss_fn = LossRecorder(nn.MSELoss())
    got = call(learner.train_one_epoch, model, plan.loader(x, y), loss_fn, sgd(model), CPU)
    context = f"Called {got.text} ({plan.describe()})."
    value = python_float(got.value, context)
    batches = recorded_losses(loss_fn)
    expect.that(len(batches) == len(plan.batch_sizes),
                f"{context}\nIt called loss_fn {len(batches)} times; expected {len(plan.batch_sizes)} (once per batch).")
    expect_weighted_mean(value, batches, context)


@train_one_epoch.check(points=1, clauses=["sample-mean"])
@generated.examples(plan=partial_loader_plans(), max_examples=6)
def test_8_1_loader_over_part_of_its_dataset(learner, plan):
    """With a loader that yields only part of its dataset (drop_last, or a sampler over some samples), is the loss
    still the mean over the samples the loop saw?"""
    x, y = regression_data(samples=plan.samples, seed=plan.seed)
    model = twin_models(mlp)[0]
    loss_fn = LossRecorder(nn.MSELoss())
    got = call(learner.train_one_epoch, model, plan.loader(x, y), loss_fn, sgd(model), CPU)
    context = (f"Called {got.text} ({plan.describe()}). The epoch's samples are those its batches held: "
               "sum_b n_b, counted as the loop goes, not len(loader.dataset).")
    value = python_float(got.value, context)
    batches = recorded_losses(loss_fn)
    expect.that(len(batches) == len(plan.batch_sizes),
                f"{context}\nIt called loss_fn {len(batches)} times; expected {len(plan.batch_sizes)} (once per batch).")
    expect_weighted_mean(value, batches, context)


class _GraphMarker:
    """Hangs off one batch's loss graph: it lives exactly as long as that graph (weakref-able, no cycles)."""


class _MarkLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, loss, marker):
        ctx.marker = marker  # the node holds ctx, so the marker dies with the batch's graph
        return loss.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class GraphWatcher:
    """A loss_fn that marks each batch's graph and notes, at every call, how many graphs of batches two or more
    back are still alive (a loop that keeps only plain numbers has freed them by then; refcounting, no gc)."""

    def __init__(self, function):
        self.function = function
        self.markers = []
        self.alive_old = 0

    def __call__(self, *args, **kwargs):
        self.alive_old = max(self.alive_old, sum(ref() is not None for ref in self.markers[:-1]))
        marker = _GraphMarker()
        self.markers.append(weakref.ref(marker))
        return _MarkLoss.apply(self.function(*args, **kwargs), marker)


@train_one_epoch.check(points=1, clauses=["plain-numbers"])
def test_8_1_frees_each_batch_graph(learner):
    """Does train_one_epoch accumulate plain numbers, letting each batch's loss graph go (5 batches)?"""
    x, y = regression_data(samples=10)
    model = twin_models(mlp)[0]
    loss_fn = GraphWatcher(nn.MSELoss())
    got = call(learner.train_one_epoch, model, loader_of(x, y, batch_size=2), loss_fn, sgd(model), CPU)
    expect.that(loss_fn.alive_old == 0,
                f"Called {got.text} (5 batches of 2).\nWhile it ran, the graphs of {loss_fn.alive_old} earlier "
                "batches' losses were still alive: the loop keeps the loss tensors (e.g. total = total + loss * n), "
                "and each one holds its batch's whole graph. Accumulate plain numbers: total += loss.item() * n.")


@train_one_epoch.check(points=1, clauses=["train-mode"])
def test_8_1_train_mode_with_gradients(learner):
    """Does every forward pass of train_one_epoch run in training mode with gradients on, even if the model
    arrives in eval mode?"""
    x, y = regression_data()
    model = ModeSpy(twin_models(mlp)[0]).eval()
    got = call(learner.train_one_epoch, model, loader_of(x, y), nn.MSELoss(), sgd(model), CPU)
    expect.that(len(model.records) == 3,
                f"Called {got.text} ({BATCH_SIZES}).\nThe model's forward ran {len(model.records)} times; expected 3.")
    expect.that(all(training for training, _ in model.records),
                f"Called {got.text} on a model left in eval mode.\nForward calls: {model.describe()}. "
                f"{mistakes.describe('train_mode_missing')}")
    expect.that(all(grad for _, grad in model.records),
                f"Called {got.text}.\nForward calls: {model.describe()}. Gradients were off while training: nothing "
                "can be learned inside torch.no_grad().")


@train_one_epoch.check(points=1, clauses=["device"])
def test_8_1_on_device(learner, reference, device):
    """With the model on `device` and the loader on the cpu, does train_one_epoch move every batch to the device?"""
    x, y = regression_data()
    mine, theirs = (model.to(device) for model in twin_models(mlp))
    loss_fn = valueless_on_meta(nn.MSELoss())
    got = call(learner.train_one_epoch, mine, loader_of(x, y), loss_fn, sgd(mine), device)
    python_float(got.value, f"Called {got.text}.")
    reference.train_one_epoch(theirs, loader_of(x, y), loss_fn, sgd(theirs), device)
    expect_same_state(mine, state_of(theirs), what=f"Called {got.text} ({BATCH_SIZES}).",
                      hint="The model must stay on the device it was given; only the batches move.")


# ----------------------------------------------------------------------------------------------------- 8.2 evaluate

def classifier():
    return nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 4))


def expect_result_keys(result, keys, context):
    expect.that(isinstance(result, dict) and set(result) == set(keys),
                f"{context}\nIt returned {describe(result)}; expected a dict with exactly the keys {sorted(keys)}.")


@evaluate.check(points=2, clauses=["result", "values", "floats", "weighted", "metric-given"])
@generated.examples(plan=loader_plans(), max_examples=10)
def test_8_2_matches_reference(learner, reference, plan):
    """Does evaluate return the per-sample mean loss and metric as floats, equal to the reference's (shuffled and
    uneven loaders)?"""
    x, labels = classification_data(samples=plan.samples, seed=plan.seed)
    mine, theirs = twin_models(classifier)
    loss_fn, metric = LossRecorder(nn.CrossEntropyLoss()), LossRecorder(accuracy, "accuracy")
    got = call(learner.evaluate, mine, plan.loader(x, labels), loss_fn, CPU, metric)
    want = reference.evaluate(theirs, plan.loader(x, labels), nn.CrossEntropyLoss(), CPU, accuracy)
    context = f"Called {got.text} ({plan.describe()})."
    expect_result_keys(got.value, ("loss", "metric"), context)
    for key, recorder in (("loss", loss_fn), ("metric", metric)):
        value = python_float(got.value[key], f"{context}\nIn the result's {key!r}:", what=f"the mean {key}")
        if len(recorder.calls) == len(plan.batch_sizes):
            expect_weighted_mean(value, recorded_losses(recorder), context, what=key)
        why = mistakes.describe("eval_mode_missing") if mine.training else "Is Dropout still active?"
        expect.that(math.isclose(value, want[key], rel_tol=1e-5, abs_tol=1e-7),
                    f"{context}\nIt returned {key} {value:.6f}; the reference returned {want[key]:.6f}. {why}")


@evaluate.check(points=1, clauses=["weighted"])
@generated.examples(plan=partial_loader_plans(), max_examples=6)
def test_8_2_loader_over_part_of_its_dataset(learner, plan):
    """With a loader that yields only part of its dataset (drop_last, or a sampler over some samples), are loss and
    metric the means over the samples evaluated?"""
    x, labels = classification_data(samples=plan.samples, seed=plan.seed)
    model = twin_models(classifier)[0]
    loss_fn, metric = LossRecorder(nn.CrossEntropyLoss()), LossRecorder(accuracy, "accuracy")
    got = call(learner.evaluate, model, plan.loader(x, labels), loss_fn, CPU, metric)
    context = (f"Called {got.text} ({plan.describe()}). N is the number of samples the batches held, counted as the "
               "loop goes, not len(loader.dataset).")
    expect_result_keys(got.value, ("loss", "metric"), context)
    for key, recorder in (("loss", loss_fn), ("metric", metric)):
        value = python_float(got.value[key], f"{context}\nIn the result's {key!r}:", what=f"the mean {key}")
        # weighted by what each call saw: one call on the concatenated outputs gives the same per-sample mean
        expect_weighted_mean(value, recorded_losses(recorder), context, what=key)


@evaluate.check(points=1, clauses=["metric-none"])
def test_8_2_without_metric(learner, reference):
    """Called without a metric (the default), does evaluate return {'loss': ...} and nothing else?"""
    x, labels = classification_data()
    mine, theirs = twin_models(classifier)
    got = call(learner.evaluate, mine, loader_of(x, labels), nn.CrossEntropyLoss(), CPU)
    want = reference.evaluate(theirs, loader_of(x, labels), nn.CrossEntropyLoss(), CPU)
    context = f"Called {got.text} ({BATCH_SIZES}), without a metric."
    expect_result_keys(got.value, ("loss",), context)
    value = python_float(got.value["loss"], f"{context}\nIn the result's 'loss':", what="the mean loss")
    expect.that(math.isclose(value, want["loss"], rel_tol=1e-5, abs_tol=1e-7),
                f"{context}\nIt returned loss {value:.6f}; the reference returned {want['loss']:.6f}.")


@evaluate.check(points=2, clauses=["eval-mode", "no-grad", "no-graph"])
def test_8_2_eval_mode_without_gradients(learner):
    """Does every forward pass of evaluate run in eval mode with gradients off, even if the model arrives in
    training mode?"""
    x, labels = classification_data()
    model = ModeSpy(twin_models(classifier)[0]).train()
    got = call(learner.evaluate, model, loader_of(x, labels), nn.CrossEntropyLoss(), CPU, accuracy)
    expect.that(len(model.records) == 3,
                f"Called {got.text} ({BATCH_SIZES}).\nThe model's forward ran {len(model.records)} times; expected 3.")
    expect.that(not any(training for training, _ in model.records),
                f"Called {got.text} on a model in training mode.\nForward calls: {model.describe()}. "
                f"{mistakes.describe('eval_mode_missing')}")
    expect.that(not any(grad for _, grad in model.records),
                f"Called {got.text}.\nForward calls: {model.describe()}. {mistakes.describe('no_grad_missing')}")


@evaluate.check(points=1, clauses=["unchanged"])
def test_8_2_changes_nothing(learner):
    """Does evaluate leave every parameter, buffer (BatchNorm statistics) and .grad (a model fresh from training
    holds some) as it found them?"""
    x, labels = classification_data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 4)).train()
    with_old_gradients(model)
    before = state_of(model)
    grads_before = {name: p.grad.clone() for name, p in model.named_parameters()}
    got = call(learner.evaluate, model, loader_of(x, labels), nn.CrossEntropyLoss(), CPU)
    frozen = [name for name, parameter in model.named_parameters() if not parameter.requires_grad]
    expect.that(not frozen, f"Called {got.text}.\nAfterwards {frozen} have requires_grad=False: evaluate froze the "
                            "model, so training after it learns nothing. torch.no_grad() turns tracking off for the "
                            "evaluation alone.")
    expect_same_state(model, before, what=f"Called {got.text} on a model with BatchNorm.", hint=(
        "Evaluating changed the model. BatchNorm updates its running statistics in training mode: call "
        "model.eval() first; and never call backward() or optimizer.step() in evaluate."))
    for name, parameter in model.named_parameters():
        context = (f"Called {got.text} on a model whose parameters hold gradients from training.\nAfterwards "
                   f"`{name}.grad`")
        expect.that(parameter.grad is not None, f"{context} is None: evaluate cleared it (zero_grad?). Evaluation "
                                                "only measures; the gradients belong to the training loop.")
        expect.that(torch.equal(parameter.grad, grads_before[name]),
                    f"{context} changed: evaluate ran backward() or zeroed the gradients. Evaluation only measures.")


@evaluate.check(points=1, clauses=["device"])
def test_8_2_on_device(learner, reference, device):
    """With the model on `device` and the loader on the cpu, does evaluate move every batch to the device?"""
    x, labels = classification_data()
    mine, theirs = (model.to(device) for model in twin_models(classifier))
    loss_fn, metric = valueless_on_meta(nn.CrossEntropyLoss()), valueless_on_meta(accuracy)
    got = call(learner.evaluate, mine, loader_of(x, labels), loss_fn, device, metric)
    want = reference.evaluate(theirs, loader_of(x, labels), loss_fn, device, metric)
    expect_result_keys(got.value, ("loss", "metric"), f"Called {got.text}.")
    for key in ("loss", "metric"):
        value = python_float(got.value[key], f"Called {got.text}.\nIn the result's {key!r}:", what=f"the mean {key}")
        if device.type != "meta":
            expect.that(math.isclose(value, want[key], rel_tol=1e-5, abs_tol=1e-6),
                        f"Called {got.text}.\nIt returned {key} {value:.6f}; expected {want[key]:.6f}.")


# ---------------------------------------------------------------------------------------------------------- 8.3 fit

def scripted_epochs(val_losses, number=float):
    """A train_epoch that sets every parameter to the epoch number (1, 2, ...) in place, as an optimizer would,
    and an evaluate_epoch that returns the scripted validation losses in turn, both as `number`s."""

    def train_epoch(model, loader, loss_fn, optimizer, device):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(len(train.calls))
            for buffer in model.buffers():  # BatchNorm's running statistics change during training too
                buffer.fill_(len(train.calls))
        return number(1.0 / len(train.calls))

    def evaluate_epoch(model, loader, loss_fn, device):
        return {"loss": number(val_losses[len(evaluation.calls) - 1])}

    train, evaluation = Recorder(train_epoch, "train_epoch"), Recorder(evaluate_epoch, "evaluate_epoch")
    return train, evaluation


def run_scripted_fit(fit_function, val_losses, epochs, patience, device=CPU, number=float, check_calls=True):
    model = nn.Linear(3, 2).to(device)
    train, evaluation = scripted_epochs(val_losses, number)
    x, y = regression_data()
    got = call(fit_function, model, loader_of(x, y), loader_of(x, y), nn.MSELoss(), sgd(model), device,
               epochs=epochs, patience=patience, train_epoch=train, evaluate_epoch=evaluation)
    context = (f"Called {got.text.split('(')[0]}(..., epochs={epochs}, patience={patience}) with an evaluate_epoch "
               f"that returns validation losses {val_losses[:epochs]} in turn.")
    if check_calls:
        expect.that(len(train.calls) > 0 and len(evaluation.calls) > 0,
                    f"{context}\nfit called train_epoch {len(train.calls)} and evaluate_epoch {len(evaluation.calls)} "
                    "times: it must use the train_epoch and evaluate_epoch it is given (the checks pass the reference "
                    "ones), not call other functions directly.")
    return model, got, train, evaluation, context


def expect_history(history, context):
    expect.that(isinstance(history, dict) and {"train_loss", "val_loss", "best_epoch"} <= set(history),
                f"{context}\nIt returned {describe(history)}; expected a dict with 'train_loss', 'val_loss' and "
                "'best_epoch'.")


@fit.check(points=2, clauses=["epoch-calls", "history"])
def test_8_3_history_matches_reference(learner, reference):
    """Trained with the reference epoch functions, does fit give the reference's history and final weights?"""
    x, y = regression_data(samples=12, seed=3)
    val_x, val_y = regression_data(samples=10, seed=4)
    mine, theirs = twin_models(mlp)
    options = dict(epochs=4, patience=10, train_epoch=reference.train_one_epoch, evaluate_epoch=reference.evaluate)
    got = call(learner.fit, mine, loader_of(x, y), loader_of(val_x, val_y), nn.MSELoss(), sgd(mine), CPU, **options)
    want = reference.fit(theirs, loader_of(x, y), loader_of(val_x, val_y), nn.MSELoss(), sgd(theirs), CPU, **options)
    context = f"Called {got.text} (epochs=4, patience=10: no early stop)."
    history = got.value
    expect_history(history, context)
    for key in ("train_loss", "val_loss"):
        curves.record(key.replace("_", " "), history[key], want[key])
        expect.that(isinstance(history[key], list) and len(history[key]) == 4,
                    f"{context}\nhistory[{key!r}] is {history[key]!r}; expected a list of 4 floats, one per epoch.")
        values = torch.tensor([float(v) for v in history[key]])
        expect.close(values, torch.tensor(want[key]), what=f"{context}\nhistory[{key!r}]:", rtol=1e-5, atol=1e-7)
    expect.that(history["best_epoch"] == want["best_epoch"],
                f"{context}\nhistory['best_epoch'] is {history['best_epoch']!r}; expected {want['best_epoch']}.")
    expect_same_state(mine, state_of(theirs), what=context)


@fit.check(points=1, clauses=["defaults"])
def test_8_3_default_epoch_functions(learner, reference, monkeypatch):
    """Called without train_epoch and evaluate_epoch, does fit use this chapter's train_one_epoch and evaluate?"""
    x, y = regression_data(samples=12, seed=3)
    val_x, val_y = regression_data(samples=10, seed=4)
    mine, theirs = twin_models(mlp)
    epoch_functions = dict(train_epoch=reference.train_one_epoch, evaluate_epoch=reference.evaluate)
    want = reference.fit(theirs, loader_of(x, y), loader_of(val_x, val_y), nn.MSELoss(), sgd(theirs), CPU,
                         epochs=3, patience=10, **epoch_functions)
    train = Recorder(reference.train_one_epoch, "train_one_epoch")
    evaluation = Recorder(reference.evaluate, "evaluate")
    # fit finds its defaults in the learner's module: the reference's epoch functions stand in there, recorded, so
    # this check grades 8.3 alone (an unwritten 8.1 or 8.2 costs nothing here)
    module = getattr(learner, "_module", learner)
    monkeypatch.setattr(module, "train_one_epoch", train, raising=False)
    monkeypatch.setattr(module, "evaluate", evaluation, raising=False)
    got = call(learner.fit, mine, loader_of(x, y), loader_of(val_x, val_y), nn.MSELoss(), sgd(mine), CPU,
               epochs=3, patience=10)
    context = f"Called {got.text} without train_epoch and evaluate_epoch (epochs=3, patience=10)."
    expect.that(len(train.calls) == 3 and len(evaluation.calls) == 3,
                f"{context}\nIt called train_one_epoch {len(train.calls)} and evaluate {len(evaluation.calls)} times; "
                "expected 3 each: when train_epoch (evaluate_epoch) is None, use this chapter's train_one_epoch "
                "(evaluate).")
    expect_history(got.value, context)
    values = torch.tensor([float(v) for v in got.value["val_loss"]])
    expect.close(values, torch.tensor(want["val_loss"]), what=f"{context}\nhistory['val_loss']:", rtol=1e-5,
                 atol=1e-7)
    expect_same_state(mine, state_of(theirs), what=context)


@st.composite
def early_stopping_scripts(draw):
    """Validation losses from a few values, so ties and several stalls are common, and improvements as small as 1e-6;
    epochs and patience around them."""
    # some values lowered by 1e-6: an improvement that small is still one (no min_delta threshold)
    values = st.builds(lambda value, nudge: value - nudge, st.sampled_from([0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
                       st.sampled_from([0.0, 0.0, 0.0, 1e-6]))
    val_losses = draw(st.lists(values, min_size=1, max_size=9))
    return val_losses, draw(st.integers(1, len(val_losses))), draw(st.integers(1, 4))


@fit.check(points=2, clauses=["epochs", "improves", "patience", "best-weights", "history", "zero-based"])
@generated.examples(script=early_stopping_scripts(), max_examples=25)
def test_8_3_early_stopping_matches_reference(learner, reference, script):
    """On scripted validation losses (ties, several stalls, patience 1 to 4), does fit run the reference's epochs,
    return its history and keep its best weights?"""
    val_losses, epochs, patience = script
    model, got, train, evaluation, context = run_scripted_fit(learner.fit, val_losses, epochs, patience)
    theirs, want, reference_train, _, _ = run_scripted_fit(reference.fit, val_losses, epochs, patience)
    ran, expected = len(train.calls), len(reference_train.calls)
    expect.that(ran == expected,
                f"{context}\nIt ran {ran} epochs; expected {expected}. An epoch improves only when its loss is "
                "strictly below the best so far (a tie does not); stop after `patience` epochs in a row without "
                "improvement, or when the epochs run out.")
    expect_history(got.value, context)
    for key in ("train_loss", "val_loss", "best_epoch"):
        expect.that(got.value[key] == want.value[key],
                    f"{context}\nhistory[{key!r}] is {got.value[key]!r}; expected {want.value[key]!r}.")
    expect_same_state(model, state_of(theirs), what=f"{context}\nThe weights fit left in the model:", hint=(
        f"Expected the weights after epoch index {want.value['best_epoch']}, the best one."))


@fit.check(points=2, clauses=["patience", "improves"])
def test_8_3_stops_after_patience(learner):
    """Does fit stop once `patience` epochs in a row fail to improve the validation loss, and not before?"""
    scripts = [([1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5], 8, 2, 4),
               ([1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5], 8, 3, 5),
               ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3], 5, 2, 5),
               ([1.0, 0.9, 0.95, 0.8, 0.85, 0.7, 0.75, 0.76, 0.6], 9, 2, 8),  # stalls of 1, 1, then 2
               ([1.0, 0.8, 0.8, 0.8, 0.7], 5, 2, 4)]  # ties are no improvement
    for val_losses, epochs, patience, expected in scripts:
        model, got, train, evaluation, context = run_scripted_fit(learner.fit, val_losses, epochs, patience)
        ran = len(train.calls)
        advice = ""
        if ran == expected - 1 or ran == expected + 1:
            advice = (" Off by one: count the epochs without improvement since the best one, and stop when that "
                      "count reaches patience.")
        elif ran == epochs and expected < epochs:
            advice = " It never stopped early: does a tie count as an improvement (<= instead of <)?"
        elif ran < expected:
            advice = " It stopped too early: reset the count of epochs without improvement at every improvement."
        expect.that(ran == expected,
                    f"{context}\nIt ran {ran} epochs; expected {expected}: the best loss is followed by {patience} "
                    f"epochs without improvement{' (or the epochs run out)' if expected == epochs else ''}.{advice}")
        history = got.value
        expect.that(isinstance(history, dict) and len(history.get("val_loss", [])) == expected
                    and len(history.get("train_loss", [])) == expected,
                    f"{context}\nIt returned {describe(history)}; expected 'train_loss' and 'val_loss' lists of "
                    f"{expected} values, one per epoch run.")


@fit.check(points=2, clauses=["copy", "best-weights", "restore", "zero-based"])
def test_8_3_restores_best_weights(learner):
    """Does fit leave the model's own parameters with the weights of its best validation epoch, also without an
    early stop?"""
    for val_losses, epochs, patience, best in (([1.0, 0.8, 0.9, 0.85, 0.95], 5, 2, 1), ([1.0, 0.5, 0.7], 3, 5, 1),
                                               ([1.0, 0.6, 0.6, 0.9], 4, 5, 1)):
        # BatchNorm brings buffers (running statistics): the best copy must hold its own copies of them too
        model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
        parameters = list(model.parameters())  # kept alive, so `is` below compares living objects
        train, evaluation = scripted_epochs(val_losses)
        x, y = regression_data()
        optimizer = sgd(model)
        got = call(learner.fit, model, loader_of(x, y), loader_of(x, y), nn.MSELoss(), optimizer, CPU,
                   epochs=epochs, patience=patience, train_epoch=train, evaluate_epoch=evaluation)
        context = (f"Called fit(..., epochs={epochs}, patience={patience}) with an evaluate_epoch that returns "
                   f"validation losses {val_losses} in turn, and a train_epoch that sets every parameter and buffer "
                   "(a Linear then a BatchNorm1d) to the epoch's number (1, 2, ...) in place.")
        expect.that(all(now is then for now, then in zip(model.parameters(), parameters)),
                    f"{context}\nAfterwards the model holds new parameter objects, not the ones the optimizer was "
                    "built with: training would go on updating the old ones. Copy the best values into the model's "
                    "own parameters: model.load_state_dict(best) (without assign=True).")
        last = len(train.calls)
        weights = [float(v) for p in model.state_dict().values() for v in p.detach().reshape(-1)]
        if all(w == last for w in weights) and last != best + 1:
            raise AssertionError(
                f"{context}\nThe model ended with the weights of the last epoch ({last}), not of the best one (epoch "
                f"index {best}). Either the best weights were never loaded back (model.load_state_dict(best) after "
                "the loop, also when no early stop happened), or `best = model.state_dict()` was saved without a "
                "copy: its tensors ARE the model's parameters, so later epochs changed them too. Save "
                "{k: v.detach().clone() for k, v in model.state_dict().items()}.")
        expect.that(all(w == best + 1 for w in weights),
                    f"{context}\nAfter fit the parameters and buffers are {sorted(set(weights))}; expected every one "
                    f"to be {float(best + 1)}, their value after epoch index {best}, the best validation loss.")
        expect.that(isinstance(got.value, dict) and got.value.get("best_epoch") == best,
                    f"{context}\nIt returned {describe(got.value)}; expected history['best_epoch'] == {best} "
                    "(counting from 0).")


@fit.check(points=1, clauses=["floats"])
def test_8_3_history_holds_floats(learner):
    """When the epoch functions return 0-dim tensors, does fit's history still hold Python floats?"""
    model, got, train, evaluation, context = run_scripted_fit(learner.fit, [1.0, 0.8, 0.9], 3, 5,
                                                              number=torch.tensor)
    context = context.replace("in turn.", "in turn, as 0-dim tensors (train_epoch too).")
    expect_history(got.value, context)
    for key in ("train_loss", "val_loss"):
        odd = sorted({type(v).__name__ for v in got.value[key] if type(v) is not float})
        expect.that(isinstance(got.value[key], list) and not odd,
                    f"{context}\nhistory[{key!r}] holds {odd or describe(got.value[key])}; expected a list of Python "
                    "floats: append float(...) of what the epoch function returned.")


@fit.check(points=1, clauses=["epoch-calls"])
def test_8_3_passes_device_along(learner, device):
    """Does fit hand its `device` to the epoch functions and leave the model on it?"""
    model, got, train, evaluation, context = run_scripted_fit(learner.fit, [1.0, 0.8, 0.9], 3, 5, device=device)
    seen = {str(args[4] if len(args) > 4 else kwargs.get("device")) for args, kwargs in train.calls}
    seen |= {str(args[3] if len(args) > 3 else kwargs.get("device")) for args, kwargs in evaluation.calls}
    expect.that(seen == {str(device)},
                f"{context}\nThe epoch functions were given devices {sorted(seen)}; expected only {device}, the device "
                "fit was called with.")
    wrong = [name for name, value in model.state_dict().items() if value.device != device]
    expect.that(not wrong, f"{context}\nAfterwards {wrong} are no longer on {device}.")
