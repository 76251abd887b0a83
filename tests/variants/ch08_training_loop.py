"""Chapter 08 as learners get it wrong (MISTAKES.md, Training loop) and right in other styles."""
import copy

import torch

from tests.variants import correct, wrong


@wrong("8.1", "never calls optimizer.zero_grad(): gradients add up across batches", breaks="per-batch")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


@wrong("8.1", "optimizer.step() before loss.backward()", breaks="step")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        optimizer.step()
        loss.backward()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


@wrong("8.1", "total += loss keeps every batch's graph alive", breaks="plain-numbers")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss * len(inputs)
        count += len(inputs)
    return total / count


@wrong("8.1", "epoch loss is the mean of the batch means", breaks="sample-mean")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    losses = []
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


@wrong("8.1", "never calls model.train()", breaks="train-mode")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


@wrong("8.1", "x.to(device) result discarded: the batch stays on the cpu", breaks="device")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs.to(device)
        targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


@correct("8.1", "detached tensor accumulator, set_to_none by hand, item() at the end")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train(True)
    total, count = torch.zeros((), device=device), 0
    for batch in loader:
        inputs, targets = (part.to(device) for part in batch)
        for parameter in model.parameters():
            parameter.grad = None
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total = total + loss.detach() * targets.shape[0]
        count += targets.shape[0]
    return (total / count).item()


@wrong("8.1", "zero_grad after the step, divides by len(loader.dataset): wrong for a loader over part of its dataset "
       "(the docstring's N is sum_b n_b; outside review 2)", breaks="sample-mean")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    optimizer.zero_grad()
    running = 0.0
    for inputs, targets in loader:
        outputs = model(inputs.to(device))
        loss = loss_fn(outputs, targets.to(device))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        running += float(loss) * inputs.size(0)
    return running / len(loader.dataset)


@wrong("8.2", "never calls model.eval()", breaks="eval-mode")
def evaluate(model, loader, loss_fn, device, metric=None):
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@wrong("8.2", "gradients left on during validation", breaks="no-grad")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        loss_total += loss_fn(outputs, targets).item() * len(inputs)
        if metric is not None:
            metric_total += metric(outputs, targets).item() * len(inputs)
        count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@wrong("8.2", "mean of the batch means", breaks="weighted")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    losses, scores = [], []
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs.to(device))
            losses.append(float(loss_fn(outputs, targets.to(device))))
            if metric is not None:
                scores.append(float(metric(outputs, targets.to(device))))
    results = {"loss": sum(losses) / len(losses)}
    if metric is not None:
        results["metric"] = sum(scores) / len(scores)
    return results


@wrong("8.2", "copied from the training loop: calls backward while evaluating", breaks="unchanged")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        loss_total += loss.item() * len(inputs)
        if metric is not None:
            metric_total += float(metric(outputs, targets)) * len(inputs)
        count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@correct("8.2", "inference_mode, concatenated per-sample losses, previous mode restored")
def evaluate(model, loader, loss_fn, device, metric=None):
    was_training = model.training
    model.eval()
    weighted_losses, weighted_metrics, sizes = [], [], []
    with torch.inference_mode():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            sizes.append(len(targets))
            weighted_losses.append(loss_fn(outputs, targets) * len(targets))
            if metric is not None:
                weighted_metrics.append(metric(outputs, targets) * len(targets))
    model.train(was_training)
    total = sum(sizes)
    results = {"loss": float(torch.stack(weighted_losses).sum() / total)}
    if metric is not None:
        results["metric"] = float(torch.stack(weighted_metrics).sum() / total)
    return results


@wrong("8.3", "best = model.state_dict() without a copy: the 'best' weights follow training", breaks="copy")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer, device))
        val_loss = evaluate_epoch(model, val_loader, loss_fn, device)["loss"]
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = model.state_dict()
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "best weights restored only when stopping early", breaks="best-weights")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer, device))
        val_loss = evaluate_epoch(model, val_loader, loss_fn, device)["loss"]
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                model.load_state_dict(best_state)
                break
    return history


@wrong("8.3", "patience off by one (waited > patience)", breaks="patience")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer, device))
        val_loss = evaluate_epoch(model, val_loader, loss_fn, device)["loss"]
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited > patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "ignores the functions it is given and hard-codes the cpu", breaks="epoch-calls")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer, "cpu"))
        val_loss = evaluate(model, val_loader, loss_fn, "cpu")["loss"]
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@correct("8.3", "deepcopy of the state dict, best epoch found from the history")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch if train_epoch is not None else train_one_epoch
    evaluate_epoch = evaluate_epoch if evaluate_epoch is not None else evaluate
    train_losses, val_losses, best = [], [], None
    for epoch in range(epochs):
        train_losses.append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_losses.append(float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"]))
        best_epoch = min(range(len(val_losses)), key=val_losses.__getitem__)
        if best_epoch == epoch:
            best = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best)
    return {"train_loss": train_losses, "val_loss": val_losses, "best_epoch": best_epoch}


# --- issue 9: one wrong implementation per clause, and more styles that are right

@wrong("8.1", "counts the samples with a first pass over the loader: a shuffled loader then trains in another order",
       breaks="one-pass")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    count = sum(len(inputs) for inputs, _ in loader)
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
    return total / count


@wrong("8.1", "returns the epoch loss as a 0-dim tensor (no graph), not a float", breaks="float")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return torch.tensor(total / count)


@wrong("8.1", "skips the smaller last batch", breaks="batches")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        if len(inputs) < loader.batch_size:
            continue
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


@wrong("8.1", "zero_grad only after each step: the first batch steps with the old gradients added",
       breaks="old-gradients")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count


@wrong("8.1", "weights every batch by loader.batch_size (the last batch is smaller)", breaks="sample-mean")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * loader.batch_size
        count += loader.batch_size
    return total / count


@correct("8.1", "losses copied to the cpu, one list, numpy average with the batch sizes as weights")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    import numpy as np

    model.train()
    losses, sizes = [], []
    for inputs, targets in loader:
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(inputs.to(device)), targets.to(device))
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().cpu().item())
        sizes.append(len(targets))
    return float(np.average(losses, weights=sizes))


@wrong("8.2", "returns a tuple (loss, metric), not a dict", breaks="result")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    return loss_total / count, (metric_total / count if metric is not None else None)


@wrong("8.2", "the batches stay on the cpu", breaks="device")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@wrong("8.2", "softmax before the loss function", breaks="values")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs.softmax(dim=1), targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@wrong("8.2", "returns 0-dim tensors, not floats", breaks="floats")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total = loss_total + loss_fn(outputs, targets) * len(inputs)
            if metric is not None:
                metric_total = metric_total + metric(outputs, targets) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@wrong("8.2", "always returns a 'metric' key, None without a metric", breaks="metric-none")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    return {"loss": loss_total / count, "metric": metric_total / count if metric is not None else None}


@wrong("8.2", "names the metric's key after the metric function", breaks="metric-given")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results[getattr(metric, "__name__", "metric")] = metric_total / count
    return results


@wrong("8.2", "no torch.no_grad(): detaches the outputs instead, after the graph was built", breaks="no-graph")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs).detach()
        loss_total += float(loss_fn(outputs, targets)) * len(inputs)
        if metric is not None:
            metric_total += float(metric(outputs, targets)) * len(inputs)
        count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@wrong("8.2", "model.zero_grad() first, 'to be safe': the training gradients are gone", breaks="unchanged")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.zero_grad()
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


@correct("8.2", "one pass collecting every output, then the loss and metric on the concatenation")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    outputs, targets = [], []
    with torch.no_grad():
        for batch_inputs, batch_targets in loader:
            outputs.append(model(batch_inputs.to(device)))
            targets.append(batch_targets.to(device))
        everything, truth = torch.cat(outputs), torch.cat(targets)
        results = {"loss": loss_fn(everything, truth).item()}
        if metric is not None:
            results["metric"] = metric(everything, truth).item()
    return results


@wrong("8.3", "range(1, epochs): one epoch too few", breaks="epochs")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch - 1
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@wrong("8.3", "a default only for train_epoch: evaluate_epoch=None is called", breaks="defaults")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    if train_epoch is None:
        train_epoch = train_one_epoch
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "a tie counts as an improvement (<=)", breaks="improves")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss <= best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "a shallow copy of the state dict: dict(model.state_dict()) still holds the live tensors",
       breaks="copy")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = dict(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "counts every epoch without improvement, never resetting the count", breaks="patience")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, stalls = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, history["best_epoch"] = val_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            stalls += 1
            if stalls >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "load_state_dict(best, assign=True): new parameter objects the optimizer does not hold",
       breaks="restore")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state, assign=True)
    return history


@wrong("8.3", "history keys 'train' and 'val'", breaks="history")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train": [], "val": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "appends what the epoch functions return, unconverted", breaks="floats")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer, device))
        val_loss = evaluate_epoch(model, val_loader, loss_fn, device)["loss"]
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@wrong("8.3", "best_epoch counted from 1", breaks="zero-based")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@correct("8.3", "a deep copy of the whole model as the best one, epochs counted down, .item() on tensor losses")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    if train_epoch is None:
        train_epoch = train_one_epoch
    if evaluate_epoch is None:
        evaluate_epoch = evaluate

    def number(value):
        return value.item() if isinstance(value, torch.Tensor) else float(value)

    train_losses, val_losses = [], []
    best_model, best_epoch, best_loss, left = None, -1, None, patience
    for epoch in range(epochs):
        train_losses.append(number(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_losses.append(number(evaluate_epoch(model, val_loader, loss_fn, device)["loss"]))
        if best_loss is None or val_losses[-1] < best_loss:
            best_model, best_epoch, best_loss, left = copy.deepcopy(model), epoch, val_losses[-1], patience
        else:
            left -= 1
            if left == 0:
                break
    model.load_state_dict(best_model.state_dict())
    return {"train_loss": train_losses, "val_loss": val_losses, "best_epoch": best_epoch}


@wrong("8.2", "freezes the parameters (requires_grad_(False)) instead of torch.no_grad()", breaks="unchanged")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    loss_total, metric_total, count = 0.0, 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        loss_total += float(loss_fn(outputs, targets)) * len(inputs)
        if metric is not None:
            metric_total += float(metric(outputs, targets)) * len(inputs)
        count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results


# --- outside review r2: false pass made to fail --------------------------------------------------------------------

@wrong("8.1", "accumulates the loss TENSORS (keeps every graph alive), float at the end (r2)", breaks="plain-numbers")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total = total + loss * len(inputs); count += len(inputs)
    return float(total / count)


# --- issue 9, outside review 2 (ch05-08): false passes found by implementations written without seeing the checks --

@wrong("8.1", "divides by len(loader.dataset): wrong for a loader that yields only part of its dataset (drop_last, a "
       "sampler) (outside review 2)", breaks="sample-mean")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
    return total / len(loader.dataset)


@wrong("8.2", "divides by len(loader.dataset): wrong for a loader that yields only part of its dataset (drop_last, a "
       "sampler) (outside review 2)", breaks="weighted")
def evaluate(model, loader, loss_fn, device, metric=None):
    model.eval()
    loss_total, metric_total = 0.0, 0.0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
    results = {"loss": loss_total / len(loader.dataset)}
    if metric is not None:
        results["metric"] = metric_total / len(loader.dataset)
    return results


@wrong("8.3", "an improvement must beat the best by more than 1e-4 (a min_delta): a smaller one counts as a stall "
       "(outside review 2)", breaks="improves")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss - 1e-4:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@correct("8.1", "weights each batch by targets.numel(): the same ratio, every sample has as many target elements "
         "(outside review 2)")
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * targets.numel()
        count += targets.numel()
    return total / count


@wrong("8.3", "parameters cloned for the best copy, buffers (BatchNorm's running statistics) kept as live aliases "
       "(outside review 3)", breaks="copy")
def fit(model, train_loader, val_loader, loss_fn, optimizer, device, *, epochs, patience, train_epoch=None,
        evaluate_epoch=None):
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            params = dict(model.named_parameters())
            best_state = {name: (value.detach().clone() if name in params else value)
                          for name, value in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
