"""The figures the book shows, drawn from measurements made by the caller.

Every function takes data (arrays, histories, measurement results) and returns a
matplotlib ``Figure``; nothing here trains or measures.  matplotlib is imported
lazily so that ``import lstmlab`` never needs it.
"""

from __future__ import annotations


def _pyplot():
    """Import ``matplotlib.pyplot`` on first use (optional dependency)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "lstmlab.plots needs matplotlib: pip install matplotlib"
        ) from err
    return plt


# One palette for the whole book so RNN / LSTM / GRU keep their colour across chapters.
MODEL_COLOURS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 3.6):
    """Return ``(fig, axes)`` sized for the book's text column."""
    plt = _pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), constrained_layout=True)
    return fig, axes


# --- Diagrams (chapter 1): unrolled, bidirectional and stacked RNNs, drawn with patches ---
# Coordinates are in "cell units": cell t sits at x = t * _STEP, layer l at y = l * _LAYER.

_STEP, _LAYER, _CELL_W, _CELL_H = 2.0, 1.8, 1.1, 0.7
DIAGRAM_COLOURS = {"cell": "#dbe9f6", "backward": "#fde3cf", "edge": "#34495e", "io": "#ffffff"}


def _check_count(name: str, value, low: int, high: int) -> int:
    """Diagrams stay readable only for a handful of steps/layers: say so instead of drawing mush."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(
            f"{name} must be an int in [{low}, {high}], got {value!r}. "
            f"Hint: a diagram shows the pattern; draw {low}-{high} and let the reader extrapolate"
        )
    return value


def _diagram_axes(ax, width: float, height: float):
    """A fresh (or given) Axes with equal scaling and no frame, sized to the drawing."""
    if ax is None:
        fig, ax = new_figure(width=width, height=height)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure, ax


def _box(ax, x, y, text, colour, w=_CELL_W, h=_CELL_H, fontsize=11):
    """A rounded box centred on (x, y) with a label (a cell, or an input/output token)."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=colour, edgecolor=DIAGRAM_COLOURS["edge"], linewidth=1.3, zorder=2,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)


def _arrow(ax, start, end, colour=None, label=None, label_offset=(0.0, 0.18), rad=0.0):
    """An arrow from ``start`` to ``end`` (data coordinates), optionally labelled at its middle."""
    ax.annotate(
        "", xy=end, xytext=start,
        arrowprops=dict(
            arrowstyle="-|>", color=colour or DIAGRAM_COLOURS["edge"], lw=1.4,
            shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}",
        ),
        zorder=1,
    )
    if label:
        mx, my = (start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="bottom", fontsize=9, color=colour or DIAGRAM_COLOURS["edge"])


def _token(ax, x, y, text):
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def draw_unrolled_rnn(T: int = 4, ax=None, folded: bool = True):
    """The RNN drawn folded (one cell with a loop) and unrolled over ``T`` steps.

    Every unrolled cell is the same function with the same weights ``(W_ih, W_hh, b)``;
    the horizontal arrows carry the hidden state ``h_t`` from step t to t+1.

    Args:
        T: number of time steps to draw, 1 to 8.
        ax: an Axes to draw on, or None for a new figure.
        folded: also draw the folded cell with its self-loop on the left.

    Returns:
        the matplotlib Figure.
    """
    T = _check_count("T", T, 1, 8)
    offset = 3.8 if folded else 0.0
    fig, ax = _diagram_axes(ax, width=1.2 + 1.15 * T + (1.8 if folded else 0), height=2.6)
    if folded:
        _box(ax, 0.0, 0.0, "RNN", DIAGRAM_COLOURS["cell"])
        _token(ax, 0.0, -1.2, r"$x_t$")
        _token(ax, 0.0, 1.2, r"$h_t$")
        _arrow(ax, (0.0, -0.95), (0.0, -_CELL_H / 2))
        _arrow(ax, (0.0, _CELL_H / 2), (0.0, 0.95))
        # The loop: h_t goes back in as h_{t-1} at the next step.
        _arrow(ax, (_CELL_W / 2, 0.12), (_CELL_W / 2, -0.12), rad=-2.4)
        ax.text(_CELL_W / 2 + 0.3, 0.42, r"$h_{t-1}$", fontsize=9, va="bottom", ha="center")
        ax.text(offset - 2.0, 0.0, "=", fontsize=20, ha="center", va="center")
    for t in range(1, T + 1):
        x = offset + (t - 1) * _STEP
        _box(ax, x, 0.0, "RNN", DIAGRAM_COLOURS["cell"])
        _token(ax, x, -1.2, rf"$x_{{{t}}}$")
        _token(ax, x, 1.2, rf"$h_{{{t}}}$")
        _arrow(ax, (x, -0.95), (x, -_CELL_H / 2))
        _arrow(ax, (x, _CELL_H / 2), (x, 0.95))
        start = x - _STEP + _CELL_W / 2 if t > 1 else x - _STEP + 0.35
        label = rf"$h_{{{t - 1}}}$"
        _arrow(ax, (start, 0.0), (x - _CELL_W / 2, 0.0), label=label)
    ax.text(offset + (T - 1) * _STEP / 2, -1.75, r"same weights $W_{ih}, W_{hh}, b$ at every step",
            ha="center", fontsize=9, style="italic")
    ax.set_xlim(offset - _STEP - 0.2 if not folded else -1.0, offset + (T - 1) * _STEP + 0.9)
    ax.set_ylim(-2.0, 1.5)
    return fig


def draw_bidirectional_rnn(T: int = 4, ax=None):
    """A bidirectional RNN over ``T`` steps (Schuster & Paliwal 1997).

    The lower row reads left to right (forward states), the upper row right to left
    (backward states, its own weights); each output concatenates the two states of its step.

    Args:
        T: number of time steps to draw, 1 to 8.
        ax: an Axes to draw on, or None for a new figure.

    Returns:
        the matplotlib Figure.
    """
    T = _check_count("T", T, 1, 8)
    fig, ax = _diagram_axes(ax, width=1.3 + 1.15 * T, height=3.9)
    y_fwd, y_bwd = 0.0, _LAYER
    for t in range(1, T + 1):
        x = (t - 1) * _STEP
        _box(ax, x, y_fwd, r"$\overrightarrow{\mathrm{RNN}}$", DIAGRAM_COLOURS["cell"])
        _box(ax, x, y_bwd, r"$\overleftarrow{\mathrm{RNN}}$", DIAGRAM_COLOURS["backward"])
        _token(ax, x, -1.3, rf"$x_{{{t}}}$")
        _arrow(ax, (x, -1.05), (x, y_fwd - _CELL_H / 2))
        # x_t also reaches the backward cell: the line skirts the forward cell on its left.
        ax.plot([x, x - 0.75, x - 0.75], [-0.85, -0.85, y_bwd - 0.1], color="#c0602a", lw=1.4, zorder=1)
        _arrow(ax, (x - 0.75, y_bwd - 0.1), (x - _CELL_W / 2, y_bwd - 0.1), colour="#c0602a")
        _token(ax, x, y_bwd + 1.35, rf"$[\overrightarrow{{h}}_{{{t}}};\,\overleftarrow{{h}}_{{{t}}}]$")
        # The forward state skirts the backward cell on its right on its way to the output.
        ax.plot([x + 0.3, x + 0.3, x + 0.75, x + 0.75], [y_fwd + _CELL_H / 2, y_fwd + 0.6, y_fwd + 0.6,
                y_bwd + 0.75], color=DIAGRAM_COLOURS["edge"], lw=1.4, zorder=1)
        _arrow(ax, (x + 0.75, y_bwd + 0.75), (x + 0.2, y_bwd + 1.1))
        _arrow(ax, (x, y_bwd + _CELL_H / 2), (x, y_bwd + 1.1))
        if t > 1:
            _arrow(ax, (x - _STEP + _CELL_W / 2, y_fwd - 0.15), (x - _CELL_W / 2, y_fwd - 0.15))
            _arrow(ax, (x - _CELL_W / 2, y_bwd + 0.15), (x - _STEP + _CELL_W / 2, y_bwd + 0.15),
                   colour="#c0602a")
    ax.text(-1.0, y_fwd, "forward", ha="right", va="center", fontsize=9)
    ax.text(-1.0, y_bwd, "backward", ha="right", va="center", fontsize=9, color="#c0602a")
    ax.set_xlim(-2.3, (T - 1) * _STEP + 0.9)
    ax.set_ylim(-1.7, y_bwd + 1.7)
    return fig


def draw_stacked_rnn(T: int = 4, L: int = 2, ax=None):
    """A stack of ``L`` RNN layers over ``T`` steps: layer l reads layer l-1's hidden states.

    Args:
        T: number of time steps to draw, 1 to 8.
        L: number of layers, 1 to 4.
        ax: an Axes to draw on, or None for a new figure.

    Returns:
        the matplotlib Figure.
    """
    T = _check_count("T", T, 1, 8)
    L = _check_count("L", L, 1, 4)
    fig, ax = _diagram_axes(ax, width=1.3 + 1.15 * T, height=1.6 + 1.05 * L)
    for layer in range(1, L + 1):
        y = (layer - 1) * _LAYER
        ax.text(-1.0, y, f"layer {layer}", ha="right", va="center", fontsize=9)
        for t in range(1, T + 1):
            x = (t - 1) * _STEP
            _box(ax, x, y, rf"$h^{{({layer})}}_{{{t}}}$", DIAGRAM_COLOURS["cell"], fontsize=10)
            below = -1.05 if layer == 1 else y - _LAYER + _CELL_H / 2
            _arrow(ax, (x, below), (x, y - _CELL_H / 2))
            if layer == 1:
                _token(ax, x, -1.3, rf"$x_{{{t}}}$")
            if layer == L:
                _arrow(ax, (x, y + _CELL_H / 2), (x, y + 1.05))
                _token(ax, x, y + 1.3, rf"$y_{{{t}}}$")
            if t > 1:
                _arrow(ax, (x - _STEP + _CELL_W / 2, y), (x - _CELL_W / 2, y))
    ax.set_xlim(-2.3, (T - 1) * _STEP + 0.9)
    ax.set_ylim(-1.7, (L - 1) * _LAYER + 1.7)
    return fig


def hidden_state_heatmap(hs, tokens, ax=None, title=None):
    """The hidden state at every step as a (H, T) heat map, one column per token.

    Args:
        hs: (T, H) hidden states of one sequence (take ``hs[:, n]`` of an (T, N, H) result).
        tokens: T labels for the columns.
        ax: an Axes to draw on, or None for a new figure.
        title: optional axes title.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 2 or hs.shape[0] != len(tokens):
        raise ValueError(
            f"hs must have shape (T, H) with T = len(tokens) = {len(tokens)}, got {hs.shape}. "
            "Hint: for a batch result of shape (T, N, H) pass hs[:, n]"
        )
    if ax is None:
        fig, ax = new_figure(width=0.9 * len(tokens) + 1.8, height=2.8)
    else:
        fig = ax.figure
    image = ax.imshow(hs.T, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(tokens)), tokens)
    ax.set_yticks(range(hs.shape[1]), [rf"$h[{j}]$" for j in range(hs.shape[1])], fontsize=8)
    ax.set_xlabel("token (time step)")
    fig.colorbar(image, ax=ax, label="value (tanh range)")
    if title:
        ax.set_title(title)
    return fig


# --- Part I, chapters 2-4: long-term dependencies, vanishing/exploding gradients, clipping ---


def _sequential_colours(n: int):
    """``n`` colours from light to dark, so an ordered family (gaps, radii, scales) reads in order."""
    plt = _pyplot()
    cmap = plt.get_cmap("viridis")
    return [cmap(0.9 * i / max(n - 1, 1)) for i in range(n)]


def gradient_norms_over_time(norms, ax=None, title=None):
    """Log-scale plot of the gradient's norm at every time step, one curve per setting.

    Args:
        norms: dict ``label -> (T,)`` array of ``||dL/dh_t||`` for t = 1..T (the loss is
            read at the last step, so the curves are traced from right to left).
        ax: an existing Axes to draw on, or None for a new figure.
        title: optional axes title.

    Returns:
        the matplotlib Figure.
    """
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    for colour, (label, values) in zip(_sequential_colours(len(norms)), norms.items()):
        t = range(1, len(values) + 1)
        ax.semilogy(t, values, color=colour, lw=2, label=label)
    ax.set_xlabel("time step $t$ (the loss reads $h_T$)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def saturation(derivatives, norms):
    """Two panels: histograms of tanh's derivative ``1 - h^2`` and the gradient norms they cause.

    Args:
        derivatives: dict ``label -> array`` of ``1 - h_t^2`` values (any shape, flattened).
        norms: dict with the same labels ``-> (T,)`` gradient norms, as for
            :func:`gradient_norms_over_time`.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, (left, right) = new_figure(ncols=2, width=9.0, height=3.6)
    colours = _sequential_colours(len(derivatives))
    bins = np.linspace(0.0, 1.0, 41)
    for colour, (label, values) in zip(colours, derivatives.items()):
        left.hist(np.ravel(values), bins=bins, color=colour, alpha=0.55, density=True, label=label)
    left.set_xlabel(r"$\tanh'(a) = 1 - h^2$")
    left.set_ylabel("density")
    left.set_yscale("log")
    left.set_title("how saturated the units are")
    left.legend(fontsize="small")
    gradient_norms_over_time(norms, ax=right, title="what it does to the gradient")
    return fig


def cliff_curve(w, loss, dloss_dw, wall=None):
    """The one-unit RNN's loss against its weight, and the size of the slope, side by side.

    Args:
        w: (K,) grid of weights.  loss, dloss_dw: (K,) the loss and dL/dw on that grid.
        wall: optional position of the wall, marked with a dotted line.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, (left, right) = new_figure(ncols=2, width=9.0, height=3.4)
    left.plot(w, loss, color="black", lw=1.5)
    left.set_xlabel("recurrent weight $w$")
    left.set_ylabel("loss $L(w)$")
    left.set_title("the loss")
    right.semilogy(w, np.abs(dloss_dw), color="#d62728", lw=1.2)
    right.set_xlabel("recurrent weight $w$")
    right.set_ylabel(r"$|\mathrm{d}L/\mathrm{d}w|$")
    right.set_title("the size of its slope")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        if wall is not None:
            ax.axvline(wall, color="grey", ls=":", lw=1)
    return fig


def cliff_surface(w, b, loss, wall=None):
    """The one-unit RNN's loss over the plane of its two parameters, in log colour.

    Args:
        w: (K,) weights (x axis).  b: (J,) biases (y axis).
        loss: (K, J) the loss at every ``(w[k], b[j])``.
        wall: optional ``(b_values, w_values)`` curve to overlay (e.g. the predicted wall).

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, ax = new_figure(width=6.0, height=4.2)
    mesh = ax.pcolormesh(w, b, np.log10(np.asarray(loss).T + 1e-12), shading="auto", cmap="magma")
    fig.colorbar(mesh, ax=ax, label=r"$\log_{10} L(w, b)$")
    if wall is not None:
        b_values, w_values = wall
        ax.plot(w_values, b_values, color="#00e5ff", ls="--", lw=1.2, label="predicted wall")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlim(np.min(w), np.max(w))
    ax.set_ylim(np.min(b), np.max(b))
    ax.set_xlabel("recurrent weight $w$")
    ax.set_ylabel("bias $b$")
    return fig


def dependency_arcs(sentences, label="agrees with"):
    """Sentences drawn as rows of words, each with an arc joining two of its words.

    Args:
        sentences: list of ``(tokens, source, target)``: the words in order and the indices
            of the two words the arc joins (e.g. the subject and its verb).
        label: text written above every arc.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    width = max(len(tokens) for tokens, _, _ in sentences)
    fig, axes = new_figure(nrows=len(sentences), width=max(4.0, 0.62 * width), height=1.3 * len(sentences))
    axes = [axes] if len(sentences) == 1 else list(axes)
    base, rise = 0.25, 0.5  # the arc leaves the words at y = base and peaks at base + rise
    for ax, (tokens, source, target) in zip(axes, sentences):
        for i, word in enumerate(tokens):
            strong = i in (source, target)
            ax.text(i, 0, word, ha="center", va="center", fontsize=11,
                    fontweight="bold" if strong else "normal", color="black" if strong else "0.4")
        # A parabola drawn in data coordinates, so the label can sit exactly on its top.
        xs = np.linspace(source, target, 60)
        mid, half = (source + target) / 2, abs(target - source) / 2
        ys = base + rise * (1 - ((xs - mid) / half) ** 2)
        ax.plot(xs[:-2], ys[:-2], color="#d62728", lw=1.5)
        ax.annotate("", xy=(xs[-1], ys[-1]), xytext=(xs[-3], ys[-3]),
                    arrowprops=dict(arrowstyle="-|>", color="#d62728", lw=1.5, mutation_scale=12))
        ax.text(mid, base + rise + 0.05, label, ha="center", va="bottom", color="#d62728", fontsize=9)
        ax.set_xlim(-0.7, width - 0.3)
        ax.set_ylim(-0.4, base + rise + 0.45)
        ax.axis("off")
    return fig


def accuracy_vs_gap(gaps, accuracies, chance=0.5, label="tanh RNN"):
    """Test accuracy against the distance between the cue and the prediction.

    Args:
        gaps: (G,) distances.
        accuracies: (S, G) accuracies of S independent runs (seeds) at each gap; every run is
            drawn as a dot and the mean as a line.
        chance: the accuracy of guessing, drawn as a dashed line.
        label: legend entry of the mean curve.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    acc = np.atleast_2d(np.asarray(accuracies, dtype=float))
    fig, ax = new_figure()
    colour = MODEL_COLOURS["rnn"]
    for run in acc:
        ax.plot(gaps, run, "o", color=colour, alpha=0.35, ms=5)
    ax.plot(gaps, acc.mean(axis=0), "-", color=colour, lw=2, label=f"{label} (mean of {len(acc)} seeds)")
    ax.axhline(chance, color="grey", ls="--", lw=1, label=f"chance ({chance:g})")
    ax.set_xlabel("gap (tokens between subject and verb)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(min(0.4, chance - 0.1), 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="upper right")
    return fig


def cliff_descent(w, loss, paths, wall=None):
    """Gradient-descent paths drawn on the one-unit RNN's loss curve.

    Args:
        w, loss: (K,) the curve (as for :func:`cliff_curve`).
        paths: dict ``label -> (weights, losses)`` of the iterates.  An iterate outside the
            curve's range is drawn as an arrow from the point it left to the edge of the plot,
            labelled with where it went.
        wall: optional wall position (dotted line).

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, ax = new_figure(width=7.0, height=3.8)
    ax.plot(w, loss, color="black", lw=1.2, label="loss $L(w)$")
    lo, hi = float(np.min(w)), float(np.max(w))
    styles = [("#d62728", "o", 7), ("#1f77b4", "s", 3.5), ("#2ca02c", "^", 5)]
    for (colour, marker, size), (label, (ws, ls)) in zip(styles, paths.items()):
        ws, ls = np.asarray(ws), np.asarray(ls)
        inside = (ws >= lo) & (ws <= hi)
        last_in = len(ws) - 1 if inside.all() else int(np.argmax(~inside)) - 1
        ax.plot(ws[: last_in + 1], ls[: last_in + 1], marker, color=colour, ms=size, alpha=0.8,
                mfc="none", label=label)
        ax.plot(ws[last_in], ls[last_in], marker, color=colour, ms=size + 3)
        if not inside.all():
            gone = last_in + 1
            edge = lo if ws[gone] < lo else hi
            y = ls[last_in]
            ax.annotate("", xy=(edge, y), xytext=(ws[last_in], y),
                        arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.5))
            ax.text((edge + ws[last_in]) / 2, y + 0.08 * (np.max(loss) - np.min(loss)),
                    f"next step: thrown to $w = {ws[gone]:.2f}$\n(off the plot), loss {ls[gone]:.2f}",
                    color=colour, fontsize=9, ha="center", va="bottom")
    if wall is not None:
        ax.axvline(wall, color="grey", ls=":", lw=1)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("recurrent weight $w$")
    ax.set_ylabel("loss")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="center right")
    return fig


def gradient_norm_histogram(norms, thresholds=None):
    """Histogram of gradient norms observed during training, on a log axis.

    Args:
        norms: (S,) global gradient norms, one per step (before any clipping).
        thresholds: optional dict ``label -> value`` drawn as vertical lines (candidate
            clipping thresholds such as percentiles).

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    norms = np.asarray(norms, dtype=float)
    norms = norms[np.isfinite(norms) & (norms > 0)]
    fig, ax = new_figure()
    bins = np.logspace(np.log10(norms.min()), np.log10(norms.max()), 40)
    ax.hist(norms, bins=bins, color="0.6")
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on a short log axis
    for colour, (label, value) in zip(_sequential_colours(len(thresholds or {})), (thresholds or {}).items()):
        ax.axvline(value, color=colour, lw=2, label=f"{label} = {value:.3g}")
    ax.set_xlabel(r"gradient norm $\|g\|$ (before clipping)")
    ax.set_ylabel("training steps")
    if thresholds:
        ax.legend(fontsize="small")
    return fig


def loss_curves(curves, baseline=None, baseline_label="baseline", window=25,
                ylabel="training loss", ylim=None):
    """Training-loss curves on a log scale: every step faintly, a running mean boldly.

    Args:
        curves: dict ``label -> (S,)`` losses per step (step 1 first).  A run that diverged
            may be shorter or end in inf/NaN; it is drawn up to its last finite value.
        baseline: optional horizontal reference (e.g. a memoryless predictor's loss).
        window: steps in the running mean.
        ylim: optional ``(bottom, top)``; a curve that rises above ``top`` is cut there and
            marked with a cross and the step at which it left.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, ax = new_figure(width=7.0, height=3.8)
    styles = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c"]
    for colour, (label, values) in zip(styles, curves.items()):
        values = np.asarray(values, dtype=float)
        finite = np.isfinite(values)
        v = values[: len(values) if finite.all() else int(np.argmin(finite))]
        steps = np.arange(1, len(v) + 1)
        out = len(v)
        if ylim is not None and np.any(v > ylim[1]):
            out = int(np.argmax(v > ylim[1]))  # first step above the plot
        k = min(window, out)
        smoothed = out >= window
        # Single steps faintly under a running mean; a run too short to smooth is drawn plainly.
        ax.semilogy(steps[:out], v[:out], color=colour, lw=0.6 if smoothed else 1.5,
                    alpha=0.3 if smoothed else 1.0)
        if smoothed:
            smooth = np.convolve(v[:out], np.ones(k) / k, mode="valid")
            ax.semilogy(steps[k - 1 : out], smooth, color=colour, lw=1.8, label=label)
        else:
            ax.semilogy([], [], color=colour, lw=1.8, label=label)
        if out < len(v) or len(v) < len(values):
            x_end = steps[min(out, len(v) - 1)]
            y_end = ylim[1] if out < len(v) else v[-1]
            ax.plot([x_end], [y_end], "x", color=colour, ms=10, mew=2, clip_on=False)
            note = f"above {ylim[1]:g} from step {x_end}" if out < len(v) else f"diverged at step {x_end}"
            if len(v) < len(values):
                note += f"; overflow at step {len(v) + 1}"
            ax.annotate(note, xy=(x_end, y_end), xytext=(x_end + 0.03 * len(values), y_end * 0.7),
                        color=colour, fontsize=9, va="top")
    if baseline is not None:
        ax.axhline(baseline, color="grey", ls="--", lw=1, label=baseline_label)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"{ylabel} (bold: running mean of {window})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="lower left")
    return fig


# --- Part II, chapters 5-6: the LSTM and its backpropagation through time ---


def draw_lstm_cell(ax=None):
    """The LSTM cell as a diagram: cell state along the top, four gates, pointwise operations.

    Drawn with patches and arrows (no image file).  Gate order and names follow lstmlab:
    input ``i``, forget ``f``, candidate ``g``, output ``o``; ``\\odot`` is the elementwise
    product.  Returns the matplotlib Figure.
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    if ax is None:
        fig, ax = new_figure(width=7.5, height=4.6)
    else:
        fig = ax.figure
    gate_colour, op_colour, line = "#cfe2f3", "#fff2cc", "#333333"
    ax.set_xlim(-1.6, 11.2)
    ax.set_ylim(-1.2, 6.9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((0.0, 0.2), 9.2, 5.6, boxstyle="round,pad=0.1,rounding_size=0.4",
                                fc="#f5f5f5", ec="#999999", lw=1.2, zorder=0))

    def arrow(start, end, lw=1.4):
        ax.annotate("", xy=end, xytext=start, zorder=1,
                    arrowprops=dict(arrowstyle="-|>", color=line, lw=lw, shrinkA=0, shrinkB=0))

    def segment(*points):
        xs, ys = zip(*points)
        ax.plot(xs, ys, color=line, lw=1.4, zorder=1, solid_capstyle="round")

    def gate(xy, text, label):
        x, y = xy
        ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.02",
                                    fc=gate_colour, ec=line, lw=1.2, zorder=2))
        ax.text(x, y, text, ha="center", va="center", fontsize=11, zorder=3)
        ax.text(x, y - 0.55, label, ha="center", va="top", fontsize=9, color="#1f4e79", zorder=3)

    def op(xy, text, r=0.28):
        ax.add_patch(Circle(xy, r, fc=op_colour, ec=line, lw=1.2, zorder=2))
        ax.text(*xy, text, ha="center", va="center", fontsize=12, zorder=3)

    # Cell state: the conveyor belt along the top, touched only by x and +.
    arrow((-1.0, 5.0), (10.6, 5.0), lw=2.4)
    ax.text(-1.1, 5.25, r"$c_{t-1}$", ha="left", va="bottom", fontsize=12)
    ax.text(10.6, 5.25, r"$c_t$", ha="right", va="bottom", fontsize=12)
    # The bus [h_{t-1}; x_t] along the bottom feeds all four gates.
    segment((-1.0, 1.0), (6.5, 1.0))
    ax.text(-1.1, 1.2, r"$h_{t-1}$", ha="left", va="bottom", fontsize=12)
    arrow((1.0, -0.9), (1.0, 0.95))
    ax.text(1.15, -0.9, r"$x_t$", ha="left", va="bottom", fontsize=12)
    gates = [(2.0, r"$\sigma$", r"forget $f_t$"), (3.5, r"$\sigma$", r"input $i_t$"),
             (5.0, r"$\tanh$", r"candidate $g_t$"), (6.5, r"$\sigma$", r"output $o_t$")]
    for x, text, label in gates:
        arrow((x, 1.0), (x, 2.2))
        gate((x, 2.5), text, label)
    # forget: f * c_{t-1}
    arrow((2.0, 2.8), (2.0, 4.72))
    op((2.0, 5.0), r"$\times$")
    # input: i * g, added to the belt
    segment((3.5, 2.8), (3.5, 3.75))
    arrow((3.5, 3.75), (4.72, 3.75))
    arrow((5.0, 2.8), (5.0, 3.47))
    op((5.0, 3.75), r"$\times$")
    arrow((5.0, 4.03), (5.0, 4.72))
    op((5.0, 5.0), r"$+$")
    # output: h = o * tanh(c)
    arrow((8.0, 5.0), (8.0, 4.35))
    ax.add_patch(FancyBboxPatch((7.55, 3.75), 0.9, 0.55, boxstyle="round,pad=0.02",
                                fc=op_colour, ec=line, lw=1.2, zorder=2))
    ax.text(8.0, 4.02, r"$\tanh$", ha="center", va="center", fontsize=10, zorder=3)
    arrow((8.0, 3.75), (8.0, 2.78))
    arrow((6.95, 2.5), (7.72, 2.5))
    op((8.0, 2.5), r"$\times$")
    segment((8.0, 2.22), (8.0, 1.0))
    arrow((8.0, 1.0), (10.6, 1.0))
    ax.text(10.6, 1.2, r"$h_t$", ha="right", va="bottom", fontsize=12)
    arrow((9.6, 1.0), (9.6, 6.6))
    ax.text(9.75, 6.5, r"$h_t$ (output)", ha="left", va="top", fontsize=10)
    ax.text(0.25, 5.45, "cell state", fontsize=9, color="#555555")
    return fig


def _gate_range(values):
    """Colour limits and map: [0, 1] for sigmoid gates, [-1, 1] (diverging) otherwise."""
    import numpy as np

    if np.min(values) >= 0.0 and np.max(values) <= 1.0:
        return 0.0, 1.0, "viridis"
    return -1.0, 1.0, "RdBu_r"


def gate_heatmaps(gates, markers=None, title=None):
    """One heatmap per gate: unit (rows) against time step (columns), for one sequence.

    Args:
        gates: dict ``name -> (T, H)`` activations (e.g. ``{"input $i_t$": ...}``); sigmoid
            gates are drawn on [0, 1], anything with negative values (g, c) on [-1, 1].
        markers: optional time steps to mark with dashed lines (e.g. the adding problem's
            two marked positions).
        title: optional figure title.

    Returns:
        the matplotlib Figure.
    """
    fig, axes = new_figure(ncols=1, nrows=len(gates), width=8.0, height=1.35 * len(gates) + 0.6)
    axes = [axes] if len(gates) == 1 else list(axes)
    for ax, (name, values) in zip(axes, gates.items()):
        vmin, vmax, cmap = _gate_range(values)
        image = ax.imshow(values.T, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                          interpolation="nearest", origin="lower")
        for t in markers if markers is not None else ():
            # white shows on viridis' dark end, black on the diverging map's white middle
            ax.axvline(t, color="white" if cmap == "viridis" else "black", lw=1.0, ls="--")
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
    for ax in axes[:-1]:
        ax.set_xticklabels([])
    axes[-1].set_xlabel("time step $t$")
    if title:
        fig.suptitle(title)
    return fig


def gate_histograms(gates, title=None):
    """Histograms of gate activations, one panel per gate (log density).

    Args:
        gates: dict ``name -> array`` (any shape, flattened); ranges as in :func:`gate_heatmaps`.
        title: optional figure title.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, axes = new_figure(ncols=len(gates), width=2.3 * len(gates), height=2.8)
    axes = [axes] if len(gates) == 1 else list(axes)
    for ax, (name, values) in zip(axes, gates.items()):
        vmin, vmax, _ = _gate_range(values)
        ax.hist(np.ravel(values), bins=np.linspace(vmin, vmax, 41), density=True,
                color=MODEL_COLOURS["lstm"], alpha=0.8)
        ax.set_yscale("log")
        ax.set_title(name, fontsize="medium")
        ax.set_xlim(vmin, vmax)
    axes[0].set_ylabel("density")
    if title:
        fig.suptitle(title)
    return fig


def forget_bias_training(runs, baseline=None, ax=None, title=None):
    """Validation loss against training step, one line per run, coloured by forget-gate bias.

    Args:
        runs: list of dicts with ``forget_bias``, ``eval_step`` and ``eval_loss`` (lists).
        baseline: optional loss of the memoryless baseline (dashed line).
        ax: an existing Axes to draw on, or None for a new figure.
        title: optional axes title.

    Returns:
        the matplotlib Figure.
    """
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    if title:
        ax.set_title(title)
    biases = sorted({run["forget_bias"] for run in runs})
    colours = dict(zip(biases, _sequential_colours(len(biases))))
    labelled = set()
    for run in runs:
        bias = run["forget_bias"]
        label = None if bias in labelled else f"forget bias {bias:g}"
        labelled.add(bias)
        ax.semilogy(run["eval_step"], run["eval_loss"], color=colours[bias], lw=1.6, alpha=0.85, label=label)
    if baseline is not None:
        ax.axhline(baseline, color="#555555", ls="--", lw=1.0, label="memoryless baseline")
    ax.set_xlabel("training step")
    ax.set_ylabel("validation MSE")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def truncation_bias(ks, measures, T=None):
    """How far truncated BPTT's gradient is from the full one, against the truncation length.

    Args:
        ks: (K,) truncation lengths.
        measures: dict ``label -> {"cosine": (K,), "rel_error": (K,)}`` (one line per setting).
        T: optional sequence length, marked on both panels.

    Returns:
        the matplotlib Figure.
    """
    fig, (left, right) = new_figure(ncols=2, width=9.0, height=3.4)
    colours = _sequential_colours(len(measures))
    for colour, (label, m) in zip(colours, measures.items()):
        left.plot(ks, m["cosine"], "o-", color=colour, lw=1.6, ms=4, label=label)
        right.plot(ks, m["rel_error"], "o-", color=colour, lw=1.6, ms=4, label=label)
    left.set_ylabel("cosine(truncated, full)")
    right.set_ylabel(r"$\|g_k - g\| / \|g\|$")
    right.set_ylim(bottom=0.0)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("truncation length $k$ (steps)")
        ax.grid(True, which="major", alpha=0.3)
        if T is not None:
            ax.axvline(T, color="#555555", ls=":", lw=1.0)
    left.legend(fontsize="small")
    return fig


def checkpointing_tradeoff(results, T=None):
    """Memory and time of BPTT with gradient checkpointing, one point per chunk size.

    Args:
        results: list of dicts with ``chunk`` (0 = no checkpointing), ``forward_bytes``,
            ``peak_bytes`` and ``seconds`` (as from :func:`lstmlab.checkpointing.measure_checkpointing`).
        T: optional sequence length, to mark ``sqrt(T)``.

    Returns:
        the matplotlib Figure.
    """
    fig, (left, right) = new_figure(ncols=2, width=9.5, height=3.6)
    ckpt = [r for r in results if r["chunk"]]
    plain = [r for r in results if not r["chunk"]]
    ks = [r["chunk"] for r in ckpt]
    mib = 2.0**20
    colour = MODEL_COLOURS["lstm"]
    left.plot(ks, [r["peak_bytes"] / mib for r in ckpt], "o-", color=colour, label="peak (forward + backward)")
    left.plot(ks, [r["forward_bytes"] / mib for r in ckpt], "s--", color="#7f7f7f", label="held after the forward")
    for r in plain:
        left.axhline(r["peak_bytes"] / mib, color=MODEL_COLOURS["rnn"], lw=1.2, label="no checkpointing")
    if T is not None:
        left.axvline(T ** 0.5, color="#555555", ls=":", lw=1.0, label=r"$k=\sqrt{T}$")
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("chunk length $k$ (steps)")
    left.set_ylabel("saved activations (MiB)")
    left.legend(fontsize="small")
    left.grid(True, which="major", alpha=0.3)
    right.scatter([r["seconds"] * 1e3 for r in ckpt], [r["peak_bytes"] / mib for r in ckpt], color=colour,
                  label="checkpointed")
    for r in ckpt:
        right.annotate(f"k={r['chunk']}", (r["seconds"] * 1e3, r["peak_bytes"] / mib), fontsize=8,
                       xytext=(4, 3), textcoords="offset points")
    for r in plain:
        right.scatter([r["seconds"] * 1e3], [r["peak_bytes"] / mib], color=MODEL_COLOURS["rnn"], marker="D",
                      label="no checkpointing")
    right.set_yscale("log")
    right.set_xlabel("forward + backward time (ms)")
    right.set_ylabel("peak saved activations (MiB)")
    right.legend(fontsize="small")
    right.grid(True, which="major", alpha=0.3)
    return fig


# --- Part II, chapters 7-8: the GRU against the LSTM, lstmlab.torch against torch.nn ---


def learning_curves_by_cell(runs, baseline=None, ylabel="validation MSE"):
    """Validation loss against training step, coloured by cell (book palette), one line per run.

    Args:
        runs: list of dicts with ``cell`` ("rnn", "lstm", "gru"), ``seed``, ``eval_step`` and
            ``eval_loss`` (lists of equal length), e.g. from ``History.to_dict()`` plus the two keys.
        baseline: optional loss of the memoryless baseline (dashed line).
        ylabel: label of the y axis.

    Returns:
        the matplotlib Figure.
    """
    fig, ax = new_figure()
    seeds = sorted({run["seed"] for run in runs})
    dashes = dict(zip(seeds, ["-", "--", ":", "-."] * (len(seeds) // 4 + 1)))
    for run in runs:
        ax.semilogy(run["eval_step"], run["eval_loss"], ls=dashes[run["seed"]], lw=1.8,
                    color=MODEL_COLOURS.get(run["cell"], "#555555"),
                    label=f"{run['cell'].upper()}, seed {run['seed']}")
    if baseline is not None:
        ax.axhline(baseline, color="#555555", ls="--", lw=1.0, label="memoryless baseline")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    return fig


def timing_bars(panels):
    """Milliseconds per iteration of lstmlab.torch and torch.nn, one panel per measurement.

    Args:
        panels: list of ``(title, rows)``; each row a dict with ``mode`` ("forward",
            "forward+backward"), ``lstmlab_ms`` and ``torch_nn_ms`` (the rows of
            ``bench/bench_torch_lstm.py --json``).  The ratio lstmlab / torch.nn is written
            above each pair of bars.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    if not panels:
        raise ValueError("timing_bars: argument 'panels' is empty. Hint: pass at least one (title, rows) pair")
    from matplotlib.ticker import NullFormatter

    # Panels as wide as their number of bar pairs, so that labels of crowded panels fit.
    widths = [max(2, len(rows)) for _, rows in panels]
    fig, axes = _pyplot().subplots(1, len(panels), figsize=(1.2 * sum(widths) + 0.8, 3.8),
                                   constrained_layout=True, gridspec_kw={"width_ratios": widths})
    axes = np.atleast_1d(axes)
    colours = {"lstmlab.torch": MODEL_COLOURS["lstm"], "torch.nn": "#7f7f7f"}
    for ax, (title, rows) in zip(axes, panels):
        x = np.arange(len(rows))
        ours = np.array([r["lstmlab_ms"] for r in rows])
        theirs = np.array([r["torch_nn_ms"] for r in rows])
        ax.bar(x - 0.2, ours, 0.4, color=colours["lstmlab.torch"], label="lstmlab.torch")
        ax.bar(x + 0.2, theirs, 0.4, color=colours["torch.nn"], label="torch.nn")
        for xi, a, b in zip(x, ours, theirs):
            ax.text(xi, max(a, b) * 1.15, f"{a / b:.1f}x", ha="center", fontsize=9)
        ax.set_yscale("log")
        ax.set_ylim(top=max(ours.max(), theirs.max()) * 3)
        ax.set_xticks(x, [r["mode"].replace("+", "+\n").replace(", ", "\n") for r in rows], fontsize=8)
        ax.yaxis.set_minor_formatter(NullFormatter())  # decade labels only, even on a short axis
        ax.set_title(title, fontsize=8)
        ax.grid(True, axis="y", which="major", alpha=0.3)
    axes[0].set_ylabel("ms per iteration (median)")
    axes[0].legend(fontsize="small", loc="upper left")
    return fig


# --- Part II, chapter 9: the sweeps (RNN / LSTM / GRU against T, several seeds) ---


def _sweep_runs(runs, where: str):
    if not runs:
        raise ValueError(f"{where}: argument 'runs' is empty. Hint: pass the 'runs' list of a "
                         "book/data/*_sweep.json file (experiments/sweep.py writes them)")
    Ts = sorted({r["T"] for r in runs})
    cells = [c for c in MODEL_COLOURS if any(r["cell"] == c for r in runs)]
    return Ts, cells


def sweep_final_metric(runs, ylabel, key="test_metric", baseline=None, threshold=None,
                       log=False, ax=None, title=None):
    """A final metric against T: one dot per seed, a bar for the median, one colour per cell.

    Args:
        runs: list of dicts with ``T``, ``cell``, ``seed`` and ``key`` (the records of a
            ``book/data/*_sweep.json`` file).
        ylabel: label of the y axis.
        baseline: the memoryless baseline, a number or a dict ``T -> number`` (dashed grey).
        threshold: optional success threshold (dotted black).
        log: logarithmic y axis (for MSE and cross-entropy).

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    Ts, cells = _sweep_runs(runs, "sweep_final_metric")
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    width = 0.8 / len(cells)
    for j, cell in enumerate(cells):
        for i, T in enumerate(Ts):
            values = [r[key] for r in runs if r["cell"] == cell and r["T"] == T]
            if not values:
                continue
            x = i + (j - (len(cells) - 1) / 2) * width
            ax.plot([x] * len(values), values, "o", color=MODEL_COLOURS[cell], ms=5, alpha=0.8,
                    label=cell.upper() if i == 0 else None)
            ax.plot([x - width * 0.4, x + width * 0.4], [np.median(values)] * 2, "-",
                    color=MODEL_COLOURS[cell], lw=2.5)
    if baseline is not None:
        per_T = baseline if isinstance(baseline, dict) else {T: baseline for T in Ts}
        for i, T in enumerate(Ts):
            ax.plot([i - 0.45, i + 0.45], [per_T[T]] * 2, "--", color="#555555", lw=1.2,
                    label="memoryless baseline" if i == 0 else None)
    if threshold is not None:
        ax.axhline(threshold, color="black", ls=":", lw=1.2, label="success threshold")
    if log:
        ax.set_yscale("log")
    ax.set_xticks(range(len(Ts)), [f"T = {T}" for T in Ts])
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", which="major", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    if title:
        ax.set_title(title)
    return fig


def success_rates(runs, succeeded, ax=None, title=None):
    """Fraction of seeds that solved the task, per T and cell, as grouped bars labelled k/n.

    Args:
        runs: list of dicts with ``T`` and ``cell`` (a sweep's records).
        succeeded: function ``run -> bool``, the success criterion.

    Returns:
        the matplotlib Figure.
    """
    Ts, cells = _sweep_runs(runs, "success_rates")
    if ax is None:
        fig, ax = new_figure(height=3.0)
    else:
        fig = ax.figure
    width = 0.8 / len(cells)
    for j, cell in enumerate(cells):
        for i, T in enumerate(Ts):
            group = [r for r in runs if r["cell"] == cell and r["T"] == T]
            if not group:
                continue
            k = sum(bool(succeeded(r)) for r in group)
            x = i + (j - (len(cells) - 1) / 2) * width
            ax.bar(x, k / len(group), width * 0.9, color=MODEL_COLOURS[cell],
                   label=cell.upper() if i == 0 else None)
            ax.text(x, k / len(group) + 0.03, f"{k}/{len(group)}", ha="center", fontsize=8)
    ax.set_xticks(range(len(Ts)), [f"T = {T}" for T in Ts])
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.5, 1.0])
    ax.set_ylabel("fraction of seeds solved")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small", ncol=3, loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def sweep_curves(runs, key="eval_loss", step_key="eval_step", ylabel="validation loss",
                 baseline=None, log=True, width=None):
    """Learning curves of a sweep: one panel per T, colour by cell, one line per seed.

    Args:
        runs: list of dicts with ``T``, ``cell``, ``seed``, ``step_key`` and ``key`` (lists of
            equal length), e.g. ``eval_loss``, ``eval_accuracy`` or ``window_grad_norm_median``
            against ``window_step``.
        baseline: a number or dict ``T -> number`` drawn dashed in each panel.
        log: logarithmic y axis.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    Ts, cells = _sweep_runs(runs, "sweep_curves")
    fig, axes = new_figure(ncols=len(Ts), width=width or 2.6 * len(Ts) + 0.6, height=3.2)
    axes = np.atleast_1d(axes)
    for ax, T in zip(axes, Ts):
        for r in runs:
            if r["T"] != T:
                continue
            ax.plot(r[step_key], r[key], color=MODEL_COLOURS[r["cell"]], lw=1.2, alpha=0.85)
        if baseline is not None:
            b = baseline[T] if isinstance(baseline, dict) else baseline
            ax.axhline(b, color="#555555", ls="--", lw=1.0)
        if log:
            ax.set_yscale("log")
        ax.set_title(f"T = {T}", fontsize=10)
        ax.set_xlabel("training step")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(ylabel)
    for cell in cells:
        axes[-1].plot([], [], color=MODEL_COLOURS[cell], label=cell.upper())
    if baseline is not None:
        axes[-1].plot([], [], color="#555555", ls="--", label="baseline")
    axes[-1].legend(fontsize="small")
    return fig
