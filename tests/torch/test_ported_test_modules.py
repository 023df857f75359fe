"""PyTorch's ModuleInfo tests (``test/test_modules.py``) for RNN/LSTM/GRU and the cells,
run against lstmlab.torch and, as a control, torch.nn.

Origin: pytorch/pytorch, ``test/test_modules.py`` (class ``TestModule``) over the
``ModuleInfo`` entries for ``torch.nn.RNN``, ``GRU``, ``LSTM``, ``RNNCell``, ``GRUCell`` and
``LSTMCell`` in ``torch/testing/_internal/common_modules.py``: their sample inputs
(``module_inputs_torch_nn_RNN_GRU``, ``module_inputs_torch_nn_LSTM``,
``module_inputs_torch_nn_RNN_GRU_Cell``, ``module_inputs_torch_nn_LSTMCell``), their
no-batch-dimension reference functions and their error inputs
(``module_error_inputs_torch_nn_RNN_GRU``, ``..._RNN_GRU_Cell``, ``..._LSTMCell``) are
re-expressed below, and each test keeps the assertions of the ``TestModule`` method it
names.  ``torch.testing._internal`` is not imported: it needs test-only packages and is
not a stable API.  CUDA-only tests (test_multiple_device_transfer, test_cpu_gpu_parity)
are left out; test_memory_format does not apply (no channels-last inputs).
"""

from __future__ import annotations

import itertools
import pickle
import re
import tempfile
from copy import deepcopy

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402
from torch.autograd import gradcheck, gradgradcheck  # noqa: E402
from torch.testing import assert_close, make_tensor  # noqa: E402
from torch.utils import _pytree as pytree  # noqa: E402

IMPLS = {"lstmlab": lt, "torch.nn": torch.nn}
SEQUENCE = ["RNN", "GRU", "LSTM"]
CELLS = ["RNNCell", "GRUCell", "LSTMCell"]
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


# -- sample inputs, as in common_modules.py ---------------------------------------------------
class Sample:
    def __init__(self, cons_args, cons_kwargs, fwd_args, reference=None):
        self.cons_args, self.cons_kwargs, self.fwd_args, self.reference = cons_args, cons_kwargs, fwd_args, reference


def _unbatched_reference_rnn_gru(batch_first):
    """no_batch_dim_reference_rnn_gru: the same call with a batch of one, squeezed."""
    def ref(m, inp, h=None):
        out, h_n = m(inp.unsqueeze(0 if batch_first else 1), None if h is None else h.unsqueeze(1))
        return out.squeeze(0 if batch_first else 1), h_n.squeeze(1)
    return ref


def _unbatched_reference_lstm(batch_first):
    """no_batch_dim_reference_lstm."""
    def ref(m, inp, hc=None):
        hc = None if hc is None else (hc[0].unsqueeze(1), hc[1].unsqueeze(1))
        out, (h, c) = m(inp.unsqueeze(0 if batch_first else 1), hc)
        return out.squeeze(0 if batch_first else 1), (h.squeeze(1), c.squeeze(1))
    return ref


def _unbatched_reference_cell(m, inp, h):
    """no_batch_dim_reference_fn for RNNCell/GRUCell."""
    return m(inp.unsqueeze(0), h.unsqueeze(0)).squeeze(0)


def _unbatched_reference_lstmcell(m, inp, hc):
    """no_batch_dim_reference_lstmcell."""
    h, c = m(inp.unsqueeze(0), (hc[0].unsqueeze(0), hc[1].unsqueeze(0)))
    return h.squeeze(0), c.squeeze(0)


def samples(name, dtype, requires_grad):
    make = lambda *shape: make_tensor(shape, device="cpu", dtype=dtype, requires_grad=requires_grad)  # noqa: E731
    out = []
    if name in ("RNN", "GRU"):  # module_inputs_torch_nn_RNN_GRU
        nls = ("relu", "tanh") if name == "RNN" else (None,)
        for nl, b, bf, bidir in itertools.product(nls, (False, True), (False, True), (False, True)):
            kw = dict(input_size=2, hidden_size=2, num_layers=2, batch_first=bf, bias=b, bidirectional=bidir)
            kw_h = dict(kw, hidden_size=3)
            if nl is not None:
                kw["nonlinearity"] = kw_h["nonlinearity"] = nl
            ref = _unbatched_reference_rnn_gru(bf)
            out.append(Sample((), kw, (make(3, 2),), ref))
            out.append(Sample((), kw_h, (make(3, 2), make(4 if bidir else 2, 3)), ref))
    elif name == "LSTM":  # module_inputs_torch_nn_LSTM
        for b, bf, bidir, proj in itertools.product((False, True), (False, True), (False, True), (0, 2)):
            kw = dict(input_size=2, hidden_size=3, num_layers=2, proj_size=proj, batch_first=bf, bias=b,
                      bidirectional=bidir)
            ref = _unbatched_reference_lstm(bf)
            out.append(Sample((), kw, (make(2, 2),), ref))
            h_out, k = proj or 3, 4 if bidir else 2
            out.append(Sample((), kw, (make(3, 2), (make(k, h_out), make(k, 3))), ref))
    elif name in ("RNNCell", "GRUCell"):  # module_inputs_torch_nn_RNN_GRU_Cell
        out.append(Sample((5, 10), {}, (make(5), make(10)), _unbatched_reference_cell))
        out.append(Sample((5, 10), {"bias": True}, (make(5), make(10)), _unbatched_reference_cell))
        if name == "RNNCell":
            out.append(Sample((5, 10), {"bias": True, "nonlinearity": "relu"}, (make(5), make(10)),
                              _unbatched_reference_cell))
    else:  # module_inputs_torch_nn_LSTMCell
        for kw in ({}, {"bias": True}):
            out.append(Sample((5, 10), kw, (make(5), (make(10), make(10))), _unbatched_reference_lstmcell))
    return out


def modes(name):
    """train_and_eval_differ=True for the sequence modules (dropout): both modes are tested."""
    return (True, False) if name in SEQUENCE else (True,)


CASES = [(impl, name, training) for impl in IMPLS for name in SEQUENCE + CELLS for training in modes(name)]
IDS = [f"{impl}-{name}-{'train' if t else 'eval'}" for impl, name, t in CASES]


def build(impl, name, sample, training, **factory):
    m = getattr(IMPLS[impl], name)(*sample.cons_args, **sample.cons_kwargs, **factory)
    m.train(training)
    return m


# -- TestModule -------------------------------------------------------------------------------
@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_forward(impl, name, training, dtype):
    # Origin: TestModule.test_forward (reference = the no-batch-dim reference functions)
    for s in samples(name, dtype, requires_grad=False):
        with torch.random.fork_rng():
            m = build(impl, name, s, training).to(dtype)
            outputs = m(*s.fwd_args)
            assert_close(outputs, s.reference(m, *s.fwd_args))
            (m.float() if dtype == torch.float32 else m.double())(*s.fwd_args)
            for p in m.parameters():
                assert p.device.type == "cpu" and p.dtype == dtype


@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_factory_kwargs(impl, name, training, dtype):
    # Origin: TestModule.test_factory_kwargs (device/dtype reach every parameter), plus
    # TestModule.test_to_empty's first step: building on the meta device allocates nothing.
    for s in samples(name, dtype, requires_grad=False):
        m = build(impl, name, s, training, device="cpu", dtype=dtype)
        assert all(p.device.type == "cpu" and p.dtype == dtype for p in m.parameters())
        meta = build(impl, name, s, training, device="meta")
        assert all(p.is_meta for p in meta.parameters())
        assert [p.shape for p in meta.parameters()] == [p.shape for p in m.parameters()]


@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
def test_repr(impl, name, training):
    # Origin: TestModule.test_repr (repr and str do not raise)
    for s in samples(name, torch.float32, requires_grad=False):
        m = build(impl, name, s, training)
        assert repr(m) and str(m)


@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pickle(impl, name, training, dtype):
    # Origin: TestModule.test_pickle (an unpickled module gives the same output)
    for s in samples(name, dtype, requires_grad=False):
        with torch.random.fork_rng():
            m = build(impl, name, s, training).to(dtype)
            with tempfile.TemporaryFile() as f:
                torch.save(m, f)
                f.seek(0)
                m_copy = torch.load(f, weights_only=False)
            m_pickled = pickle.loads(pickle.dumps(m))
            # Dropout draws differ between calls in training mode (PyTorch's freeze_rng_state):
            # every call starts from the same seed.
            outputs = []
            for module in (m, m_copy, m_pickled):
                torch.manual_seed(1)
                outputs.append(module(*s.fwd_args))
            assert_close(outputs[1], outputs[0])
            assert_close(outputs[2], outputs[0])


def _gradients(impl, name, training, check, every=1, partial_samples=2):
    # Origin: TestModule._test_gradients_helper: the total derivative, then each parameter alone.
    # Cost on a 2-core shared machine: the total derivative runs on every ``every``-th sample,
    # the per-parameter partials on the first ``partial_samples`` of those (PyTorch: all).
    for index, s in enumerate(samples(name, torch.float64, requires_grad=True)[::every]):
        m = build(impl, name, s, training).to(torch.float64)
        params = tuple(m.parameters())
        input_args = s.fwd_args

        def fn(*flat):
            args_and_params = pytree.tree_unflatten(flat, spec)
            with torch.random.fork_rng():
                torch.manual_seed(0)  # freeze_rng_state: the same dropout masks at every call
                return pytree.tree_flatten(m(*args_and_params[:len(input_args)]))[0]

        flat_input, spec = pytree.tree_flatten(input_args + params)
        assert check(fn, flat_input)
        if index >= partial_samples:
            continue
        old = [p.requires_grad for p in params]
        for p in params:
            p.requires_grad = False
        for p, was in zip(params, old):
            p.requires_grad = was
            flat_input, spec = pytree.tree_flatten(input_args + params)
            assert check(fn, flat_input)
            p.requires_grad = False
        for p, was in zip(params, old):
            p.requires_grad = was


@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
def test_grad(impl, name, training):
    # Origin: TestModule.test_grad (float64)
    _gradients(impl, name, training, lambda fn, x: gradcheck(fn, x, check_batched_grad=False),
               every=4, partial_samples=1)


@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
def test_gradgrad(impl, name, training):
    # Origin: TestModule.test_gradgrad (float64)
    _gradients(impl, name, training, lambda fn, x: gradgradcheck(fn, x, check_batched_grad=False),
               every=16, partial_samples=0)


def _grads_of(tree):
    return [t.grad for t in pytree.tree_flatten(tree)[0] if isinstance(t, torch.Tensor) and t.requires_grad]


@pytest.mark.parametrize("impl,name,training", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_non_contiguous_tensors(impl, name, training, dtype):
    # Origin: TestModule.test_non_contiguous_tensors: the same outputs and gradients for
    # non-contiguous inputs and upstream gradients.
    def non_contiguous(tree):
        def one(t):
            if not isinstance(t, torch.Tensor) or t.dim() == 0:
                return t
            out = torch.repeat_interleave(t, 2, dim=-1)[..., ::2].detach()
            out.requires_grad = t.requires_grad
            return out
        return pytree.tree_map(one, tree)

    for s in samples(name, dtype, requires_grad=True):
        m = build(impl, name, s, training).to(dtype)
        args = s.fwd_args
        with torch.random.fork_rng():
            torch.manual_seed(0)
            default_output = m(*args)
        grad_output = pytree.tree_map(lambda o: o.detach().clone().normal_(), default_output)
        for o, g in zip(pytree.tree_flatten(default_output)[0], pytree.tree_flatten(grad_output)[0]):
            o.backward(g, retain_graph=True)
        default_input_grads = deepcopy(_grads_of(args))
        default_param_grads = deepcopy([p.grad for p in m.parameters()])
        assert not non_contiguous(args[0]).is_contiguous()
        for in_args, g_out in itertools.product([args, non_contiguous(args)],
                                                [grad_output, non_contiguous(grad_output)]):
            for t in pytree.tree_flatten(in_args)[0] + list(m.parameters()):
                t.grad = None
            with torch.random.fork_rng():
                torch.manual_seed(0)
                out = m(*in_args)
            for o, g in zip(pytree.tree_flatten(out)[0], pytree.tree_flatten(g_out)[0]):
                o.backward(g, retain_graph=True)
            assert_close(out, default_output)
            assert_close(_grads_of(in_args), default_input_grads, atol=1e-4, rtol=0)
            assert_close([p.grad for p in m.parameters()], default_param_grads)


# -- error inputs, as in common_modules.py ----------------------------------------------------
def error_inputs(name, dtype):
    """(constructor args, constructor kwargs, forward args or None, error type, regex)."""
    if name in SEQUENCE:  # module_error_inputs_torch_nn_RNN_GRU (used for all three)
        other = torch.float64 if dtype == torch.float32 else torch.float32
        return [
            ((10, 0, 1), {}, None, ValueError, "hidden_size must be greater than zero"),
            ((10, 10, 0), {}, None, ValueError, "num_layers must be greater than zero"),
            ((3, 5), {"dtype": dtype}, (make_tensor((2, 4, 3), device="cpu", dtype=other),), ValueError,
             r"RNN input dtype .* does not match weight dtype .* "
             r"Convert input: input\.to\(.*\), or convert model: model\.to\(.*\)"),
            ((3, 5), {"bias": 0}, None, TypeError, "bias should be of type bool, got: int"),
            ((3, 5), {"bias": 1}, None, TypeError, "bias should be of type bool, got: int"),
            ((3, 5), {"bias": "True"}, None, TypeError, "bias should be of type bool, got: str"),
            ((3, 5), {"batch_first": 0}, None, TypeError, "batch_first should be of type bool, got: int"),
            ((3, 5), {"batch_first": 1}, None, TypeError, "batch_first should be of type bool, got: int"),
            ((3, 5), {"batch_first": "False"}, None, TypeError, "batch_first should be of type bool, got: str"),
            ((3.0, 5), {}, None, TypeError, "input_size should be of type int, got: float"),
            (("10", 5), {}, None, TypeError, "input_size should be of type int, got: str"),
            ((0, 5), {}, None, ValueError, "input_size must be greater than zero"),
            ((-1, 5), {}, None, ValueError, "input_size must be greater than zero"),
            ((3, 5.0), {}, None, TypeError, "hidden_size should be of type int, got: float"),
        ]
    make = lambda *shape: make_tensor(shape, device="cpu", dtype=dtype)  # noqa: E731
    if name == "LSTMCell":  # module_error_inputs_torch_nn_LSTMCell
        return [
            ((10, 20), {}, (make(3, 11), (make(3, 20), make(3, 20))), RuntimeError,
             "input has inconsistent input_size: got 11 expected 10"),
            ((10, 20), {}, (make(3, 10), (make(3, 21), make(3, 21))), RuntimeError,
             "hidden0 has inconsistent hidden_size: got 21, expected 20"),
            ((10, 20), {}, (make(3, 10), (make(5, 20), make(5, 20))), RuntimeError,
             "Input batch size 3 doesn't match hidden0 batch size 5"),
            ((10, 20), {}, (make(3, 10), (make(3, 1, 1, 20), make(3, 1, 1, 20))), ValueError,
             r"Expected hx\[0\] to be 1D or 2D, got 4D instead"),
        ]
    cases = [  # module_error_inputs_torch_nn_RNN_GRU_Cell
        ((10, 20), {}, (make(3, 11), make(3, 20)), RuntimeError,
         "input has inconsistent input_size: got 11 expected 10"),
        ((10, 20), {}, (make(3, 10), make(3, 21)), RuntimeError,
         "hidden0 has inconsistent hidden_size: got 21, expected 20"),
        ((10, 20), {}, (make(3, 10), make(5, 20)), RuntimeError,
         "Input batch size 3 doesn't match hidden0 batch size 5"),
        ((10, 20), {}, (make(3, 10), make(3, 1, 1, 20)), ValueError, "Expected hidden to be 1D or 2D, got 4D instead"),
    ]
    if name == "RNNCell":  # the two nonlinearity variants (GRUCell would take 'relu' as bias)
        cases += [((10, 20, True, nl), {}, (make(3, 10), make(3, 21)), RuntimeError,
                   "hidden0 has inconsistent hidden_size: got 21, expected 20") for nl in ("relu", "tanh")]
    return cases


ERROR_CASES = [(impl, name) for impl in IMPLS for name in SEQUENCE + CELLS]


@pytest.mark.parametrize("impl,name", ERROR_CASES, ids=[f"{i}-{n}" for i, n in ERROR_CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_errors(impl, name, dtype):
    # Origin: TestModule.test_errors: the error type and message of every documented error input.
    cls = getattr(IMPLS[impl], name)
    cases = error_inputs(name, dtype)
    assert cases
    for c_args, c_kwargs, fwd_args, error_type, regex in cases:
        if fwd_args is None:
            with pytest.raises(error_type, match=regex):
                cls(*c_args, **c_kwargs)
        else:
            m = cls(*c_args, **c_kwargs)
            with pytest.raises(error_type, match=regex):
                m(*fwd_args)


def test_error_messages_are_searched_not_matched_at_the_start():
    # pytest.raises(match=) uses re.search, as unittest's assertRaisesRegex does, so lstmlab's
    # "LSTM: " prefix before torch.nn's wording is allowed; a changed wording is not.
    assert re.search("hidden_size must be greater than zero", "GRU: hidden_size must be greater than zero, got 0")
    with pytest.raises(AssertionError):
        with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
            raise ValueError("GRU: hidden size should be positive")
