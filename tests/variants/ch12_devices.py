"""Chapter 12 as learners get it wrong (MISTAKES.md, Devices) and right in other styles."""
from collections import OrderedDict

import torch
from torch import nn
from torch.utils import _pytree as pytree

from tests.variants import correct, wrong


@wrong("12.1", "torch.cuda.is_available without parentheses: always 'cuda'", breaks="call-time")
def choose_device():
    if torch.cuda.is_available:
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@wrong("12.1", "MPS checked before CUDA", breaks="order")
def choose_device():
    if torch.backends.mps.is_available():
        return torch.device("mps")
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


@wrong("12.1", "only CUDA considered: Apple silicon gets the cpu")
def choose_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@wrong("12.1", "returns the device name as a string", breaks="returns")
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


@wrong("12.2", "x.to(device) result discarded", breaks="tensor")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        batch.to(device)
        return batch
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return batch


@wrong("12.2", "every sequence comes back as a list", breaks="containers")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [to_device(item, device) for item in batch]
    return batch


@wrong("12.2", "only one level deep: tensors inside nested containers stay behind", breaks="moved")
def to_device(batch, device):
    if isinstance(batch, dict):
        return {key: value.to(device) if isinstance(value, torch.Tensor) else value for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(item.to(device) if isinstance(item, torch.Tensor) else item for item in batch)
    return batch.to(device)


@wrong("12.2", "moves the dict's values in place", breaks="unchanged")
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


@wrong("12.2", "torch.utils._pytree.tree_map: a dict subclass is a leaf to pytree, its tensors stay behind")
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


@wrong("12.3", "torch.arange(T) on the default device", breaks="device")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).to(x.dtype)
        return (x * mask[:, :, None]).sum(dim=1) / lengths[:, None].to(x.dtype)


@wrong("12.3", "padding counted: plain mean over all steps", breaks="real-steps")
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


@wrong("12.4", "hard-coded .cuda()", breaks="any-device")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs.cuda()) for inputs, _ in loader])


@wrong("12.4", "x.to(device) result discarded", breaks="move")
def predict(model, loader, device):
    model.eval()
    outputs = []
    with torch.no_grad():
        for inputs, _ in loader:
            inputs.to(device)
            outputs.append(model(inputs))
    return torch.cat(outputs)


@wrong("12.4", "result buffer torch.empty(N, C) on the default device", breaks="all-in-order")
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


@wrong("12.4", "preallocated with len(loader.dataset) rows: a sampler over part of the dataset leaves rows "
       "of garbage", breaks="all-in-order")
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


# --- fresh variants (issue 9): one per clause, and other styles

_IMPORT_TIME_DEVICE = torch.device("cuda" if torch.cuda.is_available() else
                                   "mps" if torch.backends.mps.is_available() else "cpu")


@wrong("12.1", "decided once, when the module is imported")
def choose_device():
    return _IMPORT_TIME_DEVICE


@wrong("12.1", "torch.device('cuda:0') rather than torch.device('cuda')")
def choose_device():
    if torch.cuda.is_available():
        return torch.device("cuda:0")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@correct("12.1", "a loop over (name, check) pairs")
def choose_device():
    for name, available in (("cuda", torch.cuda.is_available), ("mps", torch.backends.mps.is_available)):
        if available():
            return torch.device(name)
    return torch.device("cpu")


@wrong("12.2", "Python numbers turned into tensors too", breaks="others")
def to_device(batch, device):
    if isinstance(batch, (torch.Tensor, int, float)) and not isinstance(batch, bool):
        return torch.as_tensor(batch).to(device)
    if isinstance(batch, dict):
        return type(batch)((k, to_device(v, device)) for k, v in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


@wrong("12.2", "dict subclasses and OrderedDicts come back as plain dicts", breaks="containers")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


@wrong("12.2", "tensors made float on the way (t.float().to(device))", breaks="tensor")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.float().to(device)
    if isinstance(batch, dict):
        return type(batch)((k, to_device(v, device)) for k, v in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


@wrong("12.2", "lists moved in place, item by item", breaks="unchanged")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, list):
        for i, item in enumerate(batch):
            batch[i] = to_device(item, device)
        return list(batch)
    if isinstance(batch, dict):
        return type(batch)((k, to_device(v, device)) for k, v in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, tuple):
        return tuple(to_device(v, device) for v in batch)
    return batch


@wrong("12.2", "namedtuples come back as plain tuples")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((k, to_device(v, device)) for k, v in batch.items())
    if isinstance(batch, list):
        return [to_device(v, device) for v in batch]
    if isinstance(batch, tuple):
        return tuple(to_device(v, device) for v in batch)
    return batch


@correct("12.2", "copy.copy of each container, then items replaced in the copy")
def to_device(batch, device):
    import copy

    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        moved = copy.copy(batch)
        for key in moved:
            moved[key] = to_device(batch[key], device)
        return moved
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return batch._make(to_device(v, device) for v in batch)
    if isinstance(batch, (list, tuple)):
        return type(batch)([to_device(v, device) for v in batch])
    return batch


@wrong("12.3", "mask t <= lengths[b]: one padding step counted", breaks="real-steps")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        steps = torch.arange(x.shape[1], device=x.device)
        mask = (steps[None, :] <= lengths[:, None]).to(x.dtype)
        return (x * mask[:, :, None]).sum(1) / lengths[:, None].to(x.dtype)


@wrong("12.3", "computes in float32 whatever x's dtype")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        x = x.float()
        steps = torch.arange(x.shape[1], device=x.device)
        mask = (steps[None, :] < lengths[:, None]).float()
        return (x * mask[:, :, None]).sum(1) / lengths[:, None].float()


@correct("12.3", "cumsum over a padded mask made by torch.where, lengths through new_tensor-free .to")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        steps = torch.arange(x.shape[1], device=x.device).expand(x.shape[0], -1)
        kept = torch.where(steps < lengths[:, None], x.new_ones(()), x.new_zeros(()))
        return (x * kept.unsqueeze(-1)).sum(dim=1) / kept.sum(dim=1, keepdim=True)


@wrong("12.4", "model.eval() but gradients still tracked", breaks="no-grad")
def predict(model, loader, device):
    model.eval()
    return torch.cat([model(inputs.to(device)) for inputs, _ in loader])


@wrong("12.4", "torch.no_grad() but the model left in training mode", breaks="eval")
def predict(model, loader, device):
    with torch.no_grad():
        return torch.cat([model(inputs.to(device)) for inputs, _ in loader])


@wrong("12.4", "torch.stack of the batch outputs: fails when the last batch is smaller", breaks="concat")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        outputs = torch.stack([model(inputs.to(device)) for inputs, _ in loader])
    return outputs.reshape(-1, *outputs.shape[2:])


@wrong("12.4", "treats each batch as the inputs tensor itself", breaks="setup")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs.to(device)) for inputs in loader])


@correct("12.4", "a loop keeping .detach()ed outputs, inputs moved with non_blocking")
def predict(model, loader, device):
    model.train(False)
    pieces = []
    with torch.set_grad_enabled(False):
        for batch in loader:
            pieces.append(model(batch[0].to(device=device, non_blocking=True)).detach())
    return torch.cat(pieces, 0)


# --- outside review r2: false passes made to fail ------------------------------------------------------------------

@wrong("12.1", "uses mps.is_built() instead of is_available() (r2)", breaks="call-time")
def choose_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_built():
        return torch.device("mps")
    return torch.device("cpu")


@wrong("12.3", "Python loop over the batch (the docstring forbids it) (r2)", breaks="real-steps")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        return torch.stack([x[b, :int(lengths[b])].mean(0) for b in range(x.shape[0])])


@wrong("12.3", "divides by float32 lengths: float16/bfloat16 input gives float32 output (r2)", breaks="device")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        mask = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]).to(x.dtype)
        return (x * mask[:, :, None]).sum(1) / lengths[:, None].float()


@wrong("12.4", "collects the outputs on the cpu (r2)", breaks="any-device")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(xb.to(device)).cpu() for xb, _ in loader], dim=0)


@wrong("12.4", "bypasses the loader: one forward on the whole dataset's tensors, ignoring its order (r2)",
       breaks="all-in-order")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        xs = torch.stack([loader.dataset[i][0] for i in range(len(loader.dataset))])
        return model(xs.to(device))


@correct("12.4", "inference_mode, mode restored, outputs gathered in a list and concatenated")
def predict(model, loader, device):
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        outputs = [model(inputs.to(device, non_blocking=True)) for inputs, _ in loader]
    model.train(was_training)
    return torch.cat(outputs)


@wrong("12.2", "any other iterable (bytes, range, a set) turned into a list", breaks="others")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((k, to_device(v, device)) for k, v in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(i, device) for i in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(i, device) for i in batch)
    if isinstance(batch, str):
        return batch
    try:
        return [to_device(i, device) for i in batch]
    except TypeError:
        return batch


@wrong("12.2", "every other value deep-copied: a set or an object comes back as a copy (outside review 2)",
       breaks="others")
def to_device(batch, device):
    import copy

    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((key, to_device(value, device)) for key, value in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return copy.deepcopy(batch)


@wrong("12.2", "list and tuple subclasses rebuilt as a plain list and tuple (outside review 2)", breaks="containers")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((key, to_device(value, device)) for key, value in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, list):
        return [to_device(item, device) for item in batch]
    if isinstance(batch, tuple):
        return tuple(to_device(item, device) for item in batch)
    return batch


@correct("12.2", "copy.copy of each dict refilled, namedtuples through _make (outside review 2)")
def to_device(batch, device):
    import copy

    if torch.is_tensor(batch):
        return batch.to(device)
    if isinstance(batch, dict):
        moved = copy.copy(batch)
        for key in batch:
            moved[key] = to_device(batch[key], device)
        return moved
    if isinstance(batch, tuple) and hasattr(type(batch), "_make"):
        return type(batch)._make([to_device(item, device) for item in batch])
    if isinstance(batch, (list, tuple)):
        return type(batch)([to_device(item, device) for item in batch])
    return batch


@wrong("12.3", "the positions counted with torch.arange(T, dtype=x.dtype): bfloat16 and float16 cannot count past "
       "256 and 2048 (outside review 2)", breaks="real-steps")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        steps = torch.arange(x.shape[1], device=x.device, dtype=x.dtype)
        mask = (steps[None, :] < lengths[:, None].to(x.dtype)).to(x.dtype)
        return (x * mask[:, :, None]).sum(dim=1) / lengths[:, None].to(x.dtype)


@wrong("12.4", "inputs moved with .to(device, torch.float32): a float64 model gets float32 inputs (outside review 2)",
       breaks="move")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs.to(device, torch.float32)) for inputs, _ in loader], dim=0)


@wrong("12.4", "the device taken from next(model.parameters()): a model without parameters raises "
       "(outside review 2)", breaks="any-device")
def predict(model, loader, device):
    model.eval()
    where = next(model.parameters()).device
    with torch.no_grad():
        return torch.cat([model(inputs.to(where)) for inputs, _ in loader], dim=0)


@wrong("12.4", "torch.set_grad_enabled(False), never put back: the caller's autograd stays off (outside review 2)",
       breaks="no-grad")
def predict(model, loader, device):
    model.eval()
    torch.set_grad_enabled(False)
    return torch.cat([model(inputs.to(device)) for inputs, _ in loader], dim=0)


@correct("12.4", "torch.inference_mode and one list comprehension (outside review 2)")
def predict(model, loader, device):
    model.train(False)
    with torch.inference_mode():
        return torch.cat([model(batch[0].to(device)) for batch in loader])


# --- outside review 3 ----------------------------------------------------------------------------------------------
@wrong("12.1", "no GPU: returns torch.get_default_device() instead of the cpu (outside review 3)", breaks="returns")
def choose_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.get_default_device()


@correct("12.1", "torch.cuda.device_count() > 0, what is_available() itself asks (outside review 3)")
def choose_device():
    if torch.cuda.device_count() > 0:
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@wrong("12.2", "tensors detached before moving: a tensor that requires grad loses its graph (outside review 3)",
       breaks="tensor")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.detach().to(device)
    if isinstance(batch, dict):
        return type(batch)((key, to_device(value, device)) for key, value in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return batch


@wrong("12.4", "torch.vstack of the batch outputs: 1-dim outputs (B,) are stacked as rows (outside review 3)",
       breaks="concat")
def predict(model, loader, device):
    model.eval()
    with torch.no_grad():
        return torch.vstack([model(inputs.to(device)) for inputs, _ in loader])


@wrong("12.2", "dicts rebuilt with type(batch)(pairs): a defaultdict takes its default_factory first and raises "
       "(outside review 4)", breaks="containers")
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((key, to_device(value, device)) for key, value in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return batch


@wrong("12.3", "the cumulative sum taken in float32 and cast back: a float64 x gets float32 precision "
       "(outside review 4)", breaks="real-steps")
class MaskedMeanPool(nn.Module):
    def forward(self, x, lengths):
        totals = x.float().cumsum(dim=1)
        index = (lengths - 1).long()[:, None, None].expand(-1, 1, x.shape[2])
        return (totals.gather(1, index).squeeze(1) / lengths[:, None].float()).to(x.dtype)


@correct("12.2", "copy.copy of each dict, refilled key by key: a defaultdict keeps its default_factory "
         "(outside review 4)")
def to_device(batch, device):
    import copy

    if torch.is_tensor(batch):
        return batch.to(device)
    if isinstance(batch, dict):
        out = copy.copy(batch)
        for key in batch:
            out[key] = to_device(batch[key], device)
        return out
    if isinstance(batch, tuple):
        items = [to_device(item, device) for item in batch]
        return type(batch)(*items) if hasattr(batch, "_fields") else type(batch)(items)
    if isinstance(batch, list):
        return type(batch)(to_device(item, device) for item in batch)
    return batch
