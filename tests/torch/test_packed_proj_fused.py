"""PackedSequence, proj_size and fused=True against torch.nn in float64 (<= 1e-10).

Every comparison covers the outputs, the final states and the gradients of the input,
of the initial states and of every parameter, for a loss weighting every output entry
by a random number.
"""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402
from lstmlab.torch.graphs import cuda_graphed  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

TOL = 1e-10
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


def outputs_and_grads(module, x, hx, lengths=None, enforce_sorted=True, batch_first=False):
    """Outputs (padded again if packed) and gradients of input, states and parameters."""
    x = x.detach().clone().requires_grad_(True)
    leaves = [x]
    if hx is not None:
        hx = tuple(h.detach().clone().requires_grad_(True) for h in hx) if isinstance(hx, tuple) \
            else hx.detach().clone().requires_grad_(True)
        leaves += list(hx) if isinstance(hx, tuple) else [hx]
    inp = x if lengths is None else pack_padded_sequence(x, lengths, batch_first=batch_first,
                                                         enforce_sorted=enforce_sorted)
    out, state = module(inp, hx)
    if lengths is not None:
        out, out_lengths = pad_packed_sequence(out, batch_first=batch_first)
        assert out_lengths.tolist() == list(lengths)
    outs = [out] + (list(state) if isinstance(state, tuple) else [state])
    gen = torch.Generator().manual_seed(1)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype).to(o.device)).sum() for o in outs)
    grads = torch.autograd.grad(loss, leaves + list(module.parameters()))
    return [o.detach() for o in outs] + list(grads)


def max_diff(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.shape == v.shape and u.dtype == v.dtype
    return max(float((u - v).abs().max()) if u.numel() else 0.0 for u, v in zip(a, b))


def pair(kind, dtype=torch.float64, fused=False, **kw):
    ref = getattr(torch.nn, kind)(5, 4, dtype=dtype, **kw)
    ours = getattr(lt, kind)(5, 4, dtype=dtype, fused=fused, **kw)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def state_for(kind, layers, k, n, hsz=4, proj=0, dtype=torch.float64, seed=2):
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(layers * k, n, proj or hsz, generator=gen, dtype=dtype)
    if kind == "LSTM":
        return h, torch.randn(layers * k, n, hsz, generator=gen, dtype=dtype)
    return h


# -- PackedSequence -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (1, True), (2, False), (3, True)])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_packed_matches_torch_nn(kind, num_layers, bidirectional, enforce_sorted, with_hx):
    ref, ours = pair(kind, num_layers=num_layers, bidirectional=bidirectional)
    lengths = [7, 5, 5, 2, 1] if enforce_sorted else [2, 7, 1, 5, 5]
    x = torch.randn(7, 5, 5, dtype=torch.float64)
    hx = state_for(kind, num_layers, 2 if bidirectional else 1, 5) if with_hx else None
    a = outputs_and_grads(ref, x, hx, lengths, enforce_sorted)
    b = outputs_and_grads(ours, x, hx, lengths, enforce_sorted)
    assert max_diff(a, b) <= TOL


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_batch_first_and_all_equal_lengths(kind):
    ref, ours = pair(kind, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(4, 6, 5, dtype=torch.float64)  # (N, T, D)
    for lengths in ([6, 4, 3, 1], [6, 6, 6, 6]):
        a = outputs_and_grads(ref, x, None, lengths, batch_first=True)
        b = outputs_and_grads(ours, x, None, lengths, batch_first=True)
        assert max_diff(a, b) <= TOL


def test_packed_output_is_packed_with_the_same_indices():
    m = lt.LSTM(5, 4)
    packed = pack_padded_sequence(torch.randn(6, 3, 5), [3, 6, 2], enforce_sorted=False)
    out, (h, c) = m(packed)
    assert type(out).__name__ == "PackedSequence"
    assert torch.equal(out.batch_sizes, packed.batch_sizes)
    assert torch.equal(out.sorted_indices, packed.sorted_indices)
    assert torch.equal(out.unsorted_indices, packed.unsorted_indices)
    assert out.data.shape == (11, 4) and h.shape == c.shape == (1, 3, 4)


def test_padding_without_packing_changes_the_final_state():
    # Why packing exists: run on zero padding, a short sequence's final state is not its own.
    m = lt.GRU(5, 4, dtype=torch.float64)
    x = torch.randn(6, 2, 5, dtype=torch.float64)
    x[2:, 1] = 0.0  # sequence 1 has length 2, then padding
    with torch.no_grad():
        _, h_padded = m(x)
        _, h_packed = m(pack_padded_sequence(x, [6, 2]))
        _, h_alone = m(x[:2, 1:2])
    assert float((h_packed[:, 1] - h_alone[:, 0]).abs().max()) <= TOL
    assert float((h_padded[:, 1] - h_alone[:, 0]).abs().max()) > 1e-2
    assert float((h_padded[:, 0] - h_packed[:, 0]).abs().max()) <= TOL  # the full-length one agrees


# -- proj_size ------------------------------------------------------------------------------------
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, False), (2, True), (3, True)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_proj_size_matches_torch_nn(num_layers, bidirectional, batch_first, with_hx, bias):
    ref, ours = pair("LSTM", num_layers=num_layers, bidirectional=bidirectional, proj_size=3,
                     batch_first=batch_first, bias=bias)
    assert [n for n, _ in ref.named_parameters()] == [n for n, _ in ours.named_parameters()]
    x = torch.randn(5, 6, 5, dtype=torch.float64)
    hx = state_for("LSTM", num_layers, 2 if bidirectional else 1, 5 if batch_first else 6, proj=3) \
        if with_hx else None
    assert max_diff(outputs_and_grads(ref, x, hx), outputs_and_grads(ours, x, hx)) <= TOL


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_proj_size_packed_matches_torch_nn(enforce_sorted):
    ref, ours = pair("LSTM", num_layers=2, bidirectional=True, proj_size=2)
    lengths = [5, 3, 2] if enforce_sorted else [3, 5, 2]
    x = torch.randn(5, 3, 5, dtype=torch.float64)
    hx = state_for("LSTM", 2, 2, 3, proj=2)
    a = outputs_and_grads(ref, x, hx, lengths, enforce_sorted)
    b = outputs_and_grads(ours, x, hx, lengths, enforce_sorted)
    assert max_diff(a, b) <= TOL


def test_proj_size_parameters_shapes_and_init_as_torch_nn():
    torch.manual_seed(5)
    ref = torch.nn.LSTM(5, 8, num_layers=2, bidirectional=True, proj_size=3)
    torch.manual_seed(5)
    ours = lt.LSTM(5, 8, num_layers=2, bidirectional=True, proj_size=3)
    named_ref, named_ours = dict(ref.named_parameters()), dict(ours.named_parameters())
    assert list(named_ref) == list(named_ours)
    assert named_ours["weight_hr_l1_reverse"].shape == (3, 8)
    assert named_ours["weight_hh_l0"].shape == (32, 3) and named_ours["weight_ih_l1"].shape == (32, 6)
    for name, p in named_ref.items():
        assert torch.equal(p, named_ours[name]), name
    assert repr(ours) == "LSTM(5, 8, proj_size=3, num_layers=2, bidirectional=True)"


# -- fused=True ----------------------------------------------------------------------------------
FUSED_LAYOUTS = [dict(num_layers=1), dict(num_layers=2, bidirectional=True),
                 dict(num_layers=3, bidirectional=True, batch_first=True), dict(num_layers=2, bias=False)]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layout", FUSED_LAYOUTS, ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()))
@pytest.mark.parametrize("with_hx", [False, True])
def test_fused_matches_torch_nn_float64(kind, layout, with_hx):
    ref, ours = pair(kind, fused=True, **layout)
    batch_first = layout.get("batch_first", False)
    x = torch.randn(3, 7, 5, dtype=torch.float64) if batch_first else torch.randn(7, 3, 5, dtype=torch.float64)
    hx = state_for(kind, layout["num_layers"], 2 if layout.get("bidirectional") else 1, 3) if with_hx else None
    assert max_diff(outputs_and_grads(ref, x, hx), outputs_and_grads(ours, x, hx)) <= TOL


def test_fused_relu_rnn_and_unbatched_input():
    ref, ours = pair("RNN", fused=True, nonlinearity="relu", num_layers=2, bidirectional=True)
    x = torch.randn(7, 3, 5, dtype=torch.float64)
    assert max_diff(outputs_and_grads(ref, x, None), outputs_and_grads(ours, x, None)) <= TOL
    ref, ours = pair("GRU", fused=True, num_layers=2)
    x = torch.randn(7, 5, dtype=torch.float64)  # unbatched (T, D)
    assert max_diff(outputs_and_grads(ref, x, None), outputs_and_grads(ours, x, None)) <= TOL


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_fused_equals_plain_within_float32_rounding(kind):
    torch.manual_seed(0)
    plain = getattr(lt, kind)(16, 32, num_layers=2, bidirectional=True)
    fused = getattr(lt, kind)(16, 32, num_layers=2, bidirectional=True, fused=True)
    fused.load_state_dict(plain.state_dict())
    x = torch.randn(50, 8, 16)
    a, b = outputs_and_grads(plain, x, None), outputs_and_grads(fused, x, None)
    # Both are float32 runs of the same equations, summed in a different order: the
    # differences are rounding (unit roundoff 6e-8), scaled by the size of each quantity.
    for u, v in zip(a, b):
        assert float((u - v).abs().max()) <= 2e-5 * max(1.0, float(u.abs().max()))


def test_fused_falls_back_to_the_step_loop_for_packed_and_projected_input():
    ref, ours = pair("LSTM", fused=True, num_layers=2, proj_size=2)
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    assert max_diff(outputs_and_grads(ref, x, None, [6, 4, 1]),
                    outputs_and_grads(ours, x, None, [6, 4, 1])) <= TOL


def test_fused_backward_is_hand_written_and_once_differentiable():
    m = lt.LSTM(3, 4, fused=True, dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    out, _ = m(x)
    assert type(out.grad_fn).__name__ == "LSTMScanBackward"  # not autograd's per-step nodes
    with pytest.raises(RuntimeError, match=r"differentiable only once.*create_graph=True\). Hint: build "
                                           r"the module with fused=False"):
        torch.autograd.grad(out.sum(), x, create_graph=True)
    (g,) = torch.autograd.grad(out.sum(), x)  # first order is fine
    assert g.shape == x.shape


def test_fused_records_far_fewer_autograd_nodes():
    def nodes(module):
        out, _ = module(torch.randn(20, 2, 3, requires_grad=True))
        seen, stack = set(), [out.grad_fn]
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            stack.extend(f for f, _ in fn.next_functions)
        return len(seen)

    plain, fused = lt.LSTM(3, 4), lt.LSTM(3, 4, fused=True)
    assert nodes(fused) < 15 < 20 * 5 < nodes(plain)


# -- CUDA graphs ---------------------------------------------------------------------------------
def test_cuda_graphed_refuses_cpu_input_with_a_hint():
    with pytest.raises(ValueError, match=r"cuda_graphed: argument 'sample_input' must be a CUDA tensor, "
                                         r"got one on cpu\. Hint: CUDA graphs exist only on NVIDIA GPUs"):
        cuda_graphed(lt.LSTM(3, 4), torch.randn(5, 2, 3))


@pytest.mark.cuda
@pytest.mark.parametrize("kind,fused", list(itertools.product(["LSTM", "GRU", "RNN"], [False, True])))
def test_cuda_graphed_replay_equals_eager(kind, fused):
    torch.manual_seed(0)
    m = getattr(lt, kind)(8, 16, num_layers=2, fused=fused, device="cuda", dtype=torch.float64)
    sample = torch.randn(12, 4, 8, device="cuda", dtype=torch.float64, requires_grad=True)
    run = cuda_graphed(m, sample)
    for _ in range(2):  # a second replay must reuse the graphs and give the same numbers
        x = torch.randn(12, 4, 8, device="cuda", dtype=torch.float64, requires_grad=True)
        out, state = run(x)
        (out.sum() + sum(s.sum() for s in (state if isinstance(state, tuple) else (state,)))).backward()
        graphed = [out.detach().clone(), x.grad.clone()] + [p.grad.clone() for p in m.parameters()]
        m.zero_grad(set_to_none=True)
        x2 = x.detach().clone().requires_grad_(True)
        out2, state2 = m(x2)
        (out2.sum() + sum(s.sum() for s in (state2 if isinstance(state2, tuple) else (state2,)))).backward()
        eager = [out2.detach(), x2.grad] + [p.grad for p in m.parameters()]
        assert max(float((a - b).abs().max()) for a, b in zip(graphed, eager)) <= TOL
        m.zero_grad(set_to_none=True)


@pytest.mark.cuda
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_and_fused_match_torch_nn_on_cuda(kind):
    # The same float64 parity on a GPU (torch.nn there runs cuDNN); never run on the build machine.
    kw = dict(num_layers=2, bidirectional=True, dtype=torch.float64, device="cuda")
    ref = getattr(torch.nn, kind)(5, 4, **kw)
    for fused in (False, True):
        ours = getattr(lt, kind)(5, 4, fused=fused, **kw)
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(7, 5, 5, dtype=torch.float64, device="cuda")
        lengths = None if fused else [2, 7, 1, 5, 5]  # fused=True: padded; plain: packed, unsorted
        a = outputs_and_grads(ref, x, None, lengths, enforce_sorted=False)
        b = outputs_and_grads(ours, x, None, lengths, enforce_sorted=False)
        assert max_diff(a, b) <= TOL
