"""Every backward in lstmlab.numpy against centred differences, float64, rel_error <= 1e-7."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstmlab.gradcheck import numerical_gradient, rel_error

from .cells import CELL_IDS, CELLS, Cell, run_forward

THRESHOLD = 1e-7
# Where the analytic gradient is itself tiny because O(1) terms cancel (hypothesis found dx = 4e-5
# at D=1, H=3), the centred difference's rounding noise, about 1e-16 / h = 1e-11 in absolute terms,
# is a relative error above 1e-7 although both gradients agree to 1e-11. So an entry also passes
# when the absolute difference is below this floor: the inputs here are O(1), and a wrong
# backward is off by 1e-3 or more.
ABSOLUTE_FLOOR = 1e-9

SHAPES = [  # (T, N, D, H)
    (4, 3, 5, 6),  # D != H
    (1, 2, 3, 4),  # T = 1
    (5, 1, 2, 3),  # N = 1
    (3, 2, 7, 2),  # D > H
]


def assert_gradients_match(cell: Cell, T, N, D, H, seed) -> None:
    rng = np.random.default_rng(seed)
    inputs = cell.make_inputs(rng, T, N, D, H)
    outputs, cache = run_forward(cell, inputs)
    upstream = cell.upstream(rng, outputs)
    analytic = cell.backward(*upstream, cache)
    assert len(analytic) == len(cell.args)

    def loss_outputs(_):
        # The scalar the backward differentiates is sum_k <output_k, upstream_k>; concatenating
        # the outputs that have an upstream gradient turns it into one array for the check.
        outs, _cache = run_forward(cell, inputs)
        return np.concatenate([o.ravel() for o in outs[: cell.n_upstream]])

    df = np.concatenate([u.ravel() for u in upstream])
    for name, grad in zip(cell.args, analytic):
        assert grad.shape == inputs[name].shape, f"d{name} has the wrong shape"
        numeric = numerical_gradient(loss_outputs, inputs[name], df)
        err = rel_error(numeric, grad)
        worst = np.max(np.abs(numeric - grad), initial=0.0)
        assert err <= THRESHOLD or worst <= ABSOLUTE_FLOOR, (
            f"{cell.name}: d{name} rel_error {err:.2e} > {THRESHOLD} and max |difference| {worst:.2e} > {ABSOLUTE_FLOOR}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}N{}D{}H{}".format(*s))
@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
def test_backward_matches_numerical_gradient(cell, shape):
    assert_gradients_match(cell, *shape, seed=sum(shape))


@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
@given(
    T=st.integers(1, 4), N=st.integers(1, 3), D=st.integers(1, 4), H=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_backward_property_random_shapes(cell, T, N, D, H, seed):
    assert_gradients_match(cell, T, N, D, H, seed)


def test_the_absolute_floor_still_fails_a_wrong_backward():
    """A backward off by a factor 1.001 in one gradient fails, cancellation case or not."""
    cell = next(c for c in CELLS if c.name == "rnn_step")

    def slightly_wrong(*args):
        grads = list(cell.backward(*args))
        grads[0] = grads[0] * 1.001
        return tuple(grads)

    for shape, seed in (((1, 1, 1, 3), 3880056), ((4, 3, 5, 6), 18)):
        with pytest.raises(AssertionError, match="rel_error"):
            assert_gradients_match(dataclasses.replace(cell, backward=slightly_wrong), *shape, seed)


def test_none_initial_state_is_zeros():
    """h0=None / c0=None must behave exactly like explicit zeros."""
    import lstmlab.numpy as ref

    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 4))
    z = np.zeros((2, 5))
    p = ref.init_params("lstm", 4, 5, rng)
    hs_none, cs_none, _ = ref.lstm_forward(x, None, None, **p)
    hs_zero, cs_zero, _ = ref.lstm_forward(x, z, z, **p)
    np.testing.assert_array_equal(hs_none, hs_zero)
    np.testing.assert_array_equal(cs_none, cs_zero)
    for kind in ("rnn", "gru"):
        p = ref.init_params(kind, 4, 5, rng)
        fwd = getattr(ref, f"{kind}_forward")
        np.testing.assert_array_equal(fwd(x, None, **p)[0], fwd(x, z, **p)[0])


def test_sequence_equals_loop_of_steps():
    """The sequence functions are the step functions applied in order (forward and backward)."""
    import lstmlab.numpy as ref

    rng = np.random.default_rng(4)
    T, N, D, H = 4, 2, 3, 5
    x = rng.standard_normal((T, N, D))
    p = ref.init_params("lstm", D, H, rng)
    hs, cs, cache = ref.lstm_forward(x, None, None, **p)
    h = c = np.zeros((N, H))
    caches = []
    for t in range(T):
        h, c, step = ref.lstm_step_forward(x[t], h, c, **p)
        caches.append(step)
        np.testing.assert_allclose(hs[t], h, rtol=0, atol=1e-14)
        np.testing.assert_allclose(cs[t], c, rtol=0, atol=1e-14)
    dhs = rng.standard_normal((T, N, H))
    seq = ref.lstm_backward(dhs, cache)
    dh = dc = np.zeros((N, H))
    dW = [np.zeros_like(v) for v in p.values()]
    for t in reversed(range(T)):
        dx_t, dh, dc, *dparams = ref.lstm_step_backward(dhs[t] + dh, dc, caches[t])
        np.testing.assert_allclose(seq[0][t], dx_t, rtol=0, atol=1e-13)
        dW = [a + b for a, b in zip(dW, dparams)]
    np.testing.assert_allclose(seq[1], dh, atol=1e-13)
    np.testing.assert_allclose(seq[2], dc, atol=1e-13)
    for a, b in zip(seq[3:], dW):
        np.testing.assert_allclose(a, b, atol=1e-12)
