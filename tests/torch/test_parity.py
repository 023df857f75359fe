"""lstmlab.torch against torch.nn in float64: same weights in, same outputs and gradients out.

Every comparison covers outputs, final states and the gradients of the input, of each
initial state (h_0 and c_0) and of every parameter, and asserts a max abs diff <= 1e-10.
"""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402

TOL = 1e-10
KINDS = ["RNN", "LSTM", "GRU"]
CELLS = ["RNNCell", "LSTMCell", "GRUCell"]


def maxabs(t) -> float:
    return float(t.detach().abs().max())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "num_layers,bidirectional,batch_first,with_hx",
    list(itertools.product([1, 2, 3], [False, True], [False, True], [False, True])),
)
def test_module_matches_torch_nn(module_parity, kind, num_layers, bidirectional, batch_first, with_hx):
    diff = module_parity(kind, num_layers=num_layers, bidirectional=bidirectional,
                         batch_first=batch_first, with_hx=with_hx)
    assert diff <= TOL


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
def test_unbatched_input_matches_torch_nn(module_parity, kind, batch_first, with_hx):
    diff = module_parity(kind, num_layers=2, bidirectional=True, batch_first=batch_first,
                         with_hx=with_hx, batched=False)
    assert diff <= TOL


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_without_bias_matches_torch_nn(module_parity, kind, bidirectional):
    diff = module_parity(kind, bias=False, num_layers=2, bidirectional=bidirectional)
    assert diff <= TOL


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_module_in_eval_mode_matches_torch_nn(module_parity, kind):
    diff = module_parity(kind, dropout=0.5, num_layers=3, bidirectional=True, train=False)
    assert diff <= TOL


@pytest.mark.parametrize("num_layers", [1, 2])
def test_relu_rnn_matches_torch_nn(module_parity, num_layers):
    diff = module_parity("RNN", nonlinearity="relu", num_layers=num_layers, bidirectional=True)
    assert diff <= TOL


def test_longer_wider_sequence_matches_torch_nn(module_parity):
    # A longer sequence lets rounding differences compound; they must stay tiny.
    diff = module_parity("LSTM", T=30, N=5, D=7, H=6, num_layers=2, bidirectional=True)
    assert diff <= TOL


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cell_matches_torch_nn(cell_parity, kind, bias, batched, with_hx):
    assert cell_parity(kind, bias=bias, batched=batched, with_hx=with_hx) <= TOL


def test_relu_cell_matches_torch_nn(cell_parity):
    assert cell_parity("RNNCell", nonlinearity="relu") <= TOL


# -- parameters: names, shapes, order, initialisation, state dicts ------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_identical_parameters(kind):
    """Same names, shapes, order and U(-1/sqrt(H), 1/sqrt(H)) draws as torch.nn."""
    kw = dict(input_size=5, hidden_size=4, num_layers=2, bidirectional=True)
    torch.manual_seed(7)
    ref = getattr(torch.nn, kind)(**kw)
    torch.manual_seed(7)
    ours = getattr(lt, kind)(**kw)
    ref_params, our_params = dict(ref.named_parameters()), dict(ours.named_parameters())
    assert list(ref_params) == list(our_params)
    assert "weight_ih_l1_reverse" in our_params
    for name, p in ref_params.items():
        assert torch.equal(p, our_params[name]), name
    bound = 1 / 4**0.5
    assert all(float(p.detach().abs().max()) <= bound for p in ours.parameters())


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_same_seed_gives_identical_parameters(kind, bias):
    torch.manual_seed(3)
    ref = getattr(torch.nn, kind)(5, 4, bias=bias)
    torch.manual_seed(3)
    ours = getattr(lt, kind)(5, 4, bias=bias)
    assert [n for n, _ in ref.named_parameters()] == [n for n, _ in ours.named_parameters()]
    for (_, p), (_, q) in zip(ref.named_parameters(), ours.named_parameters()):
        assert torch.equal(p, q)
    assert (ours.bias_ih is None) == (not bias)


def test_reset_parameters_redraws_within_bound():
    m = lt.GRU(3, 16, num_layers=2)
    before = [p.detach().clone() for p in m.parameters()]
    m.reset_parameters()
    assert all(not torch.equal(a, p.detach()) for a, p in zip(before, m.parameters()))
    assert all(float(p.detach().abs().max()) <= 0.25 for p in m.parameters())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("direction", ["torch.nn -> lstmlab", "lstmlab -> torch.nn"])
def test_load_state_dict_both_ways(kind, direction):
    kw = dict(input_size=5, hidden_size=4, num_layers=2, bidirectional=True, dtype=torch.float64)
    ref, ours = getattr(torch.nn, kind)(**kw), getattr(lt, kind)(**kw)
    src, dst = (ref, ours) if direction == "torch.nn -> lstmlab" else (ours, ref)
    dst.load_state_dict(src.state_dict())  # strict: same keys, same shapes
    assert list(src.state_dict()) == list(dst.state_dict())
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    out_src, _ = src(x)
    out_dst, _ = dst(x)
    assert maxabs(out_src - out_dst) <= TOL


@pytest.mark.parametrize("kind", CELLS)
def test_cell_load_state_dict_both_ways(kind):
    ref, ours = getattr(torch.nn, kind)(5, 4), getattr(lt, kind)(5, 4)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(3, 5)
    a, b = ref(x), ours(x)
    a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
    assert torch.allclose(a, b, atol=1e-6)
    fresh = getattr(torch.nn, kind)(5, 4)
    fresh.load_state_dict(ours.state_dict())
    c = fresh(x)
    assert torch.equal(c[0] if isinstance(c, tuple) else c, a)


# -- dropout between layers --------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_dropout_acts_between_layers_only_in_training(kind):
    # With p=1 every input to layer 2 is zeroed: the output cannot depend on x ...
    m = getattr(lt, kind)(5, 4, num_layers=2, dropout=1.0, dtype=torch.float64)
    x = torch.randn(6, 3, 5, dtype=torch.float64, requires_grad=True)
    out, _ = m(x)
    (gx,) = torch.autograd.grad(out.sum(), x)
    assert maxabs(gx) == 0.0
    # ... yet the last layer's own output is not dropped (its bias still drives it).
    assert float(out.detach().abs().min()) > 0.0
    # In eval mode dropout is off and x matters again.
    m.eval()
    out_eval, _ = m(x)
    (gx_eval,) = torch.autograd.grad(out_eval.sum(), x)
    assert maxabs(gx_eval) > 0.0


def test_dropout_masks_match_torch_nn_for_the_same_seed():
    # torch.nn draws its between-layer masks from the global generator, as we do.
    kw = dict(input_size=5, hidden_size=4, num_layers=3, dropout=0.5, dtype=torch.float64)
    ref, ours = torch.nn.LSTM(**kw), lt.LSTM(**kw)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    torch.manual_seed(11)
    a, _ = ref(x)
    torch.manual_seed(11)
    b, _ = ours(x)
    torch.manual_seed(12)
    c, _ = ours(x)
    assert maxabs(a - b) <= TOL
    assert maxabs(b - c) > 1e-3  # another seed, other masks


def test_dropout_with_one_layer_warns_like_torch_nn():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        lt.LSTM(3, 4, dropout=0.2)


# -- outputs' form ----------------------------------------------------------------------
def test_batch_first_output_is_contiguous_and_state_is_not_batch_first():
    m = lt.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, (h, c) = m(torch.randn(3, 6, 5))
    assert out.shape == (3, 6, 8) and out.is_contiguous()
    assert h.shape == c.shape == (4, 3, 4)


def test_output_follows_dtype_and_hx_none_gives_zeros():
    m = lt.GRU(5, 4, dtype=torch.float64)
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    out, h = m(x)
    out0, h0 = m(x, torch.zeros(1, 3, 4, dtype=torch.float64))
    assert out.dtype == h.dtype == torch.float64
    assert torch.equal(out, out0) and torch.equal(h, h0)


def test_torch_nn_compatibility_helpers():
    m = lt.LSTM(5, 4, num_layers=2, bidirectional=True)
    m.flatten_parameters()  # a no-op, present because torch.nn code calls it
    ref = torch.nn.LSTM(5, 4, num_layers=2, bidirectional=True)
    assert [[tuple(p.shape) for p in g] for g in m.all_weights] == \
        [[tuple(p.shape) for p in g] for g in ref.all_weights]
    assert repr(m) == "LSTM(5, 4, num_layers=2, bidirectional=True)"
    assert repr(lt.RNNCell(5, 4, bias=False, nonlinearity="relu")) == \
        "RNNCell(5, 4, bias=False, nonlinearity='relu')"


def test_module_works_inside_nn_sequential_training_step():
    # A drop-in: optimiser, zero_grad, .to(dtype) behave as with torch.nn.
    m = lt.LSTM(3, 8).double()
    head = torch.nn.Linear(8, 1).double()
    opt = torch.optim.SGD(list(m.parameters()) + list(head.parameters()), lr=0.1)
    x = torch.randn(5, 4, 3, dtype=torch.float64)
    y = x.sum(dim=(0, 2)).unsqueeze(1)
    losses = []
    for _ in range(30):
        out, _ = m(x)
        loss = torch.nn.functional.mse_loss(head(out[-1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
