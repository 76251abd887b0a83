"""Chapter 11 as learners get it wrong (MISTAKES.md: regularization, optimizers, modes) and right in other styles."""
import copy

import torch
from torch import nn
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("11.1", "biases penalized too", breaks="biases-alone")
def l2_penalty(model, lam):
    return lam * sum(p.pow(2).sum() for p in model.parameters())


@wrong("11.1", "MSELoss against zeros: divides by the number of elements", breaks="formula")
def l2_penalty(model, lam):
    weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    return lam * sum(F.mse_loss(w, torch.zeros_like(w)) for w in weights)


@wrong("11.1", "computed from state_dict(): no gradient", breaks="gradient")
def l2_penalty(model, lam):
    return lam * sum(v.pow(2).sum() for k, v in model.state_dict().items() if not k.endswith("bias"))


@wrong("11.1", "the norm, not its square", breaks="formula")
def l2_penalty(model, lam):
    return lam * sum(torch.linalg.vector_norm(p) for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.1", "only nn.Linear modules' .weight: BatchNorm's weight and other parameters are missed", breaks="examples")
def l2_penalty(model, lam):
    total = 0.0
    for module in model.modules():
        if isinstance(module, nn.Linear):
            total = total + torch.sum(module.weight * module.weight)
    return lam * total


@wrong("11.1", "parameters with more than one dimension: 1-dim weights (BatchNorm, a gain) are missed", breaks="examples")
def l2_penalty(model, lam):
    return lam * torch.stack([torch.linalg.vector_norm(p) ** 2 for p in model.parameters() if p.dim() > 1]).sum()


@wrong("11.2", "no abs: negative weights cancel", breaks="formula")
def l1_penalty(model, lam):
    return lam * sum(p.sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "squared, as L2", breaks="formula")
def l1_penalty(model, lam):
    return lam * sum(p.abs().sum() ** 2 for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "biases penalized too", breaks="biases-alone")
def l1_penalty(model, lam):
    return lam * sum(p.abs().sum() for p in model.parameters())


@wrong("11.2", "'bias' anywhere in the last name part: bias_table is a weight", breaks="as-11-1")
def l1_penalty(model, lam):
    weights = [p for n, p in model.named_parameters() if "bias" not in n.rsplit(".", 1)[-1]]
    return lam * sum(torch.linalg.vector_norm(w, ord=1) for w in weights)


@wrong("11.3", "penalties divided by the batch size", breaks="once")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y) + (l1_penalty(model, l1) + l2_penalty(model, l2)) / len(x)


@wrong("11.3", "L1 forgotten", breaks="sum")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y) + l2_penalty(model, l2)


@wrong("11.3", "penalty multiplied by the batch size (a sum-style loss habit)", breaks="once")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y) + x.shape[0] * l1_penalty(model, l1) + x.shape[0] * l2_penalty(model, l2)


@correct("11.3", "penalties first, then the data loss, with a local variable")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    penalty = l2_penalty(model, l2) + l1_penalty(model, l1)
    data = loss_fn(model(x), y)
    return penalty + data


@wrong("11.4", "no 1 / (1 - p) scaling", breaks="scaled")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p)


@wrong("11.4", "scaled at eval time instead of in training", breaks="eval")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        return x * (torch.rand_like(x) >= self.p)


@wrong("11.4", "p taken as the keep probability", breaks="independent")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) < self.p) / self.p


@wrong("11.4", "one mask shared by the whole batch", breaks="independent")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x[:1]) >= self.p) / (1 - self.p)


@wrong("11.4", "F.dropout without training=self.training", breaks="eval")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p)


@wrong("11.4", "mask made on the default device", breaks="mask")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand(x.shape) >= self.p) / (1 - self.p)


@wrong("11.4", "input modified in place", breaks="unchanged")
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


@wrong("11.5", "penalty weight_decay * ||theta||^2, without the 1/2", breaks="penalized")
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


@wrong("11.5", "penalty over the weights only: weight decay reaches biases too", breaks="all-parameters")
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


@wrong("11.5", "no copies: the caller's model is trained, the second run starts where the first ended", breaks="untouched")
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


@wrong("11.5", "optimizer rebuilt every step: Adam's moments and momentum reset", breaks="decayed")
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


@wrong("11.6", "losses measured in training mode with gradients on", breaks="eval-mode")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    return F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item()


@wrong("11.6", "penalty left out of the training loss", breaks="loss")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x_train), y_train).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item()


@wrong("11.6", "measured losses include the penalty", breaks="measured")
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


@wrong("11.6", "never switches to training mode", breaks="train-mode")
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


# --- issue 9: one wrong implementation per clause, and more styles that are right

@correct("11.1", "the rule by name, one flat vector of the weights, dot with itself")
def l2_penalty(model, lam):
    weights = torch.cat([p.reshape(-1) for name, p in model.named_parameters() if not name.endswith("bias")])
    return lam * torch.dot(weights, weights)


@wrong("11.1", "'weight' in the name: parameters called gain or bias_table are missed", breaks="names")
def l2_penalty(model, lam):
    return lam * sum(p.pow(2).sum() for name, p in model.named_parameters() if "weight" in name)


@wrong("11.1", "walks the layers of a Sequential: a layer used twice is counted twice", breaks="shared")
def l2_penalty(model, lam):
    layers = list(model) if isinstance(model, nn.Sequential) else [model]
    total = 0.0
    for layer in layers:
        for name, p in layer.named_parameters():
            if not name.endswith("bias"):
                total = total + p.pow(2).sum()
    return lam * total


@wrong("11.1", "lam = 0 returns the Python number 0.0", breaks="lam")
def l2_penalty(model, lam):
    if lam == 0:
        return 0.0
    return lam * torch.stack([p.pow(2).sum() for n, p in model.named_parameters() if not n.endswith("bias")]).sum()


@wrong("11.1", "accumulated in a (1,) tensor: not 0-dim", breaks="zero-dim")
def l2_penalty(model, lam):
    first = next(model.parameters())
    total = torch.zeros(1, dtype=first.dtype, device=first.device)
    for name, p in model.named_parameters():
        if not name.endswith("bias"):
            total = total + p.pow(2).sum()
    return lam * total


@wrong("11.1", "computed in float64 'for accuracy', whatever the parameters' dtype", breaks="dtype-device")
def l2_penalty(model, lam):
    return lam * sum(p.double().pow(2).sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.1", "model.zero_grad() first 'to start clean': the training gradients are gone", breaks="unchanged")
def l2_penalty(model, lam):
    model.zero_grad()
    return lam * torch.stack([p.pow(2).sum() for n, p in model.named_parameters() if not n.endswith("bias")]).sum()


@correct("11.2", "w * sign(w), whose gradient is sign(w) and 0 at 0")
def l1_penalty(model, lam):
    total = 0
    for name, parameter in model.named_parameters():
        if not name.endswith("bias"):
            total = total + (parameter * torch.sign(parameter)).sum()
    return lam * total


@wrong("11.2", "torch.where(w >= 0, w, -w): the gradient at w = 0 is +1, not 0", breaks="kink")
def l1_penalty(model, lam):
    return lam * sum(torch.where(p >= 0, p, -p).sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "sqrt(w^2) as |w|: the gradient at w = 0 is nan", breaks="kink")
def l1_penalty(model, lam):
    return lam * sum(p.pow(2).sqrt().sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "one entry per weight tensor: not summed to a 0-dim tensor", breaks="zero-dim")
def l1_penalty(model, lam):
    return lam * torch.stack([p.abs().sum() for n, p in model.named_parameters() if not n.endswith("bias")])


@wrong("11.2", "|w| of detached weights: no gradient", breaks="gradient")
def l1_penalty(model, lam):
    return lam * sum(p.detach().abs().sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.2", "model.zero_grad() first: the training gradients are gone", breaks="unchanged")
def l1_penalty(model, lam):
    model.zero_grad(set_to_none=True)
    return lam * sum(p.abs().sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.3", "the data loss through .item(): only the penalties stay in the graph", breaks="graph")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    return loss_fn(model(x), y).item() + l1_penalty(model, l1) + l2_penalty(model, l2)


@wrong("11.3", "defaults None: l1_penalty(model, None) fails", breaks="defaults")
def regularized_loss(model, x, y, loss_fn, l1=None, l2=None):
    return loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)


@wrong("11.3", "the penalties computed again inline instead of with l1_penalty and l2_penalty", breaks="uses")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    return (loss_fn(model(x), y) + l1 * sum(w.abs().sum() for w in weights)
            + l2 * sum(w.pow(2).sum() for w in weights))


@correct("11.3", "a penalty only when its weight is non-zero")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    loss = loss_fn(model(x), y)
    if l1:
        loss = loss + l1_penalty(model, l1)
    if l2:
        loss = loss + l2_penalty(model, l2)
    return loss


@wrong("11.4", "a float32 mask: float16 and bfloat16 inputs come back float32", breaks="dtype-device")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = (torch.rand(x.shape, device=x.device) >= self.p).float()
        return x * mask / (1 - self.p)


@wrong("11.4", "a generator of its own, seeded once: torch.manual_seed has no effect", breaks="rng")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p
        self.generator = torch.Generator().manual_seed(0)

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand(x.shape, generator=self.generator).to(x.device) >= self.p
        return x * keep / (1 - self.p)


@wrong("11.4", "p = 0 read as 'not given': self.p or 0.5", breaks="p-zero")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        p = self.p or 0.5
        return x * (torch.rand_like(x) >= p) / (1 - p)


@correct("11.4", "torch.empty_like(x).bernoulli_(1 - p) as the mask, x.clone() in eval")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x.clone()
        mask = torch.empty_like(x).bernoulli_(1 - self.p)
        return x * mask * (1.0 / (1 - self.p))


@wrong("11.5", "one copy for both: the penalized run starts where the decayed one ended", breaks="two-copies")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    trained = copy.deepcopy(model)
    decayed_optimizer = make_optimizer(trained.parameters(), weight_decay)
    for _ in range(steps):
        decayed_optimizer.zero_grad()
        loss_fn(trained(x), y).backward()
        decayed_optimizer.step()
    decayed = {k: v.clone() for k, v in trained.state_dict().items()}
    penalized_optimizer = make_optimizer(trained.parameters(), 0.0)
    for _ in range(steps):
        penalized_optimizer.zero_grad()
        (loss_fn(trained(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in trained.parameters())).backward()
        penalized_optimizer.step()
    return decayed, trained.state_dict()


@wrong("11.5", "range(1, steps): one step too few", breaks="steps")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    opt_a, opt_b = make_optimizer(decayed.parameters(), weight_decay), make_optimizer(penalized.parameters(), 0.0)
    for _ in range(1, steps):
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        (loss_fn(penalized(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in penalized.parameters())).backward()
        opt_b.step()
    return decayed.state_dict(), penalized.state_dict()


@wrong("11.5", "returns (penalized, decayed)", breaks="returns")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    opt_a, opt_b = make_optimizer(decayed.parameters(), weight_decay), make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        (loss_fn(penalized(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in penalized.parameters())).backward()
        opt_b.step()
    return penalized.state_dict(), decayed.state_dict()


@wrong("11.5", "model.zero_grad() before copying: the caller's gradients are gone", breaks="untouched")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    model.zero_grad()
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    opt_a, opt_b = make_optimizer(decayed.parameters(), weight_decay), make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        (loss_fn(penalized(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in penalized.parameters())).backward()
        opt_b.step()
    return decayed.state_dict(), penalized.state_dict()


@wrong("11.5", "the penalized copy's optimizer decays too: penalty and decay counted twice", breaks="claim")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    opt_a = make_optimizer(decayed.parameters(), weight_decay)
    opt_b = make_optimizer(penalized.parameters(), weight_decay)
    for _ in range(steps):
        opt_a.zero_grad()
        loss_fn(decayed(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        (loss_fn(penalized(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in penalized.parameters())).backward()
        opt_b.step()
    return decayed.state_dict(), penalized.state_dict()


@wrong("11.6", "measures before training: the losses of the untrained model", breaks="two-phases")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.eval()
    with torch.no_grad():
        train_loss = F.cross_entropy(model(x_train), y_train).item()
        val_loss = F.cross_entropy(model(x_val), y_val).item()
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    return train_loss, val_loss


@wrong("11.6", "a new Adam inside: the given optimizer is ignored", breaks="optimizer")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    optimizer = torch.optim.Adam(model.parameters(), lr=optimizer.param_groups[0]["lr"])
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return (F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item())


@wrong("11.6", "zero_grad after the step only: the first step adds the old gradients", breaks="old-gradients")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        return (F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item())


@wrong("11.6", "l2=None by default: l2_penalty(model, None) fails", breaks="default")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=None):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return (F.cross_entropy(model(x_train), y_train).item(), F.cross_entropy(model(x_val), y_val).item())


@wrong("11.6", "returns the loss tensors, not floats", breaks="floats")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(x_train), y_train), F.cross_entropy(model(x_val), y_val)


@wrong("11.6", "returns (val_loss, train_loss)", breaks="gap")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(x_val), y_val).item(), F.cross_entropy(model(x_train), y_train).item()


@correct("11.6", "set_to_none=False gradients, measured once on the concatenation and split, .cpu().item()")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        losses = F.cross_entropy(model(torch.cat([x_train, x_val])), torch.cat([y_train, y_val]), reduction="none")
    return losses[:len(x_train)].mean().cpu().item(), losses[len(x_train):].mean().cpu().item()


# --- outside review r2: false pass made to fail --------------------------------------------------------------------

@wrong("11.1", "walks modules with recurse=False: a weight tied between two layers counts twice (r2)", breaks="shared")
def l2_penalty(model, lam):
    terms = []
    for m in model.modules():
        for n, p in m.named_parameters(recurse=False):
            if not n.endswith("bias"):
                terms.append(p.pow(2).sum())
    return lam * torch.stack(terms).sum()


@wrong("11.4", "eval mode returns x.detach(): the identity cuts the graph", breaks="eval")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x.detach()
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


@wrong("11.4", "a generator seeded from torch.initial_seed() at every call: the same mask every call", breaks="rng")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        generator = torch.Generator(device=x.device).manual_seed(torch.initial_seed())
        keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= self.p
        return x * keep / (1 - self.p)


@wrong("11.4", "mask drawn inside fork_rng: the global generator never advances", breaks="rng")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        with torch.random.fork_rng(devices=[]):
            keep = torch.rand_like(x) >= self.p
        return x * keep / (1 - self.p)


@correct("11.4", "torch.empty_like(x).bernoulli_(1 - p) mask, scaled in place")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.empty_like(x).bernoulli_(1 - self.p)
        return mask.mul_(1 / (1 - self.p)).mul(x)


@correct("11.2", "torch.maximum(w, -w): the tie at w = 0 splits the gradient to 0")
def l1_penalty(model, lam):
    return lam * sum(torch.maximum(p, -p).sum() for n, p in model.named_parameters() if not n.endswith("bias"))


@wrong("11.4", "one draw per row, broadcast along the last dim: rows differ, the elements of a row do not "
       "(outside review 2)", breaks="independent")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape[:-1] + (1,), device=x.device, dtype=x.dtype) >= self.p
        return x * keep / (1.0 - self.p)


@correct("11.3", "each penalty at lam = 1, scaled by its strength afterwards (outside review 2)")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    total = loss_fn(model(x), y)
    total = total + l1 * l1_penalty(model, 1.0)
    return total + l2 * l2_penalty(model, 1.0)


# --- outside review 3 ----------------------------------------------------------------------------------------------
@wrong("11.3", "switches the model to eval mode before the forward pass (Dropout silently off) (outside review 3)",
       breaks="sum")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    model.eval()
    return loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)


@wrong("11.3", "model(x) called twice (a shape check first): the loss uses a second dropout mask "
       "(outside review 3)", breaks="sum")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    assert model(x).shape[0] == x.shape[0]
    return loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)


@wrong("11.5", "returns dicts of named_parameters(): a model's buffers (BatchNorm statistics) are missing "
       "(outside review 3)", breaks="returns")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    decayed_optimizer = make_optimizer(decayed.parameters(), weight_decay)
    penalized_optimizer = make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        decayed_optimizer.zero_grad()
        loss_fn(decayed(x), y).backward()
        decayed_optimizer.step()
        penalized_optimizer.zero_grad()
        squares = sum(p.pow(2).sum() for p in penalized.parameters())
        (loss_fn(penalized(x), y) + weight_decay / 2 * squares).backward()
        penalized_optimizer.step()
    return ({name: p.detach() for name, p in decayed.named_parameters()},
            {name: p.detach() for name, p in penalized.named_parameters()})


@correct("11.5", "gradients cleared after each step: deep copies start without .grad (outside review 3)")
def weight_decay_vs_l2(model, x, y, loss_fn, make_optimizer, weight_decay, steps):
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    decayed_optimizer = make_optimizer(decayed.parameters(), weight_decay)
    penalized_optimizer = make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        loss_fn(decayed(x), y).backward()
        decayed_optimizer.step()
        decayed_optimizer.zero_grad()
        squares = torch.stack([p.pow(2).sum() for p in penalized.parameters()]).sum()
        (loss_fn(penalized(x), y) + weight_decay / 2 * squares).backward()
        penalized_optimizer.step()
        penalized_optimizer.zero_grad()
    return decayed.state_dict(), penalized.state_dict()


@wrong("11.1", "only parameters with requires_grad: a frozen weight is left out (outside review 4)", breaks="names")
def l2_penalty(model, lam):
    return lam * torch.stack([p.pow(2).sum() for name, p in model.named_parameters()
                              if not name.endswith("bias") and p.requires_grad]).sum()


@wrong("11.2", "only parameters with requires_grad: a frozen weight is left out (outside review 4)", breaks="as-11-1")
def l1_penalty(model, lam):
    return lam * torch.stack([p.abs().sum() for name, p in model.named_parameters()
                              if not name.endswith("bias") and p.requires_grad]).sum()


@wrong("11.3", "loss_fn ignored: F.cross_entropy for integer targets, F.mse_loss otherwise (outside review 4)",
       breaks="sum")
def regularized_loss(model, x, y, loss_fn, l1=0.0, l2=0.0):
    out = model(x)
    data = F.mse_loss(out, y) if y.is_floating_point() else F.cross_entropy(out, y)
    return data + l1_penalty(model, l1) + l2_penalty(model, l2)


@wrong("11.4", "x.view(-1) to draw a flat mask: a non-contiguous x raises (outside review 4)", breaks="mask")
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        flat = x.view(-1)
        keep = torch.rand(flat.numel(), device=x.device, dtype=x.dtype) >= self.p
        return (flat * keep / (1.0 - self.p)).view(x.shape)


@wrong("11.6", "measured in batches of 32, the batch means averaged: not the mean when the last batch is smaller "
       "(outside review 4)", breaks="measured")
def train_and_measure_gap(model, x_train, y_train, x_val, y_val, optimizer, steps, l2=0.0):
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        (F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)).backward()
        optimizer.step()
    model.eval()

    def measure(xs, ys):
        means = [F.cross_entropy(model(xs[i:i + 32]), ys[i:i + 32]).item() for i in range(0, len(xs), 32)]
        return sum(means) / len(means)

    with torch.no_grad():
        return measure(x_train, y_train), measure(x_val, y_val)


@correct("11.2", "clamp(min=0) - clamp(max=0): both clamps pass gradient 1 at w = 0, which cancels to 0 "
         "(outside review 4)")
def l1_penalty(model, lam):
    return lam * sum(p.clamp(min=0).sum() - p.clamp(max=0).sum()
                     for name, p in model.named_parameters() if not name.endswith("bias"))
