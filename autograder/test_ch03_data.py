"""Chapter 03, data: do the learner's Dataset, split, loaders and collate function give every sample, seeded and in shape?"""
import pickle

import numpy as np
import torch
from hypothesis import strategies as st
from torch.utils.data import DataLoader, Subset

from autograder.engine import Exercise, call, expect, generated, mistakes, strategies
from autograder.engine.devices import copies_out_of
from autograder.engine.raising import raises

array_dataset = Exercise("3.1", "ArrayDataset", clauses={
    "map-style": "a map-style Dataset over features and targets, with an optional transform of the features.",
    "inputs": "features: (N, D) tensor or numpy array; targets: (N,) tensor or numpy array.",
    "as-tensor": "Both are converted with torch.as_tensor;",
    "float32": "floating-point ones (float16, float32, float64) become float32 (scikit-learn and numpy give float64, "
               "layers want float32);",
    "int64": "int64 targets stay int64.",
    "mismatch": "Different lengths raise ValueError.",
    "len": "len(dataset) == N",
    "items": "dataset[i] == (transform(features[i]), targets[i]):",
    "lazy": "the transform is applied lazily, to the features only, once each time an item is read (so a random "
            "augmentation differs from epoch to epoch).",
}, hints=[
    "A map-style Dataset needs __len__ (how many samples) and __getitem__(i) (the i-th (features, target) pair).",
    "In __init__ convert with torch.as_tensor, turn floating tensors into float32, raise ValueError when the lengths "
    "differ, and keep the transform; call it in __getitem__ on features[i] only, never on the target.",
], hints_zh=[
    "映射式 Dataset 需要 __len__（样本数）和 __getitem__(i)（第 i 个 (特征, 目标) 对）。",
    "在 __init__ 中用 torch.as_tensor 转换，把浮点张量转成 float32，长度不一致时抛出 ValueError，并保存 transform；在 __getitem__ 中只对 features[i] 调用它，绝不作用于目标。",
])
train_val_split = Exercise("3.2", "train_val_split", clauses={
    "seeded": "split a dataset at random into training and validation parts, the same way for the same seed.",
    "sizes": "n_val = round(val_fraction * N), n_train = N - n_val.",
    "generator": "Shuffle the indices 0..N-1 with a torch.Generator seeded with `seed` (never by reseeding the global "
                 "RNG: that would change every later random number),",
    "first-train": "then take the first n_train for training and the rest for validation.",
    "exact-indices": "Exactly: order = torch.randperm(N, generator=torch.Generator().manual_seed(seed)).tolist(); "
                     "train = order[:n_train], val = order[n_train:].",
    "returns": "Returns the tuple (Subset(dataset, train), Subset(dataset, val)):",
    "partition": "disjoint, together covering every sample exactly once.",
    "round": "round is Python's: round(2.5) == 2.",
}, hints=[
    "Shuffle the indices 0..N-1 with your own generator: g = torch.Generator().manual_seed(seed); "
    "torch.randperm(N, generator=g).",
    "n_val = round(val_fraction * N); the first N - n_val shuffled indices train, the rest validate: "
    "return Subset(dataset, train_indices), Subset(dataset, val_indices). Never call torch.manual_seed here.",
], hints_zh=[
    "用你自己的生成器打乱下标 0..N-1：g = torch.Generator().manual_seed(seed)；torch.randperm(N, generator=g)。",
    "n_val = round(val_fraction * N)；打乱后的前 N - n_val 个下标用于训练，其余用于验证：return Subset(dataset, train_indices), Subset(dataset, val_indices)。这里绝不要调用 torch.manual_seed。",
])
make_loaders = Exercise("3.3", "make_loaders", clauses={
    "two-loaders": "the two loaders of a training run.",
    "train-batches": "train loader: batches of `batch_size`,",
    "train-seeded": "reshuffled every epoch by a torch.Generator seeded with `seed` (same seed, same order; each epoch "
                    "a new order),",
    "train-last": "each epoch a new order), the last smaller batch kept.",
    "val": "validation loader: batches of `batch_size` too, the samples in their stored order, the last smaller batch "
           "kept: no sample may be dropped.",
    "global-rng": "Neither may touch the global RNG when it is made.",
    "returns": "Returns the tuple (train_loader, val_loader).",
}, hints=[
    "Training wants shuffle=True with a seeded generator; validation wants shuffle=False. Neither should drop the "
    "last, smaller batch.",
    "g = torch.Generator().manual_seed(seed); DataLoader(train_set, batch_size, shuffle=True, generator=g) and "
    "DataLoader(val_set, batch_size, shuffle=False). drop_last stays False.",
], hints_zh=[
    "训练集需要 shuffle=True 并配一个设定了种子的生成器；验证集需要 shuffle=False。两者都不应丢弃最后那个较小的批次。",
    "g = torch.Generator().manual_seed(seed)；DataLoader(train_set, batch_size, shuffle=True, generator=g) 和 DataLoader(val_set, batch_size, shuffle=False)。drop_last 保持 False。",
])
pad_collate = Exercise("3.4", "pad_collate", clauses={
    "ragged": "a collate_fn that batches variable-length sequences by padding them with zeros.",
    "inputs": "batch: B pairs (sequence, label); sequence i has shape (T_i,) or (T_i, F), T_i >= 1, all of one dtype "
              "(any: int64 tokens, float16 to float64 features) and on one device; label an int.",
    "order": "Returns the tuple (padded, lengths, labels), in the batch's order (no sorting):",
    "padded": "padded: (B, T_max) or (B, T_max, F), the sequences' dtype and device, padded[i, :T_i] == sequence i, "
              "zeros after it",
    "lengths": "lengths: (B,) int64 on the cpu, lengths[i] == T_i (what pack_padded_sequence expects)",
    "labels": "labels: (B,) int64",
    "default-collate": "PyTorch's default collate cannot do this: torch.stack refuses tensors of different lengths.",
    "picklable": "It must be picklable (a function defined at the top level of its file, not a lambda or a nested "
                 "function), so that DataLoader worker processes can import it.",
}, hints=[
    "Split the batch into sequences and labels (zip(*batch)), record each sequence's length, and make a zero tensor "
    "(B, T_max, ...) with the sequences' dtype to copy them into.",
    "sequences[0].new_zeros((B, T_max, *sequences[0].shape[1:])) keeps dtype and device; fill padded[i, :T_i]; "
    "lengths = torch.tensor([...], dtype=torch.int64); labels = torch.tensor(labels). "
    "torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True) also does the padding.",
], hints_zh=[
    "把批次拆成序列和标签（zip(*batch)），记录每个序列的长度，并按序列的 dtype 建一个 (B, T_max, ...) 的全 0 张量，再把序列复制进去。",
    "sequences[0].new_zeros((B, T_max, *sequences[0].shape[1:])) 会保留 dtype 和 device；填入 padded[i, :T_i]；lengths = torch.tensor([...], dtype=torch.int64)；labels = torch.tensor(labels)。torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True) 也能完成填充。",
])


def table(rows=7, columns=3, seed=0):
    """Seeded features (rows, columns) and integer targets (rows,) equal to the row index."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, columns, generator=generator), torch.arange(rows)


def items_of(dataset) -> list:
    return [dataset[i] for i in range(len(dataset))]


# Exercise 3.1 -------------------------------------------------------------------------------------------------------

@st.composite
def tables(draw):
    """(features, targets) as a tensor or a numpy array each: float16/32/64 features, int64 or floating targets."""
    n, d = draw(strategies.sizes(1, 8)), draw(strategies.sizes(1, 4))
    features = draw(strategies.tensors((n, d), dtype=st.sampled_from([torch.float64, torch.float32, torch.float16])))
    if draw(st.booleans()):
        targets = draw(strategies.labels(n, 5))
    else:
        targets = draw(strategies.tensors((n,), dtype=st.sampled_from([torch.float64, torch.float32])))
    as_numpy = draw(st.tuples(st.booleans(), st.booleans()))
    return tuple(t.numpy() if numpy else t for t, numpy in zip((features, targets), as_numpy))


def kind(values) -> str:
    return f"{values.dtype} {'array' if isinstance(values, np.ndarray) else 'tensor'} {tuple(values.shape)}"


@array_dataset.check(points=2, clauses=["map-style", "inputs", "as-tensor", "float32", "int64", "len", "items"])
@generated.examples(drawn=tables(), max_examples=15)
def test_3_1_length_and_items(learner, reference, drawn):
    """Does ArrayDataset have one item per row, each (features[i], targets[i]) as float32 / int64 tensors?"""
    features, targets = drawn
    what = f"ArrayDataset(features {kind(features)}, targets {kind(targets)})"
    expected = reference.ArrayDataset(features, targets)
    dataset = call(learner.ArrayDataset, features, targets).value
    length = call(len, dataset)
    expect.that(length.value == len(expected), f"len({what}) returned {length.value!r}; expected {len(expected)}, "
                "the number of rows (samples), not the number of features.")
    for index in range(len(expected)):
        got = call(dataset.__getitem__, index)
        item = got.value
        expect.that(isinstance(item, tuple),
                    f"dataset[{index}] for {what} returned a {type(item).__name__}; expected the tuple "
                    "(features[i], targets[i]): return x, y (a list is not a tuple, and code that unpacks or compares "
                    "items as tuples breaks on it).")
        if isinstance(item, (tuple, list)) and item and isinstance(item[0], torch.Tensor):
            expect.that(item[0].dtype != torch.float64,
                        f"dataset[{index}] for {what} returned float64 features; expected float32. numpy and "
                        "scikit-learn give float64, nn.Linear's weights are float32 and refuse to multiply with them: "
                        "convert floating arrays with .float() (or .to(torch.float32)) in __init__.")
        expect.close(got, expected[index], what=f"dataset[{index}] for {what}:", rtol=0, atol=0)


@array_dataset.check(points=1, clauses=["map-style", "items"])
def test_3_1_batches_in_a_dataloader(learner):
    """Can a DataLoader batch the dataset's items into (features (B, D), targets (B,))?"""
    features, targets = table(rows=7, columns=3)
    dataset = call(learner.ArrayDataset, features, targets).value
    got = call(lambda: [tuple(t.shape) for t in next(iter(DataLoader(dataset, batch_size=4)))])
    expect.that(got.value == [(4, 3), (4,)],
                f"A DataLoader(batch_size=4) over ArrayDataset(features (7, 3), targets (7,)) gave batches of shapes "
                f"{got.value}; expected [(4, 3), (4,)]. Return a (features, target) tuple from __getitem__.")


@array_dataset.check(points=2, clauses=["lazy", "items"])
def test_3_1_transform(learner, reference):
    """Is the transform applied lazily, to the features only, once each time an item is read?"""
    features, targets = table(rows=6, columns=2)
    calls = []

    def add_one(x):
        calls.append(tuple(x.shape))
        return x + 1

    dataset = call(learner.ArrayDataset, features, targets, transform=add_one).value
    expect.that(calls == [], f"ArrayDataset(..., transform) called the transform {len(calls)} times while being made; "
                "expected 0. Apply it in __getitem__, so a random augmentation differs every epoch.")
    got = call(dataset.__getitem__, 4)
    expect.close(got, (features[4] + 1, targets[4]),
                 what="With transform=lambda x: x + 1, dataset[4] should be (features[4] + 1, targets[4]).")
    dataset[4]
    expect.that(calls == [(2,), (2,)], f"Reading dataset[4] twice called the transform on inputs of shapes {calls}; "
                "expected once per read, on the features of one sample (shape (2,)), never on the target.")


@array_dataset.check(points=1, clauses=["lazy", "items"])
def test_3_1_transform_leaves_float_targets_alone(learner):
    """With floating-point (regression) targets, is the transform still applied to the features only?"""
    features, _ = table(rows=5, columns=2)
    targets = torch.randn(5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    dataset = call(learner.ArrayDataset, features, targets, transform=lambda x: x + 1).value
    got = call(dataset.__getitem__, 3)
    expect.close(got, (features[3] + 1, targets[3].float()),
                 what="With float64 targets and transform=lambda x: x + 1, dataset[3] should be "
                      "(features[3] + 1, float32 targets[3]): the transform touches the features only, whatever "
                      "the targets' dtype.")


@array_dataset.check(points=1, clauses=["mismatch"])
@generated.examples(rows=st.tuples(strategies.sizes(1, 8), strategies.sizes(1, 8)).filter(lambda r: r[0] != r[1]),
                    max_examples=5)
def test_3_1_length_mismatch(learner, rows):
    """Does ArrayDataset refuse features and targets of different lengths (either one longer) with a ValueError?"""
    features, targets = torch.zeros(rows[0], 2), torch.arange(rows[1])
    raises(ValueError, learner.ArrayDataset, features, targets,
           why="Features and targets of different lengths would pair samples with the wrong targets.")


@array_dataset.check(points=1, clauses=["mismatch", "len"])
def test_3_1_equal_lengths_past_256(learner):
    """Does ArrayDataset accept 300 features with 300 targets (lengths compared by value, not identity)?"""
    features, targets = torch.zeros(300, 2), torch.arange(300)  # CPython shares int objects only up to 256
    got = call(learner.ArrayDataset, features, targets)
    expect.that(len(got.value) == 300,
                f"Called {got.text}.\nlen() of it is {len(got.value)}; expected 300. Compare the lengths with != "
                "(`is not` compares objects, and two equal ints above 256 are different objects).")


# Exercise 3.2 -------------------------------------------------------------------------------------------------------

def numbered(n: int) -> list[int]:
    """A dataset whose items say which sample they are: item i is 100 + i."""
    return list(range(100, 100 + n))


def split_items(learner, n: int, val_fraction: float, seed: int):
    dataset = numbered(n)
    got = call(learner.train_val_split, dataset, val_fraction, seed)
    expect.that(type(got.value) is tuple and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected the tuple (train, validation).")
    for name, part in zip(("training", "validation"), got.value):
        expect.that(isinstance(part, Subset) and part.dataset is dataset,
                    f"Called {got.text}.\nThe {name} part is {type(part).__name__}; expected a Subset of the dataset "
                    "it was given (Subset(dataset, indices)).")
    return items_of(got.value[0]), items_of(got.value[1]), got.text


SPLIT_FRACTIONS = st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 0.9, 1.0])


@train_val_split.check(points=2, clauses=["sizes", "first-train", "round", "returns", "partition"])
@generated.examples(n=strategies.sizes(1, 30), val_fraction=SPLIT_FRACTIONS, seed=strategies.seeds(), max_examples=20)
def test_3_2_sizes_and_partition(learner, n, val_fraction, seed):
    """Does train_val_split put round(val_fraction * N) samples in validation and every other one in training, once?"""
    n_val = round(val_fraction * n)
    train, val, text = split_items(learner, n, val_fraction, seed)
    expect.that((len(train), len(val)) == (n - n_val, n_val),
                f"Called {text}.\nIt returned {len(train)} training and {len(val)} validation samples; expected "
                f"{n - n_val} and {n_val} (n_val = round({val_fraction} * {n}), Python's round: halves go to even).")
    expect.that(not set(train) & set(val),
                f"Called {text}.\nSamples {sorted(set(train) & set(val))} are in both parts: validation must be "
                "data the model never trained on. Take train = order[:n_train] and val = order[n_train:].")
    expect.that(sorted(train + val) == numbered(n),
                f"Called {text}.\nTogether the parts do not hold every sample exactly once.")


@train_val_split.check(points=1, clauses=["exact-indices", "first-train", "generator"])
@generated.examples(n=strategies.sizes(2, 30), val_fraction=SPLIT_FRACTIONS, seed=strategies.seeds(), max_examples=8)
def test_3_2_exact_indices(learner, n, val_fraction, seed):
    """Are the parts exactly order[:n_train] and order[n_train:] of torch.randperm(N, generator seeded with seed)?"""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_train = n - round(val_fraction * n)
    train, val, text = split_items(learner, n, val_fraction, seed)
    expected = [numbered(n)[i] for i in order[:n_train]], [numbered(n)[i] for i in order[n_train:]]
    expect.that((train, val) == expected,
                f"Called {text}.\nIt gave the training indices {[i - 100 for i in train][:8]} and the validation "
                f"indices {[i - 100 for i in val][:8]} (first 8); expected order[:n_train] = {order[:n_train][:8]} "
                f"and order[n_train:] = {order[n_train:][:8]}, with order = torch.randperm({n}, "
                f"generator=torch.Generator().manual_seed({seed})).tolist(): training from the front, validation the "
                "rest, and the permutation from a torch.Generator (not numpy's).")


@train_val_split.check(points=2, clauses=["seeded", "generator"])
@generated.examples(seed=strategies.seeds(), max_examples=5)
def test_3_2_seeded(learner, seed):
    """Does the same seed give the same split, and another seed a different one?"""
    first, again, other = (split_items(learner, 23, 0.2, s) for s in (seed, seed, seed + 1))
    expect.that(first[:2] == again[:2],
                f"Called {first[2]} twice: the splits differ. Shuffle with a generator seeded from `seed` "
                "(torch.Generator().manual_seed(seed)), so a run can be repeated.")
    expect.that(first[:2] != other[:2],
                f"Called {first[2]} and then with seed={seed + 1}: the same split came back. The seed must decide "
                "the order.")


@train_val_split.check(points=1, clauses=["generator"])
def test_3_2_shuffled(learner):
    """Is the split random, not simply the last samples held out?"""
    for seed in (0, 1, 2):
        train, val, text = split_items(learner, 23, 0.2, seed)
        expect.that(set(val) != set(numbered(23)[-5:]),
                    f"Called {text}.\nValidation holds exactly the last 5 samples: the indices were not shuffled. "
                    "Data files are often sorted (by class, by date); an unshuffled split is biased.")


@train_val_split.check(points=1, clauses=["generator"])
def test_3_2_global_rng_untouched(learner):
    """Does train_val_split leave the global random number generator alone?"""
    before = torch.random.get_rng_state()
    # torch.manual_seed(seed) reseeds the GPU generators too: a helper that puts back only the cpu state
    # (get_rng_state / set_rng_state around manual_seed) still changes every later random number on the GPU.
    cuda_before = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    _, _, text = split_items(learner, 10, 0.3, seed=7)
    cuda_after = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    expect.that(torch.equal(before, torch.random.get_rng_state())
                and all(torch.equal(old, new) for old, new in zip(cuda_before, cuda_after)),
                f"Called {text}.\nIt changed the global RNG state: torch.manual_seed(seed) (or an unseeded draw) "
                "inside a helper silently reseeds everything after it. Use torch.Generator().manual_seed(seed).")


# Exercise 3.3 -------------------------------------------------------------------------------------------------------

def epoch(loader) -> tuple[list[int], list[int]]:
    """The sample order of one pass and the batch sizes."""
    batches = [torch.as_tensor(batch).tolist() for batch in loader]
    return [item for batch in batches for item in batch], [len(batch) for batch in batches]


def loaders(learner, seed=0, n_train=10, n_val=10, batch_size=4):
    got = call(learner.make_loaders, numbered(n_train), numbered(n_val), batch_size, seed)
    expect.that(type(got.value) is tuple and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected the tuple (train_loader, "
                "val_loader).")
    return got.value[0], got.value[1], got.text


def batch_sizes(n: int, batch_size: int) -> list[int]:
    """Full batches, then the smaller last one when batch_size does not divide n."""
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


LOADER_SIZES = dict(n=strategies.sizes(1, 17), batch_size=strategies.sizes(1, 6), seed=strategies.seeds())


@make_loaders.check(points=2, clauses=["two-loaders", "val", "returns"])
@generated.examples(**LOADER_SIZES, max_examples=10)
def test_3_3_validation_in_order(learner, n, batch_size, seed):
    """Does the validation loader give every sample once, in stored order, keeping the last smaller batch?"""
    _, val_loader, text = loaders(learner, seed=seed, n_val=n, batch_size=batch_size)
    order, sizes = epoch(val_loader)
    expect.that(len(order) == n,
                f"Called {text}.\nOne pass over the validation loader gave {len(order)} of {n} samples (batch sizes "
                f"{sizes}). {mistakes.describe('val_loader_drop_last')}")
    expect.that(order == numbered(n),
                f"Called {text}.\nThe validation loader gave the samples in the order {order}; expected the stored "
                f"order. {mistakes.describe('val_loader_shuffled')}")
    expect.that(sizes == batch_sizes(n, batch_size),
                f"Called {text}.\nThe validation batches had sizes {sizes}; expected {batch_sizes(n, batch_size)}.")


@make_loaders.check(points=2, clauses=["two-loaders", "train-batches", "train-last", "train-seeded"])
@generated.examples(**LOADER_SIZES, max_examples=10)
def test_3_3_training_shuffled(learner, n, batch_size, seed):
    """Does the training loader give every sample once per epoch, shuffled, keeping the last smaller batch?"""
    train_loader, _, text = loaders(learner, seed=seed, n_train=n, batch_size=batch_size)
    order, sizes = epoch(train_loader)
    expect.that(sorted(order) == numbered(n),
                f"Called {text}.\nOne pass over the training loader gave {len(order)} samples {order}; expected each "
                f"of the {n} exactly once (is drop_last on?).")
    if n >= 8:  # a shuffle of 8 or more samples lands on the stored order once in 40320 seeds or fewer
        expect.that(order != numbered(n),
                    f"Called {text}.\nThe training loader gave the samples in stored order. "
                    f"{mistakes.describe('train_loader_not_shuffled')}")
    expect.that(sizes == batch_sizes(n, batch_size),
                f"Called {text}.\nThe training batches had sizes {sizes}; expected {batch_sizes(n, batch_size)}.")
    seeded = seeded_orders(n, batch_size, seed)
    advice = (mistakes.describe("train_loader_not_shuffled") if order == numbered(n) and numbered(n) not in seeded
              else "Seed the generator with `seed` itself: torch.Generator().manual_seed(seed).")
    expect.that(order in seeded,
                f"Called {text}.\nThe first training epoch came in the order {order}; a torch.Generator seeded with "
                f"seed={seed} gives {seeded[0]} (shuffle=True, generator=g) or {seeded[1]} (RandomSampler(train_set, "
                f"generator=g)). {advice}")


def seeded_orders(n: int, batch_size: int, seed: int) -> list[list[int]]:
    """The first-epoch orders torch gives from a generator seeded with `seed`: handed to the DataLoader (which also
    draws its workers' base seed from it), or to a RandomSampler alone."""
    with_loader = DataLoader(numbered(n), batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    sampler_only = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return [epoch(with_loader)[0], [numbered(n)[i] for i in sampler_only]]


@make_loaders.check(points=2, clauses=["train-seeded"])
def test_3_3_training_seeded(learner):
    """Does the seed fix the training order, while each epoch gets a new one?"""
    first, _, text = loaders(learner, seed=0)
    again, _, _ = loaders(learner, seed=0)
    other, _, _ = loaders(learner, seed=1)
    epoch_one, epoch_two = epoch(first)[0], epoch(first)[0]
    expect.that(epoch_one == epoch(again)[0] and epoch_two == epoch(again)[0],
                f"Called {text} twice: the epochs came in different orders. Give the training DataLoader "
                "generator=torch.Generator().manual_seed(seed), so a run can be repeated.")
    expect.that(epoch_one != epoch(other)[0],
                f"Called {text} and then with seed=1: the first epochs came in the same order.")
    expect.that(epoch_one != epoch_two,
                f"Called {text}: two epochs of the training loader came in the same order {epoch_one}. Let the "
                "loader reshuffle each epoch (shuffle=True with one generator), not a fixed permutation.")


@make_loaders.check(points=1, clauses=["train-seeded"])
def test_3_3_validation_leaves_the_training_order_alone(learner):
    """Does a pass over the validation loader between two training epochs leave the training order as it would be?"""
    train, val, text = loaders(learner, seed=5)
    first = epoch(train)[0]
    epoch(val)  # as a training run does: train, validate, train
    second = epoch(train)[0]
    plain, _, _ = loaders(learner, seed=5)
    expected = [epoch(plain)[0], epoch(plain)[0]]
    expect.that([first, second] == expected,
                f"Called {text}, then ran a training epoch, a validation epoch and a training epoch: the second "
                f"training epoch came in the order {second}; without the validation pass between them it is "
                f"{expected[1]}. The validation loader shares the training loader's generator (each pass over a "
                "DataLoader draws from its generator): give the validation loader no generator, or one of its own.")


@make_loaders.check(points=1, clauses=["global-rng"])
def test_3_3_global_rng_untouched(learner):
    """Does make_loaders leave the global random number generator alone?"""
    before = torch.random.get_rng_state()
    _, _, text = loaders(learner, seed=3)
    expect.that(torch.equal(before, torch.random.get_rng_state()),
                f"Called {text}.\nIt changed the global RNG state (torch.manual_seed inside?). Seed a "
                "torch.Generator and pass it to the DataLoader instead.")


# Exercise 3.4 -------------------------------------------------------------------------------------------------------

@st.composite
def ragged_batches(draw):
    """B (sequence, label) pairs of one dtype: lengths that differ (and sometimes tie), with or without features."""
    dtype = draw(st.sampled_from([torch.int64, torch.float32, torch.float64, torch.float16, torch.bfloat16]))
    features = draw(st.sampled_from([(), (1,), (3,)]))
    lengths = draw(st.lists(strategies.sizes(1, 6), min_size=1, max_size=5))
    elements = st.integers(1, 30).map(float) if dtype == torch.int64 else strategies.values(special=(1.0, -2.5))
    sequences = [draw(strategies.tensors((length, *features), dtype=dtype, elements=elements)) for length in lengths]
    labels = draw(st.lists(st.integers(0, 9), min_size=len(lengths), max_size=len(lengths)))
    return list(zip(sequences, labels))


def collate_what(got, batch) -> str:
    shapes = ", ".join(str(tuple(s.shape)) for s, _ in batch)
    dtype = str(batch[0][0].dtype).replace("torch.", "")
    return f"Called pad_collate on {len(batch)} (sequence, label) pairs with {dtype} sequences of shapes {shapes}."


@pad_collate.check(points=3, clauses=["ragged", "inputs", "order", "padded", "lengths", "labels", "default-collate"])
@generated.examples(batch=ragged_batches(), max_examples=15)
def test_3_4_pads_sequences(learner, reference, device, batch):
    """Does pad_collate return (padded (B, T_max[, F]), lengths, labels) in the batch's order, any dtype and device?"""
    batch = [(sequence.to(device), label) for sequence, label in batch]
    expected = reference.pad_collate(batch)
    with copies_out_of(device):  # sequences moved to the cpu to be padded end there, which meta can then prove
        got = call(learner.pad_collate, batch)
    what = collate_what(got, batch)
    value = got.value
    expect.that(type(value) is tuple and len(value) == 3,
                f"{what}\nIt returned {type(value).__name__}; expected the tuple (padded, lengths, labels).")
    lengths = [len(s) for s, _ in batch]
    if isinstance(value[1], torch.Tensor) and value[1].device.type == "cpu" and lengths != sorted(lengths, reverse=True):
        expect.that(value[1].tolist() != sorted(lengths, reverse=True),
                    f"{what}\nThe lengths came back as {value[1].tolist()}: the batch was sorted. Keep the batch's "
                    "order, or the labels no longer line up with the sequences (pack_padded_sequence("
                    "enforce_sorted=False) sorts for you when an RNN needs it).")
    expect.close(got, expected, what=f"{what}\nExpected (padded of the sequences' dtype and device, lengths int64 on "
                 "the cpu, labels int64).", rtol=0, atol=0)


def shipped_to_a_worker(function):
    """What a spawned DataLoader worker does to get the collate function: pickle it, find its module on sys.path (the
    worker inherits sys.path), import it, unpickle. Raises pickle.PicklingError or AttributeError for a lambda or a
    nested function, and ModuleNotFoundError when the module could not be imported by name."""
    import importlib.util

    payload = pickle.dumps(function)
    module = getattr(function, "__module__", None) or type(function).__module__
    if importlib.util.find_spec(module) is None:
        raise ModuleNotFoundError(f"a fresh process could not import {module!r}")
    return pickle.loads(payload)


@pad_collate.check(points=2, clauses=["picklable"])
def test_3_4_usable_in_worker_processes(learner, reference):
    """Can a DataLoader worker process get pad_collate (by pickling, as spawn does) and batch ragged data with it?"""
    data = [(torch.arange(1, 2 + (3 * i) % 5), i % 2) for i in range(7)]  # lengths 1, 4, 2, 5, 3, 1, 4
    try:
        revived = shipped_to_a_worker(learner.pad_collate)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure to ship it is the learner's to fix
        raise AssertionError(
            f"DataLoader(..., collate_fn=pad_collate, num_workers=2) sends pad_collate to each worker process by "
            f"pickling it; that failed: {type(error).__name__}: {error}\nA spawned worker is a fresh Python process: "
            "it gets the collate function by its importable name. A lambda or a nested function has none; write "
            "`def pad_collate(batch):` at the top level of the file.") from None
    got = call(lambda: [pickle.loads(pickle.dumps(b)) for b in DataLoader(data, batch_size=3, collate_fn=revived)])
    expected = [reference.pad_collate(data[start:start + 3]) for start in (0, 3, 6)]
    expect.close(got, expected, what="DataLoader(7 ragged sequences, batch_size=3, collate_fn=pad_collate as a worker "
                 "process unpickles it): the batches differ.")
