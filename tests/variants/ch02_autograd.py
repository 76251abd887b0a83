"""Chapter 02 as learners get it wrong (MISTAKES.md, Autograd) and right in other styles."""
import torch

from tests.variants import correct, wrong


@wrong("2.1", ".backward() accumulates into the caller's x.grad")
def gradient(f, x):
    x.requires_grad_(True)
    f(x).backward()
    return x.grad


@wrong("2.1", "forgets that x may not require grad")
def gradient(f, x):
    (grad,) = torch.autograd.grad(f(x), x)
    return grad


@correct("2.1", "backward on a cloned leaf")
def gradient(f, x):
    leaf = x.detach().clone().requires_grad_(True)
    f(leaf).backward()
    return leaf.grad


@wrong("2.2", "forgets the factor 2")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / X.shape[0], r.mean()


@wrong("2.2", "sum instead of mean")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * r.sum()


@wrong("2.2", "uses autograd instead of the formula")
def linear_regression_mse_gradients(X, y, w, b):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    return tuple(torch.autograd.grad((X @ w + b - y).pow(2).mean(), [w, b]))


@correct("2.2", "einsum and mean")
def linear_regression_mse_gradients(X, y, w, b):
    r = torch.einsum("nd,d->n", X, w) + b - y
    return 2 * (X * r[:, None]).mean(0), 2 * r.mean()


@wrong("2.3", "forward differences")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().double().clone()
    base = f(point).item()
    grad = torch.zeros_like(point)
    for i in range(point.numel()):
        point.view(-1)[i] += eps
        grad.view(-1)[i] = (f(point).item() - base) / eps
        point.view(-1)[i] -= eps
    return grad


@wrong("2.3", "stays in float32")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().clone()
    grad = torch.zeros_like(point)
    for i in range(point.numel()):
        old = point.view(-1)[i].item()
        point.view(-1)[i] = old + eps
        up = f(point).item()
        point.view(-1)[i] = old - eps
        down = f(point).item()
        point.view(-1)[i] = old
        grad.view(-1)[i] = (up - down) / (2 * eps)
    return grad


@wrong("2.3", "nudges the caller's tensor and never restores it")
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x, dtype=torch.float64)
    with torch.no_grad():
        for i in range(x.numel()):
            x.view(-1)[i] += eps
            up = f(x.double()).item()
            x.view(-1)[i] -= 2 * eps
            down = f(x.double()).item()
            grad.view(-1)[i] = (up - down) / (2 * eps)
    return grad


@correct("2.3", "one perturbed copy per entry")
def numerical_gradient(f, x, eps=1e-6):
    base = x.detach().double()
    grad = torch.empty_like(base).view(-1)
    for i in range(base.numel()):
        step = torch.zeros_like(base).view(-1)
        step[i] = eps
        step = step.view_as(base)
        grad[i] = (f(base + step) - f(base - step)) / (2 * eps)
    return grad.view_as(base)


@wrong("2.4", "w = w - lr * w.grad makes new tensors")
def sgd_step(params, lr):
    for i, p in enumerate(params):
        if p.grad is not None:
            params[i] = p - lr * p.grad


@wrong("2.4", "never clears the gradients")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


@wrong("2.4", "updates .data and leaves the gradient")
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p.data = p.data - lr * p.grad


@correct("2.4", "add_ with alpha and zero_")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
                p.grad.zero_()
