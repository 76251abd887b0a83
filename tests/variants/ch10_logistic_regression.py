"""Chapter 10 as learners get it wrong (MISTAKES.md: losses, broadcasting, training loop) and right in other styles."""
import math

import torch
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("10.1", "sigmoid, then BCELoss: log(0) at confident logits")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy(torch.sigmoid(model(x)).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "sigmoid, then binary_cross_entropy_with_logits: the sigmoid twice")
def train_logistic_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(torch.sigmoid(model(x)).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("10.1", "log(sigmoid(z)) by hand: -inf at confident logits")
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


@wrong("10.1", "gradients never zeroed")
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


@wrong("10.2", "threshold compared with the logits")
def predict_labels(logits, threshold=0.5):
    return (logits >= threshold).long()


@wrong("10.2", "labels returned as bool")
def predict_labels(logits, threshold=0.5):
    return torch.sigmoid(logits) >= threshold


@wrong("10.2", "strict > at the threshold: P = 0.5 becomes class 0")
def predict_labels(logits, threshold=0.5):
    return (torch.sigmoid(logits) > threshold).long()


@correct("10.2", "compare logits with logit(threshold), torch.where")
def predict_labels(logits, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return torch.where(logits >= level, 1, 0).to(torch.int64)


@wrong("10.3", "(N, 1) logits compared with (N,) targets: a mean over N x N")
def accuracy(logits, targets, threshold=0.5):
    return (predict_labels(logits, threshold) == targets).float().mean().item()


@wrong("10.3", "threshold not passed on")
def accuracy(logits, targets, threshold=0.5):
    return (predict_labels(logits.reshape(-1)) == targets.long()).float().mean().item()


@wrong("10.3", "returns the number right, not the fraction")
def accuracy(logits, targets, threshold=0.5):
    return float((predict_labels(logits.reshape(-1), threshold) == targets.long()).sum())


@correct("10.3", "count with sum, divide by len, in Python")
def accuracy(logits, targets, threshold=0.5):
    predicted = predict_labels(logits.flatten(), threshold).tolist()
    return sum(int(p == int(t)) for p, t in zip(predicted, targets.tolist())) / len(predicted)


@wrong("10.4", "slope with w1 and w2 swapped")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return -weight[1] / weight[0], (level - bias) / weight[1]


@wrong("10.4", "bias added instead of subtracted")
def decision_boundary(weight, bias, threshold=0.5):
    level = math.log(threshold / (1 - threshold))
    return -weight[0] / weight[1], (level + bias) / weight[1]


@wrong("10.4", "the threshold used as the logit level")
def decision_boundary(weight, bias, threshold=0.5):
    return -weight[0] / weight[1], (threshold - bias) / weight[1]


@wrong("10.4", "floats through .item(): off the graph and the device")
def decision_boundary(weight, bias, threshold=0.5):
    w1, w2, b = weight[0].item(), weight[1].item(), bias.item()
    level = math.log(threshold / (1 - threshold))
    return torch.tensor(-w1 / w2), torch.tensor((level - b) / w2)


@correct("10.4", "torch.logit and unbind")
def decision_boundary(weight, bias, threshold=0.5):
    w1, w2 = weight.unbind()
    level = torch.logit(torch.tensor(threshold, dtype=weight.dtype)).to(weight.device)
    return -(w1 / w2), (level - bias) / w2
