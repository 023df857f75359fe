"""Sampling: temperature -> 0 is argmax, top-k, and sample statistics match the model's
probabilities (a chi-square test with a fixed seed, which a wrong temperature fails)."""

import math

import numpy as np
import pytest

from lstmlab.lm import chi_square, generate, sample_next, sampling_probs
from lstmlab.numpy import softmax

LOGITS = np.array([1.5, -0.3, 0.2, 2.0, -2.0, 0.0])


def test_chi_square_p_values_match_tables():
    # p = 0.05 critical values of the chi-square distribution (statistical tables).
    for dof, critical in ((1, 3.841), (4, 9.488), (10, 18.307), (100, 124.342)):
        counts = np.full(dof + 1, 1000.0)
        probs = np.full(dof + 1, 1.0 / (dof + 1))
        assert chi_square(counts, probs) == (0.0, dof, pytest.approx(1.0))
        from lstmlab.lm.sampling import _gamma_q

        assert _gamma_q(dof / 2, critical / 2) == pytest.approx(0.05, abs=2e-4)


def test_temperature_one_is_the_softmax_and_zero_is_argmax():
    np.testing.assert_allclose(sampling_probs(LOGITS, 1.0), softmax(LOGITS), rtol=1e-12)
    assert list(sampling_probs(LOGITS, 0.0)) == [0, 0, 0, 1, 0, 0]
    for tau in (0.5, 0.1, 0.02):
        p = sampling_probs(LOGITS, tau)
        assert p.argmax() == 3
    assert sampling_probs(LOGITS, 0.02)[3] > 1 - 1e-10  # the limit tau -> 0 is the argmax
    assert sampling_probs(LOGITS, 0.5)[3] > sampling_probs(LOGITS, 1.0)[3] > sampling_probs(LOGITS, 2.0)[3]
    rows = np.random.default_rng(1).standard_normal((50, 6))
    np.testing.assert_array_equal(sample_next(rows, 0, temperature=0.0), rows.argmax(axis=1))


def test_top_k_keeps_only_the_k_best():
    p = sampling_probs(LOGITS, 1.0, top_k=2)
    assert set(np.nonzero(p)[0]) == {0, 3}
    np.testing.assert_allclose(p[[0, 3]], softmax(LOGITS[[0, 3]]))
    draws = sample_next(np.tile(LOGITS, (2000, 1)), 0, top_k=2)
    assert set(np.unique(draws)) == {0, 3}


@pytest.mark.parametrize("tau,top_k", [(1.0, None), (0.7, None), (1.8, None), (1.0, 3)])
def test_sample_frequencies_match_the_probabilities(tau, top_k):
    n = 20_000
    draws = sample_next(np.tile(LOGITS, (n, 1)), np.random.default_rng(1234), temperature=tau, top_k=top_k)
    counts = np.bincount(draws, minlength=6)
    stat, dof, p = chi_square(counts, sampling_probs(LOGITS, tau, top_k))
    assert p > 0.01, (stat, dof, p)
    # The test has power: the same draws against a distribution that applies the temperature
    # after the softmax (probabilities divided by tau: unchanged) are rejected at tau != 1.
    if tau != 1.0:
        _, _, p_wrong = chi_square(counts, softmax(LOGITS))
        assert p_wrong < 1e-6


def test_generate_greedy_follows_a_deterministic_chain():
    # A "model" whose logits point at (previous id + 1) mod V.
    V = 5

    def step(ids, state):
        logits = np.full((len(ids), V), -5.0)
        logits[np.arange(len(ids)), (ids + 1) % V] = 5.0
        return logits, (state or 0) + 1

    ids, logps = generate(step, None, np.array([[0, 2]]), 6, rng=0, temperature=0.0)
    np.testing.assert_array_equal(ids[:, 0], [1, 2, 3, 4, 0, 1])
    np.testing.assert_array_equal(ids[:, 1], [3, 4, 0, 1, 2, 3])
    assert logps.shape == (6, 2)
    np.testing.assert_allclose(logps, np.log(softmax(np.array([5.0] + [-5.0] * 4)))[0])


def test_sampling_errors():
    with pytest.raises(ValueError, match="sampling_probs: argument 'temperature' must be a number >= 0"):
        sampling_probs(LOGITS, -1.0)
    with pytest.raises(ValueError, match=r"sampling_probs: argument 'top_k' must be None or an int in \[1, V\]"):
        sampling_probs(LOGITS, 1.0, top_k=7)
    with pytest.raises(ValueError, match="generate: argument 'prime' must be"):
        generate(lambda i, s: (None, s), None, np.array([1, 2]), 3, rng=0)
    assert math.isinf(chi_square(np.array([1, 1]), np.array([1.0, 0.0]))[0])
