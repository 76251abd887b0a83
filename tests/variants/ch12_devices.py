"""Chapter 12 as learners get it wrong (MISTAKES.md, Devices) and right in other styles."""
import torch
from torch import nn
from torch.utils import _pytree as pytree

from tests.variants import correct, wrong


@wrong("12.1", "torch.cuda.is_available without parentheses: always 'cuda'")
def choose_device():
    if torch.cuda.is_available:
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@wrong("12.1", "MPS checked before CUDA")
def choose_device():
    if torch.backends.mps.is_available():
        return torch.device("mps")
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


@wrong("12.1", "only CUDA considered: Apple silicon gets the cpu")
def choose_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@wrong("12.1", "returns the device name as a string")
def choose_device():
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


@correct("12.1", "one conditional expression")
def choose_device():
    return torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")


@correct("12.1", "torch.accelerator (PyTorch 2.6+)")
def choose_device():
    accelerator = torch.accelerator.current_accelerator(check_available=True)
    return torch.device(accelerator.type) if accelerator is not None else torch.device("cpu")


@wrong("12.2", "x.to(device) result discarded")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        batch.to(device)
        return batch
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return batch


@wrong("12.2", "every sequence comes back as a list")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [to_device(item, device) for item in batch]
    return batch


@wrong("12.2", "only one level deep: tensors inside nested containers stay behind")
def to_device(batch, device):
    if isinstance(batch, dict):
        return {key: value.to(device) if isinstance(value, torch.Tensor) else value for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(item.to(device) if isinstance(item, torch.Tensor) else item for item in batch)
    return batch.to(device)


@wrong("12.2", "moves the dict's values in place")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        for key in batch:
            batch[key] = to_device(batch[key], device)
        return batch
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return batch


@correct("12.2", "torch.utils._pytree.tree_map")
def to_device(batch, device):
    return pytree.tree_map(lambda leaf: leaf.to(device) if isinstance(leaf, torch.Tensor) else leaf, batch)


@correct("12.2", "match statement with namedtuple _make")
def to_device(batch, device):
    match batch:
        case torch.Tensor():
            return batch.to(device)
        case dict():
            moved = type(batch)()
            for key, value in batch.items():
                moved[key] = to_device(value, device)
            return moved
        case tuple() if hasattr(batch, "_make"):
            return batch._make(to_device(item, device) for item in batch)
        case list() | tuple():
            return type(batch)([to_device(item, device) for item in batch])
        case _:
            return batch


@wrong("12.3", "torch.arange(T) on the default device")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).to(x.dtype)
        return (x * mask[:, :, None]).sum(dim=1) / lengths[:, None].to(x.dtype)


@wrong("12.3", "padding counted: plain mean over all steps")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        return x.mean(dim=1)


@wrong("12.3", "mask filled by a loop into torch.zeros(B, T) on the default device")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        mask = torch.zeros(x.shape[0], x.shape[1], dtype=x.dtype)
        for b in range(x.shape[0]):
            mask[b, : lengths[b]] = 1
        return (x * mask[:, :, None]).sum(dim=1) / lengths[:, None].to(x.dtype)


@wrong("12.3", "divides by T instead of the lengths")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        mask = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]).to(x.dtype)
        return (x * mask[:, :, None]).mean(dim=1)


@correct("12.3", "masked_fill with expand, lengths via new_tensor-free division")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        batch, steps, _ = x.shape
        positions = torch.arange(steps, device=lengths.device).expand(batch, steps)
        padding = positions >= lengths.unsqueeze(1)
        total = x.masked_fill(padding.unsqueeze(-1), 0).sum(dim=1)
        return total / lengths.unsqueeze(1).type_as(x)


@correct("12.3", "einsum with a mask from ones_like and cumsum")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        positions = torch.ones_like(x[:, :, 0]).cumsum(dim=1)  # 1, 2, ..., T on x's device
        mask = (positions <= lengths[:, None]).to(x.dtype)
        return torch.einsum("btd,bt->bd", x, mask) / mask.sum(dim=1, keepdim=True)


@wrong("12.4", "hard-coded .cuda()")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs.cuda()) for inputs, _ in loader])


@wrong("12.4", "x.to(device) result discarded")
def predict(model, loader, device):
    model.eval()
    outputs = []
    with torch.no_grad():
        for inputs, _ in loader:
            inputs.to(device)
            outputs.append(model(inputs))
    return torch.cat(outputs)


@wrong("12.4", "result buffer torch.empty(N, C) on the default device")
def predict(model, loader, device):
    model.eval()
    out, start = None, 0
    with torch.no_grad():
        for inputs, _ in loader:
            logits = model(inputs.to(device))
            if out is None:
                out = torch.empty(len(loader.dataset), logits.shape[1])
            out[start:start + len(logits)] = logits
            start += len(logits)
    return out


@wrong("12.4", "no model.eval() and no torch.no_grad()")
def predict(model, loader, device):
    return torch.cat([model(inputs.to(device)) for inputs, _ in loader])


@correct("12.4", "inference_mode, preallocated on the device, mode restored")
def predict(model, loader, device):
    was_training = model.training
    model.eval()
    out, start = None, 0
    with torch.inference_mode():
        for inputs, _ in loader:
            logits = model(inputs.to(device, non_blocking=True))
            if out is None:
                out = logits.new_empty((len(loader.dataset), *logits.shape[1:]))
            out[start:start + len(logits)] = logits
            start += len(logits)
    model.train(was_training)
    return out
