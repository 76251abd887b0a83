"""Chapter 09 as learners get it wrong (MISTAKES.md: broadcasting, training loop) and right in other styles."""
import torch
from torch.nn import functional as F

from tests.variants import correct, wrong


@wrong("9.1", "no column of ones: the fit has no bias", breaks="fit")
def least_squares(x, y):
    w = torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    return w, torch.zeros((), dtype=x.dtype, device=x.device)


@wrong("9.1", "bias read from the wrong end of theta", breaks="normal-equations")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze(1)
    return theta[:-1], theta[-1]


@wrong("9.1", "y kept as (N, 1): w comes back (D, 1)", breaks="shapes")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution
    return theta[1:], theta[0, 0]


@wrong("9.1", "normal equations in float32 through an explicit inverse of a float32 copy", breaks="dtype")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1).float()
    theta = torch.linalg.inv(design.T @ design) @ design.T @ y.float()
    return theta[1:], theta[0]


@correct("9.1", "normal equations with torch.linalg.solve")
def least_squares(x, y):
    design = torch.cat([x.new_ones(x.shape[0], 1), x], dim=1)
    theta = torch.linalg.solve(design.T @ design, design.T @ y)
    return theta[1:], theta[0]


@correct("9.1", "centre the data, solve for w, recover b from the means")
def least_squares(x, y):
    x_mean, y_mean = x.mean(0), y.mean()
    w = torch.linalg.lstsq(x - x_mean, (y - y_mean).unsqueeze(1)).solution.squeeze(1)
    return w, y_mean - x_mean @ w


@wrong("9.2", "gradients never zeroed", breaks="step")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("9.2", "F.mse_loss on (N, 1) predictions and (N,) targets: the broadcast trap", breaks="loss")
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


@wrong("9.2", "a new optimizer made inside: the given one (with momentum) is ignored", breaks="optimizer")
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


@wrong("9.2", "losses kept as tensors (graphs alive)", breaks="floats")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses


@wrong("9.2", "optimizer.step() before loss.backward()", breaks="order")
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


@wrong("9.3", "denominator around the mean of the predictions", breaks="formula")
def r2_score(predictions, targets):
    return 1 - (targets - predictions).pow(2).sum() / (targets - predictions.mean()).pow(2).sum()


@wrong("9.3", "unbiased variance (N - 1) against a mean squared error")
def r2_score(predictions, targets):
    return 1 - (targets - predictions).pow(2).mean() / targets.var()


@wrong("9.3", "returned as a Python float through .item()", breaks="zero-dim")
def r2_score(predictions, targets):
    return 1 - ((targets - predictions).pow(2).sum() / (targets - targets.mean()).pow(2).sum()).item()


@correct("9.3", "mean squared error over the population variance")
def r2_score(predictions, targets):
    return 1 - F.mse_loss(predictions, targets) / targets.var(correction=0)


# --- issue 9: one wrong implementation per clause, and more styles that are right

@wrong("9.1", "the column of ones made on the cpu, whatever x's device", breaks="device")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze(1)
    return theta[1:], theta[0]


@wrong("9.1", "w fitted without a bias column, then b = mean(y): right only for centred features", breaks="minimizes")
def least_squares(x, y):
    w = torch.linalg.lstsq(x, (y - y.mean()).unsqueeze(1)).solution.squeeze(1)
    return w, y.mean()


@wrong("9.1", "a small ridge term (1e-3 * I) 'for stability': no longer the exact least-squares fit", breaks="exact")
def least_squares(x, y):
    design = torch.cat([torch.ones_like(x[:, :1]), x], dim=1)
    gram = design.T @ design + 1e-3 * torch.eye(design.shape[1], dtype=x.dtype, device=x.device)
    theta = torch.linalg.solve(gram, design.T @ y)
    return theta[1:], theta[0]


@wrong("9.1", "100 steps of gradient descent instead of the closed form", breaks="method")
def least_squares(x, y):
    design = torch.cat([torch.ones_like(x[:, :1]), x], dim=1)
    theta = torch.zeros(design.shape[1], dtype=x.dtype, device=x.device)
    for _ in range(100):
        theta = theta - 0.05 * 2 * design.T @ (design @ theta - y) / len(y)
    return theta[1:], theta[0]


@wrong("9.1", "centres x and y in place before solving", breaks="unchanged")
def least_squares(x, y):
    x_mean, y_mean = x.mean(0), y.mean()
    x -= x_mean
    y -= y_mean
    w = torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    return w, y_mean - x_mean @ w


@correct("9.1", "numpy's lstsq, brought back to x's dtype and device")
def least_squares(x, y):
    import numpy as np

    design = np.hstack([np.ones((x.shape[0], 1)), x.detach().cpu().double().numpy()])
    theta = np.linalg.lstsq(design, y.detach().cpu().double().numpy(), rcond=None)[0]
    theta = torch.from_numpy(theta).to(dtype=x.dtype, device=x.device)
    return theta[1:], theta[0]


@correct("9.1", "QR decomposition of [1 | x], then a triangular solve")
def least_squares(x, y):
    design = torch.cat([x.new_ones(len(x), 1), x], dim=1)
    q, r = torch.linalg.qr(design)
    theta = torch.linalg.solve_triangular(r, (q.T @ y).unsqueeze(1), upper=True).squeeze(1)
    return theta[1:], theta[0]


@wrong("9.2", "zero_grad after the step only: the first step uses the old gradients too", breaks="old-gradients")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


@wrong("9.2", "records the loss after the update", breaks="before-update")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            losses.append((model(x).squeeze(1) - y).pow(2).mean().item())
    return losses


@wrong("9.2", "minibatches of half the data: not full-batch gradient descent", breaks="gradient-descent")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    half = max(1, len(x) // 2)
    for step in range(steps):
        rows = slice(0, half) if step % 2 == 0 else slice(half, None)
        optimizer.zero_grad()
        loss = (model(x[rows]).squeeze(1) - y[rows]).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@correct("9.2", "F.mse_loss on flattened predictions, zero_grad(set_to_none=False), .cpu().item()")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        loss = F.mse_loss(model(x).view(-1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().cpu().item())
    return losses


@wrong("9.3", "clipped at 0: a fit worse than the mean reports 0", breaks="negative")
def r2_score(predictions, targets):
    return (1 - (targets - predictions).pow(2).sum() / (targets - targets.mean()).pow(2).sum()).clamp(min=0)


@wrong("9.3", "returns SS_res / SS_tot, forgetting the 1 -", breaks="meaning")
def r2_score(predictions, targets):
    return (targets - predictions).pow(2).sum() / (targets - targets.mean()).pow(2).sum()


@wrong("9.3", "the targets' variance computed in float32", breaks="dtypes")
def r2_score(predictions, targets):
    total = (targets.float() - targets.float().mean()).pow(2).sum()
    return 1 - (targets - predictions).pow(2).sum() / total


@wrong("9.3", "detaches the predictions 'to save memory'", breaks="differentiable")
def r2_score(predictions, targets):
    predictions = predictions.detach()
    return 1 - (targets - predictions).pow(2).sum() / (targets - targets.mean()).pow(2).sum()


@wrong("9.3", "the mean as a weighted sum with weights made on the cpu", breaks="dtype-device")
def r2_score(predictions, targets):
    weights = torch.full((len(targets),), 1.0 / len(targets), dtype=targets.dtype)
    mean = (weights * targets).sum()
    return 1 - (targets - predictions).pow(2).sum() / (targets - mean).pow(2).sum()


@wrong("9.3", "centres the targets in place", breaks="unchanged")
def r2_score(predictions, targets):
    residual = (targets - predictions).pow(2).sum()
    targets -= targets.mean()
    return 1 - residual / targets.pow(2).sum()


@wrong("9.3", "the squared correlation of predictions and targets: R^2 only for a least-squares fit", breaks="negative")
def r2_score(predictions, targets):
    p, t = predictions - predictions.mean(), targets - targets.mean()
    return (p * t).sum().pow(2) / (p.pow(2).sum() * t.pow(2).sum())


@correct("9.3", "the mean of the targets read as a Python number with .item()")
def r2_score(predictions, targets):
    mean = targets.mean().item()
    return 1 - torch.sum(torch.square(targets - predictions)) / torch.sum(torch.square(targets - mean))


@wrong("9.2", "a new optimizer of the same class and settings: the state it arrived with is lost", breaks="optimizer")
def fit_linear_regression(model, x, y, optimizer, steps):
    optimizer = type(optimizer)(model.parameters(), **optimizer.defaults)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@wrong("9.1", "column of ones made on the cpu and x copied there: w and b come back on the cpu", breaks="device")
def least_squares(x, y):
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype)
    theta = torch.linalg.lstsq(torch.cat([ones, x.cpu()], dim=1), y.cpu().unsqueeze(1)).solution.squeeze(1)
    return theta[1:], theta[0]


@wrong("9.3", "predictions.requires_grad_() on the caller's tensor", breaks="unchanged")
def r2_score(predictions, targets):
    predictions.requires_grad_(True)
    residual = (targets - predictions).pow(2).sum()
    return 1 - residual / (targets - targets.mean()).pow(2).sum()


@wrong("9.1", "theta.squeeze() with no dim: 0-dim when D = 0, so theta[1:] fails (outside review 2)", breaks="shapes")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], dim=1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze()
    return theta[1:], theta[0]


@correct("9.1", "QR factorisation and a triangular solve (outside review 2)")
def least_squares(x, y):
    design = torch.cat([x.new_ones(x.shape[0], 1), x], dim=1)
    q, r = torch.linalg.qr(design)
    theta = torch.linalg.solve_triangular(r, q.mT @ y.reshape(-1, 1), upper=True).reshape(-1)
    return theta[1:], theta[0]


@wrong("9.3", "SS_tot in one pass, sum(y^2) - N * mean(y)^2: cancels for targets far from 0 (outside review 2)",
       breaks="formula")
def r2_score(predictions, targets):
    residual = (targets - predictions).pow(2).sum()
    total = targets.pow(2).sum() - targets.shape[0] * targets.mean() ** 2
    return 1 - residual / total


@correct("9.3", "1 - mse / var(correction=0) (outside review 2)")
def r2_score(predictions, targets):
    return 1 - F.mse_loss(predictions, targets) / targets.var(correction=0)


@wrong("9.1", "the column of ones as torch.ones_like(x[:, :1]): an (N, 0) column when D = 0 (outside review 2)",
       breaks="shapes")
def least_squares(x, y):
    design = torch.cat([torch.ones_like(x[:, :1]), x], dim=1)
    theta = torch.linalg.solve(design.T @ design, design.T @ y)
    return theta[1:], theta[0]


@wrong("9.2", "always takes a first step: with steps = 0 the model is still updated (outside review 3)",
       breaks="loss")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    while True:
        optimizer.zero_grad()
        loss = (model(x).squeeze(1) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if len(losses) >= steps:
            break
    return losses[:steps]


@wrong("9.3", "R^2 brought back to the cpu with .cpu() (outside review 3)", breaks="dtype-device")
def r2_score(predictions, targets):
    residual = (targets - predictions).pow(2).sum()
    total = (targets - targets.mean()).pow(2).sum()
    return (1 - residual / total).cpu()


@correct("9.3", "denominator as a Python float: it depends on the targets only (outside review 3)")
def r2_score(predictions, targets):
    total = float(((targets - targets.mean()) ** 2).sum())
    return 1 - ((targets - predictions) ** 2).sum() / total


@wrong("9.1", "torch.linalg.pinv(X1, rtol=1e-4): small singular values of a full-rank [1 | x] dropped, so not the "
       "minimizer (outside review 4)", breaks="minimizes")
def least_squares(x, y):
    design = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], dim=1)
    theta = torch.linalg.pinv(design, rtol=1e-4) @ y
    return theta[1:], theta[0]


@wrong("9.2", "the targets rounded to float32 (y.float()): a float64 model trains on other targets "
       "(outside review 4)", breaks="loss")
def fit_linear_regression(model, x, y, optimizer, steps):
    losses = []
    targets = y.float()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(x)[:, 0] - targets).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@correct("9.1", "normal equations through a Cholesky factor, ones from x.new_ones (outside review 4)")
def least_squares(x, y):
    design = torch.cat([x.new_ones(x.shape[0], 1), x], dim=1)
    factor = torch.linalg.cholesky(design.mT @ design)
    theta = torch.cholesky_solve((design.mT @ y).unsqueeze(1), factor).squeeze(1)
    return theta[1:].clone(), theta[0].clone()
