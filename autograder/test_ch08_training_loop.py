"""Chapter 08, the training loop: does one epoch train like the reference, does evaluation leave the model alone,
and does fit stop early and give back the best weights?"""
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder.engine import Exercise, call, curves, expect, mistakes
from autograder.engine.spies import ModeSpy, Recorder, expect_same_state, state_of, valueless_on_meta

train_one_epoch = Exercise("8.1", "train_one_epoch", hints=[
    "Call model.train() first. Then, for each (inputs, targets) batch: move both to `device`, "
    "optimizer.zero_grad(), loss = loss_fn(model(inputs), targets), loss.backward(), optimizer.step().",
    "Keep two plain numbers: total += loss.item() * len(inputs) and count += len(inputs); return total / count. "
    "Adding the loss tensor itself (total += loss) keeps every batch's graph alive, and averaging the batch means "
    "gives the smaller last batch too much weight.",
], hints_zh=[
    "先调用 model.train()。然后对每个 (inputs, targets) 批次：把两者都移到 `device`，optimizer.zero_grad()，loss = loss_fn(model(inputs), targets)，loss.backward()，optimizer.step()。",
    "维护两个普通数值：total += loss.item() * len(inputs) 和 count += len(inputs)；返回 total / count。直接累加损失张量（total += loss）会让每个批次的计算图一直存活，而对各批次均值再取平均会让较小的最后一个批次权重过大。",
])
evaluate = Exercise("8.2", "evaluate", hints=[
    "Call model.eval() and run the whole loop inside `with torch.no_grad():`. No backward, no optimizer.",
    "Weight each batch by its size as in Exercise 8.1: loss_total += float(loss_fn(outputs, targets)) * len(inputs), "
    "the same for the metric, and divide both by the number of samples. Return {'loss': ..., 'metric': ...}.",
], hints_zh=[
    "调用 model.eval()，并把整个循环放在 `with torch.no_grad():` 之中。不要反向传播，不要优化器。",
    "像练习 8.1 那样按批次大小加权：loss_total += float(loss_fn(outputs, targets)) * len(inputs)，指标也一样，两者都除以样本数。返回 {'loss': ..., 'metric': ...}。",
])
fit = Exercise("8.3", "fit", hints=[
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


def mlp(inputs=3, hidden=5, outputs=2):
    return nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, outputs))


def sgd(model):
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean()


def as_number(value, context):
    """A float, or a one-element tensor with no graph attached; anything else is a teaching failure."""
    if isinstance(value, torch.Tensor):
        expect.that(value.grad_fn is None,
                    f"{context}\nIt returned a tensor that is still attached to an autograd graph (grad_fn="
                    f"{type(value.grad_fn).__name__}). {mistakes.describe('graph_kept_alive')}")
        expect.that(value.numel() == 1, f"{context}\nIt returned a tensor of shape {tuple(value.shape)}; expected "
                                        "one number, the mean loss per sample.")
        return value.detach().reshape(()).item() if not value.is_meta else math.nan
    expect.that(isinstance(value, (float, int)) and not isinstance(value, bool),
                f"{context}\nIt returned {value!r}; expected a float, the mean loss per sample.")
    return float(value)


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

@train_one_epoch.check(points=3)
def test_8_1_parameters_match_reference(learner, reference):
    """After one epoch, are the parameters those of the reference loop from the same starting weights?"""
    x, y = regression_data()
    mine, theirs = twin_models(mlp)
    learner_optimizer, reference_optimizer = sgd(mine), sgd(theirs)
    got = call(learner.train_one_epoch, mine, loader_of(x, y), nn.MSELoss(), learner_optimizer, torch.device("cpu"))
    reference.train_one_epoch(theirs, loader_of(x, y), nn.MSELoss(), reference_optimizer, torch.device("cpu"))
    expect_same_state(mine, state_of(theirs), what=(
        f"Called {got.text} for one epoch ({BATCH_SIZES}; SGD lr=0.1, momentum=0.9) from the same starting weights "
        "as the reference."), hint=diagnose_epoch(mine, x, y))


def diagnose_epoch(model, x, y):
    """Name the known mistake whose parameters the learner's model ended with, if any."""
    for mistake, loop in KNOWN_LOOP_MISTAKES.items():
        start = twin_models(mlp)[0]
        optimizer = sgd(start)
        loop(start, loader_of(x, y), nn.MSELoss(), optimizer)
        if all(torch.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(start.parameters(), model.parameters())):
            return mistakes.describe(mistake)
    return ("Usual causes: optimizer.zero_grad() missing (gradients add up across batches), optimizer.step() called "
            "before loss.backward(), a batch skipped, or more than one step per batch.")


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


@train_one_epoch.check(points=2)
def test_8_1_returns_sample_weighted_mean(learner):
    """Does train_one_epoch return one number with no graph: the loss per sample, batches weighted by their size?"""
    x, y = regression_data()
    model = twin_models(mlp)[0]
    loss_fn = LossRecorder(nn.MSELoss())
    got = call(learner.train_one_epoch, model, loader_of(x, y), loss_fn, sgd(model), torch.device("cpu"))
    context = f"Called {got.text} ({BATCH_SIZES})."
    value = as_number(got.value, context)
    batches = recorded_losses(loss_fn)
    expect.that(len(batches) == 3, f"{context}\nIt called loss_fn {len(batches)} times; expected 3 (once per batch).")
    expect_weighted_mean(value, batches, context)


@train_one_epoch.check(points=1)
def test_8_1_train_mode_with_gradients(learner):
    """Does every forward pass of train_one_epoch run in training mode with gradients on, even if the model
    arrives in eval mode?"""
    x, y = regression_data()
    model = ModeSpy(twin_models(mlp)[0]).eval()
    got = call(learner.train_one_epoch, model, loader_of(x, y), nn.MSELoss(), sgd(model), torch.device("cpu"))
    expect.that(len(model.records) == 3,
                f"Called {got.text} ({BATCH_SIZES}).\nThe model's forward ran {len(model.records)} times; expected 3.")
    expect.that(all(training for training, _ in model.records),
                f"Called {got.text} on a model left in eval mode.\nForward calls: {model.describe()}. "
                f"{mistakes.describe('train_mode_missing')}")
    expect.that(all(grad for _, grad in model.records),
                f"Called {got.text}.\nForward calls: {model.describe()}. Gradients were off while training: nothing "
                "can be learned inside torch.no_grad().")


@train_one_epoch.check(points=1)
def test_8_1_on_device(learner, reference, device):
    """With the model on `device` and the loader on the cpu, does train_one_epoch move every batch to the device?"""
    x, y = regression_data()
    mine, theirs = (model.to(device) for model in twin_models(mlp))
    loss_fn = valueless_on_meta(nn.MSELoss())
    got = call(learner.train_one_epoch, mine, loader_of(x, y), loss_fn, sgd(mine), device)
    as_number(got.value, f"Called {got.text}.")
    reference.train_one_epoch(theirs, loader_of(x, y), loss_fn, sgd(theirs), device)
    expect_same_state(mine, state_of(theirs), what=f"Called {got.text} ({BATCH_SIZES}).",
                      hint="The model must stay on the device it was given; only the batches move.")


# ----------------------------------------------------------------------------------------------------- 8.2 evaluate

def classifier():
    return nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 4))


@evaluate.check(points=2)
def test_8_2_matches_reference(learner, reference):
    """Does evaluate return the per-sample mean loss and metric, equal to the reference's?"""
    x, labels = classification_data()
    mine, theirs = twin_models(classifier)
    loss_fn, metric = LossRecorder(nn.CrossEntropyLoss()), LossRecorder(accuracy, "accuracy")
    got = call(learner.evaluate, mine, loader_of(x, labels), loss_fn, torch.device("cpu"), metric)
    want = reference.evaluate(theirs, loader_of(x, labels), nn.CrossEntropyLoss(), torch.device("cpu"), accuracy)
    context = f"Called {got.text} ({BATCH_SIZES})."
    expect.that(isinstance(got.value, dict) and {"loss", "metric"} <= set(got.value),
                f"{context}\nIt returned {got.value!r}; expected a dict with keys 'loss' and 'metric'.")
    for key, recorder in (("loss", loss_fn), ("metric", metric)):
        value = as_number(got.value[key], f"{context}\nIn the result's {key!r}:")
        if len(recorder.calls) == 3:
            expect_weighted_mean(value, recorded_losses(recorder), context, what=key)
        why = mistakes.describe("eval_mode_missing") if mine.training else "Is Dropout still active?"
        expect.that(math.isclose(value, want[key], rel_tol=1e-5, abs_tol=1e-7),
                    f"{context}\nIt returned {key} {value:.6f}; the reference returned {want[key]:.6f}. {why}")
    alone = call(learner.evaluate, mine, loader_of(x, labels), nn.CrossEntropyLoss(), torch.device("cpu"))
    expect.that(isinstance(alone.value, dict) and "loss" in alone.value,
                f"Called {alone.text} without a metric.\nIt returned {alone.value!r}; expected {{'loss': ...}}.")


@evaluate.check(points=2)
def test_8_2_eval_mode_without_gradients(learner):
    """Does every forward pass of evaluate run in eval mode with gradients off, even if the model arrives in
    training mode?"""
    x, labels = classification_data()
    model = ModeSpy(twin_models(classifier)[0]).train()
    got = call(learner.evaluate, model, loader_of(x, labels), nn.CrossEntropyLoss(), torch.device("cpu"), accuracy)
    expect.that(len(model.records) == 3,
                f"Called {got.text} ({BATCH_SIZES}).\nThe model's forward ran {len(model.records)} times; expected 3.")
    expect.that(not any(training for training, _ in model.records),
                f"Called {got.text} on a model in training mode.\nForward calls: {model.describe()}. "
                f"{mistakes.describe('eval_mode_missing')}")
    expect.that(not any(grad for _, grad in model.records),
                f"Called {got.text}.\nForward calls: {model.describe()}. {mistakes.describe('no_grad_missing')}")


@evaluate.check(points=1)
def test_8_2_changes_nothing(learner):
    """Does evaluate leave every parameter, buffer (BatchNorm statistics) and .grad as it found them?"""
    x, labels = classification_data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 4)).train()
    before = state_of(model)
    got = call(learner.evaluate, model, loader_of(x, labels), nn.CrossEntropyLoss(), torch.device("cpu"))
    expect_same_state(model, before, what=f"Called {got.text} on a model with BatchNorm.", hint=(
        "Evaluating changed the model. BatchNorm updates its running statistics in training mode: call "
        "model.eval() first; and never call backward() or optimizer.step() in evaluate."))
    touched = [name for name, parameter in model.named_parameters() if parameter.grad is not None]
    expect.that(not touched, f"Called {got.text}.\nAfterwards {touched} have a .grad: evaluate ran backward(). "
                             "Evaluation only measures; it computes no gradients.")


@evaluate.check(points=1)
def test_8_2_on_device(learner, reference, device):
    """With the model on `device` and the loader on the cpu, does evaluate move every batch to the device?"""
    x, labels = classification_data()
    mine, theirs = (model.to(device) for model in twin_models(classifier))
    loss_fn, metric = valueless_on_meta(nn.CrossEntropyLoss()), valueless_on_meta(accuracy)
    got = call(learner.evaluate, mine, loader_of(x, labels), loss_fn, device, metric)
    want = reference.evaluate(theirs, loader_of(x, labels), loss_fn, device, metric)
    expect.that(isinstance(got.value, dict) and {"loss", "metric"} <= set(got.value),
                f"Called {got.text}.\nIt returned {got.value!r}; expected a dict with keys 'loss' and 'metric'.")
    for key in ("loss", "metric"):
        value = as_number(got.value[key], f"Called {got.text}.\nIn the result's {key!r}:")
        if device.type != "meta":
            expect.that(math.isclose(value, want[key], rel_tol=1e-5, abs_tol=1e-6),
                        f"Called {got.text}.\nIt returned {key} {value:.6f}; expected {want[key]:.6f}.")


# ---------------------------------------------------------------------------------------------------------- 8.3 fit

def scripted_epochs(val_losses):
    """A train_epoch that sets every parameter to the epoch number (1, 2, ...) in place, as an optimizer would,
    and an evaluate_epoch that returns the scripted validation losses in turn."""

    def train_epoch(model, loader, loss_fn, optimizer, device):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(len(train.calls))
        return 1.0 / len(train.calls)

    def evaluate_epoch(model, loader, loss_fn, device):
        return {"loss": val_losses[len(evaluation.calls) - 1]}

    train, evaluation = Recorder(train_epoch, "train_epoch"), Recorder(evaluate_epoch, "evaluate_epoch")
    return train, evaluation


def run_scripted_fit(learner, val_losses, epochs, patience, device=torch.device("cpu")):
    model = nn.Linear(3, 2).to(device)
    train, evaluation = scripted_epochs(val_losses)
    x, y = regression_data()
    got = call(learner.fit, model, loader_of(x, y), loader_of(x, y), nn.MSELoss(), sgd(model), device, epochs=epochs,
               patience=patience, train_epoch=train, evaluate_epoch=evaluation)
    context = (f"Called {got.text.split('(')[0]}(..., epochs={epochs}, patience={patience}) with an evaluate_epoch "
               f"that returns validation losses {val_losses[:epochs]} in turn.")
    expect.that(len(train.calls) > 0 and len(evaluation.calls) > 0,
                f"{context}\nfit called train_epoch {len(train.calls)} and evaluate_epoch {len(evaluation.calls)} "
                "times: it must use the train_epoch and evaluate_epoch it is given (the checks pass the reference "
                "ones), not call other functions directly.")
    return model, got, train, evaluation, context


@fit.check(points=2)
def test_8_3_history_matches_reference(learner, reference):
    """Trained with the reference epoch functions, does fit give the reference's history and final weights?"""
    x, y = regression_data(samples=12, seed=3)
    val_x, val_y = regression_data(samples=10, seed=4)
    mine, theirs = twin_models(mlp)
    options = dict(epochs=4, patience=10, train_epoch=reference.train_one_epoch, evaluate_epoch=reference.evaluate)
    got = call(learner.fit, mine, loader_of(x, y), loader_of(val_x, val_y), nn.MSELoss(), sgd(mine),
               torch.device("cpu"), **options)
    want = reference.fit(theirs, loader_of(x, y), loader_of(val_x, val_y), nn.MSELoss(), sgd(theirs),
                         torch.device("cpu"), **options)
    context = f"Called {got.text} (epochs=4, patience=10: no early stop)."
    history = got.value
    expect.that(isinstance(history, dict) and {"train_loss", "val_loss", "best_epoch"} <= set(history),
                f"{context}\nIt returned {history!r}; expected a dict with 'train_loss', 'val_loss' and 'best_epoch'.")
    for key in ("train_loss", "val_loss"):
        curves.record(key.replace("_", " "), history[key], want[key])
        expect.that(isinstance(history[key], list) and len(history[key]) == 4,
                    f"{context}\nhistory[{key!r}] is {history[key]!r}; expected a list of 4 floats, one per epoch.")
        values = torch.tensor([as_number(v, f"{context}\nIn history[{key!r}]:") for v in history[key]])
        expect.close(values, torch.tensor(want[key]), what=f"{context}\nhistory[{key!r}]:", rtol=1e-5, atol=1e-7)
    expect.that(history["best_epoch"] == want["best_epoch"],
                f"{context}\nhistory['best_epoch'] is {history['best_epoch']!r}; expected {want['best_epoch']}.")
    expect_same_state(mine, state_of(theirs), what=context)


@fit.check(points=2)
def test_8_3_stops_after_patience(learner):
    """Does fit stop once `patience` epochs in a row fail to improve the validation loss, and not before?"""
    scripts = [([1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5], 8, 2, 4),
               ([1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5], 8, 3, 5),
               ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3], 5, 2, 5)]
    for val_losses, epochs, patience, expected in scripts:
        model, got, train, evaluation, context = run_scripted_fit(learner, val_losses, epochs, patience)
        ran = len(train.calls)
        advice = ""
        if ran == expected - 1 or ran == expected + 1:
            advice = (" Off by one: count the epochs without improvement since the best one, and stop when that "
                      "count reaches patience.")
        elif ran == epochs and expected < epochs:
            advice = " It never stopped early."
        expect.that(ran == expected,
                    f"{context}\nIt ran {ran} epochs; expected {expected}: the best loss is followed by {patience} "
                    f"epochs without improvement{' (or the epochs run out)' if expected == epochs else ''}.{advice}")
        history = got.value
        expect.that(isinstance(history, dict) and len(history.get("val_loss", [])) == expected
                    and len(history.get("train_loss", [])) == expected,
                    f"{context}\nIt returned {history!r}; expected 'train_loss' and 'val_loss' lists of {expected} "
                    "values, one per epoch run.")


@fit.check(points=2)
def test_8_3_restores_best_weights(learner):
    """Does fit leave the model with the weights of its best validation epoch, also without an early stop?"""
    for val_losses, epochs, patience, best in (([1.0, 0.8, 0.9, 0.85, 0.95], 5, 2, 1), ([1.0, 0.5, 0.7], 3, 5, 1)):
        model, got, train, evaluation, context = run_scripted_fit(learner, val_losses, epochs, patience)
        last = len(train.calls)
        weights = [float(v) for p in model.parameters() for v in p.detach().reshape(-1)]
        if all(w == last for w in weights) and last != best + 1:
            raise AssertionError(
                f"{context}\nThe model ended with the weights of the last epoch ({last}), not of the best one (epoch "
                f"index {best}). Either the best weights were never loaded back (model.load_state_dict(best) after "
                "the loop, also when no early stop happened), or `best = model.state_dict()` was saved without a "
                "copy: its tensors ARE the model's parameters, so later epochs changed them too. Save "
                "{k: v.detach().clone() for k, v in model.state_dict().items()}.")
        expect.that(all(w == best + 1 for w in weights),
                    f"{context}\nAfter fit the parameters are {sorted(set(weights))}; expected every one to be "
                    f"{float(best + 1)}, their value after epoch index {best}, the best validation loss.")
        expect.that(isinstance(got.value, dict) and got.value.get("best_epoch") == best,
                    f"{context}\nIt returned {got.value!r}; expected history['best_epoch'] == {best}.")


@fit.check(points=1)
def test_8_3_passes_device_along(learner, device):
    """Does fit hand its `device` to the epoch functions and leave the model on it?"""
    model, got, train, evaluation, context = run_scripted_fit(learner, [1.0, 0.8, 0.9], 3, 5, device=device)
    seen = {str(args[4] if len(args) > 4 else kwargs.get("device")) for args, kwargs in train.calls}
    seen |= {str(args[3] if len(args) > 3 else kwargs.get("device")) for args, kwargs in evaluation.calls}
    expect.that(seen == {str(device)},
                f"{context}\nThe epoch functions were given devices {sorted(seen)}; expected only {device}, the device "
                "fit was called with.")
    wrong = [name for name, value in model.state_dict().items() if value.device != device]
    expect.that(not wrong, f"{context}\nAfterwards {wrong} are no longer on {device}.")
