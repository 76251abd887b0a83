"""Chapter 03 as learners get it wrong (MISTAKES.md, Optimizers and data) and right in other styles."""
import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (DataLoader, Dataset, RandomSampler, SequentialSampler, Subset, TensorDataset,
                              default_collate, random_split)

from tests.variants import correct, wrong


@wrong("3.1", "transform applied to the target too", breaks="lazy")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x, y = self.features[index], self.targets[index]
        if self.transform is not None:
            x, y = self.transform(x), self.transform(y)
        return x, y


@wrong("3.1", "__len__ returns the number of features", breaks="len")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return self.features.shape[1]

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "float64 numpy arrays kept as float64", breaks="float32")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = torch.as_tensor(features)
        self.targets = torch.as_tensor(targets)
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "transform applied once, eagerly, in __init__")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        if transform is not None:
            self.features = torch.stack([transform(x) for x in self.features])

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        return self.features[index], self.targets[index]


@wrong("3.1", "no check that features and targets have the same length", breaks="mismatch")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@correct("3.1", "wrapping a TensorDataset, numpy converted with from_numpy")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        tensors = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in (features, targets)]
        tensors = [t.float() if t.is_floating_point() else t for t in tensors]
        if tensors[0].shape[0] != tensors[1].shape[0]:
            raise ValueError(f"{tensors[0].shape[0]} feature rows, {tensors[1].shape[0]} targets")
        self.pairs = TensorDataset(*tensors)
        self.transform = transform

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        x, y = self.pairs[index]
        if self.transform:
            x = self.transform(x)
        return x, y


@wrong("3.2", "not shuffled: the last samples are held out", breaks="generator")
def train_val_split(dataset, val_fraction, seed):
    n = len(dataset)
    n_val = round(val_fraction * n)
    return Subset(dataset, range(n - n_val)), Subset(dataset, range(n - n_val, n))


@wrong("3.2", "reseeds the global RNG with torch.manual_seed")
def train_val_split(dataset, val_fraction, seed):
    torch.manual_seed(seed)
    order = torch.randperm(len(dataset)).tolist()
    n_train = len(dataset) - round(val_fraction * len(dataset))
    return Subset(dataset, order[:n_train]), Subset(dataset, order[n_train:])


@wrong("3.2", "off by one: one sample in both parts", breaks="partition")
def train_val_split(dataset, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    n_train = len(dataset) - round(val_fraction * len(dataset))
    return Subset(dataset, order[:n_train]), Subset(dataset, order[n_train - 1:-1])


@wrong("3.2", "seed ignored: a new random split every call", breaks="seeded")
def train_val_split(dataset, val_fraction, seed):
    generator = torch.Generator()
    generator.seed()
    order = torch.randperm(len(dataset), generator=generator).tolist()
    n_train = len(dataset) - round(val_fraction * len(dataset))
    return Subset(dataset, order[:n_train]), Subset(dataset, order[n_train:])


@correct("3.2", "random_split with a seeded generator")
def train_val_split(dataset, val_fraction, seed):
    n_val = round(val_fraction * len(dataset))
    train, val = random_split(dataset, [len(dataset) - n_val, n_val], generator=torch.Generator().manual_seed(seed))
    return train, val


@wrong("3.2", "numpy's default_rng permutation, validation first", breaks="exact-indices")
def train_val_split(dataset, val_fraction, seed):
    order = np.random.default_rng(seed).permutation(len(dataset))
    n_val = int(round(val_fraction * len(dataset)))
    return Subset(dataset, order[n_val:].tolist()), Subset(dataset, order[:n_val].tolist())


@wrong("3.3", "validation loader shuffled too", breaks="val")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator),
            DataLoader(val_set, batch_size=batch_size, shuffle=True, generator=generator))


@wrong("3.3", "drop_last=True drops the last batch")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True),
            DataLoader(val_set, batch_size=batch_size, drop_last=True))


@wrong("3.3", "shuffle=True without a generator: the seed is ignored", breaks="train-seeded")
def make_loaders(train_set, val_set, batch_size, seed):
    return DataLoader(train_set, batch_size=batch_size, shuffle=True), DataLoader(val_set, batch_size=batch_size)


@wrong("3.3", "torch.manual_seed(seed) instead of a generator", breaks="global-rng")
def make_loaders(train_set, val_set, batch_size, seed):
    torch.manual_seed(seed)
    return DataLoader(train_set, batch_size=batch_size, shuffle=True), DataLoader(val_set, batch_size=batch_size)


@wrong("3.3", "shuffled once: the same order every epoch")
def make_loaders(train_set, val_set, batch_size, seed):
    order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(seed)).tolist()
    return (DataLoader(Subset(train_set, order), batch_size=batch_size, shuffle=False),
            DataLoader(val_set, batch_size=batch_size))


@wrong("3.3", "training loader not shuffled")
def make_loaders(train_set, val_set, batch_size, seed):
    return DataLoader(train_set, batch_size=batch_size), DataLoader(val_set, batch_size=batch_size)


@correct("3.3", "explicit RandomSampler and SequentialSampler")
def make_loaders(train_set, val_set, batch_size, seed):
    sampler = RandomSampler(train_set, generator=torch.Generator().manual_seed(seed))
    return (DataLoader(train_set, batch_size=batch_size, sampler=sampler),
            DataLoader(val_set, batch_size=batch_size, sampler=SequentialSampler(val_set)))


@wrong("3.4", "the default collate: torch.stack of ragged sequences", breaks="default-collate")
def pad_collate(batch):
    return default_collate(batch)


@wrong("3.4", "batch sorted by length, longest first", breaks="order")
def pad_collate(batch):
    batch = sorted(batch, key=lambda pair: len(pair[0]), reverse=True)
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    return pad_sequence(list(sequences), batch_first=True), lengths, torch.tensor(labels)


@wrong("3.4", "padding made with torch.zeros: integer tokens become float32")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = [len(s) for s in sequences]
    padded = torch.zeros(len(sequences), max(lengths), *sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = s
    return padded, torch.tensor(lengths), torch.tensor(labels)


@wrong("3.4", "lengths returned as a Python list", breaks="lengths")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    return pad_sequence(list(sequences), batch_first=True), [len(s) for s in sequences], torch.tensor(labels)


@wrong("3.4", "padded to a fixed length of 8", breaks="padded")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    padded = sequences[0].new_zeros((len(sequences), 8, *sequences[0].shape[1:]))
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = s
    return padded, torch.tensor([len(s) for s in sequences]), torch.tensor(labels)


@correct("3.4", "pad_sequence with batch_first")
def pad_collate(batch):
    sequences = [sequence for sequence, _ in batch]
    lengths = torch.as_tensor([s.shape[0] for s in sequences], dtype=torch.long)
    labels = torch.as_tensor([label for _, label in batch], dtype=torch.long)
    return pad_sequence(sequences, batch_first=True, padding_value=0), lengths, labels


# --- fresh variants (issue 9): one per clause, and other styles

@wrong("3.1", "transform is a required argument", breaks="map-style")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "torch.from_numpy only: fails on tensors", breaks="inputs")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.from_numpy(features))
        self.targets = _as_float32(torch.from_numpy(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "torch.Tensor(...) instead of torch.as_tensor: integer targets become float32", breaks="as-tensor")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = torch.Tensor(np.asarray(features))
        self.targets = torch.Tensor(np.asarray(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "only float64 converted: float16 features stay float16", breaks="float32")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features, self.targets = torch.as_tensor(features), torch.as_tensor(targets)
        if self.features.dtype == torch.float64:
            self.features = self.features.float()
        if self.targets.dtype == torch.float64:
            self.targets = self.targets.float()
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "every array made float32, integer targets too", breaks="int64")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = torch.as_tensor(features).float()
        self.targets = torch.as_tensor(targets).float()
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "targets shifted by one: features[i] paired with targets[i - 1]", breaks="items")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index - 1]


@wrong("3.1", "different lengths refused with an AssertionError, not a ValueError", breaks="mismatch")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        assert len(self.features) == len(self.targets), "lengths differ"
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform else x), self.targets[index]


@wrong("3.1", "the transform's result cached: applied on the first read only", breaks="lazy")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform, self.cache = transform, {}

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        if index not in self.cache:
            x = self.features[index]
            self.cache[index] = self.transform(x) if self.transform else x
        return self.cache[index], self.targets[index]


@correct("3.1", "numpy first (np.asarray), then torch.as_tensor and a dtype table")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        converted = []
        for values in (features, targets):
            tensor = torch.as_tensor(values)
            converted.append(tensor.to(torch.float32) if torch.is_floating_point(tensor) else tensor)
        self.features, self.targets = converted
        if self.features.shape[0] != self.targets.shape[0]:
            raise ValueError("features and targets differ in length")
        self.transform = transform

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, index):
        x = self.features[index]
        if self.transform is not None:
            x = self.transform(x)
        return (x, self.targets[index])


@wrong("3.2", "n_val = int(val_fraction * N): floor, not round", breaks="sizes")
def train_val_split(dataset, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    n_train = len(dataset) - int(val_fraction * len(dataset))
    return Subset(dataset, order[:n_train]), Subset(dataset, order[n_train:])


@wrong("3.2", "n_val = floor(val_fraction * N + 0.5): halves rounded up", breaks="round")
def train_val_split(dataset, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    n_train = len(dataset) - int(val_fraction * len(dataset) + 0.5)
    return Subset(dataset, order[:n_train]), Subset(dataset, order[n_train:])


@wrong("3.2", "the first n_val shuffled indices go to training", breaks="first-train")
def train_val_split(dataset, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = round(val_fraction * len(dataset))
    return Subset(dataset, order[:n_val]), Subset(dataset, order[n_val:])


@wrong("3.2", "returns lists of samples, not Subsets", breaks="returns")
def train_val_split(dataset, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    n_train = len(dataset) - round(val_fraction * len(dataset))
    return [dataset[i] for i in order[:n_train]], [dataset[i] for i in order[n_train:]]


@wrong("3.2", "argsort of seeded uniform numbers, validation taken first", breaks="exact-indices")
def train_val_split(dataset, val_fraction, seed):
    n = len(dataset)
    keys = torch.rand(n, generator=torch.Generator().manual_seed(seed))
    order = keys.argsort().tolist()
    n_val = round(val_fraction * n)
    return Subset(dataset, order[n_val:]), Subset(dataset, order[:n_val])


@wrong("3.3", "returns (val_loader, train_loader)", breaks="two-loaders")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(val_set, batch_size=batch_size),
            DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator))


@wrong("3.3", "returns a list [train_loader, val_loader]", breaks="returns")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return [DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator),
            DataLoader(val_set, batch_size=batch_size)]


@wrong("3.3", "training batches of a fixed 32", breaks="train-batches")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train_set, batch_size=32, shuffle=True, generator=generator),
            DataLoader(val_set, batch_size=batch_size))


@wrong("3.3", "drop_last=True on the training loader only", breaks="train-last")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True),
            DataLoader(val_set, batch_size=batch_size))


@wrong("3.3", "a fresh generator per epoch from the same seed: every epoch the same order")
def make_loaders(train_set, val_set, batch_size, seed):
    class SameEveryEpoch(torch.utils.data.Sampler):
        def __iter__(self):
            return iter(torch.randperm(len(train_set), generator=torch.Generator().manual_seed(seed)).tolist())

        def __len__(self):
            return len(train_set)

    return (DataLoader(train_set, batch_size=batch_size, sampler=SameEveryEpoch()),
            DataLoader(val_set, batch_size=batch_size))


@correct("3.3", "keyword-free positional arguments and a generator seeded by manual_seed on its own")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(train_set, batch_size, True, generator=generator), DataLoader(val_set, batch_size, False)


@wrong("3.4", "only 1-D sequences: (T_i, F) features do not fit", breaks="inputs")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    padded = sequences[0].new_zeros((len(sequences), int(lengths.max())))
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = s
    return padded, lengths, torch.tensor(labels)


@wrong("3.4", "padding made on the cpu: sequences on another device do not fit", breaks="padded")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    padded = torch.zeros((len(sequences), int(lengths.max()), *sequences[0].shape[1:]), dtype=sequences[0].dtype)
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = s
    return padded, lengths, torch.tensor(labels)


@wrong("3.4", "pad_sequence over the sequences moved to the cpu: padded stays there", breaks="padded")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    padded = pad_sequence([s.cpu() for s in sequences], batch_first=True)
    return padded, torch.tensor([len(s) for s in sequences]), torch.tensor(labels)


@wrong("3.4", "lengths made on the sequences' device", breaks="lengths")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences], device=sequences[0].device)
    return pad_sequence(list(sequences), batch_first=True), lengths, torch.tensor(labels)


@wrong("3.4", "labels as float32", breaks="labels")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    return pad_sequence(list(sequences), batch_first=True), lengths, torch.tensor(labels, dtype=torch.float32)


@wrong("3.4", "padded with -1 instead of zeros", breaks="ragged")
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    return pad_sequence(list(sequences), batch_first=True, padding_value=-1), lengths, torch.tensor(labels)


@wrong("3.4", "a lambda: worker processes cannot unpickle it", breaks="picklable")
@(lambda make: lambda batch: make(batch))
def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    return pad_sequence(list(sequences), batch_first=True), lengths, torch.tensor(labels)


@correct("3.4", "numpy-free loop with torch.cat of zero blocks, labels through as_tensor")
def pad_collate(batch):
    longest = max(sequence.shape[0] for sequence, _ in batch)
    rows = []
    for sequence, _ in batch:
        gap = sequence.new_zeros((longest - sequence.shape[0], *sequence.shape[1:]))
        rows.append(torch.cat([sequence, gap]))
    lengths = torch.as_tensor([sequence.shape[0] for sequence, _ in batch], dtype=torch.int64)
    return torch.stack(rows), lengths, torch.as_tensor([label for _, label in batch], dtype=torch.int64)


@wrong("3.1", "transform also applied to floating-point targets (outside review)", breaks="lazy")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        f = torch.as_tensor(features)
        t = torch.as_tensor(targets)
        self.features = f.float() if f.is_floating_point() else f
        self.targets = t.float() if t.is_floating_point() else t
        if len(self.features) != len(self.targets):
            raise ValueError("lengths differ")
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        x, y = self.features[i], self.targets[i]
        if self.transform is not None:
            x = self.transform(x)
            if y.is_floating_point():
                y = self.transform(y)
        return x, y


@wrong("3.2", "validation taken from the front of the permutation (outside review)", breaks="exact-indices")
def train_val_split(dataset, val_fraction, seed):
    n = len(dataset)
    n_val = round(val_fraction * n)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, order[n_val:]), Subset(dataset, order[:n_val])


@wrong("3.2", "numpy default_rng(seed).permutation instead of a torch.Generator (outside review)",
       breaks="exact-indices")
def train_val_split(dataset, val_fraction, seed):
    n = len(dataset)
    n_val = round(val_fraction * n)
    order = np.random.default_rng(seed).permutation(n).tolist()
    return Subset(dataset, order[: n - n_val]), Subset(dataset, order[n - n_val:])


@correct("3.1", "dtype decided with a dict, `if self.transform` truthiness (outside review)")
class ArrayDataset(Dataset):
    _to32 = {torch.float16: torch.float32, torch.float64: torch.float32, torch.bfloat16: torch.float32}

    def __init__(self, features, targets, transform=None):
        tensors = []
        for a in (features, targets):
            t = torch.as_tensor(a)
            tensors.append(t.to(self._to32.get(t.dtype, t.dtype)))
        self.features, self.targets = tensors
        if self.features.shape[0] != self.targets.shape[0]:
            raise ValueError(f"{self.features.shape[0]} != {self.targets.shape[0]}")
        self.transform = transform

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, index):
        x = self.features[index]
        if self.transform:
            x = self.transform(x)
        return x, self.targets[index]


@correct("3.2", "Subsets indexed by int64 tensors, not lists (outside review)")
def train_val_split(dataset, val_fraction, seed):
    n = len(dataset)
    n_val = round(val_fraction * n)
    g = torch.Generator()
    g.manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    return Subset(dataset, perm[: n - n_val]), Subset(dataset, perm[n - n_val:])


@wrong("3.1", "lengths compared with `is not` (int identity: equal lengths above 256 refused)", breaks="len")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = _as_float32(torch.as_tensor(features))
        self.targets = _as_float32(torch.as_tensor(targets))
        if len(self.features) is not len(self.targets):
            raise ValueError("features and targets differ in length")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        return (self.transform(x) if self.transform is not None else x), self.targets[index]


@correct("3.1", "lengths compared as features.shape[0] against targets.numel() (outside review)")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        features, targets = torch.as_tensor(features), torch.as_tensor(targets)
        self.features = features.float() if features.is_floating_point() else features
        self.targets = targets.float() if targets.is_floating_point() else targets
        if self.features.shape[0] != self.targets.numel():
            raise ValueError("features and targets have different lengths")
        self.transform = transform

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, index):
        fn = self.transform or (lambda v: v)
        return fn(self.features[index]), self.targets[index]


@wrong("3.3", "generator seeded with seed + 1: repeatable, but not the order `seed` gives (outside review)",
       breaks="train-seeded")
def make_loaders(train_set, val_set, batch_size, seed):
    generator = torch.Generator().manual_seed(seed + 1)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator),
            DataLoader(val_set, batch_size=batch_size))


@correct("3.3", "BatchSampler over a seeded RandomSampler, as batch_sampler (outside review)")
def make_loaders(train_set, val_set, batch_size, seed):
    from torch.utils.data import BatchSampler
    sampler = RandomSampler(train_set, generator=torch.Generator().manual_seed(seed))
    return (DataLoader(train_set, batch_sampler=BatchSampler(sampler, batch_size, drop_last=False)),
            DataLoader(val_set, batch_size, shuffle=False, drop_last=False))


@wrong("3.1", "items are lists [x, y], not tuples (outside review 2)", breaks="items")
class ArrayDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = torch.as_tensor(features)
        self.targets = torch.as_tensor(targets)
        if self.features.is_floating_point():
            self.features = self.features.float()
        if self.targets.is_floating_point():
            self.targets = self.targets.float()
        if len(self.features) != len(self.targets):
            raise ValueError("features and targets differ in length")
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        x = self.features[index]
        if self.transform is not None:
            x = self.transform(x)
        return [x, self.targets[index]]


@correct("3.3", "a sampler of its own: randperm from a seeded generator each epoch (outside review 2)")
def make_loaders(train_set, val_set, batch_size, seed):
    class EpochShuffle(torch.utils.data.Sampler):
        """A new permutation from one seeded generator every epoch (another order than shuffle=True's)."""

        def __init__(self, n):
            self.n, self.generator = n, torch.Generator().manual_seed(seed)

        def __iter__(self):
            return iter(torch.randperm(self.n, generator=self.generator).tolist())

        def __len__(self):
            return self.n

    train = DataLoader(train_set, batch_size=batch_size, sampler=EpochShuffle(len(train_set)),
                       generator=torch.Generator().manual_seed(seed))
    return train, DataLoader(val_set, batch_size=batch_size)


@wrong("3.3", "the validation loader shares the training generator: a validation pass shifts the next training "
       "order (outside review 4)", breaks="train-seeded")
def make_loaders(train_set, val_set, batch_size, seed):
    g = torch.Generator().manual_seed(seed)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=g),
            DataLoader(val_set, batch_size=batch_size, shuffle=False, generator=g))
