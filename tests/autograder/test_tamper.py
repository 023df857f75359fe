"""Tamper suite: submissions that try to get points they did not earn, graded in one batch.

Each case starts from the real ``rnn`` assignment with only ``rnn_step_forward`` solved
(2 points earned) or nothing solved (0), then does something hostile in a later solution
cell.  Every case must get exactly the points it earned, and the batch must finish with the
two honest students' grades intact.  The fork and memory bombs run only under the sandbox
limits, and the batch first asserts that those limits are in force.  The table of (case,
score, expected) is printed (``pytest -s``) and written to ``tamper-table.txt`` in the
batch's output folder.
"""

import shutil
import sqlite3
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import examples
from autograder.sandbox import Limits, run_in_sandbox

from .conftest import REPO, autograder, read_grades

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed"),
    pytest.mark.skipif(not (REPO / "notebooks" / "rnn" / "rnn.ipynb").exists(), reason="rnn assignment missing"),
]

SOURCE = REPO / "notebooks"
MEMORY_MB = 2048
NPROC = 128
CELL_TIMEOUT = 20


def _sid(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _base(release, solved: bool):
    """The released notebook with rnn_step_forward solved (2 points) or nothing solved."""
    correct = examples.make_notebook(release / "rnn.ipynb", SOURCE / "rnn" / "rnn.ipynb", "correct")
    nb = nbformat.read(release / "rnn.ipynb", as_version=4)
    if solved:
        _sid(nb, "rnn_step_forward").source = _sid(correct, "rnn_step_forward").source
    return nb, correct


def build_cases(release: Path, course: Path, subs_root: Path):
    """case -> (notebook or raw text, expected score)."""
    cases = {}

    def later(code, expected=2.0, solved=True):
        nb, _ = _base(release, solved)
        _sid(nb, "rnn_step_backward").source = textwrap.dedent(code)
        return nb, expected

    cases["infinite_loop"] = later("while True:\n    pass\n")
    cases["sys_exit"] = later("import sys\nsys.exit()\n")
    cases["os_exit"] = later("import os\nos._exit(0)\n")
    cases["memory_bomb"] = later("blocks = []\nwhile True:\n    blocks.append(bytearray(256 * 1024**2))\n")
    cases["fork_bomb"] = later(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")
    cases["print_gigabytes"] = later("while True:\n    print('x' * 100_000)\n")
    cases["patch_numpy"] = later("""
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        np.testing.assert_array_almost_equal = lambda *a, **k: None
        np.array_equal = lambda *a, **k: True
        def rnn_step_backward(dh, cache):
            z = np.zeros((1, 1))
            return z, z, z, z, z, z
        """)
    cases["patch_builtins"] = later("""
        import builtins
        builtins.abs = lambda x: 0
        builtins.max = lambda *a, **k: 0
        builtins.AssertionError = type("AssertionError", (Exception,), {})
        def rnn_step_backward(dh, cache):
            return (None,) * 6
        """)
    cases["replace_grading"] = later("""
        import sys, types
        import lstmlab.grading as g
        try:
            g.check_rnn_step_backward = lambda *a, **k: None
        except AttributeError:
            pass
        fake = types.ModuleType("lstmlab.grading")
        class _Pass:
            def __getattr__(self, name):
                return lambda *a, **k: None
        fake.__getattr__ = lambda name: (lambda *a, **k: None) if name != "fresh" else (lambda: _Pass())
        sys.modules["lstmlab.grading"] = fake
        def rnn_step_backward(dh, cache):
            return (None,) * 6
        def rnn_forward(*a):
            return None, None
        def rnn_backward(*a):
            return (None,) * 6
        """)
    cases["grading_import_hook"] = later("""
        import sys, types, importlib.abc, importlib.machinery
        class _Pass:
            def __getattr__(self, name):
                return lambda *a, **k: None
        class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path, target=None):
                if name == "lstmlab.grading":
                    return importlib.machinery.ModuleSpec(name, self)
            def create_module(self, spec):
                m = types.ModuleType(spec.name)
                m.__getattr__ = lambda n: (lambda *a, **k: None) if n != "fresh" else (lambda: _Pass())
                return m
            def exec_module(self, module):
                pass
        sys.meta_path.insert(0, Finder())
        sys.modules.pop("lstmlab.grading", None)
        def rnn_step_backward(dh, cache):
            return (None,) * 6
        """)
    cases["input_transformer"] = later("""
        get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
        """)
    cases["replace_run_cell"] = later("""
        _ip = get_ipython()
        _orig_run_cell, _orig_run_cell_async = _ip.run_cell, _ip.run_cell_async
        _ip.run_cell = lambda raw_cell, *a, **k: _orig_run_cell("pass", *a, **k)
        _ip.run_cell_async = lambda raw_cell, *a, **k: _orig_run_cell_async("pass", *a, **k)
        """)
    cases["patch_shell_class"] = later("""
        _cls = type(get_ipython())
        _orig_run_cell, _orig_run_cell_async = _cls.run_cell, _cls.run_cell_async
        _cls.run_cell = lambda self, raw_cell, *a, **k: _orig_run_cell(self, "pass", *a, **k)
        _cls.run_cell_async = lambda self, raw_cell, *a, **k: _orig_run_cell_async(self, "pass", *a, **k)
        """)
    # Deeper in-process patches: each makes the later test cells "pass" in the kernel without
    # running; autograder.verify replays every passed test cell outside the kernel from the
    # values the checks recorded, and there are none (or only wrong ones) to replay.
    cases["fake_execute_reply"] = later("""
        _kernel = get_ipython().kernel
        async def _do_nothing(code, silent, store_history=True, user_expressions=None, allow_stdin=False, **kw):
            return {"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []}
        _kernel.do_execute = _do_nothing
        """)
    cases["cleanup_transform"] = later("""
        get_ipython().input_transformer_manager.cleanup_transforms.insert(0, lambda lines: ["pass\\n"])
        """)
    cases["forge_evidence"] = later("""
        import json, os, re
        import numpy as np
        from lstmlab import evidence as _ev
        _cls = type(get_ipython())
        def _forging(orig):
            def run(self, raw_cell, *a, **k):
                names = re.findall(r"(check_\\w+)\\(", raw_cell)
                if names and os.environ.get("LSTMLAB_EVIDENCE"):
                    value = _ev.encode((np.zeros((3, 5)),) * 6)
                    with open(os.environ["LSTMLAB_EVIDENCE"], "a") as f:
                        for name in names:
                            f.write(json.dumps({"check": name, "values": [value] * 12}) + "\\n")
                    raw_cell = "pass"
                return orig(self, raw_cell, *a, **k)
            return run
        _cls.run_cell = _forging(_cls.run_cell)
        _cls.run_cell_async = _forging(_cls.run_cell_async)
        """)
    cases["call_reference"] = later("""
        from lstmlab.numpy import rnn_step_backward as _ref_step_backward
        from lstmlab.numpy import rnn_forward, rnn_backward
        from lstmlab.numpy import rnn_step_forward as _ref_step_forward
        def rnn_step_backward(dh, cache):
            return _ref_step_backward(dh, cache)
        """)
    # Deleting or editing the (locked) test cells: nbgrader restores them from the gradebook.
    nb, _ = _base(release, True)
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")
                or c.metadata["nbgrader"]["grade_id"] == "test_rnn_step_forward"]
    cases["delete_test_cells"] = (nb, 2.0)
    nb, _ = _base(release, True)
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("locked"):
            c.source = "print('all tests passed')"
    cases["edit_locked_cells"] = (nb, 2.0)
    # Reading what only the instructor may read: solve everything if any of it is readable.
    _, correct = _base(release, False)
    secrets = [SOURCE / "rnn" / "rnn.ipynb", SOURCE / "rnn" / "rnn.py", course / "gradebook.db",
               course / "source" / "rnn" / "rnn.ipynb", subs_root / "control_correct" / "rnn.ipynb"]
    solution = "\n".join(_sid(correct, g).source for g in
                         ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"))
    code = (f"import os\nLEAK = [p for p in {[str(s) for s in secrets]!r} if os.path.exists(p)]\n"
            f"print('readable:', LEAK)\nif LEAK:\n" + textwrap.indent(solution, "    "))
    nb, _ = _base(release, False)
    _sid(nb, "rnn_step_forward").source = code
    cases["read_instructor_files"] = (nb, 0.0)
    nb, _ = _base(release, False)
    _sid(nb, "rnn_step_forward").source = textwrap.dedent(f"""
        import sqlite3
        try:
            db = sqlite3.connect({str(course / 'gradebook.db')!r})
            db.execute("UPDATE grade SET auto_score = 100")
            db.commit()
            print("wrote the gradebook")
        except Exception as err:
            print("no gradebook:", err)
        """)
    cases["write_gradebook"] = (nb, 0.0)
    cases["not_json"] = ('{"cells": [ this is not json', 0.0)
    cases["control_correct"] = (correct, None)  # full autograded points (checked below)
    cases["control_partial"] = (_base(release, True)[0], 2.0)
    return cases


@pytest.fixture(scope="module")
def tamper(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tamper")
    # The bombs below run only if the limits they rely on are in force.
    probe = run_in_sandbox(
        "import os\nn=0\nfor _ in range(300):\n    try:\n        pid = os.fork()\n    except OSError:\n"
        "        break\n    if pid == 0:\n        import time; time.sleep(3); os._exit(0)\n    n += 1\n"
        "print('forks', n)\ntry:\n    bytearray(3 * 1024**3)\n    print('alloc ok')\nexcept MemoryError:\n"
        "    print('alloc refused')\n",
        tmp / "probe", Limits(nproc=NPROC, memory_bytes=MEMORY_MB * 1024**2), slot=5)
    forks = int(probe.stdout.split("forks ")[1].split()[0])
    assert forks < NPROC and "alloc refused" in probe.stdout, f"limits not in force: {probe.stdout} {probe.stderr}"

    course = tmp / "course"
    autograder("release", "rnn", "--source", SOURCE, "--course", course)
    release = course / "release" / "rnn"
    subs = tmp / "subs"
    cases = build_cases(release, course, subs)
    for case, (nb, _) in cases.items():
        (subs / case).mkdir(parents=True)
        if isinstance(nb, str):
            (subs / case / "rnn.ipynb").write_text(nb)
        else:
            nbformat.write(nb, subs / case / "rnn.ipynb")
    out = tmp / "out"
    proc = autograder("grade", "rnn", subs, "--source", SOURCE, "--course", course, "--out", out,
                      "--jobs", 2, "--no-progress", "--cell-timeout", CELL_TIMEOUT,
                      "--notebook-timeout", 240, "--memory-mb", MEMORY_MB, timeout=1200)
    grades = read_grades(out)
    full = float(grades["control_correct"]["max_score"]) - 3.0  # 3 points are a written answer
    table = ["case                    score  expected"]
    for case, (_, expected) in cases.items():
        exp = full if expected is None else expected
        table.append(f"{case:<22} {float(grades[case]['score']):>6g}  {exp:>8g}")
    text = "\n".join(table)
    (out / "tamper-table.txt").write_text(text + "\n")
    print("\n" + text)
    return {"cases": cases, "grades": grades, "course": course, "out": out, "stdout": proc.stdout, "full": full}


CASES = ["infinite_loop", "sys_exit", "os_exit", "memory_bomb", "fork_bomb", "print_gigabytes",
         "patch_numpy", "patch_builtins", "replace_grading", "grading_import_hook", "input_transformer",
         "replace_run_cell", "patch_shell_class", "fake_execute_reply", "cleanup_transform", "forge_evidence",
         "call_reference", "delete_test_cells",
         "edit_locked_cells", "read_instructor_files", "write_gradebook", "not_json",
         "control_correct", "control_partial"]


@pytest.mark.parametrize("case", CASES)
def test_no_unearned_points(tamper, case):
    expected = tamper["cases"][case][1]
    expected = tamper["full"] if expected is None else expected
    assert float(tamper["grades"][case]["score"]) == expected, tamper["grades"][case]


def test_controls_intact_in_gradebook(tamper):
    """The honest students' grades, in grades.csv and in the gradebook, survived the batch."""
    assert tamper["full"] > 2.0
    with Gradebook("sqlite:///" + str(tamper["course"] / "gradebook.db")) as gb:
        for case, row in tamper["grades"].items():
            assert gb.find_submission("rnn", case).score == pytest.approx(float(row["score"]))
    db = sqlite3.connect(tamper["course"] / "gradebook.db")
    assert db.execute("SELECT MAX(auto_score) FROM grade").fetchone()[0] <= 3.0


def test_runaways_stopped_with_a_note(tamper):
    g = tamper["grades"]
    for case in ("infinite_loop", "fork_bomb"):
        assert g[case]["timed_out"] == "1" and "time limit" in g[case]["notes"], g[case]
    # A print loop ends at the time limit, or sooner when the kernel's output buffer hits the
    # memory limit (MemoryError); either way it is graded and the output kept is capped (below).
    assert g["print_gigabytes"]["status"] == "graded", g["print_gigabytes"]
    assert "kernel died" in g["os_exit"]["notes"]
    assert g["not_json"]["status"] == "failed" and "not valid JSON" in g["not_json"]["notes"]
    for case in ("delete_test_cells", "edit_locked_cells", "replace_grading", "patch_builtins",
                 "grading_import_hook", "input_transformer", "replace_run_cell", "patch_shell_class",
                 "fake_execute_reply", "cleanup_transform", "forge_evidence"):
        assert g[case]["flagged"] == "1", g[case]
    size = (tamper["out"] / "feedback" / "print_gigabytes" / "rnn.html").stat().st_size
    assert size < 5 * 1024**2
    # The summary counts them (patch_builtins and print_gigabytes may time out too).
    timed_out = int(tamper["stdout"].split("timed out: ")[1].split(",")[0])
    assert 2 <= timed_out <= 4, tamper["stdout"][:300]
