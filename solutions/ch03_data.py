"""Chapter 03: data. A Dataset says what one sample is; a DataLoader turns samples into shuffled, seeded batches.

Guide: docs/en/chapters/ch03-data.md
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset


class ArrayDataset(Dataset):
    """Exercise 3.1: a map-style Dataset over features and targets, with an optional transform of the features.

    features: (N, D) tensor or numpy array; targets: (N,) tensor or numpy array.
    Both are converted with torch.as_tensor; floating-point ones (float16, float32, float64) become float32
    (scikit-learn and numpy give float64, layers want float32); int64 targets stay int64.
    Different lengths raise ValueError.
    len(dataset) == N and dataset[i] == (transform(features[i]), targets[i]): the transform is applied lazily, to the
    features only, once each time an item is read (so a random augmentation differs from epoch to epoch).
    """

    def __init__(self, features, targets, transform: Callable[[Tensor], Tensor] | None = None):
        """Convert and keep features (N, D) and targets (N,); refuse different lengths with ValueError."""
        ### BEGIN SOLUTION
        self.features = _as_float32(torch.as_tensor(features))  # (N, D)
        self.targets = _as_float32(torch.as_tensor(targets))  # (N,)
        if len(self.features) != len(self.targets):
            raise ValueError(f"features have {len(self.features)} rows but targets have {len(self.targets)}")
        self.transform = transform
        ### END SOLUTION

    def __len__(self) -> int:
        """N, the number of samples (rows)."""
        ### BEGIN SOLUTION
        return len(self.features)
        ### END SOLUTION

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        """(transform(features[index]), targets[index]); features[index] alone when there is no transform."""
        ### BEGIN SOLUTION
        x = self.features[index]  # (D,)
        if self.transform is not None:
            x = self.transform(x)
        return x, self.targets[index]
        ### END SOLUTION


def _as_float32(values: Tensor) -> Tensor:
    """float64 (or float16) becomes float32; integers and bools are left alone."""
    return values.to(torch.float32) if values.is_floating_point() else values


def train_val_split(dataset: Dataset, val_fraction: float, seed: int) -> tuple[Subset, Subset]:
    """Exercise 3.2: split a dataset at random into training and validation parts, the same way for the same seed.

    n_val = round(val_fraction * N), n_train = N - n_val. Shuffle the indices 0..N-1 with a torch.Generator seeded with
    `seed` (never by reseeding the global RNG: that would change every later random number), then take the first
    n_train for training and the rest for validation. Exactly: order = torch.randperm(N,
    generator=torch.Generator().manual_seed(seed)).tolist(); train = order[:n_train], val = order[n_train:].
    Returns the tuple (Subset(dataset, train), Subset(dataset, val)):
    disjoint, together covering every sample exactly once. round is Python's: round(2.5) == 2.
    """
    ### BEGIN SOLUTION
    n = len(dataset)
    n_val = round(val_fraction * n)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=generator).tolist()  # (N,) a permutation
    return Subset(dataset, order[: n - n_val]), Subset(dataset, order[n - n_val:])
    ### END SOLUTION


def make_loaders(train_set: Dataset, val_set: Dataset, batch_size: int, seed: int) -> tuple[DataLoader, DataLoader]:
    """Exercise 3.3: the two loaders of a training run.

    train loader: batches of `batch_size`, reshuffled every epoch by a torch.Generator seeded with `seed` (same seed,
    same order; each epoch a new order), the last smaller batch kept.
    validation loader: batches of `batch_size` too, the samples in their stored order, the last smaller batch
    kept: no sample may be dropped.
    Neither may touch the global RNG when it is made. Returns the tuple (train_loader, val_loader).
    """
    ### BEGIN SOLUTION
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator)
    val_loader = DataLoader(val_set, batch_size=batch_size, shuffle=False)
    return train_loader, val_loader
    ### END SOLUTION


def pad_collate(batch: Sequence[tuple[Tensor, int]]) -> tuple[Tensor, Tensor, Tensor]:
    """Exercise 3.4: a collate_fn that batches variable-length sequences by padding them with zeros.

    batch: B pairs (sequence, label); sequence i has shape (T_i,) or (T_i, F), T_i >= 1, all of one dtype (any:
    int64 tokens, float16 to float64 features) and on one device; label an int.
    Returns the tuple (padded, lengths, labels), in the batch's order (no sorting):
      padded:  (B, T_max) or (B, T_max, F), the sequences' dtype and device, padded[i, :T_i] == sequence i, zeros
               after it
      lengths: (B,) int64 on the cpu, lengths[i] == T_i (what pack_padded_sequence expects)
      labels:  (B,) int64
    PyTorch's default collate cannot do this: torch.stack refuses tensors of different lengths.
    It must be picklable (a function defined at the top level of its file, not a lambda or a nested function), so
    that DataLoader worker processes can import it.
    """
    ### BEGIN SOLUTION
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.int64)  # (B,)
    padded = sequences[0].new_zeros((len(sequences), int(lengths.max()), *sequences[0].shape[1:]))  # (B, T_max, ...)
    for i, sequence in enumerate(sequences):
        padded[i, : len(sequence)] = sequence
    return padded, lengths, torch.tensor(labels, dtype=torch.int64)
    ### END SOLUTION
