"""Chapter 08 as learners get it wrong (MISTAKES.md, Training loop) and right in other styles."""
import copy

import torch

from tests.variants import correct, wrong


@wrong("8.1", "never calls optimizer.zero_grad(): gradients add up across batches")
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


@wrong("8.1", "optimizer.step() before loss.backward()")
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


@wrong("8.1", "total += loss keeps every batch's graph alive")
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


@wrong("8.1", "epoch loss is the mean of the batch means")
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


@wrong("8.1", "never calls model.train()")
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


@wrong("8.1", "x.to(device) result discarded: the batch stays on the cpu")
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


@correct("8.1", "zero_grad after the step, sum-reduced bookkeeping via len(dataset)")
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


@wrong("8.2", "never calls model.eval()")
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


@wrong("8.2", "gradients left on during validation")
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


@wrong("8.2", "mean of the batch means")
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


@wrong("8.2", "copied from the training loop: calls backward while evaluating")
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


@wrong("8.3", "best = model.state_dict() without a copy: the 'best' weights follow training")
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


@wrong("8.3", "best weights restored only when stopping early")
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


@wrong("8.3", "patience off by one (waited > patience)")
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


@wrong("8.3", "ignores the functions it is given and hard-codes the cpu")
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
