"""SandboxedKernelManager: every kernel's scratch folder (``agk-*``) is removed, however it ends.

The scratch folder holds the connection file, the ZeroMQ sockets and the kernel's ``HOME``.
A kernel that died on its own (``os._exit``, the memory limit) used to leave it behind:
nbclient then calls ``cleanup_resources``, which ``AsyncKernelManager`` binds past our
override.  So did a kernel that failed to start.
"""

import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync

from autograder import examples, kernel, worker

from .conftest import FIXTURES


@pytest.fixture
def private_tmp(monkeypatch):
    """A private, short temporary folder (not /tmp, which other runs share)."""
    path = Path(tempfile.mkdtemp(prefix="agt-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _scratch_dirs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("agk-*") if p.is_dir())


def test_cleanup_resources_removes_the_scratch_folder(private_tmp):
    """nbclient's clean-up of a kernel that is no longer alive is ``cleanup_resources`` alone."""
    km = kernel.SandboxedKernelManager()
    assert km.scratch.parent == private_tmp and km.scratch.is_dir()
    run_sync(km.cleanup_resources)()
    assert _scratch_dirs(private_tmp) == []


def test_kernel_that_fails_to_start_leaves_no_scratch(private_tmp, monkeypatch):
    km = kernel.SandboxedKernelManager()
    monkeypatch.setattr(km, "format_kernel_cmd", lambda extra_arguments=None: [str(private_tmp / "no-such-kernel")])
    with pytest.raises(FileNotFoundError):
        run_sync(km.start_kernel)()
    assert _scratch_dirs(private_tmp) == []
    kernel.drop_stderr()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
def test_dead_stopped_and_finished_kernels_leave_no_scratch(fixture_course, private_tmp):
    """A kernel that died (os._exit), one stopped at its time limit and one that finished."""
    course_root, release = fixture_course
    students = {"died": "import os\nos._exit(0)", "looped": "while True:\n    pass", "done": None}
    subs = examples.make_submissions(release, FIXTURES / "fixture", private_tmp / "subs",
                                     dict.fromkeys(students, "correct"))
    for sid, code in students.items():
        path = subs / sid / "fixture.ipynb"
        nb = nbformat.read(path, as_version=4)
        if code:
            next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add").source = code
        nbformat.write(nb, path)
    work = private_tmp / "work"
    work.mkdir()
    notes = {}
    for sid in students:
        task = worker.Task("fixture", sid, {"fixture": str(subs / sid / "fixture.ipynb")},
                           str(course_root / "work" / "template" / "fixture"), str(work), {"cell_timeout": 3})
        result = worker.grade(task)
        worker.cleanup(result)
        assert result.status == "graded", result.error
        assert _scratch_dirs(private_tmp) == [], sid
        notes[sid] = " ".join(result.notes)
    # Each way of ending was really taken.
    assert "kernel died" in notes["died"] and "time limit" in notes["looped"] and notes["done"] == ""
