"""A corpus of typical learner mistakes in the rnn and lstm assignments, with the grade each
should get and the words its feedback must contain.

Each mistake is the instructor's solution with one slip, made by textual edits of the solution
cells (so the learner code is exactly the notebook's, but for the slip).  ``zero`` lists the
test cells that must score 0; every other test cell keeps its points.  ``ecf`` marks the
mistakes where a backward exact for the learner's own (wrong) forward earns its cells' points
by error carried forward (``bench/bench_ecf.py --table`` compares with the checks before it).
The lstm's training cell (a trained model) runs only in the autograder test: the adding problem
is learnt even with several wrong backwards (its check then says so), and not with others.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)

RNN_CELLS = {"test_rnn_step_forward": 2, "test_rnn_step_backward_inputs": 2, "test_rnn_step_backward_weights": 2,
             "test_rnn_forward": 2, "test_rnn_backward_inputs": 3, "test_rnn_backward_weights": 3}
LSTM_CELLS = {"test_lstm_step_forward": 2, "test_lstm_step_backward_states": 3,
              "test_lstm_step_backward_weights": 2, "test_lstm_forward": 2, "test_lstm_backward_inputs": 3,
              "test_lstm_backward_states": 2, "test_lstm_backward_weights": 3, "test_adding": 3}
_RNN_BACKWARD = ("test_rnn_step_backward_inputs", "test_rnn_step_backward_weights", "test_rnn_backward_inputs",
                 "test_rnn_backward_weights")
_LSTM_BACKWARD = ("test_lstm_step_backward_states", "test_lstm_step_backward_weights", "test_lstm_backward_inputs",
                  "test_lstm_backward_states", "test_lstm_backward_weights")


@dataclasses.dataclass(frozen=True)
class Mistake:
    name: str
    assignment: str
    edits: dict  # grade_id of a solution cell -> ((old, new), ...) replacements in its source
    zero: tuple  # test cells that score 0
    phrase: str  # words the feedback must contain
    ecf: bool = False

    def scores(self) -> dict:
        cells = RNN_CELLS if self.assignment == "rnn" else LSTM_CELLS
        return {gid: 0.0 if gid in self.zero else float(p) for gid, p in cells.items()}


MISTAKES = [
    # ---------------------------------------------------------------------------- rnn
    Mistake("rnn: b_ih left out of the forward, backward right", "rnn",
            {"rnn_step_forward": (("x @ W_ih.T + b_ih + h_prev", "x @ W_ih.T + h_prev"),)},
            ("test_rnn_step_forward", "test_rnn_forward"), "credit carried forward", ecf=True),
    Mistake("rnn: b_hh left out of the forward, backward right", "rnn",
            {"rnn_step_forward": (("h_prev @ W_hh.T + b_hh)", "h_prev @ W_hh.T)"),)},
            ("test_rnn_step_forward", "test_rnn_forward"), "b_hh is missing", ecf=True),
    Mistake("rnn: no tanh in the forward, and none in the backward", "rnn",
            {"rnn_step_forward": (("np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)",
                                   "(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"),),
             "rnn_step_backward": (("da = dh * (1.0 - h * h)", "da = dh"),)},
            ("test_rnn_step_forward", "test_rnn_forward"), "whose mistake (the tanh is missing)", ecf=True),
    Mistake("rnn: no tanh in the forward, backward still through a tanh", "rnn",
            {"rnn_step_forward": (("np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)",
                                   "(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"),)},
            ("test_rnn_step_forward", "test_rnn_forward", *_RNN_BACKWARD), "the tanh is missing"),
    Mistake("rnn: tanh derivative missing", "rnn",
            {"rnn_step_backward": (("da = dh * (1.0 - h * h)", "da = dh"),)},
            _RNN_BACKWARD, "the tanh derivative is missing"),
    Mistake("rnn: tanh derivative written 1 + h**2", "rnn",
            {"rnn_step_backward": (("da = dh * (1.0 - h * h)", "da = dh * (1.0 + h * h)"),)},
            _RNN_BACKWARD, "yours is 1 + h**2"),
    Mistake("rnn: tanh derivative written 1 - h", "rnn",
            {"rnn_step_backward": (("da = dh * (1.0 - h * h)", "da = dh * (1.0 - h)"),)},
            _RNN_BACKWARD, "yours is 1 - h"),
    Mistake("rnn: dh_prev without the W_hh", "rnn",
            {"rnn_step_backward": (("dh_prev = da @ W_hh", "dh_prev = da"),)},
            ("test_rnn_step_backward_inputs", "test_rnn_backward_inputs", "test_rnn_backward_weights"),
            "the W_hh factor is missing"),
    Mistake("rnn: bias gradients keep a dimension", "rnn",
            {"rnn_step_backward": (("db_ih = da.sum(axis=0)", "db_ih = da.sum(axis=0, keepdims=True)"),
                                   ("db_hh = da.sum(axis=0)", "db_hh = da.sum(axis=0, keepdims=True)"))},
            ("test_rnn_step_backward_weights", "test_rnn_backward_inputs", "test_rnn_backward_weights"),
            "keeps a dimension"),
    Mistake("rnn: weight gradients overwritten, not summed over t", "rnn",
            {"rnn_backward": (("dW_ih += dWi", "dW_ih = dWi"), ("dW_hh += dWh", "dW_hh = dWh"),
                              ("db_ih += dbi", "db_ih = dbi"), ("db_hh += dbh", "db_hh = dbh"))},
            ("test_rnn_backward_weights",), "their gradients are sums over t"),
    Mistake("rnn: the gradient from step t+1 not carried", "rnn",
            {"rnn_backward": (("rnn_step_backward(dhs[t] + dh_next, cache[t])",
                               "rnn_step_backward(dhs[t], cache[t])"),)},
            ("test_rnn_backward_inputs", "test_rnn_backward_weights"), "it isn't added at each step"),
    Mistake("rnn: hs[t] stored before the step", "rnn",
            {"rnn_forward": (("        h, step_cache = rnn_step_forward(x[t], h, W_ih, W_hh, b_ih, b_hh)\n"
                              "        hs[t] = h\n",
                              "        hs[t] = h\n"
                              "        h, step_cache = rnn_step_forward(x[t], h, W_ih, W_hh, b_ih, b_hh)\n"),)},
            ("test_rnn_forward", "test_rnn_backward_inputs", "test_rnn_backward_weights"),
            "hs[t] is the state *after* step t"),
    Mistake("rnn: every step starts from h0", "rnn",
            {"rnn_forward": (("rnn_step_forward(x[t], h, W_ih", "rnn_step_forward(x[t], h0, W_ih"),)},
            ("test_rnn_forward", "test_rnn_backward_inputs", "test_rnn_backward_weights"),
            "starts every step from h0"),
    Mistake("rnn: h_prev @ W_hh without the transpose (no diagnosis names it)", "rnn",
            {"rnn_step_forward": (("h_prev @ W_hh.T + b_hh", "h_prev @ W_hh + b_hh"),)},
            ("test_rnn_step_forward", "test_rnn_forward", *_RNN_BACKWARD),
            "rnn_step_backward is not consistent with your own rnn_step_forward either"),
    # --------------------------------------------------------------------------- lstm
    Mistake("lstm: gates sliced i, f, o, g, backward exact for that order", "lstm",
            {"lstm_step_forward": (("g = np.tanh(a[:, 2 * H:3 * H])", "g = np.tanh(a[:, 3 * H:])"),
                                   ("o = sigmoid(a[:, 3 * H:])", "o = sigmoid(a[:, 2 * H:3 * H])")),
             "lstm_step_backward": (("[da_i, da_f, da_g, da_o]", "[da_i, da_f, da_o, da_g]"),)},
            ("test_lstm_step_forward", "test_lstm_forward"), "gates are sliced as i, f, o, g", ecf=True),
    Mistake("lstm: gates sliced i, f, o, g, backward in i, f, g, o", "lstm",
            {"lstm_step_forward": (("g = np.tanh(a[:, 2 * H:3 * H])", "g = np.tanh(a[:, 3 * H:])"),
                                   ("o = sigmoid(a[:, 3 * H:])", "o = sigmoid(a[:, 2 * H:3 * H])"))},
            ("test_lstm_step_forward", "test_lstm_forward", *_LSTM_BACKWARD, "test_adding"),
            "i, f, o, g is the order some other courses use"),
    Mistake("lstm: g through a sigmoid, backward exact for it", "lstm",
            {"lstm_step_forward": (("g = np.tanh(a[:, 2 * H:3 * H])", "g = sigmoid(a[:, 2 * H:3 * H])"),),
             "lstm_step_backward": (("da_g = dc_total * i * (1.0 - g**2)", "da_g = dc_total * i * g * (1.0 - g)"),)},
            ("test_lstm_step_forward", "test_lstm_forward"), "whose mistake (g = sigmoid(...))", ecf=True),
    Mistake("lstm: g through a sigmoid, backward through a tanh", "lstm",
            {"lstm_step_forward": (("g = np.tanh(a[:, 2 * H:3 * H])", "g = sigmoid(a[:, 2 * H:3 * H])"),)},
            ("test_lstm_step_forward", "test_lstm_forward", *_LSTM_BACKWARD),
            "not a sigmoid"),
    Mistake("lstm: h = o * c, backward exact for it", "lstm",
            {"lstm_step_forward": (("tanh_c = np.tanh(c)", "tanh_c = c"),),
             "lstm_step_backward": (("dc + dh * o * (1.0 - tanh_c**2)", "dc + dh * o"),)},
            ("test_lstm_step_forward", "test_lstm_forward"), "credit carried forward",
            ecf=True),
    Mistake("lstm: the dc argument ignored", "lstm",
            {"lstm_step_backward": (("dc_total = dc + dh", "dc_total = dh"),)},
            _LSTM_BACKWARD, "the dc argument (gradient arriving along the cell state) is ignored"),
    Mistake("lstm: dh_prev and dc_prev returned in the wrong order", "lstm",
            {"lstm_step_backward": (("return dx, dh_prev, dc_prev,", "return dx, dc_prev, dh_prev,"),)},
            ("test_lstm_step_backward_states", "test_lstm_backward_inputs", "test_lstm_backward_states",
             "test_lstm_backward_weights"),
            "your dh_prev is the expected dc_prev: check the order of the returned values"),
    Mistake("lstm: sigmoid derivative written s * s", "lstm",
            {"lstm_step_backward": (("i * (1.0 - i)", "i * i"), ("f * (1.0 - f)", "f * f"),
                                    ("o * (1.0 - o)", "o * o"))},
            (*_LSTM_BACKWARD, "test_adding"), "yours is s * s"),
    Mistake("lstm: (1 - tanh(c)**2) missing on the path from h to c", "lstm",
            {"lstm_step_backward": (("dc + dh * o * (1.0 - tanh_c**2)", "dc + dh * o"),)},
            _LSTM_BACKWARD, "the factor (1 - tanh(c)**2) is missing"),
    Mistake("lstm: gate gradients concatenated i, f, o, g", "lstm",
            {"lstm_step_backward": (("[da_i, da_f, da_g, da_o]", "[da_i, da_f, da_o, da_g]"),)},
            (*_LSTM_BACKWARD, "test_adding"), "your gate gradients are concatenated as i, f, o, g"),
    Mistake("lstm: weight gradients overwritten, not summed over t", "lstm",
            {"lstm_backward": (("dW_ih += dWi", "dW_ih = dWi"), ("dW_hh += dWh", "dW_hh = dWh"),
                               ("db_ih += dbi", "db_ih = dbi"), ("db_hh += dbh", "db_hh = dbh"))},
            ("test_lstm_backward_weights", "test_adding"), "their gradients are sums over t"),
    Mistake("lstm: the cell-state gradient not carried back", "lstm",
            {"lstm_backward": (("lstm_step_backward(dhs[t] + dh_next, dc_next, cache[t])",
                                "lstm_step_backward(dhs[t] + dh_next, np.zeros_like(dc_next), cache[t])"),)},
            ("test_lstm_backward_inputs", "test_lstm_backward_states", "test_lstm_backward_weights"),
            "the gradient carried along the cell state is dropped"),
    Mistake("lstm: every step starts from c0", "lstm",
            {"lstm_forward": (("lstm_step_forward(x[t], h, c,", "lstm_step_forward(x[t], h, c0,"),)},
            ("test_lstm_forward", "test_lstm_backward_inputs", "test_lstm_backward_states",
             "test_lstm_backward_weights"), "starts every step from c0"),
]


def instructor(assignment: str):
    return nbformat.read(NOTEBOOKS / assignment / f"{assignment}.ipynb", as_version=4)


def solution_sources(mistake: Mistake) -> dict:
    """grade_id -> the learner's source (markers removed) of each edited solution cell."""
    nb = instructor(mistake.assignment)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    out = {}
    for grade_id, edits in mistake.edits.items():
        source = MARKERS.sub("", by_id[grade_id].source)
        for old, new in edits:
            if old not in source:
                raise ValueError(f"mistake {mistake.name!r}: {old!r} is not in the solution of {grade_id}; "
                                 "hint: the notebook's solution changed, update the corpus.")
            source = source.replace(old, new)
        out[grade_id] = source
    return out


def run_in_process(mistake: Mistake, skip=("train_adding", "test_adding")) -> dict:
    """Run the instructor notebook with ``mistake``, in this process, as a kernel would (the
    hidden tests included): {test grade_id: (passed, what the cell printed or raised)}."""
    import contextlib
    import io

    nb = instructor(mistake.assignment)
    sources = solution_sources(mistake)
    namespace = {"__name__": "__main__"}
    results = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if cell.cell_type != "code" or gid in skip:
            continue
        source = sources.get(gid, MARKERS.sub("", cell.source))
        out, err = io.StringIO(), io.StringIO()
        failure = None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                exec(compile(source, f"<{mistake.assignment}:{gid}>", "exec"), namespace)
            except Exception as exc:  # a failed check (AssertionError) or the learner's error
                failure = f"{type(exc).__name__}: {exc}"
        if meta.get("grade") and not meta.get("solution"):
            results[gid] = (failure is None and not err.getvalue(), "\n".join(
                t for t in (out.getvalue(), err.getvalue(), failure) if t))
    return results


def learner_notebook(mistake: Mistake, released: Path):
    """The released notebook with every solution filled in, one of them with ``mistake``."""
    from autograder import examples

    nb = examples.make_notebook(released, NOTEBOOKS / mistake.assignment / f"{mistake.assignment}.ipynb",
                                "correct")
    sources = solution_sources(mistake)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sources:
            cell.source = sources[gid]
    return nb
