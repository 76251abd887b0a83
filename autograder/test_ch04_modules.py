"""Chapter 04, modules: are the learner's models registered nn.Modules that compute what the reference computes?"""
import torch
from hypothesis import strategies as st
from torch import nn

from autograder.engine import Exercise, call, expect, generated, mistakes, strategies
from autograder.engine.raising import raises
from autograder.engine.modules import copy_parameters, registration_hint
from autograder.engine.devices import copies_out_of

linear_regression = Exercise("4.1", "LinearRegression", clauses={
    "one-linear": "linear regression as a module: one nn.Linear layer, nothing after it.",
    "formula": "y_hat = x W^T + b,",
    "shapes": "x: (N, in_features) -> (N, out_features), W: (out_features, in_features), b: (out_features,)",
    "registered": "The layer is an attribute (self.linear = nn.Linear(...)), so its parameters are registered: "
                  "model.parameters() finds them, model.to(...) moves them, state_dict() saves them.",
    "default-out": "out_features defaults to 1: the output is then (N, 1), nothing squeezed.",
}, hints=[
    "Make the layer an attribute in __init__ (after super().__init__()), and call it in forward.",
    "self.linear = nn.Linear(in_features, out_features) in __init__; forward returns self.linear(x), shape "
    "(N, out_features), with nothing squeezed or added.",
], hints_zh=[
    "在 __init__ 中（super().__init__() 之后）把层设为属性，并在 forward 中调用它。",
    "在 __init__ 中写 self.linear = nn.Linear(in_features, out_features)；forward 返回 self.linear(x)，形状为 (N, out_features)，不要压缩或增加任何维度。",
])
logistic_regression = Exercise("4.2", "LogisticRegression", clauses={
    "title": "binary logistic regression that returns logits, with probabilities on request.",
    "logits": "forward: z = x w^T + b x: (N, in_features) -> (N,) raw scores (logits), no sigmoid",
    "proba": "predict_proba: p = sigmoid(z) = 1 / (1 + exp(-z)) -> (N,) finite for any z",
    "bce": "Training pairs the logits with nn.BCEWithLogitsLoss, which applies the sigmoid itself, stably.",
    "registered": "Its one nn.Linear(in_features, 1) is registered: in_features + 1 parameters, which follow "
                  "model.to(...).",
    "mode-kept": "predict_proba leaves the model's train/eval mode as it found it (it calls neither .train() nor "
                 ".eval()).",
}, hints=[
    "forward returns the raw scores z = linear(x), one per row: no sigmoid there. predict_proba turns them into "
    "probabilities.",
    "self.linear = nn.Linear(in_features, 1); forward: self.linear(x).squeeze(-1) (not .squeeze(), which turns a "
    "batch of one into a scalar); predict_proba: torch.sigmoid(self(x)).",
], hints_zh=[
    "forward 返回原始得分 z = linear(x)，每行一个：这里不加 sigmoid。predict_proba 负责把它们变成概率。",
    "self.linear = nn.Linear(in_features, 1)；forward：self.linear(x).squeeze(-1)（不要用 .squeeze()，它会把只有一个样本的批次变成标量）；predict_proba：torch.sigmoid(self(x))。",
])
mlp = Exercise("4.3", "MLP", clauses={
    "registered": "a multilayer perceptron with every layer registered.",
    "layers": "sizes = [d_0, d_1, ..., d_L]: L nn.Linear layers, layer k maps d_{k-1} -> d_k.",
    "activation": "After every layer but the last: activation() (a new module made by calling `activation` for each "
                  "such layer, e.g. nn.ReLU: an nn.PReLU then learns one slope per layer),",
    "dropout": "then nn.Dropout(dropout).",
    "raw-output": "The last layer's output is returned as it is.",
    "shape": "x: (N, d_0) -> (N, d_L)",
    "containers": "Keep the layers in nn.Sequential or nn.ModuleList (a plain Python list hides them from "
                  ".parameters()),",
    "init": "create them in __init__ (never in forward),",
    "train-eval": "and let dropout follow self.training (identity after model.eval()).",
    "defaults": "activation defaults to nn.ReLU and dropout to 0.0;",
    "too-few": "fewer than two sizes raise ValueError.",
}, hints=[
    "Build a list of modules in __init__: Linear(sizes[k], sizes[k + 1]) for each k, and after every Linear but the "
    "last, activation() and nn.Dropout(dropout). Then register the list.",
    "self.layers = nn.Sequential(*modules) registers them all (a plain Python list does not); forward is "
    "self.layers(x). nn.Dropout follows model.train() / model.eval() by itself.",
], hints_zh=[
    "在 __init__ 中构建模块列表：对每个 k 加入 Linear(sizes[k], sizes[k + 1])，除最后一个 Linear 外，每个 Linear 之后加入 activation() 和 nn.Dropout(dropout)。然后注册这个列表。",
    "self.layers = nn.Sequential(*modules) 会注册所有模块（普通的 Python 列表不会）；forward 就是 self.layers(x)。nn.Dropout 会自动跟随 model.train() / model.eval()。",
])
count_parameters = Exercise("4.4", "count_parameters", clauses={
    "python-int": "the number of parameter values (scalars) in a model, as a Python int.",
    "sum": "count = sum of p.numel() over model.parameters(), only those with p.requires_grad when trainable_only.",
    "buffers": "Buffers (BatchNorm's running statistics) are not parameters;",
    "shared": "a parameter shared by two layers counts once.",
    "default": "trainable_only defaults to True.",
}, hints=[
    "model.parameters() yields every parameter tensor once; p.numel() is how many numbers one holds.",
    "sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only). state_dict() would also "
    "count buffers such as BatchNorm's running statistics.",
], hints_zh=[
    "model.parameters() 会把每个参数张量各给出一次；p.numel() 是一个张量包含的数值个数。",
    "sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)。state_dict() 还会把 BatchNorm 的运行统计量之类的缓冲区也算进去。",
])


def inputs(rows, columns, seed=0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, columns, generator=generator, dtype=dtype)


def forward(model, *args):
    """call(model, *args), described as `model(...)` rather than by the module's multi-line repr."""
    got = call(model, *args)
    got.text = "model" + got.text[len(repr(model)):]
    return got


def twin(learner_class, reference_class, *args, **kwargs):
    """The learner's and the reference's module built with the same arguments, holding the same parameter values."""
    torch.manual_seed(0)
    built = call(learner_class, *args, **kwargs)
    theirs = reference_class(*args, **kwargs)
    copy_parameters(built.value, theirs, what=f"Built {built.text}.")
    return built.value, theirs, built.text


def expect_registered(model, expected_count: int, linear_layers: int, text: str):
    """Parameter count, state_dict entries and .to(float64) reaching the output: what a registered module has."""
    count = sum(p.numel() for p in model.parameters())
    expect.that(count == expected_count,
                f"Built {text}.\nIts parameters() hold {count} numbers; expected {expected_count}. {registration_hint()}")
    weights = [key for key in model.state_dict() if key.endswith("weight")]
    expect.that(len(weights) == linear_layers,
                f"Built {text}.\nIts state_dict() has {len(weights)} weight entries ({weights}); expected "
                f"{linear_layers}, one per layer: a saved checkpoint would lose the rest. {registration_hint()}")


def expect_float64(model, x: torch.Tensor, text: str):
    got = forward(model.to(torch.float64), x.double())
    expect.that(isinstance(got.value, torch.Tensor) and got.value.dtype == torch.float64,
                f"Built {text}, called .to(torch.float64), then {got.text}.\nIt returned "
                f"{getattr(got.value, 'dtype', got.value)}; expected float64: some weights did not follow .to(). "
                f"{registration_hint()}")


def expect_same_gradients(model, reference_model, x, text: str):
    """Every parameter of model gets the gradient the reference's matching parameter gets."""
    got = forward(model, x)
    expect.that(isinstance(got.value, torch.Tensor) and got.value.grad_fn is not None,
                f"Called {got.text}: the output has no grad_fn, so no parameter can learn from it. Was something "
                "detached, or computed under torch.no_grad()?")
    params = list(model.parameters())
    grads = torch.autograd.grad(got.value.pow(2).sum(), params, allow_unused=True)
    expected = torch.autograd.grad(reference_model(x).pow(2).sum(), list(reference_model.parameters()))
    for index, (grad, want, param) in enumerate(zip(grads, expected, params)):
        expect.that(grad is not None,
                    f"Called {got.text}: parameter {index} (shape {tuple(param.shape)}) gets no gradient from the "
                    "output: forward does not use it (a layer created in forward, or a detached weight?).")
        expect.close(grad, want, what=f"Called {got.text}; the gradient of sum(output ** 2) with respect to "
                     f"parameter {index} (shape {tuple(param.shape)}):")


# Exercise 4.1 -------------------------------------------------------------------------------------------------------

@st.composite
def linear_problems(draw):
    """(in_features, out_features, x): sizes from 1, rows from 1 (a batch of one), exact zeros among the inputs."""
    in_features, out_features = draw(strategies.sizes(1, 5)), draw(strategies.sizes(1, 4))
    x = draw(strategies.tensors((draw(strategies.sizes(1, 6)), in_features)))
    return in_features, out_features, x


@linear_regression.check(points=2, clauses=["one-linear", "formula", "shapes"])
@generated.examples(problem=linear_problems(), max_examples=10)
def test_4_1_forward_matches_reference(learner, reference, device, problem):
    """Does LinearRegression map (N, in_features) to (N, out_features) as x W^T + b, on the input's device?"""
    in_features, out_features, x = problem
    model, expected_model, text = twin(learner.LinearRegression, reference.LinearRegression, in_features, out_features)
    x = x.to(device)
    expected = expected_model.to(device)(x)
    expect.close(forward(model.to(device), x), expected,
                 what=f"Built {text}, moved it to {device} and called it on a float32 tensor of shape "
                      f"{tuple(x.shape)}. Expected {tuple(expected.shape)}: x W^T + b, nothing squeezed or added.")


@linear_regression.check(points=1, clauses=["default-out", "shapes"])
def test_4_1_default_out_features(learner, reference):
    """Without out_features, does LinearRegression(3) return (N, 1), nothing squeezed?"""
    model, expected_model, text = twin(learner.LinearRegression, reference.LinearRegression, 3)
    x = inputs(4, 3)
    expect.close(forward(model, x), expected_model(x), what=f"Built {text} and called it on a float32 tensor of "
                 "shape (4, 3). Expected (4, 1): out_features defaults to 1, and the output keeps its last dim.")


@linear_regression.check(points=2, clauses=["registered"])
def test_4_1_parameters_registered(learner):
    """Does LinearRegression register its weight and bias, so parameters(), state_dict() and .to() find them?"""
    torch.manual_seed(0)
    built = call(learner.LinearRegression, 5, 2)
    expect_registered(built.value, 5 * 2 + 2, 1, built.text)
    expect_float64(built.value, inputs(4, 5), built.text)


@linear_regression.check(points=1, clauses=["one-linear", "registered"])
def test_4_1_is_one_linear_layer(learner):
    """Is LinearRegression(5, 2) one nn.Linear(5, 2) layer, holding every parameter the model has?"""
    torch.manual_seed(0)
    built = call(learner.LinearRegression, 5, 2)
    layers = [(name, m) for name, m in built.value.named_modules() if isinstance(m, nn.Linear)]
    expect.that(len(layers) == 1, f"Built {built.text}.\nIt holds {len(layers)} nn.Linear layers "
                f"({', '.join(name for name, _ in layers) or 'none'}); expected exactly one, "
                "self.linear = nn.Linear(in_features, out_features): the exercise is the module around that layer, "
                "not a re-implementation of it.")
    name, layer = layers[0]
    expect.that((layer.in_features, layer.out_features) == (5, 2),
                f"Built {built.text}.\nIts layer {name} is nn.Linear({layer.in_features}, {layer.out_features}); "
                "expected nn.Linear(5, 2): in_features, then out_features.")
    own = {id(p) for p in layer.parameters()}
    extra = [n for n, p in built.value.named_parameters() if id(p) not in own]
    expect.that(not extra, f"Built {built.text}.\nBesides its layer {name} it has the parameters {extra}; "
                "expected the layer's weight and bias only: nothing after the layer.")


@linear_regression.check(points=1, clauses=["formula"])
def test_4_1_gradients(learner, reference):
    """Does every parameter of LinearRegression get the gradient the reference's gets?"""
    model, expected_model, text = twin(learner.LinearRegression, reference.LinearRegression, 3, 2)
    expect_same_gradients(model, expected_model, inputs(6, 3), text)


@linear_regression.check(points=1, clauses=["registered"])
def test_4_1_forward_is_repeatable(learner):
    """Does calling a LinearRegression twice on the same input give the same output?"""
    torch.manual_seed(0)
    built = call(learner.LinearRegression, 3, 1)
    x = inputs(5, 3)
    first, second = forward(built.value, x), forward(built.value, x)
    expect.close(second, first.value, what=f"Called {first.text} twice: the second output differs from the first. "
                 "Is a layer created inside forward? Create layers once, in __init__.")


# Exercise 4.2 -------------------------------------------------------------------------------------------------------

@logistic_regression.check(points=2, clauses=["title", "logits"])
@generated.examples(problem=linear_problems(), max_examples=10)
def test_4_2_logits_match_reference(learner, reference, device, problem):
    """Does LogisticRegression return one logit per row, shape (N,), even for a batch of one, on x's device?"""
    in_features, _, x = problem
    model, expected_model, text = twin(learner.LogisticRegression, reference.LogisticRegression, in_features)
    model, expected_model, x = model.to(device), expected_model.to(device), x.to(device)
    expected = expected_model(x)
    got = forward(model, x)
    if device.type != "meta":
        expect_not_probabilities(got, expected)
    expect.close(got, expected, what=f"Built {text}, moved it to {device} and called it on a float32 tensor of "
                 f"shape {tuple(x.shape)}. Expected one logit per row, shape ({len(x)},): squeeze(-1), not squeeze().")


def expect_not_probabilities(got, expected):
    """Name the article's mistake: a sigmoid inside forward."""
    value = got.value
    if isinstance(value, torch.Tensor) and value.shape == expected.shape and value.dtype == expected.dtype:
        expect.that(not torch.allclose(value, torch.sigmoid(expected)),
                    f"Called {got.text}: it returned probabilities (sigmoid of the logits). forward must return the "
                    f"logits. {mistakes.describe('sigmoid_before_logits_loss')}")


@logistic_regression.check(points=1, clauses=["logits", "bce"])
def test_4_2_forward_returns_logits(learner, reference):
    """Does forward return raw logits (any real number), not probabilities, ready for BCEWithLogitsLoss?"""
    model, expected_model, text = twin(learner.LogisticRegression, reference.LogisticRegression, 4)
    with torch.no_grad():
        for source in (model, expected_model):
            for p in source.parameters():
                p.mul_(10)  # confident scores: logits far outside [0, 1]
    x = inputs(8, 4, seed=1)
    got, expected = forward(model, x), expected_model(x)
    expect_not_probabilities(got, expected)
    expect.close(got, expected)
    targets = (x[:, 0] > 0).float()
    loss = nn.BCEWithLogitsLoss()
    expect.close(call(loss, got.value, targets), loss(expected, targets),
                 what="nn.BCEWithLogitsLoss()(model(x), targets), on logits far outside [0, 1]:")


@logistic_regression.check(points=1, clauses=["mode-kept"])
def test_4_2_predict_proba_keeps_the_mode(learner):
    """Called in training mode and in eval mode, does predict_proba leave the model in the mode it found?"""
    model = call(learner.LogisticRegression, 3).value
    x = inputs(4, 3, seed=2)
    for training in (True, False):
        model.train(training)
        switched = []  # every .train(mode) / .eval() call during predict_proba, on any of the model's modules

        def spy(module, name):
            original = module.train

            def train(mode=True):
                switched.append(f"{name or 'the model'}.train({mode})")
                return original(mode)
            return train

        modules = list(model.named_modules())
        for name, module in modules:
            module.train = spy(module, name)  # an instance attribute: .eval() calls self.train(False) through it
        try:
            got = call(model.predict_proba, x)
        finally:
            for _, module in modules:
                module.__dict__.pop("train", None)
        expect.that(not switched, f"Set model.train({training}) and called {got.text}.\nDuring the call the mode was "
                    f"switched: {switched[:4]}. predict_proba calls neither self.eval() nor self.train(), even to put "
                    "the mode back afterwards: the caller decides when to train and when to evaluate (and a layer "
                    "such as dropout or batch norm would behave differently during the call).")
        modes = {name or "the model": module.training for name, module in model.named_modules()}
        changed = {name: mode for name, mode in modes.items() if mode is not training}
        expect.that(not changed, f"Set model.train({training}) and called {got.text}.\nAfterwards these modules are "
                    f"in {'eval' if training else 'training'} mode: {sorted(changed)}. predict_proba must leave the "
                    "mode as it found it: the caller decides when to train and when to evaluate (do not call "
                    "self.eval() or self.train() inside).")


@logistic_regression.check(points=2, clauses=["proba"])
def test_4_2_predict_proba(learner, reference):
    """Does predict_proba return sigmoid(logits) of shape (N,), finite and in [0, 1] even for logits of +-1000?"""
    model, expected_model, text = twin(learner.LogisticRegression, reference.LogisticRegression, 2)
    x = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0], [0.2, -0.1], [5.0, 1.0]])  # (5, 2)
    expect.close(call(model.predict_proba, x), expected_model.predict_proba(x), what=f"Built {text}; called "
                 "predict_proba on a float32 tensor of shape (5, 2).")
    with torch.no_grad():
        for source in (model, expected_model):
            for p in source.parameters():
                if p.dim() == 2:
                    p.copy_(torch.tensor([[1000.0, 0.0]]))
                else:
                    p.zero_()
    got = call(model.predict_proba, x)
    expected = expected_model.predict_proba(x)
    if isinstance(got.value, torch.Tensor):
        expect.that(bool(torch.isfinite(got.value).all()),
                    f"Called {got.text} with logits of +-1000: it returned {got.value.tolist()}. exp(1000) overflows "
                    "to inf and inf / inf is nan: use torch.sigmoid, which is stable for any logit.")
    expect.close(got, expected, what=f"Called {got.text} with weights that make logits of +-1000 and 0:")
    saturated = torch.tensor([True, True, False, True, True])  # logits 1000, -1000, 0, 200, 5000
    expect.close(got.value[saturated], expected[saturated], rtol=0, atol=1e-9,
                 what=f"Called {got.text} with logits of 1000, -1000, 200 and 5000, where sigmoid is exactly 1 or 0 "
                 "in float32: probabilities clamped away from 0 and 1 (clamp(1e-7, 1 - 1e-7)) are not sigmoid(z).")
    got = call(model.predict_proba, x[:1])
    expect.close(got, expected_model.predict_proba(x[:1]),
                 what=f"Called {got.text}, a batch of one row: expected shape (1,), one probability per row "
                 "(squeeze(-1), or no squeeze at all, never .squeeze(), which leaves a 0-dim tensor):")
    model, expected_model = model.to(torch.float64), expected_model.to(torch.float64)
    got = call(model.predict_proba, x.double())
    expect.close(got, expected_model.predict_proba(x.double()),
                 what=f"Called .to(torch.float64), then {got.text} on a float64 input: sigmoid of float64 logits is "
                 "float64 (no .float() inside).")


@logistic_regression.check(points=1, clauses=["proba", "registered"])
def test_4_2_predict_proba_on_the_model_device(learner, reference, device):
    """After model.to(device), does predict_proba return (N,) probabilities on that device (no .cpu() detour)?"""
    model, expected_model, text = twin(learner.LogisticRegression, reference.LogisticRegression, 3)
    model, expected_model, x = model.to(device), expected_model.to(device), inputs(4, 3, seed=6).to(device)
    with copies_out_of(device):  # probabilities brought to the cpu end there, which meta can then prove
        got = call(model.predict_proba, x)
    expect.close(got, expected_model.predict_proba(x), what=f"Built {text}, moved it to {device} and called "
                 f"predict_proba on a (4, 3) input there: the probabilities stay on the model's device.")


@logistic_regression.check(points=1, clauses=["registered"])
def test_4_2_parameters_registered(learner):
    """Does LogisticRegression register in_features + 1 parameters that follow .to(torch.float64)?"""
    torch.manual_seed(0)
    built = call(learner.LogisticRegression, 6)
    expect_registered(built.value, 6 + 1, 1, built.text)
    expect_float64(built.value, inputs(3, 6), built.text)


# Exercise 4.3 -------------------------------------------------------------------------------------------------------

SIZES = [3, 5, 7, 2]
SIZES_COUNT = 3 * 5 + 5 + 5 * 7 + 7 + 7 * 2 + 2  # 78


ACTIVATIONS = st.sampled_from([nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU])


@st.composite
def mlp_problems(draw):
    """(sizes, activation, dropout, x): one to three layers of widths from 1, a batch from 1 row."""
    sizes = draw(st.lists(strategies.sizes(1, 6), min_size=2, max_size=4))
    x = draw(strategies.tensors((draw(strategies.sizes(1, 5)), sizes[0])))
    return sizes, draw(ACTIVATIONS), draw(st.sampled_from([0.0, 0.25, 0.5])), x


@mlp.check(points=2, clauses=["layers", "activation", "raw-output", "shape", "train-eval"])
@generated.examples(problem=mlp_problems(), max_examples=10)
def test_4_3_forward_matches_reference(learner, reference, device, problem):
    """In eval mode, does MLP(sizes, activation, dropout) compute Linear, activation, ..., Linear like the reference?"""
    sizes, activation, dropout, x = problem
    model, expected_model, text = twin(learner.MLP, reference.MLP, sizes, activation=activation, dropout=dropout)
    model, expected_model, x = model.to(device).eval(), expected_model.to(device).eval(), x.to(device)
    expected = expected_model(x)
    expect.close(forward(model, x), expected,
                 what=f"Built {text}, moved it to {device}, called .eval(), then called it on a float32 tensor of "
                      f"shape {tuple(x.shape)}. (Is there an activation after the last layer? The output must be raw.)")


@mlp.check(points=1, clauses=["dropout", "activation"])
@generated.examples(sizes=st.lists(strategies.sizes(2, 6), min_size=3, max_size=4), seed=strategies.seeds(),
                    dropout=st.sampled_from([0.5, 0.2, 0.75]), max_examples=6)
def test_4_3_training_mode_matches_reference(learner, reference, sizes, seed, dropout):
    """In training mode, with dropout of 0.2, 0.5 or 0.75 and the same random seed, does MLP drop what the reference
    drops (nn.Dropout(dropout), the probability of dropping, right after each hidden activation)?"""
    model, expected_model, text = twin(learner.MLP, reference.MLP, sizes, activation=nn.Tanh, dropout=dropout)
    x = inputs(4, sizes[0], seed=seed % 1000)
    torch.manual_seed(seed)
    expected = expected_model.train()(x)
    torch.manual_seed(seed)
    got = forward(model.train(), x)
    expect.close(got, expected,
                 what=f"Built {text}, kept it in training mode and called it on a (4, {sizes[0]}) input after "
                      f"torch.manual_seed({seed}), as the reference was: the outputs differ. Each hidden layer is "
                      "Linear, then activation(), then nn.Dropout(dropout), and nothing after the last Linear.")
    # Training means a backward pass through the dropped activations: an in-place dropout (nn.Dropout(p,
    # inplace=True)) overwrites the tanh output that tanh's backward needs, and raises there.
    grads = call(lambda: torch.autograd.grad(got.value.pow(2).sum(), list(model.parameters())))
    expected_grads = torch.autograd.grad(expected.pow(2).sum(), list(expected_model.parameters()))
    expect.close(grads, expected_grads, what=f"Built {text}, in training mode, after torch.manual_seed({seed}); the "
                 "gradients of sum(output ** 2) with respect to the parameters, in parameters() order:")


@mlp.check(points=1, clauses=["activation"])
def test_4_3_one_activation_per_hidden_layer(learner):
    """Does MLP call `activation` once per hidden layer, making a new module each time (a PReLU learns per layer)?"""
    made = []

    def counting_prelu():
        made.append(nn.PReLU())
        return made[-1]

    torch.manual_seed(0)
    built = call(learner.MLP, [3, 4, 5, 2], activation=counting_prelu)
    count = sum(p.numel() for p in built.value.parameters())
    expect.that(len(made) == 2 and count == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2 + 2,
                f"Built {built.text} with activation=a function that makes an nn.PReLU (one learned slope).\nIt called "
                f"activation {len(made)} times and holds {count} parameter numbers; expected 2 calls (one per hidden "
                "layer) and 55 numbers, 2 of them the two PReLU slopes: call activation() anew after every layer but "
                "the last, and register what it returns.")


@mlp.check(points=1, clauses=["defaults", "too-few"])
def test_4_3_defaults_and_too_few_sizes(learner, reference):
    """Does MLP(sizes) use ReLU and no dropout by default, and refuse fewer than two sizes with a ValueError?"""
    model, expected_model, text = twin(learner.MLP, reference.MLP, [3, 6, 2])
    x = inputs(5, 3, seed=8)
    torch.manual_seed(1)
    expected = expected_model.train()(x)
    torch.manual_seed(1)
    expect.close(forward(model.train(), x), expected,
                 what=f"Built {text} (default activation and dropout), in training mode, on a (5, 3) input: expected "
                      "nn.ReLU after the hidden layer and no dropout (dropout defaults to 0.0).")
    for sizes in ([4], []):
        raises(ValueError, learner.MLP, sizes, why="An MLP needs at least an input and an output size.")


@mlp.check(points=2, clauses=["registered", "containers"])
def test_4_3_layers_registered(learner):
    """Are all of MLP's layers registered: parameter count, state_dict entries and .to(torch.float64)?"""
    torch.manual_seed(0)
    built = call(learner.MLP, SIZES, activation=nn.ReLU, dropout=0.0)
    expect_registered(built.value, SIZES_COUNT, len(SIZES) - 1, built.text)
    expect_float64(built.value.eval(), inputs(4, 3), built.text)


@mlp.check(points=1, clauses=["train-eval", "init"])
def test_4_3_eval_is_deterministic(learner, reference):
    """After model.eval(), do two forwards of an MLP with dropout=0.5 give the same output (dropout off)?"""
    model, expected_model, text = twin(learner.MLP, reference.MLP, [3, 16, 2], dropout=0.5)
    model.eval()
    x = inputs(6, 3, seed=3)
    first, second = forward(model, x), forward(model, x)
    expect.close(second, first.value,
                 what=f"Built {text}, called .eval(), then called it twice on the same (6, 3) input: the outputs "
                      "differ. In eval mode dropout must do nothing: use nn.Dropout, or F.dropout(x, p, "
                      "training=self.training); and create no layers in forward.")
    expect.close(first, expected_model.eval()(x))


@mlp.check(points=1, clauses=["dropout", "train-eval"])
def test_4_3_dropout_in_training(learner):
    """In training mode, is dropout active when dropout=0.5 and absent when dropout=0.0?"""
    torch.manual_seed(0)
    x = inputs(6, 3, seed=4)
    built = call(learner.MLP, [3, 64, 2], dropout=0.5)
    model = built.value.train()
    expect.that(not torch.equal(forward(model, x).value, forward(model, x).value),
                f"Built {built.text}, kept it in training mode and called it twice on the same (6, 3) input: the "
                "outputs are equal, so dropout did nothing. Put nn.Dropout(dropout) after each hidden activation.")
    built = call(learner.MLP, [3, 64, 2], dropout=0.0)
    model = built.value.train()
    expect.close(forward(model, x), forward(model, x).value,
                 what=f"Built {built.text}, kept it in training mode and called it twice: the outputs differ, but "
                      "dropout=0.0 should drop nothing.")


@mlp.check(points=1, clauses=["layers", "init"])
def test_4_3_gradients(learner, reference):
    """Does every parameter of the MLP get the gradient the reference's gets?"""
    model, expected_model, text = twin(learner.MLP, reference.MLP, SIZES, activation=nn.Tanh)
    expect_same_gradients(model, expected_model, inputs(5, 3, seed=5), text)


# Exercise 4.4 -------------------------------------------------------------------------------------------------------

def counted(learner, model, what: str, expected: int, **kwargs):
    got = call(learner.count_parameters, model, **kwargs)
    expect.that(type(got.value) is int,
                f"Called count_parameters on {what}: it returned {got.value!r} ({type(got.value).__name__}); "
                "expected a Python int (sum of p.numel() values is one).")
    expect.that(got.value == expected,
                f"Called count_parameters on {what}{''.join(f', {k}={v}' for k, v in kwargs.items())}: it returned "
                f"{got.value}; expected {expected}.")


@st.composite
def frozen_models(draw):
    """(model, description): Linear layers with and without bias, sometimes a BatchNorm1d, some layers frozen."""
    widths = draw(st.lists(strategies.sizes(1, 5), min_size=2, max_size=4))
    layers, parts = [], []
    for d_in, d_out in zip(widths[:-1], widths[1:]):
        bias = draw(st.booleans())
        layers.append(nn.Linear(d_in, d_out, bias=bias))
        parts.append(f"Linear({d_in}, {d_out}, bias={bias})")
        if draw(st.booleans()):
            layers.append(nn.BatchNorm1d(d_out))
            parts.append(f"BatchNorm1d({d_out})")
    model = nn.Sequential(*layers)
    frozen = draw(st.lists(st.booleans(), min_size=len(layers), max_size=len(layers)))
    for layer, freeze in zip(layers, frozen):
        layer.requires_grad_(not freeze)
    names = [f"{part}{' (frozen)' if freeze else ''}" for part, freeze in zip(parts, frozen)]
    return model, "nn.Sequential(" + ", ".join(names) + ")"


@count_parameters.check(points=2, clauses=["python-int", "sum", "buffers", "default"])
@generated.examples(drawn=frozen_models(), trainable_only=st.sampled_from([None, True, False]), max_examples=12)
def test_4_4_matches_parameters(learner, drawn, trainable_only):
    """Does count_parameters count the numbers of the (trainable) parameters of any model, buffers left out?"""
    model, what = drawn
    options = {} if trainable_only is None else {"trainable_only": trainable_only}
    expected = sum(p.numel() for p in model.parameters() if p.requires_grad or trainable_only is False)
    counted(learner, model, what, expected, **options)


@count_parameters.check(points=2, clauses=["python-int", "sum"])
def test_4_4_counts_numbers(learner, reference):
    """Does count_parameters count every number in every parameter (78 for an MLP [3, 5, 7, 2])?"""
    counted(learner, reference.MLP(SIZES), "MLP([3, 5, 7, 2]) (weights (5, 3), (7, 5), (2, 7) and their biases)",
            SIZES_COUNT)
    counted(learner, nn.Linear(10, 1, bias=False), "nn.Linear(10, 1, bias=False)", 10)
    # p.numel(), not shape[0] * shape[1]: parameters can have 4 dimensions (a convolution) or none (a scale)
    counted(learner, nn.Conv2d(2, 3, kernel_size=(2, 4)),
            "nn.Conv2d(2, 3, kernel_size=(2, 4)) (weight (3, 2, 2, 4): 48 numbers; bias (3,))", 48 + 3)
    scaled = nn.Module()
    scaled.scale = nn.Parameter(torch.tensor(2.0))  # 0-dim: shape (), one number
    counted(learner, scaled, "a module whose one parameter is a 0-dim scale, nn.Parameter(torch.tensor(2.0))", 1)
    with torch.device("meta"):  # counting a big model without allocating it: every meta tensor has data_ptr() 0
        on_meta = nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2))
    counted(learner, on_meta, "nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2)) built on the meta device (its "
            "parameters hold no data, and all have data_ptr() 0: tell them apart as objects, not by address)", 32)


@count_parameters.check(points=1, clauses=["buffers"])
def test_4_4_buffers_are_not_parameters(learner):
    """Does count_parameters leave out buffers such as BatchNorm's running statistics?"""
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))  # parameters 4*3+3 + 3+3; buffers 3+3+1
    counted(learner, model, "nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)) (BatchNorm also holds 7 numbers of "
            "buffers: running_mean, running_var, num_batches_tracked, which no optimizer trains; state_dict() "
            "includes them, parameters() does not)", 4 * 3 + 3 + 3 + 3)


@count_parameters.check(points=2, clauses=["sum", "default"])
def test_4_4_trainable_only(learner, reference):
    """Does trainable_only=True leave out frozen parameters, and trainable_only=False count them?"""
    model = reference.MLP(SIZES)
    for p in list(model.parameters())[:2]:
        p.requires_grad_(False)  # freeze the first layer: 3 * 5 + 5 = 20 numbers
    what = "MLP([3, 5, 7, 2]) whose first layer is frozen (requires_grad=False)"
    counted(learner, model, what, SIZES_COUNT - 20)
    counted(learner, model, what, SIZES_COUNT - 20, trainable_only=True)
    counted(learner, model, what, SIZES_COUNT, trainable_only=False)


@count_parameters.check(points=1, clauses=["shared"])
def test_4_4_shared_counted_once(learner):
    """Does a weight shared by two layers count once?"""
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight  # tied weights, as in a language model's embedding and output layers
    counted(learner, nn.Sequential(first, second), "two nn.Linear(4, 4) layers sharing one weight", 16 + 4 + 4)
