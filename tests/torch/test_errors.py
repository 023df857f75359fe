"""Every input check of lstmlab.torch: torch.nn's wording first, then the argument,
expected vs got, and a hint.

The error class subclasses ValueError (lstmlab's convention, and torch.nn's type for a
wrong rank or dtype) and RuntimeError (torch.nn's type for most shape mistakes), so
both kinds of ``except`` keep working.  PyTorch's own error inputs are in
test_ported_modules.py; this file pins lstmlab's additions (details and hints).
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402
from lstmlab.torch import RNNInputError  # noqa: E402


def raises(match: str):
    return pytest.raises(RNNInputError, match=re.escape(match))


def test_error_class_is_both_value_and_runtime_error():
    assert issubclass(RNNInputError, ValueError) and issubclass(RNNInputError, RuntimeError)
    m = lt.LSTM(10, 20)
    with pytest.raises(RuntimeError):  # what torch.nn users catch
        m(torch.randn(5, 3, 7))
    with pytest.raises(ValueError):  # what lstmlab users catch
        m(torch.randn(5, 3, 7))


# -- sequence modules ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_wrong_input_size(kind):
    m = getattr(lt, kind)(10, 20)
    with raises(f"{kind}: input.size(-1) must be equal to input_size. Expected 10, got 7. "
                "Argument 'input' should have shape (T, N, D) = (5, 3, 10) "
                "(D = input_size = 10), got (5, 3, 7) (D = 7). Hint: the module was built with "
                "input_size=10"):
        m(torch.randn(5, 3, 7))


def test_wrong_input_size_batch_first_and_unbatched_name_their_layout():
    with raises("Argument 'input' should have shape (N, T, D) = (3, 5, 10)"):
        lt.GRU(10, 20, batch_first=True)(torch.randn(3, 5, 7))
    with raises("Argument 'input' should have shape (T, D) = (5, 10)"):
        lt.GRU(10, 20)(torch.randn(5, 7))


@pytest.mark.parametrize("shape", [(10,), (5, 3, 10, 1)])
def test_wrong_input_rank(shape):
    with raises(f"LSTM: Expected input to be 2D or 3D, got {len(shape)}D instead. "
                f"Argument 'input' must be 2-D (T, D) unbatched or 3-D (T, N, D) batched, "
                f"got shape"):
        lt.LSTM(10, 20)(torch.randn(shape))


def test_zero_length_sequence_is_refused_clearly():
    with raises("GRU: Expected sequence length to be larger than 0 in RNN. The input has T = 0 "
                "time steps"):
        lt.GRU(3, 4)(torch.randn(0, 2, 3))
    with raises("Expected sequence length to be larger than 0"):
        lt.LSTM(3, 4, batch_first=True)(torch.randn(2, 0, 3))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        torch.nn.GRU(3, 4)(torch.randn(0, 2, 3))  # torch.nn's own wording, which we repeat


def test_wrong_hx_shape_names_layers_directions_batch():
    m = lt.GRU(10, 20, num_layers=2, bidirectional=True)
    with raises("GRU: Expected hidden size (4, 3, 20), got [2, 3, 20]. Argument 'hx' should have "
                "shape (L*K, N, H) = (4, 3, 20), got (2, 3, 20). Hint: the state holds one (N, H) "
                "slice per layer and direction: L*K = num_layers * num_directions = 2 * 2 = 4, "
                "N = the input's batch size (3)"):
        m(torch.randn(5, 3, 10), torch.zeros(2, 3, 20))
    with raises("Argument 'hx' should have shape (L*K, N, H) = (4, 3, 20), got (4, 5, 20)"):
        m(torch.randn(5, 3, 10), torch.zeros(4, 5, 20))
    with raises("GRU: For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        m(torch.randn(5, 3, 10), torch.zeros(4, 20))


def test_lstm_cell_state_shape_and_pair():
    m = lt.LSTM(10, 20)
    with raises("LSTM: Expected hidden[1] size (1, 3, 20), got [1, 3, 21]. "
                "Argument 'hx[1]' should have shape (L*K, N, H) = (1, 3, 20), got (1, 3, 21)"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20), torch.zeros(1, 3, 21)))
    with raises("LSTM: argument 'hx' must be a pair (h_0, c_0) of tensors, got Tensor. "
                "Hint: pass hx=(h_0, c_0)"):
        m(torch.randn(5, 3, 10), torch.zeros(1, 3, 20))
    with raises("got tuple of length 3"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20),) * 3)


def test_projected_lstm_state_names_p():
    m = lt.LSTM(10, 20, proj_size=5)
    with raises("LSTM: Expected hidden[0] size (1, 3, 5), got [1, 3, 20]. Argument 'hx[0]' should "
                "have shape (L*K, N, P) = (1, 3, 5)"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20), torch.zeros(1, 3, 20)))


def test_unbatched_input_needs_unbatched_hx():
    with raises("RNN: For unbatched 2-D input, hx should also be 2-D but got 3-D tensor. "
                "Argument 'hx' must be 2-D (L*K, H), got shape (1, 1, 20). Hint: the state holds"):
        lt.RNN(10, 20)(torch.randn(5, 10), torch.zeros(1, 1, 20))


def test_dtype_and_type_mismatch():
    m = lt.LSTM(10, 20)
    with raises("LSTM: RNN input dtype (torch.float64) does not match weight dtype (torch.float32). "
                "Convert input: input.to(torch.float32), or convert model: model.to(torch.float64)"):
        m(torch.randn(5, 3, 10, dtype=torch.float64))
    with raises("LSTM: RNN hx[0] dtype (torch.float64) does not match weight dtype (torch.float32). "
                "Convert input: hx.to(torch.float32)"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20, dtype=torch.float64), torch.zeros(1, 3, 20)))
    with pytest.raises(TypeError, match=r"LSTM: argument 'input' must be a torch.Tensor, got ndarray"):
        m(torch.randn(5, 3, 10).numpy())


def test_packed_sequence_errors():
    from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

    packed = pack_padded_sequence(torch.randn(5, 2, 7), torch.tensor([5, 3]))
    with raises("LSTM: input.size(-1) must be equal to input_size. Expected 10, got 7. "
                "Argument 'input.data' should have shape (sum of lengths, D) = (8, 10)"):
        lt.LSTM(10, 20)(packed)
    bad = PackedSequence(torch.randn(8, 2, 7), packed.batch_sizes)
    with raises("LSTM: input must have 2 dimensions, got 3. Argument 'input.data' must be 2-D"):
        lt.LSTM(7, 20)(bad)
    with raises("GRU: Expected hidden size (1, 2, 20), got [1, 3, 20]"):  # N = batch_sizes[0]
        lt.GRU(7, 20)(packed, torch.zeros(1, 3, 20))


# -- cells --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_wrong_input_size_and_rank(kind):
    c = getattr(lt, kind)(10, 20)
    with raises(f"{kind}: input has inconsistent input_size: got 7 expected 10. Argument 'input' "
                "should have shape (N, D) = (3, 10) (D = input_size = 10), got (3, 7) (D = 7)"):
        c(torch.randn(3, 7))
    with raises("Argument 'input' should have shape (D,) = (10,)"):
        c(torch.randn(7))
    with raises(f"{kind}: Expected input to be 1D or 2D, got 3D instead. Argument 'input' must be "
                "1-D (D,) unbatched or 2-D (N, D) batched, got shape (2, 3, 10). "
                "Hint: a cell takes one time step"):
        c(torch.randn(2, 3, 10))


def test_cell_wrong_hx_shape():
    with raises("GRUCell: Input batch size 3 doesn't match hidden0 batch size 4. Argument 'hx' "
                "should have shape (N, H) = (3, 20), got (4, 20). "
                "Hint: hx holds one H=20 vector per batch row of the input (N=3)."):
        lt.GRUCell(10, 20)(torch.randn(3, 10), torch.zeros(4, 20))
    with raises("RNNCell: hidden0 has inconsistent hidden_size: got (1, 20), expected (20,). "
                "Argument 'hx' should have shape (H,) = (20,), got (1, 20). "
                "Hint: for unbatched (D,) input, hx must be unbatched too"):
        lt.RNNCell(10, 20)(torch.randn(10), torch.zeros(1, 20))
    with raises("LSTMCell: hidden1 has inconsistent hidden_size: got 2, expected 20. "
                "Argument 'hx[1]' should have shape (N, H) = (3, 20), got (3, 2)"):
        lt.LSTMCell(10, 20)(torch.randn(3, 10), (torch.zeros(3, 20), torch.zeros(3, 2)))
    with raises("RNNCell: Expected hidden to be 1D or 2D, got 3D instead"):
        lt.RNNCell(10, 20)(torch.randn(3, 10), torch.zeros(1, 3, 20))


def test_cells_allow_zero_sizes_like_torch_nn():
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        ours, ref = getattr(lt, kind)(3, 0), getattr(torch.nn, kind)(3, 0)
        out, ref_out = ours(torch.randn(2, 3)), ref(torch.randn(2, 3))
        out = out[0] if isinstance(out, tuple) else out
        ref_out = ref_out[0] if isinstance(ref_out, tuple) else ref_out
        assert out.shape == ref_out.shape == (2, 0)
    assert lt.RNNCell(0, 4)(torch.randn(2, 0)).shape == (2, 4)


# -- constructors ---------------------------------------------------------------------------
def test_constructor_checks():
    with pytest.raises(ValueError, match=r"LSTM: proj_size has to be smaller than hidden_size, got "
                                         r"proj_size=20 and hidden_size=20"):
        lt.LSTM(10, 20, proj_size=20)
    with pytest.raises(ValueError, match=r"LSTM: proj_size should be a positive integer or zero"):
        lt.LSTM(10, 20, proj_size=-1)
    with pytest.raises(ValueError, match=r"GRU: proj_size argument is only supported for LSTM, not "
                                         r"RNN or GRU. Hint: use lstmlab.torch.LSTM"):
        lt.GRU(10, 20, proj_size=0)
    with pytest.raises(TypeError, match=r"RNN.__init__\(\) got an unexpected keyword argument 'colour'"):
        lt.RNN(10, 20, colour="red")
    with pytest.raises(ValueError, match=r"RNN: Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'"):
        lt.RNN(10, 20, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"RNNCell: Unknown nonlinearity 'gelu'"):
        lt.RNNCell(10, 20, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"GRU: hidden_size must be greater than zero, got 0"):
        lt.GRU(10, 0)
    with pytest.raises(ValueError, match=r"LSTMCell: hidden_size must be greater than zero, got -1"):
        lt.LSTMCell(10, -1)
    with pytest.raises(TypeError, match=r"LSTMCell: input_size should be of type int, got: float"):
        lt.LSTMCell(10.0, 20)
    with pytest.raises(ValueError, match=r"GRU: num_layers must be greater than zero, got 0"):
        lt.GRU(10, 20, num_layers=0)
    with pytest.raises(TypeError, match=r"GRU: num_layers should be of type int, got: float"):
        lt.GRU(10, 20, num_layers=2.0)
    with pytest.raises(ValueError, match=r"LSTM: dropout should be a number in range \[0, 1\]"):
        lt.LSTM(10, 20, num_layers=2, dropout=1.5)
    with pytest.raises(TypeError, match=r"RNN: batch_first should be of type bool, got: int"):
        lt.RNN(10, 20, batch_first=1)
    with pytest.raises(TypeError, match=r"LSTM: fused should be of type bool, got: str"):
        lt.LSTM(10, 20, fused="yes")


def test_bias_is_type_checked_even_where_torch_nn_is_lenient():
    # torch.nn's cells accept bias="yes" (truthy); lstmlab refuses it on purpose.
    torch.nn.GRUCell(10, 20, bias="yes")
    with pytest.raises(TypeError, match=r"GRUCell: bias should be of type bool, got: str"):
        lt.GRUCell(10, 20, bias="yes")
