"""Chapter 01 as learners get it wrong (MISTAKES.md, Tensors) and right in other styles."""
import torch
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("1.1", "ones column appended on the right")
def add_bias_column(x):
    return torch.cat([x, torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)], dim=1)


@wrong("1.1", "ones created on the default device and dtype")
def add_bias_column(x):
    return torch.cat([torch.ones(x.shape[0], 1), x], dim=1)


@wrong("1.1", ".view on a non-contiguous input")
def add_bias_column(x):
    flat = x.view(-1)
    return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), flat.view(x.shape)], dim=1)


@correct("1.1", "F.pad with value 1")
def add_bias_column(x):
    return F.pad(x, (1, 0), value=1.0)


@correct("1.1", "allocate then fill by slices")
def add_bias_column(x):
    out = x.new_ones(x.shape[0], x.shape[1] + 1)
    out[:, 1:] = x
    return out


@wrong("1.2", "mutates its input (x -= mean)")
def standardize(x, eps=1e-8):
    mean = x.mean(0)
    std = x.std(0, correction=0)
    x -= mean
    return x / std.clamp_min(eps), mean, std


@wrong("1.2", "sample std (correction=1) instead of population std")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0)
    return (x - mean) / std.clamp_min(eps), mean, std


@wrong("1.2", "statistics over the wrong dimension")
def standardize(x, eps=1e-8):
    mean, std = x.mean(1, keepdim=True), x.std(1, correction=0, keepdim=True)
    return (x - mean) / std.clamp_min(eps), mean.squeeze(1), std.squeeze(1)


@wrong("1.2", "no guard against a zero std")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0, correction=0)
    return (x - mean) / std, mean, std


@correct("1.2", "torch.var_mean and torch.where")
def standardize(x, eps=1e-8):
    var, mean = torch.var_mean(x, dim=0, correction=0)
    std = var.sqrt()
    return (x - mean) / torch.where(std > eps, std, torch.full_like(std, eps)), mean, std


@wrong("1.3", "a Python loop over the rows of a")
def pairwise_squared_distances(a, b):
    return torch.stack([((row - b) ** 2).sum(-1) for row in a])


@wrong("1.3", "distances, not squared distances")
def pairwise_squared_distances(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1).sqrt()


@wrong("1.3", "transposed result (M, N)")
def pairwise_squared_distances(a, b):
    return ((b[:, None, :] - a[None, :, :]) ** 2).sum(-1)


@correct("1.3", "expansion |a|^2 - 2 a.b + |b|^2")
def pairwise_squared_distances(a, b):
    return (a.pow(2).sum(1, keepdim=True) - 2 * a @ b.T + b.pow(2).sum(1)).clamp_min(0)


@correct("1.3", "torch.cdist squared")
def pairwise_squared_distances(a, b):
    return torch.cdist(a, b).pow(2)


@wrong("1.4", "zeros created on the default device")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(labels.shape[0], num_classes, dtype=dtype)
    return out.scatter(1, labels[:, None].to(out.device), 1)


@wrong("1.4", "returns integers, ignoring dtype")
def one_hot(labels, num_classes, dtype=torch.float32):
    return F.one_hot(labels, num_classes)


@correct("1.4", "F.one_hot then .to(dtype)")
def one_hot(labels, num_classes, dtype=torch.float32):
    return F.one_hot(labels, num_classes).to(dtype)


@correct("1.4", "comparison with arange")
def one_hot(labels, num_classes, dtype=torch.float32):
    return (labels[:, None] == torch.arange(num_classes, device=labels.device)).to(dtype)
