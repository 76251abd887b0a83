"""Chapter 04 as learners get it wrong (MISTAKES.md, Modules) and right in other styles."""
import torch
from torch import nn
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("4.1", "output squeezed to (N,)", breaks="shapes")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.linear(x).squeeze()


@wrong("4.1", "layer created inside forward", breaks="registered")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features

    def forward(self, x):
        return nn.Linear(self.in_features, self.out_features)(x)


@wrong("4.1", "plain tensors instead of nn.Parameter")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.weight = torch.randn(out_features, in_features, requires_grad=True)
        self.bias = torch.zeros(out_features, requires_grad=True)

    def forward(self, x):
        return x @ self.weight.T + self.bias


@wrong("4.1", "a ReLU after the linear layer", breaks="one-linear")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return torch.relu(self.linear(x))


@wrong("4.1", "nn.Parameter weight and bias with F.linear: no nn.Linear layer (outside review 2)", breaks="one-linear")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        bound = in_features ** -0.5
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


@correct("4.1", "matrix product with the layer's weight")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return x @ self.linear.weight.T + self.linear.bias


@wrong("4.2", "forward applies the sigmoid (the article's version)", breaks="logits")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x)).squeeze(-1)

    def predict_proba(self, x):
        return self(x)


@wrong("4.2", ".squeeze() turns a batch of one into a scalar")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze()

    def predict_proba(self, x):
        return torch.sigmoid(self(x))


@wrong("4.2", "logits left as (N, 1)")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x)

    def predict_proba(self, x):
        return torch.sigmoid(self(x))


@wrong("4.2", "predict_proba as exp(z) / (1 + exp(z)): nan for large logits", breaks="proba")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        z = self(x)
        return torch.exp(z) / (1 + torch.exp(z))


@wrong("4.2", "predict_proba as a softmax over the batch")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return torch.softmax(self(x), dim=0)


@correct("4.2", "flattened logits and torch.special.expit")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).flatten()

    def predict_proba(self, x):
        return torch.special.expit(self.forward(x))


@wrong("4.3", "layers kept in a plain Python list", breaks="containers")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.activation, self.dropout = activation(), nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.dropout(self.activation(layer(x)))
        return self.layers[-1](x)


@wrong("4.3", "activation after the last layer too", breaks="raw-output")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), activation(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "F.dropout without training=self.training", breaks="train-eval")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation, self.p = activation(), dropout

    def forward(self, x):
        for layer in self.linears[:-1]:
            x = F.dropout(self.activation(layer(x)), self.p)
        return self.linears[-1](x)


@wrong("4.3", "dropout never applied", breaks="dropout")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), activation()]
        self.layers = nn.Sequential(*layers[:-1])

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "activation argument ignored: always ReLU", breaks="activation")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.linears[:-1]:
            x = self.dropout(torch.relu(layer(x)))
        return self.linears[-1](x)


@correct("4.3", "two nn.ModuleLists (layers, activations) and F.dropout(training=self.training)")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("sizes needs at least two entries")
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activations = nn.ModuleList(activation() for _ in range(len(sizes) - 2))
        self.p = dropout

    def forward(self, x):
        *hidden, last = self.linears
        for layer, act in zip(hidden, self.activations):
            x = F.dropout(act(layer(x)), self.p, training=self.training)
        return last(x)


@correct("4.3", "add_module with names")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError(f"need two sizes or more, got {sizes}")
        self.count = len(sizes) - 1
        for k in range(self.count):
            self.add_module(f"linear{k}", nn.Linear(sizes[k], sizes[k + 1]))
            if k < self.count - 1:
                self.add_module(f"act{k}", activation())
                self.add_module(f"drop{k}", nn.Dropout(dropout))

    def forward(self, x):
        for k in range(self.count):
            x = getattr(self, f"linear{k}")(x)
            if k < self.count - 1:
                x = getattr(self, f"drop{k}")(getattr(self, f"act{k}")(x))
        return x


@wrong("4.4", "counted from state_dict(): buffers included", breaks="buffers")
def count_parameters(model, trainable_only=True):
    return sum(v.numel() for v in model.state_dict().values())


@wrong("4.4", "trainable_only ignored", breaks="sum")
def count_parameters(model, trainable_only=True):
    return sum(p.numel() for p in model.parameters())


@wrong("4.4", "counts tensors, not numbers")
def count_parameters(model, trainable_only=True):
    return len([p for p in model.parameters() if p.requires_grad or not trainable_only])


@wrong("4.4", "returns a tensor", breaks="python-int")
def count_parameters(model, trainable_only=True):
    return torch.tensor([p.numel() for p in model.parameters() if p.requires_grad or not trainable_only]).sum()


@correct("4.4", "named_parameters in a loop")
def count_parameters(model, trainable_only=True):
    total = 0
    for _, parameter in model.named_parameters():
        if trainable_only and not parameter.requires_grad:
            continue
        total += parameter.numel()
    return total


# --- fresh variants (issue 9): one per clause, and other styles

@wrong("4.1", "the bias subtracted: x W^T - b", breaks="formula")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return F.linear(x, self.linear.weight) - self.linear.bias


@wrong("4.1", "weight stored as (in_features, out_features), used as x @ W + b", breaks="shapes")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features) * 0.1)
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        return x @ self.weight + self.bias


@wrong("4.1", "a single output squeezed: (N,) when out_features is 1", breaks="default-out")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        out = self.linear(x)
        return out.squeeze(-1) if out.shape[-1] == 1 else out


@correct("4.1", "nn.Sequential holding the one layer, torch.addmm in forward")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, out_features))

    def forward(self, x):
        layer = self.net[0]
        return torch.addmm(layer.bias, x, layer.weight.T)


@wrong("4.2", "forward returns log-probabilities (logsigmoid), not logits", breaks="bce")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return F.logsigmoid(self.linear(x).squeeze(-1))

    def predict_proba(self, x):
        return self(x).exp()


@wrong("4.2", "logits of class 0: the sign flipped in forward and predict_proba", breaks="title")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return -self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return torch.sigmoid(self(x))


@wrong("4.2", "weight and bias as plain tensors: not registered", breaks="registered")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.w = torch.zeros(in_features)
        self.b = torch.zeros(())

    def forward(self, x):
        return x @ self.w + self.b

    def predict_proba(self, x):
        return torch.sigmoid(self(x))


@wrong("4.2", "predict_proba as 1 - sigmoid(z)")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return 1 - torch.sigmoid(self(x))


@correct("4.2", "logits by x @ w.T, probabilities by 1 / (1 + exp(-z)) (finite: exp(1000) is inf, 1 / inf is 0)")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return (x @ self.linear.weight.T + self.linear.bias)[:, 0]

    def predict_proba(self, x):
        return 1 / (1 + torch.exp(-self.forward(x)))


@wrong("4.3", "Linear layers without bias", breaks="layers")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b, bias=False))
            if k < len(sizes) - 2:
                layers += [activation(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "dropout before the activation", breaks="dropout")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(sizes) - 2:
                layers += [nn.Dropout(dropout), activation()]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "one activation module shared by every hidden layer", breaks="activation")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        shared = activation()
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(sizes) - 2:
                layers += [shared, nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "a one-unit output squeezed to (N,)", breaks="shape")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(sizes) - 2:
                layers += [activation(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        out = self.layers(x)
        return out.squeeze(-1) if out.shape[-1] == 1 else out


@wrong("4.3", "layers kept in a plain dict", breaks="registered")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        self.parts = {}
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.parts[f"linear{k}"] = nn.Linear(a, b)
            if k < len(sizes) - 2:
                self.parts[f"act{k}"] = activation()
                self.parts[f"drop{k}"] = nn.Dropout(dropout)

    def forward(self, x):
        for part in self.parts.values():
            x = part(x)
        return x


@wrong("4.3", "the hidden layers created in forward, every call", breaks="init")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        self.sizes, self.activation, self.dropout = list(sizes), activation, dropout
        self.last = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x):
        for a, b in zip(self.sizes[:-2], self.sizes[1:-1]):
            x = F.dropout(self.activation()(nn.Linear(a, b)(x)), self.dropout, training=self.training)
        return self.last(x)


@wrong("4.3", "dropout defaults to 0.5", breaks="defaults")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.5):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("too few sizes")
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(sizes) - 2:
                layers += [activation(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "no check of the sizes: MLP([4]) is built without a layer", breaks="too-few")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(sizes) - 2:
                layers += [activation(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@correct("4.3", "nn.ModuleDict of blocks, each an nn.Sequential(Linear, activation, Dropout)")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError(f"MLP needs an input and an output size, got {sizes}")
        blocks = {}
        for k in range(len(sizes) - 2):
            blocks[f"hidden{k}"] = nn.Sequential(nn.Linear(sizes[k], sizes[k + 1]), activation(), nn.Dropout(dropout))
        blocks["out"] = nn.Linear(sizes[-2], sizes[-1])
        self.blocks = nn.ModuleDict(blocks)

    def forward(self, x):
        for block in self.blocks.values():
            x = block(x)
        return x


@wrong("4.4", "sums each module's own parameters: a shared weight counted twice", breaks="shared")
def count_parameters(model, trainable_only=True):
    return sum(p.numel() for module in model.modules() for p in module.parameters(recurse=False)
               if p.requires_grad or not trainable_only)


@wrong("4.4", "trainable_only defaults to False", breaks="default")
def count_parameters(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@wrong("4.4", "returns a float (sum started at 0.0)", breaks="python-int")
def count_parameters(model, trainable_only=True):
    return sum((p.numel() for p in model.parameters() if p.requires_grad or not trainable_only), 0.0)


@wrong("4.4", "counts only the weights (parameters named *.weight)")
def count_parameters(model, trainable_only=True):
    return sum(p.numel() for name, p in model.named_parameters()
               if name.endswith("weight") and (p.requires_grad or not trainable_only))


@correct("4.4", "a torch sum of the sizes, then .item()")
def count_parameters(model, trainable_only=True):
    sizes = [p.numel() for p in model.parameters() if p.requires_grad or not trainable_only]
    return int(torch.tensor(sizes, dtype=torch.int64).sum().item()) if sizes else 0


@wrong("4.2", "predict_proba switches the model to eval() and leaves it there (outside review)", breaks="mode-kept")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        self.eval()
        return torch.sigmoid(self(x))


@correct("4.2", "view(-1) and 1 / (1 + exp(-z)): exp overflows to inf, giving 0, still finite (outside review)")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).view(-1)

    def predict_proba(self, x):
        return 1.0 / (1.0 + torch.exp(-self.forward(x)))


@wrong("4.4", "shape[0] * shape[1] instead of numel(): wrong for a convolution's 4-d weight, fails on a 0-dim "
       "parameter (outside review)", breaks="sum")
def count_parameters(model, trainable_only=True):
    return sum(p.shape[0] * (p.shape[1] if p.dim() > 1 else 1)
               for p in model.parameters() if p.requires_grad or not trainable_only)


@correct("4.4", "math.prod of the shape, in two branches (outside review)")
def count_parameters(model, trainable_only=True):
    import math
    if not trainable_only:
        return sum(math.prod(p.shape) for p in model.parameters())
    return sum(math.prod(p.shape) for p in model.parameters() if p.requires_grad)


@wrong("4.2", "predict_proba switches to eval() and back (outside review 2)", breaks="mode-kept")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        was_training = self.training
        self.eval()
        p = torch.sigmoid(self(x))
        if was_training:
            self.train()
        return p


@wrong("4.3", "dropout taken as the keep probability (0 special-cased) (outside review 2)", breaks="dropout")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("need two sizes")
        layers = []
        for k, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(d_in, d_out))
            if k < len(sizes) - 2:
                layers += [activation(), nn.Dropout(1.0 - dropout if dropout > 0 else 0.0)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@correct("4.3", "ModuleLists of layers and activations, one Dropout module reused (outside review 2)")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("an MLP needs at least an input and an output size")
        self.linears = nn.ModuleList([nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)])
        self.activations = nn.ModuleList([activation() for _ in range(len(sizes) - 2)])
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        *hidden, last = self.linears
        for linear, act in zip(hidden, self.activations):
            x = self.drop(act(linear(x)))
        return last(x)


@correct("4.1", "x @ W.T + b with the layer's own parameters (outside review 3)")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return torch.addmm(self.linear.bias, x, self.linear.weight.t())


@wrong("4.2", "predict_proba clamped to [1e-7, 1 - 1e-7] (outside review 3)", breaks="proba")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return torch.sigmoid(self(x)).clamp(1e-7, 1 - 1e-7)


@wrong("4.2", "predict_proba in float32 whatever the model's dtype (outside review 3)", breaks="proba")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return torch.sigmoid(self(x).float())


@correct("4.2", "predict_proba as 1 - sigmoid(-z), and softmax over [0, z] (outside review 3)")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x)[:, 0]

    def predict_proba(self, x):
        z = self(x)
        if z.dtype == torch.float64:
            return torch.softmax(torch.stack([torch.zeros_like(z), z], dim=-1), dim=-1)[..., 1]
        return 1 - torch.sigmoid(-z)


@wrong("4.3", "nn.Dropout(dropout, inplace=True): backward fails in training mode (outside review 3)",
       breaks="dropout")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("need two sizes")
        layers = []
        for k in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[k], sizes[k + 1]))
            if k < len(sizes) - 2:
                layers += [activation(), nn.Dropout(dropout, inplace=True)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.2", "predict_proba .squeeze(): a batch of one gives a 0-dim tensor (outside review 3)", breaks="proba")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return torch.sigmoid(self.linear(x)).squeeze()


@wrong("4.2", "predict_proba brings the probabilities to the cpu (outside review 4)", breaks="proba")
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict_proba(self, x):
        return torch.sigmoid(self(x)).cpu()


@wrong("4.4", "parameters deduplicated by data_ptr(): every meta parameter has address 0 (outside review 4)",
       breaks="sum")
def count_parameters(model, trainable_only=True):
    seen = {p.data_ptr(): p.numel() for p in model.parameters() if p.requires_grad or not trainable_only}
    return sum(seen.values())
