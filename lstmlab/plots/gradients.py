"""Chapters 2-4: long-term dependencies, vanishing/exploding gradients, the cliff, clipping.

Each function takes measurements made by the caller and returns a matplotlib Figure."""

from __future__ import annotations

from ._base import MODEL_COLOURS, every, figure_for, line_styles, new_figure, sequential_colours
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
    fig, ax = figure_for(ax)
    # A curve named after a model (RNN, LSTM, GRU) takes the book's style for it.
    for style, (label, values) in zip(line_styles(norms), norms.items()):
        t = range(1, len(values) + 1)
        ax.semilogy(t, values, lw=2, label=label, markevery=every(len(values)), ms=5, **style)
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
    colours = sequential_colours(len(derivatives))
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
    for colour, (label, value) in zip(sequential_colours(len(thresholds or {})), (thresholds or {}).items()):
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
    # A curve named after a model takes its colour; the others these; each its own dash.
    fixed = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd"]
    styles = line_styles(curves, colours=fixed + sequential_colours(len(curves)))
    for style, (label, values) in zip(styles, curves.items()):
        colour = style["color"]
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
            ax.semilogy(steps[k - 1 : out], smooth, color=colour, ls=style["ls"], lw=1.8, label=label,
                        marker=style["marker"], markevery=every(len(smooth)), ms=5)
        else:
            ax.semilogy([], [], color=colour, ls=style["ls"], marker=style["marker"], lw=1.8, label=label)
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


