"""lstmlab.grading: each check passes the notebooks' solutions, fails typical mistakes with the
hint that names them, and cannot be fooled by calling the reference or patching numpy."""

from __future__ import annotations

import numpy as np
import pytest

import lstmlab.grading as grading
import lstmlab.numpy as ln

from .expect import failure_message as _fails
from . import solutions as s

RNN, LSTM, GRADIENTS = s.RNN, s.LSTM, s.GRADIENTS


# --------------------------------------------------------------- the solutions pass, quietly

@pytest.mark.parametrize("seed", [0, 7])
def test_notebook_solutions_pass_every_check_without_output(seed, capsys):
    grading.check_rnn_step_forward(RNN["rnn_step_forward"], seed=seed)
    grading.check_rnn_step_backward(RNN["rnn_step_forward"], RNN["rnn_step_backward"], seed=seed)
    grading.check_rnn_forward(RNN["rnn_forward"], seed=seed)
    grading.check_rnn_backward(RNN["rnn_forward"], RNN["rnn_backward"], seed=seed)
    grading.check_lstm_step_forward(LSTM["lstm_step_forward"], seed=seed)
    grading.check_lstm_step_backward(LSTM["lstm_step_forward"], LSTM["lstm_step_backward"], seed=seed)
    grading.check_lstm_forward(LSTM["lstm_forward"], seed=seed)
    grading.check_lstm_backward(LSTM["lstm_forward"], LSTM["lstm_backward"], seed=seed)
    grading.check_hidden_grad_norms(GRADIENTS["hidden_grad_norms"], seed=seed)
    grading.check_clip_grad_norm(GRADIENTS["clip_grad_norm"], seed=seed)
    grading.check_clip_grad_value(GRADIENTS["clip_grad_value"], seed=seed)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_warnings_of_the_learner_go_to_stdout_not_stderr(capsys):
    def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
        H = h_prev.shape[1]
        a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        i, f, o = (s.sigmoid_naive(a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        c = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
        return o * np.tanh(c), c, None

    grading.check_lstm_step_forward(lstm_step_forward)  # right answer, overflow warnings on large inputs
    out = capsys.readouterr()
    assert out.err == ""
    assert "RuntimeWarning: overflow encountered in exp" in out.out
    assert "np.exp(-np.abs(a))" in out.out


# --------------------------------------------------------------- typical mistakes and their hints

def test_swapped_gates_are_named():
    msg = _fails(grading.check_lstm_step_forward, s.lstm_step_forward_ifog)
    assert "output h: max abs error" in msg
    assert "largest error at h[" in msg and "expected" in msg
    assert "slices the pre-activation as i, f, o, g" in msg


def test_missing_tanh_on_cell_state_is_named():
    msg = _fails(grading.check_lstm_forward, s.lstm_forward_no_tanh)
    assert "output hs" in msg and "tanh on the cell state is missing" in msg


def test_dropped_cell_state_gradient_is_named():
    msg = _fails(grading.check_lstm_backward, LSTM["lstm_forward"], s.lstm_backward_no_dc_carry)
    assert "gradient carried along the cell state is dropped" in msg


def test_batch_major_loop_is_named():
    msg = _fails(grading.check_rnn_forward, s.rnn_forward_batch_major)
    assert "batch-major" in msg and "time-major" in msg


def test_missing_w_hh_in_dh_prev_is_named():
    msg = _fails(grading.check_rnn_step_backward, RNN["rnn_step_forward"], s.rnn_step_backward_no_whh)
    assert "output dh_prev" in msg and "the W_hh factor is missing" in msg


def test_unsummed_weight_gradient_is_named_and_partial_credit_is_per_gradient():
    grading.check_rnn_backward(RNN["rnn_forward"], s.rnn_backward_no_sum, grads=("dx", "dh0"))  # right parts pass
    msg = _fails(grading.check_rnn_backward, RNN["rnn_forward"], s.rnn_backward_no_sum, grads=("dW_hh",))
    assert "output dW_hh" in msg and "sums over t" in msg


def test_backward_check_reports_a_wrong_forward_first():
    def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
        hs, cache = RNN["rnn_forward"](x, h0, W_ih, W_hh, b_ih, b_hh)
        return hs * 2, cache

    msg = _fails(grading.check_rnn_backward, rnn_forward, RNN["rnn_backward"])
    assert "rnn_backward can't be checked until rnn_forward is right" in msg


# --------------------------------------------------------------- strict types and shapes

class FakeArray:
    shape = (1,)

    def __eq__(self, other):
        return True


@pytest.mark.parametrize("bad, expected", [
    (lambda hs: FakeArray(), "returned hs as a FakeArray; expected a numpy.ndarray"),
    (lambda hs: hs.tolist(), "returned hs as a list"),
    (lambda hs: hs.astype(np.float32), "dtype float32; expected float64"),
    (lambda hs: hs[:, :, :-1], "with shape"),
    (lambda hs: np.ma.masked_array(hs), "a subclass of numpy.ndarray"),
])
def test_wrong_type_dtype_or_shape_fails_with_a_clear_message(bad, expected):
    def rnn_forward(*args):
        hs, cache = RNN["rnn_forward"](*args)
        return bad(hs), cache

    assert expected in _fails(grading.check_rnn_forward, rnn_forward)


def test_wrong_number_of_outputs_and_exceptions_are_explained():
    msg = _fails(grading.check_rnn_forward, lambda *a: RNN["rnn_forward"](*a)[0])
    assert "expected a tuple (hs, cache)" in msg
    def rnn_forward(*args):
        return 1 / 0

    msg = _fails(grading.check_rnn_forward, rnn_forward)
    assert "raised ZeroDivisionError" in msg and "(raised in rnn_forward, line" in msg and "return 1 / 0" in msg


def test_failures_show_a_short_traceback():
    import traceback

    with pytest.raises(AssertionError) as info:
        grading.check_rnn_forward(s.rnn_forward_batch_major)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert len(frames) <= 2 and info.value.__cause__ is None and info.value.__suppress_context__


def test_modifying_an_input_in_place_fails():
    def rnn_step_backward(dh, cache):
        dh *= 2
        return RNN["rnn_step_backward"](dh / 2, cache)

    msg = _fails(grading.check_rnn_step_backward, RNN["rnn_step_forward"], rnn_step_backward)
    assert "modified its input 'dh' in place" in msg


def test_grads_argument_is_validated():
    with pytest.raises(ValueError, match=r"grads: expected a tuple of gradient names from .*'dW_hh'.*got \('dw',\)"):
        grading.check_rnn_backward(RNN["rnn_forward"], RNN["rnn_backward"], grads=("dw",))


# --------------------------------------------------------------- no cheating

@pytest.mark.parametrize("check, fn", [
    (grading.check_rnn_forward, lambda *a: ln.rnn_forward(*a)),
    (grading.check_lstm_step_forward, lambda *a: ln.lstm_step_forward(*a)),
    (grading.check_lstm_forward, lambda *a: ln.lstm_forward(*a)),
])
def test_calling_the_reference_fails(check, fn):
    msg = _fails(check, fn)
    assert "called lstmlab's reference implementation" in msg and "lstmlab/numpy/" in msg


def test_calling_the_reference_backward_fails():
    msg = _fails(grading.check_lstm_backward, lambda *a: ln.lstm_forward(*a), lambda d, c: ln.lstm_backward(d, c))
    assert "lstmlab/numpy/lstm.py" in msg


def test_patched_numpy_does_not_make_a_wrong_answer_pass(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    msg = _fails(grading.check_rnn_forward, lambda x, h0, *w: (np.zeros(x.shape[:2] + h0.shape[1:]), None))
    assert "numpy has been modified" in msg and "numpy.allclose" in msg and "testing.assert_allclose" in msg


def test_patched_numpy_function_used_by_the_reference_is_detected(monkeypatch):
    monkeypatch.setattr(np, "tanh", lambda a: a)  # would make a tanh-less RNN "right"
    msg = _fails(grading.check_rnn_forward, RNN["rnn_forward"])
    assert "numpy.tanh" in msg


def test_the_public_checks_cannot_be_rebound():
    with pytest.raises(AttributeError, match="read-only"):
        grading.check_rnn_forward = lambda *a, **k: None
    with pytest.raises(AttributeError, match="read-only"):
        del grading.fresh


def test_fresh_copy_ignores_tampering_with_the_loaded_modules(monkeypatch):
    monkeypatch.setitem(vars(grading), "check_rnn_forward", lambda *a, **k: None)  # bypasses the lock
    monkeypatch.setattr(grading._safe, "Comparison", None)
    monkeypatch.setattr(ln, "rnn_forward", lambda *a: (None, None))
    private = grading.fresh()
    assert private.check_rnn_forward is not grading.check_rnn_forward
    private.check_rnn_forward(RNN["rnn_forward"], seed=5)  # still passes the right answer
    msg = _fails(private.check_rnn_forward, s.rnn_forward_batch_major)
    assert "batch-major" in msg


# --------------------------------------------------------------- the gradients assignment

def test_clip_grad_norm_mistakes():
    def per_array(grads, max_norm):
        out = {k: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for k, g in grads.items()}
        return out, float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))

    assert "clips each array to max_norm separately" in _fails(grading.check_clip_grad_norm, per_array)

    def norm_after(grads, max_norm):
        clipped, _ = GRADIENTS["clip_grad_norm"](grads, max_norm)
        return clipped, float(np.sqrt(sum(np.sum(g**2) for g in clipped.values())))

    assert "norm measured before clipping" in _fails(grading.check_clip_grad_norm, norm_after)

    def in_place(grads, max_norm):
        clipped, total = GRADIENTS["clip_grad_norm"](grads, max_norm)
        for k in grads:
            grads[k][...] = clipped[k]
        return grads, total

    assert "modified its input 'grads' in place" in _fails(grading.check_clip_grad_norm, in_place)


def test_clip_grad_value_mistakes():
    one_sided = lambda grads, clip: {k: np.minimum(g, clip) for k, g in grads.items()}  # noqa: E731
    assert "clip on both sides" in _fails(grading.check_clip_grad_value, one_sided)
    as_list = lambda grads, clip: [np.clip(g, -clip, clip) for g in grads.values()]  # noqa: E731
    assert "expected a dict" in _fails(grading.check_clip_grad_value, as_list)


def test_hidden_grad_norms_reversed_is_named():
    reversed_norms = lambda *a: GRADIENTS["hidden_grad_norms"](*a)[::-1].copy()  # noqa: E731
    assert "norms[t] belongs to step t" in _fails(grading.check_hidden_grad_norms, reversed_norms)


def test_clipping_rescue_and_adding_checks():
    grading.check_clipping_rescue([4.0] * 20, [4.0] * 10 + [0.01] * 10, target=0.05)
    assert "did not blow up" not in _fails(grading.check_clipping_rescue, [4.0] * 20, [4.0] * 20, target=0.05)
    message = _fails(grading.check_clipping_rescue, [0.01] * 20, [0.01] * 20, target=0.05)
    assert "shows nothing about clipping" in message
    msg = _fails(grading.check_adding_predictions, lambda x: np.ones((x.shape[1], 1)), target_mse=0.01, T=10)
    assert "MSE 0.1" in msg and "needs < 0.01" in msg
    msg = _fails(grading.check_adding_predictions, lambda x: np.ones(x.shape[1]), target_mse=0.01, T=10)
    assert "shape (512,); expected (N, 1) = (512, 1)" in msg


# --------------------------------------------------------------- the reference's stand-ins

def test_variants_without_flags_reproduce_the_reference():
    from lstmlab.grading import _variants

    rng = np.random.default_rng(3)
    T, N, D, H = 4, 3, 2, 5
    x, h0, c0, dhs = (rng.standard_normal(sh) for sh in ((T, N, D), (N, H), (N, H), (T, N, H)))
    p = ln.init_params("lstm", D, H, rng)
    hs, cs, cache = _variants.lstm_forward(x, h0, c0, *p.values())
    ref_hs, ref_cs, ref_cache = ln.lstm_forward(x, h0, c0, *p.values())
    np.testing.assert_allclose(hs, ref_hs, atol=1e-13)
    for mine, theirs in zip(_variants.lstm_backward(dhs, cache), ln.lstm_backward(dhs, ref_cache)):
        np.testing.assert_allclose(mine, theirs, atol=1e-12)
    p = ln.init_params("rnn", D, H, rng)
    hs, cache = _variants.rnn_forward(x, h0, *p.values())
    ref_hs, ref_cache = ln.rnn_forward(x, h0, *p.values())
    np.testing.assert_allclose(hs, ref_hs, atol=1e-13)
    for mine, theirs in zip(_variants.rnn_backward(dhs, cache), ln.rnn_backward(dhs, ref_cache)):
        np.testing.assert_allclose(mine, theirs, atol=1e-12)


def test_step_mistakes_are_named():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):  # b_hh forgotten
        return RNN["rnn_step_forward"](x, h_prev, W_ih, W_hh, b_ih, 0 * b_hh)

    assert "(b_hh is missing)" in _fails(grading.check_rnn_step_forward, rnn_step_forward)

    def lstm_step_backward(dh, dc, cache):  # the dc argument ignored
        return LSTM["lstm_step_backward"](dh, 0 * dc, cache)

    msg = _fails(grading.check_lstm_step_backward, LSTM["lstm_step_forward"], lstm_step_backward,
                 grads=("dc_prev",))
    assert "output dc_prev" in msg and "the dc argument (gradient arriving along the cell state) is ignored" in msg


@pytest.mark.parametrize("name", ["rnn_step_forward", "rnn_forward", "lstm_step_forward", "lstm_forward"])
def test_every_forward_check_refuses_the_reference(name):
    reference = getattr(ln, name)
    msg = _fails(getattr(grading, f"check_{name}"), lambda *a: reference(*a))
    assert f"lstmlab/numpy/{name.split('_')[0]}.py" in msg


def test_adding_check_uses_its_own_data(monkeypatch):
    import lstmlab.data

    easy = lstmlab.data.Batch(x=np.zeros((10, 512, 2)), y=np.zeros((512, 1)))
    monkeypatch.setattr(lstmlab.data, "adding_problem", lambda *a, **k: easy)
    msg = _fails(grading.check_adding_predictions, lambda x: np.zeros((x.shape[1], 1)), target_mse=0.01, T=10)
    assert "needs < 0.01" in msg


def test_patched_random_generator_is_detected(monkeypatch):
    monkeypatch.setattr(np.random, "default_rng", lambda *a, **k: None)
    assert "numpy.random.default_rng" in _fails(grading.check_rnn_forward, RNN["rnn_forward"])


@pytest.mark.parametrize("name", [n for n in grading.__all__ if n.startswith("check_")])
def test_every_check_refuses_to_run_on_a_patched_numpy(name, monkeypatch):
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    args = {"check_clipping_rescue": ([4.0] * 20, [0.0] * 20, 0.05),
            "check_adding_predictions": (lambda x: None, 0.01, 10),
            "check_charlm_bpc": (lambda x: None, ["a"], 2.3)}.get(name, (lambda *a: None,))
    if name in ("check_encode", "check_bits_per_char", "check_window_step"):  # (function, its upstream)
        args = (lambda *a: None, lambda *a: None)
    if name.endswith("backward"):
        args = (lambda *a: None, lambda *a: None)
    msg = _fails(getattr(grading, name), *args)
    assert "numpy has been modified in this notebook: numpy.isclose" in msg and "restart the kernel" in msg
