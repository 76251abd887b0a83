"""Mistakes learners really make (MISTAKES.md), each with an id, a name and advice, in English and Chinese.

A check names a mistake it has recognised with `expect.mistake("zero_grad_missing", context)`, which raises a
NamedMistake carrying the id as a field, or embeds `mistakes.describe("zero_grad_missing")` in its own message (the
report then finds the sentence in the text: `found_in`). The report shows the mistake first ("Known mistake: ..."),
in the learner's language, and leads an exercise's feedback with the failure that names one.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    id: str
    name: str       # what went wrong, as a learner would recognise it
    advice: str     # what to do about it
    name_zh: str
    advice_zh: str


CATALOG: dict[str, Mistake] = {m.id: m for m in [
    Mistake("zero_grad_missing",
            "gradients were accumulated across steps: was optimizer.zero_grad() called?",
            "Call optimizer.zero_grad() once per batch, before loss.backward(): backward() adds to .grad.",
            "梯度在多个步骤之间被累加了：是否调用了 optimizer.zero_grad()？",
            "每个批次在 loss.backward() 之前调用一次 optimizer.zero_grad()：backward() 会累加到 .grad 上。"),
    Mistake("step_before_backward",
            "optimizer.step() ran before loss.backward(), so every step used the previous batch's gradients.",
            "The order is zero_grad(), forward, loss, backward(), step().",
            "optimizer.step() 在 loss.backward() 之前执行，因此每一步用的都是上一个批次的梯度。",
            "正确的顺序是 zero_grad()、前向、损失、backward()、step()。"),
    Mistake("dropout_active_in_eval",
            "Dropout is still active after model.eval().",
            "In eval mode dropout is the identity: check self.training (F.dropout needs training=self.training), "
            "and call model.eval() before measuring.",
            "调用 model.eval() 之后 Dropout 仍然在起作用。",
            "评估模式下 dropout 应当是恒等映射：检查 self.training（F.dropout 需要 training=self.training），"
            "并在评估之前调用 model.eval()。"),
    Mistake("broadcast_n1_n",
            "the loss broadcast (N,1) against (N,) into (N,N).",
            "A (N, 1) tensor combined with a (N,) tensor broadcasts to (N, N) without an error: make both the same "
            "shape first (reshape, squeeze or unsqueeze), or refuse mismatched shapes.",
            "损失把 (N,1) 与 (N,) 广播成了 (N,N)。",
            "(N, 1) 的张量与 (N,) 的张量运算会不报错地广播成 (N, N)：先把两者变成相同形状（reshape、squeeze 或 "
            "unsqueeze），或者对形状不一致的输入直接报错。"),
    Mistake("dims_swapped",
            "The dimensions are swapped: is a transpose missing or extra?",
            "Compare the shape asked for in the docstring with what each line produces (shape comments help).",
            "维度顺序反了：是少了还是多了一次转置？",
            "把文档字符串要求的形状与每一行产生的形状逐一对照（在代码行旁写上形状注释会有帮助）。"),
    Mistake("graph_kept_alive",
            "the loss tensors were added up (total += loss), which keeps every batch's autograd graph alive.",
            "Accumulate plain numbers: total += loss.item() * len(inputs).",
            "把损失张量直接相加（total += loss）会让每个批次的计算图一直占用内存。",
            "累加普通数值：total += loss.item() * len(inputs)。"),
    Mistake("mean_of_batch_means",
            "the epoch loss is the mean of the batch means, which gives the smaller last batch too much weight.",
            "Weight each batch's mean by its size, sum, and divide by the number of samples.",
            "一个 epoch 的损失取成了各批次均值的平均，较小的最后一个批次因此权重过大。",
            "用每个批次的样本数对该批次的均值加权求和，再除以样本总数。"),
    Mistake("eval_mode_missing",
            "evaluation ran with the model in training mode: was model.eval() called?",
            "In training mode Dropout drops units and BatchNorm uses batch statistics; call model.eval() first.",
            "评估时模型处于训练模式：是否调用了 model.eval()？",
            "训练模式下 Dropout 会丢弃单元、BatchNorm 使用批次统计量；请先调用 model.eval()。"),
    Mistake("train_mode_missing",
            "training ran with the model in eval mode: was model.train() called?",
            "Call model.train() at the start of every epoch: an evaluation before it switched Dropout off.",
            "训练时模型处于评估模式：是否调用了 model.train()？",
            "每一轮开始时调用 model.train()：之前的评估把 Dropout 关掉了。"),
    Mistake("no_grad_missing",
            "evaluation built autograd graphs: gradients were on.",
            "Wrap the evaluation loop in `with torch.no_grad():`.",
            "评估时构建了计算图：梯度计算处于开启状态。",
            "把评估循环放进 `with torch.no_grad():` 之中。"),
    Mistake("graph_broken",
            "something broke the autograd graph (.item(), .numpy(), .detach(), .data or torch.tensor(...)).",
            "Keep the computation in torch operations on the tensors themselves.",
            "有操作切断了计算图（.item()、.numpy()、.detach()、.data 或 torch.tensor(...)）。",
            "让整个计算都由作用在张量本身上的 torch 运算完成。"),
    Mistake("input_modified_in_place",
            "the function modified its input in place (for example `x -= x.mean(0)`).",
            "Return a new tensor and leave the caller's data as it was: write `x = x - x.mean(0)` instead.",
            "函数原地修改了它的输入（例如 `x -= x.mean(0)`）。",
            "返回一个新张量，保持调用者的数据不变：改写成 `x = x - x.mean(0)`。"),
    Mistake("input_requires_grad_changed",
            "the caller's tensor had its requires_grad changed (`x.requires_grad_()` on the input itself).",
            "Differentiate at a fresh leaf that shares x's values: `point = x.detach().requires_grad_(True)`, then "
            "`torch.autograd.grad(f(point), point)`; the caller's x stays as it was.",
            "调用者张量的 requires_grad 被改变了（直接对输入调用了 `x.requires_grad_()`）。",
            "在一个与 x 共享数值的新叶子张量上求导：`point = x.detach().requires_grad_(True)`，再调用 "
            "`torch.autograd.grad(f(point), point)`；调用者的 x 保持原样。"),
    Mistake("parameter_rebound",
            "the parameters never changed: `p = p - lr * p.grad` makes a new tensor and rebinds the local name p, "
            "while the model keeps its own tensor as it was.",
            "Update the model's own tensors in place under torch.no_grad(): `p -= lr * p.grad` (or "
            "p.sub_(lr * p.grad)).",
            "参数从未改变：`p = p - lr * p.grad` 创建了一个新张量并把局部变量名 p 重新绑定到它，模型自己的张量保持原样。",
            "在 torch.no_grad() 下原地更新模型自己的张量：`p -= lr * p.grad`（或 p.sub_(lr * p.grad)）。"),
    Mistake("parameter_not_leaf",
            "`w = w - lr * w.grad` made a new tensor: the parameter is no longer the leaf the model and the optimizer "
            "hold.",
            "Update in place under torch.no_grad(): `w -= lr * w.grad` (or w.sub_(lr * w.grad)), so w stays the same "
            "leaf tensor with requires_grad.",
            "`w = w - lr * w.grad` 创建了一个新张量：参数不再是模型和优化器所持有的那个叶子张量。",
            "在 torch.no_grad() 下原地更新：`w -= lr * w.grad`（或 w.sub_(lr * w.grad)），这样 w 仍是同一个 "
            "requires_grad 的叶子张量。"),
    Mistake("layers_not_registered",
            "some layers or weights are not registered with the module (a plain Python list or dict, plain tensors, "
            "or layers created inside forward()).",
            "Parameters are found only through attributes that are nn.Module, nn.Parameter, nn.Sequential, "
            "nn.ModuleList or nn.ModuleDict: anything else is invisible to model.parameters(), the optimizer, .to() "
            "and state_dict().",
            "有些层或权重没有注册到模块中（放在普通的 Python 列表或字典里、用的是普通张量，或在 forward() 里才创建层）。",
            "只有 nn.Module、nn.Parameter、nn.Sequential、nn.ModuleList 或 nn.ModuleDict 类型的属性中的参数才会被找到："
            "其他方式保存的内容，model.parameters()、优化器、.to() 和 state_dict() 都看不到。"),
    Mistake("sigmoid_before_logits_loss",
            "a sigmoid was applied to the logits before a loss that expects logits.",
            "BCEWithLogitsLoss (F.binary_cross_entropy_with_logits) applies the sigmoid itself, stably: a sigmoid "
            "before it is applied twice, and sigmoid followed by BCELoss takes log(0) at confident logits. Keep the "
            "model's output raw and pass it to the with-logits loss.",
            "在一个本来就接收 logit 的损失之前，先对 logit 做了 sigmoid。",
            "BCEWithLogitsLoss（F.binary_cross_entropy_with_logits）自己会稳定地做 sigmoid：在它前面再加 sigmoid 就"
            "做了两次；sigmoid 之后接 BCELoss，在很有把握的 logit 处会取到 log(0)。让模型输出原始的 logit，直接交给 "
            "with-logits 版本的损失。"),
    Mistake("log_sigmoid_unstable",
            "log(sigmoid(z)) is not finite for large |z|: the sigmoid underflows to 0 (z = -200 in float32) and "
            "log(0) = -inf.",
            "Use a stable formula: max(z, 0) - z * y + log1p(exp(-|z|)), or F.logsigmoid.",
            "当 |z| 很大时 log(sigmoid(z)) 不是有限值：sigmoid 下溢为 0（float32 中 z = -200 时），而 log(0) = -inf。",
            "使用数值稳定的公式：max(z, 0) - z * y + log1p(exp(-|z|))，或者 F.logsigmoid。"),
    Mistake("softmax_before_cross_entropy",
            "softmax was applied to the logits before the cross-entropy, so it was applied twice.",
            "Cross-entropy takes raw logits: its log-sum-exp does the normalizing. Pass the logits unchanged.",
            "在交叉熵之前先对 logit 做了 softmax，于是 softmax 被做了两次。",
            "交叉熵接收原始的 logit：它内部的 log-sum-exp 会完成归一化。把 logit 原样传进去。"),
    Mistake("naive_softmax_overflow",
            "the softmax was computed as exp(z) / exp(z).sum(): exp(1000) overflows to inf and inf / inf is nan.",
            "Subtract each row's maximum before exp, or work with log-probabilities: z - torch.logsumexp(z, dim=1, "
            "keepdim=True).",
            "softmax 被写成了 exp(z) / exp(z).sum()：exp(1000) 上溢为 inf，而 inf / inf 是 nan。",
            "在 exp 之前先减去每一行的最大值，或者直接使用对数概率：z - torch.logsumexp(z, dim=1, keepdim=True)。"),
    Mistake("train_loader_not_shuffled",
            "the training data was not shuffled: every epoch sees the same batches in the same order.",
            "Shuffle the training data with a seeded generator: DataLoader(train_set, batch_size, shuffle=True, "
            "generator=g), or index with a fresh torch.randperm(N, generator=g) every epoch.",
            "训练数据没有被打乱：每一轮都以相同的顺序看到相同的批次。",
            "用一个设定了种子的生成器打乱训练数据：DataLoader(train_set, batch_size, shuffle=True, generator=g)，或者"
            "每一轮都用新的 torch.randperm(N, generator=g) 来索引。"),
    Mistake("val_loader_shuffled",
            "the validation loader shuffles its data.",
            "Validation needs no shuffling: shuffle=False keeps the samples in stored order and the results "
            "comparable from epoch to epoch.",
            "验证集的 DataLoader 打乱了数据。",
            "验证不需要打乱：shuffle=False 让样本保持存储顺序，各轮的结果也才能相互比较。"),
    Mistake("val_loader_drop_last",
            "the validation loader drops its last, smaller batch (drop_last=True), so those samples are never "
            "evaluated.",
            "Leave drop_last=False for validation: every sample must be evaluated once.",
            "验证集的 DataLoader 丢掉了最后一个较小的批次（drop_last=True），这些样本因此从未被评估。",
            "验证时保持 drop_last=False：每个样本都必须被评估一次。"),
    Mistake("scheduler_before_optimizer",
            "the learning rates are one step ahead: scheduler.step() ran before optimizer.step(), or the rate was "
            "read after scheduler.step().",
            "Read optimizer.param_groups[0]['lr'] just before optimizer.step(), and call scheduler.step() after it.",
            "学习率提前了一步：scheduler.step() 在 optimizer.step() 之前执行了，或者是在 scheduler.step() 之后才读取的"
            "学习率。",
            "在 optimizer.step() 之前读取 optimizer.param_groups[0]['lr']，并在它之后调用 scheduler.step()。"),
    Mistake("momentum_buffer_lost",
            "the momentum buffer did not carry over from step to step: was it created anew every step, or shared "
            "between parameters?",
            "Keep one buffer per parameter in self.state[p] and update it in place (buf.mul_(momentum).add_(d)).",
            "动量缓冲没有在步骤之间延续下来：它是不是每一步都重新创建，或者被多个参数共用了？",
            "在 self.state[p] 中为每个参数保存一个缓冲，并原地更新它（buf.mul_(momentum).add_(d)）。"),
    Mistake("momentum_buffer_aliases_grad",
            "the momentum buffer is p.grad itself (state['momentum_buffer'] = d without .clone()): zero_grad() and "
            "backward() overwrite it in place, and its own update (buf.mul_(momentum)) changes p.grad.",
            "Store a copy on the first step: state['momentum_buffer'] = d.clone() (or torch.clone(d).detach()).",
            "动量缓冲就是 p.grad 本身（state['momentum_buffer'] = d 而没有 .clone()）：zero_grad() 和 backward() 会原地"
            "覆盖它，而它自己的更新（buf.mul_(momentum)）又会改动 p.grad。",
            "在第一步存一份副本：state['momentum_buffer'] = d.clone()（或 torch.clone(d).detach()）。"),
    Mistake("optimizer_changed_grad",
            "the optimizer changed p.grad in place (p.grad.add_(...), or an in-place op on a tensor that is p.grad).",
            "Read the gradient, never write it: d = p.grad + weight_decay * p makes a new tensor; torch.optim leaves "
            ".grad exactly as backward() left it.",
            "优化器原地改动了 p.grad（p.grad.add_(...)，或对就是 p.grad 的张量做了原地运算）。",
            "只读梯度，不写梯度：d = p.grad + weight_decay * p 会生成新张量；torch.optim 保持 .grad 与 backward() 留下的完全一样。"),
    Mistake("adam_bias_correction_missing",
            "Adam's bias correction is missing: the first step moves each parameter by about 3.16 lr instead of lr.",
            "m and v start at zero, so divide them by (1 - beta1**t) and (1 - beta2**t), with t the parameter's own "
            "step count starting at 1.",
            "Adam 缺少偏差修正：第一步把每个参数移动了约 3.16 倍的 lr，而不是 lr。",
            "m 和 v 从零开始，所以要分别除以 (1 - beta1**t) 和 (1 - beta2**t)，其中 t 是该参数自己的步数，从 1 开始。"),
    Mistake("weight_decay_kind_swapped",
            "L2 weight decay and decoupled (AdamW) weight decay were swapped.",
            "Adam's weight_decay is L2: add weight_decay * p to the gradient, then take the Adam step. AdamW's is "
            "decoupled: shrink the weights directly, p.mul_(1 - lr * weight_decay), and leave the gradient alone.",
            "把 L2 权重衰减和解耦（AdamW）的权重衰减弄反了。",
            "Adam 的 weight_decay 是 L2：先把 weight_decay * p 加到梯度上，再做 Adam 的更新。AdamW 的是解耦的：直接缩小"
            "权重 p.mul_(1 - lr * weight_decay)，不碰梯度。"),
    Mistake("penalty_on_bias",
            "the penalty also covers the biases.",
            "L1 and L2 penalties regularize the weights only: walk model.named_parameters() and skip the names that "
            "end in 'bias'.",
            "惩罚项把偏置也算进去了。",
            "L1 和 L2 惩罚只作用于权重：遍历 model.named_parameters()，跳过名字以 'bias' 结尾的参数。"),
    Mistake("dropout_not_scaled",
            "the surviving units were not scaled by 1 / (1 - p).",
            "Inverted dropout divides the kept units by (1 - p) in training, so the expected output equals x and "
            "eval mode can be the identity.",
            "保留下来的单元没有乘以 1 / (1 - p)。",
            "倒置 dropout（inverted dropout）在训练时把保留的单元除以 (1 - p)，这样输出的期望等于 x，评估模式下就可以是"
            "恒等映射。"),
    Mistake("dropout_p_as_keep_probability",
            "p was used as the keep probability: about a fraction 1 - p was zeroed.",
            "p is the probability to DROP a unit: keep it when the uniform draw is >= p (mask = torch.rand_like(x) "
            ">= p), then divide by 1 - p.",
            "把 p 当成了保留概率：大约有 1 - p 比例的元素被置零。",
            "p 是丢弃一个单元的概率：均匀随机数 >= p 时保留它（mask = torch.rand_like(x) >= p），再除以 1 - p。"),
    Mistake("tensor_on_default_device",
            "a tensor was most likely created on the default device inside your code (torch.zeros(n), torch.eye(n), "
            "torch.tensor(...), torch.rand(shape)...), so one operation mixed two devices.",
            "Create it on the input's device: device=x.device, or torch.zeros_like(x).",
            "很可能是在你的代码里在默认设备上创建了张量（torch.zeros(n)、torch.eye(n)、torch.tensor(...)、"
            "torch.rand(shape)……），于是一个运算混用了两个设备。",
            "在输入所在的设备上创建它：device=x.device，或者 torch.zeros_like(x)。"),
    Mistake("to_device_result_discarded",
            "a tensor you were given (or one computed from it) stayed on its old device: was it never moved, or was "
            "the result of .to(device) discarded?",
            "Move every input and every batch to `device` before using it (inputs = inputs.to(device)). "
            "tensor.to(device) returns a NEW tensor and leaves the old one where it was: keep what it returns, for "
            "every tensor, however deeply it is nested.",
            "你拿到的某个张量（或由它算出的张量）仍然留在原来的设备上：是根本没有移动它，还是丢弃了 .to(device) 的返回值？",
            "使用之前先把每个输入、每个批次都移到 `device` 上（inputs = inputs.to(device)）。tensor.to(device) "
            "返回一个新的张量，旧张量留在原处：要使用它的返回值，无论张量嵌套得多深，每一个都要如此。"),
    Mistake("result_brought_to_cpu",
            "your code copied a tensor to the cpu on the way (.cpu(), .to(\"cpu\"), a detour through numpy), and the "
            "result ended up there instead of on the input's device.",
            "Keep the work on the input's device: drop the .cpu() (to look at a value while debugging, print it, then "
            "take the .cpu() out again), and create new tensors with device=x.device.",
            "你的代码在中途把张量复制到了 cpu 上（.cpu()、.to(\"cpu\")、绕道 numpy），结果就留在了那里，而不是输入所在的"
            "设备上。",
            "让计算留在输入所在的设备上：去掉 .cpu()（调试时想看某个值，打印出来之后再把 .cpu() 删掉），新建张量时用 "
            "device=x.device。"),
    Mistake("float32_constant_in_float64",
            "a float32 value sits in a float64 computation (torch.tensor(c) or torch.zeros(n) without dtype=, "
            ".float(), a float32 copy cast back at the end): the result has float64's dtype but float32's precision.",
            "Make constants and copies in the input's dtype (dtype=x.dtype, torch.zeros_like(x), x.new_tensor(c)) or "
            "use Python numbers, and never round-trip through .float().",
            "float64 的计算里混进了 float32 的值（没有 dtype= 的 torch.tensor(c) 或 torch.zeros(n)、.float()、"
            "先转成 float32 最后再转回来）：结果的 dtype 是 float64，精度却只有 float32。",
            "常量和副本都用输入的 dtype 创建（dtype=x.dtype、torch.zeros_like(x)、x.new_tensor(c)），或直接用 Python "
            "数字，不要经过 .float() 来回转换。"),
]}


class NamedMistake(AssertionError):
    """A check's failure that names known mistakes: its text is the context and the mistakes' sentences, as
    `describe` writes them; `mistake_ids` carries the ids, so the report needs no search through the text."""

    def __init__(self, mistake_ids: str | tuple[str, ...] | list[str], context: str = ""):
        ids = (mistake_ids,) if isinstance(mistake_ids, str) else tuple(mistake_ids)
        unknown = [m for m in ids if m not in CATALOG]
        assert not unknown, f"no mistakes {unknown} in the catalog"
        self.mistake_ids = ids
        self.context = context
        super().__init__("\n".join([context, *(describe(m) for m in ids)]).strip())


def describe(mistake_id: str) -> str:
    """The sentence a check puts in its message to name a mistake; the report recognises and translates it."""
    mistake = CATALOG[mistake_id]
    return f"Known mistake: {mistake.name} {mistake.advice}"


def describe_in(mistake_id: str, lang: str) -> str:
    mistake = CATALOG[mistake_id]
    if lang == "zh":
        return f"常见错误：{mistake.name_zh}{mistake.advice_zh}"
    return describe(mistake_id)


def found_in(message: str) -> list[str]:
    """The ids of the catalog's mistakes named in a failure message, in catalog order."""
    return [mistake_id for mistake_id in CATALOG if describe(mistake_id) in message]


def without(message: str, mistake_ids: list[str]) -> str:
    """The message with the named mistakes' sentences taken out (the report shows them on their own line)."""
    for mistake_id in mistake_ids:
        message = message.replace(" " + describe(mistake_id), "").replace(describe(mistake_id), "")
    return "\n".join(line for line in message.splitlines() if line.strip())
