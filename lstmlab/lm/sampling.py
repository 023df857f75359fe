"""Drawing text from a model: greedy, temperature and top-k sampling, and a chi-square check.

Shapes: V characters, N sequences sampled side by side.  A model is anything that maps the
current ids and a state to next-character logits: ``step(ids (N,), state) -> (logits (N, V),
state)`` (:func:`generate` drives it).

Temperature divides the **logits** before the softmax: ``softmax(z / tau)``.  ``tau = 1`` is
the model's own distribution, ``tau < 1`` sharpens it (``tau -> 0`` is greedy argmax),
``tau > 1`` flattens it towards uniform.  (Raising probabilities to ``1 / tau`` and
renormalising is the same thing; dividing probabilities by ``tau`` is not.)  Top-k keeps the
``k`` largest logits and renormalises over them.
"""

from __future__ import annotations

import math

import numpy as np

from lstmlab.errors import argument_error
from lstmlab.numpy.layers import softmax
from lstmlab.numpy.params import as_generator

__all__ = ["chi_square", "generate", "sample_next", "sampling_probs"]


def _logits(where: str, logits) -> np.ndarray:
    z = np.asarray(logits)
    if z.dtype.kind not in "fiu" or z.ndim not in (1, 2) or z.shape[-1] < 1:
        raise argument_error(where, "logits", f"must be float scores of shape (V,) or (N, V), got dtype "
                                        f"{z.dtype} and shape {z.shape}", "the model's output for the last step")
    return z.astype(np.float64, copy=False)


def _options(where: str, temperature, top_k, V: int) -> tuple[float, int | None]:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) \
            or not math.isfinite(temperature) or temperature < 0:
        raise argument_error(where, "temperature", f"must be a number >= 0, got {temperature!r}",
                                        "1.0 samples the model's distribution, 0 is greedy argmax")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or not 1 <= top_k <= V):
        raise argument_error(where, "top_k", f"must be None or an int in [1, V] = [1, {V}], got {top_k!r}",
                                        "None keeps every character")
    return float(temperature), None if top_k is None else int(top_k)


def sampling_probs(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """The distribution that :func:`sample_next` draws from: ``(V,)`` or ``(N, V)``, rows sum to 1.

    ``temperature = 0`` puts all the mass on the argmax (the first one on ties).
    """
    return _probs("sampling_probs", logits, temperature, top_k)


def _probs(where: str, logits, temperature, top_k) -> np.ndarray:
    z = _logits(where, logits)
    temperature, top_k = _options(where, temperature, top_k, z.shape[-1])
    if top_k is not None and top_k < z.shape[-1]:
        kth = np.sort(z, axis=-1)[..., -top_k][..., None]  # the k-th largest logit
        z = np.where(z >= kth, z, -np.inf)  # ties at the k-th value are all kept
    if temperature == 0.0:
        out = np.zeros_like(z)
        np.put_along_axis(out, np.argmax(z, axis=-1)[..., None], 1.0, axis=-1)
        return out
    z = z / temperature
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))  # exp(-inf) = 0 for dropped characters
    return e / e.sum(axis=-1, keepdims=True)


def sample_next(logits, rng, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Draw one id per row of ``logits`` ((V,) -> () int64, (N, V) -> (N,) int64).

    ``rng``: an int seed or a ``np.random.Generator`` (advanced).  One uniform number per row
    is compared with the cumulative probabilities (inverse-CDF sampling), so a seed gives the
    same draws on every platform.
    """
    p = _probs("sample_next", logits, temperature, top_k)
    rng = as_generator(rng, "sample_next", "rng")
    cdf = np.cumsum(p, axis=-1)
    # u scaled by the total, so rounding in cumsum (a last value of 0.9999999) cannot push u
    # past the end; a zero-probability id has an empty interval and is never chosen.
    u = rng.random(p.shape[:-1])[..., None] * cdf[..., -1:]  # (N, 1) or (1,)
    ids = (cdf <= u).sum(axis=-1)  # the first index whose cdf exceeds u
    return ids.astype(np.int64)


def generate(step, state, prime, length: int, rng, temperature: float = 1.0,
             top_k: int | None = None):
    """Sample ``length`` characters after ``prime`` from a model given by ``step``.

    step : ``step(ids (N,) int64, state) -> (logits (N, V), state)``; one character in, the
        next-character scores out
    state : the model's initial state (whatever ``step`` expects, e.g. None for zeros)
    prime : ``(P, N)`` int64 ids fed first (P >= 1), e.g. ``vocab.encode("def ")[:, None]``
    length : number of characters to draw
    rng : int seed or ``np.random.Generator``

    Returns ``(ids (length, N) int64, log_probs (length, N))``: the drawn ids and the model's
    own log-probability of each (at temperature 1, without top-k), the per-character
    log-likelihood that tells a plausible sample from a lucky one.
    """
    where = "generate"
    prime = np.asarray(prime)
    if prime.ndim != 2 or prime.shape[0] < 1 or prime.dtype.kind not in "iu":
        raise argument_error(where, "prime", f"must be (P, N) integer ids with P >= 1, got dtype "
                                        f"{prime.dtype} and shape {prime.shape}",
                                        "a single text: vocab.encode(text)[:, None]")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise argument_error(where, "length", f"must be an int >= 0, got {length!r}", "e.g. 300")
    rng = as_generator(rng, where, "rng")
    logits = None
    for t in range(prime.shape[0]):
        logits, state = step(prime[t].astype(np.int64), state)
    ids = np.empty((length, prime.shape[1]), dtype=np.int64)
    logps = np.empty((length, prime.shape[1]))
    for t in range(length):
        ids[t] = sample_next(logits, rng, temperature, top_k)
        logp = np.log(softmax(logits))  # (N, V), the model's distribution
        logps[t] = np.take_along_axis(logp, ids[t][:, None], axis=-1)[:, 0]
        logits, state = step(ids[t], state)
    return ids, logps


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) (Numerical Recipes' series / continued
    fraction), the survival function of the chi-square: no scipy needed."""
    if x <= 0:
        return 1.0
    lg = math.lgamma(a)
    if x < a + 1:  # series for P(a, x)
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - lg))
    b, c, d = x + 1 - a, 1e300, 1.0 / (x + 1 - a)  # Lentz's continued fraction for Q(a, x)
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - lg) * h


def chi_square(counts, probs, min_expected: float = 5.0) -> tuple[float, int, float]:
    """Pearson's chi-square test that ``counts`` were drawn from ``probs``.

    counts : (V,) observed counts; probs : (V,) probabilities (sum 1).  Categories expected
    fewer than ``min_expected`` times are pooled into one (the test's approximation needs
    about 5 per cell); categories of probability 0 must have count 0 (else p = 0).

    Returns ``(statistic, degrees of freedom, p-value)``.
    """
    where = "chi_square"
    counts = np.asarray(counts, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    if counts.ndim != 1 or probs.shape != counts.shape:
        raise argument_error(where, "probs", f"must have the shape of counts {counts.shape}, got {probs.shape}",
                                        "one probability per category")
    if not np.isclose(probs.sum(), 1.0) or np.any(probs < 0):
        raise argument_error(where, "probs", f"must be >= 0 and sum to 1, got sum {probs.sum()!r}",
                                        "pass sampling_probs(...) for the logits that were sampled")
    n = counts.sum()
    if np.any(counts[probs == 0] > 0):
        return math.inf, 0, 0.0
    expected = n * probs
    keep = expected >= min_expected
    obs = list(counts[keep])
    exp = list(expected[keep])
    pooled = (~keep) & (probs > 0)
    if pooled.any():
        obs.append(counts[pooled].sum())
        exp.append(expected[pooled].sum())
    obs, exp = np.array(obs), np.array(exp)
    dof = len(obs) - 1
    if dof < 1:
        raise argument_error(where, "counts", f"leave {len(obs)} category after pooling; need >= 2",
                                        "draw more samples")
    stat = float(np.sum((obs - exp) ** 2 / exp))
    return stat, dof, _gamma_q(dof / 2.0, stat / 2.0)
