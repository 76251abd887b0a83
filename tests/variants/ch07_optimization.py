"""Chapter 07 as learners get it wrong (MISTAKES.md, Optimizers and Training loop) and right in other styles."""
import math

import torch

from tests.variants import correct, wrong


# --- 7.1 full-batch gradient descent -------------------------------------------------------------------------------

@wrong("7.1", "never zeroes the gradients: each step uses the sum of all gradients so far")
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


@wrong("7.1", "p = p - lr * p.grad rebinds a local name: the model never changes")
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


@wrong("7.1", "returns the loss tensors (with their graphs) instead of floats")
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


@correct("7.1", "torch.optim.SGD without momentum, gradients set to None")
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

@wrong("7.2", "drops the last, shorter batch")
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


@wrong("7.2", "one permutation drawn before the epochs: every epoch in the same order")
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


@wrong("7.2", "shuffles with the global RNG instead of the generator")
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


@correct("7.2", "index_select batches and torch.optim.SGD")
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

@wrong("7.3", "momentum buffer created anew every step (no state kept)")
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


@wrong("7.3", "momentum buffer kept by position in the group: shared between parameters of different groups")
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


@wrong("7.3", "weight decay added after the momentum, to the update")
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


@wrong("7.3", "reads lr and momentum from self.defaults, ignoring the parameter group's own")
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


@wrong("7.3", "buffer created with torch.zeros(p.shape): on the default device, not the parameter's")
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

@wrong("7.4", "eps inside the square root")
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


@wrong("7.4", "average started at g^2 instead of zeros")
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


@wrong("7.4", "Adagrad's running sum instead of RMSprop's moving average")
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

@wrong("7.5", "no bias correction")
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


@wrong("7.5", "one step counter for the whole optimizer, increased once per parameter")
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


@wrong("7.5", "decoupled (AdamW) weight decay where Adam's L2 decay is asked for")
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


@wrong("7.5", "eps inside the square root")
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

@wrong("7.6", "L2 weight decay in the gradient (this is Adam, not AdamW)")
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


@wrong("7.6", "decay not scaled by the learning rate: p *= 1 - weight_decay")
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


@wrong("7.6", "no bias correction")
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

@wrong("7.7", "warmup off by one: the first step gets lr 0")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


@wrong("7.7", "cosine measured over total_steps instead of the steps after warmup")
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2


@wrong("7.7", "no special case for warmup_steps == 0 or the end: divides by zero")
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

@wrong("7.8", "scheduler.step() before optimizer.step(): the first rate is skipped")
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


@wrong("7.8", "rate recorded after scheduler.step(): each entry is the next step's")
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
