"""The mistake corpus (tests/grading/mistakes.py) through the real CLI: ``python -m autograder
grade`` runs each learner notebook in the sandbox, replays every passed test cell outside it
(autograder.verify) and writes per-cell scores and feedback.  Each mistake must get exactly its
expected per-cell scores -- error-carried-forward credit included, confirmed by the replay --
and its feedback page must contain the phrase that names it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from tests.grading.mistakes import MISTAKES, learner_notebook

from .conftest import REPO, autograder

SOURCE = REPO / "notebooks"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed"),
]


@pytest.mark.parametrize("assignment", ["rnn", "lstm"])
def test_every_mistake_gets_its_scores_and_its_message_through_the_grader(tmp_path, assignment):
    course, subs, out = tmp_path / "course", tmp_path / "subs", tmp_path / "out"
    autograder("release", assignment, "--source", SOURCE, "--course", course)
    released = course / "release" / assignment / f"{assignment}.ipynb"
    corpus = {f"m{k:02d}": m for k, m in enumerate(m for m in MISTAKES if m.assignment == assignment)}
    for sid, mistake in corpus.items():
        (subs / sid).mkdir(parents=True)
        nbformat.write(learner_notebook(mistake, released), subs / sid / f"{assignment}.ipynb")
    autograder("grade", assignment, subs, "--source", SOURCE, "--course", course, "--out", out,
               "--jobs", 2, "--no-progress", timeout=3000)
    results = json.loads((out / "results.json").read_text())
    problems = []
    for sid, mistake in corpus.items():
        row = results[sid]
        cells = {k.split("/", 1)[1]: v for k, v in row["cells"].items() if "/test_" in k}
        if cells != mistake.scores():
            problems.append(f"{mistake.name}: scores {cells}, expected {mistake.scores()}")
        if row["flags"] or any("could not confirm" in n for n in row["notes"]):
            problems.append(f"{mistake.name}: flagged or unconfirmed: {row['flags']} {row['notes']}")
        page = (out / "feedback" / sid / f"{assignment}.html").read_text()
        if mistake.phrase not in page.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&"):
            problems.append(f"{mistake.name}: the feedback lacks {mistake.phrase!r}")
        if mistake.ecf != ("credit carried forward: your backward is exact for your forward" in page):
            problems.append(f"{mistake.name}: credit carried forward {'not ' if mistake.ecf else ''}shown")
    assert not problems, "\n".join(problems)


def test_an_instructor_can_switch_credit_carried_forward_off_per_assignment(tmp_path):
    """``SandboxedExecute.no_ecf`` (autograder/nbgrader_config.py) lists the assignments without
    it: the same notebook then scores 0 in the cells it earned by error carried forward --
    in the kernel and in the replay, which decides with the grader's own setting."""
    course = tmp_path / "course"
    autograder("release", "rnn", "--source", SOURCE, "--course", course)
    mistake = next(m for m in MISTAKES if m.assignment == "rnn" and m.ecf)
    subs = tmp_path / "subs"
    (subs / "ecf").mkdir(parents=True)
    nbformat.write(learner_notebook(mistake, course / "release" / "rnn" / "rnn.ipynb"), subs / "ecf" / "rnn.ipynb")
    runs = {}
    for label, execute in (("on", {}), ("off", {"no_ecf": ["gradients", "rnn"]})):
        out = tmp_path / label
        # The CLI's grade, with the course configuration's SandboxedExecute.no_ecf set as an
        # instructor would set it (in its own process, like the CLI).
        script = ("import sys; from pathlib import Path; from autograder import pipeline; "
                  "pipeline.run(pipeline.Options('rnn', Path(sys.argv[1]), Path(sys.argv[2]), jobs=1, force=True, "
                  f"source=Path(sys.argv[3]), course_root=Path(sys.argv[4]), execute={execute!r}, progress=False))")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
        proc = subprocess.run([sys.executable, "-c", script, subs, out, SOURCE, course], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[label] = json.loads((out / "results.json").read_text())["ecf"]
    on = {k.split("/", 1)[1]: v for k, v in runs["on"]["cells"].items() if "/test_" in k}
    off = {k.split("/", 1)[1]: v for k, v in runs["off"]["cells"].items() if "/test_" in k}
    assert on == mistake.scores()
    assert off == {gid: 0.0 for gid in on}, off
    assert not runs["off"]["flags"]  # refused in the kernel already: nothing for the replay to overturn

