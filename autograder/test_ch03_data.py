"""Chapter 03, data: do the learner's Dataset, split, loaders and collate function give every sample, seeded and in shape?"""
import numpy as np
import torch
from torch.utils.data import DataLoader

from autograder.engine import Exercise, call, expect, mistakes
from autograder.engine.raising import raises

array_dataset = Exercise("3.1", "ArrayDataset", hints=[
    "A map-style Dataset needs __len__ (how many samples) and __getitem__(i) (the i-th (features, target) pair).",
    "In __init__ convert with torch.as_tensor, turn floating tensors into float32, raise ValueError when the lengths "
    "differ, and keep the transform; call it in __getitem__ on features[i] only, never on the target.",
], hints_zh=[
    "映射式 Dataset 需要 __len__（样本数）和 __getitem__(i)（第 i 个 (特征, 目标) 对）。",
    "在 __init__ 中用 torch.as_tensor 转换，把浮点张量转成 float32，长度不一致时抛出 ValueError，并保存 transform；在 __getitem__ 中只对 features[i] 调用它，绝不作用于目标。",
])
train_val_split = Exercise("3.2", "train_val_split", hints=[
    "Shuffle the indices 0..N-1 with your own generator: g = torch.Generator().manual_seed(seed); "
    "torch.randperm(N, generator=g).",
    "n_val = round(val_fraction * N); the first N - n_val shuffled indices train, the rest validate: "
    "return Subset(dataset, train_indices), Subset(dataset, val_indices). Never call torch.manual_seed here.",
], hints_zh=[
    "用你自己的生成器打乱下标 0..N-1：g = torch.Generator().manual_seed(seed)；torch.randperm(N, generator=g)。",
    "n_val = round(val_fraction * N)；打乱后的前 N - n_val 个下标用于训练，其余用于验证：return Subset(dataset, train_indices), Subset(dataset, val_indices)。这里绝不要调用 torch.manual_seed。",
])
make_loaders = Exercise("3.3", "make_loaders", hints=[
    "Training wants shuffle=True with a seeded generator; validation wants shuffle=False. Neither should drop the "
    "last, smaller batch.",
    "g = torch.Generator().manual_seed(seed); DataLoader(train_set, batch_size, shuffle=True, generator=g) and "
    "DataLoader(val_set, batch_size, shuffle=False). drop_last stays False.",
], hints_zh=[
    "训练集需要 shuffle=True 并配一个设定了种子的生成器；验证集需要 shuffle=False。两者都不应丢弃最后那个较小的批次。",
    "g = torch.Generator().manual_seed(seed)；DataLoader(train_set, batch_size, shuffle=True, generator=g) 和 DataLoader(val_set, batch_size, shuffle=False)。drop_last 保持 False。",
])
pad_collate = Exercise("3.4", "pad_collate", hints=[
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

@array_dataset.check(points=2)
def test_3_1_length_and_items(learner, reference):
    """Does ArrayDataset have one item per row, each (features[i], targets[i]), that a DataLoader can batch?"""
    features, targets = table(rows=7, columns=3)
    dataset = call(learner.ArrayDataset, features, targets).value
    length = call(len, dataset)
    expect.that(length.value == 7, f"len(ArrayDataset(features (7, 3), targets (7,))) returned {length.value!r}; "
                "expected 7, the number of rows (samples), not the number of features.")
    expected = reference.ArrayDataset(features, targets)
    for index in (0, 3, 6):
        expect.close(call(dataset.__getitem__, index), expected[index],
                     what=f"dataset[{index}] for ArrayDataset(features (7, 3), targets (7,)):")
    x, y = next(iter(DataLoader(dataset, batch_size=4)))
    expect.that(tuple(x.shape) == (4, 3) and tuple(y.shape) == (4,),
                f"A DataLoader(batch_size=4) over the dataset gave batches of shapes {tuple(x.shape)} and "
                f"{tuple(y.shape)}; expected (4, 3) and (4,). Return a (features, target) tuple from __getitem__.")


@array_dataset.check(points=1)
def test_3_1_numpy_float64(learner, reference):
    """Does ArrayDataset turn float64 numpy arrays into float32 tensors, and keep integer targets int64?"""
    features = np.random.default_rng(0).normal(size=(5, 4))  # float64, as scikit-learn gives them
    for targets in (np.arange(5), np.linspace(0.0, 1.0, 5)):
        dataset = call(learner.ArrayDataset, features, targets).value
        got = call(dataset.__getitem__, 2)
        item = got.value
        if isinstance(item, (tuple, list)) and item and isinstance(item[0], torch.Tensor):
            expect.that(item[0].dtype != torch.float64,
                        f"{got.text} for ArrayDataset(float64 array (5, 4), ...) returned float64 features; expected "
                        "float32. numpy and scikit-learn give float64, nn.Linear's weights are float32 and refuse to "
                        "multiply with them: convert floating arrays with .float() (or .to(torch.float32)) in __init__.")
        expect.close(got, reference.ArrayDataset(features, targets)[2],
                     what=f"dataset[2] for ArrayDataset(float64 array (5, 4), {targets.dtype} array (5,)):")


@array_dataset.check(points=2)
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


@array_dataset.check(points=1)
def test_3_1_length_mismatch(learner):
    """Does ArrayDataset refuse features and targets of different lengths with a ValueError?"""
    features, targets = table(rows=6, columns=2)
    raises(ValueError, learner.ArrayDataset, features, targets[:5],
           why="Features and targets of different lengths would pair samples with the wrong targets.")


# Exercise 3.2 -------------------------------------------------------------------------------------------------------

def numbered(n: int) -> list[int]:
    """A dataset whose items say which sample they are: item i is 100 + i."""
    return list(range(100, 100 + n))


def split_items(learner, n: int, val_fraction: float, seed: int):
    got = call(learner.train_val_split, numbered(n), val_fraction, seed)
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a (train, validation) pair.")
    return items_of(got.value[0]), items_of(got.value[1]), got.text


@train_val_split.check(points=2)
def test_3_2_sizes_and_partition(learner):
    """Does train_val_split put round(val_fraction * N) samples in validation and every other one in training, once?"""
    for n, fraction, n_val in ((23, 0.2, 5), (10, 0.3, 3)):
        train, val, text = split_items(learner, n, fraction, seed=0)
        expect.that((len(train), len(val)) == (n - n_val, n_val),
                    f"Called {text}.\nIt returned {len(train)} training and {len(val)} validation samples; expected "
                    f"{n - n_val} and {n_val} (n_val = round({fraction} * {n})).")
        expect.that(not set(train) & set(val),
                    f"Called {text}.\nSamples {sorted(set(train) & set(val))} are in both parts: validation must be "
                    "data the model never trained on. Take train = order[:n_train] and val = order[n_train:].")
        expect.that(sorted(train + val) == numbered(n),
                    f"Called {text}.\nTogether the parts do not hold every sample exactly once.")


@train_val_split.check(points=2)
def test_3_2_seeded(learner):
    """Does the same seed give the same split, and a different seed a different one?"""
    first, again, other = (split_items(learner, 23, 0.2, seed) for seed in (0, 0, 1))
    expect.that(first[:2] == again[:2],
                f"Called {first[2]} twice: the splits differ. Shuffle with a generator seeded from `seed` "
                "(torch.Generator().manual_seed(seed)), so a run can be repeated.")
    expect.that(first[:2] != other[:2],
                f"Called {first[2]} and then with seed=1: the same split came back. The seed must decide the order.")


@train_val_split.check(points=1)
def test_3_2_shuffled(learner):
    """Is the split random, not simply the last samples held out?"""
    for seed in (0, 1, 2):
        train, val, text = split_items(learner, 23, 0.2, seed)
        expect.that(set(val) != set(numbered(23)[-5:]),
                    f"Called {text}.\nValidation holds exactly the last 5 samples: the indices were not shuffled. "
                    "Data files are often sorted (by class, by date); an unshuffled split is biased.")


@train_val_split.check(points=1)
def test_3_2_global_rng_untouched(learner):
    """Does train_val_split leave the global random number generator alone?"""
    before = torch.random.get_rng_state()
    _, _, text = split_items(learner, 10, 0.3, seed=7)
    expect.that(torch.equal(before, torch.random.get_rng_state()),
                f"Called {text}.\nIt changed the global RNG state: torch.manual_seed(seed) (or an unseeded draw) "
                "inside a helper silently reseeds everything after it. Use torch.Generator().manual_seed(seed).")


# Exercise 3.3 -------------------------------------------------------------------------------------------------------

def epoch(loader) -> tuple[list[int], list[int]]:
    """The sample order of one pass and the batch sizes."""
    batches = [torch.as_tensor(batch).tolist() for batch in loader]
    return [item for batch in batches for item in batch], [len(batch) for batch in batches]


def loaders(learner, seed=0, n_train=10, n_val=10, batch_size=4):
    got = call(learner.make_loaders, numbered(n_train), numbered(n_val), batch_size, seed)
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected (train_loader, val_loader).")
    return got.value[0], got.value[1], got.text


@make_loaders.check(points=2)
def test_3_3_validation_in_order(learner):
    """Does the validation loader give every sample once, in stored order, keeping the last smaller batch?"""
    _, val_loader, text = loaders(learner)
    order, sizes = epoch(val_loader)
    expect.that(len(order) == 10,
                f"Called {text}.\nOne pass over the validation loader gave {len(order)} of 10 samples (batch sizes "
                f"{sizes}). {mistakes.describe('val_loader_drop_last')}")
    expect.that(order == numbered(10),
                f"Called {text}.\nThe validation loader gave the samples in the order {order}; expected the stored "
                f"order. {mistakes.describe('val_loader_shuffled')}")
    expect.that(sizes == [4, 4, 2], f"Called {text}.\nThe validation batches had sizes {sizes}; expected [4, 4, 2].")


@make_loaders.check(points=2)
def test_3_3_training_shuffled(learner):
    """Does the training loader give every sample once per epoch, shuffled, keeping the last smaller batch?"""
    train_loader, _, text = loaders(learner)
    order, sizes = epoch(train_loader)
    expect.that(sorted(order) == numbered(10),
                f"Called {text}.\nOne pass over the training loader gave {len(order)} samples {order}; expected each "
                "of the 10 exactly once (is drop_last on?).")
    expect.that(order != numbered(10),
                f"Called {text}.\nThe training loader gave the samples in stored order. "
                f"{mistakes.describe('train_loader_not_shuffled')}")
    expect.that(sizes == [4, 4, 2], f"Called {text}.\nThe training batches had sizes {sizes}; expected [4, 4, 2].")


@make_loaders.check(points=2)
def test_3_3_training_seeded(learner):
    """Does the seed fix the training order, while each epoch gets a new one?"""
    first, _, text = loaders(learner, seed=0)
    again, _, _ = loaders(learner, seed=0)
    other, _, _ = loaders(learner, seed=1)
    epoch_one, epoch_two = epoch(first)[0], epoch(first)[0]
    expect.that(epoch_one == epoch(again)[0],
                f"Called {text} twice: the first epochs came in different orders. Give the training DataLoader "
                "generator=torch.Generator().manual_seed(seed), so a run can be repeated.")
    expect.that(epoch_one != epoch(other)[0],
                f"Called {text} and then with seed=1: the first epochs came in the same order.")
    expect.that(epoch_one != epoch_two,
                f"Called {text}: two epochs of the training loader came in the same order {epoch_one}. Let the "
                "loader reshuffle each epoch (shuffle=True with one generator), not a fixed permutation.")


@make_loaders.check(points=1)
def test_3_3_global_rng_untouched(learner):
    """Does make_loaders leave the global random number generator alone?"""
    before = torch.random.get_rng_state()
    _, _, text = loaders(learner, seed=3)
    expect.that(torch.equal(before, torch.random.get_rng_state()),
                f"Called {text}.\nIt changed the global RNG state (torch.manual_seed inside?). Seed a "
                "torch.Generator and pass it to the DataLoader instead.")


# Exercise 3.4 -------------------------------------------------------------------------------------------------------

def token_batch():
    """Three integer sequences of lengths 3, 5 and 2 (no zeros inside, so padding shows) with labels."""
    return [(torch.tensor([4, 1, 7]), 1), (torch.tensor([2, 9, 3, 3, 5]), 0), (torch.tensor([8, 6]), 2)]


def feature_batch():
    generator = torch.Generator().manual_seed(0)
    return [(torch.randn(length, 4, generator=generator), label) for length, label in ((4, 0), (1, 1), (6, 1), (3, 0))]


def collate_what(got, batch) -> str:
    shapes = ", ".join(str(tuple(s.shape)) for s, _ in batch)
    return f"Called pad_collate on {len(batch)} (sequence, label) pairs with sequences of shapes {shapes}."


@pad_collate.check(points=2)
def test_3_4_pads_tokens(learner, reference):
    """Does pad_collate return (padded (B, T_max), lengths, labels) for integer sequences, in the batch's order?"""
    batch = token_batch()
    got = call(learner.pad_collate, batch)
    what = collate_what(got, batch)
    value = got.value
    if isinstance(value, (tuple, list)) and len(value) == 3 and isinstance(value[1], torch.Tensor):
        expect.that(value[1].tolist() != [5, 3, 2],
                    f"{what}\nThe lengths came back as [5, 3, 2]: the batch was sorted. Keep the batch's order, or "
                    "the labels no longer line up with the sequences (pack_padded_sequence(enforce_sorted=False) "
                    "sorts for you when an RNN needs it).")
    expect.close(got, reference.pad_collate(batch), what=f"{what}\nExpected (padded int64 (3, 5), lengths int64 (3,), "
                 "labels int64 (3,)).")


@pad_collate.check(points=1)
def test_3_4_pads_feature_sequences(learner, reference):
    """Does pad_collate pad (T_i, F) float sequences to (B, T_max, F)?"""
    batch = feature_batch()
    got = call(learner.pad_collate, batch)
    expect.close(got, reference.pad_collate(batch), what=collate_what(got, batch))


@pad_collate.check(points=2, timeout=30)
def test_3_4_in_a_worker_process(learner, reference):
    """Does pad_collate batch ragged data through a DataLoader whose worker is a fresh (spawned) process?"""
    data = [(torch.arange(1, 2 + (3 * i) % 5), i % 2) for i in range(7)]  # lengths 1, 4, 2, 5, 3, 1, 4
    loader = DataLoader(data, batch_size=3, collate_fn=learner.pad_collate, num_workers=1,
                        multiprocessing_context="spawn")

    def load_every_batch(loader):
        return list(loader)

    try:
        got = call(load_every_batch, loader)
    except AssertionError as error:
        if "pickl" not in str(error).lower():
            raise
        raise AssertionError(f"DataLoader(..., collate_fn=pad_collate, num_workers=1, multiprocessing_context='spawn'): "
                             f"{error}\nA spawned worker is a fresh Python process: it gets the collate function by "
                             "pickling its name and importing it. A lambda or a nested function has no importable "
                             "name; write `def pad_collate(batch):` at the top level of the file.") from None
    expected = [reference.pad_collate(data[start:start + 3]) for start in (0, 3, 6)]
    expect.close(got, expected, what="DataLoader(7 ragged sequences, batch_size=3, collate_fn=pad_collate, "
                 "num_workers=1, multiprocessing_context='spawn'): the batches differ. A worker process must be able "
                 "to import the collate function: define it at the top level of the file, not as a lambda or a "
                 "nested function.")
