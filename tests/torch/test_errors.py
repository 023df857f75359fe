"""Every input check of lstmlab.torch: message names the argument, expected vs got, a hint.

The error class subclasses ValueError (lstmlab's convention) and RuntimeError (what
torch.nn raises for most of these), so both kinds of ``except`` keep working.
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
    with raises(f"{kind}: argument 'input' should have shape (T, N, D) = (5, 3, 10) "
                "(D = input_size = 10), got (5, 3, 7) (D = 7). Hint: the module was built with "
                "input_size=10"):
        m(torch.randn(5, 3, 7))


def test_wrong_input_size_batch_first_and_unbatched_name_their_layout():
    with raises("argument 'input' should have shape (N, T, D) = (3, 5, 10)"):
        lt.GRU(10, 20, batch_first=True)(torch.randn(3, 5, 7))
    with raises("argument 'input' should have shape (T, D) = (5, 10)"):
        lt.GRU(10, 20)(torch.randn(5, 7))


@pytest.mark.parametrize("shape", [(10,), (5, 3, 10, 1)])
def test_wrong_input_rank(shape):
    with raises(f"LSTM: argument 'input' must be 2-D (T, D) unbatched or 3-D (T, N, D) batched, "
                f"got a {len(shape)}-D tensor"):
        lt.LSTM(10, 20)(torch.randn(shape))


def test_wrong_hx_shape_names_layers_directions_batch():
    m = lt.GRU(10, 20, num_layers=2, bidirectional=True)
    with raises("GRU: argument 'hx' should have shape (L*K, N, H) = (4, 3, 20), got (2, 3, 20). "
                "Hint: the state holds one (N, H) slice per layer and direction: L*K = num_layers "
                "* num_directions = 2 * 2 = 4, N = the input's batch size (3)"):
        m(torch.randn(5, 3, 10), torch.zeros(2, 3, 20))
    with raises("argument 'hx' should have shape (L*K, N, H) = (4, 3, 20), got (4, 5, 20)"):
        m(torch.randn(5, 3, 10), torch.zeros(4, 5, 20))


def test_lstm_cell_state_shape_and_pair():
    m = lt.LSTM(10, 20)
    with raises("LSTM: argument 'hx[1]' should have shape (L*K, N, H) = (1, 3, 20), got (1, 3, 21)"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20), torch.zeros(1, 3, 21)))
    with raises("LSTM: argument 'hx' must be a pair (h_0, c_0) of tensors, got Tensor. "
                "Hint: pass hx=(h_0, c_0)"):
        m(torch.randn(5, 3, 10), torch.zeros(1, 3, 20))
    with raises("got tuple of length 3"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20),) * 3)


def test_unbatched_input_needs_unbatched_hx():
    with raises("RNN: argument 'hx' should have shape (L*K, H) = (1, 20), got (1, 1, 20). "
                "Hint: the input is unbatched (T, D), so the state is unbatched too"):
        lt.RNN(10, 20)(torch.randn(5, 10), torch.zeros(1, 1, 20))


def test_dtype_and_type_mismatch():
    m = lt.LSTM(10, 20)
    with raises("LSTM: argument 'input' has dtype torch.float64 but the module's weights are "
                "torch.float32. Hint: convert the input with input.to(torch.float32) or the module "
                "with module.to(torch.float64)"):
        m(torch.randn(5, 3, 10, dtype=torch.float64))
    with raises("LSTM: argument 'hx[0]' has dtype torch.float64"):
        m(torch.randn(5, 3, 10), (torch.zeros(1, 3, 20, dtype=torch.float64), torch.zeros(1, 3, 20)))
    with pytest.raises(TypeError, match=r"LSTM: argument 'input' must be a torch.Tensor, got ndarray"):
        m(torch.randn(5, 3, 10).numpy())


def test_packed_sequence_is_refused_with_a_hint():
    from torch.nn.utils.rnn import pack_padded_sequence

    packed = pack_padded_sequence(torch.randn(5, 2, 10), torch.tensor([5, 3]))
    with pytest.raises(TypeError, match="PackedSequence input is not supported"):
        lt.LSTM(10, 20)(packed)


# -- cells --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_wrong_input_size_and_rank(kind):
    c = getattr(lt, kind)(10, 20)
    with raises(f"{kind}: argument 'input' should have shape (N, D) = (3, 10) "
                "(D = input_size = 10), got (3, 7) (D = 7)"):
        c(torch.randn(3, 7))
    with raises(f"{kind}: argument 'input' should have shape (D,) = (10,)"):
        c(torch.randn(7))
    with raises(f"{kind}: argument 'input' must be 1-D (D,) unbatched or 2-D (N, D) batched, "
                "got a 3-D tensor of shape (2, 3, 10). Hint: a cell takes one time step"):
        c(torch.randn(2, 3, 10))


def test_cell_wrong_hx_shape():
    with raises("GRUCell: argument 'hx' should have shape (N, H) = (3, 20), got (4, 20). "
                "Hint: hx holds one H=20 vector per batch row of the input (N=3)."):
        lt.GRUCell(10, 20)(torch.randn(3, 10), torch.zeros(4, 20))
    with raises("RNNCell: argument 'hx' should have shape (H,) = (20,), got (1, 20). "
                "Hint: for unbatched (D,) input, hx must be unbatched too"):
        lt.RNNCell(10, 20)(torch.randn(10), torch.zeros(1, 20))
    with raises("LSTMCell: argument 'hx[1]' should have shape (N, H) = (3, 20), got (3, 2)"):
        lt.LSTMCell(10, 20)(torch.randn(3, 10), (torch.zeros(3, 20), torch.zeros(3, 2)))


# -- constructors ---------------------------------------------------------------------------
def test_constructor_checks():
    with pytest.raises(ValueError, match=r"LSTM: proj_size=4 is not supported by lstmlab.torch"):
        lt.LSTM(10, 20, proj_size=4)
    with pytest.raises(ValueError, match=r"RNN: unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'"):
        lt.RNN(10, 20, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"RNNCell: unknown nonlinearity 'gelu'"):
        lt.RNNCell(10, 20, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"GRU: hidden_size must be greater than zero, got 0"):
        lt.GRU(10, 0)
    with pytest.raises(TypeError, match=r"LSTMCell: input_size should be of type int, got: float"):
        lt.LSTMCell(10.0, 20)
    with pytest.raises(ValueError, match=r"GRU: num_layers must be an int greater than zero, got 0"):
        lt.GRU(10, 20, num_layers=0)
    with pytest.raises(ValueError, match=r"LSTM: dropout should be a number in range \[0, 1\]"):
        lt.LSTM(10, 20, num_layers=2, dropout=1.5)
    with pytest.raises(TypeError, match=r"RNN: batch_first should be of type bool, got: int"):
        lt.RNN(10, 20, batch_first=1)
    with pytest.raises(TypeError, match=r"GRUCell: bias should be of type bool, got: str"):
        lt.GRUCell(10, 20, bias="yes")
