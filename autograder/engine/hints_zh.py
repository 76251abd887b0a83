"""The exercises' hints in Chinese, by exercise id, in the same order as the English ones next to the checks.

An exercise may carry its own `hints_zh=[...]` (chapters 09 to 11 do); this table fills in for those that don't. A
translation is used only when it has as many hints as the English list (tests/test_i18n.py checks that they match).
"""
HINTS_ZH: dict[str, list[str]] = {
    "1.1": ["构造一个 (N, 1) 的全 1 列，用 torch.cat 沿 dim=1 与 x 拼接；全 1 列放在最前面。",
            "创建全 1 列时指定 dtype=x.dtype 和 device=x.device，使结果与输入一致。"],
    "1.2": ["沿 dim=0（样本维）做归约，得到每个特征各自的均值和标准差。",
            "使用总体标准差（x.std(dim=0, correction=0)），写成 z = (x - mean) / std.clamp_min(eps)：`x -= mean` 会改动调用者的张量。"],
    "1.3": ["给 a 和 b 增加新轴使它们能够广播：a[:, None, :] 的形状是 (N, 1, D)，b[None, :, :] 的形状是 (1, M, D)。",
            "相减、平方，再对最后一维求和：(N, M, D) 的差变成 (N, M) 的距离。"],
    "1.4": ["从 torch.zeros(N, num_classes) 开始，在每一行 i 的第 labels[i] 列放一个 1（用 scatter_ 或索引）。",
            "创建全 0 张量时指定 device=labels.device 和所要求的 dtype：GPU 上的标签需要 GPU 上的独热编码。"],
    "2.1": ["torch.autograd.grad(output, inputs) 以元组形式返回梯度，而不是把梯度存进 .grad。",
            "在一个新的叶子张量上求导：point = x.detach().requires_grad_(True)；(g,) = torch.autograd.grad(f(point), point)。"
            "对 f(x) 调用 .backward() 会把梯度累加到调用者的 x.grad 上。"],
    "2.2": ["先写出残差 r = X @ w + b - y；两个梯度都由它构成。",
            "均值带来 1/N，平方带来 2：dL/dw = 2/N * X.T @ r，dL/db = 2/N * r.sum()。"],
    "2.3": ["每次只把一个元素上下各挪动 eps，再用 f 的变化量除以 2 * eps。",
            "在 x.detach().to(torch.float64).clone() 上操作：float32 看不出 1e-6 的变化，而修改副本不会动到调用者的 x。"
            "每挪动一个元素之后都要把它恢复原值。"],
    "2.4": ["在 torch.no_grad() 下原地更新（p -= lr * p.grad），这样 p 仍是同一个叶子张量。",
            "更新之后设置 p.grad = None（或 p.grad.zero_()），否则下一次 backward 会累加到旧梯度上。"],
    "3.1": ["映射式 Dataset 需要 __len__（样本数）和 __getitem__(i)（第 i 个 (特征, 目标) 对）。",
            "在 __init__ 中用 torch.as_tensor 转换，把浮点张量转成 float32，长度不一致时抛出 ValueError，并保存 transform；"
            "在 __getitem__ 中只对 features[i] 调用它，绝不作用于目标。"],
    "3.2": ["用你自己的生成器打乱下标 0..N-1：g = torch.Generator().manual_seed(seed)；torch.randperm(N, generator=g)。",
            "n_val = round(val_fraction * N)；打乱后的前 N - n_val 个下标用于训练，其余用于验证："
            "return Subset(dataset, train_indices), Subset(dataset, val_indices)。这里绝不要调用 torch.manual_seed。"],
    "3.3": ["训练集需要 shuffle=True 并配一个设定了种子的生成器；验证集需要 shuffle=False。两者都不应丢弃最后那个较小的批次。",
            "g = torch.Generator().manual_seed(seed)；DataLoader(train_set, batch_size, shuffle=True, generator=g) 和 "
            "DataLoader(val_set, batch_size, shuffle=False)。drop_last 保持 False。"],
    "3.4": ["把批次拆成序列和标签（zip(*batch)），记录每个序列的长度，并按序列的 dtype 建一个 (B, T_max, ...) 的全 0 张量，再把序列复制进去。",
            "sequences[0].new_zeros((B, T_max, *sequences[0].shape[1:])) 会保留 dtype 和 device；填入 padded[i, :T_i]；"
            "lengths = torch.tensor([...], dtype=torch.int64)；labels = torch.tensor(labels)。"
            "torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True) 也能完成填充。"],
    "4.1": ["在 __init__ 中（super().__init__() 之后）把层设为属性，并在 forward 中调用它。",
            "在 __init__ 中写 self.linear = nn.Linear(in_features, out_features)；forward 返回 self.linear(x)，形状为 "
            "(N, out_features)，不要压缩或增加任何维度。"],
    "4.2": ["forward 返回原始得分 z = linear(x)，每行一个：这里不加 sigmoid。predict_proba 负责把它们变成概率。",
            "self.linear = nn.Linear(in_features, 1)；forward：self.linear(x).squeeze(-1)（不要用 .squeeze()，"
            "它会把只有一个样本的批次变成标量）；predict_proba：torch.sigmoid(self(x))。"],
    "4.3": ["在 __init__ 中构建模块列表：对每个 k 加入 Linear(sizes[k], sizes[k + 1])，除最后一个 Linear 外，"
            "每个 Linear 之后加入 activation() 和 nn.Dropout(dropout)。然后注册这个列表。",
            "self.layers = nn.Sequential(*modules) 会注册所有模块（普通的 Python 列表不会）；forward 就是 self.layers(x)。"
            "nn.Dropout 会自动跟随 model.train() / model.eval()。"],
    "4.4": ["model.parameters() 会把每个参数张量各给出一次；p.numel() 是一个张量包含的数值个数。",
            "sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)。"
            "state_dict() 还会把 BatchNorm 的运行统计量之类的缓冲区也算进去。"],
    "5.1": ["三行：隐藏层的激活前值 z1 = x @ w1.T + b1，激活 h = relu(z1)，然后 out = h @ w2.T + b2。"
            "权重的形状是 (out_features, in_features)，与 nn.Linear 相同，所以需要转置。",
            "返回元组 (out, cache)，其中 cache = {'x': x, 'z1': z1, 'h': h, 'w2': w2}。保留 ReLU 之前的 z1"
            "（不要用 relu_ 或 z1[z1 < 0] = 0 原地修改），并且全程使用 torch 运算，让 autograd 能够跟踪。"],
    "5.2": ["把前向过程倒着走一遍，每步一行：输出层 (w2, b2)，然后 h，再穿过 ReLU 到 z1，最后是隐藏层 (w1, b1)。"
            "每个梯度的形状都与它所属的张量相同。",
            "grad_w2 = grad_out.T @ h；grad_b2 = grad_out.sum(0)；grad_h = grad_out @ w2；grad_z1 = grad_h * (z1 > 0)；"
            "grad_w1 = grad_z1.T @ x；grad_b1 = grad_z1.sum(0)。偏置加到每一行上，所以它的梯度是求和而不是求均值。"],
    "5.3": ["在 forward 中用 ctx.save_for_backward(x) 保存输入，并返回 x * torch.sigmoid(x)。在 backward 中用 "
            "(x,) = ctx.saved_tensors 取回它。",
            "backward 必须返回 grad_output * dy/dx，其中 dy/dx = s + x * s * (1 - s)，s = sigmoid(x)：对 x * s 用乘积法则，"
            "再乘以传入的梯度（链式法则）。只返回一个梯度：forward 只有一个输入。"],
    "5.4": ["forward：ctx.save_for_backward(x, weight)，记下是否有偏置（ctx.has_bias = bias is not None），"
            "返回 x @ weight.T，有偏置时再加上偏置。",
            "backward 返回三项，对应 forward 的每个输入：grad_output @ weight (N, D)、grad_output.T @ x (O, D)，"
            "以及偏置的 grad_output.sum(0) (O,)；forward 没有偏置时这一项返回 None。"],
    "6.1": ["先比较 pred.shape 和 target.shape，不一致时抛出 ValueError(...) 并写明两个形状；然后对差值平方，"
            "再按 `reduction` 的要求归约。",
            "loss = (pred - target) ** 2；'mean' 返回 loss.mean()，'sum' 返回 loss.sum()，'none' 返回 loss 本身，"
            "其他值抛出 ValueError。绝不要悄悄改变形状：(N, 1) - (N,) 的结果是 (N, N)。"],
    "6.2": ["不要先算 sigmoid(z) 再取对数：当 z = -200 时，float32 下 sigmoid 为 0，而 log(0) = -inf。"
            "使用改写后的公式，它从不对大的正数求指数。",
            "loss = z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))；在确认 logits 与 targets 形状相同之后，"
            "像练习 6.1 那样归约。"],
    "6.3": ["用对数概率计算，绝不直接用概率：log softmax(z)[y] = z[y] - logsumexp(z)。torch.logsumexp(logits, dim=1) "
            "会在求指数前减去该行的最大值，因此 1000 也不会溢出。",
            "用 logits.gather(1, targets[:, None]).squeeze(1)（或 logits[torch.arange(N), targets]）取出每行真实类别的 logit；"
            "loss = torch.logsumexp(logits, dim=1) - picked，然后归约。"],
    "7.1": ["每一步：在全部 x 上算损失，反向传播，然后让每个参数沿梯度的反方向移动。",
            "在 torch.no_grad() 下原地更新（`p -= lr * p.grad`），然后清零梯度（model.zero_grad()）："
            "`p = p - lr * p.grad` 只是重新绑定了一个局部变量名；不清零的话，下一次 backward 会累加到旧梯度上。"],
    "7.2": ["每一轮开始时取 order = torch.randperm(N, generator=generator)，然后按 batch_size 分片遍历："
            "order[start:start + batch_size]。",
            "range(0, N, batch_size) 给出每个起点，因此最后那个较短的批次也会保留。每个批次更新一次，与练习 7.1 完全相同，"
            "并且不使用其他随机来源（不要 torch.manual_seed，不要不带生成器的 randperm）。"],
    "7.3": ["循环 `for group in self.param_groups: for p in group['params']:`，跳过 p.grad 为 None 的参数，"
            "从 `group` 中读取 lr、momentum、weight_decay 和 nesterov。",
            "把缓冲区保存在 self.state[p]['momentum_buffer'] 中：p 第一次更新时设为 d.clone()，之后执行 "
            "buf.mul_(momentum).add_(d)。在动量之前先把 weight_decay * p 加到梯度上；nesterov 使用 d + momentum * buf，"
            "普通动量使用 buf；最后 p.add_(d, alpha=-lr)。"],
    "7.4": ["为每个参数维护一个梯度平方的滑动平均（self.state[p]），从 torch.zeros_like(p) 开始，而不是从 g^2 开始。",
            "s.mul_(alpha).addcmul_(g, g, value=1 - alpha)；然后 p.addcdiv_(g, s.sqrt() + eps, value=-lr)："
            "eps 加在开平方之后，而不是里面。"],
    "7.5": ["为每个参数在 self.state[p] 中保存步数 t 以及两个滑动平均 m 和 v；p 第一次更新时 t 为 1。",
            "去掉从零开始带来的偏差：m_hat = m / (1 - beta1**t)，v_hat = v / (1 - beta2**t)，然后 "
            "p -= lr * m_hat / (sqrt(v_hat) + eps)。Adam 的权重衰减是 L2：先把 weight_decay * p 加到梯度上。"],
    "7.6": ["AdamW 就是 Adam（练习 7.5）加一处改动：权重衰减从不碰梯度。",
            "先执行 p.mul_(1 - lr * weight_decay)，再用原始梯度做 Adam 的一步（不要把 weight_decay * p 加到 g 上）。"],
    "7.7": ["三种情况：step < warmup_steps（线性升温），warmup_steps <= step < total_steps（余弦），其余为 min_lr。",
            "升温段是 base_lr * (step + 1) / warmup_steps，因此第 0 步就已经在学习；余弦段的进度是 "
            "(step - warmup_steps) / (total_steps - warmup_steps)，在它的第一步为 0。使用 math.cos 并返回 float。"],
    "7.8": ["在 optimizer.step() 之前读取 optimizer.param_groups[0]['lr']：这就是这一步使用的学习率。",
            "一步之内的顺序是 zero_grad、前向、反向、optimizer.step()、scheduler.step()：先调用调度器会跳过调度表中的第一个学习率。"],
    "8.1": ["先调用 model.train()。然后对每个 (inputs, targets) 批次：把两者都移到 `device`，optimizer.zero_grad()，"
            "loss = loss_fn(model(inputs), targets)，loss.backward()，optimizer.step()。",
            "维护两个普通数值：total += loss.item() * len(inputs) 和 count += len(inputs)；返回 total / count。"
            "直接累加损失张量（total += loss）会让每个批次的计算图一直存活，而对各批次均值再取平均会让较小的最后一个批次权重过大。"],
    "8.2": ["调用 model.eval()，并把整个循环放在 `with torch.no_grad():` 之中。不要反向传播，不要优化器。",
            "像练习 8.1 那样按批次大小加权：loss_total += float(loss_fn(outputs, targets)) * len(inputs)，指标也一样，"
            "两者都除以样本数。返回 {'loss': ..., 'metric': ...}。"],
    "8.3": ["循环 range(epochs)：调用 train_epoch，再调用 evaluate_epoch(...)['loss']；把两者都追加到历史记录中。"
            "记下目前最好的验证损失和连续没有改进的轮数；当它达到 patience 时 break。",
            "把最好的权重保存为副本：{k: v.detach().clone() for k, v in model.state_dict().items()}"
            "（或 copy.deepcopy(model.state_dict())）。单独的 model.state_dict() 持有的是活的张量，之后的训练会改变它们。"
            "循环结束后，即使没有提前停止，也要 model.load_state_dict(best)。"],
    "12.1": ["按顺序询问 PyTorch：先 torch.cuda.is_available()，再 torch.backends.mps.is_available()；否则用 cpu。",
             "要调用这些函数（注意括号：不带括号的 `torch.cuda.is_available` 是函数对象，永远为真），并返回 "
             "torch.device('cuda')、torch.device('mps') 或 torch.device('cpu')。"],
    "12.2": ["递归地写：张量返回 tensor.to(device)；dict、list 或 tuple 返回一个同类型的新容器，其中每一项都是 "
             "to_device(item, device)；其他东西原样返回。",
             "tensor.to(device) 返回一个新张量，它不会移动原来的张量，所以要使用它的返回值。用 type(batch)(...) 构建新容器"
             "（namedtuple 需要 type(batch)(*items)），绝不要往调用者的容器里赋值。"],
    "12.3": ["通过广播比较位置和长度：torch.arange(T)[None, :] < lengths[:, None] 是一个 (B, T) 的掩码。"
             "用掩码乘以 x，在时间维上求和，再除以长度。",
             "在输入所在的设备上创建 arange：torch.arange(T, device=x.device)。在相乘和相除之前把掩码和长度转换为 x.dtype。"],
    "12.4": ["model.eval()，然后在 `with torch.no_grad():` 中对每个 (inputs, _) 批次收集 model(inputs.to(device))，"
             "最后沿第 0 维 torch.cat 这个列表。",
             "使用 `device` 参数，绝不要用 .cuda() 或 'cuda'，并保留 .to(device) 的返回值：它不会移动调用它的那个张量。"],
}
