"""Chapter 11 as learners get it wrong (MISTAKES.md: regularization, optimizers, modes) and right in other styles."""
import copy

import torch
from torch import nn
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("11.1", "biases penalized too")
def l2_penalty(model, lam):
    return lam * sum(p.pow(2).sum() for p in model.parameters())


@wrong("11.1", "MSELoss against zeros: divides by the number of elements")
def l2_penalty(model, lam):
    weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    return lam * sum(F.mse_loss(w, torch.zeros_like(w)) for w in weights)


@wrong("11.1", "computed from state_dict(): no gradient")
def l2_penalty(model, lam):
    return lam * sum(v.pow(2).sum() for k, v in model.state_dict().items() if not k.endswith("bias"))


@wrong("11.1", "the norm, not its square")
def l2_penalty(model, lam):
    return lam * sum(torch.linalg.vector_norm(p) for n, p in model.named_parameters() if not n.endswith("bias"))


@correct("11.1", "nn.Linear modules' .weight, summed with torch.sum(w * w)")
def l2_penalty(model, lam):
    total = 0.0
    for module in model.modules():
        if isinstance(module, nn.Linear):
            total = total + torch.sum(module.weight * module.weight)
    return lam * total


@correct("11.1", "parameters with more than one dimension, squared norms")
def l2_penalty(model, lam):
    return lam * torch.stack([torch.linalg.vector_norm(p) ** 2 for p in model.parameters() if p.dim() > 1]).sum()


@wrong("11.2", "no abs: negative weights cancel")
def l1_penalty(model, lam):
    return lam * sum(p.sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "squared, as L2")
def l1_penalty(model, lam):
    return lam * sum(p.abs().sum() ** 2 for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "biases penalized too")
def l1_penalty(model, lam):
    return lam * sum(p.abs().sum() for p in model.parameters())


@correct("11.2", "vector_norm with ord=1 over the weights")
def l1_penalty(model, lam):
    weights = [p for n, p in model.named_parameters() if "bias" not in n.rsplit(".", 1)[-1]]
    return lam * sum(torch.linalg.vector_norm(w, ord=1) for w in weights)


@wrong("11.3", "penalties divided by the batch size")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y) + (l1_penalty(model, l1) + l2_penalty(model, l2)) / len(x)


@wrong("11.3", "L1 forgotten")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y) + l2_penalty(model, l2)


@wrong("11.3", "penalty multiplied by the batch size (a sum-style loss habit)")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y) + x.shape[0] * l1_penalty(model, l1) + x.shape[0] * l2_penalty(model, l2)


@correct("11.3", "penalties first, then the data loss, with a local variable")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    penalty = l2_penalty(model, l2) + l1_penalty(model, l1)
    data = loss_fn(model(x), y)
    return penalty + data


@wrong("11.4", "no 1 / (1 - p) scaling")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p)


@wrong("11.4", "scaled at eval time instead of in training")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        return x * (torch.rand_like(x) >= self.p)


@wrong("11.4", "p taken as the keep probability")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) < self.p) / self.p


@wrong("11.4", "one mask shared by the whole batch")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x[:1]) >= self.p) / (1 - self.p)


@wrong("11.4", "F.dropout without training=self.training")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p)


@wrong("11.4", "mask made on the default device")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand(x.shape) >= self.p) / (1 - self.p)


@wrong("11.4", "input modified in place")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        x *= (torch.rand_like(x) >= self.p) / (1 - self.p)
        return x


@correct("11.4", "torch.bernoulli on a tensor of keep probabilities")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
            return mask * x / (1 - self.p)
        return x


@correct("11.4", "F.dropout with training=self.training")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training)


@wrong("11.5", "penalty weight_decay * ||theta||^2, without the 1/2")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    opt_a, opt_b = make_optimizer(decayed.parameters(), weight_decay), make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        (loss_fn(penalized(x), y) + weight_decay * sum(p.pow(2).sum() for p in penalized.parameters())).backward()
        opt_b.step()
    return decayed.state_dict(), penalized.state_dict()


@wrong("11.5", "penalty over the weights only: weight decay reaches biases too")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    opt_a, opt_b = make_optimizer(decayed.parameters(), weight_decay), make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        weights = [p for n, p in penalized.named_parameters() if not n.endswith("bias")]
        (loss_fn(penalized(x), y) + weight_decay / 2 * sum(w.pow(2).sum() for w in weights)).backward()
        opt_b.step()
    return decayed.state_dict(), penalized.state_dict()


@wrong("11.5", "no copies: the caller's model is trained, the second run starts where the first ended")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    results = []
    for wd, lam in ((weight_decay, 0.0), (0.0, weight_decay / 2)):
        optimizer = make_optimizer(model.parameters(), wd)
        for _ in range(steps):
            optimizer.zero_grad()
            (loss_fn(model(x), y) + lam * sum(p.pow(2).sum() for p in model.parameters())).backward()
            optimizer.step()
        results.append({k: v.clone() for k, v in model.state_dict().items()})
    return results[0], results[1]


@wrong("11.5", "optimizer rebuilt every step: Adam's moments and momentum reset")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    for _ in range(steps):
        opt_a = make_optimizer(decayed.parameters(), weight_decay)
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b = make_optimizer(penalized.parameters(), 0.0)
        opt_b.zero_grad()
        (loss_fn(penalized(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in penalized.parameters())).backward()
        opt_b.step()
    return decayed.state_dict(), penalized.state_dict()


@correct("11.5", "one helper run twice, one copy after the other, detached clones returned")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    def train(optimizer_decay, penalty):
        copy_ = copy.deepcopy(model)
        optimizer = make_optimizer(copy_.parameters(), optimizer_decay)
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(copy_(x), y)
            if penalty:
                loss = loss + penalty * torch.cat([p.flatten() for p in copy_.parameters()]).pow(2).sum()
            loss.backward()
            optimizer.step()
        return {k: v.detach().clone() for k, v in copy_.state_dict().items()}

    return train(weight_decay, 0.0), train(0.0, weight_decay / 2)


@wrong("11.6", "losses measured in training mode with gradients on")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    return F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item()


@wrong("11.6", "penalty left out of the training loss")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x_train), y_train).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item()


@wrong("11.6", "measured losses include the penalty")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        penalty = l2_penalty(model, l2).item()
        return (F.cross_entropy(model(x_train), y_train).item() + penalty,
                F.cross_entropy(model(x_val), y_val).item() + penalty)


@wrong("11.6", "never switches to training mode")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item()


@correct("11.6", "regularized objective written out, torch.inference_mode, float()")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train(True)
    for _ in range(steps):
        for p in model.parameters():
            p.grad = None
        data_loss = nn.CrossEntropyLoss()(model(x_train), y_train)
        (data_loss + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.train(False)
    with torch.inference_mode():
        losses = [float(F.cross_entropy(model(x), y)) for x, y in ((x_train, y_train), (x_val, y_val))]
    return losses[0], losses[1]
