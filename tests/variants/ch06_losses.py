"""Chapter 06 as learners get it wrong (MISTAKES.md, Regularization and losses; Tensors) and right in other styles."""
import torch

from tests.variants import correct, wrong


@wrong("6.1", "no shape check: (N, 1) - (N,) broadcasts to (N, N)")
def mse_loss(pred, target, reduction="mean"):
    loss = (pred - target) ** 2
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"unknown reduction {reduction!r}")


@wrong("6.1", "shapes 'fixed' silently by flattening both")
def mse_loss(pred, target, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    loss = (pred.reshape(-1) - target.reshape(-1)) ** 2
    if reduction == "none":
        return loss.reshape(pred.shape)
    return loss.mean() if reduction == "mean" else loss.sum()


@wrong("6.1", "mean and sum swapped")
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {target.shape}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    loss = (pred - target) ** 2
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "mean" else loss.mean()


@wrong("6.1", "assert instead of ValueError")
def mse_loss(pred, target, reduction="mean"):
    assert pred.shape == target.shape, "shapes differ"
    loss = (pred - target) ** 2
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(reduction)


@wrong("6.1", "loss through .item(): no gradient")
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {target.shape}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    loss = (pred - target) ** 2
    if reduction == "none":
        return loss
    total = sum(value.item() for value in loss.reshape(-1))
    return torch.tensor(total / loss.numel() if reduction == "mean" else total)


@correct("6.1", "F.mse_loss behind the shape check, match statement")
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ")
    match reduction:
        case "mean" | "sum" | "none":
            return torch.nn.functional.mse_loss(pred, target, reduction=reduction)
        case _:
            raise ValueError(f"unknown reduction {reduction!r}")


@correct("6.1", "squared difference through torch.square and a dict of reductions")
def mse_loss(pred, target, reduction="mean"):
    if pred.size() != target.size():
        raise ValueError(f"size mismatch {list(pred.size())} != {list(target.size())}")
    reducers = {"mean": torch.mean, "sum": torch.sum, "none": lambda t: t}
    if reduction not in reducers:
        raise ValueError(f"reduction {reduction!r}")
    return reducers[reduction](torch.square(pred - target))


@wrong("6.2", "sigmoid then log: -inf at large logits")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    p = torch.sigmoid(logits)
    loss = -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p))
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.2", "sigmoid then log with an epsilon")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    p = torch.sigmoid(logits)
    loss = -(targets * torch.log(p + 1e-7) + (1 - targets) * torch.log(1 - p + 1e-7))
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.2", "log1p(exp(-z)) without the abs: overflows for negative logits")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    loss = (1 - targets) * logits + torch.log1p(torch.exp(-logits))
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.2", "F.binary_cross_entropy on sigmoid (clamps log at -100)")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    return torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits), targets, reduction=reduction)


@wrong("6.2", "mean over the batch for reduction='sum'")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    loss = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))
    return loss if reduction == "none" else loss.mean()


@wrong("6.2", "no shape check: (N, 1) logits with (N,) targets broadcast")
def bce_with_logits(logits, targets, reduction="mean"):
    loss = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@correct("6.2", "softplus(z) - z * y")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} vs targets {tuple(targets.shape)}")
    loss = torch.nn.functional.softplus(logits) - logits * targets
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


@correct("6.2", "log-sigmoid of both classes")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} vs targets {tuple(targets.shape)}")
    loss = -(targets * torch.nn.functional.logsigmoid(logits) + (1 - targets) * torch.nn.functional.logsigmoid(-logits))
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


@wrong("6.3", "naive softmax then log: nan at logits of 1000")
def cross_entropy(logits, targets, reduction="mean"):
    probs = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    loss = -torch.log(probs[torch.arange(logits.shape[0]), targets])
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.3", "softmax then log with an epsilon")
def cross_entropy(logits, targets, reduction="mean"):
    probs = torch.softmax(logits, dim=1)
    loss = -torch.log(probs.gather(1, targets[:, None]).squeeze(1) + 1e-9)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.3", "softmax applied before F.cross_entropy")
def cross_entropy(logits, targets, reduction="mean"):
    return torch.nn.functional.cross_entropy(torch.softmax(logits, dim=1), targets, reduction=reduction)


@wrong("6.3", "true-class logits picked with logits[:, targets] (an (N, N) matrix)")
def cross_entropy(logits, targets, reduction="mean"):
    loss = torch.logsumexp(logits, dim=1) - logits[:, targets]
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.3", "sum returned for reduction='mean'")
def cross_entropy(logits, targets, reduction="mean"):
    loss = torch.logsumexp(logits, dim=1) - logits.gather(1, targets[:, None]).squeeze(1)
    return loss if reduction == "none" else loss.sum()


@correct("6.3", "max-subtracted log-softmax by hand with fancy indexing")
def cross_entropy(logits, targets, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    loss = -log_probs[torch.arange(logits.shape[0], device=logits.device), targets]
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


@correct("6.3", "F.log_softmax and F.nll_loss")
def cross_entropy(logits, targets, reduction="mean"):
    return torch.nn.functional.nll_loss(torch.nn.functional.log_softmax(logits, dim=1), targets, reduction=reduction)
