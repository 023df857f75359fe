"""Measures and n-gram baselines against values computed by hand on tiny strings."""

import math

import numpy as np
import pytest

from lstmlab.data import CharVocab
from lstmlab.lm import (
    NGramModel,
    bits_per_char,
    cross_entropy,
    perplexity,
    tune_alpha,
    uniform_cross_entropy,
)

VOCAB = CharVocab.from_text("abc")  # a=0, b=1, c=2


def enc(text):
    return VOCAB.encode(text)


def test_units_convert_between_nats_bits_and_perplexity():
    assert bits_per_char(math.log(2)) == pytest.approx(1.0)
    assert bits_per_char(uniform_cross_entropy(256)) == pytest.approx(8.0)
    assert perplexity(uniform_cross_entropy(103)) == pytest.approx(103.0)
    with pytest.raises(ValueError, match="bits_per_char: argument 'nats' must be >= 0"):
        bits_per_char(-0.1)
    with pytest.raises(ValueError, match="perplexity: argument 'nats' must be >= 0"):
        perplexity(float("nan"))


def test_cross_entropy_of_logits():
    logits = np.zeros((4, 2, 5))  # uniform over 5
    assert cross_entropy(logits, np.zeros((4, 2), dtype=np.int64)) == pytest.approx(math.log(5))
    logits[..., 3] = 1000.0  # certain of class 3
    assert cross_entropy(logits, np.full((4, 2), 3)) == pytest.approx(0.0, abs=1e-12)


def test_unigram_add_one_by_hand():
    model = NGramModel(1, 3, alpha=1.0).fit(enc("abcab"))  # counts a 2, b 2, c 1 of 5
    np.testing.assert_allclose(model.next_probs([]), [3 / 8, 3 / 8, 2 / 8])
    # "abca" scores its targets b, c, a.
    np.testing.assert_allclose(model.log_probs(enc("abca")), np.log([3 / 8, 2 / 8, 3 / 8]))
    assert model.cross_entropy(enc("abca")) == pytest.approx(-math.log(3 / 8 * 2 / 8 * 3 / 8) / 3)


def test_bigram_add_one_by_hand():
    # Bigrams of "abcab": ab x2, bc, ca.  Row sums: a 2, b 1 (the last b has no successor), c 1.
    model = NGramModel(2, 3, alpha=1.0).fit(enc("abcab"))
    np.testing.assert_allclose(model.next_probs(enc("a")), [1 / 5, 3 / 5, 1 / 5])
    np.testing.assert_allclose(model.log_probs(enc("abca")), np.log([3 / 5, 2 / 4, 2 / 4]))


def test_trigram_lidstone_by_hand_with_a_short_first_context():
    # Trigrams of "abcab": abc, bca, cab, one each; bigram row a: ab x2.
    model = NGramModel(3, 3, alpha=0.5).fit(enc("abcab"))
    expected = [
        (2 + 0.5) / (2 + 1.5),  # b after "a": only one character of context, the bigram
        (1 + 0.5) / (1 + 1.5),  # c after "ab"
        (1 + 0.5) / (1 + 1.5),  # a after "bc"
        (1 + 0.5) / (1 + 1.5),  # b after "ca"
    ]
    np.testing.assert_allclose(model.log_probs(enc("abcab")), np.log(expected))
    # An unseen context falls back to the uniform distribution.
    np.testing.assert_allclose(model.next_probs(enc("cc")), [1 / 3] * 3)


def test_probabilities_sum_to_one_and_more_context_helps_on_text():
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(["abc", "acb", "cab"]) for _ in range(300))  # 3-periodic structure
    ids = enc(text)
    train, val = ids[:600], ids[600:]
    losses = []
    for order in (1, 2, 3):
        alpha, model = tune_alpha(order, 3, train, val)
        assert model.next_probs(ids[:5]).sum() == pytest.approx(1.0)
        losses.append(model.cross_entropy(val))
    assert losses[0] > losses[1] > losses[2]
    assert losses[0] <= uniform_cross_entropy(3) + 1e-3


def test_ngram_errors():
    with pytest.raises(ValueError, match="NGramModel: argument 'order' 5 with V = 103 needs a table"):
        NGramModel(5, 103)
    with pytest.raises(ValueError, match="NGramModel: argument 'alpha' must be a number > 0"):
        NGramModel(2, 3, alpha=0)
    with pytest.raises(ValueError, match="call fit"):
        NGramModel(2, 3).log_probs(enc("ab"))
    with pytest.raises(ValueError, match=r"NGramModel.fit: argument 'ids' must lie in \[0, V\) = \[0, 3\)"):
        NGramModel(2, 3).fit(np.array([0, 1, 3]))
