"""Chapter 07 as learners get it wrong (MISTAKES.md, Optimizers and Training loop) and right in other styles."""
import math

import torch

from tests.variants import correct, wrong


# --- 7.1 full-batch gradient descent -------------------------------------------------------------------------------

@wrong("7.1", "never zeroes the gradients: each step uses the sum of all gradients so far", breaks="zero-grad")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


@wrong("7.1", "p = p - lr * p.grad rebinds a local name: the model never changes", breaks="update")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p = p - lr * p.grad
        losses.append(loss.item())
    return losses


@wrong("7.1", "returns the loss tensors (with their graphs) instead of floats", breaks="returns-floats")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss)
    return losses


@wrong("7.1", "torch.optim.SGD without momentum, gradients set to None: the docstring says without torch.optim",
       breaks="zero-grad")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


@correct("7.1", "torch.autograd.grad and p.sub_")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    params = list(model.parameters())
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)
        losses.append(loss.item())
    return losses


# --- 7.2 minibatch SGD ---------------------------------------------------------------------------------------------

@wrong("7.2", "drops the last, shorter batch", breaks="slices")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - batch_size + 1, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.2", "one permutation drawn before the epochs: every epoch in the same order", breaks="fresh-permutation")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    n = x.shape[0]
    order = torch.randperm(n, generator=generator)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.2", "shuffles with the global RNG instead of the generator", breaks="generator-only")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.2", "never shuffles")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    for _ in range(epochs):
        for start in range(0, x.shape[0], batch_size):
            loss = loss_fn(model(x[start:start + batch_size]), y[start:start + batch_size])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.2", "index_select batches and torch.optim.SGD: the docstring says without torch.optim", breaks="in-place")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    n = len(x)
    for _ in range(epochs):
        permutation = torch.randperm(n, generator=generator)
        for first in range(0, n, batch_size):
            rows = permutation[first:min(first + batch_size, n)]
            optimizer.zero_grad()
            loss = loss_fn(model(x.index_select(0, rows)), y.index_select(0, rows))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


@correct("7.2", "torch.split of the permutation")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            loss = loss_fn(model(x[batch]), y[batch])
            grads = torch.autograd.grad(loss, list(model.parameters()))
            with torch.no_grad():
                for p, g in zip(model.parameters(), grads):
                    p.add_(g, alpha=-lr)
            losses.append(float(loss))
    return losses


# --- 7.3 SGD with momentum -----------------------------------------------------------------------------------------

@wrong("7.3", "momentum buffer created anew every step (no state kept)", breaks="buffer")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                buf = torch.zeros_like(p)
                buf = group["momentum"] * buf + d
                d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "momentum buffer kept by position in the group: shared between parameters of different groups",
       breaks="buffer")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))
        self.buffers = {}

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for i, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if group["momentum"]:
                    if i not in self.buffers:
                        self.buffers[i] = d.clone()
                    else:
                        self.buffers[i] = group["momentum"] * self.buffers[i] + d
                    buf = self.buffers[i]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "weight decay added after the momentum, to the update", breaks="weight-decay")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if group["momentum"]:
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = d.clone()
                    else:
                        state["buf"].mul_(group["momentum"]).add_(d)
                    d = d + group["momentum"] * state["buf"] if group["nesterov"] else state["buf"]
                p.add_(d + group["weight_decay"] * p, alpha=-group["lr"])


@wrong("7.3", "reads lr and momentum from self.defaults, ignoring the parameter group's own", breaks="own-group")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        lr, momentum = self.defaults["lr"], self.defaults["momentum"]
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if momentum:
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = d.clone()
                    else:
                        state["buf"].mul_(momentum).add_(d)
                    d = d + momentum * state["buf"] if group["nesterov"] else state["buf"]
                p.add_(d, alpha=-lr)


@wrong("7.3", "buffer created with torch.zeros(p.shape): on the default device, not the parameter's",
       breaks="dtype-device")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if group["momentum"]:
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = torch.zeros(p.shape, dtype=p.dtype)
                    state["buf"].mul_(group["momentum"]).add_(d)
                    d = d + group["momentum"] * state["buf"] if group["nesterov"] else state["buf"]
                p.add_(d, alpha=-group["lr"])


@correct("7.3", "buffer from zeros_like via setdefault, then mul_ and add_; p.sub_ and a closure")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum <= 0):
            raise ValueError(f"bad SGD settings: lr={lr}, momentum={momentum}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            mu = group["momentum"]
            for p in (q for q in group["params"] if q.grad is not None):
                d = p.grad.add(p, alpha=group["weight_decay"])
                if mu:
                    buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p))
                    buf.mul_(mu).add_(d)
                    d = d.add(buf, alpha=mu) if group["nesterov"] else buf
                p.sub_(group["lr"] * d)
        return loss


# --- 7.4 RMSprop ---------------------------------------------------------------------------------------------------

@wrong("7.4", "eps inside the square root", breaks="eps-outside")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                s = self.state[p].setdefault("s", torch.zeros_like(p))
                s.mul_(group["alpha"]).add_((1 - group["alpha"]) * g * g)
                p.sub_(group["lr"] * g / torch.sqrt(s + group["eps"]))


@wrong("7.4", "average started at g^2 instead of zeros", breaks="average")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if "s" not in state:
                    state["s"] = g * g
                else:
                    state["s"].mul_(group["alpha"]).add_((1 - group["alpha"]) * g * g)
                p.sub_(group["lr"] * g / (state["s"].sqrt() + group["eps"]))


@wrong("7.4", "Adagrad's running sum instead of RMSprop's moving average", breaks="equal-to-torch")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                s = self.state[p].setdefault("s", torch.zeros_like(p))
                s.add_((1 - group["alpha"]) * g * g)
                p.sub_(group["lr"] * g / (s.sqrt() + group["eps"]))


@correct("7.4", "out-of-place arithmetic, state replaced each step")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + wd * p
                previous = self.state[p].get("square_avg", torch.zeros_like(p))
                square_avg = alpha * previous + (1 - alpha) * g.pow(2)
                self.state[p]["square_avg"] = square_avg
                p.copy_(p - lr * g / (square_avg.sqrt() + eps))


# --- 7.5 Adam ------------------------------------------------------------------------------------------------------

@wrong("7.5", "no bias correction", breaks="bias-correction")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                state["m"].mul_(beta1).add_((1 - beta1) * g)
                state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                p.sub_(group["lr"] * state["m"] / (state["v"].sqrt() + group["eps"]))


@wrong("7.5", "one step counter for the whole optimizer, increased once per parameter", breaks="own-steps")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.t = 0

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.t += 1
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                state["m"].mul_(beta1).add_((1 - beta1) * g)
                state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                m_hat = state["m"] / (1 - beta1 ** self.t)
                v_hat = state["v"] / (1 - beta2 ** self.t)
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


@wrong("7.5", "decoupled (AdamW) weight decay where Adam's L2 decay is asked for", breaks="l2")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                g = p.grad
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                state["t"] += 1
                state["m"].mul_(beta1).add_((1 - beta1) * g)
                state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                m_hat = state["m"] / (1 - beta1 ** state["t"])
                v_hat = state["v"] / (1 - beta2 ** state["t"])
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


@wrong("7.5", "eps inside the square root", breaks="update")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                state["t"] += 1
                state["m"].mul_(beta1).add_((1 - beta1) * g)
                state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                m_hat = state["m"] / (1 - beta1 ** state["t"])
                v_hat = state["v"] / (1 - beta2 ** state["t"])
                p.sub_(group["lr"] * m_hat / torch.sqrt(v_hat + group["eps"]))


@correct("7.5", "bias correction folded into the step size, as torch writes it; lerp_ for the first moment")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad if group["weight_decay"] == 0 else p.grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                step = state["step"].item()
                state["exp_avg"].lerp_(grad, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                step_size = group["lr"] / (1 - beta1 ** step)
                denom = (state["exp_avg_sq"].sqrt() / math.sqrt(1 - beta2 ** step)).add_(group["eps"])
                p.addcdiv_(state["exp_avg"], denom, value=-step_size)


# --- 7.6 AdamW -----------------------------------------------------------------------------------------------------

@wrong("7.6", "L2 weight decay in the gradient (this is Adam, not AdamW)", breaks="raw-gradient")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                state["t"] += 1
                state["m"].mul_(beta1).add_((1 - beta1) * g)
                state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                m_hat = state["m"] / (1 - beta1 ** state["t"])
                v_hat = state["v"] / (1 - beta2 ** state["t"])
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


@wrong("7.6", "decay not scaled by the learning rate: p *= 1 - weight_decay", breaks="decoupled")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                state["t"] += 1
                state["m"].mul_(beta1).add_((1 - beta1) * p.grad)
                state["v"].mul_(beta2).add_((1 - beta2) * p.grad * p.grad)
                m_hat = state["m"] / (1 - beta1 ** state["t"])
                v_hat = state["v"] / (1 - beta2 ** state["t"])
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


@wrong("7.6", "no bias correction", breaks="adam-step")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                state["m"].mul_(beta1).add_((1 - beta1) * p.grad)
                state["v"].mul_(beta2).add_((1 - beta2) * p.grad * p.grad)
                p.sub_(group["lr"] * state["m"] / (state["v"].sqrt() + group["eps"]))


@correct("7.6", "one Adam update function, decay applied before it; state as a tuple")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if min(lr, eps, weight_decay) < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @staticmethod
    def _adam_direction(g, t, m, v, betas, eps):
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        direction = (m / (1 - betas[0] ** t)) / ((v / (1 - betas[1] ** t)).sqrt() + eps)
        return direction, m, v

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                t, m, v = self.state[p].get("tmv", (0, torch.zeros_like(p), torch.zeros_like(p)))
                direction, m, v = self._adam_direction(p.grad, t + 1, m, v, group["betas"], group["eps"])
                self.state[p]["tmv"] = (t + 1, m, v)
                p.mul_(1 - group["lr"] * group["weight_decay"]).sub_(group["lr"] * direction)


# --- 7.7 warmup + cosine -------------------------------------------------------------------------------------------

@wrong("7.7", "warmup off by one: the first step gets lr 0", breaks="warmup")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


@wrong("7.7", "cosine measured over total_steps instead of the steps after warmup", breaks="cosine")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2


@wrong("7.7", "no special case for warmup_steps == 0 or the end: divides by zero", breaks="end")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step <= warmup_steps - 1:
        return base_lr * (step + 1) / warmup_steps
    progress = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


@correct("7.7", "one clamped progress instead of a branch for the end")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * min(1.0, (step + 1) / warmup_steps)
    span = total_steps - warmup_steps
    progress = 1.0 if step >= total_steps else max(step - warmup_steps, 0) / span
    return float(min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress)))


# --- 7.8 training under a scheduler --------------------------------------------------------------------------------

@wrong("7.8", "scheduler.step() before optimizer.step(): the first rate is skipped", breaks="order")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        losses.append(loss.item())
    return losses, lrs


@wrong("7.8", "rate recorded after scheduler.step(): each entry is the next step's", breaks="rate-used")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        losses.append(loss.item())
    return losses, lrs


@wrong("7.8", "no zero_grad: gradients accumulate across steps")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses, lrs


@correct("7.8", "scheduler.get_last_lr() read before the step, set_to_none gradients")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        lrs.append(float(scheduler.get_last_lr()[0]))
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        losses.append(float(loss))
        loss.backward()
        optimizer.step()
        scheduler.step()
    return losses, lrs


# --- fresh wrong implementations, one clause each, and more correct styles ------------------------------------------

@wrong("7.1", "one random sample per step instead of the whole dataset", breaks="whole-dataset")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for step in range(steps):
        i = step % x.shape[0]
        loss = loss_fn(model(x[i:i + 1]), y[i:i + 1])
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


@wrong("7.1", "a new nn.Parameter put on the model every step", breaks="in-place-leaves")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for name, p in list(model.named_parameters()):
                setattr(model, name, torch.nn.Parameter(p - lr * p.grad))
        losses.append(loss.item())
    return losses


@wrong("7.1", "gradients zeroed after each update, not before the first backward", breaks="zero-grad")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad.zero_()
        losses.append(loss.item())
    return losses


@wrong("7.1", "records the loss after each update instead of before it", breaks="returns-floats")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss_fn(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
            losses.append(loss_fn(model(x), y).item())
    return losses


@correct("7.1", "p.grad = None before backward, p.data updated, float(loss)")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    params = [p for p in model.parameters()]
    history = []
    for _ in range(steps):
        for p in params:
            p.grad = None
        loss = loss_fn(model(x), y)
        history.append(float(loss))
        loss.backward()
        for p in params:
            p.data.add_(p.grad.data, alpha=-lr)
    return history


@wrong("7.2", "one update per epoch on the gradients summed over its batches", breaks="one-update-per-batch")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses, n = [], x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        model.zero_grad()
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            losses.append(loss.item())
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return losses


@wrong("7.2", "learning rate scaled by the batch's share of N", breaks="update")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses, n = [], x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * len(batch) / n * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.2", "parameters replaced by new nn.Parameters after each batch", breaks="in-place")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses, n = [], x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for name, p in list(model.named_parameters()):
                    setattr(model, name, torch.nn.Parameter(p - lr * p.grad))
            losses.append(loss.item())
    return losses


@wrong("7.2", "returns one mean loss per epoch", breaks="returns-floats")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses, n = [], x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        epoch = []
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            epoch.append(loss.item())
        losses.append(sum(epoch) / len(epoch))
    return losses


@wrong("7.2", "x and y shuffled with two different permutations")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses, n = [], x.shape[0]
    for _ in range(epochs):
        xs, ys = x[torch.randperm(n, generator=generator)], y[torch.randperm(n, generator=generator)]
        for start in range(0, n, batch_size):
            loss = loss_fn(model(xs[start:start + batch_size]), ys[start:start + batch_size])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.2", "batches counted as N // batch_size, then one extra of the remainder even when none is left")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses, n = [], x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for k in range(n // batch_size + 1):
            batch = order[k * batch_size:(k + 1) * batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            losses.append(loss.item())
    return losses


@wrong("7.3", "momentum buffer aliases p.grad: stored without .clone()", breaks="buffer-own-tensor")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if group["weight_decay"] != 0:
                    d = d + group["weight_decay"] * p
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    buf = state["momentum_buffer"]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "weight decay added to p.grad in place", breaks="grad-unchanged")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad.add_(p, alpha=group["weight_decay"])
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    buf = state["momentum_buffer"]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "weight decay applied only inside the momentum branch: ignored when momentum is 0", breaks="weight-decay")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if group["momentum"] != 0:
                    d = d + group["weight_decay"] * p
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    buf = state["momentum_buffer"]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "nesterov flag ignored: always plain momentum", breaks="nesterov")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    d = state["momentum_buffer"]
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "a missing gradient treated as zeros: the buffer keeps moving the parameter", breaks="skip-none")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                d = g + group["weight_decay"] * p
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    buf = state["momentum_buffer"]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "buffer kept in float32 whatever the parameter's dtype", breaks="dtype-device")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.float().clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d.float())
                    buf = state["momentum_buffer"].to(p.dtype)
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "default learning rate 0.01 instead of 1e-3", breaks="defaults")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    buf = state["momentum_buffer"]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "no checks in __init__: a negative lr trains backwards", breaks="errors")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                    buf = state["momentum_buffer"]
                    d = d + group["momentum"] * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@wrong("7.3", "momentum as a moving average: buf = momentum * buf + (1 - momentum) * d", breaks="equal-to-torch")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0 or (nesterov and momentum == 0):
            raise ValueError("invalid SGD hyperparameters")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            m = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad + group["weight_decay"] * p
                if m != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d.clone()
                    else:
                        state["momentum_buffer"].mul_(m).add_(d, alpha=1 - m)
                    buf = state["momentum_buffer"]
                    d = d + m * buf if group["nesterov"] else buf
                p.add_(d, alpha=-group["lr"])


@correct("7.3", "torch.clone(d).detach() buffer, hyperparameters unpacked per group, p.data.sub_")
class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if nesterov and not momentum > 0:
            raise ValueError("nesterov needs momentum")
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay,
                                  "nesterov": nesterov})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        with torch.no_grad():
            for group in self.param_groups:
                lr, mu, wd, nesterov = (group[k] for k in ("lr", "momentum", "weight_decay", "nesterov"))
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    d = p.grad.detach()
                    if wd:
                        d = d.add(p.detach(), alpha=wd)
                    if mu:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = state["momentum_buffer"] = torch.clone(d).detach()
                        else:
                            buf.mul_(mu).add_(d)
                        d = d.add(buf, alpha=mu) if nesterov else buf
                    p.data.sub_(lr * d)
        return loss


@wrong("7.4", "alpha read from self.defaults, not from the parameter's group", breaks="own-group")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        alpha = self.defaults["alpha"]
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(alpha).addcmul_(g, g, value=1 - alpha)
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])


@wrong("7.4", "weight decay ignored", breaks="weight-decay")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])


@wrong("7.4", "a missing gradient treated as zeros: the average decays anyway", breaks="skip-none")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                g = (p.grad if p.grad is not None else torch.zeros_like(p)) + group["weight_decay"] * p
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])


@wrong("7.4", "average kept in float64 whatever the parameter's dtype", breaks="dtype-device")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = (p.grad + group["weight_decay"] * p).double()
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p, dtype=torch.float64))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.sub_((group["lr"] * g / (s.sqrt() + group["eps"])).to(p.dtype))


@wrong("7.4", "weight decay added to p.grad in place", breaks="grad-unchanged")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                g += group["weight_decay"] * p
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])


@wrong("7.4", "default alpha 0.9 instead of 0.99", breaks="defaults")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.9, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("invalid RMSprop hyperparameters")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])


@wrong("7.4", "no checks in __init__", breaks="errors")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                s = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.addcdiv_(g, s.sqrt().add_(group["eps"]), value=-group["lr"])


@correct("7.4", "torch.where-free arithmetic with .item() hyperparameters and a dict of state")
class RMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError("lr, eps and weight_decay must be >= 0")
        if not (0 <= alpha < 1):
            raise ValueError("alpha must be in [0, 1)")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            alpha = torch.tensor(group["alpha"], dtype=torch.float64).item()
            for p in filter(lambda q: q.grad is not None, group["params"]):
                g = torch.add(p.grad, p, alpha=group["weight_decay"])
                state = self.state[p]
                if "square_avg" not in state:
                    state["square_avg"] = p.new_zeros(p.shape)
                state["square_avg"].mul_(alpha).add_((1 - alpha) * g * g)
                p.sub_(group["lr"] * g / (state["square_avg"].sqrt() + group["eps"]))


@wrong("7.5", "beta1 and beta2 swapped in the moving averages", breaks="moments")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta2).add_(g, alpha=1 - beta2)
                state["v"].mul_(beta1).addcmul_(g, g, value=1 - beta1)
                m_hat, v_hat = state["m"] / (1 - beta1 ** t), state["v"] / (1 - beta2 ** t)
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


@wrong("7.5", "t, m and v kept in a dict of the optimizer keyed by id(p), not in self.state[p]", breaks="state")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.moments = {}

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                t, m, v = self.moments.get(id(p), (0, torch.zeros_like(p), torch.zeros_like(p)))
                t, m, v = t + 1, beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
                self.moments[id(p)] = (t, m, v)
                p.sub_(group["lr"] * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + group["eps"]))


@wrong("7.5", "a missing gradient treated as zeros: t, m and v move on anyway", breaks="skip-none")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                g = (p.grad if p.grad is not None else torch.zeros_like(p)) + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.5", "m and v kept in float32 whatever the parameter's dtype", breaks="dtype-device")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = (p.grad + group["weight_decay"] * p).float()
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p, dtype=torch.float32),
                                 v=torch.zeros_like(p, dtype=torch.float32))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                update = (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt() + group["eps"])
                p.sub_(group["lr"] * update.to(p.dtype))


@wrong("7.5", "weight decay added to p.grad in place", breaks="grad-unchanged")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add_(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.5", "default betas (0.9, 0.99)", breaks="defaults")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.5", "no checks in __init__", breaks="errors")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.5", "bias correction with beta1 for both moments", breaks="bias-correction")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta1 ** t)).sqrt()
                                                                        + group["eps"]))


@correct("7.5", "torch.tensor step counter, addcdiv_ with math.sqrt of the corrections, numpy-free")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError("negative hyperparameter")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas {betas} must lie in [0, 1)")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    def step(self, closure=None):
        with torch.no_grad():
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                    st = self.state[p]
                    if "step" not in st:
                        st["step"] = torch.zeros(())
                        st["exp_avg"], st["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
                    st["step"] += 1
                    t = int(st["step"].item())
                    st["exp_avg"].mul_(b1).add_(g, alpha=1 - b1)
                    st["exp_avg_sq"].mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = st["exp_avg_sq"].sqrt().div_(math.sqrt(1 - b2 ** t)).add_(group["eps"])
                    p.addcdiv_(st["exp_avg"], denom, value=-group["lr"] / (1 - b1 ** t))


@wrong("7.6", "parameters without a gradient are decayed too", breaks="skip-none")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                p.mul_(1 - group["lr"] * group["weight_decay"])
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.6", "m and v kept in float64 whatever the parameter's dtype", breaks="dtype-device")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p, dtype=torch.float64),
                                 v=torch.zeros_like(p, dtype=torch.float64))
                state["step"] += 1
                t, g = state["step"], p.grad.double()
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                update = (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt() + group["eps"])
                p.sub_((group["lr"] * update).to(p.dtype))


@wrong("7.6", "p.grad zeroed after the step, to be helpful", breaks="grad-unchanged")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))
                p.grad.zero_()


@wrong("7.6", "default weight_decay 0: no decay unless asked", breaks="defaults")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.6", "no checks in __init__", breaks="errors")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.6", "decay applied after the Adam step instead of before", breaks="decoupled")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))
                p.mul_(1 - group["lr"] * group["weight_decay"])


@correct("7.6", "torch.optim.Adam's formula by hand: decay by p.data.mul_, lerp_ and addcdiv_")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if any(v < 0 for v in (lr, eps, weight_decay)) or any(not 0 <= b < 1 for b in betas):
            raise ValueError("bad AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.data.mul_(1 - lr * wd)
                state = self.state[p]
                state["step"] = state.get("step", 0) + 1
                m = state.setdefault("exp_avg", torch.zeros_like(p))
                v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
                m.lerp_(p.grad, 1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                t = state["step"]
                p.addcdiv_(m / (1 - b1 ** t), (v / (1 - b2 ** t)).sqrt() + eps, value=-lr)


@wrong("7.7", "numpy.cos: returns numpy.float64, not a Python float", breaks="returns-float")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    import numpy

    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + numpy.cos(numpy.pi * progress)) / 2


@wrong("7.7", "min_lr defaults to 1e-5", breaks="default-min-lr")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=1e-5):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


@wrong("7.7", "the cosine phase counts steps from 1", breaks="step-numbering")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step + 1 - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


@wrong("7.7", "the cosine falls to 0 and min_lr is added on top", breaks="summary")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + base_lr * (1 + math.cos(math.pi * progress)) / 2


@wrong("7.7", "the end returns 0.0 instead of min_lr")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return 0.0
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


@correct("7.7", "a lookup of phases with float() on the way out")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step >= total_steps:
        return float(min_lr)
    if step < warmup_steps:
        return float(base_lr * (step + 1) / warmup_steps)
    cosine = math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps))
    return float(min_lr + (base_lr - min_lr) * 0.5 * (1.0 + cosine))


@wrong("7.8", "each step on the first half of the data only", breaks="full-batch")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    half = x.shape[0] // 2
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x[:half]), y[:half])
        loss.backward()
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses, lrs


@wrong("7.8", "returns (lrs, losses) in the wrong order", breaks="returns")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return lrs, losses


@wrong("7.8", "losses kept as tensors")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        losses.append(loss.detach())
    return losses, lrs


@wrong("7.5", "AMSGrad: the running maximum of v in the denominator", breaks="equal-to-torch")
class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid Adam hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p), v_max=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                torch.maximum(state["v_max"], state["v"], out=state["v_max"])
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v_max"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


@wrong("7.6", "AMSGrad: the running maximum of v in the denominator", breaks="equal-to-torch")
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid AdamW hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p), v_max=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                torch.maximum(state["v_max"], state["v"], out=state["v_max"])
                p.sub_(group["lr"] * (state["m"] / (1 - beta1 ** t)) / ((state["v_max"] / (1 - beta2 ** t)).sqrt()
                                                                        + group["eps"]))


# --- outside review r2: false passes made to fail ------------------------------------------------------------------

@wrong("7.1", "uses torch.optim.SGD although the docstring says without torch.optim (r2)", breaks="zero-grad")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@wrong("7.2", "zeroes grads after the update only: stale grads at arrival leak into the first step (r2)",
       breaks="in-place")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            b = order[start:start + batch_size]
            loss = loss_fn(model(x[b]), y[b])
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            model.zero_grad()
            losses.append(loss.item())
    return losses


@wrong("7.8", "records the LAST param group's lr instead of param_groups[0]'s (r2)", breaks="rate-used")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(float(optimizer.param_groups[-1]["lr"]))
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses, lrs


# --- issue 9, outside review (ch05-08): false passes found by implementations written without seeing the checks -----

@wrong("7.1", "p.data = p.data - lr * p.grad: the same Parameter object, its values in new memory",
       breaks="in-place-leaves")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.data = parameter.data - lr * parameter.grad
        losses.append(loss.item())
    model.zero_grad()
    return losses



@wrong("7.2", "batches from order.chunk(ceil(N / batch_size)): split evenly, not slices of batch_size",
       breaks="slices")
def minibatch_sgd(model, loss_fn, x, y, lr, epochs, batch_size, generator):
    losses = []
    count = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(count, generator=generator)
        for batch in order.chunk(-(-count // batch_size)):
            loss = loss_fn(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter -= lr * parameter.grad
            losses.append(loss.item())
    model.zero_grad()
    return losses



@wrong("7.8", "param_groups[0]['lr'] appended without float(): a tensor lr is one tensor the scheduler changes "
       "in place", breaks="returns")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = ([], [])
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return (losses, lrs)



@wrong("7.8", "gradients zeroed after optimizer.step(), not before the backward: stale gradients at entry join "
       "the first step", breaks="order")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = ([], [])
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(float(optimizer.param_groups[0]['lr']))
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
        losses.append(loss.item())
    return (losses, lrs)



# --- issue 9, outside review 2 (ch05-08): false passes found by implementations written without seeing the checks --

@wrong("7.1", "walks model.modules() and each module's own parameters: a weight tied into two layers is updated "
       "twice per step (outside review 2)", breaks="update")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for module in model.modules():
                for p in module.parameters(recurse=False):
                    p -= lr * p.grad
        losses.append(loss.item())
    return losses


@wrong("7.1", "range(max(steps, 1)): steps = 0 still takes one step and returns one loss (outside review 2)",
       breaks="returns-floats")
def full_batch_gradient_descent(model, loss_fn, x, y, lr, steps):
    losses = []
    for _ in range(max(steps, 1)):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


@wrong("7.8", "do-while loop (checks its count after a step): steps=0 still takes one step (outside review 3)",
       breaks="returns")
def train_with_schedule(model, loss_fn, x, y, optimizer, scheduler, steps):
    losses, lrs = [], []
    while True:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if len(losses) >= steps:
            break
    return losses, lrs
