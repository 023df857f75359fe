"""Checks for the character language model assignment (``notebooks/charlm``).

The learner writes the vocabulary and encoding, stateful batches, the cross-entropy and bits
per character, temperature probabilities, one window of truncated BPTT (``window_step``), an
epoch of windows with the state carried and the gradient clipped (``train_epoch``), and trains
a model whose validation bits per character :func:`check_charlm_bpc` measures.

Credit carries forward: where a function consumes another one's output, it is judged against
the learner's own upstream output when that is sound -- ``encode`` with the learner's own
vocabulary, ``bits_per_char`` against the learner's own ``cross_entropy``, ``window_step``
against the gradients the learner's ``cross_entropy`` gives on the right logits -- and
``train_epoch`` is handed a correct window step by the check, so it is judged on its own.

Shapes: L characters, V vocabulary, T steps per window, N columns, H hidden units, K windows.
"""

from __future__ import annotations

import math
import os

import numpy as np

from lstmlab import evidence

from . import _charlm_ref as cref
from . import _guard, _private, _safe
from ._check import Case, Check

_GRADING_DIR = os.path.dirname(os.path.abspath(__file__))
_LSTMLAB_DIR = os.path.dirname(_GRADING_DIR)
_REF_FILE = os.path.join(_GRADING_DIR, "_charlm_ref.py")
# The learner writes these pieces themselves: lstmlab's own text tools and language-model
# helpers (lstmlab.data.text, lstmlab.lm) are off limits inside them, like lstmlab.numpy.
_OWN_WORK = (*_guard.REFERENCE_DIRS, _REF_FILE, os.path.join(_LSTMLAB_DIR, "lm"),
             os.path.join(_LSTMLAB_DIR, "data", "text.py"))
_LN2 = math.log(2.0)


def _upstream(check: Check, fn, args: tuple, case: Case, what: str):
    """The learner's upstream function's value, or ``None`` when it raises or is refused.

    Exactly one value is recorded either way, so a replay reads the same sequence.
    """
    if check.evidence is not None and check.evidence.replaying:
        return check.evidence.keep()
    try:
        return check.call(fn, args, case, what)
    except AssertionError:
        return check.keep(None)


def _ints(check: Check, name: str, value, shape: tuple, case: Case, what: str):
    """An integer array of exactly ``shape``."""
    if type(value) is not _safe.NDARRAY:
        check.fail(f"{what} returned {name} as a {type(value).__name__}; expected a numpy array of integers.",
                   hint=f"build it with np.array(..., dtype=np.int64); shape {shape}.", case=case)
    if value.dtype.kind not in "iu":
        check.fail(f"{what} returned {name} with dtype {value.dtype}; expected integers (int64).",
                   hint="ids index the vocabulary: use dtype=np.int64.", case=case)
    got = _safe.shape_of(value)
    if got != tuple(shape):
        check.fail(f"{what} returned {name} with shape {got}; expected {tuple(shape)}.", case=case)
    return value


def _float(check: Check, name: str, value, case: Case, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (float, int)) and type(value) is not _safe.NDARRAY:
        check.fail(f"{what} returned {name} as a {type(value).__name__}; expected a float.",
                   hint=f"return float({name}).", case=case)
    if type(value) is _safe.NDARRAY:
        if _safe.shape_of(value) != ():
            check.fail(f"{what} returned {name} as an array of shape {_safe.shape_of(value)}; expected one number.",
                       hint="average over every position: the loss is a single float.", case=case)
        value = _safe.floats(value)[0]
    return float(value)


def _close(a: float, b: float, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


# ------------------------------------------------------------------ vocabulary and encoding

def _texts(seed: int):
    rng = np.random.default_rng(seed)
    alphabet = list("abcdefgh XYZ\n\t()'\"é→")
    random_text = "".join(rng.choice(alphabet, size=60 + seed % 7))
    return [("a short sentence", "hello, world\n"),
            (f"random characters, seed {seed}", random_text),
            ("one repeated character", "zzzz"),
            ("code", "def f(x):\n    return [x, 'y']  # z\n")]


def _valid_vocab(chars, text) -> bool:
    return (type(chars) in (list, tuple) and all(type(c) is str and len(c) == 1 for c in chars)
            and len(set(chars)) == len(chars) and set(text) <= set(chars))


def check_build_vocab(build_vocab, seed: int = 0) -> None:
    """Check ``build_vocab(text) -> chars``: a list of the distinct characters, sorted by code point."""
    check = Check("check_build_vocab", forbidden_dirs=_OWN_WORK)
    for label, text in _texts(seed):
        case = Case(label, dict(L=len(text)))
        chars = check.call(build_vocab, (text,), case, "build_vocab", ("text",))
        expected = cref.build_vocab(text)
        if type(chars) not in (list, tuple) or not all(type(c) is str for c in chars):
            check.fail(f"build_vocab returned a {type(chars).__name__}; expected a list of characters (strs).",
                       hint="sorted(set(text)) is such a list.", case=case)
        if list(chars) == expected:
            continue
        if sorted(chars) == expected:
            hint = "sort the characters by code point (sorted(...)), so the ids don't depend on the order of the text."
        elif len(set(chars)) != len(chars):
            hint = "each character must appear once: build the list from set(text)."
        elif any(len(c) != 1 for c in chars):
            hint = "the vocabulary holds single characters, not words or strings."
        elif not set(text) <= set(chars):
            hint = f"characters of the text are missing: {sorted(set(text) - set(chars))[:5]}."
        else:
            hint = "the vocabulary is exactly the characters that occur in the text."
        check.fail(f"build_vocab returned {list(chars)[:8]}{' ...' if len(chars) > 8 else ''} "
                   f"({len(chars)} items); expected {expected[:8]}{' ...' if len(expected) > 8 else ''} "
                   f"({len(expected)}).", hint=hint, case=case)
    check.finish()


def check_encode(encode, build_vocab, seed: int = 0) -> None:
    """Check ``encode(text, chars) -> ids (L,)``, id = position in ``chars``.

    ``chars`` is the learner's own ``build_vocab(text)`` when that is a valid vocabulary
    (distinct characters covering the text, in any order), else the right one: a wrong
    vocabulary costs the vocabulary's points only.
    """
    check = Check("check_encode", forbidden_dirs=_OWN_WORK)
    for label, text in _texts(seed):
        case = Case(label, dict(L=len(text)))
        own = _upstream(check, build_vocab, (text,), case, "build_vocab")
        # The learner's vocabulary is still asked for with credit carried forward switched off,
        # so that the recorded evidence has the same values either way.
        chars = list(own) if evidence.ecf_enabled() and _valid_vocab(own, text) else cref.build_vocab(text)
        ids = check.call(encode, (text, chars), case, "encode", ("text", "chars"))
        ids = _ints(check, "ids", ids, (len(text),), case, "encode")
        expected = cref.encode(text, chars)
        got = [int(v) for v in ids.tolist()]
        want = expected.tolist()
        if got == want:
            continue
        k = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        hint = "ids[i] is the position of text[i] in chars (chars.index(text[i]), or a dict built once)."
        if all(a == b + 1 for a, b in zip(got, want)):
            hint = "ids start at 0: the first character of chars has id 0."
        elif got == cref.encode(text, cref.build_vocab(text)).tolist():
            hint = "use the vocabulary passed in as chars, not one you build inside encode."
        check.fail(f"ids[{k}] (the character {text[k]!r}) is {got[k]}; expected {want[k]} "
                   f"(its position in chars).", hint=hint, case=case)
    check.finish()


# ------------------------------------------------------------------------- stateful batches

def _batch_cases(seed: int):
    rng = np.random.default_rng(seed)
    return [
        ("ids 0..L-1, L = N*S", 0, np.arange(40, dtype=np.int64), 4, 3),
        ("ids 0..L-1, with a remainder", 0, np.arange(47, dtype=np.int64), 3, 4),
        (f"random ids, seed {seed}", 1, rng.integers(0, 9, size=83 + seed % 5).astype(np.int64), 5, 3),
        ("N = 1", 0, np.arange(30, dtype=np.int64), 1, 7),
        ("T = 1", 0, np.arange(24, dtype=np.int64), 2, 1),
    ]


def _batch_variants(ids, N, T):
    """[(hint, (X, Y))] for typical batching mistakes."""
    S = len(ids) // N
    K = (S - 1) // T
    cols = ids[: S * N].reshape(N, S).T
    out = []

    def windows(src, shift, stride=T):
        xs, ys = [], []
        for k in range(K):
            start = k * stride
            if start + T + max(shift, 0) > src.shape[0] or start + min(shift, 0) < 0:
                return None
            xs.append(src[start:start + T])
            ys.append(src[start + shift:start + shift + T])
        return (np.stack(xs), np.stack(ys)) if xs else None

    for shift, text in ((0, "Y equals X: the target at each step is the *next* character, y = x shifted by one."),
                        (2, "off by one: the targets are two characters ahead; y[t] is the character right "
                            "after x[t].")):
        out.append((text, windows(cols, shift)))
    right = windows(cols, 1)
    if right is not None:
        out.append(("X and Y are swapped: X holds the inputs (steps k*T ...), Y the characters one step further on.",
                    (right[1], right[0])))
    dealt = ids[: S * N].reshape(S, N)  # round-robin: column i holds ids i, i+N, i+2N, ...
    out.append(("the columns are dealt round-robin (ids[:S*N].reshape(S, N)); each column must be one contiguous "
                "piece of text, ids[i*S:(i+1)*S], i.e. ids[:S*N].reshape(N, S).T, so that window k+1 continues "
                "window k in every column and the carried state belongs to the text that follows.",
                windows(dealt, 1)))
    out.append(("consecutive windows overlap or skip: window k must start at step k*T of every column "
                "(stride T), so that it begins exactly where window k-1 ended.", windows(cols, 1, stride=T + 1)))
    return [(h, v) for h, v in out if v is not None]


def check_make_batches(make_batches, seed: int = 0) -> None:
    """Check ``make_batches(ids, N, T) -> (X, Y)``, both ``(K, T, N)`` int: the stream cut into N
    contiguous columns of S = L // N ids, K = (S - 1) // T full windows, Y = X shifted by one."""
    check = Check("check_make_batches", forbidden_dirs=_OWN_WORK)
    for label, _, ids, N, T in _batch_cases(seed):
        L = len(ids)
        S = L // N
        K = (S - 1) // T
        case = Case(label, dict(L=L, N=N, T=T, K=K))
        result = check.call(make_batches, (ids, N, T), case, "make_batches", ("ids", "N", "T"))
        X, Y = check.unpack(result, ("X", "Y"), case, "make_batches")
        exp_X, exp_Y = cref.make_batches(ids, N, T)
        for name, value in (("X", X), ("Y", Y)):
            if type(value) is _safe.NDARRAY and _safe.shape_of(value) != (K, T, N):
                got = _safe.shape_of(value)
                hint = f"K = (S - 1) // T = ({S} - 1) // {T} = {K} full windows (drop a shorter last one), each (T, N)."
                if got == (K, N, T):
                    hint = "windows are time-major: each is (T, N), x[t] is the batch at step t (transpose)."
                check.fail(f"make_batches returned {name} with shape {got}; expected (K, T, N) = {(K, T, N)}.",
                           hint=hint, case=case)
            _ints(check, name, value, (K, T, N), case, "make_batches")
        if X.tolist() == exp_X.tolist() and Y.tolist() == exp_Y.tolist():
            continue
        hint = None
        for text, (vx, vy) in _batch_variants(ids, N, T):
            if X.tolist() == vx.tolist() and Y.tolist() == vy.tolist():
                hint = text
                break
        wrong = "X" if X.tolist() != exp_X.tolist() else "Y"
        got, want = (X, exp_X) if wrong == "X" else (Y, exp_Y)
        flat_got, flat_want = got.reshape(-1).tolist(), want.reshape(-1).tolist()
        k = next(i for i, (a, b) in enumerate(zip(flat_got, flat_want)) if a != b)
        index = _safe.unravel(k, (K, T, N))
        check.fail(f"{wrong}[{', '.join(map(str, index))}] is {flat_got[k]}; expected {flat_want[k]}.",
                   "(with ids 0..L-1, the value is the position in the stream.)" if label.startswith("ids") else None,
                   hint=hint or "column i of the stream is ids[i*S:(i+1)*S]; window k holds its steps k*T .. k*T+T-1 "
                   "as X and the steps one further on as Y.", case=case)
    check.finish()


# --------------------------------------------------------------------- loss, bits, sampling

def _loss_cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for label, (T, N, V), scale in ((f"random, seed {seed}", (4, 3, 6), 1.0), ("T = N", (3, 3, 5), 1.0),
                                    ("N=1, T=1", (1, 1, 4), 1.0), ("large logits", (2, 3, 5), 1000.0)):
        logits = rng.standard_normal((T, N, V)) * scale
        targets = rng.integers(0, V, size=(T, N)).astype(np.int64)
        cases.append((Case(label, dict(T=T, N=N, V=V)), logits, targets))
    return cases


def _loss_variants(logits, targets):
    """[(hint, loss, dlogits)] for typical loss mistakes."""
    T, N, V = logits.shape
    loss, d = cref.cross_entropy(logits, targets)
    probs = np.exp(cref.log_softmax(logits))
    return [
        ("the loss is averaged over the wrong axis: yours sums over time and averages over the batch; "
         "average over all T*N positions (every character counts once).", loss * T, d * T),
        ("the loss is averaged over the vocabulary axis too (a mean over T*N*V entries of one-hot * log p); "
         "average the T*N picked log-probabilities only.", loss / V, d / V),
        ("the loss is summed over the T*N positions; average it (and divide the gradient by T*N).",
         loss * T * N, d * T * N),
        ("the gradient is softmax - one_hot; it is missing the division by T*N from the mean.", loss, d * T * N),
        ("the gradient of cross-entropy with respect to the logits is softmax(logits) - one_hot(target), "
         "divided by T*N; the one-hot part is missing.", loss, probs / (T * N)),
        ("log base: the loss is in nats (natural log, np.log); bits come later, in bits_per_char.",
         loss / _LN2, d / _LN2),
    ]


def check_cross_entropy(cross_entropy, seed: int = 0) -> None:
    """Check ``cross_entropy(logits (T, N, V), targets (T, N)) -> (loss, dlogits (T, N, V))``:
    the mean over the T*N positions of -log softmax(logits)[target], in nats, and its gradient."""
    check = Check("check_cross_entropy", forbidden_dirs=_OWN_WORK)
    for case, logits, targets in _loss_cases(seed):
        result = check.call(cross_entropy, (logits, targets), case, "cross_entropy", ("logits", "targets"))
        loss, dlogits = check.unpack(result, ("loss", "dlogits"), case, "cross_entropy")
        loss = _float(check, "loss", loss, case, "cross_entropy")
        check.array("dlogits", dlogits, ("T", "N", "V"), case, "cross_entropy")
        exp_loss, exp_d = cref.cross_entropy(logits, targets)
        variants = _loss_variants(logits, targets)
        if not _close(loss, exp_loss):
            hint = next((h for h, vl, _ in variants if _close(loss, vl, 1e-6)), None)
            if not math.isfinite(loss):
                hint = ("exp overflowed: subtract the largest logit of each position before np.exp "
                        "(log-softmax = z - max - log(sum(exp(z - max)))); the result does not change.")
            check.fail(f"loss is {loss:.8g}; expected {exp_loss:.8g}.", case=case,
                       hint=hint or "loss = -mean over positions of log softmax(logits)[t, n, targets[t, n]].")
        check.compare("dlogits", dlogits, exp_d, case, "cross_entropy",
                      variants=lambda: [(h, {"dlogits": vd}) for h, _, vd in variants],
                      generic_hint="dlogits = (softmax(logits) - one_hot(targets)) / (T * N).")
    check.finish()


def check_bits_per_char(bits_per_char, cross_entropy, seed: int = 0) -> None:
    """Check ``bits_per_char(logits, targets) -> float``: the cross-entropy in bits (nats / ln 2).

    Credit carries forward: a value equal to the learner's own ``cross_entropy`` loss / ln 2
    passes even when that loss is wrong (its own check costs those points).
    """
    check = Check("check_bits_per_char", forbidden_dirs=_OWN_WORK)
    for case, logits, targets in _loss_cases(seed):
        value = check.call(bits_per_char, (logits, targets), case, "bits_per_char", ("logits", "targets"))
        value = _float(check, "bits per character", value, case, "bits_per_char")
        expected = cref.cross_entropy(logits, targets)[0] / _LN2
        own = _upstream(check, cross_entropy, (logits, targets), case, "cross_entropy")
        if _close(value, expected):
            continue
        try:
            own_bits = float(own[0]) / _LN2
        except (TypeError, ValueError, IndexError, KeyError):
            own_bits = None
        if evidence.ecf_enabled() and own_bits is not None and _close(value, own_bits):
            continue  # right conversion of the learner's own (wrong) loss: its check takes the points
        hint = "bits per character = the mean cross-entropy in nats / ln 2 (= log2 of the perplexity)."
        if _close(value, expected * _LN2):
            hint = "that is the loss in nats; divide by np.log(2) for bits."
        elif _close(value, expected * _LN2 / math.log(10)):
            hint = "that is in decimal digits (log10); bits are log base 2: nats / np.log(2)."
        check.fail(f"bits_per_char returned {value:.8g}; expected {expected:.8g}.", case=case, hint=hint)
    check.finish()


def check_temperature_probs(temperature_probs, seed: int = 0) -> None:
    """Check ``temperature_probs(logits (N, V), temperature) -> probs (N, V)`` = softmax(logits / temperature)."""
    check = Check("check_temperature_probs", forbidden_dirs=_OWN_WORK)
    rng = np.random.default_rng(seed)
    for temperature in (1.0, 0.5, 2.0, 0.005):  # 0.005: logits / temperature overflow a naive exp
        N, V = 3, 7
        logits = rng.standard_normal((N, V)) * 3.0
        case = Case(f"temperature {temperature:g}", dict(N=N, V=V))
        probs = check.call(temperature_probs, (logits, temperature), case, "temperature_probs",
                           ("logits", "temperature"))
        check.array("probs", probs, ("N", "V"), case, "temperature_probs")
        expected = cref.temperature_probs(logits, temperature)
        softmax = cref.temperature_probs(logits, 1.0)

        def variants(logits=logits, temperature=temperature, softmax=softmax):
            return [
                ("the temperature is applied after the softmax; divide the logits by it, then take the softmax: "
                 "softmax(logits / temperature).", {"probs": softmax / temperature}),
                ("the temperature has no effect: divide the logits by it before the softmax.", {"probs": softmax}),
                ("the logits are multiplied by the temperature; divide by it (a low temperature sharpens).",
                 {"probs": cref.temperature_probs(logits, 1.0 / temperature)}),
            ]

        hint = None
        if not all(math.isfinite(v) for v in _safe.floats(probs)):
            hint = ("exp overflowed at a low temperature: subtract the largest value of logits / temperature "
                    "in each row before np.exp.")
        check.compare("probs", probs, expected, case, "temperature_probs", variants=variants,
                      generic_hint=hint or "probs = softmax(logits / temperature) along the last axis (rows sum to 1).",
                      atol=1e-10, rtol=1e-7)
    check.finish()


# ------------------------------------------------------------------- truncated BPTT windows

def _model(rng, V: int, H: int) -> dict:
    b = 1.0 / math.sqrt(H)
    return {"W_ih": rng.uniform(-b, b, (4 * H, V)), "W_hh": rng.uniform(-b, b, (4 * H, H)),
            "b_ih": rng.uniform(-b, b, 4 * H), "b_hh": rng.uniform(-b, b, 4 * H),
            "W_out": rng.uniform(-b, b, (V, H)) * 3.0, "b_out": rng.uniform(-b, b, V)}


def _dims(name: str) -> tuple:
    return {"W_ih": ("4H", "V"), "W_hh": ("4H", "H"), "b_ih": ("4H",), "b_hh": ("4H",),
            "W_out": ("V", "H"), "b_out": ("V",)}[name]


def _check_grads(check: Check, what: str, grads, case: Case) -> None:
    if type(grads) is not dict:
        check.fail(f"{what} returned the gradients as a {type(grads).__name__}; expected a dict keyed like params.",
                   hint="return {'W_ih': dW_ih, 'W_hh': dW_hh, ...} with the names of the parameters.", case=case)
    if set(grads) != set(cref.PARAM_NAMES):
        check.fail(f"{what} returned gradients for {sorted(grads)}; expected {sorted(cref.PARAM_NAMES)}.",
                   hint="one gradient per parameter, under the parameter's own name.", case=case)
    for name in cref.PARAM_NAMES:
        check.array(name, grads[name], _dims(name), case, what)


def check_window_step(window_step, cross_entropy, seed: int = 0) -> None:
    """Check ``window_step(params, x (T, N), y (T, N), h0, c0 (N, H)) -> (loss, grads, h, c)``.

    A one-hot LSTM with a linear read-out: ``logits = hs @ W_out.T + b_out``; ``loss`` the mean
    cross-entropy, ``grads`` a dict keyed like ``params``, ``h, c`` the state after the last
    step (to carry into the next window).  Credit carries forward: the loss and gradients are
    also accepted when they are right for the learner's own ``cross_entropy`` (on the right
    logits).  Calling lstmlab.numpy's LSTM is allowed here.
    """
    check = Check("check_window_step", forbidden_dirs=(_REF_FILE,))
    rng = np.random.default_rng(seed)
    for label, (T, N, V, H) in ((f"random, seed {seed}", (5, 3, 6, 4)), ("T = N", (3, 3, 5, 3)),
                                ("N=1, T=1", (1, 1, 4, 2))):
        case = Case(label, dict(T=T, N=N, V=V, H=H))
        params = _model(rng, V, H)
        x = rng.integers(0, V, size=(T, N)).astype(np.int64)
        y = rng.integers(0, V, size=(T, N)).astype(np.int64)
        h0, c0 = rng.uniform(-0.5, 0.5, (N, H)), rng.uniform(-0.5, 0.5, (N, H))
        result = check.call(window_step, (params, x, y, h0, c0), case, "window_step",
                            ("params", "x", "y", "h0", "c0"))
        loss, grads, h, c = check.unpack(result, ("loss", "grads", "h", "c"), case, "window_step")
        loss = _float(check, "loss", loss, case, "window_step")
        _check_grads(check, "window_step", grads, case)
        check.array("h", h, ("N", "H"), case, "window_step")
        check.array("c", c, ("N", "H"), case, "window_step")
        logits, exp_h, exp_c, saved = cref.forward(params, x, h0, c0)
        exp_loss, dlogits = cref.cross_entropy(logits, y)
        expected = cref.backward(params, dlogits, saved)
        # The learner's own cross_entropy on the right logits: their gradients judged with it.
        own = _upstream(check, cross_entropy, (logits, y), case, "cross_entropy")
        own_expected = None
        try:
            own_loss, own_d = float(own[0]), own[1]
            if type(own_d) is _safe.NDARRAY and _safe.shape_of(own_d) == (T, N, V) and own_d.dtype.char == "d":
                own_expected = (own_loss, cref.backward(params, own_d, saved))
        except (TypeError, ValueError, IndexError, KeyError):
            pass
        zero_state = (np.zeros((N, H)), np.zeros((N, H)))
        reset_logits, reset_h, reset_c, _ = cref.forward(params, x, *zero_state)
        hs_all, cs_all, _ = cref.ref.lstm_forward(np.eye(V)[x], h0, c0, params["W_ih"], params["W_hh"],
                                                   params["b_ih"], params["b_hh"])
        for name, value, exp, first, reset in (("h", h, exp_h, hs_all[0], reset_h),
                                               ("c", c, exp_c, cs_all[0], reset_c)):
            check.compare(name, value, exp, case, "window_step", variants=lambda name=name, first=first, reset=reset: [
                (f"return the state after the *last* step ({name} = {name}s[-1]): the next window starts from it.",
                 {name: first}),
                (f"return the new state, not the one passed in: {name} after the last step is what is carried "
                 "to the next window.", {"h": h0, "c": c0}),
                ("the window must start from the state passed in (h0, c0): that is the state carried over from "
                 "the previous window. Yours starts from zeros.", {name: reset})],
                generic_hint=f"{name} is the LSTM's {name} after step T-1, started from (h0, c0).")

        def judged(target_loss, target_grads):
            return _close(loss, target_loss, 1e-7, 1e-10) and all(
                _safe.close(grads[k], target_grads[k], 1e-8, 1e-6) for k in cref.PARAM_NAMES)

        carried = evidence.ecf_enabled() and own_expected is not None and judged(*own_expected)
        if judged(exp_loss, expected) or carried:
            continue
        if not _close(loss, exp_loss, 1e-7, 1e-10):
            hint = "loss = cross_entropy(logits, y), the mean over the window's T*N positions."
            if _close(loss, cref.cross_entropy(reset_logits, y)[0], 1e-7):
                hint = ("the window must start from the state passed in (h0, c0): that is the state carried over "
                        "from the previous window. Yours starts from zeros.")
            elif _close(loss, cref.cross_entropy(logits, x)[0], 1e-7):
                hint = "the targets are y (the next characters), not x."
            check.fail(f"loss is {loss:.8g}; expected {exp_loss:.8g}.", case=case, hint=hint)
        for name in cref.PARAM_NAMES:
            check.compare(name, grads[name], expected[name], case, "window_step (grads)",
                          generic_hint="backpropagate dlogits through the read-out (dhs = dlogits @ W_out, "
                          "dW_out = sum over t of dlogits[t].T @ hs[t]) and then through your LSTM "
                          "(lstm_backward(dhs, cache)).")
    check.finish()


class _RecordingOptimizer:
    """What ``train_epoch`` gets as ``opt``: it keeps (copies of) the gradients of every
    ``step(grads)`` call and changes no parameter, so every window's expected values can be
    computed from the same parameters."""

    def __init__(self) -> None:
        self.received = []

    def step(self, grads) -> None:
        if type(grads) is dict:
            self.received.append({str(k): _safe.NDARRAY.copy(v) if type(v) is _safe.NDARRAY else None
                                  for k, v in grads.items()})
        else:
            self.received.append(None)

    def zero_grad(self) -> None:  # torch habit: harmless
        pass


def check_train_epoch(train_epoch, seed: int = 0, max_norm: float = 0.5) -> None:
    """Check ``train_epoch(params, X (K, T, N), Y, window_step, opt, max_norm) -> (losses, norms)``.

    One pass over the K windows in order: the state starts at zeros and is carried from each
    window to the next; each window's gradients are clipped to ``max_norm`` (global norm) and
    passed to ``opt.step``; ``losses`` and ``norms`` (before clipping) hold one float per
    window.  The check hands it a correct ``window_step`` (so a mistake there costs nothing
    here) and an ``opt`` that records what it receives.
    """
    # No forbidden code: the learner's loop legitimately calls the reference window step it is given.
    check = Check("check_train_epoch", forbidden_dirs=())
    rng = np.random.default_rng(seed)
    for label, (K, T, N, V, H) in ((f"random, seed {seed}", (4, 3, 2, 5, 3)), ("one column", (3, 4, 1, 4, 2))):
        case = Case(label, dict(K=K, T=T, N=N, V=V, H=H))
        params = _model(rng, V, H)
        params["W_out"] *= 4.0  # large gradients: clipping acts on most windows
        ids = rng.integers(0, V, size=N * (K * T + 1)).astype(np.int64)
        X, Y = cref.make_batches(ids, N, T)
        calls = []

        def step(p, x, y, h0, c0):
            calls.append((int(np.shape(x)[0]), bool(np.all(np.asarray(h0) == 0))))
            return cref.window_step(p, x, y, h0, c0)

        opt = _RecordingOptimizer()
        result = check.call(train_epoch, (params, X, Y, step, opt, max_norm), case, "train_epoch",
                            ("params", "X", "Y", "window_step", "opt", "max_norm"))
        losses, norms = check.unpack(result, ("losses", "norms"), case, "train_epoch")
        received = check.keep(opt.received)
        calls = check.keep(calls)
        exp_losses, exp_norms, exp_sent = cref.train_epoch(params, X, Y, cref.window_step, max_norm)
        values = {}
        for name, value in (("losses", losses), ("norms", norms)):
            try:
                values[name] = [float(v) for v in value]
            except (TypeError, ValueError):
                check.fail(f"train_epoch returned {name} as a {type(value).__name__}; expected one float per window.",
                           hint=f"append each window's value to a list and return it ({name}.append(...)).", case=case)
            if len(values[name]) != K:
                check.fail(f"train_epoch returned {len(values[name])} {name}; expected one per window (K = {K}).",
                           case=case, hint="loop over the K windows: for k in range(X.shape[0]).")
        if calls and any(t != T for t, _ in calls):
            check.fail(f"window_step was called with windows of {sorted({t for t, _ in calls})} steps; each "
                       f"window has T = {T}.", case=case,
                       hint="truncated BPTT: call window_step once per window, X[k], Y[k], and carry the state "
                       "(h, c) it returns; don't run it over the stream from the start.")
        reset_losses = cref.train_epoch(params, X, Y, cref.window_step, max_norm, carry=False)[0]
        if not all(_close(a, b, 1e-7, 1e-10) for a, b in zip(values["losses"], exp_losses)):
            hint = "losses[k] is the loss window_step returns for window k."
            if all(_close(a, b, 1e-7, 1e-10) for a, b in zip(values["losses"], reset_losses)):
                hint = ("the state is not carried: every window starts from zeros. Start from zeros once, before "
                        "the loop, and pass the (h, c) that window_step returns into the next window.")
            check.fail(f"losses {[round(v, 6) for v in values['losses']]}; expected "
                       f"{[round(v, 6) for v in exp_losses]}.", case=case, hint=hint)
        if not all(_close(a, b, 1e-6, 1e-10) for a, b in zip(values["norms"], exp_norms)):
            after = [min(n, max_norm) for n in exp_norms]
            hint = ("norms[k] is the global norm of window k's gradients before clipping: "
                    "sqrt of the sum of every squared entry of every array.")
            if all(_close(a, b, 1e-4, 1e-10) for a, b in zip(values["norms"], after)):
                hint = "record the norm measured before clipping (clip_grad_norm returns it)."
            check.fail(f"norms {[round(v, 6) for v in values['norms']]}; expected "
                       f"{[round(v, 6) for v in exp_norms]}.", case=case, hint=hint)
        if type(received) is not list or len(received) != K:
            n = len(received) if type(received) is list else 0
            check.fail(f"opt.step was called {n} times; expected once per window (K = {K}).", case=case,
                       hint="after clipping window k's gradients, call opt.step(clipped).")
        for k, (got, want) in enumerate(zip(received, exp_sent)):
            if type(got) is not dict or set(got) != set(want) or any(
                    type(got[n]) is not _safe.NDARRAY or _safe.shape_of(got[n]) != _safe.shape_of(want[n])
                    for n in want):
                check.fail(f"opt.step got {type(got).__name__} for window {k}; expected the clipped gradients, "
                           "a dict keyed like params.", case=case, hint="opt.step(clipped_grads).")
            if all(_safe.close(got[n], want[n], 1e-8, 1e-5) for n in want):
                continue
            raw = cref.window_step  # the unclipped gradients of this window, for the hint
            hint = "pass the clipped gradients of this window to opt.step (global-norm clipping to max_norm)."
            unclipped = _unclipped(params, X, Y, raw, k)
            if all(_safe.close(got[n], unclipped[n], 1e-8, 1e-5) for n in want):
                hint = "opt.step got the gradients before clipping: clip first, then step with the clipped ones."
            elif k > 0:
                summed = {n: sum(s[n] for s in exp_sent[:k + 1]) for n in want}
                if all(_safe.close(got[n], summed[n], 1e-8, 1e-5) for n in want):
                    hint = ("the gradients accumulate over windows: each window's step uses that window's "
                            "gradients only (in torch: zero_grad before backward).")
            check.fail(f"the gradients given to opt.step for window {k} are not window {k}'s clipped gradients.",
                       case=case, hint=hint)
    check.finish()


def _unclipped(params, X, Y, step, k):
    N, H = X.shape[2], params["W_hh"].shape[1]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    for j in range(k + 1):
        _, grads, h, c = step(params, X[j], Y[j], h, c)
    return grads


# ------------------------------------------------------------------------- the trained model

def _validation_sample(chars, rows: int, steps: int):
    """The first ``rows * (steps + 1)`` characters of the fixed validation split as ``(steps + 1, rows)``
    ids in ``chars`` (or ``None`` when a character is missing from ``chars``)."""
    text_module = _private.load_module(os.path.join(_LSTMLAB_DIR, "data", "text.py"), "text")
    corpus = text_module.load_corpus()
    validation = text_module.split_corpus(corpus, seed=0).validation[: rows * (steps + 1)]
    index = {ch: i for i, ch in enumerate(chars)}
    if not set(validation) <= set(index):
        return None, sorted(set(validation) - set(index))
    ids = np.array([index[ch] for ch in validation], dtype=np.int64)
    return ids.reshape(rows, steps + 1).T, []


def check_charlm_bpc(predict, chars, target_bpc: float, rows: int = 20, steps: int = 200, probe: int = 40) -> None:
    """Check that the trained model's bits per character on validation text are below ``target_bpc``.

    ``predict(x (T, N) int64) -> logits (T, N, V)`` runs the trained model from a zero state;
    ``chars`` is the learner's vocabulary (V distinct characters).  The sample: the first
    ``rows * (steps + 1)`` characters of the fixed validation split (``lstmlab.data.text``,
    seed 0) as ``rows`` columns; the check computes the log-softmax itself.  The logits at
    step t may depend only on x[:t+1]: a second call with the characters after step
    ``probe // 2`` changed must give the same logits before it.
    """
    check = Check("check_charlm_bpc", forbidden_dirs=(_REF_FILE,))
    chars = check.keep(chars)
    case = Case(f"the first {rows * (steps + 1)} characters of the validation split", dict(T=steps, N=rows))
    if not _valid_vocab(chars, ""):
        check.fail(f"chars must be a list of distinct single characters (your vocabulary), got {type(chars).__name__}.",
                   hint="pass the chars your build_vocab returned for the corpus.", case=case)
    V = len(chars)
    case.sizes["V"] = V
    cols, missing = _validation_sample(chars, rows, steps)
    if cols is None:
        check.fail(f"the validation text holds characters that are not in chars: {missing[:5]}.",
                   hint="build the vocabulary from the whole corpus (corpus.text), not the training split.", case=case)
    x, y = cols[:-1], cols[1:]
    logits = check.call(predict, (x,), case, "predict", ("x",))
    if type(logits) is not _safe.NDARRAY and hasattr(logits, "detach"):
        check.fail("predict returned a torch tensor; expected a NumPy array.",
                   hint="end predict with .detach().cpu().numpy().", case=case)
    check.array("logits", logits, ("T", "N", "V"), case, "predict")
    half = probe // 2
    changed = x[:probe].copy()
    changed[half:] = (changed[half:] + 1 + np.arange(probe - half)[:, None]) % V
    probe_case = Case(f"the first {probe} steps, characters after step {half} changed",
                      dict(T=probe, N=rows, V=V))
    again = check.call(predict, (changed,), probe_case, "predict", ("x",))
    check.array("logits", again, ("T", "N", "V"), probe_case, "predict")
    if not _safe.close(again[:half], logits[:half], 1e-6, 1e-6):
        check.fail("the logits before a step changed when only later characters changed: the prediction at "
                   "step t must use x[:t+1] only.", case=probe_case,
                   hint="run the LSTM forward in time and read out each step's h_t; don't look ahead.")
    if not all(math.isfinite(v) for v in _safe.floats(logits)):
        check.fail("the logits contain nan or inf.", case=case, hint="check the training loss: did it diverge?")
    logp = cref.log_softmax(logits)
    bpc = float(-np.take_along_axis(logp, y[..., None], axis=-1).mean() / _LN2)
    if not bpc < target_bpc:
        check.fail(f"{bpc:.4f} bits per character on {case.label}; needs < {target_bpc:g}.", case=case,
                   hint="train longer (more windows), check that the training loss falls, and that predict uses "
                   "the trained parameters and your vocabulary's ids.")
    check.finish()
