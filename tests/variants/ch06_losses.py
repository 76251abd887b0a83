"""Chapter 06 as learners get it wrong (MISTAKES.md, Regularization and losses; Tensors) and right in other styles."""
import torch
import torch.nn.functional as F

from tests.variants import correct, wrong


@wrong("6.1", "no shape check: (N, 1) - (N,) broadcasts to (N, N)", breaks="shape-error")
def mse_loss(pred, target, reduction="mean"):
    loss = (pred - target) ** 2
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"unknown reduction {reduction!r}")


@wrong("6.1", "shapes 'fixed' silently by flattening both", breaks="refuses")
def mse_loss(pred, target, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    loss = (pred.reshape(-1) - target.reshape(-1)) ** 2
    if reduction == "none":
        return loss.reshape(pred.shape)
    return loss.mean() if reduction == "mean" else loss.sum()


@wrong("6.1", "mean and sum swapped", breaks="reductions")
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


@wrong("6.1", "loss through .item(): no gradient", breaks="gradient")
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


@wrong("6.2", "sigmoid then log: -inf at large logits", breaks="no-log-sigmoid")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    p = torch.sigmoid(logits)
    loss = -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p))
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.2", "sigmoid then log with an epsilon", breaks="stable")
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


@wrong("6.2", "mean over the batch for reduction='sum'", breaks="reductions")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    loss = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))
    return loss if reduction == "none" else loss.mean()


@wrong("6.2", "no shape check: (N, 1) logits with (N,) targets broadcast", breaks="shape-error")
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
    reducers = {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}
    if reduction not in reducers:
        raise ValueError(f"reduction must be one of {sorted(reducers)}")
    return reducers[reduction]()


@correct("6.2", "log-sigmoid of both classes")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} vs targets {tuple(targets.shape)}")
    loss = -(targets * torch.nn.functional.logsigmoid(logits) + (1 - targets) * torch.nn.functional.logsigmoid(-logits))
    if reduction == "none":
        return loss
    if reduction not in ("mean", "sum"):
        raise ValueError(f"unknown reduction {reduction!r}")
    return loss.sum() if reduction == "sum" else loss.mean()


@wrong("6.3", "naive softmax then log: nan at logits of 1000", breaks="stable")
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


@wrong("6.3", "softmax applied before F.cross_entropy", breaks="formula")
def cross_entropy(logits, targets, reduction="mean"):
    return torch.nn.functional.cross_entropy(torch.softmax(logits, dim=1), targets, reduction=reduction)


@wrong("6.3", "true-class logits picked with logits[:, targets] (an (N, N) matrix)", breaks="shapes")
def cross_entropy(logits, targets, reduction="mean"):
    loss = torch.logsumexp(logits, dim=1) - logits[:, targets]
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


@wrong("6.3", "sum returned for reduction='mean'", breaks="reductions")
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


# --- fresh wrong implementations, one clause each, and more correct styles ------------------------------------------

@wrong("6.1", "absolute error |pred - target| instead of its square", breaks="elementwise")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    return _reduce((pred - target).abs(), reduction)


@wrong("6.1", "default reduction is 'sum'", breaks="reductions")
def mse_loss(pred, target, reduction="sum"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    return _reduce((pred - target) ** 2, reduction)


@wrong("6.1", "computed in float32 whatever the input dtype", breaks="dtype-device")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    return _reduce((pred.float() - target.float()) ** 2, reduction)


@wrong("6.1", "target negated in place to form the difference", breaks="inputs-unchanged")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    loss = (pred + target.neg_()) ** 2
    target.neg_()  # "put it back": the values return, the version counter does not
    return _reduce(loss, reduction)


@wrong("6.1", "pred.requires_grad_() on the caller's tensor, to be sure the loss differentiates",
       breaks="inputs-unchanged")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    if not pred.requires_grad:
        pred.requires_grad_()
    return _reduce((pred - target) ** 2, reduction)


@wrong("6.1", "unknown reductions fall back to the mean", breaks="reduction-error")
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    loss = (pred - target) ** 2
    return loss.sum() if reduction == "sum" else loss if reduction == "none" else loss.mean()


@wrong("6.1", "shape error message names neither shape")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError("pred and target must have the same shape")
    return _reduce((pred - target) ** 2, reduction)


@wrong("6.1", "mean over the first dimension only, then summed")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    loss = (pred - target) ** 2
    if reduction == "mean":
        return loss.mean(dim=0).sum()
    return _reduce(loss, reduction)


@correct("6.1", "float64 arithmetic, cast back to the input's dtype")
def mse_loss(pred, target, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(f"shapes {tuple(pred.shape)} and {tuple(target.shape)} differ")
    loss = (pred.double() - target.double()).pow(2)
    return _reduce(loss, reduction).to(pred.dtype)


@correct("6.1", "sum of squares through a flattened dot product")
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"got pred of shape {list(pred.shape)} and target of shape {list(target.shape)}")
    if reduction not in {"mean", "sum", "none"}:
        raise ValueError(reduction)
    diff = pred - target
    if reduction == "none":
        return diff * diff
    flat = diff.reshape(-1)
    total = torch.dot(flat, flat)
    return total / flat.numel() if reduction == "mean" else total


@wrong("6.2", "soft labels rounded to 0 or 1", breaks="formula")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    hard = (targets > 0.5).to(logits.dtype)
    return _reduce(torch.maximum(logits, torch.zeros_like(logits)) - logits * hard
                   + torch.log1p(torch.exp(-logits.abs())), reduction)


@wrong("6.2", "z.clamp(min=0) for max(z, 0): the gradient at z = 0 is 1 - y", breaks="gradient-at-zero")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    return _reduce(logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs())), reduction)


@wrong("6.2", "relu for max(z, 0): the gradient at z = 0 is -y", breaks="gradient-at-zero")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    return _reduce(torch.relu(logits) - logits * targets + torch.log1p(torch.exp(-logits.abs())), reduction)


@wrong("6.2", "log1p term computed on detached logits", breaks="gradient")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    softplus_tail = torch.log1p(torch.exp(-logits.detach().abs()))
    return _reduce(torch.maximum(logits, torch.zeros_like(logits)) - logits * targets + softplus_tail, reduction)


@wrong("6.2", "loss in float32 whatever the logits' dtype", breaks="dtype-device")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    z, y = logits.float(), targets.float()
    return _reduce(F.softplus(z) - z * y, reduction)


@wrong("6.2", "targets clamped to [0, 1] in place", breaks="inputs-unchanged")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    targets.clamp_(0, 1)
    return _reduce(F.softplus(logits) - logits * targets, reduction)


@wrong("6.2", "unknown reductions return the elementwise loss", breaks="reduction-error")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    loss = F.softplus(logits) - logits * targets
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@wrong("6.2", "log(1 + exp(z)) - z * y: exp overflows past z = 88")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"{tuple(logits.shape)} vs {tuple(targets.shape)}")
    return _reduce(torch.log1p(torch.exp(logits)) - logits * targets, reduction)


@wrong("6.2", "two branches with torch.where around |z|: the gradient at z = 0 is 1 - y", breaks="gradient-at-zero")
def bce_with_logits(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} differ")
    tail = torch.log1p(torch.exp(-logits.abs()))
    loss = torch.where(logits >= 0, logits * (1 - targets), -logits * targets) + tail
    return _reduce(loss, reduction)


@correct("6.2", "F.binary_cross_entropy_with_logits behind the checks")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.size() != targets.size():
        raise ValueError(f"size mismatch: {tuple(logits.size())} and {tuple(targets.size())}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"bad reduction {reduction}")
    return F.binary_cross_entropy_with_logits(logits, targets, reduction=reduction)


@wrong("6.3", "log(sum(exp(z))) without subtracting the maximum: inf past 88", breaks="log-sum-exp")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    lse = torch.log(torch.exp(logits).sum(dim=1))
    return _reduce(lse - logits.gather(1, targets[:, None]).squeeze(1), reduction)


@wrong("6.3", "loss computed in float32 whatever the logits' dtype", breaks="dtype-device")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    z = logits.float()
    return _reduce(torch.logsumexp(z, dim=1) - z.gather(1, targets[:, None]).squeeze(1), reduction)


@wrong("6.3", "log-sum-exp taken on detached logits", breaks="gradient")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    lse = torch.logsumexp(logits.detach(), dim=1)
    return _reduce(lse - logits.gather(1, targets[:, None]).squeeze(1), reduction)


@wrong("6.3", "row maximum subtracted from the caller's logits in place", breaks="inputs-unchanged")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    if logits.requires_grad:
        shifted = logits - logits.max(dim=1, keepdim=True).values
    else:
        shifted = logits.sub_(logits.max(dim=1, keepdim=True).values)
    return _reduce(torch.logsumexp(shifted, dim=1) - shifted.gather(1, targets[:, None]).squeeze(1), reduction)


@wrong("6.3", "unknown reductions fall back to the mean", breaks="reduction-error")
def cross_entropy(logits, targets, reduction="mean"):
    loss = torch.logsumexp(logits, dim=1) - logits.gather(1, targets[:, None]).squeeze(1)
    return loss.sum() if reduction == "sum" else loss if reduction == "none" else loss.mean()


@wrong("6.3", "true-class logit found by value: ties are counted twice")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    true_value = logits.gather(1, targets[:, None])
    picked = (logits * (logits == true_value)).sum(dim=1)
    return _reduce(torch.logsumexp(logits, dim=1) - picked, reduction)


@wrong("6.3", "mean divides by the number of classes")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    loss = torch.logsumexp(logits, dim=1) - logits.gather(1, targets[:, None]).squeeze(1)
    if reduction == "mean":
        return loss.sum() / logits.shape[1]
    return _reduce(loss, reduction)


@wrong("6.3", "log-sum-exp over the batch (dim=0) instead of the classes")
def cross_entropy(logits, targets, reduction="mean"):
    def _reduce(loss, reduction):  # each variant stands alone: it is graded without this file's other names
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    loss = torch.logsumexp(logits, dim=0)[targets] - logits.gather(1, targets[:, None]).squeeze(1)
    return _reduce(loss, reduction)


@correct("6.3", "amax with keepdim, take_along_dim, a Python loop over the reductions")
def cross_entropy(logits, targets, reduction="mean"):
    peak = logits.amax(dim=1, keepdim=True).detach()
    log_probs = logits - peak - torch.log(torch.exp(logits - peak).sum(dim=1, keepdim=True))
    loss = -torch.take_along_dim(log_probs, targets[:, None], dim=1)[:, 0]
    for name, reduce in (("mean", torch.mean), ("sum", torch.sum), ("none", lambda t: t)):
        if reduction == name:
            return reduce(loss)
    raise ValueError(f"reduction {reduction!r} is not mean, sum or none")


@correct("6.2", "torch.logaddexp(0, z) - z * y")
def bce_with_logits(logits, targets, reduction="mean"):
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} differ")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    loss = torch.logaddexp(torch.zeros_like(logits), logits) - logits * targets
    return loss if reduction == "none" else loss.mean() if reduction == "mean" else loss.sum()
