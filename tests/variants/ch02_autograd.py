"""Chapter 02 as learners get it wrong (MISTAKES.md, Autograd) and right in other styles."""
import torch

from tests.variants import correct, wrong


@wrong("2.1", ".backward() accumulates into the caller's x.grad", breaks="grad-kept")
def gradient(f, x):
    x.requires_grad_(True)
    f(x).backward()
    return x.grad


@wrong("2.1", "forgets that x may not require grad", breaks="inputs")
def gradient(f, x):
    (grad,) = torch.autograd.grad(f(x), x)
    return grad


@correct("2.1", "backward on a cloned leaf")
def gradient(f, x):
    leaf = x.detach().clone().requires_grad_(True)
    f(leaf).backward()
    return leaf.grad


@wrong("2.2", "forgets the factor 2", breaks="dw")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / X.shape[0], r.mean()


@wrong("2.2", "sum instead of mean", breaks="loss")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * r.sum()


@wrong("2.2", "uses autograd instead of the formula", breaks="formula")
def linear_regression_mse_gradients(X, y, w, b):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    return tuple(torch.autograd.grad((X @ w + b - y).pow(2).mean(), [w, b]))


@correct("2.2", "einsum and mean")
def linear_regression_mse_gradients(X, y, w, b):
    r = torch.einsum("nd,d->n", X, w) + b - y
    return 2 * (X * r[:, None]).mean(0), 2 * r.mean()


@wrong("2.3", "forward differences", breaks="central")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().double().clone()
    base = f(point).item()
    grad = torch.zeros_like(point)
    for i in range(point.numel()):
        point.view(-1)[i] += eps
        grad.view(-1)[i] = (f(point).item() - base) / eps
        point.view(-1)[i] -= eps
    return grad


@wrong("2.3", "stays in float32", breaks="float64")
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


@wrong("2.3", "nudges the caller's tensor and never restores it", breaks="unchanged")
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


@wrong("2.4", "w = w - lr * w.grad makes new tensors", breaks="same-leaf")
def sgd_step(params, lr):
    for i, p in enumerate(params):
        if p.grad is not None:
            params[i] = p - lr * p.grad


@wrong("2.4", "never clears the gradients", breaks="clear")
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


# --- fresh variants (issue 9): one per clause, and other styles

@wrong("2.1", "x.requires_grad_(True) on the caller's tensor, then autograd.grad", breaks="requires-grad-kept")
def gradient(f, x):
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    return grad


@wrong("2.1", "differentiates a detached copy it never used: autograd.grad w.r.t. x", breaks="autograd")
def gradient(f, x):
    leaf = x.detach().requires_grad_(True)
    out = f(leaf)
    return torch.autograd.grad(out, leaf)[0].sum() * torch.ones_like(x)


@wrong("2.1", "differentiates in float64 and returns float64 for float32 x", breaks="returns")
def gradient(f, x):
    point = x.detach().double().requires_grad_(True)
    return torch.autograd.grad(f(point), point)[0]


@wrong("2.1", "zeroes x.grad, backward, then reads it: the caller's .grad is overwritten")
def gradient(f, x):
    if x.grad is not None:
        x.grad.zero_()
    leaf = x if x.requires_grad else x.detach().requires_grad_(True)
    f(leaf).backward()
    return leaf.grad.clone()


@correct("2.1", "clone (not detach), requires_grad_ on the clone")
def gradient(f, x):
    point = x.detach().clone().requires_grad_()
    return torch.autograd.grad(f(point), [point])[0]


@correct("2.1", "torch.func.grad")
def gradient(f, x):
    return torch.func.grad(f)(x.detach())


@wrong("2.1", "differentiates at x.detach().cpu(): the gradient comes back on the cpu", breaks="returns")
def gradient(f, x):
    point = x.detach().cpu().requires_grad_(True)
    return torch.autograd.grad(f(point), point)[0]


@wrong("2.1", "moves the gradient to the cpu at the end (.cpu() to inspect it)", breaks="returns")
def gradient(f, x):
    point = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(point), point)[0].cpu()


@wrong("2.2", "residual y - (X @ w + b): both gradients negated", breaks="residual")
def linear_regression_mse_gradients(X, y, w, b):
    r = y - (X @ w + b)
    return 2 / X.shape[0] * (X.T @ r), 2 / X.shape[0] * r.sum()


@wrong("2.2", "dL/db with keepdim: shape (1,) instead of ()", breaks="db")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return 2 / X.shape[0] * (X.T @ r), 2 / X.shape[0] * r.sum(0, keepdim=True)


@wrong("2.2", "divides by D (X.shape[1]) instead of N", breaks="inputs")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return 2 / X.shape[1] * (X.T @ r), 2 / X.shape[1] * r.sum()


@wrong("2.2", "returns a list [dw, db]", breaks="returns")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    return [2 / X.shape[0] * (X.T @ r), 2 / X.shape[0] * r.sum()]


@wrong("2.2", "computes in float32 whatever the inputs' dtype", breaks="dtype-device")
def linear_regression_mse_gradients(X, y, w, b):
    X, y, w, b = X.float(), y.float(), w.float(), b.float()
    r = X @ w + b - y
    return 2 / X.shape[0] * (X.T @ r), 2 / X.shape[0] * r.sum()


@wrong("2.2", "forgets b in the residual")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w - y
    return 2 / X.shape[0] * (X.T @ r), 2 / X.shape[0] * r.sum()


@correct("2.2", "row by row with a Python loop, then stacked")
def linear_regression_mse_gradients(X, y, w, b):
    n = X.shape[0]
    dw, db = torch.zeros_like(w), torch.zeros_like(b)
    for i in range(n):
        r_i = X[i] @ w + b - y[i]
        dw = dw + 2 * r_i * X[i] / n
        db = db + 2 * r_i / n
    return dw, db


@wrong("2.3", "default eps of 1e-4", breaks="eps-default")
def numerical_gradient(f, x, eps=1e-4):
    point = x.detach().double().clone()
    flat, grad = point.view(-1), torch.zeros(point.numel(), dtype=torch.float64)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(point).item()
        flat[i] = old - eps
        down = f(point).item()
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad.view_as(point)


@wrong("2.3", "nudges in float32, converts each point to float64 afterwards", breaks="float64-copy")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().clone()
    flat, grad = point.view(-1), torch.zeros(point.numel(), dtype=torch.float64)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(point.double()).item()
        flat[i] = old - eps
        down = f(point.double()).item()
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad.view_as(point)


@wrong("2.3", "returns the gradient flattened to (numel,)", breaks="returns")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().double().clone()
    flat, grad = point.view(-1), torch.zeros(point.numel(), dtype=torch.float64)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(point).item()
        flat[i] = old - eps
        down = f(point).item()
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


@wrong("2.3", "loops over x.shape[0] only: wrong for 0-dim and 2-D x", breaks="inputs")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().double().clone()
    grad = torch.zeros_like(point)
    for i in range(point.shape[0]):
        old = point[i].clone()
        point[i] = old + eps
        up = f(point)
        point[i] = old - eps
        down = f(point)
        point[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


@wrong("2.3", "divides by eps instead of 2 * eps")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().double().clone()
    flat, grad = point.view(-1), torch.zeros(point.numel(), dtype=torch.float64)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(point).item()
        flat[i] = old - eps
        down = f(point).item()
        flat[i] = old
        grad[i] = (up - down) / eps
    return grad.view_as(point)


@wrong("2.3", "returns the gradient in x's dtype (float32 for float32 x)")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().double().clone()
    flat, grad = point.view(-1), torch.zeros(point.numel(), dtype=torch.float64)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(point).item()
        flat[i] = old - eps
        down = f(point).item()
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad.view_as(point).to(x.dtype)


@correct("2.3", "tensor arithmetic, no .item(), a unit vector per entry")
def numerical_gradient(f, x, eps=1e-6):
    base = x.detach().to(torch.float64)
    grad = torch.zeros(base.numel(), dtype=torch.float64)
    for i in range(base.numel()):
        unit = torch.zeros(base.numel(), dtype=torch.float64)
        unit[i] = 1.0
        unit = unit.reshape(base.shape)
        grad[i] = (f(base + eps * unit) - f(base - eps * unit)) / (2 * eps)
    return grad.reshape(base.shape)


@wrong("2.4", "walks params twice (update, then clear): a generator is empty the second time", breaks="iterables")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
    for p in params:
        p.grad = None


@wrong("2.4", "assumes every parameter has a gradient", breaks="skip-none")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


@wrong("2.4", "zeroes the gradient before using it: nothing moves", breaks="update")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.grad.zero_()
                p -= lr * p.grad


@wrong("2.4", "gradient ascent: p += lr * p.grad")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * p.grad
                p.grad = None


@wrong("2.4", "in-place update without torch.no_grad(): fails on a leaf that requires grad")
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p.sub_(lr * p.grad)
            p.grad = None


@wrong("2.4", "list(params) first, .data arithmetic (bypasses the version counter), grads set to None after the loop",
       breaks="version-counter")
def sgd_step(params, lr):
    params = list(params)
    for p in params:
        if p.grad is not None:
            p.data.sub_(lr * p.grad.data)
    for p in params:
        p.grad = None


@correct("2.4", "torch._foreach_add_ on the parameters that have gradients")
def sgd_step(params, lr):
    with_grad = [p for p in params if p.grad is not None]
    with torch.no_grad():
        if with_grad:
            torch._foreach_add_(with_grad, [p.grad for p in with_grad], alpha=-lr)
    for p in with_grad:
        p.grad = None


@wrong("2.2", "autograd anyway, inside torch.enable_grad() (outside review)", breaks="no-autograd-inside")
def linear_regression_mse_gradients(X, y, w, b):
    with torch.enable_grad():
        w_ = w.detach().requires_grad_()
        b_ = b.detach().requires_grad_()
        loss = ((X @ w_ + b_ - y) ** 2).mean()
        gw, gb = torch.autograd.grad(loss, [w_, b_])
    return gw, gb


@wrong("2.2", "computed in float32 and cast back (outside review)", breaks="float64-accurate")
def linear_regression_mse_gradients(X, y, w, b):
    dt = X.dtype
    X, y, w, b = X.float(), y.float(), w.float(), b.float()
    r = X @ w + b - y
    n = X.shape[0]
    return (2.0 / n * (X.T @ r)).to(dt), (2.0 / n * r.sum()).to(dt)


@correct("2.2", "einsum and mean (outside review)")
def linear_regression_mse_gradients(X, y, w, b):
    r = torch.einsum("nd,d->n", X, w) + b - y
    return 2 * torch.einsum("nd,n->d", X, r) / X.shape[0], 2 * r.mean()


@wrong("2.4", "updates through p.data outside no_grad (outside review)", breaks="version-counter")
def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        p.data -= lr * p.grad.data
        p.grad = None


@wrong("2.4", "p.copy_ from a float32 copy (outside review)", breaks="float64-accurate")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in list(params):
            if p.grad is None:
                continue
            p.copy_(p.float() - lr * p.grad.float())
            p.grad = None


@correct("2.4", "p.add_(p.grad, alpha=-lr) and p.grad.zero_()")
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
                p.grad.zero_()


@wrong("2.2", "bias gradient rebuilt from .item() on the default device (outside review 2)", breaks="dtype-device")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    n = len(y)
    return 2.0 / n * (X.T @ r), torch.tensor((2.0 * r.mean()).item(), dtype=X.dtype)


@wrong("2.1", "requires_grad_(True) on the caller's x, put back after (outside review 3)", breaks="requires-grad-kept")
def gradient(f, x):
    was = x.requires_grad
    if not was:
        x.requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    if not was:
        x.requires_grad_(False)
    return grad


@wrong("2.1", "differentiates at a cpu copy, gradient moved back to x's device (outside review 3)", breaks="inputs")
def gradient(f, x):
    point = x.detach().cpu().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(point), point)
    return grad.to(x.device)


@wrong("2.1", "differentiates a float32 copy and casts back: float64 accuracy lost (outside review 3)",
       breaks="returns")
def gradient(f, x):
    point = x.detach().float().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(point), point)
    return grad.to(x.dtype)


@wrong("2.1", "x.detach().view(-1) as the leaf: a non-contiguous x raises (outside review 3)", breaks="inputs")
def gradient(f, x):
    flat = x.detach().view(-1).requires_grad_(True)
    (grad,) = torch.autograd.grad(f(flat.view(x.shape)), flat)
    return grad.view(x.shape)


@correct("2.1", "torch.autograd.functional.jacobian of the scalar f (outside review 3)")
def gradient(f, x):
    return torch.autograd.functional.jacobian(f, x.detach()).reshape(x.shape)


@wrong("2.2", "the constant 2 / N made a float32 tensor: float64 results off by ~4e-8 (outside review 3)",
       breaks="float64-accurate")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    scale = torch.tensor(2.0 / X.shape[0])
    return scale * (X.T @ r), scale * r.sum()


@wrong("2.4", "lr made a float32 tensor: float64 parameters step by a rounded lr (outside review 3)",
       breaks="float64-accurate")
def sgd_step(params, lr):
    step = torch.tensor(lr)
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= step * p.grad
            p.grad = None


@wrong("2.1", "backward on the caller's x when it requires grad, .grad saved and put back: None for a non-leaf x "
       "(outside review 4)", breaks="inputs")
def gradient(f, x):
    if x.requires_grad:
        old, x.grad = x.grad, None
        f(x).backward()
        grad, x.grad = x.grad, old
        return grad
    point = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(point), point)[0]


@wrong("2.1", "gradient clipped to [-1e4, 1e4] (outside review 4)", breaks="returns")
def gradient(f, x):
    point = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(point), point)[0].clamp(-1e4, 1e4)


@correct("2.1", "grad_outputs a 0-dim cpu ones(): autograd moves a 0-dim gradient to the output's device "
         "(outside review 4)")
def gradient(f, x):
    point = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(point), point, grad_outputs=torch.ones(()))[0]


@wrong("2.2", "gradients brought through numpy: they end on the cpu (outside review 4)", breaks="dtype-device")
def linear_regression_mse_gradients(X, y, w, b):
    r = X @ w + b - y
    n = X.shape[0]
    return (torch.from_numpy((2.0 / n * (X.T @ r)).cpu().numpy()),
            torch.from_numpy((2.0 / n * r.sum()).cpu().numpy()))


@wrong("2.3", "differences gathered by torch.tensor(list) (float32), then .double() (outside review 4)",
       breaks="float64")
def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().to(torch.float64).clone()
    flat = point.view(-1)
    values = []
    for i in range(flat.numel()):
        original = flat[i].item()
        flat[i] = original + eps
        f_plus = f(point).item()
        flat[i] = original - eps
        f_minus = f(point).item()
        flat[i] = original
        values.append((f_plus - f_minus) / (2 * eps))
    return torch.tensor(values).double().view(x.shape)
