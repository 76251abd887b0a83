"""Mistakes learners really make (MISTAKES.md), each with an id, a name and advice, in English and Chinese.

A check names a mistake it has recognised with `expect.mistake("zero_grad_missing", context)` (raises) or embeds
`mistakes.describe("zero_grad_missing")` in its own message. The report finds the description in the failure
message, shows it first ("Known mistake: ...") and translates it for a Chinese-speaking learner.
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
            "整轮的损失取成了各批次均值的平均，较小的最后一个批次因此权重过大。",
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
]}


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
