"""Chapter 10 as learners get it wrong (MISTAKES.md: losses, broadcasting, training loop) and right in other styles."""
import math

import torch
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("10.1", "sigmoid, then BCELoss: log(0) at confident logits", breaks="logits")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy(torch.sigmoid(model(x)).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "sigmoid, then binary_cross_entropy_with_logits: the sigmoid twice", breaks="logits")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(torch.sigmoid(model(x)).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "log(sigmoid(z)) by hand: -inf at confident logits", breaks="logits")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        p = torch.sigmoid(model(x).squeeze(1))
        loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "gradients never zeroed", breaks="step")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@correct("10.1", "nn.BCEWithLogitsLoss on (N, 1) logits against y[:, None]")
def train_logistic_regression(model, x, y, optimizer, steps):
    criterion = torch.nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y.unsqueeze(1))
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


@correct("10.1", "the stable formula by hand: softplus(z) - z * y")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        z = model(x)[:, 0]
        loss = (F.softplus(z) - z * y).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.2", "threshold compared with the logits", breaks="threshold")
def predict_labels(logits, threshold=0.5):
    return (logits >= threshold).long()


@wrong("10.2", "labels returned as bool", breaks="labels")
def predict_labels(logits, threshold=0.5):
    return torch.sigmoid(logits) >= threshold


@wrong("10.2", "strict > at the threshold: P = 0.5 becomes class 0", breaks="tie")
def predict_labels(logits, threshold=0.5):
    return (torch.sigmoid(logits) > threshold).long()


@correct("10.2", "compare logits with logit(threshold), torch.where")
def predict_labels(logits, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return torch.where(logits >= level, 1, 0).to(torch.int64)


@wrong("10.3", "(N, 1) logits compared with (N,) targets: a mean over N x N", breaks="broadcast")
def accuracy(logits, targets, threshold=0.5):
    return (predict_labels(logits, threshold) == targets).float().mean().item()


@wrong("10.3", "threshold not passed on", breaks="threshold")
def accuracy(logits, targets, threshold=0.5):
    return (predict_labels(logits.reshape(-1)) == targets.long()).float().mean().item()


@wrong("10.3", "returns the number right, not the fraction", breaks="fraction")
def accuracy(logits, targets, threshold=0.5):
    return float((predict_labels(logits.reshape(-1), threshold) == targets.long()).sum())


@correct("10.3", "count with sum, divide by len, in Python")
def accuracy(logits, targets, threshold=0.5):
    predicted = predict_labels(logits.flatten(), threshold).tolist()
    return sum(int(p == int(t)) for p, t in zip(predicted, targets.tolist())) / len(predicted)


@wrong("10.4", "slope with w1 and w2 swapped", breaks="formula")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return -weight[1] / weight[0], (level - bias) / weight[1]


@wrong("10.4", "bias added instead of subtracted", breaks="line")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return -weight[0] / weight[1], (level + bias) / weight[1]


@wrong("10.4", "the threshold used as the logit level", breaks="threshold")
def decision_boundary(weight, bias, threshold=0.5):
    return -weight[0] / weight[1], (threshold - bias) / weight[1]


@wrong("10.4", "floats through .item(): off the graph and the device", breaks="differentiable")
def decision_boundary(weight, bias, threshold=0.5):
    w1, w2, b = weight[0].item(), weight[1].item(), bias.item()
    level = math.log(threshold / (1 - threshold))
    return torch.tensor(-w1 / w2), torch.tensor((level - b) / w2)


@correct("10.4", "torch.logit and unbind")
def decision_boundary(weight, bias, threshold=0.5):
    w1, w2 = weight.unbind()
    level = torch.logit(torch.tensor(threshold, dtype=weight.dtype)).to(weight.device)
    return -(w1 / w2), (level - bias) / w2


# --- issue 9: one wrong implementation per clause, and more styles that are right

@wrong("10.1", "log(1 + exp(z)) - z * y by hand: exp overflows to inf past z = 88", breaks="overflow")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        z = model(x).squeeze(1)
        loss = (torch.log(1 + torch.exp(z)) - z * y).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "a sum over the batch, not a mean", breaks="loss")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y, reduction="sum")
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "zero_grad after the step only: the first step uses the old gradients too", breaks="old-gradients")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


@wrong("10.1", "optimizer.step() before loss.backward()", breaks="order")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        optimizer.step()
        loss.backward()
        losses.append(loss.item())
    return losses


@wrong("10.1", "a fresh SGD with the given learning rate: momentum and Adam's state are lost", breaks="optimizer")
def train_logistic_regression(model, x, y, optimizer, steps):
    optimizer = torch.optim.SGD(model.parameters(), lr=optimizer.param_groups[0]["lr"])
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "records the loss after the update", breaks="before-update")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(x).squeeze(1), y).backward()
        optimizer.step()
        with torch.no_grad():
            losses.append(F.binary_cross_entropy_with_logits(model(x).squeeze(1), y).item())
    return losses


@wrong("10.1", "keeps the loss tensors", breaks="floats")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses


@wrong("10.1", "one sample per step, in turn: stochastic, not full-batch", breaks="gradient-descent")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for step in range(steps):
        row = step % len(x)
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x[row:row + 1]).squeeze(1), y[row:row + 1])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@correct("10.1", "logsigmoid formula, zero_grad(set_to_none=False), .cpu().item()")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        z = model(x).view(-1)
        loss = -(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z)).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().cpu().item())
    return losses


@wrong("10.2", "the comparison the wrong way round: 1 below the threshold", breaks="rule")
def predict_labels(logits, threshold=0.5):
    return (torch.sigmoid(logits) <= threshold).long()


@wrong("10.2", "a numpy round trip: numpy has no bfloat16", breaks="dtypes")
def predict_labels(logits, threshold=0.5):
    import numpy as np

    probabilities = 1 / (1 + np.exp(-logits.detach().cpu().numpy().astype(np.float64)))
    return torch.from_numpy((probabilities >= threshold).astype(np.int64)).to(logits.device)


@wrong("10.2", "labels made with torch.zeros on the default device", breaks="device")
def predict_labels(logits, threshold=0.5):
    labels = torch.zeros(logits.shape[0], dtype=torch.int64)
    labels[torch.sigmoid(logits) >= threshold] = 1
    return labels


@wrong("10.2", "sigmoid_() in place: the caller's logits become probabilities", breaks="unchanged")
def predict_labels(logits, threshold=0.5):
    return (logits.sigmoid_() >= threshold).long()


@wrong("10.2", "default threshold 0 (read as 'z >= 0'), compared with the probability", breaks="default")
def predict_labels(logits, threshold=0.0):
    return (torch.sigmoid(logits) >= threshold).long()


@correct("10.2", "probabilities in float64 on the cpu, labels moved back")
def predict_labels(logits, threshold=0.5):
    probabilities = torch.sigmoid(logits.detach().cpu().double())
    return (probabilities >= threshold).to(torch.int64).to(logits.device)


@wrong("10.3", "logits[:, 0]: only (N, 1) logits work", breaks="shapes")
def accuracy(logits, targets, threshold=0.5):
    return (predict_labels(logits[:, 0], threshold) == targets.long()).float().mean().item()


@wrong("10.3", "the logits through numpy: numpy has no bfloat16", breaks="dtypes")
def accuracy(logits, targets, threshold=0.5):
    flat = torch.from_numpy(logits.detach().cpu().numpy().reshape(-1))
    return (predict_labels(flat, threshold) == targets.long()).float().mean().item()


@wrong("10.3", "indexes a table with the targets: only integer targets work", breaks="targets")
def accuracy(logits, targets, threshold=0.5):
    predicted = predict_labels(logits.reshape(-1), threshold)
    table = torch.stack([1 - predicted, predicted], dim=1)  # (N, 2): one-hot of the prediction
    return table[torch.arange(len(targets)), targets].float().mean().item()


@wrong("10.3", "default threshold 0: every label is 1", breaks="default")
def accuracy(logits, targets, threshold=0.0):
    return (predict_labels(logits.reshape(-1), threshold) == targets.long()).float().mean().item()


@wrong("10.3", "returns a 0-dim tensor, not a float", breaks="float")
def accuracy(logits, targets, threshold=0.5):
    return (predict_labels(logits.reshape(-1), threshold) == targets.long()).float().mean()


@wrong("10.3", "squeeze_ flattens the caller's (N, 1) logits in place", breaks="unchanged")
def accuracy(logits, targets, threshold=0.5):
    if logits.dim() == 2:
        logits.squeeze_(1)
    return (predict_labels(logits, threshold) == targets.long()).float().mean().item()


@correct("10.3", "flatten, eq, double mean, through the cpu")
def accuracy(logits, targets, threshold=0.5):
    predicted = predict_labels(logits.flatten(), threshold).cpu()
    return predicted.eq(targets.reshape(-1).cpu().long()).double().mean().item()


@wrong("10.4", "default threshold 0: log(0) is -inf", breaks="default")
def decision_boundary(weight, bias, threshold=0.0):
    level = math.log(threshold / (1 - threshold)) if threshold > 0 else -math.inf
    return -weight[0] / weight[1], (level - bias) / weight[1]


@wrong("10.4", "weight[0:1] slices: (1,) tensors, not 0-dim", breaks="zero-dim")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return -weight[0:1] / weight[1:2], (level - bias) / weight[1:2]


@wrong("10.4", "cast to float32 for plotting", breaks="dtype-device")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return (-weight[0] / weight[1]).float(), ((level - bias) / weight[1]).float()


@wrong("10.4", "bias[0], as for model.bias: a 0-dim bias cannot be indexed", breaks="inputs")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return -weight[0] / weight[1], (level - bias[0]) / weight[1]


@wrong("10.4", "returns (intercept, slope)", breaks="plot")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return (level - bias) / weight[1], -weight[0] / weight[1]


@correct("10.4", "log(t) - log1p(-t) as the level, one division by w2")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold) - math.log1p(-threshold)
    w1, w2 = weight.unbind()
    return torch.neg(w1).div(w2), torch.sub(level, bias).div(w2)


@correct("10.4", "the level as a float32 torch.logit, whatever the weight's dtype")
def decision_boundary(weight, bias, threshold=0.5):
    level = torch.logit(torch.tensor(threshold))
    return -weight[0] / weight[1], (level.to(weight.device) - bias) / weight[1]


@wrong("10.1", "a new optimizer of the same class and settings: the state it arrived with is lost",
       breaks="optimizer")
def train_logistic_regression(model, x, y, optimizer, steps):
    optimizer = type(optimizer)(model.parameters(), **optimizer.defaults)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.2", "labels moved to the cpu at the end", breaks="device")
def predict_labels(logits, threshold=0.5):
    return (torch.sigmoid(logits) >= threshold).long().cpu()


@wrong("10.1", "logits squeezed with .squeeze(): a single sample (N = 1) leaves a 0-dim logit against (1,) targets "
       "(outside review 2)", breaks="loss")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.2", "sigmoid computed in float16 (logits.half()): float32 logits near the threshold get the wrong label "
       "(outside review 2)", breaks="rule")
def predict_labels(logits, threshold=0.5):
    return (torch.sigmoid(logits.half()) >= threshold).long()


@correct("10.2", "the exact rule z >= logit(threshold), compared in float64 (outside review 2)")
def predict_labels(logits, threshold=0.5):
    level = math.log(threshold) - math.log1p(-threshold)
    return (logits.double() >= level).to(torch.int64)


@wrong("10.3", "mismatches counted in float16: counts past 2048 are rounded (outside review 2)", breaks="fraction")
def accuracy(logits, targets, threshold=0.5):
    predicted = predict_labels(logits.reshape(-1), threshold)
    mismatches = (predicted != targets.long()).half().sum()
    return 1.0 - mismatches.item() / targets.shape[0]


@wrong("10.4", "weight and bias brought to the cpu (.cpu()) before the arithmetic (outside review 3)",
       breaks="dtype-device")
def decision_boundary(weight, bias, threshold=0.5):
    w, b = weight.cpu(), bias.cpu()
    level = math.log(threshold / (1 - threshold))
    return -w[0] / w[1], (level - b) / w[1]


@wrong("10.4", "the slope detached: gradcheck skips an output that does not require grad (outside review 3)",
       breaks="differentiable")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return (-weight[0] / weight[1]).detach(), (level - bias) / weight[1]


@wrong("10.1", "at least one step: range(max(steps, 1)), so steps = 0 still updates the model (outside review 3)",
       breaks="loss")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(max(steps, 1)):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses[:steps]


@wrong("10.2", "labels rebuilt with torch.tensor from a Python list: on the default device, not the logits' "
       "(outside review 4)", breaks="device")
def predict_labels(logits, threshold=0.5):
    return torch.tensor([1 if float(torch.sigmoid(z)) >= threshold else 0 for z in logits], dtype=torch.long)
