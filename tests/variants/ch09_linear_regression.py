"""Chapter 09 as learners get it wrong (MISTAKES.md: broadcasting, training loop) and right in other styles."""
import torch
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("9.1", "no column of ones: the fit has no bias")
def least_squares(x, y):
    w = torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    return w, torch.zeros((), dtype=x.dtype, device=x.device)


@wrong("9.1", "bias read from the wrong end of theta")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze(1)
    return theta[:-1], theta[-1]


@wrong("9.1", "y kept as (N, 1): w comes back (D, 1)")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution
    return theta[1:], theta[0, 0]


@wrong("9.1", "normal equations in float32 through an explicit inverse of a float32 copy")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1).float()
    theta = torch.linalg.inv(design.T @ design) @ design.T @ y.float()
    return theta[1:], theta[0]


@correct("9.1", "normal equations with torch.linalg.solve")
def least_squares(x, y):
    design = torch.cat([torch.ones_like(x[:, :1]), x], dim=1)
    theta = torch.linalg.solve(design.T @ design, design.T @ y)
    return theta[1:], theta[0]


@correct("9.1", "centre the data, solve for w, recover b from the means")
def least_squares(x, y):
    x_mean, y_mean = x.mean(0), y.mean()
    w = torch.linalg.lstsq(x - x_mean, (y - y_mean).unsqueeze(1)).solution.squeeze(1)
    return w, y_mean - x_mean @ w


@wrong("9.2", "gradients never zeroed")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("9.2", "F.mse_loss on (N, 1) predictions and (N,) targets: the broadcast trap")
def fit_linear_regression(model, x, y, optimizer, steps):
    import warnings

    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("9.2", "a new optimizer made inside: the given one (with momentum) is ignored")
def fit_linear_regression(model, x, y, optimizer, steps):
    optimizer = torch.optim.SGD(model.parameters(), lr=optimizer.param_groups[0]["lr"])
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("9.2", "losses kept as tensors (graphs alive)")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses


@wrong("9.2", "optimizer.step() before loss.backward()")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        optimizer.step()
        loss.backward()
        losses.append(loss.item())
    return losses


@correct("9.2", "nn.MSELoss on (N, 1) against y[:, None], set_to_none gradients, float()")
def fit_linear_regression(model, x, y, optimizer, steps):
    criterion = torch.nn.MSELoss()
    losses = []
    for _ in range(steps):
        for p in model.parameters():
            p.grad = None
        loss = criterion(model(x), y.unsqueeze(1))
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


@wrong("9.3", "denominator around the mean of the predictions")
def r2_score(predictions, targets):
    return 1 - (targets - predictions).pow(2).sum() / (targets - predictions.mean()).pow(2).sum()


@wrong("9.3", "unbiased variance (N - 1) against a mean squared error")
def r2_score(predictions, targets):
    return 1 - (targets - predictions).pow(2).mean() / targets.var()


@wrong("9.3", "returned as a Python float through .item()")
def r2_score(predictions, targets):
    return 1 - ((targets - predictions).pow(2).sum() / (targets - targets.mean()).pow(2).sum()).item()


@correct("9.3", "mean squared error over the population variance")
def r2_score(predictions, targets):
    return 1 - F.mse_loss(predictions, targets) / targets.var(correction=0)
