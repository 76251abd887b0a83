"""Chapter 04 as learners get it wrong (MISTAKES.md, Modules) and right in other styles."""
import torch
from torch import nn
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("4.1", "output squeezed to (N,)")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.linear(x).squeeze()


@wrong("4.1", "layer created inside forward")
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


@wrong("4.1", "a ReLU after the linear layer")
class LinearRegression(nn.Module):
    def __init__(self, in_features, out_features=1):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return torch.relu(self.linear(x))


@correct("4.1", "nn.Parameter weight and bias with F.linear")
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


@wrong("4.2", "forward applies the sigmoid (the article's version)")
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


@wrong("4.2", "predict_proba as exp(z) / (1 + exp(z)): nan for large logits")
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


@wrong("4.3", "layers kept in a plain Python list")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.activation, self.dropout = activation(), nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.dropout(self.activation(layer(x)))
        return self.layers[-1](x)


@wrong("4.3", "activation after the last layer too")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), activation(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "F.dropout without training=self.training")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation, self.p = activation(), dropout

    def forward(self, x):
        for layer in self.linears[:-1]:
            x = F.dropout(self.activation(layer(x)), self.p)
        return self.linears[-1](x)


@wrong("4.3", "dropout never applied")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), activation()]
        self.layers = nn.Sequential(*layers[:-1])

    def forward(self, x):
        return self.layers(x)


@wrong("4.3", "activation argument ignored: always ReLU")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.linears[:-1]:
            x = self.dropout(torch.relu(layer(x)))
        return self.linears[-1](x)


@correct("4.3", "nn.ModuleList with one shared activation and F.dropout(training=self.training)")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation, self.p = activation(), dropout

    def forward(self, x):
        *hidden, last = self.linears
        for layer in hidden:
            x = F.dropout(self.activation(layer(x)), self.p, training=self.training)
        return last(x)


@correct("4.3", "add_module with names")
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
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


@wrong("4.4", "counted from state_dict(): buffers included")
def count_parameters(model, trainable_only=True):
    return sum(v.numel() for v in model.state_dict().values())


@wrong("4.4", "trainable_only ignored")
def count_parameters(model, trainable_only=True):
    return sum(p.numel() for p in model.parameters())


@wrong("4.4", "counts tensors, not numbers")
def count_parameters(model, trainable_only=True):
    return len([p for p in model.parameters() if p.requires_grad or not trainable_only])


@wrong("4.4", "returns a tensor")
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
