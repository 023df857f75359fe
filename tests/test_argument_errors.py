"""One bad call per public function: the message names the function and the argument.

Every callable in the ``__all__`` of every top-level module of ``lstmlab`` (found by walking
the package, so a new module or a new export is covered as soon as it exists) must have a case
in ``BAD_CALLS`` below, or be listed in ``NOT_CHECKED`` with the reason.  Each case calls the
function wrongly once and expects the package's one format (:mod:`lstmlab.errors`)::

    <where>: argument '<name>' <expected ..., got ...>. Hint: <what to do>
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import lstmlab
from lstmlab import bptt, cliff, data, diagnostics, gradcheck, train
from lstmlab import lm
from lstmlab import numpy as lnp

# Modules whose functions keep another format on purpose.
OTHER_FORMAT = {
    "lstmlab.torch": "mirrors torch.nn, so its errors use torch.nn's wording (tests/torch/test_errors.py)",
    "lstmlab.grading": "checks for learners: they fail with AssertionError diagnoses, not ValueError",
    "lstmlab.evidence": "the autograder's record of learner values; raises EvidenceError for the grader",
    # The few checks the figures make use lstmlab.errors (tests/plots/); most plot functions draw
    # lstmlab's own measurements and check nothing, so a bad call each would test matplotlib.
    "lstmlab.plots": "the book's figures, drawn from lstmlab's own measurements",
    "lstmlab.checkpointing": "a torch measurement for the book (its two checks use the format)",
    "lstmlab.errors": "the error builder itself",
}
# Exported callables that take no argument worth checking: records lstmlab builds and returns.
NOT_CHECKED = {
    "lstmlab.data.Batch": "a record the generators return (fields only)",
    "lstmlab.cliff.Descent": "a record descend() returns",
    "lstmlab.diagnostics.StateGradients": "a record state_gradients() returns",
    "lstmlab.train.History": "a record the training loops return",
    "lstmlab.train.TaskSpec": "a record get_task() returns",
    "lstmlab.train.ReadoutBatch": "a record TaskSpec.sample() returns",
    "lstmlab.data.CharData": "a record load_char_data() returns",
    "lstmlab.data.Corpus": "a record load_corpus() returns (its fields are computed from the documents)",
    "lstmlab.data.CorpusSplit": "a record split_corpus() returns",
    "lstmlab.data.Window": "a record stream_windows() yields",
    "lstmlab.data.load_corpus": "takes no argument",
}

RNG = np.random.default_rng(0)
T, N, D, H = 4, 2, 3, 5
X = RNG.standard_normal((T, N, D))
P = {kind: lnp.init_params(kind, D, H, rng=0) for kind in lnp.GATES}
STEP_X = X[0]
LM = lm.init_charlm("lstm", 5, H, 3, seed=0)  # a character model with V = 5
HS = np.zeros((T, N, H))


def _cache(kind, step=False):
    p = P[kind]
    if step:
        fwd = getattr(lnp, f"{kind}_step_forward")
        states = (np.zeros((N, H)),) * (2 if kind == "lstm" else 1)
        return fwd(STEP_X, *states, **p)[-1]
    fwd = getattr(lnp, f"{kind}_forward")
    states = (None,) * (2 if kind == "lstm" else 1)
    return fwd(X, *states, **p)[-1]


def _forward_bad_w_hh(kind, step=False):
    p = {**P[kind], "W_hh": P[kind]["W_hh"][:, 1:]}  # (G*H, H - 1): a column short
    if step:
        states = (np.zeros((N, H)),) * (2 if kind == "lstm" else 1)
        return lambda: getattr(lnp, f"{kind}_step_forward")(STEP_X, *states, **p)
    states = (None,) * (2 if kind == "lstm" else 1)
    return lambda: getattr(lnp, f"{kind}_forward")(X, *states, **p)


def _backward_bad_upstream(kind, step=False):
    if step:
        wrong = np.ones((N, H + 1))
        if kind == "lstm":
            return lambda: lnp.lstm_step_backward(wrong, np.ones((N, H)), _cache(kind, True))
        return lambda: getattr(lnp, f"{kind}_step_backward")(wrong, _cache(kind, True))
    return lambda: getattr(lnp, f"{kind}_backward")(np.ones((T, N, H + 1)), _cache(kind))


def _grads():
    return {k: np.ones_like(v) for k, v in P["rnn"].items()}


# name -> (a bad call, the function the message must name, the argument it must name)
BAD_CALLS = {
    # lstmlab.numpy: the reference layers, losses, optimisers, initialisation
    "lstmlab.numpy.Adam": (lambda: lnp.Adam(P["rnn"], lr=-1.0), "Adam", "lr"),
    "lstmlab.numpy.clip_grad_norm": (lambda: lnp.clip_grad_norm(_grads(), max_norm=0), "clip_grad_norm", "max_norm"),
    "lstmlab.numpy.clip_grad_value": (lambda: lnp.clip_grad_value(_grads(), clip=-1), "clip_grad_value", "clip"),
    "lstmlab.numpy.sgd": (lambda: lnp.sgd(P["rnn"], {"dW_hh": 1}, lr=0.1), "sgd", "grads"),
    "lstmlab.numpy.log_softmax": (lambda: lnp.log_softmax(np.array(["a", "b"])), "log_softmax", "logits"),
    "lstmlab.numpy.softmax": (lambda: lnp.softmax(np.array([1.0, np.nan])), "softmax", "logits"),
    "lstmlab.numpy.mse_loss": (lambda: lnp.mse_loss(np.ones((2, 3)), np.ones((3, 2))), "mse_loss", "target"),
    "lstmlab.numpy.softmax_cross_entropy": (
        lambda: lnp.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 4])), "softmax_cross_entropy", "labels"),
    "lstmlab.numpy.temporal_linear_forward": (
        lambda: lnp.temporal_linear_forward(HS, np.ones((3, H + 1)), np.ones(3)), "temporal_linear_forward", "W"),
    "lstmlab.numpy.temporal_linear_backward": (
        lambda: lnp.temporal_linear_backward(np.ones((T, N, 4)),
                                             lnp.temporal_linear_forward(HS, np.ones((3, H)), np.ones(3))[1]),
        "temporal_linear_backward", "dy"),
    "lstmlab.numpy.init_params": (lambda: lnp.init_params("lstn", D, H), "init_params", "kind"),
    "lstmlab.numpy.sigmoid": (lambda: lnp.sigmoid("0.5"), "sigmoid", "a"),
    "lstmlab.numpy.tanh": (lambda: lnp.tanh(None), "tanh", "a"),
    **{f"lstmlab.numpy.{kind}_forward": (_forward_bad_w_hh(kind), f"{kind}_forward", "W_hh") for kind in P},
    **{f"lstmlab.numpy.{kind}_step_forward": (_forward_bad_w_hh(kind, True), f"{kind}_step_forward", "W_hh")
       for kind in P},
    **{f"lstmlab.numpy.{kind}_backward": (_backward_bad_upstream(kind), f"{kind}_backward", "dhs") for kind in P},
    **{f"lstmlab.numpy.{kind}_step_backward": (_backward_bad_upstream(kind, True), f"{kind}_step_backward", "dh")
       for kind in P},
    # lstmlab.data: the synthetic tasks
    "lstmlab.data.Vocabulary": (lambda: data.Vocabulary(("a", "b", "a")), "Vocabulary", "tokens"),
    "lstmlab.data.adding_problem": (lambda: data.adding_problem(0, 10, 0), "adding_problem", "n"),
    "lstmlab.data.agreement": (lambda: data.agreement(4, 3, 0, attractor=1.5), "agreement", "attractor"),
    "lstmlab.data.copy_baseline_cross_entropy": (
        lambda: data.copy_baseline_cross_entropy(0), "copy_baseline_cross_entropy", "T"),
    "lstmlab.data.copy_task": (lambda: data.copy_task(4, 5, 0, n_symbols=0), "copy_task", "n_symbols"),
    "lstmlab.data.one_hot": (lambda: data.one_hot(np.array([0.5]), 3), "one_hot", "ids"),
    "lstmlab.data.temporal_order": (lambda: data.temporal_order(4, 2.5, 0), "temporal_order", "T"),
    # lstmlab.data: the character corpus
    "lstmlab.data.CharVocab": (lambda: data.CharVocab(("a", "a")), "CharVocab", "chars"),
    "lstmlab.data.batchify": (lambda: data.batchify(np.arange(10), 0), "batchify", "batch_size"),
    "lstmlab.data.load_char_data": (lambda: data.load_char_data(seed="0"), "load_char_data", "seed"),
    "lstmlab.data.split_corpus": (lambda: data.split_corpus("some text"), "split_corpus", "corpus"),
    "lstmlab.data.stream_windows": (lambda: data.stream_windows(np.arange(10), 2, 0), "stream_windows", "window"),
    # lstmlab.lm: character language models
    "lstmlab.lm.NGramModel": (lambda: lm.NGramModel(0, 3), "NGramModel", "order"),
    "lstmlab.lm.bits_per_char": (lambda: lm.bits_per_char(-1.0), "bits_per_char", "nats"),
    "lstmlab.lm.perplexity": (lambda: lm.perplexity("low"), "perplexity", "nats"),
    "lstmlab.lm.cross_entropy": (lambda: lm.cross_entropy(np.zeros((T, N, 5)), np.zeros((N, T), dtype=int)),
                                 "cross_entropy", "targets"),
    "lstmlab.lm.uniform_cross_entropy": (lambda: lm.uniform_cross_entropy(0), "uniform_cross_entropy", "vocab_size"),
    "lstmlab.lm.tune_alpha": (lambda: lm.tune_alpha(1, 3, np.arange(3), np.arange(3), grid=()), "tune_alpha", "grid"),
    "lstmlab.lm.chi_square": (lambda: lm.chi_square(np.ones(3), np.ones(2) / 2), "chi_square", "probs"),
    "lstmlab.lm.sampling_probs": (lambda: lm.sampling_probs(np.zeros(4), -1.0), "sampling_probs", "temperature"),
    "lstmlab.lm.sample_next": (lambda: lm.sample_next(np.zeros(4), 0, top_k=9), "sample_next", "top_k"),
    "lstmlab.lm.generate": (lambda: lm.generate(lambda i, s: (np.zeros((1, 3)), s), None, np.array([0]), 3, rng=0),
                            "generate", "prime"),
    "lstmlab.lm.init_charlm": (lambda: lm.init_charlm("lstn", 5, H), "init_charlm", "cell"),
    "lstmlab.lm.cell_of": (lambda: lm.cell_of({"W_hh": np.ones((7, 2))}), "cell_of", "params"),
    "lstmlab.lm.charlm_forward": (lambda: lm.charlm_forward(LM, np.full((T, N), 5)), "charlm_forward", "x"),
    "lstmlab.lm.charlm_backward": (
        lambda: lm.charlm_backward(np.ones((T, N, 4)), lm.charlm_forward(LM, np.zeros((T, N), dtype=int))[2]),
        "charlm_backward", "dlogits"),
    "lstmlab.lm.charlm_loss_and_grads": (
        lambda: lm.charlm_loss_and_grads(LM, np.zeros((T, N), dtype=int), np.zeros((N, T), dtype=int)),
        "charlm_loss_and_grads", "y"),
    "lstmlab.lm.charlm_step": (lambda: lm.charlm_step({}), "charlm_step", "params"),
    # lstmlab.cliff: the one-unit RNN with a wall
    "lstmlab.cliff.unroll": (lambda: cliff.unroll("steep"), "unroll", "w"),
    "lstmlab.cliff.loss_and_grad": (lambda: cliff.loss_and_grad(1.0, steps=0), "loss_and_grad", "steps"),
    "lstmlab.cliff.wall_position": (lambda: cliff.wall_position(h0=0.0), "wall_position", "h0"),
    "lstmlab.cliff.descend": (lambda: cliff.descend(1.0, lr=-0.1, n_steps=10), "descend", "lr"),
    # lstmlab.bptt: truncated against full BPTT
    "lstmlab.bptt.full_bptt": (lambda: bptt.full_bptt("lstn", P["lstm"], X, np.ones((T, N, H))), "full_bptt", "kind"),
    "lstmlab.bptt.truncated_bptt": (
        lambda: bptt.truncated_bptt("rnn", P["rnn"], X, np.ones((T, N, H)), k2=0), "truncated_bptt", "k2"),
    # lstmlab.gradcheck: numerical gradients
    "lstmlab.gradcheck.numerical_gradient": (
        lambda: gradcheck.numerical_gradient(np.tanh, X.astype(np.float32), np.ones_like(X)),
        "numerical_gradient", "x"),
    "lstmlab.gradcheck.numerical_gradient_scalar": (
        lambda: gradcheck.numerical_gradient_scalar(np.tanh, np.ones(3)), "numerical_gradient_scalar", "f"),
    "lstmlab.gradcheck.rel_error": (lambda: gradcheck.rel_error(np.ones(3), np.ones(4)), "rel_error", "b"),
    # lstmlab.diagnostics: gradient flow
    "lstmlab.diagnostics.cell_gradient_norms": (
        lambda: diagnostics.cell_gradient_norms(P["lstm"], X, reduce="median"), "cell_gradient_norms", "reduce"),
    "lstmlab.diagnostics.hidden_gradient_norms": (
        lambda: diagnostics.hidden_gradient_norms("rnn", P["rnn"], X, loss_at="first"),
        "hidden_gradient_norms", "loss_at"),
    "lstmlab.diagnostics.jacobian_product_norms": (
        lambda: diagnostics.jacobian_product_norms("rnn", P["rnn"], X, reduce="median"),
        "jacobian_product_norms", "reduce"),
    "lstmlab.diagnostics.scale_to_spectral_radius": (
        lambda: diagnostics.scale_to_spectral_radius(np.eye(3), -1.0), "scale_to_spectral_radius", "rho"),
    "lstmlab.diagnostics.spectral_radius": (
        lambda: diagnostics.spectral_radius(np.ones((3, 2))), "spectral_radius", "W"),
    "lstmlab.diagnostics.state_gradients": (
        lambda: diagnostics.state_gradients("rnn", P["rnn"], X, upstream=np.ones((N, H + 1))),
        "state_gradients", "upstream"),
    "lstmlab.diagnostics.step_jacobians": (
        lambda: diagnostics.step_jacobians("lstn", P["lstm"], X), "step_jacobians", "kind"),
    # lstmlab.train: configuration and loops
    "lstmlab.train.TrainConfig": (lambda: train.TrainConfig(steps=0), "TrainConfig", "steps"),
    "lstmlab.train.get_task": (lambda: train.get_task("adding"), "get_task", "config"),
    "lstmlab.train.train_numpy": (lambda: train.train_numpy(steps=0, progress=False), "train_numpy", "steps"),
    "lstmlab.train.train_torch": (lambda: train.train_torch(lr=-1.0, progress=False), "train_torch", "lr"),
}


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.iter_modules(lstmlab.__path__, "lstmlab."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        names.append(info.name)
    return sorted(names)


def _public_callables() -> list[str]:
    found = []
    for name in _public_modules():
        if name in OTHER_FORMAT:
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.append(f"{name}.{attr}")
    return found


def test_every_public_function_has_a_bad_call():
    public = _public_callables()
    missing = [n for n in public if n not in BAD_CALLS and n not in NOT_CHECKED]
    assert not missing, (
        f"public function(s) without a bad-call case in tests/test_argument_errors.py: {missing}. "
        "Add one to BAD_CALLS (and make the function check its arguments with lstmlab.errors), "
        "or list it in NOT_CHECKED with the reason")
    stale = sorted((set(BAD_CALLS) | set(NOT_CHECKED)) - set(public))
    assert not stale, f"cases for names that are no longer exported: {stale}"
    # The walk itself must find the package's functions (55 when this test was written).
    assert len(public) >= 55, public


def test_every_module_is_in_scope_or_explained():
    for name in OTHER_FORMAT:
        assert name in _public_modules(), f"OTHER_FORMAT names {name}, which is not a module of lstmlab"


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_call_names_the_function_and_the_argument(name):
    call, where, argument = BAD_CALLS[name]
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{where}: argument '{argument}' "), message
    assert ". Hint: " in message, message
