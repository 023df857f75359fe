"""``report.html``: per-question pass rates, a score histogram, and every student's notes."""

from __future__ import annotations

import base64
import html
import io
import threading
from pathlib import Path


def _import_plotting() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import matplotlib.ticker

    import lstmlab.plots  # noqa: F401


def preload_in_background() -> threading.Thread:
    """Import matplotlib in a thread while the workers grade (the main process mostly waits),
    so that :func:`histogram_png` at the end does not pay for it."""

    def run():
        try:
            _import_plotting()
        except Exception:  # histogram_png imports again and reports the problem
            pass

    thread = threading.Thread(target=run, name="preload-matplotlib", daemon=True)
    thread.start()
    return thread


def histogram_png(scores: list[float], max_score: float) -> bytes:
    """A histogram of total scores as PNG bytes (matplotlib, through lstmlab.plots)."""
    import matplotlib

    matplotlib.use("Agg")
    from lstmlab.plots import new_figure

    fig, ax = new_figure()
    bins = min(20, max(int(max_score), 1))
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#1f77b4", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Scores (out of {max_score:g})")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def pass_rates(rows: list[dict], structure: dict) -> list[dict]:
    """One entry per graded cell: points, share of students with full points, mean score."""
    out = []
    for nb, cells in structure.items():
        for cid, points in cells.items():
            scores = [r["cells"].get(f"{nb}/{cid}", 0.0) for r in rows]
            n = len(scores) or 1
            out.append({
                "notebook": nb, "cell": cid, "points": points,
                "pass_rate": sum(s >= points for s in scores) / n,
                "mean": sum(scores) / n,
            })
    return out


def write_report(out: Path, assignment: str, rows: list[dict], structure: dict, stray: list[str]) -> Path:
    out = Path(out)
    max_score = sum(sum(c.values()) for c in structure.values())
    png = histogram_png([r["score"] for r in rows], max_score)
    (out / "score_histogram.png").write_bytes(png)
    esc = html.escape
    q_rows = "\n".join(
        f"<tr><td>{esc(q['notebook'])}</td><td>{esc(q['cell'])}</td><td>{q['points']:g}</td>"
        f"<td>{100 * q['pass_rate']:.0f}%</td><td>{q['mean']:.2f}</td></tr>"
        for q in pass_rates(rows, structure)
    )
    s_rows = "\n".join(
        f"<tr><td>{esc(r['student_id'])}</td><td>{r['score']:g} / {r['max_score']:g}</td>"
        f"<td>{esc(r['status'])}{' (timed out)' if r['timed_out'] else ''}</td>"
        f"<td>{'<br>'.join(esc(x) for x in r['notes'])}</td>"
        f"<td>{'<br>'.join(esc(x) for x in r['flags'])}</td></tr>"
        for r in sorted(rows, key=lambda r: r["student_id"])
    )
    n = len(rows)
    mean = sum(r["score"] for r in rows) / n if n else 0.0
    stray_html = "".join(f"<li>{esc(s)}</li>" for s in stray)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grading report: {esc(assignment)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .6em;vertical-align:top}}</style></head>
<body>
<h1>Grading report: {esc(assignment)}</h1>
<p>{n} students; mean score {mean:.2f} of {max_score:g};
graded {sum(r['status'] == 'graded' for r in rows)}, failed {sum(r['status'] == 'failed' for r in rows)},
timed out {sum(r['timed_out'] for r in rows)}, flagged {sum(bool(r['flags']) for r in rows)}.</p>
<h2>Score histogram</h2>
<img alt="histogram of total scores" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>Questions</h2>
<p>Pass rate: share of students with full points on the test cell.</p>
<table id="questions"><tr><th>notebook</th><th>test cell</th><th>points</th><th>pass rate</th><th>mean</th></tr>
{q_rows}
</table>
<h2>Students</h2>
<table id="students"><tr><th>student</th><th>score</th><th>status</th><th>notes</th><th>flags</th></tr>
{s_rows}
</table>
{'<h2>Ignored entries</h2><ul>' + stray_html + '</ul>' if stray else ''}
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
