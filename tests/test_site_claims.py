"""Are the site's claims about PyTorch true in the torch this course pins?

Each test reruns, with a fixed seed, the experiment behind one claim the pages make (issue 13, "correct and
current"), and where a page quotes a number it reads the number from the page in both languages, so the page and
the experiment cannot drift apart. Oracles are torch's and scikit-learn's own functions.
"""
from __future__ import annotations

import multiprocessing
import re
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def page(language: str, relative: str) -> str:
    return (DOCS / language / relative).read_text(encoding="utf-8")


def all_pages() -> dict[str, str]:
    return {p.relative_to(DOCS).as_posix(): p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md"))}


@pytest.fixture(autouse=True)
def one_thread_and_own_rng():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng():
        yield
    torch.set_num_threads(threads)


# ------------------------------------------------------------------------------------------- stale claims
STALE = {
    "maintenance mode": "TorchScript is deprecated, not in maintenance mode",
    "维护状态": "TorchScript 已弃用",
    "detached copies": "state_dict() and .data are aliases, not copies",
    "脱离计算图的副本": "state_dict() 和 .data 是别名，不是副本",
    "can only start from a **scalar**": "backward() takes gradient= for non-scalars",
    "只能从一个**标量**": "backward() 可以带 gradient= 用于非标量",
    "about as much as the forward": "backward costs about twice the forward",
    "与前向传播相当": "反向约为前向的两倍",
    "rounds to exactly 0 or 1": "sigmoid(-30) is not 0 in float32",
    "恰好舍入成 0 或 1": "sigmoid(-30) 在 float32 中不是 0",
    "drives many weights to exactly zero": "subgradient L1 training gives no exact zeros",
    "压到恰好为零": "次梯度 L1 训练得不到恰好为零的权重",
    "For large vision models": "vision models mostly train with AdamW today",
    "or TorchScript": "TorchScript is deprecated",
}


def test_no_page_repeats_a_corrected_claim():
    """Has none of the claims corrected for issue 13 crept back into any page, in either language?"""
    found = [f"{name}: {phrase!r} ({why})" for name, text in all_pages().items()
             for phrase, why in STALE.items() if phrase.lower() in text.lower()]
    assert not found, "\n".join(found)


# ---------------------------------------------------------------------------------------------- TorchScript
def test_torchscript_is_deprecated_in_the_pinned_torch():
    """The FAQ says torch.jit.script/trace raise a DeprecationWarning pointing to torch.compile/torch.export."""
    def add_one(x: torch.Tensor) -> torch.Tensor:
        return x + 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(add_one, torch.ones(2))
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any("torch.compile" in m and "torch.export" in m for m in messages), messages
    for language in ("en", "zh"):
        faq = page(language, "faq/pytorch-vs-tensorflow.md")
        assert "DeprecationWarning" in faq and "torch.export" in faq


# ---------------------------------------------------------------------------------------------- L1 zeros
def lasso_experiment(steps: int = 3000, lr: float = 0.01, lam: float = 0.1, seed: int = 0) -> dict:
    """17 features, 5 of which matter; the lasso objective 1/(2N)|Xw - y|^2 + lam |w|_1, three ways."""
    from sklearn.linear_model import Lasso

    g = torch.Generator().manual_seed(seed)
    n, d = 200, 17
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    true_w = torch.zeros(d, dtype=torch.float64)
    true_w[:5] = torch.tensor([3.0, -2.0, 1.5, 1.0, -0.5], dtype=torch.float64)
    y = x @ true_w + 0.5 * torch.randn(n, generator=g, dtype=torch.float64)

    def data_loss(w):
        return 0.5 * (x @ w - y).pow(2).mean()

    subgradient = torch.zeros(d, dtype=torch.float64, requires_grad=True)  # what chapter 11 trains with
    optimizer = torch.optim.SGD([subgradient], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        (data_loss(subgradient) + lam * subgradient.abs().sum()).backward()
        optimizer.step()

    proximal = torch.zeros(d, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        proximal.grad = None
        data_loss(proximal).backward()
        with torch.no_grad():
            proximal -= lr * proximal.grad
            proximal.copy_(proximal.sign() * (proximal.abs() - lr * lam).clamp_min(0))  # soft-threshold

    solver = Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(x.numpy(), y.numpy())
    return {"subgradient": subgradient.detach(), "proximal": proximal.detach(),
            "lasso": torch.from_numpy(solver.coef_)}


def test_l1_subgradient_training_gives_no_exact_zeros_proximal_steps_do():
    """Chapter 11: 0 of 17 exact zeros by subgradient (12 below 1e-3); proximal steps give the lasso's 12 of 17."""
    result = lasso_experiment()
    sub, prox, lasso = result["subgradient"], result["proximal"], result["lasso"]
    exact_sub, small_sub = int((sub == 0).sum()), int((sub.abs() < 1e-3).sum())
    exact_prox, exact_lasso = int((prox == 0).sum()), int((lasso == 0).sum())
    assert (exact_sub, small_sub, exact_prox, exact_lasso) == (0, 12, 12, 12)
    assert torch.equal(prox == 0, lasso == 0), "the proximal zeros are not the lasso's zeros"
    torch.testing.assert_close(prox, lasso, atol=1e-8, rtol=0)
    en, zh = page("en", "chapters/ch11-overfitting.md"), page("zh", "chapters/ch11-overfitting.md")
    assert f"{exact_sub} of 17 weights exactly zero ({small_sub} of them below $10^{{-3}}$)" in en
    assert f"proximal steps give {exact_prox} of 17" in en
    assert f"17 个权重中有 {exact_sub} 个恰好为零（其中 {small_sub} 个小于" in re.sub(r"\s*\n\s*", "", zh)
    assert f"近端步骤得到 17 个中的 {exact_prox} 个" in zh


# ------------------------------------------------------------------------------------------ state_dict
def test_state_dict_holds_detached_aliases_of_the_parameters():
    """Chapter 11 (and 8): state_dict() tensors share the parameters' memory but carry no autograd history."""
    torch.manual_seed(0)
    layer = nn.Linear(3, 2)
    state = layer.state_dict()
    assert state["weight"].data_ptr() == layer.weight.data_ptr()
    assert not state["weight"].requires_grad and layer.weight.requires_grad
    with torch.no_grad():
        layer.weight.add_(1.0)                 # an in-place update, as an optimizer makes
    torch.testing.assert_close(state["weight"], layer.weight.detach())
    assert layer.weight.data.data_ptr() == layer.weight.data_ptr()
    penalty = state["weight"].pow(2).sum()
    assert penalty.grad_fn is None, "a penalty from state_dict() has a gradient after all?"


# ------------------------------------------------------------------------------------------ backward
def test_backward_on_a_non_scalar_needs_gradient_and_gives_the_vjp():
    """Chapter 2: y.backward() fails on a non-scalar; y.backward(gradient=v) equals (y * v).sum().backward()."""
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x ** 2).backward()
    v = torch.tensor([0.5, -1.0, 2.0])
    (x ** 2).backward(gradient=v)
    vjp = x.grad.clone()
    x.grad = None
    ((x ** 2) * v).sum().backward()
    torch.testing.assert_close(vjp, x.grad)
    torch.testing.assert_close(vjp, 2 * x.detach() * v)


def mlp_flops(input_requires_grad: bool) -> tuple[int, int]:
    """Forward and backward FLOPs of a 64-256-256-10 MLP on a batch of 128, by torch's FLOP counter."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x = torch.randn(128, 64, requires_grad=input_requires_grad)
    with FlopCounterMode(display=False) as forward:
        loss = model(x).pow(2).mean()
    with FlopCounterMode(display=False) as backward:
        loss.backward()
    return forward.get_total_flops(), backward.get_total_flops()


def test_backward_costs_about_twice_the_forward():
    """Chapter 5: backward takes 1.81 times the forward's FLOPs here; exactly 2 when the input needs a gradient."""
    forward, backward = mlp_flops(input_requires_grad=False)
    ratio = backward / forward
    assert 1.5 < ratio < 2.0
    forward_all, backward_all = mlp_flops(input_requires_grad=True)
    assert backward_all == 2 * forward_all, "two products backwards for each product forwards"
    for language in ("en", "zh"):
        assert f"{ratio:.2f}" in page(language, "chapters/ch05-forward-backward.md")
        for path in ("chapters/ch05-forward-backward.md", "article/forward-backward.md"):
            text = page(language, path)
            assert ("twice" in text or "two times" in text) if language == "en" else "两倍" in text, path


# ------------------------------------------------------------------------------------------ logistic
def test_logistic_loss_on_separable_data_has_no_minimizer():
    """The regression article: on separable data the loss keeps falling towards 0 and |w| keeps growing."""
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(50, 2, generator=g) - 3, torch.randn(50, 2, generator=g) + 3])
    y = torch.cat([torch.zeros(50), torch.ones(50)])
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    losses, norms = [], []
    for step in range(1, 4001):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        if step in (250, 500, 1000, 2000, 4000):
            losses.append(loss.item())
            norms.append(model.weight.norm().item())
    assert ((model(x).squeeze(1) > 0).float() == y).all(), "the data should be separated"
    assert all(a > b > 0 for a, b in zip(losses, losses[1:])), losses
    assert all(a < b for a, b in zip(norms, norms[1:])), norms
    assert "no minimizer" in page("en", "article/regression.md") or "there is none" in page("en", "article/regression.md")
    assert "最小值就不存在" in page("zh", "article/regression.md")


def test_sigmoid_in_float32_saturates_where_the_pages_say():
    """Chapters 4 and 6: sigmoid is 1.0 from z = 16.6 on, sigmoid(-30) is about 9.4e-14, exactly 0 below -88.7."""
    z = torch.arange(-12000, 4000, dtype=torch.float64).div(100).float()    # -120.00 ... 39.99, step 0.01
    s = torch.sigmoid(z)
    assert s[z == -30].item() == pytest.approx(9.4e-14, rel=0.01) and s[z == -30].item() > 0
    first_one = z[s == 1.0].min().item()
    last_zero = z[s == 0.0].max().item()
    assert f"{first_one:.1f}" == "16.6" and f"{last_zero:.1f}" == "-88.7", (first_one, last_zero)
    for language in ("en", "zh"):
        text = page(language, "chapters/ch04-modules.md")
        assert "16.6" in text and "-88.7" in text and r"9.4 \times 10^{-14}" in text
        assert r"9.4 \times 10^{-14}" in page(language, "chapters/ch06-losses.md")


def test_cosine_annealing_comment_matches_what_is_printed():
    """The article's CosineAnnealingLR block: its comment lists exactly the rates the code records."""
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5, eta_min=0.001)
    rates = []
    for _ in range(5):
        rates.append(round(optimizer.param_groups[0]["lr"], 4))
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.001)
    for language in ("en", "zh"):
        text = page(language, "article/losses-optimization.md")
        printed = re.search(r"print\(rates\)\s+# (\[[^\]]*\])", text)
        assert printed, f"docs/{language}/article/losses-optimization.md: no `print(rates)  # [...]` comment"
        assert eval(printed.group(1)) == rates, (printed.group(1), rates)  # noqa: S307 - a literal list of numbers


def test_adamw_weight_decay_is_not_added_to_the_gradient():
    """The overfitting FAQ: AdamW multiplies by 1 - lr * wd, then takes the plain Adam step; Adam adds wd * p."""
    torch.manual_seed(0)
    start, grad = torch.randn(5), torch.randn(5)
    lr, wd = 0.01, 0.1

    def one_step(make, init, g):
        p = nn.Parameter(init.clone())
        optimizer = make([p])
        p.grad = g.clone()
        optimizer.step()
        return p.detach()

    adamw = one_step(lambda ps: torch.optim.AdamW(ps, lr=lr, weight_decay=wd), start, grad)
    decayed_then_adam = one_step(lambda ps: torch.optim.Adam(ps, lr=lr), start * (1 - lr * wd), grad)
    torch.testing.assert_close(adamw, decayed_then_adam)
    adam_l2 = one_step(lambda ps: torch.optim.Adam(ps, lr=lr, weight_decay=wd), start, grad)
    adam_on_sum = one_step(lambda ps: torch.optim.Adam(ps, lr=lr), start, grad + wd * start)
    torch.testing.assert_close(adam_l2, adam_on_sum)
    assert not torch.allclose(adamw, adam_l2)
    assert "**not** added to the gradient" in page("en", "faq/overfitting.md")
    assert "**不**加到梯度上" in page("zh", "faq/overfitting.md")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the claim is about Linux")
def test_linux_default_start_method():
    """Chapter 3: Linux's default start method is forkserver from Python 3.14, fork before."""
    expected = "forkserver" if sys.version_info >= (3, 14) else "fork"
    assert multiprocessing.get_context().get_start_method() == expected
    for language in ("en", "zh"):
        text = page(language, "chapters/ch03-data.md")
        assert "forkserver" in text and "3.14" in text
