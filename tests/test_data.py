"""Tests of lstmlab.data: determinism, shapes, task structure recomputed independently, baselines."""

import numpy as np
import pytest

from lstmlab.data import (
    ADDING_BASELINE_MSE,
    AGREEMENT_VERBS,
    AGREEMENT_VOCAB,
    TEMPORAL_ORDER_CLASSES,
    TEMPORAL_ORDER_SYMBOLS,
    Vocabulary,
    adding_problem,
    agreement,
    copy_baseline_cross_entropy,
    copy_task,
    one_hot,
    temporal_order,
)
from lstmlab.numpy.layers import softmax_cross_entropy

GENERATORS = {
    "adding": lambda seed: adding_problem(8, 20, seed),
    "adding_hochreiter": lambda seed: adding_problem(8, 30, seed, variant="hochreiter"),
    "copy": lambda seed: copy_task(8, 12, seed),
    "temporal_order": lambda seed: temporal_order(8, 30, seed, variable_length=True),
    "agreement": lambda seed: agreement(8, 11, seed),
}


@pytest.mark.parametrize("task", sorted(GENERATORS))
def test_same_seed_same_data_and_generators_advance(task):
    make = GENERATORS[task]
    a, b, c = make(3), make(3), make(4)
    for field in ("x", "y", "lengths"):
        fa, fb = getattr(a, field), getattr(b, field)
        if fa is None:
            assert fb is None
        else:
            np.testing.assert_array_equal(fa, fb)
    assert not np.array_equal(a.x, c.x)
    rng = np.random.default_rng(3)
    first, second = make(rng), make(rng)
    np.testing.assert_array_equal(first.x, a.x)  # a fresh Generator(3) equals seed 3
    assert not np.array_equal(first.x, second.x)  # and is advanced by the call


# ---------------------------------------------------------------- adding problem


def test_two_marker_structure_and_targets():
    T, n = 21, 500
    b = adding_problem(n, T, seed=0)
    assert b.x.shape == (T, n, 2) and b.y.shape == (n, 1) and b.lengths is None
    values, markers = b.x[..., 0], b.x[..., 1]
    assert values.min() >= 0 and values.max() < 1
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers[: T // 2].sum(0), 1)  # one in the first half
    np.testing.assert_array_equal(markers[T // 2 :].sum(0), 1)  # one in the second half
    np.testing.assert_allclose(b.y[:, 0], (values * markers).sum(0), rtol=1e-15)
    # markers reach both ends of each half
    pos = np.argmax(markers[: T // 2], 0)
    assert pos.min() == 0 and pos.max() == T // 2 - 1


def test_adding_baseline_mse_is_what_predicting_one_scores():
    b = adding_problem(100_000, 10, seed=1)
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)
    mse_one = np.mean((b.y - 1.0) ** 2)
    # standard error of this mean is ~6e-4 (the squared error has variance 1/15 - 1/36)
    assert abs(mse_one - ADDING_BASELINE_MSE) < 3e-3
    assert abs(b.y.mean() - 1.0) < 5e-3  # 1 is the best constant


def test_hochreiter_structure_and_targets():
    T, n = 40, 2000
    b = adding_problem(n, T, seed=2, variant="hochreiter")
    T_max = T + T // 10
    assert b.x.shape == (T_max, n, 2) and b.y.shape == (n, 1)
    assert b.lengths.dtype == np.int64
    assert b.lengths.min() == T and b.lengths.max() == T_max
    values, markers = b.x[..., 0], b.x[..., 1]
    assert values.min() >= -1 and values.max() <= 1 and values.min() < -0.9
    steps = np.arange(T_max)[:, None]
    pad = steps >= b.lengths[None, :]
    assert np.all(b.x[pad] == 0)  # zero padding after each sequence's end
    plus = markers == 1
    np.testing.assert_array_equal(plus.sum(0), 2)
    first = np.argmax(plus, 0)
    second = T_max - 1 - np.argmax(plus[::-1], 0)
    assert first.max() < T // 2 and second.max() < T // 2  # both in the first half
    # one marker among the first ten steps (the paper's X1)
    assert np.all(first < 10)
    # -1 at the first step unless it is marked, and at each sequence's last step
    assert np.all(markers[0][~plus[0]] == -1)
    np.testing.assert_array_equal(markers[b.lengths - 1, np.arange(n)], -1)
    assert np.sum(markers == -1) == n + np.sum(~plus[0])
    # a marked first step carries the value 0; it happens (p1 = 0 has probability 1/10)
    assert plus[0].sum() > 100 and np.all(values[0][plus[0]] == 0)
    expected = 0.5 + (values * plus).sum(0) / 4
    np.testing.assert_allclose(b.y[:, 0], expected, rtol=1e-15)
    assert b.y.min() >= 0 and b.y.max() <= 1


# ---------------------------------------------------------------- copy task


def test_copy_task_layout():
    T, n = 7, 50
    b = copy_task(n, T, seed=0)
    L = T + 20
    assert b.x.shape == (L, n, 10) and b.y.shape == (L, n) and b.y.dtype == np.int64
    np.testing.assert_array_equal(b.x.sum(-1), 1.0)  # one-hot
    ids = b.x.argmax(-1)
    assert ids[:10].max() <= 7  # data symbols 0-7
    np.testing.assert_array_equal(ids[10 : 10 + T - 1], 8)  # T - 1 blanks
    np.testing.assert_array_equal(ids[10 + T - 1], 9)  # the delimiter
    np.testing.assert_array_equal(ids[10 + T :], 8)  # 10 blanks while recalling
    np.testing.assert_array_equal(b.y[: T + 10], 8)
    np.testing.assert_array_equal(b.y[T + 10 :], ids[:10])  # the symbols, in order
    assert len(np.unique(ids[:10])) == 8  # every symbol occurs


def test_copy_task_other_sizes():
    b = copy_task(3, 1, seed=0, n_symbols=3, seq_len=2)
    assert b.x.shape == (5, 3, 5)
    np.testing.assert_array_equal(b.x.argmax(-1)[2], 4)  # delimiter right after the symbols


def test_copy_baseline_is_the_memoryless_cross_entropy():
    T, n = 30, 200
    b = copy_task(n, T, seed=5)
    # memoryless strategy: blank for sure, then uniform over the 8 symbols
    logits = np.full((T + 20, n, 10), -1000.0)
    logits[: T + 10, :, 8] = 0.0
    logits[T + 10 :, :, :8] = 0.0
    loss, _ = softmax_cross_entropy(logits, b.y)
    assert loss == pytest.approx(copy_baseline_cross_entropy(T), rel=1e-12)
    assert copy_baseline_cross_entropy(100) == pytest.approx(10 * np.log(8) / 120)
    assert copy_baseline_cross_entropy(5, n_symbols=4, seq_len=3) == pytest.approx(3 * np.log(4) / 11)


# ---------------------------------------------------------------- temporal order


def _decode_temporal(b):
    ids = b.x.argmax(-1)
    ids[b.x.sum(-1) == 0] = -1  # padding
    return ids


def test_temporal_order_structure_and_labels():
    T, n = 100, 3000
    b = temporal_order(n, T, seed=0)
    assert b.x.shape == (T, n, 8) and b.y.shape == (n,) and b.lengths is None
    ids = _decode_temporal(b)
    sym = {s: i for i, s in enumerate(TEMPORAL_ORDER_SYMBOLS)}
    np.testing.assert_array_equal(ids[0], sym["E"])
    np.testing.assert_array_equal(ids[-1], sym["B"])
    relevant = (ids == sym["X"]) | (ids == sym["Y"])
    np.testing.assert_array_equal(relevant.sum(0), 2)
    t1 = np.argmax(relevant, 0)
    t2 = T - 1 - np.argmax(relevant[::-1], 0)
    # the paper's positions at T = 100, every value reached
    assert (t1.min(), t1.max(), t2.min(), t2.max()) == (10, 20, 50, 60)
    cols = np.arange(n)
    names = np.array(TEMPORAL_ORDER_SYMBOLS)
    pairs = np.char.add(names[ids[t1, cols]], names[ids[t2, cols]])
    np.testing.assert_array_equal(np.array(TEMPORAL_ORDER_CLASSES)[b.y], pairs)
    assert np.all(np.isin(ids[1:-1][~relevant[1:-1]], [0, 1, 2, 3]))  # distractors a-d
    assert np.all(np.abs(np.bincount(b.y, minlength=4) / n - 0.25) < 0.04)


def test_temporal_order_variable_length():
    T, n = 50, 400
    b = temporal_order(n, T, seed=1, variable_length=True)
    assert b.x.shape == (T + 5, n, 8)
    assert b.lengths.min() == T and b.lengths.max() == T + 5
    ids = _decode_temporal(b)
    np.testing.assert_array_equal(ids[b.lengths - 1, np.arange(n)], TEMPORAL_ORDER_SYMBOLS.index("B"))
    assert np.all((ids == -1) == (np.arange(T + 5)[:, None] >= b.lengths[None, :]))


# ---------------------------------------------------------------- agreement

SINGULAR = {AGREEMENT_VOCAB.index(w) for w in ("cat", "dog", "bird", "key", "box", "fox", "mouse", "hat")}
PLURAL = {AGREEMENT_VOCAB.index(w) for w in ("cats", "dogs", "birds", "keys", "boxes", "foxes", "mice", "hats")}


def _last_noun_number(ids):
    """Number of the most recent noun of each sentence: the heuristic attractors defeat."""
    out = []
    for col in ids.T:
        noun = [t for t in col if t in SINGULAR or t in PLURAL][-1]
        out.append(int(noun in PLURAL))
    return np.array(out)


@pytest.mark.parametrize("gap", list(range(0, 13)) + [30])
def test_agreement_shapes_labels_and_sentences(gap):
    n = 60
    b = agreement(n, gap, seed=gap)
    assert b.x.shape == (gap + 2, n) and b.x.dtype == np.int64 and b.y.shape == (n,)
    assert b.vocab is AGREEMENT_VOCAB
    assert np.all(b.x > 0)  # no padding: every sentence is exactly gap + 2 tokens
    np.testing.assert_array_equal(b.x[0], AGREEMENT_VOCAB.index("the"))
    subject_plural = np.array([t in PLURAL for t in b.x[1]])
    assert np.all(subject_plural | np.array([t in SINGULAR for t in b.x[1]]))
    np.testing.assert_array_equal(b.y, subject_plural.astype(int))
    sentences = b.vocab.decode(b.x)
    assert len(sentences) == n and all(len(s.split()) == gap + 2 for s in sentences)
    if gap >= 6:
        assert all(s.split()[2:4] == [",", "which"] and s.endswith(" ,") for s in sentences)
    if 0 < gap:
        # no number-marked verb leaks into the input
        assert not np.isin(b.x, [AGREEMENT_VOCAB.index(v) for v in AGREEMENT_VERBS]).any()


def test_agreement_example_reads_like_a_sentence():
    b = agreement(1, 8, seed=0)
    text = b.vocab.decode(b.x[:, 0]) + " " + AGREEMENT_VERBS[b.y[0]]
    words = text.split()
    assert words[:4] == ["the", words[1], ",", "which"] and words[-2] == ","
    assert words[-1] in ("was", "were")


@pytest.mark.parametrize("attractor, accuracy", [(0.0, 1.0), (1.0, 0.0)])
def test_attractors_defeat_the_last_noun_heuristic(attractor, accuracy):
    b = agreement(200, 9, seed=1, attractor=attractor)
    assert np.mean(_last_noun_number(b.x) == b.y) == accuracy


def test_attractor_probability_is_respected_and_labels_balanced():
    b = agreement(4000, 12, seed=2)
    later = b.x[2:]
    is_noun = np.isin(later, list(SINGULAR | PLURAL))
    plural = np.isin(later, list(PLURAL))
    disagree = (plural != b.y[None, :].astype(bool)) & is_noun
    assert abs(disagree.sum() / is_noun.sum() - 0.5) < 0.02
    assert abs(b.y.mean() - 0.5) < 0.03


def test_vocabulary_round_trip_and_messages():
    v = AGREEMENT_VOCAB
    sentence = "the cat , which already ate the mice , was"
    assert v.decode(v.encode(sentence)) == sentence
    assert v.decode(np.array([0, v.index("the"), 0])) == "the"  # padding dropped
    assert "cats" in v and "fish" not in v and len(v) == len(set(v.tokens))
    with pytest.raises(ValueError, match=r"Vocabulary.index: argument 'token' 'fish' is not in"):
        v.encode("the fish")
    with pytest.raises(ValueError, match=r"Vocabulary.decode: argument 'ids' must be integer ids .*float64"):
        v.decode(np.zeros(3))
    with pytest.raises(ValueError, match=r"Vocabulary.decode: argument 'ids' must lie in \[0, \d+\)"):
        v.decode(np.array([len(v)]))
    with pytest.raises(ValueError, match=r"Vocabulary: argument 'tokens' has duplicates"):
        Vocabulary(("<pad>", "a", "a"))


# ---------------------------------------------------------------- one_hot and argument checks


def test_one_hot():
    ids = np.array([[0, 2], [1, 1]])
    out = one_hot(ids, 3)
    assert out.shape == (2, 2, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out.argmax(-1), ids)
    np.testing.assert_array_equal(out.sum(-1), 1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: one_hot(np.array([0, 3]), 3), r"one_hot: argument 'ids' must lie in \[0, size\) = \[0, 3\), got 3"),
        (lambda: one_hot(np.array([0.0]), 3), r"one_hot: argument 'ids' must hold integers"),
        (lambda: one_hot(np.array([0]), 0), r"one_hot: argument 'size' must be an int >= 1, got 0"),
        (lambda: adding_problem(0, 10, 0), r"adding_problem: argument 'n' must be an int >= 1, got 0"),
        (lambda: adding_problem(4, 1, 0), r"adding_problem: argument 'T' must be an int >= 2, got 1.*each half"),
        (lambda: adding_problem(4, 3, 0, variant="hochreiter"), r"argument 'T' must be an int >= 4, got 3"),
        (lambda: adding_problem(4, 10.5, 0), r"argument 'T' must be an int >= 2, got 10.5"),
        (lambda: adding_problem(4, 10, 0, variant="paper"), r"argument 'variant' must be 'two_marker' or 'hochreiter'"),
        (lambda: copy_task(4, 0, 0), r"copy_task: argument 'T' must be an int >= 1, got 0"),
        (lambda: copy_task(4, 5, 0, n_symbols=1), r"copy_task: argument 'n_symbols' must be an int >= 2"),
        (lambda: copy_task(4, 5, 0, seq_len=0), r"copy_task: argument 'seq_len' must be an int >= 1"),
        (lambda: copy_baseline_cross_entropy(0), r"copy_baseline_cross_entropy: argument 'T' must be"),
        (lambda: temporal_order(4, 9, 0), r"temporal_order: argument 'T' must be an int >= 10, got 9"),
        (lambda: temporal_order(True, 20, 0), r"temporal_order: argument 'n' must be an int >= 1, got True"),
        (lambda: agreement(4, -1, 0), r"agreement: argument 'gap' must be an int >= 0, got -1"),
        (lambda: agreement(4, 3, 0, attractor=1.5),
         r"agreement: argument 'attractor' must be a probability in \[0, 1\]"),
        (lambda: agreement(4, 3, "zero"),
         r"^agreement: argument 'seed' must be an int, None or a numpy Generator, got str"),
    ],
)
def test_argument_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()
