"""Chapter 01 as learners get it wrong (MISTAKES.md, Tensors) and right in other styles."""
import torch
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("1.1", "ones column appended on the right", breaks="ones-first")
def add_bias_column(x):
    return torch.cat([x, torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)], dim=1)


@wrong("1.1", "ones created on the default device and dtype", breaks="dtype-device")
def add_bias_column(x):
    return torch.cat([torch.ones(x.shape[0], 1), x], dim=1)


@wrong("1.1", ".view on a non-contiguous input", breaks="non-contiguous")
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


@wrong("1.2", "mutates its input (x -= mean)", breaks="input-unchanged")
def standardize(x, eps=1e-8):
    mean = x.mean(0)
    std = x.std(0, correction=0)
    x -= mean
    return x / std.clamp_min(eps), mean, std


@wrong("1.2", "sample std (correction=1) instead of population std", breaks="std")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0)
    return (x - mean) / std.clamp_min(eps), mean, std


@wrong("1.2", "statistics over the wrong dimension", breaks="columns")
def standardize(x, eps=1e-8):
    mean, std = x.mean(1, keepdim=True), x.std(1, correction=0, keepdim=True)
    return (x - mean) / std.clamp_min(eps), mean.squeeze(1), std.squeeze(1)


@wrong("1.2", "no guard against a zero std", breaks="z")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0, correction=0)
    return (x - mean) / std, mean, std


@correct("1.2", "torch.var_mean and torch.where")
def standardize(x, eps=1e-8):
    var, mean = torch.var_mean(x, dim=0, correction=0)
    std = var.sqrt()
    return (x - mean) / torch.where(std > eps, std, torch.full_like(std, eps)), mean, std


@wrong("1.3", "a Python loop over the rows of a", breaks="no-loops")
def pairwise_squared_distances(a, b):
    return torch.stack([((row - b) ** 2).sum(-1) for row in a])


@wrong("1.3", "distances, not squared distances", breaks="values")
def pairwise_squared_distances(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1).sqrt()


@wrong("1.3", "transposed result (M, N)", breaks="shape")
def pairwise_squared_distances(a, b):
    return ((b[:, None, :] - a[None, :, :]) ** 2).sum(-1)


@wrong("1.3", "expansion |a|^2 - 2 a.b + |b|^2, clamped at 0: cancels far from the origin", breaks="values")
def pairwise_squared_distances(a, b):
    return (a.pow(2).sum(1, keepdim=True) - 2 * a @ b.T + b.pow(2).sum(1)).clamp_min(0)


@wrong("1.3", "torch.cdist squared: the matmul expansion for more than 25 rows", breaks="values")
def pairwise_squared_distances(a, b):
    return torch.cdist(a, b).pow(2)


@wrong("1.3", "expansion a^2 + b^2 - 2ab, unclamped (outside review)", breaks="values")
def pairwise_squared_distances(a, b):
    return (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T


@correct("1.3", "a loop over the D features only (outside review)")
def pairwise_squared_distances(a, b):
    out = torch.zeros(a.shape[0], b.shape[0], dtype=a.dtype, device=a.device)
    for k in range(a.shape[1]):
        out = out + (a[:, k, None] - b[None, :, k]) ** 2
    return out


@wrong("1.4", "zeros created on the default device", breaks="device")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(labels.shape[0], num_classes, dtype=dtype)
    return out.scatter(1, labels[:, None].to(out.device), 1)


@wrong("1.4", "returns integers, ignoring dtype", breaks="dtype")
def one_hot(labels, num_classes, dtype=torch.float32):
    return F.one_hot(labels, num_classes)


@correct("1.4", "F.one_hot then .to(dtype)")
def one_hot(labels, num_classes, dtype=torch.float32):
    return F.one_hot(labels, num_classes).to(dtype)


@correct("1.4", "comparison with arange")
def one_hot(labels, num_classes, dtype=torch.float32):
    return (labels[:, None] == torch.arange(num_classes, device=labels.device)).to(dtype)


# --- fresh variants (issue 9): one per clause, and other styles

@wrong("1.1", "a block of D ones instead of one column (ones_like(x))", breaks="shape")
def add_bias_column(x):
    return torch.cat([torch.ones_like(x), x], dim=1)


@wrong("1.1", "the features pass through float32 (float64 loses precision)", breaks="values")
def add_bias_column(x):
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)
    return torch.cat([ones, x.float().to(x.dtype)], dim=1)


@wrong("1.1", "ones of the right dtype but on the default device", breaks="dtype-device")
def add_bias_column(x):
    return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)


@wrong("1.1", "cleans the caller's tensor in place first (x.nan_to_num_())", breaks="input-unchanged")
def add_bias_column(x):
    x.nan_to_num_()
    return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], dim=1)


@wrong("1.1", "ones of x's dtype, then the result cast to float32")
def add_bias_column(x):
    return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], dim=1).float()


@wrong("1.1", "torch.hstack with ones_like of the first column: no column at all when x has no features (D = 0)",
       breaks="shape")
def add_bias_column(x):
    return torch.hstack([torch.ones_like(x[:, :1]), x])


@correct("1.1", "new_empty, fill_ and a slice copy")
def add_bias_column(x):
    out = x.new_empty(x.shape[0], x.shape[1] + 1)
    out[:, 0].fill_(1)
    out[:, 1:].copy_(x)
    return out


@wrong("1.2", "mean with keepdim=True: returns a (1, D) mean", breaks="mean")
def standardize(x, eps=1e-8):
    mean = x.mean(0, keepdim=True)
    std = x.std(0, correction=0)
    return (x - mean) / std.clamp_min(eps), mean, std


@wrong("1.2", "divides by std + eps instead of max(std, eps)", breaks="z")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0, correction=0)
    return (x - mean) / (std + eps), mean, std


@wrong("1.2", "computes in float32 whatever x's dtype", breaks="dtype-device")
def standardize(x, eps=1e-8):
    x32 = x.float()
    mean, std = x32.mean(0), x32.std(0, correction=0)
    return (x32 - mean) / std.clamp_min(eps), mean, std


@wrong("1.2", "default eps of 1e-5", breaks="eps-default")
def standardize(x, eps=1e-5):
    mean, std = x.mean(0), x.std(0, correction=0)
    return (x - mean) / std.clamp_min(eps), mean, std


@wrong("1.2", "returns a list [z, mean, std]", breaks="returns")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0, correction=0)
    return [(x - mean) / std.clamp_min(eps), mean, std]


@wrong("1.2", "returns (z, std, mean): the statistics swapped")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0, correction=0)
    return (x - mean) / std.clamp_min(eps), std, mean


@wrong("1.2", "centres in place and adds the mean back: same values, yet x was written", breaks="input-exactly")
def standardize(x, eps=1e-8):
    mean, std = x.mean(0), x.std(0, correction=0)
    x.sub_(mean)
    z = x / std.clamp_min(eps)
    x.add_(mean)
    return z, mean, std


@correct("1.2", "a loop over columns with Python floats (.item()), then torch.tensor")
def standardize(x, eps=1e-8):
    means, stds = [], []
    for column in x.T:
        m = column.mean().item()
        means.append(m)
        stds.append(((column - m) ** 2).mean().sqrt().item())
    mean = torch.tensor(means, dtype=x.dtype, device=x.device)
    std = torch.tensor(stds, dtype=x.dtype, device=x.device)
    return (x - mean) / torch.maximum(std, torch.tensor(eps, dtype=x.dtype, device=x.device)), mean, std


@correct("1.2", "the variance by hand and sqrt")
def standardize(x, eps=1e-8):
    mean = x.sum(0) / x.shape[0]
    std = ((x - mean) ** 2).mean(0).sqrt()
    return (x - mean) / std.clamp(min=eps), mean, std


@wrong("1.3", "row-wise distances of a[i] and b[i], not every pair", breaks="every-pair")
def pairwise_squared_distances(a, b):
    return ((a - b) ** 2).sum(-1)


@wrong("1.3", "result allocated with torch.zeros(N, M): default dtype and device", breaks="dtype-device")
def pairwise_squared_distances(a, b):
    out = torch.zeros(a.shape[0], b.shape[0])
    out += ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1).to(out.device)
    return out


@wrong("1.3", "expansion with the sign of the cross term flipped")
def pairwise_squared_distances(a, b):
    return a.pow(2).sum(1, keepdim=True) + 2 * a @ b.T + b.pow(2).sum(1)


@wrong("1.3", "absolute differences summed (L1), not squares")
def pairwise_squared_distances(a, b):
    return (a[:, None, :] - b[None, :, :]).abs().sum(-1)


@wrong("1.3", "sums over the rows instead of the features")
def pairwise_squared_distances(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(0)


@correct("1.3", "einsum of the differences")
def pairwise_squared_distances(a, b):
    d = a.unsqueeze(1) - b.unsqueeze(0)
    return torch.einsum("nmd,nmd->nm", d, d)


@wrong("1.4", "F.one_hot without num_classes: width from the largest label", breaks="shape")
def one_hot(labels, num_classes, dtype=torch.float32):
    return F.one_hot(labels).to(dtype)


@wrong("1.4", "labels taken as 1-based (column labels[i] - 1)", breaks="values")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(labels.shape[0], num_classes, dtype=dtype, device=labels.device)
    return out.scatter_(1, (labels[:, None] - 1) % num_classes, 1)


@wrong("1.4", "default dtype int64 (F.one_hot's)", breaks="dtype-default")
def one_hot(labels, num_classes, dtype=torch.int64):
    return F.one_hot(labels, num_classes).to(dtype)


@wrong("1.4", "index_put_ of float32 ones: fails for every other dtype", breaks="dtypes")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(labels.shape[0], num_classes, dtype=dtype, device=labels.device)
    rows = torch.arange(labels.shape[0], device=labels.device)
    return out.index_put_((rows, labels), torch.ones(labels.shape[0], device=labels.device))


@wrong("1.4", "zeros made on the default device, the labels moved to them", breaks="device")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(len(labels), num_classes, dtype=dtype)
    out[torch.arange(len(labels)), labels.to(out.device)] = 1
    return out


@correct("1.4", "rows of an identity matrix")
def one_hot(labels, num_classes, dtype=torch.float32):
    return torch.eye(num_classes, dtype=dtype, device=labels.device)[labels]


@correct("1.4", "a Python loop over labels.tolist()")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(labels.shape[0], num_classes, dtype=dtype, device=labels.device)
    for row, label in enumerate(labels.tolist()):
        out[row, label] = 1
    return out


@wrong("1.1", "ones_like(x[:, :1]): a (N, 0) column when x has no features (outside review)", breaks="shape")
def add_bias_column(x):
    return torch.cat([torch.ones_like(x[:, :1]), x], dim=1)


@correct("1.1", "hstack with x.new_ones (outside review)")
def add_bias_column(x):
    return torch.hstack((x.new_ones(x.shape[0], 1), x))


@correct("1.2", "var_mean, then sqrt, then maximum with an eps tensor (outside review)")
def standardize(x, eps=1e-8):
    var, mean = torch.var_mean(x, dim=0, correction=0)
    std = var.sqrt()
    return (x - mean) / torch.maximum(std, torch.tensor(eps, dtype=x.dtype, device=x.device)), mean, std


@correct("1.3", "einsum over explicit differences (outside review)")
def pairwise_squared_distances(a, b):
    d = a.unsqueeze(1) - b.unsqueeze(0)  # (N, M, D)
    return torch.einsum("nmd,nmd->nm", d, d)


@correct("1.4", "zeros in the default dtype, scatter, then .to(dtype) (outside review)")
def one_hot(labels, num_classes, dtype=torch.float32):
    encoded = torch.zeros(labels.shape[0], num_classes, device=labels.device)
    return encoded.scatter_(1, labels[:, None], 1).to(dtype)


@wrong("1.1", "an empty batch special-cased on the default device (outside review 2)", breaks="dtype-device")
def add_bias_column(x):
    if x.shape[0] == 0:
        return torch.empty(0, x.shape[1] + 1, dtype=x.dtype)
    return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], dim=1)


@wrong("1.3", "float64 inputs computed in float32 and cast back (outside review 2)", breaks="values")
def pairwise_squared_distances(a, b):
    d = a.float()[:, None, :] - b.float()[None, :, :]
    return d.pow(2).sum(dim=-1).to(a.dtype)


@wrong("1.4", "labels.max() range check: an empty batch raises (outside review 2)", breaks="shape")
def one_hot(labels, num_classes, dtype=torch.float32):
    if labels.device.type != "meta" and int(labels.max()) >= num_classes:
        raise ValueError("label out of range")
    out = torch.zeros(len(labels), num_classes, dtype=dtype, device=labels.device)
    out[torch.arange(len(labels), device=labels.device), labels] = 1
    return out


@wrong("1.4", "labels compared with the classes in float16: classes past 2048 collide (outside review 2)",
       breaks="values")
def one_hot(labels, num_classes, dtype=torch.float32):
    classes = torch.arange(num_classes, device=labels.device, dtype=torch.float16)
    return (labels[:, None].to(torch.float16) == classes).to(dtype)


@wrong("1.3", "a loop over chunks of 1024 rows, to save memory (outside review 2)", breaks="no-loops")
def pairwise_squared_distances(a, b):
    parts = [(a[i:i + 1024, None, :] - b[None, :, :]).pow(2).sum(-1) for i in range(0, a.shape[0], 1024)]
    return torch.cat(parts) if parts else a.new_zeros(0, b.shape[0])


@wrong("1.2", "keepdim statistics then .squeeze(): one feature gives 0-dim mean and std (outside review 3)",
       breaks="mean")
def standardize(x, eps=1e-8):
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, correction=0, keepdim=True)
    return (x - mean) / std.clamp_min(eps), mean.squeeze(), std.squeeze()


@wrong("1.3", ".view(N, -1) of the flattened result: an empty batch (N = 0) raises (outside review 3)",
       breaks="shape")
def pairwise_squared_distances(a, b):
    d = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
    return d.reshape(-1).view(a.shape[0], -1)


@wrong("1.1", "ones made from the first column, x[:, :1] * 0 + 1: nan where x is infinite (outside review 3)",
       breaks="values")
def add_bias_column(x):
    if x.shape[1] == 0:
        return torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)
    return torch.cat([x[:, :1] * 0 + 1, x], dim=1)


@wrong("1.1", "built from x.cpu(): the result is left on the cpu (outside review 4)", breaks="dtype-device")
def add_bias_column(x):
    xc = x.cpu()
    return torch.cat([torch.ones(xc.shape[0], 1, dtype=x.dtype), xc], dim=1)


@wrong("1.2", "statistics through numpy: z, mean and std end on the cpu (outside review 4)", breaks="dtype-device")
def standardize(x, eps=1e-8):
    a = x.detach().cpu().numpy()
    mean, std = torch.from_numpy(a.mean(0)), torch.from_numpy(a.std(0))
    return (torch.from_numpy(a) - mean) / std.clamp_min(eps), mean, std


@wrong("1.2", "the variance taken in float32 and cast back: not float64-accurate (outside review 4)", breaks="std")
def standardize(x, eps=1e-8):
    mean = x.mean(0)
    std = ((x.float() - mean.float()) ** 2).mean(0).sqrt().to(x.dtype)
    return (x - mean) / std.clamp_min(eps), mean, std


@wrong("1.3", "a loop over chunks of 8192 rows (outside review 4)", breaks="no-loops")
def pairwise_squared_distances(a, b):
    parts = [(a[i:i + 8192, None, :] - b[None, :, :]).pow(2).sum(-1) for i in range(0, max(len(a), 1), 8192)]
    return torch.cat(parts, 0)


@wrong("1.4", "one-hot of labels.cpu(): the result is left on the cpu (outside review 4)", breaks="device")
def one_hot(labels, num_classes, dtype=torch.float32):
    return F.one_hot(labels.cpu(), num_classes).to(dtype)


@correct("1.4", "indexed assignment with a cpu arange beside the labels (outside review 4)")
def one_hot(labels, num_classes, dtype=torch.float32):
    out = torch.zeros(len(labels), num_classes, dtype=dtype, device=labels.device)
    out[torch.arange(len(labels)), labels] = 1
    return out
