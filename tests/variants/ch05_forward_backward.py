"""Chapter 05 as learners get it wrong (MISTAKES.md, Autograd) and right in other styles."""
import torch

from tests.variants import correct, wrong


@wrong("5.1", "ReLU applied to the output layer too", breaks="formula")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = torch.relu(z1)
    out = torch.relu(h @ w2.T + b2)
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "ReLU applied in place, so the cached z1 is the activation", breaks="cache")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = z1.relu_()
    out = h @ w2.T + b2
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "hidden layer detached from the graph", breaks="autograd")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = torch.relu(z1).detach()
    out = h @ w2.T + b2
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "bias of the hidden layer forgotten")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T
    h = torch.relu(z1)
    out = h @ w2.T + b2
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}


@correct("5.1", "F.linear and clamp, extra keys in the cache")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = torch.nn.functional.linear(x, w1, b1)
    h = z1.clamp(min=0)
    out = torch.nn.functional.linear(h, w2, b2)
    return out, {"x": x, "z1": z1, "h": h, "w1": w1, "w2": w2, "b1": b1}


@correct("5.1", "einsum and torch.where")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = torch.einsum("nd,hd->nh", x, w1) + b1
    h = torch.where(z1 > 0, z1, torch.zeros_like(z1))
    out = torch.einsum("nh,oh->no", h, w2) + b2
    return out, dict(x=x, z1=z1, h=h, w2=w2)


@wrong("5.2", "ReLU derivative forgotten", breaks="relu-mask")
def mlp_backward(grad_out, cache):
    x, h, w2 = cache["x"], cache["h"], cache["w2"]
    grad_h = grad_out @ w2
    return {"w1": grad_h.T @ x, "b1": grad_h.sum(0), "w2": grad_out.T @ h, "b2": grad_out.sum(0)}


@wrong("5.2", "bias gradients averaged over the batch", breaks="output-layer")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_z1 = (grad_out @ w2) * (z1 > 0)
    return {"w1": grad_z1.T @ x, "b1": grad_z1.mean(0), "w2": grad_out.T @ h, "b2": grad_out.mean(0)}


@wrong("5.2", "pre-activation z1 used where h belongs")
def mlp_backward(grad_out, cache):
    x, z1, w2 = cache["x"], cache["z1"], cache["w2"]
    grad_z1 = (grad_out @ w2) * (z1 > 0)
    return {"w1": grad_z1.T @ x, "b1": grad_z1.sum(0), "w2": grad_out.T @ z1, "b2": grad_out.sum(0)}


@wrong("5.2", "weight gradients transposed (x.T @ grad)", breaks="hidden-layer")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_z1 = (grad_out @ w2) * (z1 > 0)
    return {"w1": x.T @ grad_z1, "b1": grad_z1.sum(0), "w2": h.T @ grad_out, "b2": grad_out.sum(0)}


@wrong("5.2", "the cached z1 is clipped in place to build the mask", breaks="inputs-unchanged")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    z1[z1 < 0] = 0
    grad_z1 = (grad_out @ w2) * (z1 > 0)
    return {"w1": grad_z1.T @ x, "b1": grad_z1.sum(0), "w2": grad_out.T @ h, "b2": grad_out.sum(0)}


@wrong("5.2", "autograd through the cache instead of the chain rule by hand", breaks="by-hand")
def mlp_backward(grad_out, cache):
    out = cache["h"] @ cache["w2"].T
    grad_w2, = torch.autograd.grad(out, [cache["w2"]], grad_outputs=grad_out)
    grad_h = grad_out @ cache["w2"]
    grad_z1 = grad_h * (cache["z1"] > 0)
    return {"w1": grad_z1.T @ cache["x"], "b1": grad_z1.sum(0), "w2": grad_w2, "b2": grad_out.sum(0)}


@correct("5.2", "mask from h > 0, einsum, under no_grad")
def mlp_backward(grad_out, cache):
    with torch.no_grad():
        grad_h = torch.einsum("no,oh->nh", grad_out, cache["w2"])
        grad_z1 = torch.where(cache["h"] > 0, grad_h, torch.zeros_like(grad_h))
        return {
            "w2": torch.einsum("no,nh->oh", grad_out, cache["h"]),
            "b2": grad_out.sum(dim=0),
            "w1": torch.einsum("nh,nd->hd", grad_z1, cache["x"]),
            "b1": grad_z1.sum(dim=0),
        }


@wrong("5.3", "backward forgets the chain rule factor grad_output", breaks="backward")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return s + x * s * (1 - s)


@wrong("5.3", "derivative without the product rule (only sigmoid(x))")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)


@wrong("5.3", "backward returns two gradients for one input", breaks="usage")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s)), grad_output * s


@wrong("5.3", "saves the output and treats it as the input")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))


@correct("5.3", "saves sigmoid and output; dy/dx = s + y(1 - s)")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        y = x * s
        ctx.save_for_backward(s, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        s, y = ctx.saved_tensors
        return grad_output * (s + y * (1 - s))


@wrong("5.4", "backward returns no gradient for the bias", breaks="bias-gradient")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output @ weight, grad_output.T @ x


@wrong("5.4", "bias gradient averaged over the batch")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output @ weight, grad_output.T @ x, grad_output.mean(0) if ctx.has_bias else None


@wrong("5.4", "weight gradient transposed (x.T @ grad_output)", breaks="backward")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output @ weight, x.T @ grad_output, grad_output.sum(0) if ctx.has_bias else None


@wrong("5.4", "fails without a bias (adds None)", breaks="forward")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output @ weight, grad_output.T @ x, grad_output.sum(0)


@correct("5.4", "needs_input_grad and F.linear in forward")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight, bias)
        return torch.nn.functional.linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, bias = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(x)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_x, grad_weight, grad_bias


# --- fresh wrong implementations, one clause each, and more correct styles ------------------------------------------

@wrong("5.1", "tanh where the ReLU belongs", breaks="two-layer")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = torch.tanh(z1)
    return h @ w2.T + b2, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "weights reshaped to (in, out) instead of transposed", breaks="layout")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.reshape(w1.shape[1], w1.shape[0]) + b1
    h = torch.relu(z1)
    return h @ w2.reshape(w2.shape[1], w2.shape[0]) + b2, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "computed in float32 whatever the input dtype", breaks="dtype-device")
def mlp_forward(x, w1, b1, w2, b2):
    x32, w1, b1, w2, b2 = (t.float() for t in (x, w1, b1, w2, b2))
    z1 = x32 @ w1.T + b1
    h = torch.relu(z1)
    return h @ w2.T + b2, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "x.requires_grad_() on the caller's tensor, so autograd can follow", breaks="inputs-unchanged")
def mlp_forward(x, w1, b1, w2, b2):
    if not x.requires_grad:
        x.requires_grad_()
    z1 = x @ w1.T + b1
    h = torch.relu(z1)
    return h @ w2.T + b2, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.1", "cache holds h under the key 'z1' and z1 under 'h'")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = torch.relu(z1)
    return h @ w2.T + b2, {"x": x, "z1": h, "h": z1, "w2": w2}


@correct("5.1", "torch.addmm and torch.maximum, in one expression per layer")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = torch.addmm(b1, x, w1.t())
    h = torch.maximum(z1, torch.zeros((), dtype=z1.dtype, device=z1.device))
    out = torch.addmm(b2, h, w2.t())
    return out, dict(x=x, z1=z1, h=h, w2=w2)


@wrong("5.2", "ReLU mask z1 >= 0: lets gradient through where z1 is exactly 0", breaks="relu-mask")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_z1 = (grad_out @ w2) * (z1 >= 0)
    return {"w1": grad_z1.T @ x, "b1": grad_z1.sum(0), "w2": grad_out.T @ h, "b2": grad_out.sum(0)}


@wrong("5.2", "returns a tuple (w1, b1, w2, b2) instead of a dict", breaks="returns")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_z1 = (grad_out @ w2) * (z1 > 0)
    return grad_z1.T @ x, grad_z1.sum(0), grad_out.T @ h, grad_out.sum(0)


@wrong("5.2", "computed in float64 whatever grad_out's dtype", breaks="dtype-device")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = (cache[k].double() for k in ("x", "z1", "h", "w2"))
    g = grad_out.double()
    grad_z1 = (g @ w2) * (z1 > 0)
    return {"w1": grad_z1.T @ x, "b1": grad_z1.sum(0), "w2": g.T @ h, "b2": g.sum(0)}


@wrong("5.2", "w2 taken as (H, O): grad_h = grad_out @ w2.T", breaks="inputs")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_z1 = (grad_out @ w2.T.reshape(w2.shape)) * (z1 > 0)
    return {"w1": grad_z1.T @ x, "b1": grad_z1.sum(0), "w2": grad_out.T @ h, "b2": grad_out.sum(0)}


@wrong("5.2", "b1's gradient summed from dL/dh, before the ReLU mask", breaks="hidden-layer")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_h = grad_out @ w2
    grad_z1 = grad_h * (z1 > 0)
    return {"w1": grad_z1.T @ x, "b1": grad_h.sum(0), "w2": grad_out.T @ h, "b2": grad_out.sum(0)}


@correct("5.2", "torch.where mask, einsum sums, a loop over the layers")
def mlp_backward(grad_out, cache):
    grads = {}
    upstream = grad_out
    for layer, inputs in (("2", cache["h"]), ("1", cache["x"])):
        grads["w" + layer] = torch.einsum("no,nd->od", upstream, inputs)
        grads["b" + layer] = upstream.sum(dim=0)
        if layer == "2":
            upstream = torch.where(cache["z1"] > 0, upstream @ cache["w2"], torch.zeros_like(cache["z1"]))
    return grads


@wrong("5.3", "forward returns sigmoid(x), without the factor x", breaks="forward")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))


@wrong("5.3", "backward passes grad_output through unchanged", breaks="custom-function")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


@wrong("5.3", "forward computed in float32 whatever x's dtype", breaks="dtype-device")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        x32 = x.float()
        return x32 * torch.sigmoid(x32)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))


@correct("5.3", "sigmoid as 1 / (1 + exp(-x)), x kept on ctx, needs_input_grad honoured")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))


@wrong("5.4", "forward takes (weight, x, bias): apply(x, weight, bias) swaps them", breaks="usage")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weight, x, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output.T @ x, grad_output @ weight, grad_output.sum(0) if ctx.has_bias else None


@correct("5.4", "backward in float64: autograd casts each gradient back to its input's dtype")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = (t.double() for t in ctx.saved_tensors)
        g = grad_output.double()
        return g @ weight, g.T @ x, g.sum(0) if ctx.has_bias else None


@wrong("5.4", "dL/dx from the transposed weight: dL/dy @ weight.T.T.T", breaks="backward")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = (grad_output.reshape(-1, weight.shape[0]) @ weight.reshape(weight.shape[0], -1))
        return grad_x.flip(0), grad_output.T @ x, grad_output.sum(0) if ctx.has_bias else None


@wrong("5.4", "forward computed in float64 whatever the inputs' dtype", breaks="dtype-device")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x.double() @ weight.double().T
        return out + bias.double() if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        g = grad_output.to(x.dtype)
        return g @ weight, g.T @ x, g.sum(0) if ctx.has_bias else None


@wrong("5.3", "x kept as ctx.x instead of ctx.save_for_backward (outside review)", breaks="saved-tensors")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.x
        s = torch.sigmoid(x)
        return g * (s + x * s * (1 - s))


@wrong("5.3", "backward computed in float32 and cast back (outside review)", breaks="float64-accurate")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xf = x.float()
        s = torch.sigmoid(xf)
        return (g.float() * (s + xf * s * (1 - s))).to(x.dtype)


@wrong("5.4", "no default for bias: LinearFunction.apply(x, weight) raises (outside review)", breaks="bias-default")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.nb = bias is None
        out = x @ weight.T
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        return g @ weight, g.T @ x, None if ctx.nb else g.sum(0)


@wrong("5.4", "grad_weight computed in float32 and cast back (outside review)", breaks="float64-accurate")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.nb = bias is None
        out = x @ weight.T
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        gw = (g.float().T @ x.float()).to(weight.dtype)
        return g @ weight, gw, None if ctx.nb else g.sum(0)


@correct("5.3", "saves s and y; dy/dx = y + s(1 - y) (outside review)")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        y = x * s
        ctx.save_for_backward(s, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        s, y = ctx.saved_tensors
        return grad_output * (y + s * (1 - y))



# --- issue 9, outside review 2 (ch05-08): false passes found by implementations written without seeing the checks --

@wrong("5.1", "moves the cached h to the cpu 'to save accelerator memory': a cache entry on the wrong device "
       "(outside review 2)", breaks="dtype-device")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = torch.relu(z1)
    out = h @ w2.T + b2
    return out, {"x": x, "z1": z1, "h": h.cpu(), "w2": w2}


@wrong("5.2", "brings dL/dw1 to the cpu: one gradient on the wrong device (outside review 2)", breaks="dtype-device")
def mlp_backward(grad_out, cache):
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_h = grad_out @ w2
    grad_z1 = grad_h * (z1 > 0)
    return {"w1": (grad_z1.T @ x).cpu(), "b1": grad_z1.sum(dim=0), "w2": grad_out.T @ h, "b2": grad_out.sum(dim=0)}


@wrong("5.3", "forward computed on x.cpu() and left there: y on the wrong device (outside review 2)",
       breaks="dtype-device")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        x_cpu = x.cpu()
        return x_cpu * torch.sigmoid(x_cpu)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))


@wrong("5.4", "forward result brought to the cpu: y on the wrong device (outside review 2)", breaks="dtype-device")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return (out + bias if bias is not None else out).cpu()

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_bias = grad_output.sum(dim=0) if ctx.has_bias else None
        return grad_output @ weight, grad_output.T @ x, grad_bias


@correct("5.1", "the hidden layer computed on the cpu and brought back to x's device: values, dtype, device and "
         "graph all right (outside review 2)")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = (x.cpu() @ w1.cpu().T + b1.cpu()).to(x.device)
    h = torch.relu(z1)
    out = h @ w2.T + b2
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}


# --- outside review 3 ------------------------------------------------------------------------------------------------

@wrong("5.1", "ReLU as z1 * (z1 > 0): a -inf pre-activation gives -inf * 0 = nan, not 0 (outside review 3)",
       breaks="formula")
def mlp_forward(x, w1, b1, w2, b2):
    z1 = x @ w1.T + b1
    h = z1 * (z1 > 0)
    out = h @ w2.T + b2
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}


@wrong("5.3", "backward makes torch.ones(x.shape) on the default device for 1 - s (outside review 3)",
       breaks="dtype-device")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        one = torch.ones(x.shape, dtype=x.dtype)
        return grad_output * (s + x * s * (one - s))


@wrong("5.3", "forward flattens with x.view(-1): fails on a non-contiguous (transposed) input (outside review 3)",
       breaks="forward")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        flat = x.view(-1)
        return (flat * torch.sigmoid(flat)).view(x.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))


@wrong("5.3", "dy/dx replaced by its limits (1 or 0) for |x| > 10, a saturation shortcut (outside review 3)",
       breaks="backward")
class SiLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        d = s + x * s * (1 - s)
        return grad_output * torch.where(x.abs() > 10, (x > 0).to(x.dtype), d)


@wrong("5.4", "without a bias, adds torch.zeros(O) made on the default device (outside review 3)",
       breaks="dtype-device")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        if bias is None:
            bias = torch.zeros(weight.shape[0], dtype=x.dtype)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output @ weight, grad_output.T @ x, grad_output.sum(0) if ctx.has_bias else None


@wrong("5.4", "transpose chosen by shape: dL/dx = grad_output @ weight.T when weight is square (outside review 3)",
       breaks="backward")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        square = weight.shape[0] == weight.shape[1]
        grad_x = grad_output @ (weight.T if square else weight)
        return grad_x, grad_output.T @ x, grad_output.sum(0) if ctx.has_bias else None
