"""PyTorch's own RNN tests from ``test/test_nn.py``, run against lstmlab.torch and torch.nn.

Each test below is a port of the PyTorch test named in its comment (from the
pytorch/pytorch repository, ``test/test_nn.py``, classes ``TestNN`` and
``TestNNDeviceType``), re-expressed for pytest: ``self.assertEqual`` became
``torch.testing.assert_close`` (same default tolerances) or ``==``, ``assertRaises``
became ``pytest.raises``, device loops run on the CPU only.  The assertions are
PyTorch's; where a PyTorch test is a smoke test with none, the port adds the weakest
check that can fail (gradients exist).  Every test takes ``nn``, the namespace of the
implementation under test: ``lstmlab.torch`` and, as a control, ``torch.nn`` itself.

Left out (they need CUDA or cuDNN internals): test_cudnn_weight_format,
test_cudnn_weight_tying, test_RNN_cpu_vs_cudnn_*, test_RNN_cudnn_weight_norm,
test_partial_flat_weights, test_rnn_check_device, test_projections_lstm_check_device,
test_cudnn_rnn_dropout_states_device, test_pack_sequence_batch_sizes_throw,
test_lstmcell_backward_only_one_output_grad (onlyCUDA), test_device_mask and
test_LSTM_differentiable_backward_using_oneDNN (toggles oneDNN inside torch.nn).
"""

from __future__ import annotations

import io
import random

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402
from torch.autograd import gradcheck, gradgradcheck  # noqa: E402
from torch.nn.utils import rnn as rnn_utils  # noqa: E402
from torch.testing import assert_close  # noqa: E402

IMPLS = {"lstmlab": lt, "torch.nn": torch.nn}
# torch.nn's CPU LSTM warns that projections bypass oneDNN; the control runs need no warning.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


@pytest.fixture(params=list(IMPLS))
def nn(request):
    """The namespace whose RNN, LSTM, GRU and cells are under test."""
    return IMPLS[request.param]


@pytest.fixture
def double_default():
    """``@set_default_dtype(torch.double)`` of the PyTorch tests."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.double)
    yield
    torch.set_default_dtype(old)


def assert_not_equal(a, b):
    """``self.assertNotEqual`` on tensors: they must differ somewhere."""
    with pytest.raises(AssertionError):
        assert_close(a, b)


# -- TestNN ----------------------------------------------------------------------------------
def test_RNN_cell(nn):
    # Origin: TestNN.test_RNN_cell (a smoke test; the port asserts the gradients exist).
    for module in (nn.RNNCell, nn.GRUCell):
        for bias in (True, False):
            input = torch.randn(3, 10)
            hx = torch.randn(3, 20)
            cell = module(10, 20, bias=bias)
            for _ in range(6):
                hx = cell(input, hx)
            hx.sum().backward()
            assert all(p.grad is not None for p in cell.parameters())


def test_RNN_cell_forward_zero_hidden_size(nn):
    # Origin: TestNN.test_RNN_cell_forward_zero_hidden_size
    input = torch.randn(3, 10)
    hx = torch.randn(3, 0)
    for cell in (nn.RNNCell(10, 0, nonlinearity="relu"), nn.RNNCell(10, 0, nonlinearity="tanh"),
                 nn.GRUCell(10, 0)):
        assert cell(input, hx).shape == torch.Size([3, 0])


def test_RNN_cell_no_broadcasting(nn):
    # Origin: TestNN.test_RNN_cell_no_broadcasting
    def check(cell_module, input, hx, input_size, hidden_size):
        cell = cell_module(input_size, hidden_size)
        with pytest.raises(RuntimeError):
            cell(input, hx)

    def check_all(hidden_size, bad_hx, good_hx, input_size, input):
        check(nn.RNNCell, input, bad_hx, input_size, hidden_size)
        check(nn.GRUCell, input, bad_hx, input_size, hidden_size)
        check(nn.LSTMCell, input, (bad_hx, good_hx), input_size, hidden_size)
        check(nn.LSTMCell, input, (good_hx, bad_hx), input_size, hidden_size)

    hidden_size, input_size = 20, 10
    input = torch.randn(3, input_size)
    bad_hx, good_hx = torch.randn(1, hidden_size), torch.randn(3, hidden_size)
    check_all(hidden_size, bad_hx, good_hx, input_size, input)  # hidden/input batch size
    check_all(hidden_size, torch.randn(3, 1), good_hx, input_size, input)  # hx's hidden size
    check_all(hidden_size, good_hx, good_hx, input_size, torch.randn(3, 1))  # input's size


def test_LSTM_cell(nn):
    # Origin: TestNN.test_LSTM_cell (a smoke test; the port asserts the gradients exist).
    for bias in (True, False):
        input = torch.randn(3, 10)
        hx, cx = torch.randn(3, 20), torch.randn(3, 20)
        lstm = nn.LSTMCell(10, 20, bias=bias)
        for _ in range(6):
            hx, cx = lstm(input, (hx, cx))
        (hx + cx).sum().backward()
        assert all(p.grad is not None for p in lstm.parameters())


def test_LSTM_cell_forward_input_size(nn):
    # Origin: TestNN.test_LSTM_cell_forward_input_size
    lstm = nn.LSTMCell(10, 20)
    with pytest.raises(RuntimeError):  # PyTorch: assertRaises(Exception); both raise RuntimeError
        lstm(torch.randn(3, 11), (torch.randn(3, 20), torch.randn(3, 20)))


def test_LSTM_cell_forward_hidden_size(nn):
    # Origin: TestNN.test_LSTM_cell_forward_hidden_size
    input, hx, cx = torch.randn(3, 10), torch.randn(3, 21), torch.randn(3, 20)
    lstm = nn.LSTMCell(10, 20)
    with pytest.raises(RuntimeError):  # PyTorch: assertRaises(Exception); both raise RuntimeError
        lstm(input, (hx, cx))
    with pytest.raises(RuntimeError):  # PyTorch: assertRaises(Exception); both raise RuntimeError
        lstm(input, (cx, hx))


def test_cudnn_forward_exception(nn):
    # Origin: TestNN.test_cudnn_forward_exception (no decorator: it runs on the CPU too).
    rnns = [
        (nn.LSTM(10, 20, batch_first=True), (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19))),
        (nn.LSTM(10, 20, batch_first=True, proj_size=10), (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19))),
        (nn.GRU(10, 20, batch_first=True), torch.zeros(1, 2, 19)),
        (nn.RNN(10, 20, batch_first=True), torch.zeros(1, 2, 19)),
    ]
    x_wrong, x_right = torch.randn(2, 3, 3), torch.randn(2, 3, 10)
    for rnn, hidden in rnns:
        with pytest.raises(RuntimeError, match="Expected hidden.*size.*got"):
            rnn(x_right, hidden)
        with pytest.raises(RuntimeError, match=r"input\.size\(-1\) must be equal to input_size"):
            rnn(x_wrong)


def _update_shape(shape, dim, size):
    shape = list(shape)
    shape[dim] = size
    return tuple(shape)


def test_rnn_args_check(nn):
    # Origin: TestNN.test_rnn_args_check
    input_size, hidden_size, num_layers, batch_size, seq_len, bad_size = 3, 5, 2, 4, 6, 7
    good_input = (seq_len, batch_size, input_size)
    good_hidden = (num_layers, batch_size, hidden_size)

    def inputs(input_shape, hidden_shape, mode):
        input, hidden = torch.randn(input_shape), torch.randn(hidden_shape)
        if mode != "LSTM":
            return [(input, hidden)]
        if hidden_shape == good_hidden:
            return [(input, (hidden, hidden))]
        good = torch.randn(good_hidden)
        return [(input, (hidden, good)), (input, (good, hidden))]

    def check(input_shape, hidden_shape, mode):
        for input, hidden in inputs(input_shape, hidden_shape, mode):
            model = getattr(nn, mode)(input_size, hidden_size, num_layers)
            with pytest.raises(RuntimeError):
                model(input, hidden)

    for mode in ("RNN", "GRU", "LSTM"):
        check(_update_shape(good_input, 1, bad_size), good_hidden, mode)  # input batch size
        check(good_input, _update_shape(good_hidden, 1, bad_size), mode)  # hidden batch size
        check(_update_shape(good_input, 2, bad_size), good_hidden, mode)  # input size
        check(good_input, _update_shape(good_hidden, 2, bad_size), mode)  # hidden size
        check(good_input, _update_shape(good_hidden, 0, bad_size), mode)  # hidden[0]


def test_projections_lstm_args_check(nn):
    # Origin: TestNN.test_projections_lstm_args_check
    input_size, hidden_size, proj_size, num_layers, batch_size, seq_len, bad_size = 3, 5, 2, 2, 4, 6, 7
    good_input = (seq_len, batch_size, input_size)
    good_h = (num_layers, batch_size, proj_size)
    good_c = (num_layers, batch_size, hidden_size)

    def check(input_shape, h_shape, c_shape):
        model = nn.LSTM(input_size, hidden_size, num_layers, proj_size=proj_size)
        with pytest.raises(RuntimeError):
            model(torch.randn(input_shape), (torch.randn(h_shape), torch.randn(c_shape)))

    check(_update_shape(good_input, 1, bad_size), good_h, good_c)
    check(good_input, _update_shape(good_h, 1, bad_size), _update_shape(good_c, 1, bad_size))
    check(_update_shape(good_input, 2, bad_size), good_h, good_c)
    check(good_input, _update_shape(good_h, 2, bad_size), _update_shape(good_c, 2, bad_size))
    check(good_input, _update_shape(good_h, 0, bad_size), _update_shape(good_c, 0, bad_size))
    check(good_input, _update_shape(good_h, 0, hidden_size), good_c)  # proj size = hidden size
    check(good_input, _update_shape(good_h, 0, bad_size), good_c)
    check(good_input, good_h, _update_shape(good_c, 0, bad_size))


def test_rnn_initial_hidden_state(nn):
    # Origin: TestNN.test_rnn_initial_hidden_state
    for mode in ("RNN", "GRU", "LSTM"):
        rnn = getattr(nn, mode)(30, 20, 2)
        input, hidden = torch.randn(10, 32, 30), torch.zeros(2, 32, 20)
        if mode == "LSTM":
            hidden = (hidden, hidden)
        output1, hidden1 = rnn(input, hidden)
        output2, hidden2 = rnn(input)
        assert_close(output1, output2)
        assert_close(hidden1, hidden2)


def test_projections_lstm_initial_hidden_state(nn):
    # Origin: TestNN.test_projections_lstm_initial_hidden_state
    for bidir in (False, True):
        rnn = nn.LSTM(30, 20, 2, bidirectional=bidir, proj_size=10)
        k = 2 if bidir else 1
        input = torch.randn(10, 32, 30)
        hidden = (torch.zeros(2 * k, 32, 10), torch.zeros(2 * k, 32, 20))
        output1, hidden1 = rnn(input, hidden)
        output2, hidden2 = rnn(input)
        assert_close(output1, output2)
        assert_close(hidden1, hidden2)


def test_projections_errors_on_gru_and_rnn(nn):
    # Origin: TestNN.test_projections_errors_on_gru_and_rnn
    for mode in ("RNN", "GRU"):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
            getattr(nn, mode)(30, 20, 2, proj_size=10)


def test_error_RNN_seq_len_zero(nn, double_default):
    # Origin: TestNN.test_error_RNN_seq_len_zero (the CPU half; the test is skipped without cuDNN)
    for module in (nn.RNN, nn.LSTM, nn.GRU):
        for bidirectional in (True, False):
            rnn = module(5, 6, bidirectional=bidirectional)
            with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
                rnn(torch.ones(0, 10, 5))


def test_RNN_input_size_zero(nn):
    # Origin: TestNN.test_RNN_input_size_zero (a batch of zero sequences)
    for module in (nn.RNN, nn.LSTM, nn.GRU):
        rnn = module(input_size=3, hidden_size=4)
        outs = rnn(torch.zeros((5, 0, 3)))
        assert outs[0].shape == torch.Size([5, 0, 4])
        outs[0].sum().backward()  # backward must not fail


def test_RNN_dropout(nn, double_default):
    # Origin: TestNN.test_RNN_dropout (the CPU half: dropout sits between the two layers)
    for p in (0, 0.276, 0.731, 1):
        for train in (True, False):
            rnn = nn.RNN(10, 1000, 2, bias=False, dropout=p, nonlinearity="relu")
            rnn.train(train)
            for w in (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.weight_ih_l1, rnn.weight_hh_l1):
                w.data.fill_(1)
            output, hy = rnn(torch.ones(1, 1, 10), torch.zeros(2, 1, 1000))
            assert output.data.min() == output.data.max()
            output_val = output.data[0][0][0]
            if p == 0 or not train:
                assert output_val == 10000
            elif p == 1:
                assert output_val == 0
            else:
                assert 8000 < output_val < 12000
                denorm_mod = (output_val * (1 - p)) % 10
                assert min(denorm_mod, 10 - denorm_mod) < 1e-2
            assert hy[0].data.min() == hy[0].data.max()
            assert hy[1].data.min() == hy[1].data.max()
            assert hy.data[0][0][0] == 10
            assert hy.data[1][0][0] == output_val


def test_RNN_dropout_state(nn):
    # Origin: TestNN.test_RNN_dropout_state (the CPU half): fresh masks per call, and pickling
    for p in (0, 0.1234):
        for train in (True, False):
            rnn = nn.RNN(100, 100, 2, bias=False, dropout=p, nonlinearity="relu")
            rnn.train(train)
            input, hx = torch.rand(1, 1, 100), torch.rand(2, 1, 100)
            output1, hy1 = rnn(input, hx)
            output2, hy2 = rnn(input, hx)
            buf = io.BytesIO()
            torch.save(rnn, buf)
            buf.seek(0)
            rnn2 = torch.load(buf, weights_only=False)
            rnn2.flatten_parameters()
            output3, hy3 = rnn2(input, hx)
            if p == 0 or not train:
                assert_close(output1, output2)
                assert_close(output1, output3)
                assert_close(hy1, hy2)
                assert_close(hy1, hy3)
            else:
                assert_not_equal(output1, output2)
                assert_not_equal(output1, output3)
                assert_not_equal(hy1, hy2)
                assert_not_equal(hy1, hy3)


def test_RNN_change_dropout(nn, double_default):
    # Origin: TestNN.test_RNN_change_dropout (the CPU half): module.dropout is read at every call
    for train in (True, False):
        rnn = nn.RNN(100, 100, 2, dropout=0, nonlinearity="relu")
        rnn.train(train)
        input = torch.rand(3, 2, 100)
        prev_output = None
        for p in (0, 0.5, 0, 0.7, 0.2, 1, 0.2, 0):
            rnn.dropout = p
            output1, hy1 = rnn(input)
            output2, hy2 = rnn(input)
            if p == 0 or p == 1 or not train:
                assert_close(output1, output2)
                assert_close(hy1, hy2)
            else:
                assert_not_equal(output1, output2)
                assert_not_equal(hy1, hy2)
            if prev_output is not None:
                if not train:
                    assert_close(output1.data, prev_output)
                    assert_close(output2.data, prev_output)
                else:
                    assert_not_equal(output1.data, prev_output)
                    assert_not_equal(output2.data, prev_output)
            prev_output = output1.data


# -- TestNNDeviceType (device = cpu) ------------------------------------------------------------
def test_save_lstm_compatibility(nn):
    # Origin: TestNNDeviceType.test_save_lstm_compatibility: a module pickled before
    # proj_size existed (PyTorch <= 1.7) still loads.
    model = nn.LSTM(2, 3)
    x = torch.randn(32, 5, 2)
    expected = model(x)
    assert model.proj_size == 0
    state_dict = model.__dict__
    del state_dict["proj_size"]
    loaded_model = nn.LSTM(2, 3)
    loaded_model.__setstate__(state_dict)
    assert_close(loaded_model(x), expected)


def test_rnn_retain_variables(nn):
    # Origin: TestNNDeviceType.test_rnn_retain_variables (dtype double)
    dtype = torch.double
    for rnn in (nn.LSTM(10, 20, num_layers=2).to(dtype), nn.GRU(10, 20, num_layers=2).to(dtype),
                nn.RNN(10, 20, num_layers=2).to(dtype)):
        input = torch.randn(5, 6, 10, dtype=dtype, requires_grad=True)
        output = rnn(input)
        output[0].sum().backward(retain_graph=True)
        grads = [input.grad.data.clone()] + [p.grad.data.clone() for p in rnn.parameters()]
        for _ in range(4):
            rnn.zero_grad()
            input.grad.data.zero_()
            output[0].sum().backward(retain_graph=True)
            grads2 = [input.grad.data] + [p.grad.data for p in rnn.parameters()]
            assert_close(grads, grads2)


def _rnn_gradcheck_and_gradgradcheck(mod, inp):
    # Origin: TestNNDeviceType._test_rnn_mod
    def flat(x):
        out = mod(x)
        return tuple(t if isinstance(t, torch.Tensor) else tt for t in out for tt in t)

    assert gradcheck(flat, inp, check_batched_grad=False)
    assert gradgradcheck(flat, inp, check_batched_grad=False)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_grad_and_gradgrad(nn, kind):
    # Origin: TestNNDeviceType.test_LSTM_grad_and_gradgrad and test_GRU_grad_and_gradgrad
    hsize = 4
    inp = torch.rand(1, 3, hsize, dtype=torch.double, requires_grad=True)
    for bias in (True, False):
        mod = getattr(nn, kind)(hsize, hsize, bias=bias).to(torch.double)
        _rnn_gradcheck_and_gradgradcheck(mod, inp)


@pytest.mark.parametrize("dtype", [torch.float, torch.double])
def test_rnn_fused(nn, dtype):
    # Origin: TestNNDeviceType.test_rnn_fused: the module under test against torch.nn on the
    # CPU (in PyTorch, the device's module against the CPU's), outputs and every gradient.
    input_size, hidden_size, num_layers, seq_length, batch = 10, 6, 2, 7, 6
    input_val = torch.randn(seq_length, batch, input_size, dtype=dtype)
    grad_output = torch.randn(seq_length, batch, hidden_size, dtype=dtype)
    hx_val = torch.randn(num_layers, batch, hidden_size, dtype=dtype)
    grad_hy = torch.randn(num_layers, batch, hidden_size, dtype=dtype)
    tol = {"atol": 5e-3, "rtol": 0} if dtype == torch.float else {}  # @tf32_on_and_off(0.005)
    for kind in ("GRU", "LSTM"):
        for bias in (True, False):
            rnn = getattr(torch.nn, kind)(input_size, hidden_size, num_layers, bias=bias).to(dtype)
            rnn_dev = getattr(nn, kind)(input_size, hidden_size, num_layers, bias=bias).to(dtype)
            for x_layer, y_layer in zip(rnn_dev.all_weights, rnn.all_weights):
                for x, y in zip(x_layer, y_layer):
                    x.data.copy_(y.data)
            is_lstm = kind == "LSTM"
            if is_lstm:
                hx = (hx_val.clone().requires_grad_(True), hx_val.clone().add(1).requires_grad_(True))
                hx_dev = (hx_val.clone().requires_grad_(True), hx_val.clone().add(1).requires_grad_(True))
            else:
                hx, hx_dev = hx_val.clone().requires_grad_(True), hx_val.clone().requires_grad_(True)
            inp, inp_dev = input_val.clone().requires_grad_(True), input_val.clone().requires_grad_(True)
            output1, hy1 = rnn(inp, hx)
            output2, hy2 = rnn_dev(inp_dev, hx_dev)
            if is_lstm:
                torch.autograd.backward([output1, hy1[0], hy1[1]], [grad_output, grad_hy, grad_hy + 1])
                torch.autograd.backward([output2, hy2[0], hy2[1]], [grad_output, grad_hy, grad_hy + 1])
            else:
                torch.autograd.backward([output1, hy1], [grad_output, grad_hy])
                torch.autograd.backward([output2, hy2], [grad_output, grad_hy])
            assert_close(output1, output2, **tol)
            assert_close(hy1, hy2, **tol)
            for x_layer, y_layer in zip(rnn.all_weights, rnn_dev.all_weights):
                for x, y in zip(x_layer, y_layer):
                    assert_close(x.grad, y.grad, atol=5e-5, rtol=0)
            assert_close(inp.grad, inp_dev.grad, **tol)
            if is_lstm:
                assert_close(hx[0].grad, hx_dev[0].grad, **tol)
                assert_close(hx[1].grad, hx_dev[1].grad, **tol)
            else:
                assert_close(hx.grad, hx_dev.grad, **tol)


def _padded_sequences(lengths, features, dtype):
    """(T, N, D) zero-padded batch of sequences with the given lengths (sorted decreasing)."""
    seqs = [torch.randn(n, features, dtype=dtype) for n in lengths]
    return rnn_utils.pad_sequence(seqs), seqs


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_variable_sequence(nn, kind, enforce_sorted):
    # Origin: TestNNDeviceType.test_variable_sequence / _test_variable_sequence: a packed
    # batch must give each sequence what running it alone gives, outputs and input gradients.
    dtype = torch.double
    lengths = [10, 10, 6, 2, 2, 1, 1]
    if not enforce_sorted:
        random.Random(0).shuffle(lengths)
    max_length, batch = max(lengths), len(lengths)
    rnn = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True).to(dtype)
    x_leaf = torch.randn(max_length, batch, 3, dtype=dtype, requires_grad=True)
    grad_output = torch.randn(max_length, batch, 8, dtype=dtype)
    # Per sequence: run it alone (batch of one, its own length).
    ref_outputs, ref_grads = [], []
    for i, n in enumerate(lengths):
        xi = x_leaf[:n, i:i + 1].detach().clone().requires_grad_(True)
        out, _ = rnn(xi)
        out.backward(grad_output[:n, i:i + 1])
        ref_outputs.append(out.detach())
        ref_grads.append(xi.grad)
    # All at once, packed.
    packed = rnn_utils.pack_padded_sequence(x_leaf, lengths, enforce_sorted=enforce_sorted)
    out_packed, _ = rnn(packed)
    padded, out_lengths = rnn_utils.pad_packed_sequence(out_packed)
    assert out_lengths.tolist() == lengths
    padded.backward(grad_output)
    for i, n in enumerate(lengths):
        assert_close(padded[:n, i:i + 1].detach(), ref_outputs[i])
        assert_close(x_leaf.grad[:n, i:i + 1], ref_grads[i])
        if n < max_length:  # padding contributes nothing, forward or backward
            assert torch.all(padded[n:, i] == 0) and torch.all(x_leaf.grad[n:, i] == 0)


def test_rnn_packed_sequence_unsorted_hidden_follows_caller_order(nn):
    # Origin: TestNNDeviceType._test_variable_sequence checks h_n per sequence too; with
    # enforce_sorted=False the final state must come back in the caller's order.
    dtype = torch.double
    lengths = [2, 5, 3]
    rnn = nn.GRU(3, 4, dtype=dtype)
    x = torch.randn(5, 3, 3, dtype=dtype)
    _, h_n = rnn(rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False))
    for i, n in enumerate(lengths):
        _, h_i = rnn(x[:n, i:i + 1])
        assert_close(h_n[:, i:i + 1], h_i)
