"""Parameter initialisation in torch.nn's layout and distribution."""

from __future__ import annotations

import numpy as np

from .validate import argument_error

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def as_generator(seed, where: str = "as_generator", name: str = "seed") -> np.random.Generator:
    """An ``np.random.Generator`` from an int seed, a Generator (returned as is) or None.

    ``where`` and ``name`` are the public function and argument a bad ``seed`` is reported as.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if (seed is None or isinstance(seed, (int, np.integer))) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    raise argument_error(
        where,
        name,
        f"must be an int, None or a numpy Generator, got {type(seed).__name__}",
        f"pass {name}=0 or {name}=np.random.default_rng(0)",
    )


def init_params(kind: str, input_size: int, hidden_size: int, rng=None, forget_bias: float = 0.0):
    """Parameters of one recurrent layer, drawn as torch.nn draws them.

    Every tensor is ``U(-1/sqrt(H), 1/sqrt(H))``, float64.

    Args:
        kind: "rnn", "lstm" or "gru" (G = 1, 4, 3 gate blocks).
        input_size: D.  hidden_size: H.
        rng: int seed, ``np.random.Generator`` or None.
        forget_bias: LSTM only.  The forget block of ``b_ih`` is set to this value and
            that of ``b_hh`` to 0, so the forget gate's total bias is exactly
            ``forget_bias`` (1.0 is the choice of Gers et al. 2000 and Jozefowicz et al. 2015).
            The default 0.0 leaves torch.nn's random draw untouched.

    Returns:
        dict with ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih (G*H,)``, ``b_hh (G*H,)``.
    """
    where = "init_params"
    if kind not in GATES:
        raise argument_error(where, "kind", f"must be one of {sorted(GATES)}, got {kind!r}",
                             "'rnn' is the tanh RNN; 'lstm' and 'gru' are the gated cells")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise argument_error(where, name, f"must be a positive int, got {value!r}",
                                 f"{name} is {'D' if name == 'input_size' else 'H'}, e.g. {name}=8")
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.floating, np.integer)) \
            or not np.isfinite(forget_bias):
        raise argument_error(where, "forget_bias", f"must be a finite number, got {forget_bias!r}",
                             "1.0 is the usual choice for an LSTM; 0.0 keeps torch.nn's random draw")
    if forget_bias and kind != "lstm":
        raise argument_error(where, "forget_bias", f"applies to an LSTM only, got kind={kind!r}",
                             f"only an LSTM has a forget gate; drop forget_bias for kind={kind!r}")
    rng = as_generator(rng, where, "rng")
    G, H, D = GATES[kind], hidden_size, input_size
    bound = 1.0 / np.sqrt(H)
    params = {
        "W_ih": rng.uniform(-bound, bound, (G * H, D)),
        "W_hh": rng.uniform(-bound, bound, (G * H, H)),
        "b_ih": rng.uniform(-bound, bound, G * H),
        "b_hh": rng.uniform(-bound, bound, G * H),
    }
    if kind == "lstm" and forget_bias:
        params["b_ih"][H : 2 * H] = forget_bias  # gate order i, f, g, o: f is the second block
        params["b_hh"][H : 2 * H] = 0.0
    return params
