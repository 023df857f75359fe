"""The NumPy character model: gradients by centred differences, the carried state equals one
long pass, the truncation at window boundaries, sampling steps, errors."""

import numpy as np
import pytest

from lstmlab.gradcheck import numerical_gradient_scalar, rel_error
from lstmlab.lm import generate
from lstmlab.lm.model import (
    cell_of,
    charlm_forward,
    charlm_loss_and_grads,
    charlm_step,
    init_charlm,
)

V, H = 7, 5


def window(seed, T=6, N=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, V, (T, N)), rng.integers(0, V, (T, N))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embed", [None, 4])
def test_gradients_match_centred_differences(cell, embed):
    params = init_charlm(cell, V, H, embed, seed=1)
    assert cell_of(params) == cell
    x, y = window(0)
    _, _, state = charlm_loss_and_grads(params, *window(1))  # a non-zero incoming state
    _, grads, _ = charlm_loss_and_grads(params, x, y, state)
    assert set(grads) == set(params)
    for key in params:
        num = numerical_gradient_scalar(lambda _: charlm_loss_and_grads(params, x, y, state)[0], params[key])
        assert rel_error(num, grads[key]) < 1e-7, key


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_carried_state_equals_one_long_pass(cell):
    params = init_charlm(cell, V, H, 3, seed=2)
    x = np.random.default_rng(3).integers(0, V, (12, 2))
    whole, final, _ = charlm_forward(params, x)
    first, state, _ = charlm_forward(params, x[:5])
    second, final2, _ = charlm_forward(params, x[5:], state)
    np.testing.assert_allclose(np.concatenate([first, second]), whole, rtol=0, atol=1e-13)
    for a, b in zip(final, final2):
        np.testing.assert_allclose(a, b, atol=1e-13)
    reset, _, _ = charlm_forward(params, x[5:])  # a reset state gives other logits
    assert np.abs(reset - whole[5:]).max() > 1e-3


def test_gradient_stops_at_the_window_boundary():
    """Truncated BPTT: the gradient of window 2 does not depend on window 1's inputs, even
    though its loss does (through the carried state)."""
    params = init_charlm("lstm", V, H, None, seed=4)
    x1, y1 = window(5)
    x1b = x1.copy()
    x1b[-1] = (x1b[-1] + 1) % V  # change the last inputs of window 1
    x2, y2 = window(6)
    _, _, s = charlm_loss_and_grads(params, x1, y1)
    _, _, sb = charlm_loss_and_grads(params, x1b, y1)
    loss, grads, _ = charlm_loss_and_grads(params, x2, y2, s)
    loss_b, grads_b, _ = charlm_loss_and_grads(params, x2, y2, sb)
    assert loss != loss_b  # the state carries information across the boundary...
    # ...but the gradient treats the incoming state as a constant: it matches the derivative
    # with s held fixed, not the derivative of the loss through both windows.
    num_fixed = numerical_gradient_scalar(lambda _: charlm_loss_and_grads(params, x2, y2, s)[0], params["W_hh"])

    def through_both(_):
        _, _, s_w = charlm_loss_and_grads(params, x1, y1)
        return charlm_loss_and_grads(params, x2, y2, s_w)[0]

    num_full = numerical_gradient_scalar(through_both, params["W_hh"])
    assert rel_error(num_fixed, grads["W_hh"]) < 1e-7
    assert rel_error(num_full, grads["W_hh"]) > 1e-3


def test_step_function_reproduces_the_forward_and_generates():
    params = init_charlm("gru", V, H, 4, seed=7)
    x = np.random.default_rng(8).integers(0, V, (5, 2))
    logits, _, _ = charlm_forward(params, x)
    step, state = charlm_step(params), None
    for t in range(5):
        out, state = step(x[t], state)
        np.testing.assert_allclose(out, logits[t], atol=1e-13)
    ids, logps = generate(charlm_step(params), None, x[:2], 10, rng=0)
    assert ids.shape == (10, 2) and np.all(logps < 0)
    ids2, _ = generate(charlm_step(params), None, x[:2], 10, rng=0)
    np.testing.assert_array_equal(ids, ids2)  # seeded


def test_model_errors():
    params = init_charlm("lstm", V, H, seed=0)
    with pytest.raises(ValueError, match=r"charlm_forward: argument 'x' must be integer ids of shape \(T, N\)"):
        charlm_forward(params, np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"charlm_forward: argument 'x' must lie in \[0, V\) = \[0, 7\)"):
        charlm_forward(params, np.full((2, 2), 7))
    with pytest.raises(ValueError, match=r"charlm_forward: argument 'state' must be None or a tuple of 2"):
        charlm_forward(params, np.zeros((2, 2), dtype=np.int64), (np.zeros((2, H)),))
    with pytest.raises(ValueError, match=r"charlm_forward: argument 'state\[1\]' should have shape \(N, H\) = \(2, 5"):
        charlm_forward(params, np.zeros((2, 2), dtype=np.int64), (np.zeros((2, H)), np.zeros((3, H))))
    with pytest.raises(ValueError, match=r"charlm_loss_and_grads: argument 'y' must be integer ids of shape "
                                         r"\(T, N\) = \(2, 2\)"):
        charlm_loss_and_grads(params, np.zeros((2, 2), dtype=np.int64), np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="init_charlm: argument 'cell' must be one of"):
        init_charlm("transformer", V, H)
